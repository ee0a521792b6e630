// resolv.c: a DNS stub resolver for user programs (RFC 1035). resolve()
// asks one DNS server for the IPv4 address of a name over UDP, with an
// EDNS OPT record in the query (RFC 6891), as today's resolvers send.
//
// The reply is untrusted input, parsed by byte offsets: every read is
// checked against the datagram's length; a compression pointer (RFC 1035
// 4.1.4) must point before the name part it continues, so pointers cannot
// loop; names longer than 255 bytes, reserved label types and truncated
// records are malformed. A reply with another id (a late answer to an
// earlier query) is skipped; any other bad reply ends the call with
// RESOLV_EBADREPLY.
//
// Time: try k (0, 1, 2) is sent when try k-1's time is up and waits until
// TRY_MS * (k+1) after the call began, however many replies it skips, so
// a server (or a spoofer) sending a stream of replies to other queries
// cannot hold resolve() past RESOLV_DEADLINE_MS.

#include "kernel/types.h"
#include "kernel/net.h"
#include "kernel/socket.h"
#include "kernel/netif.h"
#include "user/user.h"

#define DNS_PORT     53
#define DNS_HLEN     sizeof(struct dns)        // id, flags, four counts
#define DNS_RRFIXED  sizeof(struct dns_data)   // after a record's name
#define DNS_MAXNAME  255      // RFC 1035 2.3.4, dots included
#define DNS_MAXLABEL 63
#define TYPE_CNAME   5        // (A and IN are ARECORD and QCLASS, kernel/net.h)
#define TYPE_OPT     41
#define EDNS_SIZE    1232     // UDP payload size we say we can take
#define MAXMSG       1472     // one UDP datagram
#define TRIES        3
#define TRY_MS       (RESOLV_DEADLINE_MS / TRIES)   // each try's share
#define MS           1000000ULL                      // nanoseconds
#define LPORT_BASE   20000    // local ports 20000.. by pid
#define LPORT_SPAN   10000

#define RESOLV_SKIP  1        // parse(): a reply to another query

#define F_QR 0x8000
#define F_TC 0x0200
#define F_RD 0x0100

static uint8 msg[MAXMSG];

static int
get16(uint8 *p)
{
  return (p[0] << 8) | p[1];
}

static void
put16(uint8 *p, int v)
{
  p[0] = v >> 8;
  p[1] = v;
}

// Are the dotted names a and b equal, ignoring ASCII case?
static int
samename(char *a, char *b)
{
  for(; *a && *b; a++, b++){
    int x = *a, y = *b;
    if(x >= 'A' && x <= 'Z')
      x += 'a' - 'A';
    if(y >= 'A' && y <= 'Z')
      y += 'a' - 'A';
    if(x != y)
      return 0;
  }
  return *a == *b;
}

// Write the question for name (dotted, an optional final dot) at q, in
// the wire form of RFC 1035 3.1. Returns its length, or -1 if the name is
// empty, has an empty or over-long label, or is too long.
static int
putname(uint8 *q, const char *name)
{
  int len = 0, n;
  const char *p = name, *dot;

  if(*p == 0)
    return -1;
  while(*p){
    for(dot = p; *dot && *dot != '.'; dot++)
      ;
    n = dot - p;
    if(n == 0 || n > DNS_MAXLABEL || len + 1 + n + 1 > DNS_MAXNAME)
      return -1;
    q[len++] = n;
    memmove(q + len, p, n);
    len += n;
    p = *dot ? dot + 1 : dot;
  }
  q[len++] = 0;
  return len;
}

// A query for name's A record with id: header, question, OPT record.
// Returns its length in msg, or -1 for a bad name.
static int
mkquery(const char *name, int id)
{
  uint8 *p;
  int n;

  memset(msg, 0, DNS_HLEN);
  put16(msg, id);
  put16(msg + 2, F_RD);
  put16(msg + 4, 1);                  // one question
  put16(msg + 10, 1);                 // one additional record: OPT
  if((n = putname(msg + DNS_HLEN, name)) < 0)
    return -1;
  p = msg + DNS_HLEN + n;
  put16(p, ARECORD);
  put16(p + 2, QCLASS);
  p += 4;
  *p++ = 0;                           // OPT: the root name,
  put16(p, TYPE_OPT);
  put16(p + 2, EDNS_SIZE);            // class = payload size,
  memset(p + 4, 0, 6);                // ttl = rcode/version/flags 0, no data
  return p + 10 - msg;
}

