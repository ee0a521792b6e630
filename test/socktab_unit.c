// Host unit test of kernel/socktab.c, the socket table's rules. Each case
// is one named situation: a table set up by earlier calls, one input (a
// datagram's addresses, a new socket, a queue check) and the exact result
// asserted, in smoltcp's style.
//
// Build and run from the repository root: make test/socktab_unit && test/socktab_unit

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/types.h"
#include "kernel/net.h"
#include "kernel/socket.h"
#include "kernel/socktab.h"
#include "test/unit.h"

#define PEER  0x0A000202    // 10.0.2.2
#define OTHER 0x0A000263    // 10.0.2.99
#define UDP   IPPROTO_UDP
#define ICMP  IPPROTO_ICMP

static struct socktab t;
static struct sockent e[NBIND + 8];

static void
fresh(void)
{
  socktab_init(&t);
  memset(e, 0, sizeof(e));
}

static int
udp(int i, uint32 raddr, uint16 lport, uint16 rport)
{
  return socktab_link(&t, &e[i], UDP, raddr, lport, rport, 0);
}

// A connected socket wins over a wildcard one on the same port, whichever
// was made first.
static void
test_perfect_match_first(void)
{
  fresh();
  CHECK(udp(0, 0, 2000, 0) == 0);            // server: any sender
  CHECK(udp(1, PEER, 2000, 5000) == 0);      // connected to PEER:5000
  CHECK(socktab_lookup(&t, UDP, PEER, 5000, 2000) == &e[1]);
  CHECK(socktab_lookup(&t, UDP, PEER, 5001, 2000) == &e[0]);
  CHECK(socktab_lookup(&t, UDP, OTHER, 5000, 2000) == &e[0]);
  fresh();
  CHECK(udp(1, PEER, 2000, 5000) == 0);      // the other order
  CHECK(udp(0, 0, 2000, 0) == 0);
  CHECK(socktab_lookup(&t, UDP, PEER, 5000, 2000) == &e[1]);
}

// A half wildcard admits only what it names.
static void
test_half_wildcards(void)
{
  fresh();
  CHECK(udp(0, PEER, 2000, 0) == 0);         // PEER, any port
  CHECK(udp(1, 0, 2001, 53) == 0);           // anyone's port 53
  CHECK(socktab_lookup(&t, UDP, PEER, 9, 2000) == &e[0]);
  CHECK(socktab_lookup(&t, UDP, OTHER, 9, 2000) == 0);
  CHECK(socktab_lookup(&t, UDP, OTHER, 53, 2001) == &e[1]);
  CHECK(socktab_lookup(&t, UDP, OTHER, 54, 2001) == 0);
}

// Nothing on the port, or only another protocol: no socket. Ports in the
// same hash bucket do not mix.
static void
test_no_socket(void)
{
  fresh();
  CHECK(socktab_lookup(&t, UDP, PEER, 5000, 2000) == 0);
  CHECK(udp(0, 0, 2000 + SOCKTAB_HASH, 0) == 0);    // same bucket as 2000
  CHECK(socktab_lookup(&t, UDP, PEER, 5000, 2000) == 0);
  CHECK(socktab_lookup(&t, ICMP, PEER, 0, 2000 + SOCKTAB_HASH) == 0);
}

// One socket per triple; a bound port is a triple too.
static void
test_triple_unique(void)
{
  fresh();
  CHECK(udp(0, PEER, 2000, 5000) == 0);
  CHECK(udp(1, PEER, 2000, 5000) == SOCKTAB_INUSE);
  CHECK(e[1].linked == 0);
  CHECK(udp(1, 0, 2000, 0) == 0);
  CHECK(socktab_link(&t, &e[2], UDP, 0, 2000, 0, 1) == SOCKTAB_INUSE);
  CHECK(socktab_bound(&t, 2000) == 0);       // a connect() wildcard is not bound
  CHECK(socktab_link(&t, &e[2], UDP, 0, 2001, 0, 1) == 0);
  CHECK(socktab_bound(&t, 2001) == &e[2] && e[2].qmax == BIND_RXQMAX);
  CHECK(e[0].qmax == SOCK_RXQMAX);
}

