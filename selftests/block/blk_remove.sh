#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Surprise removal: QMP device_del while fio runs.  QEMU reports the device
# deleted, the disk and its pvlens directory go away, fio ends with errors
# instead of hanging, and the module unloads.  Must be a configuration's last
# test: the device does not come back.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/block/lib_blk.sh"
ktap_plan 6

disk=$(blk_disk_of d0)
vdev=$(blk_vdev "$disk")
pvlens_host events > /dev/null
blk_fio_load blk_rm "$disk" 30
fio_pid=$BLK_FIO_PID
sleep 2
pvlens_qmp '{"execute": "device_del", "arguments": {"id": "d0"}}' > /dev/null
if pvlens_wait_event DEVICE_DELETED 15; then
	ktap_ok "blk_remove_qemu_device_deleted"
else
	ktap_fail "blk_remove_qemu_device_deleted"
fi
for _ in $(seq 100); do
	[ -e "/sys/block/$disk" ] || break
	sleep 0.1
done
ktap_check "blk_remove_disk_gone" [ ! -e "/sys/block/$disk" ]
ktap_check "blk_remove_pvlens_dir_gone" [ ! -e "$vdev/pvlens" ]
if blk_fio_wait "$fio_pid" 15; then
	echo "# fio exit status $BLK_FIO_RC: $(grep -m1 -i 'error' /tmp/blk_rm.out)"
	ktap_ok "blk_remove_fio_ends_without_hang"
	# Its in-flight requests and the next ones failed, long before its
	# 30 s were up.
	ktap_check "blk_remove_fio_sees_errors" [ "$BLK_FIO_RC" != 0 ]
else
	ktap_fail "blk_remove_fio_ends_without_hang"
	ktap_fail "blk_remove_fio_sees_errors"
fi
ktap_check "blk_remove_module_unloads" rmmod pvlens_blk
ktap_exit
