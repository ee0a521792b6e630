// Driver for the virtio block device that holds the file system, over the
// virtio-mmio transport at VIRTIO0 (Virtio 1.1 spec, 3.1, 4.2 and 5.2).
// Needs QEMU's modern virtio-mmio interface and a disk on the first slot:
//   -global virtio-mmio.force-legacy=false
//   -drive file=fs.img,if=none,format=raw,id=x0
//   -device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0
//
// One split virtqueue of VIRTIO_NUM descriptors. Each request is a chain of
// three: a request header the device reads, the block's data (read or
// written by the device), and a status byte the device writes. The caller
// sleeps until the completion interrupt marks its buffer done.
//
// The kernel maps RAM one-to-one, so the kernel addresses of the rings,
// headers and buffers are also the physical addresses the device needs.

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/fs.h"
#include "kernel/buf.h"
#include "kernel/virtio.h"
#include "kernel/defs.h"

#define VREG(off) (*(volatile uint32 *)(KDEV(VIRTIO0) + (off)))

static struct {
  struct spinlock lock;   // guards everything in this struct after init

  // The three parts of queue 0, one kalloc'd page each (shared with the device).
  struct virtq_desc *desc;
  struct virtq_avail *avail;
  volatile struct virtq_used *used;   // written by the device behind our back

  char free[VIRTIO_NUM];    // 1 if desc[i] is not part of any chain
  uint16 used_seen;         // used->idx up to which we have completed requests

  // Per request, indexed by the head descriptor of its chain.
  struct {
    struct buf *b;          // the buffer being read or written
    uint8 status;           // the device writes VIRTIO_BLK_S_OK here on success
  } info[VIRTIO_NUM];
  struct virtio_blk_req req[VIRTIO_NUM];   // request headers, same indexing
} disk;

// Add bit to the device status register (spec 3.1.1: bits accumulate).
static void
virtio_setstatus(uint32 bit)
{
  VREG(VIRTIO_MMIO_STATUS) = VREG(VIRTIO_MMIO_STATUS) | bit;
}

// Accept the features the device offers, minus those this driver does not
// implement, plus VERSION_1, which the modern interface requires.
static void
virtio_negotiate(void)
{
  uint32 lo, hi;

  VREG(VIRTIO_MMIO_DEVICE_FEAT_SEL) = 0;
  lo = VREG(VIRTIO_MMIO_DEVICE_FEATURES);
  lo &= ~(1U << VIRTIO_BLK_F_RO);
  lo &= ~(1U << VIRTIO_BLK_F_SCSI);
  lo &= ~(1U << VIRTIO_BLK_F_CONFIG_WCE);
  lo &= ~(1U << VIRTIO_BLK_F_MQ);
  lo &= ~(1U << VIRTIO_F_ANY_LAYOUT);
  lo &= ~(1U << VIRTIO_F_EVENT_IDX);
  lo &= ~(1U << VIRTIO_F_INDIRECT_DESC);

  VREG(VIRTIO_MMIO_DEVICE_FEAT_SEL) = 1;
  hi = VREG(VIRTIO_MMIO_DEVICE_FEATURES);
  hi &= 1U << (VIRTIO_F_VERSION_1 - 32);

  VREG(VIRTIO_MMIO_DRIVER_FEAT_SEL) = 0;
  VREG(VIRTIO_MMIO_DRIVER_FEATURES) = lo;
  VREG(VIRTIO_MMIO_DRIVER_FEAT_SEL) = 1;
  VREG(VIRTIO_MMIO_DRIVER_FEATURES) = hi;
}

// Allocate a zeroed page for part of the queue, and tell the device its
// physical address through the register pair at low, low+4.
static void*
virtio_queuepage(int low)
{
  void *p = kalloc();

  if(p == 0)
    panic("virtio_disk_init: kalloc");
  memset(p, 0, PGSIZE);
  VREG(low) = (uint64)p;
  VREG(low + 4) = (uint64)p >> 32;
  return p;
}

// Set up queue 0 with VIRTIO_NUM descriptors (spec 4.2.3.2).
static void
virtio_setupqueue(void)
{
  uint32 max;
  int i;

  VREG(VIRTIO_MMIO_QUEUE_SEL) = 0;
  if(VREG(VIRTIO_MMIO_QUEUE_READY) != 0)
    panic("virtio_disk_init: queue 0 already in use");
  max = VREG(VIRTIO_MMIO_QUEUE_NUM_MAX);
  if(max == 0)
    panic("virtio_disk_init: no queue 0");
  if(max < VIRTIO_NUM)
    panic("virtio_disk_init: queue 0 too small");
  VREG(VIRTIO_MMIO_QUEUE_NUM) = VIRTIO_NUM;

  disk.desc = virtio_queuepage(VIRTIO_MMIO_QUEUE_DESC_LOW);
  disk.avail = virtio_queuepage(VIRTIO_MMIO_QUEUE_DRIVER_LOW);
  disk.used = virtio_queuepage(VIRTIO_MMIO_QUEUE_DEVICE_LOW);
  for(i = 0; i < VIRTIO_NUM; i++)
    disk.free[i] = 1;

  VREG(VIRTIO_MMIO_QUEUE_READY) = 1;
}

