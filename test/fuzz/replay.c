// Replay driver for test/fuzz/fuzz_netparse.c without libFuzzer: feeds each
// file named on the command line (or each file in a named directory) to
// LLVMFuzzerTestOneInput once. For debugging a crash with gcc and gdb:
//
//   gcc -g -fsanitize=address,undefined -I. -o test/fuzz/replay
//       test/fuzz/replay.c test/fuzz/fuzz_netparse.c kernel/netparse.c
//   (one command line)
//   test/fuzz/replay test/fuzz/corpus test/fuzz/crash-1234...
//
// Prints "replay: N inputs" and exits 0 if none broke a rule (a broken
// rule aborts, and the sanitizers stop at the first error).

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ninputs;

// Run the target on the contents of the file at path. Returns 0, or -1 if
// it cannot be read.
static int
replay_file(const char *path)
{
  FILE *fp = fopen(path, "rb");
  uint8_t *buf;
  long n;

  if(fp == 0 || fseek(fp, 0, SEEK_END) < 0 || (n = ftell(fp)) < 0){
    perror(path);
    if(fp)
      fclose(fp);
    return -1;
  }
  rewind(fp);
  buf = malloc(n ? n : 1);
  if(fread(buf, 1, n, fp) != (size_t)n){
    perror(path);
    fclose(fp);
    free(buf);
    return -1;
  }
  fclose(fp);
  LLVMFuzzerTestOneInput(buf, n);
  free(buf);
  ninputs++;
  return 0;
}

// Replay every regular file in the directory at path.
static int
replay_dir(const char *path)
{
  DIR *d = opendir(path);
  struct dirent *e;
  char name[4096];
  struct stat st;
  int r = 0;

  if(d == 0){
    perror(path);
    return -1;
  }
  while((e = readdir(d)) != 0){
    snprintf(name, sizeof(name), "%s/%s", path, e->d_name);
    if(stat(name, &st) == 0 && S_ISREG(st.st_mode) && replay_file(name) < 0)
      r = -1;
  }
  closedir(d);
  return r;
}

int
main(int argc, char *argv[])
{
  struct stat st;
  int r = 0;

  if(argc < 2){
    fprintf(stderr, "usage: replay FILE-OR-DIRECTORY...\n");
    return 2;
  }
  for(int i = 1; i < argc; i++){
    if(stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
      r |= replay_dir(argv[i]);
    else
      r |= replay_file(argv[i]);
  }
  printf("replay: %d inputs\n", ninputs);
  return r ? 1 : 0;
}
