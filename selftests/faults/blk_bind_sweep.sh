#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bind the virtio-blk device to pvlens_blk with the Nth allocation of the
# bind failed, for every N: each step ends either bound with a disk that
# reads (block layer and pvlens count the same reads), or refused with an
# errno and nothing left (no driver link, disk, pvlens sysfs or debugfs
# directory), and a plain bind works after every refusal.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/block/lib_blk.sh"
. "$PVLENS_TOP/selftests/faults/lib_faults.sh"
faults_require 8

drv=/sys/bus/virtio/drivers/pvlens_blk
disk=$(blk_disk_of d0)
if [ -z "$disk" ]; then
	ktap_fail "blk_bound_before_sweep"
	echo "# no disk driven by pvlens_blk"
	for t in unbound sweep_reached_last_allocation every_step_clean \
		every_bind_works_every_refusal_recovers some_steps_refused \
		binds_after_sweep no_leak_after_sweep; do
		ktap_fail "blk_$t"
	done
	ktap_exit
fi
ktap_ok "blk_bound_before_sweep"
vdev=$(basename "$(blk_vdev "$disk")")
SWEEP_PCI=$(blk_pci_of "$disk")

# sweep_works: bound, and a direct read of 64 KiB is one more read for the
# block layer and one more for pvlens (each counts requests on its own).
sweep_works() {
	local d before_blk before_pv
	[ -e "$drv/$vdev" ] && blk_wait_disk present || return 1
	d=$(blk_disks | head -n 1)
	before_blk=$(blk_stat "$d" 1)
	before_pv=$(blk_sum "$d" read_ops)
	dd if="/dev/$d" of=/dev/null bs=64k count=1 skip=7 iflag=direct status=none || return 1
	[ $(($(blk_stat "$d" 1) - before_blk)) = 1 ] &&
		[ $(($(blk_sum "$d" read_ops) - before_pv)) = 1 ]
}

# sweep_gone: nothing of the driver left on the device.
sweep_gone() {
	[ ! -e "$drv/$vdev" ] && [ -z "$(blk_disks)" ] &&
		[ ! -e "/sys/bus/virtio/devices/$vdev/pvlens" ] &&
		[ ! -e "/sys/kernel/debug/pvlens/$vdev" ]
}
sweep_left() {
	echo "$(find "$drv/$vdev" "/sys/bus/virtio/devices/$vdev/pvlens" \
		"/sys/kernel/debug/pvlens/$vdev" -maxdepth 0 2> /dev/null |
		tr '\n' ' ') $(blk_disks | tr '\n' ' ')"
}
sweep_undo() {
	[ -e "$drv/$vdev" ] || return 0
	echo "$vdev" > $drv/unbind && blk_wait_disk absent
}

faults_bind_sweep blk
ktap_exit
