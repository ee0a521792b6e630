// Driver for the Intel 82540EM (E1000) as QEMU emulates it: legacy RX and TX
// descriptor rings, no offloads. Registers and descriptors: e1000_dev.h (from
// the Intel 8254x Software Developer's Manual); emulator behaviour this code
// relies on: NOTES.md, "What QEMU's E1000 really does".
//
// QEMU options: -netdev ...,id=net0 -device e1000,netdev=net0,bus=pcie.0
//
// The driver knows nothing above Ethernet. Two calls cross into the stack:
//   e1000_transmit(m)  on 0 the driver owns m; on -1 the caller keeps it.
//   net_rx(m)          called by e1000_rx_drain; always consumes m.
// e1000_rx_drain is the one receive path for every NETMODE: the interrupt
// handler (intr), the net thread (poll, hybrid) or a socket reader (sock.c)
// calls it. Transmit reclaims finished descriptors itself, so no mode needs
// TX interrupts. The mode can change at run time (netmode_set); the driver
// keeps the current one because it decides the interrupt mask.

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/defs.h"
#include "kernel/netdefs.h"
#include "kernel/netboot.h"
#include "kernel/e1000_dev.h"

#define RX_RING_SIZE 256   // small rings turn any stall into mass loss (NOTES.md, "What QEMU's E1000 really does")
#define TX_RING_SIZE 64    // QEMU sends synchronously: the ring barely fills
#define RX_BUF_SIZE  2048  // RCTL.BSIZE; equals MBUF_SIZE, so RX mbufs have no headroom
#define TX_MAX_FRAME 1514  // Ethernet header + 1500-byte MTU, without CRC
#define INTR_BUDGET  64    // most frames one interrupt takes off the ring

_Static_assert(RX_BUF_SIZE <= MBUF_SIZE, "an RX mbuf must hold a whole device buffer");
_Static_assert(sizeof(struct e1000_rxdesc) == 16 && sizeof(struct e1000_txdesc) == 16,
               "legacy descriptors are 16 bytes");

// Interrupt causes we enable in intr and hybrid modes: a frame arrived,
// the ring ran low, the ring overflowed.
#define IMS_RX (E1000_ICR_RXT0 | E1000_ICR_RXDMT0 | E1000_ICR_RXO)

uint8 e1000_mac[6];   // our Ethernet address; set by e1000_init, then read-only

// All driver state. Lock order: e1000.drain, then e1000.lock, then the mbuf
// pool's lock (mbufalloc/mbuffree are called with e1000.lock held).
// e1000.lock is never held while calling net_rx or any other code above
// the driver; e1000.drain is (net_rx's locks come after it).
static struct {
  // Held by e1000_rx_drain from taking frames off the ring until the stack
  // has them, so that concurrent drains (interrupt handler, net thread,
  // socket readers) hand frames up in ring order.
  struct spinlock drain;

  struct spinlock lock;
  // guarded by lock: the device registers, the rings and the mode.
  volatile uint32 *regs;          // BAR0; 0 when there is no device
  enum netmode mode;              // decides the interrupt mask
  struct e1000_rxdesc rx[RX_RING_SIZE] __attribute__((aligned(128)));
  struct mbuf *rx_mbuf[RX_RING_SIZE];  // the buffer each RX descriptor owns
  uint rx_next;                   // next descriptor to check for DD (RDT trails it by one)
  struct e1000_txdesc tx[TX_RING_SIZE] __attribute__((aligned(128)));
  struct mbuf *tx_mbuf[TX_RING_SIZE];  // frame being sent by each TX descriptor, or 0
  uint tx_next;                   // next free TX descriptor (our copy of TDT)
  uint tx_clean;                  // oldest TX descriptor not yet reclaimed
  uint32 mpc_last;                // MPC as last read (mpc_collect)

  int sink;                       // ceiling benchmark: free frames, do not hand them up (atomic)
} e1000 = { .mode = NETMODE_BOOT };

static uint32
reg_read(int off)
{
  return e1000.regs[off / 4];
}

static void
reg_write(int off, uint32 val)
{
  e1000.regs[off / 4] = val;
}

