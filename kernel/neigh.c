// The neighbour cache's rules: every decision ARP makes, as pure functions
// of the cache, one input and the time (kernel/neigh.h says how to call
// them; kernel/arp.c carries out what they return).
//
// Resolving: a send to an address not in the cache makes an entry, asks
// for it by broadcast and keeps the packet waiting on it (at most
// NEIGH_PENDMAX packets; more are dropped); the reply releases them. A
// request not answered within NEIGH_WAIT_MS is given up: its packets are
// dropped (tx_drop_noarp), by neigh_tick() or by the next send to it.
//
// Ageing (RFC 1122 2.3.2.1): any ARP message we accept from a neighbour
// confirms its entry. An entry confirmed less than ttl/2 ago is reachable;
// an older one is stale, and its next use sends a unicast request to the
// address we know (at most one per NEIGH_WAIT_MS) while the packet still
// goes out; an entry not confirmed for ttl is forgotten, so a neighbour
// that left or changed its card is asked again.
//
// What an incoming message may create (RFC 826's merge flag, RFC 1122
// 2.3.2.1, as Linux's arp_process does): every ARP message from a
// possible sender refreshes an entry that already exists for it, even one
// not for us; a new entry is made only for a neighbour that asks for us
// (we are about to talk to it). A reply fills in an entry we asked for
// and creates nothing else. So made-up senders asking for others cost
// nothing, and those asking for us can take only slots nobody uses: when
// the cache is full, a new entry takes an expired slot, else replaces the
// entry least recently used for sending, preferring one never used at
// all, and never one with packets waiting; if every entry has packets
// waiting the new neighbour is not cached (full).

#include "kernel/types.h"
#include "kernel/netparse.h"
#include "kernel/netif.h"
#include "kernel/neigh.h"

void
neigh_init(struct neigh *n, uint64 ttl)
{
  for(int i = 0; i < NEIGH_N; i++){
    n->ent[i].ip = 0;
    n->ent[i].valid = 0;
    n->ent[i].npending = 0;
  }
  n->ttl = ttl;
}

static void
out_init(struct neigh_out *o)
{
  o->drop = 0;
  o->release = -1;
  o->pkt = 0;
  o->slot = -1;
  o->reply = 0;
  o->ask = 0;
  o->ask_ip = 0;
  o->full = 0;
  for(int i = 0; i < 6; i++)
    o->mac[i] = o->ask_mac[i] = 0;
}

static void
maccpy(uint8 *dst, const uint8 *src)
{
  for(int i = 0; i < 6; i++)
    dst[i] = src[i];
}

// Is e of no use any more: a request unanswered for too long, or an
// entry not confirmed for ttl?
static int
expired(struct neigh *n, struct neigh_ent *e, uint64 now)
{
  if(e->ip == 0)
    return 0;
  if(!e->valid)
    return now - e->stamp > NEIGH_WAIT_MS;
  return now - e->stamp >= n->ttl;
}

// Empty e; its waiting packets are to be dropped.
static void
forget(struct neigh *n, struct neigh_ent *e, struct neigh_out *o)
{
  if(e->npending > 0)
    o->drop |= 1u << (e - n->ent);
  e->npending = 0;
  e->ip = 0;
  e->valid = 0;
}

static struct neigh_ent *
find(struct neigh *n, uint32 ip)
{
  for(int i = 0; i < NEIGH_N; i++)
    if(n->ent[i].ip == ip)
      return &n->ent[i];
  return 0;
}

// Which entry should a new one replace: a free or expired slot, else of
// those with no packets waiting the one least recently used for sending,
// entries never used first. 0 if every entry has packets waiting.
static struct neigh_ent *
victim(struct neigh *n, uint64 now)
{
  struct neigh_ent *e, *v = 0;

  for(e = n->ent; e < n->ent + NEIGH_N; e++){
    if(e->ip == 0 || expired(n, e, now))
      return e;
    if(e->npending > 0)
      continue;
    if(v == 0 || e->wanted < v->wanted ||
       (e->wanted == v->wanted && e->used < v->used))
      v = e;
  }
  return v;
}

// A new, not yet valid entry for ip in the slot victim() chooses; the
// packets of an expired entry it replaces are to be dropped. 0 (and
// o->full) if there is no slot.
static struct neigh_ent *
newent(struct neigh *n, uint64 now, uint32 ip, struct neigh_out *o)
{
  struct neigh_ent *e;

  if((e = victim(n, now)) == 0){
    o->full = 1;
    return 0;
  }
  if(e->ip)
    forget(n, e, o);
  e->ip = ip;
  e->valid = 0;
  e->wanted = 0;
  e->stamp = now;
  e->used = now;
  return e;
}

