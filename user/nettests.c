// nettests: tests of UDP sockets against a UDP echo server.
//
//   host:  python3 server.py PORT      (or `make server`)
//   xv6:   nettests [-a ADDR] [PORT [TEST ...]]
//
// PORT defaults to `make server`'s. The server is 10.0.2.2 (server.py
// through slirp, or the LAN's service node) unless -a names another
// address (a dotted quad or a name): every test needs only an echo of
// each datagram to its sender, so every test runs with -a, e.g. against
// `udpecho serve PORT 0` on another guest of the LAN.
//
// Without TEST names every test runs except those that switch the
// driver's mode at run time (modeswitch, switchflood): name them to run them.
//
// Each test runs in a forked child and prints "name: OK" or
// "name: FAILED why"; the run ends with ALL TESTS PASSED or SOME TESTS
// FAILED. Every read has a receive timeout, so a lost datagram fails a
// test (after a few retries) instead of hanging it. Free pages and mbufs
// in use are compared before and after the whole run to catch leaks.

#include "kernel/types.h"
#include "kernel/netstat.h"
#include "kernel/socket.h"
#include "kernel/netmode.h"
#include "kernel/sysinfo.h"
#include "kernel/netif.h"
#include "kernel/net.h"
#include "kernel/netstage.h"
#include "user/user.h"
#include "user/serverport.h"

#define HOST_IP    ((10 << 24) | (0 << 16) | (2 << 8) | 2)   // 10.0.2.2
#define DEAD_PORT  1        // a UDP port of the server nobody answers
#define TIMEOUT_MS 1000     // per try
#define TRIES      3        // sends of one datagram before giving up
#define MAXDATA    1472     // largest UDP payload

static uint32 serverip = HOST_IP;      // -a
static int serverport = SERVERPORT;   // make's SERVERPORT at build time
static char *curname;       // the running test, for fail()
static char buf[MAXDATA + 16];

// Report the running test as failed and end its process.
static void
fail(char *why)
{
  printf("%s: FAILED %s\n", curname, why);
  exit(1);
}

// Append the decimal form of n to s.
static void
appendnum(char *s, int n)
{
  char tmp[12];
  int i = 0;

  s += strlen(s);
  do {
    tmp[i++] = '0' + n % 10;
    n /= 10;
  } while(n > 0);
  while(i > 0)
    *s++ = tmp[--i];
  *s = 0;
}

// A socket from lport to the server's port rport, with a receive timeout.
static int
opensock(int lport, int rport, int timeout_ms)
{
  int fd;

  if((fd = udpopen(serverip, lport, rport, timeout_ms)) < 0)
    fail("connect/sockopt");
  return fd;
}

// Wait for the echo of msg[0..n-1] on fd, skipping late echoes of other
// datagrams. Returns 0, or -1 when a read times out.
static int
await(int fd, char *msg, int n)
{
  int r;

  while((r = read(fd, buf, sizeof(buf))) >= 0)
    if(r == n && memcmp(buf, msg, n) == 0)
      return 0;
  return -1;
}

// Send msg[0..n-1] on fd and wait for its echo, sending again if it is
// lost. Fails the test if no echo comes back after TRIES sends.
static void
echo(int fd, char *msg, int n)
{
  for(int try = 0; try < TRIES; try++){
    if(write(fd, msg, n) != n)
      fail("write");
    if(await(fd, msg, n) == 0)
      return;
  }
  fail("no echo (timed out)");
}

// n pings from port lport, each with its own text.
static void
pings(int lport, int n)
{
  char msg[64];
  int fd = opensock(lport, serverport, TIMEOUT_MS);

  for(int i = 0; i < n; i++){
    strcpy(msg, "ping ");
    appendnum(msg, i);
    strcpy(msg + strlen(msg), " from port ");
    appendnum(msg, lport);
    echo(fd, msg, strlen(msg));
  }
  close(fd);
}

void
ping(void)
{
  char *msg = "a message from xv6!";
  int fd = opensock(3001, serverport, TIMEOUT_MS);

  echo(fd, msg, strlen(msg));
  close(fd);
}

void
manypings(void)
{
  pings(3002, 100);
}

// 8 processes at once, 20 pings each, from distinct ports.
void
forkpings(void)
{
  int nproc = 8, xs, ok = 1;

  for(int i = 0; i < nproc; i++){
    int pid = fork();
    if(pid < 0)
      fail("fork");
    if(pid == 0){
      pings(3100 + i, 20);
      exit(0);
    }
  }
  for(int i = 0; i < nproc; i++){
    if(wait(&xs) < 0)
      fail("wait");
    if(xs != 0)
      ok = 0;
  }
  if(!ok)
    fail("a child failed");
}

// 10 sockets open at once, all sending before any reads.
void
manysockets(void)
{
  int n = 10, fd[10];
  char msg[10][32];

  for(int i = 0; i < n; i++){
    fd[i] = opensock(3200 + i, serverport, TIMEOUT_MS);
    strcpy(msg[i], "socket ");
    appendnum(msg[i], i);
    if(write(fd[i], msg[i], strlen(msg[i])) != strlen(msg[i]))
      fail("write");
  }
  for(int i = 0; i < n; i++){
    if(await(fd[i], msg[i], strlen(msg[i])) < 0)
      echo(fd[i], msg[i], strlen(msg[i]));   // lost: try again
  }
  for(int i = 0; i < n; i++)
    close(fd[i]);
}

// The largest datagram and an empty one both come back intact.
void
bigsmall(void)
{
  static char big[MAXDATA];
  int fd = opensock(3300, serverport, TIMEOUT_MS);

  for(int i = 0; i < MAXDATA; i++)
    big[i] = 'a' + i % 26;
  echo(fd, big, MAXDATA);
  echo(fd, "", 0);
  close(fd);
}

// 1473 bytes do not fit in one datagram; the socket still works after.
void
toobig(void)
{
  static char big[MAXDATA + 1];
  int fd = opensock(3301, serverport, TIMEOUT_MS);

  if(write(fd, big, MAXDATA + 1) != -1)
    fail("write of 1473 bytes did not return -1");
  echo(fd, "still alive", 11);
  close(fd);
}

