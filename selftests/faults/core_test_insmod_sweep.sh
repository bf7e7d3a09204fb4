#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# insmod pvlens_core_test with its Nth allocation failed, for every N: each
# step ends either loaded and working (the statistics it is fed read back
# right) or refused with an errno and nothing left behind (no module, no
# sysfs or debugfs directory), and a plain insmod works after every refusal.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/faults/lib_faults.sh"
faults_require 7

KO=$PVLENS_TOP/drivers/core/pvlens_core_test.ko
SYS=/sys/devices/pvlens_test/pvlens
INJECT=/sys/kernel/debug/pvlens_test/inject
READBACK=/sys/kernel/debug/pvlens_test/readback

# works: one op fed in is seen by sysfs and by the readback.  debugfs is
# best effort (its failures never fail a load): without it, the sysfs
# statistics must still be there, at zero.
works() {
	if [ ! -e $INJECT ]; then
		nodebugfs=$((nodebugfs + 1))
		[ "$(cat $SYS/q1/write_ops 2> /dev/null)" = 0 ]
		return
	fi
	echo "op 1 write 2500 512 0" > $INJECT 2> /dev/null &&
		[ "$(cat $SYS/q1/write_ops 2> /dev/null)" = 1 ] &&
		[ "$(cat $SYS/q1/write_bytes 2> /dev/null)" = 512 ] &&
		grep -q '^q1 write 1 512 0 1 2500 ' $READBACK 2> /dev/null
}

# gone: no trace of the test device anywhere.
gone() {
	! grep -q '^pvlens_core_test ' /proc/modules &&
		[ ! -e /sys/devices/pvlens_test ] &&
		[ ! -e /sys/kernel/debug/pvlens_test ] &&
		[ ! -e /sys/kernel/debug/pvlens/pvlens_test ]
}

if grep -q '^pvlens_core_test ' /proc/modules; then
	rmmod pvlens_core_test
fi
ktap_check "core_test_absent_before_sweep" gone

loaded=0 refused=0 bad=0 broken=0 done=0 n=0 nodebugfs=0
declare -A errs
for n in $(seq 1 "$FAULTS_STRIDE" "$FAULTS_MAX_STEPS"); do
	if ! faults_step "$n" insmod "$KO"; then
		echo "# step $n: fail_nth did not run"
		bad=$((bad + 1))
		break
	fi
	if [ "$step_rc" = 0 ]; then
		loaded=$((loaded + 1))
		if ! works; then
			echo "# step $n: loaded but not working"
			broken=$((broken + 1))
		fi
		rmmod pvlens_core_test || { echo "# step $n: rmmod failed"; bad=$((bad + 1)); break; }
		gone || { echo "# step $n: left behind after rmmod"; bad=$((bad + 1)); }
	else
		refused=$((refused + 1))
		errs[$step_rc]=$((${errs[$step_rc]:-0} + 1))
		if ! gone; then
			echo "# step $n: refused ($step_rc) but left behind:" \
				"$(ls -d /sys/devices/pvlens_test /sys/kernel/debug/pvlens_test \
					/sys/kernel/debug/pvlens/pvlens_test 2> /dev/null | tr '\n' ' ')"
			bad=$((bad + 1))
			grep -q '^pvlens_core_test ' /proc/modules && rmmod pvlens_core_test
		fi
		# A refusal must not poison the next attempt.
		if ! insmod "$KO" || ! works || ! rmmod pvlens_core_test || ! gone; then
			echo "# step $n: plain insmod after the refusal failed"
			broken=$((broken + 1))
			grep -q '^pvlens_core_test ' /proc/modules && rmmod pvlens_core_test
		fi
	fi
	if [ "$step_injected" = 0 ]; then
		done=1
		break
	fi
	faults_progress "$n" "$loaded loaded, $refused refused"
done
summary=""
for e in "${!errs[@]}"; do
	summary+=" $(faults_errno_name "$e")x${errs[$e]}"
done
echo "# $n steps: $loaded loaded and working ($nodebugfs without debugfs)," \
	"$refused refused (${summary# }), $bad unclean, $broken broken"
ktap_check "core_test_sweep_reached_last_allocation" [ $done = 1 ]
ktap_eq "core_test_every_step_clean" "$bad" 0
ktap_eq "core_test_every_load_works_every_refusal_recovers" "$broken" 0
# Injection that never refuses anything would prove nothing.
ktap_check "core_test_some_steps_refused" [ "$refused" -gt 0 ]
nodebugfs=0
if insmod "$KO" && works && [ $nodebugfs = 0 ]; then
	ktap_ok "core_test_loads_after_sweep"
else
	ktap_fail "core_test_loads_after_sweep"
fi
rmmod pvlens_core_test 2> /dev/null
faults_leaks "core_test_no_leak_after_sweep"
ktap_exit
