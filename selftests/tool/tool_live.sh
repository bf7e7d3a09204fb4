#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The pvlens command against the live core test device (pvlens_core_test):
# known operations are injected, then every subcommand's numbers are checked
# against what was injected and against the raw sysfs/debugfs files.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
PV=$PVLENS_TOP/tools/pvlens/pvlens
PROMCHK=$PVLENS_TOP/selftests/tool/prom_check
DEV=/sys/devices/pvlens_test/pvlens
DBG=/sys/kernel/debug/pvlens/pvlens_test
INJ=/sys/kernel/debug/pvlens_test/inject
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

if [ ! -x "$PV" ] || [ ! -x "$PROMCHK" ] || [ ! -d "$DEV" ] || [ ! -e "$INJ" ]; then
	ktap_plan 1
	echo "# need $PV, $PROMCHK (make all), $DEV and $INJ (pvlens_core_test)"
	ktap_fail "tool_setup"
	ktap_exit
fi
ktap_plan 20

# ns -> the text pv_fmt_ns() prints.
fmt_ns() {
	awk -v v="$1" 'BEGIN {
		if (v < 1000) printf "%dns\n", v
		else if (v < 1000000) printf "%.1fus\n", v / 1e3
		else if (v < 1000000000) printf "%.1fms\n", v / 1e6
		else printf "%.2fs\n", v / 1e9 }'
}

# What was done, independent of pvlens: 5 reads (one failed), 2 writes,
# 2 kicks carrying 4 and 1 requests, 4 interrupts (1 spurious), ...
echo 1 > "$DEV/reset"
printf '%s\n' \
	"op 0 read 500 4096 0" "op 0 read 1500 4096 0" "op 0 read 3000 4096 1" \
	"op 0 read 100000 4096 0" "op 0 read 1000000 4096 0" \
	"op 0 write 20000 8192 0" "op 0 write 20000 8192 0" \
	"kick 0 2000 4" "kick 0 3000 1" "suppressed 0" \
	"irq 0 0" "irq 0 0" "irq 0 0" "irq 0 1" "requeue 0" "inflight 0 +3" \
	"count 0 err_test 7" "op 1 read 5000 512 0" > "$INJ"

# list
line=$("$PV" list | awk '$1 == "pvlens_test" { print $2, $3, $4, $5 }')
ktap_eq "list_shows_test_device" "$line" "pvlens_test - read,write q0,q1"

# stat --json: every sysfs file of q0, value for value.
json=$("$PV" stat pvlens_test/q0 --json)
bad=0 n=0
for f in "$DEV"/q0/*; do
	name=${f##*/}
	case $name in
	read_* | write_*) key=".classes.${name%%_*}.${name#*_}" ;;
	*) key=".stats.$name" ;;
	esac
	got=$(jq -r ".devices[0].queues[0]$key" <<< "$json")
	raw=$(cat "$f")
	n=$((n + 1))
	[ "$got" = "$raw" ] || { echo "# $name: pvlens $got, sysfs $raw"; bad=$((bad + 1)); }
done
ktap_eq "stat_json_equals_every_sysfs_file ($n files)" "$bad" "0"

want="5 20480 1 5 1105000 500 1000000 2 16384 2 5 1 4 1 1 3 7 2 5000"
got=$(jq -r '.devices[0].queues[0] | [.classes.read.ops, .classes.read.bytes,
	.classes.read.errors, .classes.read.latency_count,
	.classes.read.latency_sum_ns, .classes.read.latency_min_ns,
	.classes.read.latency_max_ns, .classes.write.ops, .classes.write.bytes,
	.stats.kicks, .stats.kicked_ops, .stats.kicks_suppressed,
	.stats.interrupts, .stats.spurious_interrupts, .stats.requeues,
	.stats.inflight, .stats.err_test, .stats.kick_cost_count,
	.stats.kick_cost_sum_ns] | map(tostring) | join(" ")' <<< "$json")
ktap_eq "stat_json_equals_injected" "$got" "$want"

# stat table: the q0 row, percentiles formatted from the raw files.
# Columns joined by single spaces.
row=$("$PV" stat pvlens_test | awk '$1 == "pvlens_test/q0" { $1 = $1; print }')
want="pvlens_test/q0 2 1 4 3 read 5 20.0KiB 1 $(fmt_ns "$(cat "$DEV/q0/read_latency_p50_ns")")"
want="$want $(fmt_ns "$(cat "$DEV/q0/read_latency_p99_ns")") 1.0ms"
ktap_eq "stat_table_row" "$row" "$want"

