#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench, block part (runs in the guest): the in-tree virtio_blk and
# pvlens_blk (timing on, timing off) drive the same devices in turn, in one
# boot, rotating the order every round so slow drift hits every driver alike.
# Prints one "BENCH {json}" line per fio point; qemu-test/bench turns them into
# medians and ratios.  Also a KTAP line per point so the harness sees failures.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"

ROUNDS=${BENCH_ROUNDS:-5}
SECS=${BENCH_SECS:-8}
JOBS=${BENCH_JOBS:-"randread-qd1 randread-qd32 randwrite-qd32 seqread-1m"}
DRIVERS=${BENCH_DRIVERS:-"intree pvlens pvlens-notiming"}
DEVICES=${BENCH_DEVICES:-"vda vdb"}
# Other builds to compare, "label:dir ..." where dir holds drivers/core/
# pvlens_core.ko and drivers/block/pvlens_blk.ko (a path the guest sees);
# BENCH_DRIVERS may then name "label" and "label-notiming".
ALT=${BENCH_ALT:-}
# Driver names: before the rounds, profile each during one extra point of
# the first job, which is not counted: calls of the functions in TRACE_FUNCS
# (kicks, interrupts, queue runs) and with BENCH_PERF_RECORD=1 the hottest
# symbols (perf record -a -g).
PERF=${BENCH_PERF:-}
PERF_RECORD=${BENCH_PERF_RECORD:-}
# I/O scheduler to select on every device after loading a driver; empty:
# keep the driver's default (mq-deadline for a single queue in-tree).  A
# driver name may carry its own: "intree@none".
SCHED=${BENCH_SCHED:-}
. "$PVLENS_TOP/selftests/bench/lib_blk_bench.sh"

# Calls per function during a profiled point (kicks, interrupts, queue
# runs), counted by perf stat on kprobes.
TRACE=/sys/kernel/debug/tracing
TRACE_FUNCS="vp_notify vring_interrupt blk_mq_run_hw_queue
	__blk_mq_delay_run_hw_queue blk_mq_dispatch_rq_list blk_mq_end_request
	blk_mq_end_request_batch blk_mq_complete_request blk_mq_submit_bio
	virtqueue_add_sgs"
trace_count_start() {
	local f events=
	[ -w $TRACE/kprobe_events ] || return 0
	for f in $TRACE_FUNCS; do
		echo "p:pvbench/$f $f" >> $TRACE/kprobe_events 2>/dev/null &&
			events="$events -e pvbench:$f"
	done
	# shellcheck disable=SC2086
	perf stat -a -x, $events -o /tmp/stat.txt -- sleep "$SECS" \
		>/dev/null 2>&1 &
}

trace_count_stop() {
	[ -w $TRACE/kprobe_events ] || return 0
	wait
	awk -F, '$1 ~ /^[0-9]+$/ { print $1, $3 }' /tmp/stat.txt 2>/dev/null |
		sed 's/^/# calls /'
	echo > $TRACE/kprobe_events
}

# irq_count DEV: interrupts of DEV's request queues (virtioN-req.*), all
# CPUs: the same for either driver, which name their queues alike.
irq_count() {
	local virtio

	virtio=$(basename "$(readlink -f "/sys/block/$1/device")")
	irq_sum "^$virtio-req"
}

# io_count DEV: reads and writes DEV completed (the block layer's stat).
io_count() {
	awk '{ print $1 + $5 }' "/sys/block/$1/stat"
}

