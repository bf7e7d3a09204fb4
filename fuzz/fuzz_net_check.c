// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for pvlens_net's checks of device-written values
 * (include/pvlens/net_check.h).  One input is one received packet as a
 * device could describe it (the 12-byte header as written, used lengths,
 * num_buffers, the buffers posted, the negotiated features) plus config
 * space values.  Each verdict is held against a reference written
 * differently (a table of allowed GSO types, conditions taken one by one),
 * and what the driver then does with an accepted value is replayed on
 * exact-size heap buffers, so ASan reports any read past what was posted:
 * the used length of every buffer, the big-mode page chain and skb
 * fragments, the 16-bit checksum at csum_start + csum_offset, hdr_len.
 */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pvlens/net_check.h>
#include "fuzz_reader.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
/* Posted buffers and packets up to 128 KiB: more than any ring entry. */
#define MAX_LEN		0x1ffff
#define MAX_LATER	64
#define MAX_PAGES	32

static unsigned char scratch[MAX_LEN + 1];

struct in {
	struct pvnet_rx_hdr h;
	u16 num_buffers;
	u64 features;
	u32 len, buf_len, pkt_len;
	u16 posted;
	u8 hdr_len;
	u8 page_shift, nr_pages, max_frags;
	u16 data_off, tailroom;
	u16 pairs, driver_max;
	u32 mtu, speed;
	u8 duplex;
};

/* Heap copy of exactly @size bytes: ASan knows where it ends. */
static unsigned char *exact(size_t size)
{
	unsigned char *p = malloc(size ? size : 1);

	if (!p)
		abort();
	memset(p, 0xa5, size);
	return p;
}

static void check_name(enum pvnet_rx_verdict v)
{
	const char *s = pvnet_rx_verdict_name(v);

	if (!s || !strcmp(s, "?"))
		abort();
}

/*
 * The first buffer of a packet, then (mergeable) the loop over the
 * num_buffers - 1 that follow, taking them from the @posted - 1 still on
 * the ring, of which the input says how many the device marked used and
 * their sizes and used lengths.
 */
static void check_rx(const struct in *in, struct reader *r)
{
	bool is_short = (u64)in->len < (u64)in->hdr_len + ETH_HLEN;
	bool bad_num = !in->num_buffers || in->num_buffers > in->posted;
	bool too_long = in->len > in->buf_len;
	enum pvnet_rx_verdict v;
	unsigned int num, taken = 0;
	unsigned char *buf;

	v = pvnet_check_rx_first(in->len, in->buf_len, in->hdr_len,
				 in->num_buffers, in->posted);
	check_name(v);
	switch (v) {
	case PVNET_RX_OK:
		if (is_short || bad_num || too_long)
			abort();
		break;
	case PVNET_RX_SHORT:
		if (!is_short)
			abort();
		return;
	case PVNET_RX_NUM_BUFFERS:
		if (is_short || !bad_num)
			abort();
		return;
	case PVNET_RX_TOO_LONG:
		/* The driver then drains num_buffers - 1: must not wrap. */
		if (is_short || bad_num || !too_long)
			abort();
		return;
	default:
		abort();
	}

	buf = exact(in->buf_len);
	memcpy(scratch, buf, in->len);
	free(buf);

	for (num = in->num_buffers; --num;) {
		u32 size, len;

		/* The ring holds posted - 1 more; the device used some. */
		if (taken == (u32)in->posted - 1)
			abort();
		if (taken == MAX_LATER || !r->n)
			break;
		size = (u32)take(r, 2);
		len = (u32)take(r, 2);
		taken++;
		v = pvnet_check_rx_used(len, size);
		if (v != (len > size ? PVNET_RX_TOO_LONG : PVNET_RX_OK))
			abort();
		if (v)
			break;
		buf = exact(size);
		memcpy(scratch, buf, len);
		free(buf);
	}
}

/*
 * Big mode: the capacity of a chain of one header descriptor, the first page
 * after data_off and nr_pages more, then the driver's receive of an accepted
 * length: the start of the frame copied into the skb (all of it when it fits
 * the tailroom, else the Ethernet header), the rest of the first page and
 * each further page one fragment, never past the chain or max_frags.
 */
