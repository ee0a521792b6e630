// The socket layer's user-visible definitions: socket options, the batched
// datagram calls' message, and what socklist() reports. Shared by the
// kernel (kernel/sock.c) and user programs; include kernel/types.h first.

#ifndef XV6_SOCKET_H
#define XV6_SOCKET_H

// sockopt(fd, opt, val) options.
#define SO_RCVTIMEO   1   // receive timeout in ms; 0 = block forever
#define SO_BUSY_POLL  2   // a blocking read polls the RX ring itself for up to val us
                          // before it sleeps (as Linux's SO_BUSY_POLL); 0 = off

#define TCP_NODELAY   3   // TCP: 1 = send at once (Nagle off), 0 = Nagle on (the default)
#define TCP_MAXRTX    4   // TCP: retransmission timeouts in a row (data, FIN) before the
                          // connection gives up (RFC 1122 4.2.3.5's R2, per connection);
                          // 1..TCP_MAXRTX_MAX, default 8 (about 4 minutes)
#define SO_ERROR      5   // TCP: val ignored; returns the connection's error, SOERR_*

#define TCP_MAXRTX_MAX 16
#define SOERR_NONE    0   // none (a read's -1 was SO_RCVTIMEO or a kill)
#define SOERR_RESET   1   // the peer reset the connection (or refused it)
#define SOERR_TIMEOUT 2   // retransmissions gave up (TCP_MAXRTX)
#define SOERR_ABORTED 3   // the connection was aborted here

#define SO_MAXTIMEO   3600000   // largest SO_RCVTIMEO: one hour
#define SO_MAXBUSY    1000000   // largest SO_BUSY_POLL: one second

// One datagram of sendmsgs()/recvmsgs().
struct udpmsg {
  char *buf;       // the payload
  uint32 len;      // send: its length; recv: in, the size of buf; out, bytes stored
  uint32 addr;     // recv: the sender's IPv4 address (host byte order)
  uint16 port;     // recv: the sender's port
  uint16 flags;    // recv: UDPMSG_* bits; send: ignored
};

// recvmsgs() flags: the datagram was longer than buf and was cut to len
// bytes, the rest discarded (as Linux's MSG_TRUNC). read() and recv() cut
// the same way without saying so; netstat counts every cut (rx_trunc).
#define UDPMSG_TRUNC 0x1

#define UDP_BATCH_MAX 64   // most datagrams one sendmsgs()/recvmsgs() call handles

// Queue limits: a connect() socket holds SOCK_RXQMAX datagrams; a port
// bound with bind() holds BIND_RXQMAX (MIT's 2024 net lab's 16). Datagrams
// beyond them are dropped and counted (netstat drop_udp_qfull, and the
// socket's own drops in socklist()).
#define SOCK_RXQMAX 64
#define BIND_RXQMAX 16

// Ports bound with bind() at once, all processes together (a bound port
// outlives the process that bound it, until unbind()). One more bind()
// returns -1 and counts in netstat bind_full.
#define NBIND 64

// One socket, as socklist() reports it.
struct sockinfo {
  uint32 raddr;    // remote address, 0 = any
  uint16 lport;
  uint16 rport;    // remote port, 0 = any
  uint32 bound;    // 1: made by bind(), 0: by connect() or icmpconnect()
  uint32 qlen;     // datagrams waiting now
  uint32 qmax;
  uint32 proto;    // IPPROTO_UDP, or IPPROTO_ICMP (lport: the echo identifier)
  uint64 rx;       // datagrams queued on it since it was made
  uint64 drops;    // datagrams dropped because its queue was full
  uint64 wakeups;  // times a reader asleep on it was woken (a datagram, a
                   // close, a kill, or the timer for a receive timeout)
};

// What netceiling() measured (the device path alone, udpbench ceiling).
struct ceiling {
  uint64 frames;     // TX: frames the driver took; RX: frames counted at the driver
  uint64 first_ns;   // time (ns since boot) of the first and the last of them
  uint64 last_ns;
};

#define CEIL_TX 0
#define CEIL_RX 1
#define CEIL_MAXN 10000000   // most frames one netceiling() call moves

// One TCP listener or connection, as tcplist() reports it (`netstat`,
// httpd's /netstat page): like Linux's `ss -ti`.
struct tcpinfo {
  char state[16];    // "LISTEN", "SYN-RECEIVED", ... (kernel/tcp.c's names, the longest 12)
  uint32 laddr, raddr;
  uint16 lport, rport;
  uint32 cwnd, ssthresh;   // bytes
  uint32 srtt_us;    // smoothed RTT; 0 before the first sample
  uint32 rto_ms;
  uint32 nrtx;       // segments retransmitted
  uint32 sndq, rcvq; // bytes in the send and receive buffers
  uint32 mss;        // effective send MSS
  uint16 backlog, pending;  // a listener's
  uint32 orphan;     // closed by the program, still in the table (FIN-WAIT, TIME-WAIT)
};
#define TCPINFO_MAX 48   // listeners + connections the kernel holds at most

// tcpctl(op, val): a parameter every new TCP connection gets (kernel/tcp.h
// struct tcp_params). val 0 only reads it. Returns the old value, or -1
// for an unknown op or a value out of its range.
#define TCPCTL_MSL            1  // maximum segment lifetime, ms (TIME-WAIT is 2 MSL): 10..120000
#define TCPCTL_RETRIES        2  // R2: timeouts in a row before data gives up (MUST-21): 1..30
#define TCPCTL_SYN_RETRIES    3  // the same for our SYN (active open): 1..30
#define TCPCTL_SYNACK_RETRIES 4  // the same for a SYN-ACK (passive open): 1..30
#define TCPCTL_RTO            5  // initial and least RTO, ms (RFC 6298: 1000): 100..60000

#endif
