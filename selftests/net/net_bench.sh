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
cd "$(dirname "$0")" || exit 1
. ./lib_net.sh
. ../bench/lib_net_bench.sh # bench_load

ROUNDS=${BENCH_ROUNDS:-3}
SECS=${BENCH_SECS:-8}
DRIVERS=${BENCH_DRIVERS:-"intree pvlens pvlens-notiming"}
JOBS=${BENCH_JOBS:-"tcp-1 tcp-2 udp64"}

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
			v=$(bench_job "$job")
			unit=mbit_s
			[ "$job" = udp64 ] && unit=pps
			if [ -z "$v" ] || [ "$v" = null ]; then
				echo "# $d $job: no result"
				ok=0
				continue
			fi
			echo "BENCH {\"area\": \"net\", \"round\": $round, \"driver\": \"$d\", \"backend\": \"socket\", \"job\": \"$job\", \"iops\": $v, \"unit\": \"$unit\"}"
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
