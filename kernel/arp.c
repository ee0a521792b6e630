// ARP (RFC 826): the kernel shell of the neighbour cache. The rules (what
// an ARP message may create or refresh, ageing, which entry a new one
// replaces, what waits and what is dropped) are the pure core in
// kernel/neigh.c; this file holds its lock, keeps the packets waiting for
// each entry, and carries out what the core decides: it builds and sends
// requests and replies, sends or queues or drops packets, and counts.
// When our own address changes, arp_announce() broadcasts a gratuitous
// request (sender and target both the new address).
//
// It is also the bottom of the send path, which goes one way down: IP
// output (net.c) -> arp_output() -> arp_xmit() -> the driver. Nothing
// here calls back up into net.c; the addresses it needs come as
// arguments. arp_put_eth() completes a frame (Ethernet header, padding)
// for everything that sends, the ceiling benchmark included.

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/defs.h"
#include "kernel/netdefs.h"
#include "kernel/netparse.h"
#include "kernel/netif.h"
#include "kernel/neigh.h"

// arp.lock guards n and pending[]. It is a leaf lock: nothing but the
// mbuf pool's lock is taken inside it, and no frame is transmitted while
// it is held. pending[i] holds the IPv4 packets waiting for entry i;
// n.ent[i].npending is its length.
static struct {
  struct spinlock lock;
  struct neigh n;
  struct mbufq pending[NEIGH_N];
} arp;

void
arp_init(void)
{
  initlock(&arp.lock, "arp");
  neigh_init(&arp.n, ARP_TTL_DEFAULT * 1000);
  for(int i = 0; i < NEIGH_N; i++)
    mbufq_init(&arp.pending[i]);
}

// The core's clock: milliseconds since boot, in ticks.
static uint64
now(void)
{
  return (uint64)__atomic_load_n(&ticks, __ATOMIC_RELAXED) * TICK_MS;
}

// The queue part of the core's actions o, while arp.lock is held: the
// packets it drops go to dropq, those it releases to sendq, and m (if
// o says so) waits on its slot.
static void
take(struct neigh_out *o, struct mbufq *dropq, struct mbufq *sendq,
     struct mbuf *m)
{
  for(int i = 0; i < NEIGH_N; i++)
    if(o->drop & (1u << i))
      mbufq_concat(dropq, &arp.pending[i]);
  if(o->release >= 0)
    mbufq_concat(sendq, &arp.pending[o->release]);
  if(m && o->pkt == NEIGH_QUEUE)
    mbufq_push(&arp.pending[o->slot], m);
  if(o->full)
    NETSTAT_INC(arp_full);
}

// Free every packet on q, counting each as never resolved.
static void
drop_all(struct mbufq *q)
{
  struct mbuf *m;

  while((m = mbufq_pop(q)) != 0){
    NETSTAT_INC(tx_drop_noarp);
    mbuffree(m);
  }
}

// Pad m with zeros to the minimum frame length.
static void
pad(struct mbuf *m)
{
  if(m->len < ETH_MINLEN)
    memset(mbufput(m, ETH_MINLEN - m->len), 0, ETH_MINLEN - m->len);
}

// Make the packet in m (type: ETHTYPE_IP or ETHTYPE_ARP; ETH_HLEN bytes
// of headroom) a complete frame from us to dst: prepend the Ethernet
// header, pad to the minimum length.
void
arp_put_eth(struct mbuf *m, const uint8 *dst, uint16 type)
{
  np_put_eth((uint8 *)mbufpush(m, ETH_HLEN), dst, e1000_mac, type);
  pad(m);
}

// Hand the complete Ethernet frame in m to the driver, padding it to the
// minimum frame length (a reply rewritten in place may be short). Always
// consumes m: if the driver refuses it, it is freed and counted
// (tx_drop_dev) and -1 returned; else 0. Caller must hold no locks (the
// driver may take its own).
int
arp_xmit(struct mbuf *m)
{
  pad(m);
  netstage_mark(m, NS_TX_BUILD);
  if(e1000_transmit(m) < 0){
    NETSTAT_INC(tx_drop_dev);
    mbuffree(m);
    return -1;
  }
  return 0;
}

// Prepend an Ethernet header for dst to the IPv4 packet m and send it.
// Consumes m; returns arp_xmit's result.
static int
send_ip(struct mbuf *m, const uint8 *dst)
{
  arp_put_eth(m, dst, ETHTYPE_IP);
  return arp_xmit(m);
}

// Send every packet on q to dst.
static void
send_all(struct mbufq *q, const uint8 *dst)
{
  struct mbuf *m;

  while((m = mbufq_pop(q)) != 0)
    send_ip(m, dst);
}

// Send "who has ip?" from sip to Ethernet address dst (broadcast, or the
// address a stale entry knows).
static void
send_request(const uint8 *dst, uint32 sip, uint32 ip)
{
  struct mbuf *m;

  if((m = mbufalloc(ETH_HLEN)) == 0){
    NETSTAT_INC(tx_drop_nombuf);
    return;
  }
  np_put_arp((uint8 *)mbufput(m, ARP_LEN), ARP_OP_REQUEST, e1000_mac, sip, 0, ip);
  arp_put_eth(m, dst, ETHTYPE_ARP);
  if(arp_xmit(m) == 0)
    NETSTAT_INC(arp_tx);
}

