// udpbench: UDP benchmarks, run against bench/peer.py on the host.
//
//   udpbench lat   [-n N] [-s SIZE] [-p PORT] [-B USEC] [-a ADDR]  round trips to the echo role
//   udpbench tx    [-n N] [-s SIZE] [-p PORT] [-b N]     send as fast as we can to the sink role
//   udpbench rx    [-n N] [-s SIZE] [-r RATE] [-p PORT] [-b N]  have the source role send to us
//   udpbench ceiling [-n N] [-s SIZE] -p SINKPORT [-q SOURCEPORT]  the device path alone
//   udpbench spare [-t MS]                               compute loop: user CPU left over
//   udpbench sys   [-n N]                                cost of a null system call (getpid)
//
// -B USEC: reads busy-poll the network card for up to USEC microseconds
// before they sleep (sockopt SO_BUSY_POLL). -b N: move up to N datagrams
// per system call with sendmsgs()/recvmsgs() (1..64; RESULT adds batch=N).
// ceiling: TX, the kernel puts N prebuilt frames straight into the TX ring
// toward the sink; RX, the source (-q, by default -p: bench/peer.py's sink
// answers ?rx too) floods port 2000 while the driver counts and frees
// frames (netceiling()); RESULT has tx_per_s and rx_per_s.
//
// PORT is the peer's UDP port on the host, reached as 10.0.2.2:PORT
// (default: make's SERVERPORT at build time); lat -a ADDR (a dotted quad
// or a name) measures round trips to ADDR:PORT instead, any UDP echo
// there: another guest's `udpecho serve PORT 0` on the LAN; SIZE is the UDP payload,
// 16..1472 bytes (default 64); N defaults to 1000; RATE is datagrams per
// second, 0 (the default) for as fast as the host can send; MS is the
// compute loop's duration (default 2000).
//
// Each run ends with one line for bench/run.py, keys fixed, units in the
// key names, e.g.
//   RESULT test=lat mode=poll size=64 n=2000 lost=0 min_us=61.2 p50_us=80.1 ...
// Rates are integers; times in microseconds carry one decimal (the clock
// ticks every 100 ns). Mbit/s counts UDP payload bits only. Fields named
// after netstat counters (missed, qfull, intr, ...) are the change of
// that counter during the run. Integer arithmetic only.
//
// Every lat, tx, rx and sys line also says what the run cost the CPU
// (kernel/cpustat.h), per operation: a round trip (lat), a datagram sent
// (tx) or received (rx), a call (sys). icount=1 if the counter CSR counts
// instructions (make ICOUNT=on), 0 if it counts host ticks: then the
// insn_ and spin_ figures are ticks, not instructions. insn_per_op: busy
// counter ticks (idle in wfi, spin and the clock interrupt's periodic
// work excluded), spin_per_op: ticks of net
// polls that found nothing (poll mode's net thread waiting, busy polling),
// traps_per_op, sys_per_op, irq_per_op: traps of every kind, system calls,
// device interrupts; traps with one decimal. Exact only at CPUS=1 (NOTES.md,
// "Counting instructions").
//
// Protocol with bench/peer.py (control datagrams are ASCII text; RUN is a
// number that tells this run's replies from a late reply to an old one):
//   lat: 'P' seq(4 bytes) padding           echoed back unchanged
//   data datagrams (tx and rx): 'D' RUN(4 bytes) seq(4 bytes) padding
//   tx:  "?start RUN" -> "!start RUN"; then N data datagrams;
//        "?count RUN" -> "!count RUN GOT SPAN_US" (GOT: RUN's datagrams
//        the sink received, SPAN_US: time from its first to its last)
//   rx:  "?rx RUN N SIZE RATE" -> "!rx RUN", then N data datagrams, then
//        "!done RUN SENT". The guest asks from port 2000, the port QEMU's
//        hostfwd forwards; the source sends from PORT to the forwarded
//        host port, and slirp delivers that to port 2000 as coming from
//        10.0.2.2:PORT, so one socket (10.0.2.2, 2000, PORT) gets it all.

