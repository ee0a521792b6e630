// exec(): replace the calling process's user memory with an ELF program
// read from the file system (ELF-64 format, kernel/elf.h).
//
// The new image is built in a fresh page table; the old one is freed only
// once nothing can fail any more, so a failed exec returns -1 to the old
// program untouched. User memory after exec, from address 0 up:
//   [ PT_LOAD segments | guard page | USERSTACK stack pages ]
// The stack starts with the argument strings, then the argv[] array.

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/defs.h"
#include "kernel/elf.h"
#include "kernel/sleeplock.h"
#include "kernel/fs.h"
#include "kernel/file.h"

// The highest user address a segment or the stack may reach: everything
// above belongs to the trapframe and trampoline pages.
#define USER_TOP USERTOP

// Page permissions for a segment with ELF flags: uvmalloc adds PTE_R|PTE_U.
static int
elf_perm(uint32 flags)
{
  int perm = 0;

  if(flags & ELF_PROG_FLAG_EXEC)
    perm |= PTE_X;
  if(flags & ELF_PROG_FLAG_WRITE)
    perm |= PTE_W;
  return perm;
}

// Copy sz bytes at offset off of ip to user address va of pagetable.
// va is page aligned and the pages are already mapped. Returns 0 or -1.
// Caller holds ip->lock.
static int
loadseg(pagetable_t pagetable, uint64 va, struct inode *ip, uint off, uint sz)
{
  uint64 pa;
  uint i, n;

  for(i = 0; i < sz; i += PGSIZE){
    pa = walkaddr(pagetable, va + i);
    if(pa == 0)
      return -1;
    n = sz - i < PGSIZE ? sz - i : PGSIZE;
    if(readi(ip, 0, pa, off + i, n) != (int)n)
      return -1;
  }
  return 0;
}

// Check one program header against the file and the address space.
// Returns 0 if it describes a loadable segment, -1 if not.
static int
check_segment(struct proghdr *ph, struct inode *ip)
{
  if(ph->memsz < ph->filesz)
    return -1;
  if(ph->vaddr + ph->memsz < ph->vaddr || ph->vaddr + ph->memsz > USER_TOP)
    return -1;
  if(ph->vaddr % PGSIZE != 0)
    return -1;
  if(ph->off + ph->filesz < ph->off || ph->off + ph->filesz > ip->size)
    return -1;
  return 0;
}

// Map and fill every PT_LOAD segment of the ELF file ip into pagetable.
// *szp is the size of the user memory so far and grows with each
// segment; on failure it still names everything mapped, for the caller
// to free. Returns 0 or -1. Caller holds ip->lock.
static int
load_segments(pagetable_t pagetable, struct inode *ip, struct elfhdr *elf,
              uint64 *szp)
{
  struct proghdr ph;
  uint64 off, sz;
  int i;

  for(i = 0; i < elf->phnum; i++){
    off = elf->phoff + i * sizeof(ph);
    if(off < elf->phoff || off + sizeof(ph) > ip->size)
      return -1;
    if(readi(ip, 0, (uint64)&ph, off, sizeof(ph)) != sizeof(ph))
      return -1;
    if(ph.type != ELF_PROG_LOAD)
      continue;
    if(check_segment(&ph, ip) < 0)
      return -1;
    sz = uvmalloc(pagetable, *szp, ph.vaddr + ph.memsz, elf_perm(ph.flags));
    if(sz == 0)
      return -1;
    *szp = sz;
    if(loadseg(pagetable, ph.vaddr, ip, ph.off, ph.filesz) < 0)
      return -1;
  }
  return 0;
}

