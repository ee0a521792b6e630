// cpustat: print the kernel's CPU work counters (kernel/cpustat.h): traps
// by kind, from user and from supervisor mode, and where the counter
// CSR's ticks went. With a command, the change over that command instead:
//   cpustat                 totals since boot
//   cpustat CMD [ARGS...]   run CMD, then print what it (and everything
//                           else running meanwhile) cost

#include "kernel/types.h"
#include "kernel/cpustat.h"
#include "user/user.h"

static char *kinds[] = CPUSTAT_KIND_NAMES;

static void
get(struct cpustat *cs)
{
  if(cpustat(cs) < 0){
    fprintf(2, "cpustat: the cpustat system call failed\n");
    exit(1);
  }
}

// Print b - a (a all zero: b itself).
static void
show(struct cpustat *a, struct cpustat *b)
{
  uint64 busy = (b->counter - a->counter) - (b->allidle - a->allidle);

  printf("counter: %s, %ld harts\n",
         b->icount ? "instructions (icount)" : "host ticks (not instructions)", b->nharts);
  printf("busy %ld idle %ld allidle %ld spin %ld tick %ld switches %ld\n", busy,
         b->idle - a->idle, b->allidle - a->allidle, b->spin - a->spin,
         b->tick - a->tick, b->switches - a->switches);
  printf("traps:   ");
  for(int k = 0; k < CPUSTAT_NKIND; k++)
    printf(" %s", kinds[k]);
  printf("\n  user:  ");
  for(int k = 0; k < CPUSTAT_NKIND; k++)
    printf(" %ld", b->utrap[k] - a->utrap[k]);
  printf("\n  kernel:");
  for(int k = 0; k < CPUSTAT_NKIND; k++)
    printf(" %ld", b->ktrap[k] - a->ktrap[k]);
  printf("\n");
}

int
main(int argc, char *argv[])
{
  struct cpustat a, b;

  memset(&a, 0, sizeof(a));
  if(argc < 2){
    get(&b);
    show(&a, &b);
    exit(0);
  }
  get(&a);
  int pid = fork();
  if(pid < 0){
    fprintf(2, "cpustat: fork failed\n");
    exit(1);
  }
  if(pid == 0){
    exec(argv[1], argv + 1);
    fprintf(2, "cpustat: exec %s failed\n", argv[1]);
    exit(1);
  }
  wait(0);
  get(&b);
  show(&a, &b);
  exit(0);
}
