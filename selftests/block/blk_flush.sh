#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Flushes reach the device and are counted the same on both sides; the
# writable cache_type switches QEMU's write cache and with it the flushes.
. "$PVLENS_TOP/selftests/lib/pvlens.sh"
. "$PVLENS_TOP/selftests/block/lib_blk.sh"
ktap_plan 9

disk=$(blk_disk_of d0)
ct=/sys/block/$disk/cache_type
n=20

qemu_writeback() {
	pvlens_qmp '{"execute": "query-block"}' |
		jq -r '.return[] | select(.qdev == "/machine/peripheral/d0/virtio-backend") | .inserted.cache.writeback'
}

# n O_DIRECT|O_DSYNC writes.  Each is a FUA write, which the block layer turns
# into write + flush (virtio-blk has no FUA), and then the O_DSYNC fsync issues
# one more flush: 2n flushes with a write-back cache, none with write-through.
flush_run() {
	local f0 q0
	f0=$(blk_sum "$disk" flush_ops)
	q0=$(blk_qmp_stat d0 flush_operations)
	dd if=/dev/zero of="/dev/$disk" bs=4k count="$n" oflag=direct,dsync status=none
	echo "$(($(blk_sum "$disk" flush_ops) - f0)) $(($(blk_qmp_stat d0 flush_operations) - q0))"
}

ktap_eq "blk_cache_type_default_write_back" "$(cat "$ct")" "write back"
ktap_eq "blk_qemu_cache_writeback_on" "$(qemu_writeback)" "true"
read -r ours theirs <<< "$(flush_run)"
ktap_eq "blk_flush_count_write_back" "$ours" "$((2 * n))"
ktap_eq "blk_flush_count_eq_qemu_write_back" "$theirs" "$ours"

echo "write through" > "$ct"
ktap_eq "blk_cache_type_switched_write_through" "$(cat "$ct") $(cat "/sys/block/$disk/queue/write_cache")" "write through write through"
ktap_eq "blk_qemu_cache_writeback_off" "$(qemu_writeback)" "false"
read -r ours theirs <<< "$(flush_run)"
ktap_eq "blk_no_flush_reaches_device_write_through" "$ours $theirs" "0 0"

echo "write back" > "$ct"
ktap_eq "blk_cache_type_switched_back" "$(cat "$ct") $(qemu_writeback)" "write back true"
if echo "bogus" > "$ct" 2> /dev/null; then
	ktap_fail "blk_cache_type_rejects_garbage"
else
	ktap_ok "blk_cache_type_rejects_garbage"
fi
ktap_exit
