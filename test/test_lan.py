"""LAN tests: several guests on test/lan.py's switch (`NET=lan`).

The guest tests run in every NETMODE, each guest with CPUS=1, on a LAN of
their own (the `lan` fixture: a switch on free ports and the service node
10.0.2.2 with its DHCP server):

- lan-guests: three guests boot; the DHCP client of each gets a distinct
  address (the boot line of dhcpc, ifconfig and the server's leases
  agree); guests 1 and 2 ping each other both ways, echo UDP both ways
  (`udpecho serve` on one, `udpecho ping -a` and `nettests -a` on the
  other), and each one's ARP cache then holds the other's MAC; a
  broadcast from guest 1 reaches guests 2 and 3; guest 2 leaves and comes
  back and gets its address again; no guest sent a malformed frame or
  DHCP message, and every capture is clean.
- lan-renew: with an 8-second lease the guest renews at T1, unicast from
  its address as RFC 2131 says, and keeps its address.
- lan-rogue-renew: a second, rogue DHCP server (10.0.2.66) answers each
  renewal, before the real one, with an ACK of another address and
  router; the guest ignores it (RFC 2131 4.4.5: in RENEWING only the
  lease's server answers), reports each one with a running count, and
  keeps the real server's lease.
- lan-malformed: broken DHCP replies (every BOOTP and option field wrong
  in turn, cut short, unsolicited) and broken ARP replies are put on one
  guest's wire; its address and ARP cache do not change, it sends no DHCP
  message in answer, netstat counts each frame where it belongs, and
  dhcpc reports each malformed reply with a running count.

and, without a kernel:

- dhcpd: test/dhcpd.py's exchanges (RFC 2131), sticky leases, NAK,
  RELEASE, DECLINE, and the requests it must ignore; the raw wire's DHCP
  (always GUEST_IP); a rogue server ACKs whatever it is asked.
- lan-switch: test/lan.py's learning, forwarding and flooding with fake
  QEMUs, the service node's answers through the switch, and empty
  datagrams never forwarded.
"""

import re
import socket
import struct
import time

import pytest
from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.l2 import ARP, Ether
from scapy.packet import Raw

import dhcpd
import test_net
from hostnet import PCAP_BAD, pcap_frames
from lan import Lan, guest_addr, guest_mac
from qemu import BOOT_TIMEOUT, TaggedLog, TestFailure, free_udp_ports, free_udp_run
from wire import (Wire, BROADCAST, DNS_IP, GUEST_IP, HOST_IP, HOST_MAC,
                  PING_ID, ping_frame)

ECHO_PORT = 7777          # the service node echoes UDP to this port
SERVE_PORT = 7000         # guests' `udpecho serve` port
BCAST_PORT = 7100         # `udpecho bcast` / `udpecho listen`
NETTESTS = "ping manypings bigsmall batchecho"   # nettests -a: these tests
PING_COUNT = 3
LAN_GUESTS = 3            # most guests one test boots at a time
STRANGER_MAC = "52:54:00:66:66:66"   # the source of the broken ARP replies
BOGUS_MAC = "de:ad:be:ef:00:01"      # what they claim 10.0.2.2 is at
BOGUS_IP = "10.0.2.99"               # what the broken DHCP replies offer
NOT_OURS = 3              # broken_dhcp's last cases: well-formed, not ours
MALFORMED_LINE = (r"dhcpc: ignored a malformed reply from 10\.0\.2\.2: "
                  r"[^\r\n]*\((\d+) so far\)")
OPTIONS_OFF = 240         # a BOOTP message's options, after the cookie
RENEW_LEASE = 8           # seconds: lan-renew's lease (T1 4 s)
RENEWALS = 2              # lan-renew waits for this many renewals ...
RENEW_WAIT = 120          # ... for at most this long (a ceiling)
ROGUE_IP = "10.0.2.66"    # lan-rogue-renew's second server and router
ROGUE_MAC = "52:54:00:66:66:02"
ROGUE_ADDR = "10.0.2.200"            # the address it ACKs
ROGUE_LINE = (r"dhcpc: ignored an ACK from server 10\.0\.2\.66: not the "
              r"lease's server \((\d+) so far\)")

DHCPC_LINE = (r"dhcpc: (\d+\.\d+\.\d+\.\d+)/24 gateway 10\.0\.2\.2 dns "
              r"10\.0\.2\.3 from 10\.0\.2\.2 lease (\d+)s\r*\n")
IFCONFIG = re.compile(
    r"eth0: mac (?P<mac>\S+)\s+addr (?P<addr>\S+) netmask (?P<netmask>\S+) "
    r"gateway (?P<gateway>\S+) dns (?P<dns>\S+)\s+source (?P<source>\w+)"
    r"(?: from (?P<server>\S+))?(?: lease (?P<lease>\d+)s)?")
ARP_LINE = re.compile(r"^(\d+\.\d+\.\d+\.\d+) ([0-9a-f:]{17}) "
                      r"(pending|reachable|stale) (\d+)s$", re.M)