// Push the argument strings and then the argv[] array (NULL-terminated)
// onto the user stack whose top is sp and whose lowest byte is stackbase.
// Returns the new sp (which is also the user's argv pointer) and sets
// *argcp, or returns 0 if the arguments do not fit or a copy fails.
static uint64
push_args(pagetable_t pagetable, char **argv, uint64 sp, uint64 stackbase,
          uint64 *argcp)
{
  uint64 uargv[MAXARG + 1];
  uint64 argc, len;

  for(argc = 0; argv[argc]; argc++){
    if(argc >= MAXARG)
      return 0;
    len = strlen(argv[argc]) + 1;
    if(len > sp - stackbase)
      return 0;
    sp -= len;
    sp -= sp % 16;  // the RISC-V ABI keeps sp 16-byte aligned
    if(sp < stackbase)
      return 0;
    if(copyout(pagetable, sp, argv[argc], len) < 0)
      return 0;
    uargv[argc] = sp;
  }
  uargv[argc] = 0;

  len = (argc + 1) * sizeof(uint64);
  if(len > sp - stackbase)
    return 0;
  sp -= len;
  sp -= sp % 16;
  if(sp < stackbase)
    return 0;
  if(copyout(pagetable, sp, (char *)uargv, len) < 0)
    return 0;
  *argcp = argc;
  return sp;
}

// Build the stack (guard page, USERSTACK pages) above the loaded image
// and push argv onto it. *szp grows as pages are mapped. Returns the
// user sp, or 0 on failure.
static uint64
setup_stack(pagetable_t pagetable, uint64 *szp, char **argv, uint64 *argcp)
{
  uint64 sz, top;

  sz = PGROUNDUP(*szp);
  top = sz + (USERSTACK + 1) * PGSIZE;
  if(top > USER_TOP)
    return 0;
  if(uvmalloc(pagetable, sz, top, PTE_W) == 0)
    return 0;
  *szp = top;
  // The lowest page is the guard: unmapped for the user, so running off
  // the bottom of the stack faults instead of overwriting data.
  uvmclear(pagetable, sz);
  return push_args(pagetable, argv, top, top - USERSTACK * PGSIZE, argcp);
}

// Open the ELF file at path and load its segments into a fresh page
// table for p. Returns the page table, with the user memory size in
// *szp and the entry point in *entryp, or 0 on failure (nothing left
// allocated).
static pagetable_t
load_image(struct proc *p, char *path, uint64 *szp, uint64 *entryp)
{
  struct elfhdr elf;
  struct inode *ip;
  pagetable_t pagetable = 0;

  *szp = 0;
  begin_op();
  if((ip = namei(path)) == 0){
    end_op();
    return 0;
  }
  ilock(ip);
  if(readi(ip, 0, (uint64)&elf, 0, sizeof(elf)) != sizeof(elf))
    goto out;
  if(elf.magic != ELF_MAGIC || elf.phentsize != sizeof(struct proghdr))
    goto out;
  if((pagetable = proc_pagetable(p)) == 0)
    goto out;
  if(load_segments(pagetable, ip, &elf, szp) < 0){
    proc_freepagetable(pagetable, *szp);
    pagetable = 0;
    goto out;
  }
  *entryp = elf.entry;
out:
  iunlockput(ip);
  end_op();
  return pagetable;
}

// Replace the current process's image with the program at path, with
// the arguments argv (a NULL-terminated array of kernel strings; the
// caller keeps ownership). Returns argc, which the syscall layer puts in
// a0; on failure returns -1 and leaves the process as it was.
int
exec(char *path, char **argv)
{
  struct proc *p = myproc();
  pagetable_t pagetable, oldpagetable;
  uint64 sz, oldsz, entry, sp, argc;
  char *s, *last;

  if((pagetable = load_image(p, path, &sz, &entry)) == 0)
    return -1;
  if((sp = setup_stack(pagetable, &sz, argv, &argc)) == 0){
    proc_freepagetable(pagetable, sz);
    return -1;
  }

  // Name the process after the last element of path, for debugging.
  for(last = s = path; *s; s++)
    if(*s == '/')
      last = s + 1;
  safestrcpy(p->name, last, sizeof(p->name));

  // Nothing can fail now: switch to the new image.
  oldpagetable = p->pagetable;
  oldsz = p->sz;
  p->pagetable = pagetable;
  p->sz = sz;
  p->trapframe->epc = entry;
  p->trapframe->sp = sp;
  p->trapframe->a1 = sp;   // argv; a0 gets argc from our return value
  kvmswitch(pagetable);    // KMAP=shared: run on the new table before freeing the old
  proc_freepagetable(oldpagetable, oldsz);
  return argc;
}
