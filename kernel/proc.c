// Processes: the process table, fork/exit/wait/kill, sleep/wakeup, and the
// per-hart scheduler. Also kernel threads (processes with no user half),
// used by the network code's polling thread.
//
// Lock order: wait_lock before any p->lock; never two p->locks at once
// except parent-then-child inside wait().

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/cpustat.h"
#include "kernel/defs.h"
#include "kernel/netdefs.h"

struct cpu cpus[NCPU];
struct proc proc[NPROC];

static struct proc *initproc;

static int nextpid = 1;
static struct spinlock pid_lock;

// Guards every p->parent, and keeps wakeups of waiting parents from being
// lost. Taken before any p->lock.
static struct spinlock wait_lock;

extern void forkret(void);
static void kthread_entry(void);
static void freeproc(struct proc *p);
static void wake_idle(int n);

extern char trampoline[]; // trampoline.S

// Map a kernel stack for every process slot, each below an unmapped guard page.
void
proc_mapstacks(pagetable_t kpt)
{
  for(int i = 0; i < NPROC; i++){
    char *pa = kalloc();
    if(pa == 0)
      panic("proc_mapstacks: out of memory");
    kvmmap(kpt, KSTACK(i), (uint64)pa, PGSIZE, PTE_R | PTE_W);
  }
}

void
procinit(void)
{
  initlock(&pid_lock, "nextpid");
  initlock(&wait_lock, "wait_lock");
  for(int i = 0; i < NPROC; i++){
    initlock(&proc[i].lock, "proc");
    proc[i].state = UNUSED;
    proc[i].kstack = KSTACK(i);
  }
}

// The hart id, kept in tp. Interrupts must be off so we can't move harts.
int
cpuid(void)
{
  return r_tp();
}

struct cpu*
mycpu(void)
{
  return &cpus[cpuid()];
}

// The process running on this hart, or 0.
struct proc*
myproc(void)
{
  push_off();
  struct proc *p = mycpu()->proc;
  pop_off();
  return p;
}

static int
allocpid(void)
{
  acquire(&pid_lock);
  int pid = nextpid++;
  release(&pid_lock);
  return pid;
}

// Find an UNUSED slot and set it up to start in the kernel at entry. A user
// process (user != 0) also gets a trapframe and a page table. Returns the
// process with p->lock held, or 0.
static struct proc*
allocproc(int user, void (*entry)(void))
{
  struct proc *p;

  for(p = proc; p < &proc[NPROC]; p++){
    acquire(&p->lock);
    if(p->state == UNUSED)
      goto found;
    release(&p->lock);
  }
  return 0;

found:
  p->pid = allocpid();
  p->state = USED;
  if(user){
    if((p->trapframe = (struct trapframe *)kalloc()) == 0 ||
       (p->pagetable = proc_pagetable(p)) == 0){
      freeproc(p);
      release(&p->lock);
      return 0;
    }
  }
  memset(&p->context, 0, sizeof(p->context));
  p->context.ra = (uint64)entry;
  p->context.sp = p->kstack + PGSIZE;
  return p;
}

// Release everything a process slot owns. p->lock must be held.
static void
freeproc(struct proc *p)
{
  if(p->trapframe)
    kfree((void*)p->trapframe);
  p->trapframe = 0;
  if(p->pagetable)
    proc_freepagetable(p->pagetable, p->sz);
  p->pagetable = 0;
  p->sz = 0;
  p->pid = 0;
  p->parent = 0;
  p->name[0] = 0;
  p->chan = 0;
  p->killed = 0;
  p->xstate = 0;
  p->kfn = 0;
  p->karg = 0;
  p->handoff = 0;
  p->state = UNUSED;
}

// A user page table holding only the trampoline and p's trapframe.
pagetable_t
proc_pagetable(struct proc *p)
{
  pagetable_t pagetable = uvmcreate();
  if(pagetable == 0)
    return 0;

  // The trampoline is not PTE_U: only the supervisor runs it.
  if(mappages(pagetable, TRAMPOLINE, PGSIZE, (uint64)trampoline, PTE_R | PTE_X) < 0){
    uvmfree(pagetable, 0);
    return 0;
  }
  if(mappages(pagetable, TRAPFRAME, PGSIZE, (uint64)p->trapframe, PTE_R | PTE_W) < 0){
    uvmunmap(pagetable, TRAMPOLINE, 1, 0);
    uvmfree(pagetable, 0);
    return 0;
  }
  return pagetable;
}