// A read with SO_RCVTIMEO returns -1 after about the timeout, whether
// nothing was sent or the datagram went to a port nobody answers.
static void
expect_timeout(int fd, int ms)
{
  uint64 t0 = nsecs(), dt;

  if(read(fd, buf, sizeof(buf)) != -1)
    fail("read did not time out");
  dt = (nsecs() - t0) / 1000000;
  if(dt < ms - ms / 10)
    fail("read timed out too early");
  if(dt > ms + 2000)
    fail("read timed out much too late");
}

void
timeout(void)
{
  int fd = opensock(3400, serverport, 200);

  expect_timeout(fd, 200);            // nothing sent: nothing comes
  if(sockopt(fd, SO_RCVTIMEO, 500) < 0)
    fail("sockopt");
  expect_timeout(fd, 500);
  close(fd);
}

void
noanswer(void)
{
  int fd = opensock(3401, DEAD_PORT, 300);

  for(int i = 0; i < 3; i++){
    if(write(fd, "anyone?", 7) != 7)
      fail("write");
    expect_timeout(fd, 300);
  }
  close(fd);
}

// The same (address, lport, rport) cannot be connected twice.
void
dupconnect(void)
{
  int a, b, c;

  if((a = connect(serverip, 3500, serverport)) < 0)
    fail("connect");
  if(connect(serverip, 3500, serverport) != -1)
    fail("duplicate connect succeeded");
  if((b = connect(serverip, 3500, serverport + 1)) < 0)
    fail("connect to another remote port failed");
  close(a);
  if((c = connect(serverip, 3500, serverport)) < 0)
    fail("connect after close failed");
  close(b);
  close(c);
}

// Bad arguments return -1 instead of doing harm.
void
badargs(void)
{
  int fd;

  if(connect(serverip, 0, serverport) != -1)
    fail("connect with lport 0");
  if(sockopt(0, SO_RCVTIMEO, 10) != -1)
    fail("sockopt on the console");
  if(sockopt(99, SO_RCVTIMEO, 10) != -1 || sockopt(-1, SO_RCVTIMEO, 10) != -1)
    fail("sockopt on a bad fd");
  if((fd = connect(0, 3601, 0)) < 0)
    fail("connect of a wildcard socket");
  if(write(fd, "x", 1) != -1)
    fail("write on a wildcard socket that has no peer yet");
  close(fd);
  fd = opensock(3600, serverport, TIMEOUT_MS);
  if(sockopt(fd, 42, 10) != -1)
    fail("sockopt with a bad option");
  if(sockopt(fd, SO_RCVTIMEO, -5) != -1)
    fail("sockopt with a negative timeout");
  if(write(fd, (char *)0xfffffffff0L, 10) != -1)
    fail("write from a bad address");
  if(netstat((struct netstat *)0xfffffffff0L) != -1)
    fail("netstat to a bad address");
  close(fd);
}

// A process blocked in read is killed: read must give up, and the socket,
// still referenced by the child, must outlive the parent's close.
void
killblocked(void)
{
  int fd = connect(serverip, 3700, DEAD_PORT), pid, xs;

  if(fd < 0)
    fail("connect");
  if((pid = fork()) < 0)
    fail("fork");
  if(pid == 0){
    read(fd, buf, sizeof(buf));   // no timeout: blocks until killed
    exit(2);                      // not reached: killed on the way out
  }
  sleep(10);
  close(fd);
  sleep(10);
  kill(pid);
  if(wait(&xs) != pid)
    fail("wait");
  if(xs != -1)
    fail("blocked reader was not killed");
}

// A child reads fd (which gets nothing) while the parent, after ticks,
// closes its own copy. Returns 1 if the child's read still ended in -1
// (its timeout), 0 if not.
static int
closewhilereading(int fd, int ticks)
{
  int pid, xs;

  if((pid = fork()) < 0)
    fail("fork");
  if(pid == 0)
    exit(read(fd, buf, sizeof(buf)) == -1 ? 0 : 1);
  sleep(ticks);
  close(fd);
  if(wait(&xs) != pid)
    fail("wait");
  return xs == 0;
}

// The parent closes its copy of a socket while a child is blocked in read
// on it: the child's read still ends at its timeout.
void
closeblocked(void)
{
  if(!closewhilereading(opensock(3701, DEAD_PORT, 500), 5))
    fail("child's read did not time out");
}

// ---- batched datagrams: sendmsgs() / recvmsgs() ----------------------

#define NBATCH 8
static struct udpmsg msgs[NBATCH];
static char bufs[NBATCH][64];

// NBATCH datagrams go out in one sendmsgs() and their echoes come back
// through recvmsgs(), each with its length and the server's address.
void
batchecho(void)
{
  int fd = opensock(3800, serverport, TIMEOUT_MS), got = 0, r;
  char seen[NBATCH];

  for(int k = 0; k < NBATCH; k++){
    strcpy(bufs[k], "batch ");
    appendnum(bufs[k], k);
    msgs[k].buf = bufs[k];
    msgs[k].len = strlen(bufs[k]);
    seen[k] = 0;
  }
  if(sendmsgs(fd, msgs, NBATCH) != NBATCH)
    fail("sendmsgs did not send all");
  while(got < NBATCH){
    for(int k = 0; k < NBATCH; k++){
      msgs[k].buf = buf + k * 64;   // distinct receive buffers
      msgs[k].len = 64;
    }
    if((r = recvmsgs(fd, msgs, NBATCH)) < 1)
      fail("recvmsgs timed out before every echo came back");
    for(int i = 0; i < r; i++){
      char *p = msgs[i].buf;
      int k = p[6] - '0';
      if(msgs[i].addr != serverip || msgs[i].port != serverport)
        fail("recvmsgs: wrong sender");
      if(msgs[i].len != 7 || memcmp(p, "batch ", 6) != 0 || k < 0 || k >= NBATCH || seen[k])
        fail("recvmsgs: wrong or repeated datagram");
      seen[k] = 1;
      got++;
    }
  }
  close(fd);
}

