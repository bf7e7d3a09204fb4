/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvlens_net's decisions about values the device wrote: receive used
 * lengths, mergeable num_buffers, the virtio_net_hdr of a received packet
 * and the config space fields the driver uses.  The driver reads the values
 * (converting from virtio endianness first), then counts, warns and drops
 * on the verdicts given here.
 *
 * Builds both in the kernel and as plain userspace C with the uapi headers,
 * so the host unit test (unit/test_net_check.c) and the libFuzzer harness
 * (fuzz/fuzz_net_check.c) run this very code.
 */
#ifndef _PVLENS_NET_CHECK_H
#define _PVLENS_NET_CHECK_H

#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <pvlens/types.h>
#ifdef __KERNEL__
#include <uapi/linux/virtio_net.h>
#else
#include <linux/virtio_net.h>
#endif

/*
 * Why a received buffer or packet is dropped.  The driver counts SHORT,
 * TOO_LONG and NUM_BUFFERS in the rx_drop_ counters of those names and every
 * PVNET_RX_HDR_* in rx_drop_bad_hdr.
 */
enum pvnet_rx_verdict {
	PVNET_RX_OK,
	PVNET_RX_SHORT,		/* no room for the virtio + Ethernet header */
	PVNET_RX_TOO_LONG,	/* more than the driver posted */
	PVNET_RX_NUM_BUFFERS,	/* 0, or more than the buffers posted */
	PVNET_RX_HDR_FLAGS,	/* unknown flag, or NEEDS_CSUM not negotiated */
	PVNET_RX_HDR_CSUM,	/* checksum field beyond the packet */
	PVNET_RX_HDR_GSO_TYPE,	/* unknown, misused ECN or not negotiated */
	PVNET_RX_HDR_GSO_SIZE,	/* 0 for a GSO packet */
	PVNET_RX_HDR_LEN,	/* GSO headers longer than the packet */
	PVNET_RX_NR_VERDICTS,
};

static inline const char *pvnet_rx_verdict_name(enum pvnet_rx_verdict v)
{
	switch (v) {
	case PVNET_RX_OK:
		return "ok";
	case PVNET_RX_SHORT:
		return "shorter than the headers";
	case PVNET_RX_TOO_LONG:
		return "used length beyond the buffer";
	case PVNET_RX_NUM_BUFFERS:
		return "bad num_buffers";
	case PVNET_RX_HDR_FLAGS:
		return "bad flags";
	case PVNET_RX_HDR_CSUM:
		return "checksum beyond the packet";
	case PVNET_RX_HDR_GSO_TYPE:
		return "bad gso type";
	case PVNET_RX_HDR_GSO_SIZE:
		return "gso size 0";
	case PVNET_RX_HDR_LEN:
		return "hdr_len beyond the packet";
	case PVNET_RX_NR_VERDICTS:
		break;
	}
	return "?";
}

/* Bit @bit (a VIRTIO_NET_F_* number) of the negotiated @features. */
static inline bool pvnet_feature(u64 features, unsigned int bit)
{
	return bit < 64 && ((features >> bit) & 1);
}

/*
 * The used length of a later buffer of a mergeable packet: @len bytes in a
 * buffer posted with @buf_len.  It may be empty.
 */
static inline enum pvnet_rx_verdict pvnet_check_rx_used(u32 len, u32 buf_len)
{
	return len > buf_len ? PVNET_RX_TOO_LONG : PVNET_RX_OK;
}

/*
 * The first (or only) buffer of a received packet: @len bytes used of the
 * @buf_len posted, the @hdr_len virtio header included.  A mergeable
 * packet's header announces @num_buffers buffers, which the device took
 * from the @posted ones it had (this one included); any other packet is one
 * buffer: 1 of 1.
 *
 * The order is the driver's recovery: a short buffer's header may be stale
 * and a bad num_buffers says nothing, so only after TOO_LONG may the caller
 * release the num_buffers - 1 that follow.
 */
static inline enum pvnet_rx_verdict
pvnet_check_rx_first(u32 len, u32 buf_len, u32 hdr_len, u32 num_buffers,
		     u32 posted)
{
	if ((u64)len < (u64)hdr_len + ETH_HLEN)
		return PVNET_RX_SHORT;
	if (!num_buffers || num_buffers > posted)
		return PVNET_RX_NUM_BUFFERS;
	return pvnet_check_rx_used(len, buf_len);
}

/*
 * What a big-mode buffer chain can take, the virtio header included: the
 * header in its own descriptor, the first page after @data_off, then
 * @nr_pages pages of @page_size.  The driver copies the start of the frame
 * into the skb and adds the rest of the first page and every further page
 * as one fragment each, so at most @max_frags - 1 further pages are usable
 * whatever was posted.  Needs data_off <= page_size and max_frags >= 1.
 */
static inline u64 pvnet_big_rx_len(u32 hdr_len, u32 page_size, u32 data_off,
				   u32 nr_pages, u32 max_frags)
{
	u32 pages = nr_pages < max_frags ? nr_pages : max_frags - 1;

	return (u64)hdr_len + page_size - data_off + (u64)pages * page_size;
}

