// usertests: tests of the kernel's system calls, run from the shell.
//
//   usertests          run every test
//   usertests -q       run the quick ones (leaves out the slow tests)
//   usertests NAME...  run the named tests
//
// Each test runs in a forked child, so a test that crashes or calls exit(1)
// fails alone; a watchdog kills a test that runs longer than TIMEOUT_SEC.
// Every test prints one line, "test NAME: OK" or "test NAME: FAILED", and
// the run ends with "ALL TESTS PASSED" (exit 0) or "SOME TESTS FAILED"
// (exit 1). Around the whole run the kernel's free-page count (sysinfo) must
// come back exactly to where it was: that is the "memleak" test.
//
// The tests expect the xv6 conventions: a killed process exits with
// status -1, and every system call given a bad argument returns -1.

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/fs.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/elf.h"
#include "kernel/sysinfo.h"
#include "kernel/netstat.h"
#include "kernel/netmode.h"
#include "user/user.h"

#define TIMEOUT_SEC 90        // a test running longer than this is killed
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static char buf[8192];        // scratch space for the running test
static char *testname;        // name of the running test
static uint64 stacktop;       // top of the user stack, found by main

// ---- helpers -----------------------------------------------------------------

// Fail the running test (or the child of it that calls this): say where
// and why, then exit(1).
static void
fail(int line, char *why)
{
  printf("  %s: line %d: %s\n", testname, line, why);
  exit(1);
}

#define CHECK(cond, why) do { if(!(cond)) fail(__LINE__, (why)); } while(0)

// fork, failing the test if it cannot.
static int
xfork(void)
{
  int pid = fork();

  CHECK(pid >= 0, "fork failed");
  return pid;
}

// Wait for the child pid; returns its exit status.
static int
xwait(int pid)
{
  int status = 0;

  CHECK(wait(&status) == pid, "wait returned the wrong pid");
  return status;
}

static struct sysinfo si;

static uint64
freepages(void)
{
  CHECK(sysinfo(&si) == 0, "sysinfo failed");
  return si.freepages;
}

static uint64
nprocs(void)
{
  CHECK(sysinfo(&si) == 0, "sysinfo failed");
  return si.nproc;
}

// Give exiting processes (orphans are reaped by init) time to disappear:
// wait up to about five seconds for the free-page count to reach want.
// Returns the last count seen.
static uint64
settle(uint64 want)
{
  uint64 now = 0;
  int i;

  for(i = 0; i < 50; i++){
    now = freepages();
    if(now == want)
      break;
    sleep(1);
  }
  return now;
}

// Create (or truncate) name holding the n bytes at data.
static void
mkfile(char *name, char *data, int n)
{
  int fd = open(name, O_CREATE|O_TRUNC|O_WRONLY);

  CHECK(fd >= 0, "cannot create a file");
  CHECK(write(fd, data, n) == n, "cannot write a file");
  close(fd);
}

// Read up to max bytes of file name into b. Returns the count.
static int
slurp(char *name, char *b, int max)
{
  int fd, n, got = 0;

  fd = open(name, O_RDONLY);
  CHECK(fd >= 0, "cannot open a file");
  while(got < max && (n = read(fd, b + got, max - got)) > 0)
    got += n;
  close(fd);
  return got;
}

// Grow the heap so it ends on a page boundary, one page further up, and
// return that last page: p[0..PGSIZE-1] is mapped, p[PGSIZE] is not.
static char*
toppage(void)
{
  uint64 a = (uint64)sbrk(0);

  CHECK(sbrk(PGROUNDUP(a) - a + PGSIZE) != (char*)-1, "sbrk failed");
  return (char*)PGROUNDUP(a);
}

// Does touching address a kill a child process? write selects a store
// rather than a load.
static int
faults(uint64 a, int write)
{
  volatile char *p = (volatile char*)a;
  int pid;

  pid = xfork();
  if(pid == 0){
    if(write)
      *p = 1;
    else
      (void)*p;
    exit(0);
  }
  return xwait(pid) == -1;
}

// Does jumping to address a kill a child process?
static int
jumpfaults(uint64 a)
{
  int pid;

  pid = xfork();
  if(pid == 0){
    ((void (*)(void))a)();
    exit(0);
  }
  return xwait(pid) == -1;
}

// Does exec(path, argv) return -1 (rather than run something)? Runs it
// in a child so a mistaken success cannot replace the test.
static int
execfails(char *path, char **argv)
{
  int pid;

  pid = xfork();
  if(pid == 0)
    exit(exec(path, argv) == -1 ? 77 : 78);
  return xwait(pid) == 77;
}

// ---- processes ---------------------------------------------------------------

// exit's status reaches wait; wait(0) is allowed.
static void
exitwait(void)
{
  int codes[] = { 0, 1, 42, 255, -5 };
  int i, pid;

  for(i = 0; i < NELEM(codes); i++){
    pid = xfork();
    if(pid == 0)
      exit(codes[i]);
    CHECK(xwait(pid) == codes[i], "wrong exit status");
  }
  pid = xfork();
  if(pid == 0)
    exit(3);
  CHECK(wait(0) == pid, "wait(0) failed");
}

// Many children at once, each reaped exactly once with its own status.
static void
manychildren(void)
{
  enum { N = 20 };
  int pids[N], i, j, pid, status;

  for(i = 0; i < N; i++){
    pids[i] = xfork();
    if(pids[i] == 0){
      sleep(i % 3);
      exit(getpid() % 100);
    }
  }
  for(i = 0; i < N; i++){
    pid = wait(&status);
    for(j = 0; j < N && pids[j] != pid; j++)
      ;
    CHECK(j < N, "wait returned a pid that is not our child");
    CHECK(status == pid % 100, "wrong exit status");
    pids[j] = -1;
  }
  CHECK(wait(0) == -1, "wait found a child after all were reaped");
}

// wait with no children returns -1 at once.
static void
nochild(void)
{
  int status;

  CHECK(wait(0) == -1, "wait(0) did not return -1");
  CHECK(wait(&status) == -1, "wait(&status) did not return -1");
}

// getpid is stable, and a child's pid is what fork returned.
static void
getpidtest(void)
{
  int p[2], me, pid, x;

  me = getpid();
  CHECK(me > 0 && getpid() == me, "getpid not stable");
  CHECK(pipe(p) == 0, "pipe failed");
  pid = xfork();
  if(pid == 0){
    x = getpid();
    write(p[1], &x, sizeof(x));
    exit(0);
  }
  CHECK(read(p[0], &x, sizeof(x)) == sizeof(x), "read from pipe failed");
  CHECK(x == pid, "child's getpid differs from fork's return");
  CHECK(x != me, "child has the parent's pid");
  CHECK(xwait(pid) == 0, "child failed");
}

// A process whose parent exits is re-parented to init, which reaps it: the
// process count returns to where it was.
static void
orphan(void)
{
  uint64 base;
  int pid, i;

  base = nprocs();
  pid = xfork();
  if(pid == 0){
    for(i = 0; i < 3; i++){
      if(fork() == 0){
        sleep(3);
        exit(0);
      }
    }
    exit(0);
  }
  CHECK(xwait(pid) == 0, "child failed");
  for(i = 0; i < 100 && nprocs() != base; i++)
    sleep(1);
  CHECK(nprocs() == base, "orphans were not reaped");
}

// kill stops a child that spins in user space.
static void
killspin(void)
{
  int pid;

  pid = xfork();
  if(pid == 0){
    for(;;)
      ;
  }
  sleep(2);
  CHECK(kill(pid) == 0, "kill failed");
  CHECK(xwait(pid) == -1, "killed child's status is not -1");
}

// kill wakes a child blocked in sleep().
static void
killsleep(void)
{
  int pid;

  pid = xfork();
  if(pid == 0){
    sleep(100000);
    exit(0);
  }
  sleep(2);
  CHECK(kill(pid) == 0, "kill failed");
  CHECK(xwait(pid) == -1, "killed child's status is not -1");
}

// kill wakes a child blocked reading an empty pipe.
static void
killpipe(void)
{
  int p[2], pid;
  char c;

  CHECK(pipe(p) == 0, "pipe failed");
  pid = xfork();
  if(pid == 0){
    read(p[0], &c, 1);
    exit(0);
  }
  sleep(2);
  CHECK(kill(pid) == 0, "kill failed");
  CHECK(xwait(pid) == -1, "killed child's status is not -1");
  close(p[0]);
  close(p[1]);
}

