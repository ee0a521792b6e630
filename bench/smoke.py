"""Smoke test of user/udpbench for the test suite (test/test_net.py).

test_udpbench(t) boots the kernel, starts server.py's echo role, runs
`udpbench lat -n 50` against it and checks the RESULT line's format and
its consistency (min <= p50 <= p90 <= p99 <= max). It asserts nothing
about time: the host's speed decides that. A lost datagram (slirp may
drop one) only makes it try again; it fails if nothing ever comes back.

t is the suite's `guest` fixture; test/test_net.py runs it in every
NETMODE as test_udpbench.
"""

import os
import re
import sys

try:
    from qemu import TestFailure
except ImportError:             # imported from outside the suite
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "test"))
    from qemu import TestFailure

N = 50
TRIES = 3
LAT_LINE = (r"^RESULT test=lat mode=(?P<mode>\w+) kmap=(?:split|shared) "
            r"size=64 n=(?P<n>\d+) "
            r"lost=(?P<lost>\d+) min_us=(?P<min>[\d.]+) p50_us=(?P<p50>[\d.]+) "
            r"p90_us=(?P<p90>[\d.]+) p99_us=(?P<p99>[\d.]+) max_us=(?P<max>[\d.]+)"
            r" avg_us=[\d.]+ intr=\d+ busy_us=\d+ icount=[01]"
            r" insn_per_op=\d+ spin_per_op=\d+ traps_per_op=\d+\.\d"
            r" sys_per_op=\d+\.\d irq_per_op=\d+\.\d$")


def check_lat(out, mode):
    """Parse and check one `udpbench lat` output; return its lost count."""
    m = re.search(LAT_LINE, out, re.M)
    if not m:
        raise TestFailure("no well-formed RESULT line in %r" % out)
    if m["mode"] != mode or int(m["n"]) != N:
        raise TestFailure("RESULT says mode=%s n=%s, expected mode=%s n=%d"
                          % (m["mode"], m["n"], mode, N))
    lost = int(m["lost"])
    times = [float(m[k]) for k in ("min", "p50", "p90", "p99", "max")]
    if lost < N and (times != sorted(times) or times[0] <= 0):
        raise TestFailure("percentiles out of order: %r" % m.group(0))
    return lost


def test_udpbench(t):
    """udpbench lat against server.py's echo: a RESULT line, n=50."""
    t.server()
    q = t.boot()
    for attempt in range(1, TRIES + 1):
        out = q.run("udpbench lat -n %d -p %d" % (N, t.serverport), timeout=120)
        lost = check_lat(out, t.mode)
        if lost == 0:
            return
        t.note("attempt %d: %d of %d round trips lost" % (attempt, lost, N))
    if lost == N:
        raise TestFailure("no echo came back in %d attempts" % TRIES)
