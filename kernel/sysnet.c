// UDP sockets as file descriptors, and the network system calls
// connect(), netstat() and sockopt().
//
// A socket is bound to (remote address, local port, remote port) at
// connect() time. write() sends one datagram; read() returns one
// datagram's payload, blocking like a pipe read until one arrives, the
// process is killed, or the receive timeout (SO_RCVTIMEO) runs out.
// raddr 0 or rport 0 is a wildcard: the socket accepts datagrams from any
// address/port, and write() replies to the sender of the datagram last
// read (a server socket
// for QEMU's hostfwd to port 2000).
//
// Lifetime: a sock is freed by sockclose(), which file.c calls when the
// last file reference goes away, so no reader can still be inside
// sockread() then. Receivers find socks only through the list, under
// socks.lock, and take so->lock before letting go of it; sockclose()
// unlinks first and then takes so->lock, which waits out any delivery.

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
#include "kernel/net.h"
#include "kernel/netparse.h"

#define SOCK_RXQMAX     64          // datagrams queued per socket
// Sockets stop queueing (drop_udp_qfull) when fewer mbufs than this are
// free, so unread sockets can never starve the RX ring and transmit.
#define SOCK_MBUF_RESERVE 128
#define SOCK_MAXTIMEO   3600000     // largest SO_RCVTIMEO: one hour

struct sock {
  // socks.lock guards:
  struct sock *next;       // on the socks list

  // fixed at creation:
  uint32 raddr;            // remote address, 0 = any
  uint16 lport;            // local port
  uint16 rport;            // remote port, 0 = any

  struct spinlock lock;
  // lock guards:
  struct mbufq rxq;        // received datagrams (payload only)
  int rcvtimeo_ms;         // read timeout, 0 = none
  int ntimed;              // readers asleep with a timeout
  int closed;
  uint32 lastaddr;         // wildcard sockets: sender of the datagram last read
  uint16 lastport;
};

// Lock order: socks.lock, then a sock's lock, then proc locks (wakeup).
static struct {
  struct spinlock lock;
  struct sock *list;
  int ntimed;              // readers asleep with a timeout, all sockets
} socks;

void
sockinit(void)
{
  initlock(&socks.lock, "socks");
}

// The socket that should receive a datagram from sip:sport to our port
// dport: an exact match, else a wildcard one. Caller holds socks.lock.
static struct sock *
socklookup(uint32 sip, uint16 sport, uint16 dport)
{
  struct sock *so, *wild = 0;

  for(so = socks.list; so; so = so->next){
    if(so->lport != dport)
      continue;
    if(so->raddr == sip && so->rport == sport)
      return so;
    if((so->raddr == 0 || so->raddr == sip) && (so->rport == 0 || so->rport == sport))
      if(wild == 0)
        wild = so;
  }
  return wild;
}

// Create a socket for (raddr, lport, rport) and a file for it in *f.
// Returns 0, or -1 if memory runs out or the triple is already in use.
int
sockalloc(struct file **f, uint32 raddr, uint16 lport, uint16 rport)
{
  struct sock *so, *s;

  *f = 0;
  if((so = (struct sock *)kalloc()) == 0)
    return -1;
  if((*f = filealloc()) == 0)
    goto bad;
  so->raddr = raddr;
  so->lport = lport;
  so->rport = rport;
  initlock(&so->lock, "sock");
  mbufq_init(&so->rxq);
  so->rcvtimeo_ms = 0;
  so->ntimed = 0;
  so->closed = 0;
  so->lastaddr = 0;
  so->lastport = 0;

  acquire(&socks.lock);
  for(s = socks.list; s; s = s->next){
    if(s->raddr == raddr && s->lport == lport && s->rport == rport){
      release(&socks.lock);
      goto bad;
    }
  }
  so->next = socks.list;
  socks.list = so;
  release(&socks.lock);

  (*f)->type = FD_SOCK;
  (*f)->readable = 1;
  (*f)->writable = 1;
  (*f)->sock = so;
  return 0;

bad:
  kfree((char *)so);
  if(*f)
    fileclose(*f);      // still FD_NONE: just frees the slot
  *f = 0;
  return -1;
}

// Free so and every datagram queued on it. Called by fileclose() when the
// last reference to the socket's file is gone. No locks held.
void
sockclose(struct sock *so)
{
  struct sock **pp;
  struct mbuf *m;

  acquire(&socks.lock);
  for(pp = &socks.list; *pp; pp = &(*pp)->next){
    if(*pp == so){
      *pp = so->next;
      break;
    }
  }
  release(&socks.lock);

  // No receiver can find so now; taking its lock waits for one that did.
  acquire(&so->lock);
  so->closed = 1;
  wakeup(so);
  release(&so->lock);

  while((m = mbufq_pop(&so->rxq)) != 0)
    mbuffree(m);
  kfree((char *)so);
}

// Deliver the UDP payload in m, from sip:sport to our port dport, to its
// socket. Always consumes m: queued (udp_rx) or dropped (drop_udp_noport,
// or drop_udp_qfull when its queue is full or the mbuf pool runs low). Called from net_rx() with no locks held, possibly in
// an interrupt handler.
void
sockrecvudp(struct mbuf *m, uint32 sip, uint16 sport, uint16 dport)
{
  struct sock *so;

  acquire(&socks.lock);
  if((so = socklookup(sip, sport, dport)) == 0){
    release(&socks.lock);
    NETSTAT_INC(drop_udp_noport);
    mbuffree(m);
    return;
  }
  acquire(&so->lock);
  release(&socks.lock);

  if(so->rxq.len >= SOCK_RXQMAX ||
     __atomic_load_n(&netstats.mbufs_free, __ATOMIC_RELAXED) < SOCK_MBUF_RESERVE){
    release(&so->lock);
    NETSTAT_INC(drop_udp_qfull);
    mbuffree(m);
    return;
  }
  m->raddr = sip;
  m->rport = sport;
  mbufq_push(&so->rxq, m);
  NETSTAT_INC(udp_rx);
  wakeup(so);
  release(&so->lock);
}

