#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# CPU hotplug while every pvlens_clock file is read in a loop, with the
# simulated hypervisor attached: the offline CPU is reported offline, its
# history restarts when it comes back, and the steal window is exact again
# one second later.  Leaves the simulator unloaded.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/clock/lib_clock.sh"

DUTY=500000
ROUNDS=10
ONLINE=/sys/devices/system/cpu/cpu1/online
ktap_plan 4

if [ ! -w $ONLINE ]; then
	for t in hotplug_offline_reported hotplug_reads_survive hotplug_window_exact_after_online hotplug_sim_unloads; do
		ktap_skip $t "cpu1 cannot be taken offline"
	done
	exit 0
fi
rmmod pvlens_clock_sim 2>/dev/null
insmod "$SIM_KO" duty_ppm=$DUTY || { ktap_fail hotplug_offline_reported; exit 1; }

reader() {
	while :; do
		cat $CLK/cpu*/* $CLK/* $DBG/summary $DBG/snapshot > /dev/null 2>&1
	done
}
reader & r1=$!
reader & r2=$!

off_seen=1
for _ in $(seq $ROUNDS); do
	echo 0 > $ONLINE
	sleep 0.25
	awk '$1 == 1 && $2 != 0 { exit 1 }' $DBG/summary || off_seen=0
	echo 1 > $ONLINE
	sleep 0.25
done
kill $r1 $r2
wait $r1 $r2 2>/dev/null
ktap_check hotplug_offline_reported [ $off_seen = 1 ]
ktap_eq hotplug_reads_survive "$(cat $ONLINE) $(awk '$1 == 1 { print $2 }' $DBG/summary)" "1 1"

sleep 1.3
ok=1
for c in $(online_cpus); do
	v=$(cat $CLK/cpu$c/steal_ppm_1s)
	echo "# cpu$c steal_ppm_1s $v"
	[ "$v" = $DUTY ] || ok=0
done
ktap_check hotplug_window_exact_after_online [ $ok = 1 ]

rmmod pvlens_clock_sim
ktap_eq hotplug_sim_unloads "$(cat $CLK/source)" "$NO_KVM"
ktap_exit
