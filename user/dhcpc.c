// dhcpc: the DHCP client (RFC 2131), run once by init before the first
// shell; running it again by hand does the same.
//
// It clears the interface's address (ifset IF_UNSET), broadcasts a
// DISCOVER, REQUESTs the first OFFER and, on the ACK, configures the
// interface (IF_DHCP) and prints one line:
//   dhcpc: 10.0.2.15/24 gateway 10.0.2.2 dns 10.0.2.3 from 10.0.2.2 lease 86400s
// Then it forks: the parent exits 0 (init goes on to the shell) and the
// child keeps the lease (RFC 2131 4.4.5): at T1 it unicasts a REQUEST to
// the server (RENEWING), from T2 on broadcasts it (REBINDING), each
// retransmitted after half the time left and no sooner than 60 s; a NAK
// or the lease's end starts over from DISCOVER. It prints a line only when
// the configuration changes.
//
// Without an answer to TRIES DISCOVERs, WAIT_MS apart, it sets the boot
// layout of kernel/netif.h (IF_STATIC) and prints
//   dhcpc: no DHCP answer; static 10.0.2.15/24 gateway 10.0.2.2 dns 10.0.2.3
//
// The kernel's configuration says who owns the interface: the child
// renews only while ifget() still shows the lease it set, and exits
// quietly once someone else (dhcpc run again, an address set by hand) has
// changed it. It checks every POLL_MS, so a second dhcpc waits at most
// that long for port 68.
//
// At boot the first OFFER comes late: QEMU's E1000 takes no frames for
// 1 s after the driver enables receive (its flush_queue_timer), so the
// first round may time out; the next DISCOVER is answered at once.
//
// Replies are untrusted: user/dhcpmsg.c parses them; one that is not a
// BOOTREPLY from port 67 to our xid and Ethernet address is ignored, and
// one that does not parse is also reported, with a running count:
//   dhcpc: ignored a malformed reply from 10.0.2.2: no magic cookie (1 so far)
// An ACK or NAK to a renewal is acted on only if RFC 2131 4.4.5 allows it
// (dhcpmsg_renewal): in RENEWING only from the lease's server (option
// 54), in REBINDING from any server, and an ACK only for our address.
// Others are ignored and reported, with a running count of their own:
//   dhcpc: ignored an ACK from server 10.0.2.66: not the lease's server (1 so far)

#include "kernel/types.h"
#include "kernel/socket.h"
#include "kernel/netif.h"
#include "user/user.h"
#include "user/dhcpmsg.h"

#define TRIES        4        // DISCOVERs before the static fallback
#define WAIT_MS      1000     // wait this long for an OFFER, then for the ACK
#define MINRETRY_MS  60000    // RENEWING/REBINDING retransmit at most this often
#define POLL_MS      1000     // the child checks who owns the interface this often
#define PORT_WAIT_MS 3000     // how long to wait for another dhcpc to free port 68
#define BROADCAST    0xFFFFFFFF

#define WANT(type)   (1 << (type))

// A lease, as the ACK gave it.
struct lease {
  uint32 addr, netmask, router, dns, server;
  uint32 lease, t1, t2;       // seconds
  uint64 start;               // ms since boot when the REQUEST went out
  uint32 since;               // ifget().since after we set it
};

enum { GOT = 0, TIMEOUT = -1, TAKEN = -2 };

static uint8 mac[6];
static uint8 msg[DHCP_MAXMSG];
static int sock = -1;

static uint64
now_ms(void)
{
  return nsecs() / 1000000;
}

// A fresh transaction id.
static uint32
newxid(void)
{
  static uint32 x;

  x ^= (uint32)nsecs() ^ ((uint32)mac[4] << 24) ^ ((uint32)mac[5] << 16);
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return x;
}

static int
prefixlen(uint32 mask)
{
  int n = 0;

  for(; mask & 0x80000000; mask <<= 1)
    n++;
  return n;
}

// Is the kernel's configuration still the lease l we set?
static int
ours(struct lease *l)
{
  struct ifinfo ifi;

  return ifget(&ifi) == 0 && ifi.source == IF_DHCP && ifi.addr == l->addr &&
         ifi.server == l->server && ifi.since == l->since;
}

// Is the parsed reply d a reply to xid for our MAC, of a type in want?
static int
isreply(struct dhcpmsg *d, uint32 xid, int want)
{
  return d->xid == xid && memcmp(d->chaddr, mac, 6) == 0 && (want & WANT(d->type));
}

// Say that the reply from addr did not parse (err: a DHCP_E* code). Every
// malformed reply gets a line with the running count, so none is dropped
// unseen; replies that parse but are for another client (a LAN's other
// guests, their xids) are not drops and stay silent.
static void
malformed(uint32 addr, int err)
{
  static int count;
  char a[IPSTR_LEN];

  count++;
  printf("dhcpc: ignored a malformed reply from %s: %s (%d so far)\n",
         ipfmt(addr, a), dhcpmsg_strerror(err), count);
}

