"""Network tests, each run in every NETMODE.

- nettests: server.py echoes, the guest runs `nettests` twice in one boot
  (each run checks itself for leaks, so the second proves repeated runs do
  not grow), `netstat` must account for every frame received, the E1000
  must have interrupted in intr and hybrid modes and never in poll mode,
  and tshark must find no malformed frame or bad checksum in the capture.
- flood: the host floods the guest with UDP while a compute-bound program
  runs; the program must finish, the shell must answer, the counters must
  add up and the network must still work afterwards.  The slow-down it saw
  is noted, never asserted (it depends on the host).
- udpbench: bench/smoke.py's check of `udpbench lat`.
- netmode: switching modes at run time: nettests' modeswitch and
  switchflood, then a host flood of a port nobody reads while the shell
  switches modes, every datagram accounted for exactly.
- netprogs: the LAN programs on slirp: ifconfig prints the layout, ping
  10.0.2.2 (slirp answers) gets its replies and times out on an address
  nobody has, arp shows slirp's MAC for 10.0.2.2 and obeys -d and -t,
  a layout set with ifconfig is static and its DNS server is the one
  nslookup asks, udpecho listen shows a datagram from the host with its
  sender.
"""

import os
import re
import socket
import sys
import time

import pytest

import counters as netstat_h
from qemu import PANIC, PROMPT, REPO, TestFailure
from hostnet import Flooder

sys.path.insert(0, os.path.join(REPO, "bench"))
import smoke  # noqa: E402

NETTESTS_TIMEOUT = 600     # seconds: a ceiling, not an expectation
CPUHOG_MILLIONS = 800      # size of the compute-bound job in the flood test
FLOOD_PAYLOAD = 64         # bytes per flood datagram
FLOOD_MAX_SECONDS = 120    # the flood stops by itself after this long


def netstat(q):
    """Run `netstat` in the guest; return (counters dict, mode name, the
    accounting line).  Fails if netstat's output is not what it should be."""
    out = q.run("netstat")
    counters = {}
    mode = None
    for line in out.splitlines():
        m = re.match(r"^(\w+)\s+(\d+)\s*$", line.strip())
        if m:
            counters[m.group(1)] = int(m.group(2))
        m = re.match(r"^mode\s+(\w+)\s*$", line.strip())
        if m:
            mode = m.group(1)
    acct = re.search(r"^rx accounting: .*$", out, re.M)
    if mode is None or acct is None or "rx_frames" not in counters:
        raise TestFailure("netstat printed no counters: %r" % out[-300:])
    missing = [n for n in netstat_h.NAMES + tuple(netstat_h.STATE) if n not in counters]
    if missing:
        raise TestFailure("netstat did not print %s (kernel/netstat.h lists them)"
                          % ", ".join(missing))
    return counters, mode, acct.group(0).strip()


def check_netstat(guest, q):
    """Counters must add up and show this build's mode; returns them."""
    c, mode, acct = netstat(q)
    if mode != guest.mode:
        raise TestFailure("netstat says mode %s, built with %s" % (mode, guest.mode))
    if not acct.startswith("rx accounting: OK"):
        raise TestFailure("frames unaccounted for: %s" % acct)
    return c


def check_interrupts(guest, c):
    """Poll mode takes no E1000 interrupt at all; the others do."""
    if guest.mode == "poll" and c["intr"] != 0:
        raise TestFailure("poll mode took %d E1000 interrupts" % c["intr"])
    if guest.mode != "poll" and c["intr"] == 0:
        raise TestFailure("%s mode took no E1000 interrupt" % guest.mode)
    if guest.mode == "intr" and c["poll_rounds"] != 0:
        raise TestFailure("intr mode ran %d poll rounds" % c["poll_rounds"])
    if guest.mode != "intr" and c["poll_rounds"] == 0:
        raise TestFailure("%s mode ran no poll round" % guest.mode)