# ---- the LAN and its guests --------------------------------------------------

def free_lanport(guests=LAN_GUESTS):
    """A LANPORT whose switch port and guests' ports are all free."""
    return free_udp_run(guests + 1)


@pytest.fixture
def lan(guest):
    """A LAN of this test's own: a Lan on free ports, the node echoing
    ECHO_PORT, its lines in the test's log.  Closed after the test."""
    l = Lan(free_lanport(), ECHO_PORT,
            log=lambda line: guest.log.line("[lan] " + line)).start()
    yield l
    l.close()


def boot_lan(guest, lan, ns):
    """Boot guests ns (numbers 1..8) on lan at once, CPUS=1 each; wait for
    each one's dhcpc line and shell prompt.  Returns {n: Qemu}; each Qemu
    gets .dhcp_addr, the address its boot line says, which must come
    with the LAN's lease."""
    qs = {}
    for n in ns:
        q = guest.boot(cpus=1, wait=False, NET="lan", LANPORT=lan.port,
                       GUEST=n)
        q.proc.logfile_read = TaggedLog(guest.log, "g%d" % n)
        qs[n] = q
    for n, q in qs.items():
        m = q.expect(DHCPC_LINE, BOOT_TIMEOUT)
        q.dhcp_addr = m.group(1)
        if int(m.group(2)) != lan.dhcp.lease:
            raise TestFailure("guest %d: %s" % (n, m.group(0).strip()))
        q.wait_boot()
    return qs


def ifconfig(q):
    """`ifconfig` parsed: {mac, addr, netmask, gateway, dns, source,
    server, lease}."""
    out = q.run("ifconfig")
    m = IFCONFIG.search(out)
    if not m:
        raise TestFailure("ifconfig printed %r" % out)
    return m.groupdict()


def arp_table(q):
    """`arp` parsed: {ip: (mac, state)}."""
    return {ip: (mac, state)
            for ip, mac, state, _ in ARP_LINE.findall(q.run("arp"))}


def ping(q, addr, count=PING_COUNT):
    """`ping addr -c count`: every echo request must be answered."""
    out = q.run("ping %s -c %d" % (addr, count), timeout=30 + 2 * count)
    m = re.search(r"ping: %s: (\d+) sent, (\d+) received"
                  % re.escape(addr), out)
    if not m or m.groups() != (str(count), str(count)):
        raise TestFailure("ping %s: %r" % (addr, out[-300:]))
    replies = re.findall(r"ping: reply from %s seq=(\d+) time="
                         % re.escape(addr), out)
    if len(replies) != count:
        raise TestFailure("ping %s: %d reply lines for %d replies"
                          % (addr, len(replies), count))


def serve(q, port=SERVE_PORT):
    """Start `udpecho serve port 0` in the background; return once its
    socket exists."""
    q.sendline("udpecho serve %d 0 &" % port)
    q.expect_bg("udpecho: ready\n")
    q.run("echo synced")


def check_guest(lan, q, n, info):
    """ifconfig's info of guest n agrees with its boot line and the
    server's lease."""
    mac = guest_mac(n)
    lease = lan.leases().get(mac)
    want = {"mac": mac, "addr": q.dhcp_addr, "netmask": "255.255.255.0",
            "gateway": HOST_IP, "dns": DNS_IP, "source": "dhcp",
            "server": HOST_IP, "lease": str(lan.dhcp.lease)}
    if info != want:
        raise TestFailure("guest %d: ifconfig says %r, expected %r"
                          % (n, info, want))
    if lease is None or lease.ip != info["addr"] or lease.state != "bound":
        raise TestFailure("guest %d has %s, the server's lease says %r"
                          % (n, info["addr"], lease))


# ---- lan-guests ---------------------------------------------------------------