static void check_big(const struct in *in)
{
	u32 page = 1U << (6 + in->page_shift % 7);
	u32 off = in->data_off % (page / 2);
	u32 tailroom = ETH_HLEN + in->tailroom % (page - off - ETH_HLEN);
	u32 nr_pages = in->nr_pages % (MAX_PAGES + 1);
	u32 max_frags = 1 + in->max_frags % MAX_PAGES;
	unsigned char *hdr, *pages[MAX_PAGES + 1];
	u32 len, data, copy, size, frags = 0, pg = 0, i;
	u64 cap;

	cap = pvnet_big_rx_len(in->hdr_len, page, off, nr_pages, max_frags);
	if (cap > (u64)in->hdr_len + page - off + (u64)nr_pages * page ||
	    cap < (u64)in->hdr_len + page - off)
		abort();
	/* Lengths around the capacity; the rest is check_rx()'s. */
	len = (u32)(in->len % (cap + 3));
	if (pvnet_check_rx_first(len, (u32)cap, in->hdr_len, 1, 1))
		return;

	hdr = exact(in->hdr_len);
	memcpy(scratch, hdr, in->hdr_len);
	free(hdr);
	for (i = 0; i <= nr_pages; i++)
		pages[i] = exact(page);

	data = len - in->hdr_len;
	copy = data <= tailroom ? data : ETH_HLEN;
	memcpy(scratch, pages[0] + off, copy);
	data -= copy;
	off += copy;
	while (data) {
		if (pg > nr_pages || frags == max_frags)
			abort();
		size = page - off < data ? page - off : data;
		memcpy(scratch, pages[pg] + off, size);
		frags++;
		data -= size;
		off = 0;
		pg++;
	}
	for (i = 0; i <= nr_pages; i++)
		free(pages[i]);
}

/* GSO types the spec allows, with the features each needs. */
static const struct {
	u8 type;
	unsigned int need[2];
} gso_ok[] = {
	{ VIRTIO_NET_HDR_GSO_TCPV4,
	  { VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_TSO4 } },
	{ VIRTIO_NET_HDR_GSO_TCPV6,
	  { VIRTIO_NET_F_GUEST_TSO6, VIRTIO_NET_F_GUEST_TSO6 } },
	{ VIRTIO_NET_HDR_GSO_UDP,
	  { VIRTIO_NET_F_GUEST_UFO, VIRTIO_NET_F_GUEST_UFO } },
	{ VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN,
	  { VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_ECN } },
	{ VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN,
	  { VIRTIO_NET_F_GUEST_TSO6, VIRTIO_NET_F_GUEST_ECN } },
};

static bool has(u64 features, unsigned int bit)
{
	return features & (1ULL << bit);
}

static bool ref_gso_ok(u8 type, u64 features)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(gso_ok); i++)
		if (gso_ok[i].type == type)
			return has(features, gso_ok[i].need[0]) &&
			       has(features, gso_ok[i].need[1]);
	return false;
}

static void check_hdr(const struct in *in)
{
	const struct pvnet_rx_hdr *h = &in->h;
	bool csum = h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM;
	bool gso = h->gso_type != VIRTIO_NET_HDR_GSO_NONE;
	enum pvnet_rx_verdict v, want = PVNET_RX_OK;
	u32 end = (u32)h->csum_start + h->csum_offset + 2;
	unsigned char *pkt;

	if ((h->flags & ~(VIRTIO_NET_HDR_F_NEEDS_CSUM |
			  VIRTIO_NET_HDR_F_DATA_VALID)) ||
	    (csum && !has(in->features, VIRTIO_NET_F_GUEST_CSUM)))
		want = PVNET_RX_HDR_FLAGS;
	else if (csum && end > in->pkt_len)
		want = PVNET_RX_HDR_CSUM;
	else if (gso && !ref_gso_ok(h->gso_type, in->features))
		want = PVNET_RX_HDR_GSO_TYPE;
	else if (gso && !h->gso_size)
		want = PVNET_RX_HDR_GSO_SIZE;
	else if (gso && h->hdr_len > in->pkt_len)
		want = PVNET_RX_HDR_LEN;

	v = pvnet_check_rx_hdr(h, in->pkt_len, in->features);
	check_name(v);
	if (v != want)
		abort();
	if (v)
		return;

	/* The contract, once more in its own words. */
	if (gso && (!ref_gso_ok(h->gso_type, in->features) || !h->gso_size))
		abort();
	pkt = exact(in->pkt_len);
	if (csum)
		memcpy(scratch, pkt + h->csum_start + h->csum_offset, 2);
	if (gso)
		memcpy(scratch, pkt, h->hdr_len);
	free(pkt);
}

