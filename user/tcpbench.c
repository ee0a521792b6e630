// tcpbench: TCP benchmarks, run against bench/tcp.py on the host (or in
// the TAP bed's namespace: bench/run.py's tcp boots).
//
//   tcpbench send -p PORT [-n BYTES] [-a ADDR]   bulk: write BYTES to the host
//   tcpbench recv -p PORT [-n BYTES] [-a ADDR]   bulk: the host writes BYTES to us
//   tcpbench rr   -p PORT [-n N] [-a ADDR] [-B USEC]  N 1-byte request/responses
//   tcpbench conn -p PORT [-n N] [-a ADDR]       N connections, one small exchange each
//
// ADDR is the host's address (default 10.0.2.2: slirp's host, or Linux's
// tap0 in the TAP bed), a dotted quad or a name; PORT its TCP port. BYTES
// defaults to 1048576 (at most 1 GiB), N to 1000. -B USEC: reads
// busy-poll for up to USEC microseconds (SO_BUSY_POLL). rr turns Nagle off
// (TCP_NODELAY) on its connection, as the host's echo does on its side.
//
// Each run ends with one RESULT line for bench/run.py in udpbench's
// style (user/benchlib.h), e.g.
//   RESULT test=tcp_send mode=poll kmap=shared bytes=1048576 got=1048576 ...
// bytes_per_s: send, from the first write() to the host's report that it
// has every byte (one round trip more); recv, from the connect to the
// last byte read (the handshake and the request more). Fields named after netstat counters (rtx,
// timeouts, fastrtx, dupacks, ooo, intr) are their change during the
// run; icount= and the *_per_op fields are udpbench's (kernel/cpustat.h),
// per MSS-sized segment's worth of bytes (send, recv: bytes / 1460), per
// round trip (rr), per connection (conn). Times are in microseconds with
// one decimal.
//
// Protocol with bench/tcp.py: each connection starts with one ASCII line
// "VERB RUN N\n" (RUN: a number that tells runs apart in its log):
//   send RUN N   then N bytes; the host answers "!send RUN GOT SPAN_US\n"
//                once it has them all (GOT: bytes it read, SPAN_US: time
//                from its first to its last) and closes
//   recv RUN N   the host writes N bytes and closes
//   echo RUN 0   the host writes every byte back at once, until EOF
//   conn RUN 0   the host answers "!conn RUN\n" and closes (so the host
//                side, not xv6, holds the TIME-WAIT)

#include "kernel/types.h"
#include "kernel/netstat.h"
#include "kernel/socket.h"
#include "kernel/cpustat.h"
#include "user/user.h"
#include "user/benchlib.h"

#define PEER_IP    ((10 << 24) | (0 << 16) | (2 << 8) | 2)   // 10.0.2.2, the host (default)
#define MSS        1460          // bytes of a full-sized segment (the kernel's MSS)
#define CHUNK      4096          // bytes per read()/write() of the bulk tests
#define MAXBYTES   (1 << 30)
#define MAXN       100000        // round trips or connections we keep for percentiles
#define WARMUP     10            // rr round trips before measuring
#define TIMEO_MS   60000         // a read this long without data fails the run (a ceiling)
#define REPLYMAX   128

struct opts {
  int n, port, busy;
  uint32 addr;
};

static char buf[CHUNK];
static char reply[REPLYMAX + 1];

static void
usage(void)
{
  fprintf(2, "usage: tcpbench send|recv|rr|conn -p PORT [-n BYTES|N] [-a ADDR] [-B USEC]\n");
  exit(1);
}

static void
die(char *why)
{
  fprintf(2, "tcpbench: %s\n", why);
  exit(1);
}

// Connect to the host and send the request line "verb run n\n". Reads
// time out after TIMEO_MS. Returns the fd; dies if it cannot.
static int
request(struct opts *o, char *verb, uint32 run, uint64 n)
{
  struct line l;
  int fd;

  if((fd = tcpconnect(o->addr, o->port)) < 0)
    die("tcpconnect failed (is bench/tcp.py listening on -p PORT?)");
  if(sockopt(fd, SO_RCVTIMEO, TIMEO_MS) < 0 ||
     (o->busy && sockopt(fd, SO_BUSY_POLL, o->busy) < 0))
    die("sockopt failed");
  l.n = 0;
  lput(&l, verb);
  lput(&l, " ");
  lnum(&l, run);
  lput(&l, " ");
  lnum(&l, n);
  lput(&l, "\n");
  if(write(fd, l.buf, l.n) != l.n)
    die("write of the request failed");
  return fd;
}

