// libFuzzer target for kernel/tcp.c, TCP's state machine, built for the
// host with AddressSanitizer and UBSan:
//
//   make fuzz [FUZZTIME=60]      builds test/fuzz/fuzz_tcp and runs it
//   test/fuzz/fuzz_tcp -runs=0 test/fuzz/corpus-tcp     replays the corpus
//
// An input drives one tcb. Its first byte picks the set-up: bit 0 active
// open (else listen), bit 1 Nagle off, bits 2-3 the receive buffer size,
// bits 4-5 the send buffer size (small sizes make wrap-around and zero
// windows common). Then a list of operations, each an opcode byte and
// its arguments (missing bytes read as 0):
//   0-3  a segment: flags, seq - rcv_nxt (int16), ack - snd_una (int16),
//        window (16 bits), MSS option (one byte, times 8), length (one
//        byte, times 1..8 as the opcode says), the payload from the input
//   4    tcp_send of n (16 bits) bytes
//   5    tcp_recv of up to n (16 bits) bytes
//   6    shutdown, close or abort (next byte mod 3)
//   7    the clock: advance by n ms (16 bits) and tcp_tick
//   8    the clock: jump to tcp_deadline() and tcp_tick
//   9    the last segment again, 1-4 times (duplicate ACKs, duplicates)
//
// After every call these must hold (a broken one prints and aborts):
//   - state valid, at most TCP_OUT_MAX segments, every data segment
//     inside the send buffer and no longer than the MSS (its payload is
//     copied into an exactly-sized heap buffer: ASan checks the bounds);
//   - snd_una <= snd_nxt <= snd_max <= end of data (+ FIN), the send
//     buffer's first byte at snd_una (one off around SYN and FIN);
//   - ring indices and lengths within the buffers; out-of-order ranges
//     non-empty, past rcv_nxt and inside the window;
//   - no hang: unacknowledged data, SYN or FIN means a retransmission
//     timer; data held back with nothing in flight means a persist timer;
//     TIME-WAIT means its timer;
//   - RTO between its bounds, cwnd at least one segment once established.

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/types.h"
#include "kernel/tcp.h"

#include "test/fuzz/fuzz.h"

static const uint sizes[4] = { 1, 100, 1500, 8192 };

struct input {
  const uint8 *p;
  size_t n;
};

static uint
get8(struct input *in)
{
  if(in->n == 0)
    return 0;
  in->n--;
  return *in->p++;
}

static uint
get16(struct input *in)
{
  uint hi = get8(in);

  return hi << 8 | get8(in);
}

static int
lt(uint32 a, uint32 b)
{
  return (int)(a - b) < 0;
}

static int
le(uint32 a, uint32 b)
{
  return (int)(a - b) <= 0;
}

// The segments in out: bounds and payloads.
static void
check_out(const struct tcb *t, const struct tcp_out *o)
{
  CHECK(o->nseg >= 0 && o->nseg <= TCP_OUT_MAX);
  for(int i = 0; i < o->nseg; i++){
    const struct tcp_seg *s = &o->seg[i];
    CHECK(s->nsack <= TCP_SACK_MAX && (s->nsack == 0 || (s->len == 0 && t->sack_ok)));
    for(int k = 0; k < s->nsack; k++)   // held out-of-order data, past rcv_nxt
      CHECK(le(t->rcv_nxt + 1, s->sack[k][0]) && le(s->sack[k][0] + 1, s->sack[k][1]) &&
            le(s->sack[k][1], t->rcv_nxt + t->rsize));
    if(s->flags & TCP_RST){
      CHECK(s->len == 0);
      continue;
    }
    if(s->len == 0)
      continue;
    CHECK(s->len <= t->smss && s->len <= t->ssize);
    CHECK(le(t->sbufseq, s->seq) && le(s->seq + s->len, t->sbufseq + t->slen));
    uint8 *b = malloc(s->len);
    tcp_payload(t, s, b);
    free(b);
  }
}

