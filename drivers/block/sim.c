// SPDX-License-Identifier: GPL-2.0
/*
 * pvlens_blk_sim: a virtio-blk device simulated inside the guest, for tests.
 * QEMU 7.2 never offers VIRTIO_BLK_F_SECURE_ERASE, so pvlens_blk's secure
 * erase could not run end to end.  This device offers it, with discard and
 * write zeroes, on a vmalloc'd RAM disk, and counts what it carried out, so
 * that a test can hold the driver's counters against the device's own
 * (Documentation/blk.rst, selftests/block/blk_secure_erase.sh).
 *
 * It is its own virtio transport, as drivers/vdpa/vdpa_sim is: the ring is
 * made by vring_create_virtqueue() without the DMA API, so descriptor
 * addresses are guest-physical; the device side walks the split ring in a
 * work item and answers through vring_interrupt().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/blk_types.h>
#include <linux/bottom_half.h>
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/virtio.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <xen/xen.h>

#define PVBLK_SIM_NAME		"pvlens_blk_sim"
#define PVBLK_SIM_MAX_MB	4096
/* Ring entries offered; also the longest chain the device accepts. */
#define PVBLK_SIM_QUEUE_SIZE	256
#define PVBLK_SIM_SEG_MAX	126
/*
 * Each limit differs from its neighbours so that a test sees which one the
 * driver applied: secure-erase ranges are smaller and fewer than discard
 * ones (by default), and the two alignments differ.
 */
#define PVBLK_SIM_MAX_DISCARD_SECTORS	8192
#define PVBLK_SIM_MAX_DISCARD_SEG	16
#define PVBLK_SIM_DISCARD_ALIGN		16
#define PVBLK_SIM_MAX_WZ_SECTORS	4096
#define PVBLK_SIM_MAX_WZ_SEG		1
#define PVBLK_SIM_ERASE_ALIGN		8
/* Ranges one request may carry: what pvlens_blk could ever send. */
#define PVBLK_SIM_MAX_RANGES		256
/* Requests answered per interrupt while a long run of them is processed. */
#define PVBLK_SIM_BATCH		32

#define PVBLK_SIM_FEATURES	(BIT_ULL(VIRTIO_F_VERSION_1) |		\
				 BIT_ULL(VIRTIO_BLK_F_SEG_MAX) |	\
				 BIT_ULL(VIRTIO_BLK_F_BLK_SIZE) |	\
				 BIT_ULL(VIRTIO_BLK_F_FLUSH) |		\
				 BIT_ULL(VIRTIO_BLK_F_DISCARD) |	\
				 BIT_ULL(VIRTIO_BLK_F_WRITE_ZEROES) |	\
				 BIT_ULL(VIRTIO_BLK_F_SECURE_ERASE))

static_assert(PVBLK_SIM_MAX_DISCARD_SEG <= PVBLK_SIM_MAX_RANGES);
static_assert(PVBLK_SIM_MAX_WZ_SEG <= PVBLK_SIM_MAX_RANGES);

static unsigned int size_mb = 64;
module_param(size_mb, uint, 0444);
MODULE_PARM_DESC(size_mb, "RAM disk size in MiB, 1..4096 (default 64)");

static unsigned int blk_size = SECTOR_SIZE;
module_param(blk_size, uint, 0444);
MODULE_PARM_DESC(blk_size,
		 "Logical block size offered, a power of two from 512 to the page size (default 512)");

static char *serial = "pvlens-blk-sim";
module_param(serial, charp, 0444);
MODULE_PARM_DESC(serial, "GET_ID answer, at most 20 bytes");

/* Other devices' secure-erase limits, to see what the driver makes of them. */
static unsigned int max_secure_erase_sectors = 2048;
module_param(max_secure_erase_sectors, uint, 0444);
MODULE_PARM_DESC(max_secure_erase_sectors,
		 "Sectors per secure-erase range offered (default 2048)");

static unsigned int max_secure_erase_seg = 8;
module_param(max_secure_erase_seg, uint, 0444);
MODULE_PARM_DESC(max_secure_erase_seg,
		 "Ranges per secure-erase request offered, 0..256 (default 8)");

/* The driver's class names, so a test can pair the counters by name. */
enum pvblk_sim_class {
	PVBLK_SIM_READ,
	PVBLK_SIM_WRITE,
	PVBLK_SIM_FLUSH,
	PVBLK_SIM_DISCARD,
	PVBLK_SIM_WRITE_ZEROES,
	PVBLK_SIM_SECURE_ERASE,
	PVBLK_SIM_GET_ID,
	PVBLK_SIM_NR_CLASSES
};

static const char * const pvblk_sim_classes[] = {
	[PVBLK_SIM_READ]		= "read",
	[PVBLK_SIM_WRITE]		= "write",
	[PVBLK_SIM_FLUSH]		= "flush",
	[PVBLK_SIM_DISCARD]		= "discard",
	[PVBLK_SIM_WRITE_ZEROES]	= "write_zeroes",
	[PVBLK_SIM_SECURE_ERASE]	= "secure_erase",
	[PVBLK_SIM_GET_ID]		= "get_id",
};

static_assert(ARRAY_SIZE(pvblk_sim_classes) == PVBLK_SIM_NR_CLASSES);

enum pvblk_sim_stat {
	PVBLK_SIM_REQUESTS,
	PVBLK_SIM_SECTORS,
	PVBLK_SIM_RANGES,
	PVBLK_SIM_ERRORS,
	PVBLK_SIM_NR_STATS
};

