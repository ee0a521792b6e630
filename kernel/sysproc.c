// Process, time and memory system calls.

#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/defs.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/sysinfo.h"
#include "kernel/netdefs.h"
#include "kernel/cpustat.h"

uint64
sys_exit(void)
{
  int n;

  argint(0, &n);
  exit(n);
  return 0;  // not reached
}

uint64
sys_getpid(void)
{
  return myproc()->pid;
}

uint64
sys_fork(void)
{
  return fork();
}

uint64
sys_wait(void)
{
  uint64 p;

  argaddr(0, &p);
  return wait(p);
}

// Move the break by n bytes; returns the old break, or -1.
static uint64
movebreak(int lazy)
{
  int n;

  argint(0, &n);
  uint64 addr = myproc()->sz;
  if(growproc(n, lazy) < 0)
    return -1;
  return addr;
}

// sbrk(n): grow (or shrink) memory by n bytes, allocated now.
uint64
sys_sbrk(void)
{
  return movebreak(0);
}

// sbrklazy(n): like sbrk, but pages are allocated on first touch.
uint64
sys_sbrklazy(void)
{
  return movebreak(1);
}

// sleep(n): wait n clock ticks. -1 if killed meanwhile.
uint64
sys_sleep(void)
{
  int n;

  argint(0, &n);
  acquire(&tickslock);
  uint ticks0 = ticks;
  while(n > 0 && ticks - ticks0 < (uint)n){
    if(killed(myproc())){
      release(&tickslock);
      return -1;
    }
    sleep(&ticks, &tickslock);
  }
  release(&tickslock);
  return 0;
}

uint64
sys_kill(void)
{
  int pid;

  argint(0, &pid);
  return kill(pid);
}

// Clock ticks since boot.
uint64
sys_uptime(void)
{
  acquire(&tickslock);
  uint xticks = ticks;
  release(&tickslock);
  return xticks;
}

// Nanoseconds since boot.
uint64
sys_nsecs(void)
{
  return time_ns();
}

// sysinfo(&si): memory counters for leak checks.
uint64
sys_sysinfo(void)
{
  struct sysinfo si;
  uint64 addr;

  argaddr(0, &addr);
  memset(&si, 0, sizeof(si));
  kvmsettle();   // KMAP=shared: page tables of exited processes are freed first
  si.freepages = kfreepages();
  si.nproc = nproc_used();
  si.mbufs_inuse = netstats.mbufs_inuse;
  si.mbufs_free = netstats.mbufs_free;
  if(copyout(myproc()->pagetable, addr, (char *)&si, sizeof(si)) < 0)
    return -1;
  return 0;
}

// cpustat(&cs): traps and counter ticks, every hart's summed
// (kernel/cpustat.h). 0, or -1 if cs is not writable.
uint64
sys_cpustat(void)
{
  struct cpustat cs;
  uint64 addr;

  argaddr(0, &addr);
  cpustat_get(&cs);
  if(copyout(myproc()->pagetable, addr, (char *)&cs, sizeof(cs)) < 0)
    return -1;
  return 0;
}
