// Host unit test of user/dhcpmsg.c: the client messages it builds are the
// bytes RFC 2131 and 2132 define, a server's OFFER, ACK and NAK parse to
// the right fields, every kind of malformed reply is rejected with the
// right code, option overload works, no truncation is read past, and a
// renewal acts only on answers RFC 2131 4.4.5 allows (dhcpmsg_renewal).
//
// Replies are put together here with the RFC's numbers written out
// (offset 236 for the cookie, option 53 for the message type), not with
// dhcpmsg.h's names, so a wrong constant there shows up as a failure.
//
// Build and run from the repository root (make test runs it):
//   make test/dhcp_unit && test/dhcp_unit

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/types.h"
#include "user/dhcpmsg.h"
#include "test/unit.h"

static const uint8 mymac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
#define XID 0x12345678

static uint32
get32(const uint8 *p)
{
  return ((uint32)p[0] << 24) | ((uint32)p[1] << 16) | ((uint32)p[2] << 8) | p[3];
}

// An OFFER as slirp sends one: type, server id, lease 86400 s, mask,
// router, DNS, end.
static const uint8 offer_opts[] = {
  53, 1, 2,
  54, 4, 10, 0, 2, 2,
  51, 4, 0x00, 0x01, 0x51, 0x80,
  1, 4, 255, 255, 255, 0,
  3, 4, 10, 0, 2, 2,
  6, 4, 10, 0, 2, 3,
  255,
};

// Write a BOOTREPLY to mymac with xid XID, yiaddr 10.0.2.15 and siaddr
// 10.0.2.2, the cookie, and opts[0..n) in m (at least 240 + n bytes).
// Returns the message's length.
static uint
mkreply(uint8 *m, const uint8 *opts, uint n)
{
  static const uint8 fixed[] = {
    2, 1, 6, 0, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0,   // op htype hlen hops xid secs flags
    0, 0, 0, 0, 10, 0, 2, 15, 10, 0, 2, 2, 0, 0, 0, 0, // ciaddr yiaddr siaddr giaddr
    0x52, 0x54, 0x00, 0x12, 0x34, 0x56,               // chaddr
  };

  memset(m, 0, 240);
  memcpy(m, fixed, sizeof(fixed));
  memcpy(m + 236, "\x63\x82\x53\x63", 4);
  memcpy(m + 240, opts, n);
  return 240 + n;
}

static int
parse_opts(const uint8 *opts, uint n, struct dhcpmsg *d)
{
  uint8 m[1500];

  return dhcpmsg_parse(m, mkreply(m, opts, n), d);
}

// The options a built message must carry, after the cookie, then PAD to
// 300 bytes.
static void
expect_msg(int line, const uint8 *m, int len, uint32 ciaddr, const uint8 *opts, int n)
{
  int ok = len == 300 && m[0] == 1 && m[1] == 1 && m[2] == 6 && m[3] == 0 &&
           get32(m + 4) == XID && get32(m + 12) == ciaddr &&
           memcmp(m + 28, mymac, 6) == 0 &&
           memcmp(m + 236, "\x63\x82\x53\x63", 4) == 0 &&
           memcmp(m + 240, opts, n) == 0;

  for(int i = 8; i < 12; i++)             // secs, flags: 0 (no broadcast bit)
    ok &= m[i] == 0;
  for(int i = 16; i < 28; i++)            // yiaddr, siaddr, giaddr
    ok &= m[i] == 0;
  for(int i = 34; i < 236; i++)           // rest of chaddr, sname, file
    ok &= m[i] == 0;
  for(int i = 240 + n; i < 300; i++)
    ok &= m[i] == 0;
  if(!ok){
    printf("line %d: FAILED built message differs\n", line);
    failures++;
  }
}

