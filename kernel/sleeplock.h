// Long-term lock: a process waiting for it sleeps instead of spinning.
struct sleeplock {
  uint locked;
  struct spinlock lk; // guards this struct
  char *name;
  int pid;            // holder
};
