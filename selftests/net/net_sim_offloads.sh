#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# pvlens_net's TCP segmentation offloads, ECN included, against
# pvlens_net_sim (drivers/net/sim.c), which offers them as a test asks and
# reads the virtio header of every frame the driver sends.  QEMU's tap and
# socket backends carry ECN offloads too, but nothing on this host can see
# a CWR segment cross them (no tcpdump), and no TCP flow here meets
# congestion to make one.  Here a packet socket with PACKET_VNET_HDR
# (sim_vnet.py) sends one 6000-byte TCP/IPv4 segment with CWR, gso_size
# 1000:
#  - with HOST_ECN the device receives it whole, marked GSO_ECN;
#  - with `ethtool -K tx-tcp-ecn-segmentation off`, or without HOST_ECN
#    (the feature then fixed off), as six software segments, CWR on the
#    first only;
#  - without HOST_TSO4 as six segments whose checksums the device finds
#    right.
# A TCP/IPv6 one goes whole as GSO TCPV6 with HOST_TSO6, cut without it.
# The other way, the device writes a 3000-byte TCP segment for GUEST_TSO4
# (gso_size 1000, CWR and GSO_ECN for tcp_gso_ecn): a packet socket sees the
# driver's skb keep the GSO type, size and checksum offsets, and every
# payload byte (with mergeable buffers, then with big ones); without
# GUEST_ECN the ECN one is dropped and counted as a bad header, and the
# plain one still arrives.  `ethtool -K rx-gro-hw`
# sends VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET with exactly the negotiated
# guest offloads, or only GUEST_CSUM.
cd "$(dirname "$0")" || exit 1
. ./lib_net.sh

NS=pvsimoff
ADDR=10.203.0.9
RDY=/tmp/pvsimoff_ready
OUT=/tmp/pvsimoff_out
# VIRTIO_NET_F_GUEST_CSUM, GUEST_TSO4, GUEST_TSO6, GUEST_ECN.
G_CSUM=$((1 << 1))
G_TSO=$(((1 << 7) | (1 << 8)))
G_ECN=$((1 << 9))

ktap_plan 14
trap '$IP netns del $NS 2>/dev/null' EXIT

inject() { echo "$*" > "$PVNET_SIM/inject"; }
ifstat() { pvnet_stat $NS "$IF" "$1"; }
feature() {
	$IP netns exec $NS $ETHTOOL -k "$IF" | sed -n "s/^[[:space:]]*$1: //p"
}

# load ARGS...: the device with ARGS in namespace $NS, GRO off so that the
# packet socket sees the skb as the driver built it.
load() {
	pvnet_sim_load $NS "$@" && pvnet_netns $NS "$IF" $ADDR &&
		$IP netns exec $NS $ETHTOOL -K "$IF" gro off
}

# send_segment WHOLE CSUM: one 6000-byte segment with CWR from the packet
# socket reaches the device whole (WHOLE=1, marked GSO TCPv4 + ECN) or as
# six segments (0), CWR on the first only (sequence number 1); each frame
# leaves its checksum to the device (CSUM=1) or carries a right one (0);
# the driver's tx counts equal the device's.
tx_keys="tx_packets tx_bytes tx_tcp tx_tcp_cwr tx_gso_tcpv4 tx_gso_ecn tx_needs_csum tx_tcp_csum_ok tx_tcp_csum_bad"
send_segment() {
	local whole=$1 csum=$2 k want n
	declare -A d0 d1
	for k in $tx_keys; do d0[$k]=$(pvnet_sim "$k"); done
	d0[if_packets]=$(ifstat tx_packets); d0[if_bytes]=$(ifstat tx_bytes)
	$IP netns exec $NS python3 ./sim_vnet.py send "$IF" $PVNET_SIM_PEER_MAC 6000 ecn || return 1
	want=$((whole ? 1 : 6))
	# The driver counts a frame when it reaps its completion.
	reaped() {
		[ $(( $(pvnet_sim tx_tcp) - d0[tx_tcp] )) -ge "$want" ] &&
			[ $(( $(ifstat tx_packets) - d0[if_packets] )) = \
				$(( $(pvnet_sim tx_packets) - d0[tx_packets] )) ]
	}
	pvlens_wait_until 5 reaped
	for k in $tx_keys; do d1[$k]=$(( $(pvnet_sim "$k") - d0[$k] )); done
	d1[if_packets]=$(( $(ifstat tx_packets) - d0[if_packets] ))
	d1[if_bytes]=$(( $(ifstat tx_bytes) - d0[if_bytes] ))
	echo "# sent:$(for k in $tx_keys if_packets if_bytes; do echo -n " $k +${d1[$k]}"; done), last CWR seq $(pvnet_sim tx_tcp_cwr_seq)"
	[ "${d1[tx_packets]}" = "${d1[if_packets]}" ] &&
		[ "${d1[tx_bytes]}" = "${d1[if_bytes]}" ] || return 1
	[ "${d1[tx_tcp]}" = "$want" ] && [ "${d1[tx_tcp_cwr]}" = 1 ] &&
		[ "$(pvnet_sim tx_tcp_cwr_seq)" = 1 ] || return 1
	n=$((whole ? 1 : 0))
	[ "${d1[tx_gso_tcpv4]}" = $n ] && [ "${d1[tx_gso_ecn]}" = $n ] || return 1
	# The device verifies the checksums it is not asked to fill in.
	[ "${d1[tx_needs_csum]}" = $((csum ? want : 0)) ] &&
		[ "${d1[tx_tcp_csum_ok]}" = $((csum ? 0 : want)) ] &&
		[ "${d1[tx_tcp_csum_bad]}" = 0 ] || return 1
	if [ "$whole" = 1 ]; then
		echo "# device saw: $(pvnet_sim tx_last_gso)"
		read -r _ fl _ ty _ hl _ gs _ cs _ co _ len <<< "$(pvnet_sim tx_last_gso)"
		[ "$fl $ty $gs $cs $co $len" = "1 129 1000 34 16 6054" ] &&
			[ "$hl" -ge 54 ] && [ "$hl" -le 6054 ]
	fi
}

