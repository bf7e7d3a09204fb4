#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# pvlens_net against a (multiqueue) tap whose host side lives in a host
# network namespace (harness backend "tap-netns"): offloads are real here
# (CSUM, TSO, guest TSO with mergeable or big buffers).  Data must arrive
# intact both ways with offloads on and off, at MTU 1500 and 9000, the
# guest's counters must equal the tap's, both queue pairs must carry
# traffic, and ethtool -L between 1 and 2 must work under a running
# bidirectional stream.  Last, the in-tree
# module parameters csum and gso: loaded with both 0, transmit checksumming
# and TSO start off, yet offered (ethtool -K turns them on, and the device
# then gets GSO frames).
cd "$(dirname "$0")" || exit 1
. ./lib_net.sh

ktap_plan 22
trap '$IP netns del $NS_A 2>/dev/null' EXIT

for d in $PVLENS_DEVICES; do
	case $d in
	tap:*)
		IFS=: read -r _ TAP PEER SELF <<< "$d"
		break
		;;
	esac
done
if [ -z "$TAP" ]; then
	ktap_fail "net_tap_present"
	exit 1
fi
# shellcheck disable=SC2207
ifs=($(pvnet_ifaces))
IF=${ifs[0]}
VDEV=/sys/bus/virtio/devices/$(pvnet_vdev "$IF")
pairs=$($ETHTOOL -l "$IF" | awk '/Combined:/ { print $2 }' | head -n 1)
echo "# $IF: $pairs queue pair(s), peer $PEER"
ktap_ok "net_tap_present"
pvnet_netns $NS_A "$IF" "$SELF"
pvnet_wait_carrier $NS_A "$IF" 1
ktap_eq "net_tap_ping" "$(pvnet_ping $NS_A "$PEER" 1000 5)" "5"

# host_to_guest FILE: the host sends FILE (same path in the guest over 9p),
# prints what the guest received, as sha256.
host_to_guest() {
	local port=$((30000 + RANDOM % 1000))
	rm -f /tmp/pvnet_rx.sha
	$IP netns exec $NS_A sh -c "timeout 120 socat -u TCP-LISTEN:$port,reuseaddr - 2>/dev/null | sha256sum | cut -d' ' -f1 > /tmp/pvnet_rx.sha" &
	local srv=$!
	sleep 0.5
	pvlens_host tap-exec "$TAP" socat -u "FILE:$1" "TCP:$SELF:$port,retry=20,interval=0.2" >/dev/null
	wait $srv
	cat /tmp/pvnet_rx.sha
}

# guest_to_host FILE: the guest sends FILE to a TCP echo on the host and
# prints the sha256 of what comes back (tap-exec takes no shell pipelines).
guest_to_host() {
	local port=$((31000 + RANDOM % 1000)) out
	rm -f /tmp/pvnet_echo.sha
	$IP netns exec $NS_A sh -c "socat -t 60 TCP:$PEER:$port,retry=100,interval=0.2 - < $1 2>/dev/null | sha256sum | cut -d' ' -f1 > /tmp/pvnet_echo.sha" &
	local cl=$!
	out=$(pvlens_host tap-exec "$TAP" timeout 110 socat TCP-LISTEN:$port,reuseaddr EXEC:cat)
	echo "$out" | grep -q '"rc": 0' || echo "# tap-exec: $out" >&2
	wait $cl
	cat /tmp/pvnet_echo.sha
}

# snapshot: guest and tap counters at one quiet moment (the guest's
# counters unchanged around the tap's read), as "g_tx g_txb g_rx g_rxb t_rx
# t_rxb t_tx t_txb".
snapshot() {
	local a b t _
	for _ in $(seq 20); do
		a="$(pvnet_stat $NS_A "$IF" tx_packets) $(pvnet_stat $NS_A "$IF" tx_bytes) $(pvnet_stat $NS_A "$IF" rx_packets) $(pvnet_stat $NS_A "$IF" rx_bytes)"
		t=$(pvlens_host tap-stats "$TAP" | jq -r '.[0].stats64 | "\(.rx.packets) \(.rx.bytes) \(.tx.packets) \(.tx.bytes)"')
		b="$(pvnet_stat $NS_A "$IF" tx_packets) $(pvnet_stat $NS_A "$IF" tx_bytes) $(pvnet_stat $NS_A "$IF" rx_packets) $(pvnet_stat $NS_A "$IF" rx_bytes)"
		[ "$a" = "$b" ] && break
		sleep 0.2
	done
	echo "$a $t"
}

