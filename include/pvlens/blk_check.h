/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What pvlens_blk makes of the values a virtio-blk device writes: the used
 * length and status byte of a request, the GET_ID answer, and config space.
 *
 * The device is not trusted (fuzz/README.md, "Threat model"), so every
 * function here is total.  Each takes values already in CPU byte order (the
 * driver reads them with the virtio accessors) and only decides: the value
 * to use and whether the device got it wrong.  The driver prints the one
 * message.  Builds in the kernel and as userspace C, for the host unit test
 * (unit/test_blk_check.c) and the fuzzer (fuzz/fuzz_blk_check.c).
 */
#ifndef _PVLENS_BLK_CHECK_H
#define _PVLENS_BLK_CHECK_H

#include <pvlens/types.h>
#include <linux/virtio_blk.h>

/* Longest descriptor chain of one request: the split ring's index range. */
#define PVLENS_BLK_MAX_SG_ELEMS		32768u
/* Data segments of one request: the chain minus header and status. */
#define PVLENS_BLK_MAX_SEGS		(PVLENS_BLK_MAX_SG_ELEMS - 2)
/* Ranges of one discard; their list is one kmalloc() per request. */
#define PVLENS_BLK_MAX_DISCARD_SEGS	256u
/* Physical block exponents above this are not plausible (16 MiB at 512). */
#define PVLENS_BLK_MAX_PHYS_EXP		15
/* Byte offsets are loff_t: sectors beyond this cannot be addressed. */
#define PVLENS_BLK_MAX_CAPACITY		(0x7fffffffffffffffULL >> 9)

/* How a request ended, from its used length and status byte. */
enum pvlens_blk_result {
	PVLENS_BLK_RES_OK,
	PVLENS_BLK_RES_IOERR,		/* VIRTIO_BLK_S_IOERR */
	PVLENS_BLK_RES_UNSUPP,		/* VIRTIO_BLK_S_UNSUPP */
	PVLENS_BLK_RES_OTHER,		/* a status the spec does not define */
	PVLENS_BLK_RES_SHORT_LEN,	/* the status byte was never written */
	PVLENS_BLK_NR_RESULTS
};

/*
 * The status byte is the last byte the device writes, so a used length of 0
 * means it holds whatever was there before.  A longer one need not cover
 * the data too: the spec warns that legacy devices often set it wrong.
 */
static inline enum pvlens_blk_result pvlens_blk_result(u32 used_len,
						       u8 status)
{
	if (used_len < 1)
		return PVLENS_BLK_RES_SHORT_LEN;
	switch (status) {
	case VIRTIO_BLK_S_OK:
		return PVLENS_BLK_RES_OK;
	case VIRTIO_BLK_S_IOERR:
		return PVLENS_BLK_RES_IOERR;
	case VIRTIO_BLK_S_UNSUPP:
		return PVLENS_BLK_RES_UNSUPP;
	default:
		return PVLENS_BLK_RES_OTHER;
	}
}

/*
 * The serial sysfs shows for a GET_ID answer, written to @serial
 * (VIRTIO_BLK_ID_BYTES + 1 bytes; may be @id itself).  The device writes up
 * to VIRTIO_BLK_ID_BYTES bytes into @id, NUL-terminated only when shorter.
 * The in-tree driver shows them up to the first NUL, whatever they are.
 * Here the serial also ends where the device's data ends by its used length
 * (@used_len counts the status byte after the data), except on a legacy
 * device whose used length is not reliable; and a byte that is not printable
 * ASCII (a newline, a control character, part of UTF-8) becomes '?', so the
 * file is one line of text.  Returns the serial's length and counts the
 * replaced bytes in *@replaced.  Reads at most VIRTIO_BLK_ID_BYTES of @id.
 */
static inline u32 pvlens_blk_serial(char *serial, const u8 *id, u32 used_len,
				    bool legacy, u32 *replaced)
{
	u32 n = VIRTIO_BLK_ID_BYTES, i;

	if (!legacy && used_len <= n)
		n = used_len ? used_len - 1 : 0;
	*replaced = 0;
	for (i = 0; i < n && id[i]; i++) {
		u8 c = id[i];

		if (c < 0x20 || c > 0x7e) {
			c = '?';
			(*replaced)++;
		}
		serial[i] = (char)c;
	}
	serial[i] = '\0';
	return i;
}

/* What the driver does with a config value. */
enum pvlens_blk_action {
	PVLENS_BLK_OK,		/* used (within the driver's own limits) */
	PVLENS_BLK_CLAMPED,	/* wrong: the nearest workable value is used */
	PVLENS_BLK_IGNORED,	/* wrong: the driver's default applies */
	PVLENS_BLK_DISABLED,	/* wrong: the feature it belongs to is off */
	PVLENS_BLK_REFUSED,	/* wrong and unsafe to guess: probe fails */
	PVLENS_BLK_NR_ACTIONS
};

