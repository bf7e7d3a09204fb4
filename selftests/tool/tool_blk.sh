#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The pvlens command on a real pvlens_blk disk: the device is found under the
# name the block layer gives it, and what pvlens reports for a known number of
# direct reads equals the block layer's own count (/sys/block/<disk>/stat).
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
PV=$PVLENS_TOP/tools/pvlens/pvlens
N=256
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

disk=
for d in /sys/block/vd*; do
	[ "$(basename "$(readlink "$d/device/driver")")" = pvlens_blk ] && disk=${d##*/} && break
done
if [ ! -x "$PV" ] || [ -z "$disk" ]; then
	ktap_plan 1
	echo "# need $PV (make all) and a disk bound to pvlens_blk"
	ktap_fail "tool_blk_setup"
	ktap_exit
fi
ktap_plan 5
vdev=$(basename "$(readlink -f "/sys/block/$disk/device")")

line=$("$PV" list | awk -v d="$disk" '$1 == d { print $1, $2, $3 }')
ktap_eq "list_names_disk_by_block_name" "$line" "$disk $vdev pvlens_blk"

# Reads completed and sectors read, from the block layer.
bstat() { awk '{ print $1, $3 }' "/sys/block/$disk/stat"; }
echo 1 > "/sys/block/$disk/device/pvlens/reset"
read -r r0 s0 <<< "$(bstat)"
dd if="/dev/$disk" of=/dev/null bs=4k count=$N iflag=direct status=none
read -r r1 s1 <<< "$(bstat)"
json=$("$PV" stat "$disk" --json)
got=$(jq -r '[.devices[0].queues[].classes.read.ops] | add' <<< "$json")
bytes=$(jq -r '[.devices[0].queues[].classes.read.bytes] | add' <<< "$json")
ktap_eq "read_ops_equal_block_layer ($N reads)" "$got" "$((r1 - r0))"
ktap_eq "read_bytes_equal_block_layer" "$bytes" "$(((s1 - s0) * 512))"

"$PV" export > "$T/prom"
sum=$(awk -v d="device=\"$disk\"" 'index($1, "pvlens_ops_total{" d ",") == 1 &&
	index($1, "class=\"read\"") { s += $2 } END { print s + 0 }' "$T/prom")
ktap_eq "export_read_ops_equal_block_layer" "$sum" "$((r1 - r0))"

# The histogram of the busiest queue holds every read it completed.
q=$(jq -r '.devices[0].queues | max_by(.classes.read.ops) | .name' <<< "$json")
cnt=$(jq -r --arg q "$q" '.devices[0].queues[] | select(.name == $q) | .classes.read.latency_count' <<< "$json")
bars=$("$PV" hist "$disk/$q" read | awk -F'|' '/^\[/ { split($1, a, " "); s += a[length(a)] } END { print s + 0 }')
ktap_eq "hist_total_equals_latency_count ($disk/$q)" "$bars" "$cnt"
ktap_exit
