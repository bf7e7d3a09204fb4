#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bind a virtio-net device to pvlens_net with the Nth allocation of the bind
# failed, for every N: each step ends either bound with an interface that
# carries traffic (pings across the socket link to the other NIC, which
# stays bound in its own namespace, all answered) or refused with an errno
# and nothing left (no driver link, interface, pvlens sysfs or debugfs
# directory), and a plain bind works after every refusal.  On 6.1 the sweep
# stops early at a kernel defect (faults_irq_proc_broken): reported as SKIP.
cd "$(dirname "$0")/../net" || exit 1
. ./lib_net.sh
. "$PVLENS_TOP/selftests/faults/lib_faults.sh"
faults_require 8

drv=/sys/bus/virtio/drivers/pvlens_net
# shellcheck disable=SC2207
ifs=($(pvnet_ifaces))
if [ "${#ifs[@]}" -lt 2 ]; then
	echo "# want 2 pvlens_net interfaces, found ${#ifs[@]}"
	for t in bound_before_sweep unbound sweep_reached_last_allocation \
		every_step_clean every_bind_works_every_refusal_recovers \
		some_steps_refused binds_after_sweep no_leak_after_sweep; do
		ktap_fail "net_$t"
	done
	ktap_exit
fi
vdev=$(pvnet_vdev "${ifs[0]}")
SWEEP_PCI=$(basename "$(dirname "$(readlink -f "/sys/bus/virtio/devices/$vdev")")")
# The peer stays bound, in its own namespace, for the whole sweep.
pvnet_netns "$NS_B" "${ifs[1]}" "$ADDR_B" || echo "# peer namespace setup failed"
trap pvnet_teardown EXIT

# sweep_works: the swept NIC, in the root namespace, pings the peer.
sweep_works() {
	local ifc _
	ifc=$(ls "/sys/bus/virtio/devices/$vdev/net" 2> /dev/null) || return 1
	$IP addr replace "$ADDR_A/24" dev "$ifc" && $IP link set "$ifc" up || return 1
	for _ in $(seq 50); do
		[ "$(cat "/sys/class/net/$ifc/carrier" 2> /dev/null)" = 1 ] && break
		sleep 0.1
	done
	[ "$($PING -q -c 3 -i 0.1 -W 3 "$ADDR_B" 2> /dev/null |
		sed -n 's/.* \([0-9]*\) packets received.*/\1/p')" = 3 ]
}
sweep_undo() {
	[ -e "$drv/$vdev" ] || return 0
	echo "$vdev" > $drv/unbind
}
sweep_gone() {
	[ ! -e "$drv/$vdev" ] && [ ! -e "/sys/bus/virtio/devices/$vdev/net" ] &&
		[ ! -e "/sys/bus/virtio/devices/$vdev/pvlens" ] &&
		[ ! -e "/sys/kernel/debug/pvlens/$vdev" ]
}
sweep_left() {
	find "$drv/$vdev" "/sys/bus/virtio/devices/$vdev/net" \
		"/sys/bus/virtio/devices/$vdev/pvlens" "/sys/kernel/debug/pvlens/$vdev" \
		-maxdepth 0 2> /dev/null | tr '\n' ' '
}

ktap_check "net_bound_before_sweep" sweep_works
faults_bind_sweep net
ktap_exit
