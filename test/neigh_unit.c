// Host unit test of kernel/neigh.c, the neighbour cache's rules. Each case
// is one named situation: a cache set up by earlier calls, one input (an
// ARP message, a packet to send, a tick) at a given time, and the exact
// actions asserted (struct neigh_out, field by field), as smoltcp's
// interface tests assert the exact reply to one packet.
//
// Build and run from the repository root: make test/neigh_unit && test/neigh_unit

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/types.h"
#include "kernel/netparse.h"
#include "kernel/netif.h"
#include "kernel/neigh.h"
#include "test/unit.h"

#define PEER  0x0A000202    // 10.0.2.2
#define OTHER 0x0A000263    // 10.0.2.99
#define ASKER(i) (0x0A000264 + (i))   // 10.0.2.100 + i
#define TTL   6000          // ms: the lifetime test_wire.py's wire-arp used

static const uint8 peermac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static const uint8 newmac[6] = { 0x02, 0x00, 0x0a, 0x00, 0x02, 0x02 };
static const uint8 zeromac[6];

static struct neigh n;
static struct neigh_out o;
static const char *cname;   // the case running, for failure messages

// The actions of a call that does nothing.
static struct neigh_out
none(void)
{
  struct neigh_out w;

  memset(&w, 0, sizeof(w));
  w.release = -1;
  w.slot = -1;
  return w;
}

// The actions of neigh_output when the packet is sent to mac at once.
static struct neigh_out
send_to(const uint8 *mac)
{
  struct neigh_out w = none();

  w.pkt = NEIGH_SEND;
  memcpy(w.mac, mac, 6);
  return w;
}

// The actions of neigh_output when the packet waits on slot.
static struct neigh_out
queued(int slot)
{
  struct neigh_out w = none();

  w.pkt = NEIGH_QUEUE;
  w.slot = slot;
  return w;
}

static struct neigh_out
asking(struct neigh_out w, uint32 ip, const uint8 *mac)
{
  w.ask = 1;
  w.ask_ip = ip;
  memcpy(w.ask_mac, mac, 6);
  return w;
}

// Is o exactly w? Prints each field that differs.
#define SAME(w) same((w), __LINE__)
static void
same(struct neigh_out w, int line)
{
  int bad = 0;

#define F(f) if(o.f != w.f){ printf("%s line %d: " #f " %ld, want %ld\n", \
                cname, line, (long)o.f, (long)w.f); bad = 1; }
  F(drop) F(release) F(pkt) F(slot) F(reply) F(ask) F(ask_ip) F(full)
#undef F
  if(memcmp(o.mac, w.mac, 6) != 0){
    printf("%s line %d: mac differs\n", cname, line);
    bad = 1;
  }
  if(memcmp(o.ask_mac, w.ask_mac, 6) != 0){
    printf("%s line %d: ask_mac differs\n", cname, line);
    bad = 1;
  }
  check(!bad, "the actions are exactly those expected", line);
}

static void
fresh(const char *name)
{
  cname = name;
  neigh_init(&n, TTL);
}

// The state arplist() shows for ip at now, 0 if not listed.
static int
state(uint32 ip, uint64 now)
{
  struct arpinfo ai[NEIGH_N];
  int k = neigh_list(&n, now, ai);

  for(int i = 0; i < k; i++)
    if(ai[i].ip == ip)
      return ai[i].state;
  return 0;
}

static int
count(uint64 now)
{
  struct arpinfo ai[NEIGH_N];

  return neigh_list(&n, now, ai);
}

static void
rx(uint64 now, int kind, uint32 sip, const uint8 *sha)
{
  neigh_rx(&n, now, kind, sip, sha, &o);
}

static void
out(uint64 now, uint32 ip)
{
  neigh_output(&n, now, ip, &o);
}

static void
test_request_for_us_answered(void)
{
  uint8 mac[6];

  fresh("request_for_us_answered");
  rx(0, NP_ARP_REQUEST, PEER, peermac);
  struct neigh_out w = none();
  w.reply = 1;
  SAME(w);
  CHECK(neigh_lookup(&n, PEER, mac) == 0 && memcmp(mac, peermac, 6) == 0);
  out(10, PEER);                          // we talk back without asking
  SAME(send_to(peermac));
}

static void
test_reply_learned_releases_waiting(void)
{
  fresh("reply_learned_releases_waiting");
  out(0, PEER);
  SAME(asking(queued(0), PEER, np_mac_broadcast));
  out(5, PEER);                           // asked already: just waits
  SAME(queued(0));
  rx(20, NP_ARP_REPLY, PEER, peermac);
  struct neigh_out w = none();
  w.release = 0;
  memcpy(w.mac, peermac, 6);
  SAME(w);
  CHECK(state(PEER, 20) == ARP_REACHABLE);
  out(30, PEER);
  SAME(send_to(peermac));
}

