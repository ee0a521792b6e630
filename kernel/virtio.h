// Virtio over MMIO, version 2 ("modern") register layout, and the split
// virtqueue and block-request formats, from the Virtio 1.1 spec:
//   4.2.2 MMIO device register layout, 2.6 split virtqueues,
//   5.2 block device. All fields are little-endian, as is RISC-V.
// QEMU must be run with -global virtio-mmio.force-legacy=false, or it
// presents the legacy (version 1) interface, which this driver rejects.

// MMIO registers: byte offsets from the device's base address.
#define VIRTIO_MMIO_MAGIC             0x000 // reads 0x74726976, "virt"
#define VIRTIO_MMIO_VERSION           0x004 // 2 for the modern interface
#define VIRTIO_MMIO_DEVICE_ID         0x008 // 2 for a block device
#define VIRTIO_MMIO_VENDOR_ID         0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES   0x010 // 32 feature bits, chosen by ..._SEL
#define VIRTIO_MMIO_DEVICE_FEAT_SEL   0x014
#define VIRTIO_MMIO_DRIVER_FEATURES   0x020
#define VIRTIO_MMIO_DRIVER_FEAT_SEL   0x024
#define VIRTIO_MMIO_QUEUE_SEL         0x030 // which queue the QUEUE_ registers mean
#define VIRTIO_MMIO_QUEUE_NUM_MAX     0x034 // largest queue size the device takes
#define VIRTIO_MMIO_QUEUE_NUM         0x038 // queue size the driver chose
#define VIRTIO_MMIO_QUEUE_READY       0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY      0x050 // write a queue number: "new buffers"
#define VIRTIO_MMIO_INTERRUPT_STATUS  0x060
#define VIRTIO_MMIO_INTERRUPT_ACK     0x064
#define VIRTIO_MMIO_STATUS            0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW    0x080 // physical address of the descriptor table
#define VIRTIO_MMIO_QUEUE_DESC_HIGH   0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW  0x090 // ... of the driver (available) ring
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW  0x0a0 // ... of the device (used) ring
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4

#define VIRTIO_MAGIC        0x74726976
#define VIRTIO_DEV_BLOCK    2

// Device status bits (spec 2.1).
#define VIRTIO_STATUS_ACKNOWLEDGE  1   // we have seen the device
#define VIRTIO_STATUS_DRIVER       2   // we know how to drive it
#define VIRTIO_STATUS_DRIVER_OK    4   // ready: the device may start
#define VIRTIO_STATUS_FEATURES_OK  8   // feature negotiation finished
#define VIRTIO_STATUS_FAILED       128

// Feature bits we refuse (spec 5.2.3 and 6). Numbers are bit positions.
#define VIRTIO_BLK_F_RO          5   // read-only disk
#define VIRTIO_BLK_F_SCSI        7   // SCSI passthrough
#define VIRTIO_BLK_F_CONFIG_WCE  11  // writeback mode in config space
#define VIRTIO_BLK_F_MQ          12  // more than one queue
#define VIRTIO_F_ANY_LAYOUT      27
#define VIRTIO_F_INDIRECT_DESC   28  // descriptors that point at descriptor tables
#define VIRTIO_F_EVENT_IDX       29  // used_event / avail_event notification suppression
// And one we must accept when offered over the modern interface. It is bit
// 32, so it lives in the second feature word (feature select 1), as bit 0.
#define VIRTIO_F_VERSION_1       32

// Our queue size: enough for two requests of three descriptors each.
// A power of two, as split virtqueues require.
#define VIRTIO_NUM 8

// A descriptor: one buffer in guest physical memory (spec 2.6.5).
struct virtq_desc {
  uint64 addr;
  uint32 len;
  uint16 flags;
  uint16 next;    // the next descriptor of the chain, if flags has NEXT
};
#define VIRTQ_DESC_F_NEXT   1   // the chain continues at next
#define VIRTQ_DESC_F_WRITE  2   // the device writes this buffer (else reads it)

// The driver (available) ring: chains offered to the device (spec 2.6.6).
struct virtq_avail {
  uint16 flags;
  uint16 idx;                 // where we will put the next entry (mod VIRTIO_NUM)
  uint16 ring[VIRTIO_NUM];    // head descriptor of each offered chain
  uint16 used_event;          // only with EVENT_IDX, which we refuse
};

// One entry in the device (used) ring: a finished chain (spec 2.6.8).
struct virtq_used_elem {
  uint32 id;      // head descriptor of the chain
  uint32 len;     // bytes the device wrote into the chain
};

struct virtq_used {
  uint16 flags;
  uint16 idx;                 // where the device will put the next entry
  struct virtq_used_elem ring[VIRTIO_NUM];
  uint16 avail_event;         // only with EVENT_IDX
};

// The first buffer of every block request (spec 5.2.6).
struct virtio_blk_req {
  uint32 type;      // VIRTIO_BLK_T_IN or VIRTIO_BLK_T_OUT
  uint32 reserved;
  uint64 sector;    // in 512-byte units, whatever the block size
};
#define VIRTIO_BLK_T_IN   0   // read from the disk
#define VIRTIO_BLK_T_OUT  1   // write to the disk

// The device's status byte, written into the last buffer of a request.
#define VIRTIO_BLK_S_OK   0
