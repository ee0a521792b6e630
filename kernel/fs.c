// File system: blocks, inodes, directories and path names.
//
// Layers, bottom to top (the xv6 book, chapter "File system"):
//   blocks       balloc/bfree manage the free bitmap.
//   inodes       an in-memory table (itable) caches on-disk inodes; iget()
//                hands out references, ilock() loads and locks the contents.
//   file content bmap() maps a file block to a disk block; readi/writei.
//   directories  a directory is a file of struct dirent.
//   path names   namei/nameiparent walk "/a/b/c" one element at a time.
// Every function that writes to disk must run inside begin_op()/end_op()
// and uses log_write() rather than bwrite().
//
// Lock order: an inode's sleeplock before the sleeplocks of its bufs; a
// parent directory's inode lock before a child's; itable.lock is a
// spinlock held only briefly and never across a sleep.

#include "kernel/types.h"
#include "kernel/riscv.h"
#include "kernel/defs.h"
#include "kernel/param.h"
#include "kernel/stat.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/sleeplock.h"
#include "kernel/fs.h"
#include "kernel/buf.h"
#include "kernel/file.h"

#define min(a, b) ((a) < (b) ? (a) : (b))

// The superblock of the one file system, read by fsinit().
static struct superblock sb;

// Read the superblock of dev and start the log (which may replay a
// committed transaction). Called once, from the first process, because
// it sleeps on disk I/O. Panics on a bad magic number: no file system.
void
fsinit(int dev)
{
  struct buf *b;

  b = bread(dev, 1);
  memmove(&sb, b->data, sizeof(sb));
  brelse(b);
  if(sb.magic != FSMAGIC)
    panic("fsinit: bad superblock magic");
  initlog(dev, &sb);
}

// ---- blocks -----------------------------------------------------------

// Fill block bno with zeros (through the log).
static void
bzero(int dev, uint bno)
{
  struct buf *b;

  b = bread(dev, bno);
  memset(b->data, 0, BSIZE);
  log_write(b);
  brelse(b);
}

// Allocate a zeroed disk block. Returns its number, or 0 if the disk is
// full. Caller is inside a transaction.
static uint
balloc(uint dev)
{
  struct buf *b;
  uint base, bit;
  uchar mask;

  for(base = 0; base < sb.size; base += BPB){
    b = bread(dev, BBLOCK(base, sb));
    for(bit = 0; bit < BPB && base + bit < sb.size; bit++){
      mask = 1 << (bit % 8);
      if((b->data[bit / 8] & mask) == 0){
        b->data[bit / 8] |= mask;
        log_write(b);
        brelse(b);
        bzero(dev, base + bit);
        return base + bit;
      }
    }
    brelse(b);
  }
  printf("balloc: out of blocks\n");
  return 0;
}

// Mark block bno free. Caller is inside a transaction.
static void
bfree(int dev, uint bno)
{
  struct buf *b;
  uint bit;
  uchar mask;

  b = bread(dev, BBLOCK(bno, sb));
  bit = bno % BPB;
  mask = 1 << (bit % 8);
  if((b->data[bit / 8] & mask) == 0)
    panic("bfree: block already free");
  b->data[bit / 8] &= ~mask;
  log_write(b);
  brelse(b);
}

// ---- inodes -------------------------------------------------------------
//
// An itable entry with ref > 0 names an inode someone holds a pointer to
// (an open file, a cwd, a path walk in progress). ip->valid says whether
// the fields after it were loaded from disk; ilock() loads them.
// itable.lock guards ref, dev and inum of every entry; ip->lock guards
// valid and the copied disk fields.

static struct {
  struct spinlock lock;
  struct inode inode[NINODE];
} itable;

// Set up the inode table. Called once at boot.
void
iinit(void)
{
  int i;

  initlock(&itable.lock, "itable");
  for(i = 0; i < NINODE; i++)
    initsleeplock(&itable.inode[i].lock, "inode");
}

// Return a reference to the in-memory inode for (dev, inum), without
// locking it or reading it from disk. Returns 0 if the table is full:
// callers treat that like "no such inode" rather than panic.
static struct inode*
iget(uint dev, uint inum)
{
  struct inode *ip, *empty = 0;

  acquire(&itable.lock);
  for(ip = itable.inode; ip < itable.inode + NINODE; ip++){
    if(ip->ref > 0 && ip->dev == dev && ip->inum == inum){
      ip->ref++;
      release(&itable.lock);
      return ip;
    }
    if(empty == 0 && ip->ref == 0)
      empty = ip;
  }
  if(empty){
    empty->dev = dev;
    empty->inum = inum;
    empty->ref = 1;
    empty->valid = 0;
  }
  release(&itable.lock);
  return empty;
}

