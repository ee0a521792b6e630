// The socket layer's ports (kernel/sockint.h), MIT's 2024 net lab's API:
// bind(port) makes a wildcard socket owned by its port, recv(port) reads
// from it, send() is socksendto(), unbind(port) ends it.

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
