// Machine-mode start-up: runs on every hart from entry.S, configures what
// only M-mode may configure, then drops to supervisor mode in main().
// RISC-V Privileged Spec: mstatus.MPP/mret (3.1.6), delegation (3.1.8),
// PMP (3.7), Sstc timer (stimecmp, menvcfg.STCE).

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/defs.h"

void main(void);

// entry.S carves one 4 KiB stack per hart out of this.
__attribute__ ((aligned (16))) char stack0[4096 * NCPU];

// Let supervisor mode program its own timer through stimecmp (Sstc), and
// let S and U mode read the time CSR (so that a benchmark can read the
// clock without a system call: user/udpbench.c).
static void
timer_setup(void)
{
  w_mie(r_mie() | MIE_STIE);
  w_menvcfg(r_menvcfg() | (1L << 63));   // STCE: stimecmp enabled
  w_mcounteren(r_mcounteren() | 2 | 4);  // TM, IR: time and instret readable below M-mode
  w_scounteren(2);                       // TM: and in U-mode
  w_stimecmp(r_time() + TICK_INTERVAL);

  // The machine timer is unused, but its compare register resets to 0, so
  // its interrupt (mip.MTIP) would stay pending, masked, forever. QEMU
  // wakes a halted vCPU whose mip is non-zero at every change of any of its
  // interrupt lines (the PLIC updates every hart's line on each E1000
  // interrupt), so with MTIP pending each idle hart was woken for nothing
  // twice per frame: at CPUS=3 a round trip took 1.7-2x its CPUS=1 time
  // (NOTES.md "Idle harts that QEMU kept waking"). Never due: mip clear.
  *(volatile uint64 *)CLINT_MTIMECMP(r_mhartid()) = ~0ULL;
}

void
start(void)
{
  // mret will "return" to main() in supervisor mode, paging off.
  uint64 x = r_mstatus();
  x = (x & ~MSTATUS_MPP_MASK) | MSTATUS_MPP_S;
  w_mstatus(x);
  w_mepc((uint64)main);
  w_satp(0);

  // Hand every exception and interrupt to supervisor mode.
  w_medeleg(0xffff);
  w_mideleg(0xffff);
  w_sie(r_sie() | SIE_SEIE | SIE_STIE | SIE_SSIE);

  // One PMP region (TOR, all of memory, RWX) so S-mode may touch memory at all.
  w_pmpaddr0(0x3fffffffffffffull);
  w_pmpcfg0(0xf);

  timer_setup();

  // cpuid() reads the hart id from tp.
  w_tp(r_mhartid());

  asm volatile("mret");
}