fio_point() { # job device -> prints "iops bw_kib irqs_per_io"
	local args
	case $1 in
	randread-qd1) args="--rw=randread --bs=4k --iodepth=1 --ioengine=psync" ;;
	randread-qd32) args="--rw=randread --bs=4k --iodepth=32 --ioengine=libaio" ;;
	randwrite-qd32) args="--rw=randwrite --bs=4k --iodepth=32 --ioengine=libaio" ;;
	seqread-1m) args="--rw=read --bs=1M --iodepth=8 --ioengine=libaio" ;;
	esac
	if [ -n "$3" ]; then
		trace_count_start
		[ -n "$PERF_RECORD" ] &&
			perf record -q -a -g -e cpu-clock -o /tmp/perf.data -- \
				sleep "$SECS" >/dev/null 2>&1 &
	fi
	local dev=${2#/dev/} irq0 io0 res
	irq0=$(irq_count "$dev")
	io0=$(io_count "$dev")
	# shellcheck disable=SC2086
	res=$(fio --name=b --filename="$2" --direct=1 --time_based \
		--runtime="$SECS" --ramp_time=1 --size=200M $args \
		--output-format=json 2>/dev/null |
		python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"][0]
r=j["read"] if j["read"]["io_bytes"] else j["write"]
print("%.1f %d" % (r["iops"], r["bw"]))')
	# Interrupts per I/O, ramp included on both sides: it moves with
	# how the device's completions fall in time, and IOPS with it.
	[ -n "$res" ] && echo "$res $(irq_count "$dev") $irq0 $(io_count "$dev") $io0" |
		awk '{ d = $5 - $6; printf "%s %s %.3f\n", $1, $2, d ? ($3 - $4) / d : 0 }'
	if [ -n "$3" ]; then
		trace_count_stop
		[ -n "$PERF_RECORD" ] || return 0
		perf report -i /tmp/perf.data --stdio --no-children \
			--sort sym 2>/dev/null | grep -v '^$' | grep '%' |
			head -n 60 | sed 's/^/# perf /'
		perf report -i /tmp/perf.data --stdio --no-children \
			--sort dso 2>/dev/null | grep '%' | head -n 12 |
			sed 's/^/# perf /'
	fi >&2
}

ktap_plan $((ROUNDS * $(wc -w <<< "$DRIVERS") * $(wc -w <<< "$JOBS") * $(wc -w <<< "$DEVICES")))
for d in $PERF; do
	load "$d" || continue
	for dev in $DEVICES; do
		echo "# perf profile: $d $dev ${JOBS%% *}" \
		     "(scheduler: $(cat /sys/block/$dev/queue/scheduler))"
		fio_point "${JOBS%% *}" /dev/$dev 1 | sed 's/^/# iops,kib: /'
		if [ -d /sys/block/$dev/device/pvlens ]; then
			grep -r . /sys/block/$dev/device/pvlens/*/ 2>/dev/null |
				grep -E '/(kicks|kicks_suppressed|interrupts|spurious_interrupts|kicked_ops|read_ops):' |
				sed 's/^/# stat /'
		fi
	done
done
read -ra drivers <<< "$DRIVERS"
n=${#drivers[@]}
for round in $(seq "$ROUNDS"); do
	for i in $(seq 0 $((n - 1))); do
		d=${drivers[$(( (i + round) % n ))]}
		if ! load "$d"; then
			for dev in $DEVICES; do
				for job in $JOBS; do
					ktap_fail "round$round $d $dev $job: driver did not bind"
				done
			done
			continue
		fi
		for dev in $DEVICES; do
			backend=$( [ "$dev" = vda ] && echo null-co || echo file )
			# The scheduler in use, so that ratios can compare like with like.
			sched=$(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/block/$dev/queue/scheduler)
			for job in $JOBS; do
				read -r iops bw irqs <<< "$(fio_point "$job" /dev/$dev)"
				if [ -n "$iops" ]; then
					echo "BENCH {\"area\": \"blk\", \"round\": $round, \"driver\": \"$d\", \"sched\": \"$sched\", \"backend\": \"$backend\", \"job\": \"$job\", \"iops\": $iops, \"bw_kib\": $bw, \"irqs_per_io\": ${irqs:-0}}"
					ktap_ok "round$round $d $backend $job"
				else
					ktap_fail "round$round $d $backend $job"
				fi
			done
		done
	done
done
unload_all
ktap_exit
