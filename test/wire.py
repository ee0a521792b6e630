#!/usr/bin/env python3
"""The host end of a raw Ethernet wire to the guest's E1000.

With `make qemu NET=wire` QEMU uses `-netdev dgram`: every frame the guest
transmits arrives here as one UDP datagram on 127.0.0.1:WIREPORT, and every
datagram sent to QEMU's own port (127.0.0.1:WIRE_QEMUPORT) goes onto the
guest's wire as one frame, whatever its bytes.  No slirp, no root.

By hand, in two terminals (ports from `make help`):

    make wire              # python3 test/wire.py --port WIREPORT \\
                           #   --qemu-port WIRE_QEMUPORT --echo SERVERPORT
    make qemu NET=wire     # then, in xv6:  nettests SERVERPORT

This program plays the host 10.0.2.2 with a made-up MAC (HOST_MAC): it
answers ARP requests for 10.0.2.2 (and for slirp's DNS address 10.0.2.3),
answers ICMP echo requests to it, and
echoes UDP datagrams sent to 10.0.2.2:ECHOPORT back to their sender, so
`nettests` and `udpecho ping` work against it as against server.py.
Datagrams to other host ports are dropped and counted (`noanswer` needs a
port nobody answers).  A DNS query to port 53 of any address is answered
from that address by test/dnsd.py, from the names in test/hosts.
With --reply TEXT the wire answers every datagram to ECHOPORT with TEXT
instead of an echo, as MIT's 2020-23 lab server does (`make wire LAB=2020`).

As a library (test/wiretest.py), Wire can also inject any bytes as a frame
(inject), ping the guest (ping), hand the guest's UDP to other host ports
to a callback (on_udp), and record every frame it sends (record).  The
builders eth(), ipv4(), udp(), icmp() and arp() make well-formed headers
by default and take an override for each field, to get one of them wrong
on purpose.

Never send QEMU an empty frame: its dgram backend takes a zero-length
datagram for the end of the connection and stops reading its socket for
good (QEMU 7.2, net/dgram.c, net_dgram_send), so the wire goes dead.

Python 3 standard library only.
"""

import argparse
import collections
import socket
import struct
import sys
import threading
import time

import dnsd

HOST_IP = "10.0.2.2"
DNS_IP = "10.0.2.3"          # slirp's DNS server: ARP answered for it too
GUEST_IP = "10.0.2.15"
HOST_MAC = bytes.fromhex("52550a000202")     # made up (locally administered)
GUEST_MAC = bytes.fromhex("525400123456")    # QEMU's default for the e1000
BROADCAST = b"\xff" * 6

ETH_HLEN = 14
ETH_IP = 0x0800
ETH_ARP = 0x0806
PROTO_ICMP = 1
PROTO_UDP = 17
ICMP_ECHO_REPLY = 0
ICMP_ECHO = 8

SOCKBUF = 4 << 20            # our socket buffers (capped by net.core.*mem_max)
PING_ID = 0x5778             # ICMP identifier of Wire.ping's requests
DNS_PORT = 53


# ---- building frames --------------------------------------------------------

def ip_bytes(addr):
    """'10.0.2.2' -> 4 bytes; 4 bytes pass through."""
    return addr if isinstance(addr, bytes) else socket.inet_aton(addr)


