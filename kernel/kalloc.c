// Physical page allocator: a free list of 4 KiB pages covering the RAM
// between the end of the kernel image and PHYSTOP.

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/spinlock.h"
#include "kernel/riscv.h"
#include "kernel/defs.h"

extern char end[]; // first byte after the kernel image; kernel.ld

struct freepage {
  struct freepage *next;
};

static struct {
  struct spinlock lock;
  // kmem.lock guards:
  struct freepage *list;
  uint64 nfree;
} kmem;

void
kinit(void)
{
  initlock(&kmem.lock, "kmem");
  for(char *p = (char*)PGROUNDUP((uint64)end); p + PGSIZE <= (char*)PHYSTOP; p += PGSIZE)
    kfree(p);
}

// Return page pa to the free list. pa must have come from kalloc()
// (or be part of the initial range).
void
kfree(void *pa)
{
  struct freepage *fp = pa;

  if(((uint64)pa % PGSIZE) != 0 || (char*)pa < end || (uint64)pa >= PHYSTOP)
    panic("kfree: bad page");

  // Fill with junk so a use-after-free shows quickly.
  memset(pa, 1, PGSIZE);

  acquire(&kmem.lock);
  fp->next = kmem.list;
  kmem.list = fp;
  kmem.nfree++;
  release(&kmem.lock);
}

// A fresh page, filled with junk, or 0 when memory is exhausted.
void *
kalloc(void)
{
  struct freepage *fp;

  acquire(&kmem.lock);
  fp = kmem.list;
  if(fp){
    kmem.list = fp->next;
    kmem.nfree--;
  }
  release(&kmem.lock);

  if(fp)
    memset((char*)fp, 5, PGSIZE);
  return (void*)fp;
}

// Number of pages on the free list, for leak checks.
uint64
kfreepages(void)
{
  uint64 n;

  acquire(&kmem.lock);
  n = kmem.nfree;
  release(&kmem.lock);
  return n;
}
