// SPDX-License-Identifier: GPL-2.0
/*
 * pvlens_blk: virtio-blk driver that reports its own virtualization overhead
 * (kicks, interrupts, per-class latency) through pvlens_core, and recovers a
 * device that stops completing requests.
 */
#include <linux/blk-mq.h>
#include <linux/blk-mq-virtio.h>
#include <linux/blkdev.h>
#include <linux/debugfs.h>
#include <linux/hdreg.h>
#include <linux/idr.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/numa.h>
#include <linux/overflow.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string_helpers.h>
#include <linux/virtio.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <uapi/linux/virtio_ring.h>
#include <pvlens/blk_check.h>
#include <pvlens/core.h>
#include <pvlens/fault.h>

#define PVBLK_PART_BITS		4
#define PVBLK_VQ_NAME_LEN	16
/* A request the device failed to complete across this many resets fails. */
#define PVBLK_MAX_RESET_RETRIES	2
/*
 * How long a removal waits for a device that holds requests and answers
 * none before it fails them (the request timeout, 30 s by default, would
 * hold the removal).
 */
#define PVBLK_REMOVE_GRACE	(5 * HZ)

#ifdef CONFIG_ARCH_NO_SG_CHAIN
#define PVBLK_INLINE_SG_CNT	0
#else
#define PVBLK_INLINE_SG_CNT	2
#endif

static unsigned int num_request_queues;
module_param(num_request_queues, uint, 0644);
MODULE_PARM_DESC(num_request_queues,
		 "Maximum number of request queues per device (0: one per CPU)");

static unsigned int poll_queues;
module_param(poll_queues, uint, 0644);
MODULE_PARM_DESC(poll_queues, "Number of virtqueues dedicated to polled I/O");

static unsigned int queue_depth;
module_param(queue_depth, uint, 0444);
MODULE_PARM_DESC(queue_depth, "Tags per queue (0: fill the virtqueue)");

/* A reset goes through virtio_device_freeze()/restore(): PM_SLEEP only. */
static bool recovery = IS_ENABLED(CONFIG_PM_SLEEP);

static int pvblk_recovery_set(const char *val, const struct kernel_param *kp)
{
	bool on;

	if (kstrtobool(val, &on))
		return -EINVAL;
	if (on && !IS_ENABLED(CONFIG_PM_SLEEP)) {
		pr_err("pvlens_blk: recovery needs a kernel with CONFIG_PM_SLEEP\n");
		return -EOPNOTSUPP;
	}
	return param_set_bool(val, kp);
}

static const struct kernel_param_ops pvblk_recovery_ops = {
	.set = pvblk_recovery_set,
	.get = param_get_bool,
};
module_param_cb(recovery, &pvblk_recovery_ops, &recovery, 0644);
MODULE_PARM_DESC(recovery,
		 "Reset the device when it stops completing requests or asks for a reset (needs CONFIG_PM_SLEEP)");

/*
 * The host already orders and merges what reaches its disk; a guest
 * elevator in front of one virtqueue only adds CPU time per request (most
 * of the measured difference to the in-tree driver, Documentation/blk.rst).
 */
static bool no_sched_by_default = true;
module_param(no_sched_by_default, bool, 0644);
MODULE_PARM_DESC(no_sched_by_default,
		 "New disks start with the \"none\" I/O scheduler (N: the kernel's default, mq-deadline for one queue)");

enum pvblk_class {
	PVBLK_CLS_READ,
	PVBLK_CLS_WRITE,
	PVBLK_CLS_FLUSH,
	PVBLK_CLS_DISCARD,
	PVBLK_CLS_WRITE_ZEROES,
	PVBLK_CLS_SECURE_ERASE,
	PVBLK_CLS_GET_ID,
	PVBLK_NR_CLASSES
};

static const char * const pvblk_classes[] = {
	[PVBLK_CLS_READ]		= "read",
	[PVBLK_CLS_WRITE]		= "write",
	[PVBLK_CLS_FLUSH]		= "flush",
	[PVBLK_CLS_DISCARD]		= "discard",
	[PVBLK_CLS_WRITE_ZEROES]	= "write_zeroes",
	[PVBLK_CLS_SECURE_ERASE]	= "secure_erase",
	[PVBLK_CLS_GET_ID]		= "get_id",
};

enum pvblk_counter {
	PVBLK_CNT_ERR_IOERR,
	PVBLK_CNT_ERR_UNSUPP,
	PVBLK_CNT_ERR_OTHER,
	PVBLK_CNT_ERR_SHORT_LEN,
	PVBLK_CNT_ERR_RESET,
	PVBLK_CNT_TIMEOUTS,
	PVBLK_CNT_RESETS,
	PVBLK_CNT_RESET_REQUEUES,
	PVBLK_NR_COUNTERS
};

static const char * const pvblk_counters[] = {
	[PVBLK_CNT_ERR_IOERR]		= "err_ioerr",
	[PVBLK_CNT_ERR_UNSUPP]		= "err_unsupp",
	[PVBLK_CNT_ERR_OTHER]		= "err_other",
	[PVBLK_CNT_ERR_SHORT_LEN]	= "err_short_len",
	[PVBLK_CNT_ERR_RESET]		= "err_reset",
	[PVBLK_CNT_TIMEOUTS]		= "timeouts",
	[PVBLK_CNT_RESETS]		= "resets",
	[PVBLK_CNT_RESET_REQUEUES]	= "reset_requeues",
};

static_assert(ARRAY_SIZE(pvblk_classes) == PVBLK_NR_CLASSES);
static_assert(ARRAY_SIZE(pvblk_counters) == PVBLK_NR_COUNTERS);
static_assert(PVBLK_NR_CLASSES <= PVLENS_MAX_CLASSES);
static_assert(PVBLK_NR_COUNTERS <= PVLENS_MAX_COUNTERS);

static const struct pvlens_desc pvblk_stats_desc = {
	.classes	= pvblk_classes,
	.nr_classes	= PVBLK_NR_CLASSES,
	.counters	= pvblk_counters,
	.nr_counters	= PVBLK_NR_COUNTERS,
};

static int pvblk_major;
static struct dentry *pvblk_debugfs;
static DEFINE_IDA(pvblk_index_ida);
static struct workqueue_struct *pvblk_wq;

struct pvblk_vq {
	struct virtqueue *vq;
	/* Serialises the virtqueue and the pvlens inflight/kick fields. */
	spinlock_t lock;
	struct pvlens_queue *stats;
	/* Requests the device answered; read locklessly by the removal watchdog. */
	unsigned long answered;
	/*
	 * Under @lock: a full ring stopped a hardware queue, so the next
	 * completion restarts the stopped ones (instead of every completion).
	 */
	bool stopped;
	char name[PVBLK_VQ_NAME_LEN];
} ____cacheline_aligned_in_smp;

struct pvblk {
	/*
	 * Held by anything that may run after pvblk_remove() cleared @vdev
	 * (getgeo on a disk still open).  blk-mq, virtqueue callbacks and the
	 * disk's sysfs files are gone by then and do not take it.
	 */
	struct mutex vdev_mutex;
	struct virtio_device *vdev;
	struct gendisk *disk;
	struct blk_mq_tag_set tag_set;
	struct work_struct config_work;
	struct work_struct reset_work;
	struct delayed_work remove_watchdog;
	/* What the device had answered when the watchdog last looked. */
	unsigned long remove_answered;
	/* Protects @removing, @gone and @reset_pending. */
	spinlock_t state_lock;
	/*
	 * A reset is queued or running: a stall times out every request,
	 * and they all want the one reset.
	 */
	bool reset_pending;
	/* remove() runs: a stuck device is failed, not recovered. */
	bool removing;
	/* remove() is past the point where the reset work may run. */
	bool gone;
	/* The device is gone or unrecoverable: fail every request. */
	bool dead;
	/* freeze/restore run for recovery, not for system sleep. */
	bool recovering;
	int index;
	unsigned int num_vqs;
	unsigned int io_queues[HCTX_MAX_TYPES];
	u32 sg_elems;
	struct pvblk_vq *vqs;
	struct pvlens_dev *stats;
	struct dentry *debugfs;
	/*
	 * The buffers of a malformed chain queued through debugfs (a test of
	 * DEVICE_NEEDS_RESET), also its token in the ring; under vqs[0].lock.
	 */
	u8 *malformed;
};

struct pvblk_req {
	struct virtio_blk_outhdr out_hdr;
	u8 status;
	u8 cls;
	/* Resets this request went through; kept across requeues. */
	u8 retries;
	blk_status_t result;
	/* What the device says it wrote, status byte included (GET_ID). */
	u32 used_len;
	u64 start_ts;
	/* When the driver saw the completion: one clock read per interrupt. */
	u64 end_ts;
	struct sg_table sg_table;
	struct scatterlist sg[];
};

static inline struct pvblk_vq *pvblk_hctx_vq(struct blk_mq_hw_ctx *hctx)
{
	struct pvblk *vblk = hctx->queue->queuedata;

	return &vblk->vqs[hctx->queue_num];
}

static void pvblk_reset_work(struct work_struct *work);
static void pvblk_remove_watchdog(struct work_struct *work);
static unsigned long pvblk_progress(struct pvblk *vblk, unsigned int *held);

/* Returns true when this call queued the reset (none was pending). */
static bool pvblk_schedule_reset(struct pvblk *vblk)
{
	unsigned long flags;
	bool queued = false;

	spin_lock_irqsave(&vblk->state_lock, flags);
	if (!vblk->gone && !READ_ONCE(vblk->dead) && !vblk->reset_pending) {
		vblk->reset_pending = true;
		queued = queue_work(pvblk_wq, &vblk->reset_work);
	}
	spin_unlock_irqrestore(&vblk->state_lock, flags);
	return queued;
}

