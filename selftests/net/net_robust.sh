#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Configuration values the device gets wrong or unusual, set through QEMU
# properties (net-robust.toml): host_mtu below the Ethernet minimum must be
# ignored with one warning (default MTU, traffic works); speed/duplex from
# VIRTIO_NET_F_SPEED_DUPLEX must reach ethtool.
cd "$(dirname "$0")" || exit 1
. ./lib_net.sh

ktap_plan 4
trap pvnet_teardown EXIT

n=$(dmesg | grep -c "pvlens_net virtio.*: device MTU 60 < 68 ignored")
ktap_eq "net_bad_device_mtu_warned_once_per_nic" "$n" "2"
if ! pvnet_setup; then
	ktap_fail "net_bad_device_mtu_default_1500_traffic"
	exit 1
fi
mtu=$($IP netns exec $NS_A cat "/sys/class/net/$IF_A/mtu")
got=$(pvnet_ping $NS_A $ADDR_B 1472 5)
echo "# mtu $mtu, ping 1472: $got/5"
[ "$mtu" = 1500 ] && [ "$got" = 5 ]
ktap_result "net_bad_device_mtu_default_1500_traffic"
ktap_eq "net_speed_from_device" \
	"$($IP netns exec $NS_A $ETHTOOL "$IF_A" | awk '/Speed:/ { print $2 }')" "10000Mb/s"
ktap_eq "net_duplex_from_device" \
	"$($IP netns exec $NS_A $ETHTOOL "$IF_A" | awk '/Duplex:/ { print $2 }')" "Full"
