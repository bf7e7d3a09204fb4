#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Life cycle while idle: rmmod is refused while the disk is open; unbind/bind
# and rmmod/insmod loops bring the disk back working each time, with
# nothing left behind (the host greps dmesg for warnings and leaks).
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/block/lib_blk.sh"
ktap_plan 5

disk=$(blk_disk_of d0)
vdev=$(basename "$(blk_vdev "$disk")")
drv=/sys/bus/virtio/drivers/pvlens_blk
ko=$(find "$PVLENS_TOP/drivers/block" -name pvlens_blk.ko | head -n 1)
loops=${BLK_BIND_LOOPS:-5}

readable() {
	local d
	d=$(blk_disk_of d0)
	[ -n "$d" ] && dd if="/dev/$d" of=/dev/null bs=64k count=4 iflag=direct status=none
}

exec 3< "/dev/$disk"
rmmod pvlens_blk 2> /dev/null
rc=$?
exec 3<&-
ktap_check "blk_rmmod_refused_while_open" [ $rc -ne 0 ]
ktap_check "blk_still_bound_after_refused_rmmod" [ -e "$drv/$vdev" ]

ok=1
for i in $(seq "$loops"); do
	if ! { echo "$vdev" > "$drv/unbind" && blk_wait_disk absent; }; then
		ok=0; echo "# unbind $i"; break
	fi
	if ! { echo "$vdev" > "$drv/bind" && blk_wait_disk present && readable; }; then
		ok=0; echo "# bind $i"; break
	fi
done
ktap_check "blk_unbind_bind_loop" [ $ok = 1 ]

ok=1
for i in $(seq "$loops"); do
	if ! { rmmod pvlens_blk && blk_wait_disk absent; }; then
		ok=0; echo "# rmmod $i"; break
	fi
	if ! { insmod "$ko" && blk_wait_disk present && readable; }; then
		ok=0; echo "# insmod $i"; break
	fi
done
ktap_check "blk_rmmod_insmod_loop" [ $ok = 1 ]
ktap_check "blk_pvlens_dir_back_after_loops" [ -e "$(blk_vdev "$(blk_disk_of d0)")/pvlens/req.0/read_ops" ]
ktap_exit
