// ARP (RFC 826): answers "who has <our address>?" and keeps a small cache
// of neighbours' Ethernet addresses for sending.
//
// A send to an address not in the cache broadcasts a request and parks the
// packet on the entry's pending queue (at most ARP_PENDMAX packets); the
// reply releases them. If no reply comes within ARP_WAIT_TICKS (about a
// second) the pending packets are dropped and counted (tx_drop_noarp),
// either by the timer (arp_tick) or by the next send to that address.
//
// Known entries age (RFC 1122 2.3.2.1): any ARP message we accept from a
// neighbour confirms its entry. An entry confirmed less than ttl/2 ago is
// reachable; an older one is stale, and its next use sends a unicast
// request to the address we know (at most one per ARP_WAIT_TICKS) while
// the packet still goes out; an entry not confirmed for ttl is forgotten
// by arp_tick, so a neighbour that left or changed its card is asked
// again. ttl is ARP_TTL_DEFAULT seconds unless arpctl() changes it.
// When our own address changes, arp_announce() broadcasts a gratuitous
// request (sender and target both the new address).
//
// What an incoming message may create (RFC 826's merge flag, RFC 1122
// 2.3.2.1, as Linux's arp_process does): every ARP message from a possible
// sender (np_src_ok) refreshes an entry that already exists for it, even
// one not for us; a new entry is made only for a neighbour that asks for
// us (we are about to talk to it). A reply fills in an entry we asked for
// and creates nothing else. So made-up senders asking for others cost
// nothing, and those asking for us can take only slots nobody uses:
// when the cache is full, a new entry replaces the entry least recently
// used for sending, preferring one never used at all, and never one with
// packets waiting; if every entry has packets waiting the new neighbour
// is not cached (arp_full).

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/defs.h"
#include "kernel/netdefs.h"
#include "kernel/netparse.h"
#include "kernel/netif.h"

#define NARP           16   // a LAN of 8 guests, the host and its DNS fit
#define ARP_PENDMAX    4
#define ARP_WAIT_TICKS (1000 / TICK_MS)
#define TICKS_PER_S    (1000 / TICK_MS)

struct arpent {
  uint32 ip;            // 0: slot unused
  int valid;            // mac is known
  uint8 mac[6];
  uint stamp;           // ticks when confirmed (valid) or when asked (not valid)
  uint asked;           // valid: ticks when we last sent a refresh request
  int wanted;           // we sent through it or asked for it (arp_output)
  uint used;            // ticks when last used for sending, or made
  struct mbufq pending; // IPv4 packets waiting for mac (only while not valid)
};

// arp.lock guards ent[] and ttl. It is a leaf lock: nothing but the mbuf
// pool's lock is taken inside it, and no frame is transmitted while it is
// held.
static struct {
  struct spinlock lock;
  struct arpent ent[NARP];
  uint ttl;             // entries' lifetime, in ticks
} arp;

void
arp_init(void)
{
  initlock(&arp.lock, "arp");
  arp.ttl = ARP_TTL_DEFAULT * TICKS_PER_S;
  for(int i = 0; i < NARP; i++)
    mbufq_init(&arp.ent[i].pending);
}

static uint
now(void)
{
  return __atomic_load_n(&ticks, __ATOMIC_RELAXED);
}

// Is e of no use any more: a request unanswered for too long, or an
// entry not confirmed for ttl? Caller holds arp.lock.
static int
expired(struct arpent *e)
{
  if(e->ip == 0)
    return 0;
  if(!e->valid)
    return now() - e->stamp > ARP_WAIT_TICKS;
  return now() - e->stamp >= arp.ttl;
}

// Should a send through valid entry e first refresh it (it is stale, and
// no refresh is on its way)? Notes the refresh as sent. Caller holds
// arp.lock.
static int
needs_refresh(struct arpent *e)
{
  if(now() - e->stamp < arp.ttl / 2 || now() - e->asked <= ARP_WAIT_TICKS)
    return 0;
  e->asked = now();
  return 1;
}

// Caller holds arp.lock.
static struct arpent *
lookup(uint32 ip)
{
  for(int i = 0; i < NARP; i++)
    if(arp.ent[i].ip == ip)
      return &arp.ent[i];
  return 0;
}