// Say that the ACK or NAK d to a renewal was not acted on (err: a DHCP_E*
// code from dhcpmsg_renewal), with the running count.
static void
refused(struct dhcpmsg *d, int err)
{
  static int count;
  char a[IPSTR_LEN];

  count++;
  printf("dhcpc: ignored %s from server %s: %s (%d so far)\n",
         d->type == DHCPACK ? "an ACK" : "a NAK", ipfmt(d->server, a),
         dhcpmsg_strerror(err), count);
}

// Wait until time until (ms since boot) for a reply to xid of a type in
// want (0: just wait, taking whatever arrives off the socket). If l is
// not 0, give up as soon as the interface is no longer l's. Returns GOT
// with *d filled, TIMEOUT, or TAKEN.
static int
await(uint64 until, uint32 xid, int want, struct lease *l, struct dhcpmsg *d)
{
  struct dhcpmsg scratch;
  struct udpmsg um;
  uint64 t;
  int ms, err;

  if(d == 0)
    d = &scratch;
  while((t = now_ms()) < until){
    if(l && !ours(l))
      return TAKEN;
    ms = until - t > POLL_MS ? POLL_MS : until - t;
    if(sockopt(sock, SO_RCVTIMEO, ms) < 0)
      return TIMEOUT;
    um.buf = (char *)msg;
    um.len = sizeof(msg);
    if(recvmsgs(sock, &um, 1) != 1 || um.port != DHCP_SERVER_PORT)
      continue;
    if((err = dhcpmsg_parse(msg, um.len, d)) < 0)
      malformed(um.addr, err);
    else if(want && isreply(d, xid, want))
      return GOT;
  }
  return TIMEOUT;
}

// Send the n-byte message in msg to the DHCP server port of dst.
static int
dhcpsend(uint32 dst, int n)
{
  return send(DHCP_CLIENT_PORT, dst, DHCP_SERVER_PORT, (char *)msg, n);
}

// Record the ACK d to a REQUEST sent at time start in *l and configure
// the interface. Returns 0, or -1 if the kernel refuses it (a bad mask).
static int
apply(struct lease *l, struct dhcpmsg *d, uint64 start)
{
  struct ifinfo ifi;

  l->addr = d->yiaddr;
  l->netmask = d->netmask ? d->netmask : IF_BOOT_NETMASK;  // none sent: the LAN's /24
  l->router = d->router;
  l->dns = d->dns;
  l->server = d->server;
  l->lease = d->lease;
  l->t1 = d->t1;
  l->t2 = d->t2;
  l->start = start;
  memset(&ifi, 0, sizeof(ifi));
  ifi.source = IF_DHCP;
  ifi.addr = l->addr;
  ifi.netmask = l->netmask;
  ifi.gateway = l->router;
  ifi.dns = l->dns;
  ifi.server = l->server;
  ifi.lease = l->lease;
  if(ifset(&ifi) < 0 || ifget(&ifi) < 0)
    return -1;
  l->since = ifi.since;
  return 0;
}

// Print l's line, unless the last line said the same.
static void
report(struct lease *l)
{
  static struct lease shown;
  char a[IPSTR_LEN], g[IPSTR_LEN], n[IPSTR_LEN], s[IPSTR_LEN];

  if(l->addr == shown.addr && l->netmask == shown.netmask && l->router == shown.router &&
     l->dns == shown.dns && l->server == shown.server && l->lease == shown.lease)
    return;
  shown = *l;
  // One printf: the line reaches the console in one write.
  printf("dhcpc: %s/%d gateway %s dns %s from %s lease %us\n", ipfmt(l->addr, a),
         prefixlen(l->netmask), ipfmt(l->router, g), ipfmt(l->dns, n),
         ipfmt(l->server, s), l->lease);
}

// Clear the interface's address: the stack then sends from 0.0.0.0.
static void
unset(void)
{
  struct ifinfo ifi;

  memset(&ifi, 0, sizeof(ifi));
  ifi.source = IF_UNSET;
  ifset(&ifi);
}

// No server answered: the boot layout, by hand.
static void
fallback(void)
{
  struct ifinfo ifi;
  char a[IPSTR_LEN], g[IPSTR_LEN], n[IPSTR_LEN];

  memset(&ifi, 0, sizeof(ifi));
  ifi.source = IF_STATIC;
  ifi.addr = IF_BOOT_ADDR;
  ifi.netmask = IF_BOOT_NETMASK;
  ifi.gateway = IF_BOOT_GATEWAY;
  ifi.dns = IF_BOOT_DNS;
  if(ifset(&ifi) < 0)
    fprintf(2, "dhcpc: ifset failed\n");
  printf("dhcpc: no DHCP answer; static %s/%d gateway %s dns %s\n",
         ipfmt(ifi.addr, a), prefixlen(ifi.netmask), ipfmt(ifi.gateway, g),
         ipfmt(ifi.dns, n));
}

