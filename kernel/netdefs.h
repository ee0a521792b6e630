// The kernel's network interfaces, as kernel/defs.h is for the rest of the
// kernel: mbufs, the driver, the net thread, the stack and the socket layer.
// Kernel code only; user programs include kernel/net.h (protocol headers),
// kernel/netstat.h (counters) and kernel/netmode.h (modes). NOTES.md, "Where
// the network code lives", maps these declarations to files.
//
// Exactly two calls cross the driver/stack boundary:
//   e1000_transmit(m)  going down: on 0 the driver owns m, on -1 the caller keeps it.
//   net_rx(m)          going up: always consumes m (delivers or drops and frees it).

#include "kernel/netstat.h"
#include "kernel/netmode.h"
#include "kernel/netstage.h"

struct file;
struct ifinfo;
struct arpinfo;

#define MBUF_SIZE     2048   // whole buffer: headroom + the largest frame
#define MBUF_HEADROOM  128   // room to prepend Ethernet/IP/UDP headers on send
#define NMBUF          1024  // mbufs in the pool (allocated from pages at boot)

// A datagram's stamps on its way through the stages (kernel/netstage.h):
// the low 32 bits of the time CSR and of instret at each stamp, so a
// stage must last under 2^31 ticks (214 s) and, for its instret, under
// 2^32 counts (about 4 s under -icount, 1.4 s of host TSC without). 48 bytes.
#define NETSTAMP_N 5         // stamps of a received datagram (a sent one takes 4)
struct netstamp {
  uint32 t[NETSTAMP_N];
  uint32 i[NETSTAMP_N];
  uint8 dir;           // 0 none, 1 received, 2 sent: which stamps it takes
  uint8 mode;          // the driver's mode at the first stamp
  uint8 n;             // stamps taken
};

struct mbuf {
  struct mbuf *next;   // link in an mbuf queue or the free list
  char *head;          // first byte of the data
  uint len;            // bytes of data from head
  uint32 raddr;        // on a socket queue: the datagram's sender
  uint16 rport;
  struct netstamp st;  // netstage.c's, from mbufalloc (dir 0) on
  char buf[MBUF_SIZE];
};

// A FIFO of mbufs.
struct mbufq {
  struct mbuf *head;
  struct mbuf *tail;
  int len;
};

// mbuf.c
void        mbuf_init(void);
struct mbuf *mbufalloc(uint headroom);  // 0 when the pool is empty
void        mbuffree(struct mbuf *m);
char        *mbufpull(struct mbuf *m, uint len); // strip len bytes from the front; 0 if too short
char        *mbufpush(struct mbuf *m, uint len); // prepend len bytes; returns new head
char        *mbufput(struct mbuf *m, uint len);  // append len bytes; returns start of them
void        mbufq_init(struct mbufq *q);
void        mbufq_push(struct mbufq *q, struct mbuf *m);
struct mbuf *mbufq_pop(struct mbufq *q);   // 0 when empty
int         mbufq_empty(struct mbufq *q);
void        mbufq_concat(struct mbufq *to, struct mbufq *from); // from's mbufs to to's tail; from empty

// e1000.c: the driver
extern uint8 e1000_mac[6];         // our Ethernet address, read from the device
void e1000_init(uint32 *regs);
int  e1000_transmit(struct mbuf *m);
int  e1000_rx_drain(int budget);   // hand up to budget frames to net_rx; returns descriptors consumed
void e1000_intr(void);
int  e1000_rx_pending(void);       // a frame waits on the RX ring (lock-free peek at RAM)
void e1000_tx_reclaim(void);       // free mbufs of sent frames
int  e1000_mode(void);             // the mode the driver runs in now
void e1000_setmode(int mode);      // interrupt mask for mode (netmode_set's part)
void e1000_intr_mask(void);        // hybrid: IMC all, while the net thread polls
void e1000_rx_sink(int on);        // ceiling benchmark: count and free received frames
void e1000_intr_unmask(void);      // clear ICR, IMS unless in poll mode; then re-check e1000_rx_pending()

// netthread.c: the net thread (poll and hybrid modes) and the mode switch
void netthread_start(void);
void netthread_kick(void);         // wake the thread: hybrid interrupt or mode switch
int  netpoll(int budget);          // one polling round: drain RX, reclaim TX; frames taken
int  netmode_set(int mode);        // switch modes at run time; returns the old mode

// net.c: the stack
extern struct netstat netstats;
#define NETSTAT_ADD(field, n) __atomic_fetch_add(&netstats.field, (n), __ATOMIC_RELAXED)
#define NETSTAT_INC(field)    NETSTAT_ADD(field, 1)
void net_init(void);
void net_rx(struct mbuf *m);
int  net_tx_udp(struct mbuf *m, uint32 dip, uint16 sport, uint16 dport);
void net_put_udp(struct mbuf *m, uint32 sip, uint32 dip, uint16 sport, uint16 dport);
int  net_tx_icmp(struct mbuf *m, uint32 dip);  // m: an ICMP message, checksum set
int  net_tx_tcp(struct mbuf *m, uint32 dip);   // m: a TCP segment, checksum set (tcpsock.c)
uint32 net_addr(void);            // our IPv4 address, 0 if none (kernel/netif.h)
void net_ifget(struct ifinfo *ifi);
int  net_ifset(struct ifinfo *ifi);
uint32 net_nexthop(uint32 dip);   // the neighbour a packet to dip goes to
void net_tick(void);              // from the timer interrupt, every tick