static void
test_build(void)
{
  uint8 m[DHCP_MINLEN];
  // What scapy's BOOTP()/DHCP() builds for these messages, too.
  static const uint8 discover[] = { 53, 1, 1, 55, 6, 1, 3, 6, 51, 58, 59, 255 };
  static const uint8 selecting[] = {
    53, 1, 3, 50, 4, 10, 0, 2, 15, 54, 4, 10, 0, 2, 2, 55, 6, 1, 3, 6, 51, 58, 59, 255,
  };
  static const uint8 renewing[] = { 53, 1, 3, 55, 6, 1, 3, 6, 51, 58, 59, 255 };
  static const uint8 release[] = { 53, 1, 7, 54, 4, 10, 0, 2, 2, 255 };

  memset(m, 0xee, sizeof(m));             // builders must clear what they do not set
  expect_msg(__LINE__, m, dhcpmsg_discover(m, mymac, XID), 0, discover, sizeof(discover));
  memset(m, 0xee, sizeof(m));
  expect_msg(__LINE__, m, dhcpmsg_request(m, mymac, XID, 0, 0x0A00020F, 0x0A000202),
             0, selecting, sizeof(selecting));
  expect_msg(__LINE__, m, dhcpmsg_request(m, mymac, XID, 0x0A00020F, 0, 0),
             0x0A00020F, renewing, sizeof(renewing));
  expect_msg(__LINE__, m, dhcpmsg_release(m, mymac, XID, 0x0A00020F, 0x0A000202),
             0x0A00020F, release, sizeof(release));
}

static void
test_offer(void)
{
  struct dhcpmsg d;

  CHECK(parse_opts(offer_opts, sizeof(offer_opts), &d) == 0);
  CHECK(d.op == 2 && d.type == DHCPOFFER && d.xid == XID);
  CHECK(memcmp(d.chaddr, mymac, 6) == 0);
  CHECK(d.yiaddr == 0x0A00020F && d.siaddr == 0x0A000202);
  CHECK(d.server == 0x0A000202 && d.netmask == 0xFFFFFF00);
  CHECK(d.router == 0x0A000202 && d.dns == 0x0A000203);
  CHECK(d.lease == 86400 && d.t1 == 43200 && d.t2 == 75600);
}

static void
test_ack_nak(void)
{
  struct dhcpmsg d;
  // ACK: two routers and two DNS servers (the first counts), T1 and T2,
  // an unknown option (12, host name), PAD between options, no END.
  static const uint8 ack[] = {
    53, 1, 5, 0, 0, 54, 4, 10, 0, 2, 2, 51, 4, 0, 0, 0x0e, 0x10,
    3, 8, 10, 0, 2, 1, 10, 0, 2, 9, 6, 8, 8, 8, 8, 8, 1, 1, 1, 1,
    12, 3, 'x', 'v', '6', 58, 4, 0, 0, 0x03, 0x84, 59, 4, 0, 0, 0x07, 0x08,
  };
  static const uint8 nak[] = { 53, 1, 6, 54, 4, 10, 0, 2, 2, 255 };
  // T1 > T2: both fall back to 1/2 and 7/8 of the lease.
  static const uint8 badtimes[] = {
    53, 1, 5, 54, 4, 10, 0, 2, 2, 51, 4, 0, 0, 0x0e, 0x10,
    58, 4, 0, 0, 0x0e, 0x00, 59, 4, 0, 0, 0x01, 0x00, 255,
  };
  static const uint8 forever[] = {
    53, 1, 5, 54, 4, 10, 0, 2, 2, 51, 4, 0xff, 0xff, 0xff, 0xff, 255,
  };

  CHECK(parse_opts(ack, sizeof(ack), &d) == 0);
  CHECK(d.type == DHCPACK && d.server == 0x0A000202 && d.lease == 3600);
  CHECK(d.router == 0x0A000201 && d.dns == 0x08080808);
  CHECK(d.t1 == 900 && d.t2 == 1800 && d.netmask == 0);
  CHECK(parse_opts(nak, sizeof(nak), &d) == 0);
  CHECK(d.type == DHCPNAK && d.server == 0x0A000202 && d.lease == 0);
  CHECK(parse_opts(badtimes, sizeof(badtimes), &d) == 0);
  CHECK(d.t1 == 1800 && d.t2 == 3150);
  CHECK(parse_opts(forever, sizeof(forever), &d) == 0);
  CHECK(d.lease == DHCP_INFINITE && d.t1 == DHCP_INFINITE && d.t2 == DHCP_INFINITE);
}

