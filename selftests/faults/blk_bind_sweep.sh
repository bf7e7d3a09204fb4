#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bind the virtio-blk device to pvlens_blk with the Nth allocation of the
# bind failed, for every N: each step ends either bound with a disk that
# reads (block layer and pvlens count the same reads), or refused with an
# errno and nothing left (no driver link, disk, pvlens sysfs or debugfs
# directory), and a plain bind works after every refusal.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/block/lib_blk.sh"
. "$PVLENS_TOP/selftests/faults/lib_faults.sh"
faults_require 8

drv=/sys/bus/virtio/drivers/pvlens_blk
disk=$(blk_disk_of d0)
if [ -z "$disk" ]; then
	ktap_fail "blk_bound_before_sweep"
	echo "# no disk driven by pvlens_blk"
	for t in unbound sweep_reached_last_allocation every_step_clean \
		every_bind_works_every_refusal_recovers some_steps_refused \
		binds_after_sweep no_leak_after_sweep; do
		ktap_fail "blk_$t"
	done
	ktap_exit
fi
ktap_ok "blk_bound_before_sweep"
vdev=$(basename "$(blk_vdev "$disk")")

# works: bound, and a direct read of 64 KiB is one more read for the block
# layer and one more for pvlens (each counts requests on its own).
works() {
	local d before_blk before_pv
	[ -e "$drv/$vdev" ] && blk_wait_disk present || return 1
	d=$(blk_disks | head -n 1)
	before_blk=$(blk_stat "$d" 1)
	before_pv=$(blk_sum "$d" read_ops)
	dd if="/dev/$d" of=/dev/null bs=64k count=1 skip=7 iflag=direct status=none || return 1
	[ $(($(blk_stat "$d" 1) - before_blk)) = 1 ] &&
		[ $(($(blk_sum "$d" read_ops) - before_pv)) = 1 ]
}

# gone: nothing of the driver left on the device.
gone() {
	[ ! -e "$drv/$vdev" ] && [ -z "$(blk_disks)" ] &&
		[ ! -e "/sys/bus/virtio/devices/$vdev/pvlens" ] &&
		[ ! -e "/sys/kernel/debug/pvlens/$vdev" ]
}

unbind() {
	echo "$vdev" > $drv/unbind && blk_wait_disk absent
}

unbind
ktap_check "blk_unbound" gone

bound=0 refused=0 bad=0 broken=0 done=0 n=0
declare -A errs
for n in $(seq 1 "$FAULTS_STRIDE" "$FAULTS_MAX_STEPS"); do
	if ! faults_step "$n" write $drv/bind "$vdev"; then
		echo "# step $n: fail_nth did not run"
		bad=$((bad + 1))
		break
	fi
	if [ "$step_rc" = 0 ]; then
		bound=$((bound + 1))
		works || { echo "# step $n: bound but not working"; broken=$((broken + 1)); }
		unbind || { echo "# step $n: unbind failed"; bad=$((bad + 1)); break; }
		gone || { echo "# step $n: left behind after unbind"; bad=$((bad + 1)); }
	else
		refused=$((refused + 1))
		errs[$step_rc]=$((${errs[$step_rc]:-0} + 1))
		if ! gone; then
			echo "# step $n: refused ($step_rc) but left behind:" \
				"$(find "$drv/$vdev" "/sys/bus/virtio/devices/$vdev/pvlens" \
					"/sys/kernel/debug/pvlens/$vdev" -maxdepth 0 2> /dev/null |
					tr '\n' ' ') $(blk_disks | tr '\n' ' ')"
			bad=$((bad + 1))
			[ -e "$drv/$vdev" ] && unbind
		fi
		# A refusal must not poison the next attempt.
		if ! echo "$vdev" > $drv/bind || ! works || ! unbind || ! gone; then
			echo "# step $n: plain bind after the refusal failed"
			broken=$((broken + 1))
			[ -e "$drv/$vdev" ] && unbind
		fi
	fi
	if [ "$step_injected" = 0 ]; then
		done=1
		break
	fi
	faults_progress "$n" "$bound bound, $refused refused"
done
summary=""
for e in "${!errs[@]}"; do
	summary+=" $(faults_errno_name "$e")x${errs[$e]}"
done
echo "# $n steps: $bound bound and working, $refused refused (${summary# })," \
	"$bad unclean, $broken broken"
ktap_check "blk_sweep_reached_last_allocation" [ $done = 1 ]
ktap_eq "blk_every_step_clean" "$bad" 0
ktap_eq "blk_every_bind_works_every_refusal_recovers" "$broken" 0
ktap_check "blk_some_steps_refused" [ "$refused" -gt 0 ]
if echo "$vdev" > $drv/bind && works; then
	ktap_ok "blk_binds_after_sweep"
else
	ktap_fail "blk_binds_after_sweep"
fi
faults_leaks "blk_no_leak_after_sweep"
ktap_exit