/* The reset work ended or was cancelled: the next stall may reset again. */
static void pvblk_reset_done(struct pvblk *vblk)
{
	spin_lock_irq(&vblk->state_lock);
	vblk->reset_pending = false;
	spin_unlock_irq(&vblk->state_lock);
}

/*
 * The one message for a config value the device got wrong: @field as the
 * spec names it, @bad as read, @used what the driver takes instead.
 * Returns -EINVAL when the device is refused.
 */
static int pvblk_check(struct virtio_device *vdev, const char *field, u64 bad,
		       u64 used, struct pvlens_blk_verdict v)
{
	switch (v.action) {
	case PVLENS_BLK_OK:
		return 0;
	case PVLENS_BLK_CLAMPED:
		dev_warn(&vdev->dev, "%s %llu %s, using %llu\n", field, bad,
			 v.why, used);
		return 0;
	case PVLENS_BLK_IGNORED:
		dev_warn(&vdev->dev, "%s %llu %s, ignored\n", field, bad,
			 v.why);
		return 0;
	case PVLENS_BLK_DISABLED:
		dev_warn(&vdev->dev, "%s %llu %s, feature disabled\n", field,
			 bad, v.why);
		return 0;
	default:
		dev_err(&vdev->dev, "%s %llu %s, device refused\n", field, bad,
			v.why);
		return -EINVAL;
	}
}

/* The error half of pvblk_set_result(), out of the completion loop. */
static noinline void pvblk_set_error(struct pvblk_vq *pvq,
				     struct pvblk_req *vbr, unsigned int len)
{
	switch (pvlens_blk_result(len, vbr->status)) {
	case PVLENS_BLK_RES_OK:
		vbr->result = BLK_STS_OK;
		break;
	case PVLENS_BLK_RES_IOERR:
		pvlens_count(pvq->stats, PVBLK_CNT_ERR_IOERR, 1);
		vbr->result = BLK_STS_IOERR;
		break;
	case PVLENS_BLK_RES_UNSUPP:
		pvlens_count(pvq->stats, PVBLK_CNT_ERR_UNSUPP, 1);
		vbr->result = BLK_STS_NOTSUPP;
		break;
	case PVLENS_BLK_RES_SHORT_LEN:
		dev_warn_ratelimited(&pvq->vq->vdev->dev,
				     "%s: used length %u misses the status byte\n",
				     pvq->name, len);
		pvlens_count(pvq->stats, PVBLK_CNT_ERR_SHORT_LEN, 1);
		vbr->result = BLK_STS_IOERR;
		break;
	default:
		pvlens_count(pvq->stats, PVBLK_CNT_ERR_OTHER, 1);
		vbr->result = BLK_STS_IOERR;
		break;
	}
}

/* Turns the device's answer into the request's result; counts errors. */
static __always_inline void pvblk_set_result(struct pvblk_vq *pvq,
					     struct pvblk_req *vbr,
					     unsigned int len)
{
	vbr->used_len = len;
	/* The common answer, as pvlens_blk_result() would classify it. */
	if (likely(len && vbr->status == VIRTIO_BLK_S_OK))
		vbr->result = BLK_STS_OK;
	else
		pvblk_set_error(pvq, vbr, len);
}

static int pvblk_add_req(struct virtqueue *vq, struct pvblk_req *vbr)
{
	struct scatterlist hdr, status, *sgs[3];
	unsigned int num_out = 0, num_in = 0;

	sg_init_one(&hdr, &vbr->out_hdr, sizeof(vbr->out_hdr));
	sgs[num_out++] = &hdr;

	if (vbr->sg_table.nents) {
		/* Only reads and GET_ID take data from the device. */
		if (vbr->cls != PVBLK_CLS_READ && vbr->cls != PVBLK_CLS_GET_ID)
			sgs[num_out++] = vbr->sg_table.sgl;
		else
			sgs[num_out + num_in++] = vbr->sg_table.sgl;
	}

	sg_init_one(&status, &vbr->status, sizeof(vbr->status));
	sgs[num_out + num_in++] = &status;

	return virtqueue_add_sgs(vq, sgs, num_out, num_in, vbr, GFP_ATOMIC);
}

/* The range list of a discard, write-zeroes or secure-erase request. */
static int pvblk_setup_ranges(struct request *req, bool unmap)
{
	struct virtio_blk_discard_write_zeroes *range;
	u32 flags = unmap ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0;
	unsigned int n = 0, segments = 1;
	bool per_bio;
	struct bio *bio;

	/*
	 * Only multi-range discards are merged from bios that need not touch;
	 * anything else is one contiguous range, whatever its bios look like.
	 * A secure erase must be: the block layer counts its bios against
	 * max_segments, not max_discard_segments, so one range per bio could
	 * exceed max_secure_erase_seg.
	 */
	per_bio = req_op(req) == REQ_OP_DISCARD &&
		  queue_max_discard_segments(req->q) > 1;
	if (per_bio) {
		segments = 0;
		__rq_for_each_bio(bio, req)
			segments++;
	}

	range = pvlens_fault_null(kmalloc_array(segments, sizeof(*range),
						GFP_ATOMIC));
	if (!range)
		return -ENOMEM;

	if (per_bio) {
		__rq_for_each_bio(bio, req) {
			range[n].flags = cpu_to_le32(flags);
			range[n].num_sectors =
				cpu_to_le32(bio_sectors(bio));
			range[n].sector = cpu_to_le64(bio->bi_iter.bi_sector);
			n++;
		}
	} else {
		range[0].flags = cpu_to_le32(flags);
		range[0].num_sectors = cpu_to_le32(blk_rq_sectors(req));
		range[0].sector = cpu_to_le64(blk_rq_pos(req));
	}

	req->special_vec.bv_page = virt_to_page(range);
	req->special_vec.bv_offset = offset_in_page(range);
	req->special_vec.bv_len = sizeof(*range) * segments;
	req->rq_flags |= RQF_SPECIAL_PAYLOAD;
	return 0;
}

static void pvblk_cleanup_cmd(struct request *req)
{
	if (req->rq_flags & RQF_SPECIAL_PAYLOAD) {
		kfree(bvec_virt(&req->special_vec));
		req->rq_flags &= ~RQF_SPECIAL_PAYLOAD;
	}
}

static void pvblk_unmap_data(struct request *req, struct pvblk_req *vbr)
{
	if (blk_rq_nr_phys_segments(req))
		sg_free_table_chained(&vbr->sg_table, PVBLK_INLINE_SG_CNT);
}

static int pvblk_map_data(struct blk_mq_hw_ctx *hctx, struct request *req,
			  struct pvblk_req *vbr)
{
	if (!blk_rq_nr_phys_segments(req))
		return 0;

	vbr->sg_table.sgl = vbr->sg;
	if (pvlens_fault_errno(sg_alloc_table_chained(&vbr->sg_table,
						      blk_rq_nr_phys_segments(req),
						      vbr->sg_table.sgl,
						      PVBLK_INLINE_SG_CNT)))
		return -ENOMEM;

	return blk_rq_map_sg(hctx->queue, req, vbr->sg_table.sgl);
}

static __always_inline blk_status_t pvblk_setup_cmd(struct virtio_device *vdev,
						    struct request *req,
						    struct pvblk_req *vbr)
{
	bool unmap = false;
	u64 sector = 0;
	u32 type;

	switch (req_op(req)) {
	case REQ_OP_READ:
		type = VIRTIO_BLK_T_IN;
		sector = blk_rq_pos(req);
		vbr->cls = PVBLK_CLS_READ;
		break;
	case REQ_OP_WRITE:
		type = VIRTIO_BLK_T_OUT;
		sector = blk_rq_pos(req);
		vbr->cls = PVBLK_CLS_WRITE;
		break;
	case REQ_OP_FLUSH:
		type = VIRTIO_BLK_T_FLUSH;
		vbr->cls = PVBLK_CLS_FLUSH;
		break;
	case REQ_OP_DISCARD:
		type = VIRTIO_BLK_T_DISCARD;
		vbr->cls = PVBLK_CLS_DISCARD;
		break;
	case REQ_OP_WRITE_ZEROES:
		type = VIRTIO_BLK_T_WRITE_ZEROES;
		unmap = !(req->cmd_flags & REQ_NOUNMAP);
		vbr->cls = PVBLK_CLS_WRITE_ZEROES;
		break;
	case REQ_OP_SECURE_ERASE:
		type = VIRTIO_BLK_T_SECURE_ERASE;
		vbr->cls = PVBLK_CLS_SECURE_ERASE;
		break;
	case REQ_OP_DRV_IN:
		type = VIRTIO_BLK_T_GET_ID;
		vbr->cls = PVBLK_CLS_GET_ID;
		break;
	default:
		WARN_ON_ONCE(1);
		return BLK_STS_IOERR;
	}

	vbr->out_hdr.type = cpu_to_virtio32(vdev, type);
	vbr->out_hdr.sector = cpu_to_virtio64(vdev, sector);
	vbr->out_hdr.ioprio = cpu_to_virtio32(vdev, req_get_ioprio(req));
	vbr->result = BLK_STS_OK;
	vbr->used_len = 0;

	if (vbr->cls == PVBLK_CLS_DISCARD ||
	    vbr->cls == PVBLK_CLS_WRITE_ZEROES ||
	    vbr->cls == PVBLK_CLS_SECURE_ERASE) {
		if (pvblk_setup_ranges(req, unmap))
			return BLK_STS_RESOURCE;
	}
	return BLK_STS_OK;
}

/* Inline in its two callers: one call less per request. */
static __always_inline blk_status_t
pvblk_prep_rq(struct blk_mq_hw_ctx *hctx, struct pvblk *vblk,
	      struct request *req, struct pvblk_req *vbr, u64 now)
{
	blk_status_t status;
	int num;

