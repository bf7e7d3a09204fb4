#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Shared by the network bench (selftests/net/net_bench.sh) and profile
# (selftests/bench/net_profile.sh): bind both NICs of the socket-pair to one
# driver and set up the two namespaces of lib_net.sh.  Source it (it sources
# lib_net.sh unless that is loaded already).
declare -F pvnet_setup >/dev/null || . "$PVLENS_TOP/selftests/net/lib_net.sh"

PVNET_KO=$(find "$PVLENS_TOP/drivers/net" -name pvlens_net.ko | head -n 1)

# bench_load intree|pvlens|pvlens-notiming: bind both NICs to that driver.
bench_load() {
	local _
	pvnet_teardown
	rmmod pvlens_net 2>/dev/null
	rmmod virtio_net 2>/dev/null
	case $1 in
	intree)
		modprobe virtio_net
		PVNET_DRIVER=virtio_net
		;;
	pvlens*)
		insmod "$PVNET_KO"
		PVNET_DRIVER=pvlens_net
		;;
	esac
	if [ "$1" = pvlens-notiming ]; then
		echo N > /sys/module/pvlens_core/parameters/timing
	else
		echo Y > /sys/module/pvlens_core/parameters/timing 2>/dev/null
	fi
	export PVNET_DRIVER
	for _ in $(seq 50); do
		[ "$(pvnet_ifaces | wc -l)" -ge 2 ] && break
		sleep 0.1
	done
	pvnet_setup
}
