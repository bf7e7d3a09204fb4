#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Loading one block driver for a measurement, shared by blk_bench.sh and
# blk_profile.sh (runs in the guest).  The caller sets DEVICES (the disks
# to wait for), SCHED (I/O scheduler to select, empty: the driver's
# default) and ALT ("label:dir ...": other builds, see blk_bench.sh).

core_ko=$PVLENS_TOP/drivers/core/pvlens_core.ko
blk_ko=$PVLENS_TOP/drivers/block/pvlens_blk.ko

unload_all() {
	modprobe -r virtio_blk 2>/dev/null
	rmmod pvlens_blk 2>/dev/null
	rmmod pvlens_core 2>/dev/null
	true
}

. "$PVLENS_TOP/selftests/bench/lib_bench.sh" # alt_dir

load() { # driver[@scheduler]: intree, pvlens, pvlens-notiming, an ALT label
	local dir sched=$SCHED
	unload_all
	if [ "$1" != "${1%@*}" ]; then
		sched=${1#*@}
		set -- "${1%@*}"
	fi
	case $1 in
	intree) modprobe virtio_blk ;;
	pvlens) insmod "$core_ko" timing=1 && insmod "$blk_ko" ;;
	pvlens-notiming) insmod "$core_ko" timing=0 && insmod "$blk_ko" ;;
	*)
		dir=$(alt_dir "${1%-notiming}")
		[ -n "$dir" ] || return 1
		if [ "$1" = "${1%-notiming}" ]; then
			insmod "$dir/drivers/core/pvlens_core.ko" timing=1
		else
			insmod "$dir/drivers/core/pvlens_core.ko" timing=0
		fi && insmod "$dir/drivers/block/pvlens_blk.ko"
		;;
	esac
	for _ in $(seq 50); do
		local missing=0 dev
		for dev in $DEVICES; do [ -b /dev/$dev ] || missing=1; done
		if [ $missing = 0 ]; then
			[ -z "$sched" ] && return 0
			for dev in $DEVICES; do
				echo "$sched" > /sys/block/$dev/queue/scheduler ||
					return 1
			done
			return 0
		fi
		sleep 0.1
	done
	return 1
}
