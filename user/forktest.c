// forktest: fork until the process table is full, then reap every child.
// Checks that fork fails cleanly (before N tries) and that wait returns each
// child exactly once and then -1.

#include "kernel/types.h"
#include "user/user.h"

#define N 1000

int
main(void)
{
  int n, pid;

  printf("fork test\n");
  for(n = 0; n < N; n++){
    pid = fork();
    if(pid < 0)
      break;
    if(pid == 0)
      exit(0);
  }
  if(n == N){
    printf("forktest: fork did not fail after %d children\n", N);
    exit(1);
  }
  for(; n > 0; n--){
    if(wait(0) < 0){
      printf("forktest: wait returned -1 with %d children left\n", n);
      exit(1);
    }
  }
  if(wait(0) != -1){
    printf("forktest: wait returned a child that was never forked\n");
    exit(1);
  }
  printf("fork test OK\n");
  exit(0);
}