static void
test_refresh_on_any_arp(void)
{
  fresh("refresh_on_any_arp");
  rx(0, NP_ARP_REQUEST, PEER, peermac);
  rx(4000, NP_ARP_OTHER, PEER, newmac);   // a request for someone else
  SAME(none());                           // not answered, nothing waits
  CHECK(state(PEER, 4000) == ARP_REACHABLE);   // confirmed at 4000
  out(4001, PEER);
  SAME(send_to(newmac));                  // RFC 826's merge: the new address
  rx(4500, NP_ARP_REPLY, PEER, peermac);  // a reply we did not need
  SAME(none());
  out(4501, PEER);
  SAME(send_to(peermac));
}

static void
test_unsolicited_creates_nothing(void)
{
  uint8 mac[6];

  fresh("unsolicited_creates_nothing");
  rx(0, NP_ARP_REPLY, PEER, peermac);
  SAME(none());
  rx(0, NP_ARP_OTHER, OTHER, peermac);
  SAME(none());
  CHECK(count(0) == 0);
  CHECK(neigh_lookup(&n, PEER, mac) == -1);
}

static void
test_ageing_boundary(void)
{
  fresh("ageing_boundary");
  rx(0, NP_ARP_REQUEST, PEER, peermac);
  CHECK(state(PEER, TTL / 2 - 1) == ARP_REACHABLE);
  CHECK(state(PEER, TTL / 2) == ARP_STALE);
  out(TTL / 2 - 1, PEER);                 // reachable: no refresh
  SAME(send_to(peermac));
  out(TTL / 2, PEER);                     // stale: refresh by unicast
  SAME(asking(send_to(peermac), PEER, peermac));
  out(TTL / 2 + NEIGH_WAIT_MS, PEER);     // that refresh is still on its way
  SAME(send_to(peermac));
  out(TTL / 2 + NEIGH_WAIT_MS + 1, PEER); // unanswered: ask again
  SAME(asking(send_to(peermac), PEER, peermac));
  neigh_tick(&n, TTL - 1, &o);
  SAME(none());
  CHECK(state(PEER, TTL - 1) == ARP_STALE);
  out(TTL - 1, PEER);                     // still usable 1 ms before the end,
  SAME(asking(send_to(peermac), PEER, peermac)); // and asked again
  neigh_tick(&n, TTL, &o);                // forgotten at exactly ttl
  SAME(none());
  CHECK(count(TTL) == 0);
  out(TTL, PEER);                         // asked for by broadcast again
  SAME(asking(queued(0), PEER, np_mac_broadcast));
}

static void
test_expired_on_use(void)
{
  fresh("expired_on_use");
  rx(0, NP_ARP_REQUEST, PEER, peermac);
  out(TTL, PEER);                         // no tick came: the send finds it old
  SAME(asking(queued(0), PEER, np_mac_broadcast));
}

static void
test_pending_limit(void)
{
  fresh("pending_limit");
  for(int i = 0; i < NEIGH_PENDMAX; i++)
    out(i, PEER);
  out(NEIGH_PENDMAX, PEER);
  struct neigh_out w = none();
  w.pkt = NEIGH_DROP;
  SAME(w);
  CHECK(n.ent[0].npending == NEIGH_PENDMAX);
}

static void
test_unanswered_dropped_on_tick(void)
{
  fresh("unanswered_dropped_on_tick");
  out(0, OTHER);
  out(1, PEER);
  out(2, PEER);
  neigh_tick(&n, 1 + NEIGH_WAIT_MS, &o);  // OTHER gives up, PEER not yet
  struct neigh_out w = none();
  w.drop = 1 << 0;
  SAME(w);
  neigh_tick(&n, 2 + NEIGH_WAIT_MS, &o);
  w.drop = 1 << 1;
  SAME(w);
  CHECK(count(2 + NEIGH_WAIT_MS) == 0);
}

static void
test_unanswered_dropped_on_send(void)
{
  fresh("unanswered_dropped_on_send");
  out(0, PEER);
  out(NEIGH_WAIT_MS, PEER);               // still within the wait
  SAME(queued(0));
  out(NEIGH_WAIT_MS + 1, PEER);           // given up: dropped, asked anew
  struct neigh_out w = asking(queued(0), PEER, np_mac_broadcast);
  w.drop = 1 << 0;
  SAME(w);
  CHECK(n.ent[0].npending == 1);
}

// Fill the cache with askers 0..NEIGH_N-1, asker i at time i.
static void
fill(void)
{
  for(int i = 0; i < NEIGH_N; i++)
    rx(i, NP_ARP_REQUEST, ASKER(i), peermac);
  CHECK(count(NEIGH_N) == NEIGH_N);
}

static void
test_victim_lru(void)
{
  fresh("victim_lru");
  fill();
  rx(100, NP_ARP_REQUEST, PEER, peermac); // replaces the oldest, asker 0
  CHECK(n.ent[0].ip == PEER);
  CHECK(state(ASKER(0), 100) == 0);
}

