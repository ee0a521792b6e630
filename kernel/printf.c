// Kernel printf and panic.
//
// Output goes byte by byte through consputc(), which writes the UART
// synchronously, so printf works in interrupt handlers, with locks held,
// and before the scheduler runs. Supported conversions:
//   %d %u %x  (int / uint)    %ld %lu %lx  (64-bit)    %p %s %c %%

#include <stdarg.h>

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/spinlock.h"
#include "kernel/riscv.h"
#include "kernel/defs.h"

// Set once panic() has printed its message; the UART output functions
// then freeze any hart that tries to print, so the message stays last.
volatile int panicked = 0;

static struct {
  struct spinlock lock;   // one printf at a time, so lines don't interleave
  int locking;            // 0 during panic: print even if a holder is stuck
} pr;

static char digits[] = "0123456789abcdef";

// Print x in the given base, preceded by '-' if neg.
static void
print_num(uint64 x, int base, int neg)
{
  char tmp[24];   // 64 bits in base 10 need 20 digits
  int i = 0;

  do {
    tmp[i++] = digits[x % base];
    x /= base;
  } while(x != 0);
  if(neg)
    tmp[i++] = '-';
  while(--i >= 0)
    consputc(tmp[i]);
}

static void
print_signed(long v)
{
  if(v < 0)
    print_num(-(uint64)v, 10, 1);   // unsigned negation: safe for the minimum
  else
    print_num(v, 10, 0);
}

// A pointer: 0x and all 16 hex digits.
static void
print_ptr(uint64 p)
{
  int shift;

  consputc('0');
  consputc('x');
  for(shift = 60; shift >= 0; shift -= 4)
    consputc(digits[(p >> shift) & 0xf]);
}

// Print one conversion c (the character after '%' and any 'l'),
// taking its argument from ap. lng says an 'l' was given.
static void
print_conv(int c, int lng, va_list *ap)
{
  char *s;

  switch(c){
  case 'd':
    print_signed(lng ? va_arg(*ap, long) : va_arg(*ap, int));
    break;
  case 'u':
    print_num(lng ? va_arg(*ap, uint64) : va_arg(*ap, uint), 10, 0);
    break;
  case 'x':
    print_num(lng ? va_arg(*ap, uint64) : va_arg(*ap, uint), 16, 0);
    break;
  case 'p':
    print_ptr(va_arg(*ap, uint64));
    break;
  case 's':
    if((s = va_arg(*ap, char*)) == 0)
      s = "(null)";
    while(*s)
      consputc(*s++);
    break;
  case 'c':
    consputc(va_arg(*ap, int));
    break;
  case '%':
    consputc('%');
    break;
  default:
    // Unknown conversion: show it as written.
    consputc('%');
    if(lng)
      consputc('l');
    consputc(c);
    break;
  }
}

// Formatted output to the console. Returns 0.
int
printf(char *fmt, ...)
{
  va_list ap;
  int locking = pr.locking;
  int i, c, lng;

  if(locking)
    acquire(&pr.lock);
  va_start(ap, fmt);
  for(i = 0; (c = fmt[i] & 0xff) != 0; i++){
    if(c != '%'){
      consputc(c);
      continue;
    }
    lng = 0;
    c = fmt[++i] & 0xff;
    while(c == 'l'){          // %l and %ll both mean 64 bits
      lng = 1;
      c = fmt[++i] & 0xff;
    }
    if(c == 0)
      break;                  // format ends in the middle of a conversion
    print_conv(c, lng, &ap);
  }
  va_end(ap);
  if(locking)
    release(&pr.lock);
  return 0;
}

// Report a fatal kernel error and stop this hart for good.
void
panic(char *s)
{
  pr.locking = 0;   // the lock's holder may be the code that failed
  printf("panic: %s\n", s);
  panicked = 1;
  intr_off();
  for(;;)
    ;
}

void
printfinit(void)
{
  initlock(&pr.lock, "pr");
  pr.locking = 1;
}
