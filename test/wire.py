#!/usr/bin/env python3
"""The host end of a raw Ethernet wire to the guest's E1000.

With `make qemu NET=wire` QEMU uses `-netdev dgram`: every frame the guest
transmits arrives here as one UDP datagram on 127.0.0.1:WIREPORT, and every
datagram sent to QEMU's own port (127.0.0.1:WIRE_QEMUPORT) goes onto the
guest's wire as one frame, whatever its bytes.  No slirp, no root.

By hand, in two terminals (ports from `make help`):

    make wire              # test/wire.py --port WIREPORT \\
                           #   --qemu-port WIRE_QEMUPORT --echo SERVERPORT
    make qemu NET=wire     # then, in xv6:  nettests SERVERPORT

This program plays the host 10.0.2.2 with a made-up MAC (HOST_MAC): it
answers ARP requests for 10.0.2.2 (and for slirp's DNS address 10.0.2.3),
answers ICMP echo requests to it, answers DHCP as slirp does (test/dhcpd.py:
the guest is always given GUEST_IP 10.0.2.15/24, lease 86400 s), and
echoes UDP datagrams sent to 10.0.2.2:ECHOPORT back to their sender, so
`nettests` and `udpecho ping` work against it as against server.py.
Datagrams to other host ports are dropped and counted (`noanswer` needs a
port nobody answers).  A DNS query to port 53 of any address is answered
from that address by test/dnsd.py, from the names in test/hosts.
With --reply TEXT the wire answers every datagram to ECHOPORT with TEXT
instead of an echo, as MIT's 2020-23 lab server does (`make wire LAB=2020`).

As a library (test/test_wire.py), Wire can also inject any bytes as a
frame (inject), ping the guest (ping), hand the guest's UDP to other host
ports to a callback (on_udp), and record every frame it sends (record).
Frames are built and decoded with scapy.  For every UDP datagram to port
53, at whatever address, the wire asks test/dnsd.py (when there is one)
for an answer and sends it back from that address.

Never send QEMU an empty frame: its dgram backend takes a zero-length
datagram for the end of the connection and stops reading its socket for
good (QEMU 7.2, net/dgram.c, net_dgram_send), so the wire goes dead.
"""

import argparse
import collections
import socket
import struct
import sys
import threading
import time

from scapy.layers.inet import ICMP, IP, TCP, UDP, in4_chksum
from scapy.layers.l2 import ARP, Ether
from scapy.packet import Raw
from scapy.utils import checksum

import dhcpd                       # test/dhcpd.py: Server.answer(frame)

try:
    import dnsd                    # test/dnsd.py: answer(query) -> reply
except ImportError:
    dnsd = None

HOST_IP = "10.0.2.2"
DNS_IP = "10.0.2.3"          # slirp's DNS server: ARP answered for it too
GUEST_IP = "10.0.2.15"
HOST_MAC = "52:55:0a:00:02:02"     # made up (locally administered)
GUEST_MAC = "52:54:00:12:34:56"    # QEMU's default for the e1000
BROADCAST = "ff:ff:ff:ff:ff:ff"

ETH_IP = 0x0800
ETH_ARP = 0x0806
PROTO_ICMP = 1
PROTO_UDP = 17
PROTO_TCP = 6
ICMP_ECHO_REPLY = 0
ICMP_ECHO = 8

SOCKBUF = 4 << 20            # our socket buffers (capped by net.core.*mem_max)
PING_ID = 0x5778             # ICMP identifier of Wire.ping's requests
DNS_PORT = 53
DHCP_LEASE = 86400           # seconds, as slirp's DHCP server gives


def udp_frame(sport, dport, payload, src=HOST_IP, dst=GUEST_IP,
              smac=HOST_MAC, dmac=GUEST_MAC, ident=0):
    """A well-formed UDP frame (bytes), host to guest by default."""
    return bytes(Ether(dst=dmac, src=smac) / IP(src=src, dst=dst, id=ident)
                 / UDP(sport=sport, dport=dport) / Raw(payload))


def ping_frame(ident, seq, data, src=HOST_IP, dst=GUEST_IP, smac=HOST_MAC,
               dmac=GUEST_MAC):
    """A well-formed ICMP echo request frame, host to guest by default."""
    return bytes(Ether(dst=dmac, src=smac) / IP(src=src, dst=dst, id=0)
                 / ICMP(type=ICMP_ECHO, id=ident, seq=seq) / Raw(data))


def data(pkt):
    """The payload bytes of a frame scapy decoded: what follows the UDP or
    ICMP header, up to the IP length (the Ethernet padding left out)."""
    return pkt[Raw].load if Raw in pkt else b""


