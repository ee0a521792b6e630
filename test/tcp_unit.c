// Host unit test of kernel/tcp.c (TCP's state machine) and of the TCP
// header code in kernel/netparse.c. Each case feeds one input (a segment,
// a tick, an application call) to a tcb in a known state and asserts the
// exact output: state, segments (sequence, acknowledgement, flags,
// window, length), timers, events and counters. At the end two tcbs move
// a megabyte through a lossy, reordering, duplicating in-memory link.
//
// Build and run from the repository root (make test runs it):
//   make test/tcp_unit && test/tcp_unit

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/types.h"
#include "kernel/tcp.h"
#include "test/unit.h"

#define ISS 1000          // our initial sequence number
#define IRS 5000          // the peer's
#define SSIZE 8192
#define RSIZE 4096
#define PMSS 1000         // the MSS both sides use in most cases

static struct tcp_params P;
static struct tcb T;
static struct tcp_out O;
static uint8 sbuf[SSIZE], rbuf[RSIZE];
static uint8 pat[65536];  // pat[i] = byte i of any stream in these tests
static const char *tname;

// Compare out->seg[i] with the wanted fields; print both on a mismatch.
#define SEG(i, seq, ack, flags, wnd, len) \
  segcheck(__LINE__, (i), (seq), (ack), (flags), (wnd), (len))

static void
segcheck(int line, int i, uint32 seq, uint32 ack, int flags, int wnd, uint len)
{
  struct tcp_seg *s = &O.seg[i];

  if(i >= O.nseg){
    printf("%s line %d: FAILED no segment %d (nseg %d)\n", tname, line, i, O.nseg);
    failures++;
    return;
  }
  if(s->seq != seq || s->ack != ack || s->flags != flags || (wnd >= 0 && s->wnd != wnd) ||
     s->len != len){
    printf("%s line %d: FAILED segment %d: got seq %u ack %u flags %#x wnd %u len %u; "
           "want seq %u ack %u flags %#x wnd %d len %u\n", tname, line, i, s->seq, s->ack,
           s->flags, s->wnd, s->len, seq, ack, flags, wnd, len);
    failures++;
  }
}

#define BEGIN(name) (tname = (name))

static void
setup(void)
{
  tcp_defaults(&P);
  P.mss = PMSS;
  P.msl = 500;
  P.max_retries = 5;
  P.syn_retries = 3;
  P.synack_retries = 2;
  P.fin2 = 5000;
  tcp_init(&T, &P, sbuf, SSIZE, rbuf, RSIZE);
}

static struct tcp_seg
mkseg(uint32 seq, uint32 ack, uint8 flags, uint16 wnd, uint off, uint len)
{
  struct tcp_seg s;

  memset(&s, 0, sizeof(s));
  s.seq = seq;
  s.ack = ack;
  s.flags = flags;
  s.wnd = wnd;
  s.data = pat + off;
  s.len = len;
  return s;
}

static void
in(uint64 now, uint32 seq, uint32 ack, uint8 flags, uint16 wnd, uint off, uint len)
{
  struct tcp_seg s = mkseg(seq, ack, flags, wnd, off, len);

  tcp_input(&T, now, &s, &O);
}

// Our SYN at t=0, the peer's SYN-ACK (MSS mss, window wnd) at t=rtt.
static void
connect_active(uint16 mss, uint16 wnd, uint64 rtt)
{
  struct tcp_seg s;

  setup();
  tcp_open(&T, 0, ISS, &O);
  s = mkseg(IRS, ISS + 1, TCP_SYN | TCP_ACK, wnd, 0, 0);
  s.mss = mss;
  tcp_input(&T, rtt, &s, &O);
}

// An established connection at t=0 (rtt 0), peer window wnd.
static void
established(uint16 wnd)
{
  connect_active(PMSS, wnd, 0);
}

static void
test_open_and_handshake(void)
{
  struct tcp_seg s;

  BEGIN("active_open_sends_syn");
  setup();
  CHECK(tcp_open(&T, 0, ISS, &O) == 0);
  CHECK(T.state == TCP_SYN_SENT && O.nseg == 1);
  SEG(0, ISS, 0, TCP_SYN, RSIZE, 0);
  CHECK(O.seg[0].mss == PMSS);
  CHECK(tcp_deadline(&T) == 1000);    // RFC 6298: initial RTO 1 s
  CHECK(tcp_open(&T, 0, ISS, &O) == -1);

  BEGIN("synack_establishes");
  s = mkseg(IRS, ISS + 1, TCP_SYN | TCP_ACK, 30000, 0, 0);
  s.mss = 1200;
  tcp_input(&T, 40, &s, &O);
  CHECK(T.state == TCP_ESTABLISHED && O.events == TCP_EV_CONNECTED);
  SEG(0, ISS + 1, IRS + 1, TCP_ACK, RSIZE, 0);
  CHECK(O.nseg == 1 && T.smss == PMSS); // min(peer's 1200, ours)
  CHECK(T.snd_wnd == 30000 && T.snd_una == ISS + 1 && T.rcv_nxt == IRS + 1);
  CHECK(T.cwnd == 4 * PMSS);          // RFC 5681 IW for SMSS <= 1095
  CHECK(T.srtt8 == 40 * 8 && T.rttvar8 == 20 * 8 && T.rto == 1000);
  CHECK(tcp_deadline(&T) == 0);

  BEGIN("syn_retransmitted_with_backoff_then_gives_up");
  setup();
  tcp_open(&T, 0, ISS, &O);
  tcp_tick(&T, 999, &O);
  CHECK(O.nseg == 0);
  uint64 at = 1000, gap = 1000;
  for(int i = 1; i <= 3; i++){
    tcp_tick(&T, at, &O);
    SEG(0, ISS, 0, TCP_SYN, RSIZE, 0);
    CHECK(O.count[TCP_C_RTX] == 1 && O.count[TCP_C_TIMEOUT] == 1);
    gap *= 2;
    CHECK(tcp_deadline(&T) == at + gap);
    at += gap;
  }
  tcp_tick(&T, at, &O);
  CHECK(T.state == TCP_CLOSED && T.err == TCP_ERR_TIMEOUT && O.nseg == 0);
  CHECK(O.events == (TCP_EV_TIMEOUT | TCP_EV_CLOSED) && O.count[TCP_C_GIVEUP] == 1);
  CHECK(tcp_send(&T, at, pat, 1, &O) == -1 && tcp_recv(&T, at, rbuf, 1, &O) == -1);

  BEGIN("syn_lost_then_cwnd_is_one_segment");
  setup();
  tcp_open(&T, 0, ISS, &O);
  tcp_tick(&T, 1000, &O);
  s = mkseg(IRS, ISS + 1, TCP_SYN | TCP_ACK, 30000, 0, 0);
  tcp_input(&T, 1100, &s, &O);
  CHECK(T.state == TCP_ESTABLISHED && T.smss == TCP_MSS_DEFAULT && T.cwnd == T.smss);
  CHECK(T.rtt_valid == 0);            // Karn: the SYN was sent twice
  CHECK(T.rto == 3000 && T.backoff == 0);   // RFC 6298 5.7

  BEGIN("synsent_rst_with_acceptable_ack_refuses");
  setup();
  tcp_open(&T, 0, ISS, &O);
  in(5, 0, ISS + 1, TCP_RST | TCP_ACK, 0, 0, 0);
  CHECK(T.state == TCP_CLOSED && T.err == TCP_ERR_RESET && O.nseg == 0);
  CHECK(O.events == (TCP_EV_RESET | TCP_EV_CLOSED));

  BEGIN("synsent_rst_with_bad_ack_ignored");
  setup();
  tcp_open(&T, 0, ISS, &O);
  in(5, 0, ISS + 7, TCP_RST | TCP_ACK, 0, 0, 0);
  CHECK(T.state == TCP_SYN_SENT && O.nseg == 0 && O.events == 0);
  in(5, 0, 0, TCP_RST, 0, 0, 0);      // no ACK: ignored too
  CHECK(T.state == TCP_SYN_SENT && O.nseg == 0);

  BEGIN("synsent_bad_ack_answered_with_rst");
  in(5, IRS, ISS + 50, TCP_SYN | TCP_ACK, 1000, 0, 0);
  CHECK(T.state == TCP_SYN_SENT && O.nseg == 1);
  SEG(0, ISS + 50, 0, TCP_RST, 0, 0);
  in(5, IRS, ISS, TCP_ACK, 1000, 0, 0);
  SEG(0, ISS, 0, TCP_RST, 0, 0);

  BEGIN("synsent_plain_segment_dropped");
  in(5, IRS, 0, TCP_PSH, 1000, 0, 5);
  CHECK(T.state == TCP_SYN_SENT && O.nseg == 0 && O.count[TCP_C_DROP_STATE] == 1);
}

