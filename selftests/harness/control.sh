#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The harness itself: the guest reaches its own QEMU over QMP and the host's
# clock through the control port, and sees the devices its configuration asked for.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
ktap_plan 4

status=$(pvlens_qmp '{"execute": "query-status"}')
ktap_check "qmp_query_status_running" grep -q '"status": "running"' <<< "$status"

name=$(pvlens_qmp '{"execute": "query-name"}')
ktap_check "qmp_answers_json" grep -q '"return"' <<< "$name"

host=$(pvlens_host time)
guest=$(date +%s%N)
diff=$(( guest > host ? guest - host : host - guest ))
# The guest's clock was set from the emulated RTC at boot: seconds apart at most.
if [ "$diff" -lt 5000000000 ]; then
	ktap_ok "host_clock_within_5s_of_guest"
else
	echo "# host $host guest $guest"
	ktap_fail "host_clock_within_5s_of_guest"
fi

ninefs=$(awk '$2 == "/" { print $3 }' /proc/mounts)
ktap_eq "root_is_host_over_9p" "$ninefs" "9p"
ktap_exit
