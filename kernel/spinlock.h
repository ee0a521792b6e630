// Mutual exclusion lock that spins; held with interrupts off on this hart.
struct spinlock {
  uint locked;       // 0 free, 1 held
  char *name;        // for debugging
  struct cpu *cpu;   // the hart holding it
};