#include "kernel/types.h"
#include "kernel/netstat.h"
#include "kernel/socket.h"
#include "kernel/netmode.h"
#include "kernel/cpustat.h"
#include "user/user.h"
#include "user/serverport.h"
#include "user/benchlib.h"

#define PEER_IP      ((10 << 24) | (0 << 16) | (2 << 8) | 2)   // 10.0.2.2, the host (default)
#define RX_LPORT     2000        // the guest port QEMU's hostfwd delivers to
#define MINSIZE      16
#define MAXSIZE      1472        // largest UDP payload in one Ethernet frame
#define MAXN         1000000
#define MAXLAT       100000      // round trips we keep for percentiles
#define WARMUP       10          // round trips before lat measures (fills ARP)
#define LAT_TIMEO_MS 250         // a round trip slower than this counts as lost
#define CTL_TIMEO_MS 300
#define RX_TIMEO_MS  500         // rx ends after this long without a datagram
#define TRIES        5           // sends of a control message before giving up
#define SPARE_CHUNK  100000      // loop iterations between clock reads

struct opts {
  int n, size, rate, port, ms;
  int busy;     // -B: SO_BUSY_POLL microseconds, 0 = off
  int batch;    // -b: datagrams per sendmsgs()/recvmsgs(), 0 = read()/write()
  int port2;    // -q: the source's port (ceiling)
  uint32 addr;  // -a: the peer's address (lat), PEER_IP by default
};

static struct udpmsg msgs[UDP_BATCH_MAX];
static char bbuf[UDP_BATCH_MAX][MAXSIZE + 1];   // buffers of a batch (+1 for a NUL)

static char sbuf[MAXSIZE];       // datagram being sent
static char rbuf[MAXSIZE + 1];   // datagram received (+1 for a NUL)

static void
usage(void)
{
  fprintf(2, "usage: udpbench lat|tx|rx|ceiling|spare|sys [-n N] [-s SIZE] [-r RATE] [-p PORT]\n"
             "                [-q PORT] [-t MS] [-B USEC] [-b N] [-a ADDR (lat)]\n");
  exit(1);
}

static void
die(char *why)
{
  fprintf(2, "udpbench: %s\n", why);
  exit(1);
}

// ---- helpers ------------------------------------------------------------

static void
put32(char *p, uint32 v)
{
  p[0] = v;
  p[1] = v >> 8;
  p[2] = v >> 16;
  p[3] = v >> 24;
}

static uint32
get32(char *p)
{
  return (uchar)p[0] | (uchar)p[1] << 8 | (uchar)p[2] << 16 | (uint32)(uchar)p[3] << 24;
}

// A socket to addr:port, from lport, with receive timeout ms.
static int
opensock(uint32 addr, int lport, int port, int ms)
{
  int fd;

  if((fd = udpopen(addr, lport, port, ms)) < 0)
    die("connect/sockopt failed (is the port already in use?)");
  return fd;
}

// Start the control message "VERB RUN" in l.
static void
ctlmsg(struct line *l, char *verb, uint32 run)
{
  l->n = 0;
  lput(l, verb);
  lput(l, " ");
  lnum(l, run);
}

// Send the control message in l and wait for a reply that starts with
// want and carries run as its second field, sending again after each
// timeout. Datagrams that are not that reply are skipped. Leaves the
// reply, NUL-terminated, in rbuf. Returns 0, or -1 after TRIES timeouts.
static int
control(int fd, struct line *l, char *want, uint32 run)
{
  int r, k = strlen(want);

  for(int t = 0; t < TRIES; t++){
    if(write(fd, l->buf, l->n) != l->n)
      continue;
    while((r = read(fd, rbuf, MAXSIZE)) >= 0){
      rbuf[r] = 0;
      if(r > k && memcmp(rbuf, want, k) == 0 && rbuf[k] == ' ' && field(rbuf, 1) == run)
        return 0;
    }
  }
  return -1;
}

// ---- lat ----------------------------------------------------------------