// Take the MAC address QEMU preloaded into RA[0], or the QEMU default.
static void
mac_load(void)
{
  uint32 lo = reg_read(E1000_RAL0);
  uint32 hi = reg_read(E1000_RAH0);
  int i;

  if((hi & E1000_RAH_AV) == 0){
    lo = 0x12005452;       // 52:54:00:12:34:56
    hi = 0x5634;
  }
  for(i = 0; i < 4; i++)
    e1000_mac[i] = lo >> (8*i);
  e1000_mac[4] = hi;
  e1000_mac[5] = hi >> 8;
}

// Give every RX descriptor an empty mbuf and tell the device about the ring.
static void
rx_ring_init(void)
{
  struct mbuf *m;
  int i;

  for(i = 0; i < RX_RING_SIZE; i++){
    if((m = mbufalloc(0)) == 0)
      panic("e1000_init: no mbufs for the RX ring");
    e1000.rx_mbuf[i] = m;
    e1000.rx[i].addr = (uint64)m->buf;   // the device writes at m->buf
    e1000.rx[i].status = 0;
  }
  e1000.rx_next = 0;
  reg_write(E1000_RDBAL, (uint64)e1000.rx);
  reg_write(E1000_RDBAH, (uint64)e1000.rx >> 32);
  reg_write(E1000_RDLEN, sizeof(e1000.rx));
  reg_write(E1000_RDH, 0);
  // RDH == RDT means "no free descriptors": keep one slot back.
  reg_write(E1000_RDT, RX_RING_SIZE - 1);
}

static void
tx_ring_init(void)
{
  memset(e1000.tx, 0, sizeof(e1000.tx));
  e1000.tx_next = 0;
  e1000.tx_clean = 0;
  reg_write(E1000_TDBAL, (uint64)e1000.tx);
  reg_write(E1000_TDBAH, (uint64)e1000.tx >> 32);
  reg_write(E1000_TDLEN, sizeof(e1000.tx));
  reg_write(E1000_TDH, 0);
  reg_write(E1000_TDT, 0);
}

// Bring the device up. regs is BAR0, mapped by the kernel page table. Called
// once by pci_init on the boot hart, after mbuf_init and plicinithart, before
// any other hart enables interrupts. Mode-specific parts: the interrupt mask
// and the PLIC source.
void
e1000_init(uint32 *regs)
{
  int i;

  initlock(&e1000.drain, "e1000_drain");
  initlock(&e1000.lock, "e1000");
  e1000.regs = regs;

  reg_write(E1000_IMC, 0xffffffff);   // no interrupts while we set up
  reg_read(E1000_ICR);                // and forget any old causes

  rx_ring_init();
  tx_ring_init();

  // Accept frames for our address (RA[0]) and broadcast; no multicast.
  mac_load();
  reg_write(E1000_RAL0, e1000_mac[0] | e1000_mac[1] << 8 | e1000_mac[2] << 16 |
            (uint32)e1000_mac[3] << 24);
  reg_write(E1000_RAH0, e1000_mac[4] | e1000_mac[5] << 8 | E1000_RAH_AV);
  for(i = 0; i < E1000_MTA_LEN; i++)
    reg_write(E1000_MTA + 4*i, 0);

  // Full-duplex transmit with short packets padded (manual 14.5).
  reg_write(E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP |
            (0x10 << E1000_TCTL_CT_SHIFT) | (0x40 << E1000_TCTL_COLD_SHIFT));
  reg_write(E1000_TIPG, E1000_TIPG_IPGT | E1000_TIPG_IPGR1 | E1000_TIPG_IPGR2);

  // No interrupt delays: one cause per frame (QEMU's mitigation may still cap the rate).
  reg_write(E1000_RDTR, 0);
  reg_write(E1000_RADV, 0);
  reg_write(E1000_TIDV, 0);
  reg_write(E1000_TADV, 0);
  reg_write(E1000_ITR, 0);

  // The PLIC always passes the line on: the mode (here the boot mode,
  // later netmode_set's) decides with the device's mask whether it rises.
  plic_enable(E1000_IRQ);
  e1000_setmode(e1000.mode);

  // Last, and only once: each RCTL write stalls QEMU's receiver for a second.
  reg_write(E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM | E1000_RCTL_SECRC |
            E1000_RCTL_BSIZE_2048);
  __sync_synchronize();
  printf("e1000: up, NETMODE=%s\n", netmode_name(e1000.mode));
}

