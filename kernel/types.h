// Basic fixed-width types, shared by the kernel, mkfs and user programs.
// The names match MIT xv6-riscv so its user programs build unchanged.

typedef unsigned int   uint;
typedef unsigned short ushort;
typedef unsigned char  uchar;

typedef unsigned char  uint8;
typedef unsigned short uint16;
typedef unsigned int   uint32;
typedef unsigned long  uint64;

typedef uint64 pde_t;
