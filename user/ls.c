// ls: list files. For each argument (default "."): a file prints one line,
// a directory prints one line per entry. Each line is
//   name  type  inode-number  size
// with the name padded to DIRSIZ columns.

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/stat.h"
#include "kernel/fs.h"
#include "kernel/fcntl.h"
#include "user/user.h"

// Print one line for the file called name (the last path element), whose
// metadata is st.
static void
showone(char *name, struct stat *st)
{
  char padded[DIRSIZ+1];
  int n = strlen(name);

  if(n > DIRSIZ)
    n = DIRSIZ;
  memmove(padded, name, n);
  memset(padded + n, ' ', DIRSIZ - n);
  padded[DIRSIZ] = 0;
  printf("%s %d %d %lu\n", padded, st->type, st->ino, st->size);
}

// Last element of path: what follows its last '/'.
static char*
lastelem(char *path)
{
  char *p, *last = path;

  for(p = path; *p; p++){
    if(*p == '/' && p[1] != 0)
      last = p + 1;
  }
  return last;
}

// List the entries of the open directory fd, whose name is path.
static void
listdir(int fd, char *path)
{
  char buf[MAXPATH+DIRSIZ+2], name[DIRSIZ+1], *p;
  struct dirent de;
  struct stat st;

  if(strlen(path) + 1 + DIRSIZ + 1 > sizeof(buf)){
    fprintf(2, "ls: path too long\n");
    return;
  }
  strcpy(buf, path);
  p = buf + strlen(buf);
  *p++ = '/';
  while(read(fd, &de, sizeof(de)) == sizeof(de)){
    if(de.inum == 0)
      continue;
    // directory entry names are not terminated when DIRSIZ long
    memmove(name, de.name, DIRSIZ);
    name[DIRSIZ] = 0;
    strcpy(p, name);
    if(stat(buf, &st) < 0){
      fprintf(2, "ls: cannot stat %s\n", buf);
      continue;
    }
    showone(name, &st);
  }
}

static void
ls(char *path)
{
  int fd;
  struct stat st;

  if((fd = open(path, O_RDONLY)) < 0){
    fprintf(2, "ls: cannot open %s\n", path);
    return;
  }
  if(fstat(fd, &st) < 0){
    fprintf(2, "ls: cannot stat %s\n", path);
  } else if(st.type == T_DIR){
    listdir(fd, path);
  } else {
    showone(lastelem(path), &st);
  }
  close(fd);
}

int
main(int argc, char *argv[])
{
  int i;

  if(argc < 2)
    ls(".");
  for(i = 1; i < argc; i++)
    ls(argv[i]);
  exit(0);
}
