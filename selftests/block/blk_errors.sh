#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Errors injected by QEMU's blkdebug (EIO on reads of sector 2048 and on
# writes of sector 4096, see configs/blk-errors.toml) reach exactly the
# affected requests, are counted by class and status on both sides, and the
# next I/O works.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/block/lib_blk.sh"
ktap_plan 12

disk=$(blk_disk_of d0)
dev=/dev/$disk

io() { # dd arguments; prints the exit status
	dd "$@" bs=4k count=1 status=none 2> /tmp/blk_err.out
	echo $?
}

blk_reset "$disk"
fr0=$(blk_qmp_stat d0 failed_rd_operations)
fw0=$(blk_qmp_stat d0 failed_wr_operations)

ktap_eq "blk_read_of_bad_sector_fails" "$(io if="$dev" of=/dev/null skip=256 iflag=direct)" 1
ktap_check "blk_read_error_is_eio" grep -q "Input/output error" /tmp/blk_err.out
ktap_eq "blk_read_next_io_works" "$(io if="$dev" of=/dev/null skip=0 iflag=direct)" 0
ktap_eq "blk_read_errors_counted" "$(blk_sum "$disk" read_errors) $(blk_sum "$disk" err_ioerr)" "1 1"
ktap_eq "blk_read_errors_eq_qemu" "$(($(blk_qmp_stat d0 failed_rd_operations) - fr0))" 1

ktap_eq "blk_write_of_bad_sector_fails" "$(io if=/dev/zero of="$dev" seek=512 oflag=direct)" 1
ktap_check "blk_write_error_is_eio" grep -q "Input/output error" /tmp/blk_err.out
ktap_eq "blk_write_next_io_works" "$(io if=/dev/zero of="$dev" seek=8 oflag=direct)" 0
ktap_eq "blk_write_errors_counted" "$(blk_sum "$disk" write_errors) $(blk_sum "$disk" err_ioerr)" "1 2"
ktap_eq "blk_write_errors_eq_qemu" "$(($(blk_qmp_stat d0 failed_wr_operations) - fw0))" 1

# Only the injected requests failed: everything else completed cleanly.
ktap_eq "blk_no_other_errors" "$(blk_sum "$disk" err_unsupp) $(blk_sum "$disk" err_other) $(blk_sum "$disk" err_short_len)" "0 0 0"
ktap_eq "blk_error_ops_counted_as_ops" "$(blk_sum "$disk" read_ops) $(blk_sum "$disk" write_ops)" "2 2"
ktap_exit