	if (unlikely(READ_ONCE(vblk->dead))) {
		vbr->retries = 0;
		return BLK_STS_IOERR;
	}

	status = pvblk_setup_cmd(vblk->vdev, req, vbr);
	if (unlikely(status)) {
		/* No memory for the range list: back later. */
		if (status == BLK_STS_RESOURCE)
			pvlens_requeue(pvblk_hctx_vq(hctx)->stats);
		else
			vbr->retries = 0;
		return status;
	}

	num = pvblk_map_data(hctx, req, vbr);
	if (unlikely(num < 0)) {
		/* No memory for the segment list: back later. */
		pvblk_cleanup_cmd(req);
		pvlens_requeue(pvblk_hctx_vq(hctx)->stats);
		return BLK_STS_RESOURCE;
	}
	vbr->sg_table.nents = num;

	blk_mq_start_request(req);
	vbr->start_ts = now;
	vbr->end_ts = 0;
	return BLK_STS_OK;
}

/* Requests that ended before the device answered read the clock here. */
static noinline void pvblk_account_unanswered(struct pvblk_vq *pvq,
					      struct request *req,
					      struct pvblk_req *vbr)
{
	pvlens_op_done(pvq->stats, vbr->cls, blk_rq_bytes(req),
		       vbr->start_ts, vbr->result != BLK_STS_OK);
}

static __always_inline void pvblk_account(struct pvblk_vq *pvq,
					  struct request *req,
					  struct pvblk_req *vbr)
{
	if (unlikely(vbr->start_ts && !vbr->end_ts))
		pvblk_account_unanswered(pvq, req, vbr);
	else if (vbr->start_ts)
		pvlens_op_done_latency(pvq->stats, vbr->cls, blk_rq_bytes(req),
				       pvlens_elapsed_ns(vbr->start_ts,
							 vbr->end_ts),
				       vbr->result != BLK_STS_OK);
	else
		/* Timing was off when the request started: counters only. */
		pvlens_op_done(pvq->stats, vbr->cls, blk_rq_bytes(req), 0,
			       vbr->result != BLK_STS_OK);
}

/* The debugfs chain came back (from the device or a reset): drop it. */
static bool pvblk_is_malformed(struct pvblk *vblk, void *token)
{
	if (likely(!token || token != vblk->malformed))
		return false;
	kfree(vblk->malformed);
	vblk->malformed = NULL;
	return true;
}

/* Accounts a finished request and releases what it held, before it ends. */
static __always_inline struct pvblk_req *pvblk_finish(struct request *req)
{
	struct pvblk_req *vbr = blk_mq_rq_to_pdu(req);

	pvblk_account(pvblk_hctx_vq(req->mq_hctx), req, vbr);
	pvblk_unmap_data(req, vbr);
	pvblk_cleanup_cmd(req);
	vbr->retries = 0;
	return vbr;
}

static void pvblk_request_done(struct request *req)
{
	blk_mq_end_request(req, pvblk_finish(req)->result);
}

/* Ends requests gathered from the ring by an interrupt or a poll. */
static void pvblk_complete_batch(struct io_comp_batch *iob)
{
	struct request *req;

	rq_list_for_each(&iob->req_list, req)
		pvblk_finish(req);
	blk_mq_end_request_batch(iob);
}

/*
 * A request the device answered: its status, and its end time, read once
 * per interrupt or poll (*now starts at 0) because a clock read costs.
 */
static __always_inline void pvblk_answered(struct pvblk_vq *pvq,
					   struct pvblk_req *vbr,
					   unsigned int len, u64 *now)
{
	if (vbr->start_ts && !*now)
		*now = pvlens_now();
	vbr->end_ts = *now;
	pvblk_set_result(pvq, vbr, len);
}

/* Caller holds @pvq->lock and has taken requests off its ring. */
static __always_inline void pvblk_restart(struct pvblk *vblk,
					  struct pvblk_vq *pvq)
{
	if (unlikely(pvq->stopped)) {
		pvq->stopped = false;
		blk_mq_start_stopped_hw_queues(vblk->disk->queue, true);
	}
}

static void pvblk_done(struct virtqueue *vq)
{
	struct pvblk *vblk = vq->vdev->priv;
	struct pvblk_vq *pvq = &vblk->vqs[vq->index];
	DEFINE_IO_COMP_BATCH(iob);
	struct pvblk_req *vbr;
	unsigned int found = 0;
	unsigned long flags;
	unsigned int len;
	u64 now = 0;

	spin_lock_irqsave(&pvq->lock, flags);
	do {
		virtqueue_disable_cb(vq);
		while ((vbr = virtqueue_get_buf(vq, &len)) != NULL) {
			struct request *req = blk_mq_rq_from_pdu(vbr);

			if (unlikely(pvblk_is_malformed(vblk, vbr)))
				continue;
			pvblk_answered(pvq, vbr, len, &now);
			found++;
			if (unlikely(blk_should_fake_timeout(req->q)))
				continue;
			/*
			 * Like NVMe's interrupt handler: what the block layer
			 * lets us batch ends in one pass, which frees the
			 * tags together; the rest (errors, a scheduler,
			 * flushes) ends one by one as before.  Only where
			 * blk-mq would end it on this CPU anyway: a queue
			 * shared by CPUs leaves it to rq_affinity (the
			 * submitter's CPU, or the block softirq).
			 */
			if (req->mq_hctx->nr_ctx != 1 ||
			    !blk_mq_add_to_batch(req, &iob,
						 vbr->result != BLK_STS_OK,
						 pvblk_complete_batch))
				blk_mq_complete_request(req);
		}
		if (unlikely(virtqueue_is_broken(vq)))
			break;
	} while (!virtqueue_enable_cb(vq));

	WRITE_ONCE(pvq->answered, pvq->answered + found);
	pvlens_inflight_sub(pvq->stats, found);
	pvlens_interrupt(pvq->stats, !found);
	/* A queue stopped on a full ring has room again. */
	if (found)
		pvblk_restart(vblk, pvq);
	spin_unlock_irqrestore(&pvq->lock, flags);

	/* Ended outside the lock, which submissions to this queue wait for. */
	if (!rq_list_empty(iob.req_list))
		iob.complete(&iob);
}

static void pvblk_commit_rqs(struct blk_mq_hw_ctx *hctx)
{
	struct pvblk_vq *pvq = pvblk_hctx_vq(hctx);
	unsigned int batch;

	spin_lock_irq(&pvq->lock);
	/* blk-mq commits after failed requests too, the queues maybe gone. */
	batch = pvq->vq ? pvlens_kick_prepare(pvq->stats, pvq->vq) : 0;
	spin_unlock_irq(&pvq->lock);

	if (batch)
		pvlens_notify(pvq->stats, pvq->vq, batch);
}

static blk_status_t pvblk_queue_rq(struct blk_mq_hw_ctx *hctx,
				   const struct blk_mq_queue_data *bd)
{
	struct pvblk *vblk = hctx->queue->queuedata;
	struct pvblk_vq *pvq = &vblk->vqs[hctx->queue_num];
	struct request *req = bd->rq;
	struct pvblk_req *vbr = blk_mq_rq_to_pdu(req);
	unsigned int batch = 0;
	unsigned long flags;
	blk_status_t status;
	u64 now;
	int err;

	/* The start time is read below, once the request is in the ring. */
	status = pvblk_prep_rq(hctx, vblk, req, vbr, 0);
	if (unlikely(status))
		return status;

	spin_lock_irqsave(&pvq->lock, flags);
	err = pvblk_add_req(pvq->vq, vbr);
	if (unlikely(err)) {
		/*
		 * A request can find even an empty ring too small (no memory
		 * for its indirect table): then no completion will come to
		 * restart a stopped queue, so blk-mq retries after a delay.
		 */
		bool ring_busy = pvq->vq->num_free <
				 virtqueue_get_vring_size(pvq->vq);

		/* Let the device drain what is already queued. */
		pvlens_kick(pvq->stats, pvq->vq);
		/* -ENOMEM is a global shortage, not a full ring: keep going. */
		if (err == -ENOSPC && ring_busy) {
			blk_mq_stop_hw_queue(hctx);
			pvq->stopped = true;
		}
		spin_unlock_irqrestore(&pvq->lock, flags);
		pvblk_unmap_data(req, vbr);
		pvblk_cleanup_cmd(req);
		switch (err) {
		case -ENOSPC:
			pvlens_requeue(pvq->stats);
			return ring_busy ? BLK_STS_DEV_RESOURCE :
					   BLK_STS_RESOURCE;
		case -ENOMEM:
			pvlens_requeue(pvq->stats);
			return BLK_STS_RESOURCE;
		default:
			vbr->retries = 0;
			return BLK_STS_IOERR;
		}
	}
	pvlens_inflight_add(pvq->stats, 1);
	if (bd->last)
		batch = pvlens_kick_prepare(pvq->stats, pvq->vq);
	/*
	 * One clock read is both the request's start and the kick's, instead
	 * of one at the top of queue_rq and one in pvlens_notify().  Read
	 * under the lock: the completion reads start_ts under it too.  So a
	 * request's latency starts after it was prepared and added to the
	 * ring (well under a microsecond later than at the top), and the
	 * kick's cost includes the lock release.
	 */
	now = pvlens_now();
	vbr->start_ts = now;
	spin_unlock_irqrestore(&pvq->lock, flags);

	if (batch)
		pvlens_notify_from(pvq->stats, pvq->vq, batch, now);
	return BLK_STS_OK;
}

