// Where a datagram's time goes: stamps (time CSR and instret) at each
// stage of its path, carried in its mbuf (m->st), and per-mode histograms
// of the stages (kernel/netstage.h names them; NOTES.md "Where the time
// goes" explains them). The driver, the stack and the socket layer call
// netstage_mark() at each stage; the last stage of a direction adds every
// stage's gap to the histograms of the mode the datagram started in.
//
// Cheap enough to stay on: a stamp is two CSR reads and a few stores in
// the mbuf; counting a datagram is a handful of atomic adds per stage.
// netstages(0, NETSTAGE_COST) measures the cost in instret (instructions
// under QEMU's -icount).
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

// The histograms. Updated and read with atomic operations only: no lock.
static struct netstages stages;
// Where NETSTAGE_COST's dummy datagrams are counted.
static struct netstages scratch;

static inline uint64
inst_now(void)
{
  return CSR_READ(instret);   // start.c lets S-mode read it (mcounteren.IR)
}

// syscall() calls this as a system call enters: the first stamp of any
// datagram the call sends (netstage_tx_begin). p is the caller.
void
netstage_syscall(struct proc *p)
{
  p->sys_time = r_time();
  p->sys_inst = inst_now();
}

static void
begin(struct mbuf *m, int dir, int mode, uint64 t, uint64 i)
{
  m->st.t = t;
  m->st.i = i;
  m->st.dir = dir;
  m->st.mode = mode;
  m->st.next = 0;
  m->st.neg = 0;
}

// The driver saw DD on the descriptor that holds m; the driver is in mode.
void
netstage_rx_begin(struct mbuf *m, int mode)
{
  begin(m, DIR_RX, mode, r_time(), inst_now());
}

// m carries the datagram the current process's system call sends: its
// first stamp is the call's entry.
void
netstage_tx_begin(struct mbuf *m)
{
  struct proc *p = myproc();

  if(p == 0 || p->sys_time == 0)
    return;
  begin(m, DIR_TX, e1000_mode(), p->sys_time, p->sys_inst);
}

// The log2 bucket of ns.
static int
bucket(uint64 ns)
{
  int b = 0;

  for(int s = 32; s > 0; s >>= 1){
    if(ns >> s){
      ns >>= s;
      b += s;
    }
  }
  return b < NETSTAGE_BUCKETS ? b : NETSTAGE_BUCKETS - 1;
}

static void
add(struct netstage_hist *h, uint64 ns, uint64 inst, int neg)
{
  __atomic_fetch_add(&h->count, 1, __ATOMIC_RELAXED);
  __atomic_fetch_add(&h->sum_ns, ns, __ATOMIC_RELAXED);
  __atomic_fetch_add(&h->sum_inst, inst, __ATOMIC_RELAXED);
  if(neg)
    __atomic_fetch_add(&h->neg, 1, __ATOMIC_RELAXED);
  __atomic_fetch_add(&h->bucket[bucket(ns)], 1, __ATOMIC_RELAXED);
}

// Count the datagram stamped in s, whose last stage (dt ticks, di instret)
// just ended, into tab: each stage from first on, then the total.
static void
record(struct netstages *tab, struct netstamp *s, int first, uint32 dt, uint32 di)
{
  struct netstage_hist *h = tab->h[s->mode];
  uint64 tt = 0, ti = 0, t, i;
  int k, n = s->next;

  for(k = 0; k <= n; k++){
    t = k < n ? s->dt[k] : dt;
    i = k < n ? s->di[k] : di;
    add(&h[first + k], t * NS_PER_TICK, i, (s->neg >> k) & 1);
    tt += t;
    ti += i;
  }
  add(&h[first + n + 1], tt * NS_PER_TICK, ti, s->neg != 0);
}

// now - then, saturated to 32 bits; 0 (and bit k of s->neg) if negative.
static uint32
gap(uint64 now, uint64 then, struct netstamp *s, int k)
{
  if(now < then){
    s->neg |= 1 << k;
    return 0;
  }
  return now - then > 0xffffffffUL ? 0xffffffff : now - then;
}

