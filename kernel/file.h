// Open files and in-memory inodes.

struct file {
  enum { FD_NONE, FD_PIPE, FD_INODE, FD_DEVICE, FD_SOCK, FD_TCP, FD_TCPLISTEN } type;
  int ref;            // reference count
  char readable;
  char writable;
  struct pipe *pipe;  // FD_PIPE
  struct inode *ip;   // FD_INODE and FD_DEVICE
  struct sock *sock;  // FD_SOCK
  struct tcpconn *tcp;     // FD_TCP
  struct tcplisten *tcpl;  // FD_TCPLISTEN
  uint off;           // FD_INODE
  short major;        // FD_DEVICE
};

#define major(dev)  ((dev) >> 16 & 0xFFFF)
#define minor(dev)  ((dev) & 0xFFFF)
#define	mkdev(m,n)  ((uint)((m)<<16| (n)))

// In-memory copy of an inode.
struct inode {
  uint dev;           // device number
  uint inum;          // inode number
  int ref;            // reference count
  struct sleeplock lock; // guards everything below
  int valid;          // fields below were read from disk

  short type;         // copy of the disk inode
  short major;
  short minor;
  short nlink;
  uint size;
  uint addrs[NDIRECT+1];
};

// Device switch: read/write entry points by major number.
struct devsw {
  int (*read)(int user_dst, uint64 dst, int n);
  int (*write)(int user_src, uint64 src, int n);
};

extern struct devsw devsw[];

#define CONSOLE 1
