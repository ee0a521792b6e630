// Host unit test of kernel/netparse.c: checksums on known vectors, a valid
// UDP frame parses, each kind of malformed frame is rejected with the
// right verdict, replies built in place are well formed, and no
// truncation of a valid frame is accepted.
//
// Build and run from the repository root:
//   gcc -Wall -Werror -I. -o net_unit test/net_unit.c kernel/netparse.c && ./net_unit
// (add -fsanitize=address,undefined to catch out-of-bounds reads).

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/types.h"
#include "kernel/netparse.h"
#include "test/unit.h"

static const uint8 mymac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8 peermac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
#define MYIP   0x0A00020F   // 10.0.2.15
#define PEERIP 0x0A000202   // 10.0.2.2
#define MYMASK 0xFFFFFF00   // /24: the subnet's broadcast is 10.0.2.255

// Where each header starts in a frame (no IP options): offsets into a
// frame are one of these plus a field offset from kernel/netparse.h.
#define IPH   ETH_HLEN                   // IPv4 header, or ARP body
#define L4    (ETH_HLEN + IP_HLEN)       // UDP or ICMP header
#define DATA  (L4 + UDP_HLEN)            // UDP payload

// 10.0.2.2:25099 -> 10.0.2.15:2000 "hello", checksums computed by an
// independent Python script.
static const uint8 udp_frame[] = {
  0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02,
  0x08, 0x00, 0x45, 0x00, 0x00, 0x21, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11,
  0x50, 0x88, 0x0a, 0x00, 0x02, 0x02, 0x0a, 0x00, 0x02, 0x0f, 0x62, 0x0b,
  0x07, 0xd0, 0x00, 0x0d, 0x3a, 0x16, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
};

// Recompute the IPv4 header checksum of frame f after a mutation.
static void
fix_ip(uint8 *f)
{
  np_put16(f + IPH + IP_F_CKSUM, 0);
  np_put16(f + IPH + IP_F_CKSUM, np_fold(np_sum(0, f + IPH, IP_HLEN)));
}

static int
parse(const uint8 *f, uint len, struct np_info *pi)
{
  return np_parse(f, len, mymac, MYIP, MYMASK, pi);
}

