// SPDX-License-Identifier: GPL-2.0
/*
 * pvlens_net's checks of device-written values (include/pvlens/net_check.h):
 * one named case per malformed value the device can send, its boundary and
 * the sane value next to it, with the verdict each must get.
 */
#include "unit.h"
#include <pvlens/net_check.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define F(bit)		(1ULL << (bit))

/* The driver's layout: virtio 1.0 header, small buffers of one frame. */
#define HDR		12
#define SMALL_BUF	(HDR + 14 + 4 + 1500)

static void test_rx_first(void)
{
	UNIT_EQ_U64(pvnet_check_rx_first(HDR + 14, SMALL_BUF, HDR, 1, 1),
		    PVNET_RX_OK, "rx_len_smallest_frame_ok");
	UNIT_EQ_U64(pvnet_check_rx_first(HDR + 13, SMALL_BUF, HDR, 1, 1),
		    PVNET_RX_SHORT, "rx_len_one_below_frame_short");
	UNIT_EQ_U64(pvnet_check_rx_first(0, SMALL_BUF, HDR, 1, 1),
		    PVNET_RX_SHORT, "rx_len_0_short");
	UNIT_EQ_U64(pvnet_check_rx_first(SMALL_BUF, SMALL_BUF, HDR, 1, 1),
		    PVNET_RX_OK, "rx_len_equal_buffer_ok");
	UNIT_EQ_U64(pvnet_check_rx_first(SMALL_BUF + 1, SMALL_BUF, HDR, 1, 1),
		    PVNET_RX_TOO_LONG, "rx_used_len_above_buffer_too_long");
	UNIT_EQ_U64(pvnet_check_rx_first(0xffffffff, SMALL_BUF, HDR, 1, 1),
		    PVNET_RX_TOO_LONG, "rx_used_len_u32_max_too_long");
	/* hdr_len + ETH_HLEN must not wrap to a small minimum. */
	UNIT_EQ_U64(pvnet_check_rx_first(20, 0xffffffff, 0xfffffffa, 1, 1),
		    PVNET_RX_SHORT, "rx_len_header_sum_no_wrap");

	UNIT_EQ_U64(pvnet_check_rx_first(1000, 1536, HDR, 0, 256),
		    PVNET_RX_NUM_BUFFERS, "rx_num_buffers_0");
	UNIT_EQ_U64(pvnet_check_rx_first(1000, 1536, HDR, 5, 4),
		    PVNET_RX_NUM_BUFFERS, "rx_num_buffers_more_than_posted");
	UNIT_EQ_U64(pvnet_check_rx_first(1000, 1536, HDR, 0xffff, 256),
		    PVNET_RX_NUM_BUFFERS, "rx_num_buffers_65535");
	UNIT_EQ_U64(pvnet_check_rx_first(1000, 1536, HDR, 4, 4),
		    PVNET_RX_OK, "rx_num_buffers_all_posted_ok");
	UNIT_EQ_U64(pvnet_check_rx_first(1000, 1536, HDR, 1, 1),
		    PVNET_RX_OK, "rx_num_buffers_1_of_1_ok");
	/* Order: a short buffer's header is not read into num_buffers, and a
	 * bad num_buffers forbids draining after a too-long buffer.
	 */
	UNIT_EQ_U64(pvnet_check_rx_first(HDR, 1536, HDR, 0, 256),
		    PVNET_RX_SHORT, "rx_short_before_num_buffers");
	UNIT_EQ_U64(pvnet_check_rx_first(2000, 1536, HDR, 0, 256),
		    PVNET_RX_NUM_BUFFERS, "rx_num_buffers_before_too_long");
	UNIT_EQ_U64(pvnet_check_rx_first(2000, 1536, HDR, 3, 256),
		    PVNET_RX_TOO_LONG, "rx_too_long_with_good_num_buffers");

	UNIT_EQ_U64(pvnet_check_rx_used(0, 1536), PVNET_RX_OK,
		    "rx_later_buffer_empty_ok");
	UNIT_EQ_U64(pvnet_check_rx_used(1536, 1536), PVNET_RX_OK,
		    "rx_later_buffer_full_ok");
	UNIT_EQ_U64(pvnet_check_rx_used(1537, 1536), PVNET_RX_TOO_LONG,
		    "rx_later_buffer_above_truesize_too_long");
}

