// cpuhog [N]: a compute-bound loop of N million iterations (default 20).
// Prints how long it took, in ms, measured with nsecs(). The flood tests
// run it while the host floods the guest with UDP, to see whether the
// network starves user programs.

#include "kernel/types.h"
#include "user/user.h"

int
main(int argc, char *argv[])
{
  int millions = 20;

  if(argc > 1)
    millions = atoi(argv[1]);
  if(millions <= 0){
    fprintf(2, "usage: cpuhog [millions]\n");
    exit(1);
  }

  uint64 t0 = nsecs();
  volatile uint64 x = 0;   // volatile: keep the loop from being optimised away
  for(int i = 0; i < millions; i++)
    for(int j = 0; j < 1000000; j++)
      x += j;
  uint64 ms = (nsecs() - t0) / 1000000;

  printf("cpuhog: %d million iterations in %ld ms\n", millions, ms);
  exit(0);
}