// Free a user page table and the sz bytes of memory it maps.
void
proc_freepagetable(pagetable_t pagetable, uint64 sz)
{
  uvmunmap(pagetable, TRAMPOLINE, 1, 0);
  uvmunmap(pagetable, TRAPFRAME, 1, 0);
  uvmfree(pagetable, sz);
}

// Create the first user process. It has no memory yet: on its first run,
// forkret() mounts the file system and execs /init.
void
userinit(void)
{
  struct proc *p = allocproc(1, forkret);
  if(p == 0)
    panic("userinit");
  initproc = p;
  safestrcpy(p->name, "initcode", sizeof(p->name));
  p->state = RUNNABLE;
  release(&p->lock);
  wake_idle(1);
}

// Start a kernel thread: a process with no user memory that runs fn(arg)
// in supervisor mode with interrupts on. fn must never return. Returns the
// pid, or -1 if the process table is full.
int
kthread_start(char *name, void (*fn)(void *), void *arg)
{
  struct proc *p = allocproc(0, kthread_entry);
  if(p == 0)
    return -1;
  p->kfn = fn;
  p->karg = arg;
  safestrcpy(p->name, name, sizeof(p->name));
  int pid = p->pid;
  p->state = RUNNABLE;
  release(&p->lock);
  wake_idle(1);
  return pid;
}

// Grow or shrink user memory by n bytes. Growing lazily only moves the
// break: vmfault() allocates each page on first touch. Returns 0 or -1.
int
growproc(int n, int lazy)
{
  struct proc *p = myproc();
  uint64 sz = p->sz;

  if(n > 0){
    if(sz + n > USERTOP)
      return -1;
    if(lazy)
      sz += n;
    else if((sz = uvmalloc(p->pagetable, sz, sz + n, PTE_W)) == 0)
      return -1;
    else
      kvmchanged(p->pagetable);
  } else if(n < 0 && (uint64)(-(long)n) <= sz){
    sz = uvmdealloc(p->pagetable, sz, sz + n);
    kvmchanged(p->pagetable);
  }
  // Shrinking by more than the whole size changes nothing and succeeds,
  // as in xv6-riscv (its usertests lazy_copy checks this).
  p->sz = sz;
  return 0;
}

// Create a copy of the calling process. Returns the child's pid to the
// parent and 0 to the child, or -1.
int
fork(void)
{
  struct proc *np, *p = myproc();

  if((np = allocproc(1, forkret)) == 0)
    return -1;
  if(uvmcopy(p->pagetable, np->pagetable, p->sz) < 0){
    freeproc(np);
    release(&np->lock);
    return -1;
  }
  np->sz = p->sz;
  *(np->trapframe) = *(p->trapframe);
  np->trapframe->a0 = 0;   // fork() returns 0 in the child

  for(int i = 0; i < NOFILE; i++)
    if(p->ofile[i])
      np->ofile[i] = filedup(p->ofile[i]);
  np->cwd = idup(p->cwd);
  safestrcpy(np->name, p->name, sizeof(p->name));
  int pid = np->pid;
  release(&np->lock);

  acquire(&wait_lock);
  np->parent = p;
  release(&wait_lock);

  acquire(&np->lock);
  np->state = RUNNABLE;
  release(&np->lock);
  wake_idle(1);
  return pid;
}

// Give p's children to init. Caller holds wait_lock.
static void
reparent(struct proc *p)
{
  for(struct proc *pp = proc; pp < &proc[NPROC]; pp++){
    if(pp->parent == p){
      pp->parent = initproc;
      wakeup(initproc);
    }
  }
}

// Exit the calling process; it stays a ZOMBIE until its parent wait()s.
void
exit(int status)
{
  struct proc *p = myproc();

  if(p == initproc)
    panic("init exiting");

  for(int fd = 0; fd < NOFILE; fd++){
    if(p->ofile[fd]){
      fileclose(p->ofile[fd]);
      p->ofile[fd] = 0;
    }
  }
  if(p->cwd){
    begin_op();
    iput(p->cwd);
    end_op();
    p->cwd = 0;
  }

  acquire(&wait_lock);
  reparent(p);
  wakeup(p->parent);   // the parent may be sleeping in wait()
  acquire(&p->lock);
  p->xstate = status;
  p->state = ZOMBIE;
  release(&wait_lock);

  // KMAP=shared: leave our table, which the parent is about to free.
  if(KMAP_SHARED)
    kvmload(kernel_pagetable);
  sched();
  panic("zombie exit");
}

