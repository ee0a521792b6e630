// The socket layer's file face (kernel/sockint.h): connect() and
// icmpconnect() make a socket owned by a file; read()/write() move one
// datagram, recvmsgs()/sendmsgs() up to UDP_BATCH_MAX; fileclose() calls
// sockclose() when the last file reference goes.

#include "kernel/types.h"
#include "kernel/param.h"
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
#include "kernel/sockint.h"

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

// read() on a socket file: one datagram's payload, up to n bytes.
int
sockread(struct sock *so, uint64 addr, int n)
{
  return sockrecv(so, addr, n, 0, 0);
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
    r = sockcopyout(m, (uint64)msg.buf, msg.len);
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