static void test_big_len(void)
{
	/* Guest GSO: 17 pages posted, 16 usable after the first page. */
	UNIT_EQ_U64(pvnet_big_rx_len(HDR, 4096, 16, 17, 17),
		    HDR + 4080 + 16 * 4096, "big_gso_capped_by_skb_frags");
	/* MTU 9000: DIV_ROUND_UP(9000, 4096) = 3 pages. */
	UNIT_EQ_U64(pvnet_big_rx_len(HDR, 4096, 16, 3, 17),
		    HDR + 4080 + 3 * 4096, "big_mtu_9000_posted_pages");
	UNIT_TRUE(pvnet_big_rx_len(HDR, 4096, 16, 3, 17) >=
		  HDR + 14 + 4 + 9000, "big_mtu_9000_frame_fits");
	UNIT_TRUE(pvnet_big_rx_len(HDR, 4096, 16, 17, 17) >=
		  HDR + 14 + 4 + 65535, "big_gso_64k_frame_fits");
	UNIT_EQ_U64(pvnet_big_rx_len(HDR, 4096, 16, 0, 1), HDR + 4080,
		    "big_first_page_only");
	UNIT_EQ_U64(pvnet_big_rx_len(HDR, 4096, 16, 17, 1), HDR + 4080,
		    "big_one_frag_first_page_only");
}

struct hdr_case {
	const char *name;
	struct pvnet_rx_hdr h;
	unsigned int len;
	u64 features;
	enum pvnet_rx_verdict want;
};

/* flags, gso_type, hdr_len, gso_size, csum_start, csum_offset */
#define H(f, t, hl, gs, cs, co)	{ f, t, hl, gs, cs, co }
#define CSUM	VIRTIO_NET_HDR_F_NEEDS_CSUM
#define VALID	VIRTIO_NET_HDR_F_DATA_VALID
#define TCP4	VIRTIO_NET_HDR_GSO_TCPV4
#define TCP6	VIRTIO_NET_HDR_GSO_TCPV6
#define UDP	VIRTIO_NET_HDR_GSO_UDP
#define ECN	VIRTIO_NET_HDR_GSO_ECN
#define GCSUM	F(VIRTIO_NET_F_GUEST_CSUM)
#define ALL	(GCSUM | F(VIRTIO_NET_F_GUEST_TSO4) | \
		 F(VIRTIO_NET_F_GUEST_TSO6) | F(VIRTIO_NET_F_GUEST_UFO) | \
		 F(VIRTIO_NET_F_GUEST_ECN))

