// Traps: system calls, exceptions and interrupts, from user mode
// (trampoline.S -> usertrap) and from supervisor mode (kernelvec.S ->
// kerneltrap). RISC-V Privileged Spec 4.1.9 (scause codes).

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/defs.h"
#include "kernel/netdefs.h"
#include "kernel/cpustat.h"

struct spinlock tickslock;
uint ticks;   // clock ticks since boot (TICK_MS each); guarded by tickslock

extern char trampoline[], uservec[], userret[];
void kernelvec(void);

#define SCAUSE_INTR      (1L << 63)
#define SCAUSE_SSOFT     (SCAUSE_INTR | 1)
#define SCAUSE_STIMER    (SCAUSE_INTR | 5)
#define SCAUSE_SEXTERNAL (SCAUSE_INTR | 9)
#define SCAUSE_ECALL_U   8

// Nanoseconds since boot: the time CSR runs at 10 MHz on QEMU virt.
uint64
time_ns(void)
{
  return r_time() * 100;
}

// Load, store and instruction page faults.
static int
is_pagefault(uint64 scause)
{
  return scause == 12 || scause == 13 || scause == 15;
}

// What devintr() found.
enum { INTR_NONE, INTR_DEVICE, INTR_TIMER };

void
trapinit(void)
{
  initlock(&tickslock, "time");
  cpustat_probe();
}

// Traps taken while in the kernel go to kernelvec.
void
trapinithart(void)
{
  w_stvec((uint64)kernelvec);
}

static int devintr(void);
static void cpustat_trap(int user, uint64 scause);

// A trap from user space: a system call, a device or timer interrupt, or
// a fault that kills the process.
void
usertrap(void)
{
  if((r_sstatus() & SSTATUS_SPP) != 0)
    panic("usertrap: not from user mode");

  // We are in the kernel now: traps go to kernelvec.
  w_stvec((uint64)kernelvec);
  cpustat_trap(1, r_scause());

  struct proc *p = myproc();
  p->trapframe->epc = r_sepc();

  int what = INTR_NONE;
  if(r_scause() == SCAUSE_ECALL_U){
    if(killed(p))
      exit(-1);
    p->trapframe->epc += 4;   // return past the ecall
    intr_on();                // the saved registers are safe now
    syscall();
  } else if(is_pagefault(r_scause()) && vmfault(p->pagetable, r_stval()) != 0){
    // a lazily grown page (sbrklazy), now mapped: run the instruction again
  } else if((what = devintr()) == INTR_NONE){
    printf("usertrap: pid %d (%s): scause 0x%lx sepc 0x%lx stval 0x%lx: killed\n",
           p->pid, p->name, r_scause(), r_sepc(), r_stval());
    setkilled(p);
  }

  if(killed(p))
    exit(-1);
  if(what == INTR_TIMER)
    yield();
  usertrapret();
}

// Return to user space through the trampoline's userret.
void
usertrapret(void)
{
  struct proc *p = myproc();

  // From here until sret, a trap would go to uservec with the kernel's
  // state half switched: keep interrupts off.
  intr_off();
  w_stvec(TRAMPOLINE + (uservec - trampoline));

  // What uservec needs on the next trap.
  p->trapframe->kernel_satp = r_satp();
  p->trapframe->kernel_sp = p->kstack + PGSIZE;
  p->trapframe->kernel_trap = (uint64)usertrap;
  p->trapframe->kernel_hartid = r_tp();

  // sret goes to user mode with interrupts enabled, at the saved pc.
  uint64 x = r_sstatus();
  x &= ~SSTATUS_SPP;
  x |= SSTATUS_SPIE;
  w_sstatus(x);
  w_sepc(p->trapframe->epc);

  uint64 satp = MAKE_SATP(p->pagetable);
  if(KMAP_SHARED && r_satp() != satp)
    panic("usertrapret: not on the process's page table");
  uint64 fn = TRAMPOLINE + (userret - trampoline);
  ((void (*)(uint64))fn)(satp);
}

// A trap while in the kernel: only interrupts are expected.
void
kerneltrap(void)
{
  uint64 sepc = r_sepc();
  uint64 sstatus = r_sstatus();
  uint64 scause = r_scause();

  if((sstatus & SSTATUS_SPP) == 0)
    panic("kerneltrap: not from supervisor mode");
  if(intr_get() != 0)
    panic("kerneltrap: interrupts enabled");
  cpustat_trap(0, scause);

  int what = devintr();
  if(what == INTR_NONE){
    printf("scause=0x%lx sepc=0x%lx stval=0x%lx\n", scause, sepc, r_stval());
    panic("kerneltrap");
  }

  // Preempt on a timer tick if a process (or kernel thread) is running.
  if(what == INTR_TIMER && myproc() != 0)
    yield();

  // yield() may have run other traps: put back what sret needs.
  w_sepc(sepc);
  w_sstatus(sstatus);
}