static void
test_passive_open(void)
{
  struct tcp_seg s;

  BEGIN("listen_syn_gets_synack");
  setup();
  CHECK(tcp_listen(&T, ISS) == 0);
  s = mkseg(IRS, 0, TCP_SYN, 20000, 0, 0);
  s.mss = 1460;
  tcp_input(&T, 0, &s, &O);
  CHECK(T.state == TCP_SYN_RCVD && O.nseg == 1);
  SEG(0, ISS, IRS + 1, TCP_SYN | TCP_ACK, RSIZE, 0);
  CHECK(O.seg[0].mss == PMSS && T.smss == PMSS && tcp_deadline(&T) == 1000);

  BEGIN("synrcvd_syn_again_gets_synack_again");
  tcp_input(&T, 10, &s, &O);
  CHECK(T.state == TCP_SYN_RCVD && O.nseg == 1);
  SEG(0, ISS, IRS + 1, TCP_SYN | TCP_ACK, RSIZE, 0);
  CHECK(O.count[TCP_C_RTX] == 1);

  BEGIN("synrcvd_ack_establishes");
  in(30, IRS + 1, ISS + 1, TCP_ACK, 20000, 0, 0);
  CHECK(T.state == TCP_ESTABLISHED && O.events == TCP_EV_CONNECTED && O.nseg == 0);
  CHECK(T.snd_wnd == 20000 && tcp_deadline(&T) == 0);

  BEGIN("synrcvd_bad_ack_gets_rst");
  setup();
  tcp_listen(&T, ISS);
  in(0, IRS, 0, TCP_SYN, 20000, 0, 0);
  in(1, IRS + 1, ISS + 9, TCP_ACK, 20000, 0, 0);
  CHECK(T.state == TCP_SYN_RCVD && O.nseg == 1);
  SEG(0, ISS + 9, 0, TCP_RST, 0, 0);

  BEGIN("synrcvd_synack_retransmitted_and_gives_up");
  tcp_tick(&T, 1000, &O);
  SEG(0, ISS, IRS + 1, TCP_SYN | TCP_ACK, RSIZE, 0);
  tcp_tick(&T, 3000, &O);
  SEG(0, ISS, IRS + 1, TCP_SYN | TCP_ACK, RSIZE, 0);
  CHECK(T.state == TCP_SYN_RCVD && tcp_deadline(&T) == 7000);
  tcp_tick(&T, 7000, &O);            // synack_retries (2), not syn_retries (3)
  CHECK(T.state == TCP_CLOSED && O.nseg == 0);
  CHECK(O.events == (TCP_EV_TIMEOUT | TCP_EV_CLOSED) && O.count[TCP_C_GIVEUP] == 1);

  BEGIN("synrcvd_rst_closes");
  setup();
  tcp_listen(&T, ISS);
  in(0, IRS, 0, TCP_SYN, 20000, 0, 0);
  in(1, IRS + 1, 0, TCP_RST, 0, 0, 0);
  CHECK(T.state == TCP_CLOSED && (O.events & TCP_EV_RESET) && O.nseg == 0);

  BEGIN("listen_ack_gets_rst");
  setup();
  tcp_listen(&T, ISS);
  in(0, IRS, 777, TCP_ACK, 100, 0, 0);
  CHECK(T.state == TCP_LISTEN && O.nseg == 1);
  SEG(0, 777, 0, TCP_RST, 0, 0);

  BEGIN("listen_rst_and_plain_ignored");
  in(0, IRS, 0, TCP_RST, 0, 0, 0);
  CHECK(T.state == TCP_LISTEN && O.nseg == 0);
  in(0, IRS, 0, 0, 100, 0, 4);
  CHECK(T.state == TCP_LISTEN && O.nseg == 0 && O.count[TCP_C_DROP_STATE] == 1);

  BEGIN("listen_closed_by_shutdown");
  tcp_shutdown(&T, 0, &O);
  CHECK(T.state == TCP_CLOSED && O.events == TCP_EV_CLOSED);
}

static void
test_simultaneous_open(void)
{
  BEGIN("simultaneous_open_syn_then_synack");
  setup();
  tcp_open(&T, 0, ISS, &O);
  in(10, IRS, 0, TCP_SYN, 20000, 0, 0);
  CHECK(T.state == TCP_SYN_RCVD && O.nseg == 1);
  SEG(0, ISS, IRS + 1, TCP_SYN | TCP_ACK, RSIZE, 0);
  in(20, IRS, ISS + 1, TCP_SYN | TCP_ACK, 20000, 0, 0);   // the peer's SYN-ACK
  CHECK(T.state == TCP_ESTABLISHED && O.events == TCP_EV_CONNECTED);

  BEGIN("simultaneous_open_synack_keeps_syn_retries");
  setup();
  tcp_open(&T, 0, ISS, &O);
  in(0, IRS, 0, TCP_SYN, 20000, 0, 0);
  for(uint64 at = 1000, gap = 1000; at < 15000; gap *= 2, at += gap){
    CHECK(tcp_deadline(&T) == at);
    tcp_tick(&T, at, &O);              // an active open: syn_retries (3)
    SEG(0, ISS, IRS + 1, TCP_SYN | TCP_ACK, RSIZE, 0);
  }
  CHECK(T.state == TCP_SYN_RCVD && tcp_deadline(&T) == 15000);
  tcp_tick(&T, 15000, &O);
  CHECK(T.state == TCP_CLOSED && (O.events & TCP_EV_TIMEOUT));

  BEGIN("simultaneous_open_syn_then_ack");
  setup();
  tcp_open(&T, 0, ISS, &O);
  in(10, IRS, 0, TCP_SYN, 20000, 0, 0);
  in(20, IRS + 1, ISS + 1, TCP_ACK, 20000, 0, 0);
  CHECK(T.state == TCP_ESTABLISHED && O.nseg == 0);
}

static void
test_closed_port(void)
{
  struct tcp_seg s, r;

  BEGIN("closed_port_syn_gets_rst_ack");
  s = mkseg(IRS, 0, TCP_SYN, 100, 0, 0);
  CHECK(tcp_reset_for(&s, &r) == 1);
  CHECK(r.seq == 0 && r.ack == IRS + 1 && r.flags == (TCP_RST | TCP_ACK) && r.len == 0);
  s = mkseg(IRS, 0, TCP_FIN, 100, 0, 10);
  CHECK(tcp_reset_for(&s, &r) == 1 && r.ack == IRS + 11);

  BEGIN("closed_port_ack_gets_rst");
  s = mkseg(IRS, 4242, TCP_ACK, 100, 0, 10);
  CHECK(tcp_reset_for(&s, &r) == 1 && r.seq == 4242 && r.flags == TCP_RST);

  BEGIN("closed_port_rst_unanswered");
  s = mkseg(IRS, 4242, TCP_RST | TCP_ACK, 100, 0, 0);
  CHECK(tcp_reset_for(&s, &r) == 0);

  BEGIN("closed_tcb_answers_with_rst");
  setup();
  in(0, IRS, 0, TCP_SYN, 100, 0, 0);
  CHECK(O.nseg == 1 && O.count[TCP_C_RST_OUT] == 1);
  SEG(0, 0, IRS + 1, TCP_RST | TCP_ACK, 0, 0);
}

static void
test_mss(void)
{
  BEGIN("mss_absent_means_536");
  connect_active(0, 30000, 0);
  CHECK(T.smss == 536);
  tcp_send(&T, 0, pat, 2000, &O);
  CHECK(O.nseg == 3);
  SEG(0, ISS + 1, IRS + 1, TCP_ACK, RSIZE, 536);
  SEG(1, ISS + 537, IRS + 1, TCP_ACK, RSIZE, 536);
  SEG(2, ISS + 1073, IRS + 1, TCP_ACK, RSIZE, 536);  // cwnd 4*536: the 4th fits
                                                       // only 2144-1608 = 536

  BEGIN("mss_option_honoured");
  connect_active(100, 30000, 0);
  CHECK(T.smss == 100);
  tcp_send(&T, 0, pat, 250, &O);
  CHECK(O.nseg == 2);
  SEG(0, ISS + 1, IRS + 1, TCP_ACK, RSIZE, 100);
  SEG(1, ISS + 101, IRS + 1, TCP_ACK, RSIZE, 100);   // 50 more wait for Nagle

  BEGIN("initial_window_by_mss");       // RFC 5681 3.1
  static uint8 big[100000];
  uint32 want[3][2] = { { 1460, 3 * 1460 }, { 4000, 2 * 4000 }, { 1095, 4 * 1095 } };
  for(int i = 0; i < 3; i++){
    tcp_defaults(&P);
    P.mss = 9000;
    tcp_init(&T, &P, sbuf, SSIZE, big, sizeof(big));
    tcp_open(&T, 0, ISS, &O);
    CHECK(O.seg[0].wnd == 65535);     // no window scaling: the field's largest
    struct tcp_seg s = mkseg(IRS, ISS + 1, TCP_SYN | TCP_ACK, 30000, 0, 0);
    s.mss = want[i][0];
    tcp_input(&T, 0, &s, &O);
    CHECK(T.cwnd == want[i][1]);
  }

  BEGIN("mss_tiny_clamped_to_64");
  connect_active(1, 30000, 0);
  CHECK(T.smss == 64);
}

