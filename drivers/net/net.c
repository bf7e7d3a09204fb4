// SPDX-License-Identifier: GPL-2.0
/*
 * pvlens_net: a virtio-net driver that reports its own virtualization overhead
 * (kicks, interrupts, per-queue latency) through pvlens_core.
 *
 * Datapath behaviour follows the in-tree 6.1 virtio_net for virtio 1.0
 * devices; XDP, RSS and failover are not supported.
 */
#include <linux/average.h>
#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/if_vlan.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/poison.h>
#include <linux/rtnetlink.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/u64_stats_sync.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <net/page_pool.h>
#include <net/route.h>
#include <net/sock.h>
#include <pvlens/core.h>
#include <pvlens/fault.h>
#include <pvlens/net_check.h>

#define PVNET_GOOD_PACKET_LEN	(ETH_HLEN + VLAN_HLEN + ETH_DATA_LEN)
/* Packets up to this size are copied so their buffer can be reused. */
#define PVNET_GOOD_COPY_LEN	128
#define PVNET_RX_PAD		(NET_IP_ALIGN + NET_SKB_PAD)
/* Big mode puts the header alone in its own descriptor, data starts here. */
#define PVNET_BIG_DATA_OFF	16
/* Mergeable buffers are cut from 32 KiB pages, as in-tree (page_frag).  They
 * come from a page pool per queue, so that a page whose packets the stack
 * has all freed is cut again as it is: a new page is zeroed first wherever
 * init_on_alloc is on (Debian's default), 8 pages per 20 full frames.
 */
#define PVNET_RX_PAGE_ORDER	SKB_FRAG_PAGE_ORDER
/* The pool's ring of freed pages (2 MiB): more go back to the kernel.  Its
 * allocation cache holds up to 128 more, taken from the ring 64 at a time.
 * With 32, TCP under make bench took 1.08x in-tree's instead of 1.10x: more
 * pages came new (zeroed) after a burst of frees overflowed the ring.
 */
#define PVNET_RX_POOL_PAGES	64
/* A page's fragment count while it is being cut: each buffer holds one. */
#define PVNET_RX_PAGE_BIAS	LONG_MAX
/* A driver limit: the spec allows 0x8000 pairs, nobody needs that many. */
#define PVNET_MAX_QUEUE_PAIRS	64
#define PVNET_CTRL_TIMEOUT	(5 * HZ)
#define PVNET_TX_STOP_ROOM	(2 + MAX_SKB_FRAGS)
/* ethtool -G: a smaller tx ring would stop and never wake, and a big-mode
 * chain without indirect descriptors takes as many.
 */
#define PVNET_MIN_RING		PVNET_TX_STOP_ROOM

/* Receive packet size EWMA: sizes mergeable buffers.  The weight makes the
 * average insensitive to a ring's worth of odd packets.
 */
DECLARE_EWMA(pkt_len, 0, 64)

/* As the in-tree driver's parameter of the same name; ethtool -C tx-frames
 * 0/1 changes it per device while the interface is down.
 */
static bool napi_tx = true;
module_param(napi_tx, bool, 0644);
MODULE_PARM_DESC(napi_tx,
		 "Reap transmit completions in NAPI (default Y); N: at the next transmit, without tx interrupts, as the in-tree napi_tx=N");

/* The in-tree driver's csum and gso: N leaves the offload off at probe, yet
 * offered (ethtool -K turns it on).
 */
static bool csum = true, gso = true;
module_param(csum, bool, 0444);
MODULE_PARM_DESC(csum, "Transmit checksum offload (and so TSO) on at probe (default Y)");
module_param(gso, bool, 0444);
MODULE_PARM_DESC(gso, "TSO on at probe (default Y)");

enum pvnet_class {
	PVNET_CLS_RX,
	PVNET_CLS_TX,
	PVNET_CLS_CTRL,
	PVNET_NR_CLASSES,
};

static const char * const pvnet_classes[PVNET_NR_CLASSES] = {
	[PVNET_CLS_RX] = "rx",
	[PVNET_CLS_TX] = "tx",
	[PVNET_CLS_CTRL] = "ctrl",
};

enum pvnet_counter {
	PVNET_C_NAPI_POLLS,
	PVNET_C_NAPI_BUDGET_EXHAUSTED,
	PVNET_C_TX_RING_FULL,
	PVNET_C_TX_WAKES,
	PVNET_C_TX_TIMEOUTS,
	PVNET_C_TX_ERRORS,
	PVNET_C_RX_DROP_SHORT,
	PVNET_C_RX_DROP_TOO_LONG,
	PVNET_C_RX_DROP_NUM_BUFFERS,
	PVNET_C_RX_DROP_BAD_HDR,
	PVNET_C_RX_DROP_NOMEM,
	PVNET_C_RX_REFILL_FAILED,
	PVNET_C_RX_BUFFERS,
	PVNET_C_RX_PAGES,
	PVNET_C_RX_PAGES_NEW,
	PVNET_C_RX_POOL_EMPTY,
	PVNET_NR_COUNTERS,
};

static const char * const pvnet_counters[PVNET_NR_COUNTERS] = {
	[PVNET_C_NAPI_POLLS] = "napi_polls",
	[PVNET_C_NAPI_BUDGET_EXHAUSTED] = "napi_budget_exhausted",
	[PVNET_C_TX_RING_FULL] = "tx_ring_full",
	[PVNET_C_TX_WAKES] = "tx_wakes",
	[PVNET_C_TX_TIMEOUTS] = "tx_timeouts",
	[PVNET_C_TX_ERRORS] = "tx_drop_errors",
	[PVNET_C_RX_DROP_SHORT] = "rx_drop_short",
	[PVNET_C_RX_DROP_TOO_LONG] = "rx_drop_too_long",
	[PVNET_C_RX_DROP_NUM_BUFFERS] = "rx_drop_num_buffers",
	[PVNET_C_RX_DROP_BAD_HDR] = "rx_drop_bad_hdr",
	[PVNET_C_RX_DROP_NOMEM] = "rx_drop_nomem",
	[PVNET_C_RX_REFILL_FAILED] = "rx_refill_failed",
	[PVNET_C_RX_BUFFERS] = "rx_buffers",
	[PVNET_C_RX_PAGES] = "rx_pages",
	[PVNET_C_RX_PAGES_NEW] = "rx_pages_new",
	[PVNET_C_RX_POOL_EMPTY] = "rx_pool_empty",
};

static_assert(PVNET_NR_COUNTERS <= PVLENS_MAX_COUNTERS);

/* Where each device-input verdict of pvlens/net_check.h is counted. */
static const u8 pvnet_rx_drop_counter[PVNET_RX_NR_VERDICTS] = {
	[PVNET_RX_SHORT] = PVNET_C_RX_DROP_SHORT,
	[PVNET_RX_TOO_LONG] = PVNET_C_RX_DROP_TOO_LONG,
	[PVNET_RX_NUM_BUFFERS] = PVNET_C_RX_DROP_NUM_BUFFERS,
	[PVNET_RX_HDR_FLAGS ... PVNET_RX_HDR_LEN] = PVNET_C_RX_DROP_BAD_HDR,
};

static const struct pvlens_desc pvnet_desc = {
	.classes = pvnet_classes,
	.nr_classes = PVNET_NR_CLASSES,
	.counters = pvnet_counters,
	.nr_counters = PVNET_NR_COUNTERS,
};

static const unsigned long pvnet_guest_offloads[] = {
	VIRTIO_NET_F_GUEST_TSO4,
	VIRTIO_NET_F_GUEST_TSO6,
	VIRTIO_NET_F_GUEST_ECN,
	VIRTIO_NET_F_GUEST_UFO,
	VIRTIO_NET_F_GUEST_CSUM,
};

#define PVNET_GRO_HW_OFFLOADS	(BIT_ULL(VIRTIO_NET_F_GUEST_TSO4) | \
				 BIT_ULL(VIRTIO_NET_F_GUEST_TSO6) | \
				 BIT_ULL(VIRTIO_NET_F_GUEST_ECN) | \
				 BIT_ULL(VIRTIO_NET_F_GUEST_UFO))

/* What the stack sees in /sys/class/net/<if>/statistics. */
struct pvnet_rq_stats {
	struct u64_stats_sync syncp;
	u64 packets;
	u64 bytes;
	u64 drops;
	u64 length_errors;
	u64 frame_errors;
};

struct pvnet_sq_stats {
	struct u64_stats_sync syncp;
	u64 packets;
	u64 bytes;
	u64 dropped;
	u64 timeouts;
};

struct pvnet_rq {
	struct virtqueue *vq;
	struct napi_struct napi;
	struct pvlens_queue *pq;
	/* Big mode: spare pages chained through page->private. */
	struct page *pages;
	struct ewma_pkt_len avg_len;
	/* Mergeable mode: the page pool, the page buffers are cut from (its
	 * next free byte, the buffers cut so far), and the fallback when the
	 * pool has no page.
	 */
	struct page_pool *pool;
	struct page *pool_page;
	unsigned int pool_offset;
	long pool_page_users;
	struct page_frag alloc_frag;
	unsigned int min_buf_len;
	/* Time of the callback that scheduled NAPI, for the rx latency. */
	u64 irq_ts;
	/* virtqueue_enable_cb_prepare() cookie: tells spurious callbacks. */
	unsigned int cb_opaque;
	struct pvnet_rq_stats stats;
	struct scatterlist sg[MAX_SKB_FRAGS + 2];
	char name[16];
};

enum { PVNET_SQ_FULL_STOP };

struct pvnet_sq {
	struct virtqueue *vq;
	struct napi_struct napi;
	struct pvlens_queue *pq;
	unsigned int cb_opaque;
	/* Under the tx lock: a resize owns the ring, rx NAPI keeps off. */
	bool reset;
	/* Under the tx lock: the start time of the burst being queued
	 * (more packets follow, no kick yet), 0 between bursts, and the
	 * jiffy it began in.
	 */
	u64 burst_ts;
	unsigned long burst_jiffies;
	/* Packets the resize took back from the ring unsent. */
	unsigned int recycled;
	/* PVNET_SQ_FULL_STOP: stopped for a full ring and not yet woken by a
	 * completion.  Without tx NAPI the tx interrupt wakes the queue
	 * outside the tx lock, racing the transmit path's own restart; the
	 * bit lets exactly one of them count the wake.
	 */
	unsigned long state;
	struct pvnet_sq_stats stats;
	struct scatterlist sg[MAX_SKB_FRAGS + 2];
	char name[16];
};

/* Control command buffers: read by the device, so never on the stack. */
struct pvnet_ctrl {
	struct virtio_net_ctrl_hdr hdr;
	virtio_net_ctrl_ack status;
	u8 promisc;
	u8 allmulti;
	__virtio16 vid;
	struct virtio_net_ctrl_mq mq;
	__virtio64 offloads;
	u8 mac[ETH_ALEN];
};

struct pvnet_info {
	struct virtio_device *vdev;
	struct net_device *dev;
	struct pvnet_rq *rq;
	struct pvnet_sq *sq;
	struct virtqueue *cvq;
	struct pvlens_queue *cvq_pq;
	struct pvlens_dev *pd;
	const char **queue_names;

	u16 max_queue_pairs;
	u16 curr_queue_pairs;
	unsigned int hdr_len;
	bool mergeable_rx_bufs;
	bool big_packets;
	unsigned int big_packets_num_skbfrags;
	bool has_cvq;

	/* Serialises the control virtqueue and its buffers. */
	struct mutex cvq_lock;
	struct pvnet_ctrl *ctrl;
	bool cvq_dead;

	/* Link status bits as last seen, under rtnl in config_work. */
	u16 status;
	u32 speed;
	u8 duplex;
	u64 guest_offloads;
	u64 guest_offloads_capable;

	struct delayed_work refill;
	/* Guards refill_enabled: NAPI must not queue refill work after close. */
	spinlock_t refill_lock;
	bool refill_enabled;

	struct work_struct config_work;

	struct work_struct rx_mode_work;
	/* Guards rx_mode_work_enabled: no rx mode work after remove starts. */
	spinlock_t rx_mode_lock;
	bool rx_mode_work_enabled;

	/* Under rtnl: between freeze and a successful restore the device has
	 * no virtqueues, NAPI is off and the interface detached.
	 */
	bool frozen;
};

/* skb->cb while the driver owns a transmitted skb. */
struct pvnet_skb_cb {
	struct virtio_net_hdr_mrg_rxbuf hdr;
	u64 start_ts;
};

static inline struct pvnet_skb_cb *pvnet_skb_cb(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct pvnet_skb_cb) > sizeof(skb->cb));
	return (struct pvnet_skb_cb *)skb->cb;
}

static unsigned int vq2txq(struct virtqueue *vq)
{
	return (vq->index - 1) / 2;
}

static unsigned int vq2rxq(struct virtqueue *vq)
{
	return vq->index / 2;
}

static unsigned int rxq2vq(unsigned int rxq)
{
	return rxq * 2;
}

static unsigned int txq2vq(unsigned int txq)
{
	return txq * 2 + 1;
}

/* ----- receive buffers ----- */

static void pvnet_give_pages(struct pvnet_rq *rq, struct page *page)
{
	struct page *end;

	for (end = page; end->private; end = (struct page *)end->private)
		;
	end->private = (unsigned long)rq->pages;
	rq->pages = page;
}

static struct page *pvnet_get_a_page(struct pvnet_rq *rq, gfp_t gfp)
{
	struct page *p = rq->pages;

	if (p) {
		rq->pages = (struct page *)p->private;
		p->private = 0;
	} else {
		p = pvlens_fault_null(alloc_page(gfp));
	}
	return p;
}

static unsigned int pvnet_small_buf_len(struct pvnet_info *vi)
{
	return SKB_DATA_ALIGN(PVNET_RX_PAD + vi->hdr_len +
			      PVNET_GOOD_PACKET_LEN) +
	       SKB_DATA_ALIGN(sizeof(struct skb_shared_info));
}

/* What a small buffer offers the device, the virtio header included. */
static unsigned int pvnet_small_rx_len(struct pvnet_info *vi)
{
	return vi->hdr_len + PVNET_GOOD_PACKET_LEN;
}

static int pvnet_add_recvbuf_small(struct pvnet_info *vi, struct pvnet_rq *rq,
				   gfp_t gfp)
{
	struct page_frag *frag = &rq->alloc_frag;
	unsigned int len = pvnet_small_buf_len(vi);
	char *buf;
	int err;

	if (unlikely(pvlens_should_fail() ||
		     !skb_page_frag_refill(len, frag, gfp)))
		return -ENOMEM;

	buf = (char *)page_address(frag->page) + frag->offset;
	get_page(frag->page);
	frag->offset += len;
	sg_init_one(rq->sg, buf + PVNET_RX_PAD, pvnet_small_rx_len(vi));
	err = virtqueue_add_inbuf(rq->vq, rq->sg, 1, buf, gfp);
	if (err < 0)
		put_page(virt_to_head_page(buf));
	return err;
}