// Free the mbufs of TX descriptors the device has finished with.
// Caller holds e1000.lock.
static void
tx_reclaim_locked(void)
{
  uint i;

  while(e1000.tx_clean != e1000.tx_next){
    i = e1000.tx_clean;
    if((e1000.tx[i].status & E1000_TXD_STAT_DD) == 0)
      break;
    __sync_synchronize();   // the device is done with the buffer before we reuse it
    netstage_mark(e1000.tx_mbuf[i], NS_TX_SEND);
    mbuffree(e1000.tx_mbuf[i]);
    e1000.tx_mbuf[i] = 0;
    e1000.tx[i].status = 0;
    e1000.tx_clean = (i + 1) % TX_RING_SIZE;
    NETSTAT_INC(tx_reclaims);
  }
}

// Reclaim finished TX descriptors now, so their mbufs return to the pool.
// The net thread calls this; transmit also reclaims by itself. Takes e1000.lock.
void
e1000_tx_reclaim(void)
{
  // Unlocked peek: skip the lock when nothing is outstanding (the usual case,
  // because QEMU finishes each frame inside the TDT store).
  if(e1000.regs == 0 ||
     __atomic_load_n(&e1000.tx_clean, __ATOMIC_RELAXED) ==
     __atomic_load_n(&e1000.tx_next, __ATOMIC_RELAXED))
    return;
  acquire(&e1000.lock);
  tx_reclaim_locked();
  release(&e1000.lock);
}

// One free slot is kept, so that TDH == TDT always means "empty".
static int
tx_full(void)
{
  return (e1000.tx_next + 1) % TX_RING_SIZE == e1000.tx_clean;
}

// Queue m on the next TX descriptor and tell the device. Caller holds
// e1000.lock and has checked that the ring is not full.
static void
tx_put_locked(struct mbuf *m)
{
  uint i = e1000.tx_next;
  struct e1000_txdesc *d = &e1000.tx[i];

  d->addr = (uint64)m->head;
  d->length = m->len;
  d->cso = 0;
  d->css = 0;
  d->special = 0;
  d->status = 0;
  d->cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS;
  e1000.tx_mbuf[i] = m;
  e1000.tx_next = (i + 1) % TX_RING_SIZE;
  netstage_mark(m, NS_TX_DRIVER);
  __sync_synchronize();   // the descriptor is in RAM before the device sees the new tail
  reg_write(E1000_TDT, e1000.tx_next);   // QEMU sends the frame inside this store
}

// Send the Ethernet frame m->head[0 .. m->len) (the device appends the CRC).
// Returns 0 when queued: the driver now owns m and frees it once sent.
// Returns -1 and leaves m with the caller when there is no device, the frame
// is empty or longer than 1514 bytes, or the ring is full and the caller
// cannot wait. A caller in process context holding no spinlock (interrupts
// on) waits for room by yielding; from an interrupt handler, or holding a
// spinlock, a full ring is an immediate -1. Takes e1000.lock.
int
e1000_transmit(struct mbuf *m)
{
  int canwait = intr_get();   // read before acquire() turns interrupts off
  uint len = m->len;

  if(e1000.regs == 0 || len == 0 || len > TX_MAX_FRAME)
    return -1;
  acquire(&e1000.lock);
  tx_reclaim_locked();
  if(tx_full()){
    NETSTAT_INC(tx_ring_full);
    while(tx_full()){
      if(!canwait || killed(myproc())){
        release(&e1000.lock);
        return -1;
      }
      release(&e1000.lock);   // never wait with the lock held
      yield();
      acquire(&e1000.lock);
      tx_reclaim_locked();
    }
  }
  tx_put_locked(m);
  // On QEMU the frame is already sent: free its mbuf now rather than at
  // the next transmit. On real hardware this frees whatever has finished.
  tx_reclaim_locked();
  release(&e1000.lock);
  NETSTAT_INC(tx_frames);
  NETSTAT_ADD(tx_bytes, len);
  return 0;
}