static const char * const pvblk_sim_stats[] = {
	[PVBLK_SIM_REQUESTS]	= "requests",
	[PVBLK_SIM_SECTORS]	= "sectors",
	[PVBLK_SIM_RANGES]	= "ranges",
	[PVBLK_SIM_ERRORS]	= "errors",
};

static_assert(ARRAY_SIZE(pvblk_sim_stats) == PVBLK_SIM_NR_STATS);

struct pvblk_sim_seg {
	void *buf;
	u32 len;
};

struct pvblk_sim {
	struct virtio_device vdev;
	struct device *root;
	/* The virtio device's release ran: its memory may go. */
	struct completion released;
	struct work_struct work;
	/* Serialises the device side: ring processing, reset, queue set-up. */
	struct mutex lock;
	/* Protects config space, @generation, @capacity, @status, @features. */
	spinlock_t config_lock;
	struct virtio_blk_config config;
	u32 generation;
	u64 capacity;
	u8 status;
	u64 features;
	u8 *disk;
	u64 disk_sectors;
	/* The request queue as the driver gave it to the device. */
	struct virtqueue *vq;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	u16 num;
	u16 last_avail;
	u16 used_idx;
	/* The chain being carried out: readable segments, then writable. */
	struct pvblk_sim_seg seg[PVBLK_SIM_QUEUE_SIZE];
	unsigned int nr_out;
	unsigned int nr_in;
	u64 out_len;
	u64 in_len;
	struct virtio_blk_discard_write_zeroes ranges[PVBLK_SIM_MAX_RANGES];
	/* What the device did; written under @lock, read by debugfs. */
	u64 stats[PVBLK_SIM_NR_CLASSES][PVBLK_SIM_NR_STATS];
	u64 unsupported;
	u64 malformed;
	u64 interrupts;
	atomic64_t notifies;
	struct dentry *debugfs;
};

static struct pvblk_sim *pvblk_sim;
static struct workqueue_struct *pvblk_sim_wq;

static struct pvblk_sim *to_sim(struct virtio_device *vdev)
{
	return container_of(vdev, struct pvblk_sim, vdev);
}

/* The device is modern only: its config space is little-endian. */
static void pvblk_sim_init_config(struct pvblk_sim *sim)
{
	struct virtio_blk_config *c = &sim->config;

	sim->capacity = sim->disk_sectors;
	c->capacity = __cpu_to_virtio64(true, sim->capacity);
	c->seg_max = __cpu_to_virtio32(true, PVBLK_SIM_SEG_MAX);
	c->blk_size = __cpu_to_virtio32(true, blk_size);
	c->max_discard_sectors =
		__cpu_to_virtio32(true, PVBLK_SIM_MAX_DISCARD_SECTORS);
	c->max_discard_seg = __cpu_to_virtio32(true, PVBLK_SIM_MAX_DISCARD_SEG);
	c->discard_sector_alignment =
		__cpu_to_virtio32(true, PVBLK_SIM_DISCARD_ALIGN);
	c->max_write_zeroes_sectors =
		__cpu_to_virtio32(true, PVBLK_SIM_MAX_WZ_SECTORS);
	c->max_write_zeroes_seg = __cpu_to_virtio32(true, PVBLK_SIM_MAX_WZ_SEG);
	c->write_zeroes_may_unmap = 1;
	c->max_secure_erase_sectors =
		__cpu_to_virtio32(true, max_secure_erase_sectors);
	c->max_secure_erase_seg =
		__cpu_to_virtio32(true, max_secure_erase_seg);
	c->secure_erase_sector_alignment =
		__cpu_to_virtio32(true, PVBLK_SIM_ERASE_ALIGN);
}

static void pvblk_sim_get(struct virtio_device *vdev, unsigned int offset,
			  void *buf, unsigned int len)
{
	struct pvblk_sim *sim = to_sim(vdev);
	unsigned long flags;

	/* Past the end of config space reads as zeros. */
	if (offset > sizeof(sim->config) ||
	    len > sizeof(sim->config) - offset) {
		memset(buf, 0, len);
		return;
	}
	spin_lock_irqsave(&sim->config_lock, flags);
	memcpy(buf, (u8 *)&sim->config + offset, len);
	spin_unlock_irqrestore(&sim->config_lock, flags);
}

/* Without VIRTIO_BLK_F_CONFIG_WCE every field is read-only. */
static void pvblk_sim_set(struct virtio_device *vdev, unsigned int offset,
			  const void *buf, unsigned int len)
{
}

static u32 pvblk_sim_generation(struct virtio_device *vdev)
{
	return READ_ONCE(to_sim(vdev)->generation);
}

static u8 pvblk_sim_get_status(struct virtio_device *vdev)
{
	return READ_ONCE(to_sim(vdev)->status);
}

/* The device lets go of the ring, as when the driver disables a queue. */
static void pvblk_sim_forget_queue(struct pvblk_sim *sim)
{
	sim->vq = NULL;
	sim->desc = NULL;
	sim->avail = NULL;
	sim->used = NULL;
	sim->num = 0;
	sim->last_avail = 0;
	sim->used_idx = 0;
}

/*
 * After a reset the device touches neither the ring nor the driver's
 * callbacks: ring processing holds @lock throughout.
 */