// Read fd to EOF into reply (what fits; NUL-terminated). Returns the
// bytes read, or -1 on an error or timeout.
static int
readall(int fd)
{
  int r, n = 0;

  while((r = read(fd, reply + n, REPLYMAX - n)) > 0)
    if((n += r) == REPLYMAX)
      break;
  reply[n] = 0;
  return r < 0 ? -1 : n;
}

// Append the TCP counters' change over the run.
static void
ltcp(struct line *l)
{
  lkv(l, "rtx", ns1.tcp_rtx - ns0.tcp_rtx);
  lkv(l, "timeouts", ns1.tcp_timeouts - ns0.tcp_timeouts);
  lkv(l, "fastrtx", ns1.tcp_fastrtx - ns0.tcp_fastrtx);
  lkv(l, "lossprobes", ns1.tcp_lossprobe - ns0.tcp_lossprobe);
  lkv(l, "dupacks", ns1.tcp_dupacks - ns0.tcp_dupacks);
  lkv(l, "ooo", ns1.tcp_ooo - ns0.tcp_ooo);
  lkv(l, "intr", ns1.intr - ns0.intr);
}

// ---- send, recv ---------------------------------------------------------

static void
tsend(struct opts *o)
{
  uint32 run = newrun();
  uint64 t0, dt, left;
  struct line l;
  int fd, k;

  memset(buf, 'x', sizeof(buf));
  fd = request(o, "send", run, o->n);
  begin();
  t0 = timens();
  for(left = o->n; left > 0; left -= k){
    k = left < CHUNK ? left : CHUNK;
    if(write(fd, buf, k) != k)
      die("send: write failed");
  }
  if(readall(fd) < 0 || memcmp(reply, "!send ", 6) != 0 || field(reply, 1) != run)
    die("send: no report from the host");
  dt = timens() - t0;
  end();
  close(fd);

  lstart(&l, "tcp_send");
  lkv(&l, "bytes", o->n);
  lkv(&l, "got", field(reply, 2));
  lkv(&l, "bytes_per_s", persec(o->n, dt));
  lkv(&l, "sink_bytes_per_s", persec(field(reply, 2), field(reply, 3) * 1000));
  lus(&l, "time_us", dt);
  ltcp(&l);
  lwork(&l, (o->n + MSS - 1) / MSS);
  lwrite(&l, 1);
}

static void
trecv(struct opts *o)
{
  uint32 run = newrun();
  uint64 t0, t1, got = 0;
  struct line l;
  int fd, r;

  begin();
  t0 = timens();
  fd = request(o, "recv", run, o->n);
  t1 = t0;
  while((r = read(fd, buf, CHUNK)) > 0){
    got += r;
    t1 = timens();
  }
  end();
  if(r < 0)
    die("recv: read failed or timed out");
  close(fd);

  lstart(&l, "tcp_recv");
  lkv(&l, "bytes", o->n);
  lkv(&l, "got", got);
  lkv(&l, "bytes_per_s", persec(got, t1 - t0));
  lus(&l, "time_us", t1 - t0);
  ltcp(&l);
  lwork(&l, (got + MSS - 1) / MSS);
  lwrite(&l, 1);
}

// ---- rr, conn -----------------------------------------------------------

// Append n, the percentiles of the sorted t[0..n-1] (ns) and their mean.
static void
ltimes(struct line *l, uint64 *t, int n, uint64 sum)
{
  lkv(l, "n", n);
  lus(l, "min_us", n ? t[0] : 0);
  lus(l, "p50_us", pctl(t, n, 50));
  lus(l, "p90_us", pctl(t, n, 90));
  lus(l, "p99_us", pctl(t, n, 99));
  lus(l, "max_us", n ? t[n - 1] : 0);
  lus(l, "avg_us", n ? sum / n : 0);
}

// One byte there and back on fd; returns the round trip in ns (>= 1).
static uint64
rr1(int fd)
{
  uint64 t0 = timens(), dt;

  if(write(fd, "r", 1) != 1 || read(fd, buf, 1) != 1)
    die("rr: the echo failed or timed out");
  dt = timens() - t0;
  return dt ? dt : 1;
}

