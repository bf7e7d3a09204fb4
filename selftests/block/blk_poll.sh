#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# poll_queues: io_uring polled reads go to the interrupt-less poll virtqueue,
# complete there (counted exactly, as fio counts them) and raise no interrupt.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/block/lib_blk.sh"
ktap_plan 4

disk=$(blk_disk_of d0)
pq=$(ls -d "$(blk_vdev "$disk")"/pvlens/req_poll.* 2> /dev/null | head -n 1)
if [ -z "$pq" ]; then
	for t in blk_poll_queue_exists blk_io_poll_enabled blk_polled_reads_on_poll_queue blk_poll_queue_no_interrupts; do
		ktap_skip "$t" "no poll queue (poll_queues=0)"
	done
	ktap_exit
fi
ktap_ok "blk_poll_queue_exists"
ktap_eq "blk_io_poll_enabled" "$(cat "/sys/block/$disk/queue/io_poll")" 1

r0=$(cat "$pq/read_ops")
i0=$(cat "$pq/interrupts")
fio --name=poll --filename="/dev/$disk" --direct=1 --ioengine=io_uring \
	--hipri=1 --iodepth=4 --rw=randread --bs=4k --size=64M --io_size=4M \
	--randrepeat=0 --output-format=json --output=/tmp/blk_poll.json > /dev/null
ktap_eq "blk_polled_reads_on_poll_queue" "$(($(cat "$pq/read_ops") - r0))" \
	"$(jq '.jobs[0].read.total_ios' /tmp/blk_poll.json)"
ktap_eq "blk_poll_queue_no_interrupts" "$(($(cat "$pq/interrupts") - i0))" 0
ktap_exit
