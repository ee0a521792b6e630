// DHCP messages (RFC 2131, options of RFC 2132): build a client's
// DISCOVER, REQUEST and RELEASE, and parse a server's reply.
//
// Pure functions on byte arrays, like kernel/netparse.c: they need only
// kernel/types.h (include it first), so they build on the host for
// test/dhcp_unit.c and test/fuzz/fuzz_dhcpmsg.c as well as into
// user/dhcpc.c. Fields are read and written byte by byte in network order;
// addresses and times in the API are in host byte order.

#ifndef XV6_DHCPMSG_H
#define XV6_DHCPMSG_H

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68

// The fixed part of a message (RFC 2131 section 2, figure 1), then the
// magic cookie and the options.
#define DHCP_FIXLEN     236     // op .. file
#define DHCP_MINREPLY   240     // the fixed part and the cookie
#define DHCP_MINLEN     300     // BOOTP's shortest message (RFC 1542 2.1): we pad to it
#define DHCP_MAXMSG     1472    // the largest reply we take: one UDP datagram
#define DHCP_COOKIE     0x63825363   // 99.130.83.99 (RFC 2131 3)

// Field offsets from the start of the message (smoltcp's `field`
// constants): every byte dhcpmsg.c reads or writes is named here.
#define DHCP_F_OP       0       // BOOTREQUEST or BOOTREPLY
#define DHCP_F_HTYPE    1       // hardware type: 1, Ethernet
#define DHCP_F_HLEN     2       // hardware address length: 6
#define DHCP_F_HOPS     3
#define DHCP_F_XID      4       // transaction id, chosen by the client
#define DHCP_F_SECS     8
#define DHCP_F_FLAGS    10
#define DHCP_F_CIADDR   12      // client address (RENEWING, REBINDING, RELEASE)
#define DHCP_F_YIADDR   16      // "your" address: what the server offers
#define DHCP_F_SIADDR   20      // next server (boot file), not the DHCP server
#define DHCP_F_GIADDR   24      // relay agent
#define DHCP_F_CHADDR   28      // client hardware address, 16 bytes
#define DHCP_F_SNAME    44      // server host name, 64 bytes (options if overloaded)
#define DHCP_F_FILE     108     // boot file name, 128 bytes (options if overloaded)
#define DHCP_F_COOKIE   236
#define DHCP_F_OPTIONS  240

#define DHCP_SNAME_LEN  64
#define DHCP_FILE_LEN   128
#define DHCP_CHADDR_LEN 16

#define BOOTREQUEST     1
#define BOOTREPLY       2
#define DHCP_HTYPE_ETH  1
#define DHCP_HLEN_ETH   6

// Option codes (RFC 2132) this code reads or writes. An option is a code
// byte, a length byte and that many bytes of data, except PAD and END,
// which are one byte each.
#define DHCPO_PAD       0
#define DHCPO_MASK      1       // subnet mask, 4 bytes
#define DHCPO_ROUTER    3       // routers, 4n bytes (n >= 1): we take the first
#define DHCPO_DNS       6       // DNS servers, 4n bytes (n >= 1): we take the first
#define DHCPO_REQADDR   50      // requested address, 4 bytes
#define DHCPO_LEASE     51      // lease time in seconds, 4 bytes
#define DHCPO_OVERLOAD  52      // 1 byte: 1 file, 2 sname, 3 both hold options
#define DHCPO_TYPE      53      // message type, 1 byte (DHCPDISCOVER...)
#define DHCPO_SERVER    54      // server identifier, 4 bytes
#define DHCPO_PARAMS    55      // parameter request list
#define DHCPO_T1        58      // renewal time, 4 bytes
#define DHCPO_T2        59      // rebinding time, 4 bytes
#define DHCPO_END       255

// Message types (option 53).
#define DHCPDISCOVER    1
#define DHCPOFFER       2
#define DHCPREQUEST     3
#define DHCPDECLINE     4
#define DHCPACK         5
#define DHCPNAK         6
#define DHCPRELEASE     7
#define DHCPINFORM      8

#define DHCP_INFINITE   0xffffffff   // a lease that never ends (RFC 2131 3.3)