@pytest.mark.netmodes()
def test_lan_guests(guest, lan):
    """Three guests: distinct DHCP addresses, ping, UDP and ARP between
    two of them both ways, a broadcast seen by the others, and a guest
    that leaves and comes back gets its address again."""
    qs = boot_lan(guest, lan, range(1, LAN_GUESTS + 1))
    info = {n: ifconfig(q) for n, q in qs.items()}
    for n, q in qs.items():
        check_guest(lan, q, n, info[n])
    addrs = [info[n]["addr"] for n in qs]
    if len(set(addrs)) != len(addrs):
        raise TestFailure("the guests share addresses: %r" % addrs)
    g1, g2, g3 = qs[1], qs[2], qs[3]
    a1, a2, a3 = (info[n]["addr"] for n in (1, 2, 3))

    ping(g1, a2)
    ping(g2, a1)
    for server, client in ((2, 1), (1, 2)):
        serve(qs[server])
        addr = info[server]["addr"]
        out = qs[client].run("udpecho ping -a %s %d 3" % (addr, SERVE_PORT),
                             timeout=60)
        if "udpecho: ping 3 of 3 echoed" not in out:
            raise TestFailure("udpecho ping -a %s: %r" % (addr, out))
    out = g2.run("nettests -a %s %d %s" % (a1, SERVE_PORT, NETTESTS),
                 timeout=300)
    if "ALL TESTS PASSED" not in out:
        raise TestFailure("nettests -a %s: %s" % (a1, out[-500:]))
    for q, peer, n in ((g1, a2, 2), (g2, a1, 1)):
        table = arp_table(q)
        if table.get(peer, (None,))[0] != guest_mac(n):
            raise TestFailure("no ARP entry %s %s: %r"
                              % (peer, guest_mac(n), table))

    for q in (g2, g3):
        q.sendline("udpecho listen %d 1" % BCAST_PORT)
        q.expect(r"udpecho: ready\r*\n")
    out = g1.run("udpecho bcast %d hello from guest 1" % BCAST_PORT)
    if "udpecho: bcast" not in out or "FAILED" in out:
        raise TestFailure("udpecho bcast: %r" % out)
    for q in (g2, g3):
        q.expect(r'udpecho: from %s:%d "hello from guest 1"\r*\n'
                 % (re.escape(a1), BCAST_PORT))
        q.expect(r"\$ ")

    # Guest 2 leaves and comes back, on a fresh disk.
    guest.check_pcap(g2)
    g2 = boot_lan(guest, lan, [2])[2]
    back = ifconfig(g2)
    check_guest(lan, g2, 2, back)
    if back["addr"] != a2:
        raise TestFailure("guest 2 had %s, came back with %s"
                          % (a2, back["addr"]))
    if lan.leases()[guest_mac(2)].acks != 2:
        raise TestFailure("guest 2's lease: %r" % lan.leases()[guest_mac(2)])
    ping(g1, a2)
    ping(g2, a3)

    problems = []
    if lan.node.stats["bad"]:
        problems.append("the guests sent %d malformed frame(s), first %s"
                        % (lan.node.stats["bad"], lan.node.bad[0].hex()))
    if lan.dhcp.stats["dhcp_ignored"] or lan.dhcp.stats["nak"]:
        problems.append("DHCP: %r" % dict(lan.dhcp.stats))
    if problems:
        raise TestFailure("; ".join(problems))
    for q in (g1, g2, g3):
        guest.check_pcap(q)
    guest.note("addresses %s; switch %r; DHCP %r"
               % (", ".join(addrs), dict(lan.stats), dict(lan.dhcp.stats)))


# ---- lan-renew ----------------------------------------------------------------

def client_msgs(frames, addr):
    """The DHCP messages the guest at UDP address addr sent, among the
    switch's record: [(frame as scapy decoded it, {option: value})]."""
    out = []
    for src, raw in frames:
        pkt = Ether(raw)
        if src == addr and UDP in pkt and pkt[UDP].dport == dhcpd.SERVER_PORT:
            out.append((pkt, dhcpd.options(pkt[BOOTP])))
    return out


@pytest.mark.netmodes()
def test_lan_renew(guest, lan):
    """With a short lease the guest renews at T1 (RFC 2131 4.4.5): REQUESTs
    unicast from its address to the server, with ciaddr and neither a
    server id nor a requested address (4.3.2, RENEWING); each is ACKed,
    the address stays and ifconfig shows the server's lease."""
    lan.dhcp.lease = RENEW_LEASE
    lan.record(True)
    q = boot_lan(guest, lan, [1])[1]
    mac = guest_mac(1)
    deadline = time.monotonic() + RENEW_WAIT
    while lan.leases()[mac].acks < 1 + RENEWALS:
        if time.monotonic() > deadline:
            raise TestFailure("no %d renewals within %d s: %r"
                              % (RENEWALS, RENEW_WAIT, lan.leases()[mac]))
        time.sleep(0.5)
    msgs = client_msgs(lan.record(False), guest_addr(lan.port, 1))
    addr = q.dhcp_addr
    renewals = [(p, o) for p, o in msgs if p[BOOTP].ciaddr != "0.0.0.0"]
    if len(renewals) < RENEWALS:
        raise TestFailure("%d renewals among %s"
                          % (len(renewals), [p.summary() for p, _ in msgs]))
    for p, o in renewals:
        got = (p.dst, p[IP].src, p[IP].dst, p[BOOTP].ciaddr,
               o.get("message-type"), "server_id" in o, "requested_addr" in o)
        want = (HOST_MAC, addr, HOST_IP, addr, dhcpd.REQUEST, False, False)
        if got != want:
            raise TestFailure("a renewal: %r, expected %r" % (got, want))
    check_guest(lan, q, 1, ifconfig(q))
    ping(q, HOST_IP, 1)


class RenewalsToo:
    """The node's DHCP server with a rogue beside it: each renewal
    (a REQUEST with ciaddr) is answered by the rogue first, then by the
    real server; everything else by the real server alone."""

    def __init__(self, real, rogue):
        self.real, self.rogue = real, rogue

    def answer(self, pkt):
        pkt = pkt if isinstance(pkt, Ether) else Ether(bytes(pkt))
        first = []
        if BOOTP in pkt and pkt[BOOTP].ciaddr != "0.0.0.0":
            first = self.rogue.answer(pkt)
        return first + self.real.answer(pkt)