// An ARP message np_parse() accepted from a possible sender sip at sha:
// kind NP_ARP_REQUEST or NP_ARP_REPLY (for us) or NP_ARP_OTHER (not for
// us). Refreshes or fills in sip's entry (a request for us may create
// it), releases the packets waiting for it, and answers a request for us.
void
neigh_rx(struct neigh *n, uint64 now, int kind, uint32 sip,
         const uint8 *sha, struct neigh_out *o)
{
  struct neigh_ent *e;

  out_init(o);
  o->reply = kind == NP_ARP_REQUEST;
  if((e = find(n, sip)) == 0 && kind == NP_ARP_REQUEST)
    e = newent(n, now, sip, o);
  if(e == 0)
    return;
  maccpy(e->mac, sha);
  e->valid = 1;
  e->stamp = now;
  e->asked = now;
  if(e->npending > 0){
    o->release = e - n->ent;
    maccpy(o->mac, sha);
    e->npending = 0;
  }
}

// The entry for ip if there is one that has not expired (an expired one
// is forgotten), noted as used for sending now.
static struct neigh_ent *
use(struct neigh *n, uint64 now, uint32 ip, struct neigh_out *o)
{
  struct neigh_ent *e;

  if((e = find(n, ip)) == 0)
    return 0;
  if(expired(n, e, now)){
    forget(n, e, o);
    return 0;
  }
  e->wanted = 1;
  e->used = now;
  return e;
}

// Should a send through valid entry e first refresh it (it is stale, and
// no refresh is on its way)? Notes the refresh as sent.
static int
needs_refresh(struct neigh *n, struct neigh_ent *e, uint64 now)
{
  if(now - e->stamp < n->ttl / 2 || now - e->asked <= NEIGH_WAIT_MS)
    return 0;
  e->asked = now;
  return 1;
}

static void
ask(struct neigh_out *o, uint32 ip, const uint8 *mac)
{
  o->ask = 1;
  o->ask_ip = ip;
  maccpy(o->ask_mac, mac);
}

// An IPv4 packet is to go to neighbour nexthop (IP_BROADCAST: to every
// host; 0: off the subnet with no gateway). Decides its fate (o->pkt)
// and whether to ask for nexthop.
void
neigh_output(struct neigh *n, uint64 now, uint32 nexthop, struct neigh_out *o)
{
  struct neigh_ent *e;

  out_init(o);
  o->pkt = NEIGH_DROP;
  if(nexthop == IP_BROADCAST){
    o->pkt = NEIGH_SEND;
    maccpy(o->mac, np_mac_broadcast);
    return;
  }
  if(nexthop == 0)
    return;
  if((e = use(n, now, nexthop, o)) != 0 && e->valid){
    o->pkt = NEIGH_SEND;
    maccpy(o->mac, e->mac);
    if(needs_refresh(n, e, now))
      ask(o, nexthop, e->mac);
    return;
  }
  if(e == 0 && (e = newent(n, now, nexthop, o)) != 0){
    e->wanted = 1;
    ask(o, nexthop, np_mac_broadcast);
  }
  if(e && e->npending < NEIGH_PENDMAX){
    e->npending++;
    o->pkt = NEIGH_QUEUE;
    o->slot = e - n->ent;
  }
}

// Timer: give up requests never answered, forget entries not confirmed
// for ttl.
void
neigh_tick(struct neigh *n, uint64 now, struct neigh_out *o)
{
  out_init(o);
  for(int i = 0; i < NEIGH_N; i++)
    if(expired(n, &n->ent[i], now))
      forget(n, &n->ent[i], o);
}

// Forget every entry (arpctl's flush).
void
neigh_flush(struct neigh *n, struct neigh_out *o)
{
  out_init(o);
  for(int i = 0; i < NEIGH_N; i++)
    if(n->ent[i].ip)
      forget(n, &n->ent[i], o);
}

// Copy the Ethernet address of neighbour ip to mac if the cache knows it.
// Returns 0, or -1 (and asks nothing).
int
neigh_lookup(struct neigh *n, uint32 ip, uint8 *mac)
{
  struct neigh_ent *e;

  if((e = find(n, ip)) == 0 || !e->valid)
    return -1;
  maccpy(mac, e->mac);
  return 0;
}

// arpctl's lifetime: set it to secs seconds (0: leave it). Returns the
// old lifetime in seconds, or -1 if secs is out of range (0..ARP_TTL_MAX).
int
neigh_ttl(struct neigh *n, int secs)
{
  int old = n->ttl / 1000;

  if(secs < 0 || secs > ARP_TTL_MAX)
    return -1;
  if(secs)
    n->ttl = (uint64)secs * 1000;
  return old;
}

// arplist's view: fill ai[] (room for NEIGH_N) with the entries in use.
// Returns how many.
int
neigh_list(struct neigh *n, uint64 now, struct arpinfo *ai)
{
  struct neigh_ent *e;
  uint8 *p;
  uint64 age;
  int i = 0;

  for(e = n->ent; e < n->ent + NEIGH_N; e++){
    if(e->ip == 0)
      continue;
    age = now - e->stamp;
    for(p = (uint8 *)&ai[i]; p < (uint8 *)&ai[i + 1]; p++)
      *p = 0;
    ai[i].ip = e->ip;
    if(e->valid)
      maccpy(ai[i].mac, e->mac);
    ai[i].state = !e->valid ? ARP_PENDING :
                  age < n->ttl / 2 ? ARP_REACHABLE : ARP_STALE;
    ai[i].age_ms = age;
    i++;
  }
  return i;
}
