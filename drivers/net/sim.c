// SPDX-License-Identifier: GPL-2.0
/*
 * pvlens_net_sim: a virtio-net device simulated inside the guest, for
 * tests.  QEMU's virtio-net only ever writes well-formed receive buffers, so
 * pvlens_net's checks of what a device writes (include/pvlens/net_check.h)
 * could run only in unit tests.  This device writes what a test asks for,
 * through debugfs: a good UDP datagram, or one with a used length, a
 * num_buffers or a virtio_net_hdr no device may write, so that a test can
 * see each dropped and counted and the next packet arrive intact
 * (Documentation/net.rst, selftests/net/net_sim.sh).  Its config space is
 * set by module parameters, nonsense included (max_virtqueue_pairs 0, no
 * MAC), and so are the offloads it offers (host_tso, host_ecn, guest_ecn).
 * What the driver sends is counted and answered: every transmitted frame,
 * with the offloads its virtio header asks for, every control command.  It
 * also writes well-formed TCP segments for GUEST_TSO4 (tcp_gso, and with
 * CWR tcp_gso_ecn), so that a test sees the ECN offloads at work.
 *
 * The transport and the ring walking are pvlens_sim's (include/pvlens/sim.h).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/etherdevice.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/uaccess.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <net/checksum.h>
#include <net/inet_ecn.h>
#include <net/ip.h>
#include <pvlens/sim.h>

#define PVNET_SIM_NAME		"pvlens_net_sim"
#define PVNET_SIM_QUEUE_SIZE	256
/* Queue pairs it can serve: its queues are pvlens_sim's, ctrl is one. */
#define PVNET_SIM_MAX_PAIRS	((PVLENS_SIM_MAX_VQS - 1) / 2)
/* Buffers one received packet may take (mergeable). */
#define PVNET_SIM_MAX_BUFS	64
#define PVNET_SIM_HDR_LEN	sizeof(struct virtio_net_hdr_mrg_rxbuf)
#define PVNET_SIM_FRAME_HDRS	(ETH_HLEN + sizeof(struct iphdr) + \
				 sizeof(struct udphdr))
#define PVNET_SIM_MAX_PAYLOAD	(0xffff - sizeof(struct iphdr) - \
				 sizeof(struct udphdr))
#define PVNET_SIM_TCP_HDRS	(ETH_HLEN + sizeof(struct iphdr) + \
				 sizeof(struct tcphdr))
/* The MSS of the TCP segments it writes (more than one makes them GSO). */
#define PVNET_SIM_GSO_SIZE	1000
/* Where the injected datagrams come from and go (the test's addresses). */
#define PVNET_SIM_SRC_IP	0x0acb0002	/* 10.203.0.2 */
#define PVNET_SIM_DST_IP	0x0acb0001	/* 10.203.0.1 */
#define PVNET_SIM_SRC_PORT	4000
#define PVNET_SIM_DST_PORT	4001

static bool mac = true;
module_param(mac, bool, 0444);
MODULE_PARM_DESC(mac, "Offer VIRTIO_NET_F_MAC (02:70:76:6c:00:01); without it the driver picks a random address (default Y)");

static bool mrg_rxbuf = true;
module_param(mrg_rxbuf, bool, 0444);
MODULE_PARM_DESC(mrg_rxbuf, "Offer VIRTIO_NET_F_MRG_RXBUF (default Y)");

static bool guest_tso = true;
module_param(guest_tso, bool, 0444);
MODULE_PARM_DESC(guest_tso, "Offer VIRTIO_NET_F_GUEST_TSO4/TSO6 (and GUEST_ECN, see guest_ecn): without mrg_rxbuf the driver then posts big buffers, else small ones (default Y)");

static bool guest_ecn = true;
module_param(guest_ecn, bool, 0444);
MODULE_PARM_DESC(guest_ecn, "With guest_tso, also offer VIRTIO_NET_F_GUEST_ECN (default Y)");

static bool host_tso;
module_param(host_tso, bool, 0444);
MODULE_PARM_DESC(host_tso, "Offer VIRTIO_NET_F_CSUM and HOST_TSO4/TSO6: the driver may send unchecksummed and GSO frames (default N)");

static bool host_ecn;
module_param(host_ecn, bool, 0444);
MODULE_PARM_DESC(host_ecn, "Offer VIRTIO_NET_F_HOST_ECN: GSO frames may carry TCP's CWR (default N)");

static unsigned int max_pairs = 1;
module_param(max_pairs, uint, 0444);
MODULE_PARM_DESC(max_pairs, "max_virtqueue_pairs in config space (VIRTIO_NET_F_MQ): 1..8 served, 0 or above 32768 offered as nonsense (default 1)");