@pytest.mark.netmodes()
def test_lan_rogue_renew(guest, lan):
    """A rogue server's ACK to a renewal (another address and router,
    sent before the real server's) is ignored and reported; the guest
    keeps the lease of the server that gave it."""
    lan.dhcp.lease = RENEW_LEASE
    rogue = dhcpd.Server(lease=RENEW_LEASE, server_ip=ROGUE_IP,
                         server_mac=ROGUE_MAC, pool=(ROGUE_ADDR, ROGUE_ADDR),
                         router=ROGUE_IP, rogue=True,
                         log=lambda line: guest.log.line("[rogue] " + line))
    lan.node.dhcp = RenewalsToo(lan.dhcp, rogue)
    q = boot_lan(guest, lan, [1])[1]
    for n in range(1, RENEWALS + 1):
        line = q.expect(r"dhcpc: [^\r\n]*\r*\n", RENEW_WAIT).group(0).strip()
        m = re.match(ROGUE_LINE, line)
        if not m or int(m.group(1)) != n:
            raise TestFailure("renewal %d: dhcpc printed %r, expected the "
                              "rogue's ACK ignored (%d so far)"
                              % (n, line, n))
    mac = guest_mac(1)
    deadline = time.monotonic() + RENEW_WAIT
    while lan.leases()[mac].acks < 1 + RENEWALS:
        if time.monotonic() > deadline:
            raise TestFailure("the real server ACKed no %d renewals within "
                              "%d s: %r" % (RENEWALS, RENEW_WAIT,
                                            lan.leases()[mac]))
        time.sleep(0.5)
    if rogue.stats["ack"] < RENEWALS:
        raise TestFailure("the rogue ACKed %d renewals" % rogue.stats["ack"])
    check_guest(lan, q, 1, ifconfig(q))
    ping(q, HOST_IP, 1)
    guest.note("rogue %r; real %r" % (dict(rogue.stats),
                                      dict(lan.dhcp.stats)))


# ---- lan-malformed ------------------------------------------------------------

def dhcp_reply(mac, xid=0x5eed, opts=None, mtype=dhcpd.OFFER, cut=None,
               mangle=None, **bootp):
    """A DHCP reply frame from the service node to guest mac, broadcast
    as dhcpd sends them, offering BOGUS_IP.  opts replaces the options;
    bootp overrides BOOTP fields; mangle(payload) -> payload changes the
    BOOTP message's bytes and cut shortens it, with UDP length and
    checksum made right for what is left."""
    if opts is None:
        opts = [("message-type", mtype), ("server_id", HOST_IP),
                ("lease_time", 60), ("subnet_mask", "255.255.255.0"),
                ("router", HOST_IP), ("name_server", DNS_IP), "end"]
    fields = dict(op=2, xid=xid, yiaddr=BOGUS_IP, siaddr=HOST_IP,
                  chaddr=bytes.fromhex(mac.replace(":", "")))
    fields.update(bootp)
    payload = bytes(BOOTP(**fields) / DHCP(options=opts))
    if mangle:
        payload = mangle(payload)
    if cut:
        payload = payload[:cut]
    return bytes(Ether(dst=BROADCAST, src=HOST_MAC)
                 / IP(src=HOST_IP, dst="255.255.255.255", id=0)
                 / UDP(sport=dhcpd.SERVER_PORT, dport=dhcpd.CLIENT_PORT)
                 / Raw(payload))


def set_option(payload, code, body):
    """payload with the first option `code` replaced by one with body
    (any length byte)."""
    off = OPTIONS_OFF
    while payload[off] != code:
        off += 2 + payload[off + 1]
    end = off + 2 + payload[off + 1]
    return payload[:off] + bytes([code]) + body + payload[end:]


def broken_dhcp(mac):
    """[(case, frame)]: DHCP replies to guest mac that a client must
    ignore, every one a well-formed UDP datagram to port 68.  All but the
    last NOT_OURS are malformed (dhcpc reports each); those parse, but
    answer nothing the guest asked."""
    p = dhcp_reply
    return [
        ("op BOOTREQUEST", p(mac, op=1)),
        ("htype 6", p(mac, htype=6)),
        ("hlen 8", p(mac, hlen=8)),
        ("cut to 100 bytes", p(mac, cut=100)),
        ("cut inside the cookie", p(mac, cut=238)),
        ("no magic cookie", p(mac, mangle=lambda b: b[:236] + bytes(4)
                              + b[240:])),
        ("option runs past the end",
         p(mac, mangle=lambda b: b[:-1] + b"\x06\x40\x0a")),
        ("no end, cut in an option", p(mac, mangle=lambda b: b[:-4])),
        ("no message type", p(mac, opts=[("server_id", HOST_IP),
                                         ("subnet_mask", "255.255.255.0"),
                                         "end"])),
        ("message type of length 2",
         p(mac, mangle=lambda b: set_option(b, 53, b"\x02\x02\x00"))),
        ("message type 0", p(mac, mtype=0)),
        ("subnet mask of length 3",
         p(mac, mangle=lambda b: set_option(b, 1, b"\x03\xff\xff\xff"))),
        ("lease of length 2",
         p(mac, mangle=lambda b: set_option(b, 51, b"\x02\x00\x3c"))),
        ("for another MAC", p(STRANGER_MAC)),
        ("unsolicited ACK", p(mac, mtype=dhcpd.ACK)),
        ("unsolicited NAK", p(mac, mtype=dhcpd.NAK)),
    ]


