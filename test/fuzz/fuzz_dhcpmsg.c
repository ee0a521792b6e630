// libFuzzer target for user/dhcpmsg.c, dhcpc's DHCP message parser and
// builders, built for the host with AddressSanitizer and UBSan:
//
//   make fuzz [FUZZTIME=60]      builds both targets and runs each in turn
//   test/fuzz/fuzz_dhcpmsg -runs=0 test/fuzz/corpus-dhcpmsg   replays the seeds
//
// test/fuzz/replay.c feeds files to it without libFuzzer, as it does for
// fuzz_netparse.c (link it with this file and user/dhcpmsg.c).
//
// An input is one control byte and then a UDP payload (cut at
// DHCP_MAXMSG). Random bytes rarely start like a reply, so the control
// bits can fix that up and let the fuzzer reach the options:
//   0x01  write op 2 (BOOTREPLY), htype 1, hlen 6
//   0x02  write the magic cookie at offset 236
//
// The message sits in a heap buffer of exactly its length, so ASan reports
// any read past its end. Besides "no crash, no undefined behaviour", each
// input must satisfy:
//   - dhcpmsg_parse returns 0 or a DHCP_E* code; an accepted message is a
//     BOOTREPLY whose xid, yiaddr and chaddr are the bytes at the RFC's
//     offsets, with a message type 1..8, the server id and lease an OFFER
//     or ACK needs (a NAK: the server id), and t1 <= t2 <= lease;
//   - an accepted ACK or NAK is one to act on when renewing its own
//     yiaddr from its own server, and only in REBINDING from another
//     server (dhcpmsg_renewal);
//   - zero bytes appended change nothing (they are PAD, or lie past END)
//     unless the message was too short or cut inside an option;
//   - messages built from the input's bytes (a DISCOVER, a REQUEST with
//     or without ciaddr, requested address and server id, a RELEASE),
//     turned into BOOTREPLYs, parse back to the type, xid, chaddr and
//     server that went in.
// A broken rule prints what broke and aborts, which libFuzzer reports as a
// crash and saves as test/fuzz/crash-*.

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/types.h"
#include "user/dhcpmsg.h"

#include "test/fuzz/fuzz.h"

static uint32
be32(const uint8 *p)
{
  return ((uint32)p[0] << 24) | ((uint32)p[1] << 16) | ((uint32)p[2] << 8) | p[3];
}

// An accepted message: what the parser says must be what the bytes say.
static void
check_accepted(const uint8 *m, struct dhcpmsg *d)
{
  CHECK(d->op == 2 && m[0] == 2 && m[1] == 1 && m[2] == 6);
  CHECK(d->xid == be32(m + 4) && d->yiaddr == be32(m + 16) && d->siaddr == be32(m + 20));
  CHECK(memcmp(d->chaddr, m + 28, 6) == 0);
  CHECK(be32(m + 236) == 0x63825363);
  CHECK(d->type >= 1 && d->type <= 8);
  if(d->type == DHCPOFFER || d->type == DHCPACK)
    CHECK(d->server != 0 && d->lease != 0);
  if(d->type == DHCPNAK)
    CHECK(d->server != 0);
  if(d->lease)
    CHECK(d->t1 <= d->t2 && d->t2 <= d->lease);
  if(d->type == DHCPACK || d->type == DHCPNAK){
    CHECK(dhcpmsg_renewal(d, d->yiaddr, d->server, 0) == 0);
    CHECK(dhcpmsg_renewal(d, d->yiaddr, d->server + 1, 0) == DHCP_EOTHERSERVER);
    CHECK(dhcpmsg_renewal(d, d->yiaddr, d->server + 1, 1) == 0);
    CHECK(dhcpmsg_renewal(d, d->yiaddr + 1, d->server, 1) ==
          (d->type == DHCPACK ? DHCP_EOTHERADDR : 0));
  }
}

// Parse m[0..len) again with pad zero bytes after it.
static void
check_padded(const uint8 *m, uint len, int r, struct dhcpmsg *d, uint pad)
{
  uint8 *p = malloc(len + pad);
  struct dhcpmsg e;

  memcpy(p, m, len);
  memset(p + len, 0, pad);
  CHECK(dhcpmsg_parse(p, len + pad, &e) == r);
  if(r == 0)
    CHECK(memcmp(&e, d, sizeof(e)) == 0);
  free(p);
}

// Turn the built message b (len bytes) into a reply and parse it: it must
// carry type, xid, mac and server.
static void
check_built(uint8 *b, int len, int type, uint32 xid, const uint8 *mac, uint32 server)
{
  struct dhcpmsg d;

  CHECK(len == DHCP_MINLEN);
  CHECK(b[0] == 1);
  b[0] = 2;
  CHECK(dhcpmsg_parse(b, len, &d) == 0);
  CHECK(d.type == type && d.xid == xid && memcmp(d.chaddr, mac, 6) == 0);
  CHECK(d.server == server);
}

// Build each client message from the first bytes of the input.
static void
check_builders(const uint8 *in, size_t size)
{
  uint8 seed[26] = { 0 }, *b = malloc(DHCP_MINLEN);
  uint32 xid, ci, req, srv;
  uint8 *mac = seed + 20;

  memcpy(seed, in, size < sizeof(seed) ? size : sizeof(seed));
  xid = be32(seed);
  ci = be32(seed + 4);
  req = be32(seed + 8);
  srv = be32(seed + 12);
  check_built(b, dhcpmsg_discover(b, mac, xid), DHCPDISCOVER, xid, mac, 0);
  check_built(b, dhcpmsg_request(b, mac, xid, ci, req, srv), DHCPREQUEST, xid, mac, srv);
  check_built(b, dhcpmsg_request(b, mac, xid, ci, 0, 0), DHCPREQUEST, xid, mac, 0);
  if(srv)       // a RELEASE always names its server: 0 means none
    check_built(b, dhcpmsg_release(b, mac, xid, ci, srv), DHCPRELEASE, xid, mac, srv);
  free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct dhcpmsg d;
  uint len;
  uint8 *m;
  int ctl, r;

  if((ctl = fuzz_ctl(&data, &size)) < 0)
    return 0;
  len = size > DHCP_MAXMSG ? DHCP_MAXMSG : size;
  m = malloc(len);             // malloc(0) too: ASan then flags any read
  memcpy(m, data, len);
  if((ctl & 1) && len >= 3){
    m[0] = 2;
    m[1] = 1;
    m[2] = 6;
  }
  if((ctl & 2) && len >= 240)
    memcpy(m + 236, "\x63\x82\x53\x63", 4);

  r = dhcpmsg_parse(m, len, &d);
  CHECK(r <= 0 && r >= DHCP_EMISSING);
  CHECK(*dhcpmsg_strerror(r) != 0);
  if(r == 0)
    check_accepted(m, &d);
  if(r != DHCP_ESHORT && r != DHCP_ETRUNC)
    check_padded(m, len, r, &d, 1 + (ctl >> 2));
  check_builders(data, size);
  free(m);
  return 0;
}
