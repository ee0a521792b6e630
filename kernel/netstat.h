// Network counters, shared by the kernel and user programs (netstat()).
//
// NETSTAT_COUNTERS is the one list of counters. Each line is
//   X(name, group, rx, "what it counts")
// name:  the field of struct netstat (the kernel bumps netstats.name);
// group: where it is counted, a heading in netstat's output;
// rx:    1 if it is a received frame's outcome. Every frame the driver
//        hands up (rx_frames) ends in exactly one rx counter: handled by
//        ARP or ICMP, delivered to a socket, one drop counter, or counted
//        and freed by the ceiling benchmark (rx_sink). netstat_accounted()
//        sums them.
// The same lines give netstat's names and order (user/netstat.c), the
// gdb extension's view (kernel/gdb_net.py reads struct netstat) and the
// host tests' model (test/counters.py parses this list). A new drop
// reason is one line here plus the NETSTAT_INC where it happens.
// Every counter only grows; all are uint64.

#define NETSTAT_COUNTERS(X) \
  X(rx_frames,       driver, 0, "frames taken off the RX ring and handed to the stack") \
  X(rx_bytes,        driver, 0, "bytes of those frames") \
  X(tx_frames,       driver, 0, "frames put on the TX ring") \
  X(tx_bytes,        driver, 0, "bytes of those frames") \
  X(rx_drop_err,     driver, 0, "descriptor had error bits or no EOP: dropped in the driver") \
  X(rx_drop_nombuf,  driver, 0, "no mbuf to refill the ring: frame dropped, buffer reused") \
  X(rx_missed,       driver, 0, "device's MPC register: frames QEMU dropped for lack of descriptors") \
  X(tx_ring_full,    driver, 0, "a sender found the TX ring full and waited") \
  X(tx_reclaims,     driver, 0, "completed TX descriptors reclaimed") \
  X(intr,            driver, 0, "E1000 interrupts taken") \
  X(rx_drains,       driver, 0, "calls of the RX drain function") \
  X(rx_sink,         driver, 1, "frames the ceiling benchmark counted and freed at the driver") \
  X(intr_budget,     driver, 0, "interrupts that stopped at their budget with frames left") \
  X(mode_switches,   thread, 0, "netmode() calls that changed the mode") \
  X(poll_rounds,     thread, 0, "net thread polling rounds") \
  X(poll_empty,      thread, 0, "rounds that found nothing to do") \
  X(idle_spin,       thread, 0, "idle policy: entered spinning") \
  X(idle_yield,      thread, 0, "idle policy: entered yielding") \
  X(idle_sleep,      thread, 0, "idle policy: went to sleep until a tick/interrupt") \
  X(idle_naps,       thread, 0, "idle policy, several harts: waits in wfi between polls (NAP_NS at most)") \
  X(budget_yields,   thread, 0, "rounds that used the whole budget and yielded") \
  X(arp_rx,          stack,  1, "ARP frames handled (request answered or reply learned)") \
  X(arp_tx,          stack,  0, "ARP requests and replies sent") \
  X(icmp_rx,         stack,  1, "echo requests answered, echo replies queued on a ping socket") \
  X(icmp_tx,         stack,  0, "echo replies and (ping sockets) echo requests sent") \
  X(udp_rx,          stack,  1, "datagrams delivered to a socket queue") \
  X(udp_tx,          stack,  0, "datagrams sent") \
  X(drop_eth,        stack,  1, "runt frame or unknown ethertype or not for us") \
  X(drop_arp,        stack,  1, "malformed or uninteresting ARP") \
  X(drop_ip_hdr,     stack,  1, "bad version, header length, options, TTL, not for us") \
  X(drop_ip_src,     stack,  1, "impossible source: broadcast, multicast, loopback, ours (RFC 1122 3.2.1.3)") \
  X(drop_ip_cksum,   stack,  1, "bad IPv4 header checksum") \
  X(drop_ip_len,     stack,  1, "total length disagrees with the frame") \
  X(drop_ip_frag,    stack,  1, "fragments (not reassembled)") \
  X(drop_ip_proto,   stack,  1, "protocol other than ICMP/UDP/TCP") \
  X(drop_icmp,       stack,  1, "malformed or unhandled ICMP, echo replies no socket takes") \
  X(drop_udp_len,    stack,  1, "UDP length field wrong") \
  X(drop_udp_cksum,  stack,  1, "bad UDP checksum") \
  X(drop_udp_noport, stack,  1, "no socket for the datagram") \
  X(drop_udp_qfull,  stack,  1, "socket receive queue full, or mbuf pool low (sock.c)") \
  X(tcp_rx,          tcp,    1, "segments handed to a connection's state machine") \
  X(drop_tcp_hdr,    tcp,    1, "TCP header short, data offset wrong (or to a broadcast)") \
  X(drop_tcp_cksum,  tcp,    1, "bad TCP checksum") \
  X(drop_tcp_opt,    tcp,    1, "option length byte < 2 or past the header") \
  X(drop_tcp_noport, tcp,    1, "no connection or listener: answered with a RST (unless a RST)") \
  X(drop_tcp_synq,   tcp,    1, "SYN to a listener whose backlog, all listeners' (half the table) or the table is full") \
  X(tcp_tx,          tcp,    0, "segments sent") \
  X(tcp_rtx,         tcp,    0, "segments retransmitted (timeout, fast retransmit, probe)") \
  X(tcp_timeouts,    tcp,    0, "retransmission timer expiries") \
  X(tcp_fastrtx,     tcp,    0, "fast retransmits (3 duplicate ACKs)") \
  X(tcp_dupacks,     tcp,    0, "duplicate ACKs received") \
  X(tcp_probes,      tcp,    0, "zero-window probes sent") \
  X(tcp_rst_in,      tcp,    0, "resets that ended a connection") \
  X(tcp_rst_out,     tcp,    0, "resets sent") \
  X(tcp_challenge,   tcp,    0, "challenge ACKs sent (RFC 5961)") \
  X(tcp_drop_seq,    tcp,    0, "segments outside the receive window (ACKed, data dropped)") \
  X(tcp_drop_ack,    tcp,    0, "ACK of data never sent, or no ACK bit") \
  X(tcp_drop_state,  tcp,    0, "segments the connection's state does not accept") \
  X(tcp_ooo,         tcp,    0, "out-of-order segments kept") \
  X(tcp_ooo_drop,    tcp,    0, "out-of-order segments dropped: no range left") \
  X(tcp_giveup,      tcp,    0, "connections that timed out") \
  X(tcp_lossprobe,   tcp,    0, "loss probes: first unACKed segment resent, ACKs stopped") \
  X(tcp_ack_limited, tcp,    0, "ACKs not sent to bad segments without data: over 5/s per connection") \
  X(tx_drop_nombuf,  tx,     0, "no mbuf to build an outgoing frame (write returns -1)") \
  X(tx_drop_noarp,   tx,     0, "next hop never answered ARP: queued frame dropped") \
  X(arp_queued,      tx,     0, "frames held waiting for an ARP reply") \
  X(tx_drop_dev,     tx,     0, "the driver refused a frame (e1000_transmit returned -1)") \
  X(arp_full,        limits, 0, "neighbour cache full of entries in use: a new neighbour not cached") \
  X(bind_full,       limits, 0, "bind() refused: every bound-port slot taken") \
  X(rx_trunc,        limits, 0, "datagrams cut short on read: the reader's buffer was smaller") \
  X(harts,           harts,  0, "harts that entered the scheduler") \
  X(ipi_sent,        harts,  0, "supervisor software interrupts sent (any reason)") \
  X(wake_ipi,        harts,  0, "processes made runnable and handed to an idle hart by an IPI") \
  X(wake_here,       harts,  0, "... run by the waker's own hart, idle in its scheduler (no IPI)") \
  X(wake_noidle,     harts,  0, "... while no idle hart was left to wake: a busy hart takes them") \
  X(plic_spurious,   harts,  0, "PLIC claims that found nothing: another hart enabled for it claimed first")

