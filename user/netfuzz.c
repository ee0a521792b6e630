// netfuzz: a fuzzer for the network system calls (issue 17).
//
//   netfuzz [-s SEED] [-t SECONDS] [-w WORKERS] [-p SERVERPORT] [-v|-V]
//
// WORKERS processes (default 4) call every network system call (see
// calls_table[] below: connect, icmpconnect, bind, unbind, send, recv, sendmsgs,
// recvmsgs, sockopt, socklist, netstat, netmode, netceiling, ifget, ifset,
// arplist, arpctl, tcpconnect, tcplisten, tcpaccept, tcpshutdown, tcplist, tcpctl,
// and read, write, dup and close on the sockets they made) with random and boundary arguments, for SECONDS (default 20).
// Lengths are 0, 1, the largest, one more, negative or random; pointers
// good, unaligned, null, into the read-only text, across the end of the
// heap, into unmapped pages, the stack's guard page and the kernel's
// addresses. Meanwhile the parent kills a random worker every few ticks
// (some blocked in a read, some mid-call) and starts another in its place,
// and now and then unbinds the ports bound so far (under their readers).
// The host is expected to send traffic to guest ports 2000 and 2001 and
// to echo UDP sent to 10.0.2.2:SERVERPORT (server.py).
//
// Everything a worker does is a function of SEED, its slot and its
// generation, so a worker's call sequence repeats; the interleaving of
// workers does not. -v prints each call before it is made, with its
// worker, number and the time since boot in ms (for a reproducer);
// -V makes each worker that lives to the end print how many calls of
// each kind it made and the time they took.
//
// Before it starts, netfuzz takes the interface over from dhcpc (whose
// renewing child exits when another program sets the interface, as the
// workers do), so that dhcpc's exit is not counted as pages freed.
// Afterwards the parent undoes what the workers may have changed (unbinds
// every port bound during the run, restores the interface, the mode and
// the ARP lifetime it found) and checks: free pages and mbufs in use as
// before, every received frame accounted for (netstat_accounted), and a
// UDP echo through SERVERPORT still comes back. A call that copied to or
// from an address that is no user memory and did not fail is a kernel bug
// and fails the run too (netfuzz: BUG ... says which call, worker and
// address). The run's summary and the verdict:
//   netfuzz: seed S workers W: N calls in T ms (R calls/s), K kills
//   netfuzz: PASSED   (or netfuzz: FAILED, after a line saying why)
// N counts calls in whole CHUNKs for a killed worker (its last <64 are lost).
//
// Destinations are kept to addresses that end at slirp or nowhere:
// 10.0.2.2 only at SERVERPORT, never 10.0.2.3:53 (slirp would forward DNS
// off the machine), no address off 10.0.2.0/24.

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "kernel/net.h"
#include "kernel/netstat.h"
#include "kernel/socket.h"
#include "kernel/netmode.h"
#include "kernel/netif.h"
#include "kernel/sysinfo.h"
#include "user/user.h"

#define HOST_IP      0x0A000202   // 10.0.2.2: slirp's host, server.py behind it
#define NOBODY_IP    0x0A000263   // 10.0.2.99: nobody, not even ARP
#define MAXDATA      1472         // largest UDP payload
#define MAXWORKERS   16
#define MAXFDS       8            // sockets a worker keeps open at once
#define MAXPORTS     8            // ports a worker remembers binding
#define CHUNK        64           // calls a worker reports in one pipe byte
#define BUGBYTE      0xff         // the pipe byte that reports a kernel bug
#define ARENA        (4 * PGSIZE)

// The raw system call: every argument a full register, so ports and
// lengths reach the kernel as chosen (65536, -1), not cut to a uint16.
typedef uint64 (*rawcall)(uint64, uint64, uint64, uint64, uint64, uint64);
#define RAW(f) ((rawcall)(void *)(f))

// What a pointer argument is: read-write user memory; our text
// (readable, not writable); user memory for only part of the length
// asked for (a copy of all of it must fail, of less may work); no user
// memory at all.
enum { P_OK, P_RO, P_PART, P_BAD };

static uint64 rngstate;
static int verbose, serverport = NET_TESTS_PORT;   // make's SERVERPORT
static int slot, gen;              // this worker's identity
static int countfd = -1;           // pipe to the parent: call counts
static uint64 calls;               // calls made by this worker
static uint64 heapend, guardpage;  // top of our heap page; the stack's guard
static char arena[ARENA] __attribute__((aligned(PGSIZE)));
static int fds[MAXFDS], nfds;
static int ports[MAXPORTS], nports;

