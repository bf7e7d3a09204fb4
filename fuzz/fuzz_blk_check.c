// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for pvlens_blk's checks of device-written values
 * (include/pvlens/blk_check.h).  The input is what a hostile device
 * controls: a used length, a status byte, the 20-byte GET_ID answer and
 * every config space field; each check is held to its contract (fuzz/README.md).
 *
 * Input, little endian, missing bytes read as 0:
 *   0 u32 used length     4 u8 status      5 u8 flags (bit 0 legacy device,
 *   bit 1 indirect descriptors, bits 2-3 page size 4k/16k/64k/4k)
 *   6 id[20]             26 u16 num_queues 28 u32 queue limit
 *  32 u32 seg_max        36 u32 ring size  40 u32 size_max
 *  44 u32 DMA size limit 48 u32 blk_size   52 u8 physical_block_exp
 *  53 u8 alignment_offset 54 u16 min_io_size 56 u32 opt_io_size
 *  60 u32 discard alignment 64 u32 max sectors 68 u32 max discard segments
 *  72 u32 default segments  76 u64 capacity
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pvlens/blk_check.h>
#include "fuzz_reader.h"

#define ID	VIRTIO_BLK_ID_BYTES

struct in {
	u32 used_len;
	u8 status, flags;
	u8 id[ID];
	u16 num_queues;
	u32 limit, seg_max, ring, size_max, max_dma, blk_size;
	u8 exp, align;
	u16 min_io;
	u32 opt_io, d_align, max_sectors, d_segs, dflt;
	u64 capacity;
};

/* A complaint says why; OK does not. */
static void check_verdict(struct pvlens_blk_verdict v)
{
	bool ok = v.action == PVLENS_BLK_OK;

	if (v.action >= PVLENS_BLK_NR_ACTIONS || ok == !!v.why)
		abort();
}

static int printable(u8 c)
{
	return c >= 0x20 && c <= 0x7e;
}

static void check_result(u32 len, u8 status)
{
	enum pvlens_blk_result r = pvlens_blk_result(len, status), want;

	if (!len)
		want = PVLENS_BLK_RES_SHORT_LEN;
	else if (status == 0)
		want = PVLENS_BLK_RES_OK;
	else if (status == 1)
		want = PVLENS_BLK_RES_IOERR;
	else if (status == 2)
		want = PVLENS_BLK_RES_UNSUPP;
	else
		want = PVLENS_BLK_RES_OTHER;
	if (r >= PVLENS_BLK_NR_RESULTS || r != want)
		abort();
}

/*
 * @id is a heap buffer of exactly ID bytes and @out one of ID + 1 with a
 * canary after it, so ASan sees any read or write beyond them.
 */
static void check_serial(const u8 *id20, u32 used_len, bool legacy)
{
	u8 *id = malloc(ID);
	char *out = malloc(ID + 2), *inplace = malloc(ID + 1);
	u32 n, n2, rep, rep2, lim, i, bad = 0;

	if (!id || !out || !inplace)
		abort();
	memcpy(id, id20, ID);
	memset(out, 0x5a, ID + 2);
	n = pvlens_blk_serial(out, id, used_len, legacy, &rep);
	if (n > ID || out[n] || strlen(out) != n || out[ID + 1] != 0x5a)
		abort();
	/* Reference: the data the used length covers, up to the first NUL. */
	lim = legacy ? ID : used_len ? used_len - 1 : 0;
	if (lim > ID)
		lim = ID;
	for (i = 0; i < lim && id[i]; i++) {
		if (!printable((u8)out[i]))
			abort();
		if (printable(id[i]) ? out[i] != (char)id[i] : out[i] != '?')
			abort();
		bad += !printable(id[i]);
	}
	if (n != i || rep != bad)
		abort();

	/* The driver's way: in place, in the buffer the device wrote. */
	memcpy(inplace, id20, ID);
	inplace[ID] = 0x5a;
	n2 = pvlens_blk_serial(inplace, (u8 *)inplace, used_len, legacy, &rep2);
	if (n2 != n || rep2 != rep || strcmp(inplace, out))
		abort();
	free(inplace);
	free(out);
	free(id);
}

