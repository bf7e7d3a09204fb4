#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Recovery beyond the in-tree driver: PCI bus mastering switched off and on
# under a verifying fio load.  QEMU then drops DRIVER_OK and never completes
# the requests it holds (the in-tree driver hangs here); pvlens_blk times them
# out, resets the device, requeues them, and fio's crc32c verify passes.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/block/lib_blk.sh"
ktap_plan 7

if [ "$(cat /sys/module/pvlens_blk/parameters/recovery)" != Y ]; then
	blk_recovery_skip blk_recovery
	ktap_exit
fi

disk=$(blk_disk_of d0)
pci=$(blk_pci_of "$disk")

busmaster_off_and_on() {
	local cmd now
	cmd=$(setpci -s "$pci" COMMAND)
	[ -n "$cmd" ] || return 1
	setpci -s "$pci" COMMAND="$(printf '%x' $((0x$cmd & ~0x4)))"
	echo "# $pci COMMAND $cmd -> $(setpci -s "$pci" COMMAND)"
	now=$(setpci -s "$pci" COMMAND)
	[ -n "$now" ] && [ $((0x$now & 0x4)) = 0 ] || return 1
	sleep "${BLK_BUSMASTER_OFF_SECS:-1}"
	setpci -s "$pci" COMMAND="$cmd"
}

blk_recovery_check blk_recovery "$disk" busmaster_off_and_on
ktap_exit