// INIT and SELECTING (RFC 2131 4.4.1): up to TRIES rounds of DISCOVER,
// the first OFFER within WAIT_MS, REQUEST it, its ACK within WAIT_MS.
// Returns 0 with the interface configured and *l filled, or -1.
static int
acquire(struct lease *l)
{
  struct dhcpmsg d;
  uint32 xid, server;
  uint64 t;

  for(int try = 0; try < TRIES; try++){
    xid = newxid();
    t = now_ms();
    if(dhcpsend(BROADCAST, dhcpmsg_discover(msg, mac, xid)) < 0 ||
       await(t + WAIT_MS, xid, WANT(DHCPOFFER), 0, &d) != GOT || d.yiaddr == 0){
      await(t + WAIT_MS, xid, 0, 0, 0);     // keep the rounds WAIT_MS apart
      continue;
    }
    server = d.server;
    t = now_ms();
    if(dhcpsend(BROADCAST, dhcpmsg_request(msg, mac, xid, 0, d.yiaddr, server)) < 0)
      continue;
    // Only the chosen server answers a REQUEST naming it.
    if(await(t + WAIT_MS, xid, WANT(DHCPACK) | WANT(DHCPNAK), 0, &d) == GOT &&
       d.type == DHCPACK && d.server == server && d.yiaddr != 0 && apply(l, &d, t) == 0)
      return 0;
  }
  return -1;
}

// Wait until time until for an ACK or NAK to the renewal xid of l that
// dhcpmsg_renewal() lets us act on (rebinding: 0 RENEWING, 1 REBINDING),
// reporting the others. Returns GOT with *d filled, TIMEOUT or TAKEN.
static int
renewal_reply(uint64 until, uint32 xid, struct lease *l, int rebinding,
              struct dhcpmsg *d)
{
  int r, err;

  while((r = await(until, xid, WANT(DHCPACK) | WANT(DHCPNAK), l, d)) == GOT){
    if((err = dhcpmsg_renewal(d, l->addr, l->server, rebinding)) == 0)
      return GOT;
    refused(d, err);
  }
  return r;
}

// RENEWING and REBINDING (RFC 2131 4.4.5) for the lease *l: sleep until
// T1, then REQUEST until an ACK renews it. Returns 0 with *l renewed and
// the interface set, -1 if a NAK came or the lease ran out, TAKEN if the
// interface is no longer l's.
static int
renew(struct lease *l)
{
  uint64 t1 = l->start + (uint64)l->t1 * 1000, t2 = l->start + (uint64)l->t2 * 1000;
  uint64 end = l->start + (uint64)l->lease * 1000, t, limit, next;
  struct dhcpmsg d;
  uint32 xid = newxid();
  int r, rebinding;

  if(await(t1, 0, 0, l, 0) == TAKEN)
    return TAKEN;
  while((t = now_ms()) < end){
    rebinding = t >= t2;
    limit = rebinding ? end : t2;
    next = t + (limit - t) / 2;
    if(next < t + MINRETRY_MS)
      next = t + MINRETRY_MS;
    if(next > limit)
      next = limit;
    dhcpsend(rebinding ? BROADCAST : l->server,
            dhcpmsg_request(msg, mac, xid, l->addr, 0, 0));
    r = renewal_reply(next, xid, l, rebinding, &d);
    if(r == TAKEN)
      return TAKEN;
    if(r == GOT && d.type == DHCPNAK)
      return -1;
    if(r == GOT)
      return apply(l, &d, t);
  }
  return -1;
}

// The child: keep the lease l until someone else takes the interface
// over, or no server answers any more.
static void
keep(struct lease *l)
{
  int r;

  for(;;){
    if(l->lease == DHCP_INFINITE){
      while(await(now_ms() + POLL_MS, 0, 0, l, 0) != TAKEN)
        ;
      return;
    }
    if((r = renew(l)) == TAKEN)
      return;
    if(r < 0){
      unset();
      if(acquire(l) < 0){
        fallback();
        return;
      }
    }
    report(l);
  }
}

// Open the wildcard socket on port 68, waiting up to PORT_WAIT_MS for a
// dhcpc that still holds it to notice it lost the interface and let go.
static int
opensock(void)
{
  uint64 until = now_ms() + PORT_WAIT_MS;
  int fd;

  while((fd = connect(0, DHCP_CLIENT_PORT, 0)) < 0 && now_ms() < until)
    sleep(1);
  return fd;
}

int
main(int argc, char *argv[])
{
  struct ifinfo ifi;
  struct lease l;
  int pid;

  if(ifget(&ifi) < 0){
    fprintf(2, "dhcpc: ifget failed\n");
    exit(1);
  }
  memmove(mac, ifi.mac, 6);
  unset();
  if((sock = opensock()) < 0){
    fprintf(2, "dhcpc: UDP port %d is in use\n", DHCP_CLIENT_PORT);
    fallback();
    exit(1);
  }
  if(acquire(&l) < 0){
    fallback();
    exit(0);
  }
  report(&l);
  if((pid = fork()) < 0){
    fprintf(2, "dhcpc: fork failed: the lease will not be renewed\n");
    exit(0);
  }
  if(pid > 0)
    exit(0);
  keep(&l);
  exit(0);
}