static void check_queues(const struct in *in, bool indirect)
{
	struct pvlens_blk_verdict v;
	u32 out, lim = in->limit ? in->limit : 1, seg;
	bool small;

	v = pvlens_blk_num_queues(in->num_queues, in->limit, &out);
	check_verdict(v);
	if (out < 1 || out > lim)
		abort();
	if (v.action != (in->num_queues ? PVLENS_BLK_OK : PVLENS_BLK_CLAMPED))
		abort();
	if (in->num_queues && out != (in->num_queues < lim ?
				      in->num_queues : lim))
		abort();

	v = pvlens_blk_seg_max(in->seg_max, &seg);
	check_verdict(v);
	if (seg < 1 || seg > PVLENS_BLK_MAX_SEGS)
		abort();
	if (v.action != (seg == in->seg_max ? PVLENS_BLK_OK : PVLENS_BLK_CLAMPED))
		abort();

	v = pvlens_blk_ring_size(in->ring, indirect);
	check_verdict(v);
	small = in->ring < (indirect ? 1u : 3u);
	if (v.action != (small ? PVLENS_BLK_REFUSED : PVLENS_BLK_OK))
		abort();

	/* Totality with an unchecked count; the contract with a checked one. */
	pvlens_blk_ring_segs(in->seg_max, in->ring, indirect, &out);
	v = pvlens_blk_ring_segs(seg, in->ring, indirect, &out);
	check_verdict(v);
	if (out < 1 || out > seg)
		abort();
	if (!indirect && in->ring >= 3 && (u64)out + 2 > in->ring)
		abort();
	if (v.action != (out == seg ? PVLENS_BLK_OK : PVLENS_BLK_CLAMPED))
		abort();
}

static void check_size_max(const struct in *in, u32 page)
{
	struct pvlens_blk_verdict v;
	u32 max = in->max_dma;

	v = pvlens_blk_size_max(in->size_max, page, &max);
	check_verdict(v);
	if (in->size_max < page) {
		if (v.action != PVLENS_BLK_IGNORED || max != in->max_dma)
			abort();
	} else if (v.action != PVLENS_BLK_OK ||
		   max != (in->size_max < in->max_dma ? in->size_max :
			   in->max_dma)) {
		abort();
	}
}

/* Topology and capacity for a block size the driver accepted. */
static void check_topology(const struct in *in, u32 bs)
{
	struct pvlens_blk_verdict v;
	u32 phys, bytes, i;
	u64 cap, per = bs / 512;
	u32 blocks[2] = { in->min_io, in->opt_io };

	v = pvlens_blk_phys_exp(in->exp, bs, &phys);
	check_verdict(v);
	if (in->exp <= PVLENS_BLK_MAX_PHYS_EXP) {
		if (v.action != PVLENS_BLK_OK || phys != bs << in->exp)
			abort();
	} else if (v.action != PVLENS_BLK_IGNORED || phys != bs) {
		abort();
	}
	if (phys < bs || phys & (phys - 1))
		abort();

	v = pvlens_blk_align_offset(in->align, bs, phys, &bytes);
	check_verdict(v);
	if (bytes >= phys || bytes % bs)
		abort();
	if (v.action == PVLENS_BLK_OK ? bytes != (u64)in->align * bs :
	    v.action != PVLENS_BLK_IGNORED || bytes)
		abort();

	for (i = 0; i < 2; i++) {
		u64 want = (u64)blocks[i] * bs;

		v = pvlens_blk_io_size(blocks[i], bs, &bytes);
		check_verdict(v);
		if (want > U32_MAX ? v.action != PVLENS_BLK_IGNORED || bytes :
		    v.action != PVLENS_BLK_OK || bytes != want)
			abort();
	}

	v = pvlens_blk_capacity(in->capacity, bs, &cap);
	check_verdict(v);
	/* Bytes must fit loff_t: cap * 512 <= 2^63 - 1. */
	if (cap > in->capacity || cap > (0x7fffffffffffffffULL >> 9))
		abort();
	if (v.action == PVLENS_BLK_OK) {
		if (cap != in->capacity)
			abort();
	} else if (v.action != PVLENS_BLK_CLAMPED || cap % per ||
		   cap + per <= (0x7fffffffffffffffULL >> 9)) {
		abort();
	}
}

