// grep: print the lines of the named files (or standard input) that
// match a pattern.
//
// Patterns are a small subset of regular expressions:
//   c   the character c        .   any character
//   x*  zero or more of x      ^   (first) start of line
//   $   (last) end of line
// The pattern is first turned into a list of items, then matched by
// trying each start position and backtracking over the starred items.

#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "user/user.h"

#define MAXITEMS 32

struct item {
  char c;    // the character to match, unless any
  char any;  // '.': matches every character
  char star; // followed by '*': matches any number of times
};

static struct item items[MAXITEMS];
static int nitems;
static int atstart;  // pattern began with ^
static int atend;    // pattern ended with $

static char buf[1024];

// Turn pattern p into items[]. Returns 0, or -1 if it is too long.
static int
compile(char *p)
{
  atstart = atend = nitems = 0;
  if(*p == '^'){
    atstart = 1;
    p++;
  }
  for(; *p; p++){
    if(*p == '$' && p[1] == 0){
      atend = 1;
      break;
    }
    if(nitems == MAXITEMS)
      return -1;
    items[nitems].c = *p;
    items[nitems].any = (*p == '.');
    items[nitems].star = (p[1] == '*');
    if(p[1] == '*')
      p++;
    nitems++;
  }
  return 0;
}

static int
itemmatches(struct item *it, char c)
{
  return c != 0 && (it->any || it->c == c);
}

// Do items[k...] match text starting exactly at s? Recursion happens
// only at starred items, so its depth is at most the number of stars.
static int
matchat(int k, char *s)
{
  char *t;

  for(; k < nitems; k++, s++){
    if(items[k].star){
      // try zero repetitions, then one more at a time
      for(t = s; ; t++){
        if(matchat(k + 1, t))
          return 1;
        if(!itemmatches(&items[k], *t))
          return 0;
      }
    }
    if(!itemmatches(&items[k], *s))
      return 0;
  }
  return !atend || *s == 0;
}

// Does the pattern match somewhere in the NUL-terminated line?
static int
matchline(char *line)
{
  char *s = line;

  for(;;){
    if(matchat(0, s))
      return 1;
    if(atstart || *s == 0)
      return 0;
    s++;
  }
}

// Print the matching lines read from fd.
static void
grep(int fd)
{
  int n, have = 0;
  char *line, *nl;

  while((n = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0){
    have += n;
    buf[have] = 0;
    line = buf;
    while((nl = strchr(line, '\n')) != 0){
      *nl = 0;
      if(matchline(line)){
        *nl = '\n';
        write(1, line, nl + 1 - line);
      }
      line = nl + 1;
    }
    have -= line - buf;
    // a line longer than buf is cut into pieces
    if(have == sizeof(buf) - 1)
      have = 0;
    memmove(buf, line, have);
  }
  // a last line without a newline
  buf[have] = 0;
  if(have > 0 && matchline(buf))
    printf("%s\n", buf);
}

int
main(int argc, char *argv[])
{
  int i, fd;

  if(argc < 2){
    fprintf(2, "usage: grep pattern [file...]\n");
    exit(1);
  }
  if(compile(argv[1]) < 0){
    fprintf(2, "grep: pattern too long\n");
    exit(1);
  }
  if(argc == 2){
    grep(0);
    exit(0);
  }
  for(i = 2; i < argc; i++){
    if((fd = open(argv[i], O_RDONLY)) < 0){
      fprintf(2, "grep: cannot open %s\n", argv[i]);
      exit(1);
    }
    grep(fd);
    close(fd);
  }
  exit(0);
}