static void pvblk_add_req_batch(struct pvblk_vq *pvq, struct request **rqlist)
{
	unsigned int added = 0, batch;
	struct request *req;
	unsigned long flags;

	/* Every request failed its preparation (a dead disk has no queues). */
	if (rq_list_empty(*rqlist))
		return;
	spin_lock_irqsave(&pvq->lock, flags);
	while ((req = rq_list_pop(rqlist))) {
		struct pvblk_req *vbr = blk_mq_rq_to_pdu(req);

		if (pvblk_add_req(pvq->vq, vbr)) {
			pvblk_unmap_data(req, vbr);
			pvblk_cleanup_cmd(req);
			pvlens_requeue(pvq->stats);
			blk_mq_requeue_request(req, true);
			continue;
		}
		added++;
	}
	pvlens_inflight_add(pvq->stats, added);
	batch = pvlens_kick_prepare(pvq->stats, pvq->vq);
	spin_unlock_irqrestore(&pvq->lock, flags);

	if (batch)
		pvlens_notify(pvq->stats, pvq->vq, batch);
}

static void pvblk_queue_rqs(struct request **rqlist)
{
	struct request *requeue_list = NULL, **requeue_lastp = &requeue_list;
	struct request *submit_list = NULL;
	struct pvblk_vq *pvq = NULL;
	/* The batch goes to the device at once: one start time for all. */
	u64 now = pvlens_now();
	struct request *req;

	while ((req = rq_list_pop(rqlist))) {
		struct blk_mq_hw_ctx *hctx = req->mq_hctx;
		struct pvblk_vq *this_pvq = pvblk_hctx_vq(hctx);

		if (pvq && pvq != this_pvq)
			pvblk_add_req_batch(pvq, &submit_list);
		pvq = this_pvq;

		hctx->tags->rqs[req->tag] = req;
		if (pvblk_prep_rq(hctx, hctx->queue->queuedata, req,
				  blk_mq_rq_to_pdu(req), now) == BLK_STS_OK)
			rq_list_add(&submit_list, req);
		else
			rq_list_add_tail(&requeue_lastp, req);
	}

	if (pvq)
		pvblk_add_req_batch(pvq, &submit_list);
	/* The block layer issues these one by one through queue_rq. */
	*rqlist = requeue_list;
}

static int pvblk_poll(struct blk_mq_hw_ctx *hctx, struct io_comp_batch *iob)
{
	struct pvblk *vblk = hctx->queue->queuedata;
	struct pvblk_vq *pvq = &vblk->vqs[hctx->queue_num];
	struct pvblk_req *vbr;
	unsigned long flags;
	unsigned int len;
	int found = 0;
	u64 now = 0;

	spin_lock_irqsave(&pvq->lock, flags);
	/* No virtqueue while a reset re-creates them. */
	while (pvq->vq && (vbr = virtqueue_get_buf(pvq->vq, &len)) != NULL) {
		struct request *req = blk_mq_rq_from_pdu(vbr);

		pvblk_answered(pvq, vbr, len, &now);
		found++;
		if (!blk_mq_add_to_batch(req, iob, vbr->result != BLK_STS_OK,
					 pvblk_complete_batch))
			blk_mq_complete_request(req);
	}
	WRITE_ONCE(pvq->answered, pvq->answered + found);
	pvlens_inflight_sub(pvq->stats, found);
	if (found)
		pvblk_restart(vblk, pvq);
	spin_unlock_irqrestore(&pvq->lock, flags);

	return found;
}

static enum blk_eh_timer_return pvblk_timeout(struct request *req)
{
	struct pvblk *vblk = req->q->queuedata;
	struct pvblk_vq *pvq = pvblk_hctx_vq(req->mq_hctx);

	pvlens_count(pvq->stats, PVBLK_CNT_TIMEOUTS, 1);
	/*
	 * Without recovery, wait for the device like the in-tree driver;
	 * but never let a removal wait forever.
	 */
	if (!READ_ONCE(recovery) && !READ_ONCE(vblk->removing))
		return BLK_EH_RESET_TIMER;

	/*
	 * The reset work requeues or fails this request with the others;
	 * a stall times out every request at once, so only the request that
	 * queued the reset says so.
	 */
	if (pvblk_schedule_reset(vblk))
		dev_warn(&vblk->vdev->dev,
			 "%s: request timed out after %u ms, resetting device\n",
			 pvq->name, jiffies_to_msecs(req->timeout));
	return BLK_EH_RESET_TIMER;
}

static void pvblk_map_queues(struct blk_mq_tag_set *set)
{
	struct pvblk *vblk = set->driver_data;
	unsigned int i, qoff;

	for (i = 0, qoff = 0; i < set->nr_maps; i++) {
		struct blk_mq_queue_map *map = &set->map[i];

		map->nr_queues = vblk->io_queues[i];
		map->queue_offset = qoff;
		qoff += map->nr_queues;
		if (!map->nr_queues)
			continue;

		/* Poll queues have no interrupt whose affinity to follow. */
		if (i == HCTX_TYPE_POLL)
			blk_mq_map_queues(map);
		else
			blk_mq_virtio_map_queues(map, vblk->vdev, 0);
	}
}

static int pvblk_init_request(struct blk_mq_tag_set *set, struct request *req,
			      unsigned int hctx_idx, unsigned int numa_node)
{
	struct pvblk_req *vbr = blk_mq_rq_to_pdu(req);

	vbr->retries = 0;
	return 0;
}

static const struct blk_mq_ops pvblk_mq_ops = {
	.queue_rq	= pvblk_queue_rq,
	.queue_rqs	= pvblk_queue_rqs,
	.commit_rqs	= pvblk_commit_rqs,
	.complete	= pvblk_request_done,
	.timeout	= pvblk_timeout,
	.init_request	= pvblk_init_request,
	.map_queues	= pvblk_map_queues,
	.poll		= pvblk_poll,
};

/*
 * Takes back every buffer the (already reset) device still holds: requeued
 * for a retry after recovery, or failed when the device is going away.
 */
static void pvblk_reclaim(struct pvblk *vblk, bool requeue)
{
	unsigned int i;

	for (i = 0; i < vblk->num_vqs; i++) {
		struct pvblk_vq *pvq = &vblk->vqs[i];
		unsigned int n = 0, requeued = 0;
		struct pvblk_req *vbr;
		unsigned long flags;

		if (!pvq->vq)
			continue;
		spin_lock_irqsave(&pvq->lock, flags);
		while ((vbr = virtqueue_detach_unused_buf(pvq->vq)) != NULL) {
			struct request *req = blk_mq_rq_from_pdu(vbr);

			if (pvblk_is_malformed(vblk, vbr))
				continue;
			n++;
			/* A request that keeps wedging the device fails. */
			if (requeue &&
			    ++vbr->retries <= PVBLK_MAX_RESET_RETRIES) {
				pvblk_unmap_data(req, vbr);
				pvblk_cleanup_cmd(req);
				blk_mq_requeue_request(req, false);
				requeued++;
				continue;
			}
			vbr->result = BLK_STS_IOERR;
			blk_mq_complete_request(req);
		}
		pvlens_inflight_sub(pvq->stats, n);
		spin_unlock_irqrestore(&pvq->lock, flags);

		pvlens_count(pvq->stats, PVBLK_CNT_RESET_REQUEUES, requeued);
		pvlens_count(pvq->stats, PVBLK_CNT_ERR_RESET, n - requeued);
		if (requeue && n != requeued)
			dev_warn(&vblk->vdev->dev,
				 "%s: %u requests failed after %u resets\n",
				 pvq->name, n - requeued,
				 PVBLK_MAX_RESET_RETRIES);
	}
}

static void pvblk_del_vqs(struct pvblk *vblk)
{
	unsigned int i;

	if (!vblk->vqs[0].vq)
		return;
	/* Polling is not stopped by quiescing: it must see the vq go. */
	for (i = 0; i < vblk->num_vqs; i++) {
		spin_lock_irq(&vblk->vqs[i].lock);
		vblk->vqs[i].vq = NULL;
		spin_unlock_irq(&vblk->vqs[i].lock);
	}
	vblk->vdev->config->del_vqs(vblk->vdev);
}

/* Dispatch again after a quiesce: stopped queues and requeued requests too. */
static void pvblk_run_queue_again(struct request_queue *q)
{
	blk_mq_unquiesce_queue(q);
	blk_mq_start_stopped_hw_queues(q, true);
	blk_mq_kick_requeue_list(q);
}

/*
 * Gives up on the device: whatever it holds and whatever comes later fails.
 * A device already marked broken (surprise removal) is not reset: it is gone,
 * and polling its status would never end.
 */
static void pvblk_fail_device(struct pvblk *vblk)
{
	struct virtio_device *vdev = vblk->vdev;
	struct request_queue *q = vblk->disk->queue;

	WRITE_ONCE(vblk->dead, true);
	blk_mark_disk_dead(vblk->disk);
	blk_mq_quiesce_queue(q);
	if (vblk->vqs[0].vq && !virtqueue_is_broken(vblk->vqs[0].vq))
		virtio_reset_device(vdev);
	pvblk_reclaim(vblk, false);
	pvblk_run_queue_again(q);
}

