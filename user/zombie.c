// zombie: leave a zombie child behind for a while, then exit.
//
// The child exits at once; the parent does not wait for it, so it stays a
// zombie until the parent exits and init inherits and reaps it.

#include "kernel/types.h"
#include "user/user.h"

int
main(void)
{
  int pid = fork();

  if(pid < 0){
    fprintf(2, "zombie: fork failed\n");
    exit(1);
  }
  if(pid > 0)
    sleep(5);
  exit(0);
}
