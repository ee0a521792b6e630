// Where a datagram's time goes: the stages of its path through the
// kernel, and the per-mode histograms the kernel keeps of them. Shared by
// the kernel (kernel/netstage.c records), user programs (user/netstages.c
// prints; netstages() copies them out) and bench/stages.py (the names).
// NOTES.md "Where the time goes" explains the stages.
//
// A received datagram is stamped when the driver sees DD on its descriptor
// (e1000_rx_drain), when net_rx() starts on it, when it is queued on its
// socket, when a reader takes it off the queue (a woken reader running
// again, or a polling reader seeing it), and when copyout() has copied
// it. A sent datagram is stamped when its system call entered, when the
// frame is built (net_xmit), just before the TDT store and when its
// descriptor is reclaimed. Each stage is the time (and the instret count)
// between two stamps; *_total is the first stamp to the last. A datagram
// is counted once its last stamp is taken, in the histograms of the mode
// the driver was in at its first; one dropped on the way is not counted.

#ifndef XV6_NETSTAGE_H
#define XV6_NETSTAGE_H

#include "kernel/netmode.h"

enum netstage {
  NS_RX_DRIVER,   // DD seen -> net_rx: the rest of the driver's batch, RDT store
  NS_RX_STACK,    // net_rx -> on the socket queue: parse, lookup, enqueue
  NS_RX_WAKE,     // queued -> a reader takes it: wakeup, scheduling, or queueing
  NS_RX_COPY,     // taken -> copyout done
  NS_RX_TOTAL,    // DD seen -> copyout done
  NS_TX_BUILD,    // system call entered -> frame built: copyin, headers, ARP
  NS_TX_DRIVER,   // frame built -> TDT store: driver lock, reclaim, descriptor
  NS_TX_SEND,     // TDT store -> descriptor reclaimed: QEMU sends inside the store
  NS_TX_TOTAL,    // system call entered -> reclaimed
  NETSTAGE_N
};

#define NS_RX_FIRST NS_RX_DRIVER   // stages of a direction run FIRST..LAST, then TOTAL
#define NS_RX_LAST  NS_RX_COPY
#define NS_TX_FIRST NS_TX_BUILD
#define NS_TX_LAST  NS_TX_SEND

#define NETSTAGE_BUCKETS 32   // bucket b: [2^b, 2^(b+1)) ns (0 also in 0); the last: beyond

// One stage of one mode. Every field only grows (until a reset).
struct netstage_hist {
  uint64 count;            // datagrams
  uint64 sum_ns;           // their time in this stage
  uint64 sum_inst;         // their instret delta (instructions under -icount)
  uint64 neg;              // stamps found out of order (a bug; counted as 0 ns)
  uint64 bucket[NETSTAGE_BUCKETS];
};

// What netstages() copies out.
struct netstages {
  uint64 tick_ns;          // the clock's resolution: ns per time-CSR tick
  uint64 on;               // 1 while datagrams are stamped (NETSTAGE_ON/OFF)
  uint64 cost_rx_inst;     // instret the recording of one received datagram
  uint64 cost_tx_inst;     //   (one sent) costs, from the last NETSTAGE_COST; 0: never
  struct netstage_hist h[NETMODE_COUNT][NETSTAGE_N];
};

// netstages(ns, flags): flags, or-ed.
#define NETSTAGE_RESET 1   // zero the histograms after copying them out
#define NETSTAGE_COST  2   // first measure what the recording costs (cost_*_inst)
#define NETSTAGE_ON    4   // start stamping datagrams (the default at boot)
#define NETSTAGE_OFF   8   // stop: datagrams from now on are not stamped or counted

// The name of stage s ("rx_driver", ...), or "unknown".
static inline const char *
netstage_name(int s)
{
  static const char *names[NETSTAGE_N] = {
    "rx_driver", "rx_stack", "rx_wake", "rx_copy", "rx_total",
    "tx_build", "tx_driver", "tx_send", "tx_total",
  };
  return s >= 0 && s < NETSTAGE_N ? names[s] : "unknown";
}

#endif