/* Queue count and names; the count stays fixed for the device's life. */
static int pvblk_alloc_vqs(struct pvblk *vblk)
{
	struct virtio_device *vdev = vblk->vdev;
	unsigned int num_vqs, num_poll_vqs, i;
	struct pvlens_blk_verdict v;
	u16 nq;

	if (virtio_cread_feature(vdev, VIRTIO_BLK_F_MQ,
				 struct virtio_blk_config, num_queues, &nq))
		nq = 1;
	v = pvlens_blk_num_queues(nq, min_not_zero(num_request_queues,
						   nr_cpu_ids), &num_vqs);
	pvblk_check(vdev, "num_queues", nq, num_vqs, v);
	num_poll_vqs = min_t(unsigned int, poll_queues, num_vqs - 1);

	vblk->io_queues[HCTX_TYPE_DEFAULT] = num_vqs - num_poll_vqs;
	vblk->io_queues[HCTX_TYPE_READ] = 0;
	vblk->io_queues[HCTX_TYPE_POLL] = num_poll_vqs;
	dev_info(&vdev->dev, "%u/%u/%u default/read/poll queues (device offers %u)\n",
		 vblk->io_queues[HCTX_TYPE_DEFAULT],
		 vblk->io_queues[HCTX_TYPE_READ],
		 vblk->io_queues[HCTX_TYPE_POLL], nq);

	vblk->vqs = pvlens_fault_null(kcalloc(num_vqs, sizeof(*vblk->vqs),
					      GFP_KERNEL));
	if (!vblk->vqs)
		return -ENOMEM;

	for (i = 0; i < num_vqs; i++) {
		spin_lock_init(&vblk->vqs[i].lock);
		if (i < num_vqs - num_poll_vqs)
			snprintf(vblk->vqs[i].name, PVBLK_VQ_NAME_LEN,
				 "req.%u", i);
		else
			snprintf(vblk->vqs[i].name, PVBLK_VQ_NAME_LEN,
				 "req_poll.%u", i);
	}
	vblk->num_vqs = num_vqs;
	return 0;
}

static int pvblk_find_vqs(struct pvblk *vblk)
{
	struct virtio_device *vdev = vblk->vdev;
	unsigned int n = vblk->num_vqs, i;
	struct irq_affinity desc = { 0 };
	vq_callback_t **callbacks;
	struct virtqueue **vqs;
	const char **names;
	int err = -ENOMEM;

	names = pvlens_fault_null(kmalloc_array(n, sizeof(*names), GFP_KERNEL));
	callbacks = pvlens_fault_null(kmalloc_array(n, sizeof(*callbacks),
						    GFP_KERNEL));
	vqs = pvlens_fault_null(kmalloc_array(n, sizeof(*vqs), GFP_KERNEL));
	if (!names || !callbacks || !vqs)
		goto out;

	for (i = 0; i < n; i++) {
		names[i] = vblk->vqs[i].name;
		callbacks[i] = i < vblk->io_queues[HCTX_TYPE_DEFAULT] ?
			       pvblk_done : NULL;
	}

	err = pvlens_fault_errno(virtio_find_vqs(vdev, n, vqs, callbacks,
						 names, &desc));
	if (err)
		goto out;

	for (i = 0; i < n; i++) {
		spin_lock_irq(&vblk->vqs[i].lock);
		vblk->vqs[i].vq = vqs[i];
		spin_unlock_irq(&vblk->vqs[i].lock);
	}
out:
	kfree(vqs);
	kfree(callbacks);
	kfree(names);
	return err;
}

/* The device's ID string into @id_str; *@used_len as for the request. */
static blk_status_t pvblk_get_id(struct pvblk *vblk, char *id_str,
				 u32 *used_len)
{
	struct request_queue *q = vblk->disk->queue;
	struct request *req;
	blk_status_t status;

	req = pvlens_fault_errptr(blk_mq_alloc_request(q, REQ_OP_DRV_IN, 0));
	if (IS_ERR(req))
		return errno_to_blk_status(PTR_ERR(req));

	if (pvlens_fault_errno(blk_rq_map_kern(q, req, id_str,
					       VIRTIO_BLK_ID_BYTES, GFP_KERNEL)))
		status = BLK_STS_RESOURCE;
	else
		status = blk_execute_rq(req, false);
	*used_len = ((struct pvblk_req *)blk_mq_rq_to_pdu(req))->used_len;
	blk_mq_free_request(req);
	return status;
}

/* Only to please old partitioning tools. */
static int pvblk_getgeo(struct block_device *bd, struct hd_geometry *geo)
{
	struct pvblk *vblk = bd->bd_disk->private_data;
	struct virtio_device *vdev;
	int ret = 0;

	mutex_lock(&vblk->vdev_mutex);
	vdev = vblk->vdev;
	if (!vdev) {
		ret = -ENXIO;
	} else if (virtio_has_feature(vdev, VIRTIO_BLK_F_GEOMETRY)) {
		virtio_cread(vdev, struct virtio_blk_config,
			     geometry.cylinders, &geo->cylinders);
		virtio_cread(vdev, struct virtio_blk_config,
			     geometry.heads, &geo->heads);
		virtio_cread(vdev, struct virtio_blk_config,
			     geometry.sectors, &geo->sectors);
	} else {
		/* What sd reports without a geometry. */
		geo->heads = 1 << 6;
		geo->sectors = 1 << 5;
		geo->cylinders = get_capacity(bd->bd_disk) >> 11;
	}
	mutex_unlock(&vblk->vdev_mutex);
	return ret;
}

static void pvblk_free_disk(struct gendisk *disk)
{
	struct pvblk *vblk = disk->private_data;

	ida_free(&pvblk_index_ida, vblk->index);
	mutex_destroy(&vblk->vdev_mutex);
	kfree(vblk);
}

static const struct block_device_operations pvblk_fops = {
	.owner		= THIS_MODULE,
	.getgeo		= pvblk_getgeo,
	.free_disk	= pvblk_free_disk,
};

static ssize_t serial_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct pvblk *vblk = dev_to_disk(dev)->private_data;
	struct virtio_device *vdev = vblk->vdev;
	blk_status_t status;
	u32 used_len, bad, len;

	/* A dead disk's queue stays frozen: a request would wait for ever. */
	if (READ_ONCE(vblk->dead))
		return -EIO;
	BUILD_BUG_ON(VIRTIO_BLK_ID_BYTES + 1 > PAGE_SIZE);
	/* What a legacy device leaves unwritten must read as the end. */
	memset(buf, 0, VIRTIO_BLK_ID_BYTES + 1);
	status = pvblk_get_id(vblk, buf, &used_len);
	if (status == BLK_STS_OK) {
		/* In place: each byte is read before it is written. */
		len = pvlens_blk_serial(buf, (u8 *)buf, used_len,
					!virtio_has_feature(vdev, VIRTIO_F_VERSION_1),
					&bad);
		if (bad)
			dev_warn_ratelimited(&vdev->dev,
					     "serial has %u non-printable bytes, shown as '?'\n",
					     bad);
		return len;
	}
	/* A device without GET_ID has no serial: an empty file. */
	if (status == BLK_STS_IOERR || status == BLK_STS_NOTSUPP)
		return 0;
	return blk_status_to_errno(status);
}
static DEVICE_ATTR_RO(serial);

static const char * const pvblk_cache_types[] = {
	"write through", "write back"
};

static bool pvblk_writeback(struct virtio_device *vdev)
{
	u8 wce;

	/* Without a writable WCE the cache is write-back iff flush exists. */
	if (virtio_cread_feature(vdev, VIRTIO_BLK_F_CONFIG_WCE,
				 struct virtio_blk_config, wce, &wce))
		return virtio_has_feature(vdev, VIRTIO_BLK_F_FLUSH);
	return wce != 0;
}

static void pvblk_update_cache_mode(struct pvblk *vblk)
{
	/* No FUA in virtio-blk: the block layer emulates it with a flush. */
	blk_queue_write_cache(vblk->disk->queue, pvblk_writeback(vblk->vdev),
			      false);
}

static ssize_t cache_type_store(struct device *dev,
				struct device_attribute *attr,
				const char *buf, size_t count)
{
	struct pvblk *vblk = dev_to_disk(dev)->private_data;
	struct virtio_device *vdev = vblk->vdev;
	int i;

	if (!virtio_has_feature(vdev, VIRTIO_BLK_F_CONFIG_WCE))
		return -EPERM;
	i = sysfs_match_string(pvblk_cache_types, buf);
	if (i < 0)
		return i;

	virtio_cwrite8(vdev, offsetof(struct virtio_blk_config, wce), i);
	/* Re-read: the device decides what it accepted. */
	pvblk_update_cache_mode(vblk);
	return count;
}

static ssize_t cache_type_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct pvblk *vblk = dev_to_disk(dev)->private_data;

	return sysfs_emit(buf, "%s\n",
			  pvblk_cache_types[pvblk_writeback(vblk->vdev)]);
}
static DEVICE_ATTR_RW(cache_type);

static struct attribute *pvblk_attrs[] = {
	&dev_attr_serial.attr,
	&dev_attr_cache_type.attr,
	NULL,
};

static umode_t pvblk_attrs_are_visible(struct kobject *kobj,
				       struct attribute *a, int n)
{
	struct gendisk *disk = dev_to_disk(kobj_to_dev(kobj));
	struct pvblk *vblk = disk->private_data;

	if (a == &dev_attr_cache_type.attr &&
	    !virtio_has_feature(vblk->vdev, VIRTIO_BLK_F_CONFIG_WCE))
		return 0444;
	return a->mode;
}

static const struct attribute_group pvblk_attr_group = {
	.attrs		= pvblk_attrs,
	.is_visible	= pvblk_attrs_are_visible,
};

static const struct attribute_group *pvblk_attr_groups[] = {
	&pvblk_attr_group,
	NULL,
};

/* The logical block size must be set before this runs. */
static void pvblk_update_capacity(struct pvblk *vblk, bool resize)
{
	struct virtio_device *vdev = vblk->vdev;
	struct request_queue *q = vblk->disk->queue;
	unsigned int lbs = queue_logical_block_size(q);
	char size2[10], size10[10];
	struct pvlens_blk_verdict v;
	u64 raw, capacity;

	virtio_cread(vdev, struct virtio_blk_config, capacity, &raw);
	v = pvlens_blk_capacity(raw, lbs, &capacity);
	pvblk_check(vdev, "capacity", raw, capacity, v);

	string_get_size(capacity, SECTOR_SIZE, STRING_UNITS_2, size2,
			sizeof(size2));
	string_get_size(capacity, SECTOR_SIZE, STRING_UNITS_10, size10,
			sizeof(size10));
	dev_notice(&vdev->dev, "[%s] %s%llu %u-byte logical blocks (%s/%s)\n",
		   vblk->disk->disk_name, resize ? "new size: " : "",
		   DIV_ROUND_UP_ULL(capacity, lbs >> SECTOR_SHIFT), lbs,
		   size10, size2);

	set_capacity_and_notify(vblk->disk, capacity);
}

