#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DEVICE_NEEDS_RESET under a verifying fio load.  The driver's debugfs hook
# puts one descriptor chain with a one-byte header on the ring; QEMU's
# virtio-blk calls that a device error, stops processing, sets
# DEVICE_NEEDS_RESET and raises a config interrupt.  pvlens_blk must see the
# status and reset the device, once, and not because a request timed out
# (io_timeout stays 30 s); requests queued meanwhile wait for it: fio's
# crc32c verify passes, nothing fails, and the disk keeps working.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/block/lib_blk.sh"
ktap_plan 11

if [ "$(cat /sys/module/pvlens_blk/parameters/recovery)" != Y ]; then
	ktap_skip "blk_needs_reset_hook_present" "recovery off"
	blk_recovery_skip blk_needs_reset
	ktap_skip "blk_needs_reset_status_seen" "recovery off"
	ktap_skip "blk_needs_reset_exactly_one_reset" "recovery off"
	ktap_skip "blk_needs_reset_no_request_timed_out" "recovery off"
	ktap_exit
fi

disk=$(blk_disk_of "${BLK_NEEDS_RESET_DISK:-d0}")
vdev=$(basename "$(blk_vdev "$disk")")
hook=/sys/kernel/debug/pvlens_blk/$vdev/inject_malformed
ktap_check "blk_needs_reset_hook_present" [ -w "$hook" ]

# inject_under_load: once fio has written at least 256 requests and still
# runs, queue the malformed chain.  QEMU completes what it took before the
# bad chain (nothing to requeue there, unlike blk_recovery.sh); what arrives
# after waits for the reset.
inject_under_load() {
	local w0 _
	w0=$(blk_stat "$disk" 5)
	for _ in $(seq 300); do
		[ $(($(blk_stat "$disk" 5) - w0)) -ge 256 ] && break
		sleep 0.05
	done
	pgrep -x fio > /dev/null && [ $(($(blk_stat "$disk" 5) - w0)) -ge 256 ] &&
		echo 1 > "$hook"
}

blk_log_mark "needs-reset begin"
BLK_RECOVERY_FIO_SIZE=32M BLK_RECOVERY_IO_TIMEOUT=30000 blk_recovery_check blk_needs_reset "$disk" inject_under_load
dmesg | sed -n '/pvlens-test: needs-reset begin/,$p' > /tmp/blk_nr.dmesg
grep -q "$vdev: device needs a reset" /tmp/blk_nr.dmesg
ktap_result "blk_needs_reset_status_seen"
ktap_eq "blk_needs_reset_exactly_one_reset" "$BLK_RECOVERY_RESETS" 1
ktap_eq "blk_needs_reset_no_request_timed_out" "$BLK_RECOVERY_TIMEOUTS" 0
ktap_exit
