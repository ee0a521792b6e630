// wc: count lines, words and bytes in each named file, or in standard input.

#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "user/user.h"

static char buf[512];

// Print "lines words bytes name" for fd. Returns 0, or -1 on a read error.
static int
count(int fd, char *name)
{
  int n, i, lines = 0, words = 0, bytes = 0, inword = 0;
  char c;

  while((n = read(fd, buf, sizeof(buf))) > 0){
    bytes += n;
    for(i = 0; i < n; i++){
      c = buf[i];
      if(c == '\n')
        lines++;
      if(c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v'){
        inword = 0;
      } else if(!inword){
        inword = 1;
        words++;
      }
    }
  }
  if(n < 0){
    fprintf(2, "wc: read error in %s\n", name);
    return -1;
  }
  printf("%d %d %d %s\n", lines, words, bytes, name);
  return 0;
}

int
main(int argc, char *argv[])
{
  int i, fd, status = 0;

  if(argc < 2)
    exit(count(0, "") < 0);
  for(i = 1; i < argc; i++){
    if((fd = open(argv[i], O_RDONLY)) < 0){
      fprintf(2, "wc: cannot open %s\n", argv[i]);
      exit(1);
    }
    if(count(fd, argv[i]) < 0)
      status = 1;
    close(fd);
  }
  exit(status);
}