static int pvnet_add_recvbuf_big(struct pvnet_info *vi, struct pvnet_rq *rq,
				 gfp_t gfp)
{
	unsigned int nfrags = vi->big_packets_num_skbfrags;
	struct page *first, *list = NULL;
	char *p;
	int i, err;

	sg_init_table(rq->sg, nfrags + 2);

	/* Build the chain from its tail so it matches the sg order. */
	for (i = nfrags + 1; i > 1; --i) {
		first = pvnet_get_a_page(rq, gfp);
		if (!first) {
			if (list)
				pvnet_give_pages(rq, list);
			return -ENOMEM;
		}
		sg_set_buf(&rq->sg[i], page_address(first), PAGE_SIZE);
		first->private = (unsigned long)list;
		list = first;
	}

	first = pvnet_get_a_page(rq, gfp);
	if (!first) {
		if (list)
			pvnet_give_pages(rq, list);
		return -ENOMEM;
	}
	p = page_address(first);
	sg_set_buf(&rq->sg[0], p, vi->hdr_len);
	sg_set_buf(&rq->sg[1], p + PVNET_BIG_DATA_OFF,
		   PAGE_SIZE - PVNET_BIG_DATA_OFF);
	first->private = (unsigned long)list;

	err = virtqueue_add_inbuf(rq->vq, rq->sg, nfrags + 2, first, gfp);
	if (err < 0)
		pvnet_give_pages(rq, first);
	return err;
}

static unsigned int pvnet_mergeable_buf_len(struct pvnet_info *vi,
					    struct pvnet_rq *rq)
{
	unsigned int len;

	len = vi->hdr_len + clamp_t(unsigned int, ewma_pkt_len_read(&rq->avg_len),
				    rq->min_buf_len, PAGE_SIZE - vi->hdr_len);
	return ALIGN(len, L1_CACHE_BYTES);
}

#ifdef CONFIG_SYSFS
/* As in-tree: queues/rx-<q>/virtio_net/mergeable_rx_buffer_size, the size
 * the next posted buffer gets (the EWMA of received packets, clamped).
 */
static ssize_t mergeable_rx_buffer_size_show(struct netdev_rx_queue *queue,
					     char *buf)
{
	struct pvnet_info *vi = netdev_priv(queue->dev);
	unsigned int index = get_netdev_rx_queue_index(queue);

	if (WARN_ON_ONCE(index >= vi->max_queue_pairs))
		return -EINVAL;
	return sysfs_emit(buf, "%u\n",
			  pvnet_mergeable_buf_len(vi, &vi->rq[index]));
}

static struct rx_queue_attribute mergeable_rx_buffer_size_attribute =
	__ATTR_RO(mergeable_rx_buffer_size);

static struct attribute *pvnet_mrg_rx_attrs[] = {
	&mergeable_rx_buffer_size_attribute.attr,
	NULL
};

static const struct attribute_group pvnet_mrg_rx_group = {
	.name = "virtio_net",
	.attrs = pvnet_mrg_rx_attrs,
};
#endif

static unsigned int pvnet_mergeable_min_buf_len(struct pvnet_info *vi,
						struct virtqueue *vq)
{
	unsigned int rq_size = virtqueue_get_vring_size(vq);
	unsigned int packet_len = vi->big_packets ? IP_MAX_MTU :
						    vi->dev->max_mtu;
	unsigned int buf_len = vi->hdr_len + ETH_HLEN + VLAN_HLEN + packet_len;
	unsigned int min_buf_len = DIV_ROUND_UP(buf_len, rq_size);

	/* A ring full of buffers must hold at least one largest packet. */
	return max(max(min_buf_len, vi->hdr_len) - vi->hdr_len,
		   (unsigned int)PVNET_GOOD_PACKET_LEN);
}

/* Kernels without CONFIG_PAGE_POOL (nothing built in selects it) get page
 * fragments only, as in-tree.
 */
static bool pvnet_is_pool_page(struct page *page)
{
	/* As page_pool_return_skb_page(): the low bits are the page's own. */
	return IS_ENABLED(CONFIG_PAGE_POOL) &&
	       (page->pp_magic & ~0x3UL) == PP_SIGNATURE;
}

static void pvnet_mark_for_recycle(struct sk_buff *skb)
{
#ifdef CONFIG_PAGE_POOL
	skb_mark_for_recycle(skb);
#endif
}

/* Give back a mergeable buffer's page reference.  Only the queue's owner
 * calls this (its NAPI, or code that disabled it), so a pool page may go
 * straight into the pool's lockless cache.
 */
static void pvnet_put_rx_page(struct page *page)
{
	if (pvnet_is_pool_page(page))
		page_pool_put_full_page(page->pp, page, true);
	else
		put_page(page);
}

/* Stop cutting the pool page: drop the references no buffer took.  If all
 * its buffers are back already, the page is the pool's again.
 */
static void pvnet_pool_page_done(struct pvnet_rq *rq)
{
	struct page *page = rq->pool_page;

	rq->pool_page = NULL;
	if (IS_ENABLED(CONFIG_PAGE_POOL) && page &&
	    !page_pool_defrag_page(page, PVNET_RX_PAGE_BIAS -
						  rq->pool_page_users))
		page_pool_put_defragged_page(rq->pool, page, -1, true);
}

/* Move a page's cut @offset past a buffer of *@len.  As in-tree, a tail too
 * short for another buffer is added to this one.
 */
static void pvnet_cut_advance(unsigned int *offset, unsigned int size,
			      unsigned int *len)
{
	*offset += *len;
	if (size - *offset < *len) {
		*len += size - *offset;
		*offset = size;
	}
}

/* A buffer of *@len bytes from a pool page, NULL if the pool has none. */
static void *pvnet_pool_cut(struct pvnet_rq *rq, unsigned int *len, gfp_t gfp)
{
	const unsigned int size = PAGE_SIZE << PVNET_RX_PAGE_ORDER;
	void *buf;

	if (!IS_ENABLED(CONFIG_PAGE_POOL) || unlikely(!rq->pool))
		return NULL;
	if (rq->pool_page && rq->pool_offset + *len > size)
		pvnet_pool_page_done(rq);
	if (!rq->pool_page) {
		/* As skb_page_frag_refill(): no reclaim for a large page. */
		struct page *page = page_pool_alloc_pages(rq->pool,
				(gfp & ~__GFP_DIRECT_RECLAIM) | __GFP_NOWARN |
				__GFP_NORETRY);

		if (unlikely(!page))
			return NULL;
		page_pool_fragment_page(page, PVNET_RX_PAGE_BIAS);
		pvlens_count(rq->pq, PVNET_C_RX_PAGES, 1);
		rq->pool_page = page;
		rq->pool_offset = 0;
		rq->pool_page_users = 0;
	}

	buf = page_address(rq->pool_page) + rq->pool_offset;
	rq->pool_page_users++;
	pvnet_cut_advance(&rq->pool_offset, size, len);
	return buf;
}

/* The same from the queue's page_frag, when the pool could not help. */
static void *pvnet_frag_cut(struct pvnet_rq *rq, unsigned int *len, gfp_t gfp)
{
	struct page_frag *frag = &rq->alloc_frag;
	unsigned int hole;
	char *buf;

	if (unlikely(!skb_page_frag_refill(*len, frag, gfp)))
		return NULL;
	buf = (char *)page_address(frag->page) + frag->offset;
	get_page(frag->page);
	frag->offset += *len;
	hole = frag->size - frag->offset;
	if (hole < *len) {
		*len += hole;
		frag->offset += hole;
	}
	return buf;
}

static int pvnet_add_recvbuf_mergeable(struct pvnet_info *vi,
				       struct pvnet_rq *rq, gfp_t gfp)
{
	unsigned int len = pvnet_mergeable_buf_len(vi, rq);
	void *buf;
	int err;

	if (unlikely(pvlens_should_fail()))
		return -ENOMEM;
	buf = pvnet_pool_cut(rq, &len, gfp);
	if (unlikely(!buf)) {
		pvlens_count(rq->pq, PVNET_C_RX_POOL_EMPTY, 1);
		buf = pvnet_frag_cut(rq, &len, gfp);
		if (unlikely(!buf))
			return -ENOMEM;
	}

	sg_init_one(rq->sg, buf, len);
	/* The buffer's true size travels as the context: it bounds used len. */
	err = virtqueue_add_inbuf_ctx(rq->vq, rq->sg, 1, buf,
				      (void *)(unsigned long)len, gfp);
	if (err < 0)
		pvnet_put_rx_page(virt_to_head_page(buf));
	return err;
}

/* Fill the ring.  Runs in NAPI, or with NAPI disabled (open, refill work),
 * which also serialises the pvlens inflight count of the queue.
 * Returns false when memory ran out before the ring was full.
 */
static bool pvnet_try_fill_recv(struct pvnet_info *vi, struct pvnet_rq *rq,
				gfp_t gfp)
{
	unsigned int added = 0;
	int err;

	do {
		if (vi->mergeable_rx_bufs)
			err = pvnet_add_recvbuf_mergeable(vi, rq, gfp);
		else if (vi->big_packets)
			err = pvnet_add_recvbuf_big(vi, rq, gfp);
		else
			err = pvnet_add_recvbuf_small(vi, rq, gfp);
		if (err)
			break;
		added++;
	} while (rq->vq->num_free);

	if (added)
		pvlens_inflight_add(rq->pq, added);
	pvlens_kick(rq->pq, rq->vq);

	if (err == -ENOMEM) {
		pvlens_count(rq->pq, PVNET_C_RX_REFILL_FAILED, 1);
		return false;
	}
	return true;
}

static void pvnet_enable_delayed_refill(struct pvnet_info *vi)
{
	spin_lock_bh(&vi->refill_lock);
	vi->refill_enabled = true;
	spin_unlock_bh(&vi->refill_lock);
}

static void pvnet_disable_delayed_refill(struct pvnet_info *vi)
{
	spin_lock_bh(&vi->refill_lock);
	vi->refill_enabled = false;
	spin_unlock_bh(&vi->refill_lock);
}

static void pvnet_napi_schedule(struct napi_struct *napi, struct virtqueue *vq)
{
	if (napi_schedule_prep(napi)) {
		virtqueue_disable_cb(vq);
		__napi_schedule(napi);
	}
}

static void pvnet_napi_enable(struct virtqueue *vq, struct napi_struct *napi)
{
	napi_enable(napi);
	/* The device may have filled everything before NAPI was enabled and
	 * will not interrupt again: poll once.  BHs go back on to run it.
	 */
	local_bh_disable();
	pvnet_napi_schedule(napi, vq);
	local_bh_enable();
}

/* A tx NAPI of weight 0 (tx NAPI off) is never enabled, nor disabled: the
 * weight changes only while the interface is down.
 */
static void pvnet_tx_napi_enable(struct pvnet_sq *sq)
{
	if (sq->napi.weight)
		pvnet_napi_enable(sq->vq, &sq->napi);
}

static void pvnet_tx_napi_disable(struct pvnet_sq *sq)
{
	if (sq->napi.weight)
		napi_disable(&sq->napi);
}

static void pvnet_refill_work(struct work_struct *work)
{
	struct pvnet_info *vi = container_of(work, struct pvnet_info,
					     refill.work);
	bool still_empty;
	unsigned int i;

	for (i = 0; i < vi->curr_queue_pairs; i++) {
		struct pvnet_rq *rq = &vi->rq[i];

		napi_disable(&rq->napi);
		still_empty = !pvnet_try_fill_recv(vi, rq, GFP_KERNEL);
		pvnet_napi_enable(rq->vq, &rq->napi);

		/* Without buffers the device never interrupts: retry. */
		if (still_empty)
			schedule_delayed_work(&vi->refill, HZ / 2);
	}
}

/* ----- receive ----- */

static void pvnet_rx_drop(struct pvnet_rq *rq, unsigned int reason)
{
	pvlens_count(rq->pq, reason, 1);
	u64_stats_update_begin(&rq->stats.syncp);
	rq->stats.drops++;
	if (reason == PVNET_C_RX_DROP_BAD_HDR)
		rq->stats.frame_errors++;
	else if (reason != PVNET_C_RX_DROP_NOMEM)
		rq->stats.length_errors++;
	u64_stats_update_end(&rq->stats.syncp);
}

static void pvnet_free_rx_buf(struct pvnet_info *vi, struct pvnet_rq *rq,
			      void *buf)
{
	if (vi->mergeable_rx_bufs || !vi->big_packets)
		pvnet_put_rx_page(virt_to_head_page(buf));
	else
		pvnet_give_pages(rq, buf);
}

/* What a big-mode chain takes in, as far as the skb can hold it. */
static unsigned int pvnet_big_chain_len(struct pvnet_info *vi)
{
	return pvnet_big_rx_len(vi->hdr_len, PAGE_SIZE, PVNET_BIG_DATA_OFF,
				vi->big_packets_num_skbfrags, MAX_SKB_FRAGS);
}

/* @len was checked by pvnet_check_rx_first(), as in the two below. */
static struct sk_buff *pvnet_receive_small(struct pvnet_info *vi,
					   struct pvnet_rq *rq, void *buf,
					   unsigned int len)
{
	struct sk_buff *skb;

	skb = pvlens_fault_null(build_skb(buf, pvnet_small_buf_len(vi)));
	if (unlikely(!skb)) {
		pvnet_rx_drop(rq, PVNET_C_RX_DROP_NOMEM);
		put_page(virt_to_head_page(buf));
		return NULL;
	}
	skb_reserve(skb, PVNET_RX_PAD + vi->hdr_len);
	skb_put(skb, len - vi->hdr_len);
	return skb;
}

static struct sk_buff *pvnet_receive_big(struct pvnet_info *vi,
					 struct pvnet_rq *rq, struct page *page,
					 unsigned int len)
{
	unsigned int offset, copy, size;
	struct sk_buff *skb;
	struct page *next;
	char *data;

	skb = pvlens_fault_null(napi_alloc_skb(&rq->napi, PVNET_GOOD_COPY_LEN));
	if (unlikely(!skb)) {
		pvnet_rx_drop(rq, PVNET_C_RX_DROP_NOMEM);
		pvnet_give_pages(rq, page);
		return NULL;
	}

	len -= vi->hdr_len;
	offset = PVNET_BIG_DATA_OFF;
	data = page_address(page) + offset;
	copy = len <= skb_tailroom(skb) ? len : ETH_HLEN;
	skb_put_data(skb, data, copy);
	len -= copy;
	offset += copy;

	while (len) {
		/* Not for a length pvnet_big_chain_len() bounds; kept so that
		 * a mistake there cannot run past the chain or frags[].
		 */
		if (unlikely(!page ||
			     skb_shinfo(skb)->nr_frags == MAX_SKB_FRAGS)) {
			pvnet_rx_drop(rq, PVNET_C_RX_DROP_TOO_LONG);
			dev_kfree_skb(skb);
			if (page)
				pvnet_give_pages(rq, page);
			return NULL;
		}
		size = min_t(unsigned int, PAGE_SIZE - offset, len);
		next = (struct page *)page->private;
		page->private = 0;
		skb_add_rx_frag(skb, skb_shinfo(skb)->nr_frags, page, offset,
				size, PAGE_SIZE);
		len -= size;
		offset = 0;
		page = next;
	}
	if (page)
		pvnet_give_pages(rq, page);
	return skb;
}

/* Release the rest of a mergeable packet's buffers after an error. */
static void pvnet_drain_mergeable(struct pvnet_rq *rq, unsigned int num_buf)
{
	unsigned int len;
	void *buf;

	while (num_buf--) {
		buf = virtqueue_get_buf(rq->vq, &len);
		if (unlikely(!buf))
			break;
		pvlens_inflight_sub(rq->pq, 1);
		pvlens_count(rq->pq, PVNET_C_RX_BUFFERS, 1);
		pvnet_put_rx_page(virt_to_head_page(buf));
	}
}