static unsigned int mtu;
module_param(mtu, uint, 0444);
MODULE_PARM_DESC(mtu, "Offer VIRTIO_NET_F_MTU with this MTU, 1..65535 (default 0: not offered)");

/* What a test can ask the device to write into the receive queue. */
enum pvnet_sim_kind {
	PVNET_SIM_GOOD,
	PVNET_SIM_SHORT,
	PVNET_SIM_TOO_LONG,
	PVNET_SIM_TOO_LONG_LATER,
	PVNET_SIM_NUM_BUFFERS_ZERO,
	PVNET_SIM_NUM_BUFFERS_OVER,
	PVNET_SIM_NUM_BUFFERS_MISSING,
	PVNET_SIM_BAD_FLAGS,
	PVNET_SIM_CSUM_BEYOND,
	PVNET_SIM_BAD_GSO_TYPE,
	PVNET_SIM_GSO_SIZE_ZERO,
	PVNET_SIM_HDR_LEN_BEYOND,
	PVNET_SIM_TCP_GSO,
	PVNET_SIM_TCP_GSO_ECN,
	PVNET_SIM_NR_KINDS
};

static const char * const pvnet_sim_kinds[] = {
	[PVNET_SIM_GOOD]		= "good",
	[PVNET_SIM_SHORT]		= "short",
	[PVNET_SIM_TOO_LONG]		= "too_long",
	[PVNET_SIM_TOO_LONG_LATER]	= "too_long_later",
	[PVNET_SIM_NUM_BUFFERS_ZERO]	= "num_buffers_zero",
	[PVNET_SIM_NUM_BUFFERS_OVER]	= "num_buffers_over",
	[PVNET_SIM_NUM_BUFFERS_MISSING]	= "num_buffers_missing",
	[PVNET_SIM_BAD_FLAGS]		= "bad_flags",
	[PVNET_SIM_CSUM_BEYOND]		= "csum_beyond",
	[PVNET_SIM_BAD_GSO_TYPE]	= "bad_gso_type",
	[PVNET_SIM_GSO_SIZE_ZERO]	= "gso_size_zero",
	[PVNET_SIM_HDR_LEN_BEYOND]	= "hdr_len_beyond",
	[PVNET_SIM_TCP_GSO]		= "tcp_gso",
	[PVNET_SIM_TCP_GSO_ECN]		= "tcp_gso_ecn",
};

static_assert(ARRAY_SIZE(pvnet_sim_kinds) == PVNET_SIM_NR_KINDS);

/* One buffer of a packet being written: its used entry to be. */
struct pvnet_sim_used {
	u16 head;
	u32 len;
	u32 in_len;
};

struct pvnet_sim {
	/* First: pvlens_sim's transport; config points at @config. */
	struct pvlens_sim_dev sd;
	struct virtio_net_config config;
	/* The chain being worked on, and a received packet's first one. */
	struct pvlens_sim_chain chain;
	struct pvlens_sim_chain first;
	/* The buffers of the packet being written (off the stack). */
	struct pvnet_sim_used used[PVNET_SIM_MAX_BUFS];
	/* What the device did; written under sd.lock, read by debugfs. */
	u64 tx_packets;
	u64 tx_bytes;
	/* What the transmitted virtio headers and TCP headers asked for. */
	u64 tx_needs_csum;
	u64 tx_gso_tcpv4;
	u64 tx_gso_tcpv6;
	u64 tx_gso_ecn;
	u64 tx_tcp;
	u64 tx_tcp_cwr;
	u32 tx_tcp_cwr_seq;
	u64 tx_tcp_csum_ok;
	u64 tx_tcp_csum_bad;
	/* The frame being inspected, or its first ETH_FRAME_LEN bytes. */
	u8 tx_frame[ETH_FRAME_LEN];
	/* The last GSO frame's virtio header and length. */
	struct virtio_net_hdr tx_last_gso;
	u64 tx_last_gso_len;
	/* The last VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, and how many. */
	u64 guest_offloads;
	u64 guest_offloads_sets;
	u64 ctrl_commands;
	u64 ctrl_refused;
	u64 rx_packets;
	u64 rx_bytes;
	u64 injected[PVNET_SIM_NR_KINDS];
	u32 seq;
	struct dentry *debugfs;
};

static struct pvnet_sim *pvnet_sim;

static struct pvnet_sim *to_sim(struct pvlens_sim_dev *sd)
{
	return container_of(sd, struct pvnet_sim, sd);
}

