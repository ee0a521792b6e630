// System call dispatch, and the helpers that fetch arguments from the
// trapframe and from user memory. Every user pointer is checked by
// copyin/copyout; a bad one makes the call return -1.

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/syscall.h"
#include "kernel/defs.h"
#include "kernel/netdefs.h"

// Fetch the uint64 at user address addr into *ip. Returns 0 or -1.
int
fetchaddr(uint64 addr, uint64 *ip)
{
  struct proc *p = myproc();

  if(addr >= p->sz || addr + sizeof(uint64) > p->sz || addr + sizeof(uint64) < addr)
    return -1;
  if(copyin(p->pagetable, (char *)ip, addr, sizeof(*ip)) != 0)
    return -1;
  return 0;
}

// Fetch the NUL-terminated string at user address addr into buf (at most
// max bytes with the NUL). Returns its length, or -1.
int
fetchstr(uint64 addr, char *buf, int max)
{
  struct proc *p = myproc();

  if(copyinstr(p->pagetable, buf, addr, max) < 0)
    return -1;
  return strlen(buf);
}

// The n'th system call argument, raw, from the saved a0..a5.
static uint64
argraw(int n)
{
  struct trapframe *tf = myproc()->trapframe;

  switch(n){
  case 0: return tf->a0;
  case 1: return tf->a1;
  case 2: return tf->a2;
  case 3: return tf->a3;
  case 4: return tf->a4;
  case 5: return tf->a5;
  }
  panic("argraw");
}

void
argint(int n, int *ip)
{
  *ip = argraw(n);
}

// A pointer argument. Not checked here: copyin/copyout check it on use.
void
argaddr(int n, uint64 *ip)
{
  *ip = argraw(n);
}

// A string argument copied into buf (max bytes). Returns its length or -1.
int
argstr(int n, char *buf, int max)
{
  uint64 addr;

  argaddr(n, &addr);
  return fetchstr(addr, buf, max);
}

uint64 sys_fork(void);
uint64 sys_exit(void);
uint64 sys_wait(void);
uint64 sys_pipe(void);
uint64 sys_read(void);
uint64 sys_kill(void);
uint64 sys_exec(void);
uint64 sys_fstat(void);
uint64 sys_chdir(void);
uint64 sys_dup(void);
uint64 sys_getpid(void);
uint64 sys_sbrk(void);
uint64 sys_sleep(void);
uint64 sys_uptime(void);
uint64 sys_open(void);
uint64 sys_write(void);
uint64 sys_mknod(void);
uint64 sys_unlink(void);
uint64 sys_link(void);
uint64 sys_mkdir(void);
uint64 sys_close(void);
uint64 sys_connect(void);
uint64 sys_netstat(void);
uint64 sys_sysinfo(void);
uint64 sys_nsecs(void);
uint64 sys_sockopt(void);
uint64 sys_sbrklazy(void);
uint64 sys_bind(void);
uint64 sys_unbind(void);
uint64 sys_send(void);
uint64 sys_recv(void);
uint64 sys_sendmsgs(void);
uint64 sys_recvmsgs(void);
uint64 sys_socklist(void);
uint64 sys_netmode(void);
uint64 sys_netceiling(void);
uint64 sys_ifget(void);
uint64 sys_ifset(void);
uint64 sys_arplist(void);
uint64 sys_arpctl(void);
uint64 sys_icmpconnect(void);
uint64 sys_netstages(void);
uint64 sys_cpustat(void);
uint64 sys_tcpconnect(void);
uint64 sys_tcplisten(void);
uint64 sys_tcpaccept(void);
uint64 sys_tcpshutdown(void);
uint64 sys_tcplist(void);
uint64 sys_tcpctl(void);

// Two entries with the same SYS_ number would silently keep the later one
// (a merge once gave five calls one number): make that a compile error.
#pragma GCC diagnostic error "-Woverride-init"
static uint64 (*syscalls[])(void) = {
  [SYS_fork]    sys_fork,
  [SYS_exit]    sys_exit,
  [SYS_wait]    sys_wait,
  [SYS_pipe]    sys_pipe,
  [SYS_read]    sys_read,
  [SYS_kill]    sys_kill,
  [SYS_exec]    sys_exec,
  [SYS_fstat]   sys_fstat,
  [SYS_chdir]   sys_chdir,
  [SYS_dup]     sys_dup,
  [SYS_getpid]  sys_getpid,
  [SYS_sbrk]    sys_sbrk,
  [SYS_sleep]   sys_sleep,
  [SYS_uptime]  sys_uptime,
  [SYS_open]    sys_open,
  [SYS_write]   sys_write,
  [SYS_mknod]   sys_mknod,
  [SYS_unlink]  sys_unlink,
  [SYS_link]    sys_link,
  [SYS_mkdir]   sys_mkdir,
  [SYS_close]   sys_close,
  [SYS_connect] sys_connect,
  [SYS_netstat] sys_netstat,
  [SYS_sysinfo] sys_sysinfo,
  [SYS_nsecs]   sys_nsecs,
  [SYS_sockopt] sys_sockopt,
  [SYS_sbrklazy] sys_sbrklazy,
  [SYS_bind]    sys_bind,
  [SYS_unbind]  sys_unbind,
  [SYS_send]    sys_send,
  [SYS_recv]    sys_recv,
  [SYS_sendmsgs] sys_sendmsgs,
  [SYS_recvmsgs] sys_recvmsgs,
  [SYS_socklist] sys_socklist,
  [SYS_netmode] sys_netmode,
  [SYS_netceiling] sys_netceiling,
  [SYS_ifget]   sys_ifget,
  [SYS_ifset]   sys_ifset,
  [SYS_arplist] sys_arplist,
  [SYS_arpctl]  sys_arpctl,
  [SYS_icmpconnect] sys_icmpconnect,
  [SYS_netstages] sys_netstages,
  [SYS_cpustat] sys_cpustat,
  [SYS_tcpconnect] sys_tcpconnect,
  [SYS_tcplisten] sys_tcplisten,
  [SYS_tcpaccept] sys_tcpaccept,
  [SYS_tcpshutdown] sys_tcpshutdown,
  [SYS_tcplist]  sys_tcplist,
  [SYS_tcpctl]   sys_tcpctl,
};

// Run the system call numbered in a7; its result goes back in a0.
void
syscall(void)
{
  struct proc *p = myproc();
  uint64 num = p->trapframe->a7;

  if(num > 0 && num < NELEM(syscalls) && syscalls[num]){
    netstage_syscall(p);    // the first stamp of a datagram it may send
    p->trapframe->a0 = syscalls[num]();
  } else {
    printf("%d %s: unknown sys call %ld\n", p->pid, p->name, num);
    p->trapframe->a0 = -1;
  }
}