// ---- wakeidle: a process made runnable gets an idle hart --------------------

static struct netstat hc0, hc1;   // the harts' counters before and after a step

// Read the kernel's counters (kernel/netstat.h: harts, IPIs, wakeups) into *ns.
static void
hartcounts(struct netstat *ns)
{
  CHECK(netstat(ns) == 0, "netstat failed");
}

// Between hc0 and hc1, k processes were made runnable while `idle` other
// harts had nothing to run. Returns 1 if each was counted (as handed an
// idle hart by an IPI or as finding none) and min(k, idle) of them got an
// IPI. Either may fail in one try on a loaded host: a child the host has
// not run yet is not asleep, a hart claimed earlier whose vCPU the host
// has not run yet still counts as busy.
static int
woken(int k, int idle)
{
  uint64 ipis = hc1.wake_ipi - hc0.wake_ipi;

  CHECK(hc1.ipi_sent - hc0.ipi_sent >= ipis, "fewer IPIs sent than counted");
  return ipis + hc1.wake_noidle - hc0.wake_noidle >= k &&
    ipis >= (k < idle ? k : idle);
}

// Let the harts settle into their idle loops: sleep n ticks, then spin a
// few milliseconds, so that what else woke at that tick (the watchdog,
// the poll-mode net thread) is done and asleep again.
static void
settle_harts(int n)
{
  uint64 t0;

  sleep(n);
  t0 = nsecs();
  while(nsecs() - t0 < 3000000ULL)
    ;
}

// A child for wakeidle: block reading go until the parent writes a byte
// (exit 0) or kills it or exits. Reads the counters into hc1 as soon as
// fork returns, then returns once the child is about to block.
static int
blockedchild(int ready[2], int go[2])
{
  int pid = xfork();
  char c;

  if(pid > 0)
    hartcounts(&hc1);
  if(pid == 0){
    close(ready[0]);
    close(go[1]);   // so that the parent's exit ends the read too
    CHECK(write(ready[1], "r", 1) == 1, "write ready failed");
    exit(read(go[0], &c, 1) == 1 ? 0 : 1);
  }
  CHECK(read(ready[0], &c, 1) == 1, "read ready failed");
  return pid;
}

// One try of each way to make a process runnable, each measured alone
// after the harts settled (the parent sleeps; children sleep on go):
// fork, kill of a sleeper, one wakeup of two sleepers. Sets got[i] if
// way i handed out as many idle harts as it should have.
static void
wakeonce(int idle, int ready[2], int go[2], int got[3])
{
  int pid[2];

  settle_harts(1);
  hartcounts(&hc0);
  pid[0] = blockedchild(ready, go);
  got[0] |= woken(1, idle);
  settle_harts(2);
  hartcounts(&hc0);
  CHECK(kill(pid[0]) == 0, "kill failed");
  hartcounts(&hc1);
  got[1] |= woken(1, idle);
  CHECK(xwait(pid[0]) == -1, "killed child's status is not -1");

  pid[0] = blockedchild(ready, go);
  pid[1] = blockedchild(ready, go);
  settle_harts(2);
  hartcounts(&hc0);
  CHECK(write(go[1], "gg", 2) == 2, "write go failed");   // one wakeup, two sleepers
  hartcounts(&hc1);
  got[2] |= woken(2, idle);
  for(int i = 0; i < 2; i++){
    int status = -1, w = wait(&status);
    CHECK((w == pid[0] || w == pid[1]) && status == 0, "a child did not get its byte");
  }
}

// Every way a process becomes runnable looks for an idle hart, one per
// process (NOTES.md "IPIs"): fork, kill, one wakeup of two sleepers. Every
// hart but the caller's idles at each step, except one the net thread may
// spin on in poll mode. On a loaded host a hart's vCPU may not have run
// since an earlier claim, so each way gets up to ten tries; before the fix
// for each way (fork, kill, more than one IPI per wakeup) every try fails.
static void
wakeidle(void)
{
  int ready[2], go[2], got[3] = { 0, 0, 0 }, idle;

  hartcounts(&hc0);
  idle = hc0.harts - 1 - (hc0.mode == NETMODE_POLL);
  CHECK(pipe(ready) == 0 && pipe(go) == 0, "pipe failed");
  for(int i = 0; i < 10 && !(got[0] && got[1] && got[2]); i++)
    wakeonce(idle, ready, go, got);
  CHECK(got[0], "fork never gave the child an idle hart");
  CHECK(got[1], "kill never gave the woken sleeper an idle hart");
  CHECK(got[2], "a wakeup of two sleepers never woke two idle harts");
  close(ready[0]);
  close(ready[1]);
  close(go[0]);
  close(go[1]);
}

// sleep(n) lasts at least about n ticks of uptime.
static void
sleeptime(void)
{
  int t0 = uptime();

  CHECK(sleep(3) == 0, "sleep failed");
  CHECK(uptime() - t0 >= 2, "sleep returned early");
  CHECK(sleep(0) == 0, "sleep(0) failed");
}

// Fork until the process table is full: fork must fail with -1 (well
// before NPROC+8 tries), every child must be reaped, and afterwards the
// free pages and the process count must be exactly as before.
static void
forkbomb(void)
{
  uint64 pages, procs;
  int p[2], n, pid = 0;
  char c;

  pages = freepages();
  procs = nprocs();
  CHECK(pipe(p) == 0, "pipe failed");
  for(n = 0; n < NPROC + 8; n++){
    if((pid = fork()) < 0)
      break;
    if(pid == 0){
      close(p[1]);
      read(p[0], &c, 1);  // returns 0 once the parent closes its end
      exit(0);
    }
  }
  CHECK(pid < 0, "fork never failed");
  close(p[0]);
  close(p[1]);
  for(; n > 0; n--)
    CHECK(wait(0) > 0, "a child went missing");
  CHECK(wait(0) == -1, "wait found an extra child");
  CHECK(settle(pages) == pages, "free pages differ after the fork bomb");
  CHECK(nprocs() == procs, "process count differs after the fork bomb");
}

// ---- memory ------------------------------------------------------------------

// Check that bytes [from, to) are all zero.
static int
allzero(char *from, char *to)
{
  for(; from < to; from++){
    if(*from != 0)
      return 0;
  }
  return 1;
}

// sbrk grows and shrinks the heap; new pages are zeroed, also after a
// shrink and regrow.
static void
sbrkgrow(void)
{
  char *a, *p, *fresh;
  int i;

  a = sbrk(0);
  fresh = (char*)PGROUNDUP((uint64)a);
  p = sbrk(3*PGSIZE);
  CHECK(p == a, "sbrk did not return the old break");
  CHECK(sbrk(0) == a + 3*PGSIZE, "break did not move");
  CHECK(allzero(fresh, a + 3*PGSIZE), "new memory is not zeroed");
  memset(p, 0xab, 3*PGSIZE);
  CHECK(sbrk(-3*PGSIZE) == a + 3*PGSIZE, "shrinking sbrk failed");
  CHECK(sbrk(0) == a, "break did not come back");
  CHECK(sbrk(3*PGSIZE) == a, "regrowing sbrk failed");
  CHECK(allzero(fresh, a + 3*PGSIZE), "regrown memory is not zeroed");
  for(i = 0; i < 100; i++)
    CHECK(sbrk(1) == a + 3*PGSIZE + i, "sbrk(1) steps wrong");
  CHECK(sbrk(-(3*PGSIZE + 100)) != (char*)-1, "final shrink failed");
  CHECK(sbrk(0) == a, "break wrong after final shrink");
}

// An sbrk far larger than memory returns -1 and leaves the process
// intact; once the process has exited, no page is missing. (Page-table
// pages a failed sbrk allocated may stay with the process until it exits.)
static void
sbrkhuge(void)
{
  uint64 pages;
  char *a;
  int pid;

  pages = freepages();
  pid = xfork();
  if(pid == 0){
    a = sbrk(0);
    CHECK(sbrk(0x40000000) == (char*)-1, "sbrk(1 GB) did not fail");
    CHECK(sbrk(0) == a, "failed sbrk moved the break");
    CHECK(sbrk(PGSIZE) == a, "sbrk after failure broken");
    memset(a, 1, PGSIZE);
    exit(0);
  }
  CHECK(xwait(pid) == 0, "child failed");
  CHECK(settle(pages) == pages, "failed sbrk leaked pages");
  // shrinking below zero must not hurt the kernel; the child may die
  pid = xfork();
  if(pid == 0){
    sbrk(-0x7fffffff);
    exit(0);
  }
  xwait(pid);
  CHECK(settle(pages) == pages, "sbrk below zero leaked pages");
}

