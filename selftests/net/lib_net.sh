#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Shared setup for the pvlens_net selftests: the two NICs of one socket-pair
# ("n0a", "n0b" in QEMU) each go into their own guest network namespace, so
# traffic between them crosses the QEMU socket link.  Addresses exist only
# inside those namespaces.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"

NS_A=pvnet_a
NS_B=pvnet_b
ADDR_A=10.201.0.1
ADDR_B=10.201.0.2
IP=/usr/sbin/ip
ETHTOOL=/usr/sbin/ethtool
PING="/bin/busybox ping"

# Interfaces bound to $PVNET_DRIVER (default pvlens_net) in the root
# namespace, in virtio bus order.
pvnet_ifaces() {
	local d
	for d in /sys/bus/virtio/drivers/"${PVNET_DRIVER:-pvlens_net}"/virtio*; do
		[ -d "$d/net" ] && ls "$d/net"
	done
}

# pvnet_wait_ifaces N: until N pvlens_net interfaces exist (5 s).
pvnet_wait_ifaces() {
	pvlens_wait_until 5 pvnet_have_ifaces "$1"
}
pvnet_have_ifaces() {
	[ "$(pvnet_ifaces | wc -l)" -ge "$1" ]
}

# pvnet_vdev IFACE: the virtio device directory (pvlens/ lives there).
pvnet_vdev() {
	basename "$(readlink -f "/sys/class/net/$1/device")"
}

# pvnet_setup: IF_A/IF_B, VDEV_A/VDEV_B (sysfs dirs), namespaces, addresses.
pvnet_setup() {
	local ifs
	# shellcheck disable=SC2207
	ifs=($(pvnet_ifaces))
	if [ "${#ifs[@]}" -lt 2 ]; then
		echo "# want 2 ${PVNET_DRIVER:-pvlens_net} interfaces, found ${#ifs[@]}: ${ifs[*]}"
		return 1
	fi
	IF_A=${ifs[0]}
	IF_B=${ifs[1]}
	# shellcheck disable=SC2034  # used by the tests that source this file
	VDEV_A=/sys/bus/virtio/devices/$(pvnet_vdev "$IF_A")
	# shellcheck disable=SC2034
	VDEV_B=/sys/bus/virtio/devices/$(pvnet_vdev "$IF_B")
	pvnet_netns "$NS_A" "$IF_A" "$ADDR_A" || return 1
	pvnet_netns "$NS_B" "$IF_B" "$ADDR_B" || return 1
	pvnet_wait_carrier "$NS_A" "$IF_A" 1 && pvnet_wait_carrier "$NS_B" "$IF_B" 1
}

# pvnet_netns NS IFACE ADDR: no IPv6 so nothing but the test's traffic flows.
pvnet_netns() {
	$IP netns del "$1" 2>/dev/null
	$IP netns add "$1" || return 1
	$IP netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	$IP netns exec "$1" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	$IP link set "$2" netns "$1" || return 1
	$IP -n "$1" link set lo up
	$IP -n "$1" addr add "$3/24" dev "$2"
	$IP -n "$1" link set "$2" up
}

pvnet_teardown() {
	$IP netns del "$NS_A" 2>/dev/null
	$IP netns del "$NS_B" 2>/dev/null
	# Interfaces return to the root namespace when theirs goes away.
	sleep 0.5
}