/* @num_buf: the header's num_buffers, checked with @len. */
static struct sk_buff *pvnet_receive_mergeable(struct pvnet_info *vi,
					       struct pvnet_rq *rq, void *buf,
					       void *ctx, unsigned int len,
					       unsigned int num_buf)
{
	unsigned int truesize = (unsigned long)ctx;
	struct page *page = virt_to_head_page(buf);
	unsigned int offset = buf - page_address(page);
	struct sk_buff *head_skb, *curr_skb;
	unsigned int copy, nr;

	head_skb = pvlens_fault_null(napi_alloc_skb(&rq->napi,
						    PVNET_GOOD_COPY_LEN));
	if (unlikely(!head_skb)) {
		pvnet_rx_drop(rq, PVNET_C_RX_DROP_NOMEM);
		pvnet_put_rx_page(page);
		pvnet_drain_mergeable(rq, num_buf - 1);
		return NULL;
	}
	/* Pool pages go back to their pool when the stack frees them. */
	pvnet_mark_for_recycle(head_skb);

	len -= vi->hdr_len;
	offset += vi->hdr_len;
	copy = len <= skb_tailroom(head_skb) ? len : ETH_HLEN;
	skb_put_data(head_skb, page_address(page) + offset, copy);
	len -= copy;
	offset += copy;
	if (len)
		skb_add_rx_frag(head_skb, 0, page, offset, len, truesize);
	else
		pvnet_put_rx_page(page);

	curr_skb = head_skb;
	while (--num_buf) {
		buf = virtqueue_get_buf_ctx(rq->vq, &len, &ctx);
		if (unlikely(!buf)) {
			net_warn_ratelimited("%s: rx: %u of num_buffers missing\n",
					     vi->dev->name, num_buf);
			pvnet_rx_drop(rq, PVNET_C_RX_DROP_NUM_BUFFERS);
			goto err_skb;
		}
		pvlens_inflight_sub(rq->pq, 1);
		pvlens_count(rq->pq, PVNET_C_RX_BUFFERS, 1);
		page = virt_to_head_page(buf);
		truesize = (unsigned long)ctx;
		if (unlikely(pvnet_check_rx_used(len, truesize))) {
			net_warn_ratelimited("%s: rx: used length %u exceeds buffer %u\n",
					     vi->dev->name, len, truesize);
			pvnet_rx_drop(rq, PVNET_C_RX_DROP_TOO_LONG);
			pvnet_put_rx_page(page);
			pvnet_drain_mergeable(rq, num_buf - 1);
			goto err_skb;
		}

		nr = skb_shinfo(curr_skb)->nr_frags;
		if (unlikely(nr == MAX_SKB_FRAGS)) {
			struct sk_buff *nskb =
				pvlens_fault_null(alloc_skb(0, GFP_ATOMIC));

			if (unlikely(!nskb)) {
				pvnet_rx_drop(rq, PVNET_C_RX_DROP_NOMEM);
				pvnet_put_rx_page(page);
				pvnet_drain_mergeable(rq, num_buf - 1);
				goto err_skb;
			}
			pvnet_mark_for_recycle(nskb);
			if (curr_skb == head_skb)
				skb_shinfo(curr_skb)->frag_list = nskb;
			else
				curr_skb->next = nskb;
			curr_skb = nskb;
			head_skb->truesize += nskb->truesize;
			nr = 0;
		}
		if (curr_skb != head_skb) {
			head_skb->data_len += len;
			head_skb->len += len;
			head_skb->truesize += truesize;
		}
		offset = buf - page_address(page);
		if (skb_can_coalesce(curr_skb, nr, page, offset)) {
			pvnet_put_rx_page(page);
			skb_coalesce_rx_frag(curr_skb, nr - 1, len, truesize);
		} else {
			skb_add_rx_frag(curr_skb, nr, page, offset, len,
					truesize);
		}
	}

	ewma_pkt_len_add(&rq->avg_len, head_skb->len);
	return head_skb;

err_skb:
	dev_kfree_skb(head_skb);
	return NULL;
}

/* The header's page may be freed or reused once the skb is built, so it is
 * copied first.  Every buffer has room for it; its length is checked before
 * any of it is believed.  VERSION_1 is required (pvnet_validate()), so the
 * header is always the 12-byte mrg_rxbuf one: a constant-size copy, inline
 * instead of a memcpy() call per packet.
 */
static __always_inline void
pvnet_copy_rx_hdr(struct virtio_net_hdr_mrg_rxbuf *hdr, const void *src)
{
	memcpy(hdr, src, sizeof(*hdr));
}

/* @now: the clock read once per NAPI pass, at its first delivered packet
 * (GRO passes packets up at the end of the pass anyway); 0 until then.
 * True when the packet was handed to the stack.
 */
static bool pvnet_receive_buf(struct pvnet_info *vi, struct pvnet_rq *rq,
			      void *buf, unsigned int len, void *ctx,
			      u64 start_ts, u64 *now)
{
	unsigned int buf_len, bytes, num_buf = 1, posted = 1;
	struct virtio_device *vdev = vi->vdev;
	struct net_device *dev = vi->dev;
	struct virtio_net_hdr_mrg_rxbuf hdr;
	struct pvnet_rx_hdr rh;
	enum pvnet_rx_verdict v;
	struct sk_buff *skb;

	if (vi->mergeable_rx_bufs) {
		pvnet_copy_rx_hdr(&hdr, buf);
		buf_len = (unsigned long)ctx;
		num_buf = virtio16_to_cpu(vdev, hdr.num_buffers);
		/* This buffer and those still on the ring, one descriptor each. */
		posted = virtqueue_get_vring_size(rq->vq) - rq->vq->num_free + 1;
	} else if (vi->big_packets) {
		pvnet_copy_rx_hdr(&hdr, page_address(buf));
		buf_len = pvnet_big_chain_len(vi);
	} else {
		pvnet_copy_rx_hdr(&hdr, buf + PVNET_RX_PAD);
		buf_len = pvnet_small_rx_len(vi);
	}

	v = pvnet_check_rx_first(len, buf_len, vi->hdr_len, num_buf, posted);
	if (unlikely(v)) {
		net_warn_ratelimited("%s: rx: %s: used length %u of %u, num_buffers %u of %u posted\n",
				     dev->name, pvnet_rx_verdict_name(v), len,
				     buf_len, num_buf, posted);
		pvnet_rx_drop(rq, pvnet_rx_drop_counter[v]);
		pvnet_free_rx_buf(vi, rq, buf);
		/* Only then is num_buffers known good: drop the packet's rest. */
		if (v == PVNET_RX_TOO_LONG && vi->mergeable_rx_bufs)
			pvnet_drain_mergeable(rq, num_buf - 1);
		return false;
	}

	if (vi->mergeable_rx_bufs)
		skb = pvnet_receive_mergeable(vi, rq, buf, ctx, len, num_buf);
	else if (vi->big_packets)
		skb = pvnet_receive_big(vi, rq, buf, len);
	else
		skb = pvnet_receive_small(vi, rq, buf, len);
	if (unlikely(!skb))
		return false;

	rh.flags = hdr.hdr.flags;
	rh.gso_type = hdr.hdr.gso_type;
	rh.hdr_len = virtio16_to_cpu(vdev, hdr.hdr.hdr_len);
	rh.gso_size = virtio16_to_cpu(vdev, hdr.hdr.gso_size);
	rh.csum_start = virtio16_to_cpu(vdev, hdr.hdr.csum_start);
	rh.csum_offset = virtio16_to_cpu(vdev, hdr.hdr.csum_offset);
	v = pvnet_check_rx_hdr(&rh, skb->len, vdev->features);

	if (rh.flags & VIRTIO_NET_HDR_F_DATA_VALID)
		skb->ip_summed = CHECKSUM_UNNECESSARY;

	/* The stack's own check looks into the packet (protocol, lengths). */
	if (unlikely(v) ||
	    unlikely(virtio_net_hdr_to_skb(skb, &hdr.hdr,
					   virtio_is_little_endian(vdev)))) {
		net_warn_ratelimited("%s: rx: bad header (%s): flags %#x gso type %#x size %u hdr_len %u csum %u+%u, length %u\n",
				     dev->name, v ? pvnet_rx_verdict_name(v) :
				     "refused by virtio_net_hdr_to_skb",
				     rh.flags, rh.gso_type, rh.gso_size,
				     rh.hdr_len, rh.csum_start, rh.csum_offset,
				     skb->len);
		pvnet_rx_drop(rq, PVNET_C_RX_DROP_BAD_HDR);
		dev_kfree_skb(skb);
		return false;
	}

	bytes = skb->len;
	u64_stats_update_begin(&rq->stats.syncp);
	rq->stats.packets++;
	rq->stats.bytes += bytes;
	u64_stats_update_end(&rq->stats.syncp);

	skb_record_rx_queue(skb, vq2rxq(rq->vq));
	skb->protocol = eth_type_trans(skb, dev);
	napi_gro_receive(&rq->napi, skb);
	if (start_ts && !*now)
		*now = pvlens_now();
	/* The latency of the whole pass is recorded once, by the caller. */
	pvlens_op_count(rq->pq, PVNET_CLS_RX, bytes, false);
	return true;
}

static int pvnet_receive(struct pvnet_info *vi, struct pvnet_rq *rq,
			 int budget)
{
	u64 start_ts = READ_ONCE(rq->irq_ts), now = 0;
	unsigned int len, delivered = 0;
	void *buf, *ctx = NULL;
	int packets = 0;

	if (!start_ts)
		start_ts = pvlens_now();

	while (packets < budget) {
		if (vi->mergeable_rx_bufs)
			buf = virtqueue_get_buf_ctx(rq->vq, &len, &ctx);
		else
			buf = virtqueue_get_buf(rq->vq, &len);
		if (!buf)
			break;
		pvlens_inflight_sub(rq->pq, 1);
		pvlens_count(rq->pq, PVNET_C_RX_BUFFERS, 1);
		delivered += pvnet_receive_buf(vi, rq, buf, len, ctx, start_ts,
					       &now);
		packets++;
	}
	/* Every packet of the pass has the same latency: one record. */
	if (now)
		pvlens_ops_latency(rq->pq, PVNET_CLS_RX,
				   pvlens_elapsed_ns(start_ts, now),
				   delivered);

	/* Not for netpoll (budget 0, interrupts off): the pool's ring takes
	 * a BH lock; the next real poll refills.
	 */
	if (budget && rq->vq->num_free > min_t(unsigned int, budget,
					       virtqueue_get_vring_size(rq->vq)) / 2) {
		if (!pvnet_try_fill_recv(vi, rq, GFP_ATOMIC)) {
			spin_lock(&vi->refill_lock);
			if (vi->refill_enabled)
				schedule_delayed_work(&vi->refill, 0);
			spin_unlock(&vi->refill_lock);
		}
	}
	return packets;
}

/* ----- transmit completion ----- */

/* pvnet_free_old_xmit() from its first completed @skb on. */
static void __pvnet_free_old_xmit(struct pvnet_sq *sq,
				  struct netdev_queue *txq, bool in_napi,
				  struct sk_buff *skb)
{
	unsigned int len, packets = 0, bytes = 0;
	struct pvlens_lat_batch lat;
	u64 now = 0, start;

	pvlens_lat_batch_init(&lat);
	do {
		/* One clock read per batch: all of it is reaped now. */
		start = pvnet_skb_cb(skb)->start_ts;
		if (!now && start)
			now = pvlens_now();
		if (now && start)
			pvlens_lat_batch_add(sq->pq, PVNET_CLS_TX, &lat,
					     pvlens_elapsed_ns(start, now));
		bytes += skb->len;
		packets++;
		napi_consume_skb(skb, in_napi);
	} while ((skb = virtqueue_get_buf(sq->vq, &len)) != NULL);

	pvlens_ops_count(sq->pq, PVNET_CLS_TX, packets, bytes);
	pvlens_lat_batch_flush(sq->pq, PVNET_CLS_TX, &lat);

	pvlens_inflight_sub(sq->pq, packets);
	/* Only tx NAPI feeds BQL; a switch of mode first drains the ring
	 * (pvnet_tx_drain()), so every packet here was sent in this mode.
	 */
	if (sq->napi.weight)
		netdev_tx_completed_queue(txq, packets, bytes);
	u64_stats_update_begin(&sq->stats.syncp);
	sq->stats.packets += packets;
	sq->stats.bytes += bytes;
	u64_stats_update_end(&sq->stats.syncp);
}

/* Caller holds the tx queue lock.  Inline up to the first completion: most
 * calls, one per transmitted packet, find none.
 */
static __always_inline void pvnet_free_old_xmit(struct pvnet_sq *sq,
						struct netdev_queue *txq,
						bool in_napi)
{
	struct sk_buff *skb;
	unsigned int len;

	skb = virtqueue_get_buf(sq->vq, &len);
	if (skb)
		__pvnet_free_old_xmit(sq, txq, in_napi, skb);
}

/* Count the restart of a queue a full ring stopped, once per stop. */
static void pvnet_count_wake(struct pvnet_sq *sq)
{
	if (test_and_clear_bit(PVNET_SQ_FULL_STOP, &sq->state))
		pvlens_count(sq->pq, PVNET_C_TX_WAKES, 1);
}

static void pvnet_tx_wake(struct pvnet_sq *sq, struct netdev_queue *txq)
{
	if (sq->vq->num_free >= PVNET_TX_STOP_ROOM &&
	    netif_tx_queue_stopped(txq)) {
		pvnet_count_wake(sq);
		netif_tx_wake_queue(txq);
	}
}

/* Completions of the paired tx queue are reaped from rx NAPI too. */
static void pvnet_poll_cleantx(struct pvnet_info *vi, struct pvnet_rq *rq,
			       int budget)
{
	unsigned int index = vq2rxq(rq->vq);
	struct pvnet_sq *sq = &vi->sq[index];
	struct netdev_queue *txq = netdev_get_tx_queue(vi->dev, index);

	/* Without tx NAPI the transmit path reaps, as in-tree. */
	if (!sq->napi.weight || !__netif_tx_trylock(txq))
		return;
	if (!sq->reset) {
		do {
			virtqueue_disable_cb(sq->vq);
			pvnet_free_old_xmit(sq, txq, !!budget);
		} while (unlikely(!virtqueue_enable_cb_delayed(sq->vq)));
		pvnet_tx_wake(sq, txq);
	}
	__netif_tx_unlock(txq);
}

static int pvnet_poll(struct napi_struct *napi, int budget)
{
	struct pvnet_rq *rq = container_of(napi, struct pvnet_rq, napi);
	struct pvnet_info *vi = rq->vq->vdev->priv;
	unsigned int opaque;
	int received;

	pvlens_count(rq->pq, PVNET_C_NAPI_POLLS, 1);
	pvnet_poll_cleantx(vi, rq, budget);
	received = pvnet_receive(vi, rq, budget);

	if (received < budget) {
		WRITE_ONCE(rq->irq_ts, 0);
		opaque = virtqueue_enable_cb_prepare(rq->vq);
		WRITE_ONCE(rq->cb_opaque, opaque);
		if (napi_complete_done(napi, received)) {
			if (unlikely(virtqueue_poll(rq->vq, opaque)))
				pvnet_napi_schedule(napi, rq->vq);
		} else {
			virtqueue_disable_cb(rq->vq);
		}
	} else {
		pvlens_count(rq->pq, PVNET_C_NAPI_BUDGET_EXHAUSTED, 1);
	}
	return received;
}

