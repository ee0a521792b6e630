// udpecho: small UDP helpers for the wire tests (test/test_wire.py), usable
// by hand too. The host is 10.0.2.2 (test/wire.py or server.py).
//
//   udpecho ping PORT [N]           N datagrams (default 3) to 10.0.2.2:PORT,
//                                   each must come back (3 tries each)
//   udpecho serve LPORT [IDLE_MS [TICKS]]  echo every datagram sent to our
//                                   port LPORT back to its sender; stop after
//                                   IDLE_MS (default 3000) without one; with
//                                   TICKS, sleep that long before each read
//   udpecho sink LPORT TICKS [IDLE_MS]  a slow reader: one read, then sleep
//                                   TICKS clock ticks; stop after IDLE_MS idle
//   udpecho mem                     print free pages and mbufs in use
//
// Every mode ends with one "udpecho: ..." line that the tests parse;
// serve and sink first print "udpecho: ready" once their socket exists.

#include "kernel/types.h"
#include "kernel/netstat.h"
#include "kernel/socket.h"
#include "kernel/sysinfo.h"
#include "user/user.h"

#define HOST_IP    ((10 << 24) | (0 << 16) | (2 << 8) | 2)   // 10.0.2.2
#define PING_LPORT 4000
#define PING_MS    1000        // wait this long for each echo
#define TRIES      3
#define MAXDATA    1472

static char buf[MAXDATA];

static void
usage(void)
{
  fprintf(2, "usage: udpecho ping PORT [N] | serve LPORT [IDLE_MS [TICKS]] |"
          " sink LPORT TICKS [IDLE_MS] | mem\n");
  exit(2);
}

// A socket to raddr:rport from lport with a receive timeout; exits on error.
static int
opensock(uint32 raddr, int lport, int rport, int ms)
{
  int fd;

  if((fd = connect(raddr, lport, rport)) < 0 || sockopt(fd, SO_RCVTIMEO, ms) < 0){
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

// Send n numbered datagrams to 10.0.2.2:port, each until its echo comes back.
static void
ping(int port, int n)
{
  char msg[32];
  int fd = opensock(HOST_IP, PING_LPORT, port, PING_MS);
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
// sender) until idle_ms pass without one. ticks > 0: sleep before each
// read, so that several datagrams wait in the socket's queue.
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

int
main(int argc, char *argv[])
{
  if(argc < 2)
    usage();
  if(strcmp(argv[1], "ping") == 0 && (argc == 3 || argc == 4))
    ping(atoi(argv[2]), argc == 4 ? atoi(argv[3]) : 3);
  else if(strcmp(argv[1], "serve") == 0 && argc >= 3 && argc <= 5)
    serve(atoi(argv[2]), argc >= 4 ? atoi(argv[3]) : 3000,
          argc == 5 ? atoi(argv[4]) : 0);
  else if(strcmp(argv[1], "sink") == 0 && (argc == 4 || argc == 5))
    sink(atoi(argv[2]), atoi(argv[3]), argc == 5 ? atoi(argv[4]) : 3000);
  else if(strcmp(argv[1], "mem") == 0 && argc == 2)
    mem();
  else
    usage();
  exit(0);
}
