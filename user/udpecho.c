// udpecho: small UDP helpers for the wire and LAN tests (test/test_wire.py),
// usable by hand too. The peer is 10.0.2.2 (test/wire.py, server.py or the
// LAN's service node) unless -a names another.
//
//   udpecho ping [-a ADDR] PORT [N]  N datagrams (default 3) to ADDR:PORT
//                                   (default 10.0.2.2), each must come back
//                                   (3 tries each); ADDR is a dotted quad
//                                   or a name
//   udpecho serve LPORT [IDLE_MS [TICKS]]  echo every datagram sent to our
//                                   port LPORT back to its sender; stop after
//                                   IDLE_MS (default 3000) without one, never
//                                   if IDLE_MS is 0; with TICKS, sleep that
//                                   long before each read
//   udpecho sink LPORT TICKS [IDLE_MS]  a slow reader: one read, then sleep
//                                   TICKS clock ticks; stop after IDLE_MS idle
//   udpecho bcast PORT TEXT...      send TEXT (its words joined by spaces)
//                                   to 255.255.255.255:PORT from our port PORT
//   udpecho listen PORT [N]         print each datagram sent to our port
//                                   PORT (broadcast or not) until N (default
//                                   1) came: udpecho: from A.B.C.D:P "TEXT"
//   udpecho mem                     print free pages and mbufs in use
//
// Every mode ends with one "udpecho: ..." line that the tests parse;
// serve, sink and listen first print "udpecho: ready" once their socket
// exists.

#include "kernel/types.h"
#include "kernel/netstat.h"
#include "kernel/socket.h"
#include "kernel/sysinfo.h"
#include "user/user.h"

#define HOST_IP    ((10 << 24) | (0 << 16) | (2 << 8) | 2)   // 10.0.2.2
#define BCAST_IP   0xffffffff                                 // 255.255.255.255
#define PING_LPORT 4000
#define PING_MS    1000        // wait this long for each echo
#define TRIES      3
#define MAXDATA    1472

static char buf[MAXDATA + 1];   // +1: listen adds a NUL

static void
usage(void)
{
  fprintf(2, "usage: udpecho ping [-a ADDR] PORT [N] | serve LPORT [IDLE_MS [TICKS]] |"
          " sink LPORT TICKS [IDLE_MS] | bcast PORT TEXT | listen PORT [N] | mem\n");
  exit(2);
}

// A socket to raddr:rport from lport with a receive timeout; exits on error.
static int
opensock(uint32 raddr, int lport, int rport, int ms)
{
  int fd;

  if((fd = udpopen(raddr, lport, rport, ms)) < 0){
    printf("udpecho: FAILED socket on port %d\n", lport);
    exit(1);
  }
  return fd;
}

// Write "udpecho I" into msg; returns its length.
static int
mkmsg(char *msg, int i)
{
  char digits[12];
  int n = 0, len;

  strcpy(msg, "udpecho ");
  len = strlen(msg);
  do {
    digits[n++] = '0' + i % 10;
    i /= 10;
  } while(i > 0);
  while(n > 0)
    msg[len++] = digits[--n];
  msg[len] = 0;
  return len;
}

// Send n numbered datagrams to addr:port, each until its echo comes back.
static void
ping(uint32 addr, int port, int n)
{
  char msg[32];
  int fd = opensock(addr, PING_LPORT, port, PING_MS);
  int ok = 0, len, r;

  for(int i = 0; i < n; i++){
    len = mkmsg(msg, i);
    for(int try = 0; try < TRIES; try++){
      if(write(fd, msg, len) != len)
        break;
      // Skip late echoes of earlier datagrams; -1 is a timeout.
      while((r = read(fd, buf, sizeof(buf))) >= 0)
        if(r == len && memcmp(buf, msg, len) == 0)
          break;
      if(r >= 0){
        ok++;
        break;
      }
    }
  }
  close(fd);
  if(ok != n){
    printf("udpecho: ping FAILED %d of %d echoed\n", ok, n);
    exit(1);
  }
  printf("udpecho: ping %d of %d echoed\n", ok, n);
}

// Echo each datagram to its sender (a wildcard socket replies to the last
// sender) until idle_ms pass without one; idle_ms 0 is SO_RCVTIMEO's
// "block forever": serve until killed. ticks > 0: sleep before each read,
// so that several datagrams wait in the socket's queue.
static void
serve(int lport, int idle_ms, int ticks)
{
  int fd = opensock(0, lport, 0, idle_ms);
  int n, got = 0, sent = 0, errs = 0;

  printf("udpecho: ready\n");
  for(;;){
    if(ticks > 0)
      sleep(ticks);
    if((n = read(fd, buf, sizeof(buf))) < 0)
      break;
    got++;
    if(write(fd, buf, n) == n)
      sent++;
    else
      errs++;
  }
  close(fd);
  printf("udpecho: served got %d sent %d errors %d\n", got, sent, errs);
}

