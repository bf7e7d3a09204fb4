#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# pvlens_net ethtool -G (ring resize, VIRTIO_F_RING_RESET) over a QEMU socket
# link between two NICs of one guest: -g shows the device maximum and the
# current sizes, both NICs go to 128 and back to 256, idle, under a TCP
# transfer and while down; data stays intact, pvlens inflight stays within
# the ring, bad sizes are refused, and the interface counters agree with the
# peer's.  Without VIRTIO_F_RING_RESET only the refusal is checked.
cd "$(dirname "$0")" || exit 1
. ./lib_net.sh

ktap_plan 18

# ring_get NS IFACE: "max_rx max_tx cur_rx cur_tx" from ethtool -g.
ring_get() {
	$IP netns exec "$1" $ETHTOOL -g "$2" | awk '
		/^Pre-set maximums:/ { s = "max" }
		/^Current hardware settings:/ { s = "cur" }
		/^RX:/ { v[s "rx"] = $2 }
		/^TX:/ { v[s "tx"] = $2 }
		END { print v["maxrx"], v["maxtx"], v["currx"], v["curtx"] }'
}

# ring_set NS IFACE RX TX: ethtool -G; its error output goes to the log.
ring_set() {
	$IP netns exec "$1" $ETHTOOL -G "$2" rx "$3" tx "$4" 2>&1 | sed 's/^/# /'
	return "${PIPESTATUS[0]}"
}

# ring_set_both RX TX: both NICs.
ring_set_both() {
	ring_set $NS_A "$IF_A" "$1" "$2" && ring_set $NS_B "$IF_B" "$1" "$2"
}

# ring_cur_both: "A_rx A_tx B_rx B_tx" as -g reports them now.
ring_cur_both() {
	echo "$(ring_get $NS_A "$IF_A" | cut -d' ' -f3-4) $(ring_get $NS_B "$IF_B" | cut -d' ' -f3-4)"
}

# inflight_ok N: every pvlens queue of both NICs has at most N in flight,
# and every rx queue some buffers posted (the ring was refilled).
inflight_ok() {
	local v q n ok=0
	for v in "$VDEV_A" "$VDEV_B"; do
		for q in rx-0 tx-0; do
			n=$(pvnet_pv "$v" $q inflight)
			echo "# $(basename "$v") $q inflight $n"
			[ "$n" -le "$1" ] || ok=1
			[ "${q%-*}" = tx ] || [ "$n" -gt 0 ] || ok=1
		done
	done
	return $ok
}

# counters: "A_tx A_txb A_rx A_rxb B_tx B_txb B_rx B_rxb".
counters() {
	local ns ifc f
	for ns in $NS_A $NS_B; do
		ifc=$IF_A
		[ "$ns" = $NS_B ] && ifc=$IF_B
		for f in tx_packets tx_bytes rx_packets rx_bytes; do
			printf '%s ' "$(pvnet_stat "$ns" "$ifc" $f)"
		done
	done
	echo
}

# counters_agree NAME BASELINE: what each NIC sent since BASELINE, the
# other received (the socket link loses nothing).
counters_agree() {
	local a_tx a_txb a_rx a_rxb b_tx b_txb b_rx b_rxb
	local c0 c1
	read -r -a c0 <<< "$2"
	read -r -a c1 <<< "$(counters)"
	a_tx=$((c1[0] - c0[0])); a_txb=$((c1[1] - c0[1]))
	a_rx=$((c1[2] - c0[2])); a_rxb=$((c1[3] - c0[3]))
	b_tx=$((c1[4] - c0[4])); b_txb=$((c1[5] - c0[5]))
	b_rx=$((c1[6] - c0[6])); b_rxb=$((c1[7] - c0[7]))
	echo "# A tx $a_tx/$a_txb rx $a_rx/$a_rxb, B tx $b_tx/$b_txb rx $b_rx/$b_rxb"
	[ "$a_tx" -gt 1000 ] && [ "$a_tx" = "$b_rx" ] && [ "$a_txb" = "$b_rxb" ] &&
		[ "$b_tx" = "$a_rx" ] && [ "$b_txb" = "$a_rxb" ]
	ktap_result "$1"
}