// arp.c: the neighbour cache's shell (rules: neigh.c) and the bottom of
// the send path: net.c -> arp_output -> arp_xmit -> e1000_transmit.
void arp_init(void);
void arp_rx(struct mbuf *m, int kind, uint32 sip, uint8 *sha, uint32 myip);
int  arp_output(struct mbuf *m, uint32 sip, uint32 nexthop);
void arp_put_eth(struct mbuf *m, const uint8 *dst, uint16 type); // header + padding
int  arp_xmit(struct mbuf *m);            // hand a frame to the driver; consumes m
int  arp_lookup(uint32 ip, uint8 *mac);   // 0 and mac if known, else -1
void arp_announce(uint32 ip);             // gratuitous ARP for our new address
int  arp_list(uint64 uinfo, int n);       // arplist(): copy out struct arpinfo
int  arp_ctl(int op, int arg);            // arpctl(): flush, lifetime
void arp_tick(void);

// netceil.c: the ceiling benchmark (the device path alone)
int  netceiling(int dir, int n, int size, uint32 dst, uint16 dport, uint64 res);
int  netceil_sinks(struct mbuf *m);   // RX ceiling: count and free m (1) or hand it up (0)

// netstage.c: where the time goes (kernel/netstage.h). Stamps in m->st;
// any context, no locks taken, never sleeps. While stamping is off
// (netstages -off) the begin calls stamp nothing, so the marks cost a test.
struct proc;
void netstage_syscall(struct proc *p);        // syscall(): a system call entered
void netstage_rx_begin(struct mbuf *m, int mode); // driver: DD seen on m's descriptor
void netstage_tx_begin(struct mbuf *m);       // socket layer: m is this system call's datagram
void netstage_stamp(struct mbuf *m, int stage); // netstage_mark's last stage, or a stage out of turn
int  netstage_get(uint64 uaddr, int flags);   // netstages(): copy out, reset, measure, switch

// m finished stage (enum netstage, not a *_TOTAL); the last stage of its
// direction counts it. Inline, and stage is a constant at every call: an
// unstamped m costs one test, a stage in turn before the last a few
// stores (kernel/riscv.h must come first, as for the rest of this file).
static inline void
netstage_mark(struct mbuf *m, int stage)
{
  struct netstamp *s = &m->st;
  int rx = stage <= NS_RX_LAST;
  int k = stage - (rx ? NS_RX_FIRST : NS_TX_FIRST) + 1;   // this stamp's index

  if(s->dir == 0)
    return;
  if(s->dir != (rx ? 1 : 2) || s->n != k || stage == (rx ? NS_RX_LAST : NS_TX_LAST)){
    netstage_stamp(m, stage);
    return;
  }
  s->t[k] = r_time();
  s->i[k] = r_instret();
  s->n = k + 1;
}

// sock.c, sockwait.c, sockfd.c, sockport.c: UDP and ICMP sockets (the
// socket layer; kernel/sockint.h says which file does what). Files
// (connect()) and bound ports (bind()) are two ways to own the same
// struct sock.
struct sock;
void sockinit(void);
int  sockalloc(struct file **f, uint32 raddr, uint16 lport, uint16 rport);
void sockclose(struct sock *so);
int  sockread(struct sock *so, uint64 addr, int n);
int  sockwrite(struct sock *so, uint64 addr, int n);
int  sockrecvmsgs(struct sock *so, uint64 umsgs, int n);
int  socksendmsgs(struct sock *so, uint64 umsgs, int n);
int  socksetopt(struct sock *so, int opt, int val);
int  sockbind(uint16 port);
int  sockunbind(uint16 port);
int  sockrecvport(uint16 port, uint64 addr, int n, uint64 usrc, uint64 usport);
int  socksendto(uint16 lport, uint32 raddr, uint16 rport, uint64 addr, int n);
int  socklist(uint64 uinfo, int n);
void sockrecvudp(struct mbuf *m, uint32 sip, uint16 sport, uint16 dport);
int  sockallocicmp(struct file **f, uint32 raddr);  // icmpconnect()
void sockrecvicmp(struct mbuf *m, uint32 sip, uint16 id);
void sock_tick(void);             // wake readers waiting with a timeout

// tcpsock.c: TCP sockets, the shell around tcp.c's state machine
struct tcpconn;
struct tcplisten;
void tcpsock_init(void);
void tcpsock_rx(struct mbuf *m, uint32 sip, uint32 dip);  // m: the TCP segment; consumes m
void tcp_timer(void);             // from net_tick: TCP's timers
struct tcpconn *tcpsock_connect(uint32 raddr, uint16 rport);
struct tcplisten *tcpsock_listen(uint16 port, int backlog);
struct tcpconn *tcpsock_accept(struct tcplisten *l, uint32 *raddr, uint16 *rport);
void tcpsock_lclose(struct tcplisten *l);
void tcpsock_close(struct tcpconn *c);
int  tcpsock_read(struct tcpconn *c, uint64 addr, int n);
int  tcpsock_write(struct tcpconn *c, uint64 addr, int n);
int  tcpsock_shutdown(struct tcpconn *c);
int  tcpsock_setopt(struct tcpconn *c, int opt, int val);
int  tcpsock_list(uint64 uinfo, int n);
int  tcpsock_ctl(int op, int val);  // tcpctl()