#define NPROF 32
static struct {             // -V: calls made and time spent in each call
  char *name;
  uint64 n, ns;
} prof[NPROF];

// What the run may change and the parent puts back, and the counts it
// compares.
static struct {
  struct ifinfo ifi;
  int mode;
  int ttl;
  struct sysinfo si;
  uint16 bound[64];
  int nbound;
} saved;

// splitmix64: a seeded generator with good mixing of nearby seeds.
static uint64
rnd(void)
{
  uint64 z = (rngstate += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A random number in [0, n).
static uint64
below(uint64 n)
{
  return n ? rnd() % n : 0;
}

#define PICK(a) ((a)[below(sizeof(a) / sizeof((a)[0]))])

// A length: small and valid most of the time, else a boundary or junk.
static uint64
anylen(void)
{
  static uint64 edge[] = { 0, 1, 2, 7, 8, 64, MAXDATA - 1, MAXDATA, MAXDATA + 1,
    4096, 65535, 65536, 0x7fffffff, 0x80000000ULL, (uint64)-1, (uint64)-2,
    0xffffffffULL };

  switch(below(4)){
  case 0: return PICK(edge);
  case 1: return rnd();
  default: return below(MAXDATA + 1);
  }
}

// A port: one of ours, a boundary, a lab port or any 16-bit value; now
// and then one that is not a port at all.
static uint64
anyport(void)
{
  static uint64 edge[] = { 0, 1, 67, 68, 2000, 2001, 65535, 65536, 0x10000 + 2000,
    (uint64)-1, 0x7fffffff };

  switch(below(6)){
  case 0: return PICK(edge);
  case 1: return 1 + below(65535);
  case 2: return nports ? ports[below(nports)] : 2000 + below(2);
  default: return 20000 + below(64);   // a small range: binds collide, recvs find queues
  }
}

// A destination address and port: only where slirp ends the trip on this
// machine (see the top of the file). Sets *port.
static uint64
anydst(uint64 *port)
{
  static uint64 local[] = { 0, 0x0A000200, NOBODY_IP, 0x0A00020F, 0x0A0002FF,
    0xFFFFFFFF, 0x0A000201, 0x0A000203 };
  uint64 a;

  *port = anyport();
  if(below(3) == 0){
    *port = below(8) ? serverport : 0;
    return HOST_IP;
  }
  a = below(4) ? PICK(local) : 0x0A000204 + below(0xFB - 4);  // 10.0.2.4 .. .250
  if(a == 0x0A000203 && (uint16)*port == 53)
    *port = 54;
  return a;
}

// A pointer for an argument the kernel may read or write len bytes at.
// *kind says what a correct kernel may do with it.
static uint64
anyptr(uint64 len, int *kind)
{
  static uint64 kern[] = { KERNBASE, KERNBASE + 0x1000, PHYSTOP - 8, PHYSTOP,
    E1000_BAR0, PLIC, UART0, TRAPFRAME, TRAMPOLINE, MAXVA - 8, MAXVA,
    0xffffffff80000000ULL, 0xfffffffffffffff8ULL };
  uint64 room = len < PGSIZE ? len : PGSIZE;

  *kind = P_BAD;
  switch(below(16)){
  case 0: *kind = P_RO; return 0;                    // null: our text, read-only
  case 1: *kind = P_RO; return (uint64)anyptr + below(64);
  case 2: return PICK(kern);
  case 3: return guardpage + below(PGSIZE);
  case 4: return heapend + below(64) * PGSIZE;        // unmapped above the heap
  case 5:                                            // runs off the heap's end
    if(len < 2)
      return heapend;
    *kind = P_PART;
    return heapend - 1 - below(room - 1);
  case 6: return rnd();
  default:
    *kind = P_OK;
    return (uint64)arena + below(PGSIZE) + (below(2) ? 1 : 0);  // maybe unaligned
  }
}

// Print what the next call is, with -v: "w1.3 #42 send(...)".
static void
trace(char *name, uint64 a0, uint64 a1, uint64 a2, uint64 a3, uint64 a4, uint64 a5)
{
  if(verbose == 1)
    printf("w%d.%d #%lu %lu ms %s(%lx, %lx, %lx, %lx, %lx, %lx)\n", slot, gen, calls,
           timens() / 1000000, name, a0, a1, a2, a3, a4, a5);
}

// Add ns to the time spent in calls of name (shown with -V).
static void
profile(char *name, uint64 ns)
{
  for(int i = 0; i < NPROF; i++)
    if(prof[i].name == 0 || prof[i].name == name){
      prof[i].name = name;
      prof[i].n++;
      prof[i].ns += ns;
      return;
    }
}

// Call f with raw arguments, counting and tracing it.
static int
call(char *name, void *f, uint64 a0, uint64 a1, uint64 a2, uint64 a3, uint64 a4, uint64 a5)
{
  int r;

  trace(name, a0, a1, a2, a3, a4, a5);
  uint64 t = timens();
  r = (int)RAW(f)(a0, a1, a2, a3, a4, a5);
  profile(name, timens() - t);
  calls++;
  if(calls % CHUNK == 0){
    char c = CHUNK;
    write(countfd, &c, 1);
  }
  return r;
}

// A call that had to fail (it was given no user memory) succeeded: say
// so, and tell the parent.
static void
bug(char *name, int r, uint64 ptr)
{
  char c = BUGBYTE;

  printf("netfuzz: BUG %s returned %d for address %lx (worker %d.%d, call %lu)\n",
         name, r, ptr, slot, gen, calls);
  write(countfd, &c, 1);
}

// May the kernel read all of len bytes (copyin) at a pointer of this
// kind? If not, a call that must copy them all has to fail.
static int
canread(int kind)
{
  return kind == P_OK || kind == P_RO;
}

// A descriptor: one of our sockets most of the time, else no descriptor
// or a number nobody here opened.
static uint64
anyfd(void)
{
  static uint64 edge[] = { (uint64)-1, NOFILE, NOFILE - 1, 1000, 0x80000000ULL };

  if(nfds > 0 && below(8))
    return fds[below(nfds)];
  return PICK(edge);
}

static void
keepfd(int fd)
{
  if(fd < 0)
    return;
  if(nfds == MAXFDS){
    int i = below(MAXFDS);
    call("close", close, fds[i], 0, 0, 0, 0, 0);
    fds[i] = fd;
  } else {
    fds[nfds++] = fd;
  }
  // A short receive timeout, so most reads come back; the rest block
  // until a datagram comes or the parent's kill.
  if(below(64))
    call("sockopt", sockopt, fd, SO_RCVTIMEO, below(8) ? 1 : 1 + below(50), 0, 0, 0);
}

static void
forgetfd(uint64 fd)
{
  for(int i = 0; i < nfds; i++)
    if(fds[i] == fd){
      fds[i] = fds[--nfds];
      return;
    }
}

// ---- the calls ---------------------------------------------------------------

static void
do_connect(void)
{
  uint64 rport, raddr = anydst(&rport);

  keepfd(call("connect", connect, raddr, anyport(), rport, 0, 0, 0));
}

static void
do_icmpconnect(void)
{
  uint64 port;

  keepfd(call("icmpconnect", icmpconnect, anydst(&port), 0, 0, 0, 0, 0));
}

static void
do_tcpconnect(void)
{
  uint64 rport, raddr = anydst(&rport);

  keepfd(call("tcpconnect", tcpconnect, raddr, rport, 0, 0, 0, 0));
}

static void
do_tcplisten(void)
{
  static uint64 edge[] = { 0, 1, 16, 17, 0x7fffffff, (uint64)-1 };

  keepfd(call("tcplisten", tcplisten, anyport(), PICK(edge), 0, 0, 0, 0));
}

// Blocks until a connection comes (none does here) or the parent's kill.
static void
do_tcpaccept(void)
{
  int k;

  keepfd(call("tcpaccept", tcpaccept, anyfd(), anyptr(4, &k), anyptr(2, &k), 0, 0, 0));
}

static void
do_tcpshutdown(void)
{
  call("tcpshutdown", tcpshutdown, anyfd(), 0, 0, 0, 0, 0);
}

static void
do_bind(void)
{
  uint64 port = anyport();

  if(call("bind", bind, port, 0, 0, 0, 0, 0) == 0 && nports < MAXPORTS)
    ports[nports++] = port;
}

static void
do_unbind(void)
{
  int i = nports ? below(nports) : 0;
  uint64 port = nports && below(4) ? ports[i] : anyport();

  if(call("unbind", unbind, port, 0, 0, 0, 0, 0) == 0 && nports && ports[i] == port)
    ports[i] = ports[--nports];
}

// The length a call taking an int sees (argint keeps the low 32 bits),
// or 0 if that is negative.
static uint64
intlen(uint64 len)
{
  return (int)len > 0 ? (int)len : 0;
}

static void
do_send(void)
{
  uint64 dport, dst = anydst(&dport), len = anylen();
  int kind;
  uint64 buf = anyptr(intlen(len), &kind);
  int r = call("send", send, anyport(), dst, dport, buf, len, 0);

  if(r == 0 && !canread(kind) && intlen(len) > 0)
    bug("send", r, buf);
}

// recv on a bound port. It blocks until a datagram comes, so mostly only
// where one waits (socklist says); now and then anywhere (the parent's
// kill, or another worker's unbind, ends the wait).
static int
queued(uint64 port)
{
  struct sockinfo *si = (struct sockinfo *)(arena + 2 * PGSIZE);
  int n = call("socklist", socklist, (uint64)si, PGSIZE / sizeof(*si), 0, 0, 0, 0);

  for(int i = 0; i < n && i < PGSIZE / sizeof(*si); i++)
    if(si[i].bound && si[i].lport == (uint16)port && si[i].qlen > 0)
      return 1;
  return 0;
}

static void
do_recv(void)
{
  uint64 port = anyport(), len = anylen();
  int ksrc, ksport, kbuf;
  uint64 src = anyptr(4, &ksrc), sport = anyptr(2, &ksport), buf = anyptr(len, &kbuf);

  if(below(64) && !queued(port))
    return;
  call("recv", recv, port, src, sport, buf, len, 0);
}

static void
do_readwrite(int wr)
{
  uint64 fd = anyfd(), len = anylen();
  int kind;
  uint64 buf = anyptr(intlen(len), &kind);
  int r;

  if(wr){
    r = call("write", write, fd, buf, len, 0, 0, 0);
    if(r > 0 && !canread(kind))
      bug("write", r, buf);
  } else {
    // A datagram shorter than len fits in the good part of a P_PART buffer.
    r = call("read", read, fd, buf, len, 0, 0, 0);
    if(r > 0 && (kind == P_RO || kind == P_BAD))
      bug("read", r, buf);
  }
}

static void
do_close(void)
{
  uint64 fd = anyfd();

  if(call("close", close, fd, 0, 0, 0, 0, 0) == 0)
    forgetfd(fd);
}

static void
do_dup(void)
{
  int fd = call("dup", dup, anyfd(), 0, 0, 0, 0, 0);

  if(fd >= 0 && nfds < MAXFDS)
    fds[nfds++] = fd;
  else if(fd >= 0)
    call("close", close, fd, 0, 0, 0, 0, 0);
}

// n messages in the arena's third page, their buffers anywhere.
static uint64
anymsgs(uint64 n, int *kind)
{
  struct udpmsg *m = (struct udpmsg *)(arena + 3 * PGSIZE);
  int k;

  for(int i = 0; i < n && i < UDP_BATCH_MAX + 1; i++){
    m[i].len = below(4) ? below(MAXDATA + 1) : anylen();
    m[i].buf = (char *)anyptr(m[i].len, &k);
    m[i].addr = rnd();
    m[i].port = rnd();
  }
  if(below(8) == 0)
    return anyptr(n * sizeof(*m), kind);
  *kind = P_OK;
  return (uint64)m;
}

static void
do_msgs(int wr)
{
  static uint64 edge[] = { 0, 1, 2, UDP_BATCH_MAX, UDP_BATCH_MAX + 1, (uint64)-1,
    0x7fffffff };
  uint64 n = below(2) ? 1 + below(UDP_BATCH_MAX) : PICK(edge);
  int kind;
  uint64 msgs = anymsgs(n, &kind);

  if(wr)
    call("sendmsgs", sendmsgs, anyfd(), msgs, n, 0, 0, 0);
  else
    call("recvmsgs", recvmsgs, anyfd(), msgs, n, 0, 0, 0);
}

static void
do_sockopt(void)
{
  static uint64 opt[] = { 0, SO_RCVTIMEO, SO_BUSY_POLL, TCP_NODELAY, TCP_MAXRTX, SO_ERROR, 6,
    (uint64)-1 };
  static uint64 val[] = { 0, 1, 5, 50, (uint64)-1, SO_MAXTIMEO, SO_MAXTIMEO + 1,
    SO_MAXBUSY, SO_MAXBUSY + 1, TCP_MAXRTX_MAX, TCP_MAXRTX_MAX + 1, 0x80000000ULL };

  call("sockopt", sockopt, anyfd(), PICK(opt), below(4) ? 1 + below(100) : PICK(val), 0, 0, 0);
}

// A call that copies a struct out: a pointer that is no user memory, or
// read-only, must make it fail.
static void
do_copyout(char *name, void *f, uint64 size, uint64 n, int always)
{
  int kind;
  uint64 p = anyptr(size, &kind);
  int r = call(name, f, p, n, 0, 0, 0, 0);

  if(always && r >= 0 && kind != P_OK)
    bug(name, r, p);
}

static void
do_lists(void)
{
  static uint64 edge[] = { 0, 1, 16, 17, 170, 171, 0x7fffffff, (uint64)-1 };
  uint64 n = below(2) ? below(20) : PICK(edge);

  switch(below(5)){
  case 4: do_copyout("tcplist", tcplist, n * sizeof(struct tcpinfo), n, 0); break;
  case 0: do_copyout("socklist", socklist, n * sizeof(struct sockinfo), n, 0); break;
  case 1: do_copyout("arplist", arplist, n * sizeof(struct arpinfo), n, 0); break;
  case 2: do_copyout("netstat", netstat, sizeof(struct netstat), 0, 1); break;
  default: do_copyout("ifget", ifget, sizeof(struct ifinfo), 0, 1); break;
  }
}

static void
do_arpctl(void)
{
  static uint64 op[] = { 0, ARPCTL_FLUSH, ARPCTL_TTL, ARPCTL_TTL, 3, (uint64)-1 };
  static uint64 arg[] = { 0, 1, 2, 60, ARP_TTL_MAX, ARP_TTL_MAX + 1, (uint64)-1,
    0x80000000ULL };

  call("arpctl", arpctl, PICK(op), PICK(arg), 0, 0, 0, 0);
}

// tcpctl with any operation and value; a change it makes is undone at once
// (the old value back), so the fuzzed TCP connections keep sane timers.
static void
do_tcpctl(void)
{
  static uint64 op[] = { 0, TCPCTL_MSL, TCPCTL_RETRIES, TCPCTL_SYN_RETRIES,
    TCPCTL_SYNACK_RETRIES, TCPCTL_RTO, 6, (uint64)-1 };
  static uint64 val[] = { 0, 1, 9, 10, 30, 31, 99, 100, 60000, 60001, 120000, 120001,
    (uint64)-1, 0x80000000ULL, 0x100000000ULL };
  uint64 o = PICK(op), v = PICK(val);
  int old = call("tcpctl", tcpctl, o, v, 0, 0, 0, 0);

  if(old > 0 && (int)v != 0)
    tcpctl(o, old);
}

static void
do_netmode(void)
{
  static uint64 mode[] = { (uint64)-1, NETMODE_INTR, NETMODE_POLL, NETMODE_HYBRID,
    NETMODE_COUNT, (uint64)-2, 0x80000000ULL, 0x100000000ULL };

  call("netmode", netmode, PICK(mode), 0, 0, 0, 0, 0);
}

// netceiling: short runs mostly; now and then a long one that only the
// parent's kill ends.
static void
do_netceiling(void)
{
  static uint64 edge[] = { 0, (uint64)-1, CEIL_MAXN + 1, 0x80000000ULL };
  uint64 dport, dst = anydst(&dport);
  uint64 n = below(4) ? 1 + below(32) : below(8) ? PICK(edge) : CEIL_MAXN;
  int kind;
  uint64 res = anyptr(sizeof(struct ceiling), &kind);

  call("netceiling", netceiling, below(5) ? below(2) : rnd(), n, anylen(), dst, dport, res);
}

// ifset: the configuration the run started with (so the interface
// works again for a while), or that with one field changed (to a value
// that keeps our traffic on 10.0.2.0/24), or a refused one; at a good or
// bad address.
static void
do_ifset(void)
{
  static uint32 mask[] = { 0xffffff00, 0xffff0000, 0xffffffff, 0, 0xff00ff00, 0xfffffff0 };
  static uint32 addr[] = { 0x0A00020F, 0x0A000210, 0, 0x0A0002FF };
  struct ifinfo *ifi = (struct ifinfo *)(arena + 3 * PGSIZE);
  int kind, r;
  uint64 p;

  *ifi = saved.ifi;
  switch(below(8)){
  case 0: ifi->netmask = PICK(mask); break;
  case 1: ifi->addr = PICK(addr); break;
  case 2: ifi->gateway = below(2) ? NOBODY_IP : 0; break;
  case 3: ifi->source = below(2) ? rnd() : IF_UNSET; break;
  case 4: ifi->dns = rnd(); ifi->lease = rnd(); ifi->server = rnd(); break;
  }
  p = below(4) ? (uint64)ifi : anyptr(sizeof(*ifi), &kind);
  if(p == (uint64)ifi)
    kind = P_OK;
  r = call("ifset", ifset, p, 0, 0, 0, 0, 0);
  if(r == 0 && !canread(kind))
    bug("ifset", r, p);
}

struct fuzzcall {
  void (*fn)(void);
  int weight;
};

static void do_read(void) { do_readwrite(0); }
static void do_write(void) { do_readwrite(1); }
static void do_sendmsgs(void) { do_msgs(1); }
static void do_recvmsgs(void) { do_msgs(0); }

// How often each is chosen: the socket calls most, the ones that change
// the whole machine (mode, interface, the ceiling benchmark) rarely.
static struct fuzzcall calls_table[] = {
  { do_connect, 6 }, { do_icmpconnect, 3 }, { do_bind, 5 }, { do_unbind, 4 },
  { do_send, 8 }, { do_recv, 4 }, { do_read, 8 }, { do_write, 8 }, { do_close, 4 },
  { do_dup, 2 }, { do_sendmsgs, 4 }, { do_recvmsgs, 4 }, { do_sockopt, 4 },
  { do_lists, 8 }, { do_arpctl, 1 }, { do_netmode, 1 }, { do_netceiling, 1 },
  { do_ifset, 1 }, { do_tcpconnect, 2 }, { do_tcplisten, 2 }, { do_tcpaccept, 1 },
  { do_tcpshutdown, 2 }, { do_tcpctl, 1 },
};
#define NCALLS (sizeof(calls_table) / sizeof(calls_table[0]))

static void
onecall(void)
{
  int total = 0, r;

  for(int i = 0; i < NCALLS; i++)
    total += calls_table[i].weight;
  r = below(total);
  for(int i = 0; i < NCALLS; i++){
    if(r < calls_table[i].weight){
      calls_table[i].fn();
      return;
    }
    r -= calls_table[i].weight;
  }
}

// ---- workers and the parent -------------------------------------------------

// A worker: random calls until the time CSR passes deadline (ns), or a
// kill. Reports its calls through the pipe; never returns.
static void
worker(uint64 seed, uint64 deadline)
{
  char c;

  rngstate = seed ^ (0x100000001b3ULL * (slot + 1)) ^ (0xc2b2ae3d27d4eb4fULL * (gen + 1));
  rnd();
  if(verbose)
    printf("w%d.%d: pid %d, seed %lu\n", slot, gen, getpid(), seed);
  heapend = (uint64)sbrk(PGSIZE) + PGSIZE;   // a heap page, so heapend-k is ours
  uint64 t0 = timens();
  while(timens() < deadline)
    onecall();
  if(verbose > 1){
    printf("w%d.%d: %lu calls in %lu ms\n", slot, gen, calls, (timens() - t0) / 1000000);
    for(int i = 0; i < NPROF && prof[i].name; i++)
      printf("w%d.%d: %s %lu calls %lu ms\n", slot, gen, prof[i].name, prof[i].n,
             prof[i].ns / 1000000);
  }
  if((c = calls % CHUNK) != 0)
    write(countfd, &c, 1);
  exit(0);
}

static struct {
  int pid[MAXWORKERS];
  int gen[MAXWORKERS];
  int nw;
  uint64 seed;
  uint64 deadline;          // timens() at which the run ends
  int pipe[2];
  uint64 calls;
  int kills;
  int bugs;
  int unbound;              // ports the parent unbound during the run
} run;

static void
spawn(int i)
{
  int pid;

  run.gen[i]++;
  if((pid = fork()) == 0){
    close(run.pipe[0]);
    countfd = run.pipe[1];
    slot = i;
    gen = run.gen[i];
    worker(run.seed, run.deadline);
  }
  if(pid < 0)
    printf("netfuzz: fork failed\n");
  run.pid[i] = pid;
}

// Add up what the workers reported so far without blocking: our own
// marker byte (0) ends what there is to read.
static void
drain(void)
{
  char c = 0;

  write(run.pipe[1], &c, 1);
  while(read(run.pipe[0], &c, 1) == 1 && c != 0){
    if((uchar)c == BUGBYTE)
      run.bugs++;
    else
      run.calls += (uchar)c;
  }
}

// Wait for one child; note its slot as empty. Returns the slot, or -1.
static int
reap(void)
{
  int pid = wait(0);

  for(int i = 0; i < run.nw; i++)
    if(run.pid[i] == pid && pid > 0){
      run.pid[i] = 0;
      return i;
    }
  return -1;
}

static int unbindall(void);

// The run itself: workers going, one killed and replaced every 5-40 ticks.
static void
fuzz(void)
{
  int i, k;

  for(i = 0; i < run.nw; i++)
    spawn(i);
  while(timens() < run.deadline){
    sleep(5 + below(36));
    drain();
    // Bound ports outlive the workers: unbind now and then (under their
    // readers, too), or a long run would bind all memory away.
    if(below(16) == 0 && (k = unbindall()) > 0)
      run.unbound += k;
    i = below(run.nw);
    if(run.pid[i] > 0 && kill(run.pid[i]) == 0){
      run.kills++;
      reap();
    }
    for(i = 0; i < run.nw; i++)   // the killed one, or one whose fork failed
      if(run.pid[i] <= 0 && timens() < run.deadline)
        spawn(i);
  }
  for(i = 0; i < run.nw; i++)
    if(run.pid[i] > 0)
      kill(run.pid[i]);
  while(wait(0) >= 0)
    ;
  drain();
}


// The ports bound now (at most 64 at the start; all of them at the end),
// into ports[], returns how many; -1 on error.
static int
boundports(uint16 *out, int max)
{
  static struct sockinfo si[PGSIZE / sizeof(struct sockinfo)];
  int n = socklist(si, PGSIZE / sizeof(struct sockinfo)), k = 0;

  if(n < 0)
    return -1;
  for(int i = 0; i < n && i < PGSIZE / sizeof(struct sockinfo); i++)
    if(si[i].bound && k < max)
      out[k++] = si[i].lport;
  return k;
}

// Is a socket on local UDP port 68 open (dhcpc's)?
static int
dhcpc_running(void)
{
  static struct sockinfo si[PGSIZE / sizeof(struct sockinfo)];
  int n = socklist(si, PGSIZE / sizeof(struct sockinfo));

  for(int i = 0; i < n && i < PGSIZE / sizeof(struct sockinfo); i++)
    if(si[i].proto == IPPROTO_UDP && si[i].lport == 68 && !si[i].bound)
      return 1;
  return 0;
}

// Take the interface over from dhcpc before the counts are taken: its
// child exits once any ifset() has changed the configuration (user/dhcpc.c),
// which the workers' ifset() would do in the middle of the run, and its
// pages would then look like pages we freed. Marked IF_STATIC (the
// child compares the source and the time of the last ifset(), which has
// whole seconds), the configuration is no longer its lease: it notices
// within a second and exits; wait for that (at most 5 s), then put the
// configuration back as it was.
static int
takeover(void)
{
  struct ifinfo ifi;

  if(ifget(&saved.ifi) < 0)
    return -1;
  ifi = saved.ifi;
  ifi.source = IF_STATIC;
  if(ifset(&ifi) < 0)
    return -1;
  for(int i = 0; i < 50 && dhcpc_running(); i++)
    sleep(10);
  sleep(10);   // and for init to reap it
  return ifset(&saved.ifi);
}

static int
save(void)
{
  if(takeover() < 0 || (saved.mode = netmode(-1)) < 0 ||
     (saved.ttl = arpctl(ARPCTL_TTL, 0)) < 0 || sysinfo(&saved.si) < 0 ||
     (saved.nbound = boundports(saved.bound, 64)) < 0)
    return -1;
  return 0;
}

// Unbind every port bound during the run (bound ports outlive the
// process that bound them). Returns how many, or -1.
static int
unbindall(void)
{
  static uint16 now[PGSIZE / sizeof(struct sockinfo)];
  int n, k = 0, j;

  // socklist shows at most a page of sockets: go round until none is new.
  do {
    if((n = boundports(now, sizeof(now) / sizeof(now[0]))) < 0)
      return -1;
    j = 0;
    for(int i = 0; i < n; i++){
      int old = 0;
      for(int b = 0; b < saved.nbound; b++)
        old |= saved.bound[b] == now[i];
      if(!old && unbind(now[i]) == 0)
        k++, j++;
    }
  } while(j > 0);
  return k;
}

static int
restore(void)
{
  int ok = 1;

  if(ifset(&saved.ifi) < 0)
    printf("netfuzz: FAILED to restore the interface\n"), ok = 0;
  if(netmode(saved.mode) < 0 || netmode(-1) != saved.mode)
    printf("netfuzz: FAILED to restore mode %s\n", netmode_name(saved.mode)), ok = 0;
  if(arpctl(ARPCTL_TTL, saved.ttl) < 0)
    printf("netfuzz: FAILED to restore the ARP ttl\n"), ok = 0;
  return ok;
}

// A UDP echo through the host's server.py comes back within 10 s. A
// write may fail at first (the workers may have left the ARP entry for
// 10.0.2.2 pending with its queue full): wait a tick and send again.
static int
echo_ok(void)
{
  char *msg = "netfuzz: still alive", buf[64];
  int fd, n = strlen(msg), ok = 0, r;
  uint64 end = timens() + 10000000000ULL;

  if((fd = udpopen(HOST_IP, 3999, serverport, 500)) < 0){
    printf("netfuzz: no socket for the echo\n");
    return 0;
  }
  while(!ok && timens() < end){
    if(write(fd, msg, n) != n){
      sleep(1);
      continue;
    }
    while(!ok && (r = read(fd, buf, sizeof(buf))) >= 0)
      ok = r == n && memcmp(buf, msg, n) == 0;
  }
  close(fd);
  return ok;
}

// Free pages, mbufs in use and the rx accounting as they should be; the
// kernel gets up to 5 s (frames in flight, ARP queues timing out).
static int
settled(void)
{
  static struct netstat ns;
  struct sysinfo si;
  int pages = 0, mbufs = 0, acct = 0;

  for(int i = 0; i < 50 && !(pages && mbufs && acct); i++){
    if(i > 0)
      sleep(10);
    if(sysinfo(&si) < 0 || netstat(&ns) < 0)
      return 0;
    pages = si.freepages == saved.si.freepages;
    mbufs = si.mbufs_inuse == saved.si.mbufs_inuse;
    acct = netstat_accounted(&ns) == ns.rx_frames;
  }
  if(!pages)
    printf("netfuzz: FAILED free pages %lu before, %lu after\n", saved.si.freepages, si.freepages);
  if(!mbufs)
    printf("netfuzz: FAILED mbufs in use %lu before, %lu after\n",
           saved.si.mbufs_inuse, si.mbufs_inuse);
  if(!acct)
    printf("netfuzz: FAILED rx_frames %lu, accounted %lu\n", ns.rx_frames, netstat_accounted(&ns));
  return pages && mbufs && acct;
}

static void
usage(void)
{
  fprintf(2, "usage: netfuzz [-s seed] [-t seconds] [-w workers] [-p serverport] [-v|-V]\n");
  exit(1);
}

static void
args(int argc, char *argv[], int *secs)
{
  for(int i = 1; i < argc; i++){
    if(strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "-V") == 0){
      verbose = argv[i][1] == 'v' ? 1 : 2;
      continue;
    }
    if(i + 1 >= argc || argv[i][0] != '-' || argv[i][2] != 0)
      usage();
    int v = atoi(argv[++i]);
    switch(argv[i - 1][1]){
    case 's': run.seed = v; break;
    case 't': *secs = v; break;
    case 'w': run.nw = v; break;
    case 'p': serverport = v; break;
    default: usage();
    }
  }
  if(*secs < 1 || run.nw < 1 || run.nw > MAXWORKERS || serverport < 1 || serverport > 65535)
    usage();
}

int
main(int argc, char *argv[])
{
  int secs = 20, ok = 1, k;
  uint64 t0, ms;

  run.seed = 1;
  run.nw = 4;
  args(argc, argv, &secs);
  guardpage = (uint64)sbrk(0) - (USERSTACK + 1) * PGSIZE;   // exec.c's layout
  rngstate = run.seed;
  printf("netfuzz: seed %lu, %d workers, %d s\n", run.seed, run.nw, secs);
  if(pipe(run.pipe) < 0 || save() < 0){
    printf("netfuzz: FAILED to start\n");
    exit(1);
  }
  t0 = timens();
  run.deadline = t0 + secs * 1000000000ULL;
  fuzz();
  ms = (timens() - t0) / 1000000;
  printf("netfuzz: seed %lu workers %d: %lu calls in %lu ms (%lu calls/s), %d kills\n",
         run.seed, run.nw, run.calls, ms, run.calls * 1000 / (ms ? ms : 1), run.kills);
  if((k = unbindall()) < 0)
    printf("netfuzz: FAILED to unbind\n"), ok = 0;
  printf("netfuzz: unbound %d ports during the run, %d at the end\n", run.unbound, k);
  ok &= restore();
  if(run.bugs)
    printf("netfuzz: FAILED %d calls succeeded on memory that is not the caller's\n",
           run.bugs), ok = 0;
  if(!echo_ok())
    printf("netfuzz: FAILED no UDP echo from 10.0.2.2:%d\n", serverport), ok = 0;
  ok &= settled();
  printf(ok ? "netfuzz: PASSED\n" : "netfuzz: FAILED\n");
  exit(ok ? 0 : 1);
}