@pytest.mark.netmodes()
@pytest.mark.parametrize("kmap", ["split", "shared"])
def test_nettests(guest, kmap):
    """nettests passes twice in a row, counters add up, the interrupt
    counter matches the mode, the capture is clean; with either mapping of
    the kernel (KMAP)."""
    server = guest.server()
    q = guest.boot(kmap=kmap)
    for run in (1, 2):
        out = q.run("nettests %d" % guest.serverport, timeout=NETTESTS_TIMEOUT,
                    fail=r"FAILED|" + PANIC)
        if "ALL TESTS PASSED" not in out:
            raise TestFailure("nettests run %d did not pass" % run)
    server.expect("a message from xv6")
    c = check_netstat(guest, q)
    check_interrupts(guest, c)
    guest.note("rx_frames=%d tx_frames=%d intr=%d poll_rounds=%d poll_empty=%d"
           % (c["rx_frames"], c["tx_frames"], c["intr"], c["poll_rounds"],
              c["poll_empty"]))
    guest.check_pcap(q)


def cpuhog_ms(q, timeout):
    """Run cpuhog; return the milliseconds it reports."""
    out = q.run("cpuhog %d" % CPUHOG_MILLIONS, timeout=timeout)
    m = re.search(r"cpuhog: \d+ million iterations in (\d+) ms", out)
    if not m:
        raise TestFailure("cpuhog printed %r" % out)
    return int(m.group(1))


@pytest.mark.netmodes()
def test_flood(guest):
    """A compute-bound program and the shell keep working while the host
    floods the guest with UDP; numbers printed, not asserted."""
    server = guest.server()
    q = guest.boot(cpus=1)     # one hart: the network and the job compete in the guest
    idle_ms = cpuhog_ms(q, 300)
    before, _, _ = netstat(q)

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    flood = Flooder(sock, ("127.0.0.1", guest.fwdport),
                    [b"f" * FLOOD_PAYLOAD] * 100, FLOOD_MAX_SECONDS)
    flood.start()
    try:
        time.sleep(1)                      # let the flood build up
        flood_ms = cpuhog_ms(q, 600)       # must finish despite the flood
        q.run("echo alive", timeout=120)   # the shell still answers
    finally:
        flood.stop()
        sock.close()

    time.sleep(1)                          # let QEMU's backlog drain
    c = check_netstat(guest, q)
    check_interrupts(guest, c)
    got = c["rx_frames"] - before["rx_frames"]
    # After the flood the network must work as before.
    out = q.run("nettests %d ping" % guest.serverport, timeout=120,
                fail=r"FAILED|" + PANIC)
    if "ALL TESTS PASSED" not in out:
        raise TestFailure("ping after the flood did not pass")
    server.expect("a message from xv6")
    guest.note("cpuhog idle %d ms, under flood %d ms (%.2fx); host sent %d "
           "datagrams in %.1f s, guest received %d frames; intr=%d "
           "rx_missed=%d drop_udp_noport=%d budget_yields=%d"
           % (idle_ms, flood_ms, flood_ms / max(idle_ms, 1), flood.sent,
              flood.seconds, got, c["intr"], c["rx_missed"],
              c["drop_udp_noport"], c["budget_yields"]))


@pytest.mark.netmodes()
def test_udpbench(guest):
    """udpbench lat against server.py's echo: a RESULT line, n=50."""
    smoke.test_udpbench(guest)


SWITCH_FLOOD = 3000        # datagrams the host sends during the mode switches
SWITCH_ROUNDS = 4          # times through every mode