// Read one datagram every ticks clock ticks until idle_ms pass without one.
static void
sink(int lport, int ticks, int idle_ms)
{
  int fd = opensock(0, lport, 0, idle_ms);
  int got = 0;

  printf("udpecho: ready\n");
  while(read(fd, buf, sizeof(buf)) >= 0){
    got++;
    if(ticks > 0)
      sleep(ticks);
  }
  close(fd);
  printf("udpecho: sink got %d\n", got);
}

// One datagram from our port to the broadcast address:port: the words
// w[0..nw) joined by spaces (xv6's shell has no quotes).
static void
bcast(int port, int nw, char *w[])
{
  int n = 0, len;

  for(int i = 0; i < nw; i++){
    len = strlen(w[i]);
    if(n + (i > 0) + len > MAXDATA)
      usage();
    if(i > 0)
      buf[n++] = ' ';
    memmove(buf + n, w[i], len);
    n += len;
  }
  if(send(port, BCAST_IP, port, buf, n) != 0){
    printf("udpecho: bcast FAILED\n");
    exit(1);
  }
  printf("udpecho: bcast %d bytes to 255.255.255.255:%d\n", n, port);
}

// Make the datagram p[0..n) a printable string: other than printable
// ASCII becomes '.', and a NUL ends it (p has room for n + 1 bytes).
static char *
printable(char *p, int n)
{
  for(int i = 0; i < n; i++)
    if(p[i] < ' ' || p[i] > '~')
      p[i] = '.';
  p[n] = 0;
  return p;
}

// Wait (forever) for n datagrams to our port; print each with its sender.
static void
listen(int port, int n)
{
  struct udpmsg m;
  char ip[IPSTR_LEN];
  int fd = opensock(0, port, 0, 0);

  printf("udpecho: ready\n");
  for(int got = 0; got < n; got++){
    m.buf = buf;
    m.len = sizeof(buf) - 1;
    if(recvmsgs(fd, &m, 1) != 1){
      printf("udpecho: listen FAILED recvmsgs\n");
      exit(1);
    }
    printf("udpecho: from %s:%d \"%s\"\n", ipfmt(m.addr, ip), m.port,
           printable(m.buf, m.len));
  }
  close(fd);
}

static void
mem(void)
{
  struct sysinfo si;

  if(sysinfo(&si) < 0){
    printf("udpecho: FAILED sysinfo\n");
    exit(1);
  }
  printf("udpecho: mem freepages %lu mbufs_inuse %lu nproc %lu\n",
         si.freepages, si.mbufs_inuse, si.nproc);
}

// "udpecho ping [-a ADDR] PORT [N]": args are the words after "ping".
static void
pingcmd(int argc, char *argv[])
{
  uint32 addr = HOST_IP;
  int r;

  if(argc >= 2 && strcmp(argv[0], "-a") == 0){
    if((r = resolve_host(argv[1], &addr)) != 0){
      printf("udpecho: ping FAILED %s: %s\n", argv[1], resolve_strerror(r));
      exit(1);
    }
    argc -= 2;
    argv += 2;
  }
  if(argc != 1 && argc != 2)
    usage();
  ping(addr, atoi(argv[0]), argc == 2 ? atoi(argv[1]) : 3);
}

int
main(int argc, char *argv[])
{
  if(argc < 2)
    usage();
  if(strcmp(argv[1], "ping") == 0)
    pingcmd(argc - 2, argv + 2);
  else if(strcmp(argv[1], "serve") == 0 && argc >= 3 && argc <= 5)
    serve(atoi(argv[2]), argc >= 4 ? atoi(argv[3]) : 3000,
          argc == 5 ? atoi(argv[4]) : 0);
  else if(strcmp(argv[1], "sink") == 0 && (argc == 4 || argc == 5))
    sink(atoi(argv[2]), atoi(argv[3]), argc == 5 ? atoi(argv[4]) : 3000);
  else if(strcmp(argv[1], "bcast") == 0 && argc >= 4)
    bcast(atoi(argv[2]), argc - 3, argv + 3);
  else if(strcmp(argv[1], "listen") == 0 && (argc == 3 || argc == 4))
    listen(atoi(argv[2]), argc == 4 ? atoi(argv[3]) : 1);
  else if(strcmp(argv[1], "mem") == 0 && argc == 2)
    mem();
  else
    usage();
  exit(0);
}
