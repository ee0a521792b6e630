// The net thread: a kernel process named "netpoll" that receives frames in
// the poll and hybrid NETMODEs, by calling e1000_rx_drain (the same receive
// path the interrupt handler uses in intr mode); and the switch between
// modes at run time (netmode_set). The thread runs in every mode: in intr
// mode it sleeps until a switch wakes it.
//
// POLL mode: the device never interrupts. The thread watches the DD bit of
// the next RX descriptor (plain RAM, cheap under TCG) and drains up to BUDGET
// frames per round. Its CPU use is bounded by an idle policy:
//
//      +----------------- any round that finds frames -----------------+
//      |                        ^                 ^                    ^
//      v                        |                 |                    |
//   +------+   empty round   +------+  SPIN_NS  +-------+  YIELD_NS  +-------+
//   | BUSY |---------------->| SPIN |---------->| YIELD |----------->| SLEEP |
//   +------+                 +------+   idle    +-------+  more idle +-------+
//   after a round with       poll again         give the hart away,  sleep until the
//   frames: yield() to a     at once            then poll again      next tick, then poll
//   reader it woke
//
// A round runs between proc_handoff_begin and _end: the first reader it
// wakes is left to this hart instead of an idle one, and the thread yields
// to it before the next round; readers woken beyond the first go to idle
// harts (IPIs). On one hart the thread yields after every round that found
// frames (at most BUDGET of them), so user processes are never starved
// (Mogul & Ramakrishnan's quota); the timer tick preempts it like any
// process. In the YIELD state, one hart yield()s between polls (polling
// again at once if nothing else runs); several harts nap instead: the hart
// waits in wfi for up to NAP_NS unless a process wants it, so a polling
// vCPU does not keep a host core from QEMU's I/O thread and the vCPUs that
// run the readers (NOTES.md "The net thread's idle policy"). When idle
// for YIELD_NS it sleeps, and a frame then waits up to one clock tick
// (FreeBSD polling(4)'s trade-off). YIELD_NS is long (200 ms) because a
// ping-pong partner that answers in a few ms would otherwise pay that tick
// on every round trip, while an idle network still costs nothing after a
// fraction of a second (the measurements: NOTES.md, "The net thread's idle
// policy" and "Benchmark results").
//
// HYBRID mode (Linux NAPI's shape): the thread sleeps until e1000_intr masks
// the device's interrupts and calls netthread_kick. It then drains in budget
// rounds, yielding after each (to the reader it woke, if any), until the
// ring is empty; unmasks;
// and checks the ring once more, in case a frame arrived before the unmask
// took effect (no frame is left stranded with interrupts on and nobody polling).

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/defs.h"
#include "kernel/netdefs.h"
#include "kernel/cpustat.h"

// Policy knobs.
#define BUDGET    64          // frames per round at most
#define SPIN_NS   50000ULL    // poll mode: keep polling this long after the ring went empty
#define YIELD_NS  200000000ULL // then yield between polls this much longer (200 ms), then sleep
#define NAP_NS    50000ULL    // several harts: a yield is a nap in wfi of at most this long

enum idlestate { BUSY, SPIN, YIELD, SLEEP };

// The thread's wakeup: kicked is set by netthread_kick (hybrid interrupt,
// mode switch) and cleared by the thread, both under lock, so no wakeup is
// lost. switching serializes netmode_set calls.
static struct {
  struct spinlock lock;
  int kicked;      // guarded by lock
  struct spinlock switching;
} nt;

// Histogram bucket for n frames: 0, 1, 2-3, 4-7, ..., 32-63, 64+.
static int
hist_bucket(int n)
{
  int b = 0;

  while(n > 0 && b < NETSTAT_HIST - 1){
    n >>= 1;
    b++;
  }
  return b;
}

// Drain up to budget frames if the RX ring has any, and reclaim finished
// TX descriptors. Returns the number of RX descriptors consumed. The net
// thread's round, and what a socket reader calls to take its own frames
// off the ring (sock.c) instead of waiting for the thread. No locks held.
// Polls that find nothing back to back are counted as spin (cpustat_poll).
int
netpoll(int budget)
{
  uint64 t0 = cpustat_now();
  int n = 0;

  if(e1000_rx_pending())
    n = e1000_rx_drain(budget);
  e1000_tx_reclaim();
  cpustat_poll(t0, n == 0);
  return n;
}

// One round of the net thread, counted.
static int
poll_round(void)
{
  int n = netpoll(BUDGET);

  NETSTAT_INC(poll_rounds);
  if(n == 0)
    NETSTAT_INC(poll_empty);
  NETSTAT_INC(poll_hist[hist_bucket(n)]);
  __atomic_store_n(&netstats.last_poll_ns, time_ns(), __ATOMIC_RELAXED);
  return n;
}

// One round of the net thread, in which the first reader it wakes is left
// to this hart (proc_handoff_begin). Returns the frames taken, and sets
// *handed if a reader was left here: the caller must yield() to it.
static int
handoff_round(int *handed)
{
  int n;

  proc_handoff_begin();
  n = poll_round();
  *handed = proc_handoff_end();
  return n;
}

