#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Data written through pvlens_blk reads back intact: fio verify=crc32c
# (random and sequential, each at libaio QD1 and QD32, 4k-1M, several jobs
# at QD32), then an ext4 file system created, filled, checked clean by
# e2fsck after unmount.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/block/lib_blk.sh"
ktap_plan 6

disk=$(blk_disk_of d0)
size=${BLK_FIO_SIZE:-16M}
common=(--filename="/dev/$disk" --direct=1 --verify=crc32c --do_verify=1
	--verify_fatal=1 --size="$size" --randrepeat=0 --output-format=terse)

# Each job gets its own region: offset_increment keeps them apart.
run_fio() {
	local name=$1
	shift
	if fio --name="$name" "${common[@]}" "$@" > "/tmp/$name.out" 2>&1; then
		ktap_ok "$name"
	else
		tail -5 "/tmp/$name.out" | sed 's/^/# /'
		ktap_fail "$name"
	fi
}

run_fio blk_verify_random_4k_1m_qd32_2jobs --ioengine=libaio --iodepth=32 \
	--rw=randwrite --bsrange=4k-1m --numjobs=2 --offset_increment="$size"
run_fio blk_verify_seq_4k_1m_qd1 --ioengine=libaio --iodepth=1 \
	--rw=write --bsrange=4k-1m
run_fio blk_verify_random_4k_1m_qd1 --ioengine=libaio --iodepth=1 \
	--rw=randwrite --bsrange=4k-1m --size=4M
run_fio blk_verify_seq_1m_qd32_2jobs --ioengine=libaio --iodepth=32 \
	--rw=write --bs=1m --numjobs=2 --offset_increment="$size"

mnt=/tmp/blk_mnt
mkdir -p "$mnt"
if mkfs.ext4 -q -F "/dev/$disk" && mount "/dev/$disk" "$mnt"; then
	for i in 1 2 3 4; do
		head -c 3M /dev/urandom > "$mnt/f$i"
	done
	cp -r "$PVLENS_TOP/drivers" "$mnt/tree" 2>/dev/null
	(cd "$mnt" && sha256sum f1 f2 f3 f4 > /tmp/blk_sums)
	umount "$mnt"
	e2fsck -fn "/dev/$disk" > /tmp/blk_fsck.out 2>&1
	fsck_rc=$?
	[ "$fsck_rc" = 0 ] || tail -5 /tmp/blk_fsck.out | sed 's/^/# /'
	ktap_eq "blk_ext4_fsck_clean_after_fill" "$fsck_rc" 0
	echo 3 > /proc/sys/vm/drop_caches
	mount -o ro "/dev/$disk" "$mnt" &&
		(cd "$mnt" && sha256sum -c --quiet /tmp/blk_sums)
	ktap_eq "blk_ext4_files_intact_after_remount" "$?" 0
	umount "$mnt"
else
	ktap_fail "blk_ext4_fsck_clean_after_fill"
	ktap_fail "blk_ext4_files_intact_after_remount"
fi
ktap_exit