// Decode the name at m[off] (n bytes in m) into out (DNS_MAXNAME + 1
// bytes), following compression pointers. Returns the offset just past
// the name where it is stored, or -1 if it is malformed.
static int
getname(uint8 *m, int n, int off, char *out)
{
  int end = -1, len = 0, lim = off, c;

  for(;;){
    if(off >= n)
      return -1;
    c = m[off];
    if((c & 0xc0) == 0xc0){
      if(off + 1 >= n || (((c & 0x3f) << 8) | m[off+1]) >= lim)
        return -1;                    // not backwards: could loop
      if(end < 0)
        end = off + 2;
      off = lim = ((c & 0x3f) << 8) | m[off+1];
      continue;
    }
    if(c & 0xc0)
      return -1;                      // reserved label types (RFC 6891 5)
    if(c == 0)
      break;
    if(off + 1 + c > n || len + c + 1 > DNS_MAXNAME)
      return -1;
    if(len > 0)
      out[len++] = '.';
    for(int i = 0; i < c; i++)
      if((out[len++] = m[off + 1 + i]) == 0)
        return -1;
    off += 1 + c;
  }
  out[len] = 0;
  return end < 0 ? off + 1 : end;
}

// Look for name's A record in the answer section of the reply m[0..n),
// following CNAME records. Returns 0 with *addr set, or a RESOLV_E* code.
static int
answers(uint8 *m, int n, int off, char *name, uint32 *addr)
{
  static char owner[DNS_MAXNAME + 1], cur[DNS_MAXNAME + 1];
  int an = get16(m + 6), type, class, rdlen;

  strcpy(cur, name);
  for(int i = 0; i < an; i++){
    if((off = getname(m, n, off, owner)) < 0 || off + DNS_RRFIXED > n)
      return RESOLV_EBADREPLY;
    type = get16(m + off);
    class = get16(m + off + 2);
    rdlen = get16(m + off + 8);
    off += DNS_RRFIXED;
    if(off + rdlen > n)
      return RESOLV_EBADREPLY;
    if(class == QCLASS && samename(owner, cur)){
      if(type == ARECORD && rdlen == 4){
        *addr = ((uint32)m[off] << 24) | (m[off+1] << 16) | (m[off+2] << 8) | m[off+3];
        return 0;
      }
      if(type == TYPE_CNAME && getname(m, off + rdlen, off, cur) < 0)
        return RESOLV_EBADREPLY;
    }
    off += rdlen;
  }
  return RESOLV_ENOADDR;
}

// Check the reply m[0..n) to our query id for name. Returns 0 with *addr
// set, RESOLV_SKIP if it answers another query, or a RESOLV_E* code.
static int
parse(uint8 *m, int n, int id, char *name, uint32 *addr)
{
  static char qname[DNS_MAXNAME + 1];
  int flags, off;

  if(n < DNS_HLEN)
    return RESOLV_EBADREPLY;
  flags = get16(m + 2);
  if(get16(m) != id || (flags & F_QR) == 0)
    return RESOLV_SKIP;
  if(flags & F_TC)
    return RESOLV_ETRUNC;
  if((flags & 0xf) == 3)
    return RESOLV_ENXDOMAIN;
  if((flags & 0xf) != 0)
    return RESOLV_ESERVER;
  if(get16(m + 4) != 1)
    return RESOLV_EBADREPLY;
  if((off = getname(m, n, DNS_HLEN, qname)) < 0 || off + 4 > n ||
     !samename(qname, name) || get16(m + off) != ARECORD)
    return RESOLV_EBADREPLY;
  return answers(m, n, off + 4, qname, addr);
}

// A socket to server:53 from local port lport (0: a free one chosen by
// pid). Returns a descriptor or -1.
static int
opensock(uint32 server, int lport)
{
  int fd = -1, tries = 1;

  if(lport == 0){
    lport = LPORT_BASE + getpid() % LPORT_SPAN;
    tries = 16;
  }
  for(int i = 0; i < tries && fd < 0; i++)
    fd = connect(server, lport + i, DNS_PORT);
  return fd;
}

// The default DNS server: the interface's (ifget(), set by DHCP or by
// hand), else RESOLV_SERVER.
uint32
resolve_server(void)
{
  struct ifinfo ifi;

  if(ifget(&ifi) < 0 || ifi.dns == 0)
    return RESOLV_SERVER;
  return ifi.dns;
}

// Read replies on fd until one answers query id for name or the clock
// (nsecs()) reaches end. Returns parse()'s verdict on that reply (never
// RESOLV_SKIP), RESOLV_ETIMEOUT, or RESOLV_ESOCKET. Each read waits only
// for what is left, so skipped replies do not extend the wait.
static int
await(int fd, int id, char *name, uint64 end, uint32 *addr)
{
  uint64 now;
  int n, r;

  while((now = nsecs()) < end){
    // Round up: a timeout of 0 would mean "forever".
    if(sockopt(fd, SO_RCVTIMEO, (end - now + MS - 1) / MS) < 0)
      return RESOLV_ESOCKET;
    if((n = read(fd, msg, sizeof(msg))) < 0)
      return RESOLV_ETIMEOUT;
    if((r = parse(msg, n, id, name, addr)) != RESOLV_SKIP)
      return r;
  }
  return RESOLV_ETIMEOUT;
}