// Answers to a renewal of 10.0.2.15's lease from 10.0.2.2 (mkreply:
// yiaddr 10.0.2.15): in RENEWING only 10.0.2.2 may answer; in REBINDING
// any server; an ACK must give back 10.0.2.15 in both.
static void
test_renewal(void)
{
  struct dhcpmsg d;
  uint8 m[1500];
  uint n;
  static const uint8 ack[] = { 53, 1, 5, 54, 4, 10, 0, 2, 2, 51, 4, 0, 0, 0, 8, 255 };
  static const uint8 rogue_ack[] = { 53, 1, 5, 54, 4, 10, 0, 2, 66, 51, 4, 0, 0, 0, 8, 255 };
  static const uint8 rogue_nak[] = { 53, 1, 6, 54, 4, 10, 0, 2, 66, 255 };
  static const uint8 nak[] = { 53, 1, 6, 54, 4, 10, 0, 2, 2, 255 };
  uint32 addr = 0x0A00020F, server = 0x0A000202;

  CHECK(parse_opts(ack, sizeof(ack), &d) == 0);
  CHECK(dhcpmsg_renewal(&d, addr, server, 0) == 0);
  CHECK(dhcpmsg_renewal(&d, addr, server, 1) == 0);
  CHECK(parse_opts(nak, sizeof(nak), &d) == 0);
  CHECK(dhcpmsg_renewal(&d, addr, server, 0) == 0);
  CHECK(parse_opts(rogue_ack, sizeof(rogue_ack), &d) == 0);
  CHECK(dhcpmsg_renewal(&d, addr, server, 0) == DHCP_EOTHERSERVER);
  CHECK(dhcpmsg_renewal(&d, addr, server, 1) == 0);
  CHECK(parse_opts(rogue_nak, sizeof(rogue_nak), &d) == 0);
  CHECK(dhcpmsg_renewal(&d, addr, server, 0) == DHCP_EOTHERSERVER);
  CHECK(dhcpmsg_renewal(&d, addr, server, 1) == 0);
  // Another address, from either server, in either state.
  n = mkreply(m, ack, sizeof(ack));
  m[19] = 200;                                    // yiaddr 10.0.2.200
  CHECK(dhcpmsg_parse(m, n, &d) == 0 && d.yiaddr == 0x0A0002C8);
  CHECK(dhcpmsg_renewal(&d, addr, server, 0) == DHCP_EOTHERADDR);
  CHECK(dhcpmsg_renewal(&d, addr, server, 1) == DHCP_EOTHERADDR);
  n = mkreply(m, rogue_ack, sizeof(rogue_ack));
  m[19] = 200;
  CHECK(dhcpmsg_parse(m, n, &d) == 0);
  CHECK(dhcpmsg_renewal(&d, addr, server, 0) == DHCP_EOTHERSERVER);
  CHECK(dhcpmsg_renewal(&d, addr, server, 1) == DHCP_EOTHERADDR);
  CHECK(strcmp(dhcpmsg_strerror(DHCP_EOTHERSERVER), "unknown error") != 0);
  CHECK(strcmp(dhcpmsg_strerror(DHCP_EOTHERADDR), "unknown error") != 0);
}