def checksum(data):
    """The Internet checksum (RFC 1071) of data: the value to store in a
    header.  An odd last byte counts as the high half of a word."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth(dst, src, etype, payload):
    """An Ethernet frame (no CRC: QEMU neither sends nor expects one)."""
    return dst + src + struct.pack("!H", etype) + payload


def ipv4(src, dst, proto, payload, ttl=64, ident=0, frag=0, tos=0,
         options=b"", vihl=None, total=None, cksum=None):
    """An IPv4 packet.  frag is the 16-bit flags+offset field (0x2000 MF,
    0x4000 DF); vihl the version/header-length byte; total and cksum
    default to the correct values."""
    if vihl is None:
        vihl = 0x40 | (5 + len(options) // 4)
    if total is None:
        total = 20 + len(options) + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", vihl, tos, total & 0xFFFF,
                      ident & 0xFFFF, frag, ttl, proto, 0,
                      ip_bytes(src), ip_bytes(dst)) + options
    if cksum is None:
        cksum = checksum(hdr)
    return hdr[:10] + struct.pack("!H", cksum) + hdr[12:] + payload


def udp_cksum(src, dst, seg):
    """UDP checksum of segment seg (its checksum field as it is) over the
    IPv4 pseudo header; 0 comes out as 0xffff (0 means "none")."""
    ph = ip_bytes(src) + ip_bytes(dst) + struct.pack("!BBH", 0, PROTO_UDP,
                                                     len(seg))
    c = checksum(ph + seg)
    return c or 0xFFFF


def udp(src, dst, sport, dport, payload, length=None, cksum=None):
    """A UDP datagram.  The checksum covers the first `length` bytes (the
    length field, correct by default) when that fits in the datagram."""
    real = 8 + len(payload)
    if length is None:
        length = real
    seg = struct.pack("!HHHH", sport, dport, length & 0xFFFF, 0) + payload
    if cksum is None:
        cksum = udp_cksum(src, dst, seg[:length]) if 8 <= length <= real \
            else udp_cksum(src, dst, seg)
    return seg[:6] + struct.pack("!H", cksum) + seg[8:]


def icmp(itype, code, ident, seq, data, cksum=None):
    """An ICMP echo-style message (type, code, identifier, sequence)."""
    msg = struct.pack("!BBHHH", itype, code, 0, ident, seq) + data
    if cksum is None:
        cksum = checksum(msg)
    return msg[:2] + struct.pack("!H", cksum) + msg[4:]


def arp(op, sha, spa, tha, tpa, htype=1, ptype=ETH_IP, hlen=6, plen=4):
    """An ARP body in the Ethernet/IPv4 layout (28 bytes); the size fields
    can be set wrong without changing the layout."""
    return struct.pack("!HHBBH6s4s6s4s", htype, ptype, hlen, plen, op, sha,
                       ip_bytes(spa), tha, ip_bytes(tpa))


def udp_frame(sport, dport, payload, src=HOST_IP, dst=GUEST_IP,
              smac=HOST_MAC, dmac=GUEST_MAC, ident=0):
    """A well-formed UDP frame, host to guest by default."""
    return eth(dmac, smac, ETH_IP,
               ipv4(src, dst, PROTO_UDP, udp(src, dst, sport, dport, payload),
                    ident=ident))


def ping_frame(ident, seq, data, src=HOST_IP, dst=GUEST_IP, smac=HOST_MAC,
               dmac=GUEST_MAC):
    """A well-formed ICMP echo request frame, host to guest by default."""
    return eth(dmac, smac, ETH_IP,
               ipv4(src, dst, PROTO_ICMP,
                    icmp(ICMP_ECHO, 0, ident, seq, data)))


# ---- reading the guest's frames ---------------------------------------------

Frame = collections.namedtuple(
    "Frame", "raw dst src etype arp sip dip proto ident sport dport data "
             "itype icode iid iseq good")


def parse(raw):
    """Decode a frame the guest sent.  Returns a Frame; fields that do not
    apply are None.  good is False if an IPv4 header, UDP or ICMP checksum
    is wrong or a length does not fit (a guest bug: it must send only
    well-formed frames)."""
    f = dict.fromkeys(Frame._fields)
    f.update(raw=raw, good=True)
    if len(raw) < ETH_HLEN:
        f["good"] = False
        return Frame(**f)
    f["dst"], f["src"] = raw[0:6], raw[6:12]
    f["etype"] = etype = struct.unpack("!H", raw[12:14])[0]
    body = raw[ETH_HLEN:]
    if etype == ETH_ARP and len(body) >= 28:
        f["arp"] = struct.unpack("!HHBBH6s4s6s4s", body[:28])
    elif etype == ETH_IP:
        _parse_ip(body, f)
    return Frame(**f)


def _parse_ip(ip, f):
    if len(ip) < 20 or ip[0] != 0x45:
        f["good"] = False
        return
    total = struct.unpack("!H", ip[2:4])[0]
    if total < 20 or total > len(ip) or checksum(ip[:20]) != 0:
        f["good"] = False
        return
    f["ident"] = struct.unpack("!H", ip[4:6])[0]
    f["proto"], f["sip"], f["dip"] = ip[9], ip[12:16], ip[16:20]
    body = ip[20:total]
    if f["proto"] == PROTO_UDP:
        if len(body) < 8:
            f["good"] = False
            return
        sport, dport, ulen, ck = struct.unpack("!HHHH", body[:8])
        if ulen < 8 or ulen > len(body) or (
                ck != 0 and checksum(f["sip"] + f["dip"] +
                                     struct.pack("!BBH", 0, PROTO_UDP, ulen) +
                                     body[:ulen]) != 0):
            f["good"] = False
            return
        f["sport"], f["dport"], f["data"] = sport, dport, body[8:ulen]
    elif f["proto"] == PROTO_ICMP:
        if len(body) < 8 or checksum(body) != 0:
            f["good"] = False
            return
        f["itype"], f["icode"], _, f["iid"], f["iseq"] = \
            struct.unpack("!BBHHH", body[:8])
        f["data"] = body[8:]


# ---- the wire ---------------------------------------------------------------

class Wire:
    """The host side of the wire: a UDP socket on 127.0.0.1:port that QEMU
    sends the guest's frames to, and a thread that answers them.

    qemu_port: QEMU's local.port, where injected frames go; if None it is
    learnt from the first frame the guest sends.  echo_port: host UDP port
    whose datagrams are echoed.  log: a function taking one line, or None.
    stats counts what happened (see _dispatch); bad holds the first few
    malformed frames the guest sent."""

    def __init__(self, port, qemu_port=None, echo_port=None, log=None):
        self.port = port
        self.qemu = ("127.0.0.1", qemu_port) if qemu_port else None
        self.log = log
        self.stats = collections.Counter()
        self.bad = []
        self._handlers = {}
        self.dns = Wire._dns               # fn(wire, frame) for UDP to port 53
        if echo_port:
            self._handlers[echo_port] = self._echo
        self._lock = threading.Lock()      # guards _pongs, _recording
        self._pong = threading.Condition(self._lock)
        self._pongs = {}                   # seq -> data of echo replies seen
        self._seq = 0
        self._recording = None             # list of frames sent, or None
        self._stop = threading.Event()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for opt in (socket.SO_RCVBUF, socket.SO_SNDBUF):
            self.sock.setsockopt(socket.SOL_SOCKET, opt, SOCKBUF)
        self.sock.bind(("127.0.0.1", port))
        self.sock.settimeout(0.2)          # so the thread sees _stop
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def close(self):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self.sock.close()

    def on_udp(self, port, fn):
        """Call fn(wire, frame) for each datagram the guest sends to host
        port `port` (fn=None removes it).  Runs in the wire's thread."""
        if fn is None:
            self._handlers.pop(port, None)
        else:
            self._handlers[port] = fn

    # -- sending --

    def send(self, frame):
        """Put frame on the guest's wire, byte for byte."""
        if not frame:
            raise ValueError("an empty frame would stop QEMU's dgram backend")
        if self.qemu is None:
            raise RuntimeError("QEMU's port is not known yet")
        self.sock.sendto(frame, self.qemu)
        self.stats["sent"] += 1
        rec = self._recording
        if rec is not None:
            rec.append(frame)

    inject = send

    def record(self, on):
        """Start (on=True) keeping a copy of every frame sent from now on;
        stop (on=False) and return the frames kept."""
        with self._lock:
            frames, self._recording = self._recording, ([] if on else None)
        return frames

    def announce(self):
        """Tell the guest (an unsolicited ARP reply) where 10.0.2.2 is,
        undoing any ARP entry that injected frames may have changed."""
        self.send(eth(GUEST_MAC, HOST_MAC, ETH_ARP,
                      arp(2, HOST_MAC, HOST_IP, GUEST_MAC, GUEST_IP)))

    def ping(self, timeout=5.0, size=16):
        """ICMP echo request to the guest; returns the round trip in
        seconds, or None if no correct reply came within timeout."""
        with self._lock:
            self._seq = (self._seq + 1) & 0xFFFF
            seq = self._seq
        data = struct.pack("!H", seq) * (size // 2)
        t0 = time.monotonic()
        self.send(ping_frame(PING_ID, seq, data))
        with self._pong:
            ok = self._pong.wait_for(lambda: self._pongs.get(seq) == data,
                                     timeout)
            self._pongs.pop(seq, None)
        return time.monotonic() - t0 if ok else None

    # -- receiving --

    def _run(self):
        while not self._stop.is_set():
            try:
                raw, addr = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if self.qemu is None:
                self.qemu = addr
            try:
                self._dispatch(parse(raw))
            except Exception as e:      # keep the wire up whatever happens
                self.stats["wire_errors"] += 1
                self._say("wire.py: error handling a frame: %r" % e)

    def _say(self, line):
        if self.log:
            self.log(line)

    def _dispatch(self, f):
        st = self.stats
        st["rx"] += 1
        if not f.good:
            st["bad"] += 1
            if len(self.bad) < 10:
                self.bad.append(f.raw)
            return
        if f.dst not in (HOST_MAC, BROADCAST):
            st["not_for_us"] += 1        # e.g. replies to injected frames
            return
        if f.arp:
            self._arp(f)
        elif f.proto == PROTO_UDP and f.dport == DNS_PORT and self.dns:
            self.dns(self, f)            # to any address: we play every server
        elif f.dip is None or f.dip != ip_bytes(HOST_IP):
            st["other"] += 1
        elif f.proto == PROTO_ICMP:
            self._icmp(f)
        elif f.proto == PROTO_UDP:
            fn = self._handlers.get(f.dport)
            st["udp"] += 1
            if fn:
                fn(self, f)
            else:
                st["udp_noport"] += 1
        else:
            st["other"] += 1

    def _arp(self, f):
        htype, ptype, hlen, plen, op, sha, spa, tha, tpa = f.arp
        if op == 1 and tpa in (ip_bytes(HOST_IP), ip_bytes(DNS_IP)):
            self.stats["arp_answered"] += 1
            self.send(eth(sha, HOST_MAC, ETH_ARP,
                          arp(2, HOST_MAC, tpa, sha, spa)))
        else:
            self.stats["arp_other"] += 1

    def _icmp(self, f):
        if f.itype == ICMP_ECHO_REPLY and f.iid == PING_ID:
            self.stats["pong"] += 1
            with self._pong:
                self._pongs[f.iseq] = f.data
                self._pong.notify_all()
        elif f.itype == ICMP_ECHO:
            self.stats["ping_answered"] += 1
            self.send(eth(f.src, HOST_MAC, ETH_IP,
                          ipv4(HOST_IP, f.sip, PROTO_ICMP,
                               icmp(ICMP_ECHO_REPLY, 0, f.iid, f.iseq,
                                    f.data))))
        else:
            self.stats["other"] += 1

    def reply_udp(self, f, payload, src=HOST_IP):
        """Send payload back to where the guest's datagram f came from,
        from address src."""
        self.send(eth(f.src, HOST_MAC, ETH_IP,
                      ipv4(src, f.sip, PROTO_UDP,
                           udp(src, f.sip, f.dport, f.sport, payload))))

    @staticmethod
    def _dns(wire, f):
        """Answer a DNS query from test/hosts, from the address it went to."""
        rep = dnsd.answer(f.data)
        wire.stats["dns_answered" if rep else "dns_ignored"] += 1
        if rep:
            wire.reply_udp(f, rep, src=f.dip)

    @staticmethod
    def _echo(wire, f):
        wire.stats["echoed"] += 1
        wire.reply_udp(f, f.data)


def main():
    ap = argparse.ArgumentParser(
        description="Host end of `make qemu NET=wire` (see the docstring).")
    ap.add_argument("--port", type=int, required=True,
                    help="our UDP port: QEMU's remote.port (WIREPORT)")
    ap.add_argument("--qemu-port", type=int,
                    help="QEMU's local.port (WIRE_QEMUPORT); learnt from "
                         "the guest's first frame if not given")
    ap.add_argument("--echo", type=int, default=0, metavar="ECHOPORT",
                    help="echo UDP sent to 10.0.2.2:ECHOPORT")
    ap.add_argument("--reply", metavar="TEXT",
                    help="answer ECHOPORT with TEXT instead of an echo")
    ap.add_argument("--verbose", action="store_true",
                    help="print a line for every frame the guest sends")
    args = ap.parse_args()

    w = Wire(args.port, args.qemu_port, args.echo,
             log=lambda line: print(line, flush=True))
    if args.reply and args.echo:
        text = args.reply.encode()
        w.on_udp(args.echo, lambda wire, f: wire.reply_udp(f, text))
    if args.verbose:
        inner = w._dispatch

        def show(f):
            print("guest: %d bytes type 0x%04x %s%s"
                  % (len(f.raw), f.etype or 0,
                     "udp %s->%s " % (f.sport, f.dport) if f.sport else "",
                     "" if f.good else "MALFORMED"), flush=True)
            inner(f)
        w._dispatch = show
    w.start()
    print("wire.py: 127.0.0.1:%d, host %s (%s), echo port %s; Ctrl-C stops"
          % (args.port, HOST_IP, HOST_MAC.hex(":"), args.echo or "none"),
          flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    w.close()
    print("wire.py: %s" % dict(w.stats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
