#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# pvlens_blk's request path under allocation failures (debug kernel only:
# make check-debug).  While a verifying fio writes requests of 4 KiB to 1 MiB
# (segment lists) and a loop discards another region (range lists), a share
# of every non-sleeping allocation in the guest fails: the driver's range
# and segment allocations, and virtio_ring's indirect tables (without one a
# 1 MiB request needs more descriptors than the ring has free).  Each such
# failure must hand the request back (counted in requeues; the ring-full
# requeues that follow a failed indirect table count there too) and lose
# nothing: fio's
# crc32c verify passes, every discard succeeds and reads back as zeros, no
# request fails, the block layer's counts equal pvlens's, and kmemleak finds
# nothing.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/block/lib_blk.sh"
. "$PVLENS_TOP/selftests/faults/lib_faults.sh"
faults_require 8

PERCENT=${BLK_REQUEST_FAULT_PERCENT:-10}
disk=$(blk_disk_of d0)
trap 'faults_atomic_percent 0' EXIT

# counts: block layer reads writes discards, pvlens the same, requeues, errors.
counts() {
	echo "$(blk_stat "$disk" 1) $(blk_stat "$disk" 5) $(blk_stat "$disk" 12)" \
		"$(blk_sum "$disk" read_ops) $(blk_sum "$disk" write_ops)" \
		"$(blk_sum "$disk" discard_ops) $(blk_sum "$disk" requeues)" \
		"$(($(blk_sum "$disk" read_errors) + $(blk_sum "$disk" write_errors) + $(blk_sum "$disk" discard_errors)))"
}
# Something to discard: the region 40-56 MiB written with ones.
tr '\0' '\377' < /dev/zero | dd of="/dev/$disk" bs=1M seek=40 count=16 \
	oflag=direct iflag=fullblock status=none
read -r -a c0 <<< "$(counts)"

faults_atomic_percent "$PERCENT" || echo "# injection not armed"
fio --name=reqf --filename="/dev/$disk" --direct=1 --ioengine=libaio \
	--iodepth=16 --rw=randwrite --bsrange=4k-1m --size=32M --verify=crc32c \
	--do_verify=1 --verify_fatal=1 --randrepeat=0 > /tmp/blk_reqf.out 2>&1 &
fio_pid=$!
discard_failed=0
# 64 discards, each one range allocation: at 10% the chance that none
# fails is 0.1%.
for i in $(seq 0 63); do
	blkdiscard -o $((40 * 1048576 + i * 262144)) -l 262144 "/dev/$disk" ||
		discard_failed=$((discard_failed + 1))
done
blk_fio_wait "$fio_pid" 240 || BLK_FIO_RC=timeout
faults_atomic_percent 0
[ "$BLK_FIO_RC" != 0 ] && tail -5 /tmp/blk_reqf.out | sed 's/^/# /'
ktap_eq "blk_request_faults_fio_verify_passes" "$BLK_FIO_RC" 0
ktap_eq "blk_request_faults_every_discard_succeeds" "$discard_failed" 0
nonzero=$(dd if="/dev/$disk" bs=1M skip=40 count=16 iflag=direct status=none |
	tr -d '\0' | wc -c)
ktap_eq "blk_request_faults_discarded_reads_zeros" "$nonzero" 0

read -r -a c1 <<< "$(counts)"
for i in 0 1 2 3 4 5 6 7; do
	d[i]=$((c1[i] - c0[i]))
done
echo "# ${PERCENT}% $FAULTS_PERCENT_OF failed: block layer reads ${d[0]}" \
	"writes ${d[1]} discards ${d[2]}; pvlens ${d[3]} ${d[4]} ${d[5]}," \
	"requeues ${d[6]}, errors ${d[7]}"
ktap_check "blk_request_faults_requests_handed_back" [ "${d[6]}" -gt 0 ]
ktap_eq "blk_request_faults_no_request_failed" "${d[7]}" 0
[ "${d[0]}" = "${d[3]}" ] && [ "${d[1]}" = "${d[4]}" ] && [ "${d[2]}" = "${d[5]}" ] &&
	[ "${d[2]}" -ge 64 ]
ktap_result "blk_request_faults_counts_equal_block_layer"
ktap_eq "blk_request_faults_inflight_back_to_zero" \
	"$(cat "$(blk_vdev "$disk")"/pvlens/*/inflight | sort -u)" 0
faults_leaks "blk_request_faults_no_leak"
ktap_exit
