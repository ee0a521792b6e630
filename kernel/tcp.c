// TCP's state machine (RFC 9293 3.10, "Event Processing"), with RTO per
// RFC 6298, congestion control per RFC 5681 and RFC 6582 (NewReno), a
// loss probe after RFC 8985's TLP, SACK blocks sent as a receiver (RFC
// 2018), delayed ACKs, Nagle and silly-window avoidance per RFC 1122
// 4.2.3 and RST/SYN handling per RFC 5961. See tcp.h for the shape: a pure function
// of the tcb, the input and `now`; what to do comes back in a tcp_out.
// NOTES.md "TCP" lists what is and is not implemented.

#include "kernel/types.h"
#include "kernel/tcp.h"

const char *tcp_state_names[TCP_NSTATES] = {
  "CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED",
  "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK",
  "TIME-WAIT",
};

#define CWND_MAX (1U << 30)
#define BACKOFF_MAX 16
#define PEER_DELACK 200   // the longest a peer may delay an ACK (RFC 8985 7.2)
#define OOW_ACKS 5        // ACKs a connection sends per OOW_MS only because a
#define OOW_MS   1000     // segment was bad (oow_ack)

// Sequence-space comparisons, modulo 2^32 (RFC 9293 3.4).
static int seq_lt(uint32 a, uint32 b) { return (int)(a - b) < 0; }
static int seq_le(uint32 a, uint32 b) { return (int)(a - b) <= 0; }
static int seq_gt(uint32 a, uint32 b) { return (int)(a - b) > 0; }
static int seq_ge(uint32 a, uint32 b) { return (int)(a - b) >= 0; }
static uint umin(uint a, uint b) { return a < b ? a : b; }
static uint umax(uint a, uint b) { return a > b ? a : b; }

static void
zero(void *p, uint n)
{
  uint8 *b = p;

  while(n--)
    *b++ = 0;
}

void
tcp_defaults(struct tcp_params *p)
{
  p->mss = 1460;
  p->msl = 30000;
  p->rto_init = 1000;
  p->rto_min = 1000;
  p->rto_max = 60000;
  p->max_retries = 8;
  p->syn_retries = 7;                 // 1+2+...+60+60 s: >= 3 min (MUST-23)
  p->synack_retries = 5;              // 1+2+...+32 s: 63 s (RFC 4987 3.2)
  p->delack = 200;
  p->pto_min = 50;                    // > a tick or two of ACKs unread (NOTES.md)
  p->fin2 = 60000;
}

// Make t a CLOSED tcb with parameters p and the caller's buffers (the
// caller keeps owning them; they must outlive t). A tcb serves one
// connection: tcp_init it again before the next.
void
tcp_init(struct tcb *t, const struct tcp_params *p, uint8 *sbuf,
         uint ssize, uint8 *rbuf, uint rsize)
{
  zero(t, sizeof(*t));
  t->state = TCP_CLOSED;
  t->p = *p;
  t->sbuf = sbuf;
  t->ssize = ssize;
  t->rbuf = rbuf;
  t->rsize = rsize;
  t->smss = TCP_MSS_DEFAULT;
  t->rto = p->rto_init;
  t->ssthresh = CWND_MAX;
}

// A 32-bit keyed mix (the finaliser of a well-known non-cryptographic
// hash): enough to make ISNs of different 4-tuples unrelated to someone
// without the key; not a PRF.
static uint32
mix(uint32 h, uint32 v)
{
  h ^= v;
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}

// Initial sequence number for a connection (RFC 9293 3.4.1, RFC 6528):
// a clock ticking every 4 us plus a keyed function of the 4-tuple. key is
// a secret the caller picks once (at boot, from whatever entropy it has).
uint32
tcp_iss(uint64 now, uint32 laddr, uint16 lport, uint32 raddr,
        uint16 rport, const uint32 key[4])
{
  uint32 h = key[0];

  h = mix(h, laddr ^ key[1]);
  h = mix(h, raddr ^ key[2]);
  h = mix(h, ((uint32)lport << 16 | rport) ^ key[3]);
  return (uint32)(now * 250) + h;
}

// ---- small helpers ----------------------------------------------------

static uint32
cur_rto(const struct tcb *t)
{
  uint64 r = (uint64)t->rto << t->backoff;

  return r > t->p.rto_max ? t->p.rto_max : r;
}

static int
synchronized(enum tcp_state s)
{
  return s >= TCP_SYN_RCVD;
}

// States in which data (and our FIN) may still be sent.
static int
can_send(enum tcp_state s)
{
  return s == TCP_ESTABLISHED || s == TCP_CLOSE_WAIT || s == TCP_FIN_WAIT_1 ||
         s == TCP_CLOSING || s == TCP_LAST_ACK;
}

static uint32
data_end(const struct tcb *t)
{
  return t->sbufseq + t->slen;
}

static int
fin_acked(const struct tcb *t)
{
  return t->fin_queued && t->snd_una == data_end(t) + 1;
}

static void
to_closed(struct tcb *t, struct tcp_out *out)
{
  t->state = TCP_CLOSED;
  t->t_rtx = t->t_persist = t->t_delack = t->t_wait = t->t_probe = 0;
  t->ack_now = 0;
  out->events |= TCP_EV_CLOSED;
}

static void
to_time_wait(struct tcb *t, uint64 now)
{
  t->state = TCP_TIME_WAIT;
  t->t_rtx = t->t_persist = t->t_probe = 0;
  t->t_wait = now + 2 * (uint64)t->p.msl;
}

// The window to advertise now: the free receive buffer (at most 65535,
// no window scaling), except that the right edge moves only by at least
// min(rsize/2, MSS) at a time (receiver SWS avoidance, RFC 1122 4.2.3.3)
// and never moves left (RFC 9293 3.8.6.2.2).
static uint
rcv_wnd_calc(const struct tcb *t)
{
  uint free = t->rsize - t->rlen, cur = 0;

  if(free > 65535)
    free = 65535;
  if(seq_gt(t->rcv_adv, t->rcv_nxt))
    cur = t->rcv_adv - t->rcv_nxt;
  if(cur > free)
    return free;
  if(free - cur >= umin(t->rsize / 2, t->p.mss))
    return free;
  return cur;
}

