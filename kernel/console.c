// The console device (major number CONSOLE): a line discipline between the
// UART and file descriptors 0, 1 and 2 of user programs.
//
// Input arrives one byte at a time from uartintr() through consoleintr(),
// is echoed, and collects in an edit buffer until a whole line (or ^D, or
// a full buffer) is committed; only then can read() see it. Editing keys:
//   backspace / DEL  erase one character     ^U  erase the line
//   ^D               end of file             ^P  list processes (procdump)
// Output goes through uartputc(), which may sleep when the UART is busy.

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/fs.h"
#include "kernel/file.h"
#include "kernel/riscv.h"
#include "kernel/proc.h"
#include "kernel/defs.h"

#define CTRL(x)   ((x) - '@')   // the code sent by Control-x
#define DEL       0x7f
#define ERASE     0x100         // consputc: rub out the last echoed character

#define INPUT_BUF 128

// Input ring. The counters only grow; index with % INPUT_BUF.
//   [rd, committed)       whole lines that read() may return
//   [committed, edit)     the line still being typed
static struct {
  struct spinlock lock;   // guards everything below
  char buf[INPUT_BUF];
  uint rd;
  uint committed;
  uint edit;
} cons;

// Held for the whole of one write() to the console, so that the output of
// one call is never cut into by another process's (a background job's
// line and the shell's prompt stay apart). A sleeplock: uartputc sleeps.
static struct sleeplock writelock;

// Print one character synchronously; c may be ERASE. Used by printf and
// for echo, so it never sleeps.
void
consputc(int c)
{
  if(c == ERASE){
    // Step back, overwrite with a space, step back again.
    uartputc_sync('\b');
    uartputc_sync(' ');
    uartputc_sync('\b');
  } else {
    uartputc_sync(c);
  }
}

// devsw write: send n bytes from src (a user address if user_src) to the
// UART, in one piece. Returns the number of bytes written, which is short
// only if copying from src failed.
static int
consolewrite(int user_src, uint64 src, int n)
{
  char c;
  int i;

  acquiresleep(&writelock);
  for(i = 0; i < n; i++){
    if(either_copyin(&c, user_src, src + i, 1) < 0)
      break;
    uartputc(c);
  }
  releasesleep(&writelock);
  return i;
}

// devsw read: copy at most one line, up to n bytes, to dst (a user address
// if user_dst). Sleeps until a line is committed. Returns the byte count,
// 0 at end of file (^D), or -1 if the process is killed or dst is bad.
static int
consoleread(int user_dst, uint64 dst, int n)
{
  char line[INPUT_BUF];
  int got = 0;
  char c;

  acquire(&cons.lock);
  while(got < n && got < INPUT_BUF){
    while(cons.rd == cons.committed){
      if(killed(myproc())){
        release(&cons.lock);
        return -1;
      }
      sleep(&cons.rd, &cons.lock);
    }
    c = cons.buf[cons.rd % INPUT_BUF];
    if(c == CTRL('D')){
      // ^D ends this read. If bytes came before it, leave it in the
      // buffer so that the next read returns 0 (end of file).
      if(got == 0)
        cons.rd++;
      break;
    }
    cons.rd++;
    line[got++] = c;
    if(c == '\n')
      break;
  }
  release(&cons.lock);

  // Copy out after releasing the lock: no copyout under a spinlock.
  if(got > 0 && either_copyout(user_dst, dst, line, got) < 0)
    return -1;
  return got;
}

// Erase the whole line being edited. Caller holds cons.lock.
static void
cons_killline(void)
{
  while(cons.edit != cons.committed &&
        cons.buf[(cons.edit - 1) % INPUT_BUF] != '\n'){
    cons.edit--;
    consputc(ERASE);
  }
}

// Called by uartintr() for each received byte c: edit, echo, and commit
// a line when it is complete, waking readers.
void
consoleintr(int c)
{
  int dump = 0;

  acquire(&cons.lock);
  switch(c){
  case CTRL('P'):
    dump = 1;
    break;
  case CTRL('U'):
    cons_killline();
    break;
  case '\b':
  case DEL:
    if(cons.edit != cons.committed){
      cons.edit--;
      consputc(ERASE);
    }
    break;
  default:
    if(c == 0 || cons.edit - cons.rd >= INPUT_BUF)
      break;    // NUL, or no room: drop it
    if(c == '\r')
      c = '\n'; // a terminal's Enter key sends CR
    consputc(c);
    cons.buf[cons.edit++ % INPUT_BUF] = c;
    if(c == '\n' || c == CTRL('D') || cons.edit - cons.rd == INPUT_BUF){
      cons.committed = cons.edit;
      wakeup(&cons.rd);
    }
    break;
  }
  release(&cons.lock);

  // procdump prints a lot; do it without holding the console lock.
  if(dump)
    procdump();
}

// Set up the console and the UART beneath it, and plug the console into
// the device switch.
void
consoleinit(void)
{
  initlock(&cons.lock, "cons");
  initsleeplock(&writelock, "conswrite");
  uartinit();
  devsw[CONSOLE].read = consoleread;
  devsw[CONSOLE].write = consolewrite;
}