// Tell the subnet that ip (our new address) is at our Ethernet address: a
// gratuitous request, so neighbours holding an old entry for ip update it.
// Called by net_ifset() with no locks held.
void
arp_announce(uint32 ip)
{
  send_request(np_mac_broadcast, ip, ip);
}

// Handle an ARP message np_parse accepted from a possible sender sip at
// sha: kind NP_ARP_REQUEST or NP_ARP_REPLY (for us) or NP_ARP_OTHER (not
// for us), myip being our address np_parse went by. The core refreshes or
// fills in sip's entry (neigh_rx); the packets that were waiting for it
// are sent, and a request for us is answered by rewriting m into the
// reply. Always consumes m. Caller holds no locks.
void
arp_rx(struct mbuf *m, int kind, uint32 sip, uint8 *sha, uint32 myip)
{
  struct mbufq sendq, dropq;
  struct neigh_out o;

  mbufq_init(&sendq);
  mbufq_init(&dropq);
  acquire(&arp.lock);
  neigh_rx(&arp.n, now(), kind, sip, sha, &o);
  take(&o, &dropq, &sendq, 0);
  release(&arp.lock);

  // o.mac is a copy of sha, which points into m (reused or freed here).
  if(o.reply){
    NETSTAT_INC(arp_rx);
    m->len = np_arp_reply((uint8 *)m->head, e1000_mac, myip);
    if(arp_xmit(m) == 0)
      NETSTAT_INC(arp_tx);
  } else {
    if(kind == NP_ARP_REPLY)
      NETSTAT_INC(arp_rx);
    else
      NETSTAT_INC(drop_arp);   // not for us: at most a refresh
    mbuffree(m);
  }
  drop_all(&dropq);
  send_all(&sendq, o.mac);
}

// Send the IPv4 packet in m (m->head is the IP header, with ETH_HLEN bytes
// of headroom; sip its source address) to the neighbour nexthop,
// resolving its Ethernet address first if need be (neigh_output decides;
// a request goes out from sip). Always consumes m. Returns 0 if it was
// sent or is waiting for ARP, -1 if it was dropped (and counted). No
// locks held.
int
arp_output(struct mbuf *m, uint32 sip, uint32 nexthop)
{
  struct mbufq dropq, sendq;
  struct neigh_out o;

  mbufq_init(&dropq);
  mbufq_init(&sendq);
  acquire(&arp.lock);
  neigh_output(&arp.n, now(), nexthop, &o);
  take(&o, &dropq, &sendq, m);
  release(&arp.lock);

  drop_all(&dropq);
  if(o.pkt == NEIGH_QUEUE)
    NETSTAT_INC(arp_queued);
  if(o.ask)
    send_request(o.ask_mac, sip, o.ask_ip);
  if(o.pkt == NEIGH_SEND)
    return send_ip(m, o.mac);
  if(o.pkt == NEIGH_DROP){
    NETSTAT_INC(tx_drop_noarp);   // no route, too many waiting, or no slot
    mbuffree(m);
    return -1;
  }
  return 0;
}

// Copy the Ethernet address of neighbour ip to mac if the cache knows it.
// Returns 0, or -1 (then nothing is asked: see arp_output). Takes arp.lock.
int
arp_lookup(uint32 ip, uint8 *mac)
{
  int r;

  acquire(&arp.lock);
  r = neigh_lookup(&arp.n, ip, mac);
  release(&arp.lock);
  return r;
}

// arplist(): copy a struct arpinfo for each entry in use (at most n) to
// the user address uinfo. Returns how many entries there are, or -1 if the
// copy fails. Caller holds no locks.
int
arp_list(uint64 uinfo, int n)
{
  struct arpinfo ai[NEIGH_N];
  int i;

  acquire(&arp.lock);
  i = neigh_list(&arp.n, now(), ai);
  release(&arp.lock);
  if(n > i)
    n = i;
  if(n > 0 && copyout(myproc()->pagetable, uinfo, (char *)ai, n * sizeof(ai[0])) < 0)
    return -1;
  return i;
}

// arpctl(op, arg): ARPCTL_FLUSH forgets every entry (their pending packets
// are dropped and counted) and returns 0; ARPCTL_TTL sets the lifetime to
// arg seconds (0: leave it) and returns the old one. -1 for a bad op or
// value. Caller holds no locks.
int
arp_ctl(int op, int arg)
{
  struct mbufq dropq, sendq;
  struct neigh_out o;
  int r;

  if(op == ARPCTL_TTL){
    acquire(&arp.lock);
    r = neigh_ttl(&arp.n, arg);
    release(&arp.lock);
    return r;
  }
  if(op != ARPCTL_FLUSH)
    return -1;
  mbufq_init(&dropq);
  mbufq_init(&sendq);
  acquire(&arp.lock);
  neigh_flush(&arp.n, &o);
  take(&o, &dropq, &sendq, 0);
  release(&arp.lock);
  drop_all(&dropq);
  return 0;
}

// Timer: drop the packets of requests that were never answered, and
// forget entries not confirmed for ttl. Called from net_tick() with no
// locks held.
void
arp_tick(void)
{
  struct mbufq dropq, sendq;
  struct neigh_out o;

  mbufq_init(&dropq);
  mbufq_init(&sendq);
  acquire(&arp.lock);
  neigh_tick(&arp.n, now(), &o);
  take(&o, &dropq, &sendq, 0);
  release(&arp.lock);
  drop_all(&dropq);
}
