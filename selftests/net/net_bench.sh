#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench (net): in-tree virtio_net against pvlens_net with timing on and
# off, on the same two socket-linked NICs, drivers swapped inside one guest,
# interleaved rounds.  One "BENCH {json}" line per point for qemu-test/bench;
# the metric is in "iops" (Mbit/s for tcp-*, packets/s for udp64) and named
# in "unit".  udp64 also gives udp64-rx: the packets per second the
# receiving interface took in during the same run.  On one vCPU the unpaced
# sender, both drivers and the receiving application share the CPU, so a
# faster datapath moves more packets yet leaves the application less time:
# udp64 (what iperf3 delivered) can fall while udp64-rx rises.
#
# With a tap-netns device (qemu-test/configs/net-bench-tap-icount.toml) the
# peer is the host instead: the guest's one NIC sends to the harness's
# iperf3 in the host namespace, so nothing else in the guest competes with
# the sender and its driver.  udp64-tx: the 64-byte datagrams per second of
# guest time that the host's tap took in; tcp-1-tx: one TCP stream to the
# host, Mbit/s.  udp64-in: the host floods the guest with 64-byte datagrams
# (unpaced iperf3 in the host namespace), and the metric is what the
# guest's iperf3 received per second of guest time; udp64-in-nic, from the
# same runs, what the NIC took in.
cd "$(dirname "$0")" || exit 1
. ./lib_net.sh
. ../bench/lib_net_bench.sh # bench_load

ROUNDS=${BENCH_ROUNDS:-3}
SECS=${BENCH_SECS:-8}
DRIVERS=${BENCH_DRIVERS:-"intree pvlens pvlens-notiming"}
JOBS=${BENCH_JOBS:-"tcp-1 tcp-2 udp64"}
BACKEND=socket
[ -n "$TAP" ] && BACKEND=tap

# nic_irqs: the interrupts the NIC's virtio device has taken, all vectors.
nic_irqs() {
	irq_sum "^${VDEV_A##*/}-"
}

# irqs_per_packet IRQ0 PACKETS: the NIC's interrupts since nic_irqs gave
# IRQ0, per packet, to /tmp/pvnet_bench.irq.
irqs_per_packet() {
	printf "%.3f" "$(echo "scale=3; ($(nic_irqs) - $1) / $2" | bc)" > /tmp/pvnet_bench.irq
}

# udp64_in: the host floods the guest for SECS of host time; prints the
# datagrams the guest's iperf3 received per guest second, the packets the
# NIC took in per guest second to /tmp/pvnet_bench.rx, and the NIC's
# interrupts per packet it took in to /tmp/pvnet_bench.irq.
udp64_in() {
	local srv rx0 irq0 rx secs
	$IP netns exec "$NS_A" iperf3 -s -1 -J -p 5202 > /tmp/pvnet_bench.json 2>/dev/null &
	srv=$!
	sleep 0.5
	rx0=$(pvnet_stat "$NS_A" "$IF_A" rx_packets)
	irq0=$(nic_irqs)
	pvlens_host tap-exec "$TAP" iperf3 -c "$SELF" -p 5202 -u -l 64 -b 0 -t "$SECS" >/dev/null
	wait "$srv"
	rx=$(($(pvnet_stat "$NS_A" "$IF_A" rx_packets) - rx0))
	echo "# udp64-in $PVNET_DRIVER: $rx packets" >&2
	[ "$rx" -gt 0 ] || return
	irqs_per_packet "$irq0" "$rx"
	secs=$(jq '.end.sum_received.seconds' /tmp/pvnet_bench.json)
	echo "$rx / $secs" | bc > /tmp/pvnet_bench.rx
	jq '(.end.sum_received.packets - .end.sum_received.lost_packets) /
		.end.sum_received.seconds | floor' /tmp/pvnet_bench.json
}