// Loads, stores and jumps outside the address space kill the process:
// past the break, the kernel's RAM, devices and stacks (mapped in every
// process's table with KMAP=shared, but not for the user), the trap frame
// and trampoline, and outside Sv39.
static void
sbrkpast(void)
{
  uint64 top = PGROUNDUP((uint64)sbrk(0));
  uint64 bad[] = { top, top + 64*PGSIZE, KERNBASE, KERNBASE + 0x100000,
                   PHYSTOP - 8, KDEV(UART0), KDEV(E1000_BAR0), DEVBASE,
                   KSTACK(0), KSTACK(1) + PGSIZE - 8, KSTACKTOP - 8,
                   TRAPFRAME, TRAMPOLINE, MAXVA - 8,
                   0xffffffffffffULL, 0xfffffffffffffff0ULL };
  int i;

  for(i = 0; i < NELEM(bad); i++){
    if(!faults(bad[i], 0) || !faults(bad[i], 1) || !jumpfaults(bad[i])){
      printf("  %s: access to %p did not kill\n", testname, (void*)bad[i]);
      exit(1);
    }
  }
}

// The guard page below the user stack (USERSTACK pages) is not accessible.
static void
stackguard(void)
{
  uint64 bottom = stacktop - USERSTACK*PGSIZE;

  CHECK(faults(bottom - 8, 0), "read below the stack did not kill");
  CHECK(faults(bottom - PGSIZE, 1), "write below the stack did not kill");
}

// Memory given back with sbrk(-n) is really gone.
static void
sbrkfreed(void)
{
  char *p;

  p = toppage();
  CHECK(sbrk(3*PGSIZE) == p + PGSIZE, "sbrk failed");
  memset(p, 7, 4*PGSIZE);
  CHECK(sbrk(-4*PGSIZE) == p + 4*PGSIZE, "shrinking failed");
  CHECK(faults((uint64)p, 0), "read of freed memory did not kill");
  CHECK(faults((uint64)p + 3*PGSIZE + 100, 1), "write to freed memory did not kill");
}

// Big and many malloc blocks: contents stay intact and freed memory is
// reused.
static void
bigmalloc(void)
{
  static char *blocks[300];
  char *p, *brk;
  int i, n;

  p = malloc(4 << 20);
  CHECK(p != 0, "malloc(4 MB) failed");
  for(i = 0; i < (4 << 20); i += PGSIZE)
    p[i] = i >> 12;
  for(i = 0; i < (4 << 20); i += PGSIZE)
    CHECK(p[i] == (char)(i >> 12), "big block corrupted");
  free(p);
  brk = sbrk(0);
  p = malloc(3 << 20);
  CHECK(p != 0 && sbrk(0) == brk, "freed memory was not reused");
  free(p);
  for(i = 0; i < NELEM(blocks); i++){
    n = (i * 37) % 500 + 1;
    CHECK((blocks[i] = malloc(n)) != 0, "small malloc failed");
    memset(blocks[i], i, n);
  }
  for(i = 0; i < NELEM(blocks); i += 2)
    free(blocks[i]);
  for(i = 0; i < NELEM(blocks); i += 2)
    CHECK((blocks[i] = malloc(40)) != 0, "malloc after free failed");
  for(i = 1; i < NELEM(blocks); i += 2){
    n = (i * 37) % 500 + 1;
    CHECK(blocks[i][0] == (char)i && blocks[i][n-1] == (char)i,
          "malloc block overwritten");
  }
  for(i = 0; i < NELEM(blocks); i++)
    free(blocks[i]);
}

// malloc until memory runs out: malloc must return 0 (not crash), and
// the memory must be usable and reusable.
static void
mallocall(void)
{
  char **head = 0, **p;
  int n = 0;

  while((p = malloc(64*1024)) != 0){
    p[0] = (char*)head;
    p[PGSIZE] = (char*)p;  // touch a later page too
    head = p;
    n++;
  }
  CHECK(n >= 128, "could not malloc even 8 MB");
  while(head){
    p = (char**)head[0];
    free(head);
    head = p;
  }
  CHECK(malloc(64*1024) != 0, "malloc after freeing everything failed");
}

// ---- pipes -------------------------------------------------------------------

// A writer's byte sequence arrives complete and in order, whatever sizes
// the two sides use.
static void
pipedata(void)
{
  enum { TOTAL = 20000 };
  int p[2], pid, n, k, i, got;
  uchar seq;

  CHECK(pipe(p) == 0, "pipe failed");
  pid = xfork();
  if(pid == 0){
    close(p[0]);
    for(seq = 0, n = 0; n < TOTAL; n += k){
      k = 1 + (n * 13) % 700;
      if(k > TOTAL - n)
        k = TOTAL - n;
      for(i = 0; i < k; i++)
        buf[i] = seq++;
      CHECK(write(p[1], buf, k) == k, "short pipe write");
    }
    exit(0);
  }
  close(p[1]);
  seq = 0;
  got = 0;
  while((n = read(p[0], buf, 1 + got % 900)) > 0){
    for(i = 0; i < n; i++)
      CHECK((uchar)buf[i] == seq++, "pipe data out of order or corrupted");
    got += n;
  }
  CHECK(n == 0, "pipe read failed");
  CHECK(got == TOTAL, "wrong number of bytes through the pipe");
  CHECK(xwait(pid) == 0, "writer failed");
  close(p[0]);
}

// Several writers share one pipe: every byte of each arrives.
static void
pipewriters(void)
{
  enum { NW = 4, EACH = 3000, CHUNK = 100 };
  int p[2], counts[NW], i, n, w;

  CHECK(pipe(p) == 0, "pipe failed");
  for(w = 0; w < NW; w++){
    if(xfork() == 0){
      close(p[0]);
      memset(buf, 'A' + w, CHUNK);
      for(i = 0; i < EACH; i += CHUNK)
        CHECK(write(p[1], buf, CHUNK) == CHUNK, "short pipe write");
      exit(0);
    }
  }
  close(p[1]);
  memset(counts, 0, sizeof(counts));
  while((n = read(p[0], buf, 333)) > 0){
    for(i = 0; i < n; i++){
      w = buf[i] - 'A';
      CHECK(w >= 0 && w < NW, "a byte nobody wrote");
      counts[w]++;
    }
  }
  for(w = 0; w < NW; w++){
    CHECK(wait(&n) > 0 && n == 0, "a writer failed");
    CHECK(counts[w] == EACH, "bytes lost or duplicated");
  }
  close(p[0]);
}

// Once the write end is closed, reads drain the data and then return 0.
static void
pipeeof(void)
{
  int p[2];

  CHECK(pipe(p) == 0, "pipe failed");
  CHECK(write(p[1], "abc", 3) == 3, "pipe write failed");
  CHECK(close(p[1]) == 0, "close failed");
  CHECK(close(p[1]) == -1, "second close did not fail");
  CHECK(read(p[0], buf, sizeof(buf)) == 3, "data lost at close");
  CHECK(read(p[0], buf, sizeof(buf)) == 0, "no end of file");
  CHECK(read(p[0], buf, sizeof(buf)) == 0, "no end of file (again)");
  close(p[0]);
}

// Writing with no reader returns -1, also for a writer that was blocked on
// a full pipe when the last reader went away.
static void
pipenoreader(void)
{
  int p[2], pid;

  CHECK(pipe(p) == 0, "pipe failed");
  close(p[0]);
  CHECK(write(p[1], "x", 1) == -1, "write without reader did not fail");
  close(p[1]);

  CHECK(pipe(p) == 0, "pipe failed");
  pid = xfork();
  if(pid == 0){
    close(p[0]);
    exit(write(p[1], buf, sizeof(buf)) == sizeof(buf));  // fills and blocks
  }
  close(p[1]);
  sleep(3);
  CHECK(read(p[0], buf, 10) == 10, "read failed");
  close(p[0]);
  CHECK(xwait(pid) == 0, "blocked write succeeded with no reader");
}