// Allocate a free on-disk inode of the given type on dev. Returns it
// referenced but unlocked, or 0 if there is no free inode (or no free
// itable slot). Caller is inside a transaction.
struct inode*
ialloc(uint dev, short type)
{
  struct buf *b;
  struct dinode *dip;
  struct inode *ip;
  uint inum;

  for(inum = 1; inum < sb.ninodes; inum++){
    b = bread(dev, IBLOCK(inum, sb));
    dip = (struct dinode *)b->data + inum % IPB;
    if(dip->type == 0){
      // Get the table slot before claiming the disk inode, so a full
      // table does not leak an inode on disk.
      ip = iget(dev, inum);
      if(ip){
        memset(dip, 0, sizeof(*dip));
        dip->type = type;
        log_write(b);
      }
      brelse(b);
      return ip;
    }
    brelse(b);
  }
  printf("ialloc: out of inodes\n");
  return 0;
}

// Copy ip's fields to its on-disk inode. Call after changing any field
// that lives on disk. Caller holds ip->lock and is inside a transaction.
void
iupdate(struct inode *ip)
{
  struct buf *b;
  struct dinode *dip;

  b = bread(ip->dev, IBLOCK(ip->inum, sb));
  dip = (struct dinode *)b->data + ip->inum % IPB;
  dip->type = ip->type;
  dip->major = ip->major;
  dip->minor = ip->minor;
  dip->nlink = ip->nlink;
  dip->size = ip->size;
  memmove(dip->addrs, ip->addrs, sizeof(ip->addrs));
  log_write(b);
  brelse(b);
}

// Take another reference to ip. Returns ip, for "x = idup(y)".
struct inode*
idup(struct inode *ip)
{
  acquire(&itable.lock);
  ip->ref++;
  release(&itable.lock);
  return ip;
}

// Lock ip, reading it from disk if needed. Caller holds a reference.
// Panics if the on-disk inode is free: a referenced inode always exists.
void
ilock(struct inode *ip)
{
  struct buf *b;
  struct dinode *dip;

  if(ip == 0 || ip->ref < 1)
    panic("ilock: no reference");
  acquiresleep(&ip->lock);
  if(!ip->valid){
    b = bread(ip->dev, IBLOCK(ip->inum, sb));
    dip = (struct dinode *)b->data + ip->inum % IPB;
    ip->type = dip->type;
    ip->major = dip->major;
    ip->minor = dip->minor;
    ip->nlink = dip->nlink;
    ip->size = dip->size;
    memmove(ip->addrs, dip->addrs, sizeof(ip->addrs));
    brelse(b);
    ip->valid = 1;
    if(ip->type == 0)
      panic("ilock: inode has no type");
  }
}

// Unlock ip. Caller holds ip->lock.
void
iunlock(struct inode *ip)
{
  if(ip == 0 || !holdingsleep(&ip->lock) || ip->ref < 1)
    panic("iunlock: not locked");
  releasesleep(&ip->lock);
}

// Drop a reference to ip. When it was the last reference and no
// directory links to the inode, free its blocks and the inode on disk.
// Caller must not hold ip->lock and must be inside a transaction (even a
// read-only path may drop the last reference to an unlinked file).
void
iput(struct inode *ip)
{
  int r;

  acquire(&itable.lock);
  if(ip->ref == 1 && ip->valid && ip->nlink == 0){
    // Nobody else can find this inode: no links, no other references.
    // So ilock() cannot block here, and dropping itable.lock is safe.
    release(&itable.lock);
    acquiresleep(&ip->lock);
    itrunc(ip);
    ip->type = 0;
    iupdate(ip);
    ip->valid = 0;
    releasesleep(&ip->lock);
    acquire(&itable.lock);
  }
  r = --ip->ref;
  release(&itable.lock);
  if(r < 0)
    panic("iput: negative reference count");
}

// Unlock ip, then drop the reference.
void
iunlockput(struct inode *ip)
{
  iunlock(ip);
  iput(ip);
}

// ---- file content ---------------------------------------------------------
//
// ip->addrs[0..NDIRECT-1] are the first NDIRECT blocks of the file;
// ip->addrs[NDIRECT] is an indirect block listing the next NINDIRECT.

