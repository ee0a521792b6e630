// The network stack: Ethernet, IPv4, ICMP echo and UDP, for one
// interface. Its addresses (struct ifinfo, kernel/netif.h) start as
// QEMU slirp's layout (we are 10.0.2.15, the gateway 10.0.2.2) and are
// changed by ifset(), which dhcpc calls with what a DHCP server leased.
// ARP lives in arp.c, sockets in sock.c, and all header parsing and
// checksums in netparse.c.
//
// Receive: the driver hands each frame to net_rx(), which classifies it
// with np_parse() and sends it to exactly one place: arp_rx() (which
// counts ARP not for us as drop_arp), an echo
// reply, a socket (sockrecvudp, sockrecvicmp), or a drop counter. So
//   rx_frames == arp_rx + icmp_rx + udp_rx + every drop_* counter
// once no frame is in flight (user/netstat.c checks it).
//
// Send, one way down: net_tx_udp() and net_tx_icmp() prepend the IP (and
// UDP) headers and pass the packet to arp_output() (arp.c), which resolves
// the next hop, adds the Ethernet header and hands the frame to the driver
// (arp_xmit). Echo replies, rewritten in place, go to arp_xmit directly.

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/defs.h"
#include "kernel/netdefs.h"
#include "kernel/netparse.h"
#include "kernel/netif.h"

struct netstat netstats;

static uint32 ip_id;      // next IPv4 identification (low 16 bits); atomic

// The interface's configuration. netif.lock serializes ifset() and
// ifget(); the packet paths read single fields with atomic loads instead
// (net_addr(), net_nexthop()), so a packet sent while ifset() runs may
// see part of the old and part of the new configuration, never a torn
// field.
static struct {
  struct spinlock lock;
  struct ifinfo cur;      // mac unused here: e1000_mac is the one copy
} netif;

// Called once at boot, after mbuf_init() and before the driver starts
// delivering frames.
void
net_init(void)
{
  initlock(&netif.lock, "netif");
  netif.cur.source = IF_STATIC;
  netif.cur.addr = IF_BOOT_ADDR;
  netif.cur.netmask = IF_BOOT_NETMASK;
  netif.cur.gateway = IF_BOOT_GATEWAY;
  netif.cur.dns = IF_BOOT_DNS;
  arp_init();
  tcpsock_init();
}

// Our IPv4 address now; 0 while we have none (dhcpc asking).
uint32
net_addr(void)
{
  return __atomic_load_n(&netif.cur.addr, __ATOMIC_RELAXED);
}

// Our netmask now (meaningless while net_addr() is 0).
static uint32
net_mask(void)
{
  return __atomic_load_n(&netif.cur.netmask, __ATOMIC_RELAXED);
}

static uint
uptime_s(void)
{
  return __atomic_load_n(&ticks, __ATOMIC_RELAXED) / (1000 / TICK_MS);
}

// Copy the interface's configuration to *ifi (mac included).
void
net_ifget(struct ifinfo *ifi)
{
  acquire(&netif.lock);
  *ifi = netif.cur;
  release(&netif.lock);
  memmove(ifi->mac, e1000_mac, 6);
}

// Is m a netmask: ones, then zeros?
static int
contiguous(uint32 m)
{
  return (~m & (~m + 1)) == 0;
}

// Set the configuration from *ifi (its mac and since are ignored).
// An address that changed, and is not 0, is announced with a gratuitous
// ARP. Returns 0, or -1 for an unknown source or a bad netmask (nothing
// changes then). Caller holds no locks.
int
net_ifset(struct ifinfo *ifi)
{
  uint32 old;

  if(ifi->source > IF_STATIC || !contiguous(ifi->netmask))
    return -1;
  if(ifi->source == IF_UNSET && ifi->addr != 0)
    return -1;
  acquire(&netif.lock);
  old = netif.cur.addr;
  netif.cur.source = ifi->source;
  netif.cur.netmask = ifi->netmask;
  netif.cur.gateway = ifi->gateway;
  netif.cur.dns = ifi->dns;
  netif.cur.server = ifi->server;
  netif.cur.lease = ifi->lease;
  netif.cur.since = uptime_s();
  __atomic_store_n(&netif.cur.addr, ifi->addr, __ATOMIC_RELAXED);
  release(&netif.lock);
  if(ifi->addr != 0 && ifi->addr != old)
    arp_announce(ifi->addr);
  return 0;
}

// Count a frame that np_parse() rejected with verdict v.
static void
count_drop(int v)
{
  switch(v){
  case NP_DROP_ETH:       NETSTAT_INC(drop_eth); break;
  case NP_DROP_ARP:       NETSTAT_INC(drop_arp); break;
  case NP_DROP_IP_HDR:    NETSTAT_INC(drop_ip_hdr); break;
  case NP_DROP_IP_SRC:    NETSTAT_INC(drop_ip_src); break;
  case NP_DROP_IP_CKSUM:  NETSTAT_INC(drop_ip_cksum); break;
  case NP_DROP_IP_LEN:    NETSTAT_INC(drop_ip_len); break;
  case NP_DROP_IP_FRAG:   NETSTAT_INC(drop_ip_frag); break;
  case NP_DROP_IP_PROTO:  NETSTAT_INC(drop_ip_proto); break;
  case NP_DROP_ICMP:      NETSTAT_INC(drop_icmp); break;
  case NP_DROP_UDP_LEN:   NETSTAT_INC(drop_udp_len); break;
  case NP_DROP_UDP_CKSUM: NETSTAT_INC(drop_udp_cksum); break;
  default:                panic("count_drop");
  }
}

