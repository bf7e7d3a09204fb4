# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Helpers for the allocation-failure sweeps.  Source after lib/pvlens.sh.
#
# A sweep repeats one operation (insmod, sysfs bind) with its Nth
# fault-injection check failed, N = 1, 2, ... until the operation makes fewer
# than N checks.  selftests/faults/fail_nth arms /proc/thread-self/fail-nth
# for that one system call only, so nothing else in the guest fails.  What
# the checks are depends on FAULTS_SCOPE:
#   kernel  every slab and page allocation made on behalf of the operation
#           (ours, the driver core's, the block layer's, genirq's);
#   pvlens  only pvlens's own call sites (include/pvlens/fault.h), each
#           failed without being made: the kernel's allocations never fail,
#           so no kernel defect ends the sweep early, and it is short.
# Needs CONFIG_FAULT_INJECTION, FAILSLAB, FAIL_PAGE_ALLOC and
# FAULT_INJECTION_DEBUG_FS (make check-debug's kernel).

FAIL_NTH=$PVLENS_TOP/selftests/faults/fail_nth
FAULTS_MAX_STEPS=${FAULTS_MAX_STEPS:-4000}
# Try N = FIRST, FIRST + STRIDE, ...: a quicker, coarser or later sweep
# (full: 1 and 1).
FAULTS_FIRST=${FAULTS_FIRST:-1}
FAULTS_STRIDE=${FAULTS_STRIDE:-1}
# Smallest page order fail_page_alloc fails.  1 leaves out single pages: a
# module load vmallocs its file and KASAN its shadow page by page, hundreds
# of checks that test vmalloc, not us, at a few seconds each under TCG.
FAULTS_PAGE_MIN_ORDER=${FAULTS_PAGE_MIN_ORDER:-1}
FAULTS_SCOPE=${FAULTS_SCOPE:-kernel}
KMEMLEAK=/sys/kernel/debug/kmemleak
PVLENS_FAULT=/sys/kernel/debug/pvlens/fault_inject
# What faults_atomic_percent fails, for messages.
if [ "$FAULTS_SCOPE" = pvlens ]; then
	FAULTS_PERCENT_OF="of pvlens call sites"
else
	FAULTS_PERCENT_OF="of atomic allocations"
fi

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
	elif [ "$FAULTS_SCOPE" = pvlens ] && [ ! -d $PVLENS_FAULT ]; then
		why="no $PVLENS_FAULT (pvlens_core not loaded?)"
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
	[ "$FAULTS_SCOPE" = pvlens ] && faults_only_pvlens
	return 0
}

