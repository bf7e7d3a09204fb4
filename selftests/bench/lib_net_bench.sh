#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Shared by the network bench (selftests/net/net_bench.sh) and profile
# (selftests/bench/net_profile.sh): bind both NICs of the socket-pair to one
# driver and set up the two namespaces of lib_net.sh.  Source it (it sources
# lib_net.sh unless that is loaded already).
declare -F pvnet_setup >/dev/null || . "$PVLENS_TOP/selftests/net/lib_net.sh"
. "$PVLENS_TOP/selftests/bench/lib_bench.sh" # alt_dir

# TAP, PEER, SELF: the configuration's tap-netns device (tap:ID:HOST:GUEST
# in PVLENS_DEVICES), if it has one; bench_load then binds its one NIC.
TAP=
for _dev in $PVLENS_DEVICES; do
	case $_dev in
	tap:*) IFS=: read -r _ TAP PEER SELF <<< "$_dev" ;;
	esac
done
export TAP PEER SELF

# tap_rx_packets: what the host side of the tap has taken in from the guest.
tap_rx_packets() {
	pvlens_host tap-stats "$TAP" | jq '.[0].stats64.rx.packets'
}

PVNET_KO=$(find "$PVLENS_TOP/drivers/net" -name pvlens_net.ko | head -n 1)
# BENCH_ALT="label:dir ...": other builds of pvlens_net, benched as "label"
# (and "label-notiming"); their pvlens_net must fit the loaded pvlens_core.
ALT=${BENCH_ALT:-}

# bench_load intree|pvlens|pvlens-notiming|LABEL[-notiming]: bind both NICs
# to that driver.  With TAP set (a tap-netns device; SELF its guest address)
# there is one NIC, and it goes into NS_A as IF_A.
bench_load() {
	local _ dir ns namespaces want=2
	[ -n "${TAP:-}" ] && want=1
	pvnet_teardown
	rmmod pvlens_net 2>/dev/null
	rmmod virtio_net 2>/dev/null
	case $1 in
	intree)
		modprobe virtio_net
		PVNET_DRIVER=virtio_net
		;;
	pvlens | pvlens-notiming)
		insmod "$PVNET_KO"
		PVNET_DRIVER=pvlens_net
		;;
	*)
		dir=$(alt_dir "${1%-notiming}")
		[ -n "$dir" ] || return 1
		insmod "$dir/drivers/net/pvlens_net.ko" || return 1
		PVNET_DRIVER=pvlens_net
		;;
	esac
	if [ "$1" != "${1%-notiming}" ]; then
		echo N > /sys/module/pvlens_core/parameters/timing
	else
		echo Y > /sys/module/pvlens_core/parameters/timing 2>/dev/null
	fi
	export PVNET_DRIVER
	for _ in $(seq 50); do
		[ "$(pvnet_ifaces | wc -l)" -ge "$want" ] && break
		sleep 0.1
	done
	if [ -n "${TAP:-}" ]; then
		IF_A=$(pvnet_ifaces | head -n 1)
		# shellcheck disable=SC2034 # for the caller, as pvnet_setup's
		VDEV_A=/sys/bus/virtio/devices/$(pvnet_vdev "$IF_A")
		pvnet_netns "$NS_A" "$IF_A" "$SELF" &&
			pvnet_wait_carrier "$NS_A" "$IF_A" 1 || return 1
	else
		pvnet_setup || return 1
	fi
	# BENCH_BQL_LIMIT_MIN=BYTES: a floor under BQL's limit on every
	# transmit queue (only pvlens_net feeds BQL), to see what it costs.
	[ -n "${BENCH_BQL_LIMIT_MIN:-}" ] || return 0
	namespaces=$NS_A
	[ -n "${TAP:-}" ] || namespaces="$NS_A $NS_B"
	for ns in $namespaces; do
		# shellcheck disable=SC2016 # expanded by the inner shell
		$IP netns exec "$ns" sh -c 'for f in /sys/class/net/*/queues/tx-*/byte_queue_limits/limit_min; do
			echo "$0" > "$f"; done' "$BENCH_BQL_LIMIT_MIN"
	done
}