static void pvblk_sim_reset(struct virtio_device *vdev)
{
	struct pvblk_sim *sim = to_sim(vdev);

	mutex_lock(&sim->lock);
	spin_lock_irq(&sim->config_lock);
	WRITE_ONCE(sim->status, 0);
	sim->features = 0;
	spin_unlock_irq(&sim->config_lock);
	pvblk_sim_forget_queue(sim);
	mutex_unlock(&sim->lock);
}

static void pvblk_sim_set_status(struct virtio_device *vdev, u8 status)
{
	struct pvblk_sim *sim = to_sim(vdev);
	unsigned long flags;
	bool start;

	if (!status) {
		pvblk_sim_reset(vdev);
		return;
	}

	spin_lock_irqsave(&sim->config_lock, flags);
	/* Modern only: FEATURES_OK does not stick without VERSION_1. */
	if (!(sim->features & BIT_ULL(VIRTIO_F_VERSION_1)))
		status &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	/* NEEDS_RESET is the device's to set and only a reset clears it. */
	status |= sim->status & VIRTIO_CONFIG_S_NEEDS_RESET;
	start = (status & VIRTIO_CONFIG_S_DRIVER_OK) &&
		!(sim->status & VIRTIO_CONFIG_S_DRIVER_OK);
	WRITE_ONCE(sim->status, status);
	spin_unlock_irqrestore(&sim->config_lock, flags);

	/* Requests queued before DRIVER_OK have not been looked at. */
	if (start)
		queue_work(pvblk_sim_wq, &sim->work);
}

static u64 pvblk_sim_get_features(struct virtio_device *vdev)
{
	return PVBLK_SIM_FEATURES;
}

static int pvblk_sim_finalize_features(struct virtio_device *vdev)
{
	struct pvblk_sim *sim = to_sim(vdev);

	/* Drops the ring features this transport does not implement. */
	vring_transport_features(vdev);
	spin_lock_irq(&sim->config_lock);
	sim->features = vdev->features;
	spin_unlock_irq(&sim->config_lock);
	return 0;
}

static bool pvblk_sim_notify(struct virtqueue *vq)
{
	struct pvblk_sim *sim = to_sim(vq->vdev);

	atomic64_inc(&sim->notifies);
	/*
	 * The driver may hold its virtqueue lock here, and the completion
	 * callback takes it again: the device works elsewhere.
	 */
	queue_work(pvblk_sim_wq, &sim->work);
	return true;
}

static void pvblk_sim_del_vqs(struct virtio_device *vdev)
{
	struct pvblk_sim *sim = to_sim(vdev);
	struct virtqueue *vq, *n;

	mutex_lock(&sim->lock);
	pvblk_sim_forget_queue(sim);
	mutex_unlock(&sim->lock);

	list_for_each_entry_safe(vq, n, &vdev->vqs, list)
		vring_del_virtqueue(vq);
}

/*
 * What a transport tells the device: ring size and addresses, then enable.
 * Without the DMA API the ring's "DMA" addresses are physical ones.
 */
static void pvblk_sim_use_queue(struct pvblk_sim *sim, struct virtqueue *vq)
{
	mutex_lock(&sim->lock);
	sim->num = virtqueue_get_vring_size(vq);
	sim->desc = phys_to_virt(virtqueue_get_desc_addr(vq));
	sim->avail = phys_to_virt(virtqueue_get_avail_addr(vq));
	sim->used = phys_to_virt(virtqueue_get_used_addr(vq));
	sim->last_avail = 0;
	sim->used_idx = 0;
	sim->vq = vq;
	mutex_unlock(&sim->lock);
}

static int pvblk_sim_find_vqs(struct virtio_device *vdev, unsigned int nvqs,
			      struct virtqueue *vqs[],
			      vq_callback_t *callbacks[],
			      const char * const names[], const bool *ctx,
			      struct irq_affinity *desc)
{
	struct pvblk_sim *sim = to_sim(vdev);
	unsigned int i, queues = 0;
	struct virtqueue *vq;
	int err;

	for (i = 0; i < nvqs; i++) {
		vqs[i] = NULL;
		if (!names[i])
			continue;
		/* One request queue, as any device without VIRTIO_BLK_F_MQ. */
		if (queues++) {
			err = -ENOENT;
			goto err;
		}
		vq = vring_create_virtqueue(0, PVBLK_SIM_QUEUE_SIZE,
					    SMP_CACHE_BYTES, vdev, true, true,
					    ctx && ctx[i], pvblk_sim_notify,
					    callbacks[i], names[i]);
		if (!vq) {
			err = -ENOMEM;
			goto err;
		}
		vqs[i] = vq;
		pvblk_sim_use_queue(sim, vq);
	}
	return 0;

err:
	pvblk_sim_del_vqs(vdev);
	return err;
}

/* Callbacks run only from the work item: once it is idle none runs. */
static void pvblk_sim_synchronize_cbs(struct virtio_device *vdev)
{
	flush_work(&to_sim(vdev)->work);
}

static const char *pvblk_sim_bus_name(struct virtio_device *vdev)
{
	return PVBLK_SIM_NAME;
}