// Wait for a child to exit; copy its status to user address addr (if not
// 0). Returns the child's pid, or -1 if there are no children, the copy
// fails, or the caller is killed.
int
wait(uint64 addr)
{
  struct proc *p = myproc();

  acquire(&wait_lock);
  for(;;){
    int havekids = 0;
    for(struct proc *pp = proc; pp < &proc[NPROC]; pp++){
      if(pp->parent != p)
        continue;
      acquire(&pp->lock);
      havekids = 1;
      if(pp->state == ZOMBIE){
        int pid = pp->pid;
        if(addr != 0 && copyout(p->pagetable, addr, (char *)&pp->xstate, sizeof(pp->xstate)) < 0){
          release(&pp->lock);
          release(&wait_lock);
          return -1;
        }
        freeproc(pp);
        release(&pp->lock);
        release(&wait_lock);
        return pid;
      }
      release(&pp->lock);
    }
    if(!havekids || killed(p)){
      release(&wait_lock);
      return -1;
    }
    sleep(p, &wait_lock);
  }
}

// Wait for an interrupt, interrupts off: the scheduler with nothing to
// run, and hart_nap. The counter's ticks meanwhile are idle
// (kernel/cpustat.h), so instruction counts leave them out.
static void
idle_wfi(void)
{
  uint64 t0 = cpustat_idle_begin();

  asm volatile("wfi");
  cpustat_idle_end(t0);
}

// Per-hart scheduler loop, entered once from main(). Picks a RUNNABLE
// process, switches to it, and takes over again when it calls sched().
// With nothing to run the hart waits for an interrupt (wfi), so idle harts
// cost the host nothing under QEMU.
void
scheduler(void)
{
  struct cpu *c = mycpu();

  c->proc = 0;
  NETSTAT_INC(harts);
  for(;;){
    // Let devices interrupt us, then turn interrupts off so the search and
    // the switch are atomic with respect to this hart.
    intr_on();
    intr_off();

    // Say we are idle before looking, so that a process made runnable
    // after the search below is seen by its waker, who then claims this
    // hart and sends an IPI (wake_idle) that ends the wfi.
    __atomic_store_n(&c->idle, 1, __ATOMIC_SEQ_CST);
    int ran = 0;
    for(struct proc *p = proc; p < &proc[NPROC]; p++){
      // An unlocked look first: a lock round trip costs two interrupt
      // toggles, dear under TCG, and most slots are not runnable. The
      // state is checked again under the lock.
      if(__atomic_load_n(&p->state, __ATOMIC_RELAXED) != RUNNABLE)
        continue;
      acquire(&p->lock);
      if(p->state == RUNNABLE){
        __atomic_store_n(&c->idle, 0, __ATOMIC_RELAXED);
        p->state = RUNNING;
        c->proc = p;
        cpustat_switch(p);
        if(KMAP_SHARED){
          // A process runs on its own table; a kernel thread on any.
          if(p->pagetable)
            kvmload(p->pagetable);
          else
            kvmdropdead();
        }
        swtch(&c->context, &p->context);
        c->proc = 0;
        ran = 1;
      }
      release(&p->lock);
    }
    if(!ran){
      kvmdropdead();
      // Interrupts are off: a pending one (an IPI too) still ends the
      // wfi, and is taken by intr_on() at the top of the loop.
      idle_wfi();
    }
    // c->idle stays set after a wfi: the traps taken next and the search
    // that follows serve a process made runnable meanwhile as well as an
    // IPI would (a claim just costs this hart one more trap).
  }
}

// Is any process runnable? An unlocked look, as the scheduler's first.
static int
any_runnable(void)
{
  for(struct proc *p = proc; p < &proc[NPROC]; p++)
    if(__atomic_load_n(&p->state, __ATOMIC_RELAXED) == RUNNABLE)
      return 1;
  return 0;
}

// Let the calling kernel thread's hart idle for up to ns nanoseconds (the
// poll-mode net thread between polls; NOTES.md "The net thread's idle
// policy"). Unless a process is runnable, the hart waits in wfi as an idle
// scheduler does: marked idle, so a waker claims it with an IPI (the
// scheduler's protocol), and with its timer brought forward to end the
// wait after ns; its tick is put back after (and taken at once if it fell
// due meanwhile). Returns 1 if the caller should yield(): a process is
// runnable, or a waker handed this hart one. No locks held.
int
hart_nap(uint64 ns)
{
  struct cpu *c;
  uint64 tick, until;
  int give;

  push_off();
  c = mycpu();
  __atomic_store_n(&c->idle, 1, __ATOMIC_SEQ_CST);
  give = any_runnable();
  if(!give){
    tick = r_stimecmp();
    until = r_time() + ns / 100;   // the time CSR counts 100 ns
    if(until < tick)
      w_stimecmp(until);
    idle_wfi();
    w_stimecmp(tick);
  }
  if(__atomic_exchange_n(&c->idle, 0, __ATOMIC_SEQ_CST) == 0)
    give = 1;   // claimed: a waker counted on this hart
  pop_off();
  return give;
}