// pipe() fails cleanly when the descriptor table is full, without leaking
// descriptors or file structures (repeated past NFILE).
static void
pipefds(void)
{
  static int fds[NOFILE][2];
  int round, n, i, spare, fd;

  for(round = 0; round < 10; round++){
    for(n = 0; n < NOFILE && pipe(fds[n]) == 0; n++)
      ;
    CHECK(n >= 2 && n < NOFILE, "pipe never failed");
    // 0, 1 and 2 are open: what pipes did not take is left over
    spare = NOFILE - 3 - 2*n;
    CHECK(spare == 0 || spare == 1, "pipe failed too early");
    fd = dup(0);
    CHECK(spare ? fd == NOFILE - 1 : fd == -1, "failed pipe leaked a descriptor");
    if(fd >= 0)
      close(fd);
    for(i = 0; i < n; i++){
      close(fds[i][0]);
      close(fds[i][1]);
    }
  }
}

// ---- file system ---------------------------------------------------------------

// Create, write, reopen, fstat, read back and unlink a file.
static void
fileio(void)
{
  static char back[3000];
  struct stat st;
  int fd, i, n, got;

  for(i = 0; i < sizeof(back); i++)
    buf[i] = i * 7;
  unlink("fio");
  fd = open("fio", O_CREATE|O_RDWR);
  CHECK(fd >= 0, "create failed");
  for(i = 0; i < 3; i++)
    CHECK(write(fd, buf + i*1000, 1000) == 1000, "write failed");
  close(fd);
  fd = open("fio", O_RDONLY);
  CHECK(fd >= 0, "reopen failed");
  CHECK(fstat(fd, &st) == 0, "fstat failed");
  CHECK(st.type == T_FILE && st.nlink == 1 && st.size == 3000, "wrong fstat");
  for(got = 0; (n = read(fd, back + got, 700)) > 0; got += n)
    ;
  CHECK(n == 0 && got == 3000, "read back the wrong length");
  CHECK(memcmp(buf, back, 3000) == 0, "read back different data");
  close(fd);
  CHECK(unlink("fio") == 0, "unlink failed");
  CHECK(open("fio", O_RDONLY) == -1, "file still there after unlink");
  CHECK(unlink("fio") == -1, "second unlink did not fail");
}

// Fill a file to MAXFILE blocks (through the indirect block), check that
// it cannot grow further, and read every block back.
static void
bigfile(void)
{
  enum { PER = 4 };  // blocks per write
  struct stat st;
  int fd, b, i;

  unlink("bigf");
  fd = open("bigf", O_CREATE|O_RDWR);
  CHECK(fd >= 0, "create failed");
  for(b = 0; b < MAXFILE; b += PER){
    for(i = 0; i < PER; i++){
      memset(buf + i*BSIZE, b + i, BSIZE);
      *(int*)(buf + i*BSIZE) = b + i;
    }
    CHECK(write(fd, buf, PER*BSIZE) == PER*BSIZE, "write failed before MAXFILE");
  }
  CHECK(fstat(fd, &st) == 0 && st.size == MAXFILE*BSIZE, "wrong size");
  CHECK(write(fd, "x", 1) <= 0, "write past MAXFILE succeeded");
  CHECK(fstat(fd, &st) == 0 && st.size == MAXFILE*BSIZE, "size changed");
  close(fd);
  fd = open("bigf", O_RDONLY);
  CHECK(fd >= 0, "reopen failed");
  for(b = 0; b < MAXFILE; b++){
    CHECK(read(fd, buf, BSIZE) == BSIZE, "short read");
    CHECK(*(int*)buf == b && buf[BSIZE-1] == (char)b, "wrong block contents");
  }
  CHECK(read(fd, buf, BSIZE) == 0, "data past MAXFILE");
  close(fd);
  CHECK(unlink("bigf") == 0, "unlink failed");
}

// Name of file i in a test: prefix followed by two digits.
static char*
numname(char *prefix, int i)
{
  static char name[16];
  int n = strlen(prefix);

  strcpy(name, prefix);
  name[n] = '0' + (i / 10) % 10;
  name[n+1] = '0' + i % 10;
  name[n+2] = 0;
  return name;
}

// Count the used entries of the directory dir.
static int
countentries(char *dir)
{
  struct dirent de;
  int fd, n = 0;

  fd = open(dir, O_RDONLY);
  CHECK(fd >= 0, "cannot open directory");
  while(read(fd, &de, sizeof(de)) == sizeof(de)){
    if(de.inum != 0)
      n++;
  }
  close(fd);
  return n;
}

// Many files in one directory.
static void
manyfiles(void)
{
  enum { N = 60 };
  int i, fd;

  mkdir("mfdir");
  CHECK(chdir("mfdir") == 0, "chdir failed");
  for(i = 0; i < N; i++){
    fd = open(numname("f", i), O_CREATE|O_RDWR);
    CHECK(fd >= 0, "create failed");
    CHECK(write(fd, &i, sizeof(i)) == sizeof(i), "write failed");
    close(fd);
  }
  CHECK(countentries(".") == N + 2, "wrong number of entries");
  for(i = 0; i < N; i++){
    CHECK(slurp(numname("f", i), buf, 100) == sizeof(i), "wrong file size");
    CHECK(*(int*)buf == i, "wrong file contents");
    CHECK(unlink(numname("f", i)) == 0, "unlink failed");
  }
  CHECK(countentries(".") == 2, "entries left after unlink");
  CHECK(chdir("..") == 0, "chdir .. failed");
  CHECK(unlink("mfdir") == 0, "cannot remove the empty directory");
}

// mkdir, chdir and "..", and what may not be removed or created.
static void
dirs(void)
{
  struct stat st;
  int fd;

  unlink("dd/sub");  // left over from a failed run?
  unlink("dd/ff");
  unlink("dd");
  CHECK(mkdir("dd") == 0, "mkdir failed");
  CHECK(mkdir("dd") == -1, "mkdir of an existing name succeeded");
  CHECK(chdir("dd") == 0, "chdir failed");
  mkfile("ff", "hello", 5);
  CHECK(mkdir("sub") == 0, "mkdir sub failed");
  CHECK(chdir("sub") == 0 && chdir("../..") == 0, "chdir ../.. failed");
  CHECK(slurp("dd/sub/../ff", buf, 100) == 5, "path through .. failed");
  fd = open("dd", O_RDONLY);
  CHECK(fd >= 0 && fstat(fd, &st) == 0 && st.type == T_DIR, "dd not a directory");
  close(fd);
  CHECK(unlink("dd") == -1, "unlinked a non-empty directory");
  CHECK(unlink("dd/.") == -1, "unlinked .");
  CHECK(unlink("dd/..") == -1, "unlinked ..");
  CHECK(chdir("dd/ff") == -1, "chdir into a file");
  CHECK(mkdir("dd/ff/x") == -1, "mkdir below a file");
  CHECK(open("dd/ff/x", O_CREATE|O_RDWR) == -1, "created a file below a file");
  CHECK(open("dd/nosuch/x", O_CREATE|O_RDWR) == -1, "created below a missing dir");
  CHECK(unlink("dd/sub") == 0 && unlink("dd/ff") == 0, "cleanup unlink failed");
  CHECK(unlink("dd") == 0, "cannot remove the empty directory");
  CHECK(chdir("dd") == -1, "chdir to a removed directory");
}

// Renaming by link + unlink, and what link refuses.
static void
renametest(void)
{
  struct stat st;

  unlink("ra");
  unlink("rb");
  mkfile("ra", "hello", 5);
  CHECK(link("ra", "rb") == 0, "link failed");
  CHECK(stat("rb", &st) == 0 && st.nlink == 2, "nlink is not 2");
  CHECK(unlink("ra") == 0, "unlink of the old name failed");
  CHECK(open("ra", O_RDONLY) == -1, "old name still there");
  CHECK(slurp("rb", buf, 100) == 5 && memcmp(buf, "hello", 5) == 0,
        "contents lost");
  CHECK(stat("rb", &st) == 0 && st.nlink == 1, "nlink is not 1");
  CHECK(link("rb", "rb") == -1, "link onto an existing name");
  CHECK(link("nosuch", "rc") == -1, "link of a missing file");
  CHECK(link(".", "rdir") == -1, "link of a directory");
  CHECK(link("rb", "nosuch/rc") == -1, "link into a missing directory");
  CHECK(unlink("rb") == 0, "unlink failed");
}