static u64 pvnet_sim_features(void)
{
	u64 f = BIT_ULL(VIRTIO_F_VERSION_1) |
		BIT_ULL(VIRTIO_NET_F_GUEST_CSUM) |
		BIT_ULL(VIRTIO_NET_F_CTRL_VQ) |
		BIT_ULL(VIRTIO_NET_F_CTRL_RX) |
		BIT_ULL(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) |
		BIT_ULL(VIRTIO_NET_F_MQ);

	if (mac)
		f |= BIT_ULL(VIRTIO_NET_F_MAC);
	if (mrg_rxbuf)
		f |= BIT_ULL(VIRTIO_NET_F_MRG_RXBUF);
	if (guest_tso)
		f |= BIT_ULL(VIRTIO_NET_F_GUEST_TSO4) |
		     BIT_ULL(VIRTIO_NET_F_GUEST_TSO6);
	if (guest_tso && guest_ecn)
		f |= BIT_ULL(VIRTIO_NET_F_GUEST_ECN);
	if (host_tso)
		f |= BIT_ULL(VIRTIO_NET_F_CSUM) |
		     BIT_ULL(VIRTIO_NET_F_HOST_TSO4) |
		     BIT_ULL(VIRTIO_NET_F_HOST_TSO6);
	if (host_ecn)
		f |= BIT_ULL(VIRTIO_NET_F_HOST_ECN);
	if (mtu)
		f |= BIT_ULL(VIRTIO_NET_F_MTU);
	return f;
}

static bool pvnet_sim_has(struct pvnet_sim *sim, unsigned int bit)
{
	return READ_ONCE(sim->sd.features) & BIT_ULL(bit);
}

/* Queue pairs the driver set up; the control queue is the odd one last. */
static unsigned int pvnet_sim_pairs(struct pvnet_sim *sim)
{
	return sim->sd.nr_vqs / 2;
}

static bool pvnet_sim_is_ctrl(struct pvnet_sim *sim, unsigned int i)
{
	return (sim->sd.nr_vqs & 1) && i == sim->sd.nr_vqs - 1;
}

/* The TCP checksum of an IPv4 frame in sim->tx_frame, TCP at @l4: right? */
static bool pvnet_sim_tcp4_csum_ok(struct pvnet_sim *sim, unsigned int l4,
				   unsigned int frame)
{
	const struct iphdr *ip = (struct iphdr *)(sim->tx_frame + ETH_HLEN);
	unsigned int len = ntohs(ip->tot_len);

	if (len < l4 - ETH_HLEN + sizeof(struct tcphdr) ||
	    len > frame - ETH_HLEN)
		return false;
	len -= l4 - ETH_HLEN;
	return !csum_tcpudp_magic(ip->saddr, ip->daddr, len, IPPROTO_TCP,
				  csum_partial(sim->tx_frame + l4, len, 0));
}

/* Count what a frame's virtio header asks for, and whether the frame is
 * TCP over IPv4 (unfragmented) or IPv6 (no VLAN tag, no IPv6 extension
 * header), with CWR, and, for an IPv4 frame of at most ETH_FRAME_LEN bytes
 * whose header leaves the checksum to nobody, whether its checksum is
 * right: so that a test sees which offloads the driver used.
 */
static void pvnet_sim_tx_inspect(struct pvnet_sim *sim,
				 const struct pvlens_sim_chain *c)
{
	u8 *head = sim->tx_frame;
	u64 frame = c->out_len - PVNET_SIM_HDR_LEN;
	u64 have = min_t(u64, sizeof(sim->tx_frame), frame);
	struct virtio_net_hdr h;
	struct tcphdr *th;
	unsigned int l4 = 0;
	__be16 proto;
	u8 type;

	memset(head, 0, ETH_HLEN + 60 + sizeof(*th));
	pvlens_sim_pull(c, 0, &h, sizeof(h));
	pvlens_sim_pull(c, PVNET_SIM_HDR_LEN, head, have);
	if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		sim->tx_needs_csum++;
	type = h.gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
	if (type != VIRTIO_NET_HDR_GSO_NONE) {
		sim->tx_gso_tcpv4 += type == VIRTIO_NET_HDR_GSO_TCPV4;
		sim->tx_gso_tcpv6 += type == VIRTIO_NET_HDR_GSO_TCPV6;
		sim->tx_gso_ecn += !!(h.gso_type & VIRTIO_NET_HDR_GSO_ECN);
		sim->tx_last_gso = h;
		sim->tx_last_gso_len = frame;
	}

	proto = ((struct ethhdr *)head)->h_proto;
	if (proto == htons(ETH_P_IP)) {
		const struct iphdr *ip = (struct iphdr *)(head + ETH_HLEN);

		if (ip->version == 4 && ip->ihl >= 5 &&
		    !(ip->frag_off & htons(IP_OFFSET)) &&
		    ip->protocol == IPPROTO_TCP)
			l4 = ETH_HLEN + ip->ihl * 4;
	} else if (proto == htons(ETH_P_IPV6) &&
		   head[ETH_HLEN + 6] == IPPROTO_TCP) {
		l4 = ETH_HLEN + 40;
	}
	if (!l4 || l4 + sizeof(*th) > have)
		return;
	th = (struct tcphdr *)(head + l4);
	sim->tx_tcp++;
	if (th->cwr) {
		sim->tx_tcp_cwr++;
		sim->tx_tcp_cwr_seq = ntohl(th->seq);
	}
	if (proto == htons(ETH_P_IP) && frame == have &&
	    !(h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)) {
		if (pvnet_sim_tcp4_csum_ok(sim, l4, frame))
			sim->tx_tcp_csum_ok++;
		else
			sim->tx_tcp_csum_bad++;
	}
}

