// Virtual memory: Sv39 page tables for the kernel and for each process,
// and the copyin/copyout family that moves bytes across the user boundary.
// RISC-V Privileged Spec 4.4 (Sv39).

#include "kernel/param.h"
#include "kernel/types.h"
#include "kernel/memlayout.h"
#include "kernel/elf.h"
#include "kernel/riscv.h"
#include "kernel/defs.h"
#include "kernel/fs.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"

pagetable_t kernel_pagetable;  // the kernel's own, shared by all harts
const uint64 kdevbase = DEVBASE;  // for the gdb extension: where devices are mapped

extern char etext[];       // end of kernel text; kernel.ld
extern char trampoline[];  // trampoline.S

// Build the kernel page table: devices, kernel text (read/execute), the
// rest of RAM (read/write), the trampoline and the per-process stacks.
static pagetable_t
kvmmake(void)
{
  pagetable_t kpt = (pagetable_t)kalloc();
  if(kpt == 0)
    panic("kvmmake: out of memory");
  memset(kpt, 0, PGSIZE);

  kvmmap(kpt, KDEV(ACLINT_SSWI), ACLINT_SSWI, PGSIZE, PTE_R | PTE_W);
  kvmmap(kpt, KDEV(UART0), UART0, PGSIZE, PTE_R | PTE_W);
  kvmmap(kpt, KDEV(VIRTIO0), VIRTIO0, PGSIZE, PTE_R | PTE_W);
  kvmmap(kpt, KDEV(PLIC), PLIC, 0x400000, PTE_R | PTE_W);
  kvmmap(kpt, KDEV(PCIE_ECAM), PCIE_ECAM, PCIE_ECAM_BUS0, PTE_R | PTE_W);
  kvmmap(kpt, KDEV(E1000_BAR0), E1000_BAR0, E1000_BAR_SIZE, PTE_R | PTE_W);
  kvmmap(kpt, KERNBASE, KERNBASE, (uint64)etext - KERNBASE, PTE_R | PTE_X);
  kvmmap(kpt, (uint64)etext, (uint64)etext, PHYSTOP - (uint64)etext, PTE_R | PTE_W);
  kvmmap(kpt, TRAMPOLINE, (uint64)trampoline, PGSIZE, PTE_R | PTE_X);
  proc_mapstacks(kpt);
  return kpt;
}

void
kvminit(void)
{
  kernel_pagetable = kvmmake();
}

// Turn on paging on this hart.
void
kvminithart(void)
{
  sfence_vma();   // finish stores to the page table first
  w_satp(MAKE_SATP(kernel_pagetable));
  sfence_vma();   // drop any stale TLB entries
  mycpu()->pt = kernel_pagetable;
}

// ---- KMAP=shared: the kernel in every process's page table ------------------
//
// A process's root page table takes over the kernel's root entries for its
// slots (RAM, devices, kernel stacks: memlayout.h), so the tables below
// them are the kernel's own, shared and never freed, and a trap needs no
// satp switch. A hart keeps the table it has loaded until it runs another
// process (kvmload): kernel threads and the idle loop run on it as it is.
// So a root may still be loaded on a hart after its process is gone: each
// root counts its references, one for its owner and one per hart that has
// it in satp, and the last to let go frees it. A hart holding a root whose
// owner let go drops it at its next scheduling round, or on the IPI the
// owner sends (kvmdropdead). With KMAP=split none of this runs: the
// trampoline switches to kernel_pagetable on every trap.

// Bookkeeping for each page that may be a user root.
static struct {
  int ref;    // owner + harts with it in satp (atomic)
  int dead;   // the owner let go: holders should drop it (atomic)
  uint gen;   // bumped whenever its user mappings change (atomic)
} ptmeta[KMAP_SHARED ? (PHYSTOP - KERNBASE) / PGSIZE : 1];

#define PTMETA(pt) (&ptmeta[((uint64)(pt) - KERNBASE) / PGSIZE])

