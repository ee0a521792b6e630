// mkfs: build a file system image for the kernel (host program).
//
//   mkfs fs.img file...
//
// Writes an FSSIZE-block image laid out as kernel/fs.h describes:
//   [ boot | super | log header + LOGSIZE | inodes | bitmap | data ]
// with a root directory holding ".", ".." and one entry per file. A file
// named user/_sh is installed as /sh; any other path keeps only its last
// element (docs/README.md becomes /README.md).
//
// On-disk integers are little-endian; le16/le32 convert, so the image is
// the same whatever the host's byte order.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/types.h"
#include "kernel/fs.h"
#include "kernel/stat.h"
#include "kernel/param.h"

#define NINODES 200

// Region sizes, in blocks.
#define NBITMAP  (FSSIZE / BPB + 1)
#define NINOBLK  (NINODES / IPB + 1)
#define NLOG     (LOGSIZE + 1)        // header block + LOGSIZE blocks
#define NMETA    (2 + NLOG + NINOBLK + NBITMAP)

static FILE *img;
static struct superblock sb;   // in host byte order
static uint next_inum = 1;     // next free inode number
static uint next_block = NMETA; // next free data block

static void
die(const char *msg, const char *arg)
{
  fprintf(stderr, "mkfs: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
  exit(1);
}

// Host value to little-endian representation (and back: it is its own
// inverse).
static uint
le32(uint x)
{
  uchar b[4] = { x, x >> 8, x >> 16, x >> 24 };
  uint y;

  memcpy(&y, b, sizeof(y));
  return y;
}

static ushort
le16(ushort x)
{
  uchar b[2] = { x, x >> 8 };
  ushort y;

  memcpy(&y, b, sizeof(y));
  return y;
}

static void
write_block(uint bno, const void *data)
{
  if(bno >= FSSIZE)
    die("block number out of range", 0);
  if(fseek(img, (long)bno * BSIZE, SEEK_SET) != 0 ||
     fwrite(data, BSIZE, 1, img) != 1)
    die("write failed", 0);
}

static void
read_block(uint bno, void *data)
{
  if(bno >= FSSIZE)
    die("block number out of range", 0);
  if(fseek(img, (long)bno * BSIZE, SEEK_SET) != 0 ||
     fread(data, BSIZE, 1, img) != 1)
    die("read failed", 0);
}

// Copy an on-disk inode (little-endian) in or out of its inode block.
static void
put_dinode(uint inum, const struct dinode *dip)
{
  uchar blk[BSIZE];

  read_block(IBLOCK(inum, sb), blk);
  memcpy((struct dinode *)blk + inum % IPB, dip, sizeof(*dip));
  write_block(IBLOCK(inum, sb), blk);
}

static void
get_dinode(uint inum, struct dinode *dip)
{
  uchar blk[BSIZE];

  read_block(IBLOCK(inum, sb), blk);
  memcpy(dip, (struct dinode *)blk + inum % IPB, sizeof(*dip));
}

// Allocate the next inode with the given type and one link.
static uint
new_inode(short type)
{
  struct dinode din;
  uint inum;

  if(next_inum >= NINODES)
    die("out of inodes", 0);
  inum = next_inum++;
  memset(&din, 0, sizeof(din));
  din.type = le16(type);
  din.nlink = le16(1);
  put_dinode(inum, &din);
  return inum;
}

// Allocate a data block; blocks are handed out in order, so the bitmap
// is written once at the end from next_block.
static uint
new_block(void)
{
  if(next_block >= FSSIZE)
    die("out of data blocks", 0);
  return next_block++;
}

// Disk block holding file block fbn of din, allocating it (and the
// indirect block) if needed. din is in disk byte order.
static uint
file_block(struct dinode *din, uint fbn)
{
  uint ind[NINDIRECT];
  uint addr;

  if(fbn < NDIRECT){
    if(din->addrs[fbn] == 0)
      din->addrs[fbn] = le32(new_block());
    return le32(din->addrs[fbn]);
  }
  fbn -= NDIRECT;
  if(fbn >= NINDIRECT)
    die("file too big", 0);
  if(din->addrs[NDIRECT] == 0)
    din->addrs[NDIRECT] = le32(new_block());   // image starts zeroed
  read_block(le32(din->addrs[NDIRECT]), ind);
  if(ind[fbn] == 0){
    ind[fbn] = le32(new_block());
    write_block(le32(din->addrs[NDIRECT]), ind);
  }
  addr = le32(ind[fbn]);
  return addr;
}

// Append n bytes of data to inode inum.
static void
append(uint inum, const void *data, uint n)
{
  const uchar *p = data;
  struct dinode din;
  uchar blk[BSIZE];
  uint off, bno, m;

  get_dinode(inum, &din);
  off = le32(din.size);
  while(n > 0){
    bno = file_block(&din, off / BSIZE);
    m = BSIZE - off % BSIZE;
    if(m > n)
      m = n;
    read_block(bno, blk);
    memcpy(blk + off % BSIZE, p, m);
    write_block(bno, blk);
    off += m;
    p += m;
    n -= m;
  }
  din.size = le32(off);
  put_dinode(inum, &din);
}

// Add the entry (name, inum) to directory dir.
static void
add_dirent(uint dir, const char *name, uint inum)
{
  struct dirent de;

  memset(&de, 0, sizeof(de));
  de.inum = le16(inum);
  strncpy(de.name, name, DIRSIZ);
  append(dir, &de, sizeof(de));
}

// The name a host path gets in the root directory.
static const char*
target_name(const char *path)
{
  const char *slash;

  if(strncmp(path, "user/_", 6) == 0)
    return path + 6;
  slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

// Copy the host file at path into the root directory.
static void
add_file(uint root, const char *path)
{
  char buf[BSIZE];
  const char *name = target_name(path);
  FILE *in;
  size_t n;
  uint inum;

  if(*name == 0 || strlen(name) > DIRSIZ || strchr(name, '/'))
    die("bad file name", path);
  if((in = fopen(path, "rb")) == 0)
    die("cannot open", path);
  inum = new_inode(T_FILE);
  add_dirent(root, name, inum);
  while((n = fread(buf, 1, sizeof(buf), in)) > 0)
    append(inum, buf, n);
  if(ferror(in))
    die("cannot read", path);
  fclose(in);
}

// Mark blocks [0, used) allocated in the free bitmap.
static void
write_bitmap(uint used)
{
  uchar blk[BSIZE];
  uint i, b;

  for(i = 0; i < NBITMAP; i++){
    memset(blk, 0, sizeof(blk));
    for(b = 0; b < BPB; b++){
      if(i * BPB + b < used)
        blk[b / 8] |= 1 << (b % 8);
    }
    write_block(sb.bmapstart + i, blk);
  }
}

// Fill in sb and write it, little-endian, to block 1.
static void
write_superblock(void)
{
  struct superblock disk;
  uchar blk[BSIZE];

  sb.magic = FSMAGIC;
  sb.size = FSSIZE;
  sb.nblocks = FSSIZE - NMETA;
  sb.ninodes = NINODES;
  sb.nlog = NLOG;
  sb.logstart = 2;
  sb.inodestart = 2 + NLOG;
  sb.bmapstart = 2 + NLOG + NINOBLK;

  disk.magic = le32(sb.magic);
  disk.size = le32(sb.size);
  disk.nblocks = le32(sb.nblocks);
  disk.ninodes = le32(sb.ninodes);
  disk.nlog = le32(sb.nlog);
  disk.logstart = le32(sb.logstart);
  disk.inodestart = le32(sb.inodestart);
  disk.bmapstart = le32(sb.bmapstart);
  memset(blk, 0, sizeof(blk));
  memcpy(blk, &disk, sizeof(disk));
  write_block(1, blk);
}

// Reject two files that would get the same name.
static void
check_unique(int argc, char *argv[])
{
  int i, j;

  for(i = 2; i < argc; i++)
    for(j = i + 1; j < argc; j++)
      if(strncmp(target_name(argv[i]), target_name(argv[j]), DIRSIZ) == 0)
        die("duplicate name", argv[j]);
}

int
main(int argc, char *argv[])
{
  uchar zero[BSIZE];
  uint root, b;
  int i;

  if(argc < 2){
    fprintf(stderr, "usage: mkfs fs.img file...\n");
    return 1;
  }
  if(BSIZE % sizeof(struct dinode) != 0 || BSIZE % sizeof(struct dirent) != 0)
    die("BSIZE must be a multiple of the inode and dirent sizes", 0);
  check_unique(argc, argv);

  if((img = fopen(argv[1], "wb+")) == 0)
    die("cannot create", argv[1]);
  memset(zero, 0, sizeof(zero));
  for(b = 0; b < FSSIZE; b++)
    write_block(b, zero);
  write_superblock();

  root = new_inode(T_DIR);
  if(root != ROOTINO)
    die("root inode is not ROOTINO", 0);
  add_dirent(root, ".", root);
  add_dirent(root, "..", root);
  for(i = 2; i < argc; i++)
    add_file(root, argv[i]);

  write_bitmap(next_block);
  if(fclose(img) != 0)
    die("cannot write", argv[1]);
  printf("mkfs: %d blocks: %d meta (log %d, inodes %d, bitmap %d), "
         "%d data, %u used\n", FSSIZE, (int)NMETA, NLOG, (int)NINOBLK,
         NBITMAP, (int)(FSSIZE - NMETA), next_block);
  return 0;
}