// Replies whose options are wrong, each with the code it must get.
static const struct {
  const char *what;
  uint8 opts[24];
  uint n;
  int want;
} badopts[] = {
  { "no options",           { 0 }, 0, DHCP_ENOTYPE },
  { "only END",             { 255 }, 1, DHCP_ENOTYPE },
  { "only PAD",             { 0, 0, 0 }, 3, DHCP_ENOTYPE },
  { "type after END",       { 255, 53, 1, 6 }, 4, DHCP_ENOTYPE },
  { "no length byte",       { 53 }, 1, DHCP_ETRUNC },
  { "data past the end",    { 53, 1, 6, 54, 4, 10, 0, 2 }, 8, DHCP_ETRUNC },
  { "unknown past the end", { 53, 1, 6, 200, 10, 1, 2 }, 7, DHCP_ETRUNC },
  { "type length 2",        { 53, 2, 6, 6, 54, 4, 10, 0, 2, 2 }, 10, DHCP_EOPTLEN },
  { "type length 0",        { 53, 0, 54, 4, 10, 0, 2, 2 }, 8, DHCP_EOPTLEN },
  { "type 0",               { 53, 1, 0, 255 }, 4, DHCP_EOPTLEN },
  { "type 9",               { 53, 1, 9, 255 }, 4, DHCP_EOPTLEN },
  { "server id length 3",   { 53, 1, 6, 54, 3, 10, 0, 2, 255 }, 9, DHCP_EOPTLEN },
  { "mask length 5",        { 53, 1, 6, 54, 4, 10, 0, 2, 2, 1, 5, 255, 255, 255, 0, 0 }, 16, DHCP_EOPTLEN },
  { "router length 0",      { 53, 1, 6, 54, 4, 10, 0, 2, 2, 3, 0 }, 11, DHCP_EOPTLEN },
  { "dns length 6",         { 53, 1, 6, 54, 4, 10, 0, 2, 2, 6, 6, 1, 2, 3, 4, 5, 6 }, 17, DHCP_EOPTLEN },
  { "lease length 2",       { 53, 1, 6, 54, 4, 10, 0, 2, 2, 51, 2, 1, 0 }, 13, DHCP_EOPTLEN },
  { "overload 4",           { 53, 1, 6, 54, 4, 10, 0, 2, 2, 52, 1, 4 }, 12, DHCP_EOPTLEN },
  { "type twice",           { 53, 1, 6, 54, 4, 10, 0, 2, 2, 53, 1, 6 }, 12, DHCP_EDUP },
  { "offer, no server id",  { 53, 1, 2, 51, 4, 0, 0, 1, 0, 255 }, 10, DHCP_EMISSING },
  { "offer, no lease",      { 53, 1, 2, 54, 4, 10, 0, 2, 2, 255 }, 10, DHCP_EMISSING },
  { "ack, server id 0",     { 53, 1, 5, 54, 4, 0, 0, 0, 0, 51, 4, 0, 0, 1, 0 }, 15, DHCP_EMISSING },
  { "ack, lease 0",         { 53, 1, 5, 54, 4, 10, 0, 2, 2, 51, 4, 0, 0, 0, 0 }, 15, DHCP_EOPTLEN },
  { "nak, no server id",    { 53, 1, 6, 255 }, 4, DHCP_EMISSING },
};

static void
test_bad_options(void)
{
  struct dhcpmsg d;
  int got;

  for(uint i = 0; i < sizeof(badopts) / sizeof(badopts[0]); i++){
    got = parse_opts(badopts[i].opts, badopts[i].n, &d);
    if(got != badopts[i].want){
      printf("FAILED %s: %d (%s), want %d\n", badopts[i].what, got,
             dhcpmsg_strerror(got), badopts[i].want);
      failures++;
    }
  }
}

// Mutate one byte of the fixed part of the OFFER and expect code want.
static void
expect_hdr(int line, uint off, uint8 val, int want)
{
  uint8 m[1500];
  struct dhcpmsg d;
  uint n = mkreply(m, offer_opts, sizeof(offer_opts));
  int got;

  m[off] = val;
  if((got = dhcpmsg_parse(m, n, &d)) != want){
    printf("line %d: FAILED code %d, want %d\n", line, got, want);
    failures++;
  }
}

static void
test_bad_header(void)
{
  expect_hdr(__LINE__, 0, 1, DHCP_EHEADER);      // a BOOTREQUEST
  expect_hdr(__LINE__, 0, 3, DHCP_EHEADER);
  expect_hdr(__LINE__, 1, 6, DHCP_EHEADER);      // htype IEEE 802
  expect_hdr(__LINE__, 2, 16, DHCP_EHEADER);     // hlen 16
  expect_hdr(__LINE__, 236, 0x62, DHCP_ECOOKIE);
  expect_hdr(__LINE__, 239, 0x64, DHCP_ECOOKIE);
  expect_hdr(__LINE__, 3, 4, 0);                 // hops, secs, flags, giaddr: not ours to judge
  expect_hdr(__LINE__, 11, 0x80, 0);
  expect_hdr(__LINE__, 24, 10, 0);
  expect_hdr(__LINE__, 50, 'x', 0);              // sname and file without overload: not read
  expect_hdr(__LINE__, 108, 53, 0);
}

