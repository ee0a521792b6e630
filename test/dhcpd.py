#!/usr/bin/env python3
"""A DHCP server for the raw wire (test/wire.py) and the LAN (test/lan.py).

    srv = Server(log=print)
    srv.answer(frame) -> [reply frames]      (frame: bytes or scapy Ether)

follows RFC 2131 (the protocol; the client states of section 4.3.2) and
RFC 2132 (the options).  It is the DHCP server of a host 10.0.2.2 on
slirp's layout, 10.0.2.0/24:

- DISCOVER -> OFFER of the client's address: one address per MAC from
  the pool 10.0.2.15 upward, sticky for the life of the Server (a client
  that reboots, or released its lease, is offered the same address
  again).  With fixed=ADDR every client gets ADDR (the wire, where there
  is one guest and it must be 10.0.2.15 as on slirp).
- REQUEST -> ACK, or NAK when the address asked for is not the client's:
  selecting (server id and requested address; a REQUEST naming another
  server means the client took that server's offer, so we stay silent,
  3.1 step 4), init-reboot (requested address, no server id), renewing
  and rebinding (ciaddr, no requested address).  A client we have no
  record of gets no answer to an init-reboot REQUEST (4.3.2).
- RELEASE: the lease ends (the address stays reserved for the MAC);
  DECLINE: the address is marked in use by someone else and never offered
  again; INFORM: an ACK with the options but no lease.
- Every reply is broadcast: Ethernet ff:ff:ff:ff:ff:ff, IP 255.255.255.255,
  UDP 67 -> 68, from 10.0.2.2 and HOST_MAC.  It carries the options
  message type (53), server id (54), lease (51), T1 (58, lease/2), T2
  (59, lease*7/8), subnet mask (1), router (3) and DNS server (6), padded
  to BOOTP's 300-byte minimum (RFC 1542 section 3.4).
- With rogue=True it plays a misconfigured or hostile server: every
  REQUEST, whatever server or address it names, gets an ACK of the
  address this server would give the client (test/test_lan.py's
  lan-rogue-renew).
- Anything else -- not a well-formed BOOTREQUEST for Ethernet with the
  magic cookie and a message type -- gets no answer and is counted in
  stats["dhcp_ignored"].

log(line) is called once per exchange answered (request and reply on
one line).  `python3 test/dhcpd.py` runs a DISCOVER/REQUEST/renew/RELEASE
round by itself and prints the log.
"""

import collections
import ipaddress
import sys
import threading
import time

from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

SERVER_IP = "10.0.2.2"
SERVER_MAC = "52:55:0a:00:02:02"   # test/wire.py's HOST_MAC
NETMASK = "255.255.255.0"
ROUTER = "10.0.2.2"
DNS = "10.0.2.3"
POOL_START = "10.0.2.15"
POOL_END = "10.0.2.254"
LEASE = 3600                       # seconds, the LAN's default
BROADCAST_MAC = "ff:ff:ff:ff:ff:ff"
BROADCAST_IP = "255.255.255.255"
SERVER_PORT = 67
CLIENT_PORT = 68
MAGIC = b"c\x82Sc"                 # RFC 2131 section 3: 99.130.83.99
BOOTREQUEST, BOOTREPLY = 1, 2
MIN_BOOTP = 300                    # RFC 1542: smallest BOOTP message sent

DISCOVER, OFFER, REQUEST, DECLINE, ACK, NAK, RELEASE, INFORM = range(1, 9)
TYPE_NAME = {DISCOVER: "DISCOVER", OFFER: "OFFER", REQUEST: "REQUEST",
             DECLINE: "DECLINE", ACK: "ACK", NAK: "NAK", RELEASE: "RELEASE",
             INFORM: "INFORM"}


class Lease:
    """One MAC's address.  state: "offered", "bound", "released" or
    "expired"; expires: time.monotonic() at the lease's end (bound only);
    acks: how many ACKs gave it out (a renewal is one more)."""

    def __init__(self, mac, ip):
        self.mac, self.ip = mac, ip
        self.state = "offered"
        self.expires = None
        self.acks = 0

    def __repr__(self):
        return "Lease(%s %s %s acks=%d)" % (self.mac, self.ip, self.state,
                                            self.acks)


def mac_str(chaddr):
    """The first 6 bytes of a chaddr as aa:bb:cc:dd:ee:ff."""
    return ":".join("%02x" % b for b in bytes(chaddr)[:6])


