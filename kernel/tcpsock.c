// TCP sockets: the kernel shell around TCP's pure core (kernel/tcp.c).
// NOTES.md "TCP (issue 20)" describes the core; this file holds the
// table of connections and listeners, finds the connection a segment
// belongs to, and carries out what the core asks (segments to send,
// sleepers to wake, counters to bump).
//
// One spinlock, tcps.lock, guards the whole table and every tcb in it.
// Each operation: acquire, call the core, build the output segments into
// mbufs (the payload must be copied out of the send buffer before the
// next core call: tcp_payload), wake sleepers (xv6's pipe convention:
// wakeup under the lock the sleepers sleep on), release, then hand the
// mbufs to IP and ARP. Never sleeps, copies in or out, or transmits with
// the lock held.
//
// Memory: NTCP connection slots, each with a static send and a receive
// buffer of TCP_BUFSZ bytes: 40 * 2 * 16 KiB = 1.25 MiB of kernel BSS,
// allocated once, so connections never take or leak free pages. A
// listener's not yet accepted connections (its backlog) are slots too.
// A slot is free again once its tcb is CLOSED and no file refers to it:
// TIME-WAIT is held by the table after close(), and the oldest such slot
// is taken over when the table is full.

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/defs.h"
#include "kernel/sleeplock.h"
#include "kernel/fs.h"
#include "kernel/file.h"
#include "kernel/netdefs.h"
#include "kernel/netif.h"
#include "kernel/socket.h"
#include "kernel/tcp.h"

#define NTCP        40         // connections, pending ones included
#define NTCPLISTEN  8          // listening ports
#define NTCPPENDING (NTCP / 2) // not yet accepted connections, all listeners together
#define TCP_BUFSZ   16384      // each of a connection's two buffers
#define TCP_EPHEMERAL 49152    // first local port connect() picks

struct tcplisten {
  int used;
  uint16 port;
  int backlog;                 // most connections waiting for accept
  int npending;                // connections on it not yet accepted
};

struct tcpconn {
  int used;
  int hasfile;                 // a file refers to it: never freed under it
  struct tcplisten *lis;       // waiting for accept on lis, else 0
  uint64 born;                 // arrival order, for accept
  uint32 laddr, raddr;
  uint16 lport, rport;
  int rcvtimeo_ms;             // SO_RCVTIMEO: 0 = block for ever
  int busy_us;                 // SO_BUSY_POLL: poll the RX ring this long first
  int timed;                   // readers asleep with a timeout
  struct tcb t;
};

static struct {
  struct spinlock lock;        // guards everything here and every tcb
  struct tcpconn c[NTCP];
  struct tcplisten l[NTCPLISTEN];
  uint32 key[4];               // tcp_iss's secret, from the boot clock
  struct tcp_params params;    // what a new connection gets (tcpctl)
  uint16 nextport;             // next ephemeral port to try
  uint64 nborn;
  int nused;                   // slots in use: tcp_timer skips an empty table
} tcps;

static uint8 tcpbuf[NTCP][2][TCP_BUFSZ];

// SO_ERROR hands the core's error to user programs as it is.
_Static_assert(SOERR_RESET == TCP_ERR_RESET && SOERR_TIMEOUT == TCP_ERR_TIMEOUT &&
               SOERR_ABORTED == TCP_ERR_ABORTED, "SOERR_* are TCP_ERR_*");

// The netstat counter each TCP_C_* of the core bumps.
static const uint tcp_ctr[TCP_C_N] = {
  [TCP_C_SEG_OUT]   = __builtin_offsetof(struct netstat, tcp_tx),
  [TCP_C_RTX]       = __builtin_offsetof(struct netstat, tcp_rtx),
  [TCP_C_TIMEOUT]   = __builtin_offsetof(struct netstat, tcp_timeouts),
  [TCP_C_FASTRTX]   = __builtin_offsetof(struct netstat, tcp_fastrtx),
  [TCP_C_DUPACK]    = __builtin_offsetof(struct netstat, tcp_dupacks),
  [TCP_C_PROBE]     = __builtin_offsetof(struct netstat, tcp_probes),
  [TCP_C_RST_IN]    = __builtin_offsetof(struct netstat, tcp_rst_in),
  [TCP_C_RST_OUT]   = __builtin_offsetof(struct netstat, tcp_rst_out),
  [TCP_C_CHALLENGE] = __builtin_offsetof(struct netstat, tcp_challenge),
  [TCP_C_DROP_SEQ]  = __builtin_offsetof(struct netstat, tcp_drop_seq),
  [TCP_C_DROP_ACK]  = __builtin_offsetof(struct netstat, tcp_drop_ack),
  [TCP_C_DROP_STATE]= __builtin_offsetof(struct netstat, tcp_drop_state),
  [TCP_C_OOO]       = __builtin_offsetof(struct netstat, tcp_ooo),
  [TCP_C_OOO_DROP]  = __builtin_offsetof(struct netstat, tcp_ooo_drop),
  [TCP_C_GIVEUP]    = __builtin_offsetof(struct netstat, tcp_giveup),
  [TCP_C_LOSSPROBE] = __builtin_offsetof(struct netstat, tcp_lossprobe),
  [TCP_C_ACK_LIMITED] = __builtin_offsetof(struct netstat, tcp_ack_limited),
};

