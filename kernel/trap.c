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
}

// Traps taken while in the kernel go to kernelvec.
void
trapinithart(void)
{
  w_stvec((uint64)kernelvec);
}

static int devintr(void);

// A trap from user space: a system call, a device or timer interrupt, or
// a fault that kills the process.
void
usertrap(void)
{
  if((r_sstatus() & SSTATUS_SPP) != 0)
    panic("usertrap: not from user mode");

  // We are in the kernel now: traps go to kernelvec.
  w_stvec((uint64)kernelvec);

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

// Hart 0's next tick, as a time-CSR value; guarded by tickslock.
static uint64 tick_next;

// A timer interrupt on this hart: schedule the next one; hart 0 also keeps
// the time. ticks counts TICK_INTERVALs of the time CSR since the first
// tick, not interrupts: an interrupt that comes late (a hart busy with
// interrupts off, or flooded with device interrupts) adds every tick that
// passed meanwhile, so the clock never falls behind.
static void
clockintr(void)
{
  uint64 now = r_time();

  if(cpuid() != 0){
    w_stimecmp(now + TICK_INTERVAL);
    return;
  }
  acquire(&tickslock);
  if(tick_next == 0)
    tick_next = now;
  while(now >= tick_next){
    ticks++;
    tick_next += TICK_INTERVAL;
  }
  wakeup(&ticks);
  w_stimecmp(tick_next);
  release(&tickslock);
  net_tick();   // ARP retries give up, socket receive timeouts expire
}

// Dispatch a device interrupt, a PLIC claim or the timer. Returns what it
// was, or INTR_NONE if this trap is not an interrupt we know.
static int
devintr(void)
{
  uint64 scause = r_scause();

  if(scause == SCAUSE_STIMER){
    clockintr();
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
    clockintr();
    return INTR_TIMER;
  }
  return INTR_DEVICE;
}
