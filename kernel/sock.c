// The socket layer: UDP sockets and ICMP echo ("ping") sockets, their
// receive queues, and reading and writing datagrams. The system calls
// that reach it are in sysnet.c, as xv6 keeps pipe.c apart from sysfile.c.
// It is four files by job (kernel/sockint.h lists them); this one is the
// socket object, its table and the delivery of received datagrams.
//
// A socket is (remote address, local port, remote port) with a queue of
// received datagrams. raddr 0 or rport 0 is a wildcard: the socket accepts
// datagrams from any address/port, and write() replies to the sender of the
// datagram last read (a server socket for QEMU's hostfwd to port 2000).
// Incoming datagrams go to the exact match, else to a wildcard socket.
// These rules, the limits below and each socket's accounting are the pure
// core kernel/socktab.c; this file is its shell: the locks, the queues of
// mbufs, sleeping readers, copyin/copyout and the two faces (files, ports).
//
// Two owners, one object:
//   connect() makes a socket owned by a file: read()/write() move one
//     datagram, recvmsgs()/sendmsgs() up to UDP_BATCH_MAX; fileclose()
//     calls sockclose() when the last file reference goes.
//   bind(port) makes a wildcard socket owned by its port (MIT's 2024 net
//     lab): recv()/send() name the port, unbind() ends it.
// icmpconnect(raddr) makes a file-owned ICMP socket: lport holds its echo
//   identifier, write() sends an echo request to raddr, read() returns the
//   echo replies from raddr that carry the identifier (Linux's ping sockets).
// Either way the socket is unlinked first (no new datagram, no new reader
// finds it), marked closed (readers inside return -1), and its slot is
// freed when its last reference is dropped (sockput).
//
// Sockets live in a fixed table (socktab), as files do in xv6's: a bound
// port costs no page, and at most NBIND ports are bound at once (bind()
// beyond that returns -1, netstat bind_full). Linked sockets are hashed
// by local port (an ICMP socket by its echo identifier), so delivery,
// bind() and recv() look at one bucket, not at every socket. UDP and ICMP
// sockets share one delivery path (sockdeliver); only their counters
// differ.
//
// Receive work never waits for a sleeping reader: a reader takes what
// waits on the RX ring itself (netpoll) before it looks at its queue, and
// with SO_BUSY_POLL keeps polling the ring instead of sleeping, as Linux's
// busy polling does. netpoll goes through e1000_rx_drain, the one receive
// path, so frames reach their sockets in ring order whoever drains.

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/defs.h"
#include "kernel/netdefs.h"
#include "kernel/netparse.h"
#include "kernel/socket.h"
#include "kernel/socktab.h"
#include "kernel/sockint.h"

struct socks socks;
// The table, named socktab for the gdb extension (kernel/gdb_net.py).
struct sock socktab[NSOCK];

void
sockinit(void)
{
  initlock(&socks.lock, "socks");
  socktab_init(&socks.t);
  for(int i = 0; i < NSOCK; i++)
    initlock(&socktab[i].lock, "sock");
}

// A free slot of the table, or 0. Caller holds socks.lock.
static struct sock *
slotalloc(void)
{
  for(int i = 0; i < NSOCK; i++)
    if(socktab[i].ref == 0)
      return &socktab[i];
  return 0;
}

// Reset the state a previous socket left in slot so. Takes so->lock:
// sock_tick looks at free slots too.
static void
slotclear(struct sock *so)
{
  acquire(&so->lock);
  mbufq_init(&so->rxq);
  so->rcvtimeo_ms = so->busy_us = so->armed = so->closed = 0;
  so->wake_at = 0;
  so->wakeups = 0;
  release(&so->lock);
}

// Make a socket and link it in (socktab_link: an ICMP socket gets a fresh
// echo identifier as its lport), with one reference (its owner's).
// Returns 0 if the triple is already in use, or bound and NBIND ports are
// bound already (counted in bind_full), or (never, by the limits) no slot
// is free.
struct sock *
socknew(int proto, uint32 raddr, uint16 lport, uint16 rport, int bound)
{
  struct sock *so;
  int r = SOCKTAB_INUSE;

  acquire(&socks.lock);
  if((so = slotalloc()) != 0)
    r = socktab_link(&socks.t, &so->e, proto, raddr, lport, rport, bound);
  if(r < 0){
    release(&socks.lock);
    if(r == SOCKTAB_FULL)
      NETSTAT_INC(bind_full);
    return 0;
  }
  so->ref = 1;
  slotclear(so);
  release(&socks.lock);
  return so;
}