/* A frame to send: a virtio header and at least an Ethernet header. */
static bool pvnet_sim_tx(struct pvnet_sim *sim, struct pvlens_sim_vq *svq)
{
	struct pvlens_sim_chain *c = &sim->chain;
	bool any = false;
	int got;

	while ((got = pvlens_sim_pop(&sim->sd, svq, c)) > 0) {
		if (c->nr_in || c->out_len < PVNET_SIM_HDR_LEN + ETH_HLEN)
			return false;
		sim->tx_packets++;
		sim->tx_bytes += c->out_len - PVNET_SIM_HDR_LEN;
		pvnet_sim_tx_inspect(sim, c);
		pvlens_sim_add_used(&sim->sd, svq, c->head, 0);
		any = true;
	}
	if (any)
		pvlens_sim_publish(&sim->sd, svq);
	return got == 0;
}

/* A control command: class and command, their data, one ack byte.  Every
 * command is accepted but a queue pair count the device cannot serve and a
 * guest offloads command without its data.
 */
static bool pvnet_sim_ctrl(struct pvnet_sim *sim, struct pvlens_sim_vq *svq)
{
	struct pvlens_sim_chain *c = &sim->chain;
	struct virtio_net_ctrl_hdr hdr;
	bool any = false;
	int got;

	while ((got = pvlens_sim_pop(&sim->sd, svq, c)) > 0) {
		virtio_net_ctrl_ack ack = VIRTIO_NET_OK;

		if (c->out_len < sizeof(hdr) || c->in_len < sizeof(ack))
			return false;
		pvlens_sim_pull(c, 0, &hdr, sizeof(hdr));
		if (hdr.class == VIRTIO_NET_CTRL_MQ &&
		    hdr.cmd == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET) {
			struct virtio_net_ctrl_mq mq = {};
			u16 pairs;

			pvlens_sim_pull(c, sizeof(hdr), &mq,
					min_t(u64, sizeof(mq),
					      c->out_len - sizeof(hdr)));
			pairs = __virtio16_to_cpu(true, mq.virtqueue_pairs);
			if (!pairs || pairs > pvnet_sim_pairs(sim))
				ack = VIRTIO_NET_ERR;
		} else if (hdr.class == VIRTIO_NET_CTRL_GUEST_OFFLOADS &&
			   hdr.cmd == VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET) {
			__virtio64 offloads;

			if (c->out_len < sizeof(hdr) + sizeof(offloads)) {
				ack = VIRTIO_NET_ERR;
			} else {
				pvlens_sim_pull(c, sizeof(hdr), &offloads,
						sizeof(offloads));
				sim->guest_offloads =
					__virtio64_to_cpu(true, offloads);
				sim->guest_offloads_sets++;
			}
		}
		sim->ctrl_commands++;
		if (ack != VIRTIO_NET_OK)
			sim->ctrl_refused++;
		pvlens_sim_push(c, c->in_len - sizeof(ack), &ack, sizeof(ack));
		pvlens_sim_add_used(&sim->sd, svq, c->head, sizeof(ack));
		any = true;
	}
	if (any)
		pvlens_sim_publish(&sim->sd, svq);
	return got == 0;
}

/* Transmit and control queues; receive buffers wait for an injection. */
static bool pvnet_sim_process(struct pvlens_sim_dev *sd)
{
	struct pvnet_sim *sim = to_sim(sd);
	unsigned int i;

	for (i = 0; i < sd->nr_vqs; i++) {
		bool ok = true;

		if (pvnet_sim_is_ctrl(sim, i))
			ok = pvnet_sim_ctrl(sim, &sd->vqs[i]);
		else if (i & 1)
			ok = pvnet_sim_tx(sim, &sd->vqs[i]);
		if (!ok)
			return false;
	}
	return true;
}

static const struct pvlens_sim_ops pvnet_sim_ops = {
	.process	= pvnet_sim_process,
};

