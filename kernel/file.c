// Open files: the system-wide table of struct file that file descriptors
// point to, and the read/write/stat/close operations that dispatch on the
// file's type (pipe, inode, device, UDP socket).
//
// A struct file is shared by every descriptor dup()ed or fork()ed from the
// one open() returned; f->ref counts them. ftable.lock guards ref and
// type of every entry; the remaining fields are set once by whoever
// allocated the file, except f->off, which the inode's lock guards.

#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/defs.h"
#include "kernel/netdefs.h"
#include "kernel/param.h"
#include "kernel/fs.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/file.h"
#include "kernel/stat.h"
#include "kernel/proc.h"

// Device drivers, indexed by major number (console.c fills CONSOLE).
struct devsw devsw[NDEV];

static struct {
  struct spinlock lock;
  struct file file[NFILE];
} ftable;

// Bytes filewrite() hands to one writei() call, so that one call fits in
// one log transaction. An unaligned write of k blocks touches k+1 data
// blocks, plus the inode block, the indirect block and at most two
// bitmap blocks: k + 5 <= MAXOPBLOCKS.
#define FILE_CHUNK ((MAXOPBLOCKS - 5) * BSIZE)

// Set up the file table. Called once at boot.
void
fileinit(void)
{
  initlock(&ftable.lock, "ftable");
}

// Allocate an unused file with ref 1 and type FD_NONE; the caller fills
// in the rest. Returns 0 if the table is full.
struct file*
filealloc(void)
{
  struct file *f;

  acquire(&ftable.lock);
  for(f = ftable.file; f < ftable.file + NFILE; f++){
    if(f->ref == 0){
      f->ref = 1;
      f->type = FD_NONE;
      release(&ftable.lock);
      return f;
    }
  }
  release(&ftable.lock);
  return 0;
}

// Take another reference to f. Returns f.
struct file*
filedup(struct file *f)
{
  acquire(&ftable.lock);
  if(f->ref < 1)
    panic("filedup: file not open");
  f->ref++;
  release(&ftable.lock);
  return f;
}

// Drop a reference to f; the last one releases what f refers to.
// Must not be called with ftable.lock or any inode lock held.
void
fileclose(struct file *f)
{
  struct file copy;

  acquire(&ftable.lock);
  if(f->ref < 1)
    panic("fileclose: file not open");
  if(--f->ref > 0){
    release(&ftable.lock);
    return;
  }
  // Last reference: free the slot now, clean up without the lock,
  // because closing a pipe, inode or socket may sleep.
  copy = *f;
  f->ref = 0;
  f->type = FD_NONE;
  release(&ftable.lock);

  if(copy.type == FD_PIPE){
    pipeclose(copy.pipe, copy.writable);
  } else if(copy.type == FD_INODE || copy.type == FD_DEVICE){
    begin_op();
    iput(copy.ip);
    end_op();
  } else if(copy.type == FD_SOCK){
    sockclose(copy.sock);
  } else if(copy.type == FD_TCP){
    tcpsock_close(copy.tcp);
  } else if(copy.type == FD_TCPLISTEN){
    tcpsock_lclose(copy.tcpl);
  }
}

// Copy f's metadata to the user address addr as a struct stat.
// Returns 0, or -1 if f is not an inode or device or the copy fails.
int
filestat(struct file *f, uint64 addr)
{
  struct stat st;

  if(f->type != FD_INODE && f->type != FD_DEVICE)
    return -1;
  ilock(f->ip);
  stati(f->ip, &st);
  iunlock(f->ip);
  if(copyout(myproc()->pagetable, addr, (char *)&st, sizeof(st)) < 0)
    return -1;
  return 0;
}

// Does f's major number name a device with a driver installed?
static int
dev_ok(struct file *f, int writing)
{
  if(f->major < 0 || f->major >= NDEV)
    return 0;
  return writing ? devsw[f->major].write != 0 : devsw[f->major].read != 0;
}

// Read up to n bytes from f into the user address addr.
// Returns the bytes read (0 at end of file), or -1.
int
fileread(struct file *f, uint64 addr, int n)
{
  int r;

  if(!f->readable || n < 0)
    return -1;

  switch(f->type){
  case FD_PIPE:
    return piperead(f->pipe, addr, n);
  case FD_DEVICE:
    if(!dev_ok(f, 0))
      return -1;
    return devsw[f->major].read(1, addr, n);
  case FD_INODE:
    ilock(f->ip);
    r = readi(f->ip, 1, addr, f->off, n);
    if(r > 0)
      f->off += r;
    iunlock(f->ip);
    return r;
  case FD_SOCK:
    return sockread(f->sock, addr, n);
  case FD_TCP:
    return tcpsock_read(f->tcp, addr, n);
  case FD_TCPLISTEN:
    return -1;
  default:
    panic("fileread: bad file type");
  }
}

// Write n bytes at offset f->off of an inode, one transaction per chunk.
// Returns n, or -1 if any chunk came up short (the earlier chunks stay).
static int
write_inode(struct file *f, uint64 addr, int n)
{
  int done, chunk, r;

  for(done = 0; done < n; done += r){
    chunk = n - done;
    if(chunk > FILE_CHUNK)
      chunk = FILE_CHUNK;
    begin_op();
    ilock(f->ip);
    r = writei(f->ip, 1, addr + done, f->off, chunk);
    if(r > 0)
      f->off += r;
    iunlock(f->ip);
    end_op();
    if(r != chunk)
      return -1;
  }
  return n;
}

// Write n bytes from the user address addr to f.
// Returns the bytes written, or -1.
int
filewrite(struct file *f, uint64 addr, int n)
{
  if(!f->writable || n < 0)
    return -1;

  switch(f->type){
  case FD_PIPE:
    return pipewrite(f->pipe, addr, n);
  case FD_DEVICE:
    if(!dev_ok(f, 1))
      return -1;
    return devsw[f->major].write(1, addr, n);
  case FD_INODE:
    return write_inode(f, addr, n);
  case FD_SOCK:
    return sockwrite(f->sock, addr, n);
  case FD_TCP:
    return tcpsock_write(f->tcp, addr, n);
  case FD_TCPLISTEN:
    return -1;
  default:
    panic("filewrite: bad file type");
  }
}
