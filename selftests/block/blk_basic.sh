#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# pvlens_blk binds, and what the disk shows matches what QEMU was told:
# size, logical block size, queue count, serial, read-only flag; each
# queue's CPUs are those its interrupt vector is spread to.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/block/lib_blk.sh"
ktap_plan 10

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

# Each interrupt-driven hardware queue serves the CPUs its vector's
# interrupts are spread to (virtio's managed affinity, as in-tree), so a
# request completes where it was submitted.
cpus() { # "0-1,3" or "0, 1" -> "0 1 3 "
	tr ',' '\n' | tr -d ' ' | awk -F- 'NF { e = (NF > 1 ? $2 : $1); for (c = $1; c <= e; c++) print c }' |
		sort -n | tr '\n' ' '
}
aff_ok=1
checked=0
for q in $(seq 0 $((want - npoll - 1))); do
	irq=$(awk -v n="$(basename "$vdev")-req.$q" '$NF == n { sub(":", "", $1); print $1 }' /proc/interrupts)
	[ -n "$irq" ] || continue
	checked=$((checked + 1))
	a=$(cpus < "/proc/irq/$irq/smp_affinity_list")
	b=$(cpus < "/sys/block/$disk/mq/$q/cpu_list")
	echo "# req.$q: irq $irq to CPUs $a; hardware queue $q serves CPUs $b"
	[ "$a" = "$b" ] || aff_ok=0
done
if [ "$checked" = 0 ]; then
	ktap_skip "blk_queue_cpus_match_irq_affinity" "no per-queue MSI-X vectors"
else
	[ "$aff_ok" = 1 ]
	ktap_result "blk_queue_cpus_match_irq_affinity"
fi

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
