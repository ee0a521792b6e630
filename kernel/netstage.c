// Where a datagram's time goes: stamps (time CSR and instret) at each
// stage of its path, carried in its mbuf (m->st), and per-mode histograms
// of the stages (kernel/netstage.h names them; NOTES.md "Where the time
// goes" explains them). The driver, the stack and the socket layer call
// netstage_mark() at each stage; the last stage of a direction adds every
// stage's gap to the histograms of the mode the datagram started in.
//
// A stamp is two CSR reads and a few stores in the mbuf (inline,
// netstage_mark in kernel/netdefs.h); counting a datagram is three atomic
// adds and a log2 per stage. That is some 300 instructions per received
// datagram and 270 per sent one (NOTES.md "Where the time goes";
// netstages(0, NETSTAGE_COST) measures it in instret, instructions under
// QEMU's -icount), so it can be switched off at run time (NETSTAGE_OFF):
// then a datagram costs a flag test and a byte test per stage. It is on
// from boot.
//
// The time CSR is one clock for every hart (10 MHz on QEMU virt). instret
// under -icount is QEMU's one virtual instruction counter (every hart's
// instructions, and a bias that grows while the guest idles); without
// -icount it reads the host's TSC. Either way a gap between stamps taken
// on two harts is meaningful.

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/defs.h"
#include "kernel/netdefs.h"
#include "kernel/netstage.h"

#define NS_PER_TICK  100   // the time CSR ticks at 10 MHz on QEMU virt
#define COST_ROUNDS  100   // dummy datagrams NETSTAGE_COST stamps and counts

enum { DIR_NONE, DIR_RX, DIR_TX };   // m->st.dir

#define COST_MODE NETMODE_COUNT   // the row NETSTAGE_COST's dummy datagrams go to

// The histograms: a row per mode, and one for NETSTAGE_COST. Updated and
// read with atomic operations only: no lock.
static struct netstage_hist hist[NETMODE_COUNT + 1][NETSTAGE_N];
static uint64 cost_rx, cost_tx;   // instret per datagram, from NETSTAGE_COST
// Stamping on (1) or off (0); netstages() switches it.
static int on = 1;

// syscall() calls this as a system call enters: the first stamp of any
// datagram the call sends (netstage_tx_begin). p is the caller.
void
netstage_syscall(struct proc *p)
{
  if(__atomic_load_n(&on, __ATOMIC_RELAXED) == 0)
    return;
  p->sys_time = r_time();
  p->sys_inst = r_instret();
}

static void
begin(struct mbuf *m, int dir, int mode, uint64 t, uint64 i)
{
  m->st.t[0] = t;
  m->st.i[0] = i;
  m->st.dir = dir;
  m->st.mode = mode;
  m->st.n = 1;
}

// The driver saw DD on the descriptor that holds m; the driver is in mode.
void
netstage_rx_begin(struct mbuf *m, int mode)
{
  if(__atomic_load_n(&on, __ATOMIC_RELAXED) == 0)
    return;
  begin(m, DIR_RX, mode, r_time(), r_instret());
}

// m carries the datagram the current process's system call sends: its
// first stamp is the call's entry.
void
netstage_tx_begin(struct mbuf *m)
{
  struct proc *p;

  if(__atomic_load_n(&on, __ATOMIC_RELAXED) == 0)
    return;
  p = myproc();
  if(p == 0 || p->sys_time == 0)
    return;
  begin(m, DIR_TX, e1000_mode(), p->sys_time, p->sys_inst);
}

// The log2 bucket of ns: a binary search, no loop (clz needs Zbb).
static inline __attribute__((always_inline)) int
bucket(uint64 ns)
{
  int b = 0;

  if(ns >> 32)
    return NETSTAGE_BUCKETS - 1;
  if(ns >> 16){ ns >>= 16; b += 16; }
  if(ns >> 8){ ns >>= 8; b += 8; }
  if(ns >> 4){ ns >>= 4; b += 4; }
  if(ns >> 2){ ns >>= 2; b += 2; }
  if(ns >> 1)
    b += 1;
  return b;
}

// Count one datagram's gap from stamp a to stamp b of s in h. h->count
// is not kept here: copy_out sums the buckets.
static inline __attribute__((always_inline)) void
add(struct netstage_hist *h, struct netstamp *s, int a, int b)
{
  int dt = (int)(s->t[b] - s->t[a]);   // one clock for every hart: never negative
  uint64 ns;

  if(dt < 0){
    __atomic_fetch_add(&h->neg, 1, __ATOMIC_RELAXED);
    dt = 0;
  }
  ns = (uint64)dt * NS_PER_TICK;
  __atomic_fetch_add(&h->sum_ns, ns, __ATOMIC_RELAXED);
  __atomic_fetch_add(&h->sum_inst, (uint32)(s->i[b] - s->i[a]), __ATOMIC_RELAXED);
  __atomic_fetch_add(&h->bucket[bucket(ns)], 1, __ATOMIC_RELAXED);
}

// Count the datagram stamped in s (all its stamps taken): each stage
// from first on, then the total. Not inlined, so that netstage_stamp's
// other paths save no registers.
static void __attribute__((noinline))
record(struct netstamp *s, int first)
{
  struct netstage_hist *h = &hist[s->mode][first];
  int k, n = s->n;

  for(k = 1; k < n; k++)
    add(&h[k - 1], s, k - 1, k);
  add(&h[n - 1], s, 0, n - 1);
}

