// Processes, harts and the saved registers that move between them.

// Callee-saved registers for swtch(): a kernel thread's context.
struct context {
  uint64 ra;
  uint64 sp;
  uint64 s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11;
};

// Per-hart state.
struct cpu {
  struct proc *proc;       // running on this hart, or 0
  struct context context;  // swtch() here to enter scheduler()
  int noff;                // depth of push_off() nesting
  int intena;              // were interrupts on before push_off()?
  int idle;                // in scheduler(), about to wfi: wake with an IPI (atomic)
  pagetable_t pt;          // the table in satp (read by other harts: atomic)
  uint ptgen;              // KMAP=shared: pt's generation at this hart's last flush
};

extern struct cpu cpus[NCPU];

// Saved user registers, in a page of its own mapped at TRAPFRAME in the
// user page table. trampoline.S knows these offsets: keep them in step.
struct trapframe {
  /*   0 */ uint64 kernel_satp;   // kernel page table
  /*   8 */ uint64 kernel_sp;     // top of this process's kernel stack
  /*  16 */ uint64 kernel_trap;   // usertrap()
  /*  24 */ uint64 epc;           // saved user pc
  /*  32 */ uint64 kernel_hartid; // saved kernel tp
  /*  40 */ uint64 ra;
  /*  48 */ uint64 sp;
  /*  56 */ uint64 gp;
  /*  64 */ uint64 tp;
  /*  72 */ uint64 t0;
  /*  80 */ uint64 t1;
  /*  88 */ uint64 t2;
  /*  96 */ uint64 s0;
  /* 104 */ uint64 s1;
  /* 112 */ uint64 a0;
  /* 120 */ uint64 a1;
  /* 128 */ uint64 a2;
  /* 136 */ uint64 a3;
  /* 144 */ uint64 a4;
  /* 152 */ uint64 a5;
  /* 160 */ uint64 a6;
  /* 168 */ uint64 a7;
  /* 176 */ uint64 s2;
  /* 184 */ uint64 s3;
  /* 192 */ uint64 s4;
  /* 200 */ uint64 s5;
  /* 208 */ uint64 s6;
  /* 216 */ uint64 s7;
  /* 224 */ uint64 s8;
  /* 232 */ uint64 s9;
  /* 240 */ uint64 s10;
  /* 248 */ uint64 s11;
  /* 256 */ uint64 t3;
  /* 264 */ uint64 t4;
  /* 272 */ uint64 t5;
  /* 280 */ uint64 t6;
};

enum procstate { UNUSED, USED, SLEEPING, RUNNABLE, RUNNING, ZOMBIE };

// Per-process state.
struct proc {
  struct spinlock lock;

  // p->lock must be held when using these:
  enum procstate state;
  void *chan;                  // sleeping on chan, if non-zero
  int killed;                  // kill() was called
  int xstate;                  // exit status for the parent's wait()
  int pid;

  // wait_lock must be held when using this:
  struct proc *parent;

  // private to the process, so p->lock need not be held:
  uint64 kstack;               // virtual address of the kernel stack
  uint64 sz;                   // bytes of user memory
  pagetable_t pagetable;       // user page table; 0 for a kernel thread
  struct trapframe *trapframe; // page for trampoline.S
  struct context context;      // swtch() here to run the process
  struct file *ofile[NOFILE];  // open files
  struct inode *cwd;           // current directory
  char name[16];               // for debugging (^P)
  void (*kfn)(void *);         // kernel thread: its body (pagetable == 0)
  void *karg;
  uint64 sys_time;             // time CSR when the current system call entered,
  uint64 sys_inst;             // and instret (kernel/netstage.c)
  int handoff;                 // will yield next: a process it wakes may have its hart (proc.c)
};