static void
test_receive(void)
{
  uint8 buf[RSIZE];

  BEGIN("data_in_order_delayed_ack");
  established(30000);
  in(0, IRS + 1, ISS + 1, TCP_ACK, 30000, 0, 100);
  CHECK(O.nseg == 0 && O.events == TCP_EV_READABLE && T.rlen == 100);
  CHECK(tcp_deadline(&T) == 200);
  tcp_tick(&T, 199, &O);
  CHECK(O.nseg == 0);
  tcp_tick(&T, 200, &O);
  SEG(0, ISS + 1, IRS + 101, TCP_ACK, RSIZE - 100, 0);
  CHECK(O.nseg == 1 && tcp_deadline(&T) == 0);

  BEGIN("data_every_second_segment_acked");
  in(300, IRS + 101, ISS + 1, TCP_ACK, 30000, 100, 1000);
  CHECK(O.nseg == 0);
  in(301, IRS + 1101, ISS + 1, TCP_ACK, 30000, 1100, 1000);
  CHECK(O.nseg == 1);
  SEG(0, ISS + 1, IRS + 2101, TCP_ACK, RSIZE - 2100, 0);
  CHECK(tcp_recv(&T, 302, buf, sizeof(buf), &O) == 2100 && memcmp(buf, pat, 2100) == 0);

  BEGIN("data_out_of_order_kept_and_merged");
  established(30000);
  in(0, IRS + 201, ISS + 1, TCP_ACK, 30000, 200, 100);
  SEG(0, ISS + 1, IRS + 1, TCP_ACK, RSIZE, 0);       // duplicate ACK at once
  CHECK(O.events == 0 && O.count[TCP_C_OOO] == 1 && T.nooo == 1 && T.rlen == 0);
  in(1, IRS + 101, ISS + 1, TCP_ACK, 30000, 100, 150);  // overlaps the range
  SEG(0, ISS + 1, IRS + 1, TCP_ACK, RSIZE, 0);
  CHECK(T.nooo == 1 && T.ooo[0].start == IRS + 101 && T.ooo[0].end == IRS + 301);
  in(2, IRS + 1, ISS + 1, TCP_ACK, 30000, 0, 100);    // fills the hole
  SEG(0, ISS + 1, IRS + 301, TCP_ACK, RSIZE - 300, 0);
  CHECK(T.nooo == 0 && T.rlen == 300 && O.events == TCP_EV_READABLE);
  CHECK(tcp_recv(&T, 3, buf, sizeof(buf), &O) == 300 && memcmp(buf, pat, 300) == 0);

  BEGIN("data_out_of_order_ranges_bounded");
  established(30000);
  for(int i = 0; i < TCP_OOO_MAX + 1; i++)
    in(0, IRS + 1 + 100 * (2 * i + 1), ISS + 1, TCP_ACK, 30000, 0, 10);
  CHECK(T.nooo == TCP_OOO_MAX && O.count[TCP_C_OOO_DROP] == 1);

  BEGIN("data_partly_old_trimmed");
  established(30000);
  in(0, IRS + 1, ISS + 1, TCP_ACK, 30000, 0, 100);
  in(1, IRS + 51, ISS + 1, TCP_ACK, 30000, 50, 100);
  CHECK(T.rcv_nxt == IRS + 151 && T.rlen == 150);
  CHECK(tcp_recv(&T, 2, buf, sizeof(buf), &O) == 150 && memcmp(buf, pat, 150) == 0);

  BEGIN("data_beyond_window_trimmed");
  established(30000);
  in(0, IRS + 1, ISS + 1, TCP_ACK | TCP_FIN, 30000, 0, RSIZE + 100);
  CHECK(T.rlen == RSIZE && T.rcv_nxt == IRS + 1 + RSIZE && T.state == TCP_ESTABLISHED);

  BEGIN("unacceptable_segment_gets_ack");
  established(30000);
  in(0, IRS + 1 + RSIZE + 10, ISS + 1, TCP_ACK, 30000, 0, 10);
  CHECK(O.nseg == 1 && O.count[TCP_C_DROP_SEQ] == 1 && T.rlen == 0);
  SEG(0, ISS + 1, IRS + 1, TCP_ACK, RSIZE, 0);

  BEGIN("old_duplicate_gets_ack");
  in(0, IRS - 100, ISS + 1, TCP_ACK, 30000, 0, 10);
  CHECK(O.nseg == 1 && O.count[TCP_C_DROP_SEQ] == 1);
  SEG(0, ISS + 1, IRS + 1, TCP_ACK, RSIZE, 0);

  BEGIN("no_ack_bit_dropped");
  in(0, IRS + 1, 0, 0, 30000, 0, 10);
  CHECK(O.nseg == 0 && T.rlen == 0 && O.count[TCP_C_DROP_ACK] == 1);

  BEGIN("ack_of_unsent_data_gets_ack");
  in(0, IRS + 1, ISS + 500, TCP_ACK, 30000, 0, 10);
  CHECK(O.nseg == 1 && T.rlen == 0 && T.snd_una == ISS + 1 && O.count[TCP_C_DROP_ACK] == 1);
  SEG(0, ISS + 1, IRS + 1, TCP_ACK, RSIZE, 0);
}

static void
test_window(void)
{
  uint8 buf[RSIZE];

  BEGIN("receive_window_shrinks_to_zero");
  established(30000);
  for(int i = 0; i < 4; i++)
    in(i, IRS + 1 + 1000 * i, ISS + 1, TCP_ACK, 30000, 1000 * i, 1000);
  SEG(0, ISS + 1, IRS + 4001, TCP_ACK, RSIZE - 4000, 0);
  in(5, IRS + 4001, ISS + 1, TCP_ACK, 30000, 4000, 1000);  // only 96 fit
  SEG(0, ISS + 1, IRS + 4097, TCP_ACK, 0, 0);
  CHECK(T.rlen == RSIZE);

  BEGIN("zero_window_probe_gets_ack_data_dropped");
  in(6, IRS + 4097, ISS + 1, TCP_ACK, 30000, 4096, 1);
  CHECK(O.nseg == 1 && T.rlen == RSIZE);
  SEG(0, ISS + 1, IRS + 4097, TCP_ACK, 0, 0);

  BEGIN("zero_window_fin_accepted");
  in(6, IRS + 4097, ISS + 1, TCP_ACK | TCP_FIN, 30000, 0, 0);
  CHECK(T.state == TCP_CLOSE_WAIT && (O.events & TCP_EV_PEER_FIN));
  SEG(0, ISS + 1, IRS + 4098, TCP_ACK, 0, 0);

  BEGIN("receiver_sws_small_read_no_update");
  established(30000);
  for(int i = 0; i < 4; i++)
    in(i, IRS + 1 + 1000 * i, ISS + 1, TCP_ACK, 30000, 1000 * i, 1000);
  in(5, IRS + 4001, ISS + 1, TCP_ACK, 30000, 4000, 96);
  CHECK(O.nseg == 0);                 // the fifth segment: its ACK is delayed
  tcp_tick(&T, 205, &O);
  SEG(0, ISS + 1, IRS + 4097, TCP_ACK, 0, 0);
  CHECK(tcp_recv(&T, 206, buf, 500, &O) == 500);
  CHECK(O.nseg == 0);                 // 500 < min(RSIZE/2, MSS): no update

  BEGIN("receiver_window_update_after_big_read");
  CHECK(tcp_recv(&T, 207, buf, 1500, &O) == 1500);
  CHECK(O.nseg == 1);
  SEG(0, ISS + 1, IRS + 4097, TCP_ACK, 2000, 0);
  CHECK(tcp_recv(&T, 208, buf, 100, &O) == 100 && O.nseg == 0);
}

static void
test_rst_syn_in_window(void)
{
  BEGIN("rst_exact_resets");
  established(30000);
  in(0, IRS + 1, 0, TCP_RST, 0, 0, 0);
  CHECK(T.state == TCP_CLOSED && T.err == TCP_ERR_RESET && O.nseg == 0);
  CHECK(O.events == (TCP_EV_RESET | TCP_EV_CLOSED) && O.count[TCP_C_RST_IN] == 1);

  BEGIN("rst_in_window_gets_challenge_ack");
  established(30000);
  in(0, IRS + 100, 0, TCP_RST, 0, 0, 0);
  CHECK(T.state == TCP_ESTABLISHED && O.nseg == 1 && O.count[TCP_C_CHALLENGE] == 1);
  SEG(0, ISS + 1, IRS + 1, TCP_ACK, RSIZE, 0);

  BEGIN("rst_out_of_window_dropped");
  in(0, IRS + 100000, 0, TCP_RST, 0, 0, 0);
  CHECK(T.state == TCP_ESTABLISHED && O.nseg == 0 && O.count[TCP_C_DROP_SEQ] == 1);

  BEGIN("syn_in_window_gets_challenge_ack");
  in(0, IRS + 50, 0, TCP_SYN, 100, 0, 0);
  CHECK(T.state == TCP_ESTABLISHED && O.nseg == 1 && O.count[TCP_C_CHALLENGE] == 1);
  SEG(0, ISS + 1, IRS + 1, TCP_ACK, RSIZE, 0);

  BEGIN("rst_in_close_wait_resets");
  in(0, IRS + 1, ISS + 1, TCP_ACK | TCP_FIN, 30000, 0, 0);
  in(1, IRS + 2, 0, TCP_RST, 0, 0, 0);
  CHECK(T.state == TCP_CLOSED && T.err == TCP_ERR_RESET);

  BEGIN("rst_in_last_ack_closes_quietly");
  established(30000);
  in(0, IRS + 1, ISS + 1, TCP_ACK | TCP_FIN, 30000, 0, 0);
  tcp_shutdown(&T, 1, &O);
  CHECK(T.state == TCP_LAST_ACK);
  in(2, IRS + 2, 0, TCP_RST, 0, 0, 0);
  CHECK(T.state == TCP_CLOSED && T.err == 0 && O.events == TCP_EV_CLOSED);

  BEGIN("rst_in_fin_wait_1_fin_wait_2_closing");
  for(int i = 0; i < 3; i++){
    established(30000);
    tcp_shutdown(&T, 0, &O);
    if(i == 1)
      in(1, IRS + 1, ISS + 2, TCP_ACK, 30000, 0, 0);
    if(i == 2)
      in(1, IRS + 1, ISS + 1, TCP_ACK | TCP_FIN, 30000, 0, 0);
    CHECK(T.state == (i == 0 ? TCP_FIN_WAIT_1 : i == 1 ? TCP_FIN_WAIT_2 : TCP_CLOSING));
    in(2, IRS + 1 + (i == 2), 0, TCP_RST, 0, 0, 0);
    CHECK(T.state == TCP_CLOSED && O.nseg == 0);
    CHECK(T.err == (i < 2 ? TCP_ERR_RESET : 0));
  }

  BEGIN("challenge_acks_rate_limited");
  established(30000);
  for(int i = 0; i < 8; i++){
    in(10, IRS + 100, 0, i % 2 ? TCP_SYN : TCP_RST, 0, 0, 0);
    CHECK(T.state == TCP_ESTABLISHED && O.count[TCP_C_CHALLENGE] == 1);
    CHECK(O.nseg == (i < 5) && O.count[TCP_C_ACK_LIMITED] == (i >= 5));
  }
  in(1009, IRS + 100, 0, TCP_RST, 0, 0, 0);
  CHECK(O.nseg == 0 && O.count[TCP_C_ACK_LIMITED] == 1);
  in(1010, IRS + 100, 0, TCP_RST, 0, 0, 0);     // a new second: answered again
  CHECK(O.nseg == 1 && O.count[TCP_C_ACK_LIMITED] == 0);
  SEG(0, ISS + 1, IRS + 1, TCP_ACK, RSIZE, 0);

  BEGIN("out_of_window_acks_rate_limited_unless_data");
  established(30000);
  for(int i = 0; i < 7; i++){
    in(5, IRS + 100000, ISS + 1, TCP_ACK, 30000, 0, 0);   // pure ACK, far right
    CHECK(O.nseg == (i < 5) && O.count[TCP_C_DROP_SEQ] == 1);
    CHECK(O.count[TCP_C_ACK_LIMITED] == (i >= 5));
  }
  in(5, IRS + 1, ISS + 100, TCP_ACK, 30000, 0, 0);        // ACK of unsent data
  CHECK(O.nseg == 0 && O.count[TCP_C_DROP_ACK] == 1 && O.count[TCP_C_ACK_LIMITED] == 1);
  for(int i = 0; i < 3; i++){
    in(6, IRS + 1 - 50, ISS + 1, TCP_ACK, 30000, 0, 20);  // old data: always ACKed
    CHECK(O.nseg == 1 && O.count[TCP_C_ACK_LIMITED] == 0);
    SEG(0, ISS + 1, IRS + 1, TCP_ACK, RSIZE, 0);
  }
  CHECK(T.state == TCP_ESTABLISHED);

  BEGIN("rst_in_time_wait_closes");
  established(30000);
  tcp_shutdown(&T, 0, &O);
  in(1, IRS + 1, ISS + 2, TCP_ACK | TCP_FIN, 30000, 0, 0);
  CHECK(T.state == TCP_TIME_WAIT);
  in(2, IRS + 2, 0, TCP_RST, 0, 0, 0);
  CHECK(T.state == TCP_CLOSED);
}