// SACK blocks for a pure ACK (RFC 2018 4): the out-of-order ranges held,
// the one holding the latest segment first (ooo_add appends it). They let
// a sender that has SACK (Linux) tell a lost retransmission or tail from
// a late one, without waiting for its RTO. On a pure ACK only, so a full
// segment never outgrows the MSS.
static void
sack_fill(const struct tcb *t, struct tcp_seg *s)
{
  for(int i = t->nooo - 1; i >= 0 && s->nsack < TCP_SACK_MAX; i--){
    s->sack[s->nsack][0] = t->ooo[i].start;
    s->sack[s->nsack][1] = t->ooo[i].end;
    s->nsack++;
  }
}

// Append a segment to out: seq, flags, len bytes of the send buffer.
// Fills in ACK and window; a segment carrying ACK satisfies any pending
// or delayed ACK. Returns 0 (and changes nothing) if out is full.
static struct tcp_seg *
emit(struct tcb *t, struct tcp_out *out, uint32 seq, uint8 flags, uint len)
{
  struct tcp_seg *s;

  if(out->nseg >= TCP_OUT_MAX)
    return 0;
  s = &out->seg[out->nseg++];
  zero(s, sizeof(*s));
  s->seq = seq;
  s->flags = flags;
  s->len = len;
  if(flags & TCP_ACK){
    s->ack = t->rcv_nxt;
    t->ack_now = 0;
    t->delack_segs = 0;
    t->t_delack = 0;
  }
  if(!(flags & TCP_RST)){
    s->wnd = rcv_wnd_calc(t);
    t->rcv_adv = t->rcv_nxt + s->wnd;
  }
  if(flags == TCP_ACK && len == 0 && t->sack_ok)
    sack_fill(t, s);
  out->count[TCP_C_SEG_OUT]++;
  return s;
}

// The reset answering segment in (RFC 9293 3.10.7.1), for a port with no
// connection or a segment no state accepts. Returns 0 if in is itself a
// reset (never answered), else 1 with *rst filled.
int
tcp_reset_for(const struct tcp_seg *in, struct tcp_seg *rst)
{
  if(in->flags & TCP_RST)
    return 0;
  zero(rst, sizeof(*rst));
  if(in->flags & TCP_ACK){
    rst->seq = in->ack;
    rst->flags = TCP_RST;
  } else {
    rst->ack = in->seq + in->len + !!(in->flags & TCP_SYN) + !!(in->flags & TCP_FIN);
    rst->flags = TCP_RST | TCP_ACK;
  }
  return 1;
}

static void
reply_rst(const struct tcp_seg *in, struct tcp_out *out)
{
  if(out->nseg < TCP_OUT_MAX && tcp_reset_for(in, &out->seg[out->nseg])){
    out->nseg++;
    out->count[TCP_C_SEG_OUT]++;
    out->count[TCP_C_RST_OUT]++;
  }
}

// Copy segment s's payload (from tcp_out, before any further call on t)
// out of the send buffer into dst[0..s->len-1].
void
tcp_payload(const struct tcb *t, const struct tcp_seg *s, uint8 *dst)
{
  uint i = (t->shead + (s->seq - t->sbufseq)) % t->ssize;

  for(uint n = 0; n < s->len; n++){
    dst[n] = t->sbuf[i];
    if(++i == t->ssize)
      i = 0;
  }
}

// ---- sending ----------------------------------------------------------

static void
start_timing(struct tcb *t, uint64 now, uint32 seq)
{
  if(!t->rtt_active){
    t->rtt_active = 1;
    t->rtt_seq = seq;
    t->rtt_start = now;
  }
}

// Our SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED), with the MSS option.
static void
send_syn(struct tcb *t, uint64 now, struct tcp_out *out)
{
  uint8 flags = TCP_SYN | (t->state == TCP_SYN_RCVD ? TCP_ACK : 0);
  struct tcp_seg *s = emit(t, out, t->iss, flags, 0);

  if(s == 0)
    return;
  s->mss = t->p.mss;
  s->sackok = t->state == TCP_SYN_SENT || t->sack_ok;
  if(seq_lt(t->iss, t->snd_max)){
    out->count[TCP_C_RTX]++;
    t->nrtx++;
  } else {
    start_timing(t, now, t->iss);
  }
  t->snd_nxt = t->snd_max = t->iss + 1;
  if(t->t_rtx == 0)
    t->t_rtx = now + cur_rto(t);
}

// May a new segment of len bytes go now, avail being queued? RFC 1122
// 4.2.3.4: a full segment; or all that is queued when nothing is
// unacknowledged (Nagle) or Nagle is off; or half the largest window the
// peer ever offered. (The override timeout is the persist timer.)
static int
sws_ok(const struct tcb *t, uint len, uint avail)
{
  if(len >= t->smss)
    return 1;
  if(len == avail && (t->nodelay || t->snd_max == t->snd_una))
    return 1;
  return t->max_sndwnd > 0 && len >= t->max_sndwnd / 2;
}

// Emit the segment at snd_nxt (data, FIN, or both) when the windows,
// Nagle and SWS allow. force: the persist timer fired, send regardless
// of SWS and Nagle, and probe a zero window with one byte. Returns 1 if
// another segment may follow.
static int
send_one(struct tcb *t, uint64 now, struct tcp_out *out, int force)
{
  uint32 seq = t->snd_nxt, end = data_end(t);
  uint avail, usable, len, wnd;
  int fin, rtx;
  struct tcp_seg *s;

  avail = seq_lt(seq, end) ? end - seq : 0;
  wnd = umin(t->snd_wnd, t->cwnd + t->limited * t->smss);
  usable = seq_lt(seq, t->snd_una + wnd) ? t->snd_una + wnd - seq : 0;
  if(force && usable == 0 && avail > 0)
    usable = 1;
  len = umin(umin(avail, usable), t->smss);
  fin = t->fin_queued && seq + len == end;
  rtx = seq_lt(seq, t->snd_max);
  if(len == 0 && !fin)
    return 0;
  if(!force && !rtx && !fin && !sws_ok(t, len, avail))
    return 0;
  s = emit(t, out, seq, TCP_ACK | (fin ? TCP_FIN : 0) | (len && seq + len == end ? TCP_PSH : 0), len);
  if(s == 0)
    return 0;
  if(rtx){
    out->count[TCP_C_RTX]++;
    t->nrtx++;
    if(t->rtt_active && seq_le(seq, t->rtt_seq))
      t->rtt_active = 0;            // Karn: its ACK would be ambiguous
  } else if(len) {
    start_timing(t, now, seq);
  }
  if(force && t->snd_wnd == 0)
    out->count[TCP_C_PROBE]++;
  t->snd_nxt = seq + len + fin;
  if(seq_gt(t->snd_nxt, t->snd_max))
    t->snd_max = t->snd_nxt;
  if(t->t_rtx == 0)
    t->t_rtx = now + cur_rto(t);    // RFC 6298 5.1
  return !fin;
}