# Nothing but the test's traffic on the link: no IPv6 on the host side
# (router solicitations), no neighbour probes either way.
tapdev=$(pvlens_host tap-stats "$TAP" | jq -r '.[0].ifname')
tapmac=$(pvlens_host tap-stats "$TAP" | jq -r '.[0].address')
pvlens_host tap-exec "$TAP" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 >/dev/null
pvlens_host tap-exec "$TAP" ip neigh replace "$SELF" lladdr "$($IP netns exec $NS_A cat "/sys/class/net/$IF/address")" nud permanent dev "$tapdev" >/dev/null
$IP -n $NS_A neigh replace "$PEER" lladdr "$tapmac" nud permanent dev "$IF"

# Any large file that the host and the guest (over 9p) see at one path; a
# debug kernel (make check-debug) has no /boot/vmlinuz of its own.
file=/boot/vmlinuz-$(uname -r)
[ -r "$file" ] || file=$(ls /boot/vmlinuz-* | head -n 1)
want=$(sha256sum "$file" | cut -d' ' -f1)
sleep 1
read -r g_tx0 g_txb0 g_rx0 g_rxb0 t_rx0 t_rxb0 t_tx0 t_txb0 <<< "$(snapshot)"

ktap_eq "net_tap_host_to_guest_sha256_offloads_on" "$(host_to_guest "$file")" "$want"
ktap_eq "net_tap_guest_to_host_echo_sha256_offloads_on" "$(guest_to_host "$file")" "$want"

# Four flows each way: tx queues chosen per flow, the tap spreads rx.
$IP netns exec $NS_A iperf3 -c "$PEER" -P 4 -t 4 >/dev/null
$IP netns exec $NS_A iperf3 -c "$PEER" -P 4 -t 4 -R >/dev/null
sleep 1
read -r g_tx g_txb g_rx g_rxb t_rx t_rxb t_tx t_txb <<< "$(snapshot)"
g_tx=$((g_tx - g_tx0)); g_txb=$((g_txb - g_txb0)); g_rx=$((g_rx - g_rx0)); g_rxb=$((g_rxb - g_rxb0))
t_rx=$((t_rx - t_rx0)); t_rxb=$((t_rxb - t_rxb0)); t_tx=$((t_tx - t_tx0)); t_txb=$((t_txb - t_txb0))
echo "# guest tx $g_tx/$g_txb = tap rx $t_rx/$t_rxb; tap tx $t_tx/$t_txb = guest rx $g_rx/$g_rxb"
[ "$g_tx" = "$t_rx" ] && [ "$g_txb" = "$t_rxb" ]
ktap_result "net_tap_counters_equal_guest_to_host"
[ "$g_rx" = "$t_tx" ] && [ "$g_rxb" = "$t_txb" ]
ktap_result "net_tap_counters_equal_host_to_guest"

if [ "$pairs" -ge 2 ]; then
	for q in 0 1; do
		echo "# pair $q: tx_ops $(pvnet_pv "$VDEV" tx-$q tx_ops) rx_ops $(pvnet_pv "$VDEV" rx-$q rx_ops) tx irqs $(pvnet_pv "$VDEV" tx-$q interrupts) rx irqs $(pvnet_pv "$VDEV" rx-$q interrupts)"
	done
	[ "$(pvnet_pv "$VDEV" tx-0 tx_ops)" -gt 100 ] && [ "$(pvnet_pv "$VDEV" tx-1 tx_ops)" -gt 100 ] &&
		[ "$(pvnet_pv "$VDEV" rx-0 rx_ops)" -gt 100 ] && [ "$(pvnet_pv "$VDEV" rx-1 rx_ops)" -gt 100 ]
	ktap_result "net_mq_both_pairs_carry_traffic"

	$IP netns exec $NS_A iperf3 -c "$PEER" -P 2 -t 10 --bidir -J > /tmp/pvnet_mq.json &
	cl=$!
	ok=1
	for n in 1 2 1 2; do
		sleep 2
		$IP netns exec $NS_A $ETHTOOL -L "$IF" combined $n || ok=0
		got=$($IP netns exec $NS_A $ETHTOOL -l "$IF" | awk '/Combined:/ { print $2 }' | tail -n 1)
		[ "$got" = "$n" ] || ok=0
	done
	wait $cl
	ktap_check "net_mq_ethtool_L_under_traffic" [ $ok = 1 ]
	ktap_check "net_mq_stream_survives_channel_changes" \
		[ "$(jq '.end.sum_received.bytes' /tmp/pvnet_mq.json)" -gt 0 ]