def broken_udp(mac):
    """[(case, frame, netstat counter)]: DHCP replies broken below DHCP."""
    good = dhcp_reply(mac)
    f = Ether(good)
    f[UDP].chksum ^= 1
    bad_ck = bytes(f)
    f = Ether(good)
    f[UDP].len += 4
    f[UDP].chksum = None
    long_len = bytes(Ether(bytes(f)))
    return [("UDP checksum ^ 1", bad_ck, "drop_udp_cksum"),
            ("UDP length past the end", long_len, "drop_udp_len")]


def arp_reply(mac, ip, htype=1, ptype=0x0800, hlen=6, plen=4, op=2,
              cut=None):
    """An ARP reply to guest (mac, ip) claiming 10.0.2.2 is at BOGUS_MAC,
    from STRANGER_MAC; the size fields can be wrong (the Ethernet/IPv4
    layout stays)."""
    f = bytearray(bytes(Ether(dst=mac, src=STRANGER_MAC)
                        / ARP(op=op, hwsrc=BOGUS_MAC, psrc=HOST_IP,
                              hwdst=mac, pdst=ip)))
    f[14:20] = struct.pack("!HHBB", htype, ptype, hlen, plen)
    return bytes(f[:cut] if cut else f)


def broken_arp(mac, ip):
    """[(case, frame)]: ARP replies a stack must drop (netstat drop_arp)."""
    # Nothing here is a well-formed ARP packet of another opcode or for
    # another address: RFC 826 has a receiver update a known sender's
    # entry from those.
    return [("htype 6", arp_reply(mac, ip, htype=6)),
            ("ptype IPv6", arp_reply(mac, ip, ptype=0x86DD)),
            ("hlen 8", arp_reply(mac, ip, hlen=8)),
            ("plen 6", arp_reply(mac, ip, plen=6)),
            ("hlen 0", arp_reply(mac, ip, hlen=0)),
            ("cut to 30 bytes", arp_reply(mac, ip, cut=30))]


@pytest.mark.netmodes()
def test_lan_malformed(guest, lan):
    """Broken DHCP and ARP replies from the LAN change neither the guest's
    address nor its ARP cache, draw no DHCP message, and are each counted
    (netstat, and dhcpc's report of each malformed reply)."""
    q = boot_lan(guest, lan, [1])[1]
    mac = guest_mac(1)
    ping(q, HOST_IP, 1)
    before_if = ifconfig(q)
    check_guest(lan, q, 1, before_if)
    before_arp = arp_table(q)
    if before_arp.get(HOST_IP, (None,))[0] != HOST_MAC:
        raise TestFailure("no ARP entry for 10.0.2.2: %r" % before_arp)
    before = test_net.check_netstat(guest, q)

    dhcp = broken_dhcp(mac)
    udp = broken_udp(mac)
    arp = broken_arp(mac, before_if["addr"])
    lan.record(True)
    for case, f in dhcp + [(c, f) for c, f, _ in udp] + arp:
        lan.inject(f, 1)
    # dhcpc reports every malformed reply with its running count (the
    # boot had none), while the shell waits at its prompt.
    malformed = len(dhcp) - NOT_OURS
    for i in range(malformed):
        seen = int(q.expect(MALFORMED_LINE, timeout=30).group(1))
    if seen != malformed:
        raise TestFailure("dhcpc reported %d malformed replies, %d were sent"
                          % (seen, malformed))
    # The node's reply to this ping follows the injected frames through
    # one FIFO (the switch's socket to QEMU's), so they have all been
    # handled when it arrives.
    ping(q, HOST_IP, 1)
    time.sleep(1)                 # a DHCP client's answer would be out now
    frames = lan.record(False)
    after = test_net.check_netstat(guest, q)
    after_if = ifconfig(q)
    after_arp = arp_table(q)

    problems = []
    d = {k: after[k] - before[k] for k in after}
    want = {"drop_arp": len(arp), "drop_udp_cksum": 1, "drop_udp_len": 1}
    for k, n in want.items():
        if d[k] != n:
            problems.append("%s %+d (expected %+d)" % (k, d[k], n))
    # dhcpc's socket on port 68 takes (or, if full, drops) each of them.
    if d["udp_rx"] + d["drop_udp_qfull"] != len(dhcp):
        problems.append("udp_rx %+d, drop_udp_qfull %+d for %d DHCP replies"
                        % (d["udp_rx"], d["drop_udp_qfull"], len(dhcp)))
    for k in ("addr", "netmask", "gateway", "dns", "source", "server",
              "lease"):
        if after_if[k] != before_if[k]:
            problems.append("ifconfig %s %s -> %s" % (k, before_if[k],
                                                      after_if[k]))
    if after_arp.get(HOST_IP, (None,))[0] != HOST_MAC or any(
            m == BOGUS_MAC for m, _ in after_arp.values()):
        problems.append("ARP cache %r -> %r" % (before_arp, after_arp))
    answers = client_msgs(frames, guest_addr(lan.port, 1))
    if answers:
        problems.append("the guest answered with DHCP: %r"
                        % [p.summary() for p, _ in answers])
    if problems:
        raise TestFailure("; ".join(problems))
    guest.note("%d broken DHCP replies, %d broken below DHCP, %d broken ARP "
               "replies: nothing changed; %s"
               % (len(dhcp), len(udp), len(arp),
                  ", ".join("%s %+d" % (k, d[k]) for k in
                            ("udp_rx", "drop_udp_qfull", "drop_udp_cksum",
                             "drop_udp_len", "drop_arp"))))
    # The capture holds the broken frames too: check what the guest sent.
    q.quit()
    bad = pcap_frames(q.makevars["PCAPFILE"],
                      "eth.src == %s && (%s)" % (mac, PCAP_BAD))
    if bad:
        raise TestFailure("the guest sent %d bad frame(s), first: %s"
                          % (len(bad), bad[0]))