// An unlinked file stays usable through descriptors still open on it.
static void
unlinkopen(void)
{
  struct stat st;
  int fd, fd2;

  unlink("uo");
  fd = open("uo", O_CREATE|O_RDWR);
  CHECK(fd >= 0, "create failed");
  CHECK(write(fd, "abc", 3) == 3, "write failed");
  fd2 = open("uo", O_RDONLY);
  CHECK(fd2 >= 0, "second open failed");
  CHECK(unlink("uo") == 0, "unlink failed");
  CHECK(open("uo", O_RDONLY) == -1, "name still there");
  CHECK(write(fd, "def", 3) == 3, "write after unlink failed");
  CHECK(fstat(fd, &st) == 0 && st.nlink == 0 && st.size == 6, "wrong fstat");
  CHECK(read(fd2, buf, 100) == 6 && memcmp(buf, "abcdef", 6) == 0,
        "read after unlink failed");
  close(fd);
  close(fd2);
  CHECK(open("uo", O_RDONLY) == -1, "file came back");
}

// sbrklazy moves the break without allocating; pages appear, zeroed, on
// first touch, from user code and from system calls alike, and fork
// copies only what was touched.
static void
lazysbrk(void)
{
  enum { NPAGES = 256 };
  struct sysinfo before, after;
  char *p;
  int fd, pid, xs;

  CHECK(sysinfo(&before) == 0, "sysinfo failed");
  p = sbrklazy(NPAGES * PGSIZE);
  CHECK(p != SBRK_ERROR, "sbrklazy failed");
  CHECK(sysinfo(&after) == 0 && before.freepages - after.freepages < 8,
        "sbrklazy allocated its pages at once");
  for(int i = 0; i < NPAGES; i += 16){
    CHECK(p[i * PGSIZE + 7] == 0, "a lazy page was not zeroed");
    p[i * PGSIZE + 7] = i;
  }
  // read() into a page nobody touched yet.
  fd = open("README.md", O_RDONLY);
  CHECK(fd >= 0, "open README.md failed");
  CHECK(read(fd, p + 5 * PGSIZE, 10) == 10, "read into a lazy page failed");
  close(fd);
  pid = xfork();
  if(pid == 0){
    for(int i = 0; i < NPAGES; i += 16)
      if(p[i * PGSIZE + 7] != (char)i)
        exit(1);
    exit(p[3 * PGSIZE] == 0 ? 0 : 1);
  }
  CHECK(wait(&xs) == pid && xs == 0, "the child saw the wrong lazy memory");
  CHECK(sbrk(-(NPAGES * PGSIZE)) != SBRK_ERROR, "shrinking failed");
}

// A write whose buffer runs off the end of the address space fails; the
// bytes copied before the fault may stay written, but the cache and the
// disk must agree: the file reads the same after its block left the cache.
static void
partialwrite(void)
{
  char *top, *p, before[64];
  int fd;

  unlink("pw");
  fd = open("pw", O_CREATE|O_RDWR);
  CHECK(fd >= 0, "create failed");
  memset(buf, 'X', 512);
  CHECK(write(fd, buf, 512) == 512, "first write failed");
  close(fd);

  // Move the break to a page boundary: the last 16 bytes below it are
  // ours, the rest of the write would come from the unmapped page above.
  top = sbrk(0);
  CHECK(sbrk(PGROUNDUP((uint64)top) - (uint64)top) != (char*)-1, "sbrk failed");
  top = sbrk(0);
  p = top - 16;
  memset(p, 'A', 16);
  fd = open("pw", O_RDWR);
  CHECK(fd >= 0, "open failed");
  CHECK(write(fd, p, 64) == -1, "write from a half-mapped buffer did not fail");
  close(fd);

  fd = open("pw", O_RDONLY);
  CHECK(fd >= 0 && read(fd, before, 64) == 64, "read before the flush failed");
  close(fd);

  // Push the file's block out of the cache by writing many others.
  fd = open("pwfill", O_CREATE|O_RDWR);
  CHECK(fd >= 0, "create pwfill failed");
  for(int i = 0; i < 2*NBUF; i++)
    CHECK(write(fd, buf, BSIZE) == BSIZE, "fill write failed");
  close(fd);
  unlink("pwfill");

  fd = open("pw", O_RDONLY);
  CHECK(fd >= 0 && read(fd, buf, 512) == 512, "read back failed");
  CHECK(memcmp(buf, before, 64) == 0, "the cache and the disk disagree");
  for(int i = 64; i < 512; i++)
    CHECK(buf[i] == 'X', "a write changed bytes it was not given");
  close(fd);
  unlink("pw");
}

// A process whose working directory was removed (and its parent too) can
// no longer look names up there, and the kernel does not fall over.
static void
removedcwd(void)
{
  unlink("/rc1/rc2");
  unlink("/rc1");
  CHECK(mkdir("/rc1") == 0 && mkdir("/rc1/rc2") == 0, "mkdir failed");
  CHECK(chdir("/rc1/rc2") == 0, "chdir failed");
  CHECK(unlink("/rc1/rc2") == 0, "unlink of the cwd failed");
  CHECK(unlink("/rc1") == 0, "unlink of the cwd's parent failed");
  CHECK(open("..", O_RDONLY) == -1, "opened .. of a removed directory");
  CHECK(open("new", O_CREATE|O_RDWR) == -1, "created a file in a removed directory");
  CHECK(chdir("/") == 0, "chdir / failed");
}

// Processes create and delete the same names in one directory at once;
// afterwards every surviving file is intact and the directory can be
// emptied and removed.
static void
concreate(void)
{
  enum { NP = 4, NNAMES = 10, ROUNDS = 30 };
  struct stat st;
  char *name;
  int k, i, fd, status;

  for(i = 0; i < NNAMES; i++)  // left over from a failed run?
    unlink(numname("ccdir/cc", i));
  unlink("ccdir");
  CHECK(mkdir("ccdir") == 0 && chdir("ccdir") == 0, "cannot make ccdir");
  for(k = 0; k < NP; k++){
    if(xfork() > 0)
      continue;
    for(i = 0; i < ROUNDS; i++){
      name = numname("cc", (i * 7 + k * 3) % NNAMES);
      if((i + k) % 3 == 2){
        unlink(name);
      } else if((fd = open(name, O_CREATE|O_RDWR)) >= 0){
        write(fd, name, 4);
        close(fd);
      }
    }
    exit(0);
  }
  for(k = 0; k < NP; k++)
    CHECK(wait(&status) > 0 && status == 0, "a child failed");
  for(i = 0; i < NNAMES; i++){
    name = numname("cc", i);
    if(stat(name, &st) < 0)
      continue;
    CHECK(slurp(name, buf, 100) == 4 && memcmp(buf, name, 4) == 0,
          "file contents damaged");
    CHECK(unlink(name) == 0, "unlink failed");
  }
  CHECK(countentries(".") == 2, "directory not empty");
  CHECK(chdir("..") == 0 && unlink("ccdir") == 0, "cannot remove ccdir");
}

// dup'd and inherited descriptors share one offset.
static void
dupoffset(void)
{
  int fd, fd2, pid;

  fd = open("dupf", O_CREATE|O_TRUNC|O_RDWR);
  CHECK(fd >= 0, "create failed");
  fd2 = dup(fd);
  CHECK(fd2 > fd, "dup failed");
  CHECK(write(fd, "ab", 2) == 2 && write(fd2, "cd", 2) == 2, "write failed");
  close(fd);
  CHECK(write(fd2, "ef", 2) == 2, "write through dup after close failed");
  pid = xfork();
  if(pid == 0){
    CHECK(write(fd2, "gh", 2) == 2, "write in the child failed");
    exit(0);
  }
  CHECK(xwait(pid) == 0, "child failed");
  CHECK(write(fd2, "ij", 2) == 2, "write after the child failed");
  close(fd2);
  CHECK(slurp("dupf", buf, 100) == 10 && memcmp(buf, "abcdefghij", 10) == 0,
        "offsets not shared");
  CHECK(unlink("dupf") == 0, "unlink failed");
}

