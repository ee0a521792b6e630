#!/usr/bin/env python3
"""The host side of a LAN of xv6 guests: a switch and a service node.

With `make qemu NET=lan GUEST=n` guest n's QEMU uses `-netdev dgram`
from 127.0.0.1:LANPORT+n to 127.0.0.1:LANPORT, with the MAC
52:54:00:12:34:0n (Makefile, "running").  Every frame a guest transmits
arrives here as one UDP datagram, and every datagram sent to a guest's
port goes onto its wire as one frame.  By hand, in three terminals:

    make lan                        # test/lan.py --port LANPORT --echo SERVERPORT
    make qemu NET=lan GUEST=1
    make qemu NET=lan GUEST=2

The switch, on 127.0.0.1:LANPORT, is a learning Ethernet bridge (IEEE
802.1D's forwarding, without spanning tree or ageing): it learns each
source MAC's port (the UDP address it came from), sends a frame for a
known unicast MAC to that port only, and floods broadcast, multicast and
unknown unicast to every other port it knows.  A frame never goes back
out of the port it came in on.

The service node 10.0.2.2 (MAC 52:55:0a:00:02:02) is plugged into one
port of the switch: it is a test/wire.py Wire, so it does what the raw
wire does -- answers ARP for 10.0.2.2 and 10.0.2.3, ICMP echo requests,
DNS from test/hosts (test/dnsd.py), UDP echo on --echo PORT -- and runs
the LAN's DHCP server (test/dhcpd.py: 10.0.2.15 upward, one address per
MAC for the life of the LAN, --lease S seconds).  It logs one line per
DHCP exchange; the switch logs one line per new MAC.

As a library (test/test_lan.py): Lan(port, echo_port).start() ... close();
leases(), inject(frame, guest) onto one guest's wire, record() of the
frames the switch saw, stats (the switch's counters; node.stats and
dhcp.stats for the service node's).

Never send QEMU an empty datagram: its dgram backend takes one for the
end of the connection and stops reading (test/wire.py says more); the
switch drops any it receives and inject() refuses them.
"""

import argparse
import collections
import signal
import sys
import threading
import time

from scapy.layers.l2 import Ether

import dhcpd
from wire import FrameThread, Wire, HOST_MAC, well_formed

GUESTS = 8                       # guest n is 1..GUESTS


def guest_mac(n):
    """Guest n's MAC, as the Makefile gives it to QEMU."""
    _check_guest(n)
    return "52:54:00:12:34:%02x" % n


def guest_addr(lanport, n):
    """Guest n's QEMU end of the LAN: the Makefile's local.port."""
    _check_guest(n)
    return ("127.0.0.1", lanport + n)


def _check_guest(n):
    if not 1 <= n <= GUESTS:
        raise ValueError("guest %r: guests are 1..%d" % (n, GUESTS))


def mac_of(raw):
    """(destination, source) MACs of a frame as aa:bb:... strings."""
    return (":".join("%02x" % b for b in raw[0:6]),
            ":".join("%02x" % b for b in raw[6:12]))


