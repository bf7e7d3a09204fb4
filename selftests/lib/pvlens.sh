# SPDX-License-Identifier: GPL-2.0
# Helpers for shell selftests run by qemu-test/guest-init: KTAP output, QMP to
# this guest's QEMU, and host facts, through the control serial port (ttyS1)
# that the host harness bridges.  Source it: . "$PVLENS_TOP/selftests/lib/pvlens.sh"

PVLENS_TOP=${PVLENS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
PVLENS_CTL=${PVLENS_CTL:-/dev/ttyS1}
ktap_n=0
ktap_failed=0

ktap_plan() {
	echo "TAP version 13"
	echo "1..$1"
}

ktap_ok() {
	ktap_n=$((ktap_n + 1))
	echo "ok $ktap_n $*"
}

ktap_fail() {
	ktap_n=$((ktap_n + 1))
	ktap_failed=$((ktap_failed + 1))
	echo "not ok $ktap_n $*"
}

ktap_skip() {
	local name=$1
	shift
	ktap_n=$((ktap_n + 1))
	echo "ok $ktap_n $name # SKIP $*"
}

# ktap_check NAME CMD...: ok when CMD succeeds.
ktap_check() {
	local name=$1
	shift
	if "$@"; then ktap_ok "$name"; else ktap_fail "$name"; fi
}

# ktap_result NAME: ok when the command just before succeeded; for compound
# conditions, which ktap_check cannot take ("[ a ] && [ b ]; ktap_result N").
ktap_result() {
	if [ $? -eq 0 ]; then ktap_ok "$1"; else ktap_fail "$1"; fi
}

# ktap_eq NAME GOT WANT: ok when equal, else a diagnostic line and not ok.
ktap_eq() {
	if [ "$2" = "$3" ]; then
		ktap_ok "$1"
	else
		echo "# $1: got '$2', want '$3'"
		ktap_fail "$1"
	fi
}

# Exit status for the end of a test script.
ktap_exit() {
	[ "$ktap_failed" -eq 0 ]
	exit $?
}

# pvlens_ctl LINE: one request to the host, prints its one-line answer.
pvlens_ctl() {
	local reply
	exec 9<>"$PVLENS_CTL"
	printf '%s\n' "$1" >&9
	IFS= read -r reply <&9
	exec 9>&-
	printf '%s\n' "$reply"
}

# pvlens_qmp JSON: run a QMP command on this guest's QEMU; prints the answer
# ({"return": ...} or {"error": ...}) as one JSON line.
pvlens_qmp() {
	pvlens_ctl "$1"
}

# pvlens_host time|events|qemu-cputime|tap-stats ID|tap-exec ID CMD...: host
# CLOCK_REALTIME ns, the QMP events seen since the last call (JSON array), the
# QEMU process's CPU time in ns (user + system, host /proc/<pid>/stat), the
# host side of a tap-netns device (ip -j -s link), or CMD run in its namespace.
pvlens_host() {
	pvlens_ctl "host $*"
}

# pvlens_wait_event NAME [SECONDS]: wait until QEMU emitted QMP event NAME.
pvlens_wait_event() {
	local i
	for i in $(seq $((${2:-10} * 10))); do
		pvlens_host events | grep -q "\"$1\"" && return 0
		sleep 0.1
	done
	return 1
}

# Calls of a kernel function counted by a kprobe event (group pvlens_test):
# pvlens_kprobe_add NAME SYMBOL, pvlens_kprobe_hits NAME, pvlens_kprobe_del
# NAME.  The count is the kernel's own (kprobe_profile).  Adding fails
# where the kernel has no kprobe events.
PVLENS_TRACING=/sys/kernel/tracing
[ -e $PVLENS_TRACING/kprobe_events ] || PVLENS_TRACING=/sys/kernel/debug/tracing
pvlens_kprobe_add() {
	[ -e "$PVLENS_TRACING/kprobe_events" ] || return 1
	echo "p:pvlens_test/$1 $2" >> "$PVLENS_TRACING/kprobe_events" &&
		echo 1 > "$PVLENS_TRACING/events/pvlens_test/$1/enable"
}
pvlens_kprobe_hits() {
	awk -v n="$1" '$1 == n || $1 == "pvlens_test/" n { print $2 }' \
		"$PVLENS_TRACING/kprobe_profile"
}
pvlens_kprobe_del() {
	[ -e "$PVLENS_TRACING/events/pvlens_test/$1" ] || return 0
	echo 0 > "$PVLENS_TRACING/events/pvlens_test/$1/enable"
	echo "-:pvlens_test/$1" >> "$PVLENS_TRACING/kprobe_events"
}

# pvlens_pm_cycle VIRTIO_DEV: the PM core's system-sleep sequence for one
# virtio device (virtio_device_freeze(), then virtio_device_restore()),
# through pvlens_sim's debugfs file (Documentation/ABI/testing/debugfs-pvlens-sim).
# False, and no output, where the kernel has no system sleep (PM_SLEEP).
pvlens_pm_cycle() {
	[ -e /sys/kernel/debug/pvlens_sim/pm_cycle ] || return 1
	echo "$1" > /sys/kernel/debug/pvlens_sim/pm_cycle
}

# pvlens_wait_until SECONDS CMD...: until CMD succeeds, every 0.1 s; false
# when SECONDS pass first.
pvlens_wait_until() {
	local n=$(($1 * 10)) _
	shift
	for _ in $(seq "$n"); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
