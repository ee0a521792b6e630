// cat: copy each named file, or standard input if none, to standard output.

#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "user/user.h"

static char buf[512];

// Copy everything readable from fd to fd 1. Exits on an error.
static void
copy(int fd, char *name)
{
  int n;

  while((n = read(fd, buf, sizeof(buf))) > 0){
    if(write(1, buf, n) != n){
      fprintf(2, "cat: write error\n");
      exit(1);
    }
  }
  if(n < 0){
    fprintf(2, "cat: read error in %s\n", name);
    exit(1);
  }
}

int
main(int argc, char *argv[])
{
  int i, fd;

  if(argc < 2){
    copy(0, "standard input");
    exit(0);
  }
  for(i = 1; i < argc; i++){
    if((fd = open(argv[i], O_RDONLY)) < 0){
      fprintf(2, "cat: cannot open %s\n", argv[i]);
      exit(1);
    }
    copy(fd, argv[i]);
    close(fd);
  }
  exit(0);
}