// Misuse of the batched calls returns -1 and changes nothing.
void
batchargs(void)
{
  int fd = opensock(3801, serverport, 200);

  msgs[0].buf = bufs[0];
  msgs[0].len = 4;
  if(sendmsgs(-1, msgs, 1) != -1 || sendmsgs(99, msgs, 1) != -1 || sendmsgs(0, msgs, 1) != -1)
    fail("sendmsgs on a bad fd");
  if(recvmsgs(-1, msgs, 1) != -1 || recvmsgs(0, msgs, 1) != -1)
    fail("recvmsgs on a bad fd");
  if(sendmsgs(fd, msgs, 0) != -1 || recvmsgs(fd, msgs, 0) != -1)
    fail("n = 0 accepted");
  if(sendmsgs(fd, msgs, UDP_BATCH_MAX + 1) != -1 || recvmsgs(fd, msgs, UDP_BATCH_MAX + 1) != -1)
    fail("n over UDP_BATCH_MAX accepted");
  if(sendmsgs(fd, (struct udpmsg *)0xfffffffff0L, 1) != -1)
    fail("sendmsgs from a bad array");
  if(recvmsgs(fd, (struct udpmsg *)0xfffffffff0L, 1) != -1)
    fail("recvmsgs into a bad array");
  msgs[0].buf = (char *)0xfffffffff0L;
  if(sendmsgs(fd, msgs, 1) != -1)
    fail("sendmsgs of a bad buffer");
  msgs[0].buf = bufs[0];
  msgs[0].len = MAXDATA + 1;
  if(sendmsgs(fd, msgs, 1) != -1)
    fail("sendmsgs of a datagram over 1472 bytes");
  // A datagram is queued, but the buffer to take it is bad.
  echo(fd, "x", 1);
  if(write(fd, "y", 1) != 1)
    fail("write");
  sleep(20);
  msgs[0].buf = (char *)0xfffffffff0L;
  msgs[0].len = 64;
  if(recvmsgs(fd, msgs, 1) != -1)
    fail("recvmsgs into a bad buffer");
  close(fd);
}

// ---- ping sockets, the interface and the ARP cache ---------------------

// Echo requests through an ICMP socket come back with our data, and a
// socket's replies are its own: a second socket to the same address sees
// none of them.
void
pingsock(void)
{
  char req[64], rep[64];
  int fd = icmpconnect(serverip), other = icmpconnect(serverip);

  if(fd < 0 || other < 0)
    fail("icmpconnect");
  if(sockopt(fd, SO_RCVTIMEO, TIMEOUT_MS) < 0 || sockopt(other, SO_RCVTIMEO, 200) < 0)
    fail("sockopt");
  for(int seq = 1; seq <= 5; seq++){
    memset(req, 0, sizeof(req));
    req[6] = seq >> 8;
    req[7] = seq;
    strcpy(req + 8, "nettests pingsock");
    if(write(fd, req, sizeof(req)) != sizeof(req))
      fail("write of an echo request");
    if(read(fd, rep, sizeof(rep)) != sizeof(rep))
      fail("no echo reply");
    if(rep[0] != 0 || rep[6] != req[6] || rep[7] != req[7] ||
       memcmp(rep + 8, req + 8, sizeof(req) - 8) != 0)
      fail("the reply is not our request's");
  }
  if(read(other, rep, sizeof(rep)) != -1)
    fail("another socket's reply arrived here");
  close(other);
  close(fd);
}

// netstages() with unknown flags, on and off at once, or a pointer the
// process does not own (past its break, a kernel address) returns -1;
// the stamping stays on.
void
stageargs(void)
{
  static struct netstages st;
  char *brk = sbrk(0);

  if(netstages(0, 0) != 0 || netstages(&st, 0) != 0 || st.on != 1)
    fail("netstages() refused a plain call, or stamping is off");
  if(netstages(0, 64) != -1 || netstages(&st, NETSTAGE_RESET | 64) != -1)
    fail("netstages() took an unknown flag");
  if(netstages(0, NETSTAGE_ON | NETSTAGE_OFF) != -1)
    fail("netstages() took on and off at once");
  if(netstages((struct netstages *)(brk + 8192), 0) != -1 ||
     netstages((struct netstages *)0x80000000L, 0) != -1 ||
     netstages((struct netstages *)0xfffffffff0L, 0) != -1)
    fail("netstages() wrote where the process has no memory");
  if(netstages(&st, 0) != 0 || st.on != 1)
    fail("a refused netstages() switched stamping off");
}

// Misuse of the ICMP socket, interface and ARP calls returns -1 and
// changes nothing.
void
ifargs(void)
{
  struct ifinfo before, after, bad;
  static char big[MAXDATA + 1];
  struct arpinfo ai[4];
  int fd;

  if(icmpconnect(0) != -1)
    fail("icmpconnect(0) accepted");
  if((fd = icmpconnect(serverip)) < 0)
    fail("icmpconnect");
  memset(big, 0, sizeof(big));
  if(write(fd, big, 7) != -1 || write(fd, big, sizeof(big)) != -1)
    fail("an echo request under 8 or over 1472 bytes accepted");
  if(write(fd, (char *)0xfffffffff0L, 16) != -1)
    fail("an echo request from a bad buffer");
  close(fd);

  if(ifget(&before) < 0)
    fail("ifget");
  if(ifget((struct ifinfo *)0xfffffffff0L) != -1 || ifset((struct ifinfo *)0xfffffffff0L) != -1)
    fail("ifget/ifset with a bad pointer");
  bad = before;
  bad.netmask = 0xffff00ff;
  if(ifset(&bad) != -1)
    fail("a netmask with a hole accepted");
  bad = before;
  bad.source = 7;
  if(ifset(&bad) != -1)
    fail("an unknown source accepted");
  bad = before;
  bad.source = IF_UNSET;
  if(ifset(&bad) != -1)
    fail("IF_UNSET with an address accepted");
  if(ifget(&after) < 0 || memcmp(&before, &after, sizeof(before)) != 0)
    fail("a refused ifset changed the interface");

  if(arplist(ai, -1) != -1)
    fail("arplist with n < 0 accepted");
  if(arplist(ai, 0) < 0)
    fail("arplist(ai, 0)");
  if(arplist(ai, 0) > 0 && arplist((struct arpinfo *)0xfffffffff0L, 4) != -1)
    fail("arplist into a bad array");
  if(arpctl(99, 0) != -1 || arpctl(ARPCTL_TTL, -1) != -1 || arpctl(ARPCTL_TTL, ARP_TTL_MAX + 1) != -1)
    fail("a bad arpctl accepted");
  if(arpctl(ARPCTL_TTL, 0) <= 0)
    fail("arpctl(ARPCTL_TTL, 0)");
}

