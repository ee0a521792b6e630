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
"""

import os
import re
import socket
import sys
import time

import pytest

from qemu import PANIC, REPO, TestFailure
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
def test_nettests(guest):
    """nettests passes twice in a row, counters add up, the interrupt
    counter matches the mode, the capture is clean."""
    server = guest.server()
    q = guest.boot()
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
