#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A device whose seg_max (126, seg-max-adjust=off) exceeds what its 16-entry
# ring can carry without indirect descriptors: the driver must take the ring
# as the limit, say so in one line, and move large requests intact (split by
# the block layer), every one counted as the block layer counts it.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/block/lib_blk.sh"
ktap_plan 4

disk=$(blk_disk_of d0)
ring=${BLK_RING_SIZE:?config must set BLK_RING_SIZE}
segs=$(cat "/sys/block/$disk/queue/max_segments")
echo "# max_segments $segs, ring $ring"
# A request takes its segments plus a header and a status descriptor.
[ "$segs" -ge 1 ] && [ $((segs + 2)) -le "$ring" ]
ktap_result "blk_hostile_segments_fit_ring"

vdev=$(basename "$(blk_vdev "$disk")")
ktap_eq "blk_hostile_seg_max_clamp_said_once" \
	"$(dmesg | grep -c "pvlens_blk $vdev: seg_max 126 .*using $segs")" 1

blk_reset "$disk"
ios0=$(($(blk_stat "$disk" 1) + $(blk_stat "$disk" 5)))
if fio --name=hostile --filename="/dev/$disk" --direct=1 --ioengine=libaio \
	--iodepth=4 --rw=randwrite --bs=1m --size=16M --verify=crc32c \
	--do_verify=1 --verify_fatal=1 --randrepeat=0 \
	--output-format=terse > /tmp/blk_hostile.out 2>&1; then
	ktap_ok "blk_hostile_1m_requests_verify"
else
	tail -5 /tmp/blk_hostile.out | sed 's/^/# /'
	ktap_fail "blk_hostile_1m_requests_verify"
fi
ios=$(($(blk_stat "$disk" 1) + $(blk_stat "$disk" 5) - ios0))
ktap_eq "blk_hostile_ops_equal_block_layer" \
	"$(($(blk_sum "$disk" read_ops) + $(blk_sum "$disk" write_ops)))" "$ios"
ktap_exit
