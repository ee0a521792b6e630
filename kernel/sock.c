// The socket layer: UDP sockets and ICMP echo ("ping") sockets, their
// receive queues, and reading and writing datagrams. The system calls
// that reach it are in sysnet.c, as xv6 keeps pipe.c apart from sysfile.c.
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
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/defs.h"
#include "kernel/fs.h"
#include "kernel/sleeplock.h"
#include "kernel/file.h"
#include "kernel/netdefs.h"
#include "kernel/netparse.h"
#include "kernel/socket.h"
#include "kernel/socktab.h"

#define READER_BUDGET     64    // frames a reader drains from the ring at once

// The socket table, as xv6's file table: a fixed array, no page per
// socket. A linked file-owned socket needs an open file, so there are at
// most NFILE of them; at most NBIND ports are bound. An ended socket whose
// last user is still inside a system call (a reader in recv() after
// unbind(), a close() that has freed the file but not yet the socket)
// keeps its slot until then: one per process, at most NPROC. So a slot is
// always free for a socket the limits allow.
#define NSOCK     (NFILE + NBIND + NPROC)

struct sock {
  struct sockent e;        // first: the table's part (kernel/socktab.h);
                           // its table fields under socks.lock, the rest
                           // under lock
  // socks.lock guards:
  int ref;                 // owner (file or port) + readers inside; 0: slot free

  struct spinlock lock;
  // lock guards:
  struct mbufq rxq;        // received datagrams (payload only)
  int rcvtimeo_ms;         // read timeout, 0 = none
  int busy_us;             // SO_BUSY_POLL, 0 = off
  int armed;               // a timed reader sleeps: sock_tick wakes them all at wake_at
  uint wake_at;            // while armed: ticks at or before every sleeping one's deadline
  int closed;
  uint64 wakeups;          // readers woken from sleep() on it
};

// Lock order: socks.lock, then a sock's lock, then proc locks (wakeup).
// The RX drain (e1000.c) may hold its own lock when it calls in here.
static struct {
  struct spinlock lock;
  struct socktab t;        // the linked sockets (kernel/socktab.h)
  int ntimed;              // readers asleep with a timeout, all sockets
} socks;

// The table, named socktab for the gdb extension (kernel/gdb_net.py).
static struct sock socktab[NSOCK];

void
sockinit(void)
{
  initlock(&socks.lock, "socks");
  socktab_init(&socks.t);
  for(int i = 0; i < NSOCK; i++)
    initlock(&socktab[i].lock, "sock");
}