// Take the frame in RX descriptor i (DD seen) off the ring and give the
// descriptor a fresh buffer. Returns the frame, or 0 if it was dropped (then
// its buffer stays on the ring). Either way the descriptor is ready for the
// device again. Caller holds e1000.lock.
static struct mbuf *
rx_take_locked(uint i)
{
  struct e1000_rxdesc *d = &e1000.rx[i];
  struct mbuf *m = e1000.rx_mbuf[i];
  struct mbuf *fresh;
  uint len = d->length;

  if((d->status & E1000_RXD_STAT_EOP) == 0 || d->errors != 0 ||
     len == 0 || len > RX_BUF_SIZE){
    NETSTAT_INC(rx_drop_err);
    m = 0;
  } else if((fresh = mbufalloc(0)) == 0){
    NETSTAT_INC(rx_drop_nombuf);
    m = 0;
  } else {
    m->head = m->buf;        // where the device wrote it
    m->len = len;
    netstage_rx_begin(m, e1000.mode);
    e1000.rx_mbuf[i] = fresh;
    d->addr = (uint64)fresh->buf;
  }
  d->status = 0;   // the device ORs status bits in: a stale DD would look like a new frame
  return m;
}

// Hand each collected frame to the stack. Called without e1000.lock.
static void
rx_deliver(struct mbufq *q)
{
  struct mbuf *m;

  if(mbufq_empty(q))
    return;
  __atomic_store_n(&netstats.last_rx_ns, time_ns(), __ATOMIC_RELAXED);
  while((m = mbufq_pop(q)) != 0){
    NETSTAT_INC(rx_frames);
    NETSTAT_ADD(rx_bytes, m->len);
    if(__atomic_load_n(&e1000.sink, __ATOMIC_RELAXED) && netceil_sinks(m)){
      NETSTAT_INC(rx_sink);   // the ceiling benchmark: the device path alone
      mbuffree(m);
      continue;
    }
    net_rx(m);   // consumes m
  }
}

// The ceiling benchmark (netceil.c): while on, every frame the drain takes
// that netceil_sinks() claims (IPv4, DHCP replies aside) is counted
// (rx_sink) and freed instead of going up to the stack.
void
e1000_rx_sink(int on)
{
  __atomic_store_n(&e1000.sink, on, __ATOMIC_RELAXED);
}

// Add the device's missed-packet count (MPC) to rx_missed. The manual
// says reading MPC clears it, but QEMU 7.2 keeps it as a running total
// (adding each read made rx_missed exceed the frames the host sent), so
// add only what it grew by since the last read; a smaller value than last
// time means it was cleared. Caller holds e1000.lock.
static void
mpc_collect(void)
{
  uint32 v = reg_read(E1000_MPC);

  NETSTAT_ADD(rx_missed, v >= e1000.mpc_last ? v - e1000.mpc_last : v);
  e1000.mpc_last = v;
}

// The receive path for every mode: take up to budget finished descriptors
// off the RX ring, refill them, give them back to the device with a single
// RDT store, then hand the good frames to net_rx (which owns them after).
// Returns the number of descriptors consumed, dropped frames included: less
// than budget means the ring was empty. Takes e1000.lock; call without it.
int
e1000_rx_drain(int budget)
{
  struct mbufq q;
  struct mbuf *m;
  int n = 0, last = -1;

  NETSTAT_INC(rx_drains);
  if(e1000.regs == 0)
    return 0;
  mbufq_init(&q);
  acquire(&e1000.drain);
  acquire(&e1000.lock);
  while(n < budget && (e1000.rx[e1000.rx_next].status & E1000_RXD_STAT_DD)){
    __sync_synchronize();   // read length and errors only after seeing DD
    last = e1000.rx_next;
    if((m = rx_take_locked(last)) != 0)
      mbufq_push(&q, m);
    e1000.rx_next = (last + 1) % RX_RING_SIZE;
    n++;
  }
  if(last >= 0){
    // One store for the batch: QEMU refills from its backlog inside this
    // store and drops whatever does not fit, so give it all the room at once.
    __sync_synchronize();
    reg_write(E1000_RDT, last);
    // A full budget means the ring may have been full and QEMU may have
    // dropped frames: collect its count.
    if(n == budget)
      mpc_collect();
  }
  release(&e1000.lock);
  rx_deliver(&q);
  release(&e1000.drain);
  return n;
}