// resolve(), with the query's local port lport (0: any) and id (-1: a
// fresh one) chosen by the caller.
int
resolvex(const char *name, uint32 server, uint16 lport, int id, uint32 *addr)
{
  static char want[DNS_MAXNAME + 1];
  int fd, len, r = RESOLV_ETIMEOUT;
  uint64 start;

  if(server == 0)
    server = resolve_server();
  if(id < 0 || id > 0xffff)
    id = (nsecs() ^ getpid()) & 0xffff;
  if((len = mkquery(name, id)) < 0 || getname(msg, len, DNS_HLEN, want) < 0)
    return RESOLV_EBADNAME;
  if((fd = opensock(server, lport)) < 0)
    return RESOLV_ESOCKET;
  start = nsecs();
  for(int try = 0; try < TRIES && r == RESOLV_ETIMEOUT; try++){
    // msg holds the last reply: write the query again.
    if(mkquery(name, id) != len || write(fd, msg, len) != len){
      r = RESOLV_ESOCKET;
      break;
    }
    r = await(fd, id, want, start + (uint64)TRY_MS * (try + 1) * MS, addr);
  }
  close(fd);
  return r;
}

// Parse the dotted quad s ("10.0.2.2": four decimal parts 0..255, nothing
// else) into *addr, host byte order. Returns 0, or -1 if s is not one.
int
ipparse(const char *s, uint32 *addr)
{
  uint32 a = 0;
  int v;

  for(int part = 0; part < 4; part++){
    if(part > 0 && *s++ != '.')
      return -1;
    if(*s < '0' || *s > '9')
      return -1;
    for(v = 0; *s >= '0' && *s <= '9'; s++)
      if((v = v * 10 + *s - '0') > 255)
        return -1;
    a = (a << 8) | v;
  }
  if(*s != 0)
    return -1;
  *addr = a;
  return 0;
}

// Write addr (host byte order) as a dotted quad into buf, which holds at
// least IPSTR_LEN bytes. Returns buf.
char *
ipfmt(uint32 addr, char *buf)
{
  char *p = buf;

  for(int shift = 24; shift >= 0; shift -= 8){
    int v = (addr >> shift) & 0xff, d = 100;
    while(d > 1 && v < d)
      d /= 10;
    for(; d > 0; d /= 10)
      *p++ = '0' + v / d % 10;
    *p++ = shift ? '.' : 0;
  }
  return buf;
}

// Write the Ethernet address mac[0..6) as "52:54:00:12:34:56" into buf,
// which holds at least MACSTR_LEN bytes. Returns buf.
char *
macfmt(uint8 *mac, char *buf)
{
  static char hex[] = "0123456789abcdef";

  for(int i = 0; i < 6; i++){
    buf[3*i] = hex[mac[i] >> 4];
    buf[3*i + 1] = hex[mac[i] & 0xf];
    buf[3*i + 2] = i < 5 ? ':' : 0;
  }
  return buf;
}

// The address of s, a dotted quad or else a name asked of the default DNS
// server. Returns 0 with *addr set, or a RESOLV_E* code; digits and dots
// that do not make a dotted quad ("10.0.2") are RESOLV_EBADNAME, never
// asked of a server.
int
resolve_host(const char *s, uint32 *addr)
{
  const char *p;

  if(ipparse(s, addr) == 0)
    return 0;
  for(p = s; *p == '.' || (*p >= '0' && *p <= '9'); p++)
    ;
  if(*p == 0)
    return RESOLV_EBADNAME;
  return resolve(s, 0, addr);
}

// Ask the DNS server at server (host byte order; 0 means resolve_server())
// for name's IPv4 address. Returns 0 with *addr set (host byte order), or
// a RESOLV_E* code (resolve_strerror says what it means). Sends up to
// TRIES queries, TRY_MS apart, and returns by RESOLV_DEADLINE_MS after it
// began (plus a clock tick) whatever the server sends.
int
resolve(const char *name, uint32 server, uint32 *addr)
{
  return resolvex(name, server, 0, -1, addr);
}

// What a resolve() result means, for messages.
char *
resolve_strerror(int err)
{
  switch(err){
  case 0:                return "ok";
  case RESOLV_EBADNAME:  return "not a valid name";
  case RESOLV_ESOCKET:   return "cannot send to the server";
  case RESOLV_ETIMEOUT:  return "no reply from the server";
  case RESOLV_EBADREPLY: return "malformed reply";
  case RESOLV_ETRUNC:    return "reply truncated";
  case RESOLV_ENXDOMAIN: return "no such name (NXDOMAIN)";
  case RESOLV_ESERVER:   return "server failure";
  case RESOLV_ENOADDR:   return "no address for that name";
  default:               return "unknown error";
  }
}