// May a loss probe be due: data or a FIN outstanding under the
// retransmission timer, an open window, an RTT sample to scale the wait,
// and no probe yet since snd_una last moved?
static int
probe_ok(const struct tcb *t)
{
  return can_send(t->state) && t->snd_max != t->snd_una && t->snd_wnd != 0 &&
         t->rtt_valid && !t->probed && t->t_rtx != 0;
}

// The loss-probe timeout (RFC 8985 7.2's PTO): 2 SRTT, at least pto_min,
// plus the peer's longest delayed ACK when at most one segment is out
// (its ACK may wait for a second segment that never comes).
static uint64
pto(const struct tcb *t)
{
  uint64 d = umax(t->srtt8 / 4, t->p.pto_min);

  if(t->snd_max - t->snd_una <= t->smss)
    d += PEER_DELACK;
  return d;
}

// Arm or stop the timers that follow from the state after a call.
static void
arm_timers(struct tcb *t, uint64 now)
{
  uint32 end = data_end(t);

  if(t->snd_max == t->snd_una)
    t->t_rtx = 0;
  // Nothing in flight, data waiting, nothing sent: only a timer can
  // move it (zero window, or SWS holding back a small window).
  if(can_send(t->state) && t->snd_max == t->snd_una && seq_lt(t->snd_nxt, end)){
    if(t->t_persist == 0)
      t->t_persist = now + cur_rto(t);
  } else {
    t->t_persist = 0;
  }
  if(!probe_ok(t))
    t->t_probe = 0;
  else if(t->t_probe == 0)
    t->t_probe = now + pto(t);
  if(t->delack_segs == 0)
    t->t_delack = 0;
  else if(t->t_delack == 0)
    t->t_delack = now + t->p.delack;
  if(t->ack_now)
    t->t_delack = now;              // out was full: send it at the next tick
}

// Send what may be sent, then a pure ACK if one is owed and nothing
// carried it.
static void
output(struct tcb *t, uint64 now, struct tcp_out *out, int force)
{
  if(t->state == TCP_CLOSED || t->state == TCP_LISTEN){
    t->ack_now = 0;
    return;
  }
  if(t->state == TCP_SYN_SENT || t->state == TCP_SYN_RCVD){
    if(t->snd_nxt == t->iss)
      send_syn(t, now, out);
  } else if(can_send(t->state)){
    while(send_one(t, now, out, force))
      force = 0;
  }
  if(t->ack_now && synchronized(t->state))
    emit(t, out, t->snd_nxt, TCP_ACK, 0);
  arm_timers(t, now);
}

// Retransmit the first unacknowledged segment (fast retransmit, NewReno
// partial ACK), leaving snd_nxt where it is.
static void
retransmit_first(struct tcb *t, uint64 now, struct tcp_out *out)
{
  uint32 seq = t->snd_una, end = data_end(t);
  uint len = umin(seq_lt(seq, end) ? end - seq : 0, t->smss);
  int fin = t->fin_queued && seq + len == end && seq_lt(seq + len, t->snd_max);

  if(len == 0 && !fin)
    return;
  if(emit(t, out, seq, TCP_ACK | (fin ? TCP_FIN : 0), len) == 0)
    return;
  out->count[TCP_C_RTX]++;
  t->nrtx++;
  t->rtt_active = 0;
  if(t->t_rtx == 0)
    t->t_rtx = now + cur_rto(t);
}

// ---- acknowledgements, RTT and congestion control ----------------------

// A round-trip sample of r ms (RFC 6298 2.2, 2.3, with alpha 1/8 and
// beta 1/4, in 1/8 ms units; G is 1 ms).
static void
rtt_sample(struct tcb *t, uint32 r)
{
  uint32 r8 = r * 8, err, rto;

  if(!t->rtt_valid){
    t->srtt8 = r8;
    t->rttvar8 = r8 / 2;
    t->rtt_valid = 1;
  } else {
    err = t->srtt8 > r8 ? t->srtt8 - r8 : r8 - t->srtt8;
    t->rttvar8 = (3 * t->rttvar8 + err) / 4;
    t->srtt8 = (7 * t->srtt8 + r8) / 8;
  }
  rto = (t->srtt8 + umax(8, 4 * t->rttvar8) + 7) / 8;
  t->rto = umin(umax(rto, t->p.rto_min), t->p.rto_max);
  t->backoff = 0;
}

// snd_una moves to ack (snd_una < ack <= snd_max): take an RTT sample,
// free acknowledged bytes, restart or stop the retransmission timer.
static void
ack_advance(struct tcb *t, uint64 now, uint32 ack, struct tcp_out *out)
{
  uint n;

  if(t->rtt_active && seq_gt(ack, t->rtt_seq)){
    rtt_sample(t, now - t->rtt_start);
    t->rtt_active = 0;
  }
  if(seq_gt(ack, t->sbufseq)){
    n = umin(ack - t->sbufseq, t->slen);
    t->shead = (t->shead + n) % t->ssize;
    t->slen -= n;
    t->sbufseq += n;
    if(n)
      out->events |= TCP_EV_WRITABLE;
  }
  t->snd_una = ack;
  if(seq_lt(t->snd_nxt, ack))
    t->snd_nxt = ack;
  t->retries = 0;
  t->probed = 0;
  t->t_rtx = ack == t->snd_max ? 0 : now + cur_rto(t);   // RFC 6298 5.2, 5.3
}

