// The neighbour cache's rules (ARP, RFC 826; ageing, RFC 1122 2.3.2.1) as
// a pure core: no locks, no mbufs, no kernel globals. State is passed in
// by pointer, the time as `now` (milliseconds since boot); each call
// fills a struct neigh_out with what the caller must do. kernel/arp.c is
// the kernel shell (lock, frames, the packets waiting); test/neigh_unit.c
// tests it on the host. The rules themselves are at the top of neigh.c.
//
// Needs kernel/types.h included first.

#define NEIGH_N        16     // entries: a LAN of 8 guests, the host and its DNS fit
#define NEIGH_PENDMAX  4      // packets that may wait for one neighbour
#define NEIGH_WAIT_MS  1000   // an unanswered request is given up after this

struct arpinfo;

struct neigh_ent {
  uint32 ip;           // 0: slot unused
  int valid;           // mac is known
  uint8 mac[6];
  uint64 stamp;        // when confirmed (valid) or when asked (not valid)
  uint64 asked;        // valid: when we last sent a refresh request
  uint64 used;         // when last used for sending, or made
  int wanted;          // we sent through it or asked for it
  int npending;        // packets the caller keeps waiting for this slot
};

struct neigh {
  struct neigh_ent ent[NEIGH_N];
  uint64 ttl;          // entries' lifetime, ms
};

// What to do with the packet neigh_output() was asked about.
enum {
  NEIGH_SEND = 1,      // send it now to out.mac
  NEIGH_QUEUE,         // keep it waiting on slot out.slot
  NEIGH_DROP,          // free it, counted as never resolved (tx_drop_noarp)
};

// The actions of one call. Under its lock the caller moves the packets
// waiting on every slot whose bit is set in drop, and on slot release, off
// their queues (and queues the packet, for NEIGH_QUEUE); after releasing
// it, it frees the dropped ones (each counted tx_drop_noarp), sends the
// released ones to mac, answers the request (reply), sends a request for
// ask_ip to ask_mac (before the packet, for a refresh) and sends or drops
// the packet. full: a new neighbour found no slot (count arp_full).
struct neigh_out {
  uint32 drop;         // bit i: the packets waiting on slot i
  int release;         // slot whose packets go to mac, or -1
  int pkt;             // neigh_output: NEIGH_*
  int slot;            //   NEIGH_QUEUE: the slot it waits on
  uint8 mac[6];        // release and NEIGH_SEND: the destination
  int reply;           // neigh_rx: answer the request for us
  int ask;             // send "who has ask_ip?" to ask_mac
  uint32 ask_ip;
  uint8 ask_mac[6];    // broadcast, or the address a stale entry knows
  int full;
};

void neigh_init(struct neigh *n, uint64 ttl);
void neigh_rx(struct neigh *n, uint64 now, int kind, uint32 sip,
              const uint8 *sha, struct neigh_out *o);
void neigh_output(struct neigh *n, uint64 now, uint32 nexthop,
                  struct neigh_out *o);
void neigh_tick(struct neigh *n, uint64 now, struct neigh_out *o);
void neigh_flush(struct neigh *n, struct neigh_out *o);
int  neigh_lookup(struct neigh *n, uint32 ip, uint8 *mac);
int  neigh_ttl(struct neigh *n, int secs);
int  neigh_list(struct neigh *n, uint64 now, struct arpinfo *ai);