static const struct virtio_config_ops pvblk_sim_config_ops = {
	.get			= pvblk_sim_get,
	.set			= pvblk_sim_set,
	.generation		= pvblk_sim_generation,
	.get_status		= pvblk_sim_get_status,
	.set_status		= pvblk_sim_set_status,
	.reset			= pvblk_sim_reset,
	.find_vqs		= pvblk_sim_find_vqs,
	.del_vqs		= pvblk_sim_del_vqs,
	.synchronize_cbs	= pvblk_sim_synchronize_cbs,
	.get_features		= pvblk_sim_get_features,
	.finalize_features	= pvblk_sim_finalize_features,
	.bus_name		= pvblk_sim_bus_name,
};

/*
 * The device reaches memory through the direct map: System RAM only, all
 * of the range (pfn_valid() would pass holes inside a memory section).
 */
static bool pvblk_sim_is_ram(u64 addr, u32 len)
{
	u64 last;

	if (!len)
		return true;
	if (check_add_overflow(addr, (u64)len - 1, &last))
		return false;
	return region_intersects(addr, len, IORESOURCE_SYSTEM_RAM,
				 IORES_DESC_NONE) == REGION_INTERSECTS;
}

/*
 * Collects the chain at @head: readable segments first, then writable ones.
 * False for a chain no device may accept: a bad index, a loop, an indirect
 * descriptor (not offered), readable after writable, memory outside RAM, or
 * more bytes than a used length can report.
 */
static bool pvblk_sim_read_chain(struct pvblk_sim *sim, u16 head)
{
	struct virtio_device *vdev = &sim->vdev;
	unsigned int i = head, n = 0;

	sim->nr_out = 0;
	sim->nr_in = 0;
	sim->out_len = 0;
	sim->in_len = 0;
	for (;;) {
		struct vring_desc *d;
		u16 flags;
		u64 addr;
		u32 len;

		if (i >= sim->num || n == sim->num)
			return false;
		d = &sim->desc[i];
		addr = virtio64_to_cpu(vdev, READ_ONCE(d->addr));
		len = virtio32_to_cpu(vdev, READ_ONCE(d->len));
		flags = virtio16_to_cpu(vdev, READ_ONCE(d->flags));
		if ((flags & VRING_DESC_F_INDIRECT) || !pvblk_sim_is_ram(addr, len))
			return false;
		if (flags & VRING_DESC_F_WRITE) {
			sim->in_len += len;
			sim->nr_in++;
		} else {
			if (sim->nr_in)
				return false;
			sim->out_len += len;
			sim->nr_out++;
		}
		sim->seg[n].buf = phys_to_virt(addr);
		sim->seg[n].len = len;
		n++;
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		i = virtio16_to_cpu(vdev, READ_ONCE(d->next));
	}
	return sim->out_len <= U32_MAX && sim->in_len <= U32_MAX;
}

/* @len bytes between @buf and the chain part @seg, from its byte @off. */
static void pvblk_sim_xfer(struct pvblk_sim_seg *seg, unsigned int nr,
			   u64 off, void *buf, u64 len, bool to_chain)
{
	unsigned int i;

	for (i = 0; i < nr && len; i++) {
		u64 n;

		if (off >= seg[i].len) {
			off -= seg[i].len;
			continue;
		}
		n = min_t(u64, seg[i].len - off, len);
		if (to_chain)
			memcpy(seg[i].buf + off, buf, n);
		else
			memcpy(buf, seg[i].buf + off, n);
		buf += n;
		len -= n;
		off = 0;
	}
}

/* From the readable part of the chain. */
static void pvblk_sim_pull(struct pvblk_sim *sim, u64 off, void *buf, u64 len)
{
	pvblk_sim_xfer(sim->seg, sim->nr_out, off, buf, len, false);
}

/* Into the writable part of the chain. */
static void pvblk_sim_push(struct pvblk_sim *sim, u64 off, void *buf, u64 len)
{
	pvblk_sim_xfer(sim->seg + sim->nr_out, sim->nr_in, off, buf, len, true);
}

static bool pvblk_sim_in_range(struct pvblk_sim *sim, u64 sector, u64 n)
{
	u64 cap = READ_ONCE(sim->capacity);

	return sector <= cap && n <= cap - sector;
}

/* Why a request was refused, for whoever reads the log after a test. */
static __printf(3, 4) void pvblk_sim_refuse(struct pvblk_sim *sim,
					    unsigned int cls,
					    const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	/* pr_*: dev_* would name the bound driver, not the device. */
	pr_info_ratelimited("%s: %s refused: %pV\n", dev_name(&sim->vdev.dev),
			    pvblk_sim_classes[cls], &vaf);
	va_end(args);
}

/* Zeroes in slices: a whole-disk discard must not hog the CPU. */
static void pvblk_sim_zero(struct pvblk_sim *sim, u64 sector, u64 n)
{
	u64 off = sector << SECTOR_SHIFT, len = n << SECTOR_SHIFT;

	while (len) {
		size_t chunk = min_t(u64, len, SZ_1M);

		memset(sim->disk + off, 0, chunk);
		off += chunk;
		len -= chunk;
		cond_resched();
	}
}