// Option overload (52): options in file (1), sname (2) or both (3), read
// after the options field; without 52 those fields are not options.
static void
test_overload(void)
{
  uint8 m[1500];
  struct dhcpmsg d;
  static const uint8 opts1[] = { 52, 1, 1, 54, 4, 10, 0, 2, 2, 255 };
  static const uint8 opts3[] = { 52, 1, 3, 255 };
  static const uint8 nooverload[] = { 54, 4, 10, 0, 2, 2, 255 };
  static const uint8 infile[] = { 53, 1, 2, 51, 4, 0, 0, 0x0e, 0x10, 255 };
  static const uint8 insname[] = { 0, 54, 4, 10, 0, 2, 2, 3, 4, 10, 0, 2, 1 };  // no END
  uint n;

  n = mkreply(m, opts1, sizeof(opts1));
  memcpy(m + 108, infile, sizeof(infile));
  CHECK(dhcpmsg_parse(m, n, &d) == 0);
  CHECK(d.type == DHCPOFFER && d.server == 0x0A000202 && d.lease == 3600);

  n = mkreply(m, opts3, sizeof(opts3));
  memcpy(m + 108, infile, sizeof(infile));
  memcpy(m + 44, insname, sizeof(insname));
  CHECK(dhcpmsg_parse(m, n, &d) == 0);
  CHECK(d.type == DHCPOFFER && d.server == 0x0A000202 && d.router == 0x0A000201);

  n = mkreply(m, nooverload, sizeof(nooverload));
  memcpy(m + 108, infile, sizeof(infile));
  CHECK(dhcpmsg_parse(m, n, &d) == DHCP_ENOTYPE);

  n = mkreply(m, opts1, sizeof(opts1));           // server id in both: duplicate
  memcpy(m + 108, insname, sizeof(insname));
  CHECK(dhcpmsg_parse(m, n, &d) == DHCP_EDUP);

  n = mkreply(m, opts1, sizeof(opts1));           // overload again in file
  memcpy(m + 108, "\x35\x01\x02\x34\x01\x02", 6);
  CHECK(dhcpmsg_parse(m, n, &d) == DHCP_EDUP);

  n = mkreply(m, opts1, sizeof(opts1));           // an option running past file
  memcpy(m + 108, infile, sizeof(infile));
  memcpy(m + 108 + 126, "\x0c\x05", 2);
  m[108 + sizeof(infile) - 1] = 0;                // END becomes PAD
  CHECK(dhcpmsg_parse(m, n, &d) == DHCP_ETRUNC);
}

// A REQUEST we built, turned into a BOOTREPLY, parses to what went in:
// the builders and the parser agree on every offset.
static void
test_roundtrip(void)
{
  uint8 m[DHCP_MINLEN];
  struct dhcpmsg d;

  dhcpmsg_request(m, mymac, 0xCAFEF00D, 0x0A000210, 0x0A000210, 0x0A000202);
  m[0] = 2;
  CHECK(dhcpmsg_parse(m, sizeof(m), &d) == 0);
  CHECK(d.type == DHCPREQUEST && d.xid == 0xCAFEF00D && d.server == 0x0A000202);
  CHECK(memcmp(d.chaddr, mymac, 6) == 0 && d.yiaddr == 0);
}

// Does an option of offer_opts (or its END) start at offset off of the
// message?
static int
boundary(uint off)
{
  for(uint i = 0; ; i += 2 + offer_opts[i+1]){
    if(240 + i == off)
      return 1;
    if(offer_opts[i] == 255)
      return 0;
  }
}

// Prefixes of the OFFER: one that cuts into an option is rejected
// (DHCP_ETRUNC); one that ends between options is rejected or parses
// without the last option (DNS); from the END byte on (END is optional)
// all of it parses. Each sits in a buffer of exactly its length, so
// -fsanitize=address catches a read past it.
static void
test_truncation(void)
{
  uint8 full[1500];
  uint n = mkreply(full, offer_opts, sizeof(offer_opts));
  struct dhcpmsg d;
  uint8 *m;
  int r;

  for(uint len = 0; len <= n; len++){
    m = malloc(len ? len : 1);
    memcpy(m, full, len);
    r = dhcpmsg_parse(m, len, &d);
    if(len < 240)
      CHECK(r == DHCP_ESHORT);
    else if(len >= n - 1)
      CHECK(r == 0 && d.dns == 0x0A000203);
    else if(boundary(len))
      CHECK(r < 0 || d.dns == 0);
    else
      CHECK(r == DHCP_ETRUNC);
    free(m);
  }
}

int
main(void)
{
  test_build();
  test_offer();
  test_ack_nak();
  test_renewal();
  test_bad_options();
  test_bad_header();
  test_overload();
  test_roundtrip();
  test_truncation();
  return unit_done("dhcp_unit");
}