@pytest.mark.netmodes()
def test_netmode(guest):
    """Switching modes at run time: nettests' switching tests pass, and while
    the host sends SWITCH_FLOOD datagrams to a guest port nobody reads, the
    shell switches the mode again and again; afterwards every one of them is
    accounted for exactly (stack drop or device miss), and the counters add up."""
    t = guest
    t.server()
    q = t.boot()
    out = q.run("nettests %d modeswitch switchflood" % t.serverport,
                timeout=NETTESTS_TIMEOUT, fail=r"FAILED|" + PANIC)
    if "ALL TESTS PASSED" not in out:
        raise TestFailure("nettests modeswitch switchflood did not pass")
    before, _, _ = netstat(q)

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sent = 0
    try:
        modes = ("intr", "poll", "hybrid") * SWITCH_ROUNDS + (t.mode,)
        for i, m in enumerate(modes):
            out = q.run("netmode %s" % m)
            if "-> %s" % m not in out:
                raise TestFailure("netmode %s printed %r" % (m, out))
            # Between two switches, a burst the ring must absorb or count.
            for _ in range(SWITCH_FLOOD // len(modes)):
                sock.sendto(b"s" * FLOOD_PAYLOAD, ("127.0.0.1", t.fwdport))
                sent += 1
                if sent % 50 == 0:
                    time.sleep(0.005)
    finally:
        sock.close()
    time.sleep(2)                          # let QEMU's backlog drain

    c = check_netstat(t, q)                # back in the boot mode, adding up
    got = (c["drop_udp_noport"] - before["drop_udp_noport"] +
           c["rx_missed"] - before["rx_missed"])
    if got != sent:
        raise TestFailure("host sent %d datagrams to port 2000, the guest "
                          "accounts for %d" % (sent, got))
    if c["mode_switches"] - before["mode_switches"] < 3 * SWITCH_ROUNDS:
        raise TestFailure("mode_switches did not count the switches")
    out = q.run("nettests %d ping" % t.serverport, timeout=120,
                fail=r"FAILED|" + PANIC)
    if "ALL TESTS PASSED" not in out:
        raise TestFailure("ping after the switches did not pass")
    t.note("sent %d during %d switches: drop_udp_noport +%d, rx_missed +%d"
           % (sent, c["mode_switches"] - before["mode_switches"],
              c["drop_udp_noport"] - before["drop_udp_noport"],
              c["rx_missed"] - before["rx_missed"]))


# The slirp layout (QEMU's defaults), by DHCP from slirp or the static boot
# default, with DNS server %s.
IFCONFIG = (r"^eth0: mac 52:54:00:12:34:56\n"
            r"  addr 10\.0\.2\.15 netmask 255\.255\.255\.0 gateway 10\.0\.2\.2 dns %s\n"
            r"  source (dhcp from 10\.0\.2\.2 lease (\d+)s \((\d+)s left\)|static)$")
PING_REPLY = r"^ping: reply from 10\.0\.2\.2 seq=(\d+) time=\d+\.\d{3} ms$"
PING_SUMMARY = (r"^ping: 10\.0\.2\.2: 3 sent, (\d) received, (\d+)% loss, "
                r"rtt min/avg/max (\d+\.\d{3})/(\d+\.\d{3})/(\d+\.\d{3}) ms$")
SLIRP_HOST_MAC = "52:55:0a:00:02:02"
NOBODY = "10.0.2.99"       # on slirp's subnet, answers nothing (not even ARP)


def check_ping(q):
    """`ping 10.0.2.2 -c 3`: a line per reply in order, a summary that agrees."""
    out = q.run("ping 10.0.2.2 -c 3", timeout=30)
    seqs = [int(m.group(1)) for m in re.finditer(PING_REPLY, out, re.M)]
    m = re.search(PING_SUMMARY, out, re.M)
    if not m or not seqs:
        raise TestFailure("ping 10.0.2.2 printed %r" % out)
    got, loss = int(m.group(1)), int(m.group(2))
    rtt = [float(m.group(i)) for i in (3, 4, 5)]
    if seqs != sorted(seqs) or len(seqs) != got or loss != (3 - got) * 100 // 3:
        raise TestFailure("ping's summary disagrees with its replies: %r" % out)
    if rtt != sorted(rtt) or rtt[0] <= 0:
        raise TestFailure("rtt min/avg/max out of order: %r" % m.group(0))
    if got < 3 and "seq=%d timeout" % (set((1, 2, 3)) - set(seqs)).pop() not in out:
        raise TestFailure("a missing reply was not reported as a timeout: %r" % out)
    return got


def arp_entries(q):
    """`arp`: {ip: (mac, state, age)}; fails on any line of another form."""
    out = q.run("arp")
    entries = {}
    for line in out.splitlines():
        m = re.match(r"^(\d+\.\d+\.\d+\.\d+) ([0-9a-f:]{17}) (pending|reachable|stale) (\d+)s$",
                     line)
        if not m:
            raise TestFailure("arp printed %r" % line)
        entries[m.group(1)] = (m.group(2), m.group(3), int(m.group(4)))
    return entries


@pytest.mark.netmodes()
def test_netprogs(guest):
    """ifconfig, ping, arp and udpecho listen on slirp."""
    q = guest.boot()
    out = q.run("ifconfig")
    m = re.search(IFCONFIG % re.escape("10.0.2.3"), out, re.M)
    if not m:
        raise TestFailure("ifconfig printed %r" % out)
    if m.group(2) and int(m.group(3)) > int(m.group(2)):
        raise TestFailure("more of the lease left than it lasts: %r" % out)

    got = check_ping(q)
    if got < 2:
        raise TestFailure("only %d of 3 pings to 10.0.2.2 came back" % got)
    e = arp_entries(q)
    if e.get("10.0.2.2", (None, None))[:2] != (SLIRP_HOST_MAC, "reachable"):
        raise TestFailure("arp after ping: %r" % e)

    out = q.run("ping %s -c 2" % NOBODY, timeout=30)
    for want in ("ping: seq=1 timeout", "ping: seq=2 timeout",
                 "ping: %s: 2 sent, 0 received, 100%% loss\n" % NOBODY):
        if want not in out:
            raise TestFailure("ping %s: no %r in %r" % (NOBODY, want, out))
    if arp_entries(q).get(NOBODY, (None, "pending"))[1] != "pending":
        raise TestFailure("an ARP entry for %s, who never answered" % NOBODY)

    q.run("arp -d")
    if arp_entries(q):
        raise TestFailure("arp -d left entries")
    old = re.search(r"^arp: ttl (\d+)s$", q.run("arp -t"), re.M)
    if not old:
        raise TestFailure("arp -t printed no ttl")
    if "arp: ttl 30s (was %ss)" % old.group(1) not in q.run("arp -t 30"):
        raise TestFailure("arp -t 30 did not report the change")
    if "arp: ttl 30s" not in q.run("arp -t"):
        raise TestFailure("the ttl did not stay 30 s")
    if check_ping(q) < 1:                  # the cache refills
        raise TestFailure("no ping came back after arp -d")

    # A layout set by hand: static, and the resolver asks its DNS server.
    out = q.run("ifconfig 10.0.2.15 255.255.255.0 10.0.2.2 %s" % NOBODY)
    if "dns %s\n  source static" % NOBODY not in out:
        raise TestFailure("ifconfig did not set the dns server: %r" % out)
    out = q.run("nslookup Host.XV6.test", timeout=30)
    if "nslookup: Host.XV6.test: no reply from the server" not in out:
        raise TestFailure("nslookup did not ask ifconfig's dns %s: %r" % (NOBODY, out))
    if "refused" not in q.run("ifconfig 10.0.2.15 255.0.255.0"):
        raise TestFailure("ifconfig took a netmask with a hole")
    if not re.search(IFCONFIG % re.escape(NOBODY), q.run("ifconfig"), re.M):
        raise TestFailure("a refused ifconfig changed the layout")
    q.run("ifconfig 10.0.2.15 255.255.255.0 10.0.2.2 10.0.2.3")

    q.sendline("udpecho listen 2000 1")
    q.expect(r"udpecho: ready\r*\n")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.sendto(b"to the listener", ("127.0.0.1", guest.fwdport))
        q.expect(r'udpecho: from 10\.0\.2\.2:%d "to the listener"\r*\n'
                 % sock.getsockname()[1], timeout=30)
    finally:
        sock.close()
    q.expect(PROMPT)