// ---- busy polling: SO_BUSY_POLL --------------------------------------

// Echoes through a busy-polling socket; bad values are refused.
void
busypoll(void)
{
  int fd = opensock(3802, serverport, TIMEOUT_MS);

  if(sockopt(fd, SO_BUSY_POLL, -1) != -1 || sockopt(fd, SO_BUSY_POLL, SO_MAXBUSY + 1) != -1)
    fail("a bad SO_BUSY_POLL value accepted");
  if(sockopt(fd, SO_BUSY_POLL, 500) != 0)
    fail("sockopt SO_BUSY_POLL");
  for(int i = 0; i < 20; i++)
    echo(fd, "busy", 4);
  close(fd);
}

// A child busy-polling a read that nothing answers is killed: the read
// gives up at once, not at the end of its busy-poll budget.
void
busykill(void)
{
  int fd = connect(serverip, 3803, DEAD_PORT), pid, xs;

  if(fd < 0 || sockopt(fd, SO_BUSY_POLL, SO_MAXBUSY) != 0)
    fail("connect/sockopt");
  if((pid = fork()) < 0)
    fail("fork");
  if(pid == 0){
    for(;;)
      read(fd, buf, sizeof(buf));   // busy-polls 1 s, then blocks: until killed
  }
  sleep(5);
  kill(pid);
  if(wait(&xs) != pid || xs != -1)
    fail("busy-polling reader was not killed");
  close(fd);
}

// The parent closes its copy of a socket while a child busy-polls on it:
// the child's read still ends at its timeout.
void
busyclose(void)
{
  int fd = opensock(3804, DEAD_PORT, 300);

  if(sockopt(fd, SO_BUSY_POLL, 100000) != 0)
    fail("sockopt SO_BUSY_POLL");
  if(!closewhilereading(fd, 2))
    fail("child's busy-polling read did not time out");
}

// ---- the mode at run time: netmode() ----------------------------------

static struct netstat ns0, ns1;

// The driver's mode, as netstat() reports it.
static int
curmode(void)
{
  if(netstat(&ns1) < 0)
    fail("netstat");
  return ns1.mode;
}

// Every mode in turn, an echo in each; netstat reports each switch; bad
// modes are refused; the boot mode is restored.
void
modeswitch(void)
{
  int fd = opensock(3805, serverport, TIMEOUT_MS), boot = netmode(-1);

  if(boot < 0 || boot >= NETMODE_COUNT || boot != curmode())
    fail("netmode(-1) disagrees with netstat");
  if(netmode(NETMODE_COUNT) != -1 || netmode(-2) != -1)
    fail("a bad mode accepted");
  netstat(&ns0);
  for(int i = 1; i <= 2 * NETMODE_COUNT; i++){
    int m = (boot + i) % NETMODE_COUNT, old = netmode(-1);
    if(netmode(m) != old || curmode() != m)
      fail("netmode() did not switch");
    echo(fd, "mode", 4);
  }
  if(netmode(boot) != boot || curmode() != boot)
    fail("could not go back to the boot mode");
  if(ns1.mode_switches - ns0.mode_switches != 2 * NETMODE_COUNT)
    fail("mode_switches miscounted");
  close(fd);
}

// Switch modes many times while echoes flood in faster than anyone reads
// them. Afterwards every frame the driver took is accounted for (netstat),
// nothing leaked (checked at the end of the run), and echoes still work.
void
switchflood(void)
{
  struct sockinfo si[8];
  int fd = opensock(3806, serverport, TIMEOUT_MS), boot = netmode(-1), pid, xs, n;

  if((pid = fork()) < 0)
    fail("fork");
  if(pid == 0){
    for(int i = 0; i < 2000; i++)
      write(fd, "flood", 5);        // echoes pile up on fd: nobody reads them
    exit(0);
  }
  for(int i = 0; i < 60; i++)
    netmode(i % NETMODE_COUNT);
  if(wait(&xs) != pid || xs != 0)
    fail("flooder");
  netmode(boot);
  sleep(20);
  if((n = socklist(si, 8)) < 1)
    fail("socklist");
  for(int i = 0; i < n && i < 8; i++)
    if(si[i].lport == 3806 && si[i].rx + si[i].drops == 0)
      fail("no echo of the flood arrived");
  for(int i = 0; ; i++){           // late echoes may still be on their way up
    if(netstat(&ns1) < 0)
      fail("netstat");
    if(netstat_accounted(&ns1) == ns1.rx_frames)
      break;
    if(i == 20)
      fail("rx accounting does not add up after the switches");
    sleep(10);
  }
  close(fd);
  fd = opensock(3807, serverport, TIMEOUT_MS);
  echo(fd, "after", 5);
  close(fd);
}

// ---- bind/unbind/send/recv: MIT's 2024-25 interface ---------------------
// The echo comes back to the bound port it was sent from. recv() has no
// timeout, so these tests call it only once socklist() shows a datagram
// queued; a datagram lost on the way is sent again.

#define BWAIT 50            // polls of socklist() (10 ticks apart) before giving up
#define BFILL 24            // datagrams sent to fill a port of BIND_RXQMAX

