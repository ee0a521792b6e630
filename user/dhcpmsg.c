// dhcpmsg.c: DHCP client messages, built and parsed (RFC 2131, RFC 2132).
// See user/dhcpmsg.h for the interface.
//
// The reply is untrusted input: every read is checked against its length
// first. Option rules, in the order the parser applies them:
//   - PAD (0) is one byte and is skipped; END (255) ends a field; bytes
//     after END are ignored. A field may also end without END (some
//     servers leave it out when the options fill the datagram).
//   - any other option needs its length byte and all its data inside the
//     field, else the message is rejected (DHCP_ETRUNC);
//   - the options we read must have their RFC 2132 length (DHCP_EOPTLEN)
//     and appear once (DHCP_EDUP: we do not join split options, RFC 3396);
//     other options are skipped;
//   - option overload (52) is honoured as RFC 2131 4.1 says: after the
//     options field, the file field and then the sname field are read as
//     options too, if option 52 says so. Only the options field may carry
//     option 52 (a second one is a duplicate).

#include "kernel/types.h"
#include "user/dhcpmsg.h"

static uint32
get32(const uint8 *p)
{
  return ((uint32)p[0] << 24) | ((uint32)p[1] << 16) | ((uint32)p[2] << 8) | p[3];
}

static void
put32(uint8 *p, uint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

// ---- building ---------------------------------------------------------------

// The options a client asks for (option 55).
static const uint8 params[] = {
  DHCPO_MASK, DHCPO_ROUTER, DHCPO_DNS, DHCPO_LEASE, DHCPO_T1, DHCPO_T2,
};

// Zero buf[0..DHCP_MINLEN) and write the fixed part of a BOOTREQUEST and
// the cookie. Returns the offset of the first option.
static int
header(uint8 *buf, const uint8 *mac, uint32 xid, uint32 ciaddr)
{
  for(int i = 0; i < DHCP_MINLEN; i++)
    buf[i] = 0;
  buf[DHCP_F_OP] = BOOTREQUEST;
  buf[DHCP_F_HTYPE] = DHCP_HTYPE_ETH;
  buf[DHCP_F_HLEN] = DHCP_HLEN_ETH;
  put32(buf + DHCP_F_XID, xid);
  put32(buf + DHCP_F_CIADDR, ciaddr);
  for(int i = 0; i < DHCP_HLEN_ETH; i++)
    buf[DHCP_F_CHADDR + i] = mac[i];
  put32(buf + DHCP_F_COOKIE, DHCP_COOKIE);
  return DHCP_F_OPTIONS;
}

// Append option code with n bytes of data at buf[off]; return the new end.
static int
putopt(uint8 *buf, int off, int code, const uint8 *data, int n)
{
  buf[off++] = code;
  buf[off++] = n;
  for(int i = 0; i < n; i++)
    buf[off++] = data[i];
  return off;
}

static int
putaddr(uint8 *buf, int off, int code, uint32 addr)
{
  uint8 a[4];

  put32(a, addr);
  return putopt(buf, off, code, a, 4);
}

// End the options at buf[off]; the rest up to DHCP_MINLEN is already 0
// (PAD). Returns the message's length.
static int
finish(uint8 *buf, int off)
{
  buf[off] = DHCPO_END;
  return DHCP_MINLEN;
}

int
dhcpmsg_discover(uint8 *buf, const uint8 *mac, uint32 xid)
{
  uint8 type = DHCPDISCOVER;
  int off = header(buf, mac, xid, 0);

  off = putopt(buf, off, DHCPO_TYPE, &type, 1);
  off = putopt(buf, off, DHCPO_PARAMS, params, sizeof(params));
  return finish(buf, off);
}

int
dhcpmsg_request(uint8 *buf, const uint8 *mac, uint32 xid, uint32 ciaddr,
                uint32 reqaddr, uint32 server)
{
  uint8 type = DHCPREQUEST;
  int off = header(buf, mac, xid, ciaddr);

  off = putopt(buf, off, DHCPO_TYPE, &type, 1);
  if(reqaddr)
    off = putaddr(buf, off, DHCPO_REQADDR, reqaddr);
  if(server)
    off = putaddr(buf, off, DHCPO_SERVER, server);
  off = putopt(buf, off, DHCPO_PARAMS, params, sizeof(params));
  return finish(buf, off);
}

int
dhcpmsg_release(uint8 *buf, const uint8 *mac, uint32 xid, uint32 ciaddr,
                uint32 server)
{
  uint8 type = DHCPRELEASE;
  int off = header(buf, mac, xid, ciaddr);

  off = putopt(buf, off, DHCPO_TYPE, &type, 1);
  off = putaddr(buf, off, DHCPO_SERVER, server);
  return finish(buf, off);
}

// ---- parsing ----------------------------------------------------------------

// Which options the parser has seen (bit = code; all we read are < 64).
typedef uint64 optset;
#define SEEN(code) ((optset)1 << (code))

// Store option code's n data bytes at p into d. Returns 1 if it is an
// option we read, 0 if not (skipped), or DHCP_EOPTLEN.
static int
option(struct dhcpmsg *d, int code, const uint8 *p, uint n, int *overload)
{
  uint32 *addr = 0;

  switch(code){
  case DHCPO_MASK:   addr = &d->netmask; break;
  case DHCPO_SERVER: addr = &d->server; break;
  case DHCPO_LEASE:  addr = &d->lease; break;
  case DHCPO_T1:     addr = &d->t1; break;
  case DHCPO_T2:     addr = &d->t2; break;
  case DHCPO_ROUTER:
  case DHCPO_DNS:
    if(n == 0 || n % 4 != 0)
      return DHCP_EOPTLEN;
    *(code == DHCPO_ROUTER ? &d->router : &d->dns) = get32(p);
    return 1;
  case DHCPO_TYPE:
    if(n != 1 || p[0] < DHCPDISCOVER || p[0] > DHCPINFORM)
      return DHCP_EOPTLEN;
    d->type = p[0];
    return 1;
  case DHCPO_OVERLOAD:
    if(n != 1 || p[0] < 1 || p[0] > 3)
      return DHCP_EOPTLEN;
    *overload = p[0];
    return 1;
  default:
    return 0;
  }
  if(n != 4)
    return DHCP_EOPTLEN;
  *addr = get32(p);
  return 1;
}

// Read the options in p[0..len) into d. Returns 0 or a DHCP_E* code.
static int
walk(const uint8 *p, uint len, struct dhcpmsg *d, optset *seen, int *overload)
{
  uint i = 0, n;
  int code, r;

  while(i < len){
    code = p[i];
    if(code == DHCPO_END)
      break;
    if(code == DHCPO_PAD){
      i++;
      continue;
    }
    if(len - i < 2 || len - i - 2 < p[i+1])
      return DHCP_ETRUNC;
    n = p[i+1];
    if(code < 64 && (*seen & SEEN(code)))
      return DHCP_EDUP;
    if((r = option(d, code, p + i + 2, n, overload)) < 0)
      return r;
    if(r)
      *seen |= SEEN(code);
    i += 2 + n;
  }
  return 0;
}

// Fill d->t1 and d->t2 as dhcpmsg.h says (RFC 2131 4.4.5).
static void
lease_times(struct dhcpmsg *d, optset seen)
{
  if((seen & SEEN(DHCPO_T1)) && (seen & SEEN(DHCPO_T2)) &&
     d->t1 <= d->t2 && d->t2 <= d->lease)
    return;
  if(d->lease == DHCP_INFINITE){
    d->t1 = d->t2 = DHCP_INFINITE;
  } else {
    d->t1 = d->lease / 2;
    d->t2 = (uint32)((uint64)d->lease * 7 / 8);
  }
}

// dhcpmsg_parse: see dhcpmsg.h.
int
dhcpmsg_parse(const uint8 *m, uint len, struct dhcpmsg *d)
{
  optset seen = 0;
  int overload = 0, r;
  uint8 *z = (uint8 *)d;

  for(uint i = 0; i < sizeof(*d); i++)
    z[i] = 0;
  if(len < DHCP_MINREPLY)
    return DHCP_ESHORT;
  if(m[DHCP_F_OP] != BOOTREPLY || m[DHCP_F_HTYPE] != DHCP_HTYPE_ETH ||
     m[DHCP_F_HLEN] != DHCP_HLEN_ETH)
    return DHCP_EHEADER;
  if(get32(m + DHCP_F_COOKIE) != DHCP_COOKIE)
    return DHCP_ECOOKIE;
  d->op = m[DHCP_F_OP];
  d->xid = get32(m + DHCP_F_XID);
  d->yiaddr = get32(m + DHCP_F_YIADDR);
  d->siaddr = get32(m + DHCP_F_SIADDR);
  for(int i = 0; i < DHCP_HLEN_ETH; i++)
    d->chaddr[i] = m[DHCP_F_CHADDR + i];

  r = walk(m + DHCP_F_OPTIONS, len - DHCP_F_OPTIONS, d, &seen, &overload);
  if(r == 0 && (overload & 1))
    r = walk(m + DHCP_F_FILE, DHCP_FILE_LEN, d, &seen, &overload);
  if(r == 0 && (overload & 2))
    r = walk(m + DHCP_F_SNAME, DHCP_SNAME_LEN, d, &seen, &overload);
  if(r < 0)
    return r;
  if((seen & SEEN(DHCPO_TYPE)) == 0)
    return DHCP_ENOTYPE;
  if((seen & SEEN(DHCPO_LEASE)) && d->lease == 0)
    return DHCP_EOPTLEN;
  if((d->type == DHCPOFFER || d->type == DHCPACK) && (d->server == 0 || d->lease == 0))
    return DHCP_EMISSING;
  if(d->type == DHCPNAK && d->server == 0)
    return DHCP_EMISSING;
  if(d->lease)
    lease_times(d, seen);
  return 0;
}

// Is d an answer to act on while renewing addr's lease from server? See
// dhcpmsg.h.
int
dhcpmsg_renewal(const struct dhcpmsg *d, uint32 addr, uint32 server, int rebinding)
{
  if(!rebinding && d->server != server)
    return DHCP_EOTHERSERVER;
  if(d->type == DHCPACK && d->yiaddr != addr)
    return DHCP_EOTHERADDR;
  return 0;
}

// What a dhcpmsg_parse() or dhcpmsg_renewal() result means, for messages.
const char *
dhcpmsg_strerror(int err)
{
  switch(err){
  case 0:                 return "ok";
  case DHCP_ESHORT:       return "too short";
  case DHCP_EHEADER:      return "not a BOOTREPLY for Ethernet";
  case DHCP_ECOOKIE:      return "no magic cookie";
  case DHCP_ETRUNC:       return "an option runs past its field";
  case DHCP_EOPTLEN:      return "an option has a wrong length or value";
  case DHCP_EDUP:         return "an option appears twice";
  case DHCP_ENOTYPE:      return "no message type";
  case DHCP_EMISSING:     return "no server id or lease";
  case DHCP_EOTHERSERVER: return "not the lease's server";
  case DHCP_EOTHERADDR:   return "another address than the lease's";
  default:                return "unknown error";
  }
}
