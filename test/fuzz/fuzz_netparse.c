// libFuzzer target for kernel/netparse.c, the stack's frame parsing and
// checksums, built for the host with AddressSanitizer and UBSan:
//
//   make fuzz [FUZZTIME=60]      builds test/fuzz/fuzz_netparse and runs it
//   test/fuzz/fuzz_netparse -runs=0 test/fuzz/corpus     replays the corpus
//
// Without libFuzzer, test/fuzz/replay.c feeds files to the same function
// (see its header for the gcc command line).
//
// An input is one control byte and then a frame. Random bytes almost never
// carry our MAC address or a right checksum, so the control bits can fix
// those up and let the fuzzer reach the deeper layers:
//   0x01  write our MAC address as the destination
//   0x02  recompute the IPv4 header checksum
//   0x04  recompute the UDP or ICMP checksum
//   0x08  pad the frame with zeros to 60 bytes, as QEMU's E1000 does
// Frames longer than 2048 bytes (the driver's buffer) are cut there.
//
// The frame sits in a heap buffer of exactly its length, so ASan reports
// any read past its end. Besides "no crash, no undefined behaviour", each
// input must satisfy:
//   - np_parse returns a known verdict, and the offsets and lengths it
//     reports lie inside the frame; nothing it accepts comes from an
//     impossible source (np_src_ok, checked here independently);
//   - an accepted ARP request becomes a reply that np_parse, run for the
//     asker, accepts as an ARP reply from us;
//   - an accepted echo request becomes a reply whose IPv4 and ICMP
//     checksums are right, by a checksum written independently here;
//   - an accepted UDP datagram, rebuilt with np_put_eth/ip/udp, parses
//     back to the same ports and payload;
//   - np_sum agrees with the independent checksum, and summing a frame in
//     two pieces gives what summing it whole does.
// A broken rule prints what broke and aborts, which libFuzzer reports as a
// crash and saves as test/fuzz/crash-*.

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/types.h"
#include "kernel/netparse.h"

#define MAXFRAME 2048            // the driver's receive buffer
#define MYIP     0x0A00020F      // 10.0.2.15
#define MYMASK   0xFFFFFF00      // /24

static const uint8 mymac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

#include "test/fuzz/fuzz.h"

// The Internet checksum's 16-bit ones'-complement sum of p[0..len-1],
// written without netparse.c's help.
static uint32
ref_sum(const uint8 *p, size_t len)
{
  uint64 s = 0;

  for(size_t i = 0; i < len; i++)
    s += (i % 2 == 0) ? (uint64)p[i] << 8 : p[i];
  while(s > 0xffff)
    s = (s & 0xffff) + (s >> 16);
  return (uint32)s;
}

// Does the checksummed region p[0..len-1] (checksum field included) verify?
static int
ref_ok(const uint8 *p, size_t len)
{
  return ref_sum(p, len) == 0xffff;
}

// Store a fresh checksum at field (two bytes inside p[0..len-1]).
static void
put_cksum(uint8 *p, size_t len, uint8 *field)
{
  field[0] = field[1] = 0;
  np_put16(field, np_fold(np_sum(0, p, len)));
}

// Control bits 0x02 and 0x04: make the IPv4, UDP and ICMP checksums of
// frame f right, wherever the lengths in the headers allow it.
static void
fix_sums(uint8 *f, uint len, int ctl)
{
  uint8 *ip = f + ETH_HLEN, *l4 = ip + IP_HLEN;
  uint total, ulen;

  if(len < ETH_HLEN + IP_HLEN || np_get16(f + ETH_F_TYPE) != ETHTYPE_IP)
    return;
  total = np_get16(ip + IP_F_TOTLEN);
  if((ctl & 4) && total >= IP_HLEN + UDP_HLEN && ETH_HLEN + total <= len){
    if(ip[IP_F_PROTO] == IPPROTO_UDP){
      ulen = np_get16(l4 + UDP_F_LEN);
      if(ulen >= UDP_HLEN && ulen <= total - IP_HLEN){
        l4[UDP_F_CKSUM] = l4[UDP_F_CKSUM + 1] = 0;
        np_put16(l4 + UDP_F_CKSUM, np_udp_cksum(np_get32(ip + IP_F_SRC), np_get32(ip + IP_F_DST),
                                                l4, ulen));
      }
    } else if(ip[IP_F_PROTO] == IPPROTO_ICMP){
      put_cksum(l4, total - IP_HLEN, l4 + ICMP_F_CKSUM);
    }
  }
  if(ctl & 2)
    put_cksum(ip, IP_HLEN, ip + IP_F_CKSUM);
}

// An accepted ARP request: our reply must parse, on the asker's side, as
// an ARP reply from MYIP at mymac.
static void
check_arp_request(const uint8 *f, uint len, struct np_info *pi)
{
  uint8 *r = malloc(len);
  uint8 asker[6];
  struct np_info ri;

  memcpy(r, f, len);
  memcpy(asker, pi->sha, 6);
  CHECK(np_arp_reply(r, mymac, MYIP) == ETH_HLEN + ARP_LEN);
  CHECK(np_parse(r, ETH_HLEN + ARP_LEN, asker, pi->sip, MYMASK, &ri) == NP_ARP_REPLY);
  CHECK(ri.sip == MYIP && ri.dip == pi->sip && memcmp(ri.sha, mymac, 6) == 0);
  free(r);
}