# ---- dhcpd (no kernel) ----------------------------------------------------------

M1, M2, M3 = guest_mac(1), guest_mac(2), guest_mac(3)


def ask(srv, mac, mtype, **kw):
    """The one reply of srv to a client message: (type, yiaddr, options,
    frame), or None if there was none."""
    replies = srv.answer(dhcpd.client_frame(mac, mtype, **kw))
    if not replies:
        return None
    assert len(replies) == 1
    return dhcpd.reply_info(replies[0]) + (replies[0],)


def lease_of(srv, mac):
    return srv.leases().get(mac)


def test_dhcpd_exchange():
    """DISCOVER, OFFER, REQUEST, ACK, renewal, RELEASE and rediscovery,
    with the reply's addressing and every option."""
    srv = dhcpd.Server(lease=600)
    t, yiaddr, opts, frame = ask(srv, M1, dhcpd.DISCOVER, xid=77)
    assert (t, yiaddr) == (dhcpd.OFFER, "10.0.2.15")
    assert opts == {"message-type": dhcpd.OFFER, "server_id": HOST_IP,
                    "lease_time": 600, "renewal_time": 300,
                    "rebinding_time": 525, "subnet_mask": "255.255.255.0",
                    "router": HOST_IP, "name_server": DNS_IP}
    pkt = Ether(frame)
    assert (pkt.dst, pkt.src, pkt[IP].src, pkt[IP].dst) == (
        BROADCAST, HOST_MAC, HOST_IP, "255.255.255.255")
    assert (pkt[UDP].sport, pkt[UDP].dport) == (67, 68)
    assert pkt[BOOTP].xid == 77 and pkt[BOOTP].op == 2
    assert bytes(pkt[BOOTP].chaddr)[:6] == bytes.fromhex("525400123401")
    assert len(pkt[UDP].payload) >= dhcpd.MIN_BOOTP
    assert lease_of(srv, M1).state == "offered"

    t, yiaddr, opts, _ = ask(srv, M1, dhcpd.REQUEST, requested_addr=yiaddr,
                             server_id=HOST_IP)
    assert (t, yiaddr, opts["lease_time"]) == (dhcpd.ACK, "10.0.2.15", 600)
    assert lease_of(srv, M1).state == "bound"
    # Another client, another address; the first one renews (unicast,
    # ciaddr), rebinds and reboots (init-reboot): the same address each time.
    assert ask(srv, M2, dhcpd.DISCOVER)[1] == "10.0.2.16"
    for kw in ({"ciaddr": "10.0.2.15"}, {"requested_addr": "10.0.2.15"}):
        assert ask(srv, M1, dhcpd.REQUEST, **kw)[:2] == (dhcpd.ACK,
                                                         "10.0.2.15")
    assert lease_of(srv, M1).acks == 3
    ask(srv, M1, dhcpd.RELEASE, ciaddr="10.0.2.15", server_id=HOST_IP)
    assert lease_of(srv, M1).state == "released"
    # Sticky: released, it is offered to nobody else, and again to M1.
    assert ask(srv, M3, dhcpd.DISCOVER)[1] == "10.0.2.17"
    assert ask(srv, M1, dhcpd.DISCOVER, xid=78)[1] == "10.0.2.15"
    assert ask(srv, M1, dhcpd.REQUEST, requested_addr="10.0.2.15",
               server_id=HOST_IP)[:2] == (dhcpd.ACK, "10.0.2.15")
    assert srv.stats["dhcp_ignored"] == 0