# pin_neigh: permanent neighbour entries both ways, so no ARP probe moves
# the counters between reading one NIC's and the other's.
pin_neigh() {
	$IP -n $NS_A neigh replace $ADDR_B dev "$IF_A" nud permanent \
		lladdr "$($IP netns exec $NS_B cat "/sys/class/net/$IF_B/address")"
	$IP -n $NS_B neigh replace $ADDR_A dev "$IF_B" nud permanent \
		lladdr "$($IP netns exec $NS_A cat "/sys/class/net/$IF_A/address")"
}

# wait_xfer PID: up to 120 s for a background transfer.
wait_xfer() {
	local _
	for _ in $(seq 1200); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		echo "# transfer still running after 120 s"
		kill "$1"
	fi
	wait "$1"
}

cleanup() {
	ring_set_both 256 256 >/dev/null 2>&1
	pvnet_teardown
}
trap cleanup EXIT

if ! pvnet_setup; then
	ktap_fail "net_ring_setup_two_nics_in_namespaces"
	exit 1
fi
ktap_ok "net_ring_setup_two_nics_in_namespaces"

read -r max_rx max_tx cur_rx cur_tx <<< "$(ring_get $NS_A "$IF_A")"
echo "# $IF_A ethtool -g: max rx $max_rx tx $max_tx, current rx $cur_rx tx $cur_tx"
[ "$max_rx" -ge 256 ] && [ "$max_tx" -ge 256 ] &&
	[ "$cur_rx" = "$max_rx" ] && [ "$cur_tx" = "$max_tx" ]
ktap_result "net_ring_get_shows_max_and_current"

# VIRTIO_F_RING_RESET is feature bit 40: character 41 of the features file.
if [ "$(cut -c41 "$VDEV_A/features")" != 1 ]; then
	out=$($IP netns exec $NS_A $ETHTOOL -G "$IF_A" rx 128 tx 128 2>&1)
	echo "# $out"
	echo "$out" | grep -q "Operation not supported" &&
		[ "$(ring_get $NS_A "$IF_A")" = "$max_rx $max_tx $cur_rx $cur_tx" ]
	ktap_result "net_ring_set_without_ring_reset_not_supported"
	for t in set_128_shown_by_get inflight_within_new_ring \
		tcp_sha256_after_resize peer_counters_equal_across_idle_resize \
		resize_during_tcp_transfer tcp_sha256_during_resize \
		tcp_sha256_at_128_after_transfer \
		inflight_within_ring_after_transfer size_0_refused \
		size_above_max_refused sizes_not_power_of_2_or_too_small_refused \
		resize_while_down_then_traffic resize_back_to_256_shown_by_get \
		tcp_sha256_back_at_256 peer_counters_equal_after_resizes; do
		ktap_skip "net_ring_$t" "device without VIRTIO_F_RING_RESET"
	done
	ktap_exit
fi
ktap_ok "net_ring_device_offers_ring_reset"
pin_neigh

head -c 8M /dev/urandom > /tmp/pvnet_file
want=$(sha256sum /tmp/pvnet_file | cut -d' ' -f1)

# Idle: whatever the device completed is reaped before the queue resets, so
# the counters of both NICs still agree across the resize.
base=$(counters)
r0=$(date +%s%N)
ring_set_both 128 128 && [ "$(ring_cur_both)" = "128 128 128 128" ]
ktap_result "net_ring_set_128_shown_by_get"
resize_ms=$(( ($(date +%s%N) - r0) / 1000000 ))
inflight_ok 128
ktap_result "net_ring_inflight_within_new_ring"
t0=$(date +%s%N)
ktap_eq "net_ring_tcp_sha256_after_resize" "$(pvnet_tcp_sha /tmp/pvnet_file)" "$want"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
sleep 0.5
counters_agree "net_ring_peer_counters_equal_across_idle_resize" "$base"