static u8 pvblk_sim_rw(struct pvblk_sim *sim, bool write, u64 sector,
		       u64 *sectors, u32 *used)
{
	u64 hdr = sizeof(struct virtio_blk_outhdr);
	u64 bytes = write ? sim->out_len - hdr : sim->in_len - 1;
	u64 n = bytes >> SECTOR_SHIFT;
	void *at;

	if (bytes & (SECTOR_SIZE - 1) || !pvblk_sim_in_range(sim, sector, n)) {
		pvblk_sim_refuse(sim, write ? PVBLK_SIM_WRITE : PVBLK_SIM_READ,
				 "%llu bytes at sector %llu, capacity %llu",
				 bytes, sector, READ_ONCE(sim->capacity));
		return VIRTIO_BLK_S_IOERR;
	}
	at = sim->disk + (sector << SECTOR_SHIFT);
	if (write) {
		pvblk_sim_pull(sim, hdr, at, bytes);
	} else {
		pvblk_sim_push(sim, 0, at, bytes);
		*used = bytes + 1;
	}
	*sectors = n;
	return VIRTIO_BLK_S_OK;
}

static u8 pvblk_sim_get_id(struct pvblk_sim *sim, u32 *used)
{
	char id[VIRTIO_BLK_ID_BYTES] = {};
	u32 n = min_t(u64, sim->in_len - 1, sizeof(id));

	memcpy(id, serial, strnlen(serial, sizeof(id)));
	pvblk_sim_push(sim, 0, id, n);
	*used = n + 1;
	return VIRTIO_BLK_S_OK;
}

/*
 * Discard, write zeroes and secure erase: all three zero their ranges, so
 * the data is gone whichever the driver sent.  Every range is checked before
 * any is carried out, so a refused request changes nothing.
 */
static u8 pvblk_sim_ranges(struct pvblk_sim *sim, unsigned int cls,
			   u64 *sectors, u32 *ranges)
{
	struct virtio_blk_discard_write_zeroes *r = sim->ranges;
	u64 hdr = sizeof(struct virtio_blk_outhdr);
	u64 payload = sim->out_len - hdr;
	u32 max_sectors, max_segs, flags_ok = 0;
	unsigned int i, n;

	switch (cls) {
	case PVBLK_SIM_DISCARD:
		max_sectors = PVBLK_SIM_MAX_DISCARD_SECTORS;
		max_segs = PVBLK_SIM_MAX_DISCARD_SEG;
		break;
	case PVBLK_SIM_WRITE_ZEROES:
		max_sectors = PVBLK_SIM_MAX_WZ_SECTORS;
		max_segs = PVBLK_SIM_MAX_WZ_SEG;
		flags_ok = VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
		break;
	default:
		max_sectors = max_secure_erase_sectors;
		max_segs = max_secure_erase_seg;
		break;
	}

	if (!payload || payload % sizeof(r[0]) ||
	    payload / sizeof(r[0]) > max_segs) {
		pvblk_sim_refuse(sim, cls, "%llu payload bytes, %u ranges at most",
				 payload, max_segs);
		return VIRTIO_BLK_S_IOERR;
	}
	n = payload / sizeof(r[0]);
	pvblk_sim_pull(sim, hdr, r, payload);

	for (i = 0; i < n; i++) {
		u64 sector = le64_to_cpu(r[i].sector);
		u32 num = le32_to_cpu(r[i].num_sectors);
		u32 flags = le32_to_cpu(r[i].flags);

		/* The spec's answer to an unknown flag (or UNMAP on discard). */
		if (flags & ~flags_ok) {
			pvblk_sim_refuse(sim, cls, "range %u flags 0x%x", i,
					 flags);
			return VIRTIO_BLK_S_UNSUPP;
		}
		if (num > max_sectors || !pvblk_sim_in_range(sim, sector, num)) {
			pvblk_sim_refuse(sim, cls,
					 "range %u of %u: %u sectors at %llu, %u at most, capacity %llu",
					 i, n, num, sector, max_sectors,
					 READ_ONCE(sim->capacity));
			return VIRTIO_BLK_S_IOERR;
		}
	}
	for (i = 0; i < n; i++) {
		u32 num = le32_to_cpu(r[i].num_sectors);

		pvblk_sim_zero(sim, le64_to_cpu(r[i].sector), num);
		*sectors += num;
	}
	*ranges = n;
	return VIRTIO_BLK_S_OK;
}

static int pvblk_sim_class(u32 type)
{
	switch (type) {
	case VIRTIO_BLK_T_IN:
		return PVBLK_SIM_READ;
	case VIRTIO_BLK_T_OUT:
		return PVBLK_SIM_WRITE;
	case VIRTIO_BLK_T_FLUSH:
		return PVBLK_SIM_FLUSH;
	case VIRTIO_BLK_T_DISCARD:
		return PVBLK_SIM_DISCARD;
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return PVBLK_SIM_WRITE_ZEROES;
	case VIRTIO_BLK_T_SECURE_ERASE:
		return PVBLK_SIM_SECURE_ERASE;
	case VIRTIO_BLK_T_GET_ID:
		return PVBLK_SIM_GET_ID;
	default:
		return -1;
	}
}

/*
 * A command whose feature was not negotiated is unsupported.  The device's
 * own record of the features, not virtio_has_feature(): that one checks
 * the bound driver's feature table and BUG()s on a bit it lacks.
 */
static bool pvblk_sim_negotiated(struct pvblk_sim *sim, int cls)
{
	u64 features = READ_ONCE(sim->features);

	switch (cls) {
	case PVBLK_SIM_FLUSH:
		return features & BIT_ULL(VIRTIO_BLK_F_FLUSH);
	case PVBLK_SIM_DISCARD:
		return features & BIT_ULL(VIRTIO_BLK_F_DISCARD);
	case PVBLK_SIM_WRITE_ZEROES:
		return features & BIT_ULL(VIRTIO_BLK_F_WRITE_ZEROES);
	case PVBLK_SIM_SECURE_ERASE:
		return features & BIT_ULL(VIRTIO_BLK_F_SECURE_ERASE);
	default:
		return cls >= 0;
	}
}

