#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Surprise removal: QMP device_del of the receiving NIC during a TCP stream,
# then of the sending NIC while it transmits UDP as fast as it can.  The
# driver must let go of both (interfaces and statistics disappear), the
# traffic generators must end, and the module must unload afterwards.
# Runs last in its configuration: the devices do not come back.
cd "$(dirname "$0")" || exit 1
. ./lib_net.sh

ktap_plan 5
trap pvnet_teardown EXIT

if ! pvnet_setup; then
	ktap_fail "net_unplug_setup"
	exit 1
fi
ktap_ok "net_unplug_setup"

$IP netns exec $NS_B iperf3 -s -1 -D -p 5204 >/dev/null 2>&1
sleep 0.5
$IP netns exec $NS_A timeout -s KILL 25 iperf3 -c $ADDR_B -p 5204 -t 15 >/dev/null 2>&1 &
cl=$!
sleep 2
pvlens_host events >/dev/null
pvlens_qmp '{"execute": "device_del", "arguments": {"id": "n0b"}}' >/dev/null
if pvlens_wait_event DEVICE_DELETED 10 && [ ! -e "$VDEV_B" ] &&
   ! $IP -n $NS_B link show "$IF_B" >/dev/null 2>&1; then
	ktap_ok "net_unplug_receiver_during_tcp"
else
	ktap_fail "net_unplug_receiver_during_tcp"
fi
# The peer is gone: the client blocks on a full socket until its killer.
wait $cl

# The sender keeps transmitting into a link with nobody behind it.
mac_b=02:00:00:00:00:0b
$IP -n $NS_A neigh replace $ADDR_B lladdr $mac_b nud permanent dev "$IF_A"
$IP netns exec $NS_A timeout -s KILL 20 socat -u /dev/zero "UDP:$ADDR_B:9" &
tx=$!
sleep 2
t0=$(pvnet_stat $NS_A "$IF_A" tx_packets)
sleep 1
before=$(pvnet_stat $NS_A "$IF_A" tx_packets)
# QEMU drops what nobody receives, but the device still completes it.
ktap_check "net_tx_completes_with_peer_unplugged" [ $((before - t0)) -gt 100 ]
pvlens_host events >/dev/null
pvlens_qmp '{"execute": "device_del", "arguments": {"id": "n0a"}}' >/dev/null
if pvlens_wait_event DEVICE_DELETED 10 && [ ! -e "$VDEV_A" ]; then
	ktap_ok "net_unplug_sender_during_udp_flood"
else
	ktap_fail "net_unplug_sender_during_udp_flood"
fi
echo "# sender had sent $before packets"
wait $tx 2>/dev/null
ktap_check "net_rmmod_after_unplug" timeout 30 rmmod pvlens_net
