#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# pvlens_clock without KVM paravirt features (QEMU TCG): it loads, says why
# in one line and in `source`, serves no steal/pvclock numbers, and still
# measures drift, counts realtime jumps and runs the exit probe.  Realtime is
# checked against the host's own clock around a sleep.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/clock/lib_clock.sh"

ktap_plan 11

if dmesg | grep -q 'Hypervisor detected: KVM'; then
	for i in $(seq 11); do ktap_skip "clock_tcg_$i" "KVM paravirt present: not a TCG guest"; done
	exit 0
fi

ktap_eq clock_source_says_unavailable "$(cat $CLK/source)" "$NO_KVM"
ktap_eq clock_load_line_once \
	"$(dmesg | grep -c 'pvlens_clock: steal time and pvclock unavailable: no KVM paravirt features, serving clock drift only; pvclock math self-test: [0-9]* cases pass')" 1

# Steal/pvclock files refuse to invent numbers; the kernel's own count is
# there and agrees with /proc/stat (10 ms USER_HZ ticks, 0 without steal).
ok=1
for c in $(online_cpus); do
	cat $CLK/cpu$c/steal_ns > /dev/null 2>&1 && ok=0
	cat $CLK/cpu$c/pvclock_mul > /dev/null 2>&1 && ok=0
	cat $CLK/cpu$c/steal_ppm_1s > /dev/null 2>&1 && ok=0
	k=$(cat $CLK/cpu$c/kernel_steal_ns)
	p=$(awk -v c="cpu$c" '$1 == c { print $9 }' /proc/stat)
	[ "$k" = 0 ] && [ "$p" = 0 ] || { echo "# cpu$c kernel_steal_ns $k /proc/stat steal $p"; ok=0; }
done
ktap_check clock_no_steal_without_source [ $ok = 1 ]

ktap_eq clock_clocksource_is_current "$(cat $CLK/clocksource)" \
	"$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
if dmesg | grep -q 'Marking TSC unstable'; then
	ktap_eq clock_tsc_marked_unstable "$(cat $CLK/tsc_stable)" 0
else
	ktap_skip clock_tsc_marked_unstable "the kernel did not mark the TSC unstable"
fi

# Guest realtime against the host's realtime over a sleep.  Each host read
# is bracketed by guest reads ($EPOCHREALTIME: no fork), the tightest of
# three brackets is kept, and half of it bounds the error.
# host_sample: sets hs (host ns), gs (guest midpoint ns), gb (bracket ns).
host_sample() {
	local i a b h
	gb=
	for i in 1 2 3; do
		a=${EPOCHREALTIME/./}; h=$(pvlens_host time); b=${EPOCHREALTIME/./}
		[ -n "$h" ] || continue
		if [ -z "$gb" ] || [ $(((b - a) * 1000)) -lt "$gb" ]; then
			gb=$(((b - a) * 1000)); gs=$(((a + b) * 500)); hs=$h
		fi
	done
}
host_sample; h0=$hs; g0=$gs; b0=$gb
sleep 10
host_sample; h1=$hs; g1=$gs; b1=$gb
if [ -z "$b0" ] || [ -z "$b1" ]; then
	ktap_fail "clock_realtime_rate_matches_host # no host time"
else
	dg=$((g1 - g0))
	dh=$((h1 - h0))
	host_ppb=$(( (dg - dh) * 1000000000 / dh ))
	# Half of each bracket, plus 20 ppm for the rest.
	tol=$(( (b0 + b1) / 2 * 1000000000 / dh + 20000 ))
	mod=$(cat $CLK/drift_realtime_ppb)
	echo "# guest-vs-host realtime $host_ppb ppb (+-$tol, brackets $b0 $b1 ns), module realtime-vs-raw $mod ppb over $(cat $CLK/drift_window_ns) ns"
	ktap_check clock_realtime_rate_matches_host [ "$(abs $((host_ppb - mod)))" -le "$tol" ]
fi

w=$(cat $CLK/drift_window_ns)
t=$(cat $CLK/drift_tsc_ppb)
echo "# drift_tsc_ppb $t over $w ns"
# Sane: a window of 9-10 s (10 s history, 100 ms samples), and TSC against
# the clocksource within 0.5% (TCG derives both from the host clock).
ok=0
[ "$w" -ge 9000000000 ] && [ "$w" -le 10000000000 ] && [ "$(abs "$t")" -lt 5000000 ] && ok=1
ktap_check clock_drift_present_and_sane [ $ok = 1 ]
if cat $CLK/drift_pvclock_ppb > /dev/null 2>&1; then
	ktap_fail clock_no_pvclock_drift_without_source
else
	ktap_ok clock_no_pvclock_drift_without_source
fi

# settimeofday() is a jump, counted once, never drift.
j0=$(cat $CLK/realtime_jumps)
date -s "@$(( $(date +%s) + 1000 ))" > /dev/null
sleep 0.5
j1=$(cat $CLK/realtime_jumps)
d=$(cat $CLK/drift_realtime_ppb 2>/dev/null || echo 0)
date -s "@$(( $(date +%s) - 1000 ))" > /dev/null
sleep 0.5
j2=$(cat $CLK/realtime_jumps)
echo "# realtime_jumps $j0 -> $j1 -> $j2, drift_realtime_ppb after the jump $d"
ok=0
[ $((j1 - j0)) = 1 ] && [ $((j2 - j1)) = 1 ] && [ "$(abs "$d")" -lt 1000000 ] && ok=1
ktap_check clock_realtime_jump_counted_not_drift [ $ok = 1 ]

# The exit probe, on demand.
if dmesg | grep -q 'Hypervisor detected'; then want="hardware exits"; else want="tcg emulation"; fi
ktap_eq clock_exit_probe_labelled "$(cat $CLK/exit_probe_source)" "$want"
runs=$(cat $CLK/exit_probe)
echo 1 > $CLK/exit_probe
ok=1
for k in cpuid msr pio mmio; do
	m=$(cat $CLK/exit_${k}_median_ns); p=$(cat $CLK/exit_${k}_p99_ns); x=$(cat $CLK/exit_${k}_max_ns)
	echo "# exit $k: median $m p99 $p max $x ns"
	[ "$m" -gt 0 ] && [ "$m" -le "$p" ] && [ "$p" -le "$x" ] && [ "$m" -lt 1000000 ] || ok=0
done
echo "# mmio target: $(cat $CLK/exit_probe_mmio_target), clock: $(cat $CLK/exit_probe_clock)"
[ "$(cat $CLK/exit_probe)" = $((runs + 1)) ] || ok=0
[ "$(cat $CLK/exit_probe_mmio_target)" != none ] || ok=0
ktap_check clock_exit_probe_ordered_numbers [ $ok = 1 ]
ktap_exit