def test_dhcpd_rogue():
    """A rogue server ACKs every REQUEST, whatever it names, with its own
    address for the client, server id and router."""
    srv = dhcpd.Server(server_ip=ROGUE_IP, server_mac=ROGUE_MAC,
                       pool=(ROGUE_ADDR, ROGUE_ADDR), router=ROGUE_IP,
                       rogue=True)
    for kw in ({"ciaddr": "10.0.2.15"},
               {"requested_addr": "10.0.2.15", "server_id": HOST_IP}):
        t, yiaddr, opts, frame = ask(srv, M1, dhcpd.REQUEST, **kw)
        assert (t, yiaddr, opts["server_id"], opts["router"]) == (
            dhcpd.ACK, ROGUE_ADDR, ROGUE_IP, ROGUE_IP)
        assert Ether(frame).src == ROGUE_MAC
    assert lease_of(srv, M1).acks == 2


def test_dhcpd_refusals():
    """NAK for an address that is not the client's; silence for another
    server's client, an unknown client's reboot and anything malformed;
    a DECLINEd address is never offered again; the wire's server gives
    GUEST_IP to everyone."""
    srv = dhcpd.Server()
    ask(srv, M1, dhcpd.DISCOVER)
    t, yiaddr, opts, _ = ask(srv, M1, dhcpd.REQUEST, requested_addr="10.0.2.16",
                             server_id=HOST_IP)
    assert (t, yiaddr, opts["server_id"]) == (dhcpd.NAK, "0.0.0.0", HOST_IP)
    assert "lease_time" not in opts and "router" not in opts
    assert ask(srv, M1, dhcpd.REQUEST, ciaddr="10.0.2.77")[0] == dhcpd.NAK
    assert ask(srv, M1, dhcpd.REQUEST, requested_addr="10.0.2.15",
               server_id="10.0.2.9") is None
    assert ask(srv, M2, dhcpd.REQUEST, requested_addr="10.0.2.16") is None

    ask(srv, M2, dhcpd.DISCOVER)
    ask(srv, M2, dhcpd.DECLINE, requested_addr="10.0.2.16",
        server_id=HOST_IP)
    assert M2 not in srv.leases()
    assert ask(srv, M3, dhcpd.DISCOVER)[1] == "10.0.2.17"
    assert ask(srv, M2, dhcpd.DISCOVER)[1] == "10.0.2.18"

    good = dhcpd.client_frame(M3, dhcpd.DISCOVER)
    ignored = srv.stats["dhcp_ignored"]
    for frame in (dhcpd.client_frame(M3, dhcpd.OFFER),
                  dhcpd.client_frame(M3, 0),
                  good[:42 + 100],
                  good[:42 + 236] + bytes(4) + good[42 + 240:],
                  bytes(Ether(good[:42] + b"\x02" + good[43:])),
                  bytes(Ether(dst=BROADCAST, src=M3) / IP(dst="255.255.255.255")
                        / UDP(sport=68, dport=67)
                        / BOOTP(op=1, chaddr=bytes.fromhex("525400123403")))):
        assert srv.answer(frame) == []
    assert srv.stats["dhcp_ignored"] == ignored + 6

    wire = dhcpd.Server(fixed=GUEST_IP)
    for mac in (M1, M2, "52:54:00:12:34:56"):
        assert ask(wire, mac, dhcpd.DISCOVER)[1] == GUEST_IP


def test_wire_dhcp():
    """The raw wire answers DHCP as slirp does: 10.0.2.15, lease 86400 s,
    from 10.0.2.2, broadcast; a renewal is ACKed too."""
    qsock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    qsock.bind(("127.0.0.1", 0))
    qsock.settimeout(5)
    wport = free_udp_ports(1)[0]
    w = Wire(wport, qsock.getsockname()[1]).start()
    try:
        mac = "52:54:00:12:34:56"
        replies = []
        for mtype, kw in ((dhcpd.DISCOVER, {}),
                          (dhcpd.REQUEST, {"requested_addr": GUEST_IP,
                                           "server_id": HOST_IP}),
                          (dhcpd.REQUEST, {"ciaddr": GUEST_IP})):
            qsock.sendto(dhcpd.client_frame(mac, mtype, **kw),
                         ("127.0.0.1", wport))
            replies.append(dhcpd.reply_info(qsock.recv(2048)))
        assert [(t, a, o["lease_time"]) for t, a, o in replies] == [
            (dhcpd.OFFER, GUEST_IP, 86400), (dhcpd.ACK, GUEST_IP, 86400),
            (dhcpd.ACK, GUEST_IP, 86400)]
        assert w.stats["dhcp"] == 3 and w.dhcp.stats["ack"] == 2
    finally:
        w.close()
        qsock.close()


# ---- lan-switch (no kernel) -------------------------------------------------------

