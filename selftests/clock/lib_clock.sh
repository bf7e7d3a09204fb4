# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Shared by the clock selftests: paths and small helpers.  Source it after
# selftests/lib/pvlens.sh.

# shellcheck disable=SC2034  # used by the scripts that source this file

CLK=/sys/kernel/pvlens/clock
DBG=/sys/kernel/debug/pvlens_clock
SIM_DBG=/sys/kernel/debug/pvlens_clock_sim
SIM_KO=$PVLENS_TOP/drivers/clock/pvlens_clock_sim.ko
CLK_KO=$PVLENS_TOP/drivers/clock/pvlens_clock.ko
NO_KVM="unavailable: no KVM paravirt features"

[ -d /sys/kernel/debug/pvlens_clock ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

# Online CPUs, one number per line.
online_cpus() {
	local c
	for c in /sys/devices/system/cpu/cpu[0-9]*; do
		c=${c##*cpu}
		if [ ! -e "/sys/devices/system/cpu/cpu$c/online" ] ||
			[ "$(cat "/sys/devices/system/cpu/cpu$c/online")" = 1 ]; then
			echo "$c"
		fi
	done
}

# sim_state KEY: a global value from the simulator's state file.
sim_state() {
	awk -v k="$1" '$1 == k { print $2 }' $SIM_DBG/state
}

# sim_cpu_state CPU KEY: a per-CPU value from the simulator's state file.
sim_cpu_state() {
	awk -v c="cpu$1" -v k="$2" '$1 == c { for (i = 2; i < NF; i++) if ($i == k) print $(i + 1) }' $SIM_DBG/state
}

sim_ctl() {
	echo "$*" > $SIM_DBG/control
}

# abs N
abs() {
	local v=$1
	echo "${v#-}"
}

# isnum V: V is a (signed) decimal integer.
isnum() {
	[[ $1 =~ ^-?[0-9]+$ ]]
}