// Sleep on so, registered with sock_tick() so that a tick wakes us to
// look at the clock. Caller holds so->lock.
static void
timed_sleep(struct sock *so)
{
  so->ntimed++;
  __atomic_fetch_add(&socks.ntimed, 1, __ATOMIC_RELAXED);
  sleep(so, &so->lock);
  __atomic_fetch_sub(&socks.ntimed, 1, __ATOMIC_RELAXED);
  so->ntimed--;
}

// Ticks a read with a timeout of ms waits: rounded up, plus one because
// the current tick is already partly over.
static uint
timeo_ticks(int ms)
{
  return (ms + TICK_MS - 1) / TICK_MS + 1;
}

// Wait for a datagram on so and copy up to n bytes of its payload to the
// user address addr; the rest of the datagram is discarded. Returns the
// number of bytes copied, or -1 if killed, timed out or the copy failed.
// Sleeps; caller holds no locks.
int
sockread(struct sock *so, uint64 addr, int n)
{
  struct proc *p = myproc();
  struct mbuf *m;
  uint start = ticks, wait = 0;
  int r;

  if(n < 0)
    return -1;
  acquire(&so->lock);
  if(so->rcvtimeo_ms)
    wait = timeo_ticks(so->rcvtimeo_ms);
  while(mbufq_empty(&so->rxq)){
    if(so->closed || killed(p) || (wait && ticks - start >= wait)){
      release(&so->lock);
      return -1;
    }
    if(wait)
      timed_sleep(so);
    else
      sleep(so, &so->lock);
  }
  m = mbufq_pop(&so->rxq);
  so->lastaddr = m->raddr;   // a wildcard socket's write() answers this sender
  so->lastport = m->rport;
  release(&so->lock);

  r = m->len < n ? m->len : n;
  if(copyout(p->pagetable, addr, m->head, r) < 0)
    r = -1;
  mbuffree(m);
  return r;
}

// Send n bytes from the user address addr as one datagram. Returns n, or
// -1 if n is out of range (0..UDP_MAXDATA), a wildcard socket has nobody
// to reply to, no mbuf is free, the copy fails or the frame was dropped.
// Caller holds no locks.
int
sockwrite(struct sock *so, uint64 addr, int n)
{
  struct mbuf *m;
  uint32 raddr = so->raddr;
  uint16 rport = so->rport;

  if(n < 0 || n > UDP_MAXDATA)
    return -1;
  if(raddr == 0 || rport == 0){
    acquire(&so->lock);
    if(raddr == 0)
      raddr = so->lastaddr;
    if(rport == 0)
      rport = so->lastport;
    release(&so->lock);
    if(raddr == 0 || rport == 0)
      return -1;
  }
  if((m = mbufalloc(MBUF_HEADROOM)) == 0){
    NETSTAT_INC(tx_drop_nombuf);
    return -1;
  }
  if(copyin(myproc()->pagetable, mbufput(m, n), addr, n) < 0){
    mbuffree(m);
    return -1;
  }
  if(net_tx_udp(m, raddr, so->lport, rport) < 0)
    return -1;
  return n;
}

// Timer: wake readers that wait with a timeout so they can check the
// clock. Called every tick from net_tick(), in the timer interrupt.
void
sock_tick(void)
{
  struct sock *so;

  if(__atomic_load_n(&socks.ntimed, __ATOMIC_RELAXED) == 0)
    return;
  acquire(&socks.lock);
  for(so = socks.list; so; so = so->next){
    acquire(&so->lock);
    if(so->ntimed)
      wakeup(so);
    release(&so->lock);
  }
  release(&socks.lock);
}

// int connect(uint32 raddr, uint16 lport, uint16 rport): a new UDP socket.
// Returns a file descriptor, or -1.
uint64
sys_connect(void)
{
  struct file *f;
  int raddr, lport, rport, fd;

  argint(0, &raddr);
  argint(1, &lport);
  argint(2, &rport);
  if(lport <= 0 || lport > 0xffff || rport < 0 || rport > 0xffff)
    return -1;
  if(sockalloc(&f, (uint32)raddr, lport, rport) < 0)
    return -1;
  if((fd = fdalloc(f)) < 0){
    fileclose(f);
    return -1;
  }
  return fd;
}

// int netstat(struct netstat *ns): copy out the network counters.
uint64
sys_netstat(void)
{
  uint64 addr;

  argaddr(0, &addr);
  netstats.mode = NETMODE;   // the mbuf counts are kept current by mbuf.c
  if(copyout(myproc()->pagetable, addr, (char *)&netstats, sizeof(netstats)) < 0)
    return -1;
  return 0;
}

// int sockopt(int fd, int opt, int val): set a socket option.
// Only SO_RCVTIMEO (val: ms, 0 = none) exists. Returns 0 or -1.
uint64
sys_sockopt(void)
{
  struct file *f;
  int fd, opt, val;

  argint(0, &fd);
  argint(1, &opt);
  argint(2, &val);
  if(fd < 0 || fd >= NOFILE || (f = myproc()->ofile[fd]) == 0 || f->type != FD_SOCK)
    return -1;
  if(opt != SO_RCVTIMEO || val < 0 || val > SOCK_MAXTIMEO)
    return -1;
  acquire(&f->sock->lock);
  f->sock->rcvtimeo_ms = val;
  release(&f->sock->lock);
  return 0;
}