static void
test_send(void)
{
  BEGIN("nagle_holds_second_small_segment");
  established(30000);
  CHECK(tcp_send(&T, 0, pat, 10, &O) == 10);
  CHECK(O.nseg == 1);
  SEG(0, ISS + 1, IRS + 1, TCP_ACK | TCP_PSH, RSIZE, 10);
  CHECK(T.t_rtx == 1000);
  CHECK(tcp_send(&T, 1, pat + 10, 10, &O) == 10 && O.nseg == 0);
  in(50, IRS + 1, ISS + 11, TCP_ACK, 30000, 0, 0);
  CHECK(O.nseg == 1 && O.events == TCP_EV_WRITABLE);
  SEG(0, ISS + 11, IRS + 1, TCP_ACK | TCP_PSH, RSIZE, 10);

  BEGIN("nodelay_sends_at_once");
  established(30000);
  T.nodelay = 1;
  tcp_send(&T, 0, pat, 10, &O);
  tcp_send(&T, 1, pat + 10, 10, &O);
  CHECK(O.nseg == 1);
  SEG(0, ISS + 11, IRS + 1, TCP_ACK | TCP_PSH, RSIZE, 10);

  BEGIN("send_buffer_full_takes_what_fits");
  established(0);
  CHECK(tcp_send(&T, 0, pat, SSIZE + 100, &O) == SSIZE);
  CHECK(tcp_send(&T, 0, pat, 1, &O) == 0);

  BEGIN("cwnd_limits_flight_slow_start_grows_it");
  established(30000);
  tcp_send(&T, 0, pat, 8000, &O);
  CHECK(O.nseg == 4);
  SEG(3, ISS + 3001, IRS + 1, TCP_ACK, RSIZE, 1000);
  in(100, IRS + 1, ISS + 1001, TCP_ACK, 30000, 0, 0);
  CHECK(T.cwnd == 5000 && O.nseg == 2);
  SEG(0, ISS + 4001, IRS + 1, TCP_ACK, RSIZE, 1000);
  SEG(1, ISS + 5001, IRS + 1, TCP_ACK, RSIZE, 1000);
  CHECK(T.t_rtx == 1100);             // restarted by the ACK (RFC 6298 5.3)

  BEGIN("congestion_avoidance_grows_slowly");
  established(30000);
  T.ssthresh = 4000;
  tcp_send(&T, 0, pat, 8000, &O);
  in(100, IRS + 1, ISS + 1001, TCP_ACK, 30000, 0, 0);
  CHECK(T.cwnd == 4250);              // + SMSS*SMSS/cwnd

  BEGIN("peer_window_limits_flight");
  established(2500);
  tcp_send(&T, 0, pat, 8000, &O);
  CHECK(O.nseg == 2);                 // 500 < max window / 2: SWS holds it

  BEGIN("sender_sws_waits_then_persist_overrides");
  established(30000);
  in(0, IRS + 1, ISS + 1, TCP_ACK, 500, 0, 0);
  CHECK(T.snd_wnd == 500);
  tcp_send(&T, 1, pat, 3000, &O);
  CHECK(O.nseg == 0 && tcp_deadline(&T) == 1001);
  tcp_tick(&T, 1001, &O);
  CHECK(O.nseg == 1 && O.count[TCP_C_PROBE] == 0);
  SEG(0, ISS + 1, IRS + 1, TCP_ACK, RSIZE, 500);

  BEGIN("payload_wraps_around_the_ring");
  established(30000);
  T.nodelay = 1;
  T.cwnd = 100000;
  tcp_send(&T, 0, pat, SSIZE - 100, &O);
  CHECK(O.nseg == TCP_OUT_MAX);
  in(10, IRS + 1, ISS + 1 + 8000, TCP_ACK, 30000, 0, 0);
  CHECK(O.nseg == 1 && O.seg[0].len == SSIZE - 100 - 8000);
  in(10, IRS + 1, ISS + 1 + SSIZE - 100, TCP_ACK, 30000, 0, 0);
  CHECK(T.slen == 0 && T.shead == SSIZE - 100);
  tcp_send(&T, 11, pat + 1000, 300, &O);
  CHECK(O.nseg == 1 && O.seg[0].len == 300);
  uint8 got[300];
  tcp_payload(&T, &O.seg[0], got);
  CHECK(memcmp(got, pat + 1000, 300) == 0);
}

static void
test_zero_window(void)
{
  BEGIN("zero_window_persist_probe");
  established(0);
  tcp_send(&T, 0, pat, 100, &O);
  CHECK(O.nseg == 0 && tcp_deadline(&T) == 1000);
  tcp_tick(&T, 1000, &O);
  CHECK(O.nseg == 1 && O.count[TCP_C_PROBE] == 1);
  SEG(0, ISS + 1, IRS + 1, TCP_ACK, RSIZE, 1);
  CHECK(tcp_deadline(&T) == 2000);

  BEGIN("zero_window_probe_answered_no_dupack");
  in(1050, IRS + 1, ISS + 1, TCP_ACK, 0, 0, 0);
  CHECK(O.nseg == 0 && O.count[TCP_C_DUPACK] == 0 && T.retries == 0);

  BEGIN("zero_window_probe_again_with_backoff");
  tcp_tick(&T, 2000, &O);
  CHECK(O.nseg == 1 && O.count[TCP_C_PROBE] == 1 && O.count[TCP_C_RTX] == 1);
  SEG(0, ISS + 1, IRS + 1, TCP_ACK, RSIZE, 1);
  CHECK(tcp_deadline(&T) == 4000);
  in(2050, IRS + 1, ISS + 1, TCP_ACK, 0, 0, 0);
  CHECK(T.retries == 0);              // an answering peer is never given up on

  BEGIN("zero_window_opens_rest_sent");
  in(2100, IRS + 1, ISS + 2, TCP_ACK, 30000, 0, 0);
  CHECK(O.nseg == 1);
  SEG(0, ISS + 2, IRS + 1, TCP_ACK | TCP_PSH, RSIZE, 99);

  // The peer dropped the probe byte (its window was zero) and now opens
  // the window: sending resumes at that byte, not after it (a hole the
  // peer could only fill by dup ACKs or our retransmission timeout).
  BEGIN("zero_window_opens_probe_byte_not_taken");
  established(0);
  tcp_send(&T, 0, pat, 100, &O);
  tcp_tick(&T, 1000, &O);
  SEG(0, ISS + 1, IRS + 1, TCP_ACK, RSIZE, 1);
  in(1050, IRS + 1, ISS + 1, TCP_ACK, 30000, 0, 0);
  CHECK(O.nseg == 1 && O.count[TCP_C_DUPACK] == 0);
  SEG(0, ISS + 1, IRS + 1, TCP_ACK | TCP_PSH, RSIZE, 100);
  CHECK(T.snd_nxt == ISS + 101 && tcp_deadline(&T) > 1050);
}