// O_TRUNC empties a file, also under a reader's open descriptor.
static void
truncate(void)
{
  struct stat st;
  int fd, fd2;

  memset(buf, 'a', 3000);
  mkfile("trf", buf, 3000);
  fd = open("trf", O_WRONLY|O_TRUNC);
  CHECK(fd >= 0, "open O_TRUNC failed");
  CHECK(fstat(fd, &st) == 0 && st.size == 0, "not truncated");
  CHECK(write(fd, "ab", 2) == 2, "write failed");
  close(fd);
  CHECK(slurp("trf", buf, 100) == 2 && memcmp(buf, "ab", 2) == 0, "wrong contents");
  fd = open("trf", O_RDONLY);
  fd2 = open("trf", O_WRONLY|O_TRUNC);
  CHECK(fd >= 0 && fd2 >= 0, "open failed");
  CHECK(read(fd, buf, 100) == 0, "read data from a truncated file");
  CHECK(write(fd2, "xyz", 3) == 3, "write failed");
  CHECK(read(fd, buf, 100) == 3 && memcmp(buf, "xyz", 3) == 0, "reader sees wrong data");
  close(fd);
  close(fd2);
  CHECK(unlink("trf") == 0, "unlink failed");
}

// Directories cannot be opened for writing.
static void
opendir(void)
{
  int fd;

  CHECK(open(".", O_WRONLY) == -1, "opened . for writing");
  CHECK(open(".", O_RDWR) == -1, "opened . read-write");
  CHECK(open(".", O_CREATE|O_RDWR) == -1, "O_CREATE opened .");
  CHECK(open("/", O_WRONLY|O_TRUNC) == -1, "truncated /");
  fd = open(".", O_RDONLY);
  CHECK(fd >= 0, "cannot open . for reading");
  CHECK(write(fd, "x", 1) == -1, "wrote to a directory");
  close(fd);
}

// Path names: too long fails, DIRSIZ-long names and long-but-legal paths
// work, and a name running off the end of memory fails.
static void
pathlen(void)
{
  static char path[MAXPATH + 32];
  char *p;
  int i, fd;

  memset(path, 'a', MAXPATH + 20);
  path[MAXPATH + 20] = 0;
  CHECK(open(path, O_CREATE|O_RDWR) == -1, "path longer than MAXPATH accepted");
  CHECK(open("aaaaaaaaaaaaaa", O_RDONLY) == -1, "long path created a file");
  mkfile("abcdefghijklmn", "x", 1);  // exactly DIRSIZ characters
  CHECK(slurp("abcdefghijklmn", buf, 10) == 1, "DIRSIZ-long name failed");
  CHECK(unlink("abcdefghijklmn") == 0, "unlink failed");
  for(i = 0; i < MAXPATH - 20; i += 2)
    memmove(path + i, "./", 2);
  strcpy(path + i, "plong");
  fd = open(path, O_CREATE|O_RDWR);
  CHECK(fd >= 0, "long legal path failed");
  close(fd);
  CHECK(unlink("plong") == 0, "long path made the wrong file");
  p = toppage();
  memset(p, 'b', PGSIZE);
  CHECK(open(p + PGSIZE - 10, O_CREATE|O_RDWR) == -1, "unterminated path accepted");
  CHECK(open(p, O_RDONLY) == -1, "page-long unterminated path accepted");
}

// ---- bad arguments -------------------------------------------------------------

// Addresses no system call may read or write for a user: beyond the
// heap, in the kernel, in the trampoline and trap frame (mapped, but not
// for the user), at and past MAXVA, and outside Sv39.
static uint64 badaddrs[] = {
  KERNBASE, KERNBASE + 0x10000, PHYSTOP - 64, KDEV(UART0), KSTACK(0),
  KSTACKTOP - 64, TRAPFRAME, TRAMPOLINE,
  MAXVA - 1, MAXVA, 0xffffffffffffULL, 0xfffffffffffffff0ULL,
  0,  // replaced with the first page above the heap
};

static int nwrong;  // calls that did not return -1, seen by expectfail

// Report it if r, what call returned for argument a, is not -1. The test
// goes on, to show every wrong call, and fails at the end (nwrong).
static void
expectfail(int r, char *call, uint64 a)
{
  if(r != -1){
    printf("  %s: %s with argument %p returned %d\n", testname, call, (void*)a, r);
    nwrong++;
  }
}

// Every call that takes a pointer, given bad address a. fd is an open
// file with some contents.
static void
badptr1(uint64 a, int fd)
{
  char *p = (char*)a;
  int pid;

  expectfail(read(fd, p, 10), "read", a);
  expectfail(write(fd, p, 10), "write", a);
  expectfail(fstat(fd, (struct stat*)p), "fstat", a);
  expectfail(open(p, O_RDONLY), "open", a);
  expectfail(open(p, O_CREATE|O_RDWR), "open O_CREATE", a);
  expectfail(unlink(p), "unlink", a);
  expectfail(mkdir(p), "mkdir", a);
  expectfail(mknod(p, 1, 0), "mknod", a);
  expectfail(chdir(p), "chdir", a);
  expectfail(link(p, "bpx"), "link from", a);
  expectfail(link("bpf", p), "link to", a);
  expectfail(pipe((int*)p), "pipe", a);
  expectfail(sysinfo((struct sysinfo*)p), "sysinfo", a);
  expectfail(netstat((struct netstat*)p), "netstat", a);
  pid = xfork();
  if(pid == 0)
    exit(0);
  sleep(1);
  expectfail(wait((int*)p), "wait", a);
  wait(0);  // the child may or may not still be there
}

// Bad pointers make system calls return -1, and neither kill the process
// nor leak descriptors.
static void
badptr(void)
{
  int i, fd;

  badaddrs[NELEM(badaddrs) - 1] = PGROUNDUP((uint64)sbrk(0));
  mkfile("bpf", "0123456789abcdefghij", 20);
  fd = open("bpf", O_RDWR);
  CHECK(fd >= 0, "open failed");
  for(i = 0; i < NELEM(badaddrs); i++)
    badptr1(badaddrs[i], fd);
  CHECK(nwrong == 0, "calls with bad addresses did not return -1");
  CHECK(dup(0) == fd + 1, "a failed call leaked a descriptor");
  CHECK(unlink("bpx") == -1, "link with a bad address made a file");
  close(fd);
  CHECK(unlink("bpf") == 0, "unlink failed");
}

// Buffers that start in valid memory but run past its end do not
// transfer their full length.
static void
badstraddle(void)
{
  char *p;
  int fd;

  p = toppage();
  memset(p, 'z', PGSIZE);
  fd = open("bsf", O_CREATE|O_TRUNC|O_RDWR);
  CHECK(fd >= 0, "create failed");
  CHECK(write(fd, p, 2*PGSIZE) < 2*PGSIZE, "write ran past the heap");
  close(fd);
  mkfile("bsf", buf, 2*PGSIZE);
  fd = open("bsf", O_RDONLY);
  CHECK(fd >= 0, "open failed");
  CHECK(read(fd, p + 100, PGSIZE) < PGSIZE, "read ran past the heap");
  close(fd);
  CHECK(unlink("bsf") == 0, "unlink failed");
}

// Negative lengths return -1; zero lengths return 0.
static void
badlen(void)
{
  int fd, p[2];

  mkfile("blf", "hello", 5);
  fd = open("blf", O_RDWR);
  CHECK(fd >= 0, "open failed");
  CHECK(read(fd, buf, -1) == -1, "read of -1 bytes");
  CHECK(read(fd, buf, -100000) == -1, "read of -100000 bytes");
  CHECK(write(fd, buf, -1) == -1, "write of -1 bytes");
  CHECK(read(fd, buf, 0) == 0 && write(fd, buf, 0) == 0, "zero length not 0");
  close(fd);
  CHECK(unlink("blf") == 0, "unlink failed");
  CHECK(pipe(p) == 0, "pipe failed");
  CHECK(write(p[1], "x", 1) == 1, "pipe write failed");  // so a read cannot block
  CHECK(write(p[1], buf, -1) == -1, "pipe write of -1 bytes");
  CHECK(read(p[0], buf, -1) == -1, "pipe read of -1 bytes");
  close(p[0]);
  close(p[1]);
}

