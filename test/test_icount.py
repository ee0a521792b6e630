"""The CPU work counters (kernel/cpustat.h) under QEMU's -icount (ICOUNT=on).

No timing here: under icount the counter counts instructions, and the
counts checked are of traps, which the design fixes.

- icount-sys[split|shared]: `udpbench sys -n 1000` at CPUS=1 takes exactly
  one system-call trap per call (the RESULT's sys_per_op is 1.0 and, from
  `cpustat udpbench sys`, the user system-call traps of the whole program
  are 1000 plus its fixed start-up and reporting calls, at most
  SYS_OVERHEAD), no other user trap, and a nonzero instruction count;
  every counter of `cpustat` only grows between two looks; the boot
  probe says the counter counts instructions.
- icount-off: without ICOUNT the boot probe says the counter is host ticks
  and udpbench's RESULT carries icount=0.
- icount-lat[intr|poll|hybrid]: a round trip to an echo that waits
  ECHO_DELAY_US before answering (so the reader is always waiting: one
  path per mode) crosses two system-call traps (write, read) in every
  mode, one E1000 interrupt in intr and hybrid mode and none in poll
  mode, within TRAP_SLACK per round trip (an ARP exchange, a frame from
  slirp).  Timer interrupts are not counted: they come with the host's
  time, not with the datagrams.
"""

import os
import re
import subprocess
import sys

import pytest

from qemu import REPO, TestFailure, free_udp_ports

sys.path.insert(0, os.path.join(REPO, "bench"))
from run import parse_result  # noqa: E402

SYS_N = 1000
SYS_OVERHEAD = 40      # udpbench's own system calls besides the getpids (exec, netstat, write, exit...)
LAT_N = 100
ECHO_DELAY_US = 1000
TRAP_SLACK = 0.1       # traps per round trip that may come from elsewhere
KINDS = ("syscall", "device", "timer", "ipi", "fault")


def cpustat_totals(out):
    """The counters of one `cpustat` output: {name: value}, traps as
    user_KIND and kernel_KIND."""
    m = re.search(r"^busy (\d+) idle (\d+) allidle (\d+) spin (\d+) tick (\d+) "
                  r"switches (\d+)", out, re.M)
    u = re.search(r"^  user:\s+([\d ]+)$", out, re.M)
    k = re.search(r"^  kernel:\s*([\d ]+)$", out, re.M)
    if not (m and u and k):
        raise TestFailure("cpustat printed no counters: %r" % out)
    names = ("busy", "idle", "allidle", "spin", "tick", "switches")
    c = dict(zip(names, map(int, m.groups())))
    c.update(("user_" + n, int(v)) for n, v in zip(KINDS, u.group(1).split()))
    c.update(("kernel_" + n, int(v)) for n, v in zip(KINDS, k.group(1).split()))
    return c


def result(out, test):
    res = parse_result(out)
    if res is None or res.get("test") != test:
        raise TestFailure("no RESULT test=%s in %r" % (test, out))
    return res


@pytest.mark.parametrize("kmap", ["split", "shared"])
def test_icount_sys(guest, kmap):
    """One system-call trap per null system call, counters that only grow."""
    q = guest.boot(cpus=1, kmap=kmap, ICOUNT="on", PCAP="off")
    before = cpustat_totals(q.run("cpustat"))
    res = result(q.run("udpbench sys -n %d" % SYS_N, timeout=120), "sys")
    if res["icount"] != 1 or res["sys_per_op"] != 1.0 or res["insn_per_op"] <= 0:
        raise TestFailure("udpbench sys under icount: %r" % res)
    out = q.run("cpustat udpbench sys -n %d" % SYS_N, timeout=120)
    d = cpustat_totals(out)
    if not SYS_N < d["user_syscall"] <= SYS_N + SYS_OVERHEAD:
        raise TestFailure("%d getpid calls took %d system-call traps (at most %d "
                          "more expected)" % (SYS_N, d["user_syscall"], SYS_OVERHEAD))
    if d["user_fault"] or d["user_ipi"] or d["busy"] <= 0:
        raise TestFailure("unexpected counts: %r" % d)
    after = cpustat_totals(q.run("cpustat"))
    shrank = [k for k in before if k != "busy" and after[k] < before[k]]
    if shrank or after["busy"] <= before["busy"]:
        raise TestFailure("counters went down: %s (%r -> %r)" % (shrank, before, after))
    guest.note("KMAP=%s: %d instructions per getpid; cpustat: %r"
               % (kmap, res["insn_per_op"], d))


def test_icount_off(guest):
    """Without -icount the counter is host ticks, and udpbench says so."""
    q = guest.boot(cpus=1, PCAP="off")
    if "host ticks" not in q.run("cpustat"):
        raise TestFailure("cpustat does not say the counter is host ticks")
    res = result(q.run("udpbench sys -n 100"), "sys")
    if res["icount"] != 0:
        raise TestFailure("RESULT says icount=%d without -icount" % res["icount"])


@pytest.mark.netmodes()
def test_icount_lat(guest):
    """The traps of a round trip, per mode."""
    port = free_udp_ports(1)[0]
    echo = subprocess.Popen([sys.executable, os.path.join(REPO, "bench", "peer.py"), "echo",
                             str(port), "--delay-us", str(ECHO_DELAY_US)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        q = guest.boot(cpus=1, ICOUNT="on", PCAP="off", E1000_MITIGATION="off")
        q.run("udpbench lat -n 10 -p %d" % port, timeout=120)      # ARP, warm-up
        res = result(q.run("udpbench lat -n %d -p %d" % (LAT_N, port), timeout=120), "lat")
    finally:
        echo.terminate()
        echo.wait()
    irq = 0.0 if guest.mode == "poll" else 1.0
    if (res["lost"] or res["icount"] != 1 or abs(res["sys_per_op"] - 2.0) > TRAP_SLACK
            or abs(res["irq_per_op"] - irq) > TRAP_SLACK or res["insn_per_op"] <= 0):
        raise TestFailure("expected 2 system calls and %.0f interrupts per round trip: %r"
                          % (irq, res))
    guest.note("%s: %d instructions, %.1f traps per round trip (spin %d)"
               % (guest.mode, res["insn_per_op"], res["traps_per_op"], res["spin_per_op"]))