/* @why says what is wrong with the value ("is zero"); NULL when OK. */
struct pvlens_blk_verdict {
	enum pvlens_blk_action action;
	const char *why;
};

static inline struct pvlens_blk_verdict
pvlens_blk_verdict(enum pvlens_blk_action action, const char *why)
{
	struct pvlens_blk_verdict v = { .action = action, .why = why };

	return v;
}

#define PVLENS_BLK_VERDICT_OK	pvlens_blk_verdict(PVLENS_BLK_OK, NULL)

/*
 * num_queues (VIRTIO_BLK_F_MQ): at most @limit, what the driver wants (one
 * per CPU or the module parameter).  The in-tree driver refuses a device
 * that offers MQ with zero queues; one queue works.
 */
static inline struct pvlens_blk_verdict
pvlens_blk_num_queues(u16 num_queues, u32 limit, u32 *out)
{
	if (!num_queues) {
		*out = 1;
		return pvlens_blk_verdict(PVLENS_BLK_CLAMPED, "is zero");
	}
	*out = num_queues < limit ? num_queues : limit;
	if (!*out)
		*out = 1;
	return PVLENS_BLK_VERDICT_OK;
}

/*
 * seg_max: a request needs one data segment, and header, data and status
 * must fit one descriptor chain.
 */
static inline struct pvlens_blk_verdict pvlens_blk_seg_max(u32 seg_max,
							   u32 *out)
{
	if (!seg_max) {
		*out = 1;
		return pvlens_blk_verdict(PVLENS_BLK_CLAMPED, "is zero");
	}
	if (seg_max > PVLENS_BLK_MAX_SEGS) {
		*out = PVLENS_BLK_MAX_SEGS;
		return pvlens_blk_verdict(PVLENS_BLK_CLAMPED,
					  "exceeds a descriptor chain");
	}
	*out = seg_max;
	return PVLENS_BLK_VERDICT_OK;
}

/*
 * The size of a virtqueue (the device's maximum).  Without indirect
 * descriptors a request with data takes header, one segment and status from
 * the ring itself; with them, one entry.
 */
static inline struct pvlens_blk_verdict pvlens_blk_ring_size(u32 ring,
							     bool indirect)
{
	if (ring < (indirect ? 1u : 3u))
		return pvlens_blk_verdict(PVLENS_BLK_REFUSED,
					  "is too small for one request");
	return PVLENS_BLK_VERDICT_OK;
}

/*
 * @segs data segments (seg_max, checked) in a ring of @ring entries that
 * pvlens_blk_ring_size() accepted: without indirect descriptors the whole
 * chain must fit the ring.
 */
static inline struct pvlens_blk_verdict
pvlens_blk_ring_segs(u32 segs, u32 ring, bool indirect, u32 *out)
{
	u32 fit = ring >= 3 ? ring - 2 : 1;

	*out = segs;
	if (indirect || segs <= fit)
		return PVLENS_BLK_VERDICT_OK;
	*out = fit;
	return pvlens_blk_verdict(PVLENS_BLK_CLAMPED,
				  "does not fit the virtqueue");
}

/*
 * size_max (VIRTIO_BLK_F_SIZE_MAX) lowers *@max_size, the segment size the
 * DMA layer allows; the block layer cannot go below @page_size.
 */
static inline struct pvlens_blk_verdict
pvlens_blk_size_max(u32 size_max, u32 page_size, u32 *max_size)
{
	if (size_max < page_size)
		return pvlens_blk_verdict(PVLENS_BLK_IGNORED,
					  "is below the page size");
	if (size_max < *max_size)
		*max_size = size_max;
	return PVLENS_BLK_VERDICT_OK;
}

/*
 * blk_size (VIRTIO_BLK_F_BLK_SIZE), the logical block size: what the block
 * layer accepts (blk_validate_block_size()).  Refused otherwise: a guessed
 * block size misaddresses data.
 */
static inline struct pvlens_blk_verdict pvlens_blk_blk_size(u32 blk_size,
							    u32 page_size)
{
	if (!blk_size || (blk_size & (blk_size - 1)))
		return pvlens_blk_verdict(PVLENS_BLK_REFUSED,
					  "is not a power of two");
	if (blk_size < 512)
		return pvlens_blk_verdict(PVLENS_BLK_REFUSED,
					  "is below 512");
	if (blk_size > page_size)
		return pvlens_blk_verdict(PVLENS_BLK_REFUSED,
					  "is above the page size");
	return PVLENS_BLK_VERDICT_OK;
}