# pvnet_wait_carrier NS IFACE 0|1: up to 5 s.
pvnet_wait_carrier() {
	local _
	for _ in $(seq 50); do
		[ "$($IP netns exec "$1" cat "/sys/class/net/$2/carrier" 2>/dev/null)" = "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

# pvnet_stat NS IFACE FIELD: /sys/class/net/<if>/statistics/<field>.
pvnet_stat() {
	$IP netns exec "$1" cat "/sys/class/net/$2/statistics/$3"
}

# pvnet_pv VDEV QUEUE FILE: one pvlens sysfs value.
pvnet_pv() {
	cat "$1/pvlens/$2/$3"
}

# pvnet_pv_sum VDEV PREFIX FILE: summed over queues PREFIX-0, PREFIX-1, ...
pvnet_pv_sum() {
	local q sum=0
	for q in "$1"/pvlens/"$2"-*; do
		sum=$((sum + $(cat "$q/$3")))
	done
	echo "$sum"
}

# pvnet_ethtool_stat NS IFACE NAME: one ethtool -S value.
pvnet_ethtool_stat() {
	$IP netns exec "$1" $ETHTOOL -S "$2" | awk -v n="$3:" '$1 == n { print $2 }'
}

# pvnet_ping NS DEST SIZE COUNT: prints the number of replies.
pvnet_ping() {
	$IP netns exec "$1" $PING -q -c "$4" -i 0.1 -W 5 -s "$3" "$2" 2>/dev/null |
		sed -n 's/.* \([0-9]*\) packets received.*/\1/p'
}

# pvnet_qmp_rx_filter NIC_ID: QEMU's view of the device's receive filter.
pvnet_qmp_rx_filter() {
	pvlens_qmp "{\"execute\": \"query-rx-filter\", \"arguments\": {\"name\": \"$1\"}}"
}

pvnet_set_link() {
	pvlens_qmp "{\"execute\": \"set_link\", \"arguments\": {\"name\": \"$1\", \"up\": $2}}" >/dev/null
}

# pvnet_tcp_sha FILE: send FILE from A to B over TCP, print B's sha256.
pvnet_tcp_sha() {
	local out=/tmp/pvnet_rx.sha port=$((20000 + RANDOM % 10000))
	rm -f "$out"
	$IP netns exec "$NS_B" sh -c "socat -u TCP-LISTEN:$port,reuseaddr - | sha256sum | cut -d' ' -f1 > $out" &
	local srv=$!
	sleep 0.5
	$IP netns exec "$NS_A" socat -u "FILE:$1" "TCP:$ADDR_B:$port,retry=20,interval=0.2"
	wait "$srv"
	cat "$out"
}

# pvlens_net_sim, the virtio-net device simulated in the guest
# (drivers/net/sim.c): its debugfs directory and files.
PVNET_SIM=/sys/kernel/debug/pvlens_net_sim
pvnet_sim() { cat "$PVNET_SIM/$1"; }
# Where the tests send to: an address beside the device (no answer comes).
PVNET_SIM_PEER=10.203.0.2
PVNET_SIM_PEER_MAC=02:70:76:6c:00:02

# pvnet_sim_tx_eq NS IFACE N: N UDP datagrams of 37 to 37*N bytes from
# NS to the peer (its MAC pinned: no ARP); true when at least N frames
# went out and the interface's tx packets and bytes equal the device's.
pvnet_sim_tx_eq() {
	local tp0 tb0 sp0 sb0 tp tb sp sb
	$IP -n "$1" neigh replace $PVNET_SIM_PEER lladdr $PVNET_SIM_PEER_MAC \
		nud permanent dev "$2"
	tp0=$(pvnet_stat "$1" "$2" tx_packets); tb0=$(pvnet_stat "$1" "$2" tx_bytes)
	sp0=$(pvnet_sim tx_packets); sb0=$(pvnet_sim tx_bytes)
	$IP netns exec "$1" python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for n in range(1, $3 + 1):
    s.sendto(bytes(n * 37), ('$PVNET_SIM_PEER', 9))"
	sleep 0.5
	tp=$(( $(pvnet_stat "$1" "$2" tx_packets) - tp0 ))
	tb=$(( $(pvnet_stat "$1" "$2" tx_bytes) - tb0 ))
	sp=$(( $(pvnet_sim tx_packets) - sp0 )); sb=$(( $(pvnet_sim tx_bytes) - sb0 ))
	echo "# tx: driver $tp/$tb, device $sp/$sb"
	[ $tp = $sp ] && [ $tb = $sb ] && [ $sp -ge "$3" ]
}

# pvnet_sim_iface: the interface of the simulated device, once bound (root
# namespace).
pvnet_sim_iface() {
	local n
	pvnet_wait_ifaces 1 || return 1
	for n in /sys/class/net/*; do
		case $(readlink -f "$n/device") in
		/sys/devices/pvlens_net_sim/*) basename "$n"; return 0 ;;
		esac
	done
	return 1
}

# pvnet_sim_load NS ARGS...: a fresh simulated device loaded with ARGS (the
# namespace NS that may hold the old one deleted first); sets IF and VDEV.
pvnet_sim_load() {
	local ns=$1 ko
	shift
	ko=$(find "$PVLENS_TOP/drivers/net" -name pvlens_net_sim.ko | head -n 1)
	$IP netns del "$ns" 2>/dev/null
	rmmod pvlens_net_sim 2>/dev/null
	insmod "$ko" "$@" || return 1
	IF=$(pvnet_sim_iface) || return 1
	# shellcheck disable=SC2034  # used by the tests that source this file
	VDEV=/sys/bus/virtio/devices/$(pvnet_vdev "$IF")
}
