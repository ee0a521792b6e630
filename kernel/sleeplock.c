// Sleep locks: long-term locks (held across disk I/O, for example) whose
// waiters sleep instead of spinning. A small spinlock guards the fields;
// the holder may be descheduled while it holds the sleep lock, but it must
// not hold any spinlock when it blocks here.

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/proc.h"
#include "kernel/defs.h"

// Prepare lk for use; name is kept for debugging.
void
initsleeplock(struct sleeplock *lk, char *name)
{
  initlock(&lk->lk, "sleeplock");
  lk->name = name;
  lk->locked = 0;
  lk->pid = 0;
}

// Take lk, sleeping until it is free. Must be called from a process
// (myproc() != 0) holding no spinlocks.
void
acquiresleep(struct sleeplock *lk)
{
  acquire(&lk->lk);
  // sleep() releases lk->lk while we wait and re-takes it before
  // returning, so the test and the claim below are atomic.
  while(lk->locked)
    sleep(lk, &lk->lk);
  lk->locked = 1;
  lk->pid = myproc()->pid;
  release(&lk->lk);
}

// Give up lk and wake every process waiting for it. Caller holds lk.
void
releasesleep(struct sleeplock *lk)
{
  acquire(&lk->lk);
  lk->locked = 0;
  lk->pid = 0;
  wakeup(lk);
  release(&lk->lk);
}

// Returns 1 if the calling process holds lk, 0 otherwise.
int
holdingsleep(struct sleeplock *lk)
{
  int mine;

  acquire(&lk->lk);
  mine = lk->locked && lk->pid == myproc()->pid;
  release(&lk->lk);
  return mine;
}