// Bad file descriptors, and descriptors used against their mode.
static void
badfd(void)
{
  int bad[] = { -1, NOFILE, 1000, 9, 0x7fffffff, -0x7fffffff };
  struct stat st;
  int i, fd;

  for(i = 0; i < NELEM(bad); i++){
    expectfail(read(bad[i], buf, 1), "read", bad[i]);
    expectfail(write(bad[i], buf, 1), "write", bad[i]);
    expectfail(fstat(bad[i], &st), "fstat", bad[i]);
    expectfail(dup(bad[i]), "dup", bad[i]);
    expectfail(close(bad[i]), "close", bad[i]);
  }
  CHECK(nwrong == 0, "calls with bad descriptors did not return -1");
  mkfile("bff", "abc", 3);
  fd = open("bff", O_RDONLY);
  CHECK(fd >= 0 && write(fd, "x", 1) == -1, "wrote to a read-only fd");
  close(fd);
  fd = open("bff", O_WRONLY);
  CHECK(fd >= 0 && read(fd, buf, 1) == -1, "read from a write-only fd");
  close(fd);
  CHECK(read(fd, buf, 1) == -1, "read from a closed fd");
  CHECK(unlink("bff") == 0, "unlink failed");
  CHECK(kill(-1) == -1 && kill(100000) == -1, "kill of a bad pid");
}

// exec arguments that run off the end of memory or do not fit on the stack.
static void
badexecmem(void)
{
  static char big[1000];
  static char *bigargv[MAXARG];
  char *args[3], **argv, *p;
  int i, n;

  // an argument string with no terminator before the end of the heap
  p = toppage();
  memset(p, 'a', PGSIZE);
  args[0] = "echo";
  args[1] = p + PGSIZE - 5;
  args[2] = 0;
  CHECK(execfails("echo", args), "exec with an unterminated argument");
  // an argv array with no 0 before the end of the heap
  p = toppage();
  argv = (char**)(p + PGSIZE - 4*sizeof(char*));
  for(i = 0; i < 4; i++)
    argv[i] = "echo";
  CHECK(execfails("echo", argv), "exec with argv running off the heap");
  // arguments bigger than the user stack
  memset(big, 'b', sizeof(big) - 1);
  n = USERSTACK*PGSIZE / sizeof(big) + 2;
  CHECK(n < MAXARG, "USERSTACK too big for this test");
  bigargv[0] = "echo";
  for(i = 1; i <= n; i++)
    bigargv[i] = big;
  bigargv[i] = 0;
  CHECK(execfails("echo", bigargv), "exec with arguments larger than the stack");
}

// ---- exec ----------------------------------------------------------------------

// Run echo with argv, its output going to file eout; returns the status.
static int
runecho(char **argv)
{
  int pid;

  pid = xfork();
  if(pid == 0){
    close(1);
    if(open("eout", O_CREATE|O_TRUNC|O_WRONLY) != 1)
      exit(90);
    exec("echo", argv);
    exit(91);
  }
  return xwait(pid);
}

// exec runs a program with its arguments, up to MAXARG-1 of them.
static void
execok(void)
{
  static char *argv[MAXARG];
  static char want[2*MAXARG];
  char *hello[] = { "echo", "hello", "world", 0 };
  int i, n;

  CHECK(runecho(hello) == 0, "exec echo failed");
  CHECK(slurp("eout", buf, 100) == 12 && memcmp(buf, "hello world\n", 12) == 0,
        "echo printed the wrong thing");
  argv[0] = "echo";
  for(i = 1; i < MAXARG - 1; i++){
    argv[i] = "x";
    memmove(want + 2*(i-1), i < MAXARG - 2 ? "x " : "x\n", 2);
  }
  argv[i] = 0;
  n = 2*(MAXARG - 2);
  CHECK(runecho(argv) == 0, "exec with MAXARG-1 arguments failed");
  CHECK(slurp("eout", buf, sizeof(buf)) == n && memcmp(buf, want, n) == 0,
        "arguments arrived wrong");
  CHECK(unlink("eout") == 0, "unlink failed");
}

// exec fails with -1 and leaves the caller running when the program, the
// path or the arguments are bad.
static void
badexec(void)
{
  static char *argv[MAXARG + 10];
  char *ok[] = { "echo", "x", 0 };
  int i;

  mkfile("notelf", "#!/bin/sh\necho this is no ELF file\n", 35);
  mkfile("empty", "", 0);
  CHECK(execfails("nosuchprogram", ok), "exec of a missing file");
  CHECK(execfails("notelf", ok), "exec of a text file");
  CHECK(execfails("empty", ok), "exec of an empty file");
  CHECK(execfails(".", ok), "exec of a directory");
  unlink("notelf");
  unlink("empty");
  for(i = 0; i < NELEM(badaddrs) - 1; i++){
    CHECK(execfails((char*)badaddrs[i], ok), "exec with a bad path pointer");
    CHECK(execfails("echo", (char**)badaddrs[i]), "exec with a bad argv pointer");
    argv[0] = "echo";
    argv[1] = (char*)badaddrs[i];
    argv[2] = 0;
    CHECK(execfails("echo", argv), "exec with a bad argument pointer");
  }
  for(i = 0; i < MAXARG + 1; i++)
    argv[i] = "echo";
  argv[i] = 0;
  CHECK(execfails("echo", argv), "exec with MAXARG+1 arguments");
  for(i = 0; i < NELEM(argv); i++)
    argv[i] = "echo";
  CHECK(execfails("echo", argv), "exec with an unterminated argv");
  badexecmem();
}

// One way to spoil an ELF file: a name and a change to a good header.
struct elfcase {
  char *what;
  void (*spoil)(struct elfhdr *eh, struct proghdr *ph, int *len);
};

static void
badmagic(struct elfhdr *eh, struct proghdr *ph, int *len)
{
  eh->magic = 0x12345678;
}

static void
shortfile(struct elfhdr *eh, struct proghdr *ph, int *len)
{
  *len = 20;
}

static void
phoffpast(struct elfhdr *eh, struct proghdr *ph, int *len)
{
  eh->phoff = 0x100000;
}

static void
phnumhuge(struct elfhdr *eh, struct proghdr *ph, int *len)
{
  eh->phnum = 0xffff;
}

static void
memszsmall(struct elfhdr *eh, struct proghdr *ph, int *len)
{
  ph->memsz = ph->filesz - 0x100;
}

static void
vaddrwrap(struct elfhdr *eh, struct proghdr *ph, int *len)
{
  ph->vaddr = 0xfffffffffffff000ULL;
  ph->memsz = 0x2000;
}

static void
vaddrhigh(struct elfhdr *eh, struct proghdr *ph, int *len)
{
  ph->vaddr = MAXVA;
}

static void
vaddrkernel(struct elfhdr *eh, struct proghdr *ph, int *len)
{
  ph->vaddr = TRAMPOLINE;
}

static void
memszhuge(struct elfhdr *eh, struct proghdr *ph, int *len)
{
  ph->memsz = 0x10000000000ULL;
}

static void
filepast(struct elfhdr *eh, struct proghdr *ph, int *len)
{
  ph->filesz = 0x100000;
  ph->memsz = 0x100000;
}

static void
offpast(struct elfhdr *eh, struct proghdr *ph, int *len)
{
  ph->off = 0x200000;
}

static struct elfcase elfcases[] = {
  { "bad magic", badmagic },
  { "file shorter than the header", shortfile },
  { "program headers past the end", phoffpast },
  { "65535 program headers", phnumhuge },
  { "memsz < filesz", memszsmall },
  { "vaddr + memsz wraps around", vaddrwrap },
  { "segment at MAXVA", vaddrhigh },
  { "segment on the trampoline", vaddrkernel },
  { "memsz of a terabyte", memszhuge },
  { "segment longer than the file", filepast },
  { "segment offset past the end", offpast },
};

