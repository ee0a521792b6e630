// ulib.c: the program entry point and the small string and memory library
// that user programs share (declared in user/user.h).

#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "user/user.h"

extern int main(int argc, char *argv[]);

// Entry point of every user program (ENTRY in user/user.ld).
// exec starts us with a0 = argc, a1 = argv and sp set, so a plain C
// function works. A program that returns from main exits with main's
// return value.
void
start(int argc, char *argv[])
{
  exit(main(argc, argv));
}

// Copy the string src, terminator included, to dst. Returns dst.
char*
strcpy(char *dst, const char *src)
{
  char *d = dst;

  while((*d++ = *src++) != 0)
    ;
  return dst;
}

// Compare two strings byte by byte as unsigned chars.
// Returns <0, 0 or >0 as a sorts before, equal to or after b.
int
strcmp(const char *a, const char *b)
{
  while(*a != 0 && *a == *b){
    a++;
    b++;
  }
  return (uchar)*a - (uchar)*b;
}

// Number of bytes in s before its terminator.
uint
strlen(const char *s)
{
  const char *e = s;

  while(*e)
    e++;
  return e - s;
}

// Fill n bytes at dst with the byte c. Returns dst.
void*
memset(void *dst, int c, uint n)
{
  uchar *d = dst;
  uint i;

  for(i = 0; i < n; i++)
    d[i] = c;
  return dst;
}

// First occurrence of c in s, or 0 if there is none.
char*
strchr(const char *s, char c)
{
  for(; *s; s++){
    if(*s == c)
      return (char*)s;
  }
  return 0;
}

// Read one line from fd 0 into buf, keeping the newline, stopping at a
// newline, carriage return, end of input or max-1 bytes. Always
// NUL-terminates. Returns buf; buf[0] == 0 means end of input.
char*
gets(char *buf, int max)
{
  int n = 0;
  char c;

  while(n + 1 < max){
    if(read(0, &c, 1) != 1)
      break;
    buf[n++] = c;
    if(c == '\n' || c == '\r')
      break;
  }
  buf[n] = 0;
  return buf;
}

// Metadata of the file named path, via open and fstat.
// Returns 0, or -1 if the file cannot be opened.
int
stat(const char *path, struct stat *st)
{
  int fd, r;

  fd = open(path, O_RDONLY);
  if(fd < 0)
    return -1;
  r = fstat(fd, st);
  close(fd);
  return r;
}

// Decimal value of the digits at the start of s, with an optional
// leading '-'. Stops at the first non-digit; "" gives 0.
int
atoi(const char *s)
{
  int sign = 1, v = 0;

  if(*s == '-'){
    sign = -1;
    s++;
  }
  while(*s >= '0' && *s <= '9')
    v = v*10 + (*s++ - '0');
  return sign * v;
}

// Copy n bytes from src to dst; the ranges may overlap. Returns dst.
void*
memmove(void *dst, const void *src, int n)
{
  char *d = dst;
  const char *s = src;

  if(n <= 0 || d == s)
    return dst;
  if(d < s){
    while(n-- > 0)
      *d++ = *s++;
  } else {
    // copy backwards so an overlapping tail is read before it is overwritten
    d += n;
    s += n;
    while(n-- > 0)
      *--d = *--s;
  }
  return dst;
}

// Compare n bytes as unsigned chars. Returns <0, 0 or >0.
int
memcmp(const void *a, const void *b, uint n)
{
  const uchar *p = a, *q = b;
  uint i;

  for(i = 0; i < n; i++){
    if(p[i] != q[i])
      return p[i] - q[i];
  }
  return 0;
}

// Copy n bytes; kept for the compiler, which may emit calls to memcpy.
// The ranges may overlap (it is memmove). Returns dst.
void*
memcpy(void *dst, const void *src, uint n)
{
  return memmove(dst, src, n);
}

// Nanoseconds since boot, read from the time CSR in user mode (start.c
// lets U-mode read it), so that timing a datagram costs no system call:
// nsecs() is the system call that reads the same clock.
uint64
timens(void)
{
  uint64 t;

  asm volatile("rdtime %0" : "=r"(t));
  return t * 100;   // 10 MHz on QEMU's virt machine
}
