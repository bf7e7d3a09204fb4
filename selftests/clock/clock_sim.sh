#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# pvlens_clock against the simulated hypervisor (pvlens_clock_sim), whose
# own bookkeeping (debugfs state) is the independent side of every check:
# exact steal windows for an injected duty cycle, exact steal deltas, exact
# count of pvclock updates, preempted sightings, mul/shift changes, and the
# pvclock rate against the TSC.  Leaves the simulator unloaded.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/clock/lib_clock.sh"

DUTY=250000
ktap_plan 11

rmmod pvlens_clock_sim 2>/dev/null
if ! insmod "$SIM_KO" duty_ppm=$DUTY; then
	ktap_fail sim_attaches
	exit 1
fi
ktap_eq sim_attaches "$(cat $CLK/source)" simulated
CPUS=$(online_cpus)

# 11 s of a constant 1/4 duty cycle: the 1 s and 10 s windows, and the 60 s
# one over the history so far, are exactly 250000 ppm on every CPU.
sleep 11
ok=1
for c in $CPUS; do
	for w in 1s 10s 60s; do
		v=$(cat $CLK/cpu$c/steal_ppm_$w)
		[ "$v" = $DUTY ] || { echo "# cpu$c steal_ppm_$w $v"; ok=0; }
	done
done
ktap_check sim_steal_windows_exact_for_duty_cycle [ $ok = 1 ]

# The simulated pvclock is the TSC scaled by tsc_khz: over one window (the
# debugfs drift file) it drifts from the clocksource exactly as the TSC does,
# to the truncation of mul and of the two scalings (a few ppb).
drift() {
	awk -v k="$1" '$1 == k { print $2 }' $DBG/drift
}
# drift_pair: t and p, the TSC and pvclock rates of one window.
drift_pair() {
	# shellcheck disable=SC2046
	set -- $(awk '$1 == "tsc_ppb" { t = $2 } $1 == "pvclock_ppb" { p = $2 } END { print t, p }' $DBG/drift)
	t=${1:-none} p=${2:-none}
}
drift_pair
echo "# drift_tsc_ppb $t drift_pvclock_ppb $p over $(drift window_ns) ns (sysfs: $(cat $CLK/drift_tsc_ppb) $(cat $CLK/drift_pvclock_ppb))"
ok=0
isnum "$t" && isnum "$p" && [ "$(abs $((p - t)))" -le 5 ] && ok=1
ktap_check sim_pvclock_rate_equals_tsc_rate [ $ok = 1 ]

# The published scale, read back.
ok=1
for c in $CPUS; do
	[ "$(cat $CLK/cpu$c/pvclock_mul)" = "$(sim_state mul)" ] &&
		[ "$(cat $CLK/cpu$c/pvclock_shift)" = "$(sim_state shift)" ] &&
		[ "$(cat $CLK/cpu$c/pvclock_flags)" = 1 ] &&
		[ "$(cat $CLK/cpu$c/pvclock_tsc_stable)" = 1 ] || ok=0
done
ktap_check sim_pvclock_fields_match_hypervisor [ $ok = 1 ]

# A duty change shows in the 1 s window exactly, in the 10 s one partly.
echo 100000 > /sys/module/pvlens_clock_sim/parameters/duty_ppm
sleep 1.5
ok=1
for c in $CPUS; do
	v1=$(cat $CLK/cpu$c/steal_ppm_1s); v10=$(cat $CLK/cpu$c/steal_ppm_10s)
	echo "# cpu$c after 100000 ppm for 1.5 s: 1s $v1 10s $v10"
	[ "$v1" = 100000 ] && [ "$v10" -gt 100000 ] && [ "$v10" -lt $DUTY ] || ok=0
done
ktap_check sim_steal_window_follows_duty_change [ $ok = 1 ]

