#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# pvlens_net's receive refill under allocation failures (debug kernel only:
# make check-debug).  While 8 MiB files cross the QEMU socket link between
# two NICs of one guest, failslab and fail_page_alloc fail a share of every
# non-sleeping allocation in the guest: the refill in NAPI (GFP_ATOMIC) and
# the packet buffers of the receive path.  A refill fails only when both its
# order-3 and its order-0 page allocation fail, so files are sent (up to 5)
# until one did.  The refill work (GFP_KERNEL, never failed here) must bring
# the ring back.  Checked: every file arrives intact, the refill path was
# hit (rx_refill_failed moved; rx_drop_nomem is reported), every packet one
# NIC sent the other received or counted as dropped (the socket link loses
# nothing: QEMU waits for buffers), the rings are at least half posted
# again, the link still carries traffic, and kmemleak finds nothing.
cd "$(dirname "$0")" || exit 1
. ./lib_net.sh
. "$PVLENS_TOP/selftests/faults/lib_faults.sh"
faults_require 8

# Percent of atomic allocations (of our call sites with FAULTS_SCOPE=pvlens)
# failed; enough to empty rings, not enough to stop TCP.
PERCENT=${NET_REFILL_FAULT_PERCENT:-5}

cleanup() {
	faults_atomic_percent 0
	pvnet_teardown
}
trap cleanup EXIT

if ! pvnet_setup; then
	ktap_fail "net_refill_setup_two_nics_in_namespaces"
	exit 1
fi
ktap_ok "net_refill_setup_two_nics_in_namespaces"
# No ARP while counting: a neighbour entry that expires mid-test would move
# the counters between reading one NIC and the other.
$IP -n $NS_A neigh replace $ADDR_B dev "$IF_A" nud permanent \
	lladdr "$($IP netns exec $NS_B cat "/sys/class/net/$IF_B/address")"
$IP -n $NS_B neigh replace $ADDR_A dev "$IF_B" nud permanent \
	lladdr "$($IP netns exec $NS_A cat "/sys/class/net/$IF_A/address")"

head -c 8M /dev/urandom > /tmp/pvnet_refill.bin
want=$(sha256sum /tmp/pvnet_refill.bin | cut -d' ' -f1)
snap() {
	local f
	for f in tx_packets rx_packets rx_dropped; do
		printf '%s %s ' "$(pvnet_stat $NS_A "$IF_A" $f)" "$(pvnet_stat $NS_B "$IF_B" $f)"
	done
	printf '%s %s\n' \
		"$(($(pvnet_pv_sum "$VDEV_A" rx rx_refill_failed) + $(pvnet_pv_sum "$VDEV_B" rx rx_refill_failed)))" \
		"$(($(pvnet_pv_sum "$VDEV_A" rx rx_drop_nomem) + $(pvnet_pv_sum "$VDEV_B" rx rx_drop_nomem)))"
}
read -r -a c0 <<< "$(snap)"

faults_atomic_percent "$PERCENT" || echo "# injection not armed"
intact=1 sent=0
for sent in 1 2 3 4 5; do
	got=$(pvnet_tcp_sha /tmp/pvnet_refill.bin)
	[ "$got" = "$want" ] || { echo "# transfer $sent: sha256 $got"; intact=0; }
	read -r -a c1 <<< "$(snap)"
	[ $((c1[6] - c0[6])) -gt 0 ] && break
done
faults_atomic_percent 0
echo "# $sent transfer(s) under faults"
ktap_eq "net_refill_tcp_sha256_intact_under_faults" "$intact" 1

# The refill work retries every 0.5 s; give the rings a moment.
sleep 1.5
read -r -a c1 <<< "$(snap)"
a_tx=$((c1[0] - c0[0])); b_tx=$((c1[1] - c0[1]))
a_rx=$((c1[2] - c0[2])); b_rx=$((c1[3] - c0[3]))
a_drop=$((c1[4] - c0[4])); b_drop=$((c1[5] - c0[5]))
refill_failed=$((c1[6] - c0[6])); nomem=$((c1[7] - c0[7]))
echo "# ${PERCENT}% $FAULTS_PERCENT_OF failed: refill_failed $refill_failed," \
	"drop_nomem $nomem; A tx $a_tx rx $a_rx dropped $a_drop, B tx $b_tx rx $b_rx dropped $b_drop"
ktap_check "net_refill_failures_hit_the_refill_path" [ "$refill_failed" -gt 0 ]
[ "$a_tx" = $((b_rx + b_drop)) ] && [ "$b_tx" = $((a_rx + a_drop)) ]
ktap_result "net_refill_every_packet_received_or_counted_dropped"

# Each ring at least half posted again: the refill work's doing.
ring=$($IP netns exec $NS_A $ETHTOOL -g "$IF_A" |
	awk '/^Current hardware settings:/ { c = 1 } c && /^RX:/ { print $2; exit }')
refilled=0
for _ in $(seq 50); do
	a=$(pvnet_pv_sum "$VDEV_A" rx inflight)
	b=$(pvnet_pv_sum "$VDEV_B" rx inflight)
	[ "$a" -ge $((ring / 2)) ] && [ "$b" -ge $((ring / 2)) ] && refilled=1 && break
	sleep 0.1
done
echo "# rx buffers posted after the faults: A $a, B $b of $ring"
ktap_eq "net_refill_rings_refilled" "$refilled" 1
ktap_eq "net_refill_ping_after_faults" "$(pvnet_ping $NS_A $ADDR_B 56 20)" 20
got=$(pvnet_tcp_sha /tmp/pvnet_refill.bin)
ktap_eq "net_refill_tcp_sha256_after_faults" "$got" "$want"
rm -f /tmp/pvnet_refill.bin
faults_leaks "net_refill_no_leak"
ktap_exit
