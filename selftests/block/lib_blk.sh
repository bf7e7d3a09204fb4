# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Helpers shared by the pvlens_blk selftests.  Source after lib/pvlens.sh.

# blk_disks: the vdX names of disks driven by pvlens_blk, one per line.
blk_disks() {
	local d drv
	for d in /sys/block/vd*; do
		[ -e "$d" ] || continue
		drv=$(basename "$(readlink -f "$d/device/driver")")
		[ "$drv" = pvlens_blk ] && basename "$d"
	done
}

# blk_disk_of ID: the vdX of the virtio-blk device with QEMU id ID (the
# harness names them d0, d1...; the order of probing follows the PCI slots).
blk_disk_of() {
	local idx=${1#d}
	blk_disks | sed -n "$((idx + 1))p"
}

# blk_vdev DISK: the virtioN directory of DISK.
blk_vdev() {
	readlink -f "/sys/block/$1/device"
}

# blk_sum DISK NAME: NAME summed over every queue of DISK's pvlens directory.
blk_sum() {
	local dir total=0 f
	dir="$(blk_vdev "$1")/pvlens"
	for f in "$dir"/*/"$2"; do
		[ -e "$f" ] && total=$((total + $(cat "$f")))
	done
	echo "$total"
}

# blk_reset DISK: zero the pvlens counters of DISK.
blk_reset() {
	echo 1 > "$(blk_vdev "$1")/pvlens/reset"
}

# blk_stat DISK FIELD: field FIELD (1-based) of /sys/block/DISK/stat.
blk_stat() {
	awk -v f="$2" '{ print $f }' "/sys/block/$1/stat"
}

# blk_qmp_stat ID FIELD: a field of QMP query-blockstats for device ID.
blk_qmp_stat() {
	pvlens_qmp '{"execute": "query-blockstats"}' |
		jq -r --arg id "$1" --arg f "$2" \
		'.return[] | select(.qdev == $id or .qdev == ("/machine/peripheral/" + $id + "/virtio-backend")) | .stats[$f]'
}

# blk_dmesg_clean_since MARK: no pvlens_blk error lines after MARK in dmesg.
blk_log_mark() {
	echo "pvlens-test: $*" > /dev/kmsg
}

# blk_hist_bucket_of DISK CLASS PERMILLE: index of the latency bucket holding
# rank ceil(count * p) of CLASS, merged over every queue (debugfs histogram).
blk_hist_bucket_of() {
	local dbg
	dbg="/sys/kernel/debug/pvlens/$(basename "$(blk_vdev "$1")")"
	cat "$dbg"/*/histogram | awk -v c="$2" -v p="$3" '
		$1 == c { n[$2] += $4; lo[NR] = $2; if (!($2 in seen)) { seen[$2] = 1; order[k++] = $2 } total += $4 }
		END {
			rank = int((total * p + 999) / 1000); acc = 0
			for (i = 0; i < k; i++) { acc += n[order[i]]; if (acc >= rank) { print i; exit } }
			print -1
		}'
}

# blk_bucket_of_ns NS: index of the pvlens latency bucket that holds NS.
blk_bucket_of_ns() {
	awk -v v="$1" 'BEGIN { b = 0; x = 1024; while (v >= x && b < 25) { b++; x *= 2 } print b }'
}

# blk_within_buckets N A B: buckets A and B (both valid) at most N apart.
blk_within_buckets() {
	local d=$(($2 - $3))
	[ "$2" -ge 0 ] && [ "$3" -ge 0 ] && [ "${d#-}" -le "$1" ]
}

# blk_hist_total DISK CLASS: samples in CLASS's latency histogram, all queues
# (from debugfs, independent of the sysfs file names).
blk_hist_total() {
	local dbg
	dbg="/sys/kernel/debug/pvlens/$(basename "$(blk_vdev "$1")")"
	cat "$dbg"/*/histogram | awk -v c="$2" '$1 == c { t += $4 } END { print t + 0 }'
}

# blk_fio_load NAME DISK SECS: a random read/write load on DISK (4 KiB,
# QD16, direct) for SECS seconds in the background, output in
# /tmp/NAME.out; sets BLK_FIO_PID.  For tests that pull the device away
# under it.
blk_fio_load() {
	fio --name="$1" --filename="/dev/$2" --direct=1 --ioengine=libaio \
		--iodepth=16 --rw=randrw --bs=4k --size=64M --time_based \
		--runtime="$3" > "/tmp/$1.out" 2>&1 &
	# shellcheck disable=SC2034 # for the caller
	BLK_FIO_PID=$!
}

# blk_fio_wait PID SECS: wait up to SECS for the background fio PID.  True
# when it ended (its exit status in BLK_FIO_RC); false when it hung and was
# killed.
blk_fio_wait() {
	local _
	for _ in $(seq $(($2 * 10))); do
		kill -0 "$1" 2> /dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2> /dev/null; then
		kill -9 "$1"
		return 1
	fi
	wait "$1"
	BLK_FIO_RC=$?
}

# blk_wait_disk present|absent: wait up to 10 s until some pvlens_blk disk
# exists, or none does.
blk_wait_disk() {
	local _
	for _ in $(seq 100); do
		if [ "$1" = present ]; then
			[ -n "$(blk_disks)" ] && return 0
		else
			[ -z "$(blk_disks)" ] && return 0
		fi
		sleep 0.1
	done
	return 1
}

# blk_recovery_check NAME DISK BREAK...: run a verifying fio on DISK, run the
# command BREAK (something that makes the device lose or stall its queues)
# once fio's writes are flowing (64 done; a fixed delay let a fast host
# finish all of fio first) (BLK_RECOVERY_FIO_SIZE: fio's size, 16M; BLK_RECOVERY_IO_TIMEOUT:
# the disk's io_timeout meanwhile, 2000 ms), and report seven
# results NAME_*: BREAK succeeded, fio finishes and verifies, the driver
# reset the device, no request failed, nothing stays in flight, and plain
# I/O works afterwards.  Needs pvlens_blk's recovery=Y.
blk_recovery_check() {
	local name=$1 disk=$2 fio_pid r0 t0 q0 f0 w0
	shift 2
	echo "${BLK_RECOVERY_IO_TIMEOUT:-2000}" > "/sys/block/$disk/queue/io_timeout"
	r0=$(blk_sum "$disk" resets)
	t0=$(blk_sum "$disk" timeouts)
	q0=$(blk_sum "$disk" reset_requeues)
	f0=$(blk_sum "$disk" err_reset)
	w0=$(blk_stat "$disk" 5)
	fio --name="$name" --filename="/dev/$disk" --direct=1 --ioengine=libaio \
		--iodepth=16 --rw=randwrite --bs=4k --size="${BLK_RECOVERY_FIO_SIZE:-16M}" --verify=crc32c \
		--do_verify=1 --verify_fatal=1 --randrepeat=0 > "/tmp/$name.out" 2>&1 &
	fio_pid=$!
	for _ in $(seq 200); do
		[ "$(blk_stat "$disk" 5)" -ge $((w0 + 64)) ] && break
		sleep 0.05
	done
	kill -0 "$fio_pid" 2>/dev/null || echo "# $name: fio ended before the fault"
	ktap_check "${name}_fault_injected" "$@"
	if blk_fio_wait "$fio_pid" 60; then
		ktap_ok "${name}_fio_finishes"
		[ "$BLK_FIO_RC" -ne 0 ] && tail -5 "/tmp/$name.out" | sed 's/^/# /'
		ktap_eq "${name}_fio_verify_passes" "$BLK_FIO_RC" 0
	else
		ktap_fail "${name}_fio_finishes"
		ktap_fail "${name}_fio_verify_passes"
	fi
	# For the caller: the resets and timeouts of this run.
	BLK_RECOVERY_RESETS=$(($(blk_sum "$disk" resets) - r0))
	BLK_RECOVERY_TIMEOUTS=$(($(blk_sum "$disk" timeouts) - t0))
	echo "# $name: resets $BLK_RECOVERY_RESETS timeouts $BLK_RECOVERY_TIMEOUTS" \
		"requeued $(($(blk_sum "$disk" reset_requeues) - q0))" \
		"failed $(($(blk_sum "$disk" err_reset) - f0))"
	ktap_check "${name}_device_was_reset" [ "$BLK_RECOVERY_RESETS" -ge 1 ]
	ktap_eq "${name}_no_request_failed" "$(($(blk_sum "$disk" err_reset) - f0))" 0
	ktap_eq "${name}_inflight_back_to_zero" \
		"$(cat "$(blk_vdev "$disk")"/pvlens/*/inflight | sort -u)" 0
	dd if=/dev/zero of="/dev/$disk" bs=64k count=16 oflag=direct status=none &&
		dd if="/dev/$disk" of=/dev/null bs=64k count=16 iflag=direct status=none
	ktap_eq "${name}_io_after_reset" "$?" 0
	echo 30000 > "/sys/block/$disk/queue/io_timeout"
}

