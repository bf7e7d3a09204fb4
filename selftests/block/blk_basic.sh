#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# pvlens_blk binds, and what the disk shows matches what QEMU was told:
# size, logical block size, queue count, serial, read-only flag.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/block/lib_blk.sh"
ktap_plan 9

disk=$(blk_disk_of d0)
if [ -z "$disk" ]; then
	ktap_fail "blk_disk_bound_to_pvlens_blk"
	ktap_exit
fi
ktap_ok "blk_disk_bound_to_pvlens_blk"

# QEMU's idea of the device, from QOM (independent of the guest driver).
qom() {
	pvlens_qmp "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"/machine/peripheral/d0\", \"property\": \"$1\"}}" |
		jq -r '.return'
}
qsize=$(pvlens_qmp '{"execute": "query-block"}' |
	jq -r '.return[] | select(.qdev == "/machine/peripheral/d0/virtio-backend" or .qdev == "d0") | .inserted.image["virtual-size"]')
ktap_eq "blk_size_matches_qemu" "$(( $(cat "/sys/block/$disk/size") * 512 ))" "$qsize"

lbs=$(qom logical_block_size)
[ "$lbs" = 0 ] || [ "$lbs" = null ] && lbs=512
ktap_eq "blk_logical_block_size_matches_qemu" "$(cat "/sys/block/$disk/queue/logical_block_size")" "$lbs"

nq=$(qom num-queues)
want=$nq
ncpu=$(nproc)
[ "$want" -gt "$ncpu" ] && want=$ncpu
[ -n "$BLK_EXPECT_QUEUES" ] && want=$BLK_EXPECT_QUEUES
ktap_eq "blk_queue_count_is_min_cpus_device_param" "$(ls -d "/sys/block/$disk/mq/"* | wc -l)" "$want"

vdev=$(blk_vdev "$disk")
# Interrupt-driven queues first, then the poll_queues= ones, as in-tree.
npoll=${BLK_POLL_QUEUES:-0}
ktap_eq "blk_pvlens_queue_names" "$(tr '\n' ' ' < "$vdev/pvlens/queues")" \
	"$(for i in $(seq 0 $((want - 1))); do
		if [ "$i" -lt $((want - npoll)) ]; then printf 'req.%s ' "$i"; else printf 'req_poll.%s ' "$i"; fi
	done)"
ktap_eq "blk_pvlens_driver_name" "$(cat "$vdev/pvlens/driver")" "pvlens_blk"

serial=$(qom serial)
[ "$serial" = null ] && serial=""
ktap_eq "blk_serial_matches_qemu" "$(cat "/sys/block/$disk/serial")" "$serial"

ro=$(pvlens_qmp '{"execute": "query-block"}' |
	jq -r '.return[] | select(.qdev == "/machine/peripheral/d0/virtio-backend" or .qdev == "d0") | .inserted.ro')
want_ro=0
[ "$ro" = true ] && want_ro=1
ktap_eq "blk_read_only_matches_qemu" "$(cat "/sys/block/$disk/ro")" "$want_ro"

# A read of the whole disk's first MiB goes through and is counted once.
blk_reset "$disk"
before=$(blk_stat "$disk" 1)
dd if="/dev/$disk" of=/dev/null bs=1M count=1 iflag=direct status=none
after=$(blk_stat "$disk" 1)
ktap_eq "blk_read_ops_match_block_stat" "$(blk_sum "$disk" read_ops)" "$((after - before))"
ktap_exit