// The tcb's own consistency, and that something will wake it.
static void
check_tcb(const struct tcb *t)
{
  uint32 end = t->sbufseq + t->slen;
  int busy = t->state >= TCP_SYN_SENT && t->state != TCP_TIME_WAIT &&
             t->state != TCP_FIN_WAIT_2 && t->state != TCP_CLOSED;

  CHECK(t->state < TCP_NSTATES);
  CHECK(t->slen <= t->ssize && t->shead < t->ssize);
  CHECK(t->rlen <= t->rsize && t->rhead < t->rsize);
  CHECK(t->nooo >= 0 && t->nooo <= TCP_OOO_MAX);
  for(int i = 0; i < t->nooo; i++){
    CHECK(lt(t->rcv_nxt, t->ooo[i].start) && lt(t->ooo[i].start, t->ooo[i].end));
    CHECK(le(t->ooo[i].end, t->rcv_nxt + (t->rsize - t->rlen)));
  }
  if(t->state == TCP_LISTEN || (t->state == TCP_CLOSED && t->iss == 0))
    return;
  CHECK(le(t->snd_una, t->snd_nxt) && le(t->snd_nxt, t->snd_max));
  CHECK(le(t->snd_max, end + t->fin_queued));
  CHECK((int)(t->snd_una - t->sbufseq) >= -1 && (int)(t->snd_una - t->sbufseq) <= 1);
  CHECK(t->rto >= t->p.rto_min || t->rto == t->p.rto_init);
  CHECK(t->rto <= t->p.rto_max);
  if(busy && t->snd_max != t->snd_una)
    CHECK(t->t_rtx != 0);
  if(busy && t->state != TCP_SYN_SENT && t->state != TCP_SYN_RCVD &&
     t->snd_max == t->snd_una && lt(t->snd_nxt, end))
    CHECK(t->t_persist != 0);
  if(t->state == TCP_TIME_WAIT)
    CHECK(t->t_wait != 0);
  if(t->state >= TCP_ESTABLISHED && t->state != TCP_CLOSED)
    CHECK(t->cwnd >= t->smss && t->smss >= 64 && t->smss <= t->p.mss);
}

static struct tcp_seg last;      // for opcode 9
static uint8 lastdata[256 * 7];

// One segment from the input, relative to where the tcb is.
static void
do_segment(struct tcb *t, uint64 now, int op, struct input *in, struct tcp_out *o)
{
  struct tcp_seg s;
  uint8 *data;

  memset(&s, 0, sizeof(s));
  s.flags = get8(in) & 0x3f;
  s.seq = t->rcv_nxt + (int16_t)get16(in);
  s.ack = t->snd_una + (int16_t)get16(in);
  s.wnd = get16(in);
  s.mss = get8(in) * 8;
  s.sackok = s.mss & 8;               // the low bit of that byte offers SACK
  s.len = get8(in) * (1 + op * 2);
  data = malloc(s.len ? s.len : 1);
  for(uint i = 0; i < s.len; i++)
    data[i] = get8(in);
  s.data = data;
  tcp_input(t, now, &s, o);
  last = s;
  memcpy(lastdata, data, s.len);
  last.data = lastdata;
  free(data);
}

static void
do_app(struct tcb *t, uint64 now, int op, struct input *in, struct tcp_out *o)
{
  uint n, k;
  uint8 *b;
  int r;

  if(op == 4 || op == 5){
    n = get16(in);
    b = malloc(n ? n : 1);
    memset(b, 0x5a, n);
    r = op == 4 ? tcp_send(t, now, b, n, o) : tcp_recv(t, now, b, n, o);
    CHECK(r >= -2 && r <= (int)n);
    free(b);
  } else if(op == 6) {
    k = get8(in) % 3;
    if(k == 0)
      tcp_shutdown(t, now, o);
    else if(k == 1)
      tcp_close(t, now, o);
    else
      tcp_abort(t, now, o);
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static uint8 sbuf[8192], rbuf[8192];
  struct input in = { data, size };
  struct tcp_params p;
  struct tcb t;
  struct tcp_out o;
  uint64 now = 0, d;
  uint setup = get8(&in);
  int op;

  memset(&last, 0, sizeof(last));
  last.data = lastdata;
  tcp_defaults(&p);
  tcp_init(&t, &p, sbuf, sizes[(setup >> 4) & 3], rbuf, sizes[(setup >> 2) & 3]);
  t.nodelay = (setup >> 1) & 1;
  memset(&o, 0, sizeof(o));
  if(setup & 1)
    tcp_open(&t, now, 0xfffffff0, &o);
  else
    tcp_listen(&t, 0xfffffff0);
  check_out(&t, &o);
  check_tcb(&t);
  while(in.n > 0){
    op = get8(&in) % 10;
    if(op <= 3){
      do_segment(&t, now, op, &in, &o);
    } else if(op == 9) {
      for(uint k = get8(&in) % 4; ; k--){
        tcp_input(&t, now, &last, &o);
        check_out(&t, &o);
        check_tcb(&t);
        if(k == 0)
          break;
      }
    } else if(op <= 6) {
      do_app(&t, now, op, &in, &o);
    } else {
      d = tcp_deadline(&t);
      if(op == 7)
        now += get16(&in);
      else if(d > now)
        now = d;
      tcp_tick(&t, now, &o);
    }
    check_out(&t, &o);
    check_tcb(&t);
  }
  return 0;
}
