// printf.c: formatted output for user programs.
//
// fprintf(fd, fmt, ...) and printf(fmt, ...) understand %d %u %x %p %s %c
// and %%, and the long forms %ld %lu %lx. Output is collected in a buffer
// on the stack and written with as few write() calls as possible, so one
// call's output normally reaches the console in one piece.

#include <stdarg.h>

#include "kernel/types.h"
#include "user/user.h"

// Output collected by one fprintf call.
struct outbuf {
  int fd;
  int n;          // bytes waiting in buf
  char buf[128];
};

static const char hexdigits[] = "0123456789abcdef";

// Write out whatever is buffered.
static void
flush(struct outbuf *o)
{
  if(o->n > 0)
    write(o->fd, o->buf, o->n);
  o->n = 0;
}

static void
putc(struct outbuf *o, char c)
{
  if(o->n == sizeof(o->buf))
    flush(o);
  o->buf[o->n++] = c;
}

static void
puts(struct outbuf *o, const char *s)
{
  if(s == 0)
    s = "(null)";
  while(*s)
    putc(o, *s++);
}

// Print v in the given base (10 or 16), with a '-' if neg.
static void
putnum(struct outbuf *o, uint64 v, int base, int neg)
{
  char digits[24];
  int i = 0;

  do {
    digits[i++] = hexdigits[v % base];
    v /= base;
  } while(v != 0);
  if(neg)
    putc(o, '-');
  while(i > 0)
    putc(o, digits[--i]);
}

// Print a signed value.
static void
putsigned(struct outbuf *o, long v)
{
  if(v < 0)
    putnum(o, -(uint64)v, 10, 1);
  else
    putnum(o, v, 10, 0);
}

// Print a pointer as 0x and 16 hex digits.
static void
putptr(struct outbuf *o, uint64 p)
{
  int shift;

  puts(o, "0x");
  for(shift = 60; shift >= 0; shift -= 4)
    putc(o, hexdigits[(p >> shift) & 0xf]);
}

// Print one conversion. long_ is set for %l forms.
// Returns 0, or -1 for an unknown conversion character.
static int
convert(struct outbuf *o, char c, int long_, va_list *ap)
{
  switch(c){
  case 'd':
    putsigned(o, long_ ? va_arg(*ap, long) : va_arg(*ap, int));
    break;
  case 'u':
    putnum(o, long_ ? va_arg(*ap, uint64) : va_arg(*ap, uint), 10, 0);
    break;
  case 'x':
    putnum(o, long_ ? va_arg(*ap, uint64) : va_arg(*ap, uint), 16, 0);
    break;
  case 'p':
    putptr(o, va_arg(*ap, uint64));
    break;
  case 's':
    puts(o, va_arg(*ap, char*));
    break;
  case 'c':
    putc(o, va_arg(*ap, int));
    break;
  case '%':
    putc(o, '%');
    break;
  default:
    return -1;
  }
  return 0;
}

// Format fmt and its arguments into o. ap points at the caller's
// va_list, so the conversions consume the arguments in order.
static void
format(struct outbuf *o, const char *fmt, va_list *ap)
{
  const char *p;
  int long_;

  for(p = fmt; *p; p++){
    if(*p != '%'){
      putc(o, *p);
      continue;
    }
    if(p[1] == 0)
      break;
    p++;
    long_ = (*p == 'l');
    if(long_){
      if(p[1] == 0)
        break;
      p++;
    }
    // print an unknown conversion as written, so the mistake is visible
    if(convert(o, *p, long_, ap) < 0){
      putc(o, '%');
      if(long_)
        putc(o, 'l');
      putc(o, *p);
    }
  }
}

// Print to the open file descriptor fd.
void
fprintf(int fd, const char *fmt, ...)
{
  struct outbuf o;
  va_list ap;

  o.fd = fd;
  o.n = 0;
  va_start(ap, fmt);
  format(&o, fmt, &ap);
  va_end(ap);
  flush(&o);
}

// Print to standard output (fd 1).
void
printf(const char *fmt, ...)
{
  struct outbuf o;
  va_list ap;

  o.fd = 1;
  o.n = 0;
  va_start(ap, fmt);
  format(&o, fmt, &ap);
  va_end(ap);
  flush(&o);
}