/*
 * Carries out the collected chain and writes its status byte; *@used is the
 * used length.  False when the chain is not a request at all (no header or
 * no status byte): a driver error, which needs a reset.
 */
static bool pvblk_sim_request(struct pvblk_sim *sim, u32 *used)
{
	struct virtio_blk_outhdr hdr;
	u64 sector, sectors = 0;
	u32 ranges = 0;
	u8 status;
	int cls;

	if (sim->out_len < sizeof(hdr) || !sim->in_len)
		return false;
	pvblk_sim_pull(sim, 0, &hdr, sizeof(hdr));
	sector = virtio64_to_cpu(&sim->vdev, hdr.sector);
	cls = pvblk_sim_class(virtio32_to_cpu(&sim->vdev, hdr.type));
	*used = 1;

	if (!pvblk_sim_negotiated(sim, cls))
		status = VIRTIO_BLK_S_UNSUPP;
	else if (cls == PVBLK_SIM_READ || cls == PVBLK_SIM_WRITE)
		status = pvblk_sim_rw(sim, cls == PVBLK_SIM_WRITE, sector,
				      &sectors, used);
	else if (cls == PVBLK_SIM_GET_ID)
		status = pvblk_sim_get_id(sim, used);
	else if (cls == PVBLK_SIM_FLUSH)
		status = VIRTIO_BLK_S_OK;	/* RAM has no volatile cache */
	else
		status = pvblk_sim_ranges(sim, cls, &sectors, &ranges);

	if (cls < 0) {
		sim->unsupported++;
	} else {
		u64 *s = sim->stats[cls];

		s[PVBLK_SIM_REQUESTS]++;
		if (status == VIRTIO_BLK_S_OK) {
			s[PVBLK_SIM_SECTORS] += sectors;
			s[PVBLK_SIM_RANGES] += ranges;
		} else {
			s[PVBLK_SIM_ERRORS]++;
		}
	}
	if (status != VIRTIO_BLK_S_OK)
		*used = 1;
	pvblk_sim_push(sim, sim->in_len - 1, &status, 1);
	return true;
}

