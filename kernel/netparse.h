// Packet formats: parsing and building Ethernet, ARP, IPv4, ICMP, UDP and
// TCP headers, and the Internet checksum (RFC 791, 792, 768, 826, 9293, 1071).
//
// Pure functions on byte arrays: no kernel headers, no locks, no mbufs,
// so this file also builds on the host with plain gcc for unit tests and
// fuzzing (test/net_unit.c). Fields are read and written byte by byte in
// network order, so alignment and host byte order never matter.
// Addresses and ports in the API are in host byte order.
//
// Needs kernel/types.h included first. Protocol numbers (ETHTYPE_*,
// IPPROTO_*, ARP_OP_*) come from kernel/net.h, the one place that names them.

#include "kernel/net.h"

// Header lengths and field offsets (smoltcp's `field` constants): every
// byte np_* reads or writes is named here. Both come from kernel/net.h's
// structs, the one definition of each layout, as int constants (so that
// `n < ETH_HLEN` compares signed as it reads).
#define NP_LEN(s)     ((int)sizeof(struct s))
#define NP_OFF(s, f)  ((int)__builtin_offsetof(struct s, f))

#define ETH_HLEN      NP_LEN(eth)    // 14
#define ETH_MINLEN    60      // shortest frame on the wire, without CRC
#define ARP_LEN       NP_LEN(arp)    // 28: ARP body for Ethernet/IPv4
#define IP_HLEN       NP_LEN(ip)     // 20: we neither send nor accept IP options
#define ICMP_HLEN     NP_LEN(icmp)   // 8
#define UDP_HLEN      NP_LEN(udp)    // 8
#define UDP_MAXDATA   1472    // 1500-byte MTU - IP_HLEN - UDP_HLEN
#define IP_BROADCAST  0xFFFFFFFF
#define ICMP_ECHO_REPLY   0
#define ICMP_ECHO_REQUEST 8

#define ETH_F_DST     NP_OFF(eth, dhost)   // 6 bytes
#define ETH_F_SRC     NP_OFF(eth, shost)   // 6 bytes
#define ETH_F_TYPE    NP_OFF(eth, type)
#define ARP_F_HTYPE   NP_OFF(arp, hrd)     // hardware type: 1, Ethernet
#define ARP_F_PTYPE   NP_OFF(arp, pro)     // protocol type: ETHTYPE_IP
#define ARP_F_HALEN   NP_OFF(arp, hln)     // hardware address length: 6
#define ARP_F_PALEN   NP_OFF(arp, pln)     // protocol address length: 4
#define ARP_F_OPER    NP_OFF(arp, op)
#define ARP_F_SHA     NP_OFF(arp, sha)     // sender hardware address
#define ARP_F_SPA     NP_OFF(arp, sip)     // sender IPv4 address
#define ARP_F_THA     NP_OFF(arp, tha)     // target hardware address
#define ARP_F_TPA     NP_OFF(arp, tip)     // target IPv4 address
#define IP_F_VHL      NP_OFF(ip, ip_vhl)   // version and header length: 0x45
#define IP_F_TOS      NP_OFF(ip, ip_tos)
#define IP_F_TOTLEN   NP_OFF(ip, ip_len)   // total length, header included
#define IP_F_ID       NP_OFF(ip, ip_id)
#define IP_F_FRAG     NP_OFF(ip, ip_off)   // flags and fragment offset
#define IP_F_TTL      NP_OFF(ip, ip_ttl)
#define IP_F_PROTO    NP_OFF(ip, ip_p)
#define IP_F_CKSUM    NP_OFF(ip, ip_sum)
#define IP_F_SRC      NP_OFF(ip, ip_src)
#define IP_F_DST      NP_OFF(ip, ip_dst)
#define ICMP_F_TYPE   NP_OFF(icmp, type)
#define ICMP_F_CODE   NP_OFF(icmp, code)
#define ICMP_F_CKSUM  NP_OFF(icmp, sum)
#define ICMP_F_ID     NP_OFF(icmp, id)     // echo request/reply: identifier
#define ICMP_F_SEQ    NP_OFF(icmp, seq)    //   and sequence number
#define UDP_F_SPORT   NP_OFF(udp, sport)
#define UDP_F_DPORT   NP_OFF(udp, dport)
#define UDP_F_LEN     NP_OFF(udp, ulen)
#define UDP_F_CKSUM   NP_OFF(udp, sum)

// The wire formats are fixed: a compiler that laid the structs out
// differently would move every offset above.
_Static_assert(ETH_HLEN == 14 && ARP_LEN == 28 && IP_HLEN == 20, "header sizes");
_Static_assert(ICMP_HLEN == 8 && UDP_HLEN == 8, "header sizes");

extern const uint8 np_mac_broadcast[6];   // ff:ff:ff:ff:ff:ff

// What np_parse() decided about a received frame. The NP_DROP_* values
// name the netstat drop counter the caller must bump.
enum {
  NP_ARP_REQUEST = 1,  // ARP request for our address
  NP_ARP_REPLY,        // ARP reply addressed to us
  NP_ICMP_ECHO,        // ICMP echo request to us
  NP_UDP,              // UDP datagram
  NP_ICMP_REPLY,       // ICMP echo reply to us (for a ping socket)
  NP_TCP,             // TCP segment to our own address (pi->off, pi->len: the segment)
  NP_ARP_OTHER,        // ARP from a possible sender, not for us: it may only
                       // refresh the sender's cache entry (RFC 826); the
                       // caller counts it as drop_arp
  NP_DROP_ETH,
  NP_DROP_ARP,
  NP_DROP_IP_HDR,
  NP_DROP_IP_SRC,
  NP_DROP_IP_CKSUM,
  NP_DROP_IP_LEN,
  NP_DROP_IP_FRAG,
  NP_DROP_IP_PROTO,
  NP_DROP_ICMP,
  NP_DROP_UDP_LEN,
  NP_DROP_UDP_CKSUM,
};

