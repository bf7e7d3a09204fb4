#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The pvlens command's clock side.  Under TCG there is no steal area: pvlens
# must show that as missing data, not as a malformed file.  Then against the
# simulated hypervisor (pvlens_clock_sim) with a known 25% steal duty cycle:
# stat, export and top must all say 25%, and agree with the raw files.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
PV=$PVLENS_TOP/tools/pvlens/pvlens
CLK=/sys/kernel/pvlens/clock
SIM_KO=$PVLENS_TOP/drivers/clock/pvlens_clock_sim.ko
DUTY=250000
T=$(mktemp -d)
trap 'rm -rf "$T"; rmmod pvlens_clock_sim 2>/dev/null' EXIT

if [ ! -x "$PV" ] || [ ! -d "$CLK/cpu0" ]; then
	ktap_plan 1
	echo "# need $PV (make all) and $CLK (module pvlens_clock)"
	ktap_fail "tool_clock_setup"
	ktap_exit
fi
ktap_plan 7

# No KVM: steal files fail with ENODATA.
rmmod pvlens_clock_sim 2>/dev/null
"$PV" stat > "$T/out" 2> "$T/err"
rc=$?
if [ $rc = 0 ] && [ ! -s "$T/err" ] && grep -q '^cpu0 *- *- *- *- ' "$T/out"; then
	ktap_ok "no_steal_area_is_missing_data_not_an_error"
else
	echo "# rc $rc"; sed 's/^/# /' "$T/err" "$T/out"
	ktap_fail "no_steal_area_is_missing_data_not_an_error"
fi
ktap_eq "list_names_steal_source" "$("$PV" list | tail -n 1)" \
	"CPUs with clock data: $(for d in "$CLK"/cpu[0-9]*; do echo "${d##*cpu}"; done | sort -n | paste -sd' ') (steal source: $(cat $CLK/source))"

if ! insmod "$SIM_KO" duty_ppm=$DUTY; then
	ktap_fail "sim_loads"
	ktap_exit
fi
ktap_ok "sim_loads"
# The 1 s window needs a second of samples at the constant duty cycle.
sleep 2.5

pct=$("$PV" stat | awk '$1 == "cpu0" { print $3 }')
ktap_eq "stat_steal_1s_is_duty_cycle" "$pct" "25.00%"

before=$(cat $CLK/cpu0/steal_ns)
"$PV" export > "$T/prom"
after=$(cat $CLK/cpu0/steal_ns)
ratio=$(awk '$1 == "pvlens_steal_ratio{cpu=\"0\",window=\"1s\"}" { print $2 }' "$T/prom")
secs=$(awk '$1 == "pvlens_steal_seconds_total{cpu=\"0\"}" { print $2 }' "$T/prom")
if [ "$ratio" = 0.25 ] && awk -v s="$secs" -v b="$before" -v a="$after" \
	'BEGIN { exit !(s * 1e9 >= b - 1 && s * 1e9 <= a + 1) }'; then
	ktap_ok "export_steal_ratio_and_seconds (ratio $ratio, $secs s)"
else
	echo "# ratio '$ratio' seconds '$secs' sysfs $before..$after"
	ktap_fail "export_steal_ratio_and_seconds"
fi

# top computes steal from steal_ns deltas over its own interval.
"$PV" top -d 1 -n 1 > "$T/top"
steal=$(awk '/^steal:/ { for (i = 2; i < NF; i++) if ($i == "cpu0") print $(i + 1) }' "$T/top")
if awk -v s="${steal%\%}" 'BEGIN { exit !(s >= 22.5 && s <= 27.5) }'; then
	ktap_ok "top_steal_from_deltas ($steal)"
else
	sed 's/^/# /' "$T/top"
	ktap_fail "top_steal_from_deltas"
fi

rmmod pvlens_clock_sim
"$PV" stat > /dev/null 2> "$T/err"
ktap_eq "sim_unloaded_no_warning" "$?:$(cat "$T/err")" "0:"
ktap_exit
