"""Socket-layer limits that need a raw wire (test/wire.py), in every NETMODE.
The in-guest halves are nettests' WIRE tests (user/nettests.c), which run
only when named; nettests' bindlimit, timedwake and ceilone run in every
plain `nettests` (test_net.py).

- sock-trunc: the wire sends datagrams of 1474 bytes (over the 1472 an
  MTU of 1500 gives, as a peer on the wire may) and 1480 (the longest a
  1522-byte frame, the most QEMU's E1000 passes, carries); `nettests
  truncrecv` reads them whole when its buffer has room, and cut to its
  buffer otherwise: recvmsgs() flags the cut (UDPMSG_TRUNC), netstat
  rx_trunc counts every cut read, recvmsgs() included.
- sock-ceiling: while `nettests ceilsink` runs the RX ceiling (the driver
  counts and frees frames instead of handing them up), the wire sends
  datagrams to a port nobody reads, ARP requests and a datagram to the
  DHCP client's port: the guest answers every ARP request, the DHCP-port
  datagram reaches the stack, and the ceiling counts exactly the others.
"""

import time

import pytest
from scapy.layers.l2 import ARP, Ether

import dhcpd
from qemu import PROMPT, TestFailure
from test_wire import check_alive, deltas, netstat, wire  # noqa: F401 (fixture)
from wire import udp_frame, GUEST_IP, GUEST_MAC, HOST_IP, HOST_MAC, BROADCAST

TR_PORT, TR_BPORT = 3950, 3951        # user/nettests.c truncrecv
# What the wire sends, in order: (guest port, payload bytes).
TR_SENDS = ((TR_PORT, 1474), (TR_PORT, 1474), (TR_PORT, 1480), (TR_PORT, 1474),
            (TR_BPORT, 1474), (TR_BPORT, 1474))
CEIL_JUNK = 40            # datagrams the ceiling must count and free
CEIL_GAP = 0.05           # seconds between them (the ceiling ends after 0.3 s idle)
CEIL_ARP_EVERY = 10       # an ARP request after every this many
SINK_PORT = 9999          # a guest port nobody reads
DONE = r"(ALL TESTS PASSED|SOME TESTS FAILED)\r*\n"


def pattern(n):
    """n bytes, byte i being i % 251 (nettests' pattern_ok)."""
    return bytes(i % 251 for i in range(n))


@pytest.mark.netmodes()
@pytest.mark.qemu(PCAP="off")
def test_sock_trunc(guest, wire):
    """Datagrams over 1472 bytes arrive whole; cut reads are flagged and counted."""
    w, q = wire
    check_alive(q, w, "boot")
    q.sendline("nettests 1 truncrecv")
    q.expect(r"truncrecv: ready\r*\n")
    for port, size in TR_SENDS:
        w.send(udp_frame(5000, port, pattern(size)))
    m = q.expect(DONE, timeout=60)
    q.expect(PROMPT)
    if m.group(1) != "ALL TESTS PASSED":
        raise TestFailure("nettests truncrecv failed (see the console)")
    netstat(guest, q)                     # the accounting still adds up


def arp_request():
    """The host asks, by broadcast, who has the guest's address."""
    return bytes(Ether(dst=BROADCAST, src=HOST_MAC)
                 / ARP(op=1, hwsrc=HOST_MAC, psrc=HOST_IP, pdst=GUEST_IP))


@pytest.mark.netmodes()
@pytest.mark.qemu(PCAP="off")
def test_sock_ceiling(guest, wire):
    """During the RX ceiling the guest still answers ARP and takes DHCP
    replies; the ceiling counts exactly the other frames."""
    w, q = wire
    check_alive(q, w, "boot")
    before = netstat(guest, q)
    answered = w.stats["arp_other"]       # ARP replies from the guest land here
    q.sendline("nettests 1 ceilsink")
    q.expect(r"ceilsink: start\r*\n")
    time.sleep(0.3)                       # the guest is inside netceiling()
    asked = 0
    for i in range(CEIL_JUNK):
        w.send(udp_frame(5000, SINK_PORT, b"sink me", ident=i))
        if i % CEIL_ARP_EVERY == CEIL_ARP_EVERY - 1:
            w.send(arp_request())
            asked += 1
        if i == CEIL_JUNK // 2:
            w.send(udp_frame(dhcpd.SERVER_PORT, dhcpd.CLIENT_PORT,
                             b"not a DHCP reply"))
        time.sleep(CEIL_GAP)
    m = q.expect(r"ceilsink: frames (\d+)\r*\n", timeout=60)
    got = int(m.group(1))
    done = q.expect(DONE, timeout=60)
    q.expect(PROMPT)
    after = netstat(guest, q)
    d = deltas(before, after)
    replies = w.stats["arp_other"] - answered
    problems = []
    if done.group(1) != "ALL TESTS PASSED":
        problems.append("nettests ceilsink failed")
    if replies != asked:
        problems.append("the guest answered %d of %d ARP requests" % (replies, asked))
    if d["udp_rx"] + d["drop_udp_noport"] != 1:
        problems.append("the datagram to the DHCP client's port did not "
                        "reach the stack (udp_rx %+d, drop_udp_noport %+d)"
                        % (d["udp_rx"], d["drop_udp_noport"]))
    if got != CEIL_JUNK or d["rx_sink"] != CEIL_JUNK:
        problems.append("the ceiling counted %d frames (rx_sink %+d), the wire "
                        "sent %d to the sink port" % (got, d["rx_sink"], CEIL_JUNK))
    if problems:
        raise TestFailure("; ".join(problems))
    check_alive(q, w, "the ceiling")
