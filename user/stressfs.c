// stressfs: several processes write, read back and delete their own file at
// the same time, to exercise the log and the buffer cache under contention.

#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "user/user.h"

#define NPROCS  4
#define NBLOCKS 20

static char block[512];

// Print what went wrong with file name. Returns -1.
static int
fail(char *what, char *name)
{
  printf("stressfs: %s %s\n", what, name);
  return -1;
}

// Worker id: write stressfsN, check its contents, remove it.
// Returns 0, or -1 after printing what went wrong.
static int
work(int id)
{
  char name[] = "stressfs0";
  int fd, i, j;

  name[8] = '0' + id;
  memset(block, 'a' + id, sizeof(block));
  if((fd = open(name, O_CREATE|O_RDWR)) < 0)
    return fail("cannot create", name);
  for(i = 0; i < NBLOCKS; i++){
    if(write(fd, block, sizeof(block)) != sizeof(block))
      return fail("cannot write", name);
  }
  close(fd);
  if((fd = open(name, O_RDONLY)) < 0)
    return fail("cannot reopen", name);
  for(i = 0; i < NBLOCKS; i++){
    if(read(fd, block, sizeof(block)) != sizeof(block))
      return fail("short read in", name);
    for(j = 0; j < sizeof(block); j++){
      if(block[j] != 'a' + id)
        return fail("bad data in", name);
    }
  }
  close(fd);
  return unlink(name);
}

int
main(void)
{
  int id, status, failed = 0;

  printf("stressfs starting\n");
  for(id = 1; id < NPROCS; id++){
    if(fork() == 0)
      exit(work(id) < 0);
  }
  if(work(0) < 0)
    failed = 1;
  for(id = 1; id < NPROCS; id++){
    if(wait(&status) < 0 || status != 0)
      failed = 1;
  }
  printf(failed ? "stressfs FAILED\n" : "stressfs ok\n");
  exit(failed);
}