// Send ping number seq of size bytes and wait for its echo, skipping late
// echoes of earlier pings. Returns the round trip in ns, or 0 if lost.
static uint64
ping(int fd, uint32 seq, int size)
{
  uint64 t0, dt;
  int r;

  sbuf[0] = 'P';
  put32(sbuf + 1, seq);
  t0 = timens();
  if(write(fd, sbuf, size) != size)
    return 0;
  while((r = read(fd, rbuf, MAXSIZE)) >= 0){
    if(r == size && rbuf[0] == 'P' && get32(rbuf + 1) == seq){
      dt = timens() - t0;
      return dt ? dt : 1;
    }
  }
  return 0;
}

static void
lat(struct opts *o)
{
  uint64 *rtt, sum = 0;
  int fd, ok = 0;
  struct line l;

  if(o->n > MAXLAT)
    die("lat: -n at most 100000");
  if((rtt = malloc(o->n * sizeof(uint64))) == 0)
    die("out of memory");
  fd = opensock(o->addr, 3000 + getpid(), o->port, LAT_TIMEO_MS);
  if(o->busy && sockopt(fd, SO_BUSY_POLL, o->busy) < 0)
    die("sockopt SO_BUSY_POLL failed");
  memset(sbuf, 'x', sizeof(sbuf));
  for(int i = 0; i < WARMUP; i++)
    ping(fd, 1000000000 + i, o->size);
  begin();
  for(int i = 0; i < o->n; i++)
    if((rtt[ok] = ping(fd, i, o->size)) != 0)
      sum += rtt[ok++];
  end();
  sort64(rtt, ok);

  lstart(&l, "lat");
  lkv(&l, "size", o->size);
  lkv(&l, "n", o->n);
  lkv(&l, "lost", o->n - ok);
  lus(&l, "min_us", ok ? rtt[0] : 0);
  lus(&l, "p50_us", pctl(rtt, ok, 50));
  lus(&l, "p90_us", pctl(rtt, ok, 90));
  lus(&l, "p99_us", pctl(rtt, ok, 99));
  lus(&l, "max_us", ok ? rtt[ok - 1] : 0);
  lus(&l, "avg_us", ok ? sum / ok : 0);
  lkv(&l, "intr", ns1.intr - ns0.intr);
  lkv(&l, "busy_us", o->busy);
  lwork(&l, o->n);
  lwrite(&l, 1);
  close(fd);
  free(rtt);
}

// ---- tx -----------------------------------------------------------------

// Append the " key=U.D" form of a payload rate in Mbit/s: count datagrams
// of size bytes in dt ns.
static void
lmbit(struct line *l, char *key, uint64 count, int size, uint64 dt)
{
  uint64 tenths = dt ? count * size * 8 * 10000 / dt : 0;

  lkv(l, key, tenths / 10);
  lput(l, ".");
  lnum(l, tenths % 10);
}

// txblast with sendmsgs(): o->batch datagrams per call, each its own copy
// of sbuf with its sequence number. Returns the time since t0.
static uint64
txbatch(int fd, struct opts *o, uint64 *errs, uint64 t0)
{
  int i, k, b, r;

  for(k = 0; k < o->batch; k++){
    memmove(bbuf[k], sbuf, o->size);
    msgs[k].buf = bbuf[k];
    msgs[k].len = o->size;
  }
  for(i = 0; i < o->n; i += b){
    b = o->n - i < o->batch ? o->n - i : o->batch;
    for(k = 0; k < b; k++)
      put32(bbuf[k] + 5, i + k);
    if((r = sendmsgs(fd, msgs, b)) < b)
      *errs += r < 0 ? b : b - r;
  }
  return timens() - t0;
}

// Send o->n data datagrams of run as fast as write() returns; count the
// writes that fail in *errs. Returns the time it took in ns.
static uint64
txblast(int fd, uint32 run, struct opts *o, uint64 *errs)
{
  uint64 t0;

  memset(sbuf, 'x', sizeof(sbuf));
  sbuf[0] = 'D';
  put32(sbuf + 1, run);
  t0 = timens();
  if(o->batch)
    return txbatch(fd, o, errs, t0);
  for(int i = 0; i < o->n; i++){
    put32(sbuf + 5, i);
    if(write(fd, sbuf, o->size) != o->size)
      (*errs)++;
  }
  return timens() - t0;
}