// Milliseconds since boot: the core's clock.
static uint64
now_ms(void)
{
  return time_ns() / 1000000;
}

// Called once at boot, before the driver delivers frames.
void
tcpsock_init(void)
{
  uint64 t = r_time();

  initlock(&tcps.lock, "tcp");
  tcp_defaults(&tcps.params);
  // Not secret against someone who can time our boot: no entropy source.
  tcps.key[0] = t * 0x9E3779B9u;
  tcps.key[1] = (t >> 32) ^ 0x85EBCA6Bu;
  tcps.key[2] = (uint32)(uint64)&tcps ^ (t << 7);
  tcps.key[3] = 0xC2B2AE35u ^ (t >> 11);
  tcps.nextport = TCP_EPHEMERAL + t % 8192;
}

// Bump the counters out asks for. Any context.
static void
count(struct tcp_out *out)
{
  for(int i = 0; i < TCP_C_N; i++)
    if(out->count[i])
      __atomic_fetch_add((uint64 *)((char *)&netstats + tcp_ctr[i]),
                         out->count[i], __ATOMIC_RELAXED);
}

// Build segment s from laddr:lport to raddr:rport into a new mbuf (its
// head at the TCP header, checksum done); payload from t's send buffer
// (t may be 0 for a segment without payload). Returns 0 (counted) if the
// pool is empty: TCP sends it again. Caller holds tcps.lock if t != 0.
static struct mbuf *
segbuild(struct tcb *t, const struct tcp_seg *s, uint32 laddr, uint16 lport,
         uint32 raddr, uint16 rport)
{
  struct np_tcp h;
  struct mbuf *m;
  uint8 *p;

  if((m = mbufalloc(MBUF_HEADROOM)) == 0){
    NETSTAT_INC(tx_drop_nombuf);
    return 0;
  }
  h.sport = lport;
  h.dport = rport;
  h.seq = s->seq;
  h.ack = s->ack;
  h.flags = s->flags;
  h.wnd = s->wnd;
  h.mss = s->mss;
  h.sackok = s->sackok;
  h.nsack = s->nsack;
  for(int i = 0; i < s->nsack; i++){
    h.sack[i][0] = s->sack[i][0];
    h.sack[i][1] = s->sack[i][1];
  }
  h.hlen = np_tcp_hlen(&h);
  p = (uint8 *)mbufput(m, h.hlen + s->len);
  if(s->len)
    tcp_payload(t, s, p + h.hlen);
  np_put_tcp(p, laddr, raddr, &h, p + h.hlen, s->len);
  m->raddr = raddr;
  return m;
}

// Carry out the part of c's core call out that needs the lock: build its
// segments onto q, bump counters, wake sleepers. Caller holds tcps.lock.
static void
collect(struct tcpconn *c, struct tcp_out *out, struct mbufq *q)
{
  struct mbuf *m;

  count(out);
  for(int i = 0; i < out->nseg; i++)
    if((m = segbuild(&c->t, &out->seg[i], c->laddr, c->lport, c->raddr, c->rport)))
      mbufq_push(q, m);
  if(out->events){
    wakeup(c);
    if(c->lis)
      wakeup(c->lis);
  }
}

// Free c's slot if nothing needs it any more. Caller holds tcps.lock.
static void
settle(struct tcpconn *c)
{
  if(c->used && c->t.state == TCP_CLOSED && !c->hasfile){
    if(c->lis)
      c->lis->npending--;
    c->lis = 0;
    c->used = 0;
    tcps.nused--;
  }
}