static int pvnet_poll_tx(struct napi_struct *napi, int budget)
{
	struct pvnet_sq *sq = container_of(napi, struct pvnet_sq, napi);
	struct pvnet_info *vi = sq->vq->vdev->priv;
	unsigned int index = vq2txq(sq->vq);
	struct netdev_queue *txq = netdev_get_tx_queue(vi->dev, index);
	unsigned int opaque;
	bool done;

	pvlens_count(sq->pq, PVNET_C_NAPI_POLLS, 1);
	__netif_tx_lock(txq, raw_smp_processor_id());
	virtqueue_disable_cb(sq->vq);
	pvnet_free_old_xmit(sq, txq, !!budget);
	pvnet_tx_wake(sq, txq);

	opaque = virtqueue_enable_cb_prepare(sq->vq);
	WRITE_ONCE(sq->cb_opaque, opaque);
	done = napi_complete_done(napi, 0);
	if (!done)
		virtqueue_disable_cb(sq->vq);
	__netif_tx_unlock(txq);

	if (done && unlikely(virtqueue_poll(sq->vq, opaque)) &&
	    napi_schedule_prep(napi)) {
		__netif_tx_lock(txq, raw_smp_processor_id());
		virtqueue_disable_cb(sq->vq);
		__netif_tx_unlock(txq);
		__napi_schedule(napi);
	}
	return 0;
}

static void pvnet_skb_recv_done(struct virtqueue *vq)
{
	struct pvnet_info *vi = vq->vdev->priv;
	struct pvnet_rq *rq = &vi->rq[vq2rxq(vq)];

	pvlens_interrupt(rq->pq, !virtqueue_poll(vq, READ_ONCE(rq->cb_opaque)));
	if (!READ_ONCE(rq->irq_ts))
		WRITE_ONCE(rq->irq_ts, pvlens_now());
	pvnet_napi_schedule(&rq->napi, vq);
}

static void pvnet_skb_xmit_done(struct virtqueue *vq)
{
	struct pvnet_info *vi = vq->vdev->priv;
	struct pvnet_sq *sq = &vi->sq[vq2txq(vq)];

	if (!sq->napi.weight) {
		/* Asked for by a stopped queue only: the next transmit reaps.
		 * No prepared index to compare with, so none counts spurious.
		 */
		pvlens_interrupt(sq->pq, false);
		virtqueue_disable_cb(vq);
		pvnet_count_wake(sq);
		netif_wake_subqueue(vi->dev, vq2txq(vq));
		return;
	}
	pvlens_interrupt(sq->pq, !virtqueue_poll(vq, READ_ONCE(sq->cb_opaque)));
	virtqueue_disable_cb(vq);
	pvnet_napi_schedule(&sq->napi, vq);
}

/* ----- transmit ----- */

static int pvnet_xmit_skb(struct pvnet_info *vi, struct pvnet_sq *sq,
			  struct sk_buff *skb)
{
	struct virtio_net_hdr_mrg_rxbuf *hdr;
	unsigned int hdr_len = vi->hdr_len;
	bool can_push;
	int num_sg;

	can_push = !((unsigned long)skb->data & (__alignof__(*hdr) - 1)) &&
		   !skb_header_cloned(skb) && skb_headroom(skb) >= hdr_len;
	/* Push only after the header is built: csum_start counts from data. */
	if (can_push)
		hdr = (struct virtio_net_hdr_mrg_rxbuf *)(skb->data - hdr_len);
	else
		hdr = &pvnet_skb_cb(skb)->hdr;

	if (virtio_net_hdr_from_skb(skb, &hdr->hdr,
				    virtio_is_little_endian(vi->vdev),
				    false, 0))
		return -EPROTO;
	hdr->num_buffers = 0;

	sg_init_table(sq->sg, skb_shinfo(skb)->nr_frags + (can_push ? 1 : 2));
	if (can_push) {
		__skb_push(skb, hdr_len);
		num_sg = skb_to_sgvec(skb, sq->sg, 0, skb->len);
		__skb_pull(skb, hdr_len);
		if (unlikely(num_sg < 0))
			return num_sg;
	} else {
		sg_set_buf(sq->sg, hdr, hdr_len);
		num_sg = skb_to_sgvec(skb, sq->sg + 1, 0, skb->len);
		if (unlikely(num_sg < 0))
			return num_sg;
		num_sg++;
	}
	return virtqueue_add_outbuf(sq->vq, sq->sg, num_sg, skb, GFP_ATOMIC);
}

static netdev_tx_t pvnet_start_xmit(struct sk_buff *skb,
				    struct net_device *dev)
{
	struct pvnet_info *vi = netdev_priv(dev);
	unsigned int qnum = skb_get_queue_mapping(skb);
	struct pvnet_sq *sq = &vi->sq[qnum];
	struct netdev_queue *txq = netdev_get_tx_queue(dev, qnum);
	bool more = netdev_xmit_more();
	bool use_napi = sq->napi.weight;
	unsigned int batch, bytes;
	u64 start;
	bool kick;
	int err;

	if (unlikely(sq->reset)) {
		/* Without tx NAPI a tx interrupt may have woken the queue a
		 * resize stopped: the ring is not ours now.  The qdisc requeues
		 * the skb (a noqueue device drops it, with a core warning);
		 * the resize wakes the queue when done.
		 */
		netif_tx_stop_queue(txq);
		sq->burst_ts = 0;
		return NETDEV_TX_BUSY;
	}

	/* Without tx NAPI interrupts stay off until the ring fills. */
	do {
		if (use_napi)
			virtqueue_disable_cb(sq->vq);
		pvnet_free_old_xmit(sq, txq, false);
	} while (use_napi && !more &&
		 unlikely(!virtqueue_enable_cb_delayed(sq->vq)));

	skb_tx_timestamp(skb);
	/* One clock read per xmit_more burst: its later packets are timed
	 * from its first, so their latency includes the microseconds the
	 * stack took to queue them.  A burst the stack left unfinished (a
	 * queue stopped without the tx lock, as on link down) lends its time
	 * to no packet after its jiffy.
	 */
	if (sq->burst_ts && !time_after(jiffies, sq->burst_jiffies))
		start = sq->burst_ts;
	else
		start = pvlens_now();
	pvnet_skb_cb(skb)->start_ts = start;
	bytes = skb->len;

	err = pvnet_xmit_skb(vi, sq, skb);
	if (unlikely(err)) {
		net_warn_ratelimited("%s: tx queue %u: cannot queue packet: %d\n",
				     dev->name, qnum, err);
		pvlens_count(sq->pq, PVNET_C_TX_ERRORS, 1);
		u64_stats_update_begin(&sq->stats.syncp);
		sq->stats.dropped++;
		u64_stats_update_end(&sq->stats.syncp);
		dev_kfree_skb_any(skb);
		/* Earlier packets may still wait for a kick. */
		kick = !more;
	} else {
		pvlens_inflight_add(sq->pq, 1);
		if (use_napi) {
			kick = __netdev_tx_sent_queue(txq, bytes, more);
		} else {
			/* A completion may wait for the next transmit: BQL
			 * would stop the queue for good, so it is not fed.
			 */
			kick = !more;
			/* Its sender must not wait for the next transmit. */
			skb_orphan(skb);
			nf_reset_ct(skb);
		}
	}

	/* Stop before the ring is full: returning NETDEV_TX_BUSY would make
	 * the stack requeue, which costs more than a few idle slots.
	 */
	if (sq->vq->num_free < PVNET_TX_STOP_ROOM) {
		set_bit(PVNET_SQ_FULL_STOP, &sq->state);
		netif_tx_stop_queue(txq);
		pvlens_count(sq->pq, PVNET_C_TX_RING_FULL, 1);
		if (use_napi) {
			if (unlikely(!virtqueue_enable_cb_delayed(sq->vq)))
				pvnet_napi_schedule(&sq->napi, sq->vq);
		} else if (unlikely(!virtqueue_enable_cb_delayed(sq->vq))) {
			/* More came back meanwhile: maybe enough to go on. */
			pvnet_free_old_xmit(sq, txq, false);
			if (sq->vq->num_free >= PVNET_TX_STOP_ROOM) {
				pvnet_count_wake(sq);
				netif_tx_start_queue(txq);
				virtqueue_disable_cb(sq->vq);
			}
		}
	}

	if (kick || netif_xmit_stopped(txq)) {
		sq->burst_ts = 0;
		batch = pvlens_kick_prepare(sq->pq, sq->vq);
		if (batch)
			pvlens_notify(sq->pq, sq->vq, batch);
	} else if (sq->burst_ts != start) {
		sq->burst_ts = start;
		sq->burst_jiffies = jiffies;
	}
	return NETDEV_TX_OK;
}

/* ----- control virtqueue ----- */

/* Send one command and wait for the device's answer.  Process context: the
 * device answers synchronously with the kick on every known implementation,
 * the timeout only protects against a broken one.
 */
static bool pvnet_send_command(struct pvnet_info *vi, u8 class, u8 cmd,
			       struct scatterlist *out)
{
	struct scatterlist *sgs[4], hdr, stat;
	unsigned int out_num = 0, tmp;
	unsigned long deadline;
	bool ok = false;
	u64 start;
	int ret;

	/* Frozen, there is no control queue: restore tells the device. */
	if (!vi->has_cvq || READ_ONCE(vi->frozen))
		return false;

	mutex_lock(&vi->cvq_lock);
	if (vi->cvq_dead)
		goto out;

	start = pvlens_now();
	vi->ctrl->status = ~0;
	vi->ctrl->hdr.class = class;
	vi->ctrl->hdr.cmd = cmd;
	sg_init_one(&hdr, &vi->ctrl->hdr, sizeof(vi->ctrl->hdr));
	sgs[out_num++] = &hdr;
	if (out)
		sgs[out_num++] = out;
	sg_init_one(&stat, &vi->ctrl->status, sizeof(vi->ctrl->status));
	sgs[out_num] = &stat;

	ret = virtqueue_add_sgs(vi->cvq, sgs, out_num, 1, vi, GFP_KERNEL);
	if (ret < 0) {
		dev_warn(&vi->vdev->dev, "cannot queue control command: %d\n",
			 ret);
		goto out;
	}
	pvlens_inflight_add(vi->cvq_pq, 1);
	if (unlikely(!pvlens_kick(vi->cvq_pq, vi->cvq)))
		goto out;

	deadline = jiffies + PVNET_CTRL_TIMEOUT;
	while (!virtqueue_get_buf(vi->cvq, &tmp)) {
		if (virtqueue_is_broken(vi->cvq))
			goto out;
		if (time_after(jiffies, deadline)) {
			/* The buffers stay with the device: never reuse them. */
			dev_err(&vi->vdev->dev,
				"control command %u.%u: no answer, control queue disabled\n",
				class, cmd);
			vi->cvq_dead = true;
			goto out;
		}
		cond_resched();
		cpu_relax();
	}
	pvlens_inflight_sub(vi->cvq_pq, 1);
	ok = vi->ctrl->status == VIRTIO_NET_OK;
	pvlens_op_done(vi->cvq_pq, PVNET_CLS_CTRL, 0, start, !ok);
out:
	mutex_unlock(&vi->cvq_lock);
	return ok;
}

static int pvnet_set_queues(struct pvnet_info *vi, u16 queue_pairs)
{
	struct net_device *dev = vi->dev;
	struct scatterlist sg;

	if (!vi->has_cvq || !virtio_has_feature(vi->vdev, VIRTIO_NET_F_MQ))
		return 0;

	vi->ctrl->mq.virtqueue_pairs = cpu_to_virtio16(vi->vdev, queue_pairs);
	sg_init_one(&sg, &vi->ctrl->mq, sizeof(vi->ctrl->mq));
	if (!pvnet_send_command(vi, VIRTIO_NET_CTRL_MQ,
				VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &sg)) {
		dev_warn(&dev->dev, "device refused %u queue pairs\n",
			 queue_pairs);
		return -EINVAL;
	}
	vi->curr_queue_pairs = queue_pairs;
	/* Newly used queues need buffers; pvnet_open() fills them otherwise. */
	if (dev->flags & IFF_UP)
		schedule_delayed_work(&vi->refill, 0);
	return 0;
}

/* At probe and restore: the pairs in use, or the one a reset leaves. */
static void pvnet_set_queues_or_one(struct pvnet_info *vi)
{
	if (!pvnet_set_queues(vi, vi->curr_queue_pairs))
		return;
	vi->curr_queue_pairs = 1;
	netif_set_real_num_tx_queues(vi->dev, 1);
	netif_set_real_num_rx_queues(vi->dev, 1);
}

static int pvnet_set_guest_offloads(struct pvnet_info *vi, u64 offloads)
{
	struct scatterlist sg;

	vi->ctrl->offloads = cpu_to_virtio64(vi->vdev, offloads);
	sg_init_one(&sg, &vi->ctrl->offloads, sizeof(vi->ctrl->offloads));
	if (!pvnet_send_command(vi, VIRTIO_NET_CTRL_GUEST_OFFLOADS,
				VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, &sg)) {
		dev_warn(&vi->dev->dev, "device refused guest offloads %#llx\n",
			 offloads);
		return -EINVAL;
	}
	return 0;
}

static void pvnet_rx_mode_work(struct work_struct *work)
{
	struct pvnet_info *vi = container_of(work, struct pvnet_info,
					     rx_mode_work);
	struct net_device *dev = vi->dev;
	struct virtio_net_ctrl_mac *mac_data;
	struct netdev_hw_addr *ha;
	struct scatterlist sg[2];
	unsigned int uc_count, mc_count, i;
	void *buf;

	rtnl_lock();

	vi->ctrl->promisc = !!(dev->flags & IFF_PROMISC);
	vi->ctrl->allmulti = !!(dev->flags & IFF_ALLMULTI);

	sg_init_one(sg, &vi->ctrl->promisc, sizeof(vi->ctrl->promisc));
	if (!pvnet_send_command(vi, VIRTIO_NET_CTRL_RX,
				VIRTIO_NET_CTRL_RX_PROMISC, sg))
		dev_warn(&dev->dev, "failed to %sable promiscuous mode\n",
			 vi->ctrl->promisc ? "en" : "dis");

	sg_init_one(sg, &vi->ctrl->allmulti, sizeof(vi->ctrl->allmulti));
	if (!pvnet_send_command(vi, VIRTIO_NET_CTRL_RX,
				VIRTIO_NET_CTRL_RX_ALLMULTI, sg))
		dev_warn(&dev->dev, "failed to %sable all-multicast mode\n",
			 vi->ctrl->allmulti ? "en" : "dis");

	/* The address lists change under addr_list_lock: copy them there. */
	netif_addr_lock_bh(dev);
	uc_count = netdev_uc_count(dev);
	mc_count = netdev_mc_count(dev);
	buf = pvlens_fault_null(kzalloc((uc_count + mc_count) * ETH_ALEN +
					2 * sizeof(mac_data->entries),
					GFP_ATOMIC));
	if (!buf) {
		netif_addr_unlock_bh(dev);
		rtnl_unlock();
		return;
	}
	mac_data = buf;
	mac_data->entries = cpu_to_virtio32(vi->vdev, uc_count);
	i = 0;
	netdev_for_each_uc_addr(ha, dev)
		memcpy(&mac_data->macs[i++][0], ha->addr, ETH_ALEN);
	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], mac_data,
		   sizeof(mac_data->entries) + uc_count * ETH_ALEN);

	mac_data = (void *)&mac_data->macs[uc_count][0];
	mac_data->entries = cpu_to_virtio32(vi->vdev, mc_count);
	i = 0;
	netdev_for_each_mc_addr(ha, dev)
		memcpy(&mac_data->macs[i++][0], ha->addr, ETH_ALEN);
	netif_addr_unlock_bh(dev);
	sg_set_buf(&sg[1], mac_data,
		   sizeof(mac_data->entries) + mc_count * ETH_ALEN);

	if (!pvnet_send_command(vi, VIRTIO_NET_CTRL_MAC,
				VIRTIO_NET_CTRL_MAC_TABLE_SET, sg))
		dev_warn(&dev->dev, "failed to set MAC filter table\n");

	rtnl_unlock();
	kfree(buf);
}