# send_v6 WHOLE: one 6000-byte TCP/IPv6 segment reaches the device whole
# (WHOLE=1, GSO TCPV6, NEEDS_CSUM at 54/16) or as six TCP frames (0).
send_v6() {
	local whole=$1 t0 g0 t1 g1 want
	t0=$(pvnet_sim tx_tcp); g0=$(pvnet_sim tx_gso_tcpv6)
	$IP netns exec $NS python3 ./sim_vnet.py send "$IF" $PVNET_SIM_PEER_MAC 6000 v6 || return 1
	want=$((whole ? 1 : 6))
	v6_sent() { [ $(( $(pvnet_sim tx_tcp) - t0 )) -ge "$want" ]; }
	pvlens_wait_until 5 v6_sent
	t1=$(( $(pvnet_sim tx_tcp) - t0 )); g1=$(( $(pvnet_sim tx_gso_tcpv6) - g0 ))
	echo "# IPv6: tx_tcp +$t1, tx_gso_tcpv6 +$g1; last GSO: $(pvnet_sim tx_last_gso)"
	[ $t1 = "$want" ] && [ $g1 = $((whole ? 1 : 0)) ] || return 1
	[ "$whole" = 0 ] && return 0
	read -r _ fl _ ty _ _ _ gs _ cs _ co _ len <<< "$(pvnet_sim tx_last_gso)"
	[ "$fl $ty $gs $cs $co $len" = "1 4 1000 54 16 6074" ]
}

# receive KIND RESULT: the device writes one 3000-byte TCP segment of KIND;
# RESULT "whole": a packet socket sees it once, GSO TCPv4 (+ ECN for
# tcp_gso_ecn) with gso_size 1000, NEEDS_CSUM at 34/16, every payload byte
# intact, and the interface and the device count it; "dropped": nothing
# arrives, rx_drop_bad_hdr and rx_frame_errors move by one.
receive() {
	local kind=$1 result=$2 pid b0 f0 p0 y0 s0 i0 b1 f1 p1 y1 s1 i1 want
	rm -f $RDY
	$IP netns exec $NS python3 ./sim_vnet.py recv "$IF" $RDY 3 > $OUT &
	pid=$!
	pvlens_wait_until 5 test -e $RDY
	b0=$(pvnet_pv "$VDEV" rx-0 rx_drop_bad_hdr); f0=$(ifstat rx_frame_errors)
	p0=$(ifstat rx_packets); y0=$(ifstat rx_bytes); s0=$(pvnet_sim rx_packets)
	i0=$(pvnet_sim "injected_$kind")
	if ! inject "$kind" 3000; then
		kill $pid
		wait $pid
		return 1
	fi
	wait $pid
	b1=$(( $(pvnet_pv "$VDEV" rx-0 rx_drop_bad_hdr) - b0 ))
	f1=$(( $(ifstat rx_frame_errors) - f0 ))
	p1=$(( $(ifstat rx_packets) - p0 )); y1=$(( $(ifstat rx_bytes) - y0 ))
	s1=$(( $(pvnet_sim rx_packets) - s0 ))
	i1=$(( $(pvnet_sim "injected_$kind") - i0 ))
	echo "# $kind: packet socket saw [$(cat $OUT)]; rx_drop_bad_hdr +$b1, rx_frame_errors +$f1, rx_packets +$p1, rx_bytes +$y1, device rx_packets +$s1"
	if [ "$result" = dropped ]; then
		[ ! -s $OUT ] && [ $i1 = 1 ] && [ $b1 = 1 ] && [ $f1 = 1 ] &&
			[ $p1 = 0 ] && [ $s1 = 0 ]
		return
	fi
	want=1
	[ "$kind" = tcp_gso_ecn ] && want=129
	[ "$(wc -l < $OUT)" = 1 ] && [ $i1 = 1 ] && [ $b1 = 0 ] && [ $f1 = 0 ] &&
		[ $p1 = 1 ] && [ $y1 = 3054 ] && [ $s1 = 1 ] || return 1
	read -r _ fl _ ty _ hl _ gs _ cs _ co _ len _ ok < $OUT
	[ "$fl $ty $gs $cs $co $len $ok" = "1 $want 1000 34 16 3054 1" ] &&
		[ "$hl" -ge 54 ]
}

