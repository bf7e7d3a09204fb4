#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo, inside the guest: a short mixed workload on pvlens devices, the
# counters it produced, and the "double vision" of a VM measured: CPU time the
# guest believes it used against what the host charged QEMU, and the guest's
# wall clock against the host's.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
PV=$PVLENS_TOP/tools/pvlens/pvlens
SECS=${DEMO_SECS:-8}
ktap_plan 6

say() { printf '\n=== %s ===\n' "$*"; }

blk=$(basename "$(readlink /sys/block/vda/device/driver 2>/dev/null)")
ktap_eq "vda is driven by pvlens_blk" "$blk" "pvlens_blk"
nics=()
for d in /sys/class/net/*; do
	[ "$(basename "$(readlink "$d/device/driver" 2>/dev/null)")" = pvlens_net ] &&
		nics+=("$(basename "$d")")
done
ktap_eq "two NICs driven by pvlens_net" "${#nics[@]}" "2"

# The NIC pair is joined by a QEMU socket link: one end in a private netns,
# addresses that exist only inside this guest.
if [ "${#nics[@]}" = 2 ]; then
	ip netns add peer
	ip link set "${nics[1]}" netns peer
	ip addr add 10.77.0.1/24 dev "${nics[0]}" && ip link set "${nics[0]}" up
	ip -n peer addr add 10.77.0.2/24 dev "${nics[1]}"
	ip -n peer link set "${nics[1]}" up
	ip -n peer link set lo up
	ip netns exec peer iperf3 -s -D -1 >/dev/null
	sleep 1
fi

cpu_busy_ns() { # all CPUs, everything but idle and iowait, from /proc/stat
	awk '/^cpu / { printf "%.0f\n", ($2 + $3 + $4 + $7 + $8 + $9) * 10000000 }' /proc/stat
}
guest_busy0=$(cpu_busy_ns)
host_cpu0=$(pvlens_host qemu-cputime)
host_wall0=$(pvlens_host time)
guest_wall0=$(date +%s%N)
guest_mono0=$(cut -d' ' -f1 /proc/uptime)

say "workload: fio 4k random read/write on /dev/vda for ${SECS}s, iperf3 for ${SECS}s"
fio --name=demo --filename=/dev/vda --direct=1 --rw=randrw --bs=4k --iodepth=16 \
	--ioengine=libaio --time_based --runtime="$SECS" --size=128M \
	--output-format=json > /tmp/fio.json 2>/dev/null &
fio_pid=$!
# What an SRE would look at while it runs: one pvlens top screen.
(sleep 4; "$PV" top -d 3 -n 1 > /tmp/top.txt 2>&1) &
top_pid=$!
if [ "${#nics[@]}" = 2 ]; then
	iperf3 -c 10.77.0.2 -t "$SECS" -J > /tmp/iperf.json 2>/dev/null
	iperf_rc=$?
fi
wait $fio_pid
fio_rc=$?
wait $top_pid

guest_busy1=$(cpu_busy_ns)
host_cpu1=$(pvlens_host qemu-cputime)
host_wall1=$(pvlens_host time)
guest_wall1=$(date +%s%N)

fio_ios=$(python3 -c 'import json; j=json.load(open("/tmp/fio.json"))["jobs"][0]
print(j["read"]["total_ios"] + j["write"]["total_ios"])' 2>/dev/null)
[ "$fio_rc" = 0 ] && [ "${fio_ios:-0}" -gt 0 ] && ktap_ok "fio completed $fio_ios I/Os" ||
	ktap_fail "fio completed (rc $fio_rc)"
if [ "${#nics[@]}" = 2 ]; then
	mbit=$(python3 -c 'import json; j=json.load(open("/tmp/iperf.json"))
print(round(j["end"]["sum_received"]["bits_per_second"] / 1e6))' 2>/dev/null)
	[ "$iperf_rc" = 0 ] && [ "${mbit:-0}" -gt 0 ] && ktap_ok "iperf3 moved $mbit Mbit/s" ||
		ktap_fail "iperf3 completed (rc $iperf_rc)"
else
	ktap_skip "iperf3" "no pvlens_net pair"
fi

say "pvlens top (one 3-second interval during the workload)"
cat /tmp/top.txt
say "pvlens stat"
"$PV" stat
say "pvlens hist vda/req.0 read"
"$PV" hist vda/req.0 read
say "pvlens stat --json is valid JSON"
"$PV" stat --json | python3 -m json.tool > /dev/null && ktap_ok "pvlens stat --json parses" ||
	ktap_fail "pvlens stat --json parses"

say "double vision: the workload interval seen from inside and outside"
python3 - "$guest_busy0" "$guest_busy1" "$host_cpu0" "$host_cpu1" "$host_wall0" \
	"$host_wall1" "$guest_wall0" "$guest_wall1" "$(nproc)" <<'PY'
import sys
gb0, gb1, hc0, hc1, hw0, hw1, gw0, gw1, ncpu = map(int, sys.argv[1:])
gb, hc, hw, gw = (gb1 - gb0) / 1e9, (hc1 - hc0) / 1e9, (hw1 - hw0) / 1e9, (gw1 - gw0) / 1e9
print(f"  guest believes it used   {gb:8.2f} s of CPU   (/proc/stat, {ncpu} vCPUs)")
print(f"  host charged QEMU        {hc:8.2f} s of CPU   (/proc/<qemu pid>/stat on the host)")
print(f"  ratio host/guest         {hc / gb if gb else float('nan'):8.2f}")
print(f"  guest wall clock moved   {gw:8.3f} s")
print(f"  host wall clock moved    {hw:8.3f} s   (guest - host: {(gw - hw) * 1e3:+.1f} ms, "
      f"{(gw - hw) / hw * 1e6 if hw else 0:+.0f} ppm)")
PY
ktap_check "host charged QEMU CPU time" test "$host_cpu1" -gt "$host_cpu0"
ktap_exit
