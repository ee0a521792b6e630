// Network protocol definitions for user programs: the header layouts,
// protocol numbers and byte-order helpers that MIT's xv6 net-lab test
// programs take from kernel/net.h, under the same names, so that they build
// here unmodified. Include kernel/types.h first.
//
// The kernel's own network interfaces (mbufs, driver, stack, sockets) are in
// kernel/netdefs.h. The kernel parses headers byte by byte at field offsets
// (kernel/netparse.h) that are taken from these structs with offsetof, so
// the layouts here are the one definition of every header.
//
// Every struct below is a wire format: fields are in network byte order
// (big-endian); convert with ntohs()/ntohl() after reading, htons()/htonl()
// before writing. RISC-V is little-endian.

#ifndef XV6_NET_H
#define XV6_NET_H

// Byte order.
static inline uint16
bswaps(uint16 v)
{
  return (v << 8) | (v >> 8);
}

static inline uint32
bswapl(uint32 v)
{
  return ((v & 0x000000ffU) << 24) | ((v & 0x0000ff00U) << 8) |
         ((v & 0x00ff0000U) >> 8)  | ((v & 0xff000000U) >> 24);
}

#define htons(v) bswaps(v)
#define ntohs(v) bswaps(v)
#define htonl(v) bswapl(v)
#define ntohl(v) bswapl(v)

// An IPv4 address a.b.c.d in host byte order.
#define MAKE_IP_ADDR(a, b, c, d) \
  (((uint32)(a) << 24) | ((uint32)(b) << 16) | ((uint32)(c) << 8) | (uint32)(d))

// Ethernet (IEEE 802.3) header.
#define ETHADDR_LEN 6
struct eth {
  uint8  dhost[ETHADDR_LEN];
  uint8  shost[ETHADDR_LEN];
  uint16 type;
} __attribute__((packed));

#define ETHTYPE_IP  0x0800
#define ETHTYPE_ARP 0x0806

// IPv4 header without options (RFC 791).
struct ip {
  uint8  ip_vhl;   // version << 4 | header length in 32-bit words
  uint8  ip_tos;
  uint16 ip_len;   // total length, header included
  uint16 ip_id;
  uint16 ip_off;   // flags and fragment offset
  uint8  ip_ttl;
  uint8  ip_p;     // protocol: IPPROTO_*
  uint16 ip_sum;   // header checksum
  uint32 ip_src;
  uint32 ip_dst;
} __attribute__((packed));

#define IPPROTO_ICMP 1
#define IPPROTO_TCP  6
#define IPPROTO_UDP  17

// UDP header (RFC 768).
struct udp {
  uint16 sport;
  uint16 dport;
  uint16 ulen;     // header and payload
  uint16 sum;      // 0: no checksum
} __attribute__((packed));

// ICMP echo request and reply (RFC 792); other messages share the first
// four bytes.
struct icmp {
  uint8  type;     // ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY (kernel/netparse.h)
  uint8  code;
  uint16 sum;      // checksum of the ICMP message
  uint16 id;       // identifier
  uint16 seq;      // sequence number
} __attribute__((packed));

// ARP for Ethernet and IPv4 (RFC 826).
struct arp {
  uint16 hrd;      // ARP_HRD_ETHER
  uint16 pro;      // ETHTYPE_IP
  uint8  hln;      // 6
  uint8  pln;      // 4
  uint16 op;       // ARP_OP_*
  uint8  sha[ETHADDR_LEN];
  uint32 sip;
  uint8  tha[ETHADDR_LEN];
  uint32 tip;
} __attribute__((packed));

#define ARP_HRD_ETHER 1
enum {
  ARP_OP_REQUEST = 1,
  ARP_OP_REPLY = 2,
};

// DNS message header (RFC 1035, 4.1.1). The flag bit-fields are declared
// in the order a little-endian compiler packs them: rd is the lowest bit
// of the third byte, ra the highest of the fourth.
struct dns {
  uint16 id;
  uint8  rd: 1;      // recursion desired
  uint8  tc: 1;      // truncated
  uint8  aa: 1;      // authoritative answer
  uint8  opcode: 4;
  uint8  qr: 1;      // 1 = response
  uint8  rcode: 4;   // 0 = no error, 3 = no such name
  uint8  cd: 1;      // checking disabled
  uint8  ad: 1;      // authenticated data
  uint8  z: 1;
  uint8  ra: 1;      // recursion available
  uint16 qdcount;    // questions
  uint16 ancount;    // answers
  uint16 nscount;    // authority records
  uint16 arcount;    // additional records
} __attribute__((packed));

// Follows a question's name.
struct dns_question {
  uint16 qtype;
  uint16 qclass;
} __attribute__((packed));

#define ARECORD (0x0001)   // type A: an IPv4 address
#define QCLASS  (0x0001)   // class IN

// Follows a resource record's name; then come len bytes of data.
struct dns_data {
  uint16 type;
  uint16 class;
  uint32 ttl;
  uint16 len;
} __attribute__((packed));

#endif