static void
tx(struct opts *o)
{
  uint32 run = newrun();
  uint64 dt, got, errs = 0, sent;
  int fd;
  struct line l;

  fd = opensock(PEER_IP, 3000 + getpid(), o->port, CTL_TIMEO_MS);
  ctlmsg(&l, "?start", run);
  if(control(fd, &l, "!start", run) < 0)
    die("tx: no answer from the sink (is bench/peer.py sink running on -p PORT?)");
  begin();
  dt = txblast(fd, run, o, &errs);
  end();
  sent = o->n - errs;

  ctlmsg(&l, "?count", run);
  if(control(fd, &l, "!count", run) < 0)
    die("tx: the sink did not answer the count query");
  got = field(rbuf, 2);

  lstart(&l, "tx");
  lkv(&l, "size", o->size);
  lkv(&l, "n", o->n);
  lkv(&l, "send_errs", errs);
  lkv(&l, "got", got);
  lkv(&l, "lost", got < sent ? sent - got : 0);
  lkv(&l, "dgrams_per_s", persec(sent, dt));
  lmbit(&l, "mbit_per_s", sent, o->size, dt);
  lkv(&l, "sink_dgrams_per_s", got > 1 ? persec(got - 1, field(rbuf, 3) * 1000) : 0);
  lkv(&l, "ring_full", ns1.tx_ring_full - ns0.tx_ring_full);
  lkv(&l, "intr", ns1.intr - ns0.intr);
  lkv(&l, "batch", o->batch);
  lwork(&l, sent);
  lwrite(&l, 1);
  close(fd);
}

// ---- rx -----------------------------------------------------------------

// The source's request "?rx RUN N SIZE RATE" in l.
static void
rxrequest(struct line *l, uint32 run, struct opts *o, int rate)
{
  ctlmsg(l, "?rx", run);
  lput(l, " ");
  lnum(l, o->n);
  lput(l, " ");
  lnum(l, o->size);
  lput(l, " ");
  lnum(l, rate);
}

// What an rx run saw.
struct rxcount {
  uint64 got;        // this run's data datagrams
  uint64 sent;       // what the source said it sent (0 if "!done" was lost)
  uint64 first, last; // timens() of the first and last data datagram
};

// Read this run's datagrams until "!done" or RX_TIMEO_MS of silence;
// resend the request while nothing at all has come back.
// Look at one datagram p of r bytes of an rx run. Returns 1 once it is
// "!done" (the run is over), else 0; sets *heard if it belongs to the run.
static int
rxone(char *p, int r, uint32 run, struct rxcount *c, int *heard)
{
  p[r] = 0;
  if(r >= 9 && p[0] == 'D' && get32(p + 1) == run){
    c->last = timens();
    if(c->got++ == 0)
      c->first = c->last;
    *heard = 1;
  } else if(p[0] == '!' && field(p, 1) == run){
    *heard = 1;
    if(memcmp(p, "!done ", 6) == 0){
      c->sent = field(p, 2);
      return 1;
    }
  }
  return 0;
}

// Receive up to o->batch datagrams (recvmsgs) or one (read) into rbuf or
// bbuf; look at each. Returns 1 when the run is over, 0 to go on, -1 on
// a timeout.
static int
rxsome(int fd, struct opts *o, uint32 run, struct rxcount *c, int *heard)
{
  int r, k, done = 0;

  if(o->batch == 0){
    if((r = read(fd, rbuf, MAXSIZE)) < 0)
      return -1;
    return rxone(rbuf, r, run, c, heard);
  }
  for(k = 0; k < o->batch; k++){
    msgs[k].buf = bbuf[k];
    msgs[k].len = MAXSIZE;
  }
  if((r = recvmsgs(fd, msgs, o->batch)) < 0)
    return -1;
  for(k = 0; k < r; k++)
    done |= rxone(bbuf[k], msgs[k].len, run, c, heard);
  return done;
}