static void
test_rto(void)
{
  BEGIN("rtt_estimate_rfc6298");
  connect_active(PMSS, 30000, 100);
  CHECK(T.srtt8 == 800 && T.rttvar8 == 400 && T.rto == 1000);  // 300 < rto_min
  T.p.rto_min = 10;
  tcp_send(&T, 100, pat, 1000, &O);
  in(300, IRS + 1, ISS + 1001, TCP_ACK, 30000, 0, 0);
  CHECK(T.srtt8 == 900 && T.rttvar8 == 500 && T.rto == 363);

  BEGIN("karn_no_sample_from_retransmission");
  established(30000);
  tcp_send(&T, 0, pat, 1000, &O);
  tcp_tick(&T, 1000, &O);
  CHECK(O.nseg == 1 && O.count[TCP_C_RTX] == 1 && T.backoff == 1);
  uint32 srtt = T.srtt8;
  in(1500, IRS + 1, ISS + 1001, TCP_ACK, 30000, 0, 0);
  CHECK(T.srtt8 == srtt && T.backoff == 1 && tcp_deadline(&T) == 0);

  BEGIN("rto_resends_one_segment_and_backs_off");
  established(30000);
  tcp_send(&T, 0, pat, 4000, &O);
  tcp_tick(&T, 1000, &O);
  CHECK(O.nseg == 1 && O.count[TCP_C_TIMEOUT] == 1);
  SEG(0, ISS + 1, IRS + 1, TCP_ACK, RSIZE, 1000);
  CHECK(T.cwnd == 1000 && T.ssthresh == 2000 && tcp_deadline(&T) == 3000);
  tcp_tick(&T, 3000, &O);
  CHECK(O.nseg == 1 && tcp_deadline(&T) == 7000);
  in(3100, IRS + 1, ISS + 1001, TCP_ACK, 30000, 0, 0);
  CHECK(T.cwnd == 2000 && O.nseg == 2);
  SEG(0, ISS + 1001, IRS + 1, TCP_ACK, RSIZE, 1000);
  SEG(1, ISS + 2001, IRS + 1, TCP_ACK, RSIZE, 1000);
  CHECK(O.count[TCP_C_RTX] == 2);

  BEGIN("rto_gives_up_and_reports");
  established(30000);
  tcp_send(&T, 0, pat, 100, &O);
  int ticks = 0;
  while(T.state != TCP_CLOSED && ticks < 20){
    tcp_tick(&T, tcp_deadline(&T), &O);
    ticks++;
  }
  CHECK(ticks == 7 && T.err == TCP_ERR_TIMEOUT && (O.events & TCP_EV_TIMEOUT));
  CHECK(T.nrtx == 6);                 // a loss probe, then 5 timeouts
  CHECK(tcp_send(&T, 0, pat, 1, &O) == -1 && tcp_recv(&T, 0, rbuf, 1, &O) == -1);

  BEGIN("rto_capped_at_rto_max");
  established(30000);
  T.p.rto_max = 3000;
  tcp_send(&T, 0, pat, 100, &O);
  tcp_tick(&T, 1000, &O);
  tcp_tick(&T, 3000, &O);
  CHECK(tcp_deadline(&T) == 6000);
}

static void
test_fast_retransmit(void)
{
  BEGIN("limited_transmit_on_first_two_dupacks");   // RFC 3042
  established(30000);
  tcp_send(&T, 0, pat, 8000, &O);
  in(10, IRS + 1, ISS + 1001, TCP_ACK, 30000, 0, 0);
  CHECK(O.nseg == 2 && T.snd_max == ISS + 6001 && T.cwnd == 5000);
  in(20, IRS + 1, ISS + 1001, TCP_ACK, 30000, 0, 0);
  CHECK(O.nseg == 1 && O.count[TCP_C_DUPACK] == 1);
  SEG(0, ISS + 6001, IRS + 1, TCP_ACK, RSIZE, 1000);
  in(21, IRS + 1, ISS + 1001, TCP_ACK, 30000, 0, 0);
  CHECK(O.nseg == 1 && T.dupacks == 2 && T.cwnd == 5000);
  SEG(0, ISS + 7001, IRS + 1, TCP_ACK | TCP_PSH, RSIZE, 1000);

  BEGIN("three_dupacks_fast_retransmit");
  in(22, IRS + 1, ISS + 1001, TCP_ACK, 30000, 0, 0);
  CHECK(O.nseg == 1 && O.count[TCP_C_FASTRTX] == 1 && O.count[TCP_C_DUPACK] == 1);
  SEG(0, ISS + 1001, IRS + 1, TCP_ACK, RSIZE, 1000);
  CHECK(T.ssthresh == 3500 && T.cwnd == 6500 && T.recover == ISS + 8001 && T.in_recovery);

  BEGIN("recovery_dupack_inflates_cwnd");
  in(23, IRS + 1, ISS + 1001, TCP_ACK, 30000, 0, 0);
  CHECK(T.cwnd == 7500 && O.nseg == 0);

  BEGIN("newreno_partial_ack_retransmits_next_hole");
  in(30, IRS + 1, ISS + 3001, TCP_ACK, 30000, 0, 0);
  CHECK(T.in_recovery && T.cwnd == 6500 && O.nseg == 1);
  SEG(0, ISS + 3001, IRS + 1, TCP_ACK, RSIZE, 1000);

  BEGIN("newreno_full_ack_ends_recovery");
  in(40, IRS + 1, ISS + 8001, TCP_ACK, 30000, 0, 0);
  CHECK(!T.in_recovery && T.cwnd == 2000 && O.nseg == 0 && tcp_deadline(&T) == 0);

  BEGIN("recovery_inflation_sends_new_data");
  established(30000);
  T.cwnd = 3000;
  tcp_send(&T, 0, pat, 8000, &O);
  in(10, IRS + 1, ISS + 1001, TCP_ACK, 30000, 0, 0);
  for(int i = 0; i < 3; i++)
    in(20 + i, IRS + 1, ISS + 1001, TCP_ACK, 30000, 0, 0);
  CHECK(T.in_recovery && T.ssthresh == 3000 && T.cwnd == 6000 && T.snd_max == ISS + 7001);
  in(23, IRS + 1, ISS + 1001, TCP_ACK, 30000, 0, 0);
  CHECK(T.cwnd == 7000 && O.nseg == 1);
  SEG(0, ISS + 7001, IRS + 1, TCP_ACK | TCP_PSH, RSIZE, 1000);

  BEGIN("dupacks_after_timeout_no_fast_retransmit");
  established(30000);
  tcp_send(&T, 0, pat, 4000, &O);
  tcp_tick(&T, 1000, &O);             // recover = snd_max
  for(int i = 0; i < 3; i++)
    in(1010 + i, IRS + 1, ISS + 1, TCP_ACK, 30000, 0, 0);
  CHECK(O.count[TCP_C_FASTRTX] == 0 && !T.in_recovery);

  BEGIN("window_change_is_not_a_dupack");
  established(30000);
  tcp_send(&T, 0, pat, 4000, &O);
  for(int i = 0; i < 3; i++)
    in(10 + i, IRS + 1, ISS + 1, TCP_ACK, 20000 + i, 0, 0);
  CHECK(T.dupacks == 0 && !T.in_recovery);
}

static void
test_loss_probe(void)
{
  BEGIN("loss_probe_resends_first_segment_when_acks_stop");
  established(30000);                 // an RTT sample of 0: PTO is pto_min
  tcp_send(&T, 0, pat, 4000, &O);
  CHECK(O.nseg == 4 && tcp_deadline(&T) == 50 && T.t_rtx == 1000);
  tcp_tick(&T, 50, &O);
  CHECK(O.nseg == 1 && O.count[TCP_C_LOSSPROBE] == 1 && O.count[TCP_C_RTX] == 1 &&
        O.count[TCP_C_TIMEOUT] == 0);
  SEG(0, ISS + 1, IRS + 1, TCP_ACK, RSIZE, 1000);
  CHECK(T.in_recovery && T.ssthresh == 2000 && T.cwnd == 2000 && T.recover == ISS + 4001);
  CHECK(T.backoff == 0 && tcp_deadline(&T) == 1050);  // one probe, then the RTO

  BEGIN("loss_probe_full_ack_ends_recovery");
  in(60, IRS + 1, ISS + 4001, TCP_ACK, 30000, 0, 0);
  CHECK(!T.in_recovery && T.cwnd == 2000 && tcp_deadline(&T) == 0);

  BEGIN("loss_probe_rearmed_by_each_ack");
  established(30000);
  tcp_send(&T, 0, pat, 4000, &O);
  in(5, IRS + 1, ISS + 1001, TCP_ACK, 30000, 0, 0);
  CHECK(tcp_deadline(&T) == 55);
  in(8, IRS + 1, ISS + 1001, TCP_ACK, 30000, 0, 0);  // a duplicate ACK too
  CHECK(T.dupacks == 1 && tcp_deadline(&T) == 58);

  BEGIN("loss_probe_one_segment_waits_for_delayed_ack");
  established(30000);
  tcp_send(&T, 0, pat, 100, &O);
  CHECK(tcp_deadline(&T) == 250);     // pto_min + the peer's 200 ms

  BEGIN("loss_probe_in_recovery_keeps_cwnd");
  established(30000);
  tcp_send(&T, 0, pat, 8000, &O);
  in(10, IRS + 1, ISS + 1001, TCP_ACK, 30000, 0, 0);
  for(int i = 0; i < 3; i++)
    in(20 + i, IRS + 1, ISS + 1001, TCP_ACK, 30000, 0, 0);
  CHECK(T.in_recovery && T.cwnd == 6500 && tcp_deadline(&T) == 72);
  tcp_tick(&T, 72, &O);               // the fast retransmission was lost
  CHECK(O.nseg == 1 && O.count[TCP_C_LOSSPROBE] == 1 && T.cwnd == 6500 &&
        T.recover == ISS + 8001);
  SEG(0, ISS + 1001, IRS + 1, TCP_ACK, RSIZE, 1000);

  BEGIN("loss_probe_ack_lost_probe_draws_it_again");
  established(30000);
  tcp_send(&T, 0, pat, 100, &O);
  tcp_tick(&T, 250, &O);              // the peer has it; its ACK was lost
  SEG(0, ISS + 1, IRS + 1, TCP_ACK, RSIZE, 100);
  in(260, IRS + 1, ISS + 101, TCP_ACK, 30000, 0, 0);
  CHECK(!T.in_recovery && tcp_deadline(&T) == 0 && O.count[TCP_C_TIMEOUT] == 0);

  BEGIN("no_loss_probe_after_timeout");
  established(30000);
  tcp_send(&T, 0, pat, 4000, &O);
  tcp_tick(&T, 1000, &O);             // both due: the timeout wins
  CHECK(O.count[TCP_C_TIMEOUT] == 1 && O.count[TCP_C_LOSSPROBE] == 0 && O.nseg == 1);
  CHECK(T.cwnd == 1000 && tcp_deadline(&T) == 3000);

  BEGIN("no_loss_probe_before_rtt_sample_or_at_zero_window");
  connect_active(PMSS, 30000, 0);
  T.rtt_valid = 0;
  tcp_send(&T, 0, pat, 4000, &O);
  CHECK(T.t_probe == 0 && tcp_deadline(&T) == 1000);
  established(0);
  tcp_send(&T, 0, pat, 100, &O);
  tcp_tick(&T, tcp_deadline(&T), &O); // the persist timer's probe byte
  CHECK(O.count[TCP_C_PROBE] == 1 && T.t_probe == 0);
}