static bool pvnet_sim_is_tcp(enum pvnet_sim_kind kind)
{
	return kind == PVNET_SIM_TCP_GSO || kind == PVNET_SIM_TCP_GSO_ECN;
}

/* Room for the virtio header, then the frame of a datagram or segment
 * from 10.203.0.2:4000 to 10.203.0.1:4001 (broadcast MAC: the device need
 * not know the driver's address) carrying @payload bytes: a big-endian
 * sequence number, then bytes counting up from it, so a receiver can check
 * every byte.  UDP, or for the tcp_gso kinds one TCP segment of
 * @payload bytes, ECN-capable, with CWR for tcp_gso_ecn.
 */
static void *pvnet_sim_build(struct pvnet_sim *sim, enum pvnet_sim_kind kind,
			     unsigned int payload, size_t *len)
{
	static const u8 src_mac[ETH_ALEN] = { 0x02, 0x70, 0x76, 0x6c, 0, 2 };
	bool tcp = pvnet_sim_is_tcp(kind);
	size_t frame = (tcp ? PVNET_SIM_TCP_HDRS : PVNET_SIM_FRAME_HDRS) +
		       payload;
	struct ethhdr *eth;
	struct iphdr *ip;
	u8 *buf, *data;
	unsigned int i;
	u32 seq;

	buf = kzalloc(PVNET_SIM_HDR_LEN + frame, GFP_KERNEL);
	if (!buf)
		return NULL;
	eth = (struct ethhdr *)(buf + PVNET_SIM_HDR_LEN);
	eth_broadcast_addr(eth->h_dest);
	ether_addr_copy(eth->h_source, src_mac);
	eth->h_proto = htons(ETH_P_IP);

	ip = (struct iphdr *)(eth + 1);
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = tcp ? IPPROTO_TCP : IPPROTO_UDP;
	ip->tot_len = htons(frame - ETH_HLEN);
	ip->saddr = htonl(PVNET_SIM_SRC_IP);
	ip->daddr = htonl(PVNET_SIM_DST_IP);
	seq = sim->seq++;
	if (tcp) {
		struct tcphdr *th = (struct tcphdr *)(ip + 1);

		ip->tos = INET_ECN_ECT_0;
		th->source = htons(PVNET_SIM_SRC_PORT);
		th->dest = htons(PVNET_SIM_DST_PORT);
		th->seq = htonl(seq);
		th->doff = sizeof(*th) / 4;
		th->ack = 1;
		th->psh = 1;
		th->cwr = kind == PVNET_SIM_TCP_GSO_ECN;
		th->window = htons(U16_MAX);
		/* NEEDS_CSUM: the pseudo-header sum, the rest left to fill. */
		th->check = ~csum_tcpudp_magic(ip->saddr, ip->daddr,
					       sizeof(*th) + payload,
					       IPPROTO_TCP, 0);
		data = (u8 *)(th + 1);
	} else {
		struct udphdr *udp = (struct udphdr *)(ip + 1);

		/* UDP checksum 0: none, which IPv4 allows. */
		udp->source = htons(PVNET_SIM_SRC_PORT);
		udp->dest = htons(PVNET_SIM_DST_PORT);
		udp->len = htons(sizeof(*udp) + payload);
		data = (u8 *)(udp + 1);
	}
	ip->check = ip_fast_csum(ip, ip->ihl);

	for (i = 0; i < payload; i++)
		data[i] = i < 4 ? seq >> (24 - 8 * i) : (u8)(seq + i);
	*len = PVNET_SIM_HDR_LEN + frame;
	return buf;
}