// At most NBIND bound ports; unbinding one frees a place.
static void
test_bind_limit(void)
{
  fresh();
  for(int i = 0; i < NBIND; i++)
    CHECK(socktab_link(&t, &e[i], UDP, 0, 1000 + i, 0, 1) == 0);
  CHECK(socktab_link(&t, &e[NBIND], UDP, 0, 5000, 0, 1) == SOCKTAB_FULL);
  CHECK(udp(NBIND, 0, 5000, 0) == 0);        // connect() sockets do not count
  socktab_unlink(&t, &e[3]);
  CHECK(t.nbound == NBIND - 1 && socktab_bound(&t, 1003) == 0);
  CHECK(socktab_link(&t, &e[NBIND + 1], UDP, 0, 5001, 0, 1) == 0);
}

// Unlinking the middle of a bucket keeps the rest findable.
static void
test_unlink(void)
{
  fresh();
  for(int i = 0; i < 3; i++)
    CHECK(udp(i, PEER, 7 + i * SOCKTAB_HASH, 0) == 0);
  socktab_unlink(&t, &e[1]);
  CHECK(e[1].linked == 0);
  CHECK(socktab_lookup(&t, UDP, PEER, 1, 7 + SOCKTAB_HASH) == 0);
  CHECK(socktab_lookup(&t, UDP, PEER, 1, 7) == &e[0]);
  CHECK(socktab_lookup(&t, UDP, PEER, 1, 7 + 2 * SOCKTAB_HASH) == &e[2]);
}

// ICMP sockets get fresh identifiers, skip 0 and those in use, and take
// only echo replies from their peer with their identifier.
static void
test_icmp_ids(void)
{
  fresh();
  CHECK(socktab_link(&t, &e[0], ICMP, PEER, 0, 0, 0) == 0 && e[0].lport == 1);
  CHECK(socktab_link(&t, &e[1], ICMP, OTHER, 0, 0, 0) == 0 && e[1].lport == 2);
  CHECK(socktab_lookup(&t, ICMP, PEER, 0, 1) == &e[0]);
  CHECK(socktab_lookup(&t, ICMP, OTHER, 0, 1) == 0);
  CHECK(socktab_lookup(&t, UDP, PEER, 0, 1) == 0);
  t.icmp_id = 0xFFFF;                        // wraps past 0 and the used 1, 2
  CHECK(socktab_link(&t, &e[2], ICMP, PEER, 0, 0, 0) == 0 && e[2].lport == 3);
}

// Queue limits, the mbuf reserve, and the socket's own accounting.
static void
test_admit(void)
{
  fresh();
  CHECK(udp(0, 0, 2000, 0) == 0);
  CHECK(socktab_admit(&e[0], SOCK_RXQMAX - 1, 1000) == 1);
  CHECK(socktab_admit(&e[0], SOCK_RXQMAX, 1000) == 0);
  CHECK(socktab_admit(&e[0], 0, SOCKTAB_MBUF_RESERVE - 1) == 0);
  CHECK(socktab_admit(&e[0], 0, SOCKTAB_MBUF_RESERVE) == 1);
  CHECK(e[0].rx == 2 && e[0].drops == 2);
  socktab_unlink(&t, &e[0]);
  CHECK(udp(0, 0, 2000, 0) == 0);            // a new socket in the slot
  CHECK(e[0].rx == 0 && e[0].drops == 0 && e[0].lastaddr == 0);
}

// A wildcard socket answers the sender it read last; a connected one its
// peer.
static void
test_reply_address(void)
{
  uint32 a;
  uint16 p;

  fresh();
  CHECK(udp(0, 0, 2000, 0) == 0);
  socktab_peer(&e[0], &a, &p);
  CHECK(a == 0 && p == 0);                   // nobody to answer yet
  socktab_took(&e[0], PEER, 5000);
  socktab_peer(&e[0], &a, &p);
  CHECK(a == PEER && p == 5000);
  CHECK(udp(1, OTHER, 2001, 0) == 0);        // half wildcard
  socktab_took(&e[1], OTHER, 53);
  socktab_peer(&e[1], &a, &p);
  CHECK(a == OTHER && p == 53);
  CHECK(udp(2, OTHER, 2002, 7) == 0);
  socktab_took(&e[2], OTHER, 7);
  socktab_peer(&e[2], &a, &p);
  CHECK(a == OTHER && p == 7);
}

int
main(void)
{
  test_perfect_match_first();
  test_half_wildcards();
  test_no_socket();
  test_triple_unique();
  test_bind_limit();
  test_unlink();
  test_icmp_ids();
  test_admit();
  test_reply_address();
  return unit_done("socktab_unit");
}