// Switch to this hart's scheduler. The caller holds exactly p->lock and
// has already changed p->state. intena belongs to this kernel thread, not
// to the hart, so it is saved and restored around the switch.
void
sched(void)
{
  struct proc *p = myproc();

  if(!holding(&p->lock))
    panic("sched: p->lock");
  if(mycpu()->noff != 1)
    panic("sched: locks");
  if(p->state == RUNNING)
    panic("sched: running");
  if(intr_get())
    panic("sched: interruptible");

  int intena = mycpu()->intena;
  swtch(&p->context, &mycpu()->context);
  mycpu()->intena = intena;
}

// Give up the CPU for one scheduling round.
void
yield(void)
{
  struct proc *p = myproc();

  acquire(&p->lock);
  p->state = RUNNABLE;
  sched();
  release(&p->lock);
}

// A new user process's first scheduling lands here, still holding p->lock
// from scheduler(). The very first process also mounts the root file system
// (which must sleep, so it can't be done in main) and execs /init.
void
forkret(void)
{
  static int first = 1;
  struct proc *p = myproc();

  release(&p->lock);

  if(first){
    first = 0;
    fsinit(ROOTDEV);
    __sync_synchronize();
    p->cwd = namei("/");
    char *argv[] = { "init", 0 };
    p->trapframe->a0 = exec("/init", argv);
    if(p->trapframe->a0 == -1)
      panic("forkret: cannot exec /init");
  }
  usertrapret();
}

// A kernel thread's first scheduling lands here.
static void
kthread_entry(void)
{
  struct proc *p = myproc();

  release(&p->lock);
  // The scheduler switched to us with interrupts off, and that state
  // travels with the thread through every sleep and yield: turn them on,
  // or the timer could never preempt it.
  intr_on();
  p->kfn(p->karg);
  panic("kthread returned");
}

// Atomically release lk and sleep on chan; reacquire lk when woken.
void
sleep(void *chan, struct spinlock *lk)
{
  struct proc *p = myproc();

  // Holding p->lock before dropping lk means a wakeup() (which needs
  // p->lock) can't slip in between: no lost wakeups. chan and state are
  // set before lk is dropped, so a waker holding lk that looks at them
  // without p->lock (wakeup's first, unlocked check) sees them already.
  acquire(&p->lock);
  p->chan = chan;
  p->state = SLEEPING;
  release(lk);
  sched();
  p->chan = 0;

  release(&p->lock);
  acquire(lk);
}

// Raise hart's supervisor software interrupt (ACLINT SSWI, NOTES.md
// "IPIs"). It ends a wfi there, or traps at the hart's next instruction
// with interrupts on; the handler (trap.c) clears it and drops a dead page
// table (vm.c). The one place that sends an IPI. Any context, no locks.
void
ipi(int hart)
{
  NETSTAT_INC(ipi_sent);
  *(volatile uint32 *)KDEV(ACLINT_SSWI_HART(hart)) = 1;
}