/* The virtio header @kind asks for, the packet taking @num_buffers. */
static void pvnet_sim_header(struct virtio_net_hdr_mrg_rxbuf *h,
			     enum pvnet_sim_kind kind, size_t frame,
			     unsigned int num_buffers)
{
	memset(h, 0, sizeof(*h));
	h->num_buffers = __cpu_to_virtio16(true, num_buffers);
	switch (kind) {
	case PVNET_SIM_NUM_BUFFERS_ZERO:
		h->num_buffers = __cpu_to_virtio16(true, 0);
		break;
	case PVNET_SIM_NUM_BUFFERS_OVER:
		h->num_buffers = __cpu_to_virtio16(true, U16_MAX);
		break;
	case PVNET_SIM_NUM_BUFFERS_MISSING:
		h->num_buffers = __cpu_to_virtio16(true, num_buffers + 1);
		break;
	case PVNET_SIM_BAD_FLAGS:
		h->hdr.flags = 0x80;
		break;
	case PVNET_SIM_CSUM_BEYOND:
		h->hdr.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h->hdr.csum_start = __cpu_to_virtio16(true, frame);
		h->hdr.csum_offset = __cpu_to_virtio16(true, 6);
		break;
	case PVNET_SIM_BAD_GSO_TYPE:
		h->hdr.gso_type = 7;
		break;
	case PVNET_SIM_GSO_SIZE_ZERO:
		h->hdr.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		h->hdr.hdr_len = __cpu_to_virtio16(true, PVNET_SIM_FRAME_HDRS);
		break;
	case PVNET_SIM_HDR_LEN_BEYOND:
		h->hdr.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		h->hdr.gso_size = __cpu_to_virtio16(true, 1000);
		h->hdr.hdr_len = __cpu_to_virtio16(true, frame + 1);
		break;
	case PVNET_SIM_TCP_GSO:
	case PVNET_SIM_TCP_GSO_ECN:
		/* What a device with GUEST_TSO4 writes: one big segment. */
		h->hdr.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h->hdr.csum_start = __cpu_to_virtio16(true, PVNET_SIM_TCP_HDRS -
						      sizeof(struct tcphdr));
		h->hdr.csum_offset =
			__cpu_to_virtio16(true, offsetof(struct tcphdr, check));
		h->hdr.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		if (kind == PVNET_SIM_TCP_GSO_ECN)
			h->hdr.gso_type |= VIRTIO_NET_HDR_GSO_ECN;
		h->hdr.gso_size = __cpu_to_virtio16(true, PVNET_SIM_GSO_SIZE);
		h->hdr.hdr_len = __cpu_to_virtio16(true, PVNET_SIM_TCP_HDRS);
		break;
	default:
		break;
	}
}

/* Whether a packet of @kind is one the device may write, as negotiated. */
static bool pvnet_sim_valid(struct pvnet_sim *sim, enum pvnet_sim_kind kind)
{
	switch (kind) {
	case PVNET_SIM_GOOD:
		return true;
	case PVNET_SIM_TCP_GSO_ECN:
		if (!pvnet_sim_has(sim, VIRTIO_NET_F_GUEST_ECN))
			return false;
		fallthrough;
	case PVNET_SIM_TCP_GSO:
		return pvnet_sim_has(sim, VIRTIO_NET_F_GUEST_TSO4) &&
		       pvnet_sim_has(sim, VIRTIO_NET_F_GUEST_CSUM);
	default:
		return false;
	}
}

/* Writes one packet of @kind into receive queue 0 and interrupts, with
 * sd.lock held.  A mergeable packet takes as many buffers as it needs;
 * otherwise it must fit one chain.  Nothing is taken from the ring unless
 * the packet is written.
 */
static int pvnet_sim_inject(struct pvnet_sim *sim, enum pvnet_sim_kind kind,
			    unsigned int payload)
{
	struct pvlens_sim_dev *sd = &sim->sd;
	struct pvlens_sim_vq *svq = &sd->vqs[0];
	bool mergeable = pvnet_sim_has(sim, VIRTIO_NET_F_MRG_RXBUF);
	struct pvnet_sim_used *used = sim->used;
	struct virtio_net_hdr_mrg_rxbuf hdr;
	u16 last_avail = svq->last_avail;
	unsigned int n = 0, i;
	size_t len, off = 0;
	int got, err;
	u8 *pkt;

	if (!pvlens_sim_running(sd) || pvnet_sim_is_ctrl(sim, 0))
		return -ENETDOWN;
	if (!mergeable && kind >= PVNET_SIM_TOO_LONG_LATER &&
	    kind <= PVNET_SIM_NUM_BUFFERS_MISSING)
		return -EOPNOTSUPP;
	pkt = pvnet_sim_build(sim, kind, payload, &len);
	if (!pkt)
		return -ENOMEM;

	while (off < len) {
		struct pvlens_sim_chain *c = n ? &sim->chain : &sim->first;
		size_t take;

		/* One buffer for all but a mergeable packet. */
		err = -EMSGSIZE;
		if (n == PVNET_SIM_MAX_BUFS || (n && !mergeable))
			goto out_unpop;
		got = pvlens_sim_pop(sd, svq, c);
		if (got <= 0) {
			err = got ? got : -ENOBUFS;
			goto out_unpop;
		}
		if (c->nr_out || c->in_len < (n ? 1 : PVNET_SIM_HDR_LEN)) {
			err = -EIO;
			goto out_unpop;
		}
		take = min_t(size_t, c->in_len, len - off);
		pvlens_sim_push(c, 0, pkt + off, take);
		used[n].head = c->head;
		used[n].len = take;
		used[n].in_len = c->in_len;
		off += take;
		n++;
	}

	/* Its second buffer must exist to be wrong. */
	err = -EMSGSIZE;
	if (kind == PVNET_SIM_TOO_LONG_LATER && n < 2)
		goto out_unpop;
	pvnet_sim_header(&hdr, kind, len - PVNET_SIM_HDR_LEN, n);
	pvlens_sim_push(&sim->first, 0, &hdr, sizeof(hdr));
	if (kind == PVNET_SIM_SHORT)
		used[0].len = PVNET_SIM_HDR_LEN + ETH_HLEN - 1;
	else if (kind == PVNET_SIM_TOO_LONG)
		used[0].len = sim->first.in_len + 1;
	else if (kind == PVNET_SIM_TOO_LONG_LATER)
		used[1].len = used[1].in_len + 1;
	for (i = 0; i < n; i++)
		pvlens_sim_add_used(sd, svq, used[i].head, used[i].len);
	pvlens_sim_publish(sd, svq);

	sim->injected[kind]++;
	if (pvnet_sim_valid(sim, kind)) {
		sim->rx_packets++;
		sim->rx_bytes += len - PVNET_SIM_HDR_LEN;
	}
	kfree(pkt);
	return 0;

out_unpop:
	/* Not published: the driver never saw these buffers go. */
	svq->last_avail = last_avail;
	kfree(pkt);
	return err;
}