static void
test_checksums(void)
{
  // RFC 1071 section 3's example: the sum is 0xddf2.
  static const uint8 rfc[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
  // A real IPv4 header (checksum 0xb861).
  uint8 ip[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
  static const uint8 odd[] = { 0x01, 0x02, 0x03 };

  CHECK(np_sum(0, rfc, sizeof(rfc)) == 0xddf2);
  CHECK(np_fold(np_sum(0, rfc, sizeof(rfc))) == 0x220d);
  CHECK(np_fold(np_sum(0, ip, sizeof(ip))) == 0);
  ip[IP_F_CKSUM] = ip[IP_F_CKSUM + 1] = 0;
  CHECK(np_fold(np_sum(0, ip, sizeof(ip))) == 0xb861);
  CHECK(np_sum(0, odd, 3) == 0x0402);   // 0x0102 + 0x0300
  CHECK(np_udp_cksum(PEERIP, MYIP, udp_frame + L4, UDP_HLEN + 5) == 0);
}

static void
test_valid_udp(void)
{
  struct np_info pi;
  uint8 f[ETH_MINLEN];

  CHECK(parse(udp_frame, sizeof(udp_frame), &pi) == NP_UDP);
  CHECK(pi.sip == PEERIP && pi.dip == MYIP);
  CHECK(pi.sport == 25099 && pi.dport == 2000);
  CHECK(pi.off == DATA && pi.len == 5 && memcmp(udp_frame + pi.off, "hello", 5) == 0);
  CHECK(pi.framelen == sizeof(udp_frame));

  // Padded to the minimum frame, as QEMU delivers it.
  memset(f, 0, sizeof(f));
  memcpy(f, udp_frame, sizeof(udp_frame));
  CHECK(parse(f, sizeof(f), &pi) == NP_UDP && pi.len == 5);
  CHECK(pi.framelen == sizeof(udp_frame));

  // Broadcast Ethernet and IPv4 destinations are accepted.
  memset(f, 0xff, 6);
  np_put32(f + IPH + IP_F_DST, IP_BROADCAST);
  fix_ip(f);
  np_put16(f + L4 + UDP_F_CKSUM, 0);    // no UDP checksum
  CHECK(parse(f, sizeof(f), &pi) == NP_UDP);
}

// Build a UDP frame with np_put_* and parse it back.
static void
test_build_udp(void)
{
  uint8 f[ETH_HLEN + IP_HLEN + UDP_HLEN + UDP_MAXDATA];
  struct np_info pi;

  for(uint n = 0; n <= UDP_MAXDATA; n += (n < 4 ? 1 : 367)){
    for(uint i = 0; i < n; i++)
      f[DATA + i] = i * 7;
    np_put_udp(f + L4, PEERIP, MYIP, 1234, 2000, n);
    np_put_ip(f + IPH, PEERIP, MYIP, IPPROTO_UDP, 77, UDP_HLEN + n);
    np_put_eth(f, mymac, peermac, ETHTYPE_IP);
    CHECK(np_get16(f + L4 + UDP_F_CKSUM) != 0);
    CHECK(parse(f, DATA + n, &pi) == NP_UDP && pi.len == n && pi.off == DATA);
    CHECK(pi.sport == 1234 && pi.dport == 2000);
  }
  // Our own first frame must match the Python-built one byte for byte.
  memcpy(f + DATA, "hello", 5);
  np_put_udp(f + L4, PEERIP, MYIP, 25099, 2000, 5);
  np_put_ip(f + IPH, PEERIP, MYIP, IPPROTO_UDP, 0x1234, UDP_HLEN + 5);
  np_put_eth(f, mymac, peermac, ETHTYPE_IP);
  CHECK(memcmp(f, udp_frame, sizeof(udp_frame)) == 0);
}

// Mutate a copy of udp_frame (fixing the IP checksum when asked) and
// expect verdict v.
static void
expect(int line, int v, int fixip, uint len, int off, uint8 val)
{
  uint8 f[sizeof(udp_frame)];
  struct np_info pi;
  int got;

  memcpy(f, udp_frame, sizeof(f));
  if(off >= 0)
    f[off] = val;
  if(fixip)
    fix_ip(f);
  got = parse(f, len, &pi);
  if(got != v){
    printf("line %d: FAILED verdict %d, want %d\n", line, got, v);
    failures++;
  }
}

static void
test_malformed(void)
{
  uint n = sizeof(udp_frame);

  expect(__LINE__, NP_DROP_ETH, 0, ETH_HLEN - 1, -1, 0);                // runt
  expect(__LINE__, NP_DROP_ETH, 0, n, ETH_F_DST + 5, 0x57);             // not our MAC
  expect(__LINE__, NP_DROP_ETH, 0, n, ETH_F_TYPE, 0x86);                // IPv6 ethertype
  expect(__LINE__, NP_DROP_IP_LEN, 0, IPH + IP_HLEN - 4, -1, 0);        // IP header cut short
  expect(__LINE__, NP_DROP_IP_HDR, 1, n, IPH + IP_F_VHL, 0x65);         // version 6
  expect(__LINE__, NP_DROP_IP_HDR, 1, n, IPH + IP_F_VHL, 0x46);         // options
  expect(__LINE__, NP_DROP_IP_LEN, 1, n, IPH + IP_F_TOTLEN + 1, 0x30);  // total > frame
  expect(__LINE__, NP_DROP_IP_LEN, 1, n, IPH + IP_F_TOTLEN + 1, 0x13);  // total < header
  expect(__LINE__, NP_DROP_IP_CKSUM, 0, n, IPH + IP_F_CKSUM + 1, 0x89); // header checksum
  expect(__LINE__, NP_DROP_IP_FRAG, 1, n, IPH + IP_F_FRAG, 0x20);       // MF
  expect(__LINE__, NP_DROP_IP_FRAG, 1, n, IPH + IP_F_FRAG + 1, 0x01);   // offset
  expect(__LINE__, NP_UDP, 1, n, IPH + IP_F_FRAG, 0x40);                // DF is fine
  expect(__LINE__, NP_DROP_IP_HDR, 1, n, IPH + IP_F_DST + 3, 0x10);     // not our IP
  expect(__LINE__, NP_DROP_IP_HDR, 1, n, IPH + IP_F_TTL, 0);            // TTL 0
  expect(__LINE__, NP_TCP, 1, n, IPH + IP_F_PROTO, 6);                 // TCP (np_tcp_parse checks it)
  expect(__LINE__, NP_DROP_IP_PROTO, 1, n, IPH + IP_F_PROTO, 7);        // protocol 7
  expect(__LINE__, NP_DROP_UDP_LEN, 0, n, L4 + UDP_F_LEN + 1, 7);       // UDP length < 8
  expect(__LINE__, NP_DROP_UDP_LEN, 0, n, L4 + UDP_F_LEN + 1, 14);      // UDP length > IP payload
  expect(__LINE__, NP_DROP_UDP_CKSUM, 0, n, DATA + 4, 'O');             // payload corrupted
  expect(__LINE__, NP_DROP_UDP_CKSUM, 0, n, L4 + UDP_F_CKSUM + 1, 0x17); // checksum corrupted
}

static void
test_arp(void)
{
  uint8 f[ETH_MINLEN];
  struct np_info pi;
  static const uint8 bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
  uint arplen = ETH_HLEN + ARP_LEN;

  memset(f, 0, sizeof(f));
  np_put_eth(f, bcast, peermac, ETHTYPE_ARP);
  np_put_arp(f + IPH, ARP_OP_REQUEST, peermac, PEERIP, 0, MYIP);
  CHECK(parse(f, sizeof(f), &pi) == NP_ARP_REQUEST);
  CHECK(pi.sip == PEERIP && memcmp(pi.sha, peermac, 6) == 0);

  CHECK(np_arp_reply(f, mymac, MYIP) == ETH_HLEN + ARP_LEN);
  CHECK(memcmp(f + ETH_F_DST, peermac, 6) == 0 && memcmp(f + ETH_F_SRC, mymac, 6) == 0);
  CHECK(np_get16(f + IPH + ARP_F_OPER) == ARP_OP_REPLY);
  CHECK(memcmp(f + IPH + ARP_F_SHA, mymac, 6) == 0 && np_get32(f + IPH + ARP_F_SPA) == MYIP);
  CHECK(memcmp(f + IPH + ARP_F_THA, peermac, 6) == 0 && np_get32(f + IPH + ARP_F_TPA) == PEERIP);
  // The peer accepts it as a reply to it.
  CHECK(np_parse(f, ETH_HLEN + ARP_LEN, peermac, PEERIP, MYMASK, &pi) == NP_ARP_REPLY);
  CHECK(pi.sip == MYIP && memcmp(pi.sha, mymac, 6) == 0);

  CHECK(parse(f, arplen, &pi) == NP_DROP_ETH);    // not to our MAC
  memset(f + ETH_F_DST, 0xff, 6);
  CHECK(parse(f, arplen, &pi) == NP_DROP_ARP);    // from our own address
  np_put_arp(f + IPH, ARP_OP_REQUEST, peermac, PEERIP, 0, 0x0A000263);
  CHECK(parse(f, arplen, &pi) == NP_ARP_OTHER);   // not for us: may refresh
  CHECK(pi.sip == PEERIP && pi.dip == 0x0A000263 && memcmp(pi.sha, peermac, 6) == 0);
  f[IPH + ARP_F_OPER + 1] = 3;                    // op 3, not for us
  CHECK(parse(f, arplen, &pi) == NP_DROP_ARP);
  np_put_arp(f + IPH, ARP_OP_REQUEST, peermac, PEERIP, 0, MYIP);
  memcpy(f + ETH_F_DST, mymac, 6);
  CHECK(parse(f, arplen - 1, &pi) == NP_DROP_ARP); // too short
  f[IPH + ARP_F_HTYPE + 1] = 6;                   // hardware type 6
  CHECK(parse(f, arplen, &pi) == NP_DROP_ARP);
  f[IPH + ARP_F_HTYPE + 1] = 1;
  f[IPH + ARP_F_OPER + 1] = 3;                    // op 3
  CHECK(parse(f, arplen, &pi) == NP_DROP_ARP);
}

// Before DHCP has given us an address (myip 0): unicast IPv4 to any
// address at our MAC is ours (an offer sent to the offered address), ARP
// is never answered.
static void
test_noaddr(void)
{
  uint8 f[ETH_MINLEN];
  struct np_info pi;

  memset(f, 0, sizeof(f));
  memcpy(f, udp_frame, sizeof(udp_frame));
  np_put32(f + IPH + IP_F_DST, 0x0A000210);       // to 10.0.2.16, not MYIP
  fix_ip(f);
  np_put16(f + L4 + UDP_F_CKSUM, 0);              // no UDP checksum
  CHECK(parse(f, sizeof(f), &pi) == NP_DROP_IP_HDR);
  CHECK(np_parse(f, sizeof(f), mymac, 0, MYMASK, &pi) == NP_UDP && pi.dip == 0x0A000210);

  memset(f, 0, sizeof(f));
  np_put_eth(f, mymac, peermac, ETHTYPE_ARP);
  np_put_arp(f + IPH, ARP_OP_REQUEST, peermac, PEERIP, 0, 0);
  CHECK(np_parse(f, sizeof(f), mymac, 0, MYMASK, &pi) == NP_DROP_ARP);
}

static void
test_icmp(void)
{
  uint8 f[L4 + ICMP_HLEN + 4];
  uint8 *icmp = f + L4;
  struct np_info pi;

  memset(icmp, 0, ICMP_HLEN);
  icmp[ICMP_F_TYPE] = ICMP_ECHO_REQUEST;
  memcpy(icmp + ICMP_HLEN, "ping", 4);
  np_put16(icmp + ICMP_F_CKSUM, np_fold(np_sum(0, icmp, ICMP_HLEN + 4)));
  np_put_ip(f + IPH, PEERIP, MYIP, IPPROTO_ICMP, 9, ICMP_HLEN + 4);
  np_put_eth(f, mymac, peermac, ETHTYPE_IP);
  CHECK(parse(f, sizeof(f), &pi) == NP_ICMP_ECHO);

  CHECK(np_icmp_reply(f, mymac, &pi) == sizeof(f));
  CHECK(memcmp(f + ETH_F_DST, peermac, 6) == 0 && memcmp(f + ETH_F_SRC, mymac, 6) == 0);
  CHECK(np_get32(f + IPH + IP_F_SRC) == MYIP && np_get32(f + IPH + IP_F_DST) == PEERIP);
  CHECK(icmp[ICMP_F_TYPE] == ICMP_ECHO_REPLY && memcmp(icmp + ICMP_HLEN, "ping", 4) == 0);
  CHECK(np_fold(np_sum(0, f + IPH, IP_HLEN)) == 0);
  CHECK(np_fold(np_sum(0, icmp, ICMP_HLEN + 4)) == 0);
  // The peer sees our reply as a reply (for its ping socket), with the
  // request's identifier and sequence number.
  CHECK(np_parse(f, sizeof(f), peermac, PEERIP, MYMASK, &pi) == NP_ICMP_REPLY);
  CHECK(pi.off == L4 && pi.len == ICMP_HLEN + 4);
  CHECK(pi.sport == np_get16(icmp + ICMP_F_ID) && pi.dport == np_get16(icmp + ICMP_F_SEQ));
  // Without an address nothing answers or takes an echo.
  CHECK(np_parse(f, sizeof(f), peermac, 0, MYMASK, &pi) == NP_DROP_ICMP);

  icmp[ICMP_F_TYPE] = ICMP_ECHO_REQUEST;          // checksum now wrong
  CHECK(np_parse(f, sizeof(f), peermac, PEERIP, MYMASK, &pi) == NP_DROP_ICMP);
}

// Impossible sources (RFC 1122 3.2.1.3, 3.2.2.6): no datagram from them
// is taken, no echo request answered, no ARP message believed.
static const uint32 badsrc[] = {
  0, 0xFFFFFFFF, 0x0A0002FF, 0x7F000001, 0x7FFFFFFF, 0xE0000001,
  0xEFFFFFFF, 0xF0000001, MYIP,
};
static const uint32 goodsrc[] = {
  0x0A000200, 0x0A0003FF, 0x0A0001FF, 0x01000000, 0x7E000001, 0x80000001,
  0xDFFFFFFF, PEERIP,
};

// Frames from sip: a UDP datagram to us, an echo request to us, an ARP
// request for us. Returns the three verdicts in v[], parsing with mask.
static void
from(uint32 sip, uint32 myip, uint32 mask, int *v)
{
  uint8 f[L4 + ICMP_HLEN + 4];
  uint8 *l4 = f + L4;
  struct np_info pi;

  memset(f, 0, sizeof(f));
  np_put_udp(l4, sip, myip, 1234, 7, 4);
  np_put_ip(f + IPH, sip, myip, IPPROTO_UDP, 1, UDP_HLEN + 4);
  np_put_eth(f, mymac, peermac, ETHTYPE_IP);
  v[0] = np_parse(f, DATA + 4, mymac, myip, mask, &pi);
  memset(l4, 0, ICMP_HLEN + 4);
  l4[ICMP_F_TYPE] = ICMP_ECHO_REQUEST;
  np_put16(l4 + ICMP_F_CKSUM, np_fold(np_sum(0, l4, ICMP_HLEN + 4)));
  np_put_ip(f + IPH, sip, myip, IPPROTO_ICMP, 2, ICMP_HLEN + 4);
  v[1] = np_parse(f, sizeof(f), mymac, myip, mask, &pi);
  np_put_eth(f, mymac, peermac, ETHTYPE_ARP);
  np_put_arp(f + IPH, ARP_OP_REQUEST, peermac, sip, 0, myip);
  v[2] = np_parse(f, ETH_HLEN + ARP_LEN, mymac, myip, mask, &pi);
}

static void
test_source(void)
{
  int v[3];

  for(int i = 0; i < sizeof(badsrc) / sizeof(badsrc[0]); i++){
    from(badsrc[i], MYIP, MYMASK, v);
    CHECK(v[0] == NP_DROP_IP_SRC && v[1] == NP_DROP_IP_SRC && v[2] == NP_DROP_ARP);
    CHECK(!np_src_ok(badsrc[i], MYIP, MYMASK));
  }
  for(int i = 0; i < sizeof(goodsrc) / sizeof(goodsrc[0]); i++){
    from(goodsrc[i], MYIP, MYMASK, v);
    CHECK(v[0] == NP_UDP && v[1] == NP_ICMP_ECHO && v[2] == NP_ARP_REQUEST);
  }
  // The directed broadcast follows the mask; a /31 or /32 has none.
  CHECK(np_src_ok(0x0A0002FF, MYIP, 0xFFFFFF80));
  CHECK(!np_src_ok(0x0A00027F, MYIP, 0xFFFFFF80));
  CHECK(np_src_ok(0x0A00020E, MYIP, 0xFFFFFFFE));
  CHECK(np_src_ok(0x0A0002FF, MYIP, 0xFFFFFFFF));
  CHECK(!np_src_ok(0xFFFFFFFF, MYIP, 0));
  // Without an address (dhcpc asking) there is no subnet and no own
  // address yet, but 0.0.0.0, broadcast, multicast and loopback stay
  // impossible: a DHCP server answers from its own address.
  from(0x0A0002FF, 0, MYMASK, v);
  CHECK(v[0] == NP_UDP);
  from(0, 0, MYMASK, v);
  CHECK(v[0] == NP_DROP_IP_SRC);
  from(0x7F000001, 0, MYMASK, v);
  CHECK(v[0] == NP_DROP_IP_SRC);
}

// Every strict prefix of a valid frame is rejected (and, under
// -fsanitize=address, read only within its length).
static void
test_truncation(void)
{
  struct np_info pi;
  uint8 *f;

  for(uint n = 0; n < sizeof(udp_frame); n++){
    f = malloc(n + 1);
    memcpy(f, udp_frame, n);
    CHECK(parse(f, n, &pi) >= NP_DROP_ETH);
    free(f);
  }
}

int
main(void)
{
  test_checksums();
  test_valid_udp();
  test_build_udp();
  test_malformed();
  test_arp();
  test_noaddr();
  test_icmp();
  test_source();
  test_truncation();
  return unit_done("net_unit");
}