// New data acknowledged (acked bytes up to ack): grow cwnd (RFC 5681
// 3.1) or, in fast recovery, handle a full or partial ACK (RFC 6582 3.2).
// Returns 1 for a partial ACK: the caller retransmits the next hole.
static int
cc_newack(struct tcb *t, uint32 acked, uint32 ack)
{
  uint32 flight;

  t->dupacks = 0;
  t->limited = 0;
  if(t->in_recovery){
    if(seq_ge(ack, t->recover)){
      flight = t->snd_max - ack;
      t->cwnd = umin(t->ssthresh, umax(flight, t->smss) + t->smss);
      t->in_recovery = 0;
      return 0;
    }
    t->cwnd = t->cwnd > acked ? t->cwnd - acked : 0;
    if(acked >= t->smss)
      t->cwnd += t->smss;
    t->cwnd = umax(t->cwnd, t->smss);
    return 1;
  }
  if(t->cwnd < t->ssthresh)
    t->cwnd += umin(acked, t->smss);
  else
    t->cwnd += umax(1, t->smss * t->smss / t->cwnd);
  t->cwnd = umin(t->cwnd, CWND_MAX);
  return 0;
}

// ssthresh after a loss (RFC 5681 equation 4): half the flight, at
// least two segments.
static uint32
loss_ssthresh(const struct tcb *t)
{
  return umax((t->snd_max - t->snd_una) / 2, 2 * t->smss);
}

// Fast recovery begins (RFC 5681 3.2 step 2, RFC 6582 3.2 step 2):
// halve the flight into ssthresh and remember where it ends. The caller
// retransmits and sets cwnd.
static void
enter_recovery(struct tcb *t)
{
  t->limited = 0;
  t->ssthresh = loss_ssthresh(t);
  t->recover = t->snd_max;
  t->in_recovery = 1;
}

// A duplicate ACK (RFC 5681 2): the first two may each let one new
// segment out (limited transmit, RFC 3042); the third starts fast
// retransmit and recovery unless it is below recover (RFC 6582 3.2 step
// 2); in recovery each one inflates cwnd. An ACK at recover exactly also
// starts one (RFC 6582 asks for "more than"): a recovery that ended at
// recover and then lost its first new segment looks like that, and would
// otherwise wait for the RTO; the price is a spurious fast retransmit when
// go-back-N after an RTO resends what the peer had (RFC 6582 4.1).
static void
cc_dupack(struct tcb *t, uint64 now, uint32 ack, struct tcp_out *out)
{
  out->count[TCP_C_DUPACK]++;
  t->dupacks++;
  if(t->in_recovery){
    t->cwnd = umin(t->cwnd + t->smss, CWND_MAX);
    return;
  }
  if(t->dupacks < 3)
    t->limited = t->dupacks;
  if(t->dupacks != 3 || !seq_ge(ack, t->recover))
    return;
  enter_recovery(t);
  retransmit_first(t, now, out);
  out->count[TCP_C_FASTRTX]++;
  t->cwnd = t->ssthresh + 3 * t->smss;
}

// The ACK clock stopped: data outstanding and no ACK, new or duplicate,
// for a PTO. The retransmission that started recovery, or the ACK that
// answered it, is likely lost (in a window-limited flight nothing else
// will draw an ACK), or the tail of a flight is. Resend the first
// unacknowledged segment: as we do not use the SACK blocks a peer sends,
// it is the only hole we can name, and a receiver that has it answers
// with its cumulative ACK (RFC 9293 3.10.7.4). RFC 8985 7.3 resends the
// last one instead, which needs SACK to tell what the probe repaired.
// Outside recovery the probe starts one, as three duplicate ACKs would
// (the loss is a congestion signal; cf. RFC 5827); inside it, cwnd stays. At most one probe per advance of
// snd_una; the retransmission timer restarts behind it (RFC 8985 7.3).
static void
loss_probe(struct tcb *t, uint64 now, struct tcp_out *out)
{
  t->probed = 1;
  if(!t->in_recovery){
    enter_recovery(t);
    t->cwnd = t->ssthresh;
  }
  retransmit_first(t, now, out);
  out->count[TCP_C_LOSSPROBE]++;
  t->t_rtx = now + cur_rto(t);
}

// The initial window of RFC 5681 3.1 (one segment if the SYN was lost,
// and then an RTO of 3 s until a sample: RFC 6298 5.7).
static void
established(struct tcb *t, struct tcp_out *out)
{
  if(t->synrtx){
    t->cwnd = t->smss;
    t->backoff = 0;
    if(!t->rtt_valid && t->rto < 3000)
      t->rto = umin(3000, t->p.rto_max);
  } else if(t->smss > 2190)
    t->cwnd = 2 * t->smss;
  else if(t->smss > 1095)
    t->cwnd = 3 * t->smss;
  else
    t->cwnd = 4 * t->smss;
  t->recover = t->snd_una;
  t->state = t->fin_queued ? TCP_FIN_WAIT_1 : TCP_ESTABLISHED;
  out->events |= TCP_EV_CONNECTED;
}

// What a SYN tells: the peer's ISN, MSS option and window.
static void
peer_syn(struct tcb *t, const struct tcp_seg *s)
{
  uint mss = s->mss ? s->mss : TCP_MSS_DEFAULT;

  t->irs = s->seq;
  t->rcv_nxt = t->rcv_adv = s->seq + 1;
  t->smss = umax(umin(mss, t->p.mss), 64);
  t->snd_wnd = t->max_sndwnd = s->wnd;
  t->snd_wl1 = s->seq;
  t->snd_wl2 = s->ack;
  t->sack_ok = s->sackok;
}

