#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# pvlens_net datapath over a QEMU socket link between two NICs of one guest:
# data integrity (ICMP, UDP, TCP sha256 at MTU 1500/9000), counters checked
# against the peer NIC and against iperf3, pvlens statistics against the
# interface statistics, link flap, promiscuous/MAC/VLAN checked against QEMU's
# own receive filter (QMP query-rx-filter), channels and ring parameters.
# PVNET_MODE (mergeable|big|small) names the receive mode the config expects.
cd "$(dirname "$0")" || exit 1
. ./lib_net.sh

ktap_plan 34
trap pvnet_teardown EXIT

if ! pvnet_setup; then
	ktap_fail "net_setup_two_nics_in_namespaces"
	exit 1
fi
ktap_ok "net_setup_two_nics_in_namespaces"

drv=$($IP netns exec $NS_A $ETHTOOL -i "$IF_A" | awk '/^driver:/ { print $2 }')
ktap_eq "net_driver_is_pvlens_net" "$drv" "pvlens_net"

mode=${PVNET_MODE:-mergeable}
if dmesg | grep -q "$(basename "$VDEV_A"): $IF_A: .* $mode rx buffers"; then
	ktap_ok "net_rx_mode_$mode"
else
	dmesg | grep pvlens_net | sed 's/^/# /'
	ktap_fail "net_rx_mode_$mode"
fi

queues=$(tr '\n' ' ' < "$VDEV_A/pvlens/queues")
ktap_eq "net_pvlens_queues_published" "$queues" "rx-0 tx-0 ctrl "

# Baseline for the counter checks: IPv6 is off, so nothing else moves them.
a_tx0=$(pvnet_stat $NS_A "$IF_A" tx_packets); a_txb0=$(pvnet_stat $NS_A "$IF_A" tx_bytes)
b_rx0=$(pvnet_stat $NS_B "$IF_B" rx_packets); b_rxb0=$(pvnet_stat $NS_B "$IF_B" rx_bytes)

ok=1
for size in 0 56 1000 1472 1473 4000 8000 30000 65000; do
	got=$(pvnet_ping $NS_A $ADDR_B "$size" 10)
	if [ "$got" != 10 ]; then
		echo "# ping -s $size: $got/10 replies"
		$IP -s -n $NS_A link show "$IF_A" | sed 's/^/# /'
		$IP -s -n $NS_B link show "$IF_B" | sed 's/^/# /'
		ok=0
	fi
done
ktap_check "net_icmp_sizes_0_to_65000_all_replied" [ $ok = 1 ]

n=$(./udp_check.py count)
# The checker verifies every byte in Python, slowly under TCG: let its socket
# queue hold the whole burst (rmem_max caps SO_RCVBUF), so a datagram can only
# go missing on the wire or in the driver, never in a full socket buffer.
sysctl -qw net.core.rmem_max=33554432
rm -f /tmp/pvnet_udp_ready
$IP netns exec $NS_B ./udp_check.py recv 7001 "$n" /tmp/pvnet_udp_ready > /tmp/pvnet_udp &
srv=$!
for _ in $(seq 100); do [ -e /tmp/pvnet_udp_ready ] && break; sleep 0.1; done
$IP netns exec $NS_A ./udp_check.py send $ADDR_B 7001
wait $srv
got=$(cat /tmp/pvnet_udp)
[ "$got" = "$n 0" ] || $IP netns exec $NS_B grep -A1 '^Udp:' /proc/net/snmp | sed 's/^/# /'
ktap_eq "net_udp_sizes_8_to_65507_intact" "$got" "$n 0"

head -c 32M /dev/urandom > /tmp/pvnet_file
want=$(sha256sum /tmp/pvnet_file | cut -d' ' -f1)
pages0=$(pvnet_pv "$VDEV_B" rx-0 rx_pages); new0=$(pvnet_pv "$VDEV_B" rx-0 rx_pages_new)
bufs0=$(pvnet_pv "$VDEV_B" rx-0 rx_buffers); rxb0=$(pvnet_stat $NS_B "$IF_B" rx_bytes)
posted0=$(pvnet_pv "$VDEV_B" rx-0 inflight); empty0=$(pvnet_pv "$VDEV_B" rx-0 rx_pool_empty)
ktap_eq "net_tcp_32MiB_sha256_mtu1500" "$(pvnet_tcp_sha /tmp/pvnet_file)" "$want"