# gro_hw_cycle ON_VALUE: rx-gro-hw off then on sends GUEST_OFFLOADS_SET with
# GUEST_CSUM alone, then with ON_VALUE; the device takes both.
gro_hw_cycle() {
	local n0 off on
	n0=$(pvnet_sim guest_offloads_sets)
	$IP netns exec $NS $ETHTOOL -K "$IF" rx-gro-hw off || return 1
	off=$(pvnet_sim guest_offloads)
	$IP netns exec $NS $ETHTOOL -K "$IF" rx-gro-hw on || return 1
	on=$(pvnet_sim guest_offloads)
	echo "# rx-gro-hw off: device told $off; on: $on ($(( $(pvnet_sim guest_offloads_sets) - n0 )) commands)"
	[ $((off)) = $G_CSUM ] && [ $((on)) = $(($1)) ] &&
		[ $(( $(pvnet_sim guest_offloads_sets) - n0 )) = 2 ]
}

# Every offload offered.
if load host_tso=1 host_ecn=1; then
	echo "# tso $(feature tcp-segmentation-offload), ecn $(feature tx-tcp-ecn-segmentation), gro-hw $(feature rx-gro-hw)"
	[ "$(feature tx-tcp-ecn-segmentation)" = on ] &&
		[ "$(feature tx-tcp-segmentation)" = on ] &&
		[ "$(feature rx-gro-hw)" = on ]
	ktap_result "net_sim_host_ecn_offered_feature_on"
	send_segment 1 1
	ktap_result "net_sim_host_ecn_segment_sent_whole_marked"
	send_v6 1
	ktap_result "net_sim_host_tso6_segment_sent_whole"
	$IP netns exec $NS $ETHTOOL -K "$IF" tx-tcp-ecn-segmentation off &&
		send_segment 0 1
	ktap_result "net_sim_host_ecn_toggled_off_segmented_in_software"
	receive tcp_gso_ecn whole
	ktap_result "net_sim_guest_ecn_segment_received_whole_marked"
	receive tcp_gso whole
	ktap_result "net_sim_guest_tso_segment_received_whole"
	gro_hw_cycle $((G_CSUM | G_TSO | G_ECN))
	ktap_result "net_sim_guest_offloads_command_off_on"
else
	for t in host_ecn_offered_feature_on host_ecn_segment_sent_whole_marked \
		host_tso6_segment_sent_whole \
		host_ecn_toggled_off_segmented_in_software \
		guest_ecn_segment_received_whole_marked \
		guest_tso_segment_received_whole guest_offloads_command_off_on; do
		ktap_fail "net_sim_$t"
	done
fi

# TSO without HOST_ECN, TSO without GUEST_ECN, and big receive buffers
# (the other mode GUEST_TSO is for).
if load host_tso=1 guest_ecn=0 mrg_rxbuf=0; then
	echo "# tso $(feature tx-tcp-segmentation), ecn $(feature tx-tcp-ecn-segmentation)"
	[ "$(feature tx-tcp-ecn-segmentation)" = "off [fixed]" ] &&
		[ "$(feature tx-tcp-segmentation)" = on ]
	ktap_result "net_sim_no_host_ecn_feature_fixed_off"
	send_segment 0 1
	ktap_result "net_sim_no_host_ecn_segmented_in_software"
	receive tcp_gso_ecn dropped && receive tcp_gso whole
	ktap_result "net_sim_no_guest_ecn_segment_dropped_counted_next_received"
	gro_hw_cycle $((G_CSUM | G_TSO))
	ktap_result "net_sim_no_guest_ecn_offloads_command_off_on"
else
	for t in no_host_ecn_feature_fixed_off no_host_ecn_segmented_in_software \
		no_guest_ecn_segment_dropped_counted_next_received \
		no_guest_ecn_offloads_command_off_on; do
		ktap_fail "net_sim_$t"
	done
fi

# No transmit offload at all: the stack segments and checksums.
load && [ "$(feature tx-tcp-segmentation)" = "off [fixed]" ] && send_segment 0 0
ktap_result "net_sim_no_host_tso_segmented_checksummed_in_software"
[ "$(feature tx-tcp6-segmentation)" = "off [fixed]" ] && send_v6 0
ktap_result "net_sim_no_host_tso6_segmented_in_software"

[ "$(pvnet_sim malformed)" = 0 ] && $IP netns del $NS && rmmod pvlens_net_sim &&
	[ ! -e /sys/devices/pvlens_net_sim ]
ktap_result "net_sim_offloads_unload_clean"
ktap_exit
