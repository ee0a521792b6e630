// Pipes: a PIPESIZE-byte ring buffer between a read end and a write end,
// each a struct file. Readers sleep while the ring is empty, writers
// while it is full.
//
// nread and nwrite count every byte ever read and written; they only grow
// (and wrap around harmlessly as uints). The ring holds nwrite - nread
// bytes: empty when they are equal, full when they differ by PIPESIZE.
//
// User memory is copied through a buffer on the kernel stack with the
// pipe's spinlock released, so no copyin/copyout runs under a spinlock.

#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/defs.h"
#include "kernel/param.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/fs.h"
#include "kernel/sleeplock.h"
#include "kernel/file.h"

#define PIPESIZE 512

struct pipe {
  struct spinlock lock;
  // lock guards everything below.
  char data[PIPESIZE];
  uint nread;      // bytes read so far; readers sleep on &nread
  uint nwrite;     // bytes written so far; writers sleep on &nwrite
  int readopen;    // the read end is still open
  int writeopen;   // the write end is still open
};

// Make a pipe: *f0 becomes the read end, *f1 the write end.
// Returns 0, or -1 (with nothing allocated) if out of files or memory.
int
pipealloc(struct file **f0, struct file **f1)
{
  struct pipe *pi;

  *f0 = *f1 = 0;
  if((*f0 = filealloc()) == 0 || (*f1 = filealloc()) == 0)
    goto bad;
  if((pi = (struct pipe *)kalloc()) == 0)
    goto bad;
  initlock(&pi->lock, "pipe");
  pi->nread = 0;
  pi->nwrite = 0;
  pi->readopen = 1;
  pi->writeopen = 1;

  (*f0)->type = FD_PIPE;
  (*f0)->readable = 1;
  (*f0)->writable = 0;
  (*f0)->pipe = pi;
  (*f1)->type = FD_PIPE;
  (*f1)->readable = 0;
  (*f1)->writable = 1;
  (*f1)->pipe = pi;
  return 0;

bad:
  // A file of type FD_NONE closes without touching anything else.
  if(*f0)
    fileclose(*f0);
  if(*f1)
    fileclose(*f1);
  return -1;
}

// Close one end of pi (the write end if writable). Wakes anyone waiting
// on the other end; frees the pipe when both ends are closed.
void
pipeclose(struct pipe *pi, int writable)
{
  acquire(&pi->lock);
  if(writable){
    pi->writeopen = 0;
    wakeup(&pi->nread);
  } else {
    pi->readopen = 0;
    wakeup(&pi->nwrite);
  }
  if(pi->readopen == 0 && pi->writeopen == 0){
    release(&pi->lock);
    kfree((char *)pi);
    return;
  }
  release(&pi->lock);
}

// Write n bytes from the user address addr into the pipe, sleeping while
// it is full. Returns n; the bytes written so far if a copyin fails; -1
// if the read end is closed or the caller is killed while writing.
int
pipewrite(struct pipe *pi, uint64 addr, int n)
{
  char buf[PIPESIZE];
  struct proc *p = myproc();
  int done, m, k;

  for(done = 0; done < n; done += m){
    m = n - done;
    if(m > PIPESIZE)
      m = PIPESIZE;
    if(copyin(p->pagetable, buf, addr + done, m) < 0)
      break;

    acquire(&pi->lock);
    for(k = 0; k < m; ){
      if(!pi->readopen || killed(p)){
        release(&pi->lock);
        return -1;
      }
      if(pi->nwrite - pi->nread == PIPESIZE){
        // Full: let readers drain it.
        wakeup(&pi->nread);
        sleep(&pi->nwrite, &pi->lock);
        continue;
      }
      pi->data[pi->nwrite++ % PIPESIZE] = buf[k++];
    }
    wakeup(&pi->nread);
    release(&pi->lock);
  }
  return done;
}

// Read up to n bytes from the pipe into the user address addr, sleeping
// while it is empty and the write end is open. Returns the bytes read,
// 0 at end of file (empty and write end closed), -1 if killed or if the
// copyout fails (the bytes taken from the ring are then lost).
int
piperead(struct pipe *pi, uint64 addr, int n)
{
  char buf[PIPESIZE];
  struct proc *p = myproc();
  int m;

  acquire(&pi->lock);
  while(pi->nread == pi->nwrite && pi->writeopen){
    if(killed(p)){
      release(&pi->lock);
      return -1;
    }
    sleep(&pi->nread, &pi->lock);
  }
  // The ring holds at most PIPESIZE bytes, so buf takes all of them.
  for(m = 0; m < n && pi->nread != pi->nwrite; m++)
    buf[m] = pi->data[pi->nread++ % PIPESIZE];
  wakeup(&pi->nwrite);
  release(&pi->lock);

  if(m > 0 && copyout(p->pagetable, addr, buf, m) < 0)
    return -1;
  return m;
}
