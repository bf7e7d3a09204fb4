#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# pvlens_net against pvlens_net_sim, a virtio-net device simulated in the
# guest that writes what the test asks for (drivers/net/sim.c).  In each
# receive mode (mergeable, big, small buffers): every kind of packet no
# device may write (used length short of the headers or beyond the buffer,
# the first's or a later one's, num_buffers 0, beyond what was posted or with buffers missing, unknown
# header flags, checksum beyond the packet, unknown GSO type, GSO size 0,
# hdr_len beyond the packet) is dropped and counted once in its own
# counter and the interface's, and the good datagram after it arrives; a
# receiver checks every byte of every good datagram; what the driver counts
# received, sent and commanded equals what the device counts.  Then config
# values a device should not offer: max_virtqueue_pairs 0 and 40000 (one
# pair, with a warning), no MAC (a random one, new at each probe), MTU 9000.
cd "$(dirname "$0")" || exit 1
. ./lib_net.sh

NS=pvsim
ADDR=10.203.0.1
PORT=4001
RX=/tmp/pvsim_rx

# kind, the driver's counter for it, the interface statistic it raises.
KINDS="short:rx_drop_short:rx_length_errors
too_long:rx_drop_too_long:rx_length_errors
too_long_later:rx_drop_too_long:rx_length_errors
num_buffers_zero:rx_drop_num_buffers:rx_length_errors
num_buffers_over:rx_drop_num_buffers:rx_length_errors
num_buffers_missing:rx_drop_num_buffers:rx_length_errors
bad_flags:rx_drop_bad_hdr:rx_frame_errors
csum_beyond:rx_drop_bad_hdr:rx_frame_errors
bad_gso_type:rx_drop_bad_hdr:rx_frame_errors
gso_size_zero:rx_drop_bad_hdr:rx_frame_errors
hdr_len_beyond:rx_drop_bad_hdr:rx_frame_errors"
NR_KINDS=$(echo "$KINDS" | wc -l)

ktap_plan $((3 + 3 * (6 + NR_KINDS) + 6))
trap '$IP netns del $NS 2>/dev/null; rm -f $RX.ready.stop' EXIT

inject() { echo "$*" > "$PVNET_SIM/inject"; }
rx0() { pvnet_pv "$VDEV" rx-0 "$1"; }
ifstat() { pvnet_stat $NS "$IF" "$1"; }

# wait_rx N: until the interface has received N packets (5 s).
received() { [ "$(ifstat rx_packets)" -ge "$1" ]; }
wait_rx() { pvlens_wait_until 5 received "$1"; }