// Is a received frame waiting? A lock-free look at the next RX descriptor
// in RAM (no register access, so it is cheap to call in a polling loop).
// Only a hint: e1000_rx_drain checks again under the lock.
int
e1000_rx_pending(void)
{
  uint i = __atomic_load_n(&e1000.rx_next, __ATOMIC_RELAXED);

  return (e1000.rx[i].status & E1000_RXD_STAT_DD) != 0;
}

// The mode the driver runs in now (enum netmode).
int
e1000_mode(void)
{
  return __atomic_load_n(&e1000.mode, __ATOMIC_RELAXED);
}

// Let the device interrupt on received frames (on) or not at all. Causes
// that piled up while masked belong to frames already drained: enabling
// clears them first (reading ICR), or it would fire at once. Caller holds
// e1000.lock and has checked that there is a device.
static void
intr_enable_locked(int on)
{
  if(on){
    reg_read(E1000_ICR);
    reg_write(E1000_IMS, IMS_RX);
  } else {
    reg_write(E1000_IMC, 0xffffffff);
  }
}

// Set the interrupt mask for mode: every cause masked in poll mode (the
// line never rises), the RX causes enabled otherwise. netmode_set's part
// of a switch; also the boot mode. Takes e1000.lock.
void
e1000_setmode(int mode)
{
  acquire(&e1000.lock);
  e1000.mode = mode;
  if(e1000.regs)
    intr_enable_locked(mode != NETMODE_POLL);
  release(&e1000.lock);
}

// Hybrid mode: stop the device from interrupting while the net thread
// polls. Does nothing in the other modes (a switch may just have happened).
void
e1000_intr_mask(void)
{
  if(e1000.regs == 0)
    return;
  acquire(&e1000.lock);
  if(e1000.mode == NETMODE_HYBRID)
    intr_enable_locked(0);
  release(&e1000.lock);
}

// Let the device interrupt again (unless the driver is in poll mode by
// now). A frame arriving between the caller's last drain and the clearing
// of ICR raises no interrupt: the caller must check e1000_rx_pending()
// after this returns.
void
e1000_intr_unmask(void)
{
  if(e1000.regs == 0)
    return;
  acquire(&e1000.lock);
  if(e1000.mode != NETMODE_POLL)
    intr_enable_locked(1);
  release(&e1000.lock);
}

// Ask the device for another interrupt: set RXT0 in ICR, which raises the
// line again once the trap that calls this has completed the claim (if
// the mode still unmasks RX causes; else it is forgotten when they are
// unmasked). Takes e1000.lock.
static void
intr_again(void)
{
  acquire(&e1000.lock);
  reg_write(E1000_ICS, E1000_ICR_RXT0);
  release(&e1000.lock);
}

// Called by the trap code when the PLIC claims E1000_IRQ, with interrupts
// off. Reading ICR acknowledges every cause and lowers the line.
// intr mode: drain at most INTR_BUDGET frames. If the budget ran out,
// frames may remain: count intr_budget and raise the cause again, so the
// next trap takes the next batch. Bounded work per trap lets the trap code
// run the clock in between (trap.c, devintr); under a flood the hart still
// spends its time here (receive livelock, visible in intr, intr_budget and
// rx_missed), but time goes on.
// hybrid mode: mask the device's interrupts and wake the net thread, which
// drains and unmasks when the ring is empty.
// poll mode (an interrupt raised just before a switch): nothing; the net
// thread polls.
void
e1000_intr(void)
{
  int mode;

  if(e1000.regs == 0)
    return;
  acquire(&e1000.lock);
  reg_read(E1000_ICR);
  mode = e1000.mode;
  if(mode == NETMODE_HYBRID)
    intr_enable_locked(0);
  release(&e1000.lock);
  NETSTAT_INC(intr);

  if(mode == NETMODE_HYBRID){
    netthread_kick();
  } else if(mode == NETMODE_INTR && e1000_rx_drain(INTR_BUDGET) == INTR_BUDGET){
    NETSTAT_INC(intr_budget);
    intr_again();
  }
}
