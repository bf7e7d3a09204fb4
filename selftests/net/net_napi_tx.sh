#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# pvlens_net without tx NAPI, as the in-tree driver's napi_tx=N and
# "ethtool -C tx-frames 0": switched only while the interface is down
# (EBUSY while up, EINVAL for values the device cannot do), data intact,
# transmit completions reaped by the next transmit (tx NAPI polls stand
# still), packets sent = packets the peer received counted exactly once the
# ones still in the ring (pvlens "inflight") are added, every ring-full stop
# woken, and back to tx NAPI (the switch first waits for what was sent).
# Then the module parameter: loaded with napi_tx=0, every interface starts
# without tx NAPI.
cd "$(dirname "$0")" || exit 1
. ./lib_net.sh

PVNET_KO=$(find "$PVLENS_TOP/drivers/net" -name pvlens_net.ko | head -n 1)
ktap_plan 16
trap pvnet_teardown EXIT

# pvnet_tx_frames NS IFACE: what ethtool -c reports as tx-frames.
pvnet_tx_frames() {
	$IP netns exec "$1" $ETHTOOL -c "$2" | awk '$1 == "tx-frames:" { print $2 }'
}

# pvnet_coalesce NS IFACE ARGS...: ethtool -C; prints its exit status and
# the kernel's message, if any.
pvnet_coalesce() {
	local ns=$1 dev=$2 out rc
	shift 2
	out=$($IP netns exec "$ns" $ETHTOOL -C "$dev" "$@" 2>&1)
	rc=$?
	echo "# ethtool -C $dev $*: rc $rc ${out//$'\n'/ }" >&2
	echo "$rc"
}

# pvnet_down_up NS IFACE ARGS...: ethtool -C ARGS with the link down.
pvnet_down_up() {
	local ns=$1 dev=$2 rc
	shift 2
	$IP -n "$ns" link set "$dev" down
	rc=$(pvnet_coalesce "$ns" "$dev" "$@")
	$IP -n "$ns" link set "$dev" up
	pvnet_wait_carrier "$ns" "$dev" 1
	echo "$rc"
}

if ! pvnet_setup; then
	ktap_fail "net_napi_tx_setup"
	ktap_exit
fi
ktap_ok "net_napi_tx_setup"

param=$(cat /sys/module/pvlens_net/parameters/napi_tx)
ktap_eq "net_tx_frames_1_with_napi_tx_param_Y" \
	"$param $(pvnet_tx_frames $NS_A "$IF_A")" "Y 1"

# While up the weight of a running NAPI cannot change: in-tree says EBUSY.
rc=$(pvnet_coalesce $NS_A "$IF_A" tx-frames 0)
[ "$rc" != 0 ] && [ "$(pvnet_tx_frames $NS_A "$IF_A")" = 1 ]
ktap_result "net_tx_frames_0_refused_while_up"
rc2=$(pvnet_coalesce $NS_A "$IF_A" tx-frames 2)
rc3=$(pvnet_coalesce $NS_A "$IF_A" rx-frames 4)
[ "$rc2" != 0 ] && [ "$rc3" != 0 ] && [ "$(pvnet_tx_frames $NS_A "$IF_A")" = 1 ]
ktap_result "net_coalesce_values_device_cannot_do_refused"

rc=$(pvnet_down_up $NS_A "$IF_A" tx-frames 0)
[ "$rc" = 0 ] && [ "$(pvnet_tx_frames $NS_A "$IF_A")" = 0 ]
ktap_result "net_tx_frames_0_while_down"

head -c 32M /dev/urandom > /tmp/pvnet_file
want=$(sha256sum /tmp/pvnet_file | cut -d' ' -f1)
polls0=$(pvnet_pv "$VDEV_A" tx-0 napi_polls)
irqs0=$(pvnet_pv "$VDEV_A" tx-0 interrupts)
full0=$(pvnet_pv "$VDEV_A" tx-0 tx_ring_full)
wakes0=$(pvnet_pv "$VDEV_A" tx-0 tx_wakes)
a_tx0=$(pvnet_stat $NS_A "$IF_A" tx_packets); a_txb0=$(pvnet_stat $NS_A "$IF_A" tx_bytes)
b_rx0=$(pvnet_stat $NS_B "$IF_B" rx_packets); b_rxb0=$(pvnet_stat $NS_B "$IF_B" rx_bytes)
ktap_eq "net_no_tx_napi_tcp_32MiB_sha256" "$(pvnet_tcp_sha /tmp/pvnet_file)" "$want"
ktap_eq "net_no_tx_napi_ping_sizes" \
	"$(for s in 56 1472 8000 65000; do pvnet_ping $NS_A $ADDR_B $s 5; done | tr '\n' ' ')" \
	"5 5 5 5 "

$IP netns exec $NS_B iperf3 -s -1 -D -p 5204 >/dev/null 2>&1
sleep 0.5
if $IP netns exec $NS_A iperf3 -c $ADDR_B -p 5204 -t 3 -J > /tmp/pvnet_iperf.json; then
	echo "# iperf3 tcp without tx NAPI: $(jq '.end.sum_received.bits_per_second / 1000000 | floor' /tmp/pvnet_iperf.json) Mbit/s"
fi
sleep 0.5

polls=$(( $(pvnet_pv "$VDEV_A" tx-0 napi_polls) - polls0 ))
ktap_eq "net_no_tx_napi_polls_stand_still" "$polls" "0"

