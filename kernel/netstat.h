// Network counters, shared by the kernel and user programs (netstat()).
//
// Every frame the driver hands up (rx_frames) ends in exactly one place:
// handled by ARP or ICMP, delivered to a socket, one drop counter, or
// counted and freed by the ceiling benchmark (rx_sink).
// Every counter only grows; all are uint64.

#define NETSTAT_HIST 8   // frames-per-poll-round histogram buckets: 0,1,2-3,4-7,8-15,16-31,32-63,64+

struct netstat {
  uint64 mode;            // the driver's mode now: enum netmode (kernel/netmode.h)
  uint64 mode_switches;   // netmode() calls that changed the mode
  uint64 kmap;            // the kernel's mapping, built in: 0 split, 1 shared (KMAP)

  // driver (e1000.c)
  uint64 rx_frames;       // frames taken off the RX ring and handed to the stack
  uint64 rx_bytes;
  uint64 tx_frames;       // frames put on the TX ring
  uint64 tx_bytes;
  uint64 rx_drop_err;     // descriptor had error bits or no EOP: dropped in the driver
  uint64 rx_drop_nombuf;  // no mbuf to refill the ring: frame dropped, buffer reused
  uint64 rx_missed;       // device's MPC register: frames QEMU dropped for lack of descriptors
  uint64 tx_ring_full;    // a sender found the TX ring full and waited
  uint64 tx_reclaims;     // completed TX descriptors reclaimed
  uint64 intr;            // E1000 interrupts taken
  uint64 rx_drains;       // calls of the RX drain function
  uint64 rx_sink;         // frames the ceiling benchmark counted and freed at the driver
  uint64 intr_budget;     // interrupts that stopped at their budget with frames left on the ring

  // net thread (netthread.c)
  uint64 poll_rounds;     // net thread polling rounds
  uint64 poll_empty;      // rounds that found nothing to do
  uint64 poll_hist[NETSTAT_HIST]; // frames per round
  uint64 idle_spin;       // idle policy: entered spinning
  uint64 idle_yield;      // idle policy: entered yielding
  uint64 idle_sleep;      // idle policy: went to sleep until a tick/interrupt
  uint64 budget_yields;   // rounds that used the whole budget and yielded
  uint64 last_rx_ns;      // time (ns since boot) of the last frame received
  uint64 last_poll_ns;    // time of the last poll round

  // stack (net.c): where received frames went
  uint64 arp_rx;          // ARP frames handled (request answered or reply learned)
  uint64 arp_tx;
  uint64 icmp_rx;         // echo requests answered, echo replies queued on a ping socket
  uint64 icmp_tx;         // echo replies and (ping sockets) echo requests sent
  uint64 udp_rx;          // datagrams delivered to a socket queue
  uint64 udp_tx;          // datagrams sent
  uint64 drop_eth;        // runt frame or unknown ethertype or not for us
  uint64 drop_arp;        // malformed or uninteresting ARP
  uint64 drop_ip_hdr;     // bad version, header length, options, TTL, not for us
  uint64 drop_ip_src;     // impossible source: broadcast, multicast, loopback, ours (RFC 1122 3.2.1.3)
  uint64 drop_ip_cksum;   // bad IPv4 header checksum
  uint64 drop_ip_len;     // total length disagrees with the frame
  uint64 drop_ip_frag;    // fragments (not reassembled)
  uint64 drop_ip_proto;   // protocol other than ICMP/UDP
  uint64 drop_icmp;       // malformed or unhandled ICMP, echo replies no socket takes
  uint64 drop_udp_len;    // UDP length field wrong
  uint64 drop_udp_cksum;  // bad UDP checksum
  uint64 drop_udp_noport; // no socket for the datagram
  uint64 drop_udp_qfull;  // socket receive queue full, or mbuf pool low (sock.c)
  // TCP (tcpsock.c, tcp.c): received segments end in tcp_rx or a drop_tcp_*
  uint64 tcp_rx;          // segments handed to a connection's state machine
  uint64 drop_tcp_hdr;    // TCP header short, data offset wrong (or to a broadcast)
  uint64 drop_tcp_cksum;  // bad TCP checksum
  uint64 drop_tcp_opt;    // option length byte < 2 or past the header
  uint64 drop_tcp_noport; // no connection or listener: answered with a RST (unless a RST)
  uint64 drop_tcp_synq;   // SYN to a listener whose backlog (or the table) is full
  uint64 tcp_tx;          // segments sent
  uint64 tcp_rtx;         // segments retransmitted (timeout, fast retransmit, probe)
  uint64 tcp_timeouts;    // retransmission timer expiries
  uint64 tcp_fastrtx;     // fast retransmits (3 duplicate ACKs)
  uint64 tcp_dupacks;     // duplicate ACKs received
  uint64 tcp_probes;      // zero-window probes sent
  uint64 tcp_rst_in;      // resets that ended a connection
  uint64 tcp_rst_out;     // resets sent
  uint64 tcp_challenge;   // challenge ACKs sent (RFC 5961)
  uint64 tcp_drop_seq;    // segments outside the receive window (ACKed, data dropped)
  uint64 tcp_drop_ack;    // ACK of data never sent, or no ACK bit
  uint64 tcp_drop_state;  // segments the connection's state does not accept
  uint64 tcp_ooo;         // out-of-order segments kept
  uint64 tcp_ooo_drop;    // out-of-order segments dropped: no range left
  uint64 tcp_giveup;      // connections that timed out

  // transmit-side failures
  uint64 tx_drop_nombuf;  // no mbuf to build an outgoing frame (write returns -1)
  uint64 tx_drop_noarp;   // next hop never answered ARP: queued frame dropped
  uint64 arp_queued;      // frames held waiting for an ARP reply
  uint64 tx_drop_dev;     // the driver refused a frame (e1000_transmit returned -1)

  // limits a program or a peer ran into (not frame drops)
  uint64 arp_full;        // neighbour cache full of entries in use: a new neighbour not cached
  uint64 bind_full;       // bind() refused: every bound-port slot taken
  uint64 rx_trunc;        // datagrams cut short on read: the reader's buffer was smaller

  // mbufs
  uint64 mbufs_inuse;     // allocated now
  uint64 mbufs_free;      // on the free list now
};

// Frames the stack handled or dropped. When every received frame is
// accounted for this equals rx_frames (netstat and nettests check it).
static inline uint64
netstat_accounted(struct netstat *s)
{
  return s->rx_sink + s->arp_rx + s->icmp_rx + s->udp_rx +
    s->drop_eth + s->drop_arp + s->drop_ip_hdr + s->drop_ip_src + s->drop_ip_cksum +
    s->drop_ip_len + s->drop_ip_frag + s->drop_ip_proto + s->drop_icmp +
    s->drop_udp_len + s->drop_udp_cksum + s->drop_udp_noport +
    s->drop_udp_qfull + s->tcp_rx + s->drop_tcp_hdr + s->drop_tcp_cksum +
    s->drop_tcp_opt + s->drop_tcp_noport + s->drop_tcp_synq;
}
