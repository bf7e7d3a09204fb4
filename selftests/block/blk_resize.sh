#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# QMP block_resize reaches the guest through config-changed: the new size is
# visible in /sys/block and the new end of the disk can be written and read.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/block/lib_blk.sh"
ktap_plan 3

disk=$(blk_disk_of d0)
old=$(cat "/sys/block/$disk/size")
new=$((old * 512 + 64 * 1024 * 1024))
pvlens_qmp "{\"execute\": \"block_resize\", \"arguments\": {\"id\": \"d0\", \"size\": $new}}" > /tmp/resize.out
grep -q '"return"' /tmp/resize.out ||
	pvlens_qmp "{\"execute\": \"block_resize\", \"arguments\": {\"device\": \"d0-drive\", \"size\": $new}}" > /tmp/resize.out
for _ in $(seq 50); do
	[ "$(cat "/sys/block/$disk/size")" != "$old" ] && break
	sleep 0.1
done
ktap_eq "blk_resize_size_visible" "$(($(cat "/sys/block/$disk/size") * 512))" "$new"
ktap_eq "blk_resize_blockdev_getsize64" "$(blockdev --getsize64 "/dev/$disk")" "$new"
# The last 1 MiB only exists after the resize.
fio --name=tail --filename="/dev/$disk" --direct=1 --rw=write --bs=64k \
	--offset=$((new - 1024 * 1024)) --size=1M --verify=crc32c --do_verify=1 \
	--verify_fatal=1 > /dev/null 2>&1
ktap_eq "blk_resize_new_end_writable_verified" "$?" 0
ktap_exit
