#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# qemu-test/profile, network part (runs in the guest, under the insncount
# plugin): both NICs of the socket-pair bound to one driver (lib_net_bench.sh,
# as make bench does), a warm-up, then one TCP stream of exactly PROF_BYTES
# from namespace A to B, or with PROF_JOB=udp64 a flood of PROF_PACKETS
# 64-byte datagrams, none dropped.  PROF_JOB=udp64-tx takes the one NIC of a
# tap-netns device instead and floods PROF_PACKETS 64-byte datagrams to the
# host's discard sink (port 9), so the guest runs the transmit side only.
# The host subtracts a short run from a
# long one, so boot, setup, warm-up and the connection's start and end
# cancel.  Prints the unit (the packets A's interface sent; for udp64 those
# B's took in; for udp64-tx those the host's tap took in) over the measured
# run, other counters over it (PROFILE count
# NAME DELTA), and the kernel's text symbols (gzip, base64: raw symbol names
# would trip the harness's scan of the console for BUG/WARNING/hung task).
. "$PVLENS_TOP/selftests/bench/lib_net_bench.sh"
ktap_plan 1

JOB=${PROF_JOB:-tcp}
BYTES=${PROF_BYTES:-250000000}
WARMUP=${PROF_WARMUP:-20000000}
PACKETS=${PROF_PACKETS:-100000}
PORT=5202
if [ "$JOB" = udp64-tx ] && [ -z "$TAP" ]; then
	ktap_fail "net_profile_setup # udp64-tx wants a tap-netns device"
	ktap_exit
fi

# irq_count VQNAME: interrupts of that MSI-X vector (virtioN-input.0), all CPUs.
irq_count() {
	irq_sum "^${1//./[.]}\$"
}

# tcp_retrans NS: RetransSegs of that namespace.
tcp_retrans() {
	# shellcheck disable=SC2016 # awk's fields
	$IP netns exec "$1" awk '$1 == "Tcp:" { if (h) { print $13; exit } h = 1 }' /proc/net/snmp
}

# udp_stats NS: InDatagrams and RcvbufErrors of that namespace.
udp_stats() {
	# shellcheck disable=SC2016 # awk's fields
	$IP netns exec "$1" awk '$1 == "Udp:" { if (h) { print $2, $6; exit } h = 1 }' /proc/net/snmp
}

# snapshot: one line of every counter, in a fixed order (NAMES).
NAMES="a_tx a_rx b_tx b_rx a_tx_irq a_rx_irq b_tx_irq b_rx_irq a_retrans b_udp_in b_udp_rcvbuf_err"
snapshot() {
	echo "$(pvnet_stat "$NS_A" "$IF_A" tx_packets) $(pvnet_stat "$NS_A" "$IF_A" rx_packets)" \
		"$(pvnet_stat "$NS_B" "$IF_B" tx_packets) $(pvnet_stat "$NS_B" "$IF_B" rx_packets)" \
		"$(irq_count "$DEV_A-output.0") $(irq_count "$DEV_A-input.0")" \
		"$(irq_count "$DEV_B-output.0") $(irq_count "$DEV_B-input.0")" \
		"$(tcp_retrans "$NS_A") $(udp_stats "$NS_B")"
}

# The same for udp64-tx: the NIC's own counters, its interrupts, and what
# the host's side of the tap took in.
NAMES_TX="a_tx a_rx a_tx_irq a_rx_irq host_rx"
snapshot_tx() {
	echo "$(pvnet_stat "$NS_A" "$IF_A" tx_packets) $(pvnet_stat "$NS_A" "$IF_A" rx_packets)" \
		"$(irq_count "$DEV_A-output.0") $(irq_count "$DEV_A-input.0")" \
		"$(tap_rx_packets)"
}

# send_udp_tx PACKETS: that many 64-byte datagrams to the host's discard
# sink, as fast as the sender can write them.
send_udp_tx() {
	$IP netns exec "$NS_A" socat -u -b 64 "OPEN:/dev/zero,readbytes=$((64 * $1))" \
		"UDP-SENDTO:$PEER:9"
}

