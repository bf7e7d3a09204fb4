#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The clock pvlens_core times with (parameters/clock): the TSC exactly when
# the guest kernel trusted it as pvlens_core loaded (the CPU has one and the
# log had not marked it unstable yet), local_clock otherwise and with
# clock=local_clock; each agrees with CLOCK_MONOTONIC (core_stats' clock
# test); a bad clock= fails the load.  Both modules are loaded at the end.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"

KO=$PVLENS_TOP/drivers/core
PARAM=/sys/module/pvlens_core/parameters/clock
LOADED="pvlens_core: latencies timed with"

reload() {
	rmmod pvlens_core_test && rmmod pvlens_core &&
		insmod "$KO/pvlens_core.ko" "$@" &&
		insmod "$KO/pvlens_core_test.ko"
}

# Both modules loaded, whatever failed before.
load_both() {
	[ -e /sys/module/pvlens_core ] || insmod "$KO/pvlens_core.ko" "$@"
	[ -e /sys/module/pvlens_core_test ] || insmod "$KO/pvlens_core_test.ko"
}

# What auto must pick, from the kernel's own log up to the last load (the
# boot's "Marking TSC unstable" line is still in it: this runs first).
expected_clock() {
	local log unstable loaded

	grep -qw tsc /proc/cpuinfo || { echo local_clock; return; }
	log=$(dmesg)
	loaded=$(grep -n "$LOADED" <<<"$log" | tail -1 | cut -d: -f1)
	if [ -z "$loaded" ]; then
		echo "no-load-line-in-log"
		return
	fi
	unstable=$(grep -n "Marking TSC unstable" <<<"$log" | head -1 | cut -d: -f1)
	if [ -n "$unstable" ] && [ "$unstable" -lt "$loaded" ]; then
		echo local_clock
	else
		echo tsc
	fi
}

# clock_test NAME: core_stats' clock test as one result (the 6.1 harness
# runs every test of the binary: only this one's lines count).
clock_test() {
	./core/core_stats 2>&1 |
		grep -E "^# slept|^(not )?ok [0-9]+ core.clock_agrees_with_monotonic$" |
		tee /tmp/clock_test.out | sed 's/^/# /'
	grep -qE "^ok [0-9]+ core.clock_agrees_with_monotonic$" /tmp/clock_test.out
	ktap_result "$1"
}

ktap_plan 8

want=$(expected_clock)
ktap_eq "auto picks the clock the kernel trusts" "$(cat $PARAM)" "$want"
# One vCPU: the configuration that exists to test the TSC path.
if [ "$(nproc --all)" != 1 ]; then
	ktap_skip "one vCPU times with the TSC" "$(nproc --all) vCPUs"
elif dmesg | grep -q "Marking TSC unstable"; then
	ktap_skip "one vCPU times with the TSC" \
		"$(dmesg | grep -m1 'Marking TSC unstable' | sed 's/.*\] //')"
else
	ktap_eq "one vCPU times with the TSC" "$(cat $PARAM)" tsc
fi
clock_test "clock in ns agrees with CLOCK_MONOTONIC ($want)"

reload clock=local_clock || load_both clock=local_clock
ktap_eq "clock=local_clock keeps off the TSC" "$(cat $PARAM 2>&1)" local_clock
clock_test "clock in ns agrees with CLOCK_MONOTONIC (local_clock)"

rmmod pvlens_core_test && rmmod pvlens_core
! insmod "$KO/pvlens_core.ko" clock=hpet 2>/dev/null && [ ! -e /sys/module/pvlens_core ]
ktap_result "clock=hpet fails the load"

rmmod pvlens_core_test pvlens_core 2>/dev/null
load_both
want=$(expected_clock)
ktap_eq "a reload picks again what the kernel trusts" "$(cat $PARAM 2>&1)" "$want"
[ "$(dmesg | grep "$LOADED" | tail -1 | awk '{print $NF}')" = "$want" ]
ktap_result "the kernel log names the clock"

ktap_exit