// What socklist() says about the port bound as port (a copy), or fails.
static struct sockinfo
boundinfo(int port)
{
  static struct sockinfo si[32];
  int n;

  if((n = socklist(si, 32)) < 0)
    fail("socklist");
  for(int i = 0; i < n && i < 32; i++)
    if(si[i].bound && si[i].lport == port)
      return si[i];
  fail("bound port missing from socklist");
  return si[0];
}

// Wait until port has at least n datagrams queued or dropped; returns
// how many are queued (fewer than n if some never came).
static int
waitqueued(int port, int n)
{
  struct sockinfo si;

  for(int i = 0; i < BWAIT; i++){
    si = boundinfo(port);
    if(si.qlen + si.drops >= n)
      return si.qlen;
    sleep(10);
  }
  return boundinfo(port).qlen;
}

static void
bsend(int port, char *msg)
{
  if(send(port, serverip, serverport, msg, strlen(msg)) != 0)
    fail("send");
}

// recv() one queued datagram on port into buf; checks its sender.
// Returns its length. Call only when one is queued.
static int
brecv(int port)
{
  uint32 src = 0;
  uint16 sport = 0;
  int n = recv(port, &src, &sport, buf, MAXDATA);

  if(n < 0)
    fail("recv");
  if(src != serverip || sport != serverport)
    fail("recv: wrong sender");
  buf[n] = 0;
  return n;
}

// Send msg from bound port and recv its echo, skipping stale echoes and
// sending again if it is lost.
static void
bping(int port, char *msg)
{
  for(int try = 0; try < TRIES; try++){
    bsend(port, msg);
    while(waitqueued(port, 1) > 0)
      if(brecv(port) == strlen(msg) && strcmp(buf, msg) == 0)
        return;
  }
  fail("no echo on a bound port");
}

static void
mustbind(int port)
{
  if(bind(port) != 0)
    fail("bind");
}

// unbind(port) must succeed.
static void
mustunbind(int port)
{
  if(unbind(port) != 0)
    fail("unbind");
}

// The network counters now (a static copy, valid until the next call).
static struct netstat *
counters(void)
{
  static struct netstat ns;

  if(netstat(&ns) < 0)
    fail("netstat");
  return &ns;
}

// Send BFILL datagrams "fill N" from port without reading: exactly
// BIND_RXQMAX stay queued, the rest are the port's drops and netstat's.
static void
fillport(int port)
{
  uint64 before = counters()->drop_udp_qfull;
  struct sockinfo si;
  char msg[16];

  for(int i = 0; i < BFILL; i++){
    strcpy(msg, "fill ");
    appendnum(msg, i);
    bsend(port, msg);
  }
  waitqueued(port, BFILL);
  si = boundinfo(port);
  if(si.qlen != BIND_RXQMAX || si.rx != BIND_RXQMAX)
    fail("a full bound port does not hold exactly 16");
  if(si.drops == 0 || si.drops > BFILL - BIND_RXQMAX)
    fail("wrong drop count on a full bound port");
  if(counters()->drop_udp_qfull - before != si.drops)
    fail("netstat drop_udp_qfull disagrees with the port's drops");
}

// 20 echoes through one bound port, each checked.
void
bindping(void)
{
  char msg[32];

  mustbind(3800);
  for(int i = 0; i < 20; i++){
    strcpy(msg, "bound ping ");
    appendnum(msg, i);
    bping(3800, msg);
  }
  mustunbind(3800);
}

// A port holds at most 16; they come out oldest first.
void
bindfull(void)
{
  int last = -1, n;

  mustbind(3810);
  fillport(3810);
  for(int i = 0; i < BIND_RXQMAX; i++){
    brecv(3810);
    if(memcmp(buf, "fill ", 5) != 0 || (n = atoi(buf + 5)) <= last)
      fail("queued datagrams out of order");
    last = n;
  }
  if(boundinfo(3810).qlen != 0)
    fail("datagrams left after 16 recvs");
  mustunbind(3810);
}

// A full port does not affect another one.
void
bindisolate(void)
{
  mustbind(3820);
  mustbind(3821);
  fillport(3820);
  for(int i = 0; i < 3; i++)
    bping(3821, "the other port");
  if(boundinfo(3821).drops != 0 || boundinfo(3820).qlen != BIND_RXQMAX)
    fail("ports affected each other");
  mustunbind(3820);
  mustunbind(3821);
}

// After unbind: recv fails, datagrams to the port are noport drops, the
// port can be bound again, empty.
void
unbindport(void)
{
  uint64 noport;
  uint32 src;
  uint16 sport;

  mustbind(3830);
  bsend(3830, "left queued");
  if(waitqueued(3830, 1) != 1)
    fail("no echo");
  mustunbind(3830);
  if(recv(3830, &src, &sport, buf, MAXDATA) != -1)
    fail("recv on an unbound port");
  if(unbind(3830) != -1)
    fail("second unbind");
  noport = counters()->drop_udp_noport;
  for(int i = 0; i < BWAIT && counters()->drop_udp_noport == noport; i++){
    if(i % 10 == 0)
      bsend(3830, "to nobody");
    sleep(10);
  }
  if(counters()->drop_udp_noport == noport)
    fail("a datagram to an unbound port was not counted in drop_udp_noport");
  mustbind(3830);
  if(boundinfo(3830).qlen != 0)
    fail("a port bound again is not empty");
  mustunbind(3830);
}

// unbind while another process waits in recv: its recv returns -1.
void
unbindblocked(void)
{
  uint32 src;
  uint16 sport;
  int pid, xs;

  mustbind(3831);
  if((pid = fork()) < 0)
    fail("fork");
  if(pid == 0)
    exit(recv(3831, &src, &sport, buf, MAXDATA) == -1 ? 0 : 1);
  sleep(10);
  mustunbind(3831);
  if(wait(&xs) != pid || xs != 0)
    fail("the blocked recv did not return -1");
}

// recv with one bad pointer: -1, the datagram is consumed, no harm done.
static void
badrecv(int port, uint32 *src, uint16 *sport, char *b)
{
  bsend(port, "bad pointer");
  if(waitqueued(port, 1) < 1)
    fail("no echo");
  if(recv(port, src, sport, b, MAXDATA) != -1)
    fail("recv to a bad address");
}