# send BYTES: one TCP stream A -> B, every byte read by B (an iperf3 -n test
# ends once the client has written the bytes: one 50 MB trial put 4% fewer
# packets on the wire than that needs).  128 KiB reads and writes, as
# iperf3's.
send() {
	local srv
	$IP netns exec "$NS_B" socat -u -b 131072 \
		"TCP-LISTEN:$PORT,reuseaddr,bind=$ADDR_B" OPEN:/dev/null &
	srv=$!
	if ! $IP netns exec "$NS_A" socat -u -b 131072 "OPEN:/dev/zero,readbytes=$1" \
		"TCP:$ADDR_B:$PORT,retry=50,interval=0.1"; then
		kill "$srv" 2>/dev/null
		wait "$srv"
		return 1
	fi
	wait "$srv"
}

# send_udp PACKETS: that many 64-byte datagrams A -> B as fast as the sender
# can write them (socat writes each 64-byte read as one datagram), read by
# B into /dev/null.  B's 64 MiB receive buffer lets the receiver fall behind
# without a drop, so both sides do all the work of every packet; the run
# ends when B's socket is empty.
send_udp() {
	local srv port_hex rc _
	port_hex=$(printf '%04X' $PORT)
	$IP netns exec "$NS_B" socat -u -b 2048 \
		"UDP-RECV:$PORT,bind=$ADDR_B,rcvbuf=67108864" OPEN:/dev/null &
	srv=$!
	sleep 0.5
	$IP netns exec "$NS_A" socat -u -b 64 "OPEN:/dev/zero,readbytes=$((64 * $1))" \
		"UDP-SENDTO:$ADDR_B:$PORT"
	rc=$?
	for _ in $(seq 600); do
		# shellcheck disable=SC2016 # awk's fields
		$IP netns exec "$NS_B" awk -v p=":$port_hex" \
			'$2 ~ p"$" && $5 !~ /:00000000$/ { busy = 1 } END { exit busy }' /proc/net/udp && break
		sleep 0.1
	done
	kill "$srv"
	wait "$srv" 2>/dev/null
	return $rc
}

sysctl -qw net.core.rmem_max=134217728
if ! bench_load "$PROF_DRIVER"; then
	ktap_fail "net_profile_setup # cannot bind both NICs to $PROF_DRIVER"
	ktap_exit
fi
# virtioN, for the names of its interrupts (the interfaces are in their
# namespaces now, pvnet_setup found the devices before).
DEV_A=$(basename "$VDEV_A")
[ -n "$TAP" ] || DEV_B=$(basename "$VDEV_B")
if [ "$JOB" = udp64-tx ]; then
	sender=send_udp_tx warm=2000 size=$PACKETS
	NAMES=$NAMES_TX
	snapshot() { snapshot_tx; }
elif [ "$JOB" = udp64 ]; then
	sender=send_udp warm=2000 size=$PACKETS
else
	sender=send warm=$WARMUP size=$BYTES
fi
$sender "$warm" || echo "# warm-up: socat failed"
sleep 0.2
read -ra before <<< "$(snapshot)"
$sender "$size"
rc=$?
sleep 0.2
read -ra after <<< "$(snapshot)"
declare -A delta
i=0
for name in $NAMES; do
	delta[$name]=$((after[i] - before[i]))
	echo "PROFILE count $name ${delta[$name]}"
	i=$((i + 1))
done
# The unit: packets A's interface sent (TCP) or B's took in (UDP).
if [ "$JOB" = udp64-tx ]; then
	packets=${delta[host_rx]}
elif [ "$JOB" = udp64 ]; then
	packets=${delta[b_rx]}
else
	packets=${delta[a_tx]}
fi
echo "PROFILE packets $packets"
echo "PROFILE syms $(grep ' [tT] ' /proc/kallsyms | gzip -1 | base64 -w0)"
if [ "$JOB" = udp64-tx ]; then
	# Every datagram reached the host (give or take an ARP exchange).
	echo "# $packets packets for $PACKETS datagrams"
	[ $rc = 0 ] && [ "$packets" -ge "$PACKETS" ] && [ "$packets" -le $((PACKETS + 4)) ]
	ktap_result net_profile_udp_tx_reached_host
elif [ "$JOB" = udp64 ]; then
	# Every datagram reached the receiving socket, none was dropped there.
	echo "# ${delta[b_udp_in]} of $PACKETS datagrams delivered"
	[ $rc = 0 ] && [ "${delta[b_udp_in]}" = "$PACKETS" ] &&
		[ "${delta[b_udp_rcvbuf_err]}" = 0 ]
	ktap_result net_profile_udp_delivered
else
	# Everything arrived, in at least one segment per 1448 bytes (MSS).
	[ $rc = 0 ] && [ "$packets" -ge $((BYTES / 1448)) ]
	ktap_result net_profile_sent
fi
ktap_exit
