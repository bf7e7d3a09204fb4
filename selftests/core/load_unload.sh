#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# pvlens_core and pvlens_core_test unload and load again 20 times, leave
# nothing behind in sysfs or debugfs, come back with fresh numbers, and are
# loaded again at the end (later tests of the configuration expect them).
. "$PVLENS_TOP/selftests/lib/pvlens.sh"

KO=$PVLENS_TOP/drivers/core
SYS=/sys/devices/pvlens_test/pvlens
INJECT=/sys/kernel/debug/pvlens_test/inject
ROUNDS=20

# gone: nothing of either module is left anywhere.
gone() {
	[ ! -e /sys/module/pvlens_core_test ] && [ ! -e /sys/module/pvlens_core ] &&
		[ ! -e /sys/devices/pvlens_test ] &&
		[ ! -e /sys/kernel/debug/pvlens ] &&
		[ ! -e /sys/kernel/debug/pvlens_test ] &&
		! grep -q '^pvlens_core' /proc/modules
}

# present: both modules and every published directory are there.
present() {
	[ -d /sys/module/pvlens_core ] && [ -d /sys/module/pvlens_core_test ] &&
		[ -d $SYS/q0 ] && [ -d $SYS/q1 ] &&
		[ -f /sys/kernel/debug/pvlens/pvlens_test/q1/histogram ] &&
		[ "$(cat $SYS/queues)" = "$(printf 'q0\nq1')" ]
}

ktap_plan 7

[ -d /sys/kernel/debug/pvlens ] || mount -t debugfs debugfs /sys/kernel/debug

# Leave marks that a fresh load must not show.
if [ -w $INJECT ] && echo "op 0 read 1500 4096 0" > $INJECT &&
	echo N > /sys/module/pvlens_core/parameters/timing &&
	[ "$(cat $SYS/q0/read_ops)" -ge 1 ]; then
	ktap_ok "marked before unloading"
else
	ktap_fail "marked before unloading"
fi

# Microseconds since the epoch, for the timing diagnostics.
now_us() {
	local t=${EPOCHREALTIME/./}
	echo "$t"
}

unload_fail=0 leftover=0 load_fail=0 unload_us=0 load_us=0
for i in $(seq $ROUNDS); do
	t0=$(now_us)
	if ! rmmod pvlens_core_test || ! rmmod pvlens_core; then
		echo "# round $i: rmmod failed"
		unload_fail=$((unload_fail + 1))
		break
	fi
	t1=$(now_us)
	if ! gone; then
		echo "# round $i: left behind:" \
			"$(ls -d /sys/module/pvlens_core* /sys/devices/pvlens_test \
				/sys/kernel/debug/pvlens* 2>/dev/null | tr '\n' ' ')"
		leftover=$((leftover + 1))
	fi
	t2=$(now_us)
	if ! insmod "$KO/pvlens_core.ko" || ! insmod "$KO/pvlens_core_test.ko" ||
		! present; then
		echo "# round $i: load failed"
		load_fail=$((load_fail + 1))
		break
	fi
	unload_us=$((unload_us + t1 - t0))
	load_us=$((load_us + $(now_us) - t2))
done
echo "# $ROUNDS rounds: unload $((unload_us / 1000)) ms, load $((load_us / 1000)) ms"
ktap_eq "unloaded $ROUNDS times" "$unload_fail" 0
ktap_eq "nothing left in sysfs/debugfs after unload" "$leftover" 0
ktap_eq "loaded $ROUNDS times with every directory" "$load_fail" 0
ktap_eq "fresh numbers after reload" "$(cat $SYS/q0/read_ops 2>&1)" 0
ktap_eq "timing back to default Y" \
	"$(cat /sys/module/pvlens_core/parameters/timing 2>&1)" Y

# The key can start switched off from the command line, too.
rmmod pvlens_core_test && rmmod pvlens_core &&
	insmod "$KO/pvlens_core.ko" timing=N
ktap_eq "timing=N at load" \
	"$(cat /sys/module/pvlens_core/parameters/timing 2>&1)" N
rmmod pvlens_core
insmod "$KO/pvlens_core.ko" && insmod "$KO/pvlens_core_test.ko"

ktap_exit
