#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DEVICE_NEEDS_RESET under a verifying fio load.  The driver's debugfs hook
# puts one descriptor chain with a one-byte header on the ring; QEMU's
# virtio-blk calls that a device error, stops processing, sets
# DEVICE_NEEDS_RESET and raises a config interrupt.  pvlens_blk must see the
# status and reset the device; requests queued meanwhile wait for it: fio's
# crc32c verify passes, nothing fails, and the disk keeps working.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/block/lib_blk.sh"
ktap_plan 8

if [ "$(cat /sys/module/pvlens_blk/parameters/recovery)" != Y ]; then
	for t in hook_present fio_finishes fio_verify_passes status_seen \
		device_was_reset injected_under_load no_request_failed \
		io_after_reset; do
		ktap_skip "blk_needs_reset_$t" "recovery off (a kernel without CONFIG_PM_SLEEP has no reset)"
	done
	ktap_exit
fi

disk=$(blk_disk_of "${BLK_NEEDS_RESET_DISK:-d0}")
vdev=$(basename "$(blk_vdev "$disk")")
hook=/sys/kernel/debug/pvlens_blk/$vdev/inject_malformed
if [ ! -w "$hook" ]; then
	ktap_fail "blk_needs_reset_hook_present"
	echo "# no $hook"
	for t in fio_finishes fio_verify_passes status_seen device_was_reset \
		injected_under_load no_request_failed io_after_reset; do
		ktap_fail "blk_needs_reset_$t"
	done
	ktap_exit
fi
ktap_ok "blk_needs_reset_hook_present"

r0=$(blk_sum "$disk" resets)
f0=$(blk_sum "$disk" err_reset)
q0=$(blk_sum "$disk" reset_requeues)
blk_log_mark "needs-reset begin"
fio --name=nr --filename="/dev/$disk" --direct=1 --ioengine=libaio \
	--iodepth=16 --rw=randwrite --bs=4k --size=32M --verify=crc32c \
	--do_verify=1 --verify_fatal=1 --randrepeat=0 > /tmp/blk_nr.out 2>&1 &
fio_pid=$!
# Inject under load.  QEMU completes what it took before the bad chain
# (requests are not lost there: nothing to requeue, unlike blk_recovery.sh);
# what arrives after waits for the reset.
# Under load: fio has written at least 256 requests and is still running.
w0=$(blk_stat "$disk" 5)
for _ in $(seq 300); do
	[ $(($(blk_stat "$disk" 5) - w0)) -ge 256 ] && break
	sleep 0.05
done
loaded=0
kill -0 "$fio_pid" 2> /dev/null && [ $(($(blk_stat "$disk" 5) - w0)) -ge 256 ] && loaded=1
echo 1 > "$hook"
ktap_eq "blk_needs_reset_injected_under_load" "$loaded" 1

if blk_fio_wait "$fio_pid" 60; then
	ktap_ok "blk_needs_reset_fio_finishes"
	[ "$BLK_FIO_RC" -ne 0 ] && tail -5 /tmp/blk_nr.out | sed 's/^/# /'
	ktap_eq "blk_needs_reset_fio_verify_passes" "$BLK_FIO_RC" 0
else
	ktap_fail "blk_needs_reset_fio_finishes"
	ktap_fail "blk_needs_reset_fio_verify_passes"
fi

dmesg | sed -n '/pvlens-test: needs-reset begin/,$p' > /tmp/blk_nr.dmesg
grep -q "$vdev: device needs a reset" /tmp/blk_nr.dmesg
ktap_result "blk_needs_reset_status_seen"
resets=$(($(blk_sum "$disk" resets) - r0))
requeued=$(($(blk_sum "$disk" reset_requeues) - q0))
echo "# resets $resets requeued $requeued"
ktap_eq "blk_needs_reset_device_was_reset" "$resets" 1
ktap_eq "blk_needs_reset_no_request_failed" "$(($(blk_sum "$disk" err_reset) - f0))" 0
dd if=/dev/zero of="/dev/$disk" bs=64k count=16 oflag=direct status=none &&
	dd if="/dev/$disk" of=/dev/null bs=64k count=16 iflag=direct status=none
ktap_eq "blk_needs_reset_io_after_reset" "$?" 0
ktap_exit
