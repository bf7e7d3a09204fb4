#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A system sleep whose restore cannot set the NIC's queues up again:
# pvlens_sim fails pvlens_net_sim's next find_vqs() (fail_find_vqs), then
# the PM core's virtio sequence runs on it (pvlens_pm_cycle).  The driver
# says so in one line, the interface loses its carrier and stays detached:
# bringing it up and ethtool are refused (ENODEV), its statistics still
# read.  The next sleep brings it back, carrier included, and it carries
# traffic with counts equal to the device's; the device unloads cleanly.
cd "$(dirname "$0")" || exit 1
. ./lib_net.sh

NS=pvsimrf
ADDR=10.203.0.9
ktap_plan 5
trap '$IP netns del $NS 2>/dev/null' EXIT
# The simulated device has no PCI transport: always the per-device cycle.
# shellcheck disable=SC2034  # read by pvlens_pm_cycle
PVLENS_PM=

names="restore_failure_reported_once interface_refused_not_broken
next_cycle_brings_it_back traffic_counts_eq_device device_unloads"
if why=$(pvlens_pm_unavailable); then
	for t in $names; do
		ktap_skip "net_sim_restore_fail_$t" "$why"
	done
	exit 0
fi

ifstat() { pvnet_stat $NS "$IF" "$1"; }
carrier() { $IP netns exec $NS cat "/sys/class/net/$IF/carrier" 2>&1; }
pvnet_sim_load $NS && pvnet_netns $NS "$IF" $ADDR
vdev=$(basename "$VDEV")
msg="$vdev: restore failed (-5), $IF stays down"
n0=$(dmesg | grep -c "$msg")
echo 1 > "$PVNET_SIM/fail_find_vqs"
pvlens_pm_cycle "$vdev"
rc=$?
echo "# pm cycle of $IF ($vdev): rc $rc; carrier $(carrier)"
[ $rc != 0 ] && [ "$(dmesg | grep -c "$msg")" = $((n0 + 1)) ] &&
	[ "$(carrier)" != 1 ]
ktap_result "net_sim_restore_fail_restore_failure_reported_once"

# What a user might try on it: refused, and the statistics still read.
$IP netns exec $NS python3 -c "
import socket
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('$PVNET_SIM_PEER', 9))" 2>/dev/null
$IP -n $NS link set "$IF" down
up=$($IP -n $NS link set "$IF" up 2>&1; echo "rc=$?")
ring=$($IP netns exec $NS $ETHTOOL -g "$IF" 2>&1; echo "rc=$?")
echo "# link up: ${up//$'\n'/ }; ethtool -g: ${ring//$'\n'/ }"
[ "${up##*rc=}" != 0 ] && [ "${ring##*rc=}" != 0 ] &&
	cat "$VDEV"/pvlens/*/tx_ops > /dev/null &&
	ifstat tx_packets > /dev/null
ktap_result "net_sim_restore_fail_interface_refused_not_broken"

# The next sleep, restored: the interface is back, carrier and all.
pvlens_pm_cycle "$vdev" && $IP -n $NS link set "$IF" up &&
	pvnet_wait_carrier $NS "$IF" 1
ktap_result "net_sim_restore_fail_next_cycle_brings_it_back"

pvnet_sim_tx_eq $NS "$IF" 20
ktap_result "net_sim_restore_fail_traffic_counts_eq_device"

$IP netns del $NS
timeout 60 rmmod pvlens_net_sim && [ ! -e /sys/devices/pvlens_net_sim ] &&
	[ ! -e "$PVNET_SIM" ]
ktap_result "net_sim_restore_fail_device_unloads"