// Send the segments on q (built by collect or segbuild). Caller holds
// no locks.
static void
flush(struct mbufq *q)
{
  struct mbuf *m;

  while((m = mbufq_pop(q)) != 0)
    net_tx_tcp(m, m->raddr);
}

// A free slot made ready for a connection (tcp_init'ed, CLOSED), or 0.
// Takes over the oldest TIME-WAIT slot nobody holds if none is free.
// Caller holds tcps.lock.
static struct tcpconn *
connalloc(void)
{
  struct tcpconn *c, *tw = 0;
  int i;

  for(c = tcps.c; c < tcps.c + NTCP; c++){
    if(!c->used)
      break;
    if(c->t.state == TCP_TIME_WAIT && !c->hasfile && (tw == 0 || c->born < tw->born))
      tw = c;
  }
  if(c == tcps.c + NTCP){
    if(tw == 0)
      return 0;
    c = tw;
    tcps.nused--;
  }
  i = c - tcps.c;
  memset(c, 0, sizeof(*c));
  tcp_init(&c->t, &tcps.params, tcpbuf[i][0], TCP_BUFSZ, tcpbuf[i][1], TCP_BUFSZ);
  c->used = 1;
  c->born = tcps.nborn++;
  tcps.nused++;
  return c;
}

// The connection for a segment from sip:sport to our dport, or 0.
// Caller holds tcps.lock.
static struct tcpconn *
connfind(uint32 sip, uint16 sport, uint16 dport)
{
  struct tcpconn *c;

  for(c = tcps.c; c < tcps.c + NTCP; c++)
    if(c->used && c->t.state != TCP_CLOSED && c->lport == dport &&
       c->rport == sport && c->raddr == sip)
      return c;
  return 0;
}

static struct tcplisten *
lisfind(uint16 port)
{
  for(struct tcplisten *l = tcps.l; l < tcps.l + NTCPLISTEN; l++)
    if(l->used && l->port == port)
      return l;
  return 0;
}

// Connections waiting for accept on every listener. Caller holds tcps.lock.
static int
npending(void)
{
  int n = 0;

  for(struct tcplisten *l = tcps.l; l < tcps.l + NTCPLISTEN; l++)
    if(l->used)
      n += l->npending;
  return n;
}

// A new connection on listener l for a SYN from sip:sport to dip:dport,
// in LISTEN; or 0 (counted) if l's backlog is full, if all listeners
// together hold NTCPPENDING (a SYN flood at several ports must leave
// slots for connect() and for connections already accepted), or if the
// table is full. Caller holds tcps.lock.
static struct tcpconn *
passive(struct tcplisten *l, uint32 sip, uint16 sport, uint32 dip, uint16 dport)
{
  struct tcpconn *c;

  if(l->npending >= l->backlog || npending() >= NTCPPENDING || (c = connalloc()) == 0){
    NETSTAT_INC(drop_tcp_synq);
    return 0;
  }
  c->lis = l;
  l->npending++;
  c->laddr = dip;
  c->raddr = sip;
  c->lport = dport;
  c->rport = sport;
  tcp_listen(&c->t, tcp_iss(now_ms(), dip, dport, sip, sport, tcps.key));
  return c;
}

// Answer a segment no connection takes with a RST (none to a RST).
static void
refuse(const struct tcp_seg *seg, uint32 sip, uint16 sport, uint32 dip, uint16 dport)
{
  struct tcp_seg rst;
  struct mbufq q;
  struct mbuf *m;

  NETSTAT_INC(drop_tcp_noport);
  if(!tcp_reset_for(seg, &rst))
    return;
  if((m = segbuild(0, &rst, dip, dport, sip, sport)) == 0)
    return;
  NETSTAT_INC(tcp_tx);
  NETSTAT_INC(tcp_rst_out);
  mbufq_init(&q);
  mbufq_push(&q, m);
  flush(&q);
}

// Count a segment np_tcp_parse() rejected with verdict v.
static void
count_drop(int v)
{
  if(v == NP_TCP_DROP_CKSUM)
    NETSTAT_INC(drop_tcp_cksum);
  else if(v == NP_TCP_DROP_OPT)
    NETSTAT_INC(drop_tcp_opt);
  else
    NETSTAT_INC(drop_tcp_hdr);
}

