// One cached disk block.
struct buf {
  int valid;   // data holds the block's contents
  int disk;    // virtio driver owns it while a request is in flight
  uint dev;
  uint blockno;
  struct sleeplock lock;
  uint refcnt;
  struct buf *prev; // LRU list, most recently used first
  struct buf *next;
  uchar data[BSIZE];
};
