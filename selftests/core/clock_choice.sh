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

# What auto must pick, from the kernel's own log up to the last load.
expected_clock() {
	local log unstable loaded

	grep -qw tsc /proc/cpuinfo || { echo local_clock; return; }
	log=$(dmesg)
	loaded=$(grep -n "$LOADED" <<<"$log" | tail -1 | cut -d: -f1)
	unstable=$(grep -n "Marking TSC unstable" <<<"$log" | head -1 | cut -d: -f1)
	if [ -n "$unstable" ] && [ "$unstable" -lt "${loaded:-0}" ]; then
		echo local_clock
	else
		echo tsc
	fi
}

# clock_test NAME: core_stats' clock test as one result, its own KTAP
# output kept as diagnostics.
clock_test() {
	local out rc

	out=$(./core/core_stats -t clock_agrees_with_monotonic 2>&1)
	rc=$?
	sed 's/^/# /' <<<"$out"
	[ $rc -eq 0 ]
	ktap_result "$1"
}

ktap_plan 7

want=$(expected_clock)
ktap_eq "auto picks the clock the kernel trusts" "$(cat $PARAM)" "$want"
clock_test "clock in ns agrees with CLOCK_MONOTONIC ($want)"

reload clock=local_clock
ktap_eq "clock=local_clock keeps off the TSC" "$(cat $PARAM 2>&1)" local_clock
clock_test "clock in ns agrees with CLOCK_MONOTONIC (local_clock)"

rmmod pvlens_core_test && rmmod pvlens_core
! insmod "$KO/pvlens_core.ko" clock=hpet 2>/dev/null && [ ! -e /sys/module/pvlens_core ]
ktap_result "clock=hpet fails the load"

insmod "$KO/pvlens_core.ko" && insmod "$KO/pvlens_core_test.ko"
want=$(expected_clock)
ktap_eq "a reload picks again what the kernel trusts" "$(cat $PARAM 2>&1)" "$want"
[ "$(dmesg | grep "$LOADED" | tail -1 | awk '{print $NF}')" = "$want" ]
ktap_result "the kernel log names the clock"

ktap_exit