/* Atomic context (addr_list_lock held): the commands sleep, defer them. */
static void pvnet_set_rx_mode(struct net_device *dev)
{
	struct pvnet_info *vi = netdev_priv(dev);

	if (!virtio_has_feature(vi->vdev, VIRTIO_NET_F_CTRL_RX))
		return;

	spin_lock_bh(&vi->rx_mode_lock);
	if (vi->rx_mode_work_enabled)
		schedule_work(&vi->rx_mode_work);
	spin_unlock_bh(&vi->rx_mode_lock);
}

static void pvnet_rx_mode_work_enable(struct pvnet_info *vi, bool enable)
{
	spin_lock_bh(&vi->rx_mode_lock);
	vi->rx_mode_work_enabled = enable;
	spin_unlock_bh(&vi->rx_mode_lock);
}

static int pvnet_vlan_rx_add_vid(struct net_device *dev, __be16 proto, u16 vid)
{
	struct pvnet_info *vi = netdev_priv(dev);
	struct scatterlist sg;

	/* Restore gives the device every VLAN the stack has then. */
	if (vi->frozen)
		return 0;

	vi->ctrl->vid = cpu_to_virtio16(vi->vdev, vid);
	sg_init_one(&sg, &vi->ctrl->vid, sizeof(vi->ctrl->vid));
	if (!pvnet_send_command(vi, VIRTIO_NET_CTRL_VLAN,
				VIRTIO_NET_CTRL_VLAN_ADD, &sg))
		dev_warn(&dev->dev, "failed to add VLAN ID %u\n", vid);
	return 0;
}

static int pvnet_vlan_rx_kill_vid(struct net_device *dev, __be16 proto,
				  u16 vid)
{
	struct pvnet_info *vi = netdev_priv(dev);
	struct scatterlist sg;

	if (vi->frozen)
		return 0;

	vi->ctrl->vid = cpu_to_virtio16(vi->vdev, vid);
	sg_init_one(&sg, &vi->ctrl->vid, sizeof(vi->ctrl->vid));
	if (!pvnet_send_command(vi, VIRTIO_NET_CTRL_VLAN,
				VIRTIO_NET_CTRL_VLAN_DEL, &sg))
		dev_warn(&dev->dev, "failed to remove VLAN ID %u\n", vid);
	return 0;
}

/* CTRL_MAC_ADDR_SET of @addr; false, with a message, when refused. */
static bool pvnet_send_mac(struct pvnet_info *vi, const u8 *addr)
{
	struct scatterlist sg;

	memcpy(vi->ctrl->mac, addr, ETH_ALEN);
	sg_init_one(&sg, vi->ctrl->mac, ETH_ALEN);
	if (pvnet_send_command(vi, VIRTIO_NET_CTRL_MAC,
			       VIRTIO_NET_CTRL_MAC_ADDR_SET, &sg))
		return true;
	dev_warn(&vi->vdev->dev, "device refused MAC address %pM\n", addr);
	return false;
}

static int pvnet_set_mac_address(struct net_device *dev, void *p)
{
	struct pvnet_info *vi = netdev_priv(dev);
	struct sockaddr *addr = p;
	int ret;

	ret = eth_prepare_mac_addr_change(dev, p);
	if (ret)
		return ret;

	if (virtio_has_feature(vi->vdev, VIRTIO_NET_F_CTRL_MAC_ADDR) &&
	    !pvnet_send_mac(vi, addr->sa_data))
		return -EINVAL;
	eth_commit_mac_addr_change(dev, p);
	return 0;
}

/* ----- net_device ops ----- */

static int pvnet_open(struct net_device *dev)
{
	struct pvnet_info *vi = netdev_priv(dev);
	unsigned int i;

	pvnet_enable_delayed_refill(vi);
	for (i = 0; i < vi->max_queue_pairs; i++) {
		/* Without memory now, the refill work retries. */
		if (i < vi->curr_queue_pairs &&
		    !pvnet_try_fill_recv(vi, &vi->rq[i], GFP_KERNEL))
			schedule_delayed_work(&vi->refill, 0);
		pvnet_napi_enable(vi->rq[i].vq, &vi->rq[i].napi);
		pvnet_tx_napi_enable(&vi->sq[i]);
	}
	return 0;
}

static int pvnet_close(struct net_device *dev)
{
	struct pvnet_info *vi = netdev_priv(dev);
	unsigned int i;

	/* Freeze closed it already; restore will not reopen it. */
	if (vi->frozen)
		return 0;

	/* NAPI must not requeue the refill work, which re-enables NAPI. */
	pvnet_disable_delayed_refill(vi);
	cancel_delayed_work_sync(&vi->refill);
	for (i = 0; i < vi->max_queue_pairs; i++) {
		pvnet_tx_napi_disable(&vi->sq[i]);
		napi_disable(&vi->rq[i].napi);
	}
	return 0;
}

static void pvnet_get_stats64(struct net_device *dev,
			      struct rtnl_link_stats64 *tot)
{
	struct pvnet_info *vi = netdev_priv(dev);
	unsigned int start, i;

	for (i = 0; i < vi->max_queue_pairs; i++) {
		struct pvnet_rq_stats *rs = &vi->rq[i].stats;
		struct pvnet_sq_stats *ss = &vi->sq[i].stats;
		u64 rp, rb, rd, rl, rf, tp, tb, td, tt;

		do {
			start = u64_stats_fetch_begin(&rs->syncp);
			rp = rs->packets;
			rb = rs->bytes;
			rd = rs->drops;
			rl = rs->length_errors;
			rf = rs->frame_errors;
		} while (u64_stats_fetch_retry(&rs->syncp, start));
		do {
			start = u64_stats_fetch_begin(&ss->syncp);
			tp = ss->packets;
			tb = ss->bytes;
			td = ss->dropped;
			tt = ss->timeouts;
		} while (u64_stats_fetch_retry(&ss->syncp, start));

		tot->rx_packets += rp;
		tot->rx_bytes += rb;
		tot->rx_dropped += rd;
		tot->rx_length_errors += rl;
		tot->rx_frame_errors += rf;
		tot->rx_errors += rl + rf;
		tot->tx_packets += tp;
		tot->tx_bytes += tb;
		tot->tx_dropped += td;
		tot->tx_errors += tt;
	}
}

static int pvnet_set_features(struct net_device *dev,
			      netdev_features_t features)
{
	struct pvnet_info *vi = netdev_priv(dev);
	u64 offloads;
	int err;

	if ((dev->features ^ features) & NETIF_F_GRO_HW) {
		offloads = vi->guest_offloads_capable;
		if (!(features & NETIF_F_GRO_HW))
			offloads &= ~PVNET_GRO_HW_OFFLOADS;
		err = pvnet_set_guest_offloads(vi, offloads);
		if (err)
			return err;
		vi->guest_offloads = offloads;
	}
	return 0;
}

static void pvnet_tx_timeout(struct net_device *dev, unsigned int txqueue)
{
	struct pvnet_info *vi = netdev_priv(dev);
	struct pvnet_sq *sq = &vi->sq[txqueue];
	struct netdev_queue *txq = netdev_get_tx_queue(dev, txqueue);

	pvlens_count(sq->pq, PVNET_C_TX_TIMEOUTS, 1);
	u64_stats_update_begin(&sq->stats.syncp);
	sq->stats.timeouts++;
	u64_stats_update_end(&sq->stats.syncp);
	netdev_err(dev, "tx timeout on queue %u (%s), %u us since last transmit, %u in flight\n",
		   txqueue, sq->name,
		   jiffies_to_usecs(jiffies - READ_ONCE(txq->trans_start)),
		   READ_ONCE(sq->pq->inflight));
}

static const struct net_device_ops pvnet_netdev_ops = {
	.ndo_open		= pvnet_open,
	.ndo_stop		= pvnet_close,
	.ndo_start_xmit		= pvnet_start_xmit,
	.ndo_validate_addr	= eth_validate_addr,
	.ndo_set_mac_address	= pvnet_set_mac_address,
	.ndo_set_rx_mode	= pvnet_set_rx_mode,
	.ndo_get_stats64	= pvnet_get_stats64,
	.ndo_vlan_rx_add_vid	= pvnet_vlan_rx_add_vid,
	.ndo_vlan_rx_kill_vid	= pvnet_vlan_rx_kill_vid,
	.ndo_features_check	= passthru_features_check,
	.ndo_set_features	= pvnet_set_features,
	.ndo_tx_timeout		= pvnet_tx_timeout,
};

/* ----- ethtool ----- */

enum pvnet_stat_src {
	PVNET_S_OPS,
	PVNET_S_BYTES,
	PVNET_S_LAT_P50,
	PVNET_S_LAT_P99,
	PVNET_S_LAT_MAX,
	PVNET_S_KICKS,
	PVNET_S_KICKS_SUPPRESSED,
	PVNET_S_INTERRUPTS,
	PVNET_S_SPURIOUS,
	PVNET_S_KICK_COST_P50,
	PVNET_S_KICK_COST_P99,
	PVNET_S_INFLIGHT,
	PVNET_S_DROPS,
	PVNET_S_COUNTER,
};

struct pvnet_stat_desc {
	const char *name;
	u8 src;
	u8 counter;
};

static const struct pvnet_stat_desc pvnet_rx_stats[] = {
	{ "packets", PVNET_S_OPS },
	{ "bytes", PVNET_S_BYTES },
	{ "drops", PVNET_S_DROPS },
	{ "kicks", PVNET_S_KICKS },
	{ "kicks_suppressed", PVNET_S_KICKS_SUPPRESSED },
	{ "interrupts", PVNET_S_INTERRUPTS },
	{ "spurious_interrupts", PVNET_S_SPURIOUS },
	{ "buffers_posted", PVNET_S_INFLIGHT },
	{ "buffers", PVNET_S_COUNTER, PVNET_C_RX_BUFFERS },
	{ "napi_polls", PVNET_S_COUNTER, PVNET_C_NAPI_POLLS },
	{ "napi_budget_exhausted", PVNET_S_COUNTER,
	  PVNET_C_NAPI_BUDGET_EXHAUSTED },
	{ "drop_short", PVNET_S_COUNTER, PVNET_C_RX_DROP_SHORT },
	{ "drop_too_long", PVNET_S_COUNTER, PVNET_C_RX_DROP_TOO_LONG },
	{ "drop_num_buffers", PVNET_S_COUNTER, PVNET_C_RX_DROP_NUM_BUFFERS },
	{ "drop_bad_hdr", PVNET_S_COUNTER, PVNET_C_RX_DROP_BAD_HDR },
	{ "drop_nomem", PVNET_S_COUNTER, PVNET_C_RX_DROP_NOMEM },
	{ "refill_failed", PVNET_S_COUNTER, PVNET_C_RX_REFILL_FAILED },
	{ "pages", PVNET_S_COUNTER, PVNET_C_RX_PAGES },
	{ "pages_new", PVNET_S_COUNTER, PVNET_C_RX_PAGES_NEW },
	{ "pool_empty", PVNET_S_COUNTER, PVNET_C_RX_POOL_EMPTY },
	{ "kick_cost_p50_ns", PVNET_S_KICK_COST_P50 },
	{ "kick_cost_p99_ns", PVNET_S_KICK_COST_P99 },
	{ "latency_p50_ns", PVNET_S_LAT_P50 },
	{ "latency_p99_ns", PVNET_S_LAT_P99 },
	{ "latency_max_ns", PVNET_S_LAT_MAX },
};

static const struct pvnet_stat_desc pvnet_tx_stats[] = {
	{ "packets", PVNET_S_OPS },
	{ "bytes", PVNET_S_BYTES },
	{ "errors", PVNET_S_COUNTER, PVNET_C_TX_ERRORS },
	{ "kicks", PVNET_S_KICKS },
	{ "kicks_suppressed", PVNET_S_KICKS_SUPPRESSED },
	{ "interrupts", PVNET_S_INTERRUPTS },
	{ "spurious_interrupts", PVNET_S_SPURIOUS },
	{ "inflight", PVNET_S_INFLIGHT },
	{ "napi_polls", PVNET_S_COUNTER, PVNET_C_NAPI_POLLS },
	{ "ring_full", PVNET_S_COUNTER, PVNET_C_TX_RING_FULL },
	{ "wakes", PVNET_S_COUNTER, PVNET_C_TX_WAKES },
	{ "timeouts", PVNET_S_COUNTER, PVNET_C_TX_TIMEOUTS },
	{ "kick_cost_p50_ns", PVNET_S_KICK_COST_P50 },
	{ "kick_cost_p99_ns", PVNET_S_KICK_COST_P99 },
	{ "latency_p50_ns", PVNET_S_LAT_P50 },
	{ "latency_p99_ns", PVNET_S_LAT_P99 },
	{ "latency_max_ns", PVNET_S_LAT_MAX },
};

static const unsigned int pvnet_rx_drop_counters[] = {
	PVNET_C_RX_DROP_SHORT, PVNET_C_RX_DROP_TOO_LONG,
	PVNET_C_RX_DROP_NUM_BUFFERS, PVNET_C_RX_DROP_BAD_HDR,
	PVNET_C_RX_DROP_NOMEM,
};

static void pvnet_fill_queue_stats(struct pvlens_queue *q, unsigned int cls,
				   const struct pvnet_stat_desc *desc,
				   unsigned int n, u64 *data)
{
	struct pvlens_class_stats cs;
	struct pvlens_queue_totals b;
	unsigned int i, j;
	u64 v;

	pvlens_queue_class_read(q, cls, &cs);
	pvlens_queue_read(q, &b);
	for (i = 0; i < n; i++) {
		switch (desc[i].src) {
		case PVNET_S_OPS:
			v = cs.ops;
			break;
		case PVNET_S_BYTES:
			v = cs.bytes;
			break;
		case PVNET_S_LAT_P50:
			v = pvlens_hist_percentile(&cs.latency, PVLENS_P50);
			break;
		case PVNET_S_LAT_P99:
			v = pvlens_hist_percentile(&cs.latency, PVLENS_P99);
			break;
		case PVNET_S_LAT_MAX:
			v = cs.latency.max;
			break;
		case PVNET_S_KICKS:
			v = b.kicks;
			break;
		case PVNET_S_KICKS_SUPPRESSED:
			v = b.kicks_suppressed;
			break;
		case PVNET_S_INTERRUPTS:
			v = b.interrupts;
			break;
		case PVNET_S_SPURIOUS:
			v = b.spurious_interrupts;
			break;
		case PVNET_S_KICK_COST_P50:
			v = pvlens_hist_percentile(&b.kick_cost, PVLENS_P50);
			break;
		case PVNET_S_KICK_COST_P99:
			v = pvlens_hist_percentile(&b.kick_cost, PVLENS_P99);
			break;
		case PVNET_S_INFLIGHT:
			v = READ_ONCE(q->inflight);
			break;
		case PVNET_S_DROPS:
			v = 0;
			for (j = 0; j < ARRAY_SIZE(pvnet_rx_drop_counters); j++)
				v += pvlens_queue_counter_read(q,
						pvnet_rx_drop_counters[j]);
			break;
		default:
			v = pvlens_queue_counter_read(q, desc[i].counter);
			break;
		}
		data[i] = v;
	}
}

static int pvnet_get_sset_count(struct net_device *dev, int sset)
{
	struct pvnet_info *vi = netdev_priv(dev);

	if (sset != ETH_SS_STATS)
		return -EOPNOTSUPP;
	return vi->max_queue_pairs *
	       (ARRAY_SIZE(pvnet_rx_stats) + ARRAY_SIZE(pvnet_tx_stats));
}

