// SPDX-License-Identifier: GPL-2.0
/*
 * pvlens_sim: the transport and device-side ring walking shared by the
 * virtio devices pvlens simulates in the guest for its tests
 * (include/pvlens/sim.h).  It is its own virtio transport, as
 * drivers/vdpa/vdpa_sim is.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bottom_half.h>
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/suspend.h>
#include <linux/uaccess.h>
#include <linux/virtio_config.h>
#include <pvlens/sim.h>
#include <xen/xen.h>

static void pvlens_sim_get(struct virtio_device *vdev, unsigned int offset,
			   void *buf, unsigned int len)
{
	struct pvlens_sim_dev *sd = to_pvlens_sim(vdev);
	unsigned long flags;

	/* Past the end of config space reads as zeros. */
	if (offset > sd->config_size || len > sd->config_size - offset) {
		memset(buf, 0, len);
		return;
	}
	spin_lock_irqsave(&sd->config_lock, flags);
	memcpy(buf, (u8 *)sd->config + offset, len);
	spin_unlock_irqrestore(&sd->config_lock, flags);
}

/* No simulated device has a writable config field. */
static void pvlens_sim_set(struct virtio_device *vdev, unsigned int offset,
			   const void *buf, unsigned int len)
{
}

static u32 pvlens_sim_generation(struct virtio_device *vdev)
{
	return READ_ONCE(to_pvlens_sim(vdev)->generation);
}

void pvlens_sim_config_lock(struct pvlens_sim_dev *sd)
	__acquires(&sd->config_lock)
{
	spin_lock_irq(&sd->config_lock);
}
EXPORT_SYMBOL_GPL(pvlens_sim_config_lock);

/* A config change ends here: the generation tells readers it moved. */
void pvlens_sim_config_unlock(struct pvlens_sim_dev *sd)
	__releases(&sd->config_lock)
{
	WRITE_ONCE(sd->generation, sd->generation + 1);
	spin_unlock_irq(&sd->config_lock);
}
EXPORT_SYMBOL_GPL(pvlens_sim_config_unlock);

static u8 pvlens_sim_get_status(struct virtio_device *vdev)
{
	return READ_ONCE(to_pvlens_sim(vdev)->status);
}

/* The device lets go of every ring, as when the driver resets it. */
static void pvlens_sim_forget_queues(struct pvlens_sim_dev *sd)
{
	memset(sd->vqs, 0, sizeof(sd->vqs));
	sd->nr_vqs = 0;
}

/*
 * After a reset the device touches neither the rings nor the driver's
 * callbacks: ring processing holds @lock throughout.
 */
static void pvlens_sim_reset(struct virtio_device *vdev)
{
	struct pvlens_sim_dev *sd = to_pvlens_sim(vdev);

	mutex_lock(&sd->lock);
	spin_lock_irq(&sd->config_lock);
	WRITE_ONCE(sd->status, 0);
	sd->features = 0;
	spin_unlock_irq(&sd->config_lock);
	pvlens_sim_forget_queues(sd);
	if (sd->ops->reset)
		sd->ops->reset(sd);
	mutex_unlock(&sd->lock);
}

static void pvlens_sim_set_status(struct virtio_device *vdev, u8 status)
{
	struct pvlens_sim_dev *sd = to_pvlens_sim(vdev);
	unsigned long flags;
	bool start;

	if (!status) {
		pvlens_sim_reset(vdev);
		return;
	}

	spin_lock_irqsave(&sd->config_lock, flags);
	/* Modern only: FEATURES_OK does not stick without VERSION_1. */
	if (!(sd->features & BIT_ULL(VIRTIO_F_VERSION_1)))
		status &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	/* NEEDS_RESET is the device's to set and only a reset clears it. */
	status |= sd->status & VIRTIO_CONFIG_S_NEEDS_RESET;
	start = (status & VIRTIO_CONFIG_S_DRIVER_OK) &&
		!(sd->status & VIRTIO_CONFIG_S_DRIVER_OK);
	WRITE_ONCE(sd->status, status);
	spin_unlock_irqrestore(&sd->config_lock, flags);

	/* Buffers made available before DRIVER_OK have not been looked at. */
	if (start)
		queue_work(sd->wq, &sd->work);
}

