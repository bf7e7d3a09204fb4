#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bind the virtio-blk device to pvlens_blk with the Nth allocation of the
# bind failed, for every N: each step ends either bound with a disk that
# reads (block layer and pvlens count the same reads), or refused with an
# errno and nothing left (no driver link, disk, pvlens sysfs or debugfs
# directory), and a plain bind works after every refusal.
# With FAULTS_SCOPE=pvlens (only our own call sites fail) the module's init
# is swept the same way afterwards.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/block/lib_blk.sh"
. "$PVLENS_TOP/selftests/faults/lib_faults.sh"
tests=8
[ "$FAULTS_SCOPE" = pvlens ] && tests=$((tests + 6))
faults_require $tests

drv=/sys/bus/virtio/drivers/pvlens_blk
disk=$(blk_disk_of d0)
if [ -z "$disk" ]; then
	ktap_fail "blk_bound_before_sweep"
	echo "# no disk driven by pvlens_blk"
	for t in $(seq 2 $tests); do
		ktap_fail "blk_sweep_not_run_$t"
	done
	ktap_exit
fi
ktap_ok "blk_bound_before_sweep"
vdev=$(basename "$(blk_vdev "$disk")")
SWEEP_PCI=$(blk_pci_of "$disk")

# disk_works: bound, and a direct read of 64 KiB is one more read for the
# block layer and one more for pvlens (each counts requests on its own).
disk_works() {
	local d before_blk before_pv
	[ -e "$drv/$vdev" ] && blk_wait_disk present || return 1
	d=$(blk_disks | head -n 1)
	before_blk=$(blk_stat "$d" 1)
	before_pv=$(blk_sum "$d" read_ops)
	dd if="/dev/$d" of=/dev/null bs=64k count=1 skip=7 iflag=direct status=none || return 1
	[ $(($(blk_stat "$d" 1) - before_blk)) = 1 ] &&
		[ $(($(blk_sum "$d" read_ops) - before_pv)) = 1 ]
}

# driver_gone: nothing of the driver left on the device.
driver_gone() {
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
sweep_works() { disk_works; }
sweep_gone() { driver_gone; }

faults_bind_sweep blk
[ "$FAULTS_SCOPE" = pvlens ] || ktap_exit

# The module load: pvlens_blk's init (workqueue, major, driver).  With the
# bus's autoprobe off the load probes nothing (the bind sweep above covered
# the probe), so "works" means that a plain bind then works.
KO=$PVLENS_TOP/drivers/block/pvlens_blk.ko
AUTOPROBE=/sys/bus/virtio/drivers_autoprobe
loaded() { grep -q '^pvlens_blk ' /proc/modules; }
sweep_works() {
	loaded || return 1
	[ -e "$drv/$vdev" ] || echo "$vdev" > $drv/bind || return 1
	disk_works
}
sweep_gone() { ! loaded && [ ! -d /sys/kernel/debug/pvlens_blk ] && driver_gone; }
sweep_left() {
	echo "$(grep -o '^pvlens_blk ' /proc/modules)$(find "/sys/bus/virtio/devices/$vdev/pvlens" \
		"/sys/kernel/debug/pvlens/$vdev" /sys/kernel/debug/pvlens_blk \
		-maxdepth 0 2> /dev/null | tr '\n' ' ') $(blk_disks | tr '\n' ' ')"
}
sweep_op() { faults_step "$1" insmod "$KO"; }
sweep_plain() { insmod "$KO"; }
sweep_undo() {
	loaded || return 0
	rmmod pvlens_blk && blk_wait_disk absent
}
sweep_undo
ktap_check "blk_load_unloaded" sweep_gone
echo 0 > $AUTOPROBE
faults_sweep blk_load load loaded
echo 1 > $AUTOPROBE
if sweep_plain && sweep_works; then
	ktap_ok "blk_loads_after_sweep"
else
	ktap_fail "blk_loads_after_sweep"
fi
ktap_exit