# Mergeable buffers are cut from 32 KiB pages of a page pool, which takes a
# page back once the stack has freed all its packets: most pages a transfer
# uses are reused (not allocated and zeroed anew).  Each page holds at least
# one buffer and at most 32 KiB of what the interface received; buffers
# posted before (at most a page each) or cut from page fragments because the
# pool had no page (rx_pool_empty) carry the rest.
pages=$(( $(pvnet_pv "$VDEV_B" rx-0 rx_pages) - pages0 ))
new=$(( $(pvnet_pv "$VDEV_B" rx-0 rx_pages_new) - new0 ))
bufs=$(( $(pvnet_pv "$VDEV_B" rx-0 rx_buffers) - bufs0 ))
empty=$(( $(pvnet_pv "$VDEV_B" rx-0 rx_pool_empty) - empty0 ))
rxb=$(( $(pvnet_stat $NS_B "$IF_B" rx_bytes) - rxb0 ))
echo "# $IF_B rx-0 over 32 MiB: $bufs buffers, $rxb bytes, $pages pages cut, $new new, $empty buffers without the pool, $posted0 posted before"
if [ "$mode" = mergeable ] && ! grep -qw page_pool_create /proc/kallsyms; then
	ktap_skip "net_rx_pages_reused_from_pool" "kernel without CONFIG_PAGE_POOL: page fragments only"
elif [ "$mode" = mergeable ]; then
	[ "$pages" -gt 0 ] && [ "$pages" -le "$bufs" ] && \
		[ $((pages * 32768 + (posted0 + empty) * 4096)) -ge "$rxb" ] && \
		[ $((new * 2)) -lt "$pages" ]
	ktap_result "net_rx_pages_reused_from_pool"
else
	ktap_eq "net_rx_pages_only_in_mergeable_mode" "$pages $new" "0 0"
fi

# As in-tree, mergeable mode shows the size of the next receive buffer per
# rx queue: after 32 MiB of full frames it holds one (1514 + 12 byte header,
# cache aligned), never more than a page; the other modes have no such file.
mrg=$($IP netns exec $NS_B cat "/sys/class/net/$IF_B/queues/rx-0/virtio_net/mergeable_rx_buffer_size" 2>/dev/null)
echo "# $IF_B rx-0 mergeable_rx_buffer_size: ${mrg:-none}"
if [ "$mode" = mergeable ]; then
	[ "${mrg:-0}" -ge 1526 ] && [ "$mrg" -le "$(getconf PAGESIZE)" ]
	ktap_result "net_mergeable_rx_buffer_size_holds_a_frame"
else
	ktap_eq "net_mergeable_rx_buffer_size_only_in_mergeable_mode" "${mrg:-none}" "none"
fi

# iperf3: the receiver's byte count is payload only; the interface counts
# whole frames, so expect it a few percent (headers, ACKs excluded) above.
$IP netns exec $NS_B iperf3 -s -1 -D -p 5201 >/dev/null 2>&1
sleep 0.5
b_rxb1=$(pvnet_stat $NS_B "$IF_B" rx_bytes)
if $IP netns exec $NS_A iperf3 -c $ADDR_B -p 5201 -t 5 -J > /tmp/pvnet_iperf.json; then
	got=$(jq '.end.sum_received.bytes' /tmp/pvnet_iperf.json)
	bps=$(jq '.end.sum_received.bits_per_second | floor' /tmp/pvnet_iperf.json)
	echo "# iperf3 tcp: $got bytes, $((bps / 1000000)) Mbit/s"
	sleep 0.5
	rxb=$(( $(pvnet_stat $NS_B "$IF_B" rx_bytes) - b_rxb1 ))
	echo "# $IF_B rx_bytes during iperf3: $rxb (ratio $(echo "scale=4; $rxb / $got" | bc))"
	[ "$got" -gt 0 ] && [ "$rxb" -ge "$got" ] && [ "$rxb" -le $((got * 110 / 100)) ]
	ktap_result "net_iperf3_tcp_bytes_match_rx_counter"
else
	ktap_fail "net_iperf3_tcp_bytes_match_rx_counter"
fi

# Every frame A sent arrived at B and the other way round: the socket link
# loses nothing, so the two drivers' counters must agree exactly.
sleep 0.5
a_tx=$(( $(pvnet_stat $NS_A "$IF_A" tx_packets) - a_tx0 ))
b_rx=$(( $(pvnet_stat $NS_B "$IF_B" rx_packets) - b_rx0 ))
a_txb=$(( $(pvnet_stat $NS_A "$IF_A" tx_bytes) - a_txb0 ))
b_rxb=$(( $(pvnet_stat $NS_B "$IF_B" rx_bytes) - b_rxb0 ))
echo "# A tx $a_tx pkts $a_txb bytes, B rx $b_rx pkts $b_rxb bytes"
# More than 1000: traffic flowed (the debug kernel with 64 KiB GSO frames
# sends about 6000 in the 5 s).
[ "$a_tx" -gt 1000 ] && [ "$a_tx" = "$b_rx" ]
ktap_result "net_peer_counters_equal_packets"
ktap_eq "net_peer_counters_equal_bytes" "$a_txb" "$b_rxb"