// Does this root belong to no process any more (a hart holding it should
// drop it)?
static int
ptdead(pagetable_t pt)
{
  return pt != 0 && pt != kernel_pagetable &&
    __atomic_load_n(&PTMETA(pt)->dead, __ATOMIC_ACQUIRE);
}

// Is root slot i one the kernel shares with every process?
static int
kslot(int i)
{
  return KMAP_SHARED && (i == PX(2, KERNBASE) || i == PX(2, DEVBASE) ||
                         i == PX(2, DEVBASE + SLOT) || i == PX(2, KSTACKTOP - 1));
}

// Drop one reference to the user root pt; the last one frees the page.
static void
ptput(pagetable_t pt)
{
  if(__atomic_sub_fetch(&PTMETA(pt)->ref, 1, __ATOMIC_ACQ_REL) == 0)
    kfree((void *)pt);
}

// Load pt into this hart's satp, unless it is there already and nothing
// changed its user mappings since this hart last flushed. KMAP=shared
// only; interrupts must be off.
void
kvmload(pagetable_t pt)
{
  struct cpu *c = mycpu();
  pagetable_t old = c->pt;
  uint gen = pt == kernel_pagetable ? 0 : __atomic_load_n(&PTMETA(pt)->gen, __ATOMIC_ACQUIRE);

  if(old == pt){
    if(gen != c->ptgen){
      sfence_vma();   // another hart changed pt's mappings since we flushed
      c->ptgen = gen;
    }
    return;
  }
  if(pt != kernel_pagetable)
    __atomic_add_fetch(&PTMETA(pt)->ref, 1, __ATOMIC_ACQ_REL);
  w_satp(MAKE_SATP(pt));
  sfence_vma();   // the new table's entries, not the old one's cached ones
  // Let go of old before saying so in c->pt: kvmsettle() on another hart
  // then waits until a dead old is really freed, not only unloaded.
  if(old != kernel_pagetable)
    ptput(old);
  c->ptgen = gen;
  __atomic_store_n(&c->pt, pt, __ATOMIC_RELEASE);
}

// If this hart holds a root whose owner let go, load the kernel's table
// (which frees the root). Called by the scheduler and on an IPI, with
// interrupts off.
void
kvmdropdead(void)
{
  if(KMAP_SHARED && ptdead(mycpu()->pt))
    kvmload(kernel_pagetable);
}

// The current process's table pt gained or lost user mappings: flush this
// hart's TLB, and have other harts flush before they run it again.
void
kvmchanged(pagetable_t pt)
{
  if(!KMAP_SHARED)
    return;   // the trampoline switches tables, which flushes, on the way out
  push_off();
  struct cpu *c = mycpu();
  uint gen = __atomic_add_fetch(&PTMETA(pt)->gen, 1, __ATOMIC_ACQ_REL);
  if(c->pt == pt){
    sfence_vma();
    c->ptgen = gen;
  }
  pop_off();
}

// Run on pt from now on (exec's new table). Nothing with KMAP=split.
void
kvmswitch(pagetable_t pt)
{
  if(!KMAP_SHARED)
    return;
  push_off();
  kvmload(pt);
  pop_off();
}

// Wait until no other hart holds a root whose owner let go (each such
// hart gets an IPI), so that a count of free pages (sysinfo) does not
// depend on how soon they took it. Gives up on a hart after a second (a
// vCPU thread of QEMU may not run for a while on a loaded host). Process
// context, no locks held.
void
kvmsettle(void)
{
  if(!KMAP_SHARED)
    return;
  for(int i = 0; i < NCPU; i++){
    uint64 end = time_ns() + 1000000000ULL;
    if(ptdead(__atomic_load_n(&cpus[i].pt, __ATOMIC_ACQUIRE)))
      ipi(i);
    while(ptdead(__atomic_load_n(&cpus[i].pt, __ATOMIC_ACQUIRE)) && time_ns() < end)
      ;
  }
}