// Return the disk block holding file block bn of ip, or 0 if there is
// none: bn is past MAXFILE, the block is missing and alloc is 0, or the
// disk is full. With alloc set, caller is inside a transaction.
// Caller holds ip->lock.
static uint
bmap(struct inode *ip, uint bn, int alloc)
{
  struct buf *b;
  uint *entries, addr;

  if(bn < NDIRECT){
    if(ip->addrs[bn] == 0 && alloc)
      ip->addrs[bn] = balloc(ip->dev);
    return ip->addrs[bn];
  }
  bn -= NDIRECT;
  if(bn >= NINDIRECT)
    return 0;

  if(ip->addrs[NDIRECT] == 0){
    if(!alloc)
      return 0;
    ip->addrs[NDIRECT] = balloc(ip->dev);
    if(ip->addrs[NDIRECT] == 0)
      return 0;
  }
  b = bread(ip->dev, ip->addrs[NDIRECT]);
  entries = (uint *)b->data;
  addr = entries[bn];
  if(addr == 0 && alloc){
    addr = balloc(ip->dev);
    if(addr){
      entries[bn] = addr;
      log_write(b);
    }
  }
  brelse(b);
  return addr;
}

// Free every block of ip and set its size to 0.
// Caller holds ip->lock and is inside a transaction.
void
itrunc(struct inode *ip)
{
  struct buf *b;
  uint *entries;
  uint i;

  for(i = 0; i < NDIRECT; i++){
    if(ip->addrs[i]){
      bfree(ip->dev, ip->addrs[i]);
      ip->addrs[i] = 0;
    }
  }
  if(ip->addrs[NDIRECT]){
    b = bread(ip->dev, ip->addrs[NDIRECT]);
    entries = (uint *)b->data;
    for(i = 0; i < NINDIRECT; i++){
      if(entries[i])
        bfree(ip->dev, entries[i]);
    }
    brelse(b);
    bfree(ip->dev, ip->addrs[NDIRECT]);
    ip->addrs[NDIRECT] = 0;
  }
  ip->size = 0;
  iupdate(ip);
}

// Fill *st from ip. Caller holds ip->lock.
void
stati(struct inode *ip, struct stat *st)
{
  st->dev = ip->dev;
  st->ino = ip->inum;
  st->type = ip->type;
  st->nlink = ip->nlink;
  st->size = ip->size;
}

// Read up to n bytes at offset off of ip into dst (a user address if
// user_dst, else a kernel address). Returns the bytes read: 0 at or past
// end of file, fewer than n if the file ends; -1 if dst is not writable,
// off + n overflows or off lies beyond the largest possible file.
// Caller holds ip->lock.
int
readi(struct inode *ip, int user_dst, uint64 dst, uint off, uint n)
{
  struct buf *b;
  uint tot, m, addr;

  if(off + n < off || off > MAXFILE * BSIZE)
    return -1;
  if(off >= ip->size)
    return 0;
  if(off + n > ip->size)
    n = ip->size - off;

  for(tot = 0; tot < n; tot += m, off += m, dst += m){
    addr = bmap(ip, off / BSIZE, 0);
    if(addr == 0)
      break;
    b = bread(ip->dev, addr);
    m = min(n - tot, BSIZE - off % BSIZE);
    if(either_copyout(user_dst, dst, b->data + off % BSIZE, m) == -1){
      brelse(b);
      return -1;
    }
    brelse(b);
  }
  return tot;
}

// Write n bytes from src (a user address if user_src, else kernel) to ip
// at offset off, growing the file if needed. Returns the bytes written,
// fewer than n if the disk fills or a copy fails; -1 if off is past the
// end of the file or the write would go past MAXFILE blocks.
// Caller holds ip->lock and is inside a transaction.
int
writei(struct inode *ip, int user_src, uint64 src, uint off, uint n)
{
  struct buf *b;
  uint tot, m, addr;

  if(off > ip->size || off + n < off)
    return -1;
  if(off + n > MAXFILE * BSIZE)
    return -1;

  for(tot = 0; tot < n; tot += m, off += m, src += m){
    addr = bmap(ip, off / BSIZE, 1);
    if(addr == 0)
      break;
    b = bread(ip->dev, addr);
    m = min(n - tot, BSIZE - off % BSIZE);
    int bad = either_copyin(b->data + off % BSIZE, user_src, src, m) == -1;
    // A copy that failed part-way (a buffer running into an unmapped page)
    // has already changed the block: log it anyway, or the cache would
    // hold a change the disk never gets (xv6-riscv's partial_write test).
    log_write(b);
    brelse(b);
    if(bad)
      break;
  }

  if(off > ip->size)
    ip->size = off;
  // Written even when the size is unchanged: bmap may have added blocks.
  iupdate(ip);
  return tot;
}

// ---- directories ------------------------------------------------------------

// Compare two directory entry names (at most DIRSIZ characters).
int
namecmp(const char *s, const char *t)
{
  return strncmp(s, t, DIRSIZ);
}

