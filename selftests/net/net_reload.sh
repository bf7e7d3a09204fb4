#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# pvlens_net lifecycle: sysfs unbind/bind three times, and rmmod while TCP
# traffic runs, then insmod, three times; after each cycle the NICs come back,
# publish their statistics again and carry intact data.
cd "$(dirname "$0")" || exit 1
. ./lib_net.sh

CYCLES=${PVNET_CYCLES:-3}
PVNET_KO=$(find "$PVLENS_TOP/drivers/net" -name pvlens_net.ko | head -n 1)
ktap_plan $((4 + CYCLES * 2))
trap pvnet_teardown EXIT

head -c 4M /dev/urandom > /tmp/pvnet_file
want=$(sha256sum /tmp/pvnet_file | cut -d' ' -f1)

# The kernel's page_pool_release event reports, for every pool being
# destroyed, the pages it ever took from the kernel (hold) and those still
# out (inflight), until none are.
PP_EVENT=/sys/kernel/debug/tracing/events/page_pool/page_pool_release
pp_trace() {
	sed -n 's/.*page_pool_release: page_pool=\([^ ]*\) inflight=\([-0-9]*\) hold=\([0-9]*\).*/\1 \2 \3/p' \
		/sys/kernel/debug/tracing/trace
}
[ -w $PP_EVENT/enable ] && echo 1 > $PP_EVENT/enable && : > /sys/kernel/debug/tracing/trace

pvnet_wait_ifaces 2
ifn=$(pvnet_ifaces | head -n 1)
vdev=$(basename "$(readlink -f "/sys/class/net/$ifn/device")")
# Up, so that its receive ring is filled from the pool.
$IP link set dev "$ifn" up
mode=$(dmesg | grep -o "$vdev: [^ ]*: .* \(mergeable\|big\|small\) rx buffers" | tail -n 1 | awk '{ print $(NF - 2) }')
new=$(pvnet_pv_sum "/sys/bus/virtio/devices/$vdev" rx rx_pages_new)
# CYCLES unbind/bind rounds; the pool check below reads the first one's.
ok=0
for cycle in $(seq "$CYCLES"); do
	echo "$vdev" > /sys/bus/virtio/drivers/pvlens_net/unbind
	if [ -e "/sys/bus/virtio/devices/$vdev/net" ] ||
		[ -e "/sys/bus/virtio/devices/$vdev/pvlens" ]; then
		break
	fi
	# The pools of the first unbind, whose pages rx_pages_new counted.
	[ "$cycle" = 1 ] && first=$(pp_trace)
	echo "$vdev" > /sys/bus/virtio/drivers/pvlens_net/bind
	pvnet_wait_ifaces 2
	[ -e "/sys/bus/virtio/devices/$vdev/pvlens/rx-0/rx_ops" ] || break
	ok=$cycle
done
ktap_eq "net_unbind_removes_bind_restores_${CYCLES}_times" "$ok" "$CYCLES"

# Idle at unbind, every page is on the ring and comes back at once: each
# pool's first report has nothing out, and their pages taken from the kernel
# are those rx_pages_new counted (some: the ring was filled).
if [ "$mode" != mergeable ]; then
	ktap_skip "net_unbind_pool_pages_all_back_as_counted" "$mode rx buffers, no page pool"
elif [ ! -r $PP_EVENT/enable ]; then
	ktap_skip "net_unbind_pool_pages_all_back_as_counted" "no page_pool tracepoint (CONFIG_PAGE_POOL)"
else
	rel=$(echo "$first" | awk 'NF && !seen[$1]++ { n++; out += $2; hold += $3 } END { print (n > 0), out + 0, hold + 0 }')
	echo "# unbind $vdev ($mode): pools reported, pages out, pages taken: $rel; rx_pages_new $new"
	[ "$new" -gt 0 ] && [ "$rel" = "1 0 $new" ]
	ktap_result "net_unbind_pool_pages_all_back_as_counted"
fi

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

# rmmod left pages with the sockets; once those are gone, every destroyed
# pool must get all of them back (the kernel retries each second and reports).
if [ "$mode" != mergeable ] || [ ! -r $PP_EVENT/enable ]; then
	ktap_skip "net_rmmod_pools_get_every_page_back" "no page pool or no tracepoint"
else
	for _ in $(seq 20); do
		left=$(pp_trace | awk '{ last[$1] = $2 } END { n = 0; for (p in last) if (last[p] != 0) n++; print n }')
		[ "$left" = 0 ] && break
		sleep 0.5
	done
	echo "# pools destroyed: $(pp_trace | awk '!seen[$1]++' | wc -l), still waiting for pages: $left"
	ktap_eq "net_rmmod_pools_get_every_page_back" "$left" "0"
fi