// What dhcpmsg_parse() learned from a reply. Options the reply lacks
// leave their field 0.
struct dhcpmsg {
  uint8 op;            // BOOTREPLY (anything else is rejected)
  uint8 type;          // DHCPOFFER, DHCPACK, DHCPNAK, ... (option 53)
  uint8 chaddr[6];
  uint32 xid;
  uint32 yiaddr, siaddr;
  uint32 server;       // option 54
  uint32 netmask;      // option 1
  uint32 router;       // option 3, the first router
  uint32 dns;          // option 6, the first server
  uint32 lease;        // option 51, seconds (DHCP_INFINITE: forever)
  uint32 t1, t2;       // options 58, 59; see dhcpmsg_parse for defaults
};

// Why dhcpmsg_parse() rejected a message.
#define DHCP_ESHORT     -1      // shorter than the fixed part and the cookie
#define DHCP_EHEADER    -2      // op not BOOTREPLY, or htype/hlen not Ethernet's
#define DHCP_ECOOKIE    -3      // no magic cookie
#define DHCP_ETRUNC     -4      // an option runs past the end of its field
#define DHCP_EOPTLEN    -5      // a known option with the wrong length or value
#define DHCP_EDUP       -6      // a known option twice
#define DHCP_ENOTYPE    -7      // no message type option
#define DHCP_EMISSING   -8      // an OFFER or ACK without server id or lease,
                                //   a NAK without server id (RFC 2131 table 3)
// Why dhcpmsg_renewal() refuses a well-formed answer to a renewal.
#define DHCP_EOTHERSERVER -9    // RENEWING: not from the lease's server
#define DHCP_EOTHERADDR -10     // an ACK for another address than the lease's

// Build a client message for the Ethernet address mac in buf (at least
// DHCP_MINLEN bytes); return its length (DHCP_MINLEN: we pad to it).
// xid is the transaction id. The caller owns buf.
//
// DISCOVER asks for an address, and for the mask, router, DNS server and
// lease times.
int dhcpmsg_discover(uint8 *buf, const uint8 *mac, uint32 xid);
// REQUEST: ciaddr is our address when renewing or rebinding (else 0);
// reqaddr, if nonzero, goes out as option 50 (selecting an offer, or
// init-reboot); server, if nonzero, as option 54 (selecting).
int dhcpmsg_request(uint8 *buf, const uint8 *mac, uint32 xid, uint32 ciaddr,
                    uint32 reqaddr, uint32 server);
// RELEASE: give ciaddr back to server.
int dhcpmsg_release(uint8 *buf, const uint8 *mac, uint32 xid, uint32 ciaddr,
                    uint32 server);

// Parse the DHCP message m[0..len) (a UDP payload) into *d. Returns 0, or
// a DHCP_E* code saying why it is malformed (then *d holds whatever was
// read). A reply must be a BOOTREPLY for Ethernet with the magic cookie,
// carry a message type, and have every option inside its field (the rules
// are at the top of dhcpmsg.c); OFFER and ACK must name their server and a
// nonzero lease, NAK its server. With a lease, t1 and t2 are always set:
// the server's if it sent both and t1 <= t2 <= lease, else 1/2 and 7/8 of
// the lease (RFC 2131 4.4.5). The caller checks xid and chaddr against its
// own request. m stays the caller's.
int dhcpmsg_parse(const uint8 *m, uint len, struct dhcpmsg *d);
// Should a client renewing its lease of addr from server act on d, a
// parsed ACK or NAK to its REQUEST (RFC 2131 4.4.5)? rebinding is 0 in
// RENEWING (the REQUEST went to server alone, so only server may answer:
// option 54 must be server) and 1 in REBINDING (it was broadcast: any
// server may answer, and its ACK makes it the lease's server). Either way
// an ACK must give back addr, the address the REQUEST asked to extend.
// Returns 0, DHCP_EOTHERSERVER or DHCP_EOTHERADDR.
int dhcpmsg_renewal(const struct dhcpmsg *d, uint32 addr, uint32 server,
                    int rebinding);
// A DHCP_E* code (or 0) in words.
const char *dhcpmsg_strerror(int err);

#endif