// Sleep until the clock ticks once (trap.c wakes &ticks on every tick).
static void
sleep_one_tick(void)
{
  uint t0;

  acquire(&tickslock);
  t0 = ticks;
  while(ticks == t0)
    sleep(&ticks, &tickslock);
  release(&tickslock);
}

// Between two polls in the YIELD state, let the hart do something else.
// On one hart, yield(): if nothing else runs, the thread polls again at
// once. On several, nap in wfi for up to NAP_NS unless a process wants the
// hart: a spinning vCPU would take a host core from QEMU's I/O thread and
// the vCPUs that run the readers (NOTES.md "The net thread's idle policy").
static void
give_hart(void)
{
  if(__atomic_load_n(&nharts, __ATOMIC_RELAXED) == 1)
    yield();
  else if(hart_nap(NAP_NS))
    yield();
  else
    NETSTAT_INC(idle_naps);
}

// After an empty round: move along the idle states (see the diagram at the
// top) and wait the way the new state says. Returns the new state.
static enum idlestate
idle_step(enum idlestate st, uint64 *idle_since)
{
  uint64 idle = 0;

  if(st == BUSY){
    *idle_since = time_ns();
    NETSTAT_INC(idle_spin);
    return SPIN;
  }
  if(st != SLEEP)
    idle = time_ns() - *idle_since;
  if(st == SPIN && idle >= SPIN_NS){
    st = YIELD;
    NETSTAT_INC(idle_yield);
  } else if(st == YIELD && idle >= SPIN_NS + YIELD_NS){
    st = SLEEP;
    NETSTAT_INC(idle_sleep);
  }
  if(st == YIELD)
    give_hart();
  else if(st == SLEEP)
    sleep_one_tick();
  return st;
}

// Poll mode, until the mode changes.
static void
poll_loop(void)
{
  enum idlestate st = BUSY;
  uint64 idle_since = 0;
  int n, handed;

  while(e1000_mode() == NETMODE_POLL){
    n = handoff_round(&handed);
    if(n == 0 && !handed){
      st = idle_step(st, &idle_since);
      continue;
    }
    if(n > 0)
      st = BUSY;
    if(n == BUDGET)
      NETSTAT_INC(budget_yields);
    // Let the first reader this round woke run here, before the next
    // round (proc_handoff_begin); on one hart, every one of them: they
    // would otherwise wait for the timer tick. Readers woken beyond the
    // first run on idle harts (IPIs) while the thread keeps its own.
    if(handed || __atomic_load_n(&nharts, __ATOMIC_RELAXED) == 1)
      yield();
  }
}

// Wait for netthread_kick: a hybrid-mode interrupt or a mode switch.
static void
wait_for_kick(void)
{
  acquire(&nt.lock);
  while(!nt.kicked)
    sleep(&nt.kicked, &nt.lock);
  nt.kicked = 0;
  release(&nt.lock);
}

// Hybrid mode, after a kick: drain in rounds until the ring is empty,
// then let the device interrupt again.
static void
hybrid_poll(void)
{
  int n, handed;

  for(;;){
    while((n = handoff_round(&handed)) > 0){
      if(n == BUDGET)
        NETSTAT_INC(budget_yields);
      yield();
    }
    e1000_intr_unmask();
    if(!e1000_rx_pending())
      return;
    // A frame came in between the last round and the unmask: it may
    // never interrupt, so mask again and keep polling.
    e1000_intr_mask();
  }
}

// Wake the net thread. Called by e1000_intr with interrupts off (hybrid
// mode, after it masked the device's interrupts) and by netmode_set;
// takes nt.lock.
void
netthread_kick(void)
{
  acquire(&nt.lock);
  nt.kicked = 1;
  wakeup(&nt.kicked);
  release(&nt.lock);
}

// Body of the "netpoll" process: serve whatever mode the driver is in.
// Runs with interrupts on; never returns.
static void
netthread_main(void *arg)
{
  for(;;){
    if(e1000_mode() == NETMODE_POLL){
      poll_loop();
    } else {
      wait_for_kick();   // intr: a switch; hybrid: an interrupt (or a switch)
      if(e1000_mode() == NETMODE_HYBRID)
        hybrid_poll();
    }
  }
}

// Start the net thread. Called once at boot by main, before any hart
// enables interrupts.
void
netthread_start(void)
{
  initlock(&nt.lock, "netthread");
  initlock(&nt.switching, "netmode");
  if(kthread_start("netpoll", netthread_main, 0) < 0)
    panic("netthread_start: kthread_start");
}

// Switch the driver to mode at run time; returns the mode it was in.
// The device's interrupt mask changes first, then the thread is woken to
// serve the new mode, then the ring is drained once here, so that no frame
// waits on the ring for a path that no longer runs. Every frame goes
// through e1000_rx_drain as before, so none is lost or counted twice.
// Caller holds no locks; process context.
int
netmode_set(int mode)
{
  int old;

  acquire(&nt.switching);
  old = e1000_mode();
  if(mode != old){
    e1000_setmode(mode);
    NETSTAT_INC(mode_switches);
  }
  release(&nt.switching);
  netthread_kick();
  while(netpoll(BUDGET) == BUDGET)
    ;
  return old;
}