// The socket whose table part is e (its first member), or 0.
static struct sock *
sockof(struct sockent *e)
{
  return (struct sock *)e;
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
static struct sock *
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
static void
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
static void
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

// A file owning a new socket of proto for (raddr, lport, rport) in *f.
// Returns 0, or -1 if no file is free or the triple is already in use.
static int
sockfile(struct file **f, int proto, uint32 raddr, uint16 lport, uint16 rport)
{
  struct sock *so;

  if((*f = filealloc()) == 0)
    return -1;
  if((so = socknew(proto, raddr, lport, rport, 0)) == 0){
    fileclose(*f);      // still FD_NONE: just frees the slot
    *f = 0;
    return -1;
  }
  (*f)->type = FD_SOCK;
  (*f)->readable = 1;
  (*f)->writable = 1;
  (*f)->sock = so;
  return 0;
}

// Create a UDP socket for (raddr, lport, rport) and a file for it in *f.
// Returns 0, or -1 if no file is free or the triple is already in use.
int
sockalloc(struct file **f, uint32 raddr, uint16 lport, uint16 rport)
{
  return sockfile(f, IPPROTO_UDP, raddr, lport, rport);
}

// Create an ICMP echo socket to raddr (not 0) and a file for it in *f.
// Returns 0, or -1 if no file is free.
int
sockallocicmp(struct file **f, uint32 raddr)
{
  if(raddr == 0)
    return -1;
  return sockfile(f, IPPROTO_ICMP, raddr, 0, 0);
}

// End a file's socket. Called by fileclose() when the last reference to
// the file is gone. No locks held.
void
sockclose(struct sock *so)
{
  acquire(&socks.lock);
  sockend_locked(so);
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

// Sleep on so until a datagram, a close or the tick deadline. sock_tick()
// wakes every reader of so once wake_at has come, and disarms so; each
// reader that sleeps again arms it anew with its own deadline, the
// earliest winning. So wake_at is never after a sleeping reader's
// deadline, and a reader wakes early only once for each other reader's
// deadline (or departure), never every tick. Caller holds so->lock.
static void
timed_sleep(struct sock *so, uint deadline)
{
  if(!so->armed || (int)(deadline - so->wake_at) < 0)
    so->wake_at = deadline;
  __atomic_store_n(&so->armed, 1, __ATOMIC_RELAXED);
  __atomic_fetch_add(&socks.ntimed, 1, __ATOMIC_RELAXED);
  sleep(so, &so->lock);
  __atomic_fetch_sub(&socks.ntimed, 1, __ATOMIC_RELAXED);
}

// Ticks a read with a timeout of ms waits: rounded up, plus one because
// the current tick is already partly over.
static uint
timeo_ticks(int ms)
{
  return (ms + TICK_MS - 1) / TICK_MS + 1;
}

// Busy polling: poll the RX ring until a datagram is queued on so, for at
// most so->busy_us, or until the socket closes or we are killed. Caller
// holds no locks; reads so->busy_us without the lock (an int, only a hint).
static void
busy_poll(struct sock *so)
{
  uint64 end = time_ns() + (uint64)so->busy_us * 1000;

  while(time_ns() < end){
    if(!mbufq_empty(&so->rxq) || so->closed || killed(myproc()))
      return;
    netpoll(READER_BUDGET);
  }
}

// Take frames off the RX ring for a reader whose queue is at most half
// full. A reader that is behind reads what it has first, so the stack does
// not spend the reader's time on frames that would only be dropped at a
// full queue (receive livelock, moved into the reader). The queue length
// is read without the lock: only a hint.
static void
reader_poll(struct sock *so)
{
  if(__atomic_load_n(&so->rxq.len, __ATOMIC_RELAXED) <= so->e.qmax / 2)
    netpoll(READER_BUDGET);
}

// Wait until a datagram is queued on so. Takes so->lock and returns with it
// held: 0, or -1 if the socket closed, we were killed or the receive timeout
// ran out. Before looking at the queue it takes what waits on the RX ring
// (reader_poll), and with SO_BUSY_POLL it polls the ring before it sleeps.
static int
sockwait(struct sock *so)
{
  uint start = ticks, wait = 0;

  reader_poll(so);
  if(so->busy_us && mbufq_empty(&so->rxq))
    busy_poll(so);
  acquire(&so->lock);
  if(so->rcvtimeo_ms)
    wait = timeo_ticks(so->rcvtimeo_ms);
  while(mbufq_empty(&so->rxq)){
    if(so->closed || killed(myproc()) || (wait && ticks - start >= wait))
      return -1;
    if(wait)
      timed_sleep(so, start + wait);
    else
      sleep(so, &so->lock);
    so->wakeups++;
  }
  return 0;
}

// Take the oldest datagram off so's queue, noting its sender for a
// wildcard socket's replies. Caller holds so->lock.
static struct mbuf *
sockpop(struct sock *so)
{
  struct mbuf *m = mbufq_pop(&so->rxq);

  socktab_took(&so->e, m->raddr, m->rport);
  return m;
}

// Copy up to n (>= 0) bytes of m's payload to the user address addr and
// free m; the rest of the datagram is discarded, and counted (rx_trunc)
// if there was any. Returns the bytes copied or -1.
static int
copyout_free(struct mbuf *m, uint64 addr, uint n)
{
  int r = m->len < n ? m->len : n;

  if(m->len > n)
    NETSTAT_INC(rx_trunc);
  if(copyout(myproc()->pagetable, addr, m->head, r) < 0)
    r = -1;
  mbuffree(m);
  return r;
}

// Wait for a datagram on so and copy up to n bytes of its payload to the
// user address addr. If src/sport are non-zero user addresses, store the
// sender's address and port there. Returns the bytes copied, or -1 if
// closed, killed, timed out or a copy failed. Sleeps; caller holds no locks.
static int
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
  n = copyout_free(m, addr, n);
  if(src && copyout(myproc()->pagetable, src, (char *)&a, sizeof(a)) < 0)
    return -1;
  if(sport && copyout(myproc()->pagetable, sport, (char *)&p, sizeof(p)) < 0)
    return -1;
  return n;
}

// read() on a socket file: one datagram's payload, up to n bytes.
int
sockread(struct sock *so, uint64 addr, int n)
{
  return sockrecv(so, addr, n, 0, 0);
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
  if(copyin(myproc()->pagetable, mbufput(m, n), addr, n) < 0){
    mbuffree(m);
    return -1;
  }
  if(net_tx_udp(m, raddr, lport, rport) < 0)
    return -1;
  return n;
}

// write() on an ICMP socket: send the n-byte echo message at user address
// addr (8 <= n <= UDP_MAXDATA) as an echo request to raddr, with our type,
// code, identifier and checksum. Returns n, or -1.
static int
sockwriteicmp(struct sock *so, uint64 addr, int n)
{
  struct mbuf *m;
  uint8 *icmp;

  if(n < ICMP_HLEN || n > UDP_MAXDATA)
    return -1;
  if((m = mbufalloc(MBUF_HEADROOM)) == 0){
    NETSTAT_INC(tx_drop_nombuf);
    return -1;
  }
  icmp = (uint8 *)mbufput(m, n);
  if(copyin(myproc()->pagetable, (char *)icmp, addr, n) < 0){
    mbuffree(m);
    return -1;
  }
  icmp[ICMP_F_TYPE] = ICMP_ECHO_REQUEST;
  icmp[ICMP_F_CODE] = 0;
  np_put16(icmp + ICMP_F_ID, so->e.lport);
  np_put16(icmp + ICMP_F_CKSUM, 0);
  np_put16(icmp + ICMP_F_CKSUM, np_fold(np_sum(0, icmp, n)));
  if(net_tx_icmp(m, so->e.raddr) < 0)
    return -1;
  return n;
}

// write() on a socket file: send n bytes as one datagram to the socket's
// remote end; a wildcard socket answers the sender of the datagram it
// read last (-1 if there is none yet). An ICMP socket sends an echo
// request.
int
sockwrite(struct sock *so, uint64 addr, int n)
{
  uint32 raddr;
  uint16 rport;
  int wild;

  if(so->e.proto == IPPROTO_ICMP)
    return sockwriteicmp(so, addr, n);
  // A connected socket's peer is fixed: only a wildcard needs the lock.
  wild = so->e.raddr == 0 || so->e.rport == 0;
  if(wild)
    acquire(&so->lock);
  socktab_peer(&so->e, &raddr, &rport);
  if(wild)
    release(&so->lock);
  return socksendto(so->e.lport, raddr, rport, addr, n);
}

// recvmsgs(): wait for at least one datagram, then move up to n of those
// queued into the user's array of struct udpmsg at umsgs (1 <= n <=
// UDP_BATCH_MAX). A datagram longer than its message's buffer is cut to
// it and flagged UDPMSG_TRUNC. Returns the number received, or -1 (bad n
// or pointer, closed, killed, timed out). A bad buffer in one message
// ends the call after that message, which is lost.
int
sockrecvmsgs(struct sock *so, uint64 umsgs, int n)
{
  struct proc *p = myproc();
  struct udpmsg msg;
  struct mbuf *m;
  int i, r;

  if(n < 1 || n > UDP_BATCH_MAX)
    return -1;
  if(copyin(p->pagetable, (char *)&msg, umsgs, sizeof(msg)) < 0)
    return -1;
  if(sockwait(so) < 0){
    release(&so->lock);
    return -1;
  }
  for(i = 0; i < n; i++){
    if(i > 0){
      if(copyin(p->pagetable, (char *)&msg, umsgs + i*sizeof(msg), sizeof(msg)) < 0)
        break;
      acquire(&so->lock);
      if(mbufq_empty(&so->rxq)){
        release(&so->lock);
        break;
      }
    }
    m = sockpop(so);
    release(&so->lock);
    msg.addr = m->raddr;
    msg.port = m->rport;
    msg.flags = msg.len < m->len ? UDPMSG_TRUNC : 0;
    r = copyout_free(m, (uint64)msg.buf, msg.len);
    msg.len = r;
    if(r < 0 || copyout(p->pagetable, umsgs + i*sizeof(msg), (char *)&msg, sizeof(msg)) < 0)
      return i > 0 ? i : -1;
  }
  return i;
}

// sendmsgs(): send the n datagrams described by the user's array of struct
// udpmsg at umsgs (1 <= n <= UDP_BATCH_MAX), each as write() would. Returns
// how many were sent before the first failure, or -1 if none was.
int
socksendmsgs(struct sock *so, uint64 umsgs, int n)
{
  struct udpmsg msg;
  int i;

  if(n < 1 || n > UDP_BATCH_MAX)
    return -1;
  for(i = 0; i < n; i++){
    if(copyin(myproc()->pagetable, (char *)&msg, umsgs + i*sizeof(msg), sizeof(msg)) < 0)
      break;
    if(msg.len > UDP_MAXDATA || sockwrite(so, (uint64)msg.buf, msg.len) < 0)
      break;
  }
  return i > 0 ? i : -1;
}

// Set option opt of so to val: SO_RCVTIMEO (ms) or SO_BUSY_POLL (us).
// Returns 0, or -1 for an unknown option or a value out of range.
int
socksetopt(struct sock *so, int opt, int val)
{
  if(opt == SO_RCVTIMEO && val >= 0 && val <= SO_MAXTIMEO){
    acquire(&so->lock);
    so->rcvtimeo_ms = val;
    release(&so->lock);
    return 0;
  }
  if(opt == SO_BUSY_POLL && val >= 0 && val <= SO_MAXBUSY){
    acquire(&so->lock);
    so->busy_us = val;
    release(&so->lock);
    return 0;
  }
  return -1;
}

// The socket bound to port by bind(), or 0. Caller holds socks.lock.
static struct sock *
boundsock(uint16 port)
{
  return sockof(socktab_bound(&socks.t, port));
}

// bind(port): start queueing datagrams sent to our port (at most
// BIND_RXQMAX). Returns 0, or -1 if port is 0 or already bound (or a
// connect() socket is the wildcard (0, port, 0)), or NBIND ports are bound
// already (counted in bind_full).
int
sockbind(uint16 port)
{
  if(port == 0)
    return -1;
  return socknew(IPPROTO_UDP, 0, port, 0, 1) ? 0 : -1;
}

// unbind(port): undo bind(port); what is queued is freed, readers inside
// recv() return -1. Returns 0, or -1 if port is not bound.
int
sockunbind(uint16 port)
{
  struct sock *so;

  acquire(&socks.lock);
  if((so = boundsock(port)) == 0){
    release(&socks.lock);
    return -1;
  }
  sockend_locked(so);
  return 0;
}

// recv(port, &src, &sport, buf, n) on a bound port: as sockrecv. -1 if
// port is not bound.
int
sockrecvport(uint16 port, uint64 addr, int n, uint64 usrc, uint64 usport)
{
  struct sock *so;
  int r;

  acquire(&socks.lock);
  if((so = boundsock(port)) == 0){
    release(&socks.lock);
    return -1;
  }
  so->ref++;   // keeps so alive if unbind() runs while we wait
  release(&socks.lock);
  r = sockrecv(so, addr, n, usrc, usport);
  sockput(so);
  return r;
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

// Timer: wake the readers of each socket whose earliest read deadline has
// come, so they can time out, and disarm it (timed_sleep). Called every
// tick from net_tick(), in the timer interrupt. Looks at armed without
// the lock first: a socket armed meanwhile has a deadline after this tick.
void
sock_tick(void)
{
  struct sock *so;

  if(__atomic_load_n(&socks.ntimed, __ATOMIC_RELAXED) == 0)
    return;
  for(so = socktab; so < socktab + NSOCK; so++){
    if(__atomic_load_n(&so->armed, __ATOMIC_RELAXED) == 0)
      continue;
    acquire(&so->lock);
    if(so->armed && (int)(ticks - so->wake_at) >= 0){
      so->armed = 0;
      wakeup(so);
    }
    release(&so->lock);
  }
}