// The owner of root pt lets go of it (its user part is already freed):
// harts that still hold it are asked to drop it (an IPI), the last one
// frees it.
static void
ptrelease(pagetable_t pt)
{
  __atomic_store_n(&PTMETA(pt)->dead, 1, __ATOMIC_RELEASE);
  ptput(pt);
  for(int i = 0; i < NCPU; i++)
    if(__atomic_load_n(&cpus[i].pt, __ATOMIC_RELAXED) == pt)
      ipi(i);
}

// The PTE for va in pagetable, allocating intermediate tables when alloc
// is set. Returns 0 if va is out of range or a table can't be allocated.
pte_t *
walk(pagetable_t pagetable, uint64 va, int alloc)
{
  if(va >= MAXVA)
    return 0;

  for(int level = 2; level > 0; level--){
    pte_t *pte = &pagetable[PX(level, va)];
    if(*pte & PTE_V){
      pagetable = (pagetable_t)PTE2PA(*pte);
    } else {
      if(!alloc || (pagetable = (pagetable_t)kalloc()) == 0)
        return 0;
      memset(pagetable, 0, PGSIZE);
      *pte = PA2PTE(pagetable) | PTE_V;
    }
  }
  return &pagetable[PX(0, va)];
}

// Physical address of user page va, or 0 if unmapped or not user-accessible.
uint64
walkaddr(pagetable_t pagetable, uint64 va)
{
  pte_t *pte = walk(pagetable, va, 0);

  if(pte == 0 || (*pte & PTE_V) == 0 || (*pte & PTE_U) == 0)
    return 0;
  return PTE2PA(*pte);
}

// Map a kernel range at boot; failure here is a bring-up failure.
void
kvmmap(pagetable_t kpt, uint64 va, uint64 pa, uint64 sz, int perm)
{
  if(mappages(kpt, va, sz, pa, perm) != 0)
    panic("kvmmap");
}

// Map [va, va+size) to physical memory starting at pa. va and size need
// not be page-aligned. Returns 0, or -1 if a page table can't be allocated.
int
mappages(pagetable_t pagetable, uint64 va, uint64 size, uint64 pa, int perm)
{
  if(size == 0)
    panic("mappages: size 0");

  uint64 a = PGROUNDDOWN(va);
  uint64 last = PGROUNDDOWN(va + size - 1);
  for(;; a += PGSIZE, pa += PGSIZE){
    pte_t *pte = walk(pagetable, a, 1);
    if(pte == 0)
      return -1;
    if(*pte & PTE_V)
      panic("mappages: remap");
    *pte = PA2PTE(pa) | perm | PTE_V;
    if(a == last)
      return 0;
  }
}

// Remove npages mappings starting at page-aligned va, freeing the physical
// pages if do_free. Pages that are not mapped are skipped.
void
uvmunmap(pagetable_t pagetable, uint64 va, uint64 npages, int do_free)
{
  if((va % PGSIZE) != 0)
    panic("uvmunmap: not aligned");

  for(uint64 a = va; a < va + npages*PGSIZE; a += PGSIZE){
    pte_t *pte = walk(pagetable, a, 0);
    if(pte == 0 || (*pte & PTE_V) == 0)
      continue;
    if(PTE_FLAGS(*pte) == PTE_V)
      panic("uvmunmap: not a leaf");
    if(do_free)
      kfree((void*)PTE2PA(*pte));
    *pte = 0;
  }
}

// An empty user page table, or 0 when out of memory. With KMAP=shared it
// holds the kernel's slots and one reference, its owner's.
pagetable_t
uvmcreate(void)
{
  pagetable_t pagetable = (pagetable_t)kalloc();
  if(pagetable == 0)
    return 0;
  memset(pagetable, 0, PGSIZE);
  if(KMAP_SHARED){
    for(int i = 0; i < 512; i++)
      if(kslot(i))
        pagetable[i] = kernel_pagetable[i];
    PTMETA(pagetable)->gen = 0;
    PTMETA(pagetable)->dead = 0;
    __atomic_store_n(&PTMETA(pagetable)->ref, 1, __ATOMIC_RELEASE);
  }
  return pagetable;
}

