#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Recovery beyond the in-tree driver: PCI bus mastering switched off and on
# under a verifying fio load.  QEMU then drops DRIVER_OK and never completes
# the requests it holds (the in-tree driver hangs here); pvlens_blk times them
# out, resets the device, requeues them, and fio's crc32c verify passes.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/block/lib_blk.sh"
ktap_plan 6

if [ "$(cat /sys/module/pvlens_blk/parameters/recovery)" != Y ]; then
	for t in fio_finishes fio_verify_passes device_was_reset \
		no_request_failed inflight_back_to_zero io_after_reset; do
		ktap_skip "blk_recovery_$t" "recovery off (a kernel without CONFIG_PM_SLEEP has no reset)"
	done
	ktap_exit
fi

disk=$(blk_disk_of d0)
pci=$(basename "$(dirname "$(blk_vdev "$disk")")")
echo 2000 > "/sys/block/$disk/queue/io_timeout"
r0=$(blk_sum "$disk" resets)

fio --name=rec --filename="/dev/$disk" --direct=1 --ioengine=libaio \
	--iodepth=16 --rw=randwrite --bs=4k --size=16M --verify=crc32c \
	--do_verify=1 --verify_fatal=1 --randrepeat=0 > /tmp/blk_rec.out 2>&1 &
fio_pid=$!
sleep 1.5
cmd=$(setpci -s "$pci" COMMAND)
setpci -s "$pci" COMMAND="$(printf '%x' $((0x$cmd & ~0x4)))"
echo "# $pci COMMAND $cmd -> $(setpci -s "$pci" COMMAND)"
sleep "${BLK_BUSMASTER_OFF_SECS:-1}"
setpci -s "$pci" COMMAND="$cmd"

if blk_fio_wait "$fio_pid" 60; then
	ktap_ok "blk_recovery_fio_finishes"
	[ "$BLK_FIO_RC" -ne 0 ] && tail -5 /tmp/blk_rec.out | sed 's/^/# /'
	ktap_eq "blk_recovery_fio_verify_passes" "$BLK_FIO_RC" 0
else
	ktap_fail "blk_recovery_fio_finishes"
	ktap_fail "blk_recovery_fio_verify_passes"
fi
resets=$(($(blk_sum "$disk" resets) - r0))
echo "# resets $resets timeouts $(blk_sum "$disk" timeouts) requeued $(blk_sum "$disk" reset_requeues) failed $(blk_sum "$disk" err_reset)"
ktap_check "blk_recovery_device_was_reset" [ "$resets" -ge 1 ]
ktap_eq "blk_recovery_no_request_failed" "$(blk_sum "$disk" err_reset)" 0
ktap_eq "blk_recovery_inflight_back_to_zero" "$(cat "$(blk_vdev "$disk")"/pvlens/*/inflight | sort -u)" 0
dd if=/dev/zero of="/dev/$disk" bs=64k count=16 oflag=direct status=none &&
	dd if="/dev/$disk" of=/dev/null bs=64k count=16 iflag=direct status=none
ktap_eq "blk_recovery_io_after_reset" "$?" 0
echo 30000 > "/sys/block/$disk/queue/io_timeout"
ktap_exit