static void
rxloop(int fd, struct opts *o, struct line *req, uint32 run, struct rxcount *c)
{
  int r, heard = 0, tries = 1;

  write(fd, req->buf, req->n);
  for(;;){
    if((r = rxsome(fd, o, run, c, &heard)) < 0){
      if(heard || tries++ >= TRIES)
        return;
      write(fd, req->buf, req->n);
      continue;
    }
    if(r == 1)
      return;
  }
}

static void
rx(struct opts *o)
{
  uint32 run = newrun();
  struct rxcount c = { 0, 0, 0, 0 };
  uint64 dt;
  int fd;
  struct line l;

  fd = opensock(PEER_IP, RX_LPORT, o->port, RX_TIMEO_MS);
  rxrequest(&l, run, o, o->rate);
  begin();
  rxloop(fd, o, &l, run, &c);
  end();
  if(c.got == 0)
    fprintf(2, "udpbench: rx: nothing arrived (is bench/peer.py source running on -p PORT?)\n");
  if(c.sent == 0)
    c.sent = o->n;
  dt = c.last - c.first;

  lstart(&l, "rx");
  lkv(&l, "size", o->size);
  lkv(&l, "n", o->n);
  lkv(&l, "offered_per_s", o->rate);
  lkv(&l, "got", c.got);
  lkv(&l, "lost", c.got < c.sent ? c.sent - c.got : 0);
  lkv(&l, "dgrams_per_s", c.got > 1 ? persec(c.got - 1, dt) : 0);
  lmbit(&l, "mbit_per_s", c.got > 1 ? c.got - 1 : 0, o->size, dt);
  lkv(&l, "missed", ns1.rx_missed - ns0.rx_missed);
  lkv(&l, "qfull", ns1.drop_udp_qfull - ns0.drop_udp_qfull);
  lkv(&l, "nombuf", ns1.rx_drop_nombuf - ns0.rx_drop_nombuf);
  lkv(&l, "intr", ns1.intr - ns0.intr);
  lkv(&l, "batch", o->batch);
  lwork(&l, c.got);
  lwrite(&l, 1);
  close(fd);
}

// ---- ceiling ------------------------------------------------------------

// The device path alone (netceiling()): TX toward the sink on o->port,
// then RX of a flood the source on o->port2 sends to our port 2000.
static void
ceiling(struct opts *o)
{
  struct ceiling t, r;
  uint32 run = newrun();
  struct line l;
  int fd;

  // A control round trip first: it also puts the host in the ARP cache.
  fd = opensock(PEER_IP, 3000 + getpid(), o->port, CTL_TIMEO_MS);
  ctlmsg(&l, "?start", run);
  if(control(fd, &l, "!start", run) < 0)
    die("ceiling: no answer from the sink on -p PORT");
  if(netceiling(CEIL_TX, o->n, o->size, PEER_IP, o->port, &t) < 0)
    die("ceiling: netceiling(CEIL_TX) failed (another run going, or the sink's address unknown)");
  close(fd);

  // The request goes out through a normal socket; the driver then eats
  // everything, the source's reply and its data alike.
  fd = opensock(PEER_IP, RX_LPORT, o->port2 ? o->port2 : o->port, CTL_TIMEO_MS);
  rxrequest(&l, run, o, 0);
  getstats(&ns0);
  write(fd, l.buf, l.n);
  if(netceiling(CEIL_RX, o->n, 0, 0, 0, &r) < 0)
    die("ceiling: netceiling(CEIL_RX) failed (another run going?)");
  getstats(&ns1);
  close(fd);

  lstart(&l, "ceiling");
  lkv(&l, "size", o->size);
  lkv(&l, "n", o->n);
  lkv(&l, "tx_frames", t.frames);
  lkv(&l, "tx_per_s", t.frames > 1 ? persec(t.frames, t.last_ns - t.first_ns) : 0);
  lkv(&l, "rx_frames", r.frames);
  lkv(&l, "rx_per_s", r.frames > 1 ? persec(r.frames - 1, r.last_ns - r.first_ns) : 0);
  lkv(&l, "missed", ns1.rx_missed - ns0.rx_missed);
  lwrite(&l, 1);
}