// The next tick, as a time-CSR value; guarded by tickslock.
static uint64 tick_next;

// A timer interrupt on this hart: every hart keeps the time. ticks counts
// TICK_INTERVALs of the time CSR since the first tick, not interrupts:
// the first hart whose timer fires after a tick fell due adds every tick
// that passed (a hart busy with interrupts off, flooded with device
// interrupts, or a vCPU the host did not run for a while), so the clock
// never falls behind while any hart runs. The others find it done.
static void
clockintr(void)
{
  uint64 now = r_time();
  int advanced = 0;

  acquire(&tickslock);
  if(tick_next == 0)
    tick_next = now;
  while(now >= tick_next){
    ticks++;
    tick_next += TICK_INTERVAL;
    advanced = 1;
  }
  if(advanced)
    wakeup(&ticks);
  w_stimecmp(tick_next);
  release(&tickslock);
  if(advanced)
    net_tick();   // ARP retries give up, socket receive timeouts expire
}

// Dispatch a device interrupt, a PLIC claim or the timer. Returns what it
// was, or INTR_NONE if this trap is not an interrupt we know.
static int
devintr(void)
{
  uint64 scause = r_scause();

  if(scause == SCAUSE_STIMER){
    uint64 t0 = cpustat_now();
    clockintr();
    cpustat_tick(t0);
    return INTR_TIMER;
  }
  if(scause == SCAUSE_SSOFT){
    // An IPI: to end a wfi (proc.c, ipi_wake_idle; the scheduler looks
    // for the runnable process itself), or to drop a dead process's page
    // table (vm.c, KMAP=shared).
    w_sip(r_sip() & ~SIP_SSIP);
    kvmdropdead();
    return INTR_DEVICE;
  }
  if(scause != SCAUSE_SEXTERNAL)
    return INTR_NONE;

  int irq = plic_claim();
  if(irq == UART0_IRQ)
    uartintr();
  else if(irq == VIRTIO0_IRQ)
    virtio_disk_intr();
  else if(irq == E1000_IRQ)
    e1000_intr();
  else if(irq)
    printf("devintr: unexpected irq %d\n", irq);
  // Tell the PLIC this source may interrupt again.
  if(irq)
    plic_complete(irq);
  // A pending external interrupt is taken before a pending timer one
  // (Privileged Spec 3.1.9), so while a device keeps its line high (a
  // network flood) the timer trap would never come: run the clock here
  // when its deadline has passed.
  if(r_time() >= r_stimecmp()){
    uint64 t0 = cpustat_now();
    clockintr();
    cpustat_tick(t0);
    return INTR_TIMER;
  }
  return INTR_DEVICE;
}

// ---- CPU work counters (kernel/cpustat.h) ------------------------------

// One hart's counters: written only by that hart, with interrupts off;
// cpustat_get reads them unlocked (whole 64-bit words).
static struct hartstat {
  uint64 utrap[CPUSTAT_NKIND], ktrap[CPUSTAT_NKIND];
  uint64 idle, spin, tick, switches;
  uint64 work;         // non-timer traps and switches: what a wakeup did
  uint64 woke_at;      // counter when the last wfi ended, 0 before the first
  uint64 woke_work, woke_tick;   // work and tick then
  uint64 epoch;        // bumped by each non-timer trap, wfi and switch: ends a spin chain
  uint64 spin_from;    // counter when the last empty poll began, 0 if none
  uint64 spin_epoch;   // epoch then
  uint64 spin_tick;    // tick then
  struct proc *last;   // the process this hart last switched to
} hartstat[NCPU];

// Harts in wfi, and since when all of them; guarded by idlelock.
static struct spinlock idlelock;
static int nidle;
static uint64 allidle_from, allidle;
static int icount_on;   // set once, by the boot probe

// The counter CSR now (instret: instructions under -icount, else host ticks).
uint64
cpustat_now(void)
{
  return r_instret();
}

// Counter ticks across a loop of n iterations of two instructions.
static uint64
loop_ticks(uint64 n)
{
  uint64 t0, t1;

  asm volatile("csrr %0, instret\n"
               "1: addi %2, %2, -1\n"
               "bnez %2, 1b\n"
               "csrr %1, instret"
               : "=&r" (t0), "=&r" (t1), "+r" (n));
  return t1 - t0;
}

// Boot probe, hart 0, interrupts off: does instret count instructions?
// Under icount a loop of n iterations costs exactly 2n plus a constant,
// every time; the host's TSC is never that exact.
void
cpustat_probe(void)
{
  uint64 a = loop_ticks(1000), b = loop_ticks(1000), c = loop_ticks(2000);

  initlock(&idlelock, "idlestat");
  icount_on = a == b && c - a == 2000;
  printf("cpustat: instret counts %s\n",
         icount_on ? "instructions (QEMU -icount)" : "host ticks, not instructions");
}