static void
test_close(void)
{
  uint8 buf[100];

  BEGIN("active_close_fin_wait_time_wait");
  established(30000);
  CHECK(tcp_shutdown(&T, 0, &O) == 0);
  CHECK(T.state == TCP_FIN_WAIT_1 && O.nseg == 1);
  SEG(0, ISS + 1, IRS + 1, TCP_ACK | TCP_FIN, RSIZE, 0);
  CHECK(T.t_rtx == 1000 && tcp_send(&T, 0, pat, 1, &O) == -1);
  in(10, IRS + 1, ISS + 2, TCP_ACK, 30000, 0, 0);
  CHECK(T.state == TCP_FIN_WAIT_2 && O.nseg == 0 && tcp_deadline(&T) == 0);
  in(20, IRS + 1, ISS + 2, TCP_ACK | TCP_FIN, 30000, 0, 0);
  CHECK(T.state == TCP_TIME_WAIT && O.events == TCP_EV_PEER_FIN && O.nseg == 1);
  SEG(0, ISS + 2, IRS + 2, TCP_ACK, RSIZE - 1, 0);   // the FIN took one
  CHECK(tcp_deadline(&T) == 20 + 2 * 500);

  BEGIN("time_wait_fin_again_acked_timer_restarts");
  in(500, IRS + 1, ISS + 2, TCP_ACK | TCP_FIN, 30000, 0, 0);
  CHECK(T.state == TCP_TIME_WAIT && O.nseg == 1 && tcp_deadline(&T) == 1500);
  SEG(0, ISS + 2, IRS + 2, TCP_ACK, RSIZE - 1, 0);   // the FIN took one

  BEGIN("time_wait_ends_after_2msl");
  tcp_tick(&T, 1499, &O);
  CHECK(T.state == TCP_TIME_WAIT && O.nseg == 0);
  tcp_tick(&T, 1500, &O);
  CHECK(T.state == TCP_CLOSED && O.events == TCP_EV_CLOSED && tcp_deadline(&T) == 0);
  CHECK(tcp_recv(&T, 1500, buf, 1, &O) == TCP_EOF);

  BEGIN("fin_retransmitted");
  established(30000);
  tcp_shutdown(&T, 0, &O);
  tcp_tick(&T, 1000, &O);
  CHECK(O.nseg == 1 && O.count[TCP_C_RTX] == 1);
  SEG(0, ISS + 1, IRS + 1, TCP_ACK | TCP_FIN, RSIZE, 0);

  BEGIN("fin_follows_queued_data");
  established(0);
  tcp_send(&T, 0, pat, 10, &O);
  tcp_shutdown(&T, 0, &O);
  CHECK(O.nseg == 0);
  in(5, IRS + 1, ISS + 1, TCP_ACK, 30000, 0, 0);
  CHECK(O.nseg == 1);
  SEG(0, ISS + 1, IRS + 1, TCP_ACK | TCP_PSH | TCP_FIN, RSIZE, 10);

  BEGIN("fin_and_ack_together_time_wait");
  established(30000);
  tcp_shutdown(&T, 0, &O);
  in(10, IRS + 1, ISS + 2, TCP_ACK | TCP_FIN, 30000, 0, 0);
  CHECK(T.state == TCP_TIME_WAIT && O.nseg == 1);
  SEG(0, ISS + 2, IRS + 2, TCP_ACK, RSIZE - 1, 0);   // the FIN took one

  BEGIN("simultaneous_close_closing");
  established(30000);
  tcp_shutdown(&T, 0, &O);
  in(10, IRS + 1, ISS + 1, TCP_ACK | TCP_FIN, 30000, 0, 0);
  CHECK(T.state == TCP_CLOSING && O.nseg == 1);
  SEG(0, ISS + 2, IRS + 2, TCP_ACK, RSIZE - 1, 0);   // the FIN took one
  in(20, IRS + 2, ISS + 2, TCP_ACK, 30000, 0, 0);
  CHECK(T.state == TCP_TIME_WAIT && tcp_deadline(&T) == 1020);

  BEGIN("passive_close_close_wait_last_ack");
  established(30000);
  in(0, IRS + 1, ISS + 1, TCP_ACK | TCP_FIN, 30000, 0, 5);
  CHECK(T.state == TCP_CLOSE_WAIT && O.events == (TCP_EV_READABLE | TCP_EV_PEER_FIN));
  SEG(0, ISS + 1, IRS + 7, TCP_ACK, RSIZE - 6, 0);
  CHECK(tcp_recv(&T, 1, buf, 100, &O) == 5 && tcp_recv(&T, 1, buf, 100, &O) == TCP_EOF);
  CHECK(tcp_send(&T, 2, pat, 10, &O) == 10 && O.nseg == 1);   // half-close: still sending
  in(3, IRS + 7, ISS + 11, TCP_ACK, 30000, 0, 0);
  tcp_shutdown(&T, 4, &O);
  CHECK(T.state == TCP_LAST_ACK && O.nseg == 1);
  SEG(0, ISS + 11, IRS + 7, TCP_ACK | TCP_FIN, RSIZE - 6, 0);  // edge kept (SWS)
  in(5, IRS + 7, ISS + 12, TCP_ACK, 30000, 0, 0);
  CHECK(T.state == TCP_CLOSED && T.err == 0 && O.events == TCP_EV_CLOSED && O.nseg == 0);

  BEGIN("half_close_peer_keeps_sending");
  established(30000);
  tcp_shutdown(&T, 0, &O);
  in(1, IRS + 1, ISS + 2, TCP_ACK, 30000, 0, 0);
  in(2, IRS + 1, ISS + 2, TCP_ACK, 30000, 0, 100);
  CHECK(T.state == TCP_FIN_WAIT_2 && O.events == TCP_EV_READABLE);
  CHECK(tcp_recv(&T, 3, buf, 100, &O) == 100 && memcmp(buf, pat, 100) == 0);

  BEGIN("fin_discards_out_of_order_ranges");     // found by fuzz_tcp
  established(30000);
  in(0, IRS + 2, ISS + 1, TCP_ACK, 30000, 0, 10);
  CHECK(T.nooo == 1);
  in(1, IRS + 1, ISS + 1, TCP_ACK | TCP_FIN, 30000, 0, 0);
  CHECK(T.state == TCP_CLOSE_WAIT && T.nooo == 0 && T.rlen == 0 && T.rcv_nxt == IRS + 2);

  BEGIN("out_of_order_fin_ignored");
  established(30000);
  in(0, IRS + 11, ISS + 1, TCP_ACK | TCP_FIN, 30000, 10, 10);
  CHECK(T.state == TCP_ESTABLISHED && T.nooo == 1 && O.nseg == 1);
  SEG(0, ISS + 1, IRS + 1, TCP_ACK, RSIZE, 0);
}

static void
test_close_app(void)
{
  BEGIN("close_with_unread_data_resets");
  established(30000);
  in(0, IRS + 1, ISS + 1, TCP_ACK, 30000, 0, 100);
  tcp_close(&T, 1, &O);
  CHECK(T.state == TCP_CLOSED && O.nseg == 1 && O.count[TCP_C_RST_OUT] == 1);
  SEG(0, ISS + 1, 0, TCP_RST, 0, 0);

  BEGIN("data_after_close_resets");
  established(30000);
  tcp_close(&T, 0, &O);
  in(1, IRS + 1, ISS + 2, TCP_ACK, 30000, 0, 0);
  CHECK(T.state == TCP_FIN_WAIT_2 && tcp_deadline(&T) == 5001);
  in(2, IRS + 1, ISS + 2, TCP_ACK, 30000, 0, 10);
  CHECK(T.state == TCP_CLOSED && O.nseg == 1);
  SEG(0, ISS + 2, 0, TCP_RST, 0, 0);

  BEGIN("fin_wait_2_gives_up_after_close");
  established(30000);
  tcp_shutdown(&T, 0, &O);
  in(1, IRS + 1, ISS + 2, TCP_ACK, 30000, 0, 0);
  CHECK(tcp_deadline(&T) == 0);       // shut down but still reading: waits
  tcp_close(&T, 2, &O);
  CHECK(tcp_deadline(&T) == 5002);
  tcp_tick(&T, 5002, &O);
  CHECK(T.state == TCP_CLOSED && O.events == TCP_EV_CLOSED);

  BEGIN("abort_sends_rst");
  established(30000);
  tcp_abort(&T, 0, &O);
  CHECK(T.state == TCP_CLOSED && O.nseg == 1);
  SEG(0, ISS + 1, 0, TCP_RST, 0, 0);

  BEGIN("shutdown_in_syn_sent_closes");
  setup();
  tcp_open(&T, 0, ISS, &O);
  tcp_shutdown(&T, 1, &O);
  CHECK(T.state == TCP_CLOSED && O.nseg == 0 && tcp_deadline(&T) == 0);

  BEGIN("data_queued_in_syn_sent_goes_with_ack");
  setup();
  tcp_open(&T, 0, ISS, &O);
  CHECK(tcp_send(&T, 0, pat, 100, &O) == 100 && O.nseg == 0);
  struct tcp_seg s = mkseg(IRS, ISS + 1, TCP_SYN | TCP_ACK, 30000, 0, 0);
  s.mss = PMSS;
  tcp_input(&T, 10, &s, &O);
  CHECK(O.nseg == 1);
  SEG(0, ISS + 1, IRS + 1, TCP_ACK | TCP_PSH, RSIZE, 100);

  BEGIN("shutdown_in_syn_rcvd_fin_after_established");
  setup();
  tcp_listen(&T, ISS);
  in(0, IRS, 0, TCP_SYN, 20000, 0, 0);
  tcp_shutdown(&T, 1, &O);
  CHECK(T.state == TCP_SYN_RCVD && O.nseg == 0);
  in(2, IRS + 1, ISS + 1, TCP_ACK, 20000, 0, 0);
  CHECK(T.state == TCP_FIN_WAIT_1 && O.nseg == 1);
  SEG(0, ISS + 1, IRS + 1, TCP_ACK | TCP_FIN, RSIZE, 0);
}

