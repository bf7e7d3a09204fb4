# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Helpers for the allocation-failure sweeps.  Source after lib/pvlens.sh.
#
# A sweep repeats one operation (insmod, sysfs bind) with its Nth
# fault-injection check failed, N = 1, 2, ... until the operation makes fewer
# than N checks.  selftests/faults/fail_nth arms /proc/thread-self/fail-nth
# for that one system call only, so what fails is an allocation made on
# behalf of the operation (ours, the driver core's, the block layer's), and
# nothing else in the guest.  Needs CONFIG_FAULT_INJECTION, FAILSLAB,
# FAIL_PAGE_ALLOC and FAULT_INJECTION_DEBUG_FS (make check-debug's kernel).

FAIL_NTH=$PVLENS_TOP/selftests/faults/fail_nth
FAULTS_MAX_STEPS=${FAULTS_MAX_STEPS:-4000}
# Try N = 1, 1 + STRIDE, ...: a quicker, coarser sweep (full: 1).
FAULTS_STRIDE=${FAULTS_STRIDE:-1}
# Smallest page order fail_page_alloc fails.  1 leaves out single pages: a
# module load vmallocs its file and KASAN its shadow page by page, hundreds
# of checks that test vmalloc, not us, at a few seconds each under TCG.
FAULTS_PAGE_MIN_ORDER=${FAULTS_PAGE_MIN_ORDER:-1}
KMEMLEAK=/sys/kernel/debug/kmemleak

# faults_require NTESTS: plan NTESTS results, or plan one skip and exit when
# this kernel cannot inject (the Debian kernel has no fault injection).
faults_require() {
	local why=
	[ -d /sys/kernel/debug/failslab ] || mount -t debugfs debugfs /sys/kernel/debug 2> /dev/null
	if [ ! -w /proc/thread-self/fail-nth ]; then
		why="no /proc/thread-self/fail-nth (CONFIG_FAULT_INJECTION)"
	elif [ ! -d /sys/kernel/debug/failslab ] || [ ! -d /sys/kernel/debug/fail_page_alloc ]; then
		why="no failslab/fail_page_alloc in debugfs"
	elif [ ! -x "$FAIL_NTH" ]; then
		why="$FAIL_NTH not built (make selftests)"
	fi
	if [ -n "$why" ]; then
		ktap_plan 1
		ktap_skip "fault_injection_available" "$why"
		exit 0
	fi
	ktap_plan "$1"
	# fail-nth decides which check fails; probability stays 0 so nothing
	# fails at random.  GFP_KERNEL and order-0 pages are what probes use.
	echo 0 > /sys/kernel/debug/failslab/probability
	echo N > /sys/kernel/debug/failslab/ignore-gfp-wait
	echo 0 > /sys/kernel/debug/failslab/verbose
	echo 0 > /sys/kernel/debug/fail_page_alloc/probability
	echo N > /sys/kernel/debug/fail_page_alloc/ignore-gfp-wait
	echo N > /sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem
	echo "$FAULTS_PAGE_MIN_ORDER" > /sys/kernel/debug/fail_page_alloc/min-order
	echo 0 > /sys/kernel/debug/fail_page_alloc/verbose
}

# faults_step N OP ARGS...: run fail_nth; sets step_rc and step_injected.
faults_step() {
	local out
	out=$("$FAIL_NTH" "$@") || return 1
	step_rc=$(echo "$out" | sed -n 's/^rc=\(-\{0,1\}[0-9]*\) .*/\1/p')
	step_injected=$(echo "$out" | sed -n 's/.* injected=\([01]\)$/\1/p')
	[ -n "$step_rc" ] && [ -n "$step_injected" ]
}

# faults_progress N WHAT: a line every 25 steps, so a slow sweep shows life.
faults_progress() {
	[ $(($1 % 25)) = 0 ] && echo "# step $1: $2 $(cut -d' ' -f1 /proc/uptime) s"
	return 0
}

# faults_errno_name RC: ENOMEM for -12 and so on (for the summary line).
faults_errno_name() {
	python3 -c 'import errno, sys; print(errno.errorcode.get(-int(sys.argv[1]), sys.argv[1]))' "$1"
}

# faults_leaks NAME: a kmemleak scan (twice: objects younger than 5 s are
# not reported) must find nothing unreferenced; prints what it finds.
faults_leaks() {
	local n
	if [ ! -w $KMEMLEAK ]; then
		ktap_skip "$1" "no kmemleak in this kernel"
		return
	fi
	echo scan > $KMEMLEAK
	sleep 6
	echo scan > $KMEMLEAK
	n=$(grep -c '^unreferenced object' $KMEMLEAK)
	if [ "$n" -ne 0 ]; then
		sed 's/^/# /' $KMEMLEAK | head -n 60
		echo clear > $KMEMLEAK
	fi
	ktap_eq "$1" "$n" 0
}

# faults_atomic_percent P: fail P% of every non-sleeping slab and page
# allocation in the guest, in any context (a ring refill runs in softirq,
# where no task filter applies; the stack-trace filter does not exist on
# x86-64).  Sleeping allocations are never failed.  0 turns it off.
faults_atomic_percent() {
	local f
	for f in /sys/kernel/debug/failslab /sys/kernel/debug/fail_page_alloc; do
		echo Y > $f/ignore-gfp-wait
		echo 1 > $f/interval
		echo -1 > $f/times
		echo 0 > $f/space
		echo N > $f/task-filter
		echo "$1" > $f/probability
	done
	echo 0 > /sys/kernel/debug/fail_page_alloc/min-order
}