// Bad arguments return -1 instead of doing harm.
void
bindmisuse(void)
{
  char *bad = (char *)0xfffffffff0L;
  uint32 src;
  uint16 sport;

  if(bind(0) != -1 || unbind(0) != -1)
    fail("bind/unbind of port 0");
  mustbind(3840);
  if(bind(3840) != -1)
    fail("double bind");
  if(unbind(3841) != -1)
    fail("unbind of a port never bound");
  if(recv(3841, &src, &sport, buf, MAXDATA) != -1)
    fail("recv on a port never bound");
  if(send(0, serverip, serverport, "x", 1) != -1 ||
     send(3840, serverip, 0, "x", 1) != -1 || send(3840, 0, serverport, "x", 1) != -1)
    fail("send with port or address 0");
  if(send(3840, serverip, serverport, buf, MAXDATA + 1) != -1 ||
     send(3840, serverip, serverport, buf, -1) != -1)
    fail("send of a bad length");
  if(send(3840, serverip, serverport, bad, 10) != -1)
    fail("send from a bad address");
  if(recv(3840, 0, &sport, buf, MAXDATA) != -1 || recv(3840, &src, 0, buf, MAXDATA) != -1)
    fail("recv with a null src or sport");
  badrecv(3840, (uint32 *)bad, &sport, buf);
  badrecv(3840, &src, (uint16 *)bad, buf);
  badrecv(3840, &src, &sport, bad);
  bsend(3840, "truncate me");
  if(waitqueued(3840, 1) < 1 || recv(3840, &src, &sport, buf, 4) != 4 ||
     memcmp(buf, "trun", 4) != 0)
    fail("recv of 4 bytes of a longer datagram");
  bping(3840, "still works");
  mustunbind(3840);
}

// bind, queue datagrams, unbind, many times: no pages or mbufs lost.
void
bindleak(void)
{
  struct sysinfo before, now;
  int same;

  if(sysinfo(&before) < 0)
    fail("sysinfo");
  for(int i = 0; i < 10; i++){
    mustbind(3845);
    bsend(3845, "one");
    bsend(3845, "two");
    waitqueued(3845, 2);
    mustunbind(3845);
  }
  if((same = sysinfo_settled(&before, &now, 20)) < 0)
    fail("sysinfo");
  if(!same)
    fail("bind/unbind lost pages or mbufs");
}

// ---- limits of the socket layer (issue 17) ------------------------------

#define SI_MAX 256          // socklist() entries read: more than there can be

// The sockets socklist() reports now, in a static array; fails if more
// than SI_MAX. Returns how many.
static struct sockinfo *
sockinfos(int *n)
{
  static struct sockinfo si[SI_MAX];

  if((*n = socklist(si, SI_MAX)) < 0 || *n > SI_MAX)
    fail("socklist");
  return si;
}

// Ports bound now, by any process.
static int
nbound(void)
{
  int n, b = 0;
  struct sockinfo *si = sockinfos(&n);

  for(int i = 0; i < n; i++)
    b += si[i].bound;
  return b;
}

// Free pages now.
static uint64
freepages(void)
{
  struct sysinfo si;

  if(sysinfo(&si) < 0)
    fail("sysinfo");
  return si.freepages;
}

#define BL_BASE  20000       // bindlimit binds ports from here up
#define BL_TRIES (NBIND + 64)

// Bound ports are limited as open files are: bind() is refused once NBIND
// ports are bound (counted in bind_full), a bound port costs no page, and
// after unbinding them all fork() still works.
void
bindlimit(void)
{
  uint64 pages = freepages(), full = counters()->bind_full, bpages = 0;
  int already = nbound(), got = 0, pid, xs;

  while(got < BL_TRIES && bind(BL_BASE + got) == 0)
    got++;
  if(got > 0)
    bpages = freepages();
  // Unbind first: a bound port outlives this process.
  for(int p = BL_BASE; p < BL_BASE + got; p++)
    mustunbind(p);
  if(got != NBIND - already){
    printf("bindlimit: bound %d ports (tried %d), %d were bound already, NBIND %d\n",
           got, BL_TRIES, already, NBIND);
    fail("bind() was not refused at NBIND bound ports");
  }
  if(counters()->bind_full - full != 1)
    fail("the refused bind() was not counted in bind_full");
  if(got > 0 && bpages != pages)
    fail("bound ports took pages");
  if(freepages() != pages)
    fail("free pages not back after unbinding");
  if((pid = fork()) < 0)
    fail("fork after the bind limit");
  if(pid == 0)
    exit(0);
  if(wait(&xs) != pid || xs != 0)
    fail("wait");
  mustbind(BL_BASE);
  if(unbind(BL_BASE) != 0)
    fail("bind after the limit");
}

// The wakeups socklist() counts on the connect() socket from lport.
static uint64
sockwakeups(int lport)
{
  int n;
  struct sockinfo *si = sockinfos(&n);

  for(int i = 0; i < n; i++)
    if(!si[i].bound && si[i].proto == IPPROTO_UDP && si[i].lport == lport)
      return si[i].wakeups;
  fail("socket missing from socklist");
  return 0;
}

#define TW_LONG_MS  2000    // the children's receive timeout
#define TW_SHORT_MS 100     // the parent's, set once they wait
#define TW_READERS  2
#define TW_MAXWAKE  20      // a few per reader; once per tick would be ~400

