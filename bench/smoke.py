"""Smoke tests of user/udpbench and user/tcpbench for the test suite
(test/test_net.py, test/test_tcpbench.py).

test_udpbench(t) boots the kernel, starts server.py's echo role, runs
`udpbench lat -n 50` against it and checks the RESULT line's format and
its consistency (min <= p50 <= p90 <= p99 <= max). It asserts nothing
about time: the host's speed decides that. A lost datagram (slirp may
drop one) only makes it try again; it fails if nothing ever comes back.

test_tcpbench(t) boots the kernel, starts bench/tcp.py on a free TCP port
of 127.0.0.1 (the guest's 10.0.2.2 through slirp) and runs each tcpbench
test once, small: every RESULT line must parse, say the mode booted, and
be consistent (the host got every byte sent, the guest every byte asked
for, min <= p50 <= p90 <= p99 <= max, no failed connection). No timing.

t is the suite's `guest` fixture; test/test_net.py runs test_udpbench in
every NETMODE, test/test_tcpbench.py test_tcpbench.
"""

import os
import re
import subprocess
import sys

try:
    from qemu import TestFailure, free_tcp_port
except ImportError:             # imported from outside the suite
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "test"))
    from qemu import TestFailure, free_tcp_port

BENCH = os.path.dirname(os.path.abspath(__file__))

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


# ---- tcpbench -----------------------------------------------------------------

TCP_BYTES = 65536         # each way
TCP_RR_N = 20
TCP_CONN_N = 5
WORK = (r" icount=[01] insn_per_op=\d+ spin_per_op=\d+ traps_per_op=\d+\.\d"
        r" sys_per_op=\d+\.\d irq_per_op=\d+\.\d$")
TCPC = r" rtx=\d+ timeouts=\d+ fastrtx=\d+ lossprobes=\d+ dupacks=\d+ ooo=\d+ intr=\d+"
TIMES = (r" n=(?P<n>\d+) min_us=(?P<min>[\d.]+) p50_us=(?P<p50>[\d.]+)"
         r" p90_us=(?P<p90>[\d.]+) p99_us=(?P<p99>[\d.]+) max_us=(?P<max>[\d.]+)"
         r" avg_us=[\d.]+")
HEAD = r"^RESULT test=%s mode=(?P<mode>\w+) kmap=(?:split|shared)"
TCP_LINES = {
    "send": HEAD % "tcp_send" + r" bytes=(?P<bytes>\d+) got=(?P<got>\d+)"
            r" bytes_per_s=\d+ sink_bytes_per_s=\d+ time_us=[\d.]+" + TCPC + WORK,
    "recv": HEAD % "tcp_recv" + r" bytes=(?P<bytes>\d+) got=(?P<got>\d+)"
            r" bytes_per_s=\d+ time_us=[\d.]+" + TCPC + WORK,
    "rr": HEAD % "tcp_rr" + r" size=1" + TIMES + r" busy_us=\d+" + TCPC + WORK,
    "conn": HEAD % "tcp_conn" + TIMES + r" failed=(?P<failed>\d+) conns_per_s=\d+"
            + TCPC + WORK,
}


def check_tcp(test, out, mode, n):
    """Parse one tcpbench output for test (send, recv, rr, conn) run with
    -n n; raise TestFailure unless it is well formed and consistent."""
    m = re.search(TCP_LINES[test], out, re.M)
    if not m:
        raise TestFailure("tcpbench %s: no well-formed RESULT line in %r" % (test, out))
    if m["mode"] != mode:
        raise TestFailure("tcpbench %s ran in mode %s, not %s" % (test, m["mode"], mode))
    if test in ("send", "recv"):
        if int(m["bytes"]) != n or int(m["got"]) != n:
            raise TestFailure("tcpbench %s: bytes=%s got=%s, expected %d both"
                              % (test, m["bytes"], m["got"], n))
        return m
    if int(m["n"]) != n or (test == "conn" and int(m["failed"]) != 0):
        raise TestFailure("tcpbench %s: not all %d done: %r" % (test, n, m.group(0)))
    times = [float(m[k]) for k in ("min", "p50", "p90", "p99", "max")]
    if times != sorted(times) or times[0] <= 0:
        raise TestFailure("tcpbench %s: percentiles out of order: %r" % (test, m.group(0)))
    return m


class TcpPeer:
    """bench/tcp.py on 127.0.0.1:port, its output in log; stop() ends it."""

    def __init__(self, log, port, host="127.0.0.1"):
        self.log, self.port = log, port
        argv = [sys.executable, "-u", os.path.join(BENCH, "tcp.py"), str(port),
                "--host", host]
        log.line("[harness] " + " ".join(argv))
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        line = self.proc.stdout.readline()
        log.line("[tcp.py] " + line.rstrip())
        if "ready" not in line:
            self.stop()
            raise TestFailure("bench/tcp.py did not start: %r" % line)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)
        for line in self.proc.stdout:
            self.log.line("[tcp.py] " + line.rstrip())


def test_tcpbench(t):
    """Each tcpbench test once, small, against bench/tcp.py through slirp."""
    peer = TcpPeer(t.log, free_tcp_port("127.0.0.1"))
    try:
        q = t.boot()
        runs = (("send", TCP_BYTES), ("recv", TCP_BYTES), ("rr", TCP_RR_N),
                ("conn", TCP_CONN_N))
        for test, n in runs:
            out = q.run("tcpbench %s -n %d -p %d" % (test, n, peer.port), timeout=120)
            check_tcp(test, out, t.mode, n)
    finally:
        peer.stop()