# run_mode NAME MODE ARGS...: the matrix above with the device loaded with
# ARGS, whose receive buffers must be MODE.
run_mode() {
	local m=$1 mode=$2 sizes good=0 k c e c0 e0 d0 p0 c1 e1 d1 p1 got size
	local rp0 rb0 sp0 sb0 intact corrupt
	shift 2
	if ! pvnet_sim_load $NS "$@"; then
		for k in rx_mode good_datagrams_intact rx_counters_eq_device \
			tx_counters_eq_device ctrl_commands_eq_device unload_clean \
			$(echo "$KINDS" | cut -d: -f1); do
			ktap_fail "net_sim_${m}_$k"
		done
		return
	fi
	got=$(dmesg | grep "$(basename "$VDEV"): $IF: " | tail -n 1 |
		sed -n 's/.* \([a-z]*\) rx buffers.*/\1/p')
	ktap_eq "net_sim_${m}_rx_mode" "$got" "$mode"

	pvnet_netns $NS "$IF" $ADDR
	$IP -n $NS neigh replace $PVNET_SIM_PEER lladdr $PVNET_SIM_PEER_MAC nud permanent dev "$IF"
	rm -f $RX.ready $RX.ready.stop
	$IP netns exec $NS python3 ./sim_udp_rx.py $ADDR $PORT $RX.ready > $RX.out &
	local rxpid=$!
	for _ in $(seq 50); do [ -e $RX.ready ] && break; sleep 0.1; done

	rp0=$(ifstat rx_packets); rb0=$(ifstat rx_bytes)
	sp0=$(pvnet_sim rx_packets); sb0=$(pvnet_sim rx_bytes)
	# Small buffers hold one standard frame; the others take any size.
	sizes="4 64 1000 1472"
	[ "$mode" = small ] || sizes="$sizes 1473 4000 9000 30000 65507"
	for s in $sizes; do
		inject good "$s" && good=$((good + 1))
	done
	wait_rx $((rp0 + good))

	while IFS=: read -r k c e; do
		if [ "$mode" != mergeable ] && { [ "${k#num_buffers}" != "$k" ] ||
			[ "$k" = too_long_later ]; }; then
			# Without MRG_RXBUF a packet is one buffer, and the
			# header's num_buffers means nothing.
			inject "$k" 2>/dev/null
			ktap_check "net_sim_${m}_${k}_not_applicable" [ $? -ne 0 ]
			continue
		fi
		c0=$(rx0 "$c"); e0=$(ifstat "$e"); d0=$(ifstat rx_dropped)
		p0=$(ifstat rx_packets)
		# A later buffer needs a packet of several, whatever their size.
		size=200
		[ "$k" = too_long_later ] && size=6000
		inject "$k" $size && inject good 200 && good=$((good + 1))
		wait_rx $((p0 + 1))
		c1=$(rx0 "$c"); e1=$(ifstat "$e"); d1=$(ifstat rx_dropped)
		p1=$(ifstat rx_packets)
		echo "# $k: $c +$((c1 - c0)), $e +$((e1 - e0)), rx_dropped +$((d1 - d0)), rx_packets +$((p1 - p0))"
		[ $((c1 - c0)) = 1 ] && [ $((e1 - e0)) = 1 ] && [ $((d1 - d0)) = 1 ] &&
			[ $((p1 - p0)) = 1 ]
		ktap_result "net_sim_${m}_${k}_dropped_counted_next_received"
	done <<< "$KINDS"

	touch $RX.ready.stop
	wait $rxpid
	read -r intact corrupt < $RX.out
	echo "# $good good datagrams injected, $intact received intact, $corrupt corrupt"
	[ "$intact" = "$good" ] && [ "$corrupt" = 0 ] &&
		[ "$(pvnet_sim injected_good)" = "$good" ]
	ktap_result "net_sim_${m}_good_datagrams_intact"
	echo "# rx: driver $(( $(ifstat rx_packets) - rp0 ))/$(( $(ifstat rx_bytes) - rb0 )), device $(( $(pvnet_sim rx_packets) - sp0 ))/$(( $(pvnet_sim rx_bytes) - sb0 ))"
	[ $(( $(ifstat rx_packets) - rp0 )) = $(( $(pvnet_sim rx_packets) - sp0 )) ] &&
		[ $(( $(ifstat rx_bytes) - rb0 )) = $(( $(pvnet_sim rx_bytes) - sb0 )) ] &&
		[ $(( $(pvnet_sim rx_packets) - sp0 )) = "$good" ]
	ktap_result "net_sim_${m}_rx_counters_eq_device"

	pvnet_sim_tx_eq $NS "$IF" 40
	ktap_result "net_sim_${m}_tx_counters_eq_device"

	echo "# ctrl: driver $(pvnet_pv "$VDEV" ctrl ctrl_ops) ops, $(pvnet_pv "$VDEV" ctrl ctrl_errors) errors; device $(pvnet_sim ctrl_commands) commands, $(pvnet_sim ctrl_refused) refused"
	[ "$(pvnet_pv "$VDEV" ctrl ctrl_ops)" = "$(pvnet_sim ctrl_commands)" ] &&
		[ "$(pvnet_pv "$VDEV" ctrl ctrl_errors)" = "$(pvnet_sim ctrl_refused)" ] &&
		[ "$(pvnet_sim ctrl_commands)" -gt 0 ]
	ktap_result "net_sim_${m}_ctrl_commands_eq_device"

	[ "$(pvnet_sim malformed)" = 0 ] && $IP netns del $NS && rmmod pvlens_net_sim &&
		[ ! -e /sys/devices/pvlens_net_sim ] && [ ! -e "$PVNET_SIM" ]
	ktap_result "net_sim_${m}_unload_clean"
}