# hist: one bar per non-empty debugfs bucket, same counts.
"$PV" hist pvlens_test/q0 read > "$T/hist"
bars=$(awk -F'|' '/^\[/ { split($1, a, " "); n = a[length(a)]; if (n > 0) print n }' "$T/hist" | paste -sd' ')
raw=$(awk '$1 == "read" && $4 > 0 { print $4 }' "$DBG/q0/histogram" | paste -sd' ')
if [ "$bars" = "$raw" ] && [ "$raw" = "1 1 1 1 1" ] &&
   grep -q '^\[64K, 128K) *1 |' "$T/hist" && grep -q '^\[512K, 1M) *1 |' "$T/hist" &&
   head -n1 "$T/hist" | grep -q 'count 5 '; then
	ktap_ok "hist_bars_match_debugfs"
else
	echo "# bars '$bars' debugfs '$raw'"; sed 's/^/# /' "$T/hist"
	ktap_fail "hist_bars_match_debugfs"
fi
"$PV" hist pvlens_test/q0 kick_batch > "$T/batch"
if grep -q '^\[1\] *1 |' "$T/batch" && grep -q '^\[4, 8) *1 |' "$T/batch" &&
   [ "$(grep -c '^\[' "$T/batch")" = 3 ]; then
	ktap_ok "hist_kick_batch"
else
	sed 's/^/# /' "$T/batch"
	ktap_fail "hist_kick_batch"
fi

# export: strict format, promtool when installed, values.
"$PV" export > "$T/prom"
if "$PROMCHK" < "$T/prom"; then ktap_ok "export_strict_format"; else ktap_fail "export_strict_format"; fi
if command -v promtool > /dev/null; then
	if promtool check metrics < "$T/prom"; then ktap_ok "export_promtool"; else ktap_fail "export_promtool"; fi
else
	ktap_skip "export_promtool" "promtool not installed (Debian package prometheus)"
fi
L='device="pvlens_test",queue="q0"'
want="5 5 0.001105 2 2 7"
got=$(awk -v r="{$L,class=\"read\"}" -v q="{$L}" '
	$1 == "pvlens_ops_total" r { a = $2 }
	$1 == "pvlens_latency_seconds_count" r { b = $2 }
	$1 == "pvlens_latency_seconds_sum" r { c = $2 }
	$1 == "pvlens_latency_seconds_bucket{" substr(r, 2, length(r) - 2) ",le=\"0.000002047\"}" { d = $2 }
	$1 == "pvlens_kick_batch_bucket{" substr(q, 2, length(q) - 2) ",le=\"7\"}" { e = $2 }
	$1 == "pvlens_driver_err_test_total" q { f = $2 }
	END { print a, b, c, d, e, f }' "$T/prom")
ktap_eq "export_values_equal_injected" "$got" "$want"
# Every finite read bucket: cumulative debugfs counts, le in exact seconds.
awk -v L="$L" '$1 == "read" && $3 != "inf" {
	cum += $4; s = sprintf("%d.%09d", int($3 / 1e9), $3 % 1e9)
	sub(/0+$/, "", s); sub(/\.$/, "", s)
	printf "pvlens_latency_seconds_bucket{%s,class=\"read\",le=\"%s\"} %d\n", L, s, cum }' \
	"$DBG/q0/histogram" > "$T/want"
grep "^pvlens_latency_seconds_bucket{$L,class=\"read\",le=\"[0-9]" "$T/prom" > "$T/got"
if [ -s "$T/want" ] && diff "$T/want" "$T/got" > "$T/diff"; then
	ktap_ok "export_buckets_equal_debugfs ($(wc -l < "$T/want") buckets)"
else
	sed 's/^/# /' "$T/diff"
	ktap_fail "export_buckets_equal_debugfs"
fi

# top, plain: 50 writes of 10 us on q1 during one 2 s interval.
"$PV" top -d 2 -n 1 > "$T/top" &
top_pid=$!
sleep 0.7
yes "op 1 write 10000 4096 0" | head -n 50 > "$INJ"
wait $top_pid
first=$(awk 'h { print; exit } $1 == "QUEUE" { h = 1 }' "$T/top")
read -r qname ops _ <<< "$first"
if [ "$qname" = pvlens_test/q1 ]; then
	ktap_ok "top_busiest_queue_first"