static void pvnet_get_strings(struct net_device *dev, u32 sset, u8 *data)
{
	struct pvnet_info *vi = netdev_priv(dev);
	unsigned int i, j;
	u8 *p = data;

	if (sset != ETH_SS_STATS)
		return;
	for (i = 0; i < vi->max_queue_pairs; i++)
		for (j = 0; j < ARRAY_SIZE(pvnet_rx_stats); j++)
			ethtool_sprintf(&p, "rx_queue_%u_%s", i,
					pvnet_rx_stats[j].name);
	for (i = 0; i < vi->max_queue_pairs; i++)
		for (j = 0; j < ARRAY_SIZE(pvnet_tx_stats); j++)
			ethtool_sprintf(&p, "tx_queue_%u_%s", i,
					pvnet_tx_stats[j].name);
}

static void pvnet_get_ethtool_stats(struct net_device *dev,
				    struct ethtool_stats *stats, u64 *data)
{
	struct pvnet_info *vi = netdev_priv(dev);
	unsigned int i;

	for (i = 0; i < vi->max_queue_pairs; i++) {
		pvnet_fill_queue_stats(vi->rq[i].pq, PVNET_CLS_RX,
				       pvnet_rx_stats,
				       ARRAY_SIZE(pvnet_rx_stats), data);
		data += ARRAY_SIZE(pvnet_rx_stats);
	}
	for (i = 0; i < vi->max_queue_pairs; i++) {
		pvnet_fill_queue_stats(vi->sq[i].pq, PVNET_CLS_TX,
				       pvnet_tx_stats,
				       ARRAY_SIZE(pvnet_tx_stats), data);
		data += ARRAY_SIZE(pvnet_tx_stats);
	}
}

static void pvnet_get_drvinfo(struct net_device *dev,
			      struct ethtool_drvinfo *info)
{
	struct pvnet_info *vi = netdev_priv(dev);

	strscpy(info->driver, KBUILD_MODNAME, sizeof(info->driver));
	strscpy(info->bus_info, virtio_bus_name(vi->vdev),
		sizeof(info->bus_info));
}

static void pvnet_get_ringparam(struct net_device *dev,
				struct ethtool_ringparam *ring,
				struct kernel_ethtool_ringparam *kernel_ring,
				struct netlink_ext_ack *extack)
{
	struct pvnet_info *vi = netdev_priv(dev);

	ring->rx_max_pending = vi->rq[0].vq->num_max;
	ring->tx_max_pending = vi->sq[0].vq->num_max;
	ring->rx_pending = virtqueue_get_vring_size(vi->rq[0].vq);
	ring->tx_pending = virtqueue_get_vring_size(vi->sq[0].vq);
}

/* virtqueue_resize() recycling: the queue is reset, so every buffer still
 * posted comes back, used by the device or not.  Rx NAPI is disabled, which
 * serialises the queue as for a refill.
 */
static void pvnet_rq_recycle(struct virtqueue *vq, void *buf)
{
	struct pvnet_info *vi = vq->vdev->priv;
	struct pvnet_rq *rq = &vi->rq[vq2rxq(vq)];

	pvnet_free_rx_buf(vi, rq, buf);
	pvlens_inflight_sub(rq->pq, 1);
}

/* @n packets a reset took back from the ring unsent: dropped, no longer
 * in flight.  Under the tx lock.
 */
static void pvnet_tx_unsent(struct pvnet_sq *sq, unsigned int n)
{
	pvlens_inflight_sub(sq->pq, n);
	u64_stats_update_begin(&sq->stats.syncp);
	sq->stats.dropped += n;
	u64_stats_update_end(&sq->stats.syncp);
}

/* Counted only: pvnet_tx_resize() accounts them under the tx lock. */
static void pvnet_sq_recycle(struct virtqueue *vq, void *buf)
{
	struct pvnet_info *vi = vq->vdev->priv;

	dev_kfree_skb(buf);
	vi->sq[vq2txq(vq)].recycled++;
}

static int pvnet_rx_resize(struct pvnet_info *vi, struct pvnet_rq *rq,
			   u32 num)
{
	bool running = netif_running(vi->dev);
	unsigned int qindex = rq - vi->rq;
	int err;

	if (running)
		napi_disable(&rq->napi);

	/* On failure the old ring stays, emptied: refilled below all the same. */
	err = virtqueue_resize(rq->vq, num, pvnet_rq_recycle);
	if (err)
		netdev_err(vi->dev, "rx queue %u: resize to %u failed: %d\n",
			   qindex, num, err);
	rq->min_buf_len = pvnet_mergeable_min_buf_len(vi, rq->vq);

	/* Closed, pvnet_open() fills it; unused, pvnet_set_queues() does. */
	if (running && qindex < vi->curr_queue_pairs &&
	    !pvnet_try_fill_recv(vi, rq, GFP_KERNEL))
		schedule_delayed_work(&vi->refill, 0);
	if (running)
		pvnet_napi_enable(rq->vq, &rq->napi);
	return err;
}

static int pvnet_tx_resize(struct pvnet_info *vi, struct pvnet_sq *sq,
			   u32 num)
{
	bool running = netif_running(vi->dev);
	unsigned int qindex = sq - vi->sq;
	struct netdev_queue *txq = netdev_get_tx_queue(vi->dev, qindex);
	int err;

	if (running)
		pvnet_tx_napi_disable(sq);

	/* The stack does not transmit on a stopped queue: the ring is ours. */
	__netif_tx_lock_bh(txq);
	sq->reset = true;
	sq->burst_ts = 0;
	netif_tx_stop_queue(txq);
	/* What the device completed was sent: count it before the reset. */
	pvnet_free_old_xmit(sq, txq, false);
	sq->recycled = 0;
	__netif_tx_unlock_bh(txq);

	err = virtqueue_resize(sq->vq, num, pvnet_sq_recycle);
	if (err)
		netdev_err(vi->dev, "tx queue %u: resize to %u failed: %d\n",
			   qindex, num, err);

	__netif_tx_lock_bh(txq);
	if (sq->recycled) {
		pvnet_tx_unsent(sq, sq->recycled);
		/* Queued to BQL, never to complete; the ring is empty now.  With
		 * nothing recycled BQL still matches the ring: leave it.
		 */
		netdev_tx_reset_queue(txq);
	}
	sq->reset = false;
	netif_tx_wake_queue(txq);
	__netif_tx_unlock_bh(txq);

	if (running)
		pvnet_tx_napi_enable(sq);
	return err;
}

/* As the in-tree driver: every queue pair, used or not, gets the new sizes,
 * one queue at a time, each reset alone (VIRTIO_F_RING_RESET) while the
 * others run.  The first failure is returned; virtqueue_resize() keeps the
 * old ring when it cannot allocate the new one, so that queue still works.
 */
static int pvnet_set_ringparam(struct net_device *dev,
			       struct ethtool_ringparam *ring,
			       struct kernel_ethtool_ringparam *kernel_ring,
			       struct netlink_ext_ack *extack)
{
	struct pvnet_info *vi = netdev_priv(dev);
	u32 rx = ring->rx_pending, tx = ring->tx_pending;
	unsigned int i;
	int err;

	if (!virtio_has_feature(vi->vdev, VIRTIO_F_RING_RESET)) {
		NL_SET_ERR_MSG_MOD(extack, "device cannot reset a queue (no VIRTIO_F_RING_RESET)");
		return -EOPNOTSUPP;
	}
	if (ring->rx_mini_pending || ring->rx_jumbo_pending) {
		NL_SET_ERR_MSG_MOD(extack, "no rx mini or jumbo ring");
		return -EINVAL;
	}
	if (rx > vi->rq[0].vq->num_max || tx > vi->sq[0].vq->num_max) {
		NL_SET_ERR_MSG_MOD(extack, "ring size above the device maximum");
		return -EINVAL;
	}
	if (rx < PVNET_MIN_RING || tx < PVNET_MIN_RING) {
		NL_SET_ERR_MSG_MOD(extack, "ring size below MAX_SKB_FRAGS + 2, one packet");
		return -EINVAL;
	}
	if (!virtio_has_feature(vi->vdev, VIRTIO_F_RING_PACKED) &&
	    (!is_power_of_2(rx) || !is_power_of_2(tx))) {
		NL_SET_ERR_MSG_MOD(extack, "split ring size must be a power of 2");
		return -EINVAL;
	}

	for (i = 0; i < vi->max_queue_pairs; i++) {
		if (virtqueue_get_vring_size(vi->sq[i].vq) != tx) {
			err = pvnet_tx_resize(vi, &vi->sq[i], tx);
			if (err)
				goto fail;
		}
		if (virtqueue_get_vring_size(vi->rq[i].vq) != rx) {
			err = pvnet_rx_resize(vi, &vi->rq[i], rx);
			if (err)
				goto fail;
		}
	}
	return 0;

fail:
	NL_SET_ERR_MSG_MOD(extack, "queue resize failed, see the kernel log");
	return err;
}

static void pvnet_get_channels(struct net_device *dev,
			       struct ethtool_channels *channels)
{
	struct pvnet_info *vi = netdev_priv(dev);

	channels->combined_count = vi->curr_queue_pairs;
	channels->max_combined = vi->max_queue_pairs;
}

/* Spread the used queue pairs over the online CPUs (pair i serves the CPUs
 * c with c % pairs == i): interrupts land where XPS sends, as in-tree.
 * CPU hotplug is not followed; the next ethtool -L redistributes.
 */
static void pvnet_set_affinity(struct pvnet_info *vi)
{
	unsigned int i, n = 0, cpu, pairs = vi->curr_queue_pairs;
	cpumask_var_t mask;

	if (pvlens_should_fail() || !zalloc_cpumask_var(&mask, GFP_KERNEL))
		return;
	cpus_read_lock();
	for (i = 0; i < vi->max_queue_pairs; i++) {
		cpumask_clear(mask);
		if (i < pairs) {
			n = 0;
			for_each_online_cpu(cpu)
				if (n++ % pairs == i)
					cpumask_set_cpu(cpu, mask);
		}
		virtqueue_set_affinity(vi->rq[i].vq, i < pairs ? mask : NULL);
		virtqueue_set_affinity(vi->sq[i].vq, i < pairs ? mask : NULL);
		__netif_set_xps_queue(vi->dev, cpumask_bits(mask), i, XPS_CPUS);
	}
	cpus_read_unlock();
	free_cpumask_var(mask);
}

static void pvnet_clean_affinity(struct pvnet_info *vi)
{
	unsigned int i;

	for (i = 0; i < vi->max_queue_pairs; i++) {
		virtqueue_set_affinity(vi->rq[i].vq, NULL);
		virtqueue_set_affinity(vi->sq[i].vq, NULL);
	}
}

static int pvnet_set_channels(struct net_device *dev,
			      struct ethtool_channels *channels)
{
	struct pvnet_info *vi = netdev_priv(dev);
	u16 queue_pairs = channels->combined_count;
	int err;

	if (channels->rx_count || channels->tx_count || channels->other_count)
		return -EINVAL;
	if (!queue_pairs || queue_pairs > vi->max_queue_pairs)
		return -EINVAL;
	if (queue_pairs == vi->curr_queue_pairs)
		return 0;

	err = pvnet_set_queues(vi, queue_pairs);
	if (err)
		return err;
	pvnet_set_affinity(vi);
	netif_set_real_num_tx_queues(dev, queue_pairs);
	netif_set_real_num_rx_queues(dev, queue_pairs);
	return 0;
}

static int pvnet_get_link_ksettings(struct net_device *dev,
				    struct ethtool_link_ksettings *cmd)
{
	struct pvnet_info *vi = netdev_priv(dev);

	cmd->base.speed = vi->speed;
	cmd->base.duplex = vi->duplex;
	cmd->base.port = PORT_OTHER;
	return 0;
}

static int pvnet_set_link_ksettings(struct net_device *dev,
				    const struct ethtool_link_ksettings *cmd)
{
	struct pvnet_info *vi = netdev_priv(dev);

	return ethtool_virtdev_set_link_ksettings(dev, cmd, &vi->speed,
						  &vi->duplex);
}

/* Interface down, under rtnl: nothing transmits, no NAPI runs.  Reaps until
 * the device completed every packet (1 s at most), then clears a BQL or
 * ring-full stop, so a queue switched to the other tx mode starts empty and
 * running: without tx NAPI nothing would reap or wake it.
 */
static int pvnet_tx_drain(struct pvnet_info *vi)
{
	unsigned long deadline = jiffies + HZ;
	unsigned int i;
	bool empty;

	for (i = 0; i < vi->max_queue_pairs; i++) {
		struct pvnet_sq *sq = &vi->sq[i];
		struct netdev_queue *txq = netdev_get_tx_queue(vi->dev, i);

		for (;;) {
			__netif_tx_lock_bh(txq);
			pvnet_free_old_xmit(sq, txq, false);
			empty = sq->vq->num_free ==
				virtqueue_get_vring_size(sq->vq);
			if (empty) {
				netdev_tx_reset_queue(txq);
				sq->burst_ts = 0;
				netif_tx_start_queue(txq);
			}
			__netif_tx_unlock_bh(txq);
			if (empty)
				break;
			if (time_after(jiffies, deadline)) {
				netdev_err(vi->dev, "tx queue %u: device still holds %u sent packets\n",
					   i, READ_ONCE(sq->pq->inflight));
				return -EBUSY;
			}
			msleep(20);
		}
	}
	return 0;
}

/* Without VIRTIO_NET_F_NOTF_COAL, as in-tree: one interrupt per frame;
 * tx-frames says whether tx NAPI runs (1) or the transmit path reaps (0).
 */
static int pvnet_get_coalesce(struct net_device *dev,
			      struct ethtool_coalesce *ec,
			      struct kernel_ethtool_coalesce *kernel_coal,
			      struct netlink_ext_ack *extack)
{
	struct pvnet_info *vi = netdev_priv(dev);

	ec->rx_max_coalesced_frames = 1;
	ec->tx_max_coalesced_frames = vi->sq[0].napi.weight ? 1 : 0;
	return 0;
}

static int pvnet_set_coalesce(struct net_device *dev,
			      struct ethtool_coalesce *ec,
			      struct kernel_ethtool_coalesce *kernel_coal,
			      struct netlink_ext_ack *extack)
{
	struct pvnet_info *vi = netdev_priv(dev);
	int weight = ec->tx_max_coalesced_frames ? NAPI_POLL_WEIGHT : 0;
	unsigned int i;

	if (ec->rx_max_coalesced_frames != 1 ||
	    ec->tx_max_coalesced_frames > 1) {
		NL_SET_ERR_MSG(extack,
			       "rx-frames must be 1; tx-frames 1 (tx NAPI) or 0 (none)");
		return -EINVAL;
	}
	if (weight == vi->sq[0].napi.weight)
		return 0;
	/* Running NAPI instances cannot change their weight. */
	if (netif_running(dev)) {
		NL_SET_ERR_MSG(extack,
			       "tx NAPI can be switched only while the interface is down");
		return -EBUSY;
	}
	if (pvnet_tx_drain(vi)) {
		NL_SET_ERR_MSG(extack,
			       "the device did not complete the packets sent before down");
		return -EBUSY;
	}
	for (i = 0; i < vi->max_queue_pairs; i++)
		vi->sq[i].napi.weight = weight;
	return 0;
}

static const struct ethtool_ops pvnet_ethtool_ops = {
	.supported_coalesce_params = ETHTOOL_COALESCE_MAX_FRAMES,
	.get_drvinfo = pvnet_get_drvinfo,
	.get_link = ethtool_op_get_link,
	.get_ringparam = pvnet_get_ringparam,
	.set_ringparam = pvnet_set_ringparam,
	.get_strings = pvnet_get_strings,
	.get_sset_count = pvnet_get_sset_count,
	.get_ethtool_stats = pvnet_get_ethtool_stats,
	.get_channels = pvnet_get_channels,
	.set_channels = pvnet_set_channels,
	.get_ts_info = ethtool_op_get_ts_info,
	.get_link_ksettings = pvnet_get_link_ksettings,
	.set_link_ksettings = pvnet_set_link_ksettings,
	.get_coalesce = pvnet_get_coalesce,
	.set_coalesce = pvnet_set_coalesce,
};