// An accepted echo request: the reply built in place must carry correct
// checksums, swapped addresses and the request's data.
static void
check_echo(const uint8 *f, uint len, struct np_info *pi)
{
  uint8 *r = malloc(len);
  uint n;

  memcpy(r, f, len);
  n = np_icmp_reply(r, mymac, pi);
  CHECK(n == pi->framelen && n <= len);
  CHECK(ref_ok(r + ETH_HLEN, IP_HLEN));
  CHECK(ref_ok(r + pi->off, pi->len));
  CHECK(r[pi->off + ICMP_F_TYPE] == ICMP_ECHO_REPLY);
  CHECK(memcmp(r + ETH_F_DST, f + ETH_F_SRC, 6) == 0 && memcmp(r + ETH_F_SRC, mymac, 6) == 0);
  CHECK(np_get32(r + ETH_HLEN + IP_F_SRC) == pi->dip);
  CHECK(np_get32(r + ETH_HLEN + IP_F_DST) == pi->sip);
  CHECK(memcmp(r + pi->off + ICMP_F_ID, f + pi->off + ICMP_F_ID, pi->len - ICMP_F_ID) == 0);
  free(r);
}

// An accepted UDP datagram: rebuild it with the np_put_* functions; it
// must parse back to the same ports and payload.
static void
check_udp(const uint8 *f, struct np_info *pi)
{
  uint n = ETH_HLEN + IP_HLEN + UDP_HLEN + pi->len;
  uint8 *r = malloc(n);
  struct np_info ri;

  memcpy(r + ETH_HLEN + IP_HLEN + UDP_HLEN, f + pi->off, pi->len);
  np_put_udp(r + ETH_HLEN + IP_HLEN, pi->sip, pi->dip, pi->sport, pi->dport, pi->len);
  np_put_ip(r + ETH_HLEN, pi->sip, pi->dip, IPPROTO_UDP, 1, UDP_HLEN + pi->len);
  np_put_eth(r, mymac, f + ETH_F_SRC, ETHTYPE_IP);
  CHECK(np_parse(r, n, mymac, MYIP, MYMASK, &ri) == NP_UDP);
  CHECK(ri.sport == pi->sport && ri.dport == pi->dport && ri.len == pi->len);
  CHECK(ri.sip == pi->sip && ri.dip == pi->dip && ri.framelen == n);
  CHECK(memcmp(r + ri.off, f + pi->off, pi->len) == 0);
  free(r);
}

// RFC 1122 3.2.1.3, written without netparse.c's help: not 0.0.0.0,
// 127/8, 224/4 and up, our address or 10.0.2.255.
static int
src_possible(uint32 a)
{
  uint8 top = a >> 24;

  return a != 0 && top != 127 && top < 224 && a != MYIP && a != 0x0A0002FF;
}

// What np_parse says about the frame must be consistent and in bounds.
static void
check_verdict(const uint8 *f, uint len, int v, struct np_info *pi)
{
  uint sum = 0;

  CHECK(v >= NP_ARP_REQUEST && v <= NP_DROP_UDP_CKSUM);
  if(v < NP_DROP_ETH)
    CHECK(src_possible(pi->sip));
  if(v == NP_ARP_OTHER){
    CHECK(len >= ETH_HLEN + ARP_LEN && pi->dip != MYIP);
  } else if(v == NP_ARP_REQUEST){
    CHECK(len >= ETH_HLEN + ARP_LEN && pi->dip == MYIP && pi->sip != 0);
    check_arp_request(f, len, pi);
  } else if(v == NP_ARP_REPLY){
    CHECK(len >= ETH_HLEN + ARP_LEN && pi->dip == MYIP && pi->sip != 0);
  } else if(v == NP_ICMP_ECHO || v == NP_ICMP_REPLY || v == NP_UDP){
    CHECK(pi->framelen <= len && pi->off + pi->len <= pi->framelen);
    CHECK(pi->dip == MYIP || (v == NP_UDP && pi->dip == IP_BROADCAST));
    for(uint i = 0; i < pi->len; i++)   // ASan: every byte is inside f
      sum += f[pi->off + i];
    if(v == NP_ICMP_ECHO){
      CHECK(pi->off == ETH_HLEN + IP_HLEN && pi->len >= ICMP_HLEN);
      check_echo(f, len, pi);
    } else if(v == NP_ICMP_REPLY){
      CHECK(pi->off == ETH_HLEN + IP_HLEN && pi->len >= ICMP_HLEN);
      CHECK(f[pi->off] == ICMP_ECHO_REPLY && ref_ok(f + pi->off, pi->len));
      CHECK(pi->sport == np_get16(f + pi->off + ICMP_F_ID));
    } else {
      CHECK(pi->off == ETH_HLEN + IP_HLEN + UDP_HLEN);
      check_udp(f, pi);
    }
  }
  (void)sum;
}

// np_sum against the reference, whole and in two pieces split at an even
// offset (only the last piece may be odd).
static void
check_sums(const uint8 *f, uint len, uint split)
{
  uint32 whole = np_sum(0, f, len);

  split &= ~1u;
  if(split > len)
    split = len & ~1u;
  CHECK(whole == ref_sum(f, len));
  CHECK(np_sum(np_sum(0, f, split), f + split, len - split) == whole);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct np_info pi;
  uint len;
  uint8 *f;
  int ctl, v;

  if((ctl = fuzz_ctl(&data, &size)) < 0)
    return 0;
  len = size > MAXFRAME ? MAXFRAME : size;
  if((ctl & 8) && len < ETH_MINLEN)
    len = ETH_MINLEN;
  f = malloc(len);             // malloc(0) too: ASan then flags any read
  memset(f, 0, len);
  memcpy(f, data, size < len ? size : len);
  if((ctl & 1) && len >= 6)
    memcpy(f, mymac, 6);
  fix_sums(f, len, ctl);

  memset(&pi, 0, sizeof(pi));
  v = np_parse(f, len, mymac, MYIP, MYMASK, &pi);
  check_verdict(f, len, v, &pi);
  check_sums(f, len, ctl * 7);  // split somewhere the input chooses
  free(f);
  return 0;
}
