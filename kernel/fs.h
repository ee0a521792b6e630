// On-disk file system format, shared by the kernel and mkfs.
//
// Disk layout, in BSIZE blocks:
//   [ boot | super | log ... | inodes ... | free bitmap ... | data ... ]
// mkfs computes where each region starts and records it in the superblock.

#define ROOTINO  1     // inode number of the root directory
#define BSIZE    1024  // block size in bytes
#define FSMAGIC  0x10203040

struct superblock {
  uint magic;       // must be FSMAGIC
  uint size;        // size of the image in blocks
  uint nblocks;     // number of data blocks
  uint ninodes;     // number of inodes
  uint nlog;        // number of log blocks (header included)
  uint logstart;    // first log block
  uint inodestart;  // first inode block
  uint bmapstart;   // first free-bitmap block
};

#define NDIRECT   12
#define NINDIRECT (BSIZE / sizeof(uint))
#define MAXFILE   (NDIRECT + NINDIRECT)

// An inode as stored on disk.
struct dinode {
  short type;               // T_DIR, T_FILE, T_DEVICE; 0 means free
  short major;              // device numbers (T_DEVICE only)
  short minor;
  short nlink;              // directory entries naming this inode
  uint size;                // bytes of content
  uint addrs[NDIRECT+1];    // direct blocks, then one indirect block
};

// Inodes per block, and the block holding inode i.
#define IPB           (BSIZE / sizeof(struct dinode))
#define IBLOCK(i, sb) ((i) / IPB + (sb).inodestart)

// Bitmap bits per block, and the bitmap block holding block b's bit.
#define BPB           (BSIZE*8)
#define BBLOCK(b, sb) ((b)/BPB + (sb).bmapstart)

// A directory is a file holding a sequence of these.
#define DIRSIZ 14
struct dirent {
  ushort inum;          // 0 means the slot is free
  char name[DIRSIZ];    // not NUL-terminated when DIRSIZ long
};
