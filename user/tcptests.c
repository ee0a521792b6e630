// tcptests HOSTPORT [CLOSEDPORT]: the TCP system calls from a program,
// usertests style, through QEMU's slirp: an HTTP server listens on the
// host's HOSTPORT (reached as 10.0.2.2; test/test_tcp.py starts it, with
// a file "small" in its directory), nothing on CLOSEDPORT.
//   refused   tcpconnect to CLOSEDPORT returns -1 (slirp answers with RST)
//   badargs   every TCP call with a wrong descriptor, port or pointer is -1
//   listen    a port listens once; close frees it for the next tcplisten
//   ctl       tcpctl reads and sets each parameter, refuses bad ops and
//             values, and the old values come back
//   fetch     20 GETs of /small in a row, each read to EOF, then tcplist,
//             read after EOF, write after tcpshutdown
//   leak      after all of it, free pages and mbufs in use are back
// Prints "tcptests: OK" or "tcptests: FAIL ..." and exits 0 or 1.

#include "kernel/types.h"
#include "kernel/sysinfo.h"
#include "kernel/socket.h"
#include "user/user.h"

#define HOST 0x0A000202        // 10.0.2.2: the host, through slirp

static int hostport, closedport = 1;
static char buf[4096];

static void
fail(char *what)
{
  printf("tcptests: FAIL %s\n", what);
  exit(1);
}

static void
refused(void)
{
  if(tcpconnect(HOST, closedport) != -1)
    fail("refused: tcpconnect to a closed port did not return -1");
}

static void
badargs(void)
{
  int p[2], lfd;

  if(pipe(p) < 0)
    fail("pipe");
  if(tcpaccept(p[0], 0, 0) != -1 || tcpshutdown(p[0]) != -1 || tcpaccept(99, 0, 0) != -1)
    fail("badargs: accept/shutdown on a non-TCP fd");
  if(tcplisten(0, 1) != -1)
    fail("badargs: tcplisten port 0");
  if(tcpconnect(HOST, 0) != -1 || tcpconnect(0, 80) != -1 ||
     tcpconnect(0xFFFFFFFF, 80) != -1 || tcpconnect(0x0A0002FF, 80) != -1 ||
     tcpconnect(0xE0000001, 80) != -1 || tcpconnect(0x7F000001, 80) != -1 ||
     tcpconnect(0x0A00020F, 80) != -1)
    fail("badargs: tcpconnect to port 0, address 0, broadcast, multicast, loopback, ourselves");
  if((lfd = tcplisten(8080, 4)) < 0)
    fail("badargs: tcplisten");
  if(tcplist((struct tcpinfo *)0xfffffffff0, 10) != -1 || tcplist(0, -1) != -1)
    fail("badargs: tcplist to a bad pointer");
  if(read(lfd, buf, 10) != -1 || write(lfd, buf, 10) != -1 || tcpshutdown(lfd) != -1)
    fail("badargs: read/write/shutdown on a listening fd");
  if(sockopt(lfd, TCP_NODELAY, 1) != -1)
    fail("badargs: sockopt on a listening fd");
  close(lfd);
  close(p[0]);
  close(p[1]);
}

static void
listen(void)
{
  int a, b;

  if((a = tcplisten(8081, 2)) < 0)
    fail("listen: tcplisten");
  if((b = tcplisten(8081, 2)) != -1)
    fail("listen: the same port twice");
  close(a);
  if((b = tcplisten(8081, 2)) < 0)
    fail("listen: the port after close");
  close(b);
}

static void
ctl(void)
{
  int ops[] = { TCPCTL_MSL, TCPCTL_RETRIES, TCPCTL_SYN_RETRIES,
                TCPCTL_SYNACK_RETRIES, TCPCTL_RTO };
  int vals[] = { 1500, 20, 20, 20, 2500 };   // each in its range
  int old;

  if(tcpctl(0, 0) != -1 || tcpctl(99, 1) != -1 || tcpctl(TCPCTL_MSL, 9) != -1 ||
     tcpctl(TCPCTL_MSL, 120001) != -1 || tcpctl(TCPCTL_RETRIES, 31) != -1 ||
     tcpctl(TCPCTL_RTO, 99) != -1 || tcpctl(TCPCTL_SYN_RETRIES, -1) != -1)
    fail("ctl: a bad op or value accepted");
  for(int i = 0; i < 5; i++){
    if((old = tcpctl(ops[i], 0)) <= 0)
      fail("ctl: reading a parameter");
    if(tcpctl(ops[i], vals[i]) != old || tcpctl(ops[i], 0) != vals[i] ||
       tcpctl(ops[i], old) != vals[i] || tcpctl(ops[i], 0) != old)
      fail("ctl: setting a parameter and back");
  }
}

// One GET of /small, read to EOF; returns the bytes of the response.
static int
get(void)
{
  char *req = "GET /small HTTP/1.0\r\n\r\n";
  int fd, n, total = 0;

  if((fd = tcpconnect(HOST, hostport)) < 0)
    fail("fetch: tcpconnect");
  if(sockopt(fd, TCP_NODELAY, 1) < 0 || sockopt(fd, SO_RCVTIMEO, 20000) < 0 ||
     sockopt(fd, SO_BUSY_POLL, 200) < 0)
    fail("fetch: sockopt");
  if(sockopt(fd, TCP_NODELAY, 2) != -1 || sockopt(fd, 99, 0) != -1)
    fail("fetch: sockopt with a bad value or option");
  if(write(fd, req, strlen(req)) != strlen(req))
    fail("fetch: write");
  if(tcpshutdown(fd) < 0)
    fail("fetch: tcpshutdown");
  if(write(fd, req, 1) != -1)
    fail("fetch: write after tcpshutdown");
  while((n = read(fd, buf, sizeof(buf))) > 0)
    total += n;
  if(n < 0)
    fail("fetch: read");
  if(read(fd, buf, sizeof(buf)) != 0)
    fail("fetch: read after EOF");
  close(fd);
  return total;
}

static void
fetch(void)
{
  static struct tcpinfo ti[TCPINFO_MAX];
  int n;

  for(int i = 0; i < 20; i++)
    if(get() < 100)
      fail("fetch: short response");
  if((n = tcplist(ti, TCPINFO_MAX)) < 1)
    fail("fetch: tcplist shows no connection (TIME-WAIT)");
}

int
main(int argc, char *argv[])
{
  struct sysinfo before, now;
  int same;

  if(argc < 2)
    fail("usage: tcptests HOSTPORT [CLOSEDPORT]");
  hostport = atoi(argv[1]);
  if(argc > 2)
    closedport = atoi(argv[2]);
  if(sysinfo(&before) < 0)
    fail("sysinfo");
  refused();
  badargs();
  listen();
  ctl();
  fetch();
  if((same = sysinfo_settled(&before, &now, 50)) < 0)
    fail("sysinfo");
  if(!same){
    printf("tcptests: pages %ld -> %ld, mbufs %ld -> %ld\n", before.freepages,
           now.freepages, before.mbufs_inuse, now.mbufs_inuse);
    fail("leak");
  }
  printf("tcptests: OK\n");
  exit(0);
}
