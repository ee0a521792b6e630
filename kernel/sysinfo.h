// Kernel resource counts for leak checks, copied out by sysinfo().
struct sysinfo {
  uint64 freepages;   // pages on the kernel's free list
  uint64 nproc;       // process slots in use (kernel threads included)
  uint64 mbufs_inuse; // network buffers allocated and not yet freed
  uint64 mbufs_free;  // network buffers on the free list
};