// Answer the echo request in m by rewriting it in place. Consumes m.
static void
icmp_echo(struct mbuf *m, struct np_info *pi)
{
  NETSTAT_INC(icmp_rx);
  m->len = np_icmp_reply((uint8 *)m->head, e1000_mac, pi); // no padding
  if(arp_xmit(m) == 0)
    NETSTAT_INC(icmp_tx);
}

// Hand the echo reply in m to the ping socket it answers. Consumes m.
static void
icmp_reply(struct mbuf *m, struct np_info *pi)
{
  mbufpull(m, pi->off);                   // keep only the ICMP message
  m->len = pi->len;
  sockrecvicmp(m, pi->sip, pi->sport);
}

// Handle one received Ethernet frame (m->head is the Ethernet header).
// Always consumes m: it is answered, queued on a socket, or counted as a
// drop and freed. Called by the driver with no locks held, from an
// interrupt handler or the net thread; may transmit (ARP and echo
// replies).
void
net_rx(struct mbuf *m)
{
  struct np_info pi;
  uint32 me = net_addr();
  int v;

  netstage_mark(m, NS_RX_DRIVER);
  v = np_parse((uint8 *)m->head, m->len, e1000_mac, me, net_mask(), &pi);
  switch(v){
  case NP_ARP_REQUEST:
  case NP_ARP_REPLY:
  case NP_ARP_OTHER:
    arp_rx(m, v, pi.sip, pi.sha, me);
    break;
  case NP_ICMP_ECHO:
    icmp_echo(m, &pi);
    break;
  case NP_ICMP_REPLY:
    icmp_reply(m, &pi);
    break;
  case NP_TCP:
    mbufpull(m, pi.off);                  // keep only the TCP segment
    m->len = pi.len;
    tcpsock_rx(m, pi.sip, pi.dip);
    break;
  case NP_UDP:
    mbufpull(m, pi.off);                  // keep only the payload
    m->len = pi.len;
    sockrecvudp(m, pi.sip, pi.sport, pi.dport);
    break;
  default:
    count_drop(v);
    mbuffree(m);
  }
}

// Prepend UDP and IPv4 headers from sip:sport to dip:dport to the UDP
// payload in m (m->head is its first byte, with IP_HLEN + UDP_HLEN bytes
// of headroom; m->len <= UDP_MAXDATA). The stack's one UDP builder: the
// ceiling benchmark (netceil.c) uses it too.
void
net_put_udp(struct mbuf *m, uint32 sip, uint32 dip, uint16 sport, uint16 dport)
{
  uint len = m->len;
  uint16 id = __atomic_fetch_add(&ip_id, 1, __ATOMIC_RELAXED);

  if(len > UDP_MAXDATA)
    panic("net_put_udp: too long");
  np_put_udp((uint8 *)mbufpush(m, UDP_HLEN), sip, dip, sport, dport, len);
  np_put_ip((uint8 *)mbufpush(m, IP_HLEN), sip, dip, IPPROTO_UDP, id,
            UDP_HLEN + len);
}

// Send the UDP payload in m (m->head is its first byte, with at least
// ETH_HLEN + IP_HLEN + UDP_HLEN bytes of headroom; m->len <= UDP_MAXDATA)
// from our port sport to dip:dport. Always consumes m. Returns 0 if the
// datagram went to the driver or waits for ARP, -1 if it was dropped
// (and counted). Caller holds no locks.
int
net_tx_udp(struct mbuf *m, uint32 dip, uint16 sport, uint16 dport)
{
  uint32 sip = net_addr();

  net_put_udp(m, sip, dip, sport, dport);
  NETSTAT_INC(udp_tx);
  return arp_output(m, sip, net_nexthop(dip));
}

// Send the IPv4 payload of protocol proto in m (m->head is its first
// byte, complete with its checksum, with ETH_HLEN + IP_HLEN bytes of
// headroom) to dip: the IP header, then the neighbour (arp.c). Consumes m;
// returns as net_tx_udp. Caller holds no locks.
static int
ip_output(struct mbuf *m, uint32 dip, int proto)
{
  uint16 id = __atomic_fetch_add(&ip_id, 1, __ATOMIC_RELAXED);
  uint len = m->len;      // before mbufpush() adds the IP header to it
  uint32 sip = net_addr();

  np_put_ip((uint8 *)mbufpush(m, IP_HLEN), sip, dip, proto, id, len);
  return arp_output(m, sip, net_nexthop(dip));
}

// Send the ICMP message in m to dip, as ip_output.
int
net_tx_icmp(struct mbuf *m, uint32 dip)
{
  NETSTAT_INC(icmp_tx);
  return ip_output(m, dip, IPPROTO_ICMP);
}

// Send the TCP segment in m (tcpsock.c built it, checksum included) to
// dip, as ip_output.
int
net_tx_tcp(struct mbuf *m, uint32 dip)
{
  return ip_output(m, dip, IPPROTO_TCP);
}

// The neighbour a packet to dip is handed to: dip itself on our subnet
// (and for broadcast), else the gateway (0 if there is none: arp_output
// then drops the packet).
uint32
net_nexthop(uint32 dip)
{
  uint32 addr = net_addr();
  uint32 mask = net_mask();

  if(dip == IP_BROADCAST || (dip & mask) == (addr & mask))
    return dip;
  return __atomic_load_n(&netif.cur.gateway, __ATOMIC_RELAXED);
}

// Timer work, called every tick from the timer interrupt (no locks
// held): expire unanswered ARP requests, wake socket readers waiting
// with a timeout.
void
net_tick(void)
{
  arp_tick();
  sock_tick();
  tcp_timer();
}
