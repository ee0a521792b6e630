// Spinlocks. A hart holding one runs with interrupts off, so an interrupt
// handler on the same hart can never spin on a lock its own hart holds.

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/spinlock.h"
#include "kernel/riscv.h"
#include "kernel/proc.h"
#include "kernel/defs.h"

void
initlock(struct spinlock *lk, char *name)
{
  lk->name = name;
  lk->locked = 0;
  lk->cpu = 0;
}

void
acquire(struct spinlock *lk)
{
  push_off();
  if(holding(lk))
    panic("acquire: already held");

  // amoswap.w.aq: atomically set locked = 1 and look at the old value.
  while(__sync_lock_test_and_set(&lk->locked, 1) != 0)
    ;

  // Keep the critical section's loads and stores after the lock is taken.
  __sync_synchronize();
  lk->cpu = mycpu();
}

void
release(struct spinlock *lk)
{
  if(!holding(lk))
    panic("release: not held");
  lk->cpu = 0;

  // Publish the critical section's stores before the lock is seen free.
  __sync_synchronize();
  __sync_lock_release(&lk->locked);
  pop_off();
}

// Is this hart holding lk? Interrupts must be off.
int
holding(struct spinlock *lk)
{
  return lk->locked && lk->cpu == mycpu();
}

// push_off/pop_off are intr_off/intr_on that nest: interrupts come back on
// only when the outermost pop_off runs, and only if they were on before.
void
push_off(void)
{
  int old = intr_get();

  intr_off();
  struct cpu *c = mycpu();
  if(c->noff == 0)
    c->intena = old;
  c->noff++;
}

void
pop_off(void)
{
  struct cpu *c = mycpu();

  if(intr_get())
    panic("pop_off: interruptible");
  if(c->noff < 1)
    panic("pop_off: unbalanced");
  c->noff--;
  if(c->noff == 0 && c->intena)
    intr_on();
}
