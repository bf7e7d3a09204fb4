#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A system sleep whose restore cannot set the device's queues up again:
# pvlens_sim fails pvlens_blk_sim's next find_vqs() (fail_find_vqs), then
# the PM core's virtio sequence runs on the disk (pvlens_pm_cycle).  The
# in-tree driver leaves its queue quiesced then, and every later I/O waits
# for ever.  Here the driver says so in one line and the disk is dead: a
# read and a write fail at once; the device unloads cleanly, and a new one
# works.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/block/lib_blk.sh"
ktap_plan 5
# The simulated device has no PCI transport: always the per-device cycle.
# shellcheck disable=SC2034  # read by pvlens_pm_cycle
PVLENS_PM=

names="restore_failure_reported_once read_fails_fast write_fails_fast
device_unloads new_device_works"
if why=$(pvlens_pm_unavailable); then
	for t in $names; do
		ktap_skip "blk_sim_restore_fail_$t" "$why"
	done
	exit 0
fi

sim=/sys/kernel/debug/pvlens_blk_sim
ko=$(find "$PVLENS_TOP/drivers/block" -name pvlens_blk_sim.ko | head -n 1)
size_mb=$(cat /sys/module/pvlens_blk_sim/parameters/size_mb 2>/dev/null || echo 64)
# A fresh device, whatever the tests before left.
rmmod pvlens_blk_sim 2>/dev/null
blk_wait_sim_disk absent && insmod "$ko" size_mb="$size_mb" &&
	blk_wait_sim_disk present
disk=$(blk_sim_disk)
vdev=$(basename "$(blk_vdev "$disk")")
msg="$vdev: restore failed (-5), disk is dead"

n0=$(dmesg | grep -c "$msg")
echo 1 > $sim/fail_find_vqs
pvlens_pm_cycle "$vdev"
rc=$?
echo "# pm cycle of $disk ($vdev): rc $rc; $(dmesg | grep "$vdev: " | tail -n 1)"
[ $rc != 0 ] && [ "$(dmesg | grep -c "$msg")" = $((n0 + 1)) ] &&
	[ "$(cat $sim/fail_find_vqs)" = 0 ]
ktap_result "blk_sim_restore_fail_restore_failure_reported_once"

# dd_fails_fast ARGS...: dd fails with EIO within 20 s (a dead disk, not
# a hang: a dd stuck in the block layer could not even be killed, so it is
# left behind and the check fails).
dd_fails_fast() {
	local pid _
	dd "$@" bs=4k count=1 status=none 2> /tmp/blk_restore_fail.err &
	pid=$!
	for _ in $(seq 200); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 $pid 2>/dev/null; then
		echo "# dd $*: still running after 20 s"
		return 1
	fi
	wait $pid
	echo "# dd $*: rc $?: $(head -c 200 /tmp/blk_restore_fail.err)"
	grep -q "Input/output error" /tmp/blk_restore_fail.err
}
ktap_check "blk_sim_restore_fail_read_fails_fast" \
	dd_fails_fast if="/dev/$disk" of=/dev/null iflag=direct
ktap_check "blk_sim_restore_fail_write_fails_fast" \
	dd_fails_fast if=/dev/zero of="/dev/$disk" oflag=direct

timeout 60 rmmod pvlens_blk_sim && blk_wait_sim_disk absent &&
	[ ! -e /sys/devices/pvlens_blk_sim ]
ktap_result "blk_sim_restore_fail_device_unloads"

insmod "$ko" size_mb="$size_mb" && blk_wait_sim_disk present &&
	disk=$(blk_sim_disk) &&
	head -c 1M /dev/urandom > /tmp/blk_restore_fail.in &&
	dd if=/tmp/blk_restore_fail.in of="/dev/$disk" bs=1M oflag=direct status=none &&
	dd if="/dev/$disk" of=/tmp/blk_restore_fail.out bs=1M count=1 iflag=direct status=none &&
	cmp -s /tmp/blk_restore_fail.in /tmp/blk_restore_fail.out
ktap_result "blk_sim_restore_fail_new_device_works"