# Loaded by the harness with its defaults: MAC offered, two queue pairs.
if ! IF=$(pvnet_sim_iface); then
	ktap_fail "net_sim_binds_pvlens_net"
	exit 1
fi
ktap_ok "net_sim_binds_pvlens_net"
ktap_eq "net_sim_mac_from_device" "$(cat "/sys/class/net/$IF/address") $(cat "/sys/class/net/$IF/addr_assign_type")" \
	"$(pvnet_sim config | awk '$1 == "mac" { print $2 }') 0"
max=$($ETHTOOL -l "$IF" | awk '/Combined:/ { print $2 }' | head -n 1)
ktap_eq "net_sim_queue_pairs_from_device" "$max" \
	"$(pvnet_sim config | awk '$1 == "max_virtqueue_pairs" { print $2 }')"

run_mode mergeable mergeable max_pairs=2
run_mode big big mrg_rxbuf=0 max_pairs=2
run_mode small small mrg_rxbuf=0 guest_tso=0

# max_pairs_nonsense N: loaded with max_virtqueue_pairs N, the driver warns
# once and uses one pair.
max_pairs_nonsense() {
	local n0
	n0=$(dmesg | grep -c "max_virtqueue_pairs $1 out of range, using 1")
	pvnet_sim_load $NS max_pairs="$1" || return 1
	max=$($ETHTOOL -l "$IF" | awk '/Combined:/ { print $2 }' | head -n 1)
	echo "# max_virtqueue_pairs $1: $max pair(s)"
	[ "$max" = 1 ] &&
		[ "$(dmesg | grep -c "max_virtqueue_pairs $1 out of range, using 1")" = $((n0 + 1)) ]
}
max_pairs_nonsense 0
ktap_result "net_sim_max_pairs_0_warned_one_pair"
max_pairs_nonsense 40000
ktap_result "net_sim_max_pairs_40000_warned_one_pair"

# Without VIRTIO_NET_F_MAC: a random, locally administered unicast address,
# another one at every probe.
random_mac() {
	pvnet_sim_load $NS mac=0 || return 1
	echo "$(cat "/sys/class/net/$IF/addr_assign_type") $(cat "/sys/class/net/$IF/address")"
}
read -r type1 mac1 <<< "$(random_mac)"
read -r type2 mac2 <<< "$(random_mac)"
first=$((16#${mac1%%:*}))
echo "# no MAC offered: $mac1 then $mac2 (addr_assign_type $type1, $type2)"
[ "$type1" = 1 ] && [ $((first & 3)) = 2 ] && [ "$(pvnet_sim config | awk '$1 == "mac" { print $2 }')" = 00:00:00:00:00:00 ]
ktap_result "net_sim_no_mac_random_local_unicast"
[ "$type2" = 1 ] && [ -n "$mac2" ] && [ "$mac1" != "$mac2" ]
ktap_result "net_sim_no_mac_new_address_each_probe"

pvnet_sim_load $NS mtu=9000
ktap_eq "net_sim_mtu_9000_from_device" \
	"$(cat "/sys/class/net/$IF/mtu") $($IP -d link show "$IF" | sed -n 's/.*maxmtu \([0-9]*\).*/\1/p')" "9000 9000"
pvnet_sim_load $NS mtu=60
ktap_eq "net_sim_mtu_60_ignored" "$(cat "/sys/class/net/$IF/mtu")" "1500"
rmmod pvlens_net_sim