else
	ktap_skip "net_mq_both_pairs_carry_traffic" "one queue pair"
	ktap_skip "net_mq_ethtool_L_under_traffic" "one queue pair"
	ktap_skip "net_mq_stream_survives_channel_changes" "one queue pair"
fi

# transfer_bpp rx|tx FILE: FILE from the host (rx) or echoed through it
# (tx); prints the sha256 of what arrived and the guest's bytes per packet
# in that direction (above a frame: segments travel whole, GSO).
transfer_bpp() {
	local p0 b0 sha p
	p0=$(pvnet_stat $NS_A "$IF" "$1_packets")
	b0=$(pvnet_stat $NS_A "$IF" "$1_bytes")
	if [ "$1" = rx ]; then
		sha=$(host_to_guest "$2")
	else
		sha=$(guest_to_host "$2")
	fi
	p=$(( $(pvnet_stat $NS_A "$IF" "$1_packets") - p0 ))
	echo "$sha $(( ($(pvnet_stat $NS_A "$IF" "$1_bytes") - b0) / (p ? p : 1) ))"
}
gro_hw() {
	$IP netns exec $NS_A $ETHTOOL -k "$IF" | awk '$1 == "rx-gro-hw:" { print $2 }'
}

# Offloads off on both sides of the guest: the stack checksums and
# segments, and the device, told by CTRL_GUEST_OFFLOADS, sends only
# complete frames.
ctrl0=$(pvnet_pv "$VDEV" ctrl ctrl_ops)
$IP netns exec $NS_A $ETHTOOL -K "$IF" tx off sg off tso off rx-gro-hw off 2>/dev/null
ctrl1=$(pvnet_pv "$VDEV" ctrl ctrl_ops)
read -r sha bpp <<< "$(transfer_bpp rx "$file")"
echo "# offloads off: rx-gro-hw $(gro_hw), $((ctrl1 - ctrl0)) control commands, $bpp bytes per received packet"
[ "$sha" = "$want" ] && [ "$(gro_hw)" = off ] && [ "$ctrl1" -gt "$ctrl0" ] &&
	[ "$bpp" -le 1514 ]
ktap_result "net_tap_host_to_guest_sha256_offloads_off_frames_only"
ktap_eq "net_tap_guest_to_host_echo_sha256_offloads_off" "$(guest_to_host "$file")" "$want"
$IP netns exec $NS_A $ETHTOOL -K "$IF" tx on sg on tso on rx-gro-hw on 2>/dev/null
read -r sha bpp <<< "$(transfer_bpp rx "$file")"
echo "# offloads on again: rx-gro-hw $(gro_hw), $bpp bytes per received packet"
[ "$sha" = "$want" ] && [ "$(gro_hw)" = on ] && [ "$bpp" -gt 1514 ]
ktap_result "net_tap_host_to_guest_sha256_offloads_on_segments_whole"
ktap_eq "net_tap_ctrl_commands_accepted" "$(pvnet_pv "$VDEV" ctrl ctrl_errors)" "0"