# blk_recovery_skip NAME [WHY]: the seven results of blk_recovery_check,
# skipped (by default because recovery is off).
blk_recovery_skip() {
	local t
	for t in fault_injected fio_finishes fio_verify_passes device_was_reset \
		no_request_failed inflight_back_to_zero io_after_reset; do
		ktap_skip "${1}_$t" "${2:-recovery off (a kernel without CONFIG_PM_SLEEP has no reset)}"
	done
}

# blk_pci_of DISK: the PCI address (0000:00:04.0) of DISK's virtio device.
blk_pci_of() {
	basename "$(dirname "$(blk_vdev "$1")")"
}

# blk_sim_disk: the vdX that pvlens_blk made of pvlens_blk_sim's device.
blk_sim_disk() {
	local d
	for d in $(blk_disks); do
		case "$(blk_vdev "$d")" in
		/sys/devices/pvlens_blk_sim/virtio*) echo "$d"; return 0 ;;
		esac
	done
	return 1
}

# blk_wait_sim_disk present|absent: up to 10 s.
blk_wait_sim_disk() {
	local _
	for _ in $(seq 100); do
		if [ "$1" = present ]; then
			blk_sim_disk > /dev/null && return 0
		else
			blk_sim_disk > /dev/null || return 0
		fi
		sleep 0.1
	done
	return 1
}
