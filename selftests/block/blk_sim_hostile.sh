#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Config values and used lengths no QEMU option produces, from
# pvlens_blk_sim's module parameters and debugfs: VIRTIO_BLK_F_MQ with
# num_queues 0 (one queue, one warning), two queues (both used), a blk_size
# that is not a power of two or below 512 (the device refused with one
# error, no disk), a capacity beyond what loff_t addresses (clamped with one
# warning, the disk usable), and a completion whose used length is 0 (the
# request fails with EIO and is counted in err_short_len; the next works).
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/block/lib_blk.sh"
ktap_plan 12

sim=/sys/kernel/debug/pvlens_blk_sim
ko=$(find "$PVLENS_TOP/drivers/block" -name pvlens_blk_sim.ko | head -n 1)
size_mb=$(cat /sys/module/pvlens_blk_sim/parameters/size_mb 2>/dev/null || echo 64)

# sim_load ARGS...: the device again with ARGS; its disk in $disk, if any.
sim_load() {
	rmmod pvlens_blk_sim 2>/dev/null
	blk_wait_sim_disk absent || return 1
	insmod "$ko" size_mb="$size_mb" "$@" || return 1
	blk_wait_sim_disk present
	disk=$(blk_sim_disk)
}

# hw_queues: the disk's blk-mq hardware queues.
hw_queues() {
	find "/sys/block/$disk/mq" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l
}

# log_count PATTERN: dmesg lines matching PATTERN so far.
log_count() {
	dmesg | grep -c "$1"
}

# rw_ok: 1 MiB of random data written at 1 MiB and read back the same.
rw_ok() {
	head -c 1M /dev/urandom > /tmp/blk_hostile.in &&
		dd if=/tmp/blk_hostile.in of="/dev/$disk" bs=1M seek=1 oflag=direct status=none &&
		dd if="/dev/$disk" of=/tmp/blk_hostile.out bs=1M skip=1 count=1 iflag=direct status=none &&
		cmp -s /tmp/blk_hostile.in /tmp/blk_hostile.out
}

w0=$(log_count "num_queues 0 is zero, using 1")
sim_load num_queues=0
echo "# num_queues 0: $disk, $(hw_queues) hardware queue(s)"
[ -n "$disk" ] && [ "$(hw_queues)" = 1 ] &&
	[ "$(log_count "num_queues 0 is zero, using 1")" = $((w0 + 1)) ]
ktap_result "blk_sim_num_queues_0_one_queue_warned"
ktap_check "blk_sim_num_queues_0_disk_works" rw_ok

sim_load num_queues=2
echo "# num_queues 2: $disk, $(hw_queues) hardware queue(s)"
ktap_eq "blk_sim_num_queues_2_two_queues" "$(hw_queues)" 2
fio --name=mq --filename="/dev/$disk" --direct=1 --ioengine=libaio --iodepth=8 \
	--rw=randwrite --bs=4k --size=16M --offset_increment=16M --numjobs=2 --verify=crc32c \
	--cpus_allowed_policy=split --cpus_allowed=0-1 --group_reporting > /tmp/blk_hostile.fio 2>&1
rc=$?
vdev=$(blk_vdev "$disk")
echo "# fio rc $rc; reads per queue: $(cat "$vdev"/pvlens/*/read_ops | tr '\n' ' ')"
[ $rc = 0 ] && [ "$(cat "$vdev/pvlens/req.0/read_ops")" -gt 0 ] &&
	[ "$(cat "$vdev/pvlens/req.1/read_ops")" -gt 0 ]
ktap_result "blk_sim_num_queues_2_both_carry_verified_io"

for bs in 1000 256; do
	case $bs in
	1000) why="is not a power of two" ;;
	*) why="is below 512" ;;
	esac
	e0=$(log_count "blk_size $bs $why, device refused")
	sim_load blk_size=$bs
	vd=$(find /sys/devices/pvlens_blk_sim -maxdepth 1 -name 'virtio*' 2>/dev/null | head -n 1)
	drv=none
	[ -e "$vd/driver" ] && drv=$(basename "$(readlink -f "$vd/driver")")
	echo "# blk_size $bs: disk '${disk}', driver $drv"
	[ -z "$disk" ] && [ -n "$vd" ] && [ ! -e "$vd/driver" ] &&
		[ "$(log_count "blk_size $bs $why, device refused")" = $((e0 + 1)) ]
	ktap_result "blk_sim_blk_size_${bs}_refused_no_disk"
done

# The largest capacity loff_t addresses, in sectors: LLONG_MAX >> 9.
max=$(((1 << 63) - 1 >> 9))
w0=$(log_count "exceeds what loff_t addresses, using $max")
sim_load capacity=18446744073709551615
echo "# capacity 2^64-1: $disk of $(cat "/sys/block/$disk/size" 2>/dev/null) sectors"
[ "$(cat "/sys/block/$disk/size")" = "$max" ] &&
	[ "$(log_count "exceeds what loff_t addresses, using $max")" = $((w0 + 1)) ]
ktap_result "blk_sim_capacity_overflow_clamped_warned"
ktap_check "blk_sim_capacity_overflow_disk_works" rw_ok

sim_load
vdev=$(blk_vdev "$disk")
s0=$(blk_sum "$disk" err_short_len)
echo 1 > $sim/short_used
dd if="/dev/$disk" of=/dev/null bs=4k count=1 skip=8 iflag=direct status=none 2>/tmp/blk_hostile.err
rc=$?
echo "# used length 0: dd rc $rc ($(head -n 1 /tmp/blk_hostile.err)), err_short_len +$(($(blk_sum "$disk" err_short_len) - s0)), device shortened $(cat $sim/shortened)"
[ $rc != 0 ] && grep -q "Input/output error" /tmp/blk_hostile.err
ktap_result "blk_sim_used_len_0_fails_with_eio"
[ $(($(blk_sum "$disk" err_short_len) - s0)) = 1 ] && [ "$(cat $sim/shortened)" = 1 ]
ktap_result "blk_sim_used_len_0_counted_once"
ktap_check "blk_sim_used_len_0_next_io_works" rw_ok

sim_load
ktap_check "blk_sim_default_device_back" [ -n "$disk" ]