class FakeQemu:
    """A UDP socket where guest n's QEMU would be, sending frames from
    MAC guest_mac(n)."""

    def __init__(self, lan, n):
        self.lan, self.mac = lan, guest_mac(n)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(guest_addr(lan.port, n))

    def send(self, frame):
        self.sock.sendto(frame, ("127.0.0.1", self.lan.port))

    def frames(self, wait=0.5):
        """Every frame that arrives within wait seconds of the last one."""
        out = []
        self.sock.settimeout(wait)
        try:
            while True:
                out.append(self.sock.recv(65536))
        except socket.timeout:
            return out

    def close(self):
        self.sock.close()


def test_lan_switch():
    """Learning, forwarding and flooding; the service node's ARP, ping,
    echo and DHCP answers through the switch; empty datagrams and runts
    never forwarded; inject() reaches one guest only."""
    lines = []
    lan = Lan(free_lanport(), ECHO_PORT, log=lines.append).start()
    fakes = {}
    try:
        fakes = {n: FakeQemu(lan, n) for n in (1, 2, 3)}
        f1, f2, f3 = fakes[1], fakes[2], fakes[3]
        # A broadcast DISCOVER: flooded to 2 and 3, answered by the node
        # with a broadcast OFFER that reaches all three.
        f1.send(dhcpd.client_frame(f1.mac, dhcpd.DISCOVER))
        got1 = f1.frames()
        assert [dhcpd.reply_info(f)[:2] for f in got1] == [
            (dhcpd.OFFER, "10.0.2.15")]
        got2, got3 = f2.frames(0.2), f3.frames(0.2)
        assert len(got2) == 0 and len(got3) == 0   # 2, 3 not learnt yet
        for f in (f2, f3):
            f.send(bytes(Ether(dst=BROADCAST, src=f.mac)
                         / ARP(op=1, hwsrc=f.mac, psrc="10.0.2.%d"
                               % (20 + int(f.mac[-1])), pdst=HOST_IP)))
        # 3's request reached 1 and 2; 2's reached 1 (3 was not known yet);
        # the node answered each asker only.
        arp1 = [Ether(f)[ARP] for f in f1.frames()]
        assert sorted(a.psrc for a in arp1) == ["10.0.2.22", "10.0.2.23"]
        for f, other in ((f2, "10.0.2.23"), (f3, None)):
            kinds = sorted((a.op, a.psrc) for a in
                           (Ether(x)[ARP] for x in f.frames()))
            want = [(1, other)] if other else []
            assert kinds == sorted(want + [(2, HOST_IP)])
        assert lan.macs()[f3.mac] == guest_addr(lan.port, 3)
        assert "lan: new guest %s on port %d" % (f3.mac, lan.port + 3) in lines

        # Known unicast goes to one port only; unknown unicast is flooded.
        f1.send(bytes(Ether(dst=f2.mac, src=f1.mac) / IP(src="10.0.2.15",
                dst="10.0.2.22") / UDP(sport=1, dport=2) / Raw(b"to 2")))
        assert len(f2.frames()) == 1 and f3.frames(0.2) == []
        f1.send(bytes(Ether(dst="52:54:00:12:34:07", src=f1.mac) / Raw(b"?")))
        assert len(f2.frames()) == 1 and len(f3.frames()) == 1
        # The node: ping and UDP echo, through the switch to the asker only.
        f2.send(ping_frame(PING_ID, 1, b"lan", src="10.0.2.22",
                           dst=HOST_IP, smac=f2.mac, dmac=HOST_MAC))
        (pong,) = f2.frames()
        assert Ether(pong)[ICMP].type == 0 and Ether(pong)[Raw].load == b"lan"
        f2.send(bytes(Ether(dst=HOST_MAC, src=f2.mac) / IP(src="10.0.2.22",
                dst=HOST_IP) / UDP(sport=5, dport=ECHO_PORT) / Raw(b"echo")))
        (echo,) = f2.frames()
        assert Ether(echo)[Raw].load == b"echo"
        assert f1.frames(0.2) == [] and f3.frames(0.2) == []

        # No frame: nothing goes anywhere.  inject(): one guest only.
        rx = lan.stats["rx"]
        f1.send(b"")
        f1.send(b"\x01" * 13)
        lan.record(True)
        lan.inject(b"\x02" * 20, 3)
        with pytest.raises(ValueError):
            lan.inject(b"", 3)
        assert f3.frames() == [b"\x02" * 20]
        assert f2.frames(0.2) == [] and f1.frames(0.2) == []
        assert lan.stats["rx"] == rx + 2
        assert (lan.stats["empty"], lan.stats["runt"]) == (1, 1)
        f3.send(bytes(Ether(dst=f1.mac, src=f3.mac) / Raw(b"x" * 50)))
        assert len(f1.frames()) == 1
        rec = lan.record(False)
        assert [a for a, _ in rec] == [guest_addr(lan.port, 3)]
        assert lan.node.stats["bad"] == 0
        assert sum(1 for l in lines if l.startswith("dhcpd: ")) == 1
    finally:
        for f in fakes.values():
            f.close()
        lan.close()
