/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvlens_sim: the virtio transport and device-side ring code of the devices
 * pvlens simulates inside the guest for its tests (pvlens_blk_sim,
 * pvlens_net_sim).  A simulated device embeds struct pvlens_sim_dev, fills
 * in what it offers, and carries out requests in its ->process() callback;
 * this library is the transport (config space, status, features, queues)
 * and walks the split rings as a device would.
 *
 * The rings are made by vring_create_virtqueue() without the DMA API, so
 * descriptor addresses are guest-physical (as drivers/vdpa/vdpa_sim's are
 * IOVAs); the device reaches them through the direct map, and only System
 * RAM.  Everything the driver wrote is checked as a real device would.
 */
#ifndef _PVLENS_SIM_H
#define _PVLENS_SIM_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/virtio.h>
#include <linux/virtio_ring.h>
#include <linux/workqueue.h>

/* The longest chain a simulated device accepts (and its largest ring). */
#define PVLENS_SIM_MAX_CHAIN	256
/* Queues one simulated device may have. */
#define PVLENS_SIM_MAX_VQS	17

struct pvlens_sim_seg {
	void *buf;
	u32 len;
};

/* One chain as the device took it: readable segments, then writable. */
struct pvlens_sim_chain {
	u16 head;
	unsigned int nr_out;
	unsigned int nr_in;
	u64 out_len;
	u64 in_len;
	struct pvlens_sim_seg seg[PVLENS_SIM_MAX_CHAIN];
};

/* A split ring as the driver gave it to the device. */
struct pvlens_sim_vq {
	struct virtqueue *vq;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	u16 num;
	u16 last_avail;
	u16 used_idx;
	/* Interrupts the driver took (its callback handled them). */
	u64 interrupts;
};

struct pvlens_sim_dev;

struct pvlens_sim_ops {
	/*
	 * Carry out what the driver made available on any queue.  Called from
	 * the device's work item with @lock held, only while the device runs.
	 * False on a driver error no device may accept: the library then sets
	 * DEVICE_NEEDS_RESET and tells the driver.
	 */
	bool (*process)(struct pvlens_sim_dev *sd);
	/* Optional: back to the state after power-on, with @lock held. */
	void (*reset)(struct pvlens_sim_dev *sd);
};

struct pvlens_sim_dev {
	/* Filled in by the device before pvlens_sim_register(). */
	struct virtio_device vdev;
	const struct pvlens_sim_ops *ops;
	const char *name;
	u64 device_features;
	/* Config space, little-endian (the device is modern only). */
	void *config;
	unsigned int config_size;
	u16 queue_size;
	unsigned int max_vqs;

	struct device *root;
	/* The virtio device's release ran: its memory may go. */
	struct completion released;
	struct workqueue_struct *wq;
	struct work_struct work;
	/* Serialises the device side: ring processing, reset, queue set-up. */
	struct mutex lock;
	/* Protects config space, @generation, @status, @features. */
	spinlock_t config_lock;
	u32 generation;
	u8 status;
	u64 features;
	/* Queues the driver set up, in its order; @nr_vqs under @lock. */
	unsigned int nr_vqs;
	struct pvlens_sim_vq vqs[PVLENS_SIM_MAX_VQS];
	/* Chains the device rejected: each asked for a reset. */
	u64 malformed;
	/* find_vqs() calls still to fail with EIO (debugfs, for tests). */
	atomic_t fail_find_vqs;
	atomic64_t notifies;
};

static inline struct pvlens_sim_dev *to_pvlens_sim(struct virtio_device *vdev)
{
	return container_of(vdev, struct pvlens_sim_dev, vdev);
}

int pvlens_sim_register(struct pvlens_sim_dev *sd, u32 device_id);
void pvlens_sim_unregister(struct pvlens_sim_dev *sd);
bool pvlens_sim_running(struct pvlens_sim_dev *sd);
int pvlens_sim_pop(struct pvlens_sim_dev *sd, struct pvlens_sim_vq *svq,
		   struct pvlens_sim_chain *c);
void pvlens_sim_pull(const struct pvlens_sim_chain *c, u64 off, void *buf,
		     u64 len);
void pvlens_sim_push(const struct pvlens_sim_chain *c, u64 off,
		     const void *buf, u64 len);
void pvlens_sim_add_used(struct pvlens_sim_dev *sd, struct pvlens_sim_vq *svq,
			 u16 head, u32 len);
void pvlens_sim_publish(struct pvlens_sim_dev *sd, struct pvlens_sim_vq *svq);
void pvlens_sim_config_lock(struct pvlens_sim_dev *sd)
	__acquires(&sd->config_lock);
void pvlens_sim_config_unlock(struct pvlens_sim_dev *sd)
	__releases(&sd->config_lock);
struct dentry;
struct seq_file;
void pvlens_sim_debugfs_add(struct pvlens_sim_dev *sd, struct dentry *dir);
void pvlens_sim_read_config(struct pvlens_sim_dev *sd, void *buf);
void pvlens_sim_show_status(struct seq_file *m, struct pvlens_sim_dev *sd);

#endif /* _PVLENS_SIM_H */