static void pvblk_config_changed_work(struct work_struct *work)
{
	struct pvblk *vblk = container_of(work, struct pvblk, config_work);

	pvblk_update_capacity(vblk, true);
}

static void pvblk_config_changed(struct virtio_device *vdev)
{
	struct pvblk *vblk = vdev->priv;

	if (vdev->config->get_status(vdev) & VIRTIO_CONFIG_S_NEEDS_RESET) {
		dev_warn(&vdev->dev, "device needs a reset\n");
		if (READ_ONCE(recovery))
			pvblk_schedule_reset(vblk);
		return;
	}
	queue_work(pvblk_wq, &vblk->config_work);
}

/* Legacy "vd" naming: vda..vdz, vdaa..., as users expect. */
static int pvblk_name_format(const char *prefix, int index, char *buf,
			     int buflen)
{
	const int base = 'z' - 'a' + 1;
	char *begin = buf + strlen(prefix);
	char *end = buf + buflen;
	char *p = end - 1;

	*p = '\0';
	do {
		if (p == begin)
			return -EINVAL;
		*--p = 'a' + (index % base);
		index = index / base - 1;
	} while (index >= 0);

	memmove(begin, p, end - p);
	memcpy(buf, prefix, strlen(prefix));
	return 0;
}

/* Segment limits for virtqueues of at least @ring entries. */
static void pvblk_set_segment_limits(struct pvblk *vblk, u32 ring)
{
	struct virtio_device *vdev = vblk->vdev;
	struct request_queue *q = vblk->disk->queue;
	size_t max_dma = virtio_max_dma_size(vdev);
	u32 max_size = min_t(size_t, max_dma, U32_MAX);
	struct pvlens_blk_verdict verdict;
	u32 segs, v;

	verdict = pvlens_blk_ring_segs(vblk->sg_elems, ring,
				       virtio_has_feature(vdev, VIRTIO_RING_F_INDIRECT_DESC),
				       &segs);
	pvblk_check(vdev, "seg_max", vblk->sg_elems, segs, verdict);
	blk_queue_max_segments(q, segs);
	blk_queue_max_hw_sectors(q, UINT_MAX);

	if (!virtio_cread_feature(vdev, VIRTIO_BLK_F_SIZE_MAX,
				  struct virtio_blk_config, size_max, &v)) {
		verdict = pvlens_blk_size_max(v, PAGE_SIZE, &max_size);
		pvblk_check(vdev, "size_max", v, max_size, verdict);
	}
	blk_queue_max_segment_size(q, max_size);
}

static int pvblk_read_blk_size(struct pvblk *vblk, u32 *blk_size)
{
	struct virtio_device *vdev = vblk->vdev;
	struct request_queue *q = vblk->disk->queue;
	int err;
	u32 v;

	*blk_size = SECTOR_SIZE;
	if (virtio_cread_feature(vdev, VIRTIO_BLK_F_BLK_SIZE,
				 struct virtio_blk_config, blk_size, &v))
		return 0;
	err = pvblk_check(vdev, "blk_size", v, v,
			  pvlens_blk_blk_size(v, PAGE_SIZE));
	if (err)
		return err;
	*blk_size = v;
	blk_queue_logical_block_size(q, v);
	return 0;
}

static void pvblk_read_topology(struct pvblk *vblk, u32 blk_size)
{
	struct virtio_device *vdev = vblk->vdev;
	struct request_queue *q = vblk->disk->queue;
	struct pvlens_blk_verdict v;
	u32 opt_io, phys, bytes;
	u16 min_io;
	u8 exp, align;

	if (!virtio_has_feature(vdev, VIRTIO_BLK_F_TOPOLOGY))
		return;

	virtio_cread(vdev, struct virtio_blk_config, physical_block_exp, &exp);
	virtio_cread(vdev, struct virtio_blk_config, alignment_offset, &align);
	virtio_cread(vdev, struct virtio_blk_config, min_io_size, &min_io);
	virtio_cread(vdev, struct virtio_blk_config, opt_io_size, &opt_io);

	v = pvlens_blk_phys_exp(exp, blk_size, &phys);
	pvblk_check(vdev, "physical_block_exp", exp, 0, v);
	blk_queue_physical_block_size(q, phys);
	v = pvlens_blk_align_offset(align, blk_size, phys, &bytes);
	pvblk_check(vdev, "alignment_offset", align, 0, v);
	if (bytes)
		blk_queue_alignment_offset(q, bytes);
	v = pvlens_blk_io_size(min_io, blk_size, &bytes);
	pvblk_check(vdev, "min_io_size", min_io, 0, v);
	if (bytes)
		blk_queue_io_min(q, bytes);
	v = pvlens_blk_io_size(opt_io, blk_size, &bytes);
	pvblk_check(vdev, "opt_io_size", opt_io, 0, v);
	if (bytes)
		blk_queue_io_opt(q, bytes);
}

/*
 * Secure-erase limits, merged into the discard ones (@granularity in
 * sectors, @max_segs): the block layer has one set for both, so the
 * stricter is used.  False when the device's limits make it unusable.
 */
static bool pvblk_read_erase(struct pvblk *vblk, u32 *granularity,
			     u32 *max_segs)
{
	struct virtio_device *vdev = vblk->vdev;
	struct pvlens_blk_verdict v;
	struct {
		const char *field;
		u32 val;
	} lim[] = {
		{ "secure_erase_sector_alignment" },
		{ "max_secure_erase_sectors" },
		{ "max_secure_erase_seg" },
	};
	u32 align, segs, i;

	virtio_cread(vdev, struct virtio_blk_config,
		     secure_erase_sector_alignment, &lim[0].val);
	virtio_cread(vdev, struct virtio_blk_config,
		     max_secure_erase_sectors, &lim[1].val);
	virtio_cread(vdev, struct virtio_blk_config,
		     max_secure_erase_seg, &lim[2].val);
	for (i = 0; i < ARRAY_SIZE(lim); i++) {
		v = pvlens_blk_erase_limit(lim[i].val);
		if (v.action != PVLENS_BLK_OK) {
			pvblk_check(vdev, lim[i].field, lim[i].val, 0, v);
			return false;
		}
	}

	v = pvlens_blk_discard_align(lim[0].val, &align);
	pvblk_check(vdev, lim[0].field, lim[0].val, 0, v);
	*granularity = min_not_zero(*granularity, align);
	blk_queue_max_secure_erase_sectors(vblk->disk->queue, lim[1].val);
	v = pvlens_blk_discard_segs(lim[2].val, vblk->sg_elems, &segs);
	pvblk_check(vdev, lim[2].field, lim[2].val, segs, v);
	/*
	 * A secure erase goes out as one range, so its segment limit would
	 * only hold back discards: it applies when there are none.
	 */
	if (!virtio_has_feature(vdev, VIRTIO_BLK_F_DISCARD))
		*max_segs = min(*max_segs, segs);
	return true;
}

/*
 * The block layer merges secure-erase requests up to the discard limit,
 * and a secure erase goes out as one range: keep a merged one within
 * max_secure_erase_sectors.  Below the discard granularity (@granularity,
 * sectors) that cap would stop the block layer splitting discards at all,
 * so such a device loses secure erase instead.
 */
static void pvblk_cap_discard(struct pvblk *vblk, u32 granularity)
{
	struct request_queue *q = vblk->disk->queue;
	u32 erase_max = q->limits.max_secure_erase_sectors;
	struct pvlens_blk_verdict v = {
		PVLENS_BLK_DISABLED, "is below the discard granularity"
	};

	if (erase_max < granularity) {
		pvblk_check(vblk->vdev, "max_secure_erase_sectors", erase_max,
			    0, v);
		blk_queue_max_secure_erase_sectors(q, 0);
		return;
	}
	blk_queue_max_discard_sectors(q, min(q->limits.max_discard_sectors,
					     erase_max));
}

/* Discard, write-zeroes and secure-erase limits. */
static void pvblk_read_discard(struct pvblk *vblk, u32 blk_size)
{
	struct virtio_device *vdev = vblk->vdev;
	struct request_queue *q = vblk->disk->queue;
	bool discard = virtio_has_feature(vdev, VIRTIO_BLK_F_DISCARD);
	bool erase = virtio_has_feature(vdev, VIRTIO_BLK_F_SECURE_ERASE);
	u32 granularity = 0, max_segs = PVLENS_BLK_MAX_DISCARD_SEGS, raw;
	struct pvlens_blk_verdict v;

	if (discard) {
		virtio_cread(vdev, struct virtio_blk_config,
			     discard_sector_alignment, &raw);
		v = pvlens_blk_discard_align(raw, &granularity);
		pvblk_check(vdev, "discard_sector_alignment", raw, 0, v);
		virtio_cread(vdev, struct virtio_blk_config,
			     max_discard_sectors, &raw);
		blk_queue_max_discard_sectors(q, pvlens_blk_max_sectors(raw));
		virtio_cread(vdev, struct virtio_blk_config, max_discard_seg,
			     &raw);
		v = pvlens_blk_discard_segs(raw, vblk->sg_elems, &max_segs);
		pvblk_check(vdev, "max_discard_seg", raw, max_segs, v);
	}

	if (virtio_has_feature(vdev, VIRTIO_BLK_F_WRITE_ZEROES)) {
		virtio_cread(vdev, struct virtio_blk_config,
			     max_write_zeroes_sectors, &raw);
		blk_queue_max_write_zeroes_sectors(q,
						   pvlens_blk_max_sectors(raw));
	}

	if (erase)
		erase = pvblk_read_erase(vblk, &granularity, &max_segs);

	if (discard && erase)
		pvblk_cap_discard(vblk, granularity ?: blk_size >> SECTOR_SHIFT);

	if (!discard && !erase)
		return;

	blk_queue_max_discard_segments(q, max_segs);
	q->limits.discard_granularity = granularity ?
					granularity << SECTOR_SHIFT : blk_size;
}

