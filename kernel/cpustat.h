// CPU work counters (issue 18, "Numbers that repeat"): traps taken, by kind
// and by the mode they came from, and where the counter CSR's ticks went.
// The kernel keeps them per hart (kernel/trap.c); cpustat() sums them for
// user space. NOTES.md "Counting instructions" says how to read them.
//
// The counter is the instret CSR. Under QEMU's -icount shift=0 (make
// ICOUNT=on) it reads QEMU's icount: every instruction any hart executes
// plus a bias that grows while every hart waits in wfi, one clock for the
// whole machine. Without -icount it reads the host's TSC: ticks, not
// instructions. The kernel tells the two apart at boot (icount below).

#ifndef CPUSTAT_H
#define CPUSTAT_H

// Trap kinds, by scause.
#define CPUSTAT_SYSCALL 0   // ecall from user mode
#define CPUSTAT_DEVICE  1   // external interrupt (PLIC: e1000, uart, disk)
#define CPUSTAT_TIMER   2   // supervisor timer interrupt
#define CPUSTAT_SOFT    3   // supervisor software interrupt: an IPI
#define CPUSTAT_FAULT   4   // page faults and every other exception
#define CPUSTAT_NKIND   5

// Their names, in that order, for printing (user/cpustat.c, udpbench).
#define CPUSTAT_KIND_NAMES { "syscall", "device", "timer", "ipi", "fault" }

struct cpustat {
  uint64 counter;     // instret on the calling hart now
  uint64 icount;      // 1: the counter counts instructions (boot probe), 0: host ticks
  uint64 nharts;      // harts running the scheduler
  uint64 idle;        // counter ticks harts spent in the scheduler's wfi (and woken by ticks only), summed
  uint64 allidle;     // the same while EVERY hart was idle (under icount: the bias, and ticks)
  uint64 spin;        // counter ticks of net polls that found nothing, chained (trap.c)
  uint64 tick;        // counter ticks in the clock interrupt's work (clockintr)
  uint64 switches;    // scheduler switches to a process other than the hart's last one
  uint64 utrap[CPUSTAT_NKIND];   // traps from user mode, by kind
  uint64 ktrap[CPUSTAT_NKIND];   // traps from supervisor mode, by kind
};

// Kernel side, kernel/trap.c.
struct proc;
uint64  cpustat_now(void);
void    cpustat_probe(void);
uint64  cpustat_idle_begin(void);
void    cpustat_idle_end(uint64 t0);
void    cpustat_switch(struct proc *p);
void    cpustat_poll(uint64 t0, int empty);
void    cpustat_tick(uint64 t0);
void    cpustat_get(struct cpustat *cs);

#endif