# Under a transfer: every resize must succeed and TCP recovers what a queue
# reset drops.  Sizes alternate for both rings of both NICs until it ends;
# the file goes as many times as make the transfer last about 4 s, or four
# idle resizes with their pauses when a busy host makes those slower.
span=$(( 4 * (resize_ms + 200) ))
[ $span -lt 4000 ] && span=4000
reps=$((span / (ms + 1) + 1))
[ $reps -gt 16 ] && reps=16
want_n=$(for _ in $(seq $reps); do cat /tmp/pvnet_file; done | sha256sum | cut -d' ' -f1)
echo "# 8 MiB took $ms ms, a resize $resize_ms ms: sending it $reps times"
rm -f /tmp/pvnet_ring.sha
# /dev/stdin may not exist in the guest; procfs has socat's own stdin.
for _ in $(seq $reps); do cat /tmp/pvnet_file; done |
	pvnet_tcp_sha /proc/self/fd/0 > /tmp/pvnet_ring.sha &
xfer=$!
sleep 0.5
n=0
ok=1
for size in 256 64 128 256 64 128 256 64 128 256; do
	kill -0 $xfer 2>/dev/null || break
	ring_set_both $size $size || ok=0
	[ "$(ring_cur_both)" = "$size $size $size $size" ] || ok=0
	n=$((n + 1))
	sleep 0.2
done
wait_xfer $xfer
echo "# $n resizes during the transfer"
[ $ok = 1 ] && [ $n -ge 2 ]
ktap_result "net_ring_resize_during_tcp_transfer"
ktap_eq "net_ring_tcp_sha256_during_resize" "$(cat /tmp/pvnet_ring.sha)" "$want_n"
ring_set_both 128 128
ktap_eq "net_ring_tcp_sha256_at_128_after_transfer" "$(pvnet_tcp_sha /tmp/pvnet_file)" "$want"
sleep 0.5
inflight_ok 128
ktap_result "net_ring_inflight_within_ring_after_transfer"

! ring_set $NS_A "$IF_A" 0 128 && ! ring_set $NS_A "$IF_A" 128 0 &&
	[ "$(ring_get $NS_A "$IF_A" | cut -d' ' -f3-4)" = "128 128" ]
ktap_result "net_ring_size_0_refused"
! ring_set $NS_A "$IF_A" $((max_rx * 2)) 128 && ! ring_set $NS_A "$IF_A" 128 $((max_tx * 2)) &&
	[ "$(ring_get $NS_A "$IF_A" | cut -d' ' -f3-4)" = "128 128" ]
ktap_result "net_ring_size_above_max_refused"
# Split rings are powers of 2; a ring smaller than one packet would stall.
! ring_set $NS_A "$IF_A" 100 128 && ! ring_set $NS_A "$IF_A" 128 16 &&
	[ "$(ring_get $NS_A "$IF_A" | cut -d' ' -f3-4)" = "128 128" ]
ktap_result "net_ring_sizes_not_power_of_2_or_too_small_refused"

# Down: no NAPI to stop, the queues must still come back usable.
$IP -n $NS_A link set "$IF_A" down
ring_set $NS_A "$IF_A" 64 64
down_rc=$?
$IP -n $NS_A link set "$IF_A" up
pvnet_wait_carrier $NS_A "$IF_A" 1
# Going down flushed A's neighbours, the pinned one too.
pin_neigh
[ $down_rc = 0 ] && [ "$(ring_get $NS_A "$IF_A" | cut -d' ' -f3-4)" = "64 64" ] &&
	[ "$(pvnet_ping $NS_A $ADDR_B 1000 10)" = 10 ]
ktap_result "net_ring_resize_while_down_then_traffic"

ring_set_both 256 256 && [ "$(ring_cur_both)" = "256 256 256 256" ]
ktap_result "net_ring_resize_back_to_256_shown_by_get"
base=$(counters)
ktap_eq "net_ring_tcp_sha256_back_at_256" "$(pvnet_tcp_sha /tmp/pvnet_file)" "$want"
sleep 0.5
counters_agree "net_ring_peer_counters_equal_after_resizes" "$base"
ktap_exit
