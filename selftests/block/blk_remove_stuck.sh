#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Removal of a device that stopped answering.  Under fio, bus mastering is
# switched off (the device can no longer complete a request), then QMP
# device_del.  del_gendisk() waits for the requests the device holds; the
# driver must not let it wait for the request timeout (30 s, and the
# kernel's hung-task warning at 20 s here): after 5 s it fails them, the
# removal ends, fio sees errors and the module unloads.  Must be a
# configuration's last test: the device does not come back.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/block/lib_blk.sh"
ktap_plan 7

uptime_s() { cut -d' ' -f1 /proc/uptime; }
done_ops() { echo $(($(blk_sum "$disk" read_ops) + $(blk_sum "$disk" write_ops))); }

disk=$(blk_disk_of d0)
vdev=$(blk_vdev "$disk")
pci=$(blk_pci_of "$disk")
timeout_s=$(($(cat "/sys/block/$disk/queue/io_timeout") / 1000))
pvlens_host events > /dev/null
blk_fio_load blk_stuck "$disk" 60
fio_pid=$BLK_FIO_PID
sleep 2
cmd=$(setpci -s "$pci" COMMAND)
# QEMU does not always stop at once (its ring caches may outlive the bus
# master switch): the device holds requests when they stop completing.
held=0
for _ in 1 2 3; do
	setpci -s "$pci" COMMAND="$(printf '%x' $((0x$cmd & ~0x4)))"
	sleep 1
	before=$(done_ops)
	sleep 0.5
	held=$(blk_sum "$disk" inflight)
	[ "$held" -gt 0 ] && [ "$(done_ops)" = "$before" ] && break
	held=0
	setpci -s "$pci" COMMAND="$cmd"
	sleep 0.5
done
echo "# $pci COMMAND $cmd -> $(setpci -s "$pci" COMMAND), requests held: $held"
ktap_check "blk_remove_stuck_device_holds_requests" [ "$held" -gt 0 ]

# The virtio device leaves sysfs when remove() has returned (the disk's
# own directory goes earlier, before del_gendisk() waits).
t0=$(uptime_s)
pvlens_qmp '{"execute": "device_del", "arguments": {"id": "d0"}}' > /dev/null
for _ in $(seq $((timeout_s * 10 + 100))); do
	[ -e "$vdev" ] || break
	sleep 0.1
done
took=$(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%.1f", b - a }')
echo "# removal done after ${took} s (request timeout ${timeout_s} s)"
ktap_check "blk_remove_stuck_removal_done" [ ! -e "$vdev" ]
ktap_check "blk_remove_stuck_before_request_timeout" \
	awk -v t="$took" -v lim="$timeout_s" 'BEGIN { exit !(t < lim - 5) }'
ktap_check "blk_remove_stuck_driver_failed_held_requests" \
	grep -q "requests held, none answered in 5 s of removal" <(dmesg)
if pvlens_wait_event DEVICE_DELETED 15; then
	ktap_ok "blk_remove_stuck_qemu_device_deleted"
else
	ktap_fail "blk_remove_stuck_qemu_device_deleted"
fi
if blk_fio_wait "$fio_pid" 15; then
	echo "# fio exit status $BLK_FIO_RC (errors expected):"
	grep -E 'err=|error' /tmp/blk_stuck.out | head -n 3 | sed 's/^/#   /'
	ktap_check "blk_remove_stuck_fio_saw_errors" [ "$BLK_FIO_RC" != 0 ]
else
	ktap_fail "blk_remove_stuck_fio_saw_errors"
fi
ktap_check "blk_remove_stuck_module_unloads" rmmod pvlens_blk
ktap_exit
