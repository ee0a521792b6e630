// netstat: print the kernel's network counters (kernel/netstat.h), the
// driver mode, and whether every received frame is accounted for:
//   rx_frames == arp_rx + icmp_rx + udp_rx + all drop_* counters;
// then every socket with its queue and drop count (socklist()).

#include "kernel/types.h"
#include "kernel/netstat.h"
#include "kernel/netmode.h"
#include "kernel/socket.h"
#include "kernel/net.h"
#include "user/user.h"

#define MAXSOCKS 32

static struct netstat ns;

#define C(f) { #f, &ns.f }
static struct counter {
  char *name;
  uint64 *val;
} counters[] = {
  C(mode_switches), C(rx_frames), C(rx_bytes), C(tx_frames), C(tx_bytes),
  C(rx_drop_err), C(rx_drop_nombuf), C(rx_missed), C(tx_ring_full),
  C(tx_reclaims), C(intr), C(rx_drains), C(rx_sink), C(intr_budget),
  C(poll_rounds), C(poll_empty), C(idle_spin), C(idle_yield), C(idle_sleep),
  C(budget_yields), C(last_rx_ns), C(last_poll_ns),
  C(arp_rx), C(arp_tx), C(icmp_rx), C(icmp_tx), C(udp_rx), C(udp_tx),
  C(drop_eth), C(drop_arp), C(drop_ip_hdr), C(drop_ip_src), C(drop_ip_cksum), C(drop_ip_len),
  C(drop_ip_frag), C(drop_ip_proto), C(drop_icmp), C(drop_udp_len),
  C(drop_udp_cksum), C(drop_udp_noport), C(drop_udp_qfull),
  C(tx_drop_nombuf), C(tx_drop_noarp), C(arp_queued), C(tx_drop_dev),
  C(arp_full), C(bind_full), C(rx_trunc),
  C(tcp_rx), C(drop_tcp_hdr), C(drop_tcp_cksum), C(drop_tcp_opt), C(drop_tcp_noport),
  C(drop_tcp_synq), C(tcp_tx), C(tcp_rtx), C(tcp_timeouts), C(tcp_fastrtx), C(tcp_dupacks),
  C(tcp_probes), C(tcp_rst_in), C(tcp_rst_out), C(tcp_challenge), C(tcp_drop_seq),
  C(tcp_drop_ack), C(tcp_drop_state), C(tcp_ooo), C(tcp_ooo_drop), C(tcp_giveup),
  C(mbufs_inuse), C(mbufs_free),
};

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

// TCP listeners and connections, as Linux's `ss -ti` shows them.
static void
tcpconns(void)
{
  static struct tcpinfo ti[TCPINFO_MAX];
  char a[24], b[24];
  int n;

  if((n = tcplist(ti, TCPINFO_MAX)) < 0){
    fprintf(2, "netstat: tcplist() failed\n");
    exit(1);
  }
  printf("tcp: %d\n", n);
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

int
main(int argc, char *argv[])
{
  static struct sockinfo si[MAXSOCKS];
  uint64 acc;
  int n;

  if(netstat(&ns) < 0){
    fprintf(2, "netstat: netstat() failed\n");
    exit(1);
  }
  putname("mode");
  printf("%s\n", netmode_name(ns.mode));
  putname("kmap");
  printf("%s\n", ns.kmap ? "shared" : "split");
  for(int i = 0; i < sizeof(counters) / sizeof(counters[0]); i++){
    putname(counters[i].name);
    printf("%lu\n", *counters[i].val);
  }
  putname("poll_hist");
  for(int i = 0; i < NETSTAT_HIST; i++)
    printf("%lu ", ns.poll_hist[i]);
  printf("(0 1 2-3 4-7 8-15 16-31 32-63 64+)\n");

  acc = netstat_accounted(&ns);
  if(acc == ns.rx_frames)
    printf("rx accounting: OK (%lu frames)\n", ns.rx_frames);
  else
    printf("rx accounting: MISMATCH rx_frames %lu, accounted %lu\n",
           ns.rx_frames, acc);

  if((n = socklist(si, MAXSOCKS)) < 0){
    fprintf(2, "netstat: socklist() failed\n");
    exit(1);
  }
  printf("sockets: %d\n", n);
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
  tcpconns();
  exit(0);
}
