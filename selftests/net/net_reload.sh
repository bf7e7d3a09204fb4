#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# pvlens_net lifecycle: sysfs unbind/bind, and rmmod while TCP traffic runs,
# then insmod, three times; after each cycle the NICs come back, publish their
# statistics again and carry intact data.
cd "$(dirname "$0")" || exit 1
. ./lib_net.sh

CYCLES=${PVNET_CYCLES:-3}
PVNET_KO=$(find "$PVLENS_TOP/drivers/net" -name pvlens_net.ko | head -n 1)
ktap_plan $((2 + CYCLES * 2))
trap pvnet_teardown EXIT

head -c 4M /dev/urandom > /tmp/pvnet_file
want=$(sha256sum /tmp/pvnet_file | cut -d' ' -f1)

pvnet_wait_ifaces 2
vdev=$(basename "$(readlink -f "/sys/class/net/$(pvnet_ifaces | head -n 1)/device")")
echo "$vdev" > /sys/bus/virtio/drivers/pvlens_net/unbind
gone=0
[ ! -e "/sys/bus/virtio/devices/$vdev/net" ] && [ ! -e "/sys/bus/virtio/devices/$vdev/pvlens" ] && gone=1
echo "$vdev" > /sys/bus/virtio/drivers/pvlens_net/bind
pvnet_wait_ifaces 2
[ $gone = 1 ] && [ -e "/sys/bus/virtio/devices/$vdev/pvlens/rx-0/rx_ops" ]
ktap_result "net_unbind_removes_bind_restores"

if pvnet_setup; then
	ktap_eq "net_tcp_after_rebind" "$(pvnet_tcp_sha /tmp/pvnet_file)" "$want"
else
	ktap_fail "net_tcp_after_rebind"
fi

for c in $(seq "$CYCLES"); do
	# Traffic in flight while the module goes away.
	$IP netns exec $NS_B iperf3 -s -1 -D -p 5203 -I /tmp/pvnet_srv.pid >/dev/null 2>&1
	sleep 0.5
	$IP netns exec $NS_A iperf3 -c $ADDR_B -p 5203 -t 30 >/dev/null 2>&1 &
	cl=$!
	sleep 2
	moving=$(pvnet_stat $NS_B "$IF_B" rx_packets)
	if timeout 30 rmmod pvlens_net; then
		echo "# rmmod with $moving packets received"
		ktap_ok "net_rmmod_under_traffic_$c"
	else
		ktap_fail "net_rmmod_under_traffic_$c"
	fi
	# Their sockets outlive the interfaces: end them, or they block on send.
	kill -9 $cl "$(cat /tmp/pvnet_srv.pid 2>/dev/null)" 2>/dev/null
	wait $cl 2>/dev/null
	pvnet_teardown
	insmod "$PVNET_KO"
	if pvnet_wait_ifaces 2 && pvnet_setup; then
		ktap_eq "net_insmod_tcp_intact_$c" "$(pvnet_tcp_sha /tmp/pvnet_file)" "$want"
	else
		ktap_fail "net_insmod_tcp_intact_$c"
	fi
done