static void
test_victim_spares_wanted(void)
{
  fresh("victim_spares_wanted");
  fill();
  out(50, ASKER(0));                      // we send to asker 0
  out(60, ASKER(1));                      //   and to asker 1
  rx(100, NP_ARP_REQUEST, PEER, peermac);
  CHECK(n.ent[2].ip == PEER);             // the oldest one never used
}

static void
test_victim_spares_waiting(void)
{
  fresh("victim_spares_waiting");
  for(int i = 0; i < NEIGH_N; i++)        // all wanted, all waiting
    out(i, ASKER(i));
  rx(10, NP_ARP_REPLY, ASKER(0), peermac);// 0 answers: nothing waits on it
  rx(20, NP_ARP_REQUEST, PEER, peermac);
  CHECK(n.ent[0].ip == PEER);
}

static void
test_victim_prefers_expired(void)
{
  fresh("victim_prefers_expired");
  fill();
  out(10, ASKER(5));                      // 5 wanted, used at 10...
  rx(20, NP_ARP_REPLY, ASKER(5), peermac);
  for(int i = 0; i < NEIGH_N; i++)        // ...the others confirmed later
    if(i != 5)
      rx(TTL / 2, NP_ARP_OTHER, ASKER(i), peermac);
  out(TTL + 20, PEER);                    // 5 has expired: its slot is taken
  SAME(asking(queued(5), PEER, np_mac_broadcast));
}

static void
test_expired_victim_drops_waiting(void)
{
  fresh("expired_victim_drops_waiting");
  out(0, OTHER);                          // slot 0: never answered
  for(int i = 1; i < NEIGH_N; i++)
    rx(i, NP_ARP_REQUEST, ASKER(i), peermac);
  out(NEIGH_WAIT_MS + 1, PEER);
  struct neigh_out w = asking(queued(0), PEER, np_mac_broadcast);
  w.drop = 1 << 0;
  SAME(w);
}

static void
test_full_table(void)
{
  fresh("full_table");
  for(int i = 0; i < NEIGH_N; i++)
    out(i, ASKER(i));
  out(20, PEER);                          // every entry has packets waiting
  struct neigh_out w = none();
  w.pkt = NEIGH_DROP;
  w.full = 1;
  SAME(w);
  rx(30, NP_ARP_REQUEST, PEER, peermac);  // answered, not cached
  w = none();
  w.reply = 1;
  w.full = 1;
  SAME(w);
  CHECK(state(PEER, 30) == 0 && count(30) == NEIGH_N);
}

static void
test_broadcast_and_no_route(void)
{
  fresh("broadcast_and_no_route");
  out(0, IP_BROADCAST);
  SAME(send_to(np_mac_broadcast));
  out(0, 0);                              // off the subnet, no gateway
  struct neigh_out w = none();
  w.pkt = NEIGH_DROP;
  SAME(w);
  CHECK(count(0) == 0);
}

static void
test_flush(void)
{
  fresh("flush");
  rx(0, NP_ARP_REQUEST, PEER, peermac);
  out(1, OTHER);                          // slot 1 waits
  neigh_flush(&n, &o);
  struct neigh_out w = none();
  w.drop = 1 << 1;
  SAME(w);
  CHECK(count(1) == 0);
}

static void
test_list(void)
{
  struct arpinfo ai[NEIGH_N];

  fresh("list");
  out(0, OTHER);
  rx(100, NP_ARP_REQUEST, PEER, peermac);
  CHECK(neigh_list(&n, 250, ai) == 2);
  CHECK(ai[0].ip == OTHER && ai[0].state == ARP_PENDING &&
        memcmp(ai[0].mac, zeromac, 6) == 0 && ai[0].age_ms == 250);
  CHECK(ai[1].ip == PEER && ai[1].state == ARP_REACHABLE &&
        memcmp(ai[1].mac, peermac, 6) == 0 && ai[1].age_ms == 150);
}

static void
test_ttl(void)
{
  fresh("ttl");
  CHECK(neigh_ttl(&n, 0) == TTL / 1000);  // reads it
  CHECK(neigh_ttl(&n, 60) == TTL / 1000);
  CHECK(neigh_ttl(&n, -1) == -1 && neigh_ttl(&n, ARP_TTL_MAX + 1) == -1);
  CHECK(neigh_ttl(&n, ARP_TTL_MAX) == 60 && n.ttl == ARP_TTL_MAX * 1000ULL);
}

int
main(void)
{
  test_request_for_us_answered();
  test_reply_learned_releases_waiting();
  test_refresh_on_any_arp();
  test_unsolicited_creates_nothing();
  test_ageing_boundary();
  test_expired_on_use();
  test_pending_limit();
  test_unanswered_dropped_on_tick();
  test_unanswered_dropped_on_send();
  test_victim_lru();
  test_victim_spares_wanted();
  test_victim_spares_waiting();
  test_victim_prefers_expired();
  test_expired_victim_drops_waiting();
  test_full_table();
  test_broadcast_and_no_route();
  test_flush();
  test_list();
  test_ttl();
  return unit_done("neigh_unit");
}
