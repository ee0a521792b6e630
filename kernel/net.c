// The network stack: Ethernet, IPv4, ICMP echo and UDP, for one
// interface on QEMU's slirp network (we are 10.0.2.15, the host is
// 10.0.2.2). ARP lives in arp.c, sockets in sock.c, and all header
// parsing and checksums in netparse.c.
//
// Receive: the driver hands each frame to net_rx(), which classifies it
// with np_parse() and sends it to exactly one place: arp_rx(), an echo
// reply, a socket (sockrecvudp), or a drop counter. So
//   rx_frames == arp_rx + icmp_rx + udp_rx + every drop_* counter
// once no frame is in flight (user/netstat.c checks it).
//
// Send: net_tx_udp() prepends UDP and IP headers and passes the packet to
// arp_output(), which adds the Ethernet header and calls net_xmit().

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/defs.h"
#include "kernel/netdefs.h"
#include "kernel/netparse.h"

struct netstat netstats;

static uint32 ip_id;      // next IPv4 identification (low 16 bits); atomic

// Called once at boot, after mbuf_init() and before the driver starts
// delivering frames.
void
net_init(void)
{
  arp_init();
}

// Count a frame that np_parse() rejected with verdict v.
static void
count_drop(int v)
{
  switch(v){
  case NP_DROP_ETH:       NETSTAT_INC(drop_eth); break;
  case NP_DROP_ARP:       NETSTAT_INC(drop_arp); break;
  case NP_DROP_IP_HDR:    NETSTAT_INC(drop_ip_hdr); break;
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
  if(net_xmit(m) == 0)
    NETSTAT_INC(icmp_tx);
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
  int v;

  v = np_parse((uint8 *)m->head, m->len, e1000_mac, NET_IP_LOCAL, &pi);
  switch(v){
  case NP_ARP_REQUEST:
  case NP_ARP_REPLY:
    arp_rx(m, v == NP_ARP_REQUEST, pi.sip, pi.sha);
    break;
  case NP_ICMP_ECHO:
    icmp_echo(m, &pi);
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

// Send the UDP payload in m (m->head is its first byte, with at least
// ETH_HLEN + IP_HLEN + UDP_HLEN bytes of headroom; m->len <= UDP_MAXDATA)
// from our port sport to dip:dport. Always consumes m. Returns 0 if the
// datagram went to the driver or waits for ARP, -1 if it was dropped
// (and counted). Caller holds no locks.
int
net_tx_udp(struct mbuf *m, uint32 dip, uint16 sport, uint16 dport)
{
  uint len = m->len;
  uint16 id;

  if(len > UDP_MAXDATA)
    panic("net_tx_udp: too long");
  np_put_udp((uint8 *)mbufpush(m, UDP_HLEN), NET_IP_LOCAL, dip, sport, dport, len);
  id = __atomic_fetch_add(&ip_id, 1, __ATOMIC_RELAXED);
  np_put_ip((uint8 *)mbufpush(m, IP_HLEN), NET_IP_LOCAL, dip, IPPROTO_UDP, id,
            UDP_HLEN + len);
  NETSTAT_INC(udp_tx);
  return arp_output(m, net_nexthop(dip));
}

// The neighbour a packet to dip is handed to: dip itself on our /24 (and
// for broadcast), else slirp's gateway.
uint32
net_nexthop(uint32 dip)
{
  if(dip != IP_BROADCAST && (dip & 0xffffff00) != (NET_IP_LOCAL & 0xffffff00))
    return NET_IP_GATEWAY;
  return dip;
}

// Hand the complete Ethernet frame in m to the driver, padding it to the
// minimum frame length. Always consumes m: if the driver refuses it, it
// is freed and counted (tx_drop_dev) and -1 returned; else 0. Caller
// must hold no locks (the driver may take its own).
int
net_xmit(struct mbuf *m)
{
  uint pad = m->len < ETH_MINLEN ? ETH_MINLEN - m->len : 0;

  if(pad)
    memset(mbufput(m, pad), 0, pad);
  if(e1000_transmit(m) < 0){
    NETSTAT_INC(tx_drop_dev);
    mbuffree(m);
    return -1;
  }
  return 0;
}

// Timer work, called every tick from the timer interrupt (no locks
// held): expire unanswered ARP requests, wake socket readers waiting
// with a timeout.
void
net_tick(void)
{
  arp_tick();
  sock_tick();
}
