// benchlib.c: the RESULT line, the counters around a measured stretch
// and percentiles, for udpbench and tcpbench (user/benchlib.h says how a
// line looks). Integer arithmetic only.

#include "kernel/types.h"
#include "kernel/netstat.h"
#include "kernel/netmode.h"
#include "kernel/cpustat.h"
#include "user/user.h"
#include "user/benchlib.h"

struct netstat ns0, ns1;  // counters before and after a run
struct cpustat cs0, cs1;  // CPU work before and after a run

// A system call the benchmark cannot do without failed: say which, exit.
static void
benchfail(char *call)
{
  fprintf(2, "bench: %s() failed\n", call);
  exit(1);
}

void
lput(struct line *l, const char *s)
{
  while(*s && l->n < sizeof(l->buf) - 2)
    l->buf[l->n++] = *s++;
}

void
lnum(struct line *l, uint64 v)
{
  char d[24];
  int i = 0;

  do {
    d[i++] = '0' + v % 10;
    v /= 10;
  } while(v);
  while(i > 0 && l->n < sizeof(l->buf) - 2)
    l->buf[l->n++] = d[--i];
}

// Append " key=v".
void
lkv(struct line *l, char *key, uint64 v)
{
  lput(l, " ");
  lput(l, key);
  lput(l, "=");
  lnum(l, v);
}

// Append " key=U.D", a time in ns shown as microseconds with one decimal.
void
lus(struct line *l, char *key, uint64 ns)
{
  uint64 tenths = (ns + 50) / 100;

  lkv(l, key, tenths / 10);
  lput(l, ".");
  lnum(l, tenths % 10);
}

// Start a RESULT line for test name, with the kernel's NETMODE and KMAP.
void
lstart(struct line *l, char *name)
{
  l->n = 0;
  lput(l, "RESULT test=");
  lput(l, name);
  lput(l, " mode=");
  lput(l, netmode_name(ns0.mode));
  lput(l, " kmap=");
  lput(l, ns0.kmap ? "shared" : "split");
}

// Finish the line and write it to fd in one piece.
void
lwrite(struct line *l, int fd)
{
  l->buf[l->n++] = '\n';
  write(fd, l->buf, l->n);
}

// rate = count per second over dt ns (0 if dt is 0).
uint64
persec(uint64 count, uint64 dt)
{
  return dt ? count * 1000000000ULL / dt : 0;
}

void
getstats(struct netstat *ns)
{
  if(netstat(ns) < 0)
    benchfail("netstat");
}

// The counters before (begin) and after (end) a measured stretch.
void
begin(void)
{
  getstats(&ns0);
  if(cpustat(&cs0) < 0)
    benchfail("cpustat");
}

void
end(void)
{
  if(cpustat(&cs1) < 0)
    benchfail("cpustat");
  getstats(&ns1);
}

// Sum of the per-kind trap counts in k[0..CPUSTAT_NKIND).
static uint64
ksum(uint64 *k)
{
  uint64 s = 0;

  for(int i = 0; i < CPUSTAT_NKIND; i++)
    s += k[i];
  return s;
}

// Append " key=U.D": count / ops with one decimal, rounded.
void
lper(struct line *l, char *key, uint64 count, uint64 ops)
{
  uint64 tenths = ops ? (count * 10 + ops / 2) / ops : 0;

  lkv(l, key, tenths / 10);
  lput(l, ".");
  lnum(l, tenths % 10);
}

// Append the CPU work between begin() and end() per op (see the top).
void
lwork(struct line *l, uint64 ops)
{
  uint64 spin = cs1.spin - cs0.spin, tick = cs1.tick - cs0.tick;
  uint64 busy = (cs1.counter - cs0.counter) - (cs1.allidle - cs0.allidle);
  uint64 traps = ksum(cs1.utrap) + ksum(cs1.ktrap) - ksum(cs0.utrap) - ksum(cs0.ktrap);
  uint64 sys = cs1.utrap[CPUSTAT_SYSCALL] - cs0.utrap[CPUSTAT_SYSCALL];
  uint64 irq = cs1.utrap[CPUSTAT_DEVICE] + cs1.ktrap[CPUSTAT_DEVICE] -
               cs0.utrap[CPUSTAT_DEVICE] - cs0.ktrap[CPUSTAT_DEVICE];

  busy = busy > spin + tick ? busy - spin - tick : 0;
  lkv(l, "icount", cs1.icount);
  lkv(l, "insn_per_op", ops ? (busy + ops / 2) / ops : 0);
  lkv(l, "spin_per_op", ops ? (spin + ops / 2) / ops : 0);
  lper(l, "traps_per_op", traps, ops);
  lper(l, "sys_per_op", sys, ops);
  lper(l, "irq_per_op", irq, ops);
}

// Shell sort, ascending.
void
sort64(uint64 *a, int n)
{
  for(int gap = n / 2; gap > 0; gap /= 2){
    for(int i = gap; i < n; i++){
      uint64 v = a[i];
      int j = i;
      for(; j >= gap && a[j - gap] > v; j -= gap)
        a[j] = a[j - gap];
      a[j] = v;
    }
  }
}

// The pct-th percentile of the sorted a[0..n-1] (nearest rank below).
uint64
pctl(uint64 *a, int n, int pct)
{
  return n ? a[(n - 1) * pct / 100] : 0;
}

// The i-th space-separated field of the NUL-terminated s, as a number.
uint64
field(char *s, int i)
{
  uint64 v = 0;

  while(i > 0 && *s)
    if(*s++ == ' ')
      i--;
  while(*s >= '0' && *s <= '9')
    v = v * 10 + (*s++ - '0');
  return v;
}

// A number that differs between runs, for matching replies to requests
// (and telling runs apart in the host's log).
uint32
newrun(void)
{
  return (timens() / 1000 + getpid()) % 1000000000;
}