// Write file name: an ELF header whose one program header loads the
// whole (1 KB) file at address 0, after spoil has spoiled it.
static void
writeelf(char *name, struct elfcase *c)
{
  struct elfhdr eh;
  struct proghdr ph;
  int len = 1024;

  memset(&eh, 0, sizeof(eh));
  memset(&ph, 0, sizeof(ph));
  eh.magic = ELF_MAGIC;
  eh.elf[0] = 2;       // 64-bit
  eh.elf[1] = 1;       // little-endian
  eh.elf[2] = 1;       // ELF version
  eh.type = 2;         // executable
  eh.machine = 0xf3;   // RISC-V
  eh.version = 1;
  eh.phoff = sizeof(eh);
  eh.phentsize = sizeof(ph);
  eh.phnum = 1;
  eh.ehsize = sizeof(eh);
  ph.type = ELF_PROG_LOAD;
  ph.flags = ELF_PROG_FLAG_READ | ELF_PROG_FLAG_EXEC;
  ph.filesz = len;
  ph.memsz = PGSIZE;
  ph.align = PGSIZE;
  c->spoil(&eh, &ph, &len);
  memset(buf, 0, 1024);
  memmove(buf, &eh, sizeof(eh));
  memmove(buf + sizeof(eh), &ph, sizeof(ph));
  mkfile(name, buf, len);
}

// exec refuses ELF files with spoiled headers.
static void
badelf(void)
{
  char *argv[] = { "badelf", 0 };
  int i;

  for(i = 0; i < NELEM(elfcases); i++){
    writeelf("badelf", &elfcases[i]);
    if(!execfails("badelf", argv)){
      printf("  %s: exec accepted: %s\n", testname, elfcases[i].what);
      exit(1);
    }
  }
  CHECK(unlink("badelf") == 0, "unlink failed");
}

// ---- the runner ------------------------------------------------------------------

struct test {
  void (*fn)(void);
  char *name;
  int slow;  // left out by -q
};

static struct test tests[] = {
  { exitwait,     "exitwait",     0 },
  { manychildren, "manychildren", 0 },
  { nochild,      "nochild",      0 },
  { getpidtest,   "getpid",       0 },
  { orphan,       "orphan",       0 },
  { killspin,     "killspin",     0 },
  { killsleep,    "killsleep",    0 },
  { killpipe,     "killpipe",     0 },
  { wakeidle,     "wakeidle",     0 },
  { sleeptime,    "sleeptime",    0 },
  { forkbomb,     "forkbomb",     0 },
  { sbrkgrow,     "sbrkgrow",     0 },
  { sbrkhuge,     "sbrkhuge",     0 },
  { sbrkpast,     "sbrkpast",     0 },
  { stackguard,   "stackguard",   0 },
  { sbrkfreed,    "sbrkfreed",    0 },
  { bigmalloc,    "bigmalloc",    0 },
  { mallocall,    "mallocall",    1 },
  { pipedata,     "pipedata",     0 },
  { pipewriters,  "pipewriters",  0 },
  { pipeeof,      "pipeeof",      0 },
  { pipenoreader, "pipenoreader", 0 },
  { pipefds,      "pipefds",      0 },
  { fileio,       "fileio",       0 },
  { bigfile,      "bigfile",      1 },
  { manyfiles,    "manyfiles",    0 },
  { dirs,         "dirs",         0 },
  { renametest,   "rename",       0 },
  { unlinkopen,   "unlinkopen",   0 },
  { lazysbrk,     "lazysbrk",     0 },
  { partialwrite, "partialwrite", 0 },
  { removedcwd,   "removedcwd",   0 },
  { concreate,    "concreate",    0 },
  { dupoffset,    "dupoffset",    0 },
  { truncate,     "truncate",     0 },
  { opendir,      "opendir",      0 },
  { pathlen,      "pathlen",      0 },
  { badptr,       "badptr",       0 },
  { badstraddle,  "badstraddle",  0 },
  { badlen,       "badlen",       0 },
  { badfd,        "badfd",        0 },
  { execok,       "execok",       0 },
  { badexec,      "badexec",      0 },
  { badelf,       "badelf",       0 },
};

// Start a watchdog child that exits after TIMEOUT_SEC. Returns its pid.
static int
watchdog(void)
{
  uint64 start;
  int pid;

  pid = fork();
  if(pid == 0){
    start = nsecs();
    while(nsecs() - start < TIMEOUT_SEC * 1000000000ULL)
      sleep(5);
    exit(0);
  }
  return pid;
}

// Run one test in a child, under a watchdog (started first, so that a
// test that fills the process table cannot keep it from starting).
// Prints the result line and returns 1 if the test passed.
static int
runtest(struct test *t)
{
  int pid, dog, w, status = 1;

  testname = t->name;
  dog = watchdog();
  pid = fork();
  if(pid == 0){
    t->fn();
    exit(0);
  }
  w = pid < 0 ? -1 : wait(&status);
  if(w == dog){
    printf("  %s: timed out after %d seconds\n", t->name, TIMEOUT_SEC);
    kill(pid);
    wait(0);
  } else if(dog > 0){
    kill(dog);
    wait(0);
  }
  if(w != pid)
    status = 1;
  printf("test %s: %s\n", t->name, status == 0 ? "OK" : "FAILED");
  return status == 0;
}

// Use every process slot once, and pipes and files, so that kernel
// structures allocated on first use are in place before the free pages
// are counted.
static void
warmup(void)
{
  int p[2], n, pid;
  char c;

  if(pipe(p) < 0)
    return;
  for(n = 0; n < NPROC && (pid = fork()) >= 0; n++){
    if(pid == 0){
      close(p[1]);
      read(p[0], &c, 1);
      exit(0);
    }
  }
  close(p[0]);
  close(p[1]);
  while(wait(0) >= 0)
    ;
  n = open("warmup", O_CREATE|O_RDWR);
  if(n >= 0){
    write(n, "x", 1);
    close(n);
  }
  unlink("warmup");
}

// The memleak test: the free-page count must return to before. Runs in
// the runner itself, so it must not exit. Returns 1 if it passed.
static int
memleak(int ok, uint64 before)
{
  struct sysinfo now;
  int i;

  for(i = 0; ok && i < 50; i++){
    if(sysinfo(&now) < 0)
      ok = 0;
    else if(now.freepages == before)
      break;
    sleep(1);
  }
  if(ok && now.freepages != before){
    printf("  memleak: %lu free pages before the tests, %lu after\n",
           before, now.freepages);
    ok = 0;
  }
  printf("test memleak: %s\n", ok ? "OK" : "FAILED");
  return ok;
}

// Should test t run, given the command line?
static int
wanted(struct test *t, int quick, int argc, char *argv[])
{
  int i, named = 0;

  for(i = 1; i < argc; i++){
    if(strcmp(argv[i], "-q") == 0)
      continue;
    named = 1;
    if(strcmp(argv[i], t->name) == 0)
      return 1;
  }
  return !named && !(quick && t->slow);
}

// Check that every name on the command line is a test. Returns 0 or -1.
static int
checknames(int argc, char *argv[])
{
  int i, j;

  for(i = 1; i < argc; i++){
    if(strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "memleak") == 0)
      continue;
    for(j = 0; j < NELEM(tests) && strcmp(argv[i], tests[j].name) != 0; j++)
      ;
    if(j == NELEM(tests)){
      printf("usertests: no test called %s\n", argv[i]);
      return -1;
    }
  }
  return 0;
}

int
main(int argc, char *argv[])
{
  int i, quick = 0, failed = 0, sysinfo_ok;
  struct sysinfo start;

  // exec put the arguments at the top of the stack, main's frame below
  stacktop = PGROUNDDOWN((uint64)&i) + PGSIZE;

  for(i = 1; i < argc; i++){
    if(strcmp(argv[i], "-q") == 0)
      quick = 1;
  }
  if(checknames(argc, argv) < 0)
    exit(1);
  printf("usertests starting\n");
  warmup();
  sysinfo_ok = (sysinfo(&start) == 0);
  if(!sysinfo_ok)
    printf("  usertests: sysinfo failed\n");
  for(i = 0; i < NELEM(tests); i++){
    if(wanted(&tests[i], quick, argc, argv) && !runtest(&tests[i]))
      failed++;
  }
  if(!memleak(sysinfo_ok, start.freepages))
    failed++;
  if(failed){
    printf("SOME TESTS FAILED\n");
    exit(1);
  }
  printf("ALL TESTS PASSED\n");
  exit(0);
}