// The send window from an acceptable segment s (RFC 9293 3.10.7.4, step
// five: only from a segment newer than the last update). A zero window
// that opens means the peer dropped what went past it (a probe's
// byte): sending starts again from snd_una at once rather than leave a
// hole for the retransmission timer.
static void
update_window(struct tcb *t, const struct tcp_seg *s)
{
  uint32 old = t->snd_wnd;

  if(seq_lt(t->snd_wl1, s->seq) || (t->snd_wl1 == s->seq && seq_le(t->snd_wl2, s->ack))){
    t->snd_wnd = s->wnd;
    t->snd_wl1 = s->seq;
    t->snd_wl2 = s->ack;
    t->max_sndwnd = umax(t->max_sndwnd, s->wnd);
  }
  if(old == 0 && t->snd_wnd != 0 && seq_gt(t->snd_nxt, t->snd_una))
    t->snd_nxt = t->snd_una;
  if(s->wnd == 0)
    t->retries = 0;                   // the peer answers our probes
}

// ---- segment arrival (RFC 9293 3.10.7) ---------------------------------

// What an acknowledgement of our FIN does to the closing states.
// Returns -1 if the connection is gone.
static int
ack_state(struct tcb *t, uint64 now, struct tcp_out *out)
{
  if(!fin_acked(t))
    return 0;
  if(t->state == TCP_FIN_WAIT_1){
    t->state = TCP_FIN_WAIT_2;
    if(t->app_closed)
      t->t_wait = now + t->p.fin2;
  } else if(t->state == TCP_CLOSING) {
    to_time_wait(t, now);
  } else if(t->state == TCP_LAST_ACK) {
    to_closed(t, out);
    return -1;
  }
  return 0;
}

// Answer a segment that is wrong for the connection (a challenged RST or
// SYN; via bad_ack, one outside the window or acknowledging unsent data)
// with an ACK, at most OOW_ACKS times per OOW_MS; the rest are counted
// (TCP_C_ACK_LIMITED) and not answered. Each such ACK is one segment out
// per segment in: two stacks that disagree about the window would ACK each
// other for ever, and a forger could make us send as fast as it sends (RFC
// 5961 section 7; Linux limits these per socket too).
static void
oow_ack(struct tcb *t, uint64 now, struct tcp_out *out)
{
  if(t->oow_acks == 0 || now - t->oow_start >= OOW_MS){   // a new window
    t->oow_start = now;
    t->oow_acks = 0;
  }
  if(t->oow_acks >= OOW_ACKS){
    out->count[TCP_C_ACK_LIMITED]++;
    return;
  }
  t->oow_acks++;
  t->ack_now = 1;
}

// The ACK owed to an unacceptable segment: always if it carries data or a
// FIN (a peer resending what we have needs the ACK), else rate limited.
static void
bad_ack(struct tcb *t, uint64 now, const struct tcp_seg *s, struct tcp_out *out)
{
  if(s->len || (s->flags & TCP_FIN))
    t->ack_now = 1;
  else
    oow_ack(t, now, out);
}

// The ACK field of an acceptable segment in a synchronized state (step
// five). Returns -1 if processing stops here.
static int
ack_input(struct tcb *t, uint64 now, const struct tcp_seg *s, struct tcp_out *out)
{
  int dup, partial = 0;

  if(t->state == TCP_SYN_RCVD){
    if(!seq_gt(s->ack, t->snd_una) || seq_gt(s->ack, t->snd_max)){
      reply_rst(s, out);
      out->count[TCP_C_DROP_ACK]++;
      return -1;
    }
    ack_advance(t, now, s->ack, out);
    t->snd_wnd = t->max_sndwnd = s->wnd;
    t->snd_wl1 = s->seq;
    t->snd_wl2 = s->ack;
    established(t, out);
  }
  if(seq_gt(s->ack, t->snd_max)){     // acknowledges what was never sent
    out->count[TCP_C_DROP_ACK]++;
    bad_ack(t, now, s, out);
    return -1;
  }
  if(seq_lt(s->ack, t->snd_una))      // an old duplicate: ignore the ACK
    return 0;
  dup = s->ack == t->snd_una && t->snd_max != t->snd_una && s->len == 0 &&
        !(s->flags & (TCP_SYN | TCP_FIN)) && s->wnd == t->snd_wnd && t->snd_wnd != 0;
  if(seq_gt(s->ack, t->snd_una)){
    partial = cc_newack(t, s->ack - t->snd_una, s->ack);
    ack_advance(t, now, s->ack, out);
    t->t_probe = 0;                   // the ACK clock runs: re-armed from now
  } else if(dup) {
    cc_dupack(t, now, s->ack, out);
    t->t_probe = 0;
  }
  update_window(t, s);
  if(partial)
    retransmit_first(t, now, out);
  return ack_state(t, now, out);
}

// A reset in a synchronized state whose sequence number passed the
// window test: only one at exactly rcv_nxt ends the connection; any
// other gets a challenge ACK (RFC 5961 3.2), rate limited.
static void
rst_input(struct tcb *t, uint64 now, const struct tcp_seg *s, struct tcp_out *out)
{
  if(s->seq != t->rcv_nxt){
    out->count[TCP_C_CHALLENGE]++;
    oow_ack(t, now, out);
    return;
  }
  out->count[TCP_C_RST_IN]++;
  if(t->state <= TCP_CLOSE_WAIT){       // SYN-RECEIVED .. CLOSE-WAIT
    t->err = TCP_ERR_RESET;
    out->events |= TCP_EV_RESET;
  }
  to_closed(t, out);
}

// RFC 9293 3.10.7.4's acceptance test, with wnd the receive window. A
// FIN takes no buffer, so it does not count towards the length here.
static int
acceptable(const struct tcb *t, const struct tcp_seg *s, uint wnd)
{
  uint len = s->len + !!(s->flags & TCP_SYN);
  uint32 lo = t->rcv_nxt, hi = t->rcv_nxt + wnd;

  if(len == 0 && wnd == 0)
    return s->seq == lo;
  if(len == 0)
    return seq_le(lo, s->seq) && seq_lt(s->seq, hi);
  if(wnd == 0)
    return 0;
  return (seq_le(lo, s->seq) && seq_lt(s->seq, hi)) ||
         (seq_le(lo, s->seq + len - 1) && seq_lt(s->seq + len - 1, hi));
}

