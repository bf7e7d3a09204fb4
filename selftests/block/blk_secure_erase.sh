#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Secure erase end to end, on pvlens_blk_sim: a virtio-blk device simulated
# inside the guest (QEMU 7.2 offers no VIRTIO_BLK_F_SECURE_ERASE).  The sim
# is reloaded and pvlens_blk binds to it; the disk's size, serial and queue
# limits are what the device offers; blkdiscard --secure zeroes exactly its
# range; the driver's secure_erase counters equal the device's own count of
# requests and sectors; an erase past the device's end is refused, counted
# as an error on both sides and changes nothing; and every class the driver
# counts equals what the device carried out.  The device's view comes from
# its debugfs (Documentation/ABI/testing/debugfs-pvlens-blk-sim).
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/block/lib_blk.sh"
ktap_plan 54

sim=/sys/kernel/debug/pvlens_blk_sim
ko=$(find "$PVLENS_TOP/drivers/block" -name pvlens_blk_sim.ko | head -n 1)
serial=pvlens-se-test
mib=$((1024 * 1024))

# cfg NAME: a value the device offers (its debugfs config file).
cfg() {
	awk -v k="$1" '$1 == k { print $2 }' "$sim/config"
}

min_not_zero() {
	if [ "$1" = 0 ]; then echo "$2"
	elif [ "$2" = 0 ] || [ "$1" -le "$2" ]; then echo "$1"
	else echo "$2"
	fi
}

# The guest has no /dev/fd, so no process substitution: compare via files.
# region_is OFF_MIB LEN_MIB FILE FILE_OFF_MIB: the disk's range equals FILE's.
region_is() {
	dd if="$dev" of=/tmp/se_rd bs=1M skip="$1" count="$2" iflag=direct status=none &&
		dd if="$3" of=/tmp/se_ref bs=1M skip="$4" count="$2" status=none &&
		cmp -s /tmp/se_rd /tmp/se_ref
}
is_zero() { # OFF_MIB LEN_MIB
	dd if="$dev" of=/tmp/se_rd bs=1M skip="$1" count="$2" iflag=direct status=none &&
		cmp -s -n $(($2 * mib)) /tmp/se_rd /dev/zero
}