// The groups, in netstat's order, with where each is counted.
#define NETSTAT_GROUPS(X) \
  X(driver, "driver (e1000.c)") \
  X(thread, "net thread (netthread.c)") \
  X(stack,  "stack (net.c, arp.c, sock.c): where received frames went") \
  X(tcp,    "TCP (tcpsock.c, tcp.c): received segments end in tcp_rx or a drop_tcp_*") \
  X(tx,     "transmit-side failures") \
  X(limits, "limits a program or a peer ran into (not frame drops)") \
  X(harts,  "harts (proc.c, plic.c; NOTES.md \"IPIs\")")

// State: what is true now, set rather than counted (netstat prints
// these as numbers; mode and kmap, printed by name, are outside the list).
#define NETSTAT_STATE(X) \
  X(last_rx_ns,  "time (ns since boot) of the last frame received") \
  X(last_poll_ns, "time of the last poll round") \
  X(mbufs_inuse, "mbufs allocated now") \
  X(mbufs_free,  "mbufs on the free list now")

#define NETSTAT_HIST 8   // frames-per-poll-round histogram buckets: 0,1,2-3,4-7,8-15,16-31,32-63,64+

#define NETSTAT_FIELD(name, ...) uint64 name;

struct netstat {
  // state, not counters
  uint64 mode;            // the driver's mode now: enum netmode (kernel/netmode.h)
  uint64 kmap;            // the kernel's mapping, built in: 0 split, 1 shared (KMAP)
  NETSTAT_STATE(NETSTAT_FIELD)

  // counters: each only grows
  NETSTAT_COUNTERS(NETSTAT_FIELD)
  // frames per net thread round: one growing counter per bucket, an
  // array, so it stays out of the scalar list (netstat prints it on one line)
  uint64 poll_hist[NETSTAT_HIST];
};

#define NETSTAT_RX_TERM(name, group, rx, desc) + (rx ? s->name : 0)

// Frames the stack handled or dropped: the sum of the rx counters. When
// every received frame is accounted for this equals rx_frames (netstat
// and nettests check it).
static inline uint64
netstat_accounted(struct netstat *s)
{
  return 0 NETSTAT_COUNTERS(NETSTAT_RX_TERM);
}
