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

# sweep_works: one op fed in is seen by sysfs and by the readback.  debugfs
# is best effort, file by file (its failures never fail a load): without the
# inject file the sysfs statistics must still be there, at zero; without the
# readback file sysfs alone shows the op.
sweep_works() {
	if [ ! -e $INJECT ]; then
		nodebugfs=$((nodebugfs + 1))
		[ "$(cat $SYS/q1/write_ops 2> /dev/null)" = 0 ]
		return
	fi
	echo "op 1 write 2500 512 0" > $INJECT 2> /dev/null &&
		[ "$(cat $SYS/q1/write_ops 2> /dev/null)" = 1 ] &&
		[ "$(cat $SYS/q1/write_bytes 2> /dev/null)" = 512 ] || return 1
	if [ ! -e $READBACK ]; then
		nodebugfs=$((nodebugfs + 1))
		return 0
	fi
	grep -q '^q1 write 1 512 0 1 2500 ' $READBACK 2> /dev/null
}

# sweep_gone: no trace of the test device anywhere.
sweep_gone() {
	! grep -q '^pvlens_core_test ' /proc/modules &&
		[ ! -e /sys/devices/pvlens_test ] &&
		[ ! -e /sys/kernel/debug/pvlens_test ] &&
		[ ! -e /sys/kernel/debug/pvlens/pvlens_test ]
}
sweep_left() {
	ls -d /sys/devices/pvlens_test /sys/kernel/debug/pvlens_test \
		/sys/kernel/debug/pvlens/pvlens_test 2> /dev/null | tr '\n' ' '
}
sweep_op() { faults_step "$1" insmod "$KO"; }
sweep_plain() { insmod "$KO"; }
sweep_undo() {
	grep -q '^pvlens_core_test ' /proc/modules || return 0
	rmmod pvlens_core_test
}

if grep -q '^pvlens_core_test ' /proc/modules; then
	rmmod pvlens_core_test
fi
ktap_check "core_test_absent_before_sweep" sweep_gone

nodebugfs=0
faults_sweep core_test load loaded
echo "# loads with part or all of debugfs missing: $nodebugfs"
nodebugfs=0
if sweep_plain && sweep_works && [ $nodebugfs = 0 ]; then
	ktap_ok "core_test_loads_after_sweep"
else
	ktap_fail "core_test_loads_after_sweep"
fi
rmmod pvlens_core_test 2> /dev/null
faults_leaks "core_test_no_leak_after_sweep"
ktap_exit