/* "<kind> [payload bytes]", the payload 4..65507 (default 64; the TCP
 * kinds' at most 65495).
 */
static ssize_t pvnet_sim_inject_write(struct file *file,
				      const char __user *ubuf, size_t count,
				      loff_t *ppos)
{
	struct pvnet_sim *sim = file->private_data;
	unsigned int payload = 64;
	char buf[64], name[24];
	int kind, n, err;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	n = sscanf(buf, "%23s %u", name, &payload);
	if (n < 1)
		return -EINVAL;
	kind = match_string(pvnet_sim_kinds, PVNET_SIM_NR_KINDS, name);
	if (kind < 0 || payload < 4 || payload > PVNET_SIM_MAX_PAYLOAD ||
	    (pvnet_sim_is_tcp(kind) &&
	     payload > 0xffff - (PVNET_SIM_TCP_HDRS - ETH_HLEN)))
		return -EINVAL;

	mutex_lock(&sim->sd.lock);
	err = pvnet_sim_inject(sim, kind, payload);
	mutex_unlock(&sim->sd.lock);
	return err ? err : count;
}

static const struct file_operations pvnet_sim_inject_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= pvnet_sim_inject_write,
	.llseek	= noop_llseek,
};

static int pvnet_sim_config_show(struct seq_file *m, void *v)
{
	struct pvnet_sim *sim = m->private;
	struct virtio_net_config c;
	unsigned int nr_vqs;

	pvlens_sim_read_config(&sim->sd, &c);
	mutex_lock(&sim->sd.lock);
	nr_vqs = sim->sd.nr_vqs;
	mutex_unlock(&sim->sd.lock);

	seq_printf(m, "mac %pM\n", c.mac);
	seq_printf(m, "max_virtqueue_pairs %u\n",
		   __virtio16_to_cpu(true, c.max_virtqueue_pairs));
	seq_printf(m, "mtu %u\n", __virtio16_to_cpu(true, c.mtu));
	seq_printf(m, "queues %u\n", nr_vqs);
	pvlens_sim_show_status(m, &sim->sd);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pvnet_sim_config);

static int pvnet_sim_tx_last_gso_show(struct seq_file *m, void *v)
{
	struct pvnet_sim *sim = m->private;
	struct virtio_net_hdr h;
	u64 len;

	mutex_lock(&sim->sd.lock);
	h = sim->tx_last_gso;
	len = sim->tx_last_gso_len;
	mutex_unlock(&sim->sd.lock);
	seq_printf(m, "flags %u gso_type %u hdr_len %u gso_size %u csum_start %u csum_offset %u len %llu\n",
		   h.flags, h.gso_type, __virtio16_to_cpu(true, h.hdr_len),
		   __virtio16_to_cpu(true, h.gso_size),
		   __virtio16_to_cpu(true, h.csum_start),
		   __virtio16_to_cpu(true, h.csum_offset), len);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pvnet_sim_tx_last_gso);