// Empty e, moving its pending packets to dropq. Caller holds arp.lock.
static void
forget(struct arpent *e, struct mbufq *dropq)
{
  struct mbuf *m;

  while((m = mbufq_pop(&e->pending)) != 0)
    mbufq_push(dropq, m);
  e->ip = 0;
  e->valid = 0;
}

// Which entry should a new one replace: a free or expired slot, else of
// those with no packets waiting the one least recently used for sending,
// entries never used first. 0 if every entry has packets waiting.
// Caller holds arp.lock.
static struct arpent *
victim(void)
{
  struct arpent *e, *v = 0;

  for(e = arp.ent; e < arp.ent + NARP; e++){
    if(e->ip == 0 || expired(e))
      return e;
    if(e->pending.len > 0)
      continue;
    if(v == 0 || e->wanted < v->wanted ||
       (e->wanted == v->wanted && now() - e->used > now() - v->used))
      v = e;
  }
  return v;
}

// A new, not yet valid entry for ip, in the slot victim() chooses; the
// packets of an expired entry it replaces go to dropq. Returns 0 (and
// counts arp_full) if there is no slot. Caller holds arp.lock.
static struct arpent *
newent(uint32 ip, struct mbufq *dropq)
{
  struct arpent *e;

  if((e = victim()) == 0){
    NETSTAT_INC(arp_full);
    return 0;
  }
  if(e->ip)
    forget(e, dropq);
  e->ip = ip;
  e->valid = 0;
  e->wanted = 0;
  e->stamp = now();
  e->used = e->stamp;
  return e;
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

// Prepend an Ethernet header for dst to the IPv4 packet m and send it.
// Consumes m; returns net_xmit's result.
static int
send_ip(struct mbuf *m, const uint8 *dst)
{
  np_put_eth((uint8 *)mbufpush(m, ETH_HLEN), dst, e1000_mac, ETHTYPE_IP);
  return net_xmit(m);
}

// Send "who has ip?" from sip to Ethernet address dst (broadcast, or the
// address a stale entry knows).
static void
send_request(const uint8 *dst, uint32 sip, uint32 ip)
{
  struct mbuf *m;
  uint8 *f;

  if((m = mbufalloc(0)) == 0){
    NETSTAT_INC(tx_drop_nombuf);
    return;
  }
  f = (uint8 *)mbufput(m, ETH_HLEN + ARP_LEN);
  np_put_eth(f, dst, e1000_mac, ETHTYPE_ARP);
  np_put_arp(f + ETH_HLEN, ARP_OP_REQUEST, e1000_mac, sip, 0, ip);
  if(net_xmit(m) == 0)
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
// for us). Refresh or fill in sip's entry (a request for us may create
// it; see the top of this file), send any packets that were waiting for
// it, and answer a request for us by rewriting m into the reply. Always
// consumes m. Caller holds no locks.
void
arp_rx(struct mbuf *m, int kind, uint32 sip, uint8 *sha)
{
  struct mbufq sendq, dropq;
  struct arpent *e;
  struct mbuf *p;
  uint8 mac[6];

  memmove(mac, sha, 6);   // sha points into m, which is reused or freed below
  mbufq_init(&sendq);
  mbufq_init(&dropq);
  acquire(&arp.lock);
  if((e = lookup(sip)) == 0 && kind == NP_ARP_REQUEST)
    e = newent(sip, &dropq);
  if(e){
    memmove(e->mac, mac, 6);
    e->valid = 1;
    e->stamp = now();
    e->asked = e->stamp;
    while((p = mbufq_pop(&e->pending)) != 0)
      mbufq_push(&sendq, p);
  }
  release(&arp.lock);

  if(kind == NP_ARP_REQUEST){
    NETSTAT_INC(arp_rx);
    m->len = np_arp_reply((uint8 *)m->head, e1000_mac, net_addr());
    if(net_xmit(m) == 0)
      NETSTAT_INC(arp_tx);
  } else {
    if(kind == NP_ARP_REPLY)
      NETSTAT_INC(arp_rx);
    else
      NETSTAT_INC(drop_arp);   // not for us: at most a refresh
    mbuffree(m);
  }
  drop_all(&dropq);
  while((p = mbufq_pop(&sendq)) != 0)
    send_ip(p, mac);
}

// The entry for ip, if there is one that has not expired (an expired
// one is forgotten, its packets moved to dropq), noted as used for
// sending now. Caller holds arp.lock.
static struct arpent *
use(uint32 ip, struct mbufq *dropq)
{
  struct arpent *e;

  if((e = lookup(ip)) == 0)
    return 0;
  if(expired(e)){
    forget(e, dropq);
    return 0;
  }
  e->wanted = 1;
  e->used = now();
  return e;
}

// Send the IPv4 packet in m (m->head is the IP header, with ETH_HLEN bytes
// of headroom) to the neighbour nexthop, resolving its Ethernet address
// first if need be. Always consumes m. Returns 0 if it was sent or is
// waiting for ARP, -1 if it was dropped (and counted). No locks held.
int
arp_output(struct mbuf *m, uint32 nexthop)
{
  struct mbufq dropq;
  struct arpent *e;
  uint8 mac[6];
  int ask = 0;

  if(nexthop == IP_BROADCAST)
    return send_ip(m, np_mac_broadcast);
  if(nexthop == 0){
    NETSTAT_INC(tx_drop_noarp);   // off the subnet, and no gateway
    mbuffree(m);
    return -1;
  }
  mbufq_init(&dropq);
  acquire(&arp.lock);
  e = use(nexthop, &dropq);
  if(e && e->valid){
    memmove(mac, e->mac, 6);
    ask = needs_refresh(e);
    release(&arp.lock);
    drop_all(&dropq);
    if(ask)
      send_request(mac, net_addr(), nexthop);
    return send_ip(m, mac);
  }
  if(e == 0 && (e = newent(nexthop, &dropq)) != 0){
    e->wanted = 1;
    ask = 1;
  }
  if(e && e->pending.len < ARP_PENDMAX){
    mbufq_push(&e->pending, m);
    NETSTAT_INC(arp_queued);
    m = 0;
  }
  release(&arp.lock);

  drop_all(&dropq);
  if(ask)
    send_request(np_mac_broadcast, net_addr(), nexthop);
  if(m){
    NETSTAT_INC(tx_drop_noarp);   // too many waiting, or no slot (arp_full)
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
  struct arpent *e;
  int r = -1;

  acquire(&arp.lock);
  if((e = lookup(ip)) != 0 && e->valid){
    memmove(mac, e->mac, 6);
    r = 0;
  }
  release(&arp.lock);
  return r;
}

// arplist(): copy a struct arpinfo for each entry in use (at most n) to
// the user address uinfo. Returns how many entries there are, or -1 if the
// copy fails. Caller holds no locks.
int
arp_list(uint64 uinfo, int n)
{
  struct arpinfo ai[NARP];
  struct arpent *e;
  uint age, ttl;
  int i = 0;

  acquire(&arp.lock);
  ttl = arp.ttl;
  for(e = arp.ent; e < arp.ent + NARP; e++){
    if(e->ip == 0)
      continue;
    age = now() - e->stamp;
    memset(&ai[i], 0, sizeof(ai[i]));
    ai[i].ip = e->ip;
    if(e->valid)
      memmove(ai[i].mac, e->mac, 6);
    ai[i].state = !e->valid ? ARP_PENDING : age < ttl / 2 ? ARP_REACHABLE : ARP_STALE;
    ai[i].age_ms = age * TICK_MS;
    i++;
  }
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
  struct mbufq dropq;
  int old;

  if(op == ARPCTL_TTL){
    if(arg < 0 || arg > ARP_TTL_MAX)
      return -1;
    acquire(&arp.lock);
    old = arp.ttl / TICKS_PER_S;
    if(arg)
      arp.ttl = arg * TICKS_PER_S;
    release(&arp.lock);
    return old;
  }
  if(op != ARPCTL_FLUSH)
    return -1;
  mbufq_init(&dropq);
  acquire(&arp.lock);
  for(int i = 0; i < NARP; i++)
    if(arp.ent[i].ip)
      forget(&arp.ent[i], &dropq);
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
  struct mbufq dropq;

  mbufq_init(&dropq);
  acquire(&arp.lock);
  for(int i = 0; i < NARP; i++)
    if(expired(&arp.ent[i]))
      forget(&arp.ent[i], &dropq);
  release(&arp.lock);
  drop_all(&dropq);
}