/* ----- configuration space ----- */

static void pvnet_update_settings(struct pvnet_info *vi)
{
	u32 speed;
	u8 duplex;

	if (!virtio_has_feature(vi->vdev, VIRTIO_NET_F_SPEED_DUPLEX))
		return;

	virtio_cread_le(vi->vdev, struct virtio_net_config, speed, &speed);
	virtio_cread_le(vi->vdev, struct virtio_net_config, duplex, &duplex);
	pvnet_config_link(speed, duplex, &vi->speed, &vi->duplex);
}

static void pvnet_config_changed_work(struct work_struct *work)
{
	struct pvnet_info *vi = container_of(work, struct pvnet_info,
					     config_work);
	u16 v;

	if (virtio_cread_feature(vi->vdev, VIRTIO_NET_F_STATUS,
				 struct virtio_net_config, status, &v) < 0)
		return;

	rtnl_lock();
	if (v & VIRTIO_NET_S_ANNOUNCE) {
		__netdev_notify_peers(vi->dev);
		if (!pvnet_send_command(vi, VIRTIO_NET_CTRL_ANNOUNCE,
					VIRTIO_NET_CTRL_ANNOUNCE_ACK, NULL))
			dev_warn(&vi->dev->dev, "failed to ack link announce\n");
	}

	/* Unknown (future) status bits are not ours to interpret. */
	v &= VIRTIO_NET_S_LINK_UP;
	if (vi->status != v) {
		vi->status = v;
		if (v & VIRTIO_NET_S_LINK_UP) {
			pvnet_update_settings(vi);
			netif_carrier_on(vi->dev);
			netif_tx_wake_all_queues(vi->dev);
		} else {
			netif_carrier_off(vi->dev);
			netif_tx_stop_all_queues(vi->dev);
		}
	}
	rtnl_unlock();
}

static void pvnet_config_changed(struct virtio_device *vdev)
{
	struct pvnet_info *vi = vdev->priv;

	schedule_work(&vi->config_work);
}

/* ----- setup and teardown ----- */

static int pvnet_find_vqs(struct pvnet_info *vi)
{
	unsigned int total = vi->max_queue_pairs * 2 + vi->has_cvq;
	vq_callback_t **callbacks;
	struct virtqueue **vqs;
	const char **names;
	bool *ctx = NULL;
	unsigned int i;
	int ret = -ENOMEM;

	vqs = pvlens_fault_null(kcalloc(total, sizeof(*vqs), GFP_KERNEL));
	callbacks = pvlens_fault_null(kcalloc(total, sizeof(*callbacks),
					      GFP_KERNEL));
	names = pvlens_fault_null(kcalloc(total, sizeof(*names), GFP_KERNEL));
	if (vi->mergeable_rx_bufs)
		ctx = pvlens_fault_null(kcalloc(total, sizeof(*ctx),
						GFP_KERNEL));
	if (!vqs || !callbacks || !names || (vi->mergeable_rx_bufs && !ctx))
		goto out;

	if (vi->has_cvq)
		names[total - 1] = "control";
	for (i = 0; i < vi->max_queue_pairs; i++) {
		callbacks[rxq2vq(i)] = pvnet_skb_recv_done;
		callbacks[txq2vq(i)] = pvnet_skb_xmit_done;
		snprintf(vi->rq[i].name, sizeof(vi->rq[i].name), "input.%u", i);
		snprintf(vi->sq[i].name, sizeof(vi->sq[i].name), "output.%u", i);
		names[rxq2vq(i)] = vi->rq[i].name;
		names[txq2vq(i)] = vi->sq[i].name;
		if (ctx)
			ctx[rxq2vq(i)] = true;
	}

	ret = pvlens_fault_errno(virtio_find_vqs_ctx(vi->vdev, total, vqs,
						     callbacks, names, ctx,
						     NULL));
	if (ret)
		goto out;

	if (vi->has_cvq)
		vi->cvq = vqs[total - 1];
	for (i = 0; i < vi->max_queue_pairs; i++) {
		vi->rq[i].vq = vqs[rxq2vq(i)];
		vi->rq[i].min_buf_len =
			pvnet_mergeable_min_buf_len(vi, vi->rq[i].vq);
		vi->sq[i].vq = vqs[txq2vq(i)];
	}
out:
	kfree(ctx);
	kfree(names);
	kfree(callbacks);
	kfree(vqs);
	return ret;
}

static void pvnet_free_queue_names(struct pvnet_info *vi)
{
	unsigned int i, n = vi->max_queue_pairs * 2 + 1;

	if (!vi->queue_names)
		return;
	for (i = 0; i < n; i++)
		kfree(vi->queue_names[i]);
	kfree(vi->queue_names);
	vi->queue_names = NULL;
}

/* pvlens queues: rx-N at 2N, tx-N at 2N+1, then "ctrl" if there is one. */
static int pvnet_stats_create(struct pvnet_info *vi)
{
	unsigned int i, n = vi->max_queue_pairs * 2 + vi->has_cvq;

	vi->queue_names = pvlens_fault_null(kcalloc(vi->max_queue_pairs * 2 + 1,
						    sizeof(*vi->queue_names),
						    GFP_KERNEL));
	if (!vi->queue_names)
		return -ENOMEM;
	for (i = 0; i < vi->max_queue_pairs; i++) {
		vi->queue_names[2 * i] =
			pvlens_fault_null(kasprintf(GFP_KERNEL, "rx-%u", i));
		vi->queue_names[2 * i + 1] =
			pvlens_fault_null(kasprintf(GFP_KERNEL, "tx-%u", i));
		if (!vi->queue_names[2 * i] || !vi->queue_names[2 * i + 1])
			goto err;
	}
	if (vi->has_cvq) {
		vi->queue_names[n - 1] =
			pvlens_fault_null(kstrdup("ctrl", GFP_KERNEL));
		if (!vi->queue_names[n - 1])
			goto err;
	}

	vi->pd = pvlens_dev_create(&vi->vdev->dev, &pvnet_desc, n,
				   vi->queue_names);
	if (IS_ERR(vi->pd)) {
		int err = PTR_ERR(vi->pd);

		vi->pd = NULL;
		pvnet_free_queue_names(vi);
		return err;
	}
	for (i = 0; i < vi->max_queue_pairs; i++) {
		vi->rq[i].pq = pvlens_dev_queue(vi->pd, 2 * i);
		vi->sq[i].pq = pvlens_dev_queue(vi->pd, 2 * i + 1);
	}
	if (vi->has_cvq)
		vi->cvq_pq = pvlens_dev_queue(vi->pd, n - 1);
	return 0;

err:
	pvnet_free_queue_names(vi);
	return -ENOMEM;
}

static void pvnet_stats_destroy(struct pvnet_info *vi)
{
	pvlens_dev_destroy(vi->pd);
	vi->pd = NULL;
	pvnet_free_queue_names(vi);
}

/* The pool's hook for a page it had to take from the kernel, not reuse. */
static void pvnet_pool_page_new(struct page *page, void *arg)
{
	struct pvnet_rq *rq = arg;

	pvlens_count(rq->pq, PVNET_C_RX_PAGES_NEW, 1);
}

static void pvnet_destroy_pools(struct pvnet_info *vi)
{
	unsigned int i;

	/* Pages the stack still holds return later: the pool waits for them. */
	for (i = 0; i < vi->max_queue_pairs; i++)
		if (vi->rq[i].pool)
			page_pool_destroy(vi->rq[i].pool);
}

static void pvnet_create_pools(struct pvnet_info *vi)
{
	struct page_pool_params params = {
		.flags = PP_FLAG_PAGE_FRAG,
		.order = PVNET_RX_PAGE_ORDER,
		.pool_size = PVNET_RX_POOL_PAGES,
		.nid = dev_to_node(&vi->vdev->dev),
		.init_callback = pvnet_pool_page_new,
	};
	unsigned int i;

	if (!IS_ENABLED(CONFIG_PAGE_POOL) || !vi->mergeable_rx_bufs)
		return;
	for (i = 0; i < vi->max_queue_pairs; i++) {
		struct page_pool *pool;

		params.init_arg = &vi->rq[i];
		pool = pvlens_fault_errptr(page_pool_create(&params));
		/* Not fatal: buffers then come from page fragments, as in-tree. */
		if (IS_ERR(pool)) {
			dev_warn(&vi->vdev->dev, "rx-%u: no page pool (%pe): receive pages are not reused\n",
				 i, pool);
			continue;
		}
		vi->rq[i].pool = pool;
	}
}

static int pvnet_alloc_queues(struct pvnet_info *vi)
{
	unsigned int i;

	if (vi->has_cvq) {
		vi->ctrl = pvlens_fault_null(kzalloc(sizeof(*vi->ctrl),
						     GFP_KERNEL));
		if (!vi->ctrl)
			return -ENOMEM;
	}
	vi->sq = pvlens_fault_null(kcalloc(vi->max_queue_pairs, sizeof(*vi->sq),
					   GFP_KERNEL));
	vi->rq = pvlens_fault_null(kcalloc(vi->max_queue_pairs, sizeof(*vi->rq),
					   GFP_KERNEL));
	if (!vi->sq || !vi->rq) {
		kfree(vi->sq);
		kfree(vi->rq);
		kfree(vi->ctrl);
		return -ENOMEM;
	}

	INIT_DELAYED_WORK(&vi->refill, pvnet_refill_work);
	for (i = 0; i < vi->max_queue_pairs; i++) {
		netif_napi_add(vi->dev, &vi->rq[i].napi, pvnet_poll);
		netif_napi_add_tx_weight(vi->dev, &vi->sq[i].napi,
					 pvnet_poll_tx,
					 napi_tx ? NAPI_POLL_WEIGHT : 0);
		sg_init_table(vi->rq[i].sg, ARRAY_SIZE(vi->rq[i].sg));
		sg_init_table(vi->sq[i].sg, ARRAY_SIZE(vi->sq[i].sg));
		ewma_pkt_len_init(&vi->rq[i].avg_len);
		u64_stats_init(&vi->rq[i].stats.syncp);
		u64_stats_init(&vi->sq[i].stats.syncp);
	}
	return 0;
}

static void pvnet_free_queues(struct pvnet_info *vi)
{
	unsigned int i;

	for (i = 0; i < vi->max_queue_pairs; i++) {
		__netif_napi_del(&vi->rq[i].napi);
		__netif_napi_del(&vi->sq[i].napi);
	}
	/* NAPI instances are freed after an RCU grace period. */
	synchronize_net();
	pvnet_destroy_pools(vi);
	kfree(vi->rq);
	kfree(vi->sq);
	kfree(vi->ctrl);
}

static void pvnet_free_unused_bufs(struct pvnet_info *vi)
{
	unsigned int i;
	void *buf;

	for (i = 0; i < vi->max_queue_pairs; i++) {
		struct pvnet_sq *sq = &vi->sq[i];

		while ((buf = virtqueue_detach_unused_buf(sq->vq)) != NULL)
			dev_kfree_skb(buf);
		netdev_tx_reset_queue(netdev_get_tx_queue(vi->dev, i));
		cond_resched();
	}
	for (i = 0; i < vi->max_queue_pairs; i++) {
		struct pvnet_rq *rq = &vi->rq[i];

		while ((buf = virtqueue_detach_unused_buf(rq->vq)) != NULL)
			pvnet_free_rx_buf(vi, rq, buf);
		while (rq->pages)
			__free_page(pvnet_get_a_page(rq, GFP_KERNEL));
		pvnet_pool_page_done(rq);
		if (rq->alloc_frag.page)
			put_page(rq->alloc_frag.page);
		rq->alloc_frag.page = NULL;
		cond_resched();
	}
}

static int pvnet_validate(struct virtio_device *vdev)
{
	static const unsigned int need_cvq[] = {
		VIRTIO_NET_F_CTRL_RX, VIRTIO_NET_F_CTRL_VLAN,
		VIRTIO_NET_F_GUEST_ANNOUNCE, VIRTIO_NET_F_MQ,
		VIRTIO_NET_F_CTRL_MAC_ADDR, VIRTIO_NET_F_CTRL_GUEST_OFFLOADS,
	};
	unsigned int i;

	if (!vdev->config->get) {
		dev_err(&vdev->dev, "config space access not available\n");
		return -EINVAL;
	}
	if (!virtio_has_feature(vdev, VIRTIO_F_VERSION_1)) {
		dev_err(&vdev->dev, "legacy (pre-1.0) devices are not supported\n");
		return -ENODEV;
	}

	if (!virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_VQ)) {
		for (i = 0; i < ARRAY_SIZE(need_cvq); i++) {
			if (virtio_has_feature(vdev, need_cvq[i])) {
				dev_warn(&vdev->dev,
					 "feature %u needs a control queue, ignored\n",
					 need_cvq[i]);
				__virtio_clear_bit(vdev, need_cvq[i]);
			}
		}
	}

	if (virtio_has_feature(vdev, VIRTIO_NET_F_MTU)) {
		u16 mtu = virtio_cread16(vdev,
					 offsetof(struct virtio_net_config, mtu));

		if (pvnet_check_mtu(mtu)) {
			dev_warn(&vdev->dev, "device MTU %u < %u ignored\n",
				 mtu, ETH_MIN_MTU);
			__virtio_clear_bit(vdev, VIRTIO_NET_F_MTU);
		}
	}
	return 0;
}

static bool pvnet_guest_gso(struct virtio_device *vdev)
{
	return virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_TSO4) ||
	       virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_TSO6) ||
	       virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_ECN) ||
	       virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_UFO);
}

static u16 pvnet_read_max_queue_pairs(struct virtio_device *vdev)
{
	u16 n, use;

	if (!virtio_has_feature(vdev, VIRTIO_NET_F_MQ))
		return 1;

	n = virtio_cread16(vdev, offsetof(struct virtio_net_config,
					  max_virtqueue_pairs));
	switch (pvnet_check_max_pairs(n, PVNET_MAX_QUEUE_PAIRS, &use)) {
	case PVNET_CFG_BAD:
		dev_warn(&vdev->dev,
			 "max_virtqueue_pairs %u out of range, using %u\n",
			 n, use);
		break;
	case PVNET_CFG_CAPPED:
		dev_warn(&vdev->dev, "max_virtqueue_pairs %u, using %u\n",
			 n, use);
		break;
	case PVNET_CFG_OK:
		break;
	}
	return use;
}

static void pvnet_setup_features(struct pvnet_info *vi)
{
	struct virtio_device *vdev = vi->vdev;
	struct net_device *dev = vi->dev;

	dev->priv_flags |= IFF_UNICAST_FLT | IFF_LIVE_ADDR_CHANGE |
			   IFF_TX_SKB_NO_LINEAR;
	dev->features = NETIF_F_HIGHDMA;

	if (virtio_has_feature(vdev, VIRTIO_NET_F_CSUM)) {
		dev->hw_features |= NETIF_F_HW_CSUM | NETIF_F_SG;
		if (csum)
			dev->features |= NETIF_F_HW_CSUM | NETIF_F_SG;
		if (virtio_has_feature(vdev, VIRTIO_NET_F_HOST_TSO4))
			dev->hw_features |= NETIF_F_TSO;
		if (virtio_has_feature(vdev, VIRTIO_NET_F_HOST_TSO6))
			dev->hw_features |= NETIF_F_TSO6;
		if (virtio_has_feature(vdev, VIRTIO_NET_F_HOST_ECN))
			dev->hw_features |= NETIF_F_TSO_ECN;
		dev->features |= NETIF_F_GSO_ROBUST;
		/* Without csum, register_netdev() drops TSO: it needs it. */
		if (gso)
			dev->features |= dev->hw_features & NETIF_F_ALL_TSO;
	}

	/* With GUEST_CSUM partially checksummed packets are valid to the
	 * stack; without it the device sends only complete checksums.
	 */
	dev->features |= NETIF_F_RXCSUM;
	if (virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_TSO4) ||
	    virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_TSO6))
		dev->features |= NETIF_F_GRO_HW;
	if (virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_GUEST_OFFLOADS))
		dev->hw_features |= NETIF_F_GRO_HW;
	if (virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_VLAN))
		dev->features |= NETIF_F_HW_VLAN_CTAG_FILTER;
	dev->vlan_features = dev->features;
}