// Cut an acceptable segment down to the window: drop bytes already
// received and bytes past the right edge (with a FIN beyond them; the
// peer hears at once what was kept).
static void
trim(struct tcb *t, struct tcp_seg *s)
{
  uint d, room, wnd = t->rsize - t->rlen;

  if(seq_lt(s->seq, t->rcv_nxt)){
    d = t->rcv_nxt - s->seq;
    if(d > s->len)
      s->flags &= ~TCP_FIN;           // the FIN is old too
    d = umin(d, s->len);
    s->data += d;
    s->len -= d;
    s->seq = t->rcv_nxt;
  }
  d = s->seq - t->rcv_nxt;
  room = d < wnd ? wnd - d : 0;
  if(s->len > room){
    s->len = room;
    s->flags &= ~TCP_FIN;
    t->ack_now = 1;
  }
}

// Out-of-order bytes [a, b) are in the buffer: record the range, merged
// with those it touches. With no range free they stay unrecorded (the
// peer sends them again).
static void
ooo_add(struct tcb *t, uint32 a, uint32 b, struct tcp_out *out)
{
  for(int i = 0; i < t->nooo; i++){
    if(seq_le(t->ooo[i].start, b) && seq_le(a, t->ooo[i].end)){
      if(seq_lt(t->ooo[i].start, a))
        a = t->ooo[i].start;
      if(seq_gt(t->ooo[i].end, b))
        b = t->ooo[i].end;
      t->ooo[i--] = t->ooo[--t->nooo];
    }
  }
  if(t->nooo == TCP_OOO_MAX){
    out->count[TCP_C_OOO_DROP]++;
    return;
  }
  t->ooo[t->nooo].start = a;
  t->ooo[t->nooo].end = b;
  t->nooo++;
  out->count[TCP_C_OOO]++;
}

// rcv_nxt moved: take in every recorded range it has reached.
static void
ooo_merge(struct tcb *t)
{
  for(int i = 0; i < t->nooo; i++){
    if(seq_le(t->ooo[i].start, t->rcv_nxt)){
      if(seq_gt(t->ooo[i].end, t->rcv_nxt)){
        t->rlen += t->ooo[i].end - t->rcv_nxt;
        t->rcv_nxt = t->ooo[i].end;
      }
      t->ooo[i] = t->ooo[--t->nooo];
      i = -1;                         // rcv_nxt moved: look again
    }
  }
}

// Abort: RST to the peer (from a synchronized state) and CLOSED.
static void
abort_conn(struct tcb *t, struct tcp_out *out)
{
  if(synchronized(t->state) && t->state != TCP_TIME_WAIT &&
     emit(t, out, t->snd_nxt, TCP_RST, 0))
    out->count[TCP_C_RST_OUT]++;
  to_closed(t, out);
}

// The text of a trimmed segment (step seven): into the ring where it
// belongs; in order, it becomes readable and may take recorded ranges
// with it. ACK at once for out-of-order data and for filled holes,
// otherwise every second segment (RFC 1122 4.2.3.2, RFC 5681 4.2).
static void
data_input(struct tcb *t, const struct tcp_seg *s, struct tcp_out *out)
{
  uint off = s->seq - t->rcv_nxt;
  uint i = (t->rhead + t->rlen + off) % t->rsize;
  int had = t->nooo;

  if(t->state != TCP_ESTABLISHED && t->state != TCP_FIN_WAIT_1 && t->state != TCP_FIN_WAIT_2)
    return;
  if(t->app_closed){                  // nobody will read it (RFC 1122 4.2.2.13)
    t->err = TCP_ERR_ABORTED;
    abort_conn(t, out);
    return;
  }
  for(uint n = 0; n < s->len; n++){
    t->rbuf[i] = s->data[n];
    if(++i == t->rsize)
      i = 0;
  }
  if(off){
    ooo_add(t, s->seq, s->seq + s->len, out);
    t->ack_now = 1;
    return;
  }
  t->rcv_nxt += s->len;
  t->rlen += s->len;
  ooo_merge(t);
  out->events |= TCP_EV_READABLE;
  if(had || ++t->delack_segs >= 2)
    t->ack_now = 1;
}

// A FIN right after the data in order (step eight); an out-of-order FIN
// is left for the peer to send again.
static void
fin_input(struct tcb *t, uint64 now, const struct tcp_seg *s, struct tcp_out *out)
{
  if(!(s->flags & TCP_FIN) || s->seq + s->len != t->rcv_nxt)
    return;
  if(t->state != TCP_ESTABLISHED && t->state != TCP_FIN_WAIT_1 && t->state != TCP_FIN_WAIT_2)
    return;
  t->rcv_nxt++;
  t->nooo = 0;                        // nothing can follow the FIN
  t->fin_rcvd = 1;
  t->ack_now = 1;
  out->events |= TCP_EV_PEER_FIN;
  if(t->state == TCP_ESTABLISHED)
    t->state = TCP_CLOSE_WAIT;
  else if(t->state == TCP_FIN_WAIT_1)
    t->state = TCP_CLOSING;           // our FIN is not yet acknowledged
  else
    to_time_wait(t, now);
}

// LISTEN: a SYN starts a connection; an ACK is answered with a reset.
static void
listen_input(struct tcb *t, const struct tcp_seg *s, struct tcp_out *out)
{
  if(s->flags & TCP_RST)
    return;
  if(s->flags & TCP_ACK){
    reply_rst(s, out);
    return;
  }
  if(!(s->flags & TCP_SYN)){
    out->count[TCP_C_DROP_STATE]++;
    return;
  }
  peer_syn(t, s);
  t->snd_una = t->snd_nxt = t->snd_max = t->iss;
  t->sbufseq = t->iss + 1;
  t->state = TCP_SYN_RCVD;
}

