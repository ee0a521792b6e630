// ping: ICMP echo (RFC 792) from user space, through an ICMP echo socket
// (icmpconnect(), kernel/netif.h's comment in user/user.h).
//
//   ping ADDR [-c N]
//
// ADDR is a dotted quad or a name (user/resolv.c). Sends N echo requests
// (default 4), 1 s apart, each carrying DATALEN bytes of a pattern, and
// waits up to 1 s for each reply. Prints one line per request:
//   ping: reply from 10.0.2.2 seq=1 time=0.812 ms
//   ping: seq=2 timeout
// then one summary line:
//   ping: 10.0.2.2: 4 sent, 3 received, 25% loss, rtt min/avg/max 0.512/0.700/0.912 ms
// (without the rtt part when nothing came back). A reply that comes after
// its second is over is dropped, as is any reply whose data differs from
// what was sent. Exits 0 if any reply came, else 1. Times come from the
// time CSR read in user mode (timens(), user/ulib.c), as in udpbench.

#include "kernel/types.h"
#include "kernel/socket.h"
#include "user/user.h"

#define ICMP_HLEN   8          // type, code, checksum, identifier, sequence
#define ICMP_ECHOREPLY 0
#define DATALEN     56         // as other pings send: 64-byte ICMP messages
#define WAIT_MS     1000       // each request waits this long; also the spacing
#define MAXCOUNT    65535      // sequence numbers are 16 bits

static uchar req[ICMP_HLEN + DATALEN];
static uchar rep[1500];

static void
usage(void)
{
  fprintf(2, "usage: ping ADDR [-c N]\n");
  exit(2);
}

// Print ns as milliseconds with three decimals ("0.812").
static void
putms(uint64 ns)
{
  uint64 us = (ns + 500) / 1000, frac = us % 1000;

  printf("%lu.%s%lu", us / 1000, frac < 10 ? "00" : frac < 100 ? "0" : "", frac);
}

// Is rep[0..n) the echo reply to request number seq?
static int
isreply(int n, int seq)
{
  return n == sizeof(req) && rep[0] == ICMP_ECHOREPLY && rep[1] == 0 &&
         ((rep[6] << 8) | rep[7]) == seq && memcmp(rep + ICMP_HLEN, req + ICMP_HLEN, DATALEN) == 0;
}

// Read (and drop) what comes on fd until ms milliseconds after t0, or,
// if seq > 0, until the reply to request seq comes. Returns the time of
// that reply (timens()), or 0.
static uint64
await(int fd, uint64 t0, int ms, int seq)
{
  uint64 waited;
  int n;

  while((waited = (timens() - t0) / 1000000) < ms){
    if(sockopt(fd, SO_RCVTIMEO, ms - waited) < 0)
      return 0;
    if((n = read(fd, rep, sizeof(rep))) >= 0 && seq > 0 && isreply(n, seq))
      return timens();
  }
  return 0;
}

// Send request seq and wait up to WAIT_MS for its reply; stale replies
// are dropped. Sets *t0 to the time it was sent. Returns the round trip in
// ns (at least 1), or 0 if no reply came in time.
static uint64
echo(int fd, int seq, uint64 *t0)
{
  uint64 t;

  req[6] = seq >> 8;
  req[7] = seq;
  *t0 = timens();
  if(write(fd, req, sizeof(req)) != sizeof(req)){
    fprintf(2, "ping: write failed\n");
    exit(1);
  }
  if((t = await(fd, *t0, WAIT_MS, seq)) == 0)
    return 0;
  return t > *t0 ? t - *t0 : 1;
}

int
main(int argc, char *argv[])
{
  char *host = 0, ip[IPSTR_LEN];
  uint32 addr;
  uint64 rtt, t0, min = 0, max = 0, sum = 0;
  int count = 4, got = 0, fd, r;

  for(int i = 1; i < argc; i++){
    if(strcmp(argv[i], "-c") == 0 && i + 1 < argc){
      if((count = atoi(argv[++i])) < 1 || count > MAXCOUNT)
        usage();
    } else if(host == 0 && argv[i][0] != '-')
      host = argv[i];
    else
      usage();
  }
  if(host == 0)
    usage();
  if((r = resolve_host(host, &addr)) != 0){
    printf("ping: %s: %s\n", host, resolve_strerror(r));
    exit(1);
  }
  if((fd = icmpconnect(addr)) < 0){
    printf("ping: %s: no ICMP socket\n", host);
    exit(1);
  }
  for(int i = 0; i < DATALEN; i++)
    req[ICMP_HLEN + i] = 'a' + i % 26;
  ipfmt(addr, ip);
  for(int seq = 1; seq <= count; seq++){
    if((rtt = echo(fd, seq, &t0)) == 0){
      printf("ping: seq=%d timeout\n", seq);
    } else {
      printf("ping: reply from %s seq=%d time=", ip, seq);
      putms(rtt);
      printf(" ms\n");
      if(got == 0 || rtt < min)
        min = rtt;
      if(rtt > max)
        max = rtt;
      sum += rtt;
      got++;
    }
    if(seq < count)
      await(fd, t0, WAIT_MS, 0);   // the rest of the second: 1 s apart
  }
  close(fd);
  printf("ping: %s: %d sent, %d received, %d%% loss", ip, count, got,
         (count - got) * 100 / count);
  if(got > 0){
    printf(", rtt min/avg/max ");
    putms(min);
    printf("/");
    putms(sum / got);
    printf("/");
    putms(max);
    printf(" ms");
  }
  printf("\n");
  exit(got > 0 ? 0 : 1);
}
