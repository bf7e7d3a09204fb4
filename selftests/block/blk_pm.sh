#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A system sleep's freeze and restore with I/O in flight (pvlens_pm_cycle):
# by default the PM core's virtio sequence for the disk alone, with
# PVLENS_PM=system (configuration pm-system) a real suspend to idle of the
# guest.  The driver's freeze (the queues drain, the device is reset and its
# virtqueues deleted) and restore (virtqueues made again, queues restarted)
# run once each, counted by kprobes, and virtio_pci's restore as many times
# as the sleep should call it (none in the per-device cycle).  In the per-device cycle fio is not
# frozen, so it keeps submitting while the device is away; in the real one
# the freezer stops it.  Its verifying writes and reads go on intact;
# afterwards nothing is left in flight and the counters still equal the
# block layer's.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/block/lib_blk.sh"
ktap_plan 7

names="freeze_restore_succeeds freeze_and_restore_ran_once
restores_through_virtio_pci fio_verify_intact_across_sleep nothing_in_flight_after read_ops_eq_block_stat
write_ops_eq_block_stat"
if why=$(pvlens_pm_unavailable); then
	for t in $names; do
		ktap_skip "blk_pm_$t" "$why"
	done
	exit 0
fi

disk=$(blk_disk_of d0)
blk_reset "$disk"
rd0=$(blk_stat "$disk" 1)
wr0=$(blk_stat "$disk" 5)
pvlens_kprobe_add blk_pm_freeze pvblk_freeze &&
	pvlens_kprobe_add blk_pm_restore pvblk_restore
kprobes=$?
pvlens_kprobe_add blk_pm_pci_restore virtio_pci_restore
pci_kprobe=$?

fio --name=pm --filename="/dev/$disk" --direct=1 --ioengine=libaio \
	--iodepth=16 --rw=randwrite --bs=4k --size=32M --verify=crc32c \
	--verify_fatal=1 --randrepeat=0 --output-format=json \
	--output=/tmp/blk_pm.json > /dev/null 2>&1 &
fio_pid=$!
sleep 1
pvlens_pm_cycle "$(basename "$(blk_vdev "$disk")")"
ktap_eq "blk_pm_freeze_restore_succeeds" "$?" 0
if [ $kprobes = 0 ]; then
	echo "# freeze ran $(pvlens_kprobe_hits blk_pm_freeze) time(s), restore $(pvlens_kprobe_hits blk_pm_restore)"
	[ "$(pvlens_kprobe_hits blk_pm_freeze)" = 1 ] &&
		[ "$(pvlens_kprobe_hits blk_pm_restore)" = 1 ]
	ktap_result "blk_pm_freeze_and_restore_ran_once"
else
	ktap_skip "blk_pm_freeze_and_restore_ran_once" "no kprobe events in this kernel"
fi
if [ $pci_kprobe = 0 ]; then
	echo "# virtio_pci_restore ran $(pvlens_kprobe_hits blk_pm_pci_restore) time(s)"
	ktap_eq "blk_pm_restores_through_virtio_pci" \
		"$(pvlens_kprobe_hits blk_pm_pci_restore)" "$(pvlens_pm_pci_restores)"
else
	ktap_skip "blk_pm_restores_through_virtio_pci" "no kprobe on virtio_pci_restore here"
fi
pvlens_kprobe_del blk_pm_freeze
pvlens_kprobe_del blk_pm_restore
pvlens_kprobe_del blk_pm_pci_restore

blk_fio_wait $fio_pid 240
ktap_check "blk_pm_fio_verify_intact_across_sleep" [ "${BLK_FIO_RC:-1}" = 0 ]
ktap_eq "blk_pm_nothing_in_flight_after" "$(blk_sum "$disk" inflight)" 0
ktap_eq "blk_pm_read_ops_eq_block_stat" "$(blk_sum "$disk" read_ops)" \
	"$(($(blk_stat "$disk" 1) - rd0))"
ktap_eq "blk_pm_write_ops_eq_block_stat" "$(blk_sum "$disk" write_ops)" \
	"$(($(blk_stat "$disk" 5) - wr0))"