// A received TCP segment: m->head is the TCP header, m->len its length
// with payload, from sip to our address dip. Always consumes m. Called
// from net_rx with no locks held.
void
tcpsock_rx(struct mbuf *m, uint32 sip, uint32 dip)
{
  struct np_tcp h;
  struct tcp_seg seg;
  struct tcp_out out;
  struct tcpconn *c;
  struct tcplisten *l;
  struct mbufq q;
  int v;

  if((v = np_tcp_parse((uint8 *)m->head, m->len, sip, dip, &h)) != 0){
    count_drop(v);
    mbuffree(m);
    return;
  }
  seg.seq = h.seq;
  seg.ack = h.ack;
  seg.flags = h.flags;
  seg.wnd = h.wnd;
  seg.mss = h.mss;
  seg.sackok = h.sackok;
  seg.nsack = 0;
  seg.data = (uint8 *)m->head + h.hlen;
  seg.len = m->len - h.hlen;
  mbufq_init(&q);
  acquire(&tcps.lock);
  c = connfind(sip, h.sport, h.dport);
  if(c == 0 && (h.flags & (TCP_SYN|TCP_ACK|TCP_RST)) == TCP_SYN &&
     (l = lisfind(h.dport)) != 0){
    if((c = passive(l, sip, h.sport, dip, h.dport)) == 0){
      release(&tcps.lock);
      mbuffree(m);
      return;
    }
  }
  if(c == 0){
    release(&tcps.lock);
    refuse(&seg, sip, h.sport, dip, h.dport);
    mbuffree(m);
    return;
  }
  NETSTAT_INC(tcp_rx);
  tcp_input(&c->t, now_ms(), &seg, &out);
  collect(c, &out, &q);
  settle(c);
  release(&tcps.lock);
  mbuffree(m);
  flush(&q);
}

// Timers: run tcp_tick on every connection whose deadline has come, and
// wake readers waiting with a timeout. Called every tick from net_tick()
// (the timer interrupt), no locks held.
void
tcp_timer(void)
{
  struct tcp_out out;
  struct tcpconn *c;
  struct mbufq q;
  uint64 now, d;

  if(__atomic_load_n(&tcps.nused, __ATOMIC_RELAXED) == 0)
    return;
  now = now_ms();
  mbufq_init(&q);
  acquire(&tcps.lock);
  for(c = tcps.c; c < tcps.c + NTCP; c++){
    if(!c->used)
      continue;
    if(c->timed)
      wakeup(c);
    d = tcp_deadline(&c->t);
    if(d == 0 || d > now)
      continue;
    tcp_tick(&c->t, now, &out);
    collect(c, &out, &q);
    settle(c);
  }
  release(&tcps.lock);
  flush(&q);
}

// ---- the application's side --------------------------------------------

// Sleep on chan (c or a listener) until woken. Returns 0, or -1 if we
// were killed or c's receive timeout (deadline in time_ns, 0: none)
// passed; a timed sleeper is woken every tick (tcp_timer). The deadline is
// the time CSR's, not ticks: ticks can lag on one hart and then jump
// (kernel/sockwait.c says the same). Caller holds tcps.lock.
static int
tcpwait(void *chan, struct tcpconn *c, uint64 deadline)
{
  if(killed(myproc()))
    return -1;
  if(deadline && time_ns() >= deadline)
    return -1;
  if(deadline)
    c->timed++;
  sleep(chan, &tcps.lock);
  if(deadline)
    c->timed--;
  return 0;
}

