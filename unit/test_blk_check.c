// SPDX-License-Identifier: GPL-2.0
/*
 * pvlens_blk's checks of device-written values (include/pvlens/blk_check.h):
 * the request outcome from used length and status byte, the GET_ID serial,
 * and every config space field, each with sane and named malformed inputs.
 */
#include "unit.h"
#include <pvlens/blk_check.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Two lines per case: the action (99 when @why is missing on a complaint or
 * present on OK) and the value the driver would use.
 */
static void expect(struct pvlens_blk_verdict v, u64 got,
		   enum pvlens_blk_action action, u64 want, const char *name)
{
	unsigned long long a = v.action;
	bool ok = v.action == PVLENS_BLK_OK;
	char n[160];

	if (ok == !!v.why)
		a = 99;
	snprintf(n, sizeof(n), "%s_action", name);
	UNIT_EQ_U64(a, action, n);
	snprintf(n, sizeof(n), "%s_value", name);
	UNIT_EQ_U64(got, want, n);
}

static void test_result(void)
{
	static const struct {
		u32 len;
		u8 status;
		enum pvlens_blk_result want;
		const char *name;
	} c[] = {
		{ 1, VIRTIO_BLK_S_OK, PVLENS_BLK_RES_OK, "result_ok" },
		{ 4097, VIRTIO_BLK_S_OK, PVLENS_BLK_RES_OK, "result_ok_with_data" },
		{ U32_MAX, VIRTIO_BLK_S_OK, PVLENS_BLK_RES_OK,
		  "result_ok_absurd_len" },
		{ 1, VIRTIO_BLK_S_IOERR, PVLENS_BLK_RES_IOERR, "result_ioerr" },
		{ 1, 2, PVLENS_BLK_RES_UNSUPP, "result_status_2_unsupp" },
		{ 1, 3, PVLENS_BLK_RES_OTHER, "result_status_3_other" },
		{ 21, 255, PVLENS_BLK_RES_OTHER, "result_status_255_other" },
		{ 0, VIRTIO_BLK_S_OK, PVLENS_BLK_RES_SHORT_LEN,
		  "result_used_len_0_status_ok_is_short" },
		{ 0, 255, PVLENS_BLK_RES_SHORT_LEN,
		  "result_used_len_0_status_255_is_short" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(c); i++)
		UNIT_EQ_U64(pvlens_blk_result(c[i].len, c[i].status),
			    c[i].want, c[i].name);
}

/*
 * The serial of a GET_ID answer, from a heap buffer of exactly
 * VIRTIO_BLK_ID_BYTES (ASan catches a read past it) and, in place, from
 * the sysfs buffer as the driver does it.
 */
static void serial_case(const char *id20, u32 used_len, bool legacy,
			const char *want, u32 want_replaced, const char *name)
{
	u8 *id = malloc(VIRTIO_BLK_ID_BYTES);
	char *out = malloc(VIRTIO_BLK_ID_BYTES + 1);
	char *inplace = calloc(1, VIRTIO_BLK_ID_BYTES + 1);
	u32 n, n2, rep, rep2;
	char nm[160];

	if (!id || !out || !inplace)
		abort();
	memcpy(id, id20, VIRTIO_BLK_ID_BYTES);
	memcpy(inplace, id20, VIRTIO_BLK_ID_BYTES);
	n = pvlens_blk_serial(out, id, used_len, legacy, &rep);
	n2 = pvlens_blk_serial(inplace, (u8 *)inplace, used_len, legacy,
			       &rep2);
	UNIT_STR_EQ(out, want, name);
	snprintf(nm, sizeof(nm), "%s_length", name);
	UNIT_EQ_U64(n, strlen(want), nm);
	snprintf(nm, sizeof(nm), "%s_replaced", name);
	UNIT_EQ_U64(rep, want_replaced, nm);
	snprintf(nm, sizeof(nm), "%s_in_place_same", name);
	UNIT_TRUE(n2 == n && rep2 == rep && !strcmp(inplace, out), nm);
	free(inplace);
	free(out);
	free(id);
}

static void test_serial(void)
{
	/* 20 bytes each; a shorter literal is NUL-padded by the array. */
	static const char named[20] = "pvlens-1q";
	static const char full[20] = "ABCDEFGHIJKLMNOPQRST";
	static const char garbage[20] = "ab\ncd\x01\xff\x7f ~";
	static const char mid_nul[20] = { 'a', 'b', 0, 'c', 'd' };
	char high[20];

	memset(high, 0xff, sizeof(high));
	serial_case(named, 21, false, "pvlens-1q", 0, "serial_named");
	serial_case(full, 21, false, "ABCDEFGHIJKLMNOPQRST", 0,
		    "serial_20_bytes_no_nul");
	serial_case(full, U32_MAX, false, "ABCDEFGHIJKLMNOPQRST", 0,
		    "serial_absurd_used_len");
	serial_case(full, 11, false, "ABCDEFGHIJ", 0,
		    "serial_short_used_len_cuts");
	serial_case(full, 1, false, "", 0, "serial_used_len_status_only");
	serial_case(full, 0, false, "", 0, "serial_used_len_0");
	serial_case(full, 1, true, "ABCDEFGHIJKLMNOPQRST", 0,
		    "serial_legacy_ignores_used_len");
	serial_case(garbage, 21, false, "ab?cd??? ~", 4, "serial_garbage");
	serial_case(mid_nul, 21, false, "ab", 0, "serial_stops_at_nul");
	serial_case(high, 21, false, "????????????????????", 20,
		    "serial_all_0xff");
}

static void test_num_queues(void)
{
	struct pvlens_blk_verdict v;
	u32 out;

	v = pvlens_blk_num_queues(0, 4, &out);
	expect(v, out, PVLENS_BLK_CLAMPED, 1, "num_queues_zero");
	v = pvlens_blk_num_queues(2, 4, &out);
	expect(v, out, PVLENS_BLK_OK, 2, "num_queues_2_of_4_cpus");
	v = pvlens_blk_num_queues(4, 2, &out);
	expect(v, out, PVLENS_BLK_OK, 2, "num_queues_above_cpus");
	v = pvlens_blk_num_queues(65535, 64, &out);
	expect(v, out, PVLENS_BLK_OK, 64, "num_queues_absurd");
	v = pvlens_blk_num_queues(3, 0, &out);
	expect(v, out, PVLENS_BLK_OK, 1, "num_queues_limit_zero");
}

static void test_segments(void)
{
	struct pvlens_blk_verdict v;
	u32 out;

	v = pvlens_blk_seg_max(0, &out);
	expect(v, out, PVLENS_BLK_CLAMPED, 1, "seg_max_zero");
	v = pvlens_blk_seg_max(126, &out);
	expect(v, out, PVLENS_BLK_OK, 126, "seg_max_126");
	v = pvlens_blk_seg_max(32766, &out);
	expect(v, out, PVLENS_BLK_OK, 32766, "seg_max_largest");
	v = pvlens_blk_seg_max(32767, &out);
	expect(v, out, PVLENS_BLK_CLAMPED, 32766, "seg_max_one_too_many");
	v = pvlens_blk_seg_max(U32_MAX, &out);
	expect(v, out, PVLENS_BLK_CLAMPED, 32766, "seg_max_absurd");

	v = pvlens_blk_ring_size(0, true);
	expect(v, 0, PVLENS_BLK_REFUSED, 0, "ring_0_indirect");
	v = pvlens_blk_ring_size(1, true);
	expect(v, 0, PVLENS_BLK_OK, 0, "ring_1_indirect");
	v = pvlens_blk_ring_size(2, false);
	expect(v, 0, PVLENS_BLK_REFUSED, 0, "ring_2_direct");
	v = pvlens_blk_ring_size(3, false);
	expect(v, 0, PVLENS_BLK_OK, 0, "ring_3_direct");

	v = pvlens_blk_ring_segs(14, 16, false, &out);
	expect(v, out, PVLENS_BLK_OK, 14, "ring_segs_fit");
	v = pvlens_blk_ring_segs(126, 16, false, &out);
	expect(v, out, PVLENS_BLK_CLAMPED, 14, "ring_segs_too_many");
	v = pvlens_blk_ring_segs(126, 16, true, &out);
	expect(v, out, PVLENS_BLK_OK, 126, "ring_segs_indirect");
	v = pvlens_blk_ring_segs(2, 3, false, &out);
	expect(v, out, PVLENS_BLK_CLAMPED, 1, "ring_segs_smallest_ring");
	v = pvlens_blk_ring_segs(32766, 2, false, &out);
	expect(v, out, PVLENS_BLK_CLAMPED, 1, "ring_segs_refused_ring");

	out = U32_MAX;
	v = pvlens_blk_size_max(4096, 4096, &out);
	expect(v, out, PVLENS_BLK_OK, 4096, "size_max_page");
	out = 8192;
	v = pvlens_blk_size_max(65536, 4096, &out);
	expect(v, out, PVLENS_BLK_OK, 8192, "size_max_above_dma_limit");
	out = U32_MAX;
	v = pvlens_blk_size_max(512, 4096, &out);
	expect(v, out, PVLENS_BLK_IGNORED, U32_MAX, "size_max_below_page");
	v = pvlens_blk_size_max(0, 4096, &out);
	expect(v, out, PVLENS_BLK_IGNORED, U32_MAX, "size_max_zero");
}

static void test_blk_size(void)
{
	static const struct {
		u32 size, page;
		enum pvlens_blk_action want;
		const char *name;
	} c[] = {
		{ 512, 4096, PVLENS_BLK_OK, "blk_size_512" },
		{ 4096, 4096, PVLENS_BLK_OK, "blk_size_4096" },
		{ 65536, 65536, PVLENS_BLK_OK, "blk_size_64k_pages" },
		{ 0, 4096, PVLENS_BLK_REFUSED, "blk_size_zero" },
		{ 256, 4096, PVLENS_BLK_REFUSED, "blk_size_below_512" },
		{ 511, 4096, PVLENS_BLK_REFUSED, "blk_size_511" },
		{ 513, 4096, PVLENS_BLK_REFUSED, "blk_size_513" },
		{ 1000, 4096, PVLENS_BLK_REFUSED, "blk_size_not_power_of_two" },
		{ 8192, 4096, PVLENS_BLK_REFUSED, "blk_size_above_page" },
		{ 0x80000000u, 4096, PVLENS_BLK_REFUSED, "blk_size_2g" },
		{ U32_MAX, 4096, PVLENS_BLK_REFUSED, "blk_size_absurd" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(c); i++)
		expect(pvlens_blk_blk_size(c[i].size, c[i].page), 0,
		       c[i].want, 0, c[i].name);
}

static void test_topology(void)
{
	struct pvlens_blk_verdict v;
	u32 out;

	v = pvlens_blk_phys_exp(0, 512, &out);
	expect(v, out, PVLENS_BLK_OK, 512, "phys_exp_0");
	v = pvlens_blk_phys_exp(3, 512, &out);
	expect(v, out, PVLENS_BLK_OK, 4096, "phys_exp_3");
	v = pvlens_blk_phys_exp(15, 65536, &out);
	expect(v, out, PVLENS_BLK_OK, 1U << 31, "phys_exp_largest");
	v = pvlens_blk_phys_exp(16, 512, &out);
	expect(v, out, PVLENS_BLK_IGNORED, 512, "phys_exp_16");
	v = pvlens_blk_phys_exp(255, 4096, &out);
	expect(v, out, PVLENS_BLK_IGNORED, 4096, "phys_exp_255");
	v = pvlens_blk_phys_exp(15, 1U << 20, &out);
	expect(v, out, PVLENS_BLK_IGNORED, 1U << 20, "phys_exp_overflow");

	v = pvlens_blk_align_offset(0, 512, 512, &out);
	expect(v, out, PVLENS_BLK_OK, 0, "align_0");
	v = pvlens_blk_align_offset(7, 512, 4096, &out);
	expect(v, out, PVLENS_BLK_OK, 3584, "align_7_of_8");
	v = pvlens_blk_align_offset(8, 512, 4096, &out);
	expect(v, out, PVLENS_BLK_IGNORED, 0, "align_whole_physical_block");
	v = pvlens_blk_align_offset(1, 4096, 4096, &out);
	expect(v, out, PVLENS_BLK_IGNORED, 0, "align_without_physical_exp");
	v = pvlens_blk_align_offset(255, 65536, 1U << 31, &out);
	expect(v, out, PVLENS_BLK_OK, 255U * 65536, "align_largest");

	v = pvlens_blk_io_size(0, 512, &out);
	expect(v, out, PVLENS_BLK_OK, 0, "io_size_zero_no_hint");
	v = pvlens_blk_io_size(8, 512, &out);
	expect(v, out, PVLENS_BLK_OK, 4096, "io_size_8_blocks");
	v = pvlens_blk_io_size(65535, 65536, &out);
	expect(v, out, PVLENS_BLK_OK, 65535ULL * 65536, "min_io_largest");
	v = pvlens_blk_io_size(0x7fffff, 512, &out);
	expect(v, out, PVLENS_BLK_OK, 0xfffffe00ULL, "io_size_fits");
	v = pvlens_blk_io_size(0x800000, 512, &out);
	expect(v, out, PVLENS_BLK_IGNORED, 0, "io_size_overflow_by_one");
	v = pvlens_blk_io_size(U32_MAX, 4096, &out);
	expect(v, out, PVLENS_BLK_IGNORED, 0, "io_size_absurd");
}

static void test_discard(void)
{
	struct pvlens_blk_verdict v;
	u32 out;

	UNIT_EQ_U64(pvlens_blk_max_sectors(0), U32_MAX,
		    "max_sectors_zero_is_unlimited");
	UNIT_EQ_U64(pvlens_blk_max_sectors(1), 1, "max_sectors_1");

	v = pvlens_blk_discard_align(0, &out);
	expect(v, out, PVLENS_BLK_OK, 0, "discard_align_zero");
	v = pvlens_blk_discard_align(8, &out);
	expect(v, out, PVLENS_BLK_OK, 8, "discard_align_8");
	v = pvlens_blk_discard_align(U32_MAX >> 9, &out);
	expect(v, out, PVLENS_BLK_OK, U32_MAX >> 9, "discard_align_largest");
	v = pvlens_blk_discard_align((U32_MAX >> 9) + 1, &out);
	expect(v, out, PVLENS_BLK_IGNORED, 0, "discard_align_overflow");
	v = pvlens_blk_discard_align(U32_MAX, &out);
	expect(v, out, PVLENS_BLK_IGNORED, 0, "discard_align_absurd");

	v = pvlens_blk_discard_segs(0, 126, &out);
	expect(v, out, PVLENS_BLK_CLAMPED, 126, "discard_segs_zero");
	v = pvlens_blk_discard_segs(0, 32766, &out);
	expect(v, out, PVLENS_BLK_CLAMPED, 256, "discard_segs_zero_large_seg_max");
	v = pvlens_blk_discard_segs(0, 0, &out);
	expect(v, out, PVLENS_BLK_CLAMPED, 1, "discard_segs_zero_no_default");
	v = pvlens_blk_discard_segs(1, 126, &out);
	expect(v, out, PVLENS_BLK_OK, 1, "discard_segs_1");
	v = pvlens_blk_discard_segs(256, 126, &out);
	expect(v, out, PVLENS_BLK_OK, 256, "discard_segs_256");
	v = pvlens_blk_discard_segs(257, 126, &out);
	expect(v, out, PVLENS_BLK_OK, 256, "discard_segs_257");
	v = pvlens_blk_discard_segs(U32_MAX, 126, &out);
	expect(v, out, PVLENS_BLK_OK, 256, "discard_segs_absurd");

	expect(pvlens_blk_erase_limit(0), 0, PVLENS_BLK_DISABLED, 0,
	       "erase_limit_zero");
	expect(pvlens_blk_erase_limit(1), 0, PVLENS_BLK_OK, 0,
	       "erase_limit_1");
}

static void test_capacity(void)
{
	const u64 max = 0x7fffffffffffffffULL >> 9;
	struct pvlens_blk_verdict v;
	u64 out;

	v = pvlens_blk_capacity(0, 512, &out);
	expect(v, out, PVLENS_BLK_OK, 0, "capacity_zero");
	v = pvlens_blk_capacity(524288, 512, &out);
	expect(v, out, PVLENS_BLK_OK, 524288, "capacity_256m");
	v = pvlens_blk_capacity(max, 512, &out);
	expect(v, out, PVLENS_BLK_OK, max, "capacity_largest");
	v = pvlens_blk_capacity(max + 1, 512, &out);
	expect(v, out, PVLENS_BLK_CLAMPED, max, "capacity_overflow_by_one");
	v = pvlens_blk_capacity(~0ULL, 512, &out);
	expect(v, out, PVLENS_BLK_CLAMPED, max, "capacity_absurd");
	v = pvlens_blk_capacity(~0ULL, 4096, &out);
	expect(v, out, PVLENS_BLK_CLAMPED, max - 7,
	       "capacity_absurd_whole_4k_blocks");
	UNIT_TRUE(out * 512 / 512 == out && out * 512 <= 0x7fffffffffffffffULL,
		  "capacity_clamped_bytes_fit_loff_t");
}

int main(void)
{
	test_result();
	test_serial();
	test_num_queues();
	test_segments();
	test_blk_size();
	test_topology();
	test_discard();
	test_capacity();
	return unit_done("blk_check");
}