/*
 * Test hook: "1" written to <debugfs>/pvlens_blk/virtioN/inject_malformed
 * queues one descriptor chain with a one-byte header on the first queue.  A
 * virtio 1.x device must treat that as a driver error and set
 * DEVICE_NEEDS_RESET, the one way to exercise that path with QEMU
 * (selftests/block/blk_needs_reset.sh).
 */
static ssize_t pvblk_inject_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct pvblk *vblk = file->private_data;
	struct pvblk_vq *pvq = &vblk->vqs[0];
	struct scatterlist hdr, status, *sgs[] = { &hdr, &status };
	unsigned long flags;
	bool on;
	int err;

	err = kstrtobool_from_user(ubuf, count, &on);
	if (err)
		return err;
	if (!on)
		return count;

	spin_lock_irqsave(&pvq->lock, flags);
	if (!pvq->vq || vblk->malformed || READ_ONCE(vblk->dead)) {
		err = -EBUSY;
		goto out;
	}
	vblk->malformed = pvlens_fault_null(kzalloc(2, GFP_ATOMIC));
	if (!vblk->malformed) {
		err = -ENOMEM;
		goto out;
	}
	sg_init_one(&hdr, vblk->malformed, 1);
	sg_init_one(&status, vblk->malformed + 1, 1);
	err = virtqueue_add_sgs(pvq->vq, sgs, 1, 1, vblk->malformed,
				GFP_ATOMIC);
	if (err) {
		kfree(vblk->malformed);
		vblk->malformed = NULL;
		goto out;
	}
	pvlens_kick(pvq->stats, pvq->vq);
out:
	spin_unlock_irqrestore(&pvq->lock, flags);
	if (err)
		return err;
	dev_warn(&vblk->vdev->dev, "%s: malformed request queued (debugfs)\n",
		 pvq->name);
	return count;
}

static const struct file_operations pvblk_inject_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = pvblk_inject_write,
	.llseek = noop_llseek,
};

static void pvblk_debugfs_add(struct pvblk *vblk)
{
	vblk->debugfs = debugfs_create_dir(dev_name(&vblk->vdev->dev),
					   pvblk_debugfs);
	debugfs_create_file("inject_malformed", 0200, vblk->debugfs, vblk,
			    &pvblk_inject_fops);
}

static int pvblk_probe(struct virtio_device *vdev)
{
	struct pvblk *vblk;
	struct pvlens_blk_verdict verdict;
	const char **qnames;
	unsigned int depth, i;
	u32 blk_size, ring, v;
	int err;

	if (!vdev->config->get) {
		dev_err(&vdev->dev, "config space access disabled\n");
		return -EINVAL;
	}

	vblk = pvlens_fault_null(kzalloc(sizeof(*vblk), GFP_KERNEL));
	if (!vblk)
		return -ENOMEM;
	vdev->priv = vblk;
	vblk->vdev = vdev;
	mutex_init(&vblk->vdev_mutex);
	spin_lock_init(&vblk->state_lock);
	INIT_WORK(&vblk->config_work, pvblk_config_changed_work);
	INIT_WORK(&vblk->reset_work, pvblk_reset_work);
	INIT_DELAYED_WORK(&vblk->remove_watchdog, pvblk_remove_watchdog);

	err = pvlens_fault_errno(ida_alloc_max(&pvblk_index_ida,
					       (1 << (MINORBITS - PVBLK_PART_BITS)) - 1,
					       GFP_KERNEL));
	if (err < 0)
		goto out_free_vblk;
	vblk->index = err;

	if (virtio_cread_feature(vdev, VIRTIO_BLK_F_SEG_MAX,
				 struct virtio_blk_config, seg_max, &v))
		v = 1;
	verdict = pvlens_blk_seg_max(v, &vblk->sg_elems);
	pvblk_check(vdev, "seg_max", v, vblk->sg_elems, verdict);

	err = pvblk_alloc_vqs(vblk);
	if (err)
		goto out_free_index;

	qnames = pvlens_fault_null(kmalloc_array(vblk->num_vqs,
						 sizeof(*qnames), GFP_KERNEL));
	if (!qnames) {
		err = -ENOMEM;
		goto out_free_vqs;
	}
	for (i = 0; i < vblk->num_vqs; i++)
		qnames[i] = vblk->vqs[i].name;
	vblk->stats = pvlens_dev_create(&vdev->dev, &pvblk_stats_desc,
					vblk->num_vqs, qnames);
	kfree(qnames);
	if (IS_ERR(vblk->stats)) {
		err = PTR_ERR(vblk->stats);
		goto out_free_vqs;
	}
	for (i = 0; i < vblk->num_vqs; i++)
		vblk->vqs[i].stats = pvlens_dev_queue(vblk->stats, i);

	err = pvblk_find_vqs(vblk);
	if (err)
		goto out_free_stats;

	/* Each queue must take any request: the smallest decides. */
	ring = U32_MAX;
	for (i = 0; i < vblk->num_vqs; i++)
		ring = min(ring, virtqueue_get_vring_size(vblk->vqs[i].vq));
	verdict = pvlens_blk_ring_size(ring,
				       virtio_has_feature(vdev, VIRTIO_RING_F_INDIRECT_DESC));
	err = pvblk_check(vdev, "virtqueue size", ring, ring, verdict);
	if (err)
		goto out_del_vqs;

	/* Never 0: the ring size was accepted above. */
	depth = queue_depth;
	if (!depth) {
		depth = vblk->vqs[0].vq->num_free;
		/* Without indirect descriptors a request takes at least two. */
		if (!virtio_has_feature(vdev, VIRTIO_RING_F_INDIRECT_DESC))
			depth /= 2;
	}

	vblk->tag_set.ops = &pvblk_mq_ops;
	vblk->tag_set.queue_depth = depth;
	vblk->tag_set.numa_node = NUMA_NO_NODE;
	vblk->tag_set.flags = BLK_MQ_F_SHOULD_MERGE;
	if (no_sched_by_default)
		vblk->tag_set.flags |= BLK_MQ_F_NO_SCHED_BY_DEFAULT;
	vblk->tag_set.cmd_size = sizeof(struct pvblk_req) +
		sizeof(struct scatterlist) * PVBLK_INLINE_SG_CNT;
	vblk->tag_set.driver_data = vblk;
	vblk->tag_set.nr_hw_queues = vblk->num_vqs;
	vblk->tag_set.nr_maps = vblk->io_queues[HCTX_TYPE_POLL] ? 3 : 1;

	err = pvlens_fault_errno(blk_mq_alloc_tag_set(&vblk->tag_set));
	if (err)
		goto out_del_vqs;

	vblk->disk = pvlens_fault_errptr(blk_mq_alloc_disk(&vblk->tag_set,
							   vblk));
	if (IS_ERR(vblk->disk)) {
		err = PTR_ERR(vblk->disk);
		goto out_free_tags;
	}

	pvblk_name_format("vd", vblk->index, vblk->disk->disk_name,
			  DISK_NAME_LEN);
	vblk->disk->major = pvblk_major;
	vblk->disk->first_minor = vblk->index << PVBLK_PART_BITS;
	vblk->disk->minors = 1 << PVBLK_PART_BITS;
	vblk->disk->private_data = vblk;
	vblk->disk->fops = &pvblk_fops;

	pvblk_update_cache_mode(vblk);
	if (virtio_has_feature(vdev, VIRTIO_BLK_F_RO))
		set_disk_ro(vblk->disk, 1);

	pvblk_set_segment_limits(vblk, ring);
	err = pvblk_read_blk_size(vblk, &blk_size);
	if (err)
		goto out_put_disk;
	pvblk_read_topology(vblk, blk_size);
	pvblk_read_discard(vblk, blk_size);
	pvblk_update_capacity(vblk, false);

	virtio_device_ready(vdev);

	err = pvlens_fault_errno(device_add_disk(&vdev->dev, vblk->disk,
						 pvblk_attr_groups));
	if (err)
		goto out_reset;
	pvblk_debugfs_add(vblk);
	return 0;

out_reset:
	virtio_reset_device(vdev);
out_put_disk:
	/* Never added, so free_disk does not run: we free vblk below. */
	put_disk(vblk->disk);
out_free_tags:
	blk_mq_free_tag_set(&vblk->tag_set);
out_del_vqs:
	/*
	 * find_vqs enabled the queues and only a reset disables them: a queue
	 * left enabled makes every later probe fail (virtio_pci's setup_vq
	 * returns -ENOENT).  Found by the bind sweep.
	 */
	virtio_reset_device(vdev);
	pvblk_del_vqs(vblk);
out_free_stats:
	pvlens_dev_destroy(vblk->stats);
out_free_vqs:
	kfree(vblk->vqs);
out_free_index:
	ida_free(&pvblk_index_ida, vblk->index);
out_free_vblk:
	mutex_destroy(&vblk->vdev_mutex);
	kfree(vblk);
	return err;
}