static u64 pvlens_sim_get_features(struct virtio_device *vdev)
{
	return to_pvlens_sim(vdev)->device_features;
}

static int pvlens_sim_finalize_features(struct virtio_device *vdev)
{
	struct pvlens_sim_dev *sd = to_pvlens_sim(vdev);

	/* Drops the ring features this transport does not implement. */
	vring_transport_features(vdev);
	spin_lock_irq(&sd->config_lock);
	sd->features = vdev->features;
	spin_unlock_irq(&sd->config_lock);
	return 0;
}

static bool pvlens_sim_notify(struct virtqueue *vq)
{
	struct pvlens_sim_dev *sd = to_pvlens_sim(vq->vdev);

	atomic64_inc(&sd->notifies);
	/*
	 * The driver may hold its virtqueue lock here, and a completion
	 * callback takes it again: the device works elsewhere.
	 */
	queue_work(sd->wq, &sd->work);
	return true;
}

static void pvlens_sim_del_vqs(struct virtio_device *vdev)
{
	struct pvlens_sim_dev *sd = to_pvlens_sim(vdev);
	struct virtqueue *vq, *n;

	mutex_lock(&sd->lock);
	pvlens_sim_forget_queues(sd);
	mutex_unlock(&sd->lock);

	list_for_each_entry_safe(vq, n, &vdev->vqs, list)
		vring_del_virtqueue(vq);
}

/*
 * What a transport tells the device: ring size and addresses, then enable.
 * Without the DMA API the ring's "DMA" addresses are physical ones.
 */
static void pvlens_sim_use_queue(struct pvlens_sim_dev *sd,
				 struct virtqueue *vq)
{
	struct pvlens_sim_vq *svq;

	mutex_lock(&sd->lock);
	if (WARN_ON_ONCE(sd->nr_vqs == PVLENS_SIM_MAX_VQS)) {
		mutex_unlock(&sd->lock);
		return;
	}
	svq = &sd->vqs[sd->nr_vqs++];
	svq->num = virtqueue_get_vring_size(vq);
	svq->desc = phys_to_virt(virtqueue_get_desc_addr(vq));
	svq->avail = phys_to_virt(virtqueue_get_avail_addr(vq));
	svq->used = phys_to_virt(virtqueue_get_used_addr(vq));
	svq->last_avail = 0;
	svq->used_idx = 0;
	svq->interrupts = 0;
	svq->vq = vq;
	mutex_unlock(&sd->lock);
}

static int pvlens_sim_find_vqs(struct virtio_device *vdev, unsigned int nvqs,
			       struct virtqueue *vqs[],
			       vq_callback_t *callbacks[],
			       const char * const names[], const bool *ctx,
			       struct irq_affinity *desc)
{
	struct pvlens_sim_dev *sd = to_pvlens_sim(vdev);
	unsigned int i, queues = 0;
	struct virtqueue *vq;
	int err;

	/* A test asked for it: a device whose queues cannot be set up. */
	if (atomic_add_unless(&sd->fail_find_vqs, -1, 0))
		return -EIO;
	for (i = 0; i < nvqs; i++) {
		vqs[i] = NULL;
		if (!names[i])
			continue;
		if (queues == sd->max_vqs) {
			err = -ENOENT;
			goto err;
		}
		vq = vring_create_virtqueue(queues++, sd->queue_size,
					    SMP_CACHE_BYTES, vdev, true, true,
					    ctx && ctx[i], pvlens_sim_notify,
					    callbacks[i], names[i]);
		if (!vq) {
			err = -ENOMEM;
			goto err;
		}
		vqs[i] = vq;
		pvlens_sim_use_queue(sd, vq);
	}
	return 0;

err:
	pvlens_sim_del_vqs(vdev);
	return err;
}

/* Callbacks run only from the device's work or its debugfs controls. */
static void pvlens_sim_synchronize_cbs(struct virtio_device *vdev)
{
	struct pvlens_sim_dev *sd = to_pvlens_sim(vdev);

	flush_work(&sd->work);
	mutex_lock(&sd->lock);
	mutex_unlock(&sd->lock);
}