// ---- spare --------------------------------------------------------------

static void
spare(struct opts *o)
{
  volatile uint64 x = 0;   // volatile: the loop must really run
  uint64 iters = 0, t0, dt, limit = (uint64)o->ms * 1000000;
  struct line l;

  getstats(&ns0);
  t0 = timens();
  while((dt = timens() - t0) < limit){
    for(int k = 0; k < SPARE_CHUNK; k++)
      x += k;
    iters += SPARE_CHUNK;
  }
  getstats(&ns1);

  lstart(&l, "spare");
  lkv(&l, "ms", dt / 1000000);
  lkv(&l, "iters", iters);
  lkv(&l, "iters_per_s", iters * 1000000 / (dt / 1000));
  lkv(&l, "rx_frames", ns1.rx_frames - ns0.rx_frames);
  lkv(&l, "missed", ns1.rx_missed - ns0.rx_missed);
  lkv(&l, "noport", ns1.drop_udp_noport - ns0.drop_udp_noport);
  lkv(&l, "intr", ns1.intr - ns0.intr);
  lkv(&l, "poll_rounds", ns1.poll_rounds - ns0.poll_rounds);
  lwrite(&l, 1);
}

// ---- sys ----------------------------------------------------------------

// The cost of the cheapest system call: the floor under every send and
// receive (each is at least one trap into the kernel and back).
static void
sys(struct opts *o)
{
  uint64 t0, dt;
  struct line l;

  begin();
  t0 = timens();
  for(int i = 0; i < o->n; i++)
    getpid();
  dt = timens() - t0;
  end();

  lstart(&l, "sys");
  lkv(&l, "n", o->n);
  lus(&l, "call_us", dt / o->n);
  lkv(&l, "calls_per_s", persec(o->n, dt));
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
    if(a[1] == 'a'){
      if(strcmp(argv[1], "lat") != 0)
        die("-a: only lat measures another peer");
      if(resolve_host(argv[i + 1], &o->addr) != 0)
        die("-a: not an address, and no name server knows it");
      continue;
    }
    int v = atoi(argv[i + 1]);
    switch(a[1]){
    case 'n': o->n = v; break;
    case 's': o->size = v; break;
    case 'r': o->rate = v; break;
    case 'p': o->port = v; break;
    case 't': o->ms = v; break;
    case 'B': o->busy = v; break;
    case 'b': o->batch = v; break;
    case 'q': o->port2 = v; break;
    default: usage();
    }
  }
  if(o->n < 1 || o->n > MAXN || o->size < MINSIZE || o->size > MAXSIZE ||
     o->rate < 0 || o->port < 1 || o->port > 65535 || o->ms < 1 || o->ms > 600000 ||
     o->busy < 0 || o->busy > SO_MAXBUSY || o->batch < 0 || o->batch > UDP_BATCH_MAX ||
     o->port2 < 0 || o->port2 > 65535)
    die("bad option value: -n 1..1000000, -s 16..1472, -r >= 0, -p/-q 1..65535, -t 1..600000,"
        " -B 0..1000000, -b 0..64");
}

int
main(int argc, char *argv[])
{
  struct opts o = { 1000, 64, 0, SERVERPORT, 2000, 0, 0, 0, PEER_IP };

  if(argc < 2)
    usage();
  parseopts(argc, argv, &o);
  getstats(&ns0);   // for the mode, in case a test fails before measuring
  if(strcmp(argv[1], "lat") == 0)
    lat(&o);
  else if(strcmp(argv[1], "tx") == 0)
    tx(&o);
  else if(strcmp(argv[1], "rx") == 0)
    rx(&o);
  else if(strcmp(argv[1], "ceiling") == 0)
    ceiling(&o);
  else if(strcmp(argv[1], "spare") == 0)
    spare(&o);
  else if(strcmp(argv[1], "sys") == 0)
    sys(&o);
  else
    usage();
  exit(0);
}