def well_formed(raw, pkt=None):
    """True unless frame raw (pkt: as scapy decoded it) has a wrong IPv4
    header, UDP or ICMP checksum or a length that does not fit: a guest
    bug, since the guest must send only well-formed frames."""
    if len(raw) < 14:
        return False
    if pkt is None:
        pkt = Ether(raw)
    if IP not in pkt:
        return True
    ip = pkt[IP]
    end = 14 + ip.len
    if ip.version != 4 or ip.ihl != 5 or not 20 <= ip.len <= len(raw) - 14 \
            or checksum(raw[14:34]) != 0:
        return False
    if ip.proto == PROTO_UDP:
        # A UDP datagram fills its IP packet; checksum 0 means none.
        return UDP in ip and ip[UDP].len == ip.len - 20 and (
            ip[UDP].chksum == 0 or in4_chksum(PROTO_UDP, ip, raw[34:end]) == 0)
    if ip.proto == PROTO_ICMP:
        return ip.len >= 28 and checksum(raw[34:end]) == 0
    return True


# ---- the wire ---------------------------------------------------------------

def frame_socket(port):
    """A UDP socket on 127.0.0.1:port (0: any free one) for frames to and
    from QEMU's dgram backend: large buffers, and a 0.2 s timeout so that
    a thread reading it notices when it is told to stop."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for opt in (socket.SO_RCVBUF, socket.SO_SNDBUF):
        sock.setsockopt(socket.SOL_SOCKET, opt, SOCKBUF)
    sock.bind(("127.0.0.1", port))
    sock.settimeout(0.2)
    return sock


class FrameThread:
    """A frame socket on 127.0.0.1:port and a daemon thread that hands
    each datagram to self._frame(raw, addr) until close(): what Wire and
    test/lan.py's switch share.  An exception in _frame is counted in
    stats[ERRORS] and logged; the thread goes on."""

    ERRORS = "errors"

    def __init__(self, port):
        self._stop = threading.Event()
        self.sock = frame_socket(port)
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def close(self):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self.sock.close()

    def _run(self):
        while not self._stop.is_set():
            try:
                raw, addr = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                if self._stop.is_set():
                    break
                continue                # e.g. an ICMP error from a port
            try:
                self._frame(raw, addr)
            except Exception as e:      # keep the wire up whatever happens
                self.stats[self.ERRORS] += 1
                self._say("%s: error handling a frame: %r"
                          % (type(self).__name__, e))


class Wire(FrameThread):
    """The host side of the wire: a UDP socket on 127.0.0.1:port that QEMU
    sends the guest's frames to, and a thread that answers them.

    qemu_port: QEMU's local.port, where injected frames go; if None it is
    learnt from the first frame the guest sends.  echo_port: host UDP port
    whose datagrams are echoed.  log: a function taking one line, or None.
    dhcp: the dhcpd.Server answering UDP to port 67; by default one that
    gives every client GUEST_IP.  stats counts what happened (see
    _dispatch); bad holds the first few malformed frames the guest
    sent."""

    ERRORS = "wire_errors"

    def __init__(self, port, qemu_port=None, echo_port=None, log=None,
                 dhcp=None):
        self.port = port
        self.qemu = ("127.0.0.1", qemu_port) if qemu_port else None
        self.log = log
        self.stats = collections.Counter()
        self.bad = []
        self._handlers = {}
        self.dns = Wire._dns               # fn(wire, pkt) for UDP to port 53
        self.tcp = None                    # fn(wire, pkt) for TCP to the host
        self.dhcp = dhcp or dhcpd.Server(lease=DHCP_LEASE, fixed=GUEST_IP,
                                         log=self._say)
        if echo_port:
            self._handlers[echo_port] = self._echo
        self._lock = threading.Lock()      # guards _pongs, _recording
        self._pong = threading.Condition(self._lock)
        self._pongs = {}                   # seq -> data of echo replies seen
        self._seq = 0
        self._recording = None             # list of frames sent, or None
        FrameThread.__init__(self, port)

    def on_udp(self, port, fn):
        """Call fn(wire, pkt) for each datagram the guest sends to host
        port `port` (pkt: the frame as scapy decoded it; fn=None removes
        it).  Runs in the wire's thread."""
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
        self.send(bytes(Ether(dst=GUEST_MAC, src=HOST_MAC)
                        / ARP(op=2, hwsrc=HOST_MAC, psrc=HOST_IP,
                              hwdst=GUEST_MAC, pdst=GUEST_IP)))

    def ping(self, timeout=5.0, size=16, ip=GUEST_IP, mac=GUEST_MAC):
        """ICMP echo request to the guest (or to ip at mac); returns the
        round trip in seconds, or None if no correct reply came within
        timeout."""
        with self._lock:
            self._seq = (self._seq + 1) & 0xFFFF
            seq = self._seq
        data = struct.pack("!H", seq) * (size // 2)
        t0 = time.monotonic()
        self.send(ping_frame(PING_ID, seq, data, dst=ip, dmac=mac))
        with self._pong:
            ok = self._pong.wait_for(lambda: self._pongs.get(seq) == data,
                                     timeout)
            self._pongs.pop(seq, None)
        return time.monotonic() - t0 if ok else None

    # -- receiving --

    def _frame(self, raw, addr):
        if self.qemu is None:
            self.qemu = addr
        self._dispatch(raw)

    def _say(self, line):
        if self.log:
            self.log(line)

    def _dispatch(self, raw):
        st = self.stats
        st["rx"] += 1
        pkt = Ether(raw)
        if not well_formed(raw, pkt):
            st["bad"] += 1
            if len(self.bad) < 10:
                self.bad.append(raw)
            return
        if pkt.dst not in (HOST_MAC, BROADCAST):
            st["not_for_us"] += 1        # e.g. replies to injected frames
        elif ARP in pkt:
            self._arp(pkt[ARP])
        elif UDP in pkt and pkt[UDP].dport == DNS_PORT and self.dns:
            self.dns(self, pkt)          # to any address: we play every server
        elif UDP in pkt and pkt[UDP].dport == dhcpd.SERVER_PORT:
            st["dhcp"] += 1              # broadcast, or unicast to renew
            for reply in self.dhcp.answer(pkt):
                self.send(reply)
        elif IP not in pkt or pkt[IP].dst != HOST_IP:
            st["other"] += 1
        elif ICMP in pkt:
            self._icmp(pkt)
        elif TCP in pkt and self.tcp:
            st["tcp"] += 1
            self.tcp(self, pkt)
        elif UDP in pkt:
            fn = self._handlers.get(pkt[UDP].dport)
            st["udp"] += 1
            if fn:
                fn(self, pkt)
            else:
                st["udp_noport"] += 1
        else:
            st["other"] += 1

    def _arp(self, a):
        if a.op == 1 and a.pdst in (HOST_IP, DNS_IP):
            self.stats["arp_answered"] += 1
            self.send(bytes(Ether(dst=a.hwsrc, src=HOST_MAC)
                            / ARP(op=2, hwsrc=HOST_MAC, psrc=a.pdst,
                                  hwdst=a.hwsrc, pdst=a.psrc)))
        else:
            self.stats["arp_other"] += 1

    def _icmp(self, pkt):
        icmp, load = pkt[ICMP], data(pkt)
        if icmp.type == ICMP_ECHO_REPLY and icmp.id == PING_ID:
            self.stats["pong"] += 1
            with self._pong:
                self._pongs[icmp.seq] = load
                self._pong.notify_all()
        elif icmp.type == ICMP_ECHO:
            self.stats["ping_answered"] += 1
            self.send(bytes(Ether(dst=pkt.src, src=HOST_MAC)
                            / IP(src=HOST_IP, dst=pkt[IP].src)
                            / ICMP(type=ICMP_ECHO_REPLY, id=icmp.id,
                                   seq=icmp.seq) / Raw(load)))
        else:
            self.stats["other"] += 1

    @staticmethod
    def _dns(wire, pkt):
        """Answer a DNS query from test/hosts, from the address it went to."""
        answer = dnsd.answer(data(pkt)) if dnsd else None
        wire.stats["dns_answered" if answer else "dns_ignored"] += 1
        if answer is not None:
            wire.reply_udp(pkt, answer)

    def reply_udp(self, pkt, payload):
        """Send payload back to where the guest's datagram pkt came from,
        from the address and port it went to."""
        self.send(bytes(Ether(dst=pkt.src, src=HOST_MAC)
                        / IP(src=pkt[IP].dst, dst=pkt[IP].src)
                        / UDP(sport=pkt[UDP].dport, dport=pkt[UDP].sport)
                        / Raw(payload)))

    @staticmethod
    def _echo(wire, pkt):
        wire.stats["echoed"] += 1
        wire.reply_udp(pkt, data(pkt))


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

        def show(raw):
            print("guest: %d bytes: %s%s"
                  % (len(raw), Ether(raw).summary(),
                     "" if well_formed(raw) else " MALFORMED"), flush=True)
            inner(raw)
        w._dispatch = show
    w.start()
    print("wire.py: 127.0.0.1:%d, host %s (%s), echo port %s; Ctrl-C stops"
          % (args.port, HOST_IP, HOST_MAC, args.echo or "none"),
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