// Count a trap taken from user (user=1) or supervisor mode. Interrupts off.
static void
cpustat_trap(int user, uint64 scause)
{
  struct hartstat *h = &hartstat[cpuid()];
  int k = CPUSTAT_FAULT;

  if(scause == SCAUSE_ECALL_U)
    k = CPUSTAT_SYSCALL;
  else if(scause == SCAUSE_SEXTERNAL)
    k = CPUSTAT_DEVICE;
  else if(scause == SCAUSE_STIMER)
    k = CPUSTAT_TIMER;
  else if(scause == SCAUSE_SSOFT)
    k = CPUSTAT_SOFT;
  if(user)
    h->utrap[k]++;
  else
    h->ktrap[k]++;
  // A tick does not end a spin chain: the clock's work is taken out of
  // the chain's time (cpustat_poll), and if the tick makes the spinner
  // yield to another process, that switch ends the chain.
  if(k != CPUSTAT_TIMER){
    h->work++;
    h->epoch++;
  }
}

// The scheduler, interrupts off, is about to wfi: returns the counter.
// If the last wfi ended for nothing but clock ticks (no other trap, no
// process run since), the time since then -- the tick's trap and the
// scheduler's fruitless look for work, the clock's own work aside -- is
// idle too, and allidle if every other hart was idle meanwhile: an idle
// hart's ticks come with the host's time, not with the work measured.
uint64
cpustat_idle_begin(void)
{
  struct hartstat *h = &hartstat[cpuid()];
  uint64 t0 = r_instret(), wasted = 0;

  if(h->woke_at && h->work == h->woke_work)
    wasted = t0 - h->woke_at - (h->tick - h->woke_tick);
  h->idle += wasted;
  acquire(&idlelock);
  int n = __atomic_load_n(&nharts, __ATOMIC_RELAXED);
  if(nidle == n - 1)
    allidle += wasted;
  if(++nidle == n)
    allidle_from = r_instret();
  release(&idlelock);
  return t0;
}

// The wfi that began at counter t0 ended: add it to this hart's idle
// time, and to allidle if every hart was idle until now.
void
cpustat_idle_end(uint64 t0)
{
  struct hartstat *h = &hartstat[cpuid()];
  uint64 now = r_instret();

  acquire(&idlelock);
  if(nidle-- == __atomic_load_n(&nharts, __ATOMIC_RELAXED) && allidle_from){
    allidle += now - allidle_from;
    allidle_from = 0;
  }
  release(&idlelock);
  h->idle += now - t0;
  h->woke_at = now;
  h->woke_work = h->work;
  h->woke_tick = h->tick;
  h->epoch++;
}

// The scheduler, interrupts off, is about to run p. A switch back to the
// same process (a kernel thread's yield with nothing else runnable) does
// not end a spin chain.
void
cpustat_switch(struct proc *p)
{
  struct hartstat *h = &hartstat[cpuid()];

  h->work++;
  if(p != h->last){
    h->last = p;
    h->switches++;
    h->epoch++;
  }
}

// A net poll (netpoll) that began at counter t0 found frames (empty=0) or
// nothing. Polls that find nothing, back to back on a hart with no trap
// but the clock's, no wfi and no switch to another process between them,
// form a chain: the
// time from each empty poll's start to the next poll's start (the poll,
// and the loop, yield or busy-poll check that led back) is spin, work
// no datagram asked for. The chain's last empty poll counts as work.
void
cpustat_poll(uint64 t0, int empty)
{
  struct hartstat *h;

  push_off();
  h = &hartstat[cpuid()];
  if(h->spin_from && h->spin_epoch == h->epoch)
    h->spin += t0 - h->spin_from - (h->tick - h->spin_tick);
  h->spin_from = empty ? t0 : 0;
  h->spin_epoch = h->epoch;
  h->spin_tick = h->tick;
  pop_off();
}

// The clock's work that began at counter t0 is done (interrupts off).
// Periodic, not per datagram: udpbench leaves it out of its per-op counts.
void
cpustat_tick(uint64 t0)
{
  hartstat[cpuid()].tick += r_instret() - t0;
}

// Sum every hart's counters into *cs.
void
cpustat_get(struct cpustat *cs)
{
  memset(cs, 0, sizeof(*cs));
  for(int i = 0; i < NCPU; i++){
    struct hartstat *h = &hartstat[i];
    for(int k = 0; k < CPUSTAT_NKIND; k++){
      cs->utrap[k] += h->utrap[k];
      cs->ktrap[k] += h->ktrap[k];
    }
    cs->idle += h->idle;
    cs->spin += h->spin;
    cs->tick += h->tick;
    cs->switches += h->switches;
  }
  acquire(&idlelock);
  cs->allidle = allidle;
  release(&idlelock);
  cs->icount = icount_on;
  cs->nharts = __atomic_load_n(&nharts, __ATOMIC_RELAXED);
  cs->counter = r_instret();
}