# pvlens and the interface count the same packets in different places.
ktap_eq "net_pvlens_rx_ops_equal_rx_packets" \
	"$(pvnet_pv_sum "$VDEV_B" rx rx_ops)" "$(pvnet_stat $NS_B "$IF_B" rx_packets)"
ktap_eq "net_pvlens_tx_bytes_equal_tx_bytes" \
	"$(pvnet_pv_sum "$VDEV_A" tx tx_bytes)" "$(pvnet_stat $NS_A "$IF_A" tx_bytes)"
ktap_eq "net_ethtool_S_equals_pvlens_sysfs" \
	"$(pvnet_ethtool_stat $NS_B "$IF_B" rx_queue_0_packets)" "$(pvnet_pv "$VDEV_B" rx-0 rx_ops)"

txops=$(pvnet_pv "$VDEV_A" tx-0 tx_ops)
txlat=$(pvnet_pv "$VDEV_A" tx-0 tx_latency_count)
p50=$(pvnet_pv "$VDEV_A" tx-0 tx_latency_p50_ns)
echo "# tx-0: ops $txops latency samples $txlat p50 ${p50} ns"
[ "$txlat" = "$txops" ] && [ "$p50" -gt 0 ] && [ "$p50" -lt 1000000000 ]
ktap_result "net_tx_latency_every_packet_sane"
rxlat=$(pvnet_pv "$VDEV_B" rx-0 rx_latency_count)
rxp50=$(pvnet_pv "$VDEV_B" rx-0 rx_latency_p50_ns)
echo "# rx-0: latency samples $rxlat p50 ${rxp50} ns"
[ "$rxlat" = "$(pvnet_pv "$VDEV_B" rx-0 rx_ops)" ] && [ "$rxp50" -gt 0 ]
ktap_result "net_rx_latency_every_packet"
kicks=$(pvnet_pv "$VDEV_A" tx-0 kicks)
irqs=$(pvnet_pv "$VDEV_B" rx-0 interrupts)
echo "# A tx-0 kicks $kicks (ops $txops), B rx-0 interrupts $irqs, kick_cost p50 $(pvnet_pv "$VDEV_A" tx-0 kick_cost_p50_ns) ns"
[ "$kicks" -gt 0 ] && [ "$kicks" -le "$txops" ] && [ "$irqs" -gt 0 ]
ktap_result "net_kicks_and_interrupts_counted"
drops=$(pvnet_ethtool_stat $NS_B "$IF_B" rx_queue_0_drops)
ktap_eq "net_no_rx_drops" "$drops" "0"
# Every kick of every queue (transmit, and receive refills) was timed: the
# kick-cost histograms hold one sample per kick.
kc=$(( $(pvnet_pv_sum "$VDEV_A" tx kick_cost_count) + $(pvnet_pv_sum "$VDEV_A" rx kick_cost_count) ))
ktap_eq "net_kick_cost_samples_eq_kicks" "$kc" \
	"$(( $(pvnet_pv_sum "$VDEV_A" tx kicks) + $(pvnet_pv_sum "$VDEV_A" rx kicks) ))"
# BQL is live and balanced: every byte its transmit queues were given was
# completed (inflight 0 once the traffic is over), and the queue that sent
# has a limit of its own.
bql=$($IP netns exec $NS_A sh -c "cd /sys/class/net/$IF_A/queues && cat tx-*/byte_queue_limits/inflight | tr '\n' ' '; cat tx-0/byte_queue_limits/limit")
echo "# A's transmit queues, BQL inflight bytes, then tx-0's limit: $bql"
[ "$(echo "$bql" | awk '{ for (i = 1; i < NF; i++) s += $i; print s + 0 }')" = 0 ] &&
	[ "$(echo "$bql" | awk '{ print $NF }')" -gt 0 ]
ktap_result "net_bql_all_completed_and_limit_set"

# MTU 9000 (not possible with small buffers: max_mtu 1500 there).
maxmtu=$($IP -d -n $NS_A link show "$IF_A" | sed -n 's/.*maxmtu \([0-9]*\).*/\1/p')
if [ "$maxmtu" -ge 9000 ]; then
	$IP -n $NS_A link set "$IF_A" mtu 9000 && $IP -n $NS_B link set "$IF_B" mtu 9000
	ktap_eq "net_mtu9000_ping_8972" "$(pvnet_ping $NS_A $ADDR_B 8972 10)" "10"
	ktap_eq "net_tcp_32MiB_sha256_mtu9000" "$(pvnet_tcp_sha /tmp/pvnet_file)" "$want"
	$IP -n $NS_A link set "$IF_A" mtu 1500 && $IP -n $NS_B link set "$IF_B" mtu 1500
else
	ktap_eq "net_mtu9000_refused_above_max_mtu" \
		"$($IP -n $NS_A link set "$IF_A" mtu 9000 2>/dev/null; echo $?)" "2"
	ktap_skip "net_tcp_32MiB_sha256_mtu9000" "max_mtu $maxmtu"