# MTU 9000 on both ends of the tap, where the offloads are real: with them
# off, whole jumbo frames cross the device each way (more than a 1500-byte
# frame, at most a 9000-byte one); with them on, segments still arrive whole.
set_mtu() {
	pvlens_host tap-exec "$TAP" ip link set dev "$tapdev" mtu "$1" >/dev/null &&
		$IP -n $NS_A link set "$IF" mtu "$1"
}
if set_mtu 9000; then
	ktap_eq "net_tap_mtu9000_ping_8972" "$(pvnet_ping $NS_A "$PEER" 8972 5)" "5"
	$IP netns exec $NS_A $ETHTOOL -K "$IF" tx off sg off tso off rx-gro-hw off 2>/dev/null
	read -r sha bpp <<< "$(transfer_bpp rx "$file")"
	echo "# MTU 9000, offloads off: $bpp bytes per received packet"
	[ "$sha" = "$want" ] && [ "$bpp" -gt 1514 ] && [ "$bpp" -le 9014 ]
	ktap_result "net_tap_mtu9000_host_to_guest_sha256_offloads_off_jumbo_frames"
	read -r sha bpp <<< "$(transfer_bpp tx "$file")"
	echo "# MTU 9000, offloads off: $bpp bytes per sent packet"
	[ "$sha" = "$want" ] && [ "$bpp" -gt 1514 ] && [ "$bpp" -le 9014 ]
	ktap_result "net_tap_mtu9000_guest_to_host_echo_sha256_offloads_off_jumbo_frames"
	$IP netns exec $NS_A $ETHTOOL -K "$IF" tx on sg on tso on rx-gro-hw on 2>/dev/null
	read -r sha bpp <<< "$(transfer_bpp rx "$file")"
	echo "# MTU 9000, offloads on: $bpp bytes per received packet"
	[ "$sha" = "$want" ] && [ "$bpp" -gt 9014 ]
	ktap_result "net_tap_mtu9000_host_to_guest_sha256_offloads_on_segments_whole"
	ktap_eq "net_tap_mtu9000_guest_to_host_echo_sha256_offloads_on" \
		"$(guest_to_host "$file")" "$want"
else
	for t in ping_8972 host_to_guest_sha256_offloads_off_jumbo_frames \
		guest_to_host_echo_sha256_offloads_off_jumbo_frames \
		host_to_guest_sha256_offloads_on_segments_whole \
		guest_to_host_echo_sha256_offloads_on; do
		ktap_fail "net_tap_mtu9000_$t"
	done
fi
set_mtu 1500

# reload_net ARGS...: pvlens_net loaded again with ARGS, the NIC back in
# its namespace with the same neighbour (the device keeps its MAC).
reload_net() {
	$IP netns del $NS_A
	sleep 0.5
	rmmod pvlens_net && insmod "$PVNET_KO" "$@" || return 1
	pvnet_wait_ifaces 1 || return 1
	IF=$(pvnet_ifaces | head -n 1)
	pvnet_netns $NS_A "$IF" "$SELF" && pvnet_wait_carrier $NS_A "$IF" 1 &&
		$IP -n $NS_A neigh replace "$PEER" lladdr "$tapmac" nud permanent dev "$IF"
}

# tx_offloads: "<tx-checksumming> <tso>", "[fixed]" glued on when not offered.
tx_offloads() {
	$IP netns exec $NS_A $ETHTOOL -k "$IF" | awk '
		$1 == "tx-checksumming:" { c = $2 $3 }
		$1 == "tcp-segmentation-offload:" { t = $2 $3 }
		END { print c, t }'
}

PVNET_KO=$(find "$PVLENS_TOP/drivers/net" -name pvlens_net.ko | head -n 1)
if reload_net csum=0 gso=0; then
	ktap_eq "net_csum_gso_0_start_off_but_offered" "$(tx_offloads)" "off off"
	read -r sha bpp <<< "$(transfer_bpp tx "$file")"
	echo "# csum=0 gso=0: $bpp bytes per sent packet"
	[ "$sha" = "$want" ] && [ "$bpp" -le 1514 ]
	ktap_result "net_csum_gso_0_echo_intact_frame_sized"
	$IP netns exec $NS_A $ETHTOOL -K "$IF" tx on sg on tso on
	read -r sha bpp <<< "$(transfer_bpp tx "$file")"
	echo "# ethtool -K tx on sg on tso on: $(tx_offloads), $bpp bytes per sent packet"
	[ "$(tx_offloads)" = "on on" ] && [ "$sha" = "$want" ] && [ "$bpp" -gt 1514 ]
	ktap_result "net_csum_gso_ethtool_K_on_echo_intact_gso_frames"
else
	ktap_fail "net_csum_gso_0_start_off_but_offered"
	ktap_fail "net_csum_gso_0_echo_intact_frame_sized"
	ktap_fail "net_csum_gso_ethtool_K_on_echo_intact_gso_frames"
fi
reload_net
ktap_eq "net_csum_gso_default_on" "$(tx_offloads)" "on on"