// SYN-SENT: the SYN-ACK completes the open; a bare SYN is a
// simultaneous open; an acceptable RST means refused.
static void
synsent_input(struct tcb *t, uint64 now, const struct tcp_seg *s, struct tcp_out *out)
{
  int ack = s->flags & TCP_ACK;

  if(ack && (seq_le(s->ack, t->iss) || seq_gt(s->ack, t->snd_max))){
    reply_rst(s, out);
    out->count[TCP_C_DROP_ACK]++;
    return;
  }
  if(s->flags & TCP_RST){
    if(ack){
      t->err = TCP_ERR_RESET;
      out->events |= TCP_EV_RESET;
      out->count[TCP_C_RST_IN]++;
      to_closed(t, out);
    }
    return;
  }
  if(!(s->flags & TCP_SYN)){
    out->count[TCP_C_DROP_STATE]++;
    return;
  }
  peer_syn(t, s);
  if(ack){
    ack_advance(t, now, s->ack, out);
    established(t, out);
    t->ack_now = 1;
  } else {
    t->state = TCP_SYN_RCVD;          // both sides sent a SYN
    t->snd_nxt = t->snd_max = t->iss;
    t->rtt_active = 0;
    t->t_rtx = 0;
  }
}

// A segment that failed the window test: answered with an ACK (unless a
// RST), dropped. Returns 1 if it may still be processed: at a zero
// window, a segment at rcv_nxt still carries a valid ACK (RFC 9293
// 3.10.7.4); its text is cut off.
static int
unacceptable(struct tcb *t, uint64 now, struct tcp_seg *s, uint wnd, struct tcp_out *out)
{
  if(s->flags & TCP_RST){
    out->count[TCP_C_DROP_SEQ]++;
    return 0;
  }
  bad_ack(t, now, s, out);
  if(wnd == 0 && s->seq == t->rcv_nxt && !(s->flags & TCP_SYN)){
    s->len = 0;
    s->flags &= ~TCP_FIN;
    return 1;
  }
  if(t->state == TCP_TIME_WAIT && (s->flags & TCP_FIN))
    t->t_wait = now + 2 * (uint64)t->p.msl;   // the peer's FIN again
  out->count[TCP_C_DROP_SEQ]++;
  return 0;
}

// SYN-RECEIVED and every later state (RFC 9293 3.10.7.4, steps 1-8).
static void
sync_input(struct tcb *t, uint64 now, struct tcp_seg *s, struct tcp_out *out)
{
  uint wnd = t->rsize - t->rlen;

  if(t->state == TCP_SYN_RCVD && (s->flags & TCP_SYN) && s->seq == t->irs){
    if(!(s->flags & TCP_ACK)){        // the peer's SYN again: our SYN-ACK again
      t->snd_nxt = t->iss;
      return;
    }
    s->flags &= ~TCP_SYN;             // simultaneous open: its SYN-ACK
    s->seq++;
  }
  if(!acceptable(t, s, wnd) && !unacceptable(t, now, s, wnd, out))
    return;
  if(s->flags & TCP_RST){
    rst_input(t, now, s, out);
    return;
  }
  if(s->flags & TCP_SYN){             // RFC 5961 4.2: challenge ACK
    out->count[TCP_C_CHALLENGE]++;
    oow_ack(t, now, out);
    return;
  }
  if(!(s->flags & TCP_ACK)){
    out->count[TCP_C_DROP_ACK]++;
    return;
  }
  if(ack_input(t, now, s, out) < 0)
    return;
  trim(t, s);
  if(s->len)
    data_input(t, s, out);
  if(t->state != TCP_CLOSED)
    fin_input(t, now, s, out);
}

static void
out_clear(struct tcp_out *out)
{
  zero(out, sizeof(*out));
}

// A segment for this connection arrived (the caller checked its
// checksum and found t by address and ports; seg->data stays the
// caller's). out is filled afresh. In CLOSED the answer is a reset.
void
tcp_input(struct tcb *t, uint64 now, const struct tcp_seg *seg, struct tcp_out *out)
{
  struct tcp_seg s = *seg;

  out_clear(out);
  if(t->state == TCP_CLOSED)
    reply_rst(&s, out);
  else if(t->state == TCP_LISTEN)
    listen_input(t, &s, out);
  else if(t->state == TCP_SYN_SENT)
    synsent_input(t, now, &s, out);
  else
    sync_input(t, now, &s, out);
  output(t, now, out, 0);
}

// The retransmission timer fired (RFC 6298 5.4-5.7): give up past the
// retry limit (a passive open's SYN-ACK has its own, shorter one: a
// half-open connection holds a backlog slot); else back off, shrink
// cwnd to one segment (RFC 5681 3.1, equation 4), resend from snd_una.
static void
rtx_timeout(struct tcb *t, struct tcp_out *out)
{
  uint limit = t->p.max_retries;

  if(t->state <= TCP_SYN_RCVD)
    limit = t->passive ? t->p.synack_retries : t->p.syn_retries;
  t->t_rtx = 0;
  out->count[TCP_C_TIMEOUT]++;
  if(++t->retries > limit){
    t->err = TCP_ERR_TIMEOUT;
    out->events |= TCP_EV_TIMEOUT;
    out->count[TCP_C_GIVEUP]++;
    to_closed(t, out);
    return;
  }
  if(t->backoff < BACKOFF_MAX)
    t->backoff++;
  t->rtt_active = 0;
  if(t->state <= TCP_SYN_RCVD){
    t->synrtx = 1;
  } else {
    t->ssthresh = loss_ssthresh(t);
    t->cwnd = t->smss;
    t->in_recovery = 0;
    t->dupacks = 0;
    t->limited = 0;
    t->recover = t->snd_max;
  }
  t->snd_nxt = t->snd_una;
}

// The clock: run whatever timers have expired at now. out is filled
// afresh.
void
tcp_tick(struct tcb *t, uint64 now, struct tcp_out *out)
{
  int force = 0;

  out_clear(out);
  if(t->t_wait && now >= t->t_wait){
    to_closed(t, out);                // TIME-WAIT over, or FIN-WAIT-2 gave up
    return;
  }
  if(t->t_rtx && now >= t->t_rtx){
    rtx_timeout(t, out);
    if(t->state == TCP_CLOSED)
      return;
    force = t->snd_wnd == 0;          // the probe byte goes again
    t->t_probe = 0;
    t->probed = 1;                    // slow start resends: no probe until an ACK
  }
  if(t->t_probe && now >= t->t_probe){
    t->t_probe = 0;
    loss_probe(t, now, out);
  }
  if(t->t_persist && now >= t->t_persist){
    t->t_persist = 0;
    force = 1;
  }
  if(t->t_delack && now >= t->t_delack)
    t->ack_now = 1;
  output(t, now, out, force);
}