static int pvnet_probe(struct virtio_device *vdev)
{
	struct net_device *dev;
	struct pvnet_info *vi;
	u16 max_queue_pairs;
	unsigned int i;
	int mtu = 0;
	int err;

	max_queue_pairs = pvnet_read_max_queue_pairs(vdev);
	dev = pvlens_fault_null(alloc_etherdev_mq(sizeof(*vi), max_queue_pairs));
	if (!dev)
		return -ENOMEM;

	dev->netdev_ops = &pvnet_netdev_ops;
	dev->ethtool_ops = &pvnet_ethtool_ops;
	SET_NETDEV_DEV(dev, &vdev->dev);

	vi = netdev_priv(dev);
	vi->dev = dev;
	vi->vdev = vdev;
	vdev->priv = vi;
	vi->max_queue_pairs = max_queue_pairs;
	vi->curr_queue_pairs = min_t(unsigned int, max_queue_pairs,
				     num_online_cpus());
	/* pvnet_copy_rx_hdr() copies exactly this much. */
	vi->hdr_len = sizeof(struct virtio_net_hdr_mrg_rxbuf);
	vi->has_cvq = virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_VQ);
	vi->mergeable_rx_bufs = virtio_has_feature(vdev, VIRTIO_NET_F_MRG_RXBUF);
#ifdef CONFIG_SYSFS
	if (vi->mergeable_rx_bufs)
		dev->sysfs_rx_queue_group = &pvnet_mrg_rx_group;
#endif
	vi->speed = SPEED_UNKNOWN;
	vi->duplex = DUPLEX_UNKNOWN;
	mutex_init(&vi->cvq_lock);
	spin_lock_init(&vi->refill_lock);
	spin_lock_init(&vi->rx_mode_lock);
	INIT_WORK(&vi->config_work, pvnet_config_changed_work);
	INIT_WORK(&vi->rx_mode_work, pvnet_rx_mode_work);

	pvnet_setup_features(vi);

	if (virtio_has_feature(vdev, VIRTIO_NET_F_MAC)) {
		u8 addr[ETH_ALEN];

		virtio_cread_bytes(vdev, offsetof(struct virtio_net_config, mac),
				   addr, ETH_ALEN);
		if (is_valid_ether_addr(addr)) {
			eth_hw_addr_set(dev, addr);
		} else {
			dev_warn(&vdev->dev, "invalid MAC %pM, using a random one\n",
				 addr);
			__virtio_clear_bit(vdev, VIRTIO_NET_F_MAC);
		}
	}
	if (!virtio_has_feature(vdev, VIRTIO_NET_F_MAC)) {
		eth_hw_addr_random(dev);
		dev_info(&vdev->dev, "random MAC address %pM\n", dev->dev_addr);
	}

	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = ETH_MAX_MTU;
	if (virtio_has_feature(vdev, VIRTIO_NET_F_MTU)) {
		mtu = virtio_cread16(vdev, offsetof(struct virtio_net_config, mtu));
		/* Checked in validate; the device must not change it since. */
		if (pvnet_check_mtu(mtu)) {
			dev_err(&vdev->dev, "device MTU changed to %d\n", mtu);
			err = -EINVAL;
			goto err_free;
		}
		dev->mtu = mtu;
		dev->max_mtu = mtu;
	}

	if (mtu > ETH_DATA_LEN || pvnet_guest_gso(vdev)) {
		vi->big_packets = true;
		vi->big_packets_num_skbfrags = pvnet_guest_gso(vdev) ?
			MAX_SKB_FRAGS : DIV_ROUND_UP(mtu, PAGE_SIZE);
	}
	/* Small buffers hold one standard frame: larger MTUs cannot work. */
	if (!vi->mergeable_rx_bufs && !vi->big_packets)
		dev->max_mtu = ETH_DATA_LEN;
	dev->needed_headroom = vi->hdr_len;

	err = pvnet_alloc_queues(vi);
	if (err)
		goto err_free;
	pvnet_create_pools(vi);
	err = pvnet_find_vqs(vi);
	if (err)
		goto err_free_queues;
	err = pvnet_stats_create(vi);
	if (err)
		goto err_del_vqs;

	netif_set_real_num_tx_queues(dev, vi->curr_queue_pairs);
	netif_set_real_num_rx_queues(dev, vi->curr_queue_pairs);

	/* Serialise register + virtio_device_ready() against ndo_open(). */
	rtnl_lock();
	err = pvlens_fault_errno(register_netdevice(dev));
	if (err) {
		rtnl_unlock();
		goto err_stats;
	}
	virtio_device_ready(vdev);
	pvnet_rx_mode_work_enable(vi, true);

	pvnet_set_queues_or_one(vi);
	pvnet_set_affinity(vi);

	if (!virtio_has_feature(vdev, VIRTIO_NET_F_MAC) &&
	    virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_MAC_ADDR))
		pvnet_send_mac(vi, dev->dev_addr);
	rtnl_unlock();

	for (i = 0; i < ARRAY_SIZE(pvnet_guest_offloads); i++)
		if (virtio_has_feature(vdev, pvnet_guest_offloads[i]))
			vi->guest_offloads |= BIT_ULL(pvnet_guest_offloads[i]);
	vi->guest_offloads_capable = vi->guest_offloads;

	netif_carrier_off(dev);
	if (virtio_has_feature(vdev, VIRTIO_NET_F_STATUS)) {
		schedule_work(&vi->config_work);
	} else {
		vi->status = VIRTIO_NET_S_LINK_UP;
		pvnet_update_settings(vi);
		netif_carrier_on(dev);
	}

	dev_info(&vdev->dev, "%s: %u/%u queue pairs, %s rx buffers, mtu %u (max %u)\n",
		 dev->name, vi->curr_queue_pairs, vi->max_queue_pairs,
		 vi->mergeable_rx_bufs ? "mergeable" :
		 vi->big_packets ? "big" : "small", dev->mtu, dev->max_mtu);
	return 0;

err_stats:
	pvnet_stats_destroy(vi);
err_del_vqs:
	virtio_reset_device(vdev);
	vdev->config->del_vqs(vdev);
err_free_queues:
	pvnet_free_queues(vi);
err_free:
	free_netdev(dev);
	return err;
}

static void pvnet_remove(struct virtio_device *vdev)
{
	struct pvnet_info *vi = vdev->priv;

	/* The virtio core has stopped config_changed() calls already. */
	cancel_work_sync(&vi->config_work);
	pvnet_rx_mode_work_enable(vi, false);
	cancel_work_sync(&vi->rx_mode_work);

	unregister_netdev(vi->dev);

	virtio_reset_device(vdev);
	/* A failed restore left no virtqueues to empty. */
	if (!vi->frozen) {
		pvnet_free_unused_bufs(vi);
		pvnet_clean_affinity(vi);
	}
	vdev->config->del_vqs(vdev);
	pvnet_stats_destroy(vi);
	pvnet_free_queues(vi);
	free_netdev(vi->dev);
}

#ifdef CONFIG_PM_SLEEP
/* What a freeze does with the transmit rings: the packets the device sent
 * are counted as sent, the rest as dropped, and BQL starts again empty.
 */
static void pvnet_freeze_tx(struct pvnet_info *vi)
{
	unsigned int i, unsent;
	struct sk_buff *skb;

	for (i = 0; i < vi->max_queue_pairs; i++) {
		struct pvnet_sq *sq = &vi->sq[i];
		struct netdev_queue *txq = netdev_get_tx_queue(vi->dev, i);

		__netif_tx_lock_bh(txq);
		pvnet_free_old_xmit(sq, txq, false);
		unsent = 0;
		while ((skb = virtqueue_detach_unused_buf(sq->vq)) != NULL) {
			dev_kfree_skb(skb);
			unsent++;
		}
		pvnet_tx_unsent(sq, unsent);
		sq->burst_ts = 0;
		sq->cb_opaque = 0;
		clear_bit(PVNET_SQ_FULL_STOP, &sq->state);
		netdev_tx_reset_queue(txq);
		/* Woken by a completion before NAPI stopped: stopped for good
		 * now, until restore attaches the interface.
		 */
		netif_tx_stop_queue(txq);
		__netif_tx_unlock_bh(txq);
	}
}

/* System sleep and hibernation, as in-tree: the device is reset and its
 * queues deleted, the interface, its settings and counters stay.  Under
 * rtnl, unlike in-tree, so that no ethtool, VLAN or link change runs
 * against the queues as they go (pm_cycle in the tests freezes no tasks).
 */
static int pvnet_freeze(struct virtio_device *vdev)
{
	struct pvnet_info *vi = vdev->priv;
	struct net_device *dev = vi->dev;
	unsigned int i;
	void *buf;

	/* Frozen since a restore failed: its queues are gone already. */
	if (vi->frozen)
		return 0;

	/* The virtio core stopped config_changed() calls before this. */
	flush_work(&vi->config_work);
	pvnet_rx_mode_work_enable(vi, false);
	cancel_work_sync(&vi->rx_mode_work);

	rtnl_lock();
	netif_tx_lock_bh(dev);
	netif_device_detach(dev);
	netif_tx_unlock_bh(dev);
	if (netif_running(dev))
		pvnet_close(dev);
	WRITE_ONCE(vi->frozen, true);

	virtio_reset_device(vdev);
	pvnet_freeze_tx(vi);
	for (i = 0; i < vi->max_queue_pairs; i++) {
		struct pvnet_rq *rq = &vi->rq[i];

		while ((buf = virtqueue_detach_unused_buf(rq->vq)))
			pvnet_rq_recycle(rq->vq, buf);
		/* A callback after NAPI stopped: no latency spans the sleep. */
		WRITE_ONCE(rq->irq_ts, 0);
		rq->cb_opaque = 0;
	}
	/* A command the device never answered is gone with the queue. */
	if (vi->cvq_dead)
		pvlens_inflight_sub(vi->cvq_pq, 1);
	pvnet_clean_affinity(vi);
	vdev->config->del_vqs(vdev);
	rtnl_unlock();
	return 0;
}

/* @vlan_dev is the VLAN's device, NULL for VID 0: ours comes as @arg. */
static int pvnet_restore_vid(struct net_device *vlan_dev, int vid, void *arg)
{
	struct pvnet_info *vi = arg;

	return pvnet_vlan_rx_add_vid(vi->dev, htons(ETH_P_8021Q), vid);
}

/* The queues again, then what the reset made the device forget: queue
 * pairs, MAC address, guest offloads, VLAN filter, receive mode.  The
 * in-tree driver sends only the queue pairs.
 */
static int pvnet_restore(struct virtio_device *vdev)
{
	struct pvnet_info *vi = vdev->priv;
	struct net_device *dev = vi->dev;
	int err;

	rtnl_lock();
	/* On failure the driver stays frozen, remove() copes with that, and
	 * the interface stays detached: the core refuses to open or configure
	 * it.  No carrier says so to its users.
	 */
	err = pvnet_find_vqs(vi);
	if (err) {
		netif_carrier_off(dev);
		rtnl_unlock();
		dev_err(&vdev->dev, "restore failed (%d), %s stays down\n", err,
			dev->name);
		return err;
	}
	virtio_device_ready(vdev);
	WRITE_ONCE(vi->frozen, false);
	vi->cvq_dead = false;

	if (netif_running(dev))
		pvnet_open(dev);
	netif_tx_lock_bh(dev);
	netif_device_attach(dev);
	netif_tx_unlock_bh(dev);

	pvnet_set_queues_or_one(vi);
	if (virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_MAC_ADDR))
		pvnet_send_mac(vi, dev->dev_addr);
	if (vi->guest_offloads != vi->guest_offloads_capable &&
	    virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_GUEST_OFFLOADS))
		pvnet_set_guest_offloads(vi, vi->guest_offloads);
	if (virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_VLAN))
		vlan_for_each(dev, pvnet_restore_vid, vi);
	pvnet_set_affinity(vi);
	rtnl_unlock();

	pvnet_rx_mode_work_enable(vi, true);
	pvnet_set_rx_mode(dev);
	/* The link may have changed while the device slept, and a failed
	 * restore before this one turned the carrier off.
	 */
	if (virtio_has_feature(vdev, VIRTIO_NET_F_STATUS)) {
		if (!netif_carrier_ok(dev))
			vi->status &= ~VIRTIO_NET_S_LINK_UP;
		schedule_work(&vi->config_work);
	} else {
		netif_carrier_on(dev);
	}
	return 0;
}
#endif

static const struct virtio_device_id pvnet_id_table[] = {
	{ VIRTIO_ID_NET, VIRTIO_DEV_ANY_ID },
	{ 0 },
};

static const unsigned int pvnet_features[] = {
	VIRTIO_NET_F_CSUM, VIRTIO_NET_F_GUEST_CSUM,
	VIRTIO_NET_F_MAC,
	VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_HOST_UFO, VIRTIO_NET_F_HOST_TSO6,
	VIRTIO_NET_F_HOST_ECN, VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_TSO6,
	VIRTIO_NET_F_GUEST_ECN, VIRTIO_NET_F_GUEST_UFO,
	VIRTIO_NET_F_MRG_RXBUF, VIRTIO_NET_F_STATUS, VIRTIO_NET_F_CTRL_VQ,
	VIRTIO_NET_F_CTRL_RX, VIRTIO_NET_F_CTRL_VLAN,
	VIRTIO_NET_F_GUEST_ANNOUNCE, VIRTIO_NET_F_MQ,
	VIRTIO_NET_F_CTRL_MAC_ADDR,
	VIRTIO_NET_F_MTU, VIRTIO_NET_F_CTRL_GUEST_OFFLOADS,
	VIRTIO_NET_F_SPEED_DUPLEX,
};

static struct virtio_driver pvnet_driver = {
	.feature_table = pvnet_features,
	.feature_table_size = ARRAY_SIZE(pvnet_features),
	.driver.name = KBUILD_MODNAME,
	.driver.owner = THIS_MODULE,
	.id_table = pvnet_id_table,
	.validate = pvnet_validate,
	.probe = pvnet_probe,
	.remove = pvnet_remove,
	.config_changed = pvnet_config_changed,
#ifdef CONFIG_PM_SLEEP
	.freeze = pvnet_freeze,
	.restore = pvnet_restore,
#endif
};

static int __init pvnet_init(void)
{
	return pvlens_fault_errno(register_virtio_driver(&pvnet_driver));
}

static void __exit pvnet_exit(void)
{
	unregister_virtio_driver(&pvnet_driver);
}

module_init(pvnet_init);
module_exit(pvnet_exit);
MODULE_DEVICE_TABLE(virtio, pvnet_id_table);
MODULE_DESCRIPTION("virtio-net driver with pvlens virtualization statistics");
MODULE_LICENSE("GPL");