class Lan(FrameThread):
    """The switch on 127.0.0.1:port and the service node plugged into it.

    echo_port: the node's UDP echo port (or None); lease: DHCP lease in
    seconds; log: a function taking one line, or None.  stats counts what
    the switch did: rx (datagrams in), forwarded (to one port), flooded
    (frames sent to every other port), copies (datagrams out, injected
    ones included), learned (new MACs), empty and runt (dropped: no
    frame, or shorter than an Ethernet header), hairpin (dropped: for the
    port it came from), injected, send_errors."""

    def __init__(self, port, echo_port=None, lease=dhcpd.LEASE, log=None):
        self.port = port
        self.log = log
        self.stats = collections.Counter()
        self.dhcp = dhcpd.Server(lease=lease, log=self._say)
        self._lock = threading.Lock()    # guards _macs, _ports, _recording
        self._macs = {}                  # MAC -> UDP address of its port
        self._ports = []                 # every port's address, node first
        self._recording = None           # list of (address, frame) or None
        FrameThread.__init__(self, port)
        # The node: a raw-wire host whose "QEMU" is this switch.
        self.node = Wire(0, port, echo_port, log=self._say, dhcp=self.dhcp)
        self.node_addr = self.node.sock.getsockname()
        self._macs[HOST_MAC] = self.node_addr
        self._ports.append(self.node_addr)

    def start(self):
        self.node.start()
        return FrameThread.start(self)

    def close(self):
        FrameThread.close(self)
        self.node.close()

    def leases(self):
        """{MAC: dhcpd.Lease} of every MAC that asked for an address."""
        return self.dhcp.leases()

    def ping(self, guest, ip=None, timeout=5.0):
        """Ping guest n (at ip, by default the address the DHCP server
        gave it) from the service node; the round trip in seconds, or
        None if no reply came within timeout."""
        mac = guest_mac(guest)
        if ip is None:
            ip = self.leases()[mac].ip
        return self.node.ping(timeout, ip=ip, mac=mac)

    def macs(self):
        """{MAC: UDP address} of every MAC the switch has learnt."""
        with self._lock:
            return dict(self._macs)

    def inject(self, frame, guest):
        """Put frame (bytes) on the wire of one guest only, byte for byte:
        guest is its number n or its QEMU's UDP address."""
        if not frame:
            raise ValueError("an empty frame would stop QEMU's dgram backend")
        addr = guest_addr(self.port, guest) if isinstance(guest, int) \
            else guest
        self.stats["injected"] += 1
        self._send(frame, addr)

    def record(self, on):
        """Start (on=True) keeping (source address, frame) of every frame
        the switch receives from now on; stop (on=False) and return them."""
        with self._lock:
            frames, self._recording = self._recording, ([] if on else None)
        return frames

    # -- the switch --

    def _frame(self, raw, addr):
        """Switch one frame (FrameThread's thread calls this)."""
        st = self.stats
        st["rx"] += 1
        if not raw:
            st["empty"] += 1
            return
        if len(raw) < 14:
            st["runt"] += 1
            return
        dst, src = mac_of(raw)
        with self._lock:
            if self._recording is not None:
                self._recording.append((addr, raw))
            if not raw[6] & 1:           # a group address never is a source
                self._learn(src, addr)
            out = self._macs.get(dst) if not raw[0] & 1 else None
            ports = [out] if out else [p for p in self._ports if p != addr]
        if out == addr:
            st["hairpin"] += 1
            return
        st["forwarded" if out else "flooded"] += 1
        for p in ports:
            self._send(raw, p)

    def _learn(self, mac, addr):
        # Caller holds _lock.
        if self._macs.get(mac) == addr:
            return
        new = mac not in self._macs
        self._macs[mac] = addr
        if addr not in self._ports:
            self._ports.append(addr)
        if new:
            self.stats["learned"] += 1
            self._say("lan: new guest %s on port %d" % (mac, addr[1]))
        else:
            self._say("lan: %s moved to port %d" % (mac, addr[1]))

    def _send(self, frame, addr):
        try:
            self.sock.sendto(frame, addr)
            self.stats["copies"] += 1
        except OSError:
            self.stats["send_errors"] += 1

    def _say(self, line):
        if self.log:
            self.log(line)


def main():
    ap = argparse.ArgumentParser(
        description="Host side of `make qemu NET=lan` (see the docstring).")
    ap.add_argument("--port", type=int, required=True,
                    help="the switch's UDP port (LANPORT); guest n's QEMU "
                         "is on LANPORT+n")
    ap.add_argument("--echo", type=int, default=0, metavar="SERVERPORT",
                    help="echo UDP sent to 10.0.2.2:SERVERPORT")
    ap.add_argument("--lease", type=int, default=dhcpd.LEASE, metavar="S",
                    help="DHCP lease length in seconds (default %(default)s)")
    ap.add_argument("--verbose", action="store_true",
                    help="print a line for every frame the switch sees")
    args = ap.parse_args()

    def say(line):
        print(line, flush=True)
    lan = Lan(args.port, args.echo or None, args.lease, log=say)
    if args.verbose:
        inner = lan._frame

        def show(raw, addr):
            print("port %d: %d bytes: %s%s"
                  % (addr[1], len(raw), Ether(raw).summary() if raw else "",
                     "" if well_formed(raw) else " MALFORMED"), flush=True)
            inner(raw, addr)
        lan._frame = show
    lan.start()
    say("lan.py: switch on 127.0.0.1:%d (guest n: port %d+n, MAC %s), "
        "service node %s (%s), echo port %s, lease %d s; Ctrl-C stops"
        % (args.port, args.port, guest_mac(1)[:-2] + "0n", dhcpd.SERVER_IP,
           HOST_MAC, args.echo or "none", args.lease))
    # A background job ignores SIGINT: SIGTERM stops the LAN as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    lan.close()
    say("lan.py: switch %s; node %s" % (dict(lan.stats),
                                        dict(lan.node.stats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