# wait_size N: up to 5 s until the disk has N sectors.
wait_size() {
	local _
	for _ in $(seq 50); do
		[ "$(cat "/sys/block/$disk/size")" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# settle: until the kick and interrupt counts of both sides stop moving.
# The driver counts a kick after the notification returns and an interrupt
# after the callback has completed the requests: the last ones land late.
activity() {
	echo "$(blk_sum "$disk" kicks) $(blk_sum "$disk" interrupts) $(cat "$sim/notifies" "$sim/interrupts")"
}
settle() {
	local a _
	for _ in $(seq 20); do
		a=$(activity)
		sleep 0.2
		[ "$a" = "$(activity)" ] && return 0
	done
}

# Reloaded with the configuration's size and block size, and a serial of
# this test's.
params=()
if [ -d /sys/module/pvlens_blk_sim ]; then
	for p in size_mb blk_size; do
		params+=("$p=$(cat "/sys/module/pvlens_blk_sim/parameters/$p")")
	done
	rmmod pvlens_blk_sim && blk_wait_sim_disk absent &&
		[ ! -e /sys/devices/pvlens_blk_sim ] && [ ! -e "$sim" ]
	ktap_result "blk_sim_unload_removes_device_and_disk"
else
	ktap_skip "blk_sim_unload_removes_device_and_disk" "pvlens_blk_sim was not loaded"
fi

insmod "$ko" "${params[@]}" serial="$serial" && blk_wait_sim_disk present
disk=$(blk_sim_disk)
if [ -z "$disk" ] ||
	[ "$(basename "$(readlink -f "$(blk_vdev "$disk")/driver")")" != pvlens_blk ]; then
	ktap_fail "blk_sim_load_binds_pvlens_blk"
	ktap_exit
fi
ktap_ok "blk_sim_load_binds_pvlens_blk"
dev=/dev/$disk
vdev=$(blk_vdev "$disk")
q=/sys/block/$disk/queue
echo "# $disk on $vdev; device offers: $(tr '\n' ' ' < "$sim/config")"

# The driver from zero and the device's counters as they are now (once the
# partition scan's last interrupt is counted): from here on, every request
# either side counts is one of this test's.
settle
declare -A s0 drv0
# The driver's counters as deltas too, not zeroed through pvlens/reset:
# a reset racing with I/O (the new disk's udev probe) may lose a sample.
drv_names="kicks interrupts requeues"
for c in read write flush discard write_zeroes secure_erase get_id; do
	drv_names="$drv_names ${c}_ops ${c}_errors ${c}_bytes"
done
for n in $drv_names; do
	drv0[$n]=$(blk_sum "$disk" "$n")
done
declare -A hist0
for c in secure_erase get_id; do
	hist0[$c]=$(blk_hist_total "$disk" "$c")
done
for f in "$sim"/*_requests "$sim"/*_sectors "$sim"/*_ranges "$sim"/*_errors \
	"$sim"/notifies "$sim"/interrupts "$sim"/malformed "$sim"/unsupported; do
	s0[$(basename "$f")]=$(cat "$f")
done
# simd NAME: the device's NAME since the snapshot above; drvd the driver's.
simd() {
	echo $(($(cat "$sim/$1") - ${s0[$1]}))
}
drvd() {
	echo $(($(blk_sum "$disk" "$1") - ${drv0[$1]}))
}

# Bit 16 is VIRTIO_BLK_F_SECURE_ERASE, bit 32 VIRTIO_F_VERSION_1.
feat=$(cat "$vdev/features")
ktap_eq "blk_sim_secure_erase_negotiated" "${feat:16:1}${feat:32:1}" "11"
cap=$(cfg capacity_sectors)
ktap_eq "blk_sim_size_eq_device" "$(cat "/sys/block/$disk/size")" "$cap"
ktap_eq "blk_sim_serial_eq_device" "$(cat "/sys/block/$disk/serial")" "$serial"

# Queue limits: what the device offered, merged as Documentation/blk.rst says.
ktap_eq "blk_sim_logical_block_size_eq_device" "$(cat "$q/logical_block_size")" "$(cfg blk_size)"
segs=$(cfg seg_max)
# No indirect descriptors: a request's chain must fit the ring with its
# header and status.
[ "$segs" -gt $(($(cfg queue_size) - 2)) ] && segs=$(($(cfg queue_size) - 2))
ktap_eq "blk_sim_max_segments_eq_device" "$(cat "$q/max_segments")" "$segs"
# A secure erase is merged up to the discard limit and goes out as one
# range, so with both features the discard limit is the smaller of the two.
dmax=$(cfg max_discard_sectors)
[ "$(cfg max_secure_erase_sectors)" -lt "$dmax" ] && dmax=$(cfg max_secure_erase_sectors)
ktap_eq "blk_sim_discard_max_hw_bytes_eq_device" "$(cat "$q/discard_max_hw_bytes")" \
	"$((dmax * 512))"
# A secure erase is one range: its segment limit does not hold back discards.
ktap_eq "blk_sim_max_discard_segments_eq_device" "$(cat "$q/max_discard_segments")" \
	"$(cfg max_discard_seg)"
gran=$(min_not_zero "$(cfg discard_sector_alignment)" "$(cfg secure_erase_sector_alignment)")
ktap_eq "blk_sim_discard_granularity_eq_device" "$(cat "$q/discard_granularity")" "$((gran * 512))"
ktap_eq "blk_sim_write_zeroes_max_bytes_eq_device" "$(cat "$q/write_zeroes_max_bytes")" \
	"$(($(cfg max_write_zeroes_sectors) * 512))"
# VIRTIO_BLK_F_FLUSH (bit 9) without CONFIG_WCE: a write-back cache.
want="write through"
[ "${feat:9:1}" = 1 ] && want="write back"
ktap_eq "blk_sim_write_cache_eq_device" "$(cat "$q/write_cache")" "$want"

# Random data, so that neither zeros nor a stale copy can pass for it; the
# fsync sends a flush.
cap_mib=$((cap / 2048))
head -c $((16 * mib)) /dev/urandom > /tmp/se_pat
head -c $((1 * mib)) /dev/urandom > /tmp/se_tail
dd if=/tmp/se_pat of="$dev" bs=1M oflag=direct conv=fsync status=none
dd if=/tmp/se_tail of="$dev" bs=1M seek=$((cap_mib - 1)) oflag=direct conv=fsync status=none

# 5 MiB from 3 MiB: more than one secure-erase range of the device.
off=3
len=5
d_ops=$(blk_sum "$disk" secure_erase_ops)
d_bytes=$(blk_sum "$disk" secure_erase_bytes)
d_err=$(blk_sum "$disk" secure_erase_errors)
r0=$(simd secure_erase_requests)
c0=$(simd secure_erase_sectors)
g0=$(simd secure_erase_ranges)
e0=$(simd secure_erase_errors)
blkdiscard -f --secure -o $((off * mib)) -l $((len * mib)) "$dev"
ktap_eq "blk_sim_secure_erase_succeeds" "$?" 0
ktap_check "blk_sim_secure_erase_reads_back_zeros" is_zero "$off" "$len"
region_is 0 "$off" /tmp/se_pat 0 &&
	region_is $((off + len)) $((16 - off - len)) /tmp/se_pat $((off + len))
ktap_result "blk_sim_secure_erase_neighbours_intact"

sectors=$(($(simd secure_erase_sectors) - c0))
ktap_eq "blk_sim_device_erased_the_range" "$sectors" $((len * mib / 512))
ops=$(($(blk_sum "$disk" secure_erase_ops) - d_ops))
reqs=$(($(simd secure_erase_requests) - r0))
echo "# secure erase of $len MiB: driver $ops ops, device $reqs requests, $(($(simd secure_erase_ranges) - g0)) ranges"
[ "$ops" -ge 1 ] && [ "$ops" = "$reqs" ]
ktap_result "blk_sim_secure_erase_ops_eq_device_requests"
ktap_eq "blk_sim_secure_erase_bytes_eq_device_sectors" \
	"$(($(blk_sum "$disk" secure_erase_bytes) - d_bytes))" "$((sectors * 512))"
# The block layer cuts the erase into ranges of at most
# max_secure_erase_sectors (a longer one the device would refuse).
max=$(cfg max_secure_erase_sectors)
ktap_eq "blk_sim_secure_erase_ranges_within_device_max" \
	"$(($(simd secure_erase_ranges) - g0))" "$(((len * 2048 + max - 1) / max))"
# Each request one range: a request of several would mean the driver sent
# a merged request range by range (what 6.1 counts against max_segments).
ktap_eq "blk_sim_secure_erase_one_range_per_request" \
	"$(($(simd secure_erase_ranges) - g0))" "$reqs"
ktap_eq "blk_sim_secure_erase_no_errors" \
	"$(($(blk_sum "$disk" secure_erase_errors) - d_err)) $(($(simd secure_erase_errors) - e0))" "0 0"

# Past the end: the device shrinks by 512 KiB without telling the driver,
# which still sends an erase of the last MiB.  The device must refuse all of
# it, including the half that is still inside.
echo $((cap - 1024)) > "$sim/capacity_sectors"
ktap_eq "blk_sim_shrink_not_announced" "$(cat "/sys/block/$disk/size")" "$cap"
d_ops=$(blk_sum "$disk" secure_erase_ops)
d_err=$(blk_sum "$disk" secure_erase_errors)
d_io=$(blk_sum "$disk" err_ioerr)
r0=$(simd secure_erase_requests)
c0=$(simd secure_erase_sectors)
e0=$(simd secure_erase_errors)
blkdiscard -f --secure -o $(((cap_mib - 1) * mib)) -l "$mib" "$dev" 2> /dev/null
ktap_check "blk_sim_secure_erase_past_end_refused" [ $? -ne 0 ]
ops=$(($(blk_sum "$disk" secure_erase_ops) - d_ops))
errs=$(($(blk_sum "$disk" secure_erase_errors) - d_err))
ioerr=$(($(blk_sum "$disk" err_ioerr) - d_io))
reqs=$(($(simd secure_erase_requests) - r0))
serrs=$(($(simd secure_erase_errors) - e0))
echo "# past the end: driver ops $ops errors $errs err_ioerr $ioerr, device requests $reqs errors $serrs sectors $(($(simd secure_erase_sectors) - c0))"
[ "$ops" -ge 1 ] && [ "$ops $errs $ioerr" = "$reqs $serrs $serrs" ] && [ "$errs" = "$ops" ] &&
	[ "$(($(simd secure_erase_sectors) - c0))" = 0 ]
ktap_result "blk_sim_refused_erase_counted_as_error_on_both_sides"
echo "$cap" > "$sim/capacity_sectors"
ktap_check "blk_sim_refused_erase_left_data_intact" region_is $((cap_mib - 1)) 1 /tmp/se_tail 0

# A resize the device announces reaches the disk, both ways.
echo $((cap - 2048)) > "$sim/capacity_sectors" && echo 1 > "$sim/config_changed"
wait_size $((cap - 2048))
ktap_result "blk_sim_announced_shrink_seen"
echo "$cap" > "$sim/capacity_sectors" && echo 1 > "$sim/config_changed"
wait_size "$cap"
ktap_result "blk_sim_announced_growth_seen"

# Discard and write zeroes: the device zeroes both; the ranges are counted
# the same on both sides.
d0=$(blk_sum "$disk" discard_bytes)
c0=$(simd discard_sectors)
blkdiscard -f -o $((9 * mib)) -l $((2 * mib)) "$dev" && is_zero 9 2
ktap_result "blk_sim_discard_reads_back_zeros"
ktap_eq "blk_sim_discard_bytes_eq_device_sectors" \
	"$(($(blk_sum "$disk" discard_bytes) - d0)) $((($(simd discard_sectors) - c0) * 512))" \
	"$((2 * mib)) $((2 * mib))"
d0=$(blk_sum "$disk" write_zeroes_bytes)
c0=$(simd write_zeroes_sectors)
blkdiscard -f -z -o $((12 * mib)) -l $((3 * mib)) "$dev" && is_zero 12 3
ktap_result "blk_sim_write_zeroes_reads_back_zeros"
ktap_eq "blk_sim_write_zeroes_bytes_eq_device_sectors" \
	"$(($(blk_sum "$disk" write_zeroes_bytes) - d0)) $((($(simd write_zeroes_sectors) - c0) * 512))" \
	"$((3 * mib)) $((3 * mib))"
region_is 11 1 /tmp/se_pat 11 && region_is 15 1 /tmp/se_pat 15
ktap_result "blk_sim_discard_write_zeroes_neighbours_intact"

# Every class, since the snapshot: the driver's ops and errors equal the
# device's requests and errors, and its bytes the sectors the device
# carried out (secure erase: bytes include the refused request, compared
# above).
settle
for c in read write flush discard write_zeroes secure_erase get_id; do
	got="ops $(drvd "${c}_ops") errors $(drvd "${c}_errors")"
	want="ops $(simd "${c}_requests") errors $(simd "${c}_errors")"
	case $c in
	read | write | discard | write_zeroes)
		got="$got sectors $(($(drvd "${c}_bytes") / 512))"
		want="$want sectors $(simd "${c}_sectors")"
		;;
	esac
	# Each class ran at least once: a class that never ran proves nothing.
	if [ "$(simd "${c}_requests")" -ge 1 ]; then
		ktap_eq "blk_sim_${c}_counts_eq_device" "$got" "$want"
	else
		echo "# $c: the device saw no request"
		ktap_fail "blk_sim_${c}_counts_eq_device"
	fi
done
# The classes QEMU's device lacks: one latency sample per request.
for c in secure_erase get_id; do
	ktap_eq "blk_sim_${c}_histogram_count_eq_ops" \
		"$(($(blk_hist_total "$disk" "$c") - ${hist0[$c]}))" "$(drvd "${c}_ops")"
done
# The device is also notified by virtio_ring itself, once for every
# request that found the ring full (virtqueue_add_split() forces it before
# -ENOSPC), which the driver counts as a requeue: no fault injection here,
# so every requeue is one of those.  A kick is counted when its
# notification returns, after the device has seen it: read both until
# they agree, 10 s at most.
notified() {
	echo $(($(drvd kicks) + $(drvd requeues)))
}
for _ in $(seq 50); do
	[ "$(notified) $(drvd interrupts)" = "$(simd notifies) $(simd interrupts)" ] && break
	sleep 0.2
done
echo "# kicks $(drvd kicks), ring-full requeues $(drvd requeues), device notifies $(simd notifies)"
ktap_eq "blk_sim_kicks_eq_device_notifies" "$(notified)" "$(simd notifies)"
ktap_eq "blk_sim_interrupts_eq_device_interrupts" "$(drvd interrupts)" "$(simd interrupts)"
ktap_eq "blk_sim_no_malformed_or_unsupported_request" "$(simd malformed) $(simd unsupported)" "0 0"

# A device whose secure-erase limits lie far below its discard ones: 256
# sectors per range and 2 ranges per request (discard: 8192 and 16).
# Whatever the block layer builds, the driver must not send the device more
# than it accepts.  Then the device as the configuration had it, for the
# tests that follow.
rmmod pvlens_blk_sim && blk_wait_sim_disk absent &&
	insmod "$ko" "${params[@]}" max_secure_erase_sectors=256 max_secure_erase_seg=2 &&
	blk_wait_sim_disk present
disk=$(blk_sim_disk)
dev=/dev/$disk
echo "# tight limits: $disk, max_discard_segments $(cat "/sys/block/$disk/queue/max_discard_segments")"
ktap_eq "blk_sim_tight_erase_limits_cap_discard_max" \
	"$(cat "/sys/block/$disk/queue/discard_max_hw_bytes")" $((256 * 512))
ktap_eq "blk_sim_tight_erase_limits_keep_discard_segments" \
	"$(cat "/sys/block/$disk/queue/max_discard_segments")" "$(cfg max_discard_seg)"
# The fresh RAM disk is all zeros: data first, or zeros prove nothing.
dd if=/tmp/se_pat of="$dev" bs=1M count=8 oflag=direct status=none
e0=$(cat "$sim/secure_erase_errors")
blkdiscard -f --secure -o "$mib" -l $((4 * mib)) "$dev"
ktap_eq "blk_sim_tight_erase_limits_erase_succeeds" "$?" 0
echo "# tight limits: device requests $(cat "$sim/secure_erase_requests") ranges $(cat "$sim/secure_erase_ranges") errors $(cat "$sim/secure_erase_errors")"
ktap_eq "blk_sim_tight_erase_limits_device_refused_nothing" "$(($(cat "$sim/secure_erase_errors") - e0))" 0
is_zero 1 4 && region_is 0 1 /tmp/se_pat 0 && region_is 5 3 /tmp/se_pat 5
ktap_result "blk_sim_tight_erase_limits_erased_exactly_the_range"

# Secure-erase ranges of 4 sectors, below the discard granularity (8):
# capping the discard limit there would stop the block layer splitting
# discards, so the driver gives up secure erase instead, says so once, and
# discard keeps the device's own limit.
rmmod pvlens_blk_sim && blk_wait_sim_disk absent &&
	insmod "$ko" "${params[@]}" max_secure_erase_sectors=4 &&
	blk_wait_sim_disk present
disk=$(blk_sim_disk)
dev=/dev/$disk
ktap_eq "blk_sim_erase_below_granularity_said_once" \
	"$(dmesg | grep -c "max_secure_erase_sectors 4 is below the discard granularity, feature disabled")" 1
ktap_eq "blk_sim_erase_below_granularity_discard_max_kept" \
	"$(cat "/sys/block/$disk/queue/discard_max_hw_bytes")" "$(($(cfg max_discard_sectors) * 512))"
dd if=/tmp/se_pat of="$dev" bs=1M count=10 oflag=direct status=none
blkdiscard -f --secure -o "$mib" -l "$mib" "$dev" 2> /dev/null
ktap_check "blk_sim_erase_below_granularity_secure_erase_refused" [ $? -ne 0 ]
blkdiscard -f -o "$mib" -l $((8 * mib)) "$dev" && is_zero 1 8 &&
	region_is 0 1 /tmp/se_pat 0 && region_is 9 1 /tmp/se_pat 9
ktap_result "blk_sim_erase_below_granularity_8m_discard_zeroes_its_range"

rmmod pvlens_blk_sim && blk_wait_sim_disk absent && insmod "$ko" "${params[@]}" &&
	blk_wait_sim_disk present
ktap_result "blk_sim_reloaded_for_next_tests"
ktap_exit