static void pvblk_remove(struct virtio_device *vdev)
{
	struct pvblk *vblk = vdev->priv;

	/* Waits for a write to the hook in progress. */
	debugfs_remove_recursive(vblk->debugfs);
	spin_lock_irq(&vblk->state_lock);
	vblk->removing = true;
	spin_unlock_irq(&vblk->state_lock);
	/* A recovery in progress finishes first. */
	flush_work(&vblk->reset_work);
	flush_work(&vblk->config_work);

	/*
	 * Surprise removal: the device will never answer, so fail what it
	 * holds now.  Otherwise del_gendisk() waits for in-flight requests
	 * and a stuck one ends through the timeout handler and reset work.
	 */
	if (vblk->vqs[0].vq && virtqueue_is_broken(vblk->vqs[0].vq))
		pvblk_fail_device(vblk);

	vblk->remove_answered = pvblk_progress(vblk, NULL);
	queue_delayed_work(pvblk_wq, &vblk->remove_watchdog,
			   PVBLK_REMOVE_GRACE);
	del_gendisk(vblk->disk);
	cancel_delayed_work_sync(&vblk->remove_watchdog);

	spin_lock_irq(&vblk->state_lock);
	vblk->gone = true;
	spin_unlock_irq(&vblk->state_lock);
	cancel_work_sync(&vblk->reset_work);
	blk_mq_free_tag_set(&vblk->tag_set);

	mutex_lock(&vblk->vdev_mutex);
	/*
	 * Without queues (a failed restore) the device holds a status still,
	 * and no broken queue tells that it is gone: a removed PCI function
	 * reads all ones, and a reset would wait for ever for a 0.
	 */
	if (vblk->vqs[0].vq ? !virtqueue_is_broken(vblk->vqs[0].vq) :
			      vdev->config->get_status(vdev) != 0xff)
		virtio_reset_device(vdev);
	pvblk_del_vqs(vblk);
	vblk->vdev = NULL;
	pvlens_dev_destroy(vblk->stats);
	kfree(vblk->vqs);
	/* A device removed before it answered or was reset. */
	kfree(vblk->malformed);
	vblk->malformed = NULL;
	mutex_unlock(&vblk->vdev_mutex);

	put_disk(vblk->disk);
}

#ifdef CONFIG_PM_SLEEP
static int pvblk_freeze(struct virtio_device *vdev)
{
	struct pvblk *vblk = vdev->priv;
	struct request_queue *q = vblk->disk->queue;

	if (vblk->recovering) {
		/* The device holds requests it will not complete: take them. */
		blk_mq_quiesce_queue(q);
		virtio_reset_device(vdev);
		pvblk_reclaim(vblk, true);
	} else {
		cancel_work_sync(&vblk->reset_work);
		pvblk_reset_done(vblk);
		/* Let the device finish what it has before it goes away. */
		blk_mq_freeze_queue(q);
		blk_mq_quiesce_queue_nowait(q);
		blk_mq_unfreeze_queue(q);
		virtio_reset_device(vdev);
	}
	flush_work(&vblk->config_work);
	pvblk_del_vqs(vblk);
	return 0;
}

/*
 * The device could not be brought back (its queues; in a recovery also the
 * reset's feature negotiation): requests wait on the quiesced queue and the
 * requeue list, and none would ever be dispatched.  Fail them, and all that
 * come later.
 */
static void pvblk_restore_failed(struct pvblk *vblk, const char *what,
				 int err)
{
	struct request_queue *q = vblk->disk->queue;

	dev_err(&vblk->vdev->dev, "%s failed (%d), disk is dead\n", what, err);
	WRITE_ONCE(vblk->dead, true);
	blk_mark_disk_dead(vblk->disk);
	pvblk_run_queue_again(q);
}

static int pvblk_restore(struct virtio_device *vdev)
{
	struct pvblk *vblk = vdev->priv;
	struct request_queue *q = vblk->disk->queue;
	int err;

	err = pvblk_find_vqs(vblk);
	if (err) {
		/* A recovery reports its own failure (pvblk_reset()). */
		if (!vblk->recovering)
			pvblk_restore_failed(vblk, "restore", err);
		return err;
	}

	virtio_device_ready(vdev);
	pvblk_run_queue_again(q);
	return 0;
}

static void pvblk_reset(struct pvblk *vblk)
{
	struct virtio_device *vdev = vblk->vdev;
	int err;

	if (READ_ONCE(vblk->dead))
		return;
	if (vblk->removing) {
		dev_warn(&vdev->dev, "stuck during removal, failing its I/O\n");
		pvblk_fail_device(vblk);
		return;
	}

	pvlens_count(vblk->vqs[0].stats, PVBLK_CNT_RESETS, 1);
	dev_warn(&vdev->dev, "resetting device\n");

	vblk->recovering = true;
	err = virtio_device_freeze(vdev);
	if (!err)
		err = virtio_device_restore(vdev);
	vblk->recovering = false;
	if (!err) {
		dev_info(&vdev->dev, "device reset, I/O resumes\n");
		return;
	}

	pvblk_restore_failed(vblk, "device reset", err);
}
#else
static void pvblk_reset(struct pvblk *vblk)
{
	/* Recovery needs virtio_device_freeze()/restore(). */
	pvblk_fail_device(vblk);
}
#endif

static void pvblk_reset_work(struct work_struct *work)
{
	struct pvblk *vblk = container_of(work, struct pvblk, reset_work);

	pvblk_reset(vblk);
	pvblk_reset_done(vblk);
}

/* Requests the device answered so far; *@held: those it holds now. */
static unsigned long pvblk_progress(struct pvblk *vblk, unsigned int *held)
{
	unsigned long answered = 0;
	unsigned int i, n = 0;

	for (i = 0; i < vblk->num_vqs; i++) {
		answered += READ_ONCE(vblk->vqs[i].answered);
		n += READ_ONCE(vblk->vqs[i].stats->inflight);
	}
	if (held)
		*held = n;
	return answered;
}

/*
 * Every PVBLK_REMOVE_GRACE of a del_gendisk() in remove(): a device that
 * holds requests and answered none since the last look is taken as stuck,
 * and the reset work fails them (it does not recover a device being
 * removed).  One still answering (the writeback of a busy disk) is waited
 * for.
 */
static void pvblk_remove_watchdog(struct work_struct *work)
{
	struct pvblk *vblk = container_of(to_delayed_work(work), struct pvblk,
					  remove_watchdog);
	unsigned long answered;
	unsigned int held;

	answered = pvblk_progress(vblk, &held);
	if (!held || answered != vblk->remove_answered) {
		vblk->remove_answered = answered;
		queue_delayed_work(pvblk_wq, &vblk->remove_watchdog,
				   PVBLK_REMOVE_GRACE);
		return;
	}
	if (pvblk_schedule_reset(vblk))
		dev_warn(&vblk->vdev->dev,
			 "%u requests held, none answered in %u s of removal\n",
			 held, PVBLK_REMOVE_GRACE / HZ);
}

static const struct virtio_device_id pvblk_id_table[] = {
	{ VIRTIO_ID_BLOCK, VIRTIO_DEV_ANY_ID },
	{ 0 },
};
MODULE_DEVICE_TABLE(virtio, pvblk_id_table);

static unsigned int pvblk_features[] = {
	VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_F_SIZE_MAX, VIRTIO_BLK_F_GEOMETRY,
	VIRTIO_BLK_F_RO, VIRTIO_BLK_F_BLK_SIZE, VIRTIO_BLK_F_FLUSH,
	VIRTIO_BLK_F_TOPOLOGY, VIRTIO_BLK_F_CONFIG_WCE, VIRTIO_BLK_F_MQ,
	VIRTIO_BLK_F_DISCARD, VIRTIO_BLK_F_WRITE_ZEROES,
	VIRTIO_BLK_F_SECURE_ERASE,
};

static struct virtio_driver pvblk_driver = {
	.feature_table			= pvblk_features,
	.feature_table_size		= ARRAY_SIZE(pvblk_features),
	.feature_table_legacy		= pvblk_features,
	.feature_table_size_legacy	= ARRAY_SIZE(pvblk_features),
	.driver.name			= KBUILD_MODNAME,
	.driver.owner			= THIS_MODULE,
	.id_table			= pvblk_id_table,
	.probe				= pvblk_probe,
	.remove				= pvblk_remove,
	.config_changed			= pvblk_config_changed,
#ifdef CONFIG_PM_SLEEP
	.freeze				= pvblk_freeze,
	.restore			= pvblk_restore,
#endif
};

static int __init pvblk_init(void)
{
	int err;

	pvblk_wq = pvlens_fault_null(alloc_workqueue("pvlens_blk", 0, 0));
	if (!pvblk_wq)
		return -ENOMEM;

	pvblk_major = pvlens_fault_errno(register_blkdev(0, "pvlens_blk"));
	if (pvblk_major < 0) {
		err = pvblk_major;
		goto out_destroy_wq;
	}

	pvblk_debugfs = debugfs_create_dir("pvlens_blk", NULL);
	err = pvlens_fault_errno(register_virtio_driver(&pvblk_driver));
	if (err)
		goto out_remove_debugfs;
	return 0;

out_remove_debugfs:
	debugfs_remove_recursive(pvblk_debugfs);
	unregister_blkdev(pvblk_major, "pvlens_blk");
out_destroy_wq:
	destroy_workqueue(pvblk_wq);
	return err;
}

static void __exit pvblk_exit(void)
{
	unregister_virtio_driver(&pvblk_driver);
	debugfs_remove_recursive(pvblk_debugfs);
	unregister_blkdev(pvblk_major, "pvlens_blk");
	destroy_workqueue(pvblk_wq);
}
module_init(pvblk_init);
module_exit(pvblk_exit);

MODULE_DESCRIPTION("virtio-blk driver with virtualization overhead statistics");
MODULE_LICENSE("GPL");
