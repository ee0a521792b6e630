// Write-ahead redo log, so that a crash leaves each file system operation
// either fully done or not done at all.
//
// A system call brackets its disk updates with begin_op() and end_op() and
// calls log_write(b) instead of bwrite(b). Modified blocks stay pinned in
// the buffer cache until the transaction commits. Several system calls may
// run inside one transaction ("group commit"); the last one to call
// end_op() commits for all of them.
//
// Commit, in order:
//   1. copy each modified block into the log area on disk;
//   2. write the log header with the block count (the commit point);
//   3. copy each logged block to its home location;
//   4. write the header again with count 0 (the log is empty).
// At boot, recovery redoes step 3 if the header says a commit happened.
//
// On-disk layout: block sb.logstart holds struct logheader, the next
// LOGSIZE blocks hold the logged copies.

#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/defs.h"
#include "kernel/param.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/fs.h"
#include "kernel/buf.h"

// Header block: which home blocks the log area holds, in order.
struct logheader {
  uint n;                // number of logged blocks; 0 means the log is empty
  uint block[LOGSIZE];   // home block number of each logged block
};

static struct {
  struct spinlock lock;
  // Set once by initlog():
  uint dev;
  uint start;            // block number of the header
  // log.lock guards these:
  int outstanding;       // system calls between begin_op() and end_op()
  int committing;        // a commit is in progress; begin_op() must wait
  struct logheader lh;   // the current transaction's blocks
} log;

static void recover(void);
static void commit(void);

// Read the log's location from the superblock and replay any committed
// transaction left by a crash. Called once at boot, before any begin_op().
void
initlog(int dev, struct superblock *sb)
{
  if(sizeof(struct logheader) > BSIZE)
    panic("initlog: log header does not fit in a block");
  if(sb->nlog < LOGSIZE + 1)
    panic("initlog: log area smaller than LOGSIZE");

  initlock(&log.lock, "log");
  log.dev = dev;
  log.start = sb->logstart;
  recover();
}

// Copy the on-disk header into log.lh.
static void
read_head(void)
{
  struct buf *b;
  struct logheader *disk;
  uint i;

  b = bread(log.dev, log.start);
  disk = (struct logheader *)b->data;
  log.lh.n = disk->n;
  if(log.lh.n > LOGSIZE)
    panic("read_head: corrupt log header");
  for(i = 0; i < log.lh.n; i++)
    log.lh.block[i] = disk->block[i];
  brelse(b);
}

// Write log.lh to the on-disk header. When n > 0 this is the moment the
// transaction becomes durable.
static void
write_head(void)
{
  struct buf *b;
  struct logheader *disk;
  uint i;

  b = bread(log.dev, log.start);
  disk = (struct logheader *)b->data;
  disk->n = log.lh.n;
  for(i = 0; i < log.lh.n; i++)
    disk->block[i] = log.lh.block[i];
  bwrite(b);
  brelse(b);
}

// Copy each logged block from the log area to its home block.
// During recovery the home blocks were never pinned, so skip bunpin().
static void
install_trans(int recovering)
{
  struct buf *from, *to;
  uint i;

  for(i = 0; i < log.lh.n; i++){
    from = bread(log.dev, log.start + 1 + i);
    to = bread(log.dev, log.lh.block[i]);
    memmove(to->data, from->data, BSIZE);
    bwrite(to);
    if(!recovering)
      bunpin(to);
    brelse(from);
    brelse(to);
  }
}

// Redo a committed transaction if the header names one, then empty the log.
static void
recover(void)
{
  read_head();
  install_trans(1);
  log.lh.n = 0;
  write_head();
}

// Start a file system operation. Waits while a commit is running or while
// the log could overflow if this operation wrote MAXOPBLOCKS blocks.
void
begin_op(void)
{
  acquire(&log.lock);
  for(;;){
    if(log.committing){
      sleep(&log, &log.lock);
    } else if(log.lh.n + (log.outstanding + 1) * MAXOPBLOCKS > LOGSIZE){
      // Reserve space for the worst case; wait for a commit to free it.
      sleep(&log, &log.lock);
    } else {
      log.outstanding++;
      break;
    }
  }
  release(&log.lock);
}

// Finish a file system operation. The last outstanding operation commits
// the whole transaction. Must not be called with any buf or inode locked
// that commit() would need.
void
end_op(void)
{
  int do_commit = 0;

  acquire(&log.lock);
  if(log.outstanding <= 0)
    panic("end_op: no operation in progress");
  if(log.committing)
    panic("end_op: commit in progress");
  log.outstanding--;
  if(log.outstanding == 0){
    do_commit = 1;
    log.committing = 1;
  } else {
    // Our reserved space is released; a waiting begin_op() may now fit.
    wakeup(&log);
  }
  release(&log.lock);

  if(do_commit){
    // Commit without log.lock: it does disk I/O and sleeps.
    commit();
    acquire(&log.lock);
    log.committing = 0;
    wakeup(&log);
    release(&log.lock);
  }
}

// Copy each modified block from the cache into the log area.
static void
write_log(void)
{
  struct buf *from, *to;
  uint i;

  for(i = 0; i < log.lh.n; i++){
    from = bread(log.dev, log.lh.block[i]);
    to = bread(log.dev, log.start + 1 + i);
    memmove(to->data, from->data, BSIZE);
    bwrite(to);
    brelse(from);
    brelse(to);
  }
}

// Make the current transaction durable and install it. Called by the
// single end_op() that set log.committing, without log.lock held.
static void
commit(void)
{
  if(log.lh.n == 0)
    return;
  write_log();
  write_head();       // commit point
  install_trans(0);
  log.lh.n = 0;
  write_head();       // log is empty again
}

// Record that b was modified in this transaction, in place of bwrite().
// Caller holds b->lock and is inside begin_op()/end_op(). The buf is
// pinned in the cache until the commit installs it. Writing the same
// block twice in a transaction uses one log slot ("absorption").
void
log_write(struct buf *b)
{
  uint i;

  acquire(&log.lock);
  if(log.outstanding < 1)
    panic("log_write: outside of a transaction");
  for(i = 0; i < log.lh.n; i++){
    if(log.lh.block[i] == b->blockno)
      break;
  }
  if(i == log.lh.n){
    if(log.lh.n >= LOGSIZE)
      panic("log_write: transaction too big");
    log.lh.block[i] = b->blockno;
    log.lh.n++;
    bpin(b);
  }
  release(&log.lock);
}