// Drop a reference; the last one frees so's slot and what is queued on it.
void
sockput(struct sock *so)
{
  struct mbufq q;
  struct mbuf *m;

  mbufq_init(&q);
  acquire(&socks.lock);
  if(--so->ref == 0){
    // Unlinked, no reader: nobody else touches the queue. Take it before
    // the slot can be reused, free it after the lock.
    q = so->rxq;
    mbufq_init(&so->rxq);
  }
  release(&socks.lock);
  while((m = mbufq_pop(&q)) != 0)
    mbuffree(m);
}

// Unlink so (no datagram or new reader finds it any more), wake readers
// inside so they return -1, and drop the owner's reference. Caller holds
// socks.lock, which this releases.
void
sockend_locked(struct sock *so)
{
  socktab_unlink(&socks.t, &so->e);
  release(&socks.lock);
  // No receiver can find so now; taking its lock waits for one that did.
  acquire(&so->lock);
  so->closed = 1;
  wakeup(so);
  release(&so->lock);
  sockput(so);
}

// What sockdeliver() did with a datagram.
enum { DELIVER_QUEUED, DELIVER_NOSOCK, DELIVER_QFULL };

// Deliver m, from sip:sport to our port dport (ICMP: the echo identifier,
// sport 0), to the socket of proto that socktab_lookup() names: queued
// and a reader woken, or dropped and freed (no socket; or the socket's
// queue is full or the mbuf pool runs low, counted in its drops). Always
// consumes m; returns DELIVER_*.
static int
sockdeliver(struct mbuf *m, int proto, uint32 sip, uint16 sport, uint16 dport)
{
  struct sockent *e;
  struct sock *so;
  int ok;

  acquire(&socks.lock);
  if((e = socktab_lookup(&socks.t, proto, sip, sport, dport)) == 0){
    release(&socks.lock);
    mbuffree(m);
    return DELIVER_NOSOCK;
  }
  so = sockof(e);
  acquire(&so->lock);
  release(&socks.lock);
  ok = socktab_admit(&so->e, so->rxq.len,
                     __atomic_load_n(&netstats.mbufs_free, __ATOMIC_RELAXED));
  if(ok){
    m->raddr = sip;
    m->rport = sport;
    netstage_mark(m, NS_RX_STACK);
    mbufq_push(&so->rxq, m);
    wakeup(so);
  }
  release(&so->lock);
  if(!ok)
    mbuffree(m);
  return ok ? DELIVER_QUEUED : DELIVER_QFULL;
}

// Deliver the UDP payload in m, from sip:sport to our port dport, to its
// socket. Always consumes m: queued (udp_rx) or dropped (drop_udp_noport;
// drop_udp_qfull and the socket's drops when its queue is full or the mbuf
// pool runs low). Called from net_rx(), from the RX drain, with interrupts
// off.
void
sockrecvudp(struct mbuf *m, uint32 sip, uint16 sport, uint16 dport)
{
  switch(sockdeliver(m, IPPROTO_UDP, sip, sport, dport)){
  case DELIVER_QUEUED: NETSTAT_INC(udp_rx); break;
  case DELIVER_NOSOCK: NETSTAT_INC(drop_udp_noport); break;
  default:             NETSTAT_INC(drop_udp_qfull); break;
  }
}

// Deliver the ICMP echo reply in m (the whole ICMP message), from sip with
// identifier id, to the ping socket that sent the request. Always consumes
// m: queued (icmp_rx) or dropped (drop_icmp: nobody asked, or the socket's
// queue is full). Called from net_rx() as sockrecvudp is.
void
sockrecvicmp(struct mbuf *m, uint32 sip, uint16 id)
{
  if(sockdeliver(m, IPPROTO_ICMP, sip, 0, id) == DELIVER_QUEUED)
    NETSTAT_INC(icmp_rx);
  else
    NETSTAT_INC(drop_icmp);
}