static bool pvblk_sim_running(struct pvblk_sim *sim)
{
	u8 status = READ_ONCE(sim->status);

	return sim->vq && (status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !(status & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static void pvblk_sim_add_used(struct pvblk_sim *sim, u16 head, u32 len)
{
	vring_used_elem_t *e = &sim->used->ring[sim->used_idx % sim->num];

	e->id = cpu_to_virtio32(&sim->vdev, head);
	e->len = cpu_to_virtio32(&sim->vdev, len);
	sim->used_idx++;
}

static void pvblk_sim_publish(struct pvblk_sim *sim)
{
	struct virtio_device *vdev = &sim->vdev;
	irqreturn_t ret;

	/* The entries before the index that shows them. */
	virt_wmb();
	WRITE_ONCE(sim->used->idx, cpu_to_virtio16(vdev, sim->used_idx));
	/*
	 * The index before the driver's flag: the driver clears the flag and
	 * then reads the index, so one side always sees the other.
	 */
	virt_mb();
	if (READ_ONCE(sim->avail->flags) &
	    cpu_to_virtio16(vdev, VRING_AVAIL_F_NO_INTERRUPT))
		return;
	/* As an interrupt would: softirqs raised by completions run at once. */
	local_bh_disable();
	ret = vring_interrupt(0, sim->vq);
	local_bh_enable();
	if (ret == IRQ_HANDLED)
		sim->interrupts++;
}

/* What a device does on a driver error: stop, ask for a reset. */
static void pvblk_sim_needs_reset(struct pvblk_sim *sim)
{
	spin_lock_irq(&sim->config_lock);
	WRITE_ONCE(sim->status, sim->status | VIRTIO_CONFIG_S_NEEDS_RESET);
	spin_unlock_irq(&sim->config_lock);
	sim->malformed++;
	pr_warn("%s: malformed request at avail %u, asking for a reset\n",
		dev_name(&sim->vdev.dev), sim->last_avail);
}

static void pvblk_sim_work(struct work_struct *work)
{
	struct pvblk_sim *sim = container_of(work, struct pvblk_sim, work);
	struct virtio_device *vdev = &sim->vdev;
	unsigned int pending = 0;
	bool broken = false;
	u16 avail, head;
	u32 used;

	mutex_lock(&sim->lock);
	while (pvblk_sim_running(sim)) {
		avail = virtio16_to_cpu(vdev, READ_ONCE(sim->avail->idx));
		if (avail == sim->last_avail)
			break;
		/* More new entries than the ring holds: the index is garbage. */
		if ((u16)(avail - sim->last_avail) > sim->num) {
			broken = true;
			break;
		}
		/* The entry and its chain were written before the index. */
		virt_rmb();
		head = virtio16_to_cpu(vdev,
				       READ_ONCE(sim->avail->ring[sim->last_avail % sim->num]));
		if (!pvblk_sim_read_chain(sim, head) ||
		    !pvblk_sim_request(sim, &used)) {
			broken = true;
			break;
		}
		pvblk_sim_add_used(sim, head, used);
		sim->last_avail++;
		if (++pending == PVBLK_SIM_BATCH) {
			pvblk_sim_publish(sim);
			pending = 0;
			cond_resched();
		}
	}
	if (pending)
		pvblk_sim_publish(sim);
	if (broken)
		pvblk_sim_needs_reset(sim);
	mutex_unlock(&sim->lock);

	if (broken)
		virtio_config_changed(vdev);
}

static int pvblk_sim_config_show(struct seq_file *m, void *v)
{
	struct pvblk_sim *sim = m->private;
	struct virtio_blk_config c;
	u64 features;
	u16 num;
	u8 status;

	spin_lock_irq(&sim->config_lock);
	c = sim->config;
	features = sim->features;
	status = sim->status;
	spin_unlock_irq(&sim->config_lock);
	mutex_lock(&sim->lock);
	num = sim->num;
	mutex_unlock(&sim->lock);

	seq_printf(m, "capacity_sectors %llu\n",
		   __virtio64_to_cpu(true, c.capacity));
	seq_printf(m, "disk_sectors %llu\n", sim->disk_sectors);
	seq_printf(m, "seg_max %u\n", __virtio32_to_cpu(true, c.seg_max));
	seq_printf(m, "blk_size %u\n", __virtio32_to_cpu(true, c.blk_size));
	seq_printf(m, "max_discard_sectors %u\n",
		   __virtio32_to_cpu(true, c.max_discard_sectors));
	seq_printf(m, "max_discard_seg %u\n",
		   __virtio32_to_cpu(true, c.max_discard_seg));
	seq_printf(m, "discard_sector_alignment %u\n",
		   __virtio32_to_cpu(true, c.discard_sector_alignment));
	seq_printf(m, "max_write_zeroes_sectors %u\n",
		   __virtio32_to_cpu(true, c.max_write_zeroes_sectors));
	seq_printf(m, "max_write_zeroes_seg %u\n",
		   __virtio32_to_cpu(true, c.max_write_zeroes_seg));
	seq_printf(m, "write_zeroes_may_unmap %u\n", c.write_zeroes_may_unmap);
	seq_printf(m, "max_secure_erase_sectors %u\n",
		   __virtio32_to_cpu(true, c.max_secure_erase_sectors));
	seq_printf(m, "max_secure_erase_seg %u\n",
		   __virtio32_to_cpu(true, c.max_secure_erase_seg));
	seq_printf(m, "secure_erase_sector_alignment %u\n",
		   __virtio32_to_cpu(true, c.secure_erase_sector_alignment));
	seq_printf(m, "queue_size_max %u\n", PVBLK_SIM_QUEUE_SIZE);
	seq_printf(m, "queue_size %u\n", num);
	seq_printf(m, "device_features 0x%llx\n", PVBLK_SIM_FEATURES);
	seq_printf(m, "driver_features 0x%llx\n", features);
	seq_printf(m, "status 0x%x\n", status);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pvblk_sim_config);

static int pvblk_sim_capacity_get(void *data, u64 *val)
{
	*val = READ_ONCE(((struct pvblk_sim *)data)->capacity);
	return 0;
}

/*
 * A new capacity takes effect at once for every request, without a config
 * interrupt (config_changed sends one): the driver keeps the size it knew.
 */
static int pvblk_sim_capacity_set(void *data, u64 val)
{
	struct pvblk_sim *sim = data;

	if (!val || val > sim->disk_sectors ||
	    val % (blk_size >> SECTOR_SHIFT))
		return -EINVAL;
	spin_lock_irq(&sim->config_lock);
	WRITE_ONCE(sim->capacity, val);
	sim->config.capacity = __cpu_to_virtio64(true, val);
	WRITE_ONCE(sim->generation, sim->generation + 1);
	spin_unlock_irq(&sim->config_lock);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(pvblk_sim_capacity_fops, pvblk_sim_capacity_get,
			 pvblk_sim_capacity_set, "%llu\n");

static int pvblk_sim_notifies_get(void *data, u64 *val)
{
	*val = atomic64_read(&((struct pvblk_sim *)data)->notifies);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(pvblk_sim_notifies_fops, pvblk_sim_notifies_get,
			 NULL, "%llu\n");

static ssize_t pvblk_sim_config_changed_write(struct file *file,
					      const char __user *ubuf,
					      size_t count, loff_t *ppos)
{
	struct pvblk_sim *sim = file->private_data;
	bool on;
	int err;

	err = kstrtobool_from_user(ubuf, count, &on);
	if (err)
		return err;
	if (on)
		virtio_config_changed(&sim->vdev);
	return count;
}

static const struct file_operations pvblk_sim_config_changed_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= pvblk_sim_config_changed_write,
	.llseek	= noop_llseek,
};

static void pvblk_sim_debugfs_add(struct pvblk_sim *sim)
{
	struct dentry *dir = debugfs_create_dir(PVBLK_SIM_NAME, NULL);
	char name[32];
	unsigned int c, s;

	sim->debugfs = dir;
	for (c = 0; c < PVBLK_SIM_NR_CLASSES; c++) {
		for (s = 0; s < PVBLK_SIM_NR_STATS; s++) {
			/* Only range commands have ranges. */
			if (s == PVBLK_SIM_RANGES && c != PVBLK_SIM_DISCARD &&
			    c != PVBLK_SIM_WRITE_ZEROES &&
			    c != PVBLK_SIM_SECURE_ERASE)
				continue;
			snprintf(name, sizeof(name), "%s_%s",
				 pvblk_sim_classes[c], pvblk_sim_stats[s]);
			debugfs_create_u64(name, 0444, dir, &sim->stats[c][s]);
		}
	}
	debugfs_create_u64("unsupported", 0444, dir, &sim->unsupported);
	debugfs_create_u64("malformed", 0444, dir, &sim->malformed);
	debugfs_create_u64("interrupts", 0444, dir, &sim->interrupts);
	debugfs_create_file_unsafe("notifies", 0444, dir, sim,
				   &pvblk_sim_notifies_fops);
	debugfs_create_file("config", 0444, dir, sim, &pvblk_sim_config_fops);
	debugfs_create_file_unsafe("capacity_sectors", 0644, dir, sim,
				   &pvblk_sim_capacity_fops);
	debugfs_create_file("config_changed", 0200, dir, sim,
			    &pvblk_sim_config_changed_fops);
}

static void pvblk_sim_release(struct device *dev)
{
	struct pvblk_sim *sim = to_sim(dev_to_virtio(dev));

	complete(&sim->released);
}

static int __init pvblk_sim_init(void)
{
	struct pvblk_sim *sim;
	int err = -ENOMEM;

	/* Under Xen rings use the DMA API: addresses would not be physical. */
	if (xen_domain())
		return -ENODEV;
	if (!size_mb || size_mb > PVBLK_SIM_MAX_MB) {
		pr_err("size_mb %u is not 1..%u\n", size_mb, PVBLK_SIM_MAX_MB);
		return -EINVAL;
	}
	if (blk_size < SECTOR_SIZE || blk_size > PAGE_SIZE ||
	    !is_power_of_2(blk_size)) {
		pr_err("blk_size %u is not a power of two from %u to %lu\n",
		       blk_size, SECTOR_SIZE, PAGE_SIZE);
		return -EINVAL;
	}
	if (strlen(serial) > VIRTIO_BLK_ID_BYTES) {
		pr_err("serial is longer than %u bytes\n", VIRTIO_BLK_ID_BYTES);
		return -EINVAL;
	}
	if (max_secure_erase_seg > PVBLK_SIM_MAX_RANGES) {
		pr_err("max_secure_erase_seg %u is above %u\n",
		       max_secure_erase_seg, PVBLK_SIM_MAX_RANGES);
		return -EINVAL;
	}

	pvblk_sim_wq = alloc_workqueue(PVBLK_SIM_NAME, WQ_MEM_RECLAIM, 0);
	if (!pvblk_sim_wq)
		return -ENOMEM;
	sim = kzalloc(sizeof(*sim), GFP_KERNEL);
	if (!sim)
		goto out_destroy_wq;
	init_completion(&sim->released);
	INIT_WORK(&sim->work, pvblk_sim_work);
	mutex_init(&sim->lock);
	spin_lock_init(&sim->config_lock);
	atomic64_set(&sim->notifies, 0);
	sim->disk_sectors = (u64)size_mb << (20 - SECTOR_SHIFT);
	sim->disk = vzalloc((size_t)size_mb << 20);
	if (!sim->disk)
		goto out_free_sim;
	pvblk_sim_init_config(sim);

	sim->root = root_device_register(PVBLK_SIM_NAME);
	if (IS_ERR(sim->root)) {
		err = PTR_ERR(sim->root);
		goto out_free_disk;
	}
	sim->vdev.dev.parent = sim->root;
	sim->vdev.dev.release = pvblk_sim_release;
	sim->vdev.config = &pvblk_sim_config_ops;
	sim->vdev.id.device = VIRTIO_ID_BLOCK;

	err = register_virtio_device(&sim->vdev);
	if (err) {
		/* Initialised by now: only the last reference frees it. */
		put_device(&sim->vdev.dev);
		wait_for_completion(&sim->released);
		goto out_unregister_root;
	}
	/* Only now: its controls act on a registered device. */
	pvblk_sim_debugfs_add(sim);
	pvblk_sim = sim;
	pr_info("%s: %llu blocks of %u bytes, serial \"%s\"\n",
		dev_name(&sim->vdev.dev),
		sim->disk_sectors / (blk_size >> SECTOR_SHIFT), blk_size, serial);
	return 0;

out_unregister_root:
	root_device_unregister(sim->root);
out_free_disk:
	vfree(sim->disk);
out_free_sim:
	mutex_destroy(&sim->lock);
	kfree(sim);
out_destroy_wq:
	destroy_workqueue(pvblk_sim_wq);
	return err;
}

static void __exit pvblk_sim_exit(void)
{
	struct pvblk_sim *sim = pvblk_sim;

	debugfs_remove_recursive(sim->debugfs);
	/* Unbinds the driver first, which resets the device. */
	unregister_virtio_device(&sim->vdev);
	/* A sysfs reader may still hold the device: free it only after. */
	wait_for_completion(&sim->released);
	/* Drains a notification that came after the last reset. */
	destroy_workqueue(pvblk_sim_wq);
	root_device_unregister(sim->root);
	vfree(sim->disk);
	mutex_destroy(&sim->lock);
	kfree(sim);
}
module_init(pvblk_sim_init);
module_exit(pvblk_sim_exit);

MODULE_DESCRIPTION("Simulated virtio-blk device with secure erase, for pvlens_blk tests");
MODULE_LICENSE("GPL");