static void pvnet_sim_debugfs_add(struct pvnet_sim *sim)
{
	struct dentry *dir = debugfs_create_dir(PVNET_SIM_NAME, NULL);
	char name[40];
	unsigned int k;

	sim->debugfs = dir;
	debugfs_create_u64("tx_packets", 0444, dir, &sim->tx_packets);
	debugfs_create_u64("tx_bytes", 0444, dir, &sim->tx_bytes);
	debugfs_create_u64("tx_needs_csum", 0444, dir, &sim->tx_needs_csum);
	debugfs_create_u64("tx_gso_tcpv4", 0444, dir, &sim->tx_gso_tcpv4);
	debugfs_create_u64("tx_gso_tcpv6", 0444, dir, &sim->tx_gso_tcpv6);
	debugfs_create_u64("tx_gso_ecn", 0444, dir, &sim->tx_gso_ecn);
	debugfs_create_u64("tx_tcp", 0444, dir, &sim->tx_tcp);
	debugfs_create_u64("tx_tcp_cwr", 0444, dir, &sim->tx_tcp_cwr);
	debugfs_create_u32("tx_tcp_cwr_seq", 0444, dir, &sim->tx_tcp_cwr_seq);
	debugfs_create_u64("tx_tcp_csum_ok", 0444, dir, &sim->tx_tcp_csum_ok);
	debugfs_create_u64("tx_tcp_csum_bad", 0444, dir, &sim->tx_tcp_csum_bad);
	debugfs_create_file("tx_last_gso", 0444, dir, sim,
			    &pvnet_sim_tx_last_gso_fops);
	debugfs_create_x64("guest_offloads", 0444, dir, &sim->guest_offloads);
	debugfs_create_u64("guest_offloads_sets", 0444, dir,
			   &sim->guest_offloads_sets);
	debugfs_create_u64("ctrl_commands", 0444, dir, &sim->ctrl_commands);
	debugfs_create_u64("ctrl_refused", 0444, dir, &sim->ctrl_refused);
	debugfs_create_u64("rx_packets", 0444, dir, &sim->rx_packets);
	debugfs_create_u64("rx_bytes", 0444, dir, &sim->rx_bytes);
	for (k = 0; k < PVNET_SIM_NR_KINDS; k++) {
		snprintf(name, sizeof(name), "injected_%s", pvnet_sim_kinds[k]);
		debugfs_create_u64(name, 0444, dir, &sim->injected[k]);
	}
	pvlens_sim_debugfs_add(&sim->sd, dir);
	debugfs_create_file("config", 0444, dir, sim, &pvnet_sim_config_fops);
	debugfs_create_file("inject", 0200, dir, sim, &pvnet_sim_inject_fops);
}

static int __init pvnet_sim_init(void)
{
	static const u8 dev_mac[ETH_ALEN] = { 0x02, 0x70, 0x76, 0x6c, 0, 1 };
	bool nonsense = !max_pairs || max_pairs > VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX;
	struct pvnet_sim *sim;
	int err;

	/* A valid count must be served: the driver would ask for its queues. */
	if (!nonsense && max_pairs > PVNET_SIM_MAX_PAIRS) {
		pr_err("max_pairs %u: at most %u served (0 or above %u for nonsense)\n",
		       max_pairs, PVNET_SIM_MAX_PAIRS,
		       VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX);
		return -EINVAL;
	}
	if (mtu > U16_MAX || max_pairs > U16_MAX) {
		pr_err("mtu %u or max_pairs %u does not fit its 16-bit field\n",
		       mtu, max_pairs);
		return -EINVAL;
	}

	sim = kzalloc(sizeof(*sim), GFP_KERNEL);
	if (!sim)
		return -ENOMEM;
	if (mac)
		ether_addr_copy(sim->config.mac, dev_mac);
	sim->config.max_virtqueue_pairs = __cpu_to_virtio16(true, max_pairs);
	sim->config.mtu = __cpu_to_virtio16(true, mtu);

	sim->sd.ops = &pvnet_sim_ops;
	sim->sd.name = PVNET_SIM_NAME;
	sim->sd.device_features = pvnet_sim_features();
	sim->sd.config = &sim->config;
	sim->sd.config_size = sizeof(sim->config);
	sim->sd.queue_size = PVNET_SIM_QUEUE_SIZE;
	sim->sd.max_vqs = PVLENS_SIM_MAX_VQS;
	err = pvlens_sim_register(&sim->sd, VIRTIO_ID_NET);
	if (err) {
		kfree(sim);
		return err;
	}
	pvnet_sim_debugfs_add(sim);
	pvnet_sim = sim;
	pr_info("%s: max_virtqueue_pairs %u, mtu %u, features 0x%llx\n",
		dev_name(&sim->sd.vdev.dev), max_pairs, mtu,
		sim->sd.device_features);
	return 0;
}

static void __exit pvnet_sim_exit(void)
{
	struct pvnet_sim *sim = pvnet_sim;

	debugfs_remove_recursive(sim->debugfs);
	pvlens_sim_unregister(&sim->sd);
	kfree(sim);
}
module_init(pvnet_sim_init);
module_exit(pvnet_sim_exit);

MODULE_DESCRIPTION("Simulated virtio-net device that writes malformed packets on request, for pvlens_net tests");
MODULE_LICENSE("GPL");
