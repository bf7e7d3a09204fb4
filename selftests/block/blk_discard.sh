#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Discard and write-zeroes read back as zeros, leave their neighbours alone,
# and are counted by class on both sides, each in its latency histogram too.
# A write-zeroes that may unmap (fallocate's punch hole) reaches QEMU with
# VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP, so the host file gives its blocks
# back; one that must not (blkdiscard -z: BLKZEROOUT, REQ_NOUNMAP) keeps them.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/block/lib_blk.sh"
ktap_plan 13

disk=$(blk_disk_of d0)
dev=/dev/$disk
mib=$((1024 * 1024))

# 8 MiB of 0xaa.
head -c $((8 * mib)) /dev/zero | tr '\0' '\252' > /tmp/blk_aa
dd if=/tmp/blk_aa of="$dev" bs=1M oflag=direct status=none

# The guest has no /dev/fd, so no process substitution: compare via files.
head -c $((2 * mib)) /dev/zero > /tmp/blk_zero2
head -c $((2 * mib)) /tmp/blk_aa > /tmp/blk_aa2
same() { # OFFSET_MIB LEN_MIB REFERENCE
	dd if="$dev" of=/tmp/blk_rd bs=1M skip="$1" count="$2" iflag=direct status=none &&
		cmp -s -n $(($2 * mib)) /tmp/blk_rd "$3"
}
is_zero() { same "$1" "$2" /tmp/blk_zero2; }
is_aa() { same "$1" "$2" /tmp/blk_aa2; }

# QEMU 7.2's virtio-blk does not account discards (unmap_operations stays 0);
# its file driver counts the discards it performed.
file_discards() {
	pvlens_qmp '{"execute": "query-blockstats"}' |
		jq -r '.return[] | select(.qdev == "/machine/peripheral/d0/virtio-backend") | .parent["driver-specific"]["discard-nb-ok"]'
}

# Bytes the image takes on the host's disk (QEMU's fstat of it).
host_bytes() {
	pvlens_qmp '{"execute": "query-block"}' |
		jq -r '.return[] | select(.qdev == "/machine/peripheral/d0/virtio-backend") | .inserted.image["actual-size"]'
}

# The histograms below count from here: every request since was timed.
blk_reset "$disk"
d0=$(blk_sum "$disk" discard_ops)
u0=$(file_discards)
z0=$(blk_sum "$disk" write_zeroes_ops)
if [ "$(cat "/sys/block/$disk/queue/discard_max_bytes")" = 0 ]; then
	ktap_skip "blk_discard_reads_back_zeros" "device has no discard"
	ktap_skip "blk_discard_counted_eq_qemu_file_discards" "device has no discard"
else
	blkdiscard -o $((1 * mib)) -l $((2 * mib)) "$dev"
	ktap_check "blk_discard_reads_back_zeros" is_zero 1 2
	ktap_eq "blk_discard_counted_eq_qemu_file_discards" \
		"$(($(blk_sum "$disk" discard_ops) - d0))" "$(($(file_discards) - u0))"
fi
ktap_check "blk_discard_neighbours_intact" is_aa 0 1

h0=$(host_bytes)
blkdiscard -z -o $((4 * mib)) -l $((2 * mib)) "$dev"
h1=$(host_bytes)
ktap_check "blk_write_zeroes_reads_back_zeros" is_zero 4 2
ktap_check "blk_write_zeroes_neighbours_intact" is_aa 6 2
fallocate -p -o $((6 * mib)) -l $((2 * mib)) "$dev"
h2=$(host_bytes)
ktap_check "blk_write_zeroes_unmap_reads_back_zeros" is_zero 6 2
echo "# host file: $h0 bytes, $h1 after write-zeroes without unmap, $h2 after punching 2 MiB"
ktap_check "blk_write_zeroes_nounmap_keeps_host_blocks" [ "$((h0 - h1))" -lt "$mib" ]
ktap_check "blk_write_zeroes_unmap_frees_host_blocks" [ "$((h1 - h2))" -ge "$mib" ]
ktap_check "blk_write_zeroes_counted" [ "$(($(blk_sum "$disk" write_zeroes_ops) - z0))" -ge 1 ]
ktap_eq "blk_write_zeroes_no_errors" "$(blk_sum "$disk" write_zeroes_errors)" 0
ktap_eq "blk_discard_no_errors" "$(blk_sum "$disk" discard_errors)" 0
ktap_eq "blk_discard_histogram_count_eq_ops" "$(blk_hist_total "$disk" discard)" "$(blk_sum "$disk" discard_ops)"
ktap_eq "blk_write_zeroes_histogram_count_eq_ops" "$(blk_hist_total "$disk" write_zeroes)" "$(blk_sum "$disk" write_zeroes_ops)"
ktap_exit
