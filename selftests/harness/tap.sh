#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The tap-netns backend: the guest reaches the host side of its tap (inside
# the namespace the harness made) and the host's counters see the packets.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
ktap_plan 3

read -r _ id host_addr guest_addr <<< "$(tr ' ' '\n' <<< "$PVLENS_DEVICES" | grep '^tap:' | head -n 1 | tr ':' ' ')"
ifc=
for d in /sys/class/net/*; do
	[ -e "$d/device" ] && ifc=$(basename "$d") && break
done
ip addr add "$guest_addr/24" dev "$ifc"
ip link set "$ifc" up

tap_rx() {
	pvlens_host tap-stats "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'
}
before=$(tap_rx)
ktap_check "ping_host_side_of_tap" ping -c 20 -i 0.05 -W 2 -q "$host_addr"
after=$(tap_rx)
if [ $((after - before)) -ge 20 ]; then
	ktap_ok "host_tap_counted_the_pings"
else
	echo "# tap rx packets $before -> $after"
	ktap_fail "host_tap_counted_the_pings"
fi
out=$(pvlens_host tap-exec "$id" ping -c 3 -i 0.1 -W 2 "$guest_addr")
ktap_check "host_side_pings_guest" grep -q '"rc": 0' <<< "$out"
ktap_exit