// Look for name in directory dp. Returns the entry's inode, referenced
// and unlocked, or 0 if absent (or the inode table is full). If poff is
// not 0, *poff gets the entry's byte offset. Caller holds dp->lock.
struct inode*
dirlookup(struct inode *dp, char *name, uint *poff)
{
  struct dirent de;
  uint off;

  if(dp->type != T_DIR)
    panic("dirlookup: not a directory");
  // A removed directory (a process's cwd can outlive its unlink) names
  // nothing: its ".." may point at an inode that is free by now.
  if(dp->nlink == 0)
    return 0;
  for(off = 0; off + sizeof(de) <= dp->size; off += sizeof(de)){
    if(readi(dp, 0, (uint64)&de, off, sizeof(de)) != sizeof(de))
      return 0;
    if(de.inum == 0)
      continue;
    if(namecmp(name, de.name) == 0){
      if(poff)
        *poff = off;
      return iget(dp->dev, de.inum);
    }
  }
  return 0;
}

// Add the entry (name, inum) to directory dp, reusing a free slot if
// there is one. Returns 0, or -1 if name already exists, dp has been
// removed, or the write fails. Caller holds dp->lock and is inside a
// transaction.
int
dirlink(struct inode *dp, char *name, uint inum)
{
  struct dirent de;
  struct inode *ip;
  uint off;

  if(dp->nlink == 0)   // removed directory: nothing may be added to it
    return -1;
  ip = dirlookup(dp, name, 0);
  if(ip){
    iput(ip);
    return -1;
  }

  for(off = 0; off + sizeof(de) <= dp->size; off += sizeof(de)){
    if(readi(dp, 0, (uint64)&de, off, sizeof(de)) != sizeof(de))
      return -1;
    if(de.inum == 0)
      break;
  }
  // off is a free slot, or the end of the directory.
  memset(&de, 0, sizeof(de));
  strncpy(de.name, name, DIRSIZ);
  de.inum = inum;
  if(writei(dp, 0, (uint64)&de, off, sizeof(de)) != sizeof(de))
    return -1;
  return 0;
}

// ---- path names -------------------------------------------------------------

// Split the first element off path: copy it into name (DIRSIZ bytes,
// truncated, NUL-terminated if shorter) and return the rest of the path
// with leading slashes removed. Returns 0 if path has no element left.
//   skipelem("a/bb/c", name) = "bb/c", name "a"
//   skipelem("///a//bb", name) = "bb", name "a"
//   skipelem("a", name) = "", name "a"
//   skipelem("", name) = skipelem("////", name) = 0
static char*
skipelem(char *path, char *name)
{
  char *start;
  int len;

  while(*path == '/')
    path++;
  if(*path == 0)
    return 0;
  start = path;
  while(*path != '/' && *path != 0)
    path++;
  len = path - start;
  if(len >= DIRSIZ){
    memmove(name, start, DIRSIZ);
  } else {
    memmove(name, start, len);
    name[len] = 0;
  }
  while(*path == '/')
    path++;
  return path;
}

// Walk path from the root (if it starts with '/') or the current
// directory. If parent is set, stop one element early: return the
// directory that would hold the last element and copy that element into
// name. Returns a referenced, unlocked inode, or 0 if not found.
// Caller is inside a transaction (iput may free an inode).
static struct inode*
namex(char *path, int parent, char *name)
{
  struct inode *ip, *next;

  if(*path == '/')
    ip = iget(ROOTDEV, ROOTINO);
  else
    ip = idup(myproc()->cwd);
  if(ip == 0)
    return 0;

  while((path = skipelem(path, name)) != 0){
    ilock(ip);
    if(ip->type != T_DIR){
      iunlockput(ip);
      return 0;
    }
    if(parent && *path == 0){
      // name is the last element: ip is its directory.
      iunlock(ip);
      return ip;
    }
    // Unlock ip before locking next: next may be ip itself (".").
    next = dirlookup(ip, name, 0);
    iunlockput(ip);
    if(next == 0)
      return 0;
    ip = next;
  }
  if(parent){
    // The path had no last element ("/" or ""): no parent to return.
    iput(ip);
    return 0;
  }
  return ip;
}

// Return the inode named by path, referenced and unlocked, or 0.
struct inode*
namei(char *path)
{
  char name[DIRSIZ];

  return namex(path, 0, name);
}

// Return the directory holding the last element of path, referenced and
// unlocked, and copy that element into name (DIRSIZ bytes). 0 if none.
struct inode*
nameiparent(char *path, char *name)
{
  return namex(path, 1, name);
}