static const struct hdr_case hdr_cases[] = {
	{ "hdr_plain_ok", H(0, 0, 0, 0, 0, 0), 60, 0, PVNET_RX_OK },
	{ "hdr_data_valid_without_guest_csum_ok", H(VALID, 0, 0, 0, 0, 0), 60,
	  0, PVNET_RX_OK },
	{ "hdr_rsc_info_flag", H(4, 0, 0, 0, 0, 0), 60, ALL,
	  PVNET_RX_HDR_FLAGS },
	{ "hdr_flag_0x80", H(0x80, 0, 0, 0, 0, 0), 60, ALL,
	  PVNET_RX_HDR_FLAGS },
	{ "hdr_needs_csum_not_negotiated", H(CSUM, 0, 0, 0, 34, 16), 60, 0,
	  PVNET_RX_HDR_FLAGS },
	{ "hdr_csum_tcp_ok", H(CSUM, 0, 0, 0, 34, 16), 60, GCSUM,
	  PVNET_RX_OK },
	{ "hdr_csum_ends_at_packet_end_ok", H(CSUM, 0, 0, 0, 50, 8), 60,
	  GCSUM, PVNET_RX_OK },
	{ "hdr_csum_one_byte_beyond", H(CSUM, 0, 0, 0, 50, 9), 60, GCSUM,
	  PVNET_RX_HDR_CSUM },
	{ "hdr_csum_start_beyond_packet", H(CSUM, 0, 0, 0, 60, 0), 60, GCSUM,
	  PVNET_RX_HDR_CSUM },
	/* 0xffff + 0xffff + 2 is 0 in 16 bits. */
	{ "hdr_csum_offset_overflow", H(CSUM, 0, 0, 0, 0xffff, 0xffff), 60,
	  GCSUM, PVNET_RX_HDR_CSUM },
	{ "hdr_csum_fields_ignored_without_flag", H(0, 0, 0, 0, 0xffff, 0xffff),
	  60, GCSUM, PVNET_RX_OK },
	{ "hdr_tso4_ok", H(CSUM, TCP4, 66, 1448, 34, 16), 65226, ALL,
	  PVNET_RX_OK },
	{ "hdr_tso6_ok", H(CSUM, TCP6, 86, 1428, 54, 16), 65226, ALL,
	  PVNET_RX_OK },
	{ "hdr_ufo_ok", H(CSUM, UDP, 42, 1472, 34, 6), 8000, ALL,
	  PVNET_RX_OK },
	{ "hdr_tso4_ecn_ok", H(CSUM, TCP4 | ECN, 66, 1448, 34, 16), 65226, ALL,
	  PVNET_RX_OK },
	{ "hdr_gso_tso4_not_negotiated", H(CSUM, TCP4, 66, 1448, 34, 16), 65226,
	  ALL & ~F(VIRTIO_NET_F_GUEST_TSO4), PVNET_RX_HDR_GSO_TYPE },
	{ "hdr_gso_tso6_not_negotiated", H(CSUM, TCP6, 86, 1428, 54, 16), 65226,
	  ALL & ~F(VIRTIO_NET_F_GUEST_TSO6), PVNET_RX_HDR_GSO_TYPE },
	{ "hdr_gso_ufo_not_negotiated", H(CSUM, UDP, 42, 1472, 34, 6), 8000,
	  ALL & ~F(VIRTIO_NET_F_GUEST_UFO), PVNET_RX_HDR_GSO_TYPE },
	{ "hdr_gso_without_any_offload", H(0, TCP4, 66, 1448, 0, 0), 65226, 0,
	  PVNET_RX_HDR_GSO_TYPE },
	{ "hdr_gso_ecn_not_negotiated", H(CSUM, TCP4 | ECN, 66, 1448, 34, 16),
	  65226, ALL & ~F(VIRTIO_NET_F_GUEST_ECN), PVNET_RX_HDR_GSO_TYPE },
	{ "hdr_gso_ecn_alone", H(0, ECN, 0, 1448, 0, 0), 1500, ALL,
	  PVNET_RX_HDR_GSO_TYPE },
	{ "hdr_gso_ecn_on_udp", H(CSUM, UDP | ECN, 42, 1472, 34, 6), 8000, ALL,
	  PVNET_RX_HDR_GSO_TYPE },
	{ "hdr_gso_type_2", H(0, 2, 0, 1448, 0, 0), 1500, ALL,
	  PVNET_RX_HDR_GSO_TYPE },
	{ "hdr_gso_type_5_udp_l4", H(0, 5, 0, 1448, 0, 0), 1500, ALL,
	  PVNET_RX_HDR_GSO_TYPE },
	{ "hdr_gso_type_0xff", H(0, 0xff, 0, 1448, 0, 0), 1500, ALL,
	  PVNET_RX_HDR_GSO_TYPE },
	{ "hdr_gso_size_0", H(CSUM, TCP4, 66, 0, 34, 16), 65226, ALL,
	  PVNET_RX_HDR_GSO_SIZE },
	{ "hdr_gso_hdr_len_beyond_packet", H(CSUM, TCP4, 101, 1448, 34, 16),
	  100, ALL, PVNET_RX_HDR_LEN },
	{ "hdr_gso_hdr_len_equal_packet_ok", H(CSUM, TCP4, 100, 1448, 34, 16),
	  100, ALL, PVNET_RX_OK },
	{ "hdr_len_ignored_without_gso", H(0, 0, 0xffff, 0, 0, 0), 60, ALL,
	  PVNET_RX_OK },
	/* The flags are judged first, then the checksum, then GSO. */
	{ "hdr_bad_flags_before_csum", H(CSUM | 4, 0, 0, 0, 0xffff, 0), 60, ALL,
	  PVNET_RX_HDR_FLAGS },
	{ "hdr_bad_csum_before_gso", H(CSUM, 0xff, 0, 0, 0xffff, 0), 60, ALL,
	  PVNET_RX_HDR_CSUM },
};

static void test_rx_hdr(void)
{
	const struct hdr_case *c;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(hdr_cases); i++) {
		c = &hdr_cases[i];
		UNIT_EQ_U64(pvnet_check_rx_hdr(&c->h, c->len, c->features),
			    c->want, c->name);
	}
}

