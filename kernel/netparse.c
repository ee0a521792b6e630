// Packet formats: header parsing, header building and the Internet
// checksum for Ethernet, ARP (RFC 826), IPv4 (RFC 791), ICMP (RFC 792),
// UDP (RFC 768) and TCP (RFC 9293). See netparse.h: no kernel dependencies here, so the
// same code runs in the kernel and in host unit tests.

#include "kernel/types.h"
#include "kernel/netparse.h"

const uint8 np_mac_broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static int
mac_eq(const uint8 *a, const uint8 *b)
{
  for(int i = 0; i < 6; i++)
    if(a[i] != b[i])
      return 0;
  return 1;
}

static void
mac_copy(uint8 *dst, const uint8 *src)
{
  for(int i = 0; i < 6; i++)
    dst[i] = src[i];
}

// Add the len bytes at p to a ones'-complement sum, as big-endian 16-bit
// words (RFC 1071). An odd last byte counts as its word's high half, so
// only the last of several chained calls may pass an odd len.
uint32
np_sum(uint32 sum, const uint8 *p, uint len)
{
  uint64 s = sum;

  for(; len >= 2; p += 2, len -= 2)
    s += (p[0] << 8) | p[1];
  if(len)
    s += p[0] << 8;
  while(s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return s;
}

// Finish a sum: the checksum to store in a header. Summing a header that
// already holds a correct checksum gives 0 here.
uint16
np_fold(uint32 sum)
{
  while(sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

// Checksum of the len bytes at p (a proto header and what follows it)
// over the IPv4 pseudo header: addresses, protocol, length.
static uint16
pseudo_cksum(uint32 sip, uint32 dip, uint8 proto, const uint8 *p, uint len)
{
  uint8 ph[12];

  np_put32(ph, sip);
  np_put32(ph + 4, dip);
  ph[8] = 0;
  ph[9] = proto;
  np_put16(ph + 10, len);
  return np_fold(np_sum(np_sum(0, ph, sizeof(ph)), p, len));
}

// UDP checksum of the len-byte datagram at udp (header included, with
// whatever its checksum field holds), over the IPv4 pseudo header.
uint16
np_udp_cksum(uint32 sip, uint32 dip, const uint8 *udp, uint len)
{
  return pseudo_cksum(sip, dip, IPPROTO_UDP, udp, len);
}

// May sip be the source of an IPv4 datagram, or the sender of an ARP
// message, reaching a host at myip/mymask (myip 0: no address yet)?
// Not 0.0.0.0 (only a host without an address sends from it: we are a
// DHCP client, never a server, so nothing of ours answers it), the
// limited broadcast, multicast (class D), class E, loopback (127/8), our
// own address or our subnet's directed broadcast (RFC 1122 3.2.1.3 and
// 3.2.2.6: a reply to any of them would go to many hosts, or nowhere).
int
np_src_ok(uint32 sip, uint32 myip, uint32 mymask)
{
  uint32 host = ~mymask;

  if(sip == 0 || (sip >> 28) >= 0xE || (sip >> 24) == 127)
    return 0;                             // 0xE: class D, 0xF: class E and 255.255.255.255
  if(myip == 0)
    return 1;
  if(sip == myip)
    return 0;
  // A /31 or /32 has no broadcast address (RFC 3021).
  return host <= 1 || sip != ((myip & mymask) | host);
}

// ARP body a of len bytes: Ethernet/IPv4 requests and replies from a
// possible sender (np_src_ok; so never a probe from 0.0.0.0). Those whose
// target is myip are for us; the others may only refresh what we know of
// their sender (NP_ARP_OTHER). Everything is ignored while we have no
// address.
static int
parse_arp(const uint8 *a, uint len, uint32 myip, uint32 mymask,
          struct np_info *pi)
{
  int op;

  if(len < ARP_LEN)
    return NP_DROP_ARP;
  if(np_get16(a + ARP_F_HTYPE) != ARP_HRD_ETHER || np_get16(a + ARP_F_PTYPE) != ETHTYPE_IP ||
     a[ARP_F_HALEN] != 6 || a[ARP_F_PALEN] != 4)
    return NP_DROP_ARP;
  op = np_get16(a + ARP_F_OPER);
  mac_copy(pi->sha, a + ARP_F_SHA);
  pi->sip = np_get32(a + ARP_F_SPA);
  pi->dip = np_get32(a + ARP_F_TPA);
  if(myip == 0 || !np_src_ok(pi->sip, myip, mymask))
    return NP_DROP_ARP;
  if(op != ARP_OP_REQUEST && op != ARP_OP_REPLY)
    return NP_DROP_ARP;
  if(pi->dip != myip)
    return NP_ARP_OTHER;
  return op == ARP_OP_REQUEST ? NP_ARP_REQUEST : NP_ARP_REPLY;
}

// ICMP message at pi->off: only a well-formed echo request or reply
// addressed to us (never to broadcast, and not while we have no address).
// pi->sport/dport get its identifier and sequence number.
static int
parse_icmp(const uint8 *f, uint32 myip, struct np_info *pi)
{
  const uint8 *icmp = f + pi->off;

  if(pi->len < ICMP_HLEN || np_fold(np_sum(0, icmp, pi->len)) != 0)
    return NP_DROP_ICMP;
  if(icmp[ICMP_F_CODE] != 0 || myip == 0 || pi->dip != myip)
    return NP_DROP_ICMP;
  pi->sport = np_get16(icmp + ICMP_F_ID);
  pi->dport = np_get16(icmp + ICMP_F_SEQ);
  if(icmp[ICMP_F_TYPE] == ICMP_ECHO_REQUEST)
    return NP_ICMP_ECHO;
  if(icmp[ICMP_F_TYPE] == ICMP_ECHO_REPLY)
    return NP_ICMP_REPLY;
  return NP_DROP_ICMP;
}

// UDP datagram at pi->off: on success pi->off/len describe the payload.
static int
parse_udp(const uint8 *f, struct np_info *pi)
{
  const uint8 *udp = f + pi->off;
  uint ulen;

  if(pi->len < UDP_HLEN)
    return NP_DROP_UDP_LEN;
  ulen = np_get16(udp + UDP_F_LEN);
  if(ulen < UDP_HLEN || ulen > pi->len)
    return NP_DROP_UDP_LEN;
  // A zero checksum field means the sender did not compute one.
  if(np_get16(udp + UDP_F_CKSUM) != 0 && np_udp_cksum(pi->sip, pi->dip, udp, ulen) != 0)
    return NP_DROP_UDP_CKSUM;
  pi->sport = np_get16(udp + UDP_F_SPORT);
  pi->dport = np_get16(udp + UDP_F_DPORT);
  pi->off += UDP_HLEN;
  pi->len = ulen - UDP_HLEN;
  return NP_UDP;
}

// IPv4 packet after the Ethernet header of the len-byte frame f.
// The checks run in a fixed order; the first failure names the drop.
static int
parse_ip(const uint8 *f, uint len, uint32 myip, uint32 mymask,
         struct np_info *pi)
{
  const uint8 *ip = f + ETH_HLEN;
  uint n = len - ETH_HLEN;
  uint total;

  if(n < IP_HLEN)
    return NP_DROP_IP_LEN;
  if(ip[IP_F_VHL] != 0x45)                       // version 4, no options
    return NP_DROP_IP_HDR;
  total = np_get16(ip + IP_F_TOTLEN);
  if(total < IP_HLEN || total > n)        // n may include Ethernet padding
    return NP_DROP_IP_LEN;
  if(np_fold(np_sum(0, ip, IP_HLEN)) != 0)
    return NP_DROP_IP_CKSUM;
  if(np_get16(ip + IP_F_FRAG) & 0x3fff)           // MF flag or a fragment offset
    return NP_DROP_IP_FRAG;
  pi->sip = np_get32(ip + IP_F_SRC);
  pi->dip = np_get32(ip + IP_F_DST);
  // Without an address (myip 0, before DHCP) any destination at our MAC
  // is ours: a DHCP server may send its offer to the address it offers.
  if((myip != 0 && pi->dip != myip && pi->dip != IP_BROADCAST) || ip[IP_F_TTL] == 0)
    return NP_DROP_IP_HDR;
  if(!np_src_ok(pi->sip, myip, mymask))
    return NP_DROP_IP_SRC;
  pi->framelen = ETH_HLEN + total;
  pi->off = ETH_HLEN + IP_HLEN;
  pi->len = total - IP_HLEN;
  if(ip[IP_F_PROTO] == IPPROTO_ICMP)
    return parse_icmp(f, myip, pi);
  if(ip[IP_F_PROTO] == IPPROTO_UDP)
    return parse_udp(f, pi);
  if(ip[IP_F_PROTO] == IPPROTO_TCP)   // unicast only (RFC 1122 4.2.3.10)
    return myip != 0 && pi->dip == myip ? NP_TCP : NP_DROP_IP_HDR;
  return NP_DROP_IP_PROTO;
}

// Classify the len-byte Ethernet frame f received by a host with
// addresses mymac/myip and netmask mymask (myip 0: no address yet; the
// mask then does not matter). Returns NP_ARP_REQUEST, NP_ARP_REPLY,
// NP_ARP_OTHER, NP_ICMP_ECHO, NP_ICMP_REPLY or NP_UDP and fills *pi, or
// an NP_DROP_* value.
// Never reads outside f[0..len-1].
int
np_parse(const uint8 *f, uint len, const uint8 *mymac, uint32 myip,
         uint32 mymask, struct np_info *pi)
{
  int type;

  if(len < ETH_HLEN)
    return NP_DROP_ETH;
  if(!mac_eq(f + ETH_F_DST, mymac) && !mac_eq(f + ETH_F_DST, np_mac_broadcast))
    return NP_DROP_ETH;
  type = np_get16(f + ETH_F_TYPE);
  if(type == ETHTYPE_ARP)
    return parse_arp(f + ETH_HLEN, len - ETH_HLEN, myip, mymask, pi);
  if(type == ETHTYPE_IP)
    return parse_ip(f, len, myip, mymask, pi);
  return NP_DROP_ETH;
}

// Turn the ARP request frame f (accepted by np_parse) into our reply,
// in place. Returns the reply's length.
uint
np_arp_reply(uint8 *f, const uint8 *mymac, uint32 myip)
{
  uint8 *a = f + ETH_HLEN;
  uint8 sha[6];
  uint32 sip = np_get32(a + ARP_F_SPA);

  mac_copy(sha, a + ARP_F_SHA);
  np_put_arp(a, ARP_OP_REPLY, mymac, myip, sha, sip);
  np_put_eth(f, sha, mymac, ETHTYPE_ARP);
  return ETH_HLEN + ARP_LEN;
}

// Turn the ICMP echo request frame f (accepted by np_parse, which filled
// pi) into the echo reply, in place. Returns the reply's length.
uint
np_icmp_reply(uint8 *f, const uint8 *mymac, const struct np_info *pi)
{
  uint8 *ip = f + ETH_HLEN;
  uint8 *icmp = f + pi->off;
  uint8 src[6];

  mac_copy(src, f + ETH_F_SRC);
  np_put_eth(f, src, mymac, ETHTYPE_IP);

  np_put32(ip + IP_F_SRC, pi->dip);
  np_put32(ip + IP_F_DST, pi->sip);
  ip[IP_F_TTL] = 64;                      // fresh TTL
  np_put16(ip + IP_F_CKSUM, 0);
  np_put16(ip + IP_F_CKSUM, np_fold(np_sum(0, ip, IP_HLEN)));

  icmp[ICMP_F_TYPE] = ICMP_ECHO_REPLY;
  np_put16(icmp + ICMP_F_CKSUM, 0);
  np_put16(icmp + ICMP_F_CKSUM, np_fold(np_sum(0, icmp, pi->len)));
  return pi->framelen;
}

// Fill in the Ethernet header at f.
void
np_put_eth(uint8 *f, const uint8 *dst, const uint8 *src, uint16 type)
{
  mac_copy(f + ETH_F_DST, dst);
  mac_copy(f + ETH_F_SRC, src);
  np_put16(f + ETH_F_TYPE, type);
}

// Fill in the ARP_LEN-byte ARP body at a. tha may be 0 (all zeros, as in
// a request).
void
np_put_arp(uint8 *a, int op, const uint8 *sha, uint32 sip,
           const uint8 *tha, uint32 tip)
{
  np_put16(a + ARP_F_HTYPE, ARP_HRD_ETHER);
  np_put16(a + ARP_F_PTYPE, ETHTYPE_IP);
  a[ARP_F_HALEN] = 6;
  a[ARP_F_PALEN] = 4;
  np_put16(a + ARP_F_OPER, op);
  mac_copy(a + ARP_F_SHA, sha);
  np_put32(a + ARP_F_SPA, sip);
  for(int i = 0; i < 6; i++)
    a[ARP_F_THA + i] = tha ? tha[i] : 0;
  np_put32(a + ARP_F_TPA, tip);
}

// Fill in the IPv4 header at ip for datalen bytes of payload: no options,
// not fragmented, TTL 64, checksum computed.
void
np_put_ip(uint8 *ip, uint32 sip, uint32 dip, uint8 proto, uint16 id,
          uint datalen)
{
  ip[IP_F_VHL] = 0x45;
  ip[IP_F_TOS] = 0;
  np_put16(ip + IP_F_TOTLEN, IP_HLEN + datalen);
  np_put16(ip + IP_F_ID, id);
  np_put16(ip + IP_F_FRAG, 0);
  ip[IP_F_TTL] = 64;
  ip[IP_F_PROTO] = proto;
  np_put16(ip + IP_F_CKSUM, 0);
  np_put32(ip + IP_F_SRC, sip);
  np_put32(ip + IP_F_DST, dip);
  np_put16(ip + IP_F_CKSUM, np_fold(np_sum(0, ip, IP_HLEN)));
}

// Fill in the UDP header at udp; the datalen payload bytes must already
// follow it, since the checksum covers them.
void
np_put_udp(uint8 *udp, uint32 sip, uint32 dip, uint16 sport,
           uint16 dport, uint datalen)
{
  uint16 sum;

  np_put16(udp + UDP_F_SPORT, sport);
  np_put16(udp + UDP_F_DPORT, dport);
  np_put16(udp + UDP_F_LEN, UDP_HLEN + datalen);
  np_put16(udp + UDP_F_CKSUM, 0);
  sum = np_udp_cksum(sip, dip, udp, UDP_HLEN + datalen);
  np_put16(udp + UDP_F_CKSUM, sum ? sum : 0xffff);  // 0 would mean "no checksum"
}

// TCP checksum of the len-byte segment at tcp (header, options and data,
// with whatever its checksum field holds), over the IPv4 pseudo header
// (RFC 9293 3.1). 0 when the stored checksum is right.
uint16
np_tcp_cksum(uint32 sip, uint32 dip, const uint8 *tcp, uint len)
{
  return pseudo_cksum(sip, dip, IPPROTO_TCP, tcp, len);
}

// Walk the options in o[0..n-1]: END stops, NOP is one byte, every other
// kind has a length byte >= 2 that must fit; MSS (length 4) is kept,
// unknown kinds are skipped (RFC 9293 3.2, MUST-6/7). Returns 0 or
// NP_TCP_DROP_OPT.
static int
tcp_options(const uint8 *o, uint n, struct np_tcp *t)
{
  uint i = 0, olen;

  while(i < n){
    if(o[i] == TCPOPT_END)
      break;
    if(o[i] == TCPOPT_NOP){
      i++;
      continue;
    }
    if(i + 1 >= n)
      return NP_TCP_DROP_OPT;
    olen = o[i + 1];
    if(olen < 2 || i + olen > n)
      return NP_TCP_DROP_OPT;
    if(o[i] == TCPOPT_MSS){
      if(olen != TCPOPT_MSS_LEN)
        return NP_TCP_DROP_OPT;
      t->mss = np_get16(o + i + 2);
    }
    if(o[i] == TCPOPT_SACKOK && olen == TCPOPT_SACKOK_LEN)
      t->sackok = 1;
    i += olen;
  }
  return 0;
}

// Parse the len-byte TCP segment at tcp, sent from sip to dip. Returns 0
// and fills *t (the data starts at tcp + t->hlen, len - t->hlen bytes),
// or an NP_TCP_DROP_* verdict. Never reads outside tcp[0..len-1].
int
np_tcp_parse(const uint8 *tcp, uint len, uint32 sip, uint32 dip,
             struct np_tcp *t)
{
  uint hlen;

  if(len < TCP_HLEN)
    return NP_TCP_DROP_HDR;
  hlen = (tcp[TCP_F_OFF] >> 4) * 4;
  if(hlen < TCP_HLEN || hlen > len)
    return NP_TCP_DROP_HDR;
  if(np_tcp_cksum(sip, dip, tcp, len) != 0)
    return NP_TCP_DROP_CKSUM;
  t->sport = np_get16(tcp + TCP_F_SPORT);
  t->dport = np_get16(tcp + TCP_F_DPORT);
  t->seq = np_get32(tcp + TCP_F_SEQ);
  t->ack = np_get32(tcp + TCP_F_ACK);
  t->flags = tcp[TCP_F_FLAGS] & 0x3f;
  t->wnd = np_get16(tcp + TCP_F_WND);
  t->mss = 0;
  t->sackok = 0;
  t->nsack = 0;
  t->hlen = hlen;
  return tcp_options(tcp + TCP_HLEN, hlen - TCP_HLEN, t);
}

// The header length np_put_tcp gives *t: 20 bytes, plus the MSS option
// when t->mss != 0, SACK-permitted (after 2 NOPs) when t->sackok, and
// t->nsack SACK blocks (after 2 NOPs).
uint
np_tcp_hlen(const struct np_tcp *t)
{
  uint n = t->nsack < TCP_SACK_MAX ? t->nsack : TCP_SACK_MAX;

  return TCP_HLEN + (t->mss ? TCPOPT_MSS_LEN : 0) + (t->sackok ? 4 : 0) +
         (n ? 4 + 8 * n : 0);
}

// Build the TCP segment at tcp from *t (t->hlen is ignored): a 20-byte
// header, plus the options np_tcp_hlen counts, then datalen bytes copied
// from data (data may already sit in place, at the header's end, or be 0
// when datalen is 0). Computes the checksum. Returns the segment's length.
uint
np_put_tcp(uint8 *tcp, uint32 sip, uint32 dip, const struct np_tcp *t,
           const uint8 *data, uint datalen)
{
  uint hlen = np_tcp_hlen(t), o = TCP_F_OPT;

  if(data && data != tcp + hlen)
    for(uint i = 0; i < datalen; i++)
      tcp[hlen + i] = data[i];
  np_put16(tcp + TCP_F_SPORT, t->sport);
  np_put16(tcp + TCP_F_DPORT, t->dport);
  np_put32(tcp + TCP_F_SEQ, t->seq);
  np_put32(tcp + TCP_F_ACK, t->ack);
  tcp[TCP_F_OFF] = (hlen / 4) << 4;
  tcp[TCP_F_FLAGS] = t->flags;
  np_put16(tcp + TCP_F_WND, t->wnd);
  np_put16(tcp + TCP_F_CKSUM, 0);
  np_put16(tcp + TCP_F_URP, 0);
  if(t->mss){
    tcp[o] = TCPOPT_MSS;
    tcp[o + 1] = TCPOPT_MSS_LEN;
    np_put16(tcp + o + 2, t->mss);
    o += TCPOPT_MSS_LEN;
  }
  if(t->sackok){
    tcp[o] = tcp[o + 1] = TCPOPT_NOP;
    tcp[o + 2] = TCPOPT_SACKOK;
    tcp[o + 3] = TCPOPT_SACKOK_LEN;
    o += 4;
  }
  if(o < hlen){                       // SACK blocks
    tcp[o] = tcp[o + 1] = TCPOPT_NOP;
    tcp[o + 2] = TCPOPT_SACK;
    tcp[o + 3] = hlen - o - 2;
    o += 4;
    for(uint k = 0; o < hlen; k++, o += 8){
      np_put32(tcp + o, t->sack[k][0]);
      np_put32(tcp + o + 4, t->sack[k][1]);
    }
  }
  np_put16(tcp + TCP_F_CKSUM, np_tcp_cksum(sip, dip, tcp, hlen + datalen));
  return hlen + datalen;
}