/* virtio_net_hdr of a received packet, in CPU byte order. */
struct pvnet_rx_hdr {
	u8 flags;
	u8 gso_type;
	u16 hdr_len;
	u16 gso_size;
	u16 csum_start;
	u16 csum_offset;
};

/*
 * The header of a received packet of @pkt_len bytes (the Ethernet frame,
 * after the virtio header), under the negotiated @features.  What the spec
 * lets the device send, and nothing else:
 *  - flags: NEEDS_CSUM (only with GUEST_CSUM) and DATA_VALID (accepted
 *    without GUEST_CSUM: tap devices set it either way);
 *  - with NEEDS_CSUM the 16-bit checksum at csum_start + csum_offset lies
 *    inside the packet (without it the two fields are unused);
 *  - gso_type NONE, or TCPV4/TCPV6/UDP when GUEST_TSO4/TSO6/UFO was
 *    negotiated, with the ECN bit only on TCP and with GUEST_ECN; then
 *    gso_size is not 0 and hdr_len, the length of the headers, does not
 *    exceed the packet (hdr_len is meaningless without GSO).
 * virtio_net_hdr_to_skb() checks the GSO and checksum fields against the
 * packet's contents after this.
 */
static inline enum pvnet_rx_verdict
pvnet_check_rx_hdr(const struct pvnet_rx_hdr *h, u32 pkt_len, u64 features)
{
	u8 gso = (u8)(h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN);
	bool ecn = h->gso_type & VIRTIO_NET_HDR_GSO_ECN;
	unsigned int need;

	if (h->flags & ~(VIRTIO_NET_HDR_F_NEEDS_CSUM |
			 VIRTIO_NET_HDR_F_DATA_VALID))
		return PVNET_RX_HDR_FLAGS;
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (!pvnet_feature(features, VIRTIO_NET_F_GUEST_CSUM))
			return PVNET_RX_HDR_FLAGS;
		if ((u32)h->csum_start + h->csum_offset + 2 > pkt_len)
			return PVNET_RX_HDR_CSUM;
	}

	if (h->gso_type == VIRTIO_NET_HDR_GSO_NONE)
		return PVNET_RX_OK;
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_TCPV4:
		need = VIRTIO_NET_F_GUEST_TSO4;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		need = VIRTIO_NET_F_GUEST_TSO6;
		break;
	case VIRTIO_NET_HDR_GSO_UDP:
		if (ecn)
			return PVNET_RX_HDR_GSO_TYPE;
		need = VIRTIO_NET_F_GUEST_UFO;
		break;
	default:
		return PVNET_RX_HDR_GSO_TYPE;
	}
	if (!pvnet_feature(features, need) ||
	    (ecn && !pvnet_feature(features, VIRTIO_NET_F_GUEST_ECN)))
		return PVNET_RX_HDR_GSO_TYPE;
	if (!h->gso_size)
		return PVNET_RX_HDR_GSO_SIZE;
	if (h->hdr_len > pkt_len)
		return PVNET_RX_HDR_LEN;
	return PVNET_RX_OK;
}

/* Config space values: usable, used after a correction, or not usable. */
enum pvnet_cfg_verdict {
	PVNET_CFG_OK,
	PVNET_CFG_CAPPED,
	PVNET_CFG_BAD,
};

/*
 * max_virtqueue_pairs (with VIRTIO_NET_F_MQ): the spec allows 1..0x8000,
 * anything else means one pair (BAD); more than the @driver_max pairs the
 * driver supports are capped there (CAPPED).  *@use is always in
 * [1, max(driver_max, 1)].
 */
static inline enum pvnet_cfg_verdict
pvnet_check_max_pairs(u16 pairs, u16 driver_max, u16 *use)
{
	if (!driver_max)
		driver_max = 1;
	if (pairs < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN ||
	    pairs > VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX) {
		*use = 1;
		return PVNET_CFG_BAD;
	}
	if (pairs > driver_max) {
		*use = driver_max;
		return PVNET_CFG_CAPPED;
	}
	*use = pairs;
	return PVNET_CFG_OK;
}

/*
 * The device's MTU (VIRTIO_NET_F_MTU) becomes the interface's MTU and its
 * maximum: below ETH_MIN_MTU IPv4 cannot work, so the feature is ignored
 * (and a device that lowers it after that check is refused), as the in-tree
 * driver does; above ETH_MAX_MTU no frame can carry it.
 */
static inline enum pvnet_cfg_verdict pvnet_check_mtu(u32 mtu)
{
	return mtu < ETH_MIN_MTU || mtu > ETH_MAX_MTU ? PVNET_CFG_BAD :
							 PVNET_CFG_OK;
}

/*
 * Link speed (Mb/s) and duplex (VIRTIO_NET_F_SPEED_DUPLEX) into *@speed and
 * *@duplex; a value ethtool would not accept leaves the current one.
 */
static inline void pvnet_config_link(u32 dev_speed, u8 dev_duplex,
				     u32 *speed, u8 *duplex)
{
	if (ethtool_validate_speed(dev_speed))
		*speed = dev_speed;
	if (ethtool_validate_duplex(dev_duplex))
		*duplex = dev_duplex;
}

#endif /* _PVLENS_NET_CHECK_H */
