// The ceiling benchmark: what the device path alone can move, without the
// stack, sockets or a reader, so that udpbench can show every throughput
// as a share of it (as Linux's pktgen does for transmit).
//
// TX: one UDP frame is built once, then the kernel hands n copies of it
// straight to e1000_transmit. RX: the driver counts and frees the IPv4
// frames it takes off the ring (e1000_rx_sink, netceil_sinks) while this
// polls the ring through e1000_rx_drain, the usual receive path; frames
// still cross the ring, the refill and the RDT store, nothing else.
//
// One run at a time, whichever direction: a second netceiling() while
// one runs returns -1 (it would share, and could end, the first's sink).

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/defs.h"
#include "kernel/netdefs.h"
#include "kernel/netparse.h"
#include "kernel/socket.h"
#include "user/dhcpmsg.h"

#define CEIL_WAIT_NS  2000000000ULL  // RX: give up if nothing arrives this long
#define CEIL_IDLE_NS  300000000ULL   // RX: done after this long without a frame

static int ceil_busy;   // a netceiling() call is running (atomic)

// Build in m a complete frame carrying size bytes of UDP payload from
// our port sport to dip:dport, with the stack's own builders (net_put_udp,
// arp_put_eth). Returns 0, or -1 if the next hop's Ethernet address is not
// in the ARP cache yet (send it one datagram first).
static int
build_frame(struct mbuf *m, uint32 dip, uint16 sport, uint16 dport, int size)
{
  uint8 mac[6];

  if(arp_lookup(net_nexthop(dip), mac) < 0)
    return -1;
  memset(mbufput(m, size), 'C', size);
  net_put_udp(m, net_addr(), dip, sport, dport);
  arp_put_eth(m, mac, ETHTYPE_IP);
  return 0;
}

// Transmit n copies of one frame to dip:dport. Fills *r; returns 0, or -1
// (bad size or n, no mbuf, next hop unknown).
static int
ceil_tx(uint32 dip, uint16 dport, int size, int n, struct ceiling *r)
{
  struct mbuf *tmpl, *m;

  if(size < 0 || size > UDP_MAXDATA || dport == 0)
    return -1;
  if((tmpl = mbufalloc(MBUF_HEADROOM)) == 0)
    return -1;
  if(build_frame(tmpl, dip, 2000, dport, size) < 0){
    mbuffree(tmpl);
    return -1;
  }
  r->first_ns = time_ns();
  for(r->frames = 0; r->frames < n && !killed(myproc()); ){
    if((m = mbufalloc(0)) == 0)
      break;
    memmove(mbufput(m, tmpl->len), tmpl->head, tmpl->len);
    if(e1000_transmit(m) < 0){
      mbuffree(m);
      break;
    }
    r->frames++;
  }
  r->last_ns = time_ns();
  mbuffree(tmpl);
  return 0;
}

// Count frames at the driver until n arrived, CEIL_IDLE_NS passed without
// one, or none came for CEIL_WAIT_NS. Fills *r; returns 0.
static void
ceil_rx(int n, struct ceiling *r)
{
  uint64 base, seen, now, since;

  e1000_rx_sink(1);
  base = seen = __atomic_load_n(&netstats.rx_sink, __ATOMIC_RELAXED);
  r->first_ns = r->last_ns = 0;
  since = time_ns();
  while(seen - base < n && !killed(myproc())){
    netpoll(64);   // in intr and hybrid mode the interrupt path may drain too
    now = time_ns();
    if(__atomic_load_n(&netstats.rx_sink, __ATOMIC_RELAXED) != seen){
      seen = __atomic_load_n(&netstats.rx_sink, __ATOMIC_RELAXED);
      if(r->first_ns == 0)
        r->first_ns = now;
      r->last_ns = now;
    } else if(now - (r->last_ns ? r->last_ns : since) >
              (r->last_ns ? CEIL_IDLE_NS : CEIL_WAIT_NS)){
      break;
    }
  }
  e1000_rx_sink(0);
  r->frames = seen - base;
}

// While the RX ceiling runs, does the driver count and free frame m (1),
// or hand it up as usual (0)? Only IPv4 is counted and freed, except UDP
// to the DHCP client's port: ARP still goes up, so the guest keeps
// answering its neighbours (slirp drops what it cannot resolve), and so do
// DHCP replies, so a lease renewal during a long run completes. Reads m
// only; the RX drain calls it for each frame while the sink is on.
int
netceil_sinks(struct mbuf *m)
{
  uint8 *f = (uint8 *)m->head, *ip = f + ETH_HLEN;
  uint ihl;

  if(m->len < ETH_HLEN || np_get16(f + ETH_F_TYPE) != ETHTYPE_IP)
    return 0;
  if(m->len < ETH_HLEN + IP_HLEN || ip[IP_F_PROTO] != IPPROTO_UDP)
    return 1;
  ihl = (ip[IP_F_VHL] & 0xf) * 4;
  if(ihl < IP_HLEN || m->len < ETH_HLEN + ihl + UDP_HLEN)
    return 1;
  return np_get16(ip + ihl + UDP_F_DPORT) != DHCP_CLIENT_PORT;
}

// Run one direction of the ceiling benchmark into *r. Returns 0 or -1.
static int
ceil_run(int dir, int n, int size, uint32 dst, uint16 dport, struct ceiling *r)
{
  if(dir == CEIL_TX)
    return ceil_tx(dst, dport, size, n, r);
  if(dir == CEIL_RX){
    ceil_rx(n, r);
    return 0;
  }
  return -1;
}

// netceiling(dir, n, size, dst, dport, res): run one direction of the
// ceiling benchmark and copy a struct ceiling to the user address res.
// Returns 0, or -1 on a bad argument or copy, or while another call runs.
// Process context, no locks.
int
netceiling(int dir, int n, int size, uint32 dst, uint16 dport, uint64 res)
{
  struct ceiling r;
  int ret = -1;

  if(n < 1 || n > CEIL_MAXN)
    return -1;
  if(__atomic_exchange_n(&ceil_busy, 1, __ATOMIC_ACQUIRE))
    return -1;
  memset(&r, 0, sizeof(r));
  if(ceil_run(dir, n, size, dst, dport, &r) == 0)
    ret = copyout(myproc()->pagetable, res, (char *)&r, sizeof(r));
  __atomic_store_n(&ceil_busy, 0, __ATOMIC_RELEASE);
  return ret;
}