// Take the oldest datagram off so's queue, noting its sender for a
// wildcard socket's replies. Caller holds so->lock.
struct mbuf *
sockpop(struct sock *so)
{
  struct mbuf *m = mbufq_pop(&so->rxq);

  netstage_mark(m, NS_RX_WAKE);
  socktab_took(&so->e, m->raddr, m->rport);
  return m;
}

// Copy up to n (>= 0) bytes of m's payload to the user address addr and
// free m; the rest of the datagram is discarded, and counted (rx_trunc)
// if there was any. Returns the bytes copied or -1.
int
sockcopyout(struct mbuf *m, uint64 addr, uint n)
{
  int r = m->len < n ? m->len : n;

  if(m->len > n)
    NETSTAT_INC(rx_trunc);
  if(copyout(myproc()->pagetable, addr, m->head, r) < 0)
    r = -1;
  else
    netstage_mark(m, NS_RX_COPY);
  mbuffree(m);
  return r;
}

// Wait for a datagram on so and copy up to n bytes of its payload to the
// user address addr. If src/sport are non-zero user addresses, store the
// sender's address and port there. Returns the bytes copied, or -1 if
// closed, killed, timed out or a copy failed. Sleeps; caller holds no locks.
int
sockrecv(struct sock *so, uint64 addr, int n, uint64 src, uint64 sport)
{
  struct mbuf *m;
  uint32 a;
  uint16 p;

  if(n < 0)
    return -1;
  if(sockwait(so) < 0){
    release(&so->lock);
    return -1;
  }
  m = sockpop(so);
  release(&so->lock);
  a = m->raddr;
  p = m->rport;
  n = sockcopyout(m, addr, n);
  if(src && copyout(myproc()->pagetable, src, (char *)&a, sizeof(a)) < 0)
    return -1;
  if(sport && copyout(myproc()->pagetable, sport, (char *)&p, sizeof(p)) < 0)
    return -1;
  return n;
}

// Send n bytes from the user address addr as one UDP datagram from our
// port lport to raddr:rport. Returns n, or -1 if n is out of range
// (0..UDP_MAXDATA), no mbuf is free, the copy fails or the frame was
// dropped. Caller holds no locks.
int
socksendto(uint16 lport, uint32 raddr, uint16 rport, uint64 addr, int n)
{
  struct mbuf *m;

  if(n < 0 || n > UDP_MAXDATA || raddr == 0 || rport == 0)
    return -1;
  if((m = mbufalloc(MBUF_HEADROOM)) == 0){
    NETSTAT_INC(tx_drop_nombuf);
    return -1;
  }
  netstage_tx_begin(m);
  if(copyin(myproc()->pagetable, mbufput(m, n), addr, n) < 0){
    mbuffree(m);
    return -1;
  }
  if(net_tx_udp(m, raddr, lport, rport) < 0)
    return -1;
  return n;
}

// Fill *si from so, if so is linked. Returns 1 if it was. Takes
// socks.lock and so->lock.
static int
sockinfo(struct sock *so, struct sockinfo *si)
{
  int linked;

  acquire(&socks.lock);
  if((linked = so->e.linked) != 0){
    acquire(&so->lock);
    si->raddr = so->e.raddr;
    si->lport = so->e.lport;
    si->rport = so->e.rport;
    si->bound = so->e.bound;
    si->qlen = so->rxq.len;
    si->qmax = so->e.qmax;
    si->proto = so->e.proto;
    si->rx = so->e.rx;
    si->drops = so->e.drops;
    si->wakeups = so->wakeups;
    release(&so->lock);
  }
  release(&socks.lock);
  return linked;
}

// socklist(): copy a struct sockinfo for each socket (at most n) to the
// user address uinfo. Returns how many sockets there are (which may be
// more than n), or -1 if the copy fails. Sockets made or ended meanwhile
// may or may not be listed.
int
socklist(uint64 uinfo, int n)
{
  struct sockinfo si;
  int i = 0;

  for(int k = 0; k < NSOCK; k++){
    if(!sockinfo(&socktab[k], &si))
      continue;
    // Copy out only now: never copyout with a spinlock held.
    if(i < n && copyout(myproc()->pagetable, uinfo + i * sizeof(si),
                        (char *)&si, sizeof(si)) < 0)
      return -1;
    i++;
  }
  return i;
}