static void check_discard(const struct in *in)
{
	struct pvlens_blk_verdict v;
	u32 out;

	out = pvlens_blk_max_sectors(in->max_sectors);
	if (!out || (in->max_sectors && out != in->max_sectors))
		abort();

	v = pvlens_blk_discard_align(in->d_align, &out);
	check_verdict(v);
	if ((u64)out << 9 > U32_MAX)
		abort();
	if (v.action == PVLENS_BLK_OK ? out != in->d_align :
	    v.action != PVLENS_BLK_IGNORED || out ||
	    (u64)in->d_align << 9 <= U32_MAX)
		abort();

	v = pvlens_blk_discard_segs(in->d_segs, in->dflt, &out);
	check_verdict(v);
	if (out < 1 || out > PVLENS_BLK_MAX_DISCARD_SEGS)
		abort();
	if (v.action != (in->d_segs ? PVLENS_BLK_OK : PVLENS_BLK_CLAMPED))
		abort();

	v = pvlens_blk_erase_limit(in->d_segs);
	check_verdict(v);
	if (v.action != (in->d_segs ? PVLENS_BLK_OK : PVLENS_BLK_DISABLED))
		abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const u32 pages[4] = { 4096, 16384, 65536, 4096 };
	struct reader r = { data, size };
	struct in in;
	struct pvlens_blk_verdict v;
	bool legacy, indirect, valid;
	u32 page, phys, bytes, bs, i;
	u64 cap;

	in.used_len = (u32)take(&r, 4);
	in.status = (u8)take(&r, 1);
	in.flags = (u8)take(&r, 1);
	for (i = 0; i < ID; i++)
		in.id[i] = (u8)take(&r, 1);
	in.num_queues = (u16)take(&r, 2);
	in.limit = (u32)take(&r, 4);
	in.seg_max = (u32)take(&r, 4);
	in.ring = (u32)take(&r, 4);
	in.size_max = (u32)take(&r, 4);
	in.max_dma = (u32)take(&r, 4);
	in.blk_size = (u32)take(&r, 4);
	in.exp = (u8)take(&r, 1);
	in.align = (u8)take(&r, 1);
	in.min_io = (u16)take(&r, 2);
	in.opt_io = (u32)take(&r, 4);
	in.d_align = (u32)take(&r, 4);
	in.max_sectors = (u32)take(&r, 4);
	in.d_segs = (u32)take(&r, 4);
	in.dflt = (u32)take(&r, 4);
	in.capacity = take(&r, 8);
	legacy = in.flags & 1;
	indirect = in.flags & 2;
	page = pages[(in.flags >> 2) & 3];

	check_result(in.used_len, in.status);
	check_serial(in.id, in.used_len, legacy);
	check_queues(&in, indirect);
	check_size_max(&in, page);

	v = pvlens_blk_blk_size(in.blk_size, page);
	check_verdict(v);
	valid = in.blk_size >= 512 && in.blk_size <= page &&
		!(in.blk_size & (in.blk_size - 1));
	if (v.action != (valid ? PVLENS_BLK_OK : PVLENS_BLK_REFUSED))
		abort();
	/* A refused size never reaches these; a valid one of this page does. */
	bs = valid ? in.blk_size : 512U << (in.blk_size % 4);
	check_topology(&in, bs);
	/* Any block size: defined results only (UBSan watches). */
	check_verdict(pvlens_blk_phys_exp(in.exp, in.blk_size, &phys));
	check_verdict(pvlens_blk_align_offset(in.align, in.blk_size, phys,
					      &bytes));
	check_verdict(pvlens_blk_io_size(in.opt_io, in.blk_size, &bytes));
	check_verdict(pvlens_blk_capacity(in.capacity, in.blk_size, &cap));
	if (cap > (0x7fffffffffffffffULL >> 9))
		abort();
	check_discard(&in);
	return 0;
}