// What np_parse() learned from a frame it accepted.
struct np_info {
  uint32 sip, dip;     // IPv4 source/destination, or ARP sender/target
  uint8 sha[6];        // ARP: sender hardware address
  uint framelen;       // IPv4: ETH_HLEN + total length (the rest is padding)
  uint16 sport, dport; // UDP ports; ICMP echo: identifier and sequence
  uint off;            // UDP payload or ICMP message: offset in the frame
  uint len;            //   and its length
};

// Byte-order helpers: read/write big-endian fields at p.
static inline uint16
np_get16(const uint8 *p)
{
  return (p[0] << 8) | p[1];
}

static inline uint32
np_get32(const uint8 *p)
{
  return ((uint32)p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

static inline void
np_put16(uint8 *p, uint16 v)
{
  p[0] = v >> 8;
  p[1] = v;
}

static inline void
np_put32(uint8 *p, uint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

// Checksums
uint32 np_sum(uint32 sum, const uint8 *p, uint len);
uint16 np_fold(uint32 sum);
uint16 np_udp_cksum(uint32 sip, uint32 dip, const uint8 *udp, uint len);

// Receive
int  np_src_ok(uint32 sip, uint32 myip, uint32 mymask);
int  np_parse(const uint8 *f, uint len, const uint8 *mymac, uint32 myip,
              uint32 mymask, struct np_info *pi);
uint np_arp_reply(uint8 *f, const uint8 *mymac, uint32 myip);
uint np_icmp_reply(uint8 *f, const uint8 *mymac, const struct np_info *pi);

// Send
void np_put_eth(uint8 *f, const uint8 *dst, const uint8 *src, uint16 type);
void np_put_arp(uint8 *a, int op, const uint8 *sha, uint32 sip,
                const uint8 *tha, uint32 tip);
void np_put_ip(uint8 *ip, uint32 sip, uint32 dip, uint8 proto, uint16 id,
               uint datalen);
void np_put_udp(uint8 *udp, uint32 sip, uint32 dip, uint16 sport,
                uint16 dport, uint datalen);

// ---- TCP (RFC 9293 3.1): the segment header and its options ----------
// np_parse() classifies IPv4 protocol 6 to our address as NP_TCP; the TCP
// glue (kernel/tcpsock.c) calls np_tcp_parse() on that payload.
#define TCP_HLEN      20      // header without options
#define TCP_MAXHLEN   60      // data offset 15 words
#define TCP_MSS_DEFAULT 536   // RFC 9293 3.7.1: when a SYN has no MSS option
#define TCP_F_SPORT   0
#define TCP_F_DPORT   2
#define TCP_F_SEQ     4
#define TCP_F_ACK     8
#define TCP_F_OFF     12      // data offset in the high 4 bits (32-bit words)
#define TCP_F_FLAGS   13
#define TCP_F_WND     14
#define TCP_F_CKSUM   16
#define TCP_F_URP     18
#define TCP_F_OPT     20      // options start here
// Control bits in the TCP_F_FLAGS byte.
#define TCP_FIN       0x01
#define TCP_SYN       0x02
#define TCP_RST       0x04
#define TCP_PSH       0x08
#define TCP_ACK       0x10
#define TCP_URG       0x20
// Option kinds (RFC 9293 3.2).
#define TCPOPT_END    0
#define TCPOPT_NOP    1
#define TCPOPT_MSS    2       // length 4: a 16-bit MSS
#define TCPOPT_MSS_LEN 4
#define TCPOPT_SACKOK 4       // length 2: SACK permitted (RFC 2018), on a SYN
#define TCPOPT_SACKOK_LEN 2
#define TCPOPT_SACK   5       // length 2 + 8 per block (RFC 2018)
#define TCP_SACK_MAX  4       // blocks we send: 2 NOPs + 2 + 32 bytes

// np_tcp_parse() verdicts other than 0 (accepted): the counter to bump.
enum {
  NP_TCP_DROP_HDR = 1,  // shorter than 20 bytes, or data offset < 5 or past the end
  NP_TCP_DROP_CKSUM,    // checksum over the pseudo header wrong
  NP_TCP_DROP_OPT,      // an option's length byte is < 2 or runs past the header
};

// A TCP header's fields in host byte order.
struct np_tcp {
  uint16 sport, dport;
  uint32 seq, ack;
  uint8 flags;          // TCP_FIN ... TCP_URG
  uint16 wnd;
  uint16 mss;           // the MSS option's value; 0 if absent
  uint8 sackok;         // the SACK-permitted option is (to be) present
  uint8 nsack;          // SACK blocks to send (np_put_tcp; parsing ignores them)
  uint32 sack[TCP_SACK_MAX][2];  // [left, right) edges
  uint hlen;            // header length, options included
};

uint16 np_tcp_cksum(uint32 sip, uint32 dip, const uint8 *tcp, uint len);
uint np_tcp_hlen(const struct np_tcp *t);
int  np_tcp_parse(const uint8 *tcp, uint len, uint32 sip, uint32 dip,
                  struct np_tcp *t);
uint np_put_tcp(uint8 *tcp, uint32 sip, uint32 dip, const struct np_tcp *t,
                const uint8 *data, uint datalen);