static void test_max_pairs(void)
{
	static const struct {
		const char *name;
		u16 pairs, driver_max, use;
		enum pvnet_cfg_verdict want;
	} c[] = {
		{ "pairs_0", 0, 64, 1, PVNET_CFG_BAD },
		{ "pairs_1", 1, 64, 1, PVNET_CFG_OK },
		{ "pairs_64", 64, 64, 64, PVNET_CFG_OK },
		{ "pairs_65_capped", 65, 64, 64, PVNET_CFG_CAPPED },
		{ "pairs_0x8000_capped", 0x8000, 64, 64, PVNET_CFG_CAPPED },
		{ "pairs_0x8001", 0x8001, 64, 1, PVNET_CFG_BAD },
		{ "pairs_0xffff", 0xffff, 64, 1, PVNET_CFG_BAD },
		{ "pairs_driver_max_0", 5, 0, 1, PVNET_CFG_CAPPED },
	};
	char name[64];
	size_t i;
	u16 use;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		use = 0xdead;
		UNIT_EQ_U64(pvnet_check_max_pairs(c[i].pairs, c[i].driver_max,
						  &use), c[i].want, c[i].name);
		snprintf(name, sizeof(name), "%s_uses_%u", c[i].name,
			 (unsigned int)c[i].use);
		UNIT_EQ_U64(use, c[i].use, name);
	}
}

static void test_mtu(void)
{
	UNIT_EQ_U64(pvnet_check_mtu(0), PVNET_CFG_BAD, "mtu_0");
	UNIT_EQ_U64(pvnet_check_mtu(60), PVNET_CFG_BAD, "mtu_60");
	UNIT_EQ_U64(pvnet_check_mtu(67), PVNET_CFG_BAD, "mtu_67");
	UNIT_EQ_U64(pvnet_check_mtu(68), PVNET_CFG_OK, "mtu_68");
	UNIT_EQ_U64(pvnet_check_mtu(1500), PVNET_CFG_OK, "mtu_1500");
	UNIT_EQ_U64(pvnet_check_mtu(65535), PVNET_CFG_OK, "mtu_65535");
	UNIT_EQ_U64(pvnet_check_mtu(65536), PVNET_CFG_BAD, "mtu_65536");
}

static void test_link(void)
{
	u32 speed = SPEED_UNKNOWN;
	u8 duplex = DUPLEX_UNKNOWN;

	pvnet_config_link(10000, DUPLEX_FULL, &speed, &duplex);
	UNIT_EQ_U64(speed, 10000, "link_speed_10000");
	UNIT_EQ_U64(duplex, DUPLEX_FULL, "link_duplex_full");
	pvnet_config_link(0x80000000u, 2, &speed, &duplex);
	UNIT_EQ_U64(speed, 10000, "link_speed_above_int_max_keeps_previous");
	UNIT_EQ_U64(duplex, DUPLEX_FULL, "link_duplex_2_keeps_previous");
	pvnet_config_link(0x7fffffff, DUPLEX_HALF, &speed, &duplex);
	UNIT_EQ_U64(speed, 0x7fffffff, "link_speed_int_max");
	UNIT_EQ_U64(duplex, DUPLEX_HALF, "link_duplex_half");
	pvnet_config_link(SPEED_UNKNOWN, DUPLEX_UNKNOWN, &speed, &duplex);
	UNIT_EQ_U64(speed, (u32)SPEED_UNKNOWN, "link_speed_unknown");
	UNIT_EQ_U64(duplex, DUPLEX_UNKNOWN, "link_duplex_unknown");
}

static void test_names(void)
{
	unsigned int v, w, bad = 0;

	for (v = 0; v < PVNET_RX_NR_VERDICTS; v++) {
		if (!strcmp(pvnet_rx_verdict_name(v), "?"))
			bad++;
		for (w = 0; w < v; w++)
			if (!strcmp(pvnet_rx_verdict_name(v),
				    pvnet_rx_verdict_name(w)))
				bad++;
	}
	UNIT_EQ_U64(bad, 0, "verdict_names_distinct");
	UNIT_STR_EQ(pvnet_rx_verdict_name(PVNET_RX_NR_VERDICTS), "?",
		    "verdict_name_out_of_range");
}

int main(void)
{
	test_rx_first();
	test_big_len();
	test_rx_hdr();
	test_max_pairs();
	test_mtu();
	test_link();
	test_names();
	return unit_done("net_check");
}
