// netstat: print the driver mode, the kernel's network state and
// counters (kernel/netstat.h, in its order, one heading per group), and
// whether every received frame is accounted for: rx_frames == the sum of
// the counters marked rx there (netstat_accounted());
// then every socket with its queue and drop count (socklist()).

#include "kernel/types.h"
#include "kernel/netstat.h"
#include "kernel/netmode.h"
#include "kernel/socket.h"
#include "kernel/net.h"
#include "user/user.h"

#define MAXSOCKS 32

static struct netstat ns;

// Every line of kernel/netstat.h's lists, in its order.
static struct counter {
  char *name;
  char *group;      // NETSTAT_GROUPS name; 0 for state
  uint64 *val;
} counters[] = {
#define STATE(name, desc) { #name, 0, &ns.name },
  NETSTAT_STATE(STATE)
#define COUNTER(name, group, rx, desc) { #name, #group, &ns.name },
  NETSTAT_COUNTERS(COUNTER)
};

static struct group {
  char *name;
  char *heading;
} groups[] = {
#define GROUP(name, heading) { #name, heading },
  NETSTAT_GROUPS(GROUP)
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

// Print name left-aligned in a 16-column field.
static void
putname(char *name)
{
  int n = strlen(name);

  printf("%s", name);
  while(n++ < 16)
    printf(" ");
}

// An IPv4 address a.b.c.d:port into a 22-byte buf.
static char *
addrport(char *buf, uint32 a, int port)
{
  char *p = buf;
  int v[5] = { a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255, port };

  for(int i = 0; i < 5; i++){
    char d[8];
    int n = 0, x = v[i];
    do { d[n++] = '0' + x % 10; x /= 10; } while(x);
    while(n)
      *p++ = d[--n];
    *p++ = i < 3 ? '.' : ':';
  }
  p[-1] = 0;
  return buf;
}

// n, what a list call returned, after printing "what: n"; exits if
// the call failed.
static int
listed(char *what, char *call, int n)
{
  if(n < 0){
    fprintf(2, "netstat: %s failed\n", call);
    exit(1);
  }
  printf("%s: %d\n", what, n);
  return n;
}

// TCP listeners and connections, as Linux's `ss -ti` shows them.
static void
tcpconns(void)
{
  static struct tcpinfo ti[TCPINFO_MAX];
  char a[24], b[24];
  int n;

  n = listed("tcp", "tcplist()", tcplist(ti, TCPINFO_MAX));
  for(int i = 0; i < n && i < TCPINFO_MAX; i++){
    if(strcmp(ti[i].state, "LISTEN") == 0){
      printf("  LISTEN      *:%d backlog %d pending %d\n", ti[i].lport,
             ti[i].backlog, ti[i].pending);
      continue;
    }
    printf("  %s %s %s%s\n", ti[i].state, addrport(a, ti[i].laddr, ti[i].lport),
           addrport(b, ti[i].raddr, ti[i].rport), ti[i].orphan ? " (closed)" : "");
    printf("    mss %d cwnd %d ssthresh %d srtt %d.%dms rto %dms retrans %d sndq %d rcvq %d\n",
           ti[i].mss, ti[i].cwnd, ti[i].ssthresh, ti[i].srtt_us / 1000,
           ti[i].srtt_us % 1000 / 100, ti[i].rto_ms, ti[i].nrtx, ti[i].sndq, ti[i].rcvq);
  }
}

// Print each counter of group (0: the state) as "name value".
static void
printgroup(char *group)
{
  for(int i = 0; i < NELEM(counters); i++){
    if(group ? counters[i].group && strcmp(counters[i].group, group) == 0
             : counters[i].group == 0){
      putname(counters[i].name);
      printf("%lu\n", *counters[i].val);
    }
  }
}

// The net thread's frames-per-round histogram, on one line.
static void
printhist(void)
{
  putname("poll_hist");
  for(int i = 0; i < NETSTAT_HIST; i++)
    printf("%lu ", ns.poll_hist[i]);
  printf("(0 1 2-3 4-7 8-15 16-31 32-63 64+)\n");
}

// Every socket: its addresses, queue, receive and drop counts.
static void
printsocks(void)
{
  static struct sockinfo si[MAXSOCKS];
  int n;

  n = listed("sockets", "socklist()", socklist(si, MAXSOCKS));
  for(int i = 0; i < n && i < MAXSOCKS; i++){
    if(si[i].proto == IPPROTO_ICMP)
      printf("  icmp    id %d raddr %x queued %d/%d rx %lu drops %lu wakeups %lu\n",
             si[i].lport, si[i].raddr, si[i].qlen, si[i].qmax, si[i].rx, si[i].drops,
             si[i].wakeups);
    else
      printf("  %s lport %d raddr %x rport %d queued %d/%d rx %lu drops %lu wakeups %lu\n",
             si[i].bound ? "bound  " : "connect", si[i].lport, si[i].raddr, si[i].rport,
             si[i].qlen, si[i].qmax, si[i].rx, si[i].drops, si[i].wakeups);
  }
}

int
main(int argc, char *argv[])
{
  uint64 acc;

  if(netstat(&ns) < 0){
    fprintf(2, "netstat: netstat() failed\n");
    exit(1);
  }
  putname("mode");
  printf("%s\n", netmode_name(ns.mode));
  putname("kmap");
  printf("%s\n", ns.kmap ? "shared" : "split");
  printgroup(0);
  for(int g = 0; g < NELEM(groups); g++){
    printf("-- %s\n", groups[g].heading);
    printgroup(groups[g].name);
    if(strcmp(groups[g].name, "thread") == 0)
      printhist();
  }

  acc = netstat_accounted(&ns);
  if(acc == ns.rx_frames)
    printf("rx accounting: OK (%lu frames)\n", ns.rx_frames);
  else
    printf("rx accounting: MISMATCH rx_frames %lu, accounted %lu\n",
           ns.rx_frames, acc);

  printsocks();
  tcpconns();
  exit(0);
}