static void
trr(struct opts *o, uint64 *t)
{
  uint64 sum = 0;
  struct line l;
  int fd;

  fd = request(o, "echo", newrun(), 0);
  if(sockopt(fd, TCP_NODELAY, 1) < 0)
    die("sockopt TCP_NODELAY failed");
  for(int i = 0; i < WARMUP; i++)
    rr1(fd);
  begin();
  for(int i = 0; i < o->n; i++)
    sum += (t[i] = rr1(fd));
  end();
  close(fd);
  sort64(t, o->n);

  lstart(&l, "tcp_rr");
  lkv(&l, "size", 1);
  ltimes(&l, t, o->n, sum);
  lkv(&l, "busy_us", o->busy);
  ltcp(&l);
  lwork(&l, o->n);
  lwrite(&l, 1);
}

// One connection: connect, request, read the answer to EOF, close.
// Returns the time it took in ns (>= 1), 0 if it failed.
static uint64
conn1(struct opts *o, uint32 run)
{
  uint64 t0 = timens(), dt;
  int fd, ok;

  fd = request(o, "conn", run, 0);
  ok = readall(fd) > 0 && memcmp(reply, "!conn ", 6) == 0 && field(reply, 1) == run;
  close(fd);
  dt = timens() - t0;
  return ok ? (dt ? dt : 1) : 0;
}

static void
tconn(struct opts *o, uint64 *t)
{
  uint32 run = newrun();
  uint64 t0, dt, sum = 0;
  struct line l;
  int ok = 0;

  begin();
  t0 = timens();
  for(int i = 0; i < o->n; i++)
    if((t[ok] = conn1(o, run)) != 0)
      sum += t[ok++];
  dt = timens() - t0;
  end();
  sort64(t, ok);

  lstart(&l, "tcp_conn");
  ltimes(&l, t, ok, sum);
  lkv(&l, "failed", o->n - ok);
  lkv(&l, "conns_per_s", persec(ok, dt));
  ltcp(&l);
  lwork(&l, o->n);
  lwrite(&l, 1);
}

// ---- main ---------------------------------------------------------------

// Parse "-x VALUE" pairs after the test name into o; exits on anything else.
static void
parseopts(int argc, char **argv, struct opts *o)
{
  for(int i = 2; i < argc; i += 2){
    char *a = argv[i];
    if(a[0] != '-' || a[1] == 0 || a[2] != 0 || i + 1 >= argc)
      usage();
    switch(a[1]){
    case 'n':
      if((o->n = atoi(argv[i + 1])) < 1)
        die("-n: at least 1");
      break;
    case 'p': o->port = atoi(argv[i + 1]); break;
    case 'B': o->busy = atoi(argv[i + 1]); break;
    case 'a':
      if(resolve_host(argv[i + 1], &o->addr) != 0)
        die("-a: not an address, and no name server knows it");
      break;
    default: usage();
    }
  }
  if(o->port < 1 || o->port > 65535 || o->busy < 0 || o->busy > SO_MAXBUSY)
    die("bad option value: -p 1..65535 (required), -B 0..1000000");
}

int
main(int argc, char *argv[])
{
  struct opts o = { -1, 0, 0, PEER_IP };
  int bulk;
  uint64 *t = 0;

  if(argc < 2)
    usage();
  parseopts(argc, argv, &o);
  bulk = strcmp(argv[1], "send") == 0 || strcmp(argv[1], "recv") == 0;
  if(o.n < 0)
    o.n = bulk ? 1048576 : 1000;
  if(o.n > (bulk ? MAXBYTES : MAXN))
    die("-n too large: at most 1073741824 bytes, 100000 round trips or connections");
  if(!bulk && (t = malloc(o.n * sizeof(uint64))) == 0)
    die("out of memory");
  getstats(&ns0);   // for the mode, in case a test fails before measuring
  if(strcmp(argv[1], "send") == 0)
    tsend(&o);
  else if(strcmp(argv[1], "recv") == 0)
    trecv(&o);
  else if(strcmp(argv[1], "rr") == 0)
    trr(&o, t);
  else if(strcmp(argv[1], "conn") == 0)
    tconn(&o, t);
  else
    usage();
  exit(0);
}
