#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# qemu-test/profile, network part (runs in the guest, under the insncount
# plugin): both NICs of the socket-pair bound to one driver (lib_net_bench.sh,
# as make bench does), a warm-up, then one TCP stream of exactly PROF_BYTES
# from namespace A to B.  The host subtracts a short run from a long one, so
# boot, setup, warm-up and the connection's start and end cancel.  Prints the
# packets A's interface sent during the measured run (the unit), other
# counters over it (PROFILE count NAME DELTA), and the kernel's text symbols
# (gzip, base64: raw symbol names would trip the harness's scan of the
# console for BUG/WARNING/hung task).
. "$PVLENS_TOP/selftests/bench/lib_net_bench.sh"
ktap_plan 1

BYTES=${PROF_BYTES:-250000000}
WARMUP=${PROF_WARMUP:-20000000}
PORT=5202

# irq_count VQNAME: interrupts of that MSI-X vector (virtioN-input.0), all CPUs.
irq_count() {
	awk -v n="$1" '$NF == n { s = 0; for (i = 2; i < NF; i++) if ($i ~ /^[0-9]+$/) s += $i; print s; f = 1 }
		END { if (!f) print 0 }' /proc/interrupts
}

# tcp_retrans NS: RetransSegs of that namespace.
tcp_retrans() {
	# shellcheck disable=SC2016 # awk's fields
	$IP netns exec "$1" awk '$1 == "Tcp:" { if (h) { print $13; exit } h = 1 }' /proc/net/snmp
}

# snapshot: one line of every counter, in a fixed order (NAMES).
NAMES="a_tx a_rx b_tx b_rx a_tx_irq a_rx_irq b_tx_irq b_rx_irq a_retrans"
snapshot() {
	echo "$(pvnet_stat "$NS_A" "$IF_A" tx_packets) $(pvnet_stat "$NS_A" "$IF_A" rx_packets)" \
		"$(pvnet_stat "$NS_B" "$IF_B" tx_packets) $(pvnet_stat "$NS_B" "$IF_B" rx_packets)" \
		"$(irq_count "$DEV_A-output.0") $(irq_count "$DEV_A-input.0")" \
		"$(irq_count "$DEV_B-output.0") $(irq_count "$DEV_B-input.0")" \
		"$(tcp_retrans "$NS_A")"
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

if ! bench_load "$PROF_DRIVER"; then
	ktap_fail "net_profile_setup # cannot bind both NICs to $PROF_DRIVER"
	ktap_exit
fi
# virtioN, for the names of its interrupts (the interfaces are in their
# namespaces now, pvnet_setup found the devices before).
DEV_A=$(basename "$VDEV_A")
DEV_B=$(basename "$VDEV_B")
send "$WARMUP" || echo "# warm-up: socat failed"
sleep 0.2
read -ra before <<< "$(snapshot)"
send "$BYTES"
rc=$?
sleep 0.2
read -ra after <<< "$(snapshot)"
i=0
for name in $NAMES; do
	echo "PROFILE count $name $((after[i] - before[i]))"
	i=$((i + 1))
done
packets=$((after[0] - before[0]))
echo "PROFILE packets $packets"
echo "PROFILE syms $(grep ' [tT] ' /proc/kallsyms | gzip -1 | base64 -w0)"
# Everything arrived, in at least one segment per 1448 bytes (MSS).
[ $rc = 0 ] && [ "$packets" -ge $((BYTES / 1448)) ]
ktap_result net_profile_sent
ktap_exit
