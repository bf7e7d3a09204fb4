// SPDX-License-Identifier: GPL-2.0
/*
 * pvlens_blk_sim: a virtio-blk device simulated inside the guest, for tests.
 * QEMU 7.2 never offers VIRTIO_BLK_F_SECURE_ERASE, so pvlens_blk's secure
 * erase could not run end to end.  This device offers it, with discard and
 * write zeroes, on a vmalloc'd RAM disk, and counts what it carried out, so
 * that a test can hold the driver's counters against the device's own
 * (Documentation/blk.rst, selftests/block/blk_secure_erase.sh).
 *
 * The transport and the ring walking are pvlens_sim's (include/pvlens/sim.h);
 * this file is the disk: it carries out each chain the driver makes
 * available in the device's work item.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk_types.h>
#include <linux/debugfs.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/virtio.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/vmalloc.h>
#include <pvlens/sim.h>

#define PVBLK_SIM_NAME		"pvlens_blk_sim"
#define PVBLK_SIM_MAX_MB	4096
/* Ring entries offered; also the longest chain the device accepts. */
#define PVBLK_SIM_QUEUE_SIZE	PVLENS_SIM_MAX_CHAIN
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
/* Request queues served with VIRTIO_BLK_F_MQ. */
#define PVBLK_SIM_MAX_QUEUES	(PVLENS_SIM_MAX_VQS - 1)
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
		 "Logical block size offered, a power of two from 512 to the page size (default 512); any other value is offered as nonsense");

/* Config values no device should offer, to see the driver refuse or clamp. */
static int num_queues = -1;
module_param(num_queues, int, 0444);
MODULE_PARM_DESC(num_queues,
		 "-1 (default): no VIRTIO_BLK_F_MQ; 0..65535: MQ offered with this num_queues, up to 16 served");

static unsigned long long capacity;
module_param(capacity, ullong, 0444);
MODULE_PARM_DESC(capacity,
		 "Capacity in 512-byte sectors that config space reports, 0 (default): the RAM disk's; requests are checked against the RAM disk");

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

struct pvblk_sim {
	/* First: pvlens_sim's transport; config points at @config. */
	struct pvlens_sim_dev sd;
	struct virtio_blk_config config;
	u64 capacity;
	u8 *disk;
	u64 disk_sectors;
	/* The chain being carried out. */
	struct pvlens_sim_chain chain;
	struct virtio_blk_discard_write_zeroes ranges[PVBLK_SIM_MAX_RANGES];
	/* What the device did; written under sd.lock, read by debugfs. */
	u64 stats[PVBLK_SIM_NR_CLASSES][PVBLK_SIM_NR_STATS];
	u64 unsupported;
	/* Answers still to give a used length of 0; those given so. */
	u32 short_used;
	u64 shortened;
	struct dentry *debugfs;
};

static struct pvblk_sim *pvblk_sim;
static struct pvblk_sim *to_sim(struct pvlens_sim_dev *sd)
{
	return container_of(sd, struct pvblk_sim, sd);
}

/* Sectors per block: 1 for a blk_size that is none. */
static unsigned int pvblk_sim_block_sectors(void)
{
	if (blk_size < SECTOR_SIZE || blk_size > PAGE_SIZE ||
	    !is_power_of_2(blk_size))
		return 1;
	return blk_size >> SECTOR_SHIFT;
}