// Load a tiny program of sz < PGSIZE bytes at address 0.
void
uvmfirst(pagetable_t pagetable, uchar *src, uint sz)
{
  char *mem;

  if(sz >= PGSIZE || (mem = kalloc()) == 0)
    panic("uvmfirst");
  memset(mem, 0, PGSIZE);
  if(mappages(pagetable, 0, PGSIZE, (uint64)mem, PTE_W|PTE_R|PTE_X|PTE_U) != 0)
    panic("uvmfirst: map");
  memmove(mem, src, sz);
}

// Grow user memory from oldsz to newsz with zeroed pages, mapped
// PTE_R|PTE_U|xperm. Returns the new size, or 0 (with nothing added) on
// failure.
uint64
uvmalloc(pagetable_t pagetable, uint64 oldsz, uint64 newsz, int xperm)
{
  if(newsz < oldsz)
    return oldsz;
  if(newsz > USERTOP)
    return 0;

  for(uint64 a = PGROUNDUP(oldsz); a < newsz; a += PGSIZE){
    char *mem = kalloc();
    if(mem == 0){
      uvmdealloc(pagetable, a, oldsz);
      return 0;
    }
    memset(mem, 0, PGSIZE);
    if(mappages(pagetable, a, PGSIZE, (uint64)mem, PTE_R|PTE_U|xperm) != 0){
      kfree(mem);
      uvmdealloc(pagetable, a, oldsz);
      return 0;
    }
  }
  return newsz;
}

// Shrink user memory from oldsz to newsz, freeing pages. Returns newsz.
uint64
uvmdealloc(pagetable_t pagetable, uint64 oldsz, uint64 newsz)
{
  if(newsz >= oldsz)
    return oldsz;

  uint64 from = PGROUNDUP(newsz);
  uint64 to = PGROUNDUP(oldsz);
  if(from < to)
    uvmunmap(pagetable, from, (to - from) / PGSIZE, 1);
  return newsz;
}

// Free the page-table pages below pagetable; all leaves must already be
// gone. A root's kernel slots (KMAP=shared) are the kernel's: left alone.
static void
freewalk(pagetable_t pagetable, int root)
{
  for(int i = 0; i < 512; i++){
    pte_t pte = pagetable[i];
    if(root && kslot(i))
      continue;
    if((pte & PTE_V) && (pte & (PTE_R|PTE_W|PTE_X)) == 0){
      freewalk((pagetable_t)PTE2PA(pte), 0);
      kfree((void*)PTE2PA(pte));
      pagetable[i] = 0;
    } else if(pte & PTE_V){
      panic("freewalk: leaf");
    }
  }
}

// Free sz bytes of user memory, then the page table. With KMAP=shared the
// root itself goes when no hart has it loaded any more.
void
uvmfree(pagetable_t pagetable, uint64 sz)
{
  if(sz > 0)
    uvmunmap(pagetable, 0, PGROUNDUP(sz) / PGSIZE, 1);
  freewalk(pagetable, 1);
  if(KMAP_SHARED)
    ptrelease(pagetable);
  else
    kfree((void*)pagetable);
}

// Copy a parent's memory [0, sz) into a child's page table, page by page.
// Returns 0, or -1 with the child's partial copy freed.
int
uvmcopy(pagetable_t old, pagetable_t new, uint64 sz)
{
  for(uint64 a = 0; a < sz; a += PGSIZE){
    pte_t *pte = walk(old, a, 0);
    if(pte == 0 || (*pte & PTE_V) == 0)
      continue;   // e.g. a guard page that was never mapped
    char *mem = kalloc();
    if(mem == 0)
      goto fail;
    memmove(mem, (char*)PTE2PA(*pte), PGSIZE);
    if(mappages(new, a, PGSIZE, (uint64)mem, PTE_FLAGS(*pte)) != 0){
      kfree(mem);
      goto fail;
    }
  }
  return 0;

fail:
  uvmunmap(new, 0, PGROUNDUP(sz) / PGSIZE, 1);
  return -1;
}