# Completions wait in the ring for the next transmit: the interface counts
# them when reaped, pvlens shows how many are still there.
inflight=$(pvnet_pv "$VDEV_A" tx-0 inflight)
a_tx=$(( $(pvnet_stat $NS_A "$IF_A" tx_packets) - a_tx0 ))
b_rx=$(( $(pvnet_stat $NS_B "$IF_B" rx_packets) - b_rx0 ))
echo "# A tx $a_tx + $inflight in the ring, B rx $b_rx"
[ "$a_tx" -gt 1000 ] && [ $((a_tx + inflight)) = "$b_rx" ]
ktap_result "net_no_tx_napi_sent_plus_ring_equals_peer_rx"
ktap_eq "net_no_tx_napi_pvlens_tx_ops_equal_tx_packets" \
	"$(pvnet_pv_sum "$VDEV_A" tx tx_ops)" "$(pvnet_stat $NS_A "$IF_A" tx_packets)"

full=$(( $(pvnet_pv "$VDEV_A" tx-0 tx_ring_full) - full0 ))
wakes=$(( $(pvnet_pv "$VDEV_A" tx-0 tx_wakes) - wakes0 ))
irqs=$(( $(pvnet_pv "$VDEV_A" tx-0 interrupts) - irqs0 ))
echo "# tx-0 without tx NAPI: ring full $full, woken $wakes, tx interrupts $irqs"
ktap_eq "net_no_tx_napi_every_ring_full_stop_woken" "$wakes" "$full"
# Only a stopped queue asks for one; the callback left on from tx NAPI may
# fire once, and with event index "off" is used_event 0 (as in-tree), which
# the used index passes again every 65536 packets.
ktap_check "net_no_tx_napi_tx_interrupts_only_for_stops" \
	[ "$irqs" -le $((full + 1 + (a_tx + 65535) / 65536)) ]

# A UDP flood: skbs are orphaned when queued, so no socket limit holds the
# sender back; on a 32-entry ring (the resize also runs without tx NAPI)
# QEMU falls behind, the queue stops, and only the tx interrupt the stop
# asked for can wake it.
$IP netns exec $NS_A $ETHTOOL -G "$IF_A" tx 32
full0=$(pvnet_pv "$VDEV_A" tx-0 tx_ring_full)
wakes0=$(pvnet_pv "$VDEV_A" tx-0 tx_wakes)
$IP netns exec $NS_B iperf3 -s -1 -D -p 5205 >/dev/null 2>&1
sleep 0.5
$IP netns exec $NS_A iperf3 -c $ADDR_B -p 5205 -u -b 0 -l 1400 -t 3 >/dev/null 2>&1
sleep 0.5
full=$(( $(pvnet_pv "$VDEV_A" tx-0 tx_ring_full) - full0 ))
wakes=$(( $(pvnet_pv "$VDEV_A" tx-0 tx_wakes) - wakes0 ))
echo "# UDP flood without tx NAPI, tx ring $($IP netns exec $NS_A $ETHTOOL -g "$IF_A" | awk '$1 == "TX:" { n++; v = $2 } END { print v }'): ring full $full, woken $wakes"
[ "$full" -gt 0 ] && [ "$wakes" = "$full" ] && \
	[ "$(pvnet_ping $NS_A $ADDR_B 56 5)" = 5 ]
ktap_result "net_no_tx_napi_udp_flood_stops_woken_traffic_goes_on"
$IP netns exec $NS_A $ETHTOOL -G "$IF_A" tx 256

# Back to tx NAPI: the switch waits for the packets sent without it (BQL
# must never see their completion: dql would BUG on more completed than
# queued), then tx NAPI reaps again.
rc=$(pvnet_down_up $NS_A "$IF_A" tx-frames 1)
polls0=$(pvnet_pv "$VDEV_A" tx-0 napi_polls)
b_rxb1=$(pvnet_stat $NS_B "$IF_B" rx_bytes)
sha=$(pvnet_tcp_sha /tmp/pvnet_file)
polls=$(( $(pvnet_pv "$VDEV_A" tx-0 napi_polls) - polls0 ))
echo "# tx NAPI again: $polls tx polls, $(( $(pvnet_stat $NS_B "$IF_B" rx_bytes) - b_rxb1 )) bytes to B"
[ "$rc" = 0 ] && [ "$(pvnet_tx_frames $NS_A "$IF_A")" = 1 ] && \
	[ "$sha" = "$want" ] && [ "$polls" -gt 0 ]
ktap_result "net_tx_napi_back_on_tcp_sha256"
sleep 0.5
a_txb=$(( $(pvnet_stat $NS_A "$IF_A" tx_bytes) - a_txb0 ))
b_rxb=$(( $(pvnet_stat $NS_B "$IF_B" rx_bytes) - b_rxb0 ))
# With tx NAPI the ring drains by itself, so nothing is left out now.
[ "$a_txb" = "$b_rxb" ] && [ "$(pvnet_pv "$VDEV_A" tx-0 inflight)" = 0 ]
ktap_result "net_tx_napi_back_on_bytes_equal_peer"

# The module parameter: every interface starts without tx NAPI.
pvnet_teardown
rmmod pvlens_net
insmod "$PVNET_KO" napi_tx=0
if pvnet_wait_ifaces 2 && pvnet_setup; then
	[ "$(pvnet_tx_frames $NS_A "$IF_A")$(pvnet_tx_frames $NS_B "$IF_B")" = 00 ] && \
		[ "$(pvnet_tcp_sha /tmp/pvnet_file)" = "$want" ]
	ktap_result "net_napi_tx_param_N_tx_frames_0_data_intact"
else
	ktap_fail "net_napi_tx_param_N_tx_frames_0_data_intact"
fi
pvnet_teardown
rmmod pvlens_net
insmod "$PVNET_KO"
rm -f /tmp/pvnet_file
ktap_exit
