#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# More tags than the virtqueue holds (queue_depth= above the ring size): the
# driver must hand requests back to the block layer when the ring is full and
# resubmit them later, losing none.  fio verifies every block it wrote; the
# requeues are counted; the block layer's own count of finished requests
# equals ours; the ring never held more than it can.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/block/lib_blk.sh"
ktap_plan 6

disk=$(blk_disk_of d0)
ring=${BLK_RING_SIZE:?config must set BLK_RING_SIZE}
depth=$(cat /sys/module/pvlens_blk/parameters/queue_depth)
if [ "$depth" -le "$ring" ]; then
	echo "# queue_depth=$depth does not exceed the $ring-entry ring"
	ktap_fail "blk_ringfull_depth_exceeds_ring"
else
	ktap_ok "blk_ringfull_depth_exceeds_ring"
fi

blk_reset "$disk"
ios0=$(($(blk_stat "$disk" 1) + $(blk_stat "$disk" 5)))
if fio --name=ringfull --filename="/dev/$disk" --direct=1 --ioengine=libaio \
	--iodepth=$((depth * 2)) --iodepth_batch_submit=$depth --rw=randwrite \
	--bs=4k --size=8M --verify=crc32c --do_verify=1 --verify_fatal=1 \
	--randrepeat=0 --output-format=terse > /tmp/ringfull.out 2>&1; then
	ktap_ok "blk_ringfull_fio_verify"
else
	tail -5 /tmp/ringfull.out | sed 's/^/# /'
	ktap_fail "blk_ringfull_fio_verify"
fi
ios=$(($(blk_stat "$disk" 1) + $(blk_stat "$disk" 5) - ios0))

requeues=$(blk_sum "$disk" requeues)
echo "# $requeues requeues for $ios requests"
ktap_check "blk_ringfull_requeues_counted" [ "$requeues" -gt 0 ]
ktap_eq "blk_ringfull_ops_equal_block_layer" \
	"$(($(blk_sum "$disk" read_ops) + $(blk_sum "$disk" write_ops)))" "$ios"

# With indirect descriptors a request takes one ring entry.
max=0
for f in "$(blk_vdev "$disk")"/pvlens/*/max_inflight; do
	v=$(cat "$f")
	[ "$v" -gt "$max" ] && max=$v
done
echo "# max_inflight $max, ring $ring"
if [ "$max" -gt 0 ] && [ "$max" -le "$ring" ]; then
	ktap_ok "blk_ringfull_max_inflight_within_ring"
else
	ktap_fail "blk_ringfull_max_inflight_within_ring"
fi
ktap_eq "blk_ringfull_nothing_inflight_after" "$(blk_sum "$disk" inflight)" 0
ktap_exit