// Active open to raddr:rport from an ephemeral port. Blocks until the
// connection is established (returns it, held by the caller's file) or
// fails (returns 0: refused, timed out, killed, no slot or address, or
// raddr one no unicast connection can go to: broadcast, multicast, our
// own, loopback; np_src_ok's list, RFC 1122 4.2.3.10).
struct tcpconn *
tcpsock_connect(uint32 raddr, uint16 rport)
{
  struct tcp_out out;
  struct tcpconn *c;
  struct ifinfo ifi;
  struct mbufq q;
  int n;

  net_ifget(&ifi);
  if(ifi.addr == 0 || rport == 0 || !np_src_ok(raddr, ifi.addr, ifi.netmask))
    return 0;
  mbufq_init(&q);
  acquire(&tcps.lock);
  if((c = connalloc()) == 0){
    release(&tcps.lock);
    return 0;
  }
  c->hasfile = 1;
  c->laddr = net_addr();
  c->raddr = raddr;
  c->rport = rport;
  for(n = 0; n < 16384; n++){
    c->lport = tcps.nextport;
    tcps.nextport = tcps.nextport == 0xffff ? TCP_EPHEMERAL : tcps.nextport + 1;
    if(connfind(raddr, rport, c->lport) == 0 && lisfind(c->lport) == 0)
      break;
  }
  tcp_open(&c->t, now_ms(), tcp_iss(now_ms(), c->laddr, c->lport, raddr, rport, tcps.key), &out);
  collect(c, &out, &q);
  release(&tcps.lock);
  flush(&q);
  acquire(&tcps.lock);
  while(c->t.state == TCP_SYN_SENT || c->t.state == TCP_SYN_RCVD)
    if(tcpwait(c, c, 0) < 0)
      break;
  if(c->t.state == TCP_SYN_SENT || c->t.state == TCP_SYN_RCVD || c->t.err ||
     c->t.state == TCP_CLOSED){
    tcp_abort(&c->t, now_ms(), &out);
    collect(c, &out, &q);
    c->hasfile = 0;
    settle(c);
    c = 0;
  }
  release(&tcps.lock);
  flush(&q);
  return c;
}

// Listen on our port for up to backlog connections waiting for accept
// (clamped to 1..NTCP/2). Returns the listener, or 0 if the port is
// taken or every listener slot is.
struct tcplisten *
tcpsock_listen(uint16 port, int backlog)
{
  struct tcplisten *l, *got = 0;

  if(port == 0)
    return 0;
  if(backlog < 1)
    backlog = 1;
  if(backlog > NTCP / 2)
    backlog = NTCP / 2;
  acquire(&tcps.lock);
  if(lisfind(port) == 0){
    for(l = tcps.l; l < tcps.l + NTCPLISTEN; l++){
      if(!l->used){
        l->used = 1;
        l->port = port;
        l->backlog = backlog;
        l->npending = 0;
        got = l;
        break;
      }
    }
  }
  release(&tcps.lock);
  return got;
}

// The oldest established connection waiting on l, or 0. Caller holds
// tcps.lock.
static struct tcpconn *
pending(struct tcplisten *l)
{
  struct tcpconn *c, *best = 0;

  for(c = tcps.c; c < tcps.c + NTCP; c++)
    if(c->used && c->lis == l && c->t.state != TCP_SYN_RCVD &&
       c->t.state != TCP_LISTEN && c->t.state != TCP_CLOSED &&
       (best == 0 || c->born < best->born))
      best = c;
  return best;
}

// Wait for a connection on l and take it: returns it (now held by the
// caller's file) with the peer's address and port, or 0 if killed.
struct tcpconn *
tcpsock_accept(struct tcplisten *l, uint32 *raddr, uint16 *rport)
{
  struct tcpconn *c;

  acquire(&tcps.lock);
  while((c = pending(l)) == 0){
    if(tcpwait(l, 0, 0) < 0){
      release(&tcps.lock);
      return 0;
    }
  }
  c->lis = 0;
  l->npending--;
  c->hasfile = 1;
  *raddr = c->raddr;
  *rport = c->rport;
  release(&tcps.lock);
  return c;
}

// Stop listening: the connections not yet accepted are reset.
void
tcpsock_lclose(struct tcplisten *l)
{
  struct tcp_out out;
  struct tcpconn *c;
  struct mbufq q;

  mbufq_init(&q);
  acquire(&tcps.lock);
  for(c = tcps.c; c < tcps.c + NTCP; c++){
    if(c->used && c->lis == l){
      tcp_abort(&c->t, now_ms(), &out);
      collect(c, &out, &q);
      settle(c);
    }
  }
  l->used = 0;
  release(&tcps.lock);
  flush(&q);
}

// The file is closed: close the connection (a FIN after the queued
// data; a RST if data was left unread). The slot lives on through
// FIN-WAIT and TIME-WAIT in the table.
void
tcpsock_close(struct tcpconn *c)
{
  struct tcp_out out;
  struct mbufq q;

  mbufq_init(&q);
  acquire(&tcps.lock);
  tcp_close(&c->t, now_ms(), &out);
  collect(c, &out, &q);
  c->hasfile = 0;
  settle(c);
  release(&tcps.lock);
  flush(&q);
}