// Make page va inaccessible to user mode (the stack guard page).
void
uvmclear(pagetable_t pagetable, uint64 va)
{
  pte_t *pte = walk(pagetable, va, 0);
  if(pte == 0)
    panic("uvmclear");
  *pte &= ~PTE_U;
}

// A page the process grew lazily (sbrklazy) is touched for the first
// time: if va lies below the break and nothing is mapped there, map a
// zeroed page. pagetable must be the current process's. Returns the
// page's physical address, or 0 if va is not a lazy page or memory is
// exhausted (the caller then fails the access).
uint64
vmfault(pagetable_t pagetable, uint64 va)
{
  struct proc *p = myproc();
  char *mem;

  if(p == 0 || pagetable != p->pagetable || va >= p->sz)
    return 0;
  pte_t *pte = walk(pagetable, PGROUNDDOWN(va), 0);
  if(pte && (*pte & PTE_V))
    return 0;   // mapped but not allowed (e.g. the stack guard page)
  if((mem = kalloc()) == 0)
    return 0;
  memset(mem, 0, PGSIZE);
  if(mappages(pagetable, PGROUNDDOWN(va), PGSIZE, (uint64)mem, PTE_R|PTE_W|PTE_U) != 0){
    kfree(mem);
    return 0;
  }
  kvmchanged(pagetable);
  return (uint64)mem;
}

// Physical address of the user page holding va if it is mapped with all of
// perm (plus PTE_V|PTE_U), or can be allocated lazily; else 0.
static uint64
userpage(pagetable_t pagetable, uint64 va, int perm)
{
  pte_t *pte = walk(pagetable, PGROUNDDOWN(va), 0);
  int need = PTE_V | PTE_U | perm;

  if(pte == 0 || (*pte & PTE_V) == 0)
    return vmfault(pagetable, va);
  if((*pte & need) != need)
    return 0;
  return PTE2PA(*pte);
}

// Copy len bytes from kernel src to user dstva. Returns 0, or -1 if any
// destination byte is not writable user memory.
int
copyout(pagetable_t pagetable, uint64 dstva, char *src, uint64 len)
{
  while(len > 0){
    uint64 pa = userpage(pagetable, dstva, PTE_W);
    if(pa == 0)
      return -1;
    uint64 off = dstva % PGSIZE;
    uint64 n = PGSIZE - off;
    if(n > len)
      n = len;
    memmove((char*)(pa + off), src, n);
    len -= n;
    src += n;
    dstva += n;
  }
  return 0;
}

// Copy len bytes from user srcva to kernel dst. Returns 0 or -1.
int
copyin(pagetable_t pagetable, char *dst, uint64 srcva, uint64 len)
{
  while(len > 0){
    uint64 pa = userpage(pagetable, srcva, PTE_R);
    if(pa == 0)
      return -1;
    uint64 off = srcva % PGSIZE;
    uint64 n = PGSIZE - off;
    if(n > len)
      n = len;
    memmove(dst, (char*)(pa + off), n);
    len -= n;
    dst += n;
    srcva += n;
  }
  return 0;
}

// Copy a NUL-terminated string of at most max bytes (NUL included) from
// user srcva to dst. Returns 0, or -1 if unmapped or too long.
int
copyinstr(pagetable_t pagetable, char *dst, uint64 srcva, uint64 max)
{
  while(max > 0){
    uint64 pa = userpage(pagetable, srcva, PTE_R);
    if(pa == 0)
      return -1;
    uint64 off = srcva % PGSIZE;
    char *p = (char*)(pa + off);
    for(uint64 n = PGSIZE - off; n > 0 && max > 0; n--, max--){
      *dst = *p;
      if(*p == 0)
        return 0;
      dst++;
      p++;
      srcva++;
    }
  }
  return -1;
}