// m finished stage: stamp it; the last stage of its direction counts m
// in tab. A stage out of turn (a stamp missed) stops m's stamping.
static void
mark(struct netstages *tab, struct mbuf *m, int stage)
{
  struct netstamp *s = &m->st;
  int rx = stage <= NS_RX_LAST;
  int first = rx ? NS_RX_FIRST : NS_TX_FIRST;
  uint64 t = r_time(), i = inst_now();
  uint32 dt, di;

  if(s->dir != (rx ? DIR_RX : DIR_TX))
    return;
  if(stage - first != s->next || s->mode >= NETMODE_COUNT){
    s->dir = DIR_NONE;
    return;
  }
  dt = gap(t, s->t, s, s->next);
  di = gap(i, s->i, s, s->next);
  s->t = t;
  s->i = i;
  if(stage == (rx ? NS_RX_LAST : NS_TX_LAST)){
    record(tab, s, first, dt, di);
    s->dir = DIR_NONE;
  } else {
    s->dt[s->next] = dt;
    s->di[s->next] = di;
    s->next++;
  }
}

// m (stamped by netstage_rx_begin or netstage_tx_begin) finished stage
// (enum netstage, not a *_TOTAL). Does nothing for an unstamped m.
void
netstage_mark(struct mbuf *m, int stage)
{
  mark(&stages, m, stage);
}

// Measure what stamping and counting one received and one sent datagram
// costs, in instret per datagram, into stages.cost_*_inst. 0, or -1 if no
// mbuf is free.
static int
cost_measure(void)
{
  struct proc *p = myproc();
  struct mbuf *m;
  uint64 i0;

  if((m = mbufalloc(0)) == 0)
    return -1;
  i0 = inst_now();
  for(int k = 0; k < COST_ROUNDS; k++){
    begin(m, DIR_RX, NETMODE_INTR, r_time(), inst_now());
    for(int s = NS_RX_FIRST; s <= NS_RX_LAST; s++)
      mark(&scratch, m, s);
  }
  stages.cost_rx_inst = (inst_now() - i0) / COST_ROUNDS;
  i0 = inst_now();
  for(int k = 0; k < COST_ROUNDS; k++){
    netstage_syscall(p);
    begin(m, DIR_TX, e1000_mode(), p->sys_time, p->sys_inst);
    for(int s = NS_TX_FIRST; s <= NS_TX_LAST; s++)
      mark(&scratch, m, s);
  }
  stages.cost_tx_inst = (inst_now() - i0) / COST_ROUNDS;
  mbuffree(m);
  return 0;
}

// Copy stages out to the user address uaddr, one histogram at a time
// through a snapshot (copyout copies bytewise; the counters keep
// changing). 0 or -1.
static int
copy_out(uint64 uaddr)
{
  struct netstage_hist snap;
  uint64 *from, *to;
  struct proc *p = myproc();

  stages.tick_ns = NS_PER_TICK;
  if(copyout(p->pagetable, uaddr, (char *)&stages,
             (char *)stages.h - (char *)&stages) < 0)
    return -1;
  uaddr += (char *)stages.h - (char *)&stages;
  for(int m = 0; m < NETMODE_COUNT; m++){
    for(int s = 0; s < NETSTAGE_N; s++){
      from = (uint64 *)&stages.h[m][s];
      to = (uint64 *)&snap;
      for(int k = 0; k < sizeof(snap) / sizeof(uint64); k++)
        to[k] = __atomic_load_n(&from[k], __ATOMIC_RELAXED);
      if(copyout(p->pagetable, uaddr, (char *)&snap, sizeof(snap)) < 0)
        return -1;
      uaddr += sizeof(snap);
    }
  }
  return 0;
}

// Zero every histogram. Datagrams counted meanwhile may be half counted.
static void
reset(void)
{
  uint64 *w = (uint64 *)stages.h;

  for(int k = 0; k < sizeof(stages.h) / sizeof(uint64); k++)
    __atomic_store_n(&w[k], 0, __ATOMIC_RELAXED);
}

// netstages(ns, flags): with NETSTAGE_COST measure the recording's cost
// first; copy the histograms to the user address uaddr (unless 0); with
// NETSTAGE_RESET zero them after. 0, or -1 for unknown flags, a failed
// copy or (NETSTAGE_COST) no free mbuf.
int
netstage_get(uint64 uaddr, int flags)
{
  if(flags & ~(NETSTAGE_RESET | NETSTAGE_COST))
    return -1;
  if((flags & NETSTAGE_COST) && cost_measure() < 0)
    return -1;
  if(uaddr && copy_out(uaddr) < 0)
    return -1;
  if(flags & NETSTAGE_RESET)
    reset();
  return 0;
}
