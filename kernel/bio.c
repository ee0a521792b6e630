// Buffer cache: NBUF in-memory copies of disk blocks.
//
// The cache does two jobs. It keeps recently used blocks in memory so
// repeated reads skip the disk, and it makes sure at most one copy of any
// block exists, so that the sleeplock inside each buf serialises everyone
// working on that block.
//
// Interface:
//   bread(dev, blockno)  returns a locked buf holding the block's contents.
//   bwrite(b)            writes a locked buf to disk.
//   brelse(b)            unlocks b; the caller must not touch it afterwards.
//   bpin/bunpin          hold an extra reference so the log's blocks stay cached.
//
// Recycling order is least recently released first: the free candidates
// are kept on a doubly-linked list, most recently released at the front.

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/riscv.h"
#include "kernel/defs.h"
#include "kernel/fs.h"
#include "kernel/buf.h"

static struct {
  struct spinlock lock;  // guards refcnt, dev, blockno, valid and the list links
  struct buf bufs[NBUF];
  // Sentinel of the circular LRU list: lru.next is the most recently
  // released buf, lru.prev the least recently released.
  struct buf lru;
} bcache;

// Unlink b from the LRU list. Caller holds bcache.lock.
static void
lru_remove(struct buf *b)
{
  b->prev->next = b->next;
  b->next->prev = b->prev;
}

// Put b at the front (most recently used end). Caller holds bcache.lock.
static void
lru_push_front(struct buf *b)
{
  b->next = bcache.lru.next;
  b->prev = &bcache.lru;
  bcache.lru.next->prev = b;
  bcache.lru.next = b;
}

// Set up the lock and put every buf on the list. Called once at boot.
void
binit(void)
{
  struct buf *b;

  initlock(&bcache.lock, "bcache");
  bcache.lru.next = &bcache.lru;
  bcache.lru.prev = &bcache.lru;
  for(b = bcache.bufs; b < bcache.bufs + NBUF; b++){
    initsleeplock(&b->lock, "buffer");
    lru_push_front(b);
  }
}

// Find the buf caching (dev, blockno), or recycle an unused one for it.
// Returns it locked, with refcnt counted. Panics only when every buf is
// in use, which means NBUF is too small for MAXOPBLOCKS (a kernel bug).
static struct buf*
bget(uint dev, uint blockno)
{
  struct buf *b;

  acquire(&bcache.lock);
  for(b = bcache.lru.next; b != &bcache.lru; b = b->next){
    if(b->dev == dev && b->blockno == blockno){
      b->refcnt++;
      release(&bcache.lock);
      acquiresleep(&b->lock);
      return b;
    }
  }

  // Not cached: take the least recently released buf nobody holds.
  for(b = bcache.lru.prev; b != &bcache.lru; b = b->prev){
    if(b->refcnt == 0){
      b->dev = dev;
      b->blockno = blockno;
      b->valid = 0;
      b->refcnt = 1;
      release(&bcache.lock);
      acquiresleep(&b->lock);
      return b;
    }
  }
  panic("bget: no free buffers");
}

// Return a locked buf holding block blockno of dev, reading it from
// disk if the cache does not have it. Release it with brelse().
struct buf*
bread(uint dev, uint blockno)
{
  struct buf *b;

  b = bget(dev, blockno);
  if(!b->valid){
    virtio_disk_rw(b, 0);
    b->valid = 1;
  }
  return b;
}

// Write b's contents to disk now. Caller holds b->lock.
void
bwrite(struct buf *b)
{
  if(!holdingsleep(&b->lock))
    panic("bwrite: buf not locked");
  virtio_disk_rw(b, 1);
}

// Give up a buf obtained from bread(). Caller holds b->lock; the buf
// goes to the front of the LRU list when its last reference is dropped.
void
brelse(struct buf *b)
{
  if(!holdingsleep(&b->lock))
    panic("brelse: buf not locked");
  releasesleep(&b->lock);

  acquire(&bcache.lock);
  b->refcnt--;
  if(b->refcnt == 0){
    lru_remove(b);
    lru_push_front(b);
  }
  release(&bcache.lock);
}

// Take an extra reference so b cannot be recycled (the log uses this to
// keep a modified block cached until it is installed).
void
bpin(struct buf *b)
{
  acquire(&bcache.lock);
  b->refcnt++;
  release(&bcache.lock);
}

// Drop a reference taken by bpin().
void
bunpin(struct buf *b)
{
  acquire(&bcache.lock);
  b->refcnt--;
  release(&bcache.lock);
}
