// The network system calls: argument checking, then a call into the
// socket layer (sock.c), the net thread's mode switch (netthread.c), the
// interface's configuration (net.c), the neighbour cache (arp.c) or the
// counters. Prototypes for user programs are in user/user.h.
//
// Two socket interfaces share one socket layer:
//   connect() returns a file descriptor (MIT's 2020-23 net lab, and ours):
//     read()/write(), recvmsgs()/sendmsgs(), sockopt() work on it;
//     icmpconnect() makes the same kind of file for ICMP echo (ping);
//   bind()/unbind()/send()/recv() name a local port (MIT's 2024-25 lab).

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
#include "kernel/netif.h"

// Fetch syscall argument n as a port number (1..65535 unless zero_ok
// allows 0). Returns 0 and sets *port, or -1.
static int
argport(int n, uint16 *port, int zero_ok)
{
  int v;

  argint(n, &v);
  if(v < (zero_ok ? 0 : 1) || v > 0xffff)
    return -1;
  *port = v;
  return 0;
}

// Fetch syscall argument n as a descriptor of an open file of type
// (FD_SOCK, FD_TCP, FD_TCPLISTEN). Returns 0 and sets *f, or -1.
static int
argfile(int n, int type, struct file **f)
{
  if(argfd(n, 0, f) < 0 || (*f)->type != type)
    return -1;
  return 0;
}

// Fetch syscall argument n as a descriptor of a socket file.
static int
argsock(int n, struct sock **so)
{
  struct file *f;

  if(argfile(n, FD_SOCK, &f) < 0)
    return -1;
  *so = f->sock;
  return 0;
}

// The arguments (struct X *info, int n) of the listing calls (socklist,
// arplist, tcplist). Returns 0, or -1 for a negative n.
static int
arglist(uint64 *info, int *n)
{
  argaddr(0, info);
  argint(1, n);
  return *n < 0 ? -1 : 0;
}

// Copy n bytes at src out to the calling process's address dst. 0 or -1.
static int
putuser(uint64 dst, void *src, uint64 n)
{
  return copyout(myproc()->pagetable, dst, (char *)src, n);
}

// A descriptor of the calling process for the new socket file f, or -1
// (then f is closed, which ends its socket).
static int
sockfd(struct file *f)
{
  int fd;

  if((fd = fdalloc(f)) < 0)
    fileclose(f);
  return fd;
}

// int connect(uint32 raddr, uint16 lport, uint16 rport): a new UDP socket.
// Returns a file descriptor, or -1.
uint64
sys_connect(void)
{
  struct file *f;
  int raddr;
  uint16 lport, rport;

  argint(0, &raddr);
  if(argport(1, &lport, 0) < 0 || argport(2, &rport, 1) < 0)
    return -1;
  if(sockalloc(&f, (uint32)raddr, lport, rport) < 0)
    return -1;
  return sockfd(f);
}

// int sockopt(int fd, int opt, int val): set a socket option
// (kernel/socket.h). Returns 0 or -1 (SO_ERROR: the TCP error).
uint64
sys_sockopt(void)
{
  struct sock *so;
  struct file *f;
  int opt, val;

  argint(1, &opt);
  argint(2, &val);
  if(argfile(0, FD_TCP, &f) == 0)
    return tcpsock_setopt(f->tcp, opt, val);
  if(argsock(0, &so) < 0)
    return -1;
  return socksetopt(so, opt, val);
}

// The batched calls (int fd, struct udpmsg *msgs, int n): send n
// datagrams, or receive up to n. n is checked by sock.c. Returns as
// socksendmsgs/sockrecvmsgs, or -1 if fd is not a socket.
static uint64
batch(int send)
{
  struct sock *so;
  uint64 msgs;
  int n;

  argaddr(1, &msgs);
  argint(2, &n);
  if(argsock(0, &so) < 0)
    return -1;
  return send ? socksendmsgs(so, msgs, n) : sockrecvmsgs(so, msgs, n);
}

// int recvmsgs(int fd, struct udpmsg *msgs, int n): receive up to n datagrams.
uint64
sys_recvmsgs(void)
{
  return batch(0);
}

// int sendmsgs(int fd, struct udpmsg *msgs, int n): send n datagrams.
uint64
sys_sendmsgs(void)
{
  return batch(1);
}