static void check_config(const struct in *in)
{
	u32 eff = in->driver_max ? in->driver_max : 1;
	bool spec = in->pairs >= 1 && in->pairs <= 0x8000;
	u32 speed = (u32)SPEED_UNKNOWN;
	u8 duplex = DUPLEX_UNKNOWN;
	enum pvnet_cfg_verdict v;
	u16 use = 0xdead;
	bool ok;

	v = pvnet_check_max_pairs(in->pairs, in->driver_max, &use);
	if (use < 1 || use > eff)
		abort();
	if ((v == PVNET_CFG_OK && !(spec && in->pairs <= eff &&
				    use == in->pairs)) ||
	    (v == PVNET_CFG_CAPPED && !(spec && in->pairs > eff &&
					use == eff)) ||
	    (v == PVNET_CFG_BAD && (spec || use != 1)) ||
	    v > PVNET_CFG_BAD)
		abort();

	ok = in->mtu >= 68 && in->mtu <= 65535;
	if ((pvnet_check_mtu(in->mtu) == PVNET_CFG_OK) != ok)
		abort();
	ok = (u16)in->mtu >= 68;
	if ((pvnet_check_mtu((u16)in->mtu) == PVNET_CFG_OK) != ok)
		abort();

	pvnet_config_link(in->speed, in->duplex, &speed, &duplex);
	ok = in->speed <= INT_MAX || in->speed == (u32)SPEED_UNKNOWN;
	if (speed != (ok ? in->speed : (u32)SPEED_UNKNOWN))
		abort();
	ok = in->duplex == DUPLEX_HALF || in->duplex == DUPLEX_FULL ||
	     in->duplex == DUPLEX_UNKNOWN;
	if (duplex != (ok ? in->duplex : DUPLEX_UNKNOWN))
		abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct reader r = { data, size };
	struct in in;

	/* struct virtio_net_hdr_mrg_rxbuf as the device writes it (LE). */
	in.h.flags = (u8)take(&r, 1);
	in.h.gso_type = (u8)take(&r, 1);
	in.h.hdr_len = (u16)take(&r, 2);
	in.h.gso_size = (u16)take(&r, 2);
	in.h.csum_start = (u16)take(&r, 2);
	in.h.csum_offset = (u16)take(&r, 2);
	in.num_buffers = (u16)take(&r, 2);
	in.features = take(&r, 8);
	in.len = (u32)take(&r, 4);
	in.buf_len = (u32)take(&r, 4) & MAX_LEN;
	in.pkt_len = (u32)take(&r, 4) & MAX_LEN;
	in.posted = (u16)take(&r, 2);
	in.hdr_len = (u8)take(&r, 1);
	in.page_shift = (u8)take(&r, 1);
	in.nr_pages = (u8)take(&r, 1);
	in.max_frags = (u8)take(&r, 1);
	in.data_off = (u16)take(&r, 2);
	in.tailroom = (u16)take(&r, 2);
	in.pairs = (u16)take(&r, 2);
	in.driver_max = (u16)take(&r, 2);
	in.mtu = (u32)take(&r, 4);
	in.speed = (u32)take(&r, 4);
	in.duplex = (u8)take(&r, 1);

	check_hdr(&in);
	check_big(&in);
	check_config(&in);
	/* Last: it reads the later buffers from the rest of the input. */
	check_rx(&in, &r);
	return 0;
}