/* physical_block_exp (TOPOLOGY): *@phys, in bytes, blk_size when ignored. */
static inline struct pvlens_blk_verdict
pvlens_blk_phys_exp(u8 exp, u32 blk_size, u32 *phys)
{
	*phys = blk_size;
	if (exp > PVLENS_BLK_MAX_PHYS_EXP)
		return pvlens_blk_verdict(PVLENS_BLK_IGNORED, "is above 15");
	if ((u64)blk_size << exp > U32_MAX)
		return pvlens_blk_verdict(PVLENS_BLK_IGNORED,
					  "overflows in bytes");
	*phys = blk_size << exp;
	return PVLENS_BLK_VERDICT_OK;
}

/*
 * alignment_offset (TOPOLOGY), in logical blocks: the first aligned one
 * lies inside the first physical block.  The block layer would silently
 * take a larger offset modulo the physical block size.
 */
static inline struct pvlens_blk_verdict
pvlens_blk_align_offset(u8 align, u32 blk_size, u32 phys, u32 *bytes)
{
	u64 b = (u64)align * blk_size;

	*bytes = 0;
	if (b >= phys && align)
		return pvlens_blk_verdict(PVLENS_BLK_IGNORED,
					  "is beyond the physical block");
	*bytes = (u32)b;
	return PVLENS_BLK_VERDICT_OK;
}

/*
 * min_io_size and opt_io_size (TOPOLOGY), in logical blocks: *@bytes, or 0
 * (no hint) when it does not fit the block layer's 32 bits.
 */
static inline struct pvlens_blk_verdict
pvlens_blk_io_size(u32 blocks, u32 blk_size, u32 *bytes)
{
	u64 b = (u64)blocks * blk_size;

	*bytes = 0;
	if (b > U32_MAX)
		return pvlens_blk_verdict(PVLENS_BLK_IGNORED,
					  "overflows in bytes");
	*bytes = (u32)b;
	return PVLENS_BLK_VERDICT_OK;
}

/*
 * max_discard_sectors and max_write_zeroes_sectors: 0 means no limit, as the
 * in-tree driver reads it.
 */
static inline u32 pvlens_blk_max_sectors(u32 sectors)
{
	return sectors ? sectors : U32_MAX;
}

/*
 * discard_sector_alignment and secure_erase_sector_alignment, in sectors:
 * *@out, or 0 (the logical block) when the granularity in bytes would not
 * fit the block layer's 32 bits.
 */
static inline struct pvlens_blk_verdict
pvlens_blk_discard_align(u32 sectors, u32 *out)
{
	*out = 0;
	if (sectors > U32_MAX >> 9)
		return pvlens_blk_verdict(PVLENS_BLK_IGNORED,
					  "overflows in bytes");
	*out = sectors;
	return PVLENS_BLK_VERDICT_OK;
}

/*
 * max_discard_seg and max_secure_erase_seg: ranges per request, 1 to
 * PVLENS_BLK_MAX_DISCARD_SEGS; zero means none would fit, so @dflt (seg_max)
 * is used.
 */
static inline struct pvlens_blk_verdict
pvlens_blk_discard_segs(u32 segs, u32 dflt, u32 *out)
{
	struct pvlens_blk_verdict v = PVLENS_BLK_VERDICT_OK;

	if (!segs) {
		segs = dflt ? dflt : 1;
		v = pvlens_blk_verdict(PVLENS_BLK_CLAMPED, "is zero");
	}
	*out = segs < PVLENS_BLK_MAX_DISCARD_SEGS ?
	       segs : PVLENS_BLK_MAX_DISCARD_SEGS;
	return v;
}

/*
 * secure_erase_sector_alignment, max_secure_erase_sectors and
 * max_secure_erase_seg: the spec requires each; secure erase is unusable
 * without them.
 */
static inline struct pvlens_blk_verdict pvlens_blk_erase_limit(u32 v)
{
	if (!v)
		return pvlens_blk_verdict(PVLENS_BLK_DISABLED, "is zero");
	return PVLENS_BLK_VERDICT_OK;
}

/*
 * capacity, in 512-byte sectors: what loff_t byte offsets can address,
 * whole logical blocks of @blk_size when cut.
 */
static inline struct pvlens_blk_verdict
pvlens_blk_capacity(u64 sectors, u32 blk_size, u64 *out)
{
	u64 max = PVLENS_BLK_MAX_CAPACITY, per_block = blk_size >> 9;

	*out = sectors;
	if (sectors <= max)
		return PVLENS_BLK_VERDICT_OK;
	if (per_block > 1)
		max -= max % per_block;
	*out = max;
	return pvlens_blk_verdict(PVLENS_BLK_CLAMPED,
				  "exceeds what loff_t addresses");
}

#endif /* _PVLENS_BLK_CHECK_H */
