// The socket table's rules (kernel/socktab.h says how to call them and
// which lock the caller holds; kernel/sock.c is the kernel shell).
//
// Lookup (lwIP's udp_input: "perfect match first"): a datagram from
// sip:sport to our port dport goes to the socket connected to exactly
// (sip, dport, sport); only if there is none, to the first linked socket
// whose wildcards admit it (raddr 0 or sip, rport 0 or sport). An ICMP
// echo reply is looked up the same way with its identifier as dport and
// sport 0: ICMP sockets name their peer and no port, so only the exact
// match can take it.
//
// Existence: one socket per (proto, raddr, lport, rport); at most NBIND
// bound at once. A new ICMP socket gets the next echo identifier not in
// use (never 0) as its lport.
//
// Queues: a connect() socket holds SOCK_RXQMAX datagrams, a bound port
// BIND_RXQMAX; nothing is queued while fewer than SOCKTAB_MBUF_RESERVE
// mbufs are free. Each refusal counts in the socket's drops.
//
// Replies: a wildcard socket's write() goes to the sender of the datagram
// it read last.

#include "kernel/types.h"
#include "kernel/net.h"
#include "kernel/socket.h"
#include "kernel/socktab.h"

void
socktab_init(struct socktab *t)
{
  for(int i = 0; i < SOCKTAB_HASH; i++)
    t->hash[i] = 0;
  t->nbound = 0;
  t->icmp_id = 0;
}

// The bucket of sockets with local port (or echo identifier) port.
static struct sockent **
bucket(struct socktab *t, uint16 port)
{
  return &t->hash[port & (SOCKTAB_HASH - 1)];
}

// The linked socket of proto for exactly (raddr, lport, rport), or 0.
struct sockent *
socktab_find(struct socktab *t, int proto, uint32 raddr, uint16 lport,
             uint16 rport)
{
  struct sockent *e;

  for(e = *bucket(t, lport); e; e = e->next)
    if(e->proto == proto && e->raddr == raddr && e->lport == lport &&
       e->rport == rport)
      return e;
  return 0;
}

// The socket of proto that should receive a datagram from sip:sport to
// our port dport (ICMP: the echo identifier, and sport 0): the exact
// match, else the first wildcard one that admits it; 0 if none.
struct sockent *
socktab_lookup(struct socktab *t, int proto, uint32 sip, uint16 sport,
               uint16 dport)
{
  struct sockent *e, *wild = 0;

  for(e = *bucket(t, dport); e; e = e->next){
    if(e->proto != proto || e->lport != dport)
      continue;
    if(e->raddr == sip && e->rport == sport)
      return e;
    if((e->raddr == 0 || e->raddr == sip) &&
       (e->rport == 0 || e->rport == sport) && wild == 0)
      wild = e;
  }
  return wild;
}

// The socket bound to port by bind(), or 0.
struct sockent *
socktab_bound(struct socktab *t, uint16 port)
{
  struct sockent *e = socktab_find(t, IPPROTO_UDP, 0, port, 0);

  // Triples are unique: a connect() socket (0, port, 0) means no bound one.
  return e && e->bound ? e : 0;
}

// Is echo identifier id taken by an ICMP socket?
static int
icmp_id_used(struct socktab *t, uint16 id)
{
  for(struct sockent *e = *bucket(t, id); e; e = e->next)
    if(e->proto == IPPROTO_ICMP && e->lport == id)
      return 1;
  return 0;
}

// Make e (a slot nobody can reach) the socket (proto, raddr, lport,
// rport) and link it in, with empty counters and its queue limit. An ICMP
// socket gets the next echo identifier not in use (never 0; at most NFILE
// ICMP sockets exist, far fewer than 65535) as its lport, whatever lport
// says. Returns 0, SOCKTAB_FULL if bound and NBIND ports are bound
// already, or SOCKTAB_INUSE if the triple is taken.
int
socktab_link(struct socktab *t, struct sockent *e, int proto, uint32 raddr,
             uint16 lport, uint16 rport, int bound)
{
  if(bound && t->nbound >= NBIND)
    return SOCKTAB_FULL;
  if(proto == IPPROTO_ICMP){
    do {
      t->icmp_id++;
    } while(t->icmp_id == 0 || icmp_id_used(t, t->icmp_id));
    lport = t->icmp_id;
  }
  if(socktab_find(t, proto, raddr, lport, rport))
    return SOCKTAB_INUSE;
  e->proto = proto;
  e->raddr = raddr;
  e->lport = lport;
  e->rport = rport;
  e->bound = bound;
  e->qmax = bound ? BIND_RXQMAX : SOCK_RXQMAX;
  e->lastaddr = e->lastport = 0;
  e->rx = e->drops = 0;
  e->linked = 1;
  e->next = *bucket(t, lport);
  *bucket(t, lport) = e;
  t->nbound += bound;
  return 0;
}

// Unlink e: no datagram or new reader finds it any more.
void
socktab_unlink(struct socktab *t, struct sockent *e)
{
  struct sockent **pp;

  for(pp = bucket(t, e->lport); *pp; pp = &(*pp)->next){
    if(*pp == e){
      *pp = e->next;
      break;
    }
  }
  e->linked = 0;
  t->nbound -= e->bound;
}

// May a datagram be queued on e, which holds qlen, while mbufs_free mbufs
// are free? Counts it in rx (1) or drops (0).
int
socktab_admit(struct sockent *e, int qlen, int mbufs_free)
{
  if(qlen >= e->qmax || mbufs_free < SOCKTAB_MBUF_RESERVE){
    e->drops++;
    return 0;
  }
  e->rx++;
  return 1;
}

// A reader took a datagram from raddr:rport off e's queue.
void
socktab_took(struct sockent *e, uint32 raddr, uint16 rport)
{
  e->lastaddr = raddr;
  e->lastport = rport;
}

// Where a datagram written on e goes: its remote end, each wildcard
// filled in from the sender of the datagram read last (0 if none yet).
void
socktab_peer(struct sockent *e, uint32 *raddr, uint16 *rport)
{
  *raddr = e->raddr ? e->raddr : e->lastaddr;
  *rport = e->rport ? e->rport : e->lastport;
}
