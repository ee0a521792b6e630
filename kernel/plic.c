// The RISC-V Platform-Level Interrupt Controller (PLIC spec v1.0.0) as
// QEMU's virt machine wires it: source 10 is UART0, source 1 the virtio
// disk, source 33 the E1000 (INTA of PCI slot 1).
//
// Each hart has an S-mode context with its own enable bits, priority
// threshold and claim/complete register. A source interrupts a hart when it
// is enabled for that hart's context and its priority exceeds the threshold.

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/defs.h"
#include "kernel/netdefs.h"

#define PLIC_REG(addr) (*(volatile uint32 *)KDEV(addr))

// Which harts take the E1000's interrupt (NOTES.md "IPIs"): 0, the boot
// hart alone (e1000_init enables it there); 1, every hart, the first claim
// winning. QEMU's PLIC raises the line at every context that enables the
// source, so 1 wakes every idle vCPU for each interrupt.
#define E1000_EVERY_HART 0

// Give every source we use priority 1 (0 would mean "never interrupt").
// Sources stay disabled until a hart enables them. Runs once, on hart 0.
void
plicinit(void)
{
  PLIC_REG(PLIC_PRIORITY + UART0_IRQ*4) = 1;
  PLIC_REG(PLIC_PRIORITY + VIRTIO0_IRQ*4) = 1;
  PLIC_REG(PLIC_PRIORITY + E1000_IRQ*4) = 1;
}

// Set (on != 0) or clear the enable bit of irq in the calling hart's S
// context. Enable bits are packed 32 per word, so irq 33 is bit 1 of the
// second word.
static void
plic_setenable(int irq, int on)
{
  uint64 word;

  push_off();   // stay on one hart, and keep the read-modify-write whole
  word = PLIC_SENABLE(cpuid()) + 4*(irq/32);
  if(on)
    PLIC_REG(word) |= 1U << (irq % 32);
  else
    PLIC_REG(word) &= ~(1U << (irq % 32));
  pop_off();
}

// Enable irq for the calling hart only. Other harts are unaffected.
void
plic_enable(int irq)
{
  plic_setenable(irq, 1);
}

// Disable irq for the calling hart only. Other harts are unaffected.
void
plic_disable(int irq)
{
  plic_setenable(irq, 0);
}

// Per-hart setup: take UART and disk interrupts, accept any priority.
// The E1000 source is left to its driver: e1000_init enables it on the
// boot hart (the device's own mask decides whether it ever rises), and
// other harts enable it here only with E1000_EVERY_HART.
void
plicinithart(void)
{
  plic_enable(UART0_IRQ);
  plic_enable(VIRTIO0_IRQ);
  if(E1000_EVERY_HART && cpuid() != 0)
    plic_enable(E1000_IRQ);
  PLIC_REG(PLIC_SPRIORITY(cpuid())) = 0;
}

// Claim the highest-priority pending interrupt for this hart. Returns
// its source number, or 0 if none is pending: another hart enabled for
// the source claimed it first (counted in plic_spurious).
int
plic_claim(void)
{
  int irq = PLIC_REG(PLIC_SCLAIM(cpuid()));

  if(irq == 0)
    NETSTAT_INC(plic_spurious);
  return irq;
}

// Tell the PLIC this hart has finished with source irq (from plic_claim),
// so the source may interrupt again.
void
plic_complete(int irq)
{
  PLIC_REG(PLIC_SCLAIM(cpuid())) = irq;
}
