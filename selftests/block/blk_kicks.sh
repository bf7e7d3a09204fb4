#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Kicks are counted true, and one kick carries many requests: while fio hands
# the block layer 16 reads per io_submit(), pvlens_blk's kick count equals
# the notifications a kprobe on virtio_pci's vp_notify() saw for this disk,
# kicks plus suppressed kicks equal the calls of virtqueue_kick_prepare()
# (the ring's own event-index decision), and the kick batch histogram holds
# every kick, most of them with more than one request.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/block/lib_blk.sh"
ktap_plan 6

disk=$(blk_disk_of d0)
vdev=$(blk_vdev "$disk")
dbg=/sys/kernel/debug/pvlens/$(basename "$vdev")
tracing=$PVLENS_TRACING
names="kicks_eq_vp_notify_kprobe kicks_and_suppressed_eq_kick_prepare_kprobe
	kick_batch_histogram_holds_every_kick kicks_carry_batches
	fewer_kicks_than_reads no_errors"

# probe_add NAME FUNCTION: count FUNCTION's calls for this disk's
# virtqueues.  Its first argument is the virtqueue; 6.1's struct virtqueue
# holds its struct virtio_device * at offset 32, whose first field is the N
# of virtioN.  Only this disk's count (9p, the root, kicks too).
filter="if dev == ${vdev##*virtio}"
probe_add() {
	echo "p:pvlens_test/$1 $2 dev=+0(+32(%di)):s32" >> "$tracing/kprobe_events" &&
		echo "hist:keys=dev:vals=hitcount $filter" > "$tracing/events/pvlens_test/$1/trigger"
}
probe_count() {
	awk '{ for (i = 1; i < NF; i++) if ($i == "hitcount:") t += $(i + 1) }
		END { print t + 0 }' "$tracing/events/pvlens_test/$1/hist"
}
probe_del() {
	echo "!hist:keys=dev:vals=hitcount $filter" > "$tracing/events/pvlens_test/$1/trigger"
	echo "-:pvlens_test/$1" >> "$tracing/kprobe_events"
}

if ! probe_add blk_notify vp_notify 2> /dev/null ||
	! probe_add blk_kick_prepare virtqueue_kick_prepare 2> /dev/null; then
	for t in $names; do
		ktap_skip "blk_$t" "no kprobe events or hist triggers in this kernel"
	done
	ktap_exit
fi

rd0=$(blk_stat "$disk" 1)
blk_reset "$disk"
# fio reaps 16 completions before it submits again, then submits 16 in one
# io_submit(): one plug, which blk-mq hands to queue_rqs at once.
fio --name=kicks --filename="/dev/$disk" --direct=1 --ioengine=libaio \
	--rw=randread --bs=4k --iodepth=32 --iodepth_batch_submit=16 \
	--iodepth_batch_complete_min=16 --iodepth_batch_complete_max=16 \
	--size=64M --io_size=16M --randrepeat=0 > /dev/null
rc=$?
notified=$(probe_count blk_notify)
prepared=$(probe_count blk_kick_prepare)
probe_del blk_notify
probe_del blk_kick_prepare

reads=$(($(blk_stat "$disk" 1) - rd0))
kicks=$(blk_sum "$disk" kicks)
suppressed=$(blk_sum "$disk" kicks_suppressed)
kicked=$(blk_sum "$disk" kicked_ops)
batched=$(blk_hist_total "$disk" kick_batch)
multi=$(cat "$dbg"/*/histogram | awk '$1 == "kick_batch" && $2 > 1 { t += $4 } END { print t + 0 }')
echo "# reads $reads; kicks $kicks (vp_notify $notified), suppressed $suppressed (kick_prepare $prepared), requests they carried $kicked, kicks with more than one $multi"

ktap_eq "blk_kicks_eq_vp_notify_kprobe" "$kicks" "$notified"
ktap_eq "blk_kicks_and_suppressed_eq_kick_prepare_kprobe" "$((kicks + suppressed))" "$prepared"
ktap_eq "blk_kick_batch_histogram_holds_every_kick" "$batched" "$kicks"
# Most kicks carry several requests, and no more were carried than read.
[ "$multi" -gt $((kicks / 2)) ] && [ "$kicked" -le "$reads" ]
ktap_result "blk_kicks_carry_batches"
ktap_check "blk_fewer_kicks_than_reads" [ "$kicks" -lt "$reads" ]
[ "$rc" = 0 ] && [ "$(blk_sum "$disk" read_errors)" = 0 ]
ktap_result "blk_no_errors"
ktap_exit