# Without duty, steal moves only by what is injected: to the nanosecond, as
# the hypervisor booked it, and the kernel (no steal clock here) saw none.
echo 0 > /sys/module/pvlens_clock_sim/parameters/duty_ppm
sleep 0.1
ok=1
for c in $CPUS; do
	s0=$(cat $CLK/cpu$c/steal_ns)
	sim_ctl steal "$c" $((123456789 + c))
	sleep 0.05
	s1=$(cat $CLK/cpu$c/steal_ns)
	h=$(sim_cpu_state "$c" steal)
	k=$(cat $CLK/cpu$c/kernel_steal_ns)
	d=$(cat $CLK/cpu$c/steal_diff_ns)
	echo "# cpu$c steal $s0 -> $s1 (hypervisor $h), kernel $k, diff $d"
	[ $((s1 - s0)) = $((123456789 + c)) ] && [ "$s1" = "$h" ] &&
		[ "$d" = $((s1 - k)) ] || ok=0
done
ktap_check sim_steal_delta_exact [ $ok = 1 ]

# Every pvclock update the hypervisor made while sampling is counted once.
sim_ctl paused 1
sleep 0.3
c0=$(cat $CLK/cpu0/pvclock_version_changes); u0=$(sim_cpu_state 0 updates)
sim_ctl paused 0
sleep 0.7
sim_ctl paused 1
sleep 0.3
c1=$(cat $CLK/cpu0/pvclock_version_changes); u1=$(sim_cpu_state 0 updates)
sim_ctl paused 0
echo "# version changes $c0 -> $c1, hypervisor updates $u0 -> $u1"
ok=0
[ $((c1 - c0)) = $((u1 - u0)) ] && [ $((u1 - u0)) -gt 100 ] && ok=1
ktap_check sim_version_changes_exact [ $ok = 1 ]

# Preempted: seen on cpu1 while set, never while clear, never on cpu0.
last=$(echo "$CPUS" | tail -n 1)
p0=$(cat $CLK/cpu$last/preempted_seen); q0=$(cat $CLK/cpu0/preempted_seen)
sim_ctl preempted "$last" 1
sleep 0.55
sim_ctl preempted "$last" 0
sleep 0.15
p1=$(cat $CLK/cpu$last/preempted_seen)
sleep 0.5
p2=$(cat $CLK/cpu$last/preempted_seen); q2=$(cat $CLK/cpu0/preempted_seen)
echo "# cpu$last preempted_seen $p0 -> $p1 -> $p2, cpu0 $q0 -> $q2"
ok=0
[ $((p1 - p0)) -ge 3 ] && [ "$p2" = "$p1" ] && { [ "$last" = 0 ] || [ "$q2" = "$q0" ]; } && ok=1
ktap_check sim_preempted_seen_while_set [ $ok = 1 ]

# Migration to a host whose TSC runs at half the rate: new mul/shift, time
# continuous, and the pvclock now runs twice as fast as the TSC says.
khz=$(sim_state tsc_khz)
sim_ctl tsc_khz $((khz / 2))
sleep 0.1
ok=1
for c in $CPUS; do
	[ "$(cat $CLK/cpu$c/pvclock_mul)" = "$(sim_state mul)" ] &&
		[ "$(cat $CLK/cpu$c/pvclock_shift)" = "$(sim_state shift)" ] || ok=0
done
echo "# tsc_khz $khz -> $((khz / 2)): mul $(sim_state mul) shift $(sim_state shift)"
ktap_check sim_scale_change_published [ $ok = 1 ]
sleep 10.5
drift_pair
# rate = khz / (khz / 2) * (1 + tsc), in ppb, to a few ppb as above.
ok=0
if isnum "$t" && isnum "$p"; then
	want=$(( khz * (1000000000 + t) / (khz / 2) - 1000000000 ))
	echo "# after the change: drift_tsc_ppb $t drift_pvclock_ppb $p (expect $want) over $(drift window_ns) ns"
	[ "$(abs $((p - want)))" -le 5 ] && ok=1
fi
ktap_check sim_pvclock_rate_doubles_after_scale_change [ $ok = 1 ]

rmmod pvlens_clock_sim
ktap_eq sim_detaches "$(cat $CLK/source)" "$NO_KVM"
ktap_exit