else
	sed 's/^/# /' "$T/top"
	ktap_fail "top_busiest_queue_first"
fi
# 50 ops over the interval top measured and printed (2 s plus scheduling,
# more on a slow debug kernel): 50 / interval per second, give or take the
# rounding of both; the interval mean is exact: every op took 10 us.
avg=$(awk '$1 == "pvlens_test/q1" { print $(NF - 1) }' "$T/top")
ivl=$(sed -n 's/.*interval \([0-9.]*\)s.*/\1/p' "$T/top" | head -n 1)
rate_ok=$(awk -v o="${ops:-0}" -v i="${ivl:-0}" \
	'BEGIN { print (i >= 2 && o >= 50 / (i + 0.05) - 1 && o <= 50 / (i - 0.05) + 1) }')
if [ "$rate_ok" = 1 ] && [ "$avg" = 10.0us ]; then
	ktap_ok "top_rate_and_mean_from_deltas (ops/s $ops over ${ivl}s, avg $avg)"
else
	sed 's/^/# /' "$T/top"
	ktap_fail "top_rate_and_mean_from_deltas"
fi

# top on a terminal: in place, quits on q, restores the cursor.
(sleep 1.5; printf q) | timeout 15 script -qefc "$PV top -d 0.3" /dev/null > "$T/tty"
rc=$?
if [ $rc = 0 ] && grep -q $'\033\[H\033\[J' "$T/tty" && grep -q $'\033\[?25h' "$T/tty"; then
	ktap_ok "top_tty_quits_on_q"
else
	echo "# rc $rc"; cat -v "$T/tty" | tail -n 5 | sed 's/^/# /'
	ktap_fail "top_tty_quits_on_q"
fi
timeout --preserve-status -s INT 2 "$PV" top -d 0.2 > /dev/null
ktap_eq "top_exits_0_on_sigint" "$?" "0"

# Errors: one line, non-zero exit.
"$PV" stat nosuchdev > /dev/null 2> "$T/err"
ktap_eq "error_unknown_device" "$?:$(cat "$T/err")" \
	"1:pvlens: unknown device 'nosuchdev' (pvlens list shows the devices)"
mkdir -p "$T/empty"
PVLENS_SYSFS_ROOT=$T/empty "$PV" list > /dev/null 2> "$T/err"
rc=$?
ktap_check "error_modules_not_loaded" grep -q "^pvlens: modules not loaded" "$T/err"
[ $rc = 1 ] || echo "# exit $rc"

# As nobody: sysfs is world-readable, debugfs is not.
ops=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$PV" stat pvlens_test/q0 --json |
	jq -r '.devices[0].queues[0].classes.read.ops')
ktap_eq "nonroot_stat_works" "$ops" "5"
setpriv --reuid=65534 --regid=65534 --clear-groups "$PV" hist pvlens_test/q0 > /dev/null 2> "$T/err"
rc=$?
if [ $rc = 1 ] && grep -q 'permission denied' "$T/err" && [ "$(wc -l < "$T/err")" = 1 ]; then
	ktap_ok "nonroot_hist_permission_denied"
else
	echo "# rc $rc: $(cat "$T/err")"
	ktap_fail "nonroot_hist_permission_denied"
fi

# Without debugfs: the histogram falls back to the sysfs percentiles, and says so.
if umount /sys/kernel/debug; then
	"$PV" hist pvlens_test/q0 read > "$T/out" 2> "$T/err"
	rc=$?
	mount -t debugfs debugfs /sys/kernel/debug
	if [ $rc = 0 ] && grep -q 'debugfs not mounted' "$T/err" &&
	   grep -q 'count 5 .* p99 1.0ms' "$T/out" && ! grep -q '|' "$T/out"; then
		ktap_ok "hist_without_debugfs_uses_sysfs"
	else
		echo "# rc $rc"; sed 's/^/# /' "$T/err" "$T/out"
		ktap_fail "hist_without_debugfs_uses_sysfs"
	fi
else
	ktap_skip "hist_without_debugfs_uses_sysfs" "cannot unmount debugfs"
fi

echo 1 > "$DEV/reset"
ktap_eq "stat_after_reset" "$("$PV" stat pvlens_test/q0 --json | jq -r '.devices[0].queues[0].classes.read.ops')" "0"
echo "inflight 0 -3" > "$INJ"
ktap_exit
