#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A system sleep's freeze and restore of both NICs during a TCP transfer
# between them (pvlens_pm_cycle: by default the PM core's virtio sequence
# for each device, with PVLENS_PM=system, configuration pm-system, a real
# suspend to idle of the guest): the driver's freeze (device reset, virtqueues deleted)
# and restore (virtqueues made again) run once per NIC, counted by kprobes,
# and virtio_pci's restore as many times as the sleep should call it.
# The transfer goes on intact; what the reset made the device forget is told
# again, checked in QEMU's own view (query-rx-filter: the MAC address set
# before the sleep, promiscuous mode off, where a reset leaves QEMU's
# default, on; a VLAN's ID in the filter, and traffic on it); traffic flows, nothing stays in flight and the counters
# still agree with the interface statistics.
cd "$(dirname "$0")" || exit 1
. ./lib_net.sh

ktap_plan 9
trap 'pvnet_teardown; rm -f /tmp/pvnet_pm_file' EXIT
if why=$(pvlens_pm_unavailable); then
	for t in freeze_restore_succeeds freeze_and_restore_ran_once_per_nic \
		restores_through_virtio_pci \
		tcp_sha256_intact_across_sleep device_rx_filter_restored \
		ping_after_sleep nothing_in_flight_tx counters_eq_interface_stats \
		vlan_filter_restored; do
		ktap_skip "net_pm_$t" "$why"
	done
	exit 0
fi
if ! pvnet_setup; then
	ktap_fail "net_pm_setup"
	exit 1
fi

mac=02:00:00:c0:ff:e2
$IP -n $NS_B link set "$IF_B" address $mac
$IP -n $NS_A neigh flush dev "$IF_A"
# A VLAN on both ends: its ID in B's device filter must survive the reset.
vlan=0
if $IP -n $NS_A link add link "$IF_A" name vl43 type vlan id 43 2>/dev/null &&
	$IP -n $NS_B link add link "$IF_B" name vl43 type vlan id 43; then
	vlan=1
	$IP -n $NS_A addr add 10.201.43.1/24 dev vl43 && $IP -n $NS_A link set vl43 up
	$IP -n $NS_B addr add 10.201.43.2/24 dev vl43 && $IP -n $NS_B link set vl43 up
fi
head -c 64M /dev/urandom > /tmp/pvnet_pm_file
want=$(sha256sum /tmp/pvnet_pm_file | cut -d' ' -f1)
pvlens_kprobe_add net_pm_freeze pvnet_freeze &&
	pvlens_kprobe_add net_pm_restore pvnet_restore
kprobes=$?
pvlens_kprobe_add net_pm_pci_restore virtio_pci_restore
pci_kprobe=$?

pvnet_tcp_sha /tmp/pvnet_pm_file > /tmp/pvnet_pm.sha &
xfer=$!
sleep 1
pvlens_pm_cycle "$(basename "$VDEV_A")" "$(basename "$VDEV_B")"
ktap_eq "net_pm_freeze_restore_succeeds" "$?" 0
running=$(kill -0 $xfer 2>/dev/null && echo "still running" || echo "already done")
echo "# the transfer was $running when both NICs were back"
if [ $kprobes = 0 ]; then
	echo "# freeze ran $(pvlens_kprobe_hits net_pm_freeze) time(s), restore $(pvlens_kprobe_hits net_pm_restore)"
	[ "$(pvlens_kprobe_hits net_pm_freeze)" = 2 ] &&
		[ "$(pvlens_kprobe_hits net_pm_restore)" = 2 ]
	ktap_result "net_pm_freeze_and_restore_ran_once_per_nic"
else
	ktap_skip "net_pm_freeze_and_restore_ran_once_per_nic" "no kprobe events in this kernel"
fi
if [ $pci_kprobe = 0 ]; then
	echo "# virtio_pci_restore ran $(pvlens_kprobe_hits net_pm_pci_restore) time(s)"
	ktap_eq "net_pm_restores_through_virtio_pci" \
		"$(pvlens_kprobe_hits net_pm_pci_restore)" "$(pvlens_pm_pci_restores)"
else
	ktap_skip "net_pm_restores_through_virtio_pci" "no kprobe on virtio_pci_restore here"
fi
pvlens_kprobe_del net_pm_freeze
pvlens_kprobe_del net_pm_restore
pvlens_kprobe_del net_pm_pci_restore

wait $xfer
ktap_eq "net_pm_tcp_sha256_intact_across_sleep" "$(cat /tmp/pvnet_pm.sha)" "$want"
f=$(pvnet_qmp_rx_filter n0b)
ktap_eq "net_pm_device_rx_filter_restored" \
	"$(echo "$f" | jq -c '[.return[0]."main-mac", .return[0].promiscuous]')" "[\"$mac\",false]"
ktap_eq "net_pm_ping_after_sleep" "$(pvnet_ping $NS_A $ADDR_B 56 10)" "10"
sleep 0.5
ktap_eq "net_pm_nothing_in_flight_tx" \
	"$(( $(pvnet_pv_sum "$VDEV_A" tx inflight) + $(pvnet_pv_sum "$VDEV_B" tx inflight) ))" 0
echo "# A: tx_ops $(pvnet_pv_sum "$VDEV_A" tx tx_ops), tx_packets $(pvnet_stat $NS_A "$IF_A" tx_packets); B: rx_ops $(pvnet_pv_sum "$VDEV_B" rx rx_ops), rx_packets $(pvnet_stat $NS_B "$IF_B" rx_packets)"
[ "$(pvnet_pv_sum "$VDEV_A" tx tx_ops)" = "$(pvnet_stat $NS_A "$IF_A" tx_packets)" ] &&
	[ "$(pvnet_pv_sum "$VDEV_B" rx rx_ops)" = "$(pvnet_stat $NS_B "$IF_B" rx_packets)" ]
ktap_result "net_pm_counters_eq_interface_stats"
if [ $vlan = 1 ]; then
	vt=$(pvnet_qmp_rx_filter n0b | jq -c '.return[0]."vlan-table"')
	ping43=$(pvnet_ping $NS_A 10.201.43.2 56 10)
	echo "# vlan-table after: $vt, vlan ping $ping43/10"
	echo "$vt" | grep -qw 43 && [ "$ping43" = 10 ]
	ktap_result "net_pm_vlan_filter_restored"
else
	ktap_skip "net_pm_vlan_filter_restored" "this kernel has no 802.1Q VLAN support"
fi