# tap_job JOB: prints the metric of a job against the host peer, and the
# NIC's interrupts per packet the host took in to /tmp/pvnet_bench.irq.
# The console gets the CPU ticks of the run and every ethtool -S counter
# that moved, to tell a slower driver from a run that idled or batched
# differently.
tap_job() {
	local args rx0 irq0 rx
	case $1 in
	tcp-1-tx) args="-t $SECS" ;;
	udp64-tx) args="-t $SECS -u -l 64 -b 0" ;;
	udp64-in)
		udp64_in
		return
		;;
	esac
	rx0=$(tap_rx_packets)
	irq0=$(nic_irqs)
	read -r _ u0 _ s0 i0 _ < /proc/stat
	$IP netns exec "$NS_A" $ETHTOOL -S "$IF_A" > /tmp/pvnet_bench.es0
	# shellcheck disable=SC2086
	$IP netns exec "$NS_A" iperf3 -c "$PEER" $args -J > /tmp/pvnet_bench.json 2>/dev/null
	rx=$(($(tap_rx_packets) - rx0))
	read -r _ u1 _ s1 i1 _ < /proc/stat
	$IP netns exec "$NS_A" $ETHTOOL -S "$IF_A" > /tmp/pvnet_bench.es1
	{
		echo "# $1 $PVNET_DRIVER: user $((u1 - u0)) sys $((s1 - s0)) idle $((i1 - i0)) ticks, $rx packets"
		join <(sort /tmp/pvnet_bench.es0) <(sort /tmp/pvnet_bench.es1) |
			awk '$3 != $2 { printf "%s%s %d", sep, $1, $3 - $2; sep = ", " }
				END { print "" }' | sed 's/^/# /'
	} >&2
	[ "$rx" -gt 0 ] || return
	irqs_per_packet "$irq0" "$rx"
	# The sender's seconds: the host's iperf3 counts in host time.
	case $1 in
	udp64-tx) echo "$rx / $(jq '.end.sum_sent.seconds' /tmp/pvnet_bench.json)" | bc ;;
	*) jq '.end.sum_sent.bits_per_second / 1000000 | floor' /tmp/pvnet_bench.json ;;
	esac
}

# bench_job JOB: prints the metric; the packets the receiving interface took
# in during the run go to /tmp/pvnet_bench.rx (it runs in a subshell).
bench_job() {
	local args
	case $1 in
	tcp-1) args="-t $SECS" ;;
	tcp-2) args="-t $SECS -P 2" ;;
	udp64) args="-t $SECS -u -l 64 -b 0" ;;
	esac
	$IP netns exec $NS_B iperf3 -s -1 -D -p 5202 >/dev/null 2>&1
	sleep 0.5
	rx0=$(pvnet_stat $NS_B "$IF_B" rx_packets)
	# shellcheck disable=SC2086
	$IP netns exec $NS_A iperf3 -c $ADDR_B -p 5202 $args -J > /tmp/pvnet_bench.json 2>/dev/null
	echo $(( $(pvnet_stat $NS_B "$IF_B" rx_packets) - rx0 )) > /tmp/pvnet_bench.rx
	case $1 in
	udp64) jq '(.end.sum.packets - .end.sum.lost_packets) / .end.sum.seconds | floor' /tmp/pvnet_bench.json ;;
	*) jq '.end.sum_received.bits_per_second / 1000000 | floor' /tmp/pvnet_bench.json ;;
	esac
}

ktap_plan 1
ok=1
for round in $(seq "$ROUNDS"); do
	for d in $DRIVERS; do
		if ! bench_load "$d"; then
			echo "# cannot set up $d"
			ok=0
			continue
		fi
		for job in $JOBS; do
			if [ "$BACKEND" = tap ]; then
				v=$(tap_job "$job")
			else
				v=$(bench_job "$job")
			fi
			unit=mbit_s
			case $job in udp64*) unit=pps ;; esac
			if [ -z "$v" ] || [ "$v" = null ]; then
				echo "# $d $job: no result"
				ok=0
				continue
			fi
			irq=
			[ "$BACKEND" = tap ] && irq=", \"irqs_per_io\": $(cat /tmp/pvnet_bench.irq)"
			echo "BENCH {\"area\": \"net\", \"round\": $round, \"driver\": \"$d\", \"backend\": \"$BACKEND\", \"job\": \"$job\", \"iops\": $v, \"unit\": \"$unit\"$irq}"
			if [ "$job" = udp64-in ]; then
				echo "BENCH {\"area\": \"net\", \"round\": $round, \"driver\": \"$d\", \"backend\": \"tap\", \"job\": \"udp64-in-nic\", \"iops\": $(cat /tmp/pvnet_bench.rx), \"unit\": \"pps\"$irq}"
				continue
			fi
			[ "$job" = udp64 ] || continue
			secs=$(jq '.end.sum.seconds' /tmp/pvnet_bench.json)
			v=$(echo "$(cat /tmp/pvnet_bench.rx) / $secs" | bc)
			echo "BENCH {\"area\": \"net\", \"round\": $round, \"driver\": \"$d\", \"backend\": \"socket\", \"job\": \"udp64-rx\", \"iops\": $v, \"unit\": \"pps\"}"
		done
	done
done
pvnet_teardown
rmmod virtio_net 2>/dev/null
ktap_check "net_bench_all_points" [ $ok = 1 ]