fi

# Offloads off: the stack checksums and segments, data must still match.
$IP netns exec $NS_A $ETHTOOL -K "$IF_A" sg off tso off tx off 2>/dev/null
ktap_eq "net_tcp_sha256_offloads_off" "$(pvnet_tcp_sha /tmp/pvnet_file)" "$want"
$IP netns exec $NS_A $ETHTOOL -K "$IF_A" sg on tso on tx on 2>/dev/null

# Link flap through QEMU.
pvnet_set_link n0b false
pvnet_wait_carrier $NS_B "$IF_B" 0
ktap_check "net_qmp_link_down_drops_carrier" [ $? = 0 ]
pvnet_set_link n0b true
pvnet_wait_carrier $NS_B "$IF_B" 1
ktap_check "net_qmp_link_up_restores_carrier" [ $? = 0 ]
ktap_eq "net_traffic_resumes_after_link_flap" "$(pvnet_ping $NS_A $ADDR_B 56 10)" "10"

# Receive filter state as QEMU sees it.
$IP -n $NS_B link set "$IF_B" promisc on
sleep 0.3
ktap_eq "net_promisc_on_reaches_device" \
	"$(pvnet_qmp_rx_filter n0b | jq -c '.return[0].promiscuous')" "true"
$IP -n $NS_B link set "$IF_B" promisc off
$IP -n $NS_B link set "$IF_B" allmulticast on
sleep 0.3
f=$(pvnet_qmp_rx_filter n0b)
ktap_eq "net_promisc_off_allmulti_on_reach_device" \
	"$(echo "$f" | jq -c '[.return[0].promiscuous, .return[0].multicast]')" '[false,"all"]'
$IP -n $NS_B link set "$IF_B" allmulticast off

$IP -n $NS_B link set "$IF_B" address 02:00:00:c0:ff:ee
sleep 0.3
ktap_eq "net_mac_change_reaches_device" \
	"$(pvnet_qmp_rx_filter n0b | jq -r '.return[0]."main-mac"')" "02:00:00:c0:ff:ee"
$IP -n $NS_A neigh flush dev "$IF_A"
ktap_eq "net_traffic_after_mac_change" "$(pvnet_ping $NS_A $ADDR_B 56 10)" "10"

# The debug kernel (make check-debug) is built without 802.1Q.
if ! $IP -n $NS_A link add link "$IF_A" name vl42 type vlan id 42 2> /tmp/vlan.err &&
	grep -q "Unknown device type" /tmp/vlan.err; then
	ktap_skip "net_vlan_filter_and_traffic" "this kernel has no 802.1Q VLAN support"
else
	$IP -n $NS_B link add link "$IF_B" name vl42 type vlan id 42
	$IP -n $NS_A addr add 10.201.42.1/24 dev vl42 && $IP -n $NS_A link set vl42 up
	$IP -n $NS_B addr add 10.201.42.2/24 dev vl42 && $IP -n $NS_B link set vl42 up
	sleep 0.3
	vt=$(pvnet_qmp_rx_filter n0b | jq -c '.return[0]."vlan-table"')
	ping42=$(pvnet_ping $NS_A 10.201.42.2 56 10)
	echo "# vlan-table $vt, vlan ping $ping42/10"
	[ "$ping42" = 10 ] && echo "$vt" | grep -qw 42
	ktap_result "net_vlan_filter_and_traffic"
fi

# GUEST_ANNOUNCE: QEMU raises the status bit, the driver notifies peers
# (gratuitous ARP, seen by B) and acks each round on the control queue.
c0=$(pvnet_pv "$VDEV_A" ctrl ctrl_ops)
e0=$(pvnet_pv "$VDEV_A" ctrl ctrl_errors)
r0=$(pvnet_stat $NS_B "$IF_B" rx_packets)
pvlens_qmp '{"execute": "announce-self", "arguments": {"initial": 50, "max": 100, "rounds": 2, "step": 50}}' >/dev/null
sleep 2
acks=$(( $(pvnet_pv "$VDEV_A" ctrl ctrl_ops) - c0 ))
arps=$(( $(pvnet_stat $NS_B "$IF_B" rx_packets) - r0 ))
echo "# announce-self: $acks control commands on A, $arps packets at B"
[ "$acks" -ge 2 ] && [ "$arps" -ge 2 ] && [ "$(pvnet_pv "$VDEV_A" ctrl ctrl_errors)" = "$e0" ]
ktap_result "net_guest_announce_acked_and_sent"

ch=$($IP netns exec $NS_A $ETHTOOL -l "$IF_A" | awk '/Combined:/ { print $2 }' | tr '\n' ' ')
ktap_eq "net_ethtool_l_one_pair_without_mq" "$ch" "1 1 "
