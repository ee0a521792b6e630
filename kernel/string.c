// Byte and string helpers for the kernel: the few libc routines xv6 needs.
// Freestanding C: gcc may still emit calls to memset and memcpy for struct
// copies and initialisers, so both must exist under those names.

#include "kernel/types.h"

// Fill n bytes at dst with the low byte of c. Returns dst.
void*
memset(void *dst, int c, uint n)
{
  uchar *d = dst;
  uint i;

  for(i = 0; i < n; i++)
    d[i] = (uchar)c;
  return dst;
}

// Compare n bytes. Returns <0, 0 or >0 as the first differing byte of
// v1 is smaller than, equal to or larger than that of v2 (as unsigned).
int
memcmp(const void *v1, const void *v2, uint n)
{
  const uchar *a = v1;
  const uchar *b = v2;
  uint i;

  for(i = 0; i < n; i++){
    if(a[i] != b[i])
      return a[i] - b[i];
  }
  return 0;
}

// Copy n bytes from src to dst; the two ranges may overlap. Returns dst.
void*
memmove(void *dst, const void *src, uint n)
{
  uchar *d = dst;
  const uchar *s = src;

  if(n == 0 || d == s)
    return dst;
  if(d > s && d < s + n){
    // dst starts inside src: copy from the end so no source byte is
    // overwritten before it has been read.
    while(n > 0){
      n--;
      d[n] = s[n];
    }
  } else {
    while(n > 0){
      *d++ = *s++;
      n--;
    }
  }
  return dst;
}

// Same as memmove; kept because the compiler may call it for struct copies.
void*
memcpy(void *dst, const void *src, uint n)
{
  return memmove(dst, src, n);
}

// Compare at most n characters, stopping after a NUL. Same result
// convention as memcmp.
int
strncmp(const char *p, const char *q, uint n)
{
  for(; n > 0; n--, p++, q++){
    if(*p != *q)
      return (uchar)*p - (uchar)*q;
    if(*p == 0)
      return 0;
  }
  return 0;
}

// Copy at most n characters of t to s, padding with NULs up to n.
// Like C's strncpy, s is NOT NUL-terminated when t is n or more long.
char*
strncpy(char *s, const char *t, int n)
{
  int i = 0;

  for(; i < n && t[i] != 0; i++)
    s[i] = t[i];
  for(; i < n; i++)
    s[i] = 0;
  return s;
}

// Copy t into s, a buffer of n bytes, truncating as needed; s is always
// NUL-terminated when n > 0. Returns s.
char*
safestrcpy(char *s, const char *t, int n)
{
  int i;

  if(n <= 0)
    return s;
  for(i = 0; i < n - 1 && t[i] != 0; i++)
    s[i] = t[i];
  s[i] = 0;
  return s;
}

// Number of characters before the terminating NUL.
int
strlen(const char *s)
{
  int n = 0;

  while(s[n] != 0)
    n++;
  return n;
}