static const char *pvlens_sim_bus_name(struct virtio_device *vdev)
{
	return to_pvlens_sim(vdev)->name;
}

static const struct virtio_config_ops pvlens_sim_config_ops = {
	.get			= pvlens_sim_get,
	.set			= pvlens_sim_set,
	.generation		= pvlens_sim_generation,
	.get_status		= pvlens_sim_get_status,
	.set_status		= pvlens_sim_set_status,
	.reset			= pvlens_sim_reset,
	.find_vqs		= pvlens_sim_find_vqs,
	.del_vqs		= pvlens_sim_del_vqs,
	.synchronize_cbs	= pvlens_sim_synchronize_cbs,
	.get_features		= pvlens_sim_get_features,
	.finalize_features	= pvlens_sim_finalize_features,
	.bus_name		= pvlens_sim_bus_name,
};

/* Running: DRIVER_OK set, no reset asked for.  With @lock held. */
bool pvlens_sim_running(struct pvlens_sim_dev *sd)
{
	u8 status = READ_ONCE(sd->status);

	return sd->nr_vqs && (status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !(status & VIRTIO_CONFIG_S_NEEDS_RESET);
}
EXPORT_SYMBOL_GPL(pvlens_sim_running);

/*
 * The device reaches memory through the direct map: System RAM only, all
 * of the range (pfn_valid() would pass holes inside a memory section).
 */
static bool pvlens_sim_is_ram(u64 addr, u32 len)
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
static bool pvlens_sim_read_chain(struct pvlens_sim_dev *sd,
				  struct pvlens_sim_vq *svq, u16 head,
				  struct pvlens_sim_chain *c)
{
	struct virtio_device *vdev = &sd->vdev;
	unsigned int i = head, n = 0;

	c->head = head;
	c->nr_out = 0;
	c->nr_in = 0;
	c->out_len = 0;
	c->in_len = 0;
	for (;;) {
		struct vring_desc *d;
		u16 flags;
		u64 addr;
		u32 len;

		if (i >= svq->num || n == svq->num || n == PVLENS_SIM_MAX_CHAIN)
			return false;
		d = &svq->desc[i];
		addr = virtio64_to_cpu(vdev, READ_ONCE(d->addr));
		len = virtio32_to_cpu(vdev, READ_ONCE(d->len));
		flags = virtio16_to_cpu(vdev, READ_ONCE(d->flags));
		if ((flags & VRING_DESC_F_INDIRECT) ||
		    !pvlens_sim_is_ram(addr, len))
			return false;
		if (flags & VRING_DESC_F_WRITE) {
			c->in_len += len;
			c->nr_in++;
		} else {
			if (c->nr_in)
				return false;
			c->out_len += len;
			c->nr_out++;
		}
		c->seg[n].buf = phys_to_virt(addr);
		c->seg[n].len = len;
		n++;
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		i = virtio16_to_cpu(vdev, READ_ONCE(d->next));
	}
	return c->out_len <= U32_MAX && c->in_len <= U32_MAX;
}

/*
 * Takes the next chain the driver made available on @svq into @c, with
 * @sd->lock held.  1 when there was one, 0 when the ring is empty, -EIO
 * when what the driver wrote is garbage (the caller asks for a reset).
 */
int pvlens_sim_pop(struct pvlens_sim_dev *sd, struct pvlens_sim_vq *svq,
		   struct pvlens_sim_chain *c)
{
	struct virtio_device *vdev = &sd->vdev;
	u16 avail, head;

	avail = virtio16_to_cpu(vdev, READ_ONCE(svq->avail->idx));
	if (avail == svq->last_avail)
		return 0;
	/* More new entries than the ring holds: the index is garbage. */
	if ((u16)(avail - svq->last_avail) > svq->num)
		return -EIO;
	/* The entry and its chain were written before the index. */
	virt_rmb();
	head = virtio16_to_cpu(vdev,
			       READ_ONCE(svq->avail->ring[svq->last_avail % svq->num]));
	if (!pvlens_sim_read_chain(sd, svq, head, c))
		return -EIO;
	svq->last_avail++;
	return 1;
}
EXPORT_SYMBOL_GPL(pvlens_sim_pop);

/* @len bytes between @buf and the chain part @seg, from its byte @off. */
static void pvlens_sim_xfer(const struct pvlens_sim_seg *seg, unsigned int nr,
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
void pvlens_sim_pull(const struct pvlens_sim_chain *c, u64 off, void *buf,
		     u64 len)
{
	pvlens_sim_xfer(c->seg, c->nr_out, off, buf, len, false);
}
EXPORT_SYMBOL_GPL(pvlens_sim_pull);

/* Into the writable part of the chain. */
void pvlens_sim_push(const struct pvlens_sim_chain *c, u64 off,
		     const void *buf, u64 len)
{
	pvlens_sim_xfer(c->seg + c->nr_out, c->nr_in, off, (void *)buf, len,
			true);
}
EXPORT_SYMBOL_GPL(pvlens_sim_push);

/* A used entry, seen by the driver at the next pvlens_sim_publish(). */
void pvlens_sim_add_used(struct pvlens_sim_dev *sd, struct pvlens_sim_vq *svq,
			 u16 head, u32 len)
{
	vring_used_elem_t *e = &svq->used->ring[svq->used_idx % svq->num];

	e->id = cpu_to_virtio32(&sd->vdev, head);
	e->len = cpu_to_virtio32(&sd->vdev, len);
	svq->used_idx++;
}
EXPORT_SYMBOL_GPL(pvlens_sim_add_used);

/* Shows the used entries added so far, and interrupts unless told not to. */
void pvlens_sim_publish(struct pvlens_sim_dev *sd, struct pvlens_sim_vq *svq)
{
	struct virtio_device *vdev = &sd->vdev;
	irqreturn_t ret;

	/* The entries before the index that shows them. */
	virt_wmb();
	WRITE_ONCE(svq->used->idx, cpu_to_virtio16(vdev, svq->used_idx));
	/*
	 * The index before the driver's flag: the driver clears the flag and
	 * then reads the index, so one side always sees the other.
	 */
	virt_mb();
	if (READ_ONCE(svq->avail->flags) &
	    cpu_to_virtio16(vdev, VRING_AVAIL_F_NO_INTERRUPT))
		return;
	/* As an interrupt would: softirqs raised by callbacks run at once. */
	local_bh_disable();
	ret = vring_interrupt(0, svq->vq);
	local_bh_enable();
	if (ret == IRQ_HANDLED)
		svq->interrupts++;
}
EXPORT_SYMBOL_GPL(pvlens_sim_publish);

/* What a device does on a driver error: stop, ask for a reset. */
static void pvlens_sim_needs_reset(struct pvlens_sim_dev *sd)
{
	spin_lock_irq(&sd->config_lock);
	WRITE_ONCE(sd->status, sd->status | VIRTIO_CONFIG_S_NEEDS_RESET);
	spin_unlock_irq(&sd->config_lock);
	sd->malformed++;
	pr_warn("%s: malformed request, asking for a reset\n",
		dev_name(&sd->vdev.dev));
}

static void pvlens_sim_work(struct work_struct *work)
{
	struct pvlens_sim_dev *sd = container_of(work, struct pvlens_sim_dev,
						 work);
	bool broken = false;

	mutex_lock(&sd->lock);
	if (pvlens_sim_running(sd) && !sd->ops->process(sd)) {
		pvlens_sim_needs_reset(sd);
		broken = true;
	}
	mutex_unlock(&sd->lock);

	if (broken)
		virtio_config_changed(&sd->vdev);
}

static int pvlens_sim_notifies_get(void *data, u64 *val)
{
	*val = atomic64_read(&((struct pvlens_sim_dev *)data)->notifies);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(pvlens_sim_notifies_fops, pvlens_sim_notifies_get,
			 NULL, "%llu\n");

static int pvlens_sim_interrupts_get(void *data, u64 *val)
{
	struct pvlens_sim_dev *sd = data;
	unsigned int i;

	*val = 0;
	mutex_lock(&sd->lock);
	for (i = 0; i < sd->nr_vqs; i++)
		*val += sd->vqs[i].interrupts;
	mutex_unlock(&sd->lock);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(pvlens_sim_interrupts_fops, pvlens_sim_interrupts_get,
			 NULL, "%llu\n");

/* A consistent copy of config space, for the device's config file. */
void pvlens_sim_read_config(struct pvlens_sim_dev *sd, void *buf)
{
	spin_lock_irq(&sd->config_lock);
	memcpy(buf, sd->config, sd->config_size);
	spin_unlock_irq(&sd->config_lock);
}
EXPORT_SYMBOL_GPL(pvlens_sim_read_config);

/* The lines every device's config file ends with (Documentation/ABI). */
void pvlens_sim_show_status(struct seq_file *m, struct pvlens_sim_dev *sd)
{
	u64 features;
	u8 status;

	spin_lock_irq(&sd->config_lock);
	features = sd->features;
	status = sd->status;
	spin_unlock_irq(&sd->config_lock);
	seq_printf(m, "device_features 0x%llx\n", sd->device_features);
	seq_printf(m, "driver_features 0x%llx\n", features);
	seq_printf(m, "status 0x%x\n", status);
}
EXPORT_SYMBOL_GPL(pvlens_sim_show_status);

/* The files every simulated device has (Documentation/ABI). */
void pvlens_sim_debugfs_add(struct pvlens_sim_dev *sd, struct dentry *dir)
{
	debugfs_create_u64("malformed", 0444, dir, &sd->malformed);
	debugfs_create_atomic_t("fail_find_vqs", 0644, dir, &sd->fail_find_vqs);
	debugfs_create_file_unsafe("interrupts", 0444, dir, sd,
				   &pvlens_sim_interrupts_fops);
	debugfs_create_file_unsafe("notifies", 0444, dir, sd,
				   &pvlens_sim_notifies_fops);
}
EXPORT_SYMBOL_GPL(pvlens_sim_debugfs_add);

static void pvlens_sim_release(struct device *dev)
{
	complete(&to_pvlens_sim(dev_to_virtio(dev))->released);
}

/*
 * Registers the device the caller filled in (ops, name, features, config,
 * queue_size, max_vqs) under a root device of its name; the driver may bind
 * before this returns.
 */
int pvlens_sim_register(struct pvlens_sim_dev *sd, u32 device_id)
{
	int err;

	/* Under Xen rings use the DMA API: addresses would not be physical. */
	if (xen_domain())
		return -ENODEV;
	if (WARN_ON(sd->max_vqs > PVLENS_SIM_MAX_VQS ||
		    sd->queue_size > PVLENS_SIM_MAX_CHAIN))
		return -EINVAL;

	init_completion(&sd->released);
	INIT_WORK(&sd->work, pvlens_sim_work);
	mutex_init(&sd->lock);
	spin_lock_init(&sd->config_lock);
	atomic64_set(&sd->notifies, 0);
	/* Unbound: a driver waiting on one CPU does not hold the device up. */
	sd->wq = alloc_workqueue("%s", WQ_UNBOUND | WQ_MEM_RECLAIM, 0,
				 sd->name);
	if (!sd->wq)
		return -ENOMEM;
	sd->root = root_device_register(sd->name);
	if (IS_ERR(sd->root)) {
		err = PTR_ERR(sd->root);
		goto out_destroy_wq;
	}
	sd->vdev.dev.parent = sd->root;
	sd->vdev.dev.release = pvlens_sim_release;
	sd->vdev.config = &pvlens_sim_config_ops;
	sd->vdev.id.device = device_id;

	err = register_virtio_device(&sd->vdev);
	if (err) {
		/* Initialised by now: only the last reference frees it. */
		put_device(&sd->vdev.dev);
		wait_for_completion(&sd->released);
		goto out_unregister_root;
	}
	return 0;

out_unregister_root:
	root_device_unregister(sd->root);
out_destroy_wq:
	destroy_workqueue(sd->wq);
	mutex_destroy(&sd->lock);
	return err;
}
EXPORT_SYMBOL_GPL(pvlens_sim_register);

/* Unbinds the driver (which resets the device) and waits for the last user. */
void pvlens_sim_unregister(struct pvlens_sim_dev *sd)
{
	unregister_virtio_device(&sd->vdev);
	/* A sysfs reader may still hold the device: free it only after. */
	wait_for_completion(&sd->released);
	/* Drains a notification that came after the last reset. */
	destroy_workqueue(sd->wq);
	root_device_unregister(sd->root);
	mutex_destroy(&sd->lock);
}
EXPORT_SYMBOL_GPL(pvlens_sim_unregister);

/*
 * pm_cycle: what the PM core does to a virtio-pci device in a system sleep
 * (virtio_pci_freeze() and virtio_pci_restore() call these two), on the one
 * virtio device named, whatever its transport.  pm_skip below is for the
 * whole system sleep instead: it leaves out the device of the test guests'
 * 9p root, whose driver has no freeze/restore.
 */
static const struct virtio_device_id pvlens_sim_no_ids[] = {
	{ 0 },
};

static int pvlens_sim_anchor_probe(struct virtio_device *vdev)
{
	return -ENODEV;
}

/* Binds nothing: registered only to reach the virtio bus (not exported). */
static struct virtio_driver pvlens_sim_anchor = {
	.driver.name	= "pvlens_sim_anchor",
	.driver.owner	= THIS_MODULE,
	.id_table	= pvlens_sim_no_ids,
	.probe		= pvlens_sim_anchor_probe,
};

static struct dentry *pvlens_sim_debugfs;

#ifdef CONFIG_PM_SLEEP
static ssize_t pvlens_sim_pm_cycle_write(struct file *file,
					 const char __user *ubuf, size_t count,
					 loff_t *ppos)
{
	struct virtio_device *vdev;
	struct device *dev;
	char name[32];
	int err;

	if (!count || count >= sizeof(name))
		return -EINVAL;
	if (copy_from_user(name, ubuf, count))
		return -EFAULT;
	name[count] = '\0';
	dev = bus_find_device_by_name(pvlens_sim_anchor.driver.bus, NULL,
				      strim(name));
	if (!dev)
		return -ENODEV;
	vdev = dev_to_virtio(dev);

	/* As the PM core: the device lock keeps probe and remove out. */
	device_lock(dev);
	err = -ENXIO;
	if (dev->driver) {
		struct virtio_driver *drv = drv_to_virtio(dev->driver);

		/* Without them the restore would reset a live driver's rings. */
		err = -EOPNOTSUPP;
		if (drv->freeze && drv->restore)
			err = virtio_device_freeze(vdev);
		if (!err)
			err = virtio_device_restore(vdev);
	}
	device_unlock(dev);
	if (err)
		pr_warn("%s: pm_cycle failed: %d\n", dev_name(dev), err);
	put_device(dev);
	return err ? err : count;
}

static const struct file_operations pvlens_sim_pm_cycle_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= pvlens_sim_pm_cycle_write,
	.llseek	= noop_llseek,
};

#ifdef CONFIG_PCI
/* The PCI devices pm_skip left out of system sleep (a reference each). */
struct pvlens_sim_skipped {
	struct list_head node;
	struct device *dev;
};

static LIST_HEAD(pvlens_sim_skipped);
static DEFINE_MUTEX(pvlens_sim_skip_lock);

/*
 * The PM core reads power.syscore without the device lock, in every phase:
 * change it only between transitions (lock_system_sleep(), the mutex a
 * system sleep holds throughout), and under power.lock, which guards the
 * bit-field's neighbours.
 */
static void pvlens_sim_set_syscore(struct device *dev, bool skip)
{
	unsigned int flags = lock_system_sleep();

	spin_lock_irq(&dev->power.lock);
	dev_pm_syscore_device(dev, skip);
	spin_unlock_irq(&dev->power.lock);
	unlock_system_sleep(flags);
}

static struct pvlens_sim_skipped *pvlens_sim_find_skipped(struct device *dev)
{
	struct pvlens_sim_skipped *s;

	list_for_each_entry(s, &pvlens_sim_skipped, node)
		if (s->dev == dev)
			return s;
	return NULL;
}

/*
 * "<PCI device> 1|0": leave that device out of system sleep (the PM core
 * skips a device marked syscore), or take back one this file left out.
 * For the test guests' root file system: 9p over virtio, whose driver has
 * no freeze/restore, so that a real suspend's resume would reset it under
 * the mounted root.  Unloading the module takes every device back.
 */
static ssize_t pvlens_sim_pm_skip_write(struct file *file,
					const char __user *ubuf, size_t count,
					loff_t *ppos)
{
	struct pvlens_sim_skipped *s;
	char buf[48], name[32], *arg;
	struct device *dev;
	bool skip;
	int err;

	if (!count || count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	arg = strim(buf);
	if (sscanf(arg, "%31s", name) != 1)
		return -EINVAL;
	arg = skip_spaces(arg + strlen(name));
	if (strcmp(arg, "1") && strcmp(arg, "0"))
		return -EINVAL;
	skip = *arg == '1';
	dev = bus_find_device_by_name(&pci_bus_type, NULL, name);
	if (!dev)
		return -ENODEV;

	mutex_lock(&pvlens_sim_skip_lock);
	s = pvlens_sim_find_skipped(dev);
	err = 0;
	if (skip && !s) {
		s = kzalloc(sizeof(*s), GFP_KERNEL);
		if (!s) {
			err = -ENOMEM;
		} else {
			s->dev = get_device(dev);
			list_add(&s->node, &pvlens_sim_skipped);
			pvlens_sim_set_syscore(dev, true);
		}
	} else if (!skip && s) {
		pvlens_sim_set_syscore(dev, false);
		list_del(&s->node);
		put_device(s->dev);
		kfree(s);
	} else if (!skip) {
		/* Not ours to take back: syscore may be the kernel's. */
		err = -ENOENT;
	}
	mutex_unlock(&pvlens_sim_skip_lock);
	if (!err)
		pr_info("%s: %s system sleep\n", dev_name(dev),
			skip ? "left out of" : "back in");
	put_device(dev);
	return err ? err : count;
}

static void pvlens_sim_unskip_all(void)
{
	struct pvlens_sim_skipped *s, *tmp;

	list_for_each_entry_safe(s, tmp, &pvlens_sim_skipped, node) {
		pvlens_sim_set_syscore(s->dev, false);
		list_del(&s->node);
		put_device(s->dev);
		kfree(s);
	}
}

static const struct file_operations pvlens_sim_pm_skip_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= pvlens_sim_pm_skip_write,
	.llseek	= noop_llseek,
};
#endif /* CONFIG_PCI */
#endif /* CONFIG_PM_SLEEP */

#if !defined(CONFIG_PM_SLEEP) || !defined(CONFIG_PCI)
static void pvlens_sim_unskip_all(void)
{
}
#endif

static int __init pvlens_sim_init(void)
{
	int err;

	err = register_virtio_driver(&pvlens_sim_anchor);
	if (err)
		return err;
	pvlens_sim_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
#ifdef CONFIG_PM_SLEEP
	debugfs_create_file("pm_cycle", 0200, pvlens_sim_debugfs, NULL,
			    &pvlens_sim_pm_cycle_fops);
#ifdef CONFIG_PCI
	debugfs_create_file("pm_skip", 0200, pvlens_sim_debugfs, NULL,
			    &pvlens_sim_pm_skip_fops);
#endif
#endif
	return 0;
}

static void __exit pvlens_sim_exit(void)
{
	debugfs_remove_recursive(pvlens_sim_debugfs);
	pvlens_sim_unskip_all();
	unregister_virtio_driver(&pvlens_sim_anchor);
}
module_init(pvlens_sim_init);
module_exit(pvlens_sim_exit);

MODULE_DESCRIPTION("Transport for the virtio devices pvlens simulates in the guest, for tests");
MODULE_LICENSE("GPL");
