#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A disk behind a PCIe root port (q35) loses all its state under a verifying
# fio load, the way a link that goes down and up resets what sits behind it:
#  - a secondary bus reset of its slot (the hot reset a link disable and
#    re-enable gives the device), through the kernel's reset_method "bus";
#  - a function level reset (reset_method "flr").
# The kernel restores the PCI config space; the virtio device comes back
# reset, with no queues.  pvlens_blk times the stalled requests out, resets
# and re-establishes its queues, retries them, and the verify passes.
# Link Disable itself is tried first: QEMU 7.2 does not implement it (the bit
# reads back 0), and then that case is skipped with that reason.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/block/lib_blk.sh"
ktap_plan 22

disk=$(blk_disk_of d0)
pci=$(blk_pci_of "$disk")
port=$(basename "$(readlink -f "/sys/bus/pci/devices/$pci/..")")
echo "# disk $disk at $pci behind $port; reset methods: $(cat "/sys/bus/pci/devices/$pci/reset_method")"
ktap_check "blk_pcie_behind_root_port" \
	grep -q "Root Port" <(lspci -vs "$port")

if [ "$(cat /sys/module/pvlens_blk/parameters/recovery)" != Y ]; then
	blk_recovery_skip blk_pcie_link_disable
	blk_recovery_skip blk_pcie_bus_reset
	blk_recovery_skip blk_pcie_flr
	ktap_exit
fi

# Link Control (PCIe capability + 0x10), bit 4: Link Disable.
setpci -s "$port" CAP_EXP+10.w=0010:0010
lnkctl=$(setpci -s "$port" CAP_EXP+10.w)
setpci -s "$port" CAP_EXP+10.w=0000:0010
if [ -z "$lnkctl" ]; then
	blk_recovery_skip blk_pcie_link_disable "cannot read the port's Link Control"
elif [ $((0x$lnkctl & 0x10)) = 0 ]; then
	blk_recovery_skip blk_pcie_link_disable \
		"Link Disable not emulated by this QEMU (LNKCTL reads $lnkctl after setting it)"
else
	link_off_and_on() {
		setpci -s "$port" CAP_EXP+10.w=0010:0010
		sleep 1
		setpci -s "$port" CAP_EXP+10.w=0000:0010
	}
	blk_recovery_check blk_pcie_link_disable "$disk" link_off_and_on
fi

# reset_function METHOD: pci_reset_function() with only METHOD allowed; the
# kernel saves and restores the config space around the reset.
reset_function() {
	local dev=/sys/bus/pci/devices/$pci rc
	echo "$1" > "$dev/reset_method" && echo 1 > "$dev/reset"
	rc=$?
	echo default > "$dev/reset_method"
	[ "$rc" = 0 ] || dmesg | grep -E "$pci|$port" | tail -n 3 | sed 's/^/# /'
	return "$rc"
}

blk_recovery_check blk_pcie_bus_reset "$disk" reset_function bus
blk_recovery_check blk_pcie_flr "$disk" reset_function flr
ktap_exit