// m finished stage, and it is m's last, or not m's turn (a stamp was
// missed: then m's stamping stops): netstage_mark (kernel/netdefs.h)
// stamps the stages in turn before the last itself.
void
netstage_stamp(struct mbuf *m, int stage)
{
  struct netstamp *s = &m->st;
  int rx = stage <= NS_RX_LAST;
  int k = stage - (rx ? NS_RX_FIRST : NS_TX_FIRST) + 1;   // this stamp's index

  if(s->dir != (rx ? DIR_RX : DIR_TX))
    return;
  if(s->n != k || s->mode > COST_MODE){
    s->dir = DIR_NONE;
    return;
  }
  s->t[k] = r_time();
  s->i[k] = r_instret();
  s->n = k + 1;
  if(stage == (rx ? NS_RX_LAST : NS_TX_LAST)){
    record(s, rx ? NS_RX_FIRST : NS_TX_FIRST);
    s->dir = DIR_NONE;
  }
}

// Measure what stamping and counting one received and one sent datagram
// costs, in instret per datagram, into cost_rx and cost_tx: dummy
// datagrams through the same calls, counted in the COST_MODE row. 0, or
// -1 if no mbuf is free.
static int
cost_measure(void)
{
  struct proc *p = myproc();
  struct mbuf *m;
  uint64 i0;

  if((m = mbufalloc(0)) == 0)
    return -1;
  i0 = r_instret();
  for(int k = 0; k < COST_ROUNDS; k++){
    begin(m, DIR_RX, COST_MODE, r_time(), r_instret());
    netstage_mark(m, NS_RX_DRIVER);   // constants, as at the real calls
    netstage_mark(m, NS_RX_STACK);
    netstage_mark(m, NS_RX_WAKE);
    netstage_mark(m, NS_RX_COPY);
  }
  cost_rx = (r_instret() - i0) / COST_ROUNDS;
  i0 = r_instret();
  for(int k = 0; k < COST_ROUNDS; k++){
    p->sys_time = r_time();
    p->sys_inst = r_instret();
    begin(m, DIR_TX, COST_MODE, p->sys_time, p->sys_inst);
    netstage_mark(m, NS_TX_BUILD);
    netstage_mark(m, NS_TX_DRIVER);
    netstage_mark(m, NS_TX_SEND);
  }
  cost_tx = (r_instret() - i0) / COST_ROUNDS;
  mbuffree(m);
  return 0;
}

// Store v at offset off of the user's struct netstages at uaddr. 0 or -1.
static int
put(uint64 uaddr, uint64 off, uint64 v)
{
  return copyout(myproc()->pagetable, uaddr + off, (char *)&v, sizeof(v));
}

// Copy the histograms of every mode (not the COST_MODE row) out to the
// user's struct netstages at uaddr, one at a time through a snapshot
// (copyout copies bytewise; the counters keep changing); count is the sum
// of the buckets. 0 or -1.
static int
copy_out(uint64 uaddr)
{
  struct netstage_hist snap;
  uint64 *from, *to, h = __builtin_offsetof(struct netstages, h);

  if(put(uaddr, __builtin_offsetof(struct netstages, tick_ns), NS_PER_TICK) < 0 ||
     put(uaddr, __builtin_offsetof(struct netstages, on),
         __atomic_load_n(&on, __ATOMIC_RELAXED)) < 0 ||
     put(uaddr, __builtin_offsetof(struct netstages, cost_rx_inst), cost_rx) < 0 ||
     put(uaddr, __builtin_offsetof(struct netstages, cost_tx_inst), cost_tx) < 0)
    return -1;
  for(int m = 0; m < NETMODE_COUNT; m++){
    for(int s = 0; s < NETSTAGE_N; s++){
      from = (uint64 *)&hist[m][s];
      to = (uint64 *)&snap;
      for(int k = 0; k < sizeof(snap) / sizeof(uint64); k++)
        to[k] = __atomic_load_n(&from[k], __ATOMIC_RELAXED);
      snap.count = 0;
      for(int b = 0; b < NETSTAGE_BUCKETS; b++)
        snap.count += snap.bucket[b];
      if(copyout(myproc()->pagetable, uaddr + h, (char *)&snap, sizeof(snap)) < 0)
        return -1;
      h += sizeof(snap);
    }
  }
  return 0;
}

// Zero every histogram. Datagrams counted meanwhile may be half counted.
static void
reset(void)
{
  uint64 *w = (uint64 *)hist;

  for(int k = 0; k < NETMODE_COUNT * NETSTAGE_N * sizeof(hist[0][0]) / sizeof(uint64); k++)
    __atomic_store_n(&w[k], 0, __ATOMIC_RELAXED);
}

// netstages(ns, flags): with NETSTAGE_ON or NETSTAGE_OFF switch stamping
// first; with NETSTAGE_COST measure the recording's cost; copy the
// histograms to the user address uaddr (unless 0); with NETSTAGE_RESET
// zero them after. 0, or -1 for unknown flags, both ON and OFF, a failed
// copy or (NETSTAGE_COST) no free mbuf.
int
netstage_get(uint64 uaddr, int flags)
{
  if(flags & ~(NETSTAGE_RESET | NETSTAGE_COST | NETSTAGE_ON | NETSTAGE_OFF))
    return -1;
  if((flags & NETSTAGE_ON) && (flags & NETSTAGE_OFF))
    return -1;
  if(flags & (NETSTAGE_ON | NETSTAGE_OFF))
    __atomic_store_n(&on, (flags & NETSTAGE_ON) != 0, __ATOMIC_RELAXED);
  if((flags & NETSTAGE_COST) && cost_measure() < 0)
    return -1;
  if(uaddr && copy_out(uaddr) < 0)
    return -1;
  if(flags & NETSTAGE_RESET)
    reset();
  return 0;
}
