// The driver's receive modes: the one definition of their numbers and
// names, shared by the kernel, user programs (netstat, netmode, udpbench)
// and the gdb extension (which reads enum netmode from the kernel's debug
// info). NOTES.md "The three modes" describes them. The mode the kernel
// boots in comes from the Makefile's NETMODE (kernel/netboot.h); the
// netmode() system call changes it at run time.

#ifndef XV6_NETMODE_H
#define XV6_NETMODE_H

enum netmode {
  NETMODE_INTR = 0,     // the interrupt handler drains the RX ring
  NETMODE_POLL = 1,     // interrupts masked; the net thread polls the rings
  NETMODE_HYBRID = 2,   // an interrupt wakes the net thread, which polls until empty
  NETMODE_COUNT
};

// The name of mode m ("intr", "poll", "hybrid"), or "unknown".
static inline const char *
netmode_name(int m)
{
  switch(m){
  case NETMODE_INTR:   return "intr";
  case NETMODE_POLL:   return "poll";
  case NETMODE_HYBRID: return "hybrid";
  }
  return "unknown";
}

#endif