// SO_BUSY_POLL: poll the RX ring until c has data to read (or an end),
// for at most c->busy_us. Caller holds no locks; reads c's fields without
// the lock (only a hint).
static void
busy_poll(struct tcpconn *c)
{
  uint64 end = time_ns() + (uint64)c->busy_us * 1000;

  while(time_ns() < end){
    if(__atomic_load_n(&c->t.rlen, __ATOMIC_RELAXED) || c->t.fin_rcvd || c->t.err ||
       killed(myproc()))
      return;
    netpoll(16);
  }
}

// Read up to n bytes to the user address addr: blocks until there are
// some. Returns the count, 0 at the end of the stream, -1 after a reset
// or a give-up, when killed or when SO_RCVTIMEO runs out.
int
tcpsock_read(struct tcpconn *c, uint64 addr, int n)
{
  struct tcp_out out;
  struct mbufq q;
  char *buf;
  uint64 deadline = 0;
  int r;

  if(n <= 0)
    return n == 0 ? 0 : -1;
  if(n > PGSIZE)
    n = PGSIZE;
  if((buf = kalloc()) == 0)
    return -1;
  mbufq_init(&q);
  if(c->busy_us)
    busy_poll(c);
  acquire(&tcps.lock);
  if(c->rcvtimeo_ms)
    deadline = time_ns() + (uint64)c->rcvtimeo_ms * 1000000;
  while((r = tcp_recv(&c->t, now_ms(), (uint8 *)buf, n, &out)) == TCP_AGAIN){
    if(tcpwait(c, c, deadline) < 0){
      r = -1;
      break;
    }
  }
  if(r != TCP_AGAIN)
    collect(c, &out, &q);
  release(&tcps.lock);
  flush(&q);
  if(r > 0 && copyout(myproc()->pagetable, addr, buf, r) < 0)
    r = -1;
  kfree(buf);
  return r;
}

// Queue up to n bytes (at most a page) from buf for sending, blocking
// while the send buffer is full. Returns the count or -1.
static int
sendsome(struct tcpconn *c, char *buf, int n)
{
  struct tcp_out out;
  struct mbufq q;
  int r;

  mbufq_init(&q);
  acquire(&tcps.lock);
  for(;;){
    r = tcp_send(&c->t, now_ms(), (uint8 *)buf, n, &out);
    collect(c, &out, &q);
    if(r != 0)
      break;
    release(&tcps.lock);
    flush(&q);
    acquire(&tcps.lock);
    if(c->t.slen < c->t.ssize || c->t.err)
      continue;
    if(tcpwait(c, c, 0) < 0){
      r = -1;
      break;
    }
  }
  release(&tcps.lock);
  flush(&q);
  return r;
}

// Write n bytes from the user address addr, blocking while the send
// buffer is full. Returns n, or -1 (reset, timed out, shut down, killed).
int
tcpsock_write(struct tcpconn *c, uint64 addr, int n)
{
  char *buf;
  int done = 0, chunk, r;

  if(n < 0 || (buf = kalloc()) == 0)
    return -1;
  while(done < n){
    chunk = n - done > PGSIZE ? PGSIZE : n - done;
    if(copyin(myproc()->pagetable, buf, addr + done, chunk) < 0)
      break;
    for(int off = 0; off < chunk; off += r)
      if((r = sendsome(c, buf + off, chunk - off)) < 0)
        goto out;
    done += chunk;
  }
out:
  kfree(buf);
  return done == n ? n : -1;
}

// Shut down the sending side: a FIN after the queued data. 0 or -1.
int
tcpsock_shutdown(struct tcpconn *c)
{
  struct tcp_out out;
  struct mbufq q;
  int r;

  mbufq_init(&q);
  acquire(&tcps.lock);
  r = tcp_shutdown(&c->t, now_ms(), &out);
  collect(c, &out, &q);
  release(&tcps.lock);
  flush(&q);
  return r;
}

