#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Load/unload loops while the files are read: the simulator attaches and
# detaches 20 times, pvlens_clock cannot go while the simulator holds it,
# and pvlens_clock itself reloads 10 times, leaving nothing behind.  Ends
# with pvlens_clock loaded (as the configuration loaded it) and no simulator.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/clock/lib_clock.sh"

ktap_plan 4

reader() {
	while :; do
		cat $CLK/source $CLK/cpu*/steal_ns $CLK/cpu*/steal_ppm_1s \
			$DBG/summary $DBG/snapshot > /dev/null 2>&1
	done
}
# An open debugfs file holds the module (rmmod says "in use"): while
# pvlens_clock itself reloads, read only sysfs, which unloading waits for.
sysfs_reader() {
	while :; do
		cat $CLK/source $CLK/drift_tsc_ppb $CLK/cpu*/steal_ns \
			$CLK/cpu*/kernel_steal_ns > /dev/null 2>&1
	done
}
reader & rd=$!

ok=1
for i in $(seq 20); do
	insmod "$SIM_KO" duty_ppm=$((i * 10000)) || ok=0
	[ "$(cat $CLK/source)" = simulated ] || ok=0
	sleep 0.1
	rmmod pvlens_clock_sim || ok=0
	[ "$(cat $CLK/source)" = "$NO_KVM" ] || ok=0
done
ktap_check load_unload_sim_20_times [ $ok = 1 ]
kill $rd
wait $rd 2>/dev/null

# Only the simulator holds pvlens_clock now.
insmod "$SIM_KO"
if rmmod pvlens_clock 2>/dev/null; then
	ktap_fail load_unload_clock_held_by_sim
else
	ktap_ok load_unload_clock_held_by_sim
fi
rmmod pvlens_clock_sim
sysfs_reader & rd=$!

ok=1
for i in $(seq 10); do
	rmmod pvlens_clock || ok=0
	[ ! -e $CLK ] && [ ! -e $DBG ] && [ ! -e /sys/kernel/pvlens ] || ok=0
	insmod "$CLK_KO" sample_ms=$((10 + i * 10)) || ok=0
	[ "$(cat $CLK/source)" = "$NO_KVM" ] || ok=0
done
ktap_check load_unload_clock_10_times [ $ok = 1 ]
kill $rd
wait $rd 2>/dev/null

rmmod pvlens_clock && insmod "$CLK_KO"
ktap_eq load_unload_clock_back "$(cat /sys/module/pvlens_clock/parameters/sample_ms)" 100
ktap_exit