// Find and start the disk (device initialization, spec 3.1.1). Panics if
// there is no modern virtio block device at VIRTIO0.
void
virtio_disk_init(void)
{
  initlock(&disk.lock, "virtio_disk");

  if(VREG(VIRTIO_MMIO_MAGIC) != VIRTIO_MAGIC)
    panic("virtio_disk_init: no virtio-mmio device");
  if(VREG(VIRTIO_MMIO_VERSION) != 2)
    panic("virtio_disk_init: not version 2 (need force-legacy=false)");
  if(VREG(VIRTIO_MMIO_DEVICE_ID) != VIRTIO_DEV_BLOCK)
    panic("virtio_disk_init: no block device");

  VREG(VIRTIO_MMIO_STATUS) = 0;   // reset
  while(VREG(VIRTIO_MMIO_STATUS) != 0)
    ;
  virtio_setstatus(VIRTIO_STATUS_ACKNOWLEDGE);
  virtio_setstatus(VIRTIO_STATUS_DRIVER);

  virtio_negotiate();
  virtio_setstatus(VIRTIO_STATUS_FEATURES_OK);
  // The device may refuse our feature subset by leaving FEATURES_OK clear.
  if((VREG(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK) == 0)
    panic("virtio_disk_init: features refused");

  virtio_setupqueue();
  virtio_setstatus(VIRTIO_STATUS_DRIVER_OK);
}

// Take a free descriptor. Returns its index, or -1 if none is free.
// Caller holds disk.lock.
static int
virtio_alloc_desc(void)
{
  int i;

  for(i = 0; i < VIRTIO_NUM; i++){
    if(disk.free[i]){
      disk.free[i] = 0;
      return i;
    }
  }
  return -1;
}

// Free the chain that starts at descriptor i and wake anyone waiting for
// descriptors. Caller holds disk.lock.
static void
virtio_free_chain(int i)
{
  int more;

  do {
    if(i < 0 || i >= VIRTIO_NUM || disk.free[i])
      panic("virtio_free_chain: bad descriptor");
    more = disk.desc[i].flags & VIRTQ_DESC_F_NEXT;
    disk.free[i] = 1;
    disk.desc[i].addr = 0;
    disk.desc[i].flags = 0;
    i = disk.desc[i].next;
  } while(more);
  wakeup(&disk.free);
}

// Take three descriptors into d[0..2], all or none. Returns 0 on success,
// -1 if fewer than three are free. Caller holds disk.lock.
static int
virtio_alloc3(int *d)
{
  int n;

  for(n = 0; n < 3; n++){
    if((d[n] = virtio_alloc_desc()) < 0){
      while(n > 0)
        disk.free[d[--n]] = 1;
      return -1;
    }
  }
  return 0;
}

// Fill descriptor i with one buffer; next < 0 ends the chain.
// Caller holds disk.lock.
static void
virtio_setdesc(int i, void *addr, uint32 len, int devwrites, int next)
{
  disk.desc[i].addr = (uint64)addr;
  disk.desc[i].len = len;
  disk.desc[i].flags = devwrites ? VIRTQ_DESC_F_WRITE : 0;
  disk.desc[i].next = 0;
  if(next >= 0){
    disk.desc[i].flags |= VIRTQ_DESC_F_NEXT;
    disk.desc[i].next = next;
  }
}

// Read block b->blockno into b->data (write == 0), or write b->data to it
// (write == 1). Sleeps until the disk has finished. Caller holds b->lock
// (a sleep lock) and no spinlocks; b stays the caller's throughout.
void
virtio_disk_rw(struct buf *b, int write)
{
  int d[3];
  struct virtio_blk_req *req;

  acquire(&disk.lock);
  while(virtio_alloc3(d) < 0)
    sleep(&disk.free, &disk.lock);

  req = &disk.req[d[0]];
  req->type = write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
  req->reserved = 0;
  req->sector = (uint64)b->blockno * (BSIZE / 512);

  disk.info[d[0]].b = b;
  disk.info[d[0]].status = 0xff;   // anything but OK, until the device says so
  virtio_setdesc(d[0], req, sizeof(*req), 0, d[1]);
  virtio_setdesc(d[1], b->data, BSIZE, !write, d[2]);
  virtio_setdesc(d[2], &disk.info[d[0]].status, 1, 1, -1);
  b->disk = 1;

  disk.avail->ring[disk.avail->idx % VIRTIO_NUM] = d[0];
  // The device may look at the ring as soon as idx moves: the descriptors
  // and ring entry above must be visible to it before the new idx is.
  __sync_synchronize();
  disk.avail->idx += 1;
  // And the new idx must be visible before the device is told to look.
  __sync_synchronize();
  VREG(VIRTIO_MMIO_QUEUE_NOTIFY) = 0;

  // virtio_disk_intr() clears b->disk and wakes us.
  while(b->disk == 1)
    sleep(b, &disk.lock);

  disk.info[d[0]].b = 0;
  virtio_free_chain(d[0]);
  release(&disk.lock);
}

// Disk interrupt: acknowledge it, then finish every request the device has
// added to the used ring since last time. Called from devintr().
void
virtio_disk_intr(void)
{
  uint32 id;
  struct buf *b;

  acquire(&disk.lock);

  // Acknowledge first: a completion that lands after this raises a new
  // interrupt, and one that landed before is picked up by the loop below.
  VREG(VIRTIO_MMIO_INTERRUPT_ACK) = VREG(VIRTIO_MMIO_INTERRUPT_STATUS) & 0x3;

  // Reading used->idx must not be reordered before the ack, and the
  // entries and status bytes must be read only after idx says they exist.
  __sync_synchronize();
  while(disk.used_seen != disk.used->idx){
    __sync_synchronize();
    id = disk.used->ring[disk.used_seen % VIRTIO_NUM].id;
    if(id >= VIRTIO_NUM || (b = disk.info[id].b) == 0)
      panic("virtio_disk_intr: bad used entry");
    if(disk.info[id].status != VIRTIO_BLK_S_OK)
      panic("virtio_disk_intr: request failed");
    b->disk = 0;   // the block is done: let virtio_disk_rw() return
    wakeup(b);
    disk.used_seen++;
  }

  release(&disk.lock);
}
