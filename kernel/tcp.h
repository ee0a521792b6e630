// TCP's protocol logic as a pure state machine (RFC 9293; RTO per RFC
// 6298; congestion control per RFC 5681 with NewReno, RFC 6582; delayed
// ACKs and silly-window avoidance per RFC 1122 4.2.3).
//
// One struct tcb per connection, owned by the caller. Inputs: a received
// segment (tcp_input), the clock (tcp_tick) and the application's calls
// (tcp_open, tcp_listen, tcp_send, tcp_recv, tcp_shutdown, tcp_close,
// tcp_abort). Each takes `now` (milliseconds since boot) and fills a
// struct tcp_out afresh: segments to send, events for the application,
// counters to bump. No locks, no sleeping, no allocation, no clock or randomness
// of its own: the caller (the kernel glue, or a host test) holds whatever
// lock guards the tcb, calls in, then carries out what tcp_out says.
// tcp_deadline() says when tcp_tick must next run.
//
// Needs kernel/types.h included first. Addresses and ports are the
// caller's business (it finds the tcb for a segment); the core sees only
// sequence space.

#include "kernel/netparse.h"

enum tcp_state {
  TCP_CLOSED, TCP_LISTEN, TCP_SYN_SENT, TCP_SYN_RCVD, TCP_ESTABLISHED,
  TCP_FIN_WAIT_1, TCP_FIN_WAIT_2, TCP_CLOSE_WAIT, TCP_CLOSING,
  TCP_LAST_ACK, TCP_TIME_WAIT,
  TCP_NSTATES
};

// Tunables, copied into the tcb by tcp_init (tcp_defaults fills them).
struct tcp_params {
  uint mss;          // our MSS: the largest segment we send or accept
  uint msl;          // maximum segment lifetime; TIME-WAIT lasts 2*msl
  uint rto_init;     // RTO before any RTT sample (RFC 6298 2.1: 1 s)
  uint rto_min;      // lower bound of the RTO (RFC 6298 2.4: 1 s)
  uint rto_max;      // upper bound, backoff included (>= 60 s)
  uint max_retries;  // timeouts in a row before giving up (data, FIN)
  uint syn_retries;  // the same for our SYN (active open)
  uint synack_retries; // the same for a SYN-ACK to a passive open's peer
  uint delack;       // delayed-ACK timer (RFC 1122: <= 500 ms)
  uint pto_min;      // floor of the loss-probe timeout (tcp.c loss_probe)
  uint fin2;         // FIN-WAIT-2 after tcp_close: give up after this
};

// A segment: received (tcp_input: data points at its len payload bytes)
// or to send (tcp_out: data is 0 and the len payload bytes are the send
// buffer's at seq; tcp_payload copies them out).
struct tcp_seg {
  uint32 seq, ack;
  uint8 flags;        // TCP_SYN, TCP_ACK, ... (kernel/netparse.h)
  uint16 wnd;
  uint16 mss;         // MSS option: 0 none
  uint8 sackok;       // SACK-permitted option (RFC 2018; on a SYN)
  uint8 nsack;        // SACK blocks (only sent: received ones are ignored)
  uint32 sack[TCP_SACK_MAX][2];
  const uint8 *data;
  uint len;
};

// Events for the application (bits of tcp_out.events).
#define TCP_EV_CONNECTED  0x01  // reached ESTABLISHED
#define TCP_EV_READABLE   0x02  // new in-order data to read
#define TCP_EV_WRITABLE   0x04  // send buffer space freed
#define TCP_EV_PEER_FIN   0x08  // the peer closed its side: reads end at EOF
#define TCP_EV_RESET      0x10  // the peer reset the connection (err set)
#define TCP_EV_TIMEOUT    0x20  // retransmissions gave up (err set)
#define TCP_EV_CLOSED     0x40  // reached CLOSED: the tcb may be reused

// tcb.err: why the connection ended abnormally.
#define TCP_ERR_RESET     1     // RST received (in SYN-SENT: refused)
#define TCP_ERR_TIMEOUT   2
#define TCP_ERR_ABORTED   3     // tcp_abort, or tcp_close with unread data

// Counters the caller bumps (tcp_out.count[TCP_C_*] times each).
enum {
  TCP_C_SEG_OUT,      // segments sent
  TCP_C_RTX,          // segments retransmitted (timeout, fast or probe)
  TCP_C_TIMEOUT,      // retransmission timer expiries
  TCP_C_FASTRTX,      // fast retransmits (3 duplicate ACKs)
  TCP_C_DUPACK,       // duplicate ACKs received
  TCP_C_PROBE,        // zero-window probes sent
  TCP_C_RST_IN,       // resets that ended a connection
  TCP_C_RST_OUT,      // resets sent
  TCP_C_CHALLENGE,    // challenge ACKs sent (RFC 5961)
  TCP_C_DROP_SEQ,     // segment outside the receive window
  TCP_C_DROP_ACK,     // ACK of data never sent, or no ACK bit
  TCP_C_DROP_STATE,   // nothing the state accepts (e.g. data in LISTEN)
  TCP_C_OOO,          // out-of-order segments kept
  TCP_C_OOO_DROP,     // out-of-order segments dropped: no range left
  TCP_C_GIVEUP,       // connections that timed out
  TCP_C_LOSSPROBE,    // loss probes sent: the ACK clock stopped
  TCP_C_ACK_LIMITED,  // ACKs to out-of-window or challenged segments not sent: rate limit
  TCP_C_N
};