/* The device is modern only: its config space is little-endian. */
static void pvblk_sim_init_config(struct pvblk_sim *sim)
{
	struct virtio_blk_config *c = &sim->config;

	sim->capacity = min_not_zero(capacity, sim->disk_sectors);
	c->capacity = __cpu_to_virtio64(true, capacity ?: sim->capacity);
	c->num_queues = __cpu_to_virtio16(true, num_queues);
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

/* From the readable part of the chain. */
static void pvblk_sim_pull(struct pvblk_sim *sim, u64 off, void *buf, u64 len)
{
	pvlens_sim_pull(&sim->chain, off, buf, len);
}

/* Into the writable part of the chain. */
static void pvblk_sim_push(struct pvblk_sim *sim, u64 off, void *buf, u64 len)
{
	pvlens_sim_push(&sim->chain, off, buf, len);
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
	pr_info_ratelimited("%s: %s refused: %pV\n", dev_name(&sim->sd.vdev.dev),
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
	u64 bytes = write ? sim->chain.out_len - hdr : sim->chain.in_len - 1;
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
	u32 n = min_t(u64, sim->chain.in_len - 1, sizeof(id));

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
	u64 payload = sim->chain.out_len - hdr;
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
	u64 features = READ_ONCE(sim->sd.features);

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

	if (sim->chain.out_len < sizeof(hdr) || !sim->chain.in_len)
		return false;
	pvblk_sim_pull(sim, 0, &hdr, sizeof(hdr));
	sector = virtio64_to_cpu(&sim->sd.vdev, hdr.sector);
	cls = pvblk_sim_class(virtio32_to_cpu(&sim->sd.vdev, hdr.type));
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
	pvblk_sim_push(sim, sim->chain.in_len - 1, &status, 1);
	return true;
}

/*
 * Carries out every request the driver made available on @svq, answering
 * in batches.  False on a chain that is no request at all.
 */
static bool pvblk_sim_process_vq(struct pvblk_sim *sim,
				 struct pvlens_sim_vq *svq)
{
	struct pvlens_sim_dev *sd = &sim->sd;
	unsigned int pending = 0;
	bool ok = true;
	u32 used;
	int got;

	while ((got = pvlens_sim_pop(sd, svq, &sim->chain)) > 0) {
		if (!pvblk_sim_request(sim, &used)) {
			ok = false;
			break;
		}
		/* The status is written; the used length says it is not. */
		if (sim->short_used) {
			sim->short_used--;
			sim->shortened++;
			used = 0;
		}
		pvlens_sim_add_used(sd, svq, sim->chain.head, used);
		if (++pending == PVBLK_SIM_BATCH) {
			pvlens_sim_publish(sd, svq);
			pending = 0;
			cond_resched();
		}
	}
	if (pending)
		pvlens_sim_publish(sd, svq);
	return ok && got == 0;
}

static bool pvblk_sim_process(struct pvlens_sim_dev *sd)
{
	unsigned int i;

	for (i = 0; i < sd->nr_vqs; i++)
		if (!pvblk_sim_process_vq(to_sim(sd), &sd->vqs[i]))
			return false;
	return true;
}

static const struct pvlens_sim_ops pvblk_sim_ops = {
	.process	= pvblk_sim_process,
};

static int pvblk_sim_config_show(struct seq_file *m, void *v)
{
	struct pvblk_sim *sim = m->private;
	struct virtio_blk_config c;
	u16 num;

	pvlens_sim_read_config(&sim->sd, &c);
	mutex_lock(&sim->sd.lock);
	num = sim->sd.vqs[0].num;
	mutex_unlock(&sim->sd.lock);

	seq_printf(m, "capacity_sectors %llu\n",
		   __virtio64_to_cpu(true, c.capacity));
	seq_printf(m, "disk_sectors %llu\n", sim->disk_sectors);
	seq_printf(m, "seg_max %u\n", __virtio32_to_cpu(true, c.seg_max));
	seq_printf(m, "blk_size %u\n", __virtio32_to_cpu(true, c.blk_size));
	seq_printf(m, "num_queues %u\n", __virtio16_to_cpu(true, c.num_queues));
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
	pvlens_sim_show_status(m, &sim->sd);
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
	    val % pvblk_sim_block_sectors())
		return -EINVAL;
	pvlens_sim_config_lock(&sim->sd);
	WRITE_ONCE(sim->capacity, val);
	sim->config.capacity = __cpu_to_virtio64(true, val);
	pvlens_sim_config_unlock(&sim->sd);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(pvblk_sim_capacity_fops, pvblk_sim_capacity_get,
			 pvblk_sim_capacity_set, "%llu\n");

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
		virtio_config_changed(&sim->sd.vdev);
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
	debugfs_create_u32("short_used", 0644, dir, &sim->short_used);
	debugfs_create_u64("shortened", 0444, dir, &sim->shortened);
	pvlens_sim_debugfs_add(&sim->sd, dir);
	debugfs_create_file("config", 0444, dir, sim, &pvblk_sim_config_fops);
	debugfs_create_file_unsafe("capacity_sectors", 0644, dir, sim,
				   &pvblk_sim_capacity_fops);
	debugfs_create_file("config_changed", 0200, dir, sim,
			    &pvblk_sim_config_changed_fops);
}

static int __init pvblk_sim_init(void)
{
	struct pvblk_sim *sim;
	int err = -ENOMEM;

	if (!size_mb || size_mb > PVBLK_SIM_MAX_MB) {
		pr_err("size_mb %u is not 1..%u\n", size_mb, PVBLK_SIM_MAX_MB);
		return -EINVAL;
	}
	if (num_queues < -1 || num_queues > U16_MAX) {
		pr_err("num_queues %d is not -1..%u\n", num_queues, U16_MAX);
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

	sim = kzalloc(sizeof(*sim), GFP_KERNEL);
	if (!sim)
		return -ENOMEM;
	sim->disk_sectors = (u64)size_mb << (20 - SECTOR_SHIFT);
	sim->disk = vzalloc((size_t)size_mb << 20);
	if (!sim->disk)
		goto out_free_sim;
	pvblk_sim_init_config(sim);

	sim->sd.ops = &pvblk_sim_ops;
	sim->sd.name = PVBLK_SIM_NAME;
	sim->sd.device_features = PVBLK_SIM_FEATURES;
	if (num_queues >= 0)
		sim->sd.device_features |= BIT_ULL(VIRTIO_BLK_F_MQ);
	sim->sd.config = &sim->config;
	sim->sd.config_size = sizeof(sim->config);
	sim->sd.queue_size = PVBLK_SIM_QUEUE_SIZE;
	/* One request queue without VIRTIO_BLK_F_MQ. */
	sim->sd.max_vqs = clamp(num_queues, 1, PVBLK_SIM_MAX_QUEUES);
	err = pvlens_sim_register(&sim->sd, VIRTIO_ID_BLOCK);
	if (err)
		goto out_free_disk;
	/* Only now: its controls act on a registered device. */
	pvblk_sim_debugfs_add(sim);
	pvblk_sim = sim;
	pr_info("%s: %llu blocks of %u bytes, serial \"%s\"\n",
		dev_name(&sim->sd.vdev.dev),
		sim->disk_sectors / pvblk_sim_block_sectors(), blk_size, serial);
	return 0;

out_free_disk:
	vfree(sim->disk);
out_free_sim:
	kfree(sim);
	return err;
}

static void __exit pvblk_sim_exit(void)
{
	struct pvblk_sim *sim = pvblk_sim;

	debugfs_remove_recursive(sim->debugfs);
	pvlens_sim_unregister(&sim->sd);
	vfree(sim->disk);
	kfree(sim);
}
module_init(pvblk_sim_init);
module_exit(pvblk_sim_exit);

MODULE_DESCRIPTION("Simulated virtio-blk device with secure erase, for pvlens_blk tests");
MODULE_LICENSE("GPL");