# faults_only_pvlens: from now on a task's fail-nth counts pvlens's own call
# sites and nothing else.  failslab checks only caches marked failslab (none
# is), fail_page_alloc only orders no allocation has.  Our sites print their
# stack when they fail (faults_site reads it back).
faults_only_pvlens() {
	local marked
	echo Y > /sys/kernel/debug/failslab/cache-filter
	marked=$(grep -l '^1' /sys/kernel/slab/*/failslab 2> /dev/null | head -n 3)
	[ -z "$marked" ] || echo "# slab caches marked failslab: $marked"
	echo 99 > /sys/kernel/debug/fail_page_alloc/min-order
	echo 0 > $PVLENS_FAULT/probability
	echo 2 > $PVLENS_FAULT/verbose
}

# faults_site: the pvlens call site (function+offset, "pvblk_probe+0xcf")
# of every failure our fault attribute reported since faults_mark, from the
# stacks it printed; one per line.
faults_site() {
	dmesg | sed 's/^\[[^]]*\] *//' | awk '
		/^pvlens_faults_mark / { n = 0; look = 0; next }
		/name fault_inject,/ { look = 1; site[++n] = "?"; next }
		look && /^[A-Za-z_][A-Za-z0-9_.]*\+0x[0-9a-f]+\/0x[0-9a-f]+ \[pvlens_/ &&
			!/^pvlens_should_fail/ { sub(/\/.*/, ""); site[n] = $0; look = 0 }
		END { for (i = 1; i <= n; i++) print site[i] }'
}

# faults_mark N: where faults_site starts reading for step N.
faults_mark() {
	echo "pvlens_faults_mark $1" > /dev/kmsg
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
# Returns non-zero (and says so) when the settings did not take.
# In FAULTS_SCOPE=pvlens it is P% of our own call sites instead, sleeping or
# not, and nothing of the kernel's.
faults_atomic_percent() {
	local f rc=0 attrs="/sys/kernel/debug/failslab /sys/kernel/debug/fail_page_alloc"
	[ "$FAULTS_SCOPE" = pvlens ] && attrs=$PVLENS_FAULT
	for f in $attrs; do
		[ -e $f/ignore-gfp-wait ] && echo Y > $f/ignore-gfp-wait
		echo 0 > $f/verbose
		echo 1 > $f/interval
		echo -1 > $f/times
		echo 0 > $f/space
		echo N > $f/task-filter
		echo "$1" > $f/probability
		if [ "$(cat $f/probability)" != "$1" ] || [ "$(cat $f/times)" != -1 ] ||
			{ [ -e $f/ignore-gfp-wait ] && [ "$(cat $f/ignore-gfp-wait)" != Y ]; }; then
			echo "# $f: probability $(cat $f/probability), times $(cat $f/times):" \
				"not as set"
			rc=1
		fi
	done
	[ "$FAULTS_SCOPE" = pvlens ] || echo 0 > /sys/kernel/debug/fail_page_alloc/min-order
	return $rc
}

# faults_irq_proc_broken PCI: true when one of PCI's MSI-X interrupts has an
# incomplete /proc/irq/<N>/.  6.1's register_irq_proc() ignores a failed
# proc entry, and unregister_irq_proc() then removes it by name anyway:
# remove_proc_entry() WARNs and panic_on_warn ends the guest at the unbind.
# A kernel defect, not ours; a sweep must stop before that unbind.
faults_irq_proc_broken() {
	local irq e
	for irq in $(ls "/sys/bus/pci/devices/$1/msi_irqs" 2> /dev/null); do
		[ -d "/proc/irq/$irq" ] || continue
		# The fixed entries that some interrupt has (which of them
		# exist depends on the kernel's configuration).
		for e in smp_affinity affinity_hint smp_affinity_list node \
			effective_affinity effective_affinity_list spurious; do
			compgen -G "/proc/irq/*/$e" > /dev/null || continue
			if [ ! -e "/proc/irq/$irq/$e" ]; then
				echo "# /proc/irq/$irq/$e missing"
				return 0
			fi
		done
	done
	return 1
}

# faults_sweep PREFIX VERB PAST: the sweep loop shared by the sweeps.  The
# caller defines:
#   sweep_op N      faults_step N <the operation> (sets step_rc, step_injected)
#   sweep_plain     the operation without faults
#   sweep_works     the operation's result works (bound and reading...)
#   sweep_undo      unbind / rmmod, and wait until it is done
#   sweep_gone      nothing of the operation is left
#   sweep_left      prints what is left (after a refusal that left things)
# For N = FAULTS_FIRST, FAULTS_FIRST + FAULTS_STRIDE, ... until the operation
# makes fewer than N checks, a step that succeeds must work and undo
# cleanly; a step refused must leave nothing, and the plain operation right
# after must work.  Four
# results: PREFIX_sweep_reached_last_allocation, PREFIX_every_step_clean,
# PREFIX_every_VERB_works_every_refusal_recovers, PREFIX_some_steps_refused.
# PAST names a success in the progress lines ("bound", "loaded").  In
# FAULTS_SCOPE=pvlens a failure injected anywhere but at one of our sites
# makes the step unclean.  With
# SWEEP_PCI set (the device's PCI address), a step that leaves the kernel's
# /proc/irq entries incomplete ends the sweep there (faults_irq_proc_broken),
# and the first result is a SKIP that says so.
faults_sweep() {
	local prefix=$1 verb=$2 past=$3 n ok=0 refused=0 bad=0 broken=0 done=0
	local summary="" e genirq="" site
	local -A errs=() sites=()
	for n in $(seq "$FAULTS_FIRST" "$FAULTS_STRIDE" "$FAULTS_MAX_STEPS"); do
		[ "$FAULTS_SCOPE" = pvlens ] && faults_mark "$n"
		if ! sweep_op "$n"; then
			echo "# step $n: fail_nth did not run"
			bad=$((bad + 1))
			break
		fi
		# In pvlens scope the one injected failure must be one of ours.
		if [ "$FAULTS_SCOPE" = pvlens ] && [ "$step_injected" = 1 ]; then
			site=$(faults_site)
			if [ -z "$site" ] || [ "$site" = "?" ] || [ "$(echo "$site" | wc -l)" != 1 ]; then
				echo "# step $n: failures reported at pvlens sites:" \
					"'$(echo "$site" | tr '\n' ' ')', want exactly one"
				bad=$((bad + 1))
			fi
			site=$(echo "$site" | head -n 1)
			sites[${site:-none}]=$((${sites[${site:-none}]:-0} + 1))
		fi
		if [ -n "${SWEEP_PCI:-}" ] && faults_irq_proc_broken "$SWEEP_PCI"; then
			genirq=$n
			break
		fi
		if [ "$step_rc" = 0 ]; then
			ok=$((ok + 1))
			sweep_works || { echo "# step $n: $past but not working"; broken=$((broken + 1)); }
			sweep_undo || { echo "# step $n: undo failed"; bad=$((bad + 1)); break; }
			sweep_gone || { echo "# step $n: left behind after undo"; bad=$((bad + 1)); }
		else
			refused=$((refused + 1))
			errs[$step_rc]=$((${errs[$step_rc]:-0} + 1))
			if ! sweep_gone; then
				echo "# step $n: refused ($step_rc) but left behind: $(sweep_left)"
				bad=$((bad + 1))
				sweep_undo
			fi
			# A refusal must not poison the next attempt.
			if ! sweep_plain || ! sweep_works || ! sweep_undo || ! sweep_gone; then
				echo "# step $n: plain $verb after the refusal failed"
				broken=$((broken + 1))
				sweep_gone || sweep_undo
			fi
		fi
		if [ "$step_injected" = 0 ]; then
			done=1
			break
		fi
		faults_progress "$n" "$ok $past, $refused refused"
	done
	for e in "${!errs[@]}"; do
		summary+=" $(faults_errno_name "$e")x${errs[$e]}"
	done
	echo "# $n steps: $ok $past and working, $refused refused (${summary# })," \
		"$bad unclean, $broken broken"
	if [ "${#sites[@]}" -gt 0 ]; then
		summary=""
		for e in "${!sites[@]}"; do
			summary+=" ${e}x${sites[$e]}"
		done
		echo "# pvlens call sites failed (function+offset x steps):$summary"
	fi
	if [ -n "$genirq" ]; then
		ktap_skip "${prefix}_sweep_reached_last_allocation" \
			"stopped at step $genirq: it failed a /proc/irq entry, and 6.1's unregister_irq_proc() would WARN at the unbind (kernel defect)"
	else
		ktap_check "${prefix}_sweep_reached_last_allocation" [ $done = 1 ]
	fi
	ktap_eq "${prefix}_every_step_clean" "$bad" 0
	ktap_eq "${prefix}_every_${verb}_works_every_refusal_recovers" "$broken" 0
	ktap_check "${prefix}_some_steps_refused" [ "$refused" -gt 0 ]
}

# faults_bind_sweep PREFIX: the whole sweep of a sysfs bind of the device
# $vdev to the driver directory $drv (both set by the caller, which also
# defines sweep_works, sweep_undo, sweep_gone and sweep_left): unbind, then
# PREFIX_unbound, the four results of faults_sweep, PREFIX_binds_after_sweep
# and PREFIX_no_leak_after_sweep.
faults_bind_sweep() {
	sweep_op() { faults_step "$1" write "$drv/bind" "$vdev"; }
	sweep_plain() { echo "$vdev" > "$drv/bind"; }
	sweep_undo
	ktap_check "${1}_unbound" sweep_gone
	faults_sweep "$1" bind bound
	# Still bound when the sweep stopped at the kernel's /proc/irq defect.
	if { [ -e "$drv/$vdev" ] || sweep_plain; } && sweep_works; then
		ktap_ok "${1}_binds_after_sweep"
	else
		ktap_fail "${1}_binds_after_sweep"
	fi
	faults_leaks "${1}_no_leak_after_sweep"
}