// Readers with a long receive timeout share a socket with one whose
// timeout is short. After the short one leaves, the others sleep until
// their own deadline: the socket counts a few wakeups, not one per tick.
void
timedwake(void)
{
  int fd = opensock(3900, DEAD_PORT, TW_LONG_MS), p[2], xs;
  uint64 w;
  char c;

  if(pipe(p) < 0)
    fail("pipe");
  for(int i = 0; i < TW_READERS; i++){
    int pid = fork();
    if(pid < 0)
      fail("fork");
    if(pid == 0){
      write(p[1], "r", 1);
      exit(read(fd, buf, sizeof(buf)) == -1 ? 0 : 1);
    }
  }
  for(int i = 0; i < TW_READERS; i++)
    if(read(p[0], &c, 1) != 1)
      fail("pipe read");
  sleep(10);                       // the children are asleep in read()
  if(sockopt(fd, SO_RCVTIMEO, TW_SHORT_MS) < 0)
    fail("sockopt");
  expect_timeout(fd, TW_SHORT_MS);
  for(int i = 0; i < TW_READERS; i++)
    if(wait(&xs) < 0 || xs != 0)
      fail("a long reader did not time out");
  w = sockwakeups(3900);
  printf("timedwake: %d wakeups of %d readers\n", (int)w, TW_READERS + 1);
  if(w > TW_MAXWAKE)
    fail("readers with a later deadline woke again and again");
  close(p[0]);
  close(p[1]);
  close(fd);
}

// netceiling() serves one caller at a time: while a child's RX run waits
// for frames (none come), a second call in either direction returns -1 at
// once, and the child's run goes on to its normal end.
void
ceilone(void)
{
  struct ceiling r;
  uint64 t0;
  int pid, xs;

  if((pid = fork()) < 0)
    fail("fork");
  if(pid == 0)
    exit(netceiling(CEIL_RX, 1000000, 0, 0, 0, &r) == 0 ? 0 : 1);
  sleep(20);                       // the child is inside netceiling
  t0 = nsecs();
  if(netceiling(CEIL_RX, 1, 0, 0, 0, &r) != -1)
    fail("a second netceiling(CEIL_RX) ran");
  if(netceiling(CEIL_TX, 1, 64, serverip, serverport, &r) != -1)
    fail("a second netceiling(CEIL_TX) ran");
  if(nsecs() - t0 > 1000000000ULL)
    fail("a refused netceiling() waited");
  if(wait(&xs) != pid || xs != 0)
    fail("the first netceiling() failed");
  echo(opensock(3901, serverport, TIMEOUT_MS), "after the ceiling", 17);
}

// ---- with a raw wire (test/test_sock.py) ---------------------------------
// These need frames only a raw wire can send; they run only when named.

#define TR_PORT  3950       // connect(0, TR_PORT, 0): a wildcard socket
#define TR_BPORT 3951       // and a bound port
#define TR_BIG   1474       // over 1472 (the MTU's), as the wire can send
#define TR_MAX   1480       // the UDP payload of the longest frame QEMU passes (1522 bytes)
#define TR_SMALL 1000

// Queued datagrams on the socket from lport (bound or not).
static int
qlen(int lport, int bound)
{
  int n;
  struct sockinfo *si = sockinfos(&n);

  for(int i = 0; i < n; i++)
    if(si[i].bound == bound && si[i].proto == IPPROTO_UDP && si[i].lport == lport)
      return si[i].qlen;
  fail("socket missing from socklist");
  return 0;
}

// b[0..n-1] is the wire's pattern: byte i is i % 251.
static int
pattern_ok(char *b, int n)
{
  for(int i = 0; i < n; i++)
    if((uchar)b[i] != i % 251)
      return 0;
  return 1;
}

static uint64
truncs(void)
{
  return counters()->rx_trunc;
}

// The wire sends TR_BIG, TR_BIG, TR_MAX, TR_BIG bytes to TR_PORT, then
// TR_BIG, TR_BIG to TR_BPORT. Reads with room get them whole; reads with
// less room get what fits, recvmsgs() says so (UDPMSG_TRUNC), and every
// cut read counts in rx_trunc.
void
truncrecv(void)
{
  static char big[2048];
  uint32 src;
  uint16 sport;
  uint64 t0;
  int fd = opensock(TR_PORT, 0, 10000), r;

  mustbind(TR_BPORT);
  t0 = truncs();
  printf("truncrecv: ready\n");
  for(int i = 0; i < 1000 && (qlen(TR_PORT, 0) < 4 || qlen(TR_BPORT, 1) < 2); i++)
    sleep(1);
  msgs[0].buf = big;
  msgs[0].len = sizeof(big);
  msgs[0].flags = 0xffff;          // must be overwritten
  msgs[1].buf = buf;
  msgs[1].len = TR_SMALL;
  if((r = recvmsgs(fd, msgs, 2)) != 2)
    fail("recvmsgs did not return the 2 queued datagrams");
  if(msgs[0].len != TR_BIG || msgs[0].flags != 0 || !pattern_ok(big, TR_BIG)){
    printf("truncrecv: %d bytes, flags %x\n", msgs[0].len, msgs[0].flags);
    fail("a 1474-byte datagram did not arrive whole");
  }
  if(msgs[1].len != TR_SMALL || (msgs[1].flags & UDPMSG_TRUNC) == 0 ||
     !pattern_ok(buf, TR_SMALL))
    fail("a datagram cut to the buffer was not flagged UDPMSG_TRUNC");
  msgs[0].len = TR_MAX;
  if(recvmsgs(fd, msgs, 1) != 1 || msgs[0].len != TR_MAX || msgs[0].flags != 0 ||
     !pattern_ok(big, TR_MAX))
    fail("a 1480-byte datagram into 1480 bytes");
  if(read(fd, buf, 100) != 100 || !pattern_ok(buf, 100))
    fail("read of 100 bytes of a datagram");
  if(recv(TR_BPORT, &src, &sport, big, sizeof(big)) != TR_BIG || !pattern_ok(big, TR_BIG))
    fail("recv of a 1474-byte datagram");
  if(recv(TR_BPORT, &src, &sport, buf, 10) != 10)
    fail("recv of 10 bytes of a datagram");
  if(truncs() - t0 != 3){
    printf("truncrecv: rx_trunc grew by %d\n", (int)(truncs() - t0));
    fail("rx_trunc did not count the 3 cut reads");
  }
  mustunbind(TR_BPORT);
  close(fd);
}

