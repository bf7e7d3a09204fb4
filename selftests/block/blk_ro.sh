#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A read-only drive (VIRTIO_BLK_F_RO) is read-only in the guest: writes are
# refused before reaching the device, reads work.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/block/lib_blk.sh"
ktap_plan 5

disk=$(blk_disk_of d0)
dev=/dev/$disk
q0=$(blk_qmp_stat d0 wr_operations)
w0=$(blk_sum "$disk" write_ops)

ktap_eq "blk_ro_flag_set" "$(blockdev --getro "$dev")" 1
dd if=/dev/zero of="$dev" bs=4k count=1 oflag=direct status=none 2> /tmp/blk_ro.out
rc=$?
if [ $rc -ne 0 ] && grep -Eq "Operation not permitted|Read-only file system|Permission denied" /tmp/blk_ro.out; then
	ktap_ok "blk_ro_write_refused_eperm_erofs"
else
	sed 's/^/# /' /tmp/blk_ro.out
	ktap_fail "blk_ro_write_refused_eperm_erofs"
fi
ktap_eq "blk_ro_no_write_reached_device" "$(($(blk_qmp_stat d0 wr_operations) - q0)) $(($(blk_sum "$disk" write_ops) - w0))" "0 0"
dd if="$dev" of=/dev/null bs=64k count=16 iflag=direct status=none
ktap_eq "blk_ro_reads_work" "$?" 0
mkfs.ext4 -q -F "$dev" > /dev/null 2>&1
ktap_check "blk_ro_mkfs_refused" [ $? -ne 0 ]
ktap_exit