// sockopt() on a TCP connection: SO_RCVTIMEO, SO_BUSY_POLL, TCP_NODELAY,
// TCP_MAXRTX (kernel/socket.h): 0, or -1 for a bad option or value.
// SO_ERROR returns the connection's error (SOERR_*, tcp.h's TCP_ERR_*).
int
tcpsock_setopt(struct tcpconn *c, int opt, int val)
{
  int r = 0;

  acquire(&tcps.lock);
  if(opt == SO_RCVTIMEO && val >= 0 && val <= SO_MAXTIMEO)
    c->rcvtimeo_ms = val;
  else if(opt == SO_BUSY_POLL && val >= 0 && val <= SO_MAXBUSY)
    c->busy_us = val;
  else if(opt == TCP_NODELAY && (val == 0 || val == 1))
    c->t.nodelay = val;
  else if(opt == TCP_MAXRTX && val >= 1 && val <= TCP_MAXRTX_MAX)
    c->t.p.max_retries = val;         // read at the next timeout
  else if(opt == SO_ERROR)
    r = c->t.err;
  else
    r = -1;
  release(&tcps.lock);
  return r;
}

// tcpctl(): read (val 0) or set one of the parameters new connections
// get (kernel/socket.h TCPCTL_*). Returns the old value, or -1 for an
// unknown op or a value out of range.
int
tcpsock_ctl(int op, int val)
{
  static const struct { int op; uint off; int lo, hi; } ctl[] = {
    { TCPCTL_MSL, __builtin_offsetof(struct tcp_params, msl), 10, 120000 },
    { TCPCTL_RETRIES, __builtin_offsetof(struct tcp_params, max_retries), 1, 30 },
    { TCPCTL_SYN_RETRIES, __builtin_offsetof(struct tcp_params, syn_retries), 1, 30 },
    { TCPCTL_SYNACK_RETRIES, __builtin_offsetof(struct tcp_params, synack_retries), 1, 30 },
    { TCPCTL_RTO, __builtin_offsetof(struct tcp_params, rto_init), 100, 60000 },
  };
  uint *v;
  int old;

  for(int i = 0; i < NELEM(ctl); i++){
    if(ctl[i].op != op)
      continue;
    if(val != 0 && (val < ctl[i].lo || val > ctl[i].hi))
      return -1;
    acquire(&tcps.lock);
    v = (uint *)((char *)&tcps.params + ctl[i].off);
    old = *v;
    if(val != 0){
      *v = val;
      if(op == TCPCTL_RTO)
        tcps.params.rto_min = val;    // one value: the first RTO and the least
    }
    release(&tcps.lock);
    return old;
  }
  return -1;
}

static void
connstr(const char *s, char *d, int n)
{
  int i;

  for(i = 0; i < n - 1 && s[i]; i++)
    d[i] = s[i];
  d[i] = 0;
}

// Describe the listeners, then the connections, in up to n struct
// tcpinfo at the user address uinfo. Returns how many there are (maybe
// more than n), or -1 if the copy fails.
int
tcpsock_list(uint64 uinfo, int n)
{
  struct tcpinfo *ti;   // NTCPLISTEN + NTCP of them: a page, not the stack
  int k = 0;

  if(n < 0 || (ti = (struct tcpinfo *)kalloc()) == 0)
    return -1;
  memset(ti, 0, PGSIZE);
  acquire(&tcps.lock);
  for(struct tcplisten *l = tcps.l; l < tcps.l + NTCPLISTEN; l++){
    if(!l->used)
      continue;
    connstr("LISTEN", ti[k].state, sizeof(ti[k].state));
    ti[k].lport = l->port;
    ti[k].backlog = l->backlog;
    ti[k++].pending = l->npending;
  }
  for(struct tcpconn *c = tcps.c; c < tcps.c + NTCP; c++){
    if(!c->used)
      continue;
    connstr(tcp_state_names[c->t.state], ti[k].state, sizeof(ti[k].state));
    ti[k].laddr = c->laddr;
    ti[k].raddr = c->raddr;
    ti[k].lport = c->lport;
    ti[k].rport = c->rport;
    ti[k].cwnd = c->t.cwnd;
    ti[k].ssthresh = c->t.ssthresh;
    ti[k].srtt_us = c->t.rtt_valid ? c->t.srtt8 * 1000 / 8 : 0;
    ti[k].rto_ms = c->t.rto;
    ti[k].nrtx = c->t.nrtx;
    ti[k].sndq = c->t.slen;
    ti[k].rcvq = c->t.rlen;
    ti[k].mss = c->t.smss;
    ti[k++].orphan = !c->hasfile;
  }
  release(&tcps.lock);
  if(copyout(myproc()->pagetable, uinfo, (char *)ti, (n < k ? n : k) * sizeof(ti[0])) < 0)
    k = -1;
  kfree(ti);
  return k;
}