// When tcp_tick must next run (ms), or 0 if no timer is armed.
uint64
tcp_deadline(const struct tcb *t)
{
  uint64 d = 0, ts[] = { t->t_rtx, t->t_persist, t->t_delack, t->t_wait, t->t_probe };

  for(int i = 0; i < sizeof(ts) / sizeof(ts[0]); i++)
    if(ts[i] && (d == 0 || ts[i] < d))
      d = ts[i];
  return d;
}

// ---- application calls --------------------------------------------------

// Active open from a fresh (tcp_init) tcb, with initial sequence number
// iss (tcp_iss): sends the SYN. Returns 0, or -1 if t is not CLOSED.
int
tcp_open(struct tcb *t, uint64 now, uint32 iss, struct tcp_out *out)
{
  out_clear(out);
  if(t->state != TCP_CLOSED || t->err)
    return -1;
  t->iss = t->snd_una = t->snd_nxt = t->snd_max = iss;
  t->sbufseq = iss + 1;
  t->state = TCP_SYN_SENT;
  output(t, now, out, 0);
  return 0;
}

// Passive open of a fresh tcb: it waits in LISTEN for one SYN, and
// answers it with iss. (A listening port with a backlog is the caller's
// table of such tcbs: a SYN with no connection goes to a fresh one.)
int
tcp_listen(struct tcb *t, uint32 iss)
{
  if(t->state != TCP_CLOSED || t->err)
    return -1;
  t->iss = iss;
  t->state = TCP_LISTEN;
  t->passive = 1;
  return 0;
}

// Queue up to n bytes from src for sending (before the connection is
// up, too). Returns the number queued (0: the buffer is full, wait for
// TCP_EV_WRITABLE), or -1 if sending is over (shut down, reset, timed
// out, never opened).
int
tcp_send(struct tcb *t, uint64 now, const uint8 *src, uint n, struct tcp_out *out)
{
  uint m, i;

  out_clear(out);
  if(t->err || t->fin_queued)
    return -1;
  if(t->state != TCP_SYN_SENT && t->state != TCP_SYN_RCVD &&
     t->state != TCP_ESTABLISHED && t->state != TCP_CLOSE_WAIT)
    return -1;
  m = umin(n, t->ssize - t->slen);
  i = (t->shead + t->slen) % t->ssize;
  for(uint k = 0; k < m; k++){
    t->sbuf[i] = src[k];
    if(++i == t->ssize)
      i = 0;
  }
  t->slen += m;
  output(t, now, out, 0);
  return m;
}

// Take up to n received bytes into dst. Returns the count, TCP_EOF (0)
// once the peer's FIN is reached, TCP_AGAIN if nothing is there yet
// (wait for TCP_EV_READABLE), -1 if the connection failed or was never
// opened. Reading may open the window enough to tell the peer.
int
tcp_recv(struct tcb *t, uint64 now, uint8 *dst, uint n, struct tcp_out *out)
{
  uint m, cur = 0, wnd;

  out_clear(out);
  if(t->err)
    return -1;
  if(t->rlen == 0){
    if(t->fin_rcvd)
      return TCP_EOF;
    return t->state == TCP_CLOSED ? -1 : TCP_AGAIN;
  }
  m = umin(n, t->rlen);
  for(uint k = 0; k < m; k++){
    dst[k] = t->rbuf[t->rhead];
    if(++t->rhead == t->rsize)
      t->rhead = 0;
  }
  t->rlen -= m;
  if(seq_gt(t->rcv_adv, t->rcv_nxt))
    cur = t->rcv_adv - t->rcv_nxt;
  wnd = rcv_wnd_calc(t);
  if((t->state == TCP_ESTABLISHED || t->state == TCP_FIN_WAIT_1 || t->state == TCP_FIN_WAIT_2) &&
     wnd > cur && (cur == 0 || wnd - cur >= umin(t->rsize / 2, 2 * t->p.mss)))
    t->ack_now = 1;                   // window update
  output(t, now, out, 0);
  return m;
}

// Shut down the sending side: a FIN follows the queued data. Before the
// connection is up: SYN-SENT (or LISTEN) just closes; SYN-RECEIVED sends
// the FIN once established. Returns 0, or -1 if there is no sending side.
int
tcp_shutdown(struct tcb *t, uint64 now, struct tcp_out *out)
{
  out_clear(out);
  if(t->fin_queued)
    return 0;
  if(t->state == TCP_SYN_SENT || t->state == TCP_LISTEN){
    to_closed(t, out);
    return 0;
  }
  if(t->state == TCP_ESTABLISHED)
    t->state = TCP_FIN_WAIT_1;
  else if(t->state == TCP_CLOSE_WAIT)
    t->state = TCP_LAST_ACK;
  else if(t->state != TCP_SYN_RCVD)
    return -1;
  t->fin_queued = 1;
  output(t, now, out, 0);
  return 0;
}

// The application is done with t: shut down sending, and never read
// again. Unread data, or data arriving later, resets the connection
// (RFC 1122 4.2.2.13). The tcb is free once TCP_EV_CLOSED comes (or
// now, if t->state is CLOSED on return).
void
tcp_close(struct tcb *t, uint64 now, struct tcp_out *out)
{
  t->app_closed = 1;
  if(t->rlen > 0 && synchronized(t->state) && t->state != TCP_TIME_WAIT){
    out_clear(out);
    t->err = TCP_ERR_ABORTED;
    abort_conn(t, out);
    return;
  }
  tcp_shutdown(t, now, out);
  if(t->state == TCP_FIN_WAIT_2)
    t->t_wait = now + t->p.fin2;
}

// Abort: a RST to the peer if the connection was synchronized, then
// CLOSED at once.
void
tcp_abort(struct tcb *t, uint64 now, struct tcp_out *out)
{
  out_clear(out);
  if(t->state == TCP_CLOSED)
    return;
  abort_conn(t, out);
}