// int bind(uint16 port): queue datagrams sent to our UDP port.
uint64
sys_bind(void)
{
  uint16 port;

  if(argport(0, &port, 0) < 0)
    return -1;
  return sockbind(port);
}

// int unbind(uint16 port)
uint64
sys_unbind(void)
{
  uint16 port;

  if(argport(0, &port, 0) < 0)
    return -1;
  return sockunbind(port);
}

// int send(uint16 sport, uint32 dst, uint16 dport, char *buf, uint32 len):
// one datagram from our port sport to dst:dport. 0 or -1.
uint64
sys_send(void)
{
  uint16 sport, dport;
  int dst, len;
  uint64 buf;

  argint(1, &dst);
  argaddr(3, &buf);
  argint(4, &len);
  if(argport(0, &sport, 0) < 0 || argport(2, &dport, 0) < 0)
    return -1;
  return socksendto(sport, (uint32)dst, dport, buf, len) < 0 ? -1 : 0;
}

// int recv(uint16 dport, uint32 *src, uint16 *sport, char *buf, uint32 maxlen):
// the oldest datagram queued on bound port dport. Bytes copied, or -1.
uint64
sys_recv(void)
{
  uint16 dport;
  uint64 src, sport, buf;
  int maxlen;

  argaddr(1, &src);
  argaddr(2, &sport);
  argaddr(3, &buf);
  argint(4, &maxlen);
  if(argport(0, &dport, 0) < 0 || src == 0 || sport == 0)
    return -1;
  return sockrecvport(dport, buf, maxlen, src, sport);
}

// int socklist(struct sockinfo *si, int n): describe the sockets.
uint64
sys_socklist(void)
{
  uint64 si;
  int n;

  if(arglist(&si, &n) < 0)
    return -1;
  return socklist(si, n);
}

// int netstat(struct netstat *ns): copy out the network counters.
uint64
sys_netstat(void)
{
  uint64 addr;

  argaddr(0, &addr);
  netstats.mode = e1000_mode();   // the mbuf counts are kept current by mbuf.c
  netstats.kmap = KMAP_SHARED;
  if(putuser(addr, &netstats, sizeof(netstats)) < 0)
    return -1;
  return 0;
}

// int netceiling(int dir, int n, int size, uint32 dst, uint16 dport,
// struct ceiling *res): the ceiling benchmark (netceil.c). 0 or -1.
uint64
sys_netceiling(void)
{
  int dir, n, size, dst;
  uint16 dport;
  uint64 res;

  argint(0, &dir);
  argint(1, &n);
  argint(2, &size);
  argint(3, &dst);
  argaddr(5, &res);
  if(argport(4, &dport, 1) < 0)
    return -1;
  return netceiling(dir, n, size, (uint32)dst, dport, res);
}

// int netmode(int mode): switch the driver to mode (kernel/netmode.h) and
// return the mode it was in; mode -1 only returns the current one. -1 for
// an unknown mode.
uint64
sys_netmode(void)
{
  int mode;

  argint(0, &mode);
  if(mode == -1)
    return e1000_mode();
  if(mode < 0 || mode >= NETMODE_COUNT)
    return -1;
  return netmode_set(mode);
}

// int netstages(struct netstages *ns, int flags): the per-stage
// histograms (netstage.c). ns may be 0 (reset or measure only). 0 or -1.
uint64
sys_netstages(void)
{
  uint64 addr;
  int flags;

  argaddr(0, &addr);
  argint(1, &flags);
  return netstage_get(addr, flags);
}

// int ifget(struct ifinfo *ifi): copy the interface's configuration
// (kernel/netif.h) out. Returns 0 or -1.
uint64
sys_ifget(void)
{
  struct ifinfo ifi;
  uint64 uifi;

  argaddr(0, &uifi);
  net_ifget(&ifi);
  if(putuser(uifi, &ifi, sizeof(ifi)) < 0)
    return -1;
  return 0;
}

// int ifset(struct ifinfo *ifi): set the interface's configuration.
// Returns 0, or -1 for a bad pointer, source or netmask.
uint64
sys_ifset(void)
{
  struct ifinfo ifi;
  uint64 uifi;

  argaddr(0, &uifi);
  if(copyin(myproc()->pagetable, (char *)&ifi, uifi, sizeof(ifi)) < 0)
    return -1;
  return net_ifset(&ifi);
}