#define TCP_OUT_MAX 8           // segments one call may emit
#define TCP_OOO_MAX 4           // out-of-order ranges kept

struct tcp_out {
  int nseg;
  struct tcp_seg seg[TCP_OUT_MAX];
  uint events;
  uint16 count[TCP_C_N];
};

struct tcb {
  enum tcp_state state;
  struct tcp_params p;
  int err;               // TCP_ERR_*: 0 while all is well
  uint8 nodelay;         // 1: Nagle off
  uint8 fin_queued;      // the application shut down sending
  uint8 fin_rcvd;        // the peer's FIN is in: EOF after rlen bytes
  uint8 app_closed;      // tcp_close called: no reads, data is reset
  uint8 passive;         // opened from LISTEN (tcp_listen)

  // Send side (RFC 9293 3.3.1). The send buffer holds the bytes from
  // sbufseq (the first unacknowledged data byte) on: slen bytes at
  // sbuf[shead..] in a ring of ssize. Our FIN, once queued, is the
  // sequence number sbufseq + slen.
  uint32 iss, snd_una, snd_nxt, snd_max; // snd_max: highest sent + 1
  uint32 snd_wnd, snd_wl1, snd_wl2, max_sndwnd;
  uint32 sbufseq;
  uint8 *sbuf;
  uint ssize, shead, slen;
  uint smss;             // effective send MSS: min(peer's option, p.mss)

  // Receive side. rlen in-order bytes wait at rbuf[rhead..] (a ring of
  // rsize); out-of-order bytes sit where they will belong, ranges in ooo.
  uint32 irs, rcv_nxt, rcv_adv;          // rcv_adv: right edge advertised
  uint8 *rbuf;
  uint rsize, rhead, rlen;
  struct { uint32 start, end; } ooo[TCP_OOO_MAX];
  int nooo;
  uint8 ack_now;         // an ACK must go out before this call returns
  uint8 delack_segs;     // in-order segments not yet acknowledged
  uint8 oow_acks;        // ACKs owed only to bad segments since oow_start (tcp.c oow_ack)
  uint64 oow_start;

  // RTT estimation and retransmission (RFC 6298). srtt8 and rttvar8 are
  // in 1/8 ms. One segment is timed at a time (rtt_seq), never a
  // retransmitted one (Karn).
  uint32 srtt8, rttvar8, rto;
  uint backoff, retries;
  uint8 rtt_active;      // rtt_seq is being timed
  uint8 rtt_valid;       // srtt8/rttvar8 hold a sample
  uint8 synrtx;          // our SYN was retransmitted: cwnd starts at 1
  uint32 rtt_seq;
  uint64 rtt_start;

  // Congestion control (RFC 5681, RFC 6582).
  uint32 cwnd, ssthresh, recover;
  uint dupacks;
  uint8 in_recovery;
  uint8 limited;         // RFC 3042: segments the 1st/2nd dupack lets out
  uint8 probed;          // a loss probe went since snd_una last moved
  uint8 sack_ok;         // the peer's SYN offered SACK: our ACKs carry blocks

  // Timers: absolute times in ms, 0 when off.
  uint64 t_rtx;          // retransmission
  uint64 t_persist;      // zero-window probe / SWS override
  uint64 t_delack;
  uint64 t_wait;         // TIME-WAIT, or FIN-WAIT-2 after close
  uint64 t_probe;        // loss probe (tcp.c loss_probe)

  uint32 nrtx;           // retransmissions (for netstat)
};

extern const char *tcp_state_names[TCP_NSTATES];

void   tcp_defaults(struct tcp_params *p);
void   tcp_init(struct tcb *t, const struct tcp_params *p, uint8 *sbuf,
                uint ssize, uint8 *rbuf, uint rsize);
uint32 tcp_iss(uint64 now, uint32 laddr, uint16 lport, uint32 raddr,
               uint16 rport, const uint32 key[4]);
int    tcp_open(struct tcb *t, uint64 now, uint32 iss, struct tcp_out *out);
int    tcp_listen(struct tcb *t, uint32 iss);
void   tcp_input(struct tcb *t, uint64 now, const struct tcp_seg *seg,
                 struct tcp_out *out);
void   tcp_tick(struct tcb *t, uint64 now, struct tcp_out *out);
uint64 tcp_deadline(const struct tcb *t);
int    tcp_send(struct tcb *t, uint64 now, const uint8 *src, uint n,
                struct tcp_out *out);
int    tcp_recv(struct tcb *t, uint64 now, uint8 *dst, uint n,
                struct tcp_out *out);
int    tcp_shutdown(struct tcb *t, uint64 now, struct tcp_out *out);
void   tcp_close(struct tcb *t, uint64 now, struct tcp_out *out);
void   tcp_abort(struct tcb *t, uint64 now, struct tcp_out *out);
void   tcp_payload(const struct tcb *t, const struct tcp_seg *s, uint8 *dst);
int    tcp_reset_for(const struct tcp_seg *in, struct tcp_seg *rst);

// tcp_recv's results besides a byte count.
#define TCP_EOF    0     // the peer closed and everything was read
#define TCP_AGAIN  (-2)  // nothing to read yet