// The RX ceiling while the wire sends (test_sock.py): datagrams to a port
// nobody reads are counted and freed at the driver; ARP and datagrams to
// the DHCP client's port still reach the stack. Prints the frames counted.
void
ceilsink(void)
{
  struct ceiling r;

  printf("ceilsink: start\n");
  if(netceiling(CEIL_RX, 1000000, 0, 0, 0, &r) < 0)
    fail("netceiling");
  printf("ceilsink: frames %d\n", (int)r.frames);
}


// Tests marked SWITCHES change the driver's mode, and with it which
// counters move (a poll-mode boot takes interrupts while switched to intr):
// they run only when named, so that a plain `nettests` leaves the mode's
// counters alone. The test suite runs them by name (test "netmode").
// Tests marked WIRE need a raw wire's frames (test_sock.py names them).
#define SWITCHES 1
#define WIRE     2

struct test {
  void (*fn)(void);
  char *name;
  int only;        // SWITCHES or WIRE: run only when named
} tests[] = {
  { ping,         "ping" },
  { manypings,    "manypings" },
  { forkpings,    "forkpings" },
  { manysockets,  "manysockets" },
  { bigsmall,     "bigsmall" },
  { toobig,       "toobig" },
  { timeout,      "timeout" },
  { noanswer,     "noanswer" },
  { dupconnect,   "dupconnect" },
  { badargs,      "badargs" },
  { killblocked,  "killblocked" },
  { closeblocked, "closeblocked" },
  { batchecho,    "batchecho" },
  { batchargs,    "batchargs" },
  { busypoll,     "busypoll" },
  { busykill,     "busykill" },
  { busyclose,    "busyclose" },
  { pingsock,     "pingsock" },
  { ifargs,       "ifargs" },
  { stageargs,    "stageargs" },
  // bind/unbind/send/recv
  { bindping,      "bindping" },
  { bindfull,      "bindfull" },
  { bindisolate,   "bindisolate" },
  { unbindport,    "unbindport" },
  { unbindblocked, "unbindblocked" },
  { bindmisuse,    "bindmisuse" },
  { bindleak,      "bindleak" },
  // limits of the socket layer
  { bindlimit,     "bindlimit" },
  { timedwake,     "timedwake" },
  { ceilone,       "ceilone" },
  // they switch the driver's mode: run only when named
  { modeswitch,   "modeswitch",   SWITCHES },
  { switchflood,  "switchflood",  SWITCHES },
  { truncrecv,    "truncrecv",    WIRE },
  { ceilsink,     "ceilsink",     WIRE },
  { 0, 0 },
};

// Run t in a child process. Returns 1 if it passed.
static int
run(struct test *t)
{
  int pid, xs;

  curname = t->name;
  if((pid = fork()) < 0){
    printf("%s: FAILED fork\n", t->name);
    return 0;
  }
  if(pid == 0){
    t->fn();
    exit(0);
  }
  wait(&xs);
  if(xs == 0)
    printf("%s: OK\n", t->name);
  else if(xs != 1)                // 1: the child already said why
    printf("%s: FAILED exit status %d\n", t->name, xs);
  return xs == 0;
}

// Compare the counts taken before the run with now. Frames may still be
// in flight (late echoes), so look a few times before calling it a leak.
static int
checkleaks(struct sysinfo *before)
{
  static struct netstat ns;
  struct sysinfo now;
  int pages = 0, mbufs = 0, acct = 0;

  curname = "leaks";
  for(int i = 0; i < 20; i++){
    if(sysinfo(&now) < 0 || netstat(&ns) < 0)
      fail("sysinfo/netstat");
    pages = now.freepages == before->freepages;
    mbufs = now.mbufs_inuse == before->mbufs_inuse;
    acct = netstat_accounted(&ns) == ns.rx_frames;
    if(pages && mbufs && acct)
      break;
    sleep(10);
  }
  if(!pages)
    printf("leaks: FAILED free pages %lu before, %lu after\n",
           before->freepages, now.freepages);
  if(!mbufs)
    printf("leaks: FAILED mbufs in use %lu before, %lu after\n",
           before->mbufs_inuse, now.mbufs_inuse);
  if(pages && mbufs)
    printf("leaks: OK\n");
  if(acct)
    printf("rxaccounting: OK\n");
  else
    printf("rxaccounting: FAILED rx_frames %lu, accounted %lu\n",
           ns.rx_frames, netstat_accounted(&ns));
  return pages && mbufs && acct;
}

// Is test t among the names the user asked for (when none: every test
// that does not switch modes)?
static int
wanted(struct test *t, int argc, char *argv[])
{
  if(argc <= 2)
    return !t->only;
  for(int i = 2; i < argc; i++)
    if(strcmp(argv[i], t->name) == 0)
      return 1;
  return 0;
}

static void
usage(void)
{
  fprintf(2, "usage: nettests [-a ADDR] [serverport [test ...]]\n");
  exit(1);
}

// nettests [-a ADDR] [serverport [test ...]]
int
main(int argc, char *argv[])
{
  struct sysinfo before;
  char ip[IPSTR_LEN];
  int ok = 1, ran = 0, r;

  if(argc > 1 && strcmp(argv[1], "-a") == 0){
    if(argc < 3)
      usage();
    if((r = resolve_host(argv[2], &serverip)) != 0){
      fprintf(2, "nettests: %s: %s\n", argv[2], resolve_strerror(r));
      exit(1);
    }
    argv += 2;             // the rest reads as it would without "-a ADDR"
    argc -= 2;
  }
  if(argc > 1 && (serverport = atoi(argv[1])) <= 0)
    usage();
  printf("nettests: server %s:%d\n", ipfmt(serverip, ip), serverport);
  if(sysinfo(&before) < 0){
    printf("nettests: sysinfo failed\n");
    exit(1);
  }
  for(struct test *t = tests; t->fn; t++){
    if(!wanted(t, argc, argv))
      continue;
    ok &= run(t);
    ran++;
  }
  if(ran == 0){
    fprintf(2, "nettests: no such test\n");
    exit(1);
  }
  ok &= checkleaks(&before);
  printf(ok ? "ALL TESTS PASSED\n" : "SOME TESTS FAILED\n");
  exit(ok ? 0 : 1);
}