// Claim hart i if it idles: clear its idle flag, so that one idle spell
// of a hart is handed out once and a second waker looks elsewhere instead
// of sending the same hart a second IPI. Returns 1 if claimed.
static int
claim_idle(int i)
{
  int one = 1;

  return __atomic_load_n(&cpus[i].idle, __ATOMIC_RELAXED) &&
    __atomic_compare_exchange_n(&cpus[i].idle, &one, 0, 0,
                                __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}

// n processes were just made runnable (their RUNNABLE stored): hand each
// an idle hart, at most one IPI per idle hart, so they run now rather than
// at some hart's next timer tick. A caller that is itself an idle hart's
// scheduler (an interrupt taken between its searches) serves one of them:
// that hart searches the table when the trap returns; so does a kernel
// thread between proc_handoff_begin and _end, which then yields. Processes
// left over wait for a busy hart (counted in wake_noidle). Every place that
// makes a process RUNNABLE calls this, except yield(), whose own hart
// schedules.
static void
wake_idle(int n)
{
  struct proc *p;
  int self;

  push_off();   // cpuid() and mycpu() must name the hart we run on
  self = cpuid();
  p = mycpu()->proc;
  if(n > 0 && (p == 0 || p->handoff == 1)){
    if(p)
      p->handoff = 2;   // taken: the caller must yield (proc_handoff_end)
    NETSTAT_INC(wake_here);
    n--;
  }
  __sync_synchronize();   // the RUNNABLE stores before the look at idle flags
  for(int i = 0; i < NCPU && n > 0; i++){
    if(i != self && claim_idle(i)){
      ipi(i);
      NETSTAT_INC(wake_ipi);
      n--;
    }
  }
  if(n > 0)
    NETSTAT_ADD(wake_noidle, n);
  pop_off();
}

// The calling kernel thread (the net thread, around a polling round) is
// about to do something that may wake processes, after which it will
// yield() if asked: the first process woken on its hart meanwhile is left
// to this hart instead of an idle one, which on a host with fewer cores
// than vCPUs costs one vCPU wakeup less per delivery (NOTES.md "IPIs").
void
proc_handoff_begin(void)
{
  myproc()->handoff = 1;
}

// End what proc_handoff_begin began. Returns 1 if a process was left to
// this hart: the caller must yield() soon, so that it runs.
int
proc_handoff_end(void)
{
  struct proc *p = myproc();
  int taken;

  push_off();   // wake_idle on this hart (an interrupt) also writes handoff
  taken = p->handoff == 2;
  p->handoff = 0;
  pop_off();
  return taken;
}

// Wake every process sleeping on chan. Must not hold any p->lock. The
// caller holds the lock the sleepers passed to sleep() (as xv6 requires),
// so each sleeper's chan and state are visible without p->lock: slots that
// are not asleep on chan are skipped without taking their lock.
void
wakeup(void *chan)
{
  struct proc *self = myproc();
  int woke = 0;   // processes made runnable

  for(struct proc *p = proc; p < &proc[NPROC]; p++){
    if(p == self || __atomic_load_n(&p->state, __ATOMIC_RELAXED) != SLEEPING ||
       __atomic_load_n(&p->chan, __ATOMIC_RELAXED) != chan)
      continue;
    acquire(&p->lock);
    if(p->state == SLEEPING && p->chan == chan){
      p->state = RUNNABLE;
      woke++;
    }
    release(&p->lock);
  }
  if(woke)
    wake_idle(woke);
}

// Ask process pid to exit; it does so the next time it is about to return
// to user space. Returns 0, or -1 for no such user process.
int
kill(int pid)
{
  for(struct proc *p = proc; p < &proc[NPROC]; p++){
    acquire(&p->lock);
    if(p->pid == pid && p->state != UNUSED && p->pagetable != 0){
      int woke = 0;
      p->killed = 1;
      if(p->state == SLEEPING){
        p->state = RUNNABLE;   // so it notices
        woke = 1;
      }
      release(&p->lock);
      wake_idle(woke);
      return 0;
    }
    release(&p->lock);
  }
  return -1;
}

void
setkilled(struct proc *p)
{
  acquire(&p->lock);
  p->killed = 1;
  release(&p->lock);
}

int
killed(struct proc *p)
{
  acquire(&p->lock);
  int k = p->killed;
  release(&p->lock);
  return k;
}

// Copy to a user address (user_dst) or a kernel address. Returns 0 or -1.
int
either_copyout(int user_dst, uint64 dst, void *src, uint64 len)
{
  if(user_dst)
    return copyout(myproc()->pagetable, dst, src, len);
  memmove((char *)dst, src, len);
  return 0;
}

// Copy from a user address (user_src) or a kernel address. Returns 0 or -1.
int
either_copyin(void *dst, int user_src, uint64 src, uint64 len)
{
  if(user_src)
    return copyin(myproc()->pagetable, dst, src, len);
  memmove(dst, (char*)src, len);
  return 0;
}

// Print the process list on the console (^P). Takes no locks, so that it
// still works when the machine is wedged.
void
procdump(void)
{
  static char *states[] = {
    [UNUSED] "unused", [USED] "used", [SLEEPING] "sleep ",
    [RUNNABLE] "runble", [RUNNING] "run   ", [ZOMBIE] "zombie"
  };

  printf("\n");
  for(struct proc *p = proc; p < &proc[NPROC]; p++){
    if(p->state == UNUSED)
      continue;
    char *state = "???";
    if(p->state >= 0 && p->state < NELEM(states) && states[p->state])
      state = states[p->state];
    printf("%d %s %s%s\n", p->pid, state, p->name, p->pagetable ? "" : " [kernel thread]");
  }
}

// Number of process slots in use, for sysinfo().
uint64
nproc_used(void)
{
  uint64 n = 0;
  for(struct proc *p = proc; p < &proc[NPROC]; p++)
    if(p->state != UNUSED)
      n++;
  return n;
}