static void
test_iss(void)
{
  static const uint32 key[4] = { 1, 2, 3, 4 };
  uint32 a = tcp_iss(0, 0x0a00020f, 80, 0x0a000202, 40000, key);

  BEGIN("iss_clock_driven_and_keyed");
  CHECK(tcp_iss(1, 0x0a00020f, 80, 0x0a000202, 40000, key) == a + 250);
  CHECK(tcp_iss(1000, 0x0a00020f, 80, 0x0a000202, 40000, key) == a + 250000);
  CHECK(tcp_iss(0, 0x0a00020f, 80, 0x0a000202, 40001, key) != a);
  CHECK(tcp_iss(0, 0x0a00020f, 81, 0x0a000202, 40000, key) != a);
  CHECK(tcp_iss(0, 0x0a00020f, 80, 0x0a000203, 40000, key) != a);
}

// 10.0.2.2:40000 -> 10.0.2.15:80 SYN-ACK with MSS 1460, NOP, window
// scale 7, and "hi": built by scapy.
static const uint8 synack[] = {
  0x9c, 0x40, 0x00, 0x50, 0x01, 0x02, 0x03, 0x04, 0x0a, 0x0b, 0x0c, 0x0d,
  0x70, 0x12, 0x20, 0x00, 0x2c, 0xde, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
  0x01, 0x03, 0x03, 0x07, 0x68, 0x69,
};
#define PEERIP 0x0A000202
#define MYIP   0x0A00020F

// Copy synack, set byte off to val, fix the checksum, parse.
static int
parse_mutated(uint len, int off, uint8 val)
{
  uint8 b[sizeof(synack)];
  struct np_tcp t;

  memcpy(b, synack, sizeof(b));
  if(off >= 0)
    b[off] = val;
  np_put16(b + TCP_F_CKSUM, 0);
  np_put16(b + TCP_F_CKSUM, np_tcp_cksum(PEERIP, MYIP, b, len));
  return np_tcp_parse(b, len, PEERIP, MYIP, &t);
}

static void
test_netparse_tcp(void)
{
  struct np_tcp t, u;
  uint8 b[100];

  BEGIN("np_tcp_parse_scapy_vector");
  CHECK(np_tcp_parse(synack, sizeof(synack), PEERIP, MYIP, &t) == 0);
  CHECK(t.sport == 40000 && t.dport == 80 && t.seq == 0x01020304 && t.ack == 0x0a0b0c0d);
  CHECK(t.flags == (TCP_SYN | TCP_ACK) && t.wnd == 8192 && t.mss == 1460 && t.hlen == 28);

  BEGIN("np_tcp_parse_rejects");
  CHECK(np_tcp_parse(synack, sizeof(synack), PEERIP, MYIP + 1, &t) == NP_TCP_DROP_CKSUM);
  CHECK(parse_mutated(19, -1, 0) == NP_TCP_DROP_HDR);
  CHECK(parse_mutated(sizeof(synack), TCP_F_OFF, 0x40) == NP_TCP_DROP_HDR);
  CHECK(parse_mutated(sizeof(synack), TCP_F_OFF, 0x80) == NP_TCP_DROP_HDR);
  CHECK(parse_mutated(sizeof(synack), 21, 0) == NP_TCP_DROP_OPT);      // MSS length 0
  CHECK(parse_mutated(sizeof(synack), 21, 3) == NP_TCP_DROP_OPT);      // MSS length 3
  CHECK(parse_mutated(sizeof(synack), 26, 9) == NP_TCP_DROP_OPT);      // past the header
  CHECK(parse_mutated(sizeof(synack), 26, 1) == NP_TCP_DROP_OPT);      // below 2
  CHECK(parse_mutated(27, -1, 0) == NP_TCP_DROP_HDR);

  BEGIN("np_tcp_parse_skips_unknown_options");
  CHECK(parse_mutated(sizeof(synack), 25, 99) == 0);                   // kind 99, length 3
  CHECK(parse_mutated(sizeof(synack), 20, TCPOPT_END) == 0);

  BEGIN("np_put_tcp_round_trip");
  t.mss = 1460;
  np_put_tcp(b, MYIP, PEERIP, &t, (const uint8 *)"hello", 5);
  CHECK(np_tcp_parse(b, 29, MYIP, PEERIP, &u) == 0);
  CHECK(u.sport == t.sport && u.seq == t.seq && u.ack == t.ack && u.mss == 1460 && u.hlen == 24);
  CHECK(memcmp(b + 24, "hello", 5) == 0);
  t.mss = 0;
  CHECK(np_put_tcp(b, MYIP, PEERIP, &t, 0, 0) == 20);
  CHECK(np_tcp_parse(b, 20, MYIP, PEERIP, &u) == 0 && u.mss == 0 && u.hlen == 20);
}

static void
test_sack(void)
{
  struct np_tcp t, u;
  struct tcp_seg sa;
  uint8 b[100];
  static const uint8 want[] = { 1, 1, TCPOPT_SACK, 18, 0, 0, 0x13, 0x9c, 0, 0, 0x13, 0xa6,
                                0, 0, 0x13, 0x89, 0, 0, 0x13, 0x8d };

  BEGIN("np_put_tcp_sack_permitted_and_blocks");
  memset(&t, 0, sizeof(t));
  t.flags = TCP_SYN;
  t.mss = 1460;
  t.sackok = 1;
  CHECK(np_put_tcp(b, MYIP, PEERIP, &t, 0, 0) == 28);
  CHECK(b[24] == TCPOPT_NOP && b[25] == TCPOPT_NOP && b[26] == TCPOPT_SACKOK && b[27] == 2);
  CHECK(np_tcp_parse(b, 28, MYIP, PEERIP, &u) == 0 && u.sackok && u.mss == 1460);
  memset(&t, 0, sizeof(t));
  t.flags = TCP_ACK;
  t.nsack = 2;
  t.sack[0][0] = 5020, t.sack[0][1] = 5030;
  t.sack[1][0] = 5001, t.sack[1][1] = 5005;
  CHECK(np_put_tcp(b, MYIP, PEERIP, &t, 0, 0) == 40 && memcmp(b + 20, want, 20) == 0);
  CHECK(np_tcp_parse(b, 40, MYIP, PEERIP, &u) == 0 && !u.sackok && u.hlen == 40);
  b[22] = TCPOPT_SACKOK;               // length 18, not 2: skipped, not taken
  b[TCP_F_CKSUM] = b[TCP_F_CKSUM + 1] = 0;
  np_put16(b + TCP_F_CKSUM, np_tcp_cksum(MYIP, PEERIP, b, 40));
  CHECK(np_tcp_parse(b, 40, MYIP, PEERIP, &u) == 0 && !u.sackok);

  BEGIN("sack_permitted_offered_on_syn");
  setup();
  tcp_open(&T, 0, ISS, &O);
  CHECK(O.nseg == 1 && O.seg[0].sackok && O.seg[0].nsack == 0);

  BEGIN("sack_permitted_answered_only_if_offered");
  setup();
  tcp_listen(&T, ISS);
  sa = mkseg(IRS, 0, TCP_SYN, 30000, 0, 0);
  tcp_input(&T, 0, &sa, &O);
  CHECK(O.nseg == 1 && !O.seg[0].sackok && !T.sack_ok);
  setup();
  tcp_listen(&T, ISS);
  sa.sackok = 1;
  tcp_input(&T, 0, &sa, &O);
  CHECK(O.nseg == 1 && O.seg[0].sackok && T.sack_ok);

  BEGIN("sack_blocks_on_out_of_order_acks");
  setup();
  tcp_open(&T, 0, ISS, &O);
  sa = mkseg(IRS, ISS + 1, TCP_SYN | TCP_ACK, 30000, 0, 0);
  sa.sackok = 1;
  tcp_input(&T, 0, &sa, &O);
  in(1, IRS + 101, ISS + 1, TCP_ACK, 30000, 100, 100);
  SEG(0, ISS + 1, IRS + 1, TCP_ACK, -1, 0);
  CHECK(O.seg[0].nsack == 1 && O.seg[0].sack[0][0] == IRS + 101 &&
        O.seg[0].sack[0][1] == IRS + 201);
  in(2, IRS + 301, ISS + 1, TCP_ACK, 30000, 300, 100);
  CHECK(O.nseg == 1 && O.seg[0].nsack == 2 && O.seg[0].sack[0][0] == IRS + 301 &&
        O.seg[0].sack[1][0] == IRS + 101);
  in(3, IRS + 1, ISS + 1, TCP_ACK, 30000, 0, 100);   // fills the first hole
  SEG(0, ISS + 1, IRS + 201, TCP_ACK, -1, 0);
  CHECK(O.seg[0].nsack == 1 && O.seg[0].sack[0][0] == IRS + 301);

  BEGIN("no_sack_blocks_without_permission_or_on_data");
  established(30000);
  in(1, IRS + 101, ISS + 1, TCP_ACK, 30000, 100, 100);
  CHECK(O.nseg == 1 && O.seg[0].nsack == 0);
}

// ---- two endpoints through a lossy, reordering, duplicating link -------

#define LINK_MAX 4096
#define EBUF 16384

struct pkt {
  uint64 at;              // delivery time
  uint64 id;              // sending order: ties at one time keep it
  int to;                 // endpoint 0 or 1
  struct tcp_seg seg;
  uint8 data[PMSS];
};