// int arplist(struct arpinfo *ai, int n): describe up to n neighbour
// cache entries. Returns how many there are, or -1.
uint64
sys_arplist(void)
{
  uint64 uai;
  int n;

  if(arglist(&uai, &n) < 0)
    return -1;
  return arp_list(uai, n);
}

// int arpctl(int op, int arg): flush the neighbour cache or set its
// entries' lifetime (kernel/netif.h). Returns as arp_ctl, -1 on error.
uint64
sys_arpctl(void)
{
  int op, arg;

  argint(0, &op);
  argint(1, &arg);
  return arp_ctl(op, arg);
}

// int icmpconnect(uint32 raddr): a new ICMP echo socket to raddr.
// Returns a file descriptor, or -1.
uint64
sys_icmpconnect(void)
{
  struct file *f;
  int raddr;

  argint(0, &raddr);
  if(sockallocicmp(&f, (uint32)raddr) < 0)
    return -1;
  return sockfd(f);
}

// A new file of type (FD_TCP or FD_TCPLISTEN) for p, and a descriptor of
// the calling process for it; or -1 (then the file is closed, which ends
// p, or p is ended here if no file was left).
static int
tcpfd(int type, struct tcpconn *c, struct tcplisten *l)
{
  struct file *f;

  if((f = filealloc()) == 0){
    if(c)
      tcpsock_close(c);
    else
      tcpsock_lclose(l);
    return -1;
  }
  f->type = type;
  f->readable = f->writable = (type == FD_TCP);
  f->tcp = c;
  f->tcpl = l;
  return sockfd(f);
}

// int tcpconnect(uint32 addr, uint16 port): an fd once established, or -1.
uint64
sys_tcpconnect(void)
{
  struct tcpconn *c;
  int addr;
  uint16 port;

  argint(0, &addr);
  if(argport(1, &port, 0) < 0)
    return -1;
  if((c = tcpsock_connect((uint32)addr, port)) == 0)
    return -1;
  return tcpfd(FD_TCP, c, 0);
}

// int tcplisten(uint16 port, int backlog): a listening fd, or -1.
uint64
sys_tcplisten(void)
{
  struct tcplisten *l;
  uint16 port;
  int backlog;

  argint(1, &backlog);
  if(argport(0, &port, 0) < 0)
    return -1;
  if((l = tcpsock_listen(port, backlog)) == 0)
    return -1;
  return tcpfd(FD_TCPLISTEN, 0, l);
}

// int tcpaccept(int lfd, uint32 *addr, uint16 *port): an fd, or -1.
uint64
sys_tcpaccept(void)
{
  struct file *lf;
  struct tcpconn *c;
  uint64 uaddr, uport;
  uint32 raddr;
  uint16 rport;
  int fd;

  argaddr(1, &uaddr);
  argaddr(2, &uport);
  if(argfile(0, FD_TCPLISTEN, &lf) < 0)
    return -1;
  if((c = tcpsock_accept(lf->tcpl, &raddr, &rport)) == 0)
    return -1;
  if((fd = tcpfd(FD_TCP, c, 0)) < 0)
    return -1;
  if((uaddr && putuser(uaddr, &raddr, 4) < 0) || (uport && putuser(uport, &rport, 2) < 0)){
    lf = myproc()->ofile[fd];     // a bad pointer: the connection is closed
    myproc()->ofile[fd] = 0;
    fileclose(lf);
    return -1;
  }
  return fd;
}

// int tcpshutdown(int fd): 0 or -1.
uint64
sys_tcpshutdown(void)
{
  struct file *f;

  if(argfile(0, FD_TCP, &f) < 0)
    return -1;
  return tcpsock_shutdown(f->tcp);
}

// int tcplist(struct tcpinfo *ti, int n)
uint64
sys_tcplist(void)
{
  uint64 ti;
  int n;

  if(arglist(&ti, &n) < 0)
    return -1;
  return tcpsock_list(ti, n);
}

// int tcpctl(int op, int val): read or set a parameter of new TCP
// connections (kernel/socket.h TCPCTL_*). The old value, or -1.
uint64
sys_tcpctl(void)
{
  int op, val;

  argint(0, &op);
  argint(1, &val);
  return tcpsock_ctl(op, val);
}
