// tcpcat: one TCP connection driven from the command line, for tests
// against a scripted peer (test/test_tcp_wire.py) and for trying TCP by
// hand.
//   tcpcat set NAME VALUE        set a parameter of new connections with
//                                tcpctl(): msl, retries, syn, synack, rto
//                                (kernel/socket.h TCPCTL_*); prints the old
//   tcpcat connect ADDR PORT STEP...   tcpconnect(), then the steps
//   tcpcat accept PORT STEP...         tcplisten(), one tcpaccept(), the steps
// Steps, in order:
//   send N      write N bytes: byte i is GEN_BYTE(i) (httpd's /gen/N)
//   recv        read to the end of the stream (or -1)
//   recvn N     read until N bytes are in (or the end, or -1)
//   shut        tcpshutdown (FIN after the queued data)
//   close       close the connection
//   sleep T     sleep T ticks
//   nodelay     sockopt TCP_NODELAY 1
//   timeo MS    sockopt SO_RCVTIMEO MS
// Each step prints one "tcpcat: ..." line; recv and recvn print the byte
// count, the SHA-256 of the bytes and how the last read ended (its value:
// 0 end of stream, -1 error, or 1 stopped at N). Exit 0 after
// "tcpcat: done", 1 on a failed call or bad usage.

#include "kernel/types.h"
#include "kernel/socket.h"
#include "user/user.h"
#include "user/sha256.h"

static char buf[4096];

static void
die(char *what)
{
  printf("tcpcat: %s\n", what);
  exit(1);
}

static void
setparam(char *name, int val)
{
  static char *names[] = { "msl", "retries", "syn", "synack", "rto" };
  static int ops[] = { TCPCTL_MSL, TCPCTL_RETRIES, TCPCTL_SYN_RETRIES,
                       TCPCTL_SYNACK_RETRIES, TCPCTL_RTO };
  int old;

  for(int i = 0; i < 5; i++){
    if(strcmp(name, names[i]) == 0){
      if((old = tcpctl(ops[i], val)) < 0)
        die("tcpctl failed");
      printf("tcpcat: %s %d -> %d\n", name, old, val ? val : old);
      exit(0);
    }
  }
  die("usage: tcpcat set msl|retries|syn|synack|rto VALUE");
}

static void
sendn(int fd, int n)
{
  int done = 0, k;

  while(done < n){
    k = n - done < sizeof(buf) ? n - done : sizeof(buf);
    for(int i = 0; i < k; i++)
      buf[i] = GEN_BYTE(done + i);
    if(write(fd, buf, k) != k){
      printf("tcpcat: write -1 after %d\n", done);
      return;
    }
    done += k;
  }
  printf("tcpcat: sent %d\n", n);
}

// Read until want bytes are in (want < 0: to the end or an error).
static void
recvn(int fd, int want)
{
  struct sha256 s;
  uint8 d[32];
  char hex[65];
  int total = 0, r = 1, k;

  sha256_init(&s);
  while(want < 0 || total < want){
    k = sizeof(buf);
    if(want >= 0 && want - total < k)
      k = want - total;
    if((r = read(fd, buf, k)) <= 0)
      break;
    sha256_update(&s, buf, r);
    total += r;
    r = 1;
  }
  sha256_final(&s, d);
  sha256_hex(d, hex);
  printf("tcpcat: recv %d bytes sha256 %s end %d\n", total, hex, r);
}

// Run the steps in argv[0..argc) on connection fd.
static void
steps(int fd, int argc, char *argv[])
{
  for(int i = 0; i < argc; i++){
    char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "0";

    if(strcmp(a, "send") == 0 && ++i)
      sendn(fd, atoi(v));
    else if(strcmp(a, "recv") == 0)
      recvn(fd, -1);
    else if(strcmp(a, "recvn") == 0 && ++i)
      recvn(fd, atoi(v));
    else if(strcmp(a, "shut") == 0)
      printf("tcpcat: shutdown %d\n", tcpshutdown(fd));
    else if(strcmp(a, "close") == 0)
      printf("tcpcat: close %d\n", close(fd));
    else if(strcmp(a, "sleep") == 0 && ++i)
      printf("tcpcat: slept %d\n", pause(atoi(v)));
    else if(strcmp(a, "nodelay") == 0)
      printf("tcpcat: nodelay %d\n", sockopt(fd, TCP_NODELAY, 1));
    else if(strcmp(a, "timeo") == 0 && ++i)
      printf("tcpcat: timeo %d\n", sockopt(fd, SO_RCVTIMEO, atoi(v)));
    else
      die("unknown step");
  }
}

// Listen on port (backlog 4), take one connection, stop listening.
// Returns the connection's fd; exits on failure.
static int
acceptone(int port)
{
  uint32 addr;
  uint16 rport;
  int fd, lfd;
  char ip[IPSTR_LEN];

  if((lfd = tcplisten(port, 4)) < 0)
    die("listen -1");
  printf("tcpcat: listening on %d\n", port);
  if((fd = tcpaccept(lfd, &addr, &rport)) < 0)
    die("accept -1");
  close(lfd);
  printf("tcpcat: accepted %s:%d\n", ipfmt(addr, ip), rport);
  return fd;
}

int
main(int argc, char *argv[])
{
  uint32 addr;
  int fd;

  if(argc == 4 && strcmp(argv[1], "set") == 0)
    setparam(argv[2], atoi(argv[3]));
  if(argc >= 4 && strcmp(argv[1], "connect") == 0){
    if(ipparse(argv[2], &addr) < 0)
      die("bad address");
    if((fd = tcpconnect(addr, atoi(argv[3]))) < 0)
      die("connect -1");
    printf("tcpcat: connected\n");
    steps(fd, argc - 4, argv + 4);
  } else if(argc >= 3 && strcmp(argv[1], "accept") == 0){
    fd = acceptone(atoi(argv[2]));
    steps(fd, argc - 3, argv + 3);
  } else {
    die("usage: tcpcat set NAME VALUE | connect ADDR PORT STEP... | accept PORT STEP...");
  }
  printf("tcpcat: done\n");
  exit(0);
}
