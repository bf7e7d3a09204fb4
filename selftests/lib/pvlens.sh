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

# pvlens_pm_state: what PVLENS_PM writes to /sys/power/state (freeze for
# system, disk for hibernate), nothing for the per-device cycle.
pvlens_pm_state() {
	case $PVLENS_PM in
	system) echo freeze ;;
	hibernate) echo disk ;;
	esac
}

# pvlens_pm_cycle VIRTIO_DEV...: a system sleep's freeze and restore of
# these virtio devices.  By default the PM core's virtio sequence for each
# device alone (virtio_device_freeze(), then virtio_device_restore()),
# through pvlens_sim's debugfs file (Documentation/ABI/testing/debugfs-pvlens-sim).
# With PVLENS_PM=system, one real suspend to idle of the whole guest, cut
# short after the devices' suspend by pm_test=devices (the PM core resumes
# them 5 s later): user space is frozen, and every device, these included,
# goes through its bus's and transport's prepare, suspend, resume and
# complete callbacks (virtio_pci's freeze and restore).  The late and noirq
# phases do not run (no PCI config space save, no D3), nor does the CPU
# idle.  With PVLENS_PM=hibernate, the same for hibernation: the devices'
# freeze callbacks, then, as pm_test=devices ends it before the image is
# made, their restore callbacks.  The guest's root filesystem (9p over
# virtio, whose driver has no freeze/restore) is left out of both.  Check
# pvlens_pm_unavailable first.
pvlens_pm_cycle() {
	local dev pci skip="" rc=0 state
	state=$(pvlens_pm_state)
	if [ -z "$state" ]; then
		for dev in "$@"; do
			echo "$dev" > /sys/kernel/debug/pvlens_sim/pm_cycle || rc=1
		done
		return $rc
	fi
	for dev in /sys/bus/virtio/drivers/9pnet_virtio/virtio*; do
		[ -e "$dev" ] || continue
		pci=$(basename "$(readlink -f "$dev/..")")
		if ! echo "$pci 1" > /sys/kernel/debug/pvlens_sim/pm_skip; then
			rc=1
			break
		fi
		skip="$skip $pci"
	done
	if [ $rc = 0 ]; then
		echo devices > /sys/power/pm_test &&
			echo "$state" > /sys/power/state || rc=1
		echo none > /sys/power/pm_test
	fi
	for pci in $skip; do
		echo "$pci 0" > /sys/kernel/debug/pvlens_sim/pm_skip
	done
	return $rc
}

# pvlens_pm_pci_restores: the virtio_pci_restore() calls pvlens_pm_cycle
# makes: none for the per-device cycle, which leaves the PCI layer out; in
# a whole-guest sleep one per virtio-pci device but the 9p root's.
pvlens_pm_pci_restores() {
	local d n=0
	[ -n "$(pvlens_pm_state)" ] || { echo 0; return; }
	for d in /sys/bus/pci/drivers/virtio-pci/0000:*; do
		[ -e "$d" ] && n=$((n + 1))
	done
	for d in /sys/bus/virtio/drivers/9pnet_virtio/virtio*; do
		[ -e "$d" ] && n=$((n - 1))
	done
	echo $n
}

# pvlens_pm_unavailable: why pvlens_pm_cycle cannot run here (a reason for
# ktap_skip), or nothing and false when it can.
pvlens_pm_unavailable() {
	local state
	state=$(pvlens_pm_state)
	if [ ! -e /sys/kernel/debug/pvlens_sim/pm_cycle ]; then
		echo "no system sleep in this kernel (PM_SLEEP)"
	elif [ -n "$state" ] && [ ! -w /sys/power/pm_test ]; then
		echo "no pm_test in this kernel (PM_DEBUG)"
	elif [ -n "$state" ] && ! grep -qw "$state" /sys/power/state; then
		echo "no '$state' in /sys/power/state here"
	else
		return 1
	fi
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