struct end {
  struct tcb t;
  uint8 sb[EBUF], rb[EBUF];
  uint64 count[TCP_C_N];
  uint events;
};

static struct pkt lnk[LINK_MAX];
static int nlnk;
static struct end E[2];
static uint64 rng;
static int loss, dup, jitter;  // percent, percent, ms
static uint64 npkt;

static uint32
rnd(void)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng >> 11;
}

// Byte i of the stream endpoint e sends.
static uint8
stream(int e, uint64 i)
{
  return (i * 131 + (i >> 9) * 7 + (i >> 17) + e * 101) & 0xff;
}

// Put what endpoint `from` emitted on the link: each copy is lost with
// probability loss%, doubled with dup%, delayed 1..jitter ms (so reordered).
static void
transmit(int from, uint64 now, const struct tcp_out *o)
{
  E[from].events |= o->events;
  for(int c = 0; c < TCP_C_N; c++)
    E[from].count[c] += o->count[c];
  for(int i = 0; i < o->nseg; i++){
    int copies = (int)(rnd() % 100) < loss ? 0 : (int)(rnd() % 100) < dup ? 2 : 1;
    for(int k = 0; k < copies && nlnk < LINK_MAX; k++){
      struct pkt *p = &lnk[nlnk++];
      p->at = now + 1 + rnd() % jitter;
      p->id = npkt++;
      p->to = !from;
      p->seg = o->seg[i];
      if(p->seg.len > PMSS)
        p->seg.len = 0;           // cannot happen: counted below
      tcp_payload(&E[from].t, &o->seg[i], p->data);
    }
  }
}

// The earliest packet's index, or -1.
static int
next_pkt(void)
{
  int best = -1;

  for(int i = 0; i < nlnk; i++)
    if(best < 0 || lnk[i].at < lnk[best].at ||
       (lnk[i].at == lnk[best].at && lnk[i].id < lnk[best].id))
      best = i;
  return best;
}

// Endpoint e's application: write its stream (total[e] bytes), shut
// down; read the other's, checking every byte; close when both are done.
static uint64 total[2], sent[2], rcvd[2];
static int shut[2], eof[2], closed[2], bad;

static void
app(int e, uint64 now)
{
  static uint8 buf[4096];
  struct tcp_out o;
  struct tcb *t = &E[e].t;
  int r;

  while(sent[e] < total[e] && t->state >= TCP_ESTABLISHED){
    uint n = total[e] - sent[e] < sizeof(buf) ? total[e] - sent[e] : sizeof(buf);
    for(uint k = 0; k < n; k++)
      buf[k] = stream(e, sent[e] + k);
    r = tcp_send(t, now, buf, n, &o);
    transmit(e, now, &o);
    if(r <= 0)
      break;
    sent[e] += r;
  }
  if(sent[e] == total[e] && !shut[e] &&
     (t->state == TCP_ESTABLISHED || t->state == TCP_CLOSE_WAIT)){
    tcp_shutdown(t, now, &o);
    transmit(e, now, &o);
    shut[e] = 1;
  }
  while(!eof[e] && (r = tcp_recv(t, now, buf, sizeof(buf), &o)) != TCP_AGAIN){
    transmit(e, now, &o);
    if(r <= 0){
      eof[e] = 1;
      break;
    }
    for(int k = 0; k < r; k++)
      bad += buf[k] != stream(!e, rcvd[e] + k);
    rcvd[e] += r;
  }
  if(eof[e] && shut[e] && !closed[e]){
    tcp_close(t, now, &o);
    transmit(e, now, &o);
    closed[e] = 1;
  }
}

// Run one event: deliver the earliest packet or fire a due timer, after
// advancing the clock to it. Returns 0 when nothing is left to happen.
static int
step(uint64 *now)
{
  struct tcp_out o;
  int pi = next_pkt();
  uint64 next = pi >= 0 ? lnk[pi].at : 0;

  for(int i = 0; i < 2; i++){
    uint64 d = tcp_deadline(&E[i].t);
    if(d && (next == 0 || d < next))
      next = d;
  }
  if(next == 0)
    return 0;
  if(next > *now)
    *now = next;
  if(pi >= 0 && lnk[pi].at <= *now){
    struct pkt p = lnk[pi];
    lnk[pi] = lnk[--nlnk];
    p.seg.data = p.data;
    tcp_input(&E[p.to].t, *now, &p.seg, &o);
    transmit(p.to, *now, &o);
    return 1;
  }
  for(int i = 0; i < 2; i++){
    uint64 d = tcp_deadline(&E[i].t);
    if(d && d <= *now){
      tcp_tick(&E[i].t, *now, &o);
      transmit(i, *now, &o);
    }
  }
  return 1;
}

// Endpoint 0 connects to endpoint 1; each sends the other n0 and n1
// bytes, shuts down, reads to EOF and closes. Returns the simulated time
// taken, or 0 if a byte differs, a stream is short or a side did not end
// cleanly in CLOSED.
static uint64
transfer2(uint64 n0, uint64 n1, uint64 seed)
{
  struct tcp_out o;
  uint64 now = 0, steps = 0;

  tcp_defaults(&P);
  P.mss = PMSS;
  P.msl = 100;
  P.max_retries = 12;
  for(int i = 0; i < 2; i++){
    memset(&E[i], 0, sizeof(E[i]));
    tcp_init(&E[i].t, &P, E[i].sb, EBUF, E[i].rb, EBUF);
    sent[i] = rcvd[i] = shut[i] = eof[i] = closed[i] = 0;
  }
  total[0] = n0;
  total[1] = n1;
  bad = nlnk = 0;
  rng = seed;
  tcp_listen(&E[1].t, 0xfffff000);    // the receiver's sequence numbers wrap
  tcp_open(&E[0].t, now, 0x7ffff000, &o);
  transmit(0, now, &o);
  while(steps++ < 20000000){
    app(0, now);
    app(1, now);
    if(E[0].t.state == TCP_CLOSED && E[1].t.state == TCP_CLOSED)
      break;
    if(!step(&now))
      break;
  }
  printf("  %llu + %llu bytes, loss %d%% dup %d%% jitter %d ms: %llu ms simulated, "
         "%llu retransmitted, %llu fast, %llu timeouts, %llu dupacks, %llu out of order\n",
         (unsigned long long)n0, (unsigned long long)n1, loss, dup, jitter,
         (unsigned long long)now,
         (unsigned long long)(E[0].count[TCP_C_RTX] + E[1].count[TCP_C_RTX]),
         (unsigned long long)(E[0].count[TCP_C_FASTRTX] + E[1].count[TCP_C_FASTRTX]),
         (unsigned long long)(E[0].count[TCP_C_TIMEOUT] + E[1].count[TCP_C_TIMEOUT]),
         (unsigned long long)(E[0].count[TCP_C_DUPACK] + E[1].count[TCP_C_DUPACK]),
         (unsigned long long)(E[0].count[TCP_C_OOO] + E[1].count[TCP_C_OOO]));
  if(bad || rcvd[1] != n0 || rcvd[0] != n1 || !eof[0] || !eof[1] ||
     E[0].t.state != TCP_CLOSED || E[1].t.state != TCP_CLOSED || E[0].t.err || E[1].t.err)
    return 0;
  return now;
}

static uint64
transfer(uint64 n, uint64 seed)
{
  return transfer2(n, 0, seed);
}

static void
test_loopback(void)
{
  BEGIN("loopback_clean_1mb");
  loss = 0, dup = 0, jitter = 1;
  CHECK(transfer(1 << 20, 1) != 0);
  CHECK(E[0].count[TCP_C_RTX] == 0 && E[1].count[TCP_C_OOO] == 0);

  BEGIN("loopback_lossy_1mb");
  loss = 5, dup = 5, jitter = 10;
  CHECK(transfer(1 << 20, 2) != 0);
  CHECK(E[0].count[TCP_C_FASTRTX] > 0 && E[1].count[TCP_C_OOO] > 0);

  // 2% loss each way, no reordering, 16 KiB buffers (the kernel's): a
  // window-limited flight, where a lost retransmission or the ACK that
  // answers it leaves nothing to draw another ACK. Counted, not timed:
  // eight seeds, at most one retransmission timeout between them (6
  // before the loss probe), and the losses repaired by fast retransmit.
  BEGIN("loopback_2pct_loss_needs_no_timeouts");
  loss = 2, dup = 0, jitter = 1;
  uint64 rtos = 0, fast = 0;
  for(uint64 seed = 1; seed <= 8; seed++){
    CHECK(transfer(1 << 20, seed) != 0);
    rtos += E[0].count[TCP_C_TIMEOUT] + E[1].count[TCP_C_TIMEOUT];
    fast += E[0].count[TCP_C_FASTRTX];
  }
  CHECK(rtos <= 1 && fast >= 8 * 10);

  BEGIN("loopback_very_lossy_64k");
  for(uint64 seed = 3; seed < 8; seed++){
    loss = 20, dup = 10, jitter = 20;
    CHECK(transfer(1 << 16, seed) != 0);
  }

  BEGIN("loopback_both_ways_lossy");
  loss = 5, dup = 5, jitter = 10;
  CHECK(transfer2(256 << 10, 300 << 10, 9) != 0);
  CHECK(E[0].count[TCP_C_RTX] > 0 && E[1].count[TCP_C_RTX] > 0);
}

int
main(void)
{
  for(uint i = 0; i < sizeof(pat); i++)
    pat[i] = (i * 7 + (i >> 8) * 13) & 0xff;
  test_open_and_handshake();
  test_passive_open();
  test_simultaneous_open();
  test_closed_port();
  test_mss();
  test_receive();
  test_window();
  test_rst_syn_in_window();
  test_send();
  test_zero_window();
  test_rto();
  test_fast_retransmit();
  test_loss_probe();
  test_close();
  test_close_app();
  test_iss();
  test_netparse_tcp();
  test_sack();
  test_loopback();
  return unit_done("tcp_unit");
}