def options(pkt):
    """The DHCP options of a decoded BOOTP packet as {name: value}; later
    copies of an option win.  Malformed options scapy could not split
    come out as bytes and are left out."""
    opts = {}
    if DHCP in pkt:
        for o in pkt[DHCP].options:
            if isinstance(o, tuple) and len(o) >= 2:
                opts[o[0]] = o[1]
    return opts


class Server:
    """A DHCP server; answer() is safe to call from several threads.

    lease: lease length in seconds; fixed: give every client this address
    instead of one from the pool; log: a function taking one line, or
    None; rogue: ACK every REQUEST (see the module's docstring).  stats counts requests and replies by type name (lower case)
    and dhcp_ignored; leases() tells who has which address."""

    def __init__(self, lease=LEASE, fixed=None, log=None,
                 server_ip=SERVER_IP, server_mac=SERVER_MAC,
                 pool=(POOL_START, POOL_END), netmask=NETMASK,
                 router=ROUTER, dns=DNS, rogue=False):
        self.lease = lease
        self.fixed = fixed
        self.rogue = rogue
        self.log = log
        self.ip, self.mac = server_ip, server_mac
        self.netmask, self.router, self.dns = netmask, router, dns
        lo, hi = (int(ipaddress.IPv4Address(a)) for a in pool)
        self._pool = [str(ipaddress.IPv4Address(a)) for a in range(lo, hi + 1)]
        self.stats = collections.Counter()
        self._lock = threading.Lock()      # guards _leases, _declined
        self._leases = collections.OrderedDict()   # mac -> Lease
        self._declined = set()

    def leases(self):
        """{mac: Lease} (copies), in the order the MACs first asked."""
        with self._lock:
            self._expire()
            out = collections.OrderedDict()
            for mac, l in self._leases.items():
                c = Lease(l.mac, l.ip)
                c.state, c.expires, c.acks = l.state, l.expires, l.acks
                out[mac] = c
            return out

    def answer(self, frame):
        """The reply frames (a list of bytes, maybe empty) to the DHCP
        message in frame, an Ethernet frame carrying UDP to port 67."""
        pkt = frame if isinstance(frame, Ether) else Ether(bytes(frame))
        req = self._request(pkt)
        if req is None:
            self.stats["dhcp_ignored"] += 1
            return []
        bootp, mtype, opts = req
        self.stats[TYPE_NAME[mtype].lower()] += 1
        mac = mac_str(bootp.chaddr)
        with self._lock:
            self._expire()
            rtype, addr, why = self._decide(bootp, mac, mtype, opts)
        line = "dhcpd: %s from %s" % (TYPE_NAME[mtype], mac)
        if mtype in (REQUEST, RELEASE, DECLINE, INFORM):
            asked = opts.get("requested_addr") or bootp.ciaddr
            line += " for %s" % asked
        if rtype is None:
            self._say(line + (" (%s)" % why if why else ""))
            return []
        self.stats[TYPE_NAME[rtype].lower()] += 1
        self._say("%s -> %s%s%s" % (line, TYPE_NAME[rtype],
                                    " " + addr if addr else "",
                                    " (%s)" % why if why else ""))
        return [self._reply(bootp, rtype, addr)]

    # -- deciding --

    def _request(self, pkt):
        """(bootp, message type, options) of a well-formed client message,
        else None."""
        if UDP not in pkt or BOOTP not in pkt:
            return None
        b = pkt[BOOTP]
        if (b.op, b.htype, b.hlen) != (BOOTREQUEST, 1, 6) \
                or bytes(b.options)[:4] != MAGIC or DHCP not in b:
            return None
        mtype = options(b).get("message-type")
        if mtype not in TYPE_NAME or mtype in (OFFER, ACK, NAK):
            return None
        return b, mtype, options(b)

    def _decide(self, b, mac, mtype, opts):
        """(reply type or None, address to give, note for the log).
        Caller holds _lock."""
        sid = opts.get("server_id")
        want = opts.get("requested_addr")
        lease = self._leases.get(mac)
        if mtype == DISCOVER:
            lease = lease or self._new_lease(mac)
            if lease is None:
                return None, None, "no free address"
            lease.state, lease.expires = "offered", None   # it is in INIT
            return OFFER, lease.ip, None
        if mtype == INFORM:
            return ACK, None, "inform"
        if self.rogue and mtype == REQUEST:
            lease = lease or self._new_lease(mac)
            if lease is None:
                return None, None, "no free address"
            return self._bind(lease, "rogue")
        if sid is not None and sid != self.ip:
            return None, None, "for server %s" % sid
        if lease is None:
            return None, None, "no record of this client"
        if mtype == RELEASE:
            if b.ciaddr == lease.ip:
                lease.state, lease.expires = "released", None
            return None, None, None
        if mtype == DECLINE:
            if want == lease.ip:
                self._declined.add(lease.ip)
                del self._leases[mac]
            return None, None, "declined"
        asked = want if want is not None else b.ciaddr
        if asked != lease.ip:
            return NAK, None, "its address is %s" % lease.ip
        return self._bind(lease, None)

    def _bind(self, lease, note):
        """ACK lease, bound for self.lease seconds from now (note, or
        "renewal" if it was bound already).  Caller holds _lock."""
        renew = lease.state == "bound"
        lease.state = "bound"
        lease.expires = time.monotonic() + self.lease
        lease.acks += 1
        return ACK, lease.ip, note or ("renewal" if renew else None)

    def _new_lease(self, mac):
        """A Lease for a MAC we have never seen, or None if the pool is
        used up.  Caller holds _lock."""
        if self.fixed:
            ip = self.fixed
        else:
            taken = {l.ip for l in self._leases.values()} | self._declined
            ip = next((a for a in self._pool if a not in taken), None)
            if ip is None:
                return None
        lease = self._leases[mac] = Lease(mac, ip)
        return lease

    def _expire(self):
        # Caller holds _lock.  An expired lease keeps its address reserved.
        now = time.monotonic()
        for l in self._leases.values():
            if l.state == "bound" and l.expires <= now:
                l.state, l.expires = "expired", None

    # -- replying --

    def _reply(self, req, rtype, addr):
        """A broadcast reply frame (bytes) of type rtype to request req."""
        opts = [("message-type", rtype), ("server_id", self.ip)]
        if rtype in (OFFER, ACK) and addr is not None:
            opts += [("lease_time", self.lease),
                     ("renewal_time", self.lease // 2),
                     ("rebinding_time", self.lease * 7 // 8)]
        if rtype in (OFFER, ACK):
            opts += [("subnet_mask", self.netmask), ("router", self.router),
                     ("name_server", self.dns)]
        opts.append("end")
        bootp = BOOTP(op=BOOTREPLY, htype=1, hlen=6, xid=req.xid,
                      flags=req.flags, ciaddr=req.ciaddr if rtype == ACK
                      else "0.0.0.0", yiaddr=addr or "0.0.0.0",
                      siaddr=self.ip if rtype != NAK else "0.0.0.0",
                      giaddr=req.giaddr, chaddr=req.chaddr) / DHCP(options=opts)
        body = bytes(bootp)
        body += bytes(max(0, MIN_BOOTP - len(body)))
        return bytes(Ether(dst=BROADCAST_MAC, src=self.mac)
                     / IP(src=self.ip, dst=BROADCAST_IP, id=0)
                     / UDP(sport=SERVER_PORT, dport=CLIENT_PORT) / body)

    def _say(self, line):
        if self.log:
            self.log(line)


def client_frame(mac, mtype, xid=0x1234, ciaddr="0.0.0.0", **opts):
    """A client's DHCP message (bytes) of type mtype from MAC mac; opts
    are scapy DHCP option names (requested_addr=..., server_id=...).
    Sent from ciaddr (0.0.0.0 by default) to 255.255.255.255."""
    o = [("message-type", mtype)] + list(opts.items()) + ["end"]
    dst = BROADCAST_IP if ciaddr == "0.0.0.0" else SERVER_IP
    return bytes(Ether(dst=BROADCAST_MAC, src=mac)
                 / IP(src=ciaddr, dst=dst)
                 / UDP(sport=CLIENT_PORT, dport=SERVER_PORT)
                 / BOOTP(op=BOOTREQUEST, xid=xid, ciaddr=ciaddr,
                         chaddr=bytes.fromhex(mac.replace(":", "")))
                 / DHCP(options=o))


def reply_info(frame):
    """(message type, yiaddr, {option: value}) of a reply frame."""
    b = Ether(frame)[BOOTP]
    opts = options(b)
    return opts.get("message-type"), b.yiaddr, opts


def main():
    srv = Server(log=print)
    mac = "52:54:00:12:34:01"
    (offer,) = srv.answer(client_frame(mac, DISCOVER))
    t, yiaddr, opts = reply_info(offer)
    srv.answer(client_frame(mac, REQUEST, requested_addr=yiaddr,
                            server_id=SERVER_IP))
    srv.answer(client_frame(mac, REQUEST, ciaddr=yiaddr))
    srv.answer(client_frame(mac, REQUEST, requested_addr="10.0.2.99"))
    srv.answer(client_frame(mac, RELEASE, ciaddr=yiaddr, server_id=SERVER_IP))
    print(list(srv.leases().values()), dict(srv.stats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
