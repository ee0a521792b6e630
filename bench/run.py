#!/usr/bin/env python3
"""xv6-netpoll's UDP and TCP benchmarks: the three driver modes, paired and interleaved.

    python3 bench/run.py [--quick] [--rounds N] [--only BOOT ...]
                         [--baseline REV|none] [--save] [--wait-quiet S]
    (or: make bench [QUICK=1] [SAVE=1] [BASELINE=REV])

How a run goes. The kernel boots in intr mode and `netmode intr|poll|hybrid`
switches it at run time, so the three modes are measured in ONE boot. A
round measures every mode back to back, in an order rotated from round to
round; whatever the host does (other programs, a slower core) hits the
modes of a round alike, and comparisons use per-round pairs. What needs
another boot (QEMU's E1000 `mitigation` property, CPUS=3, the kernel of an
older commit for the transmit target) is a separate boot configuration
(BOOTS), and the boots are interleaved too: each boot runs a few rounds,
then the next boot, and round numbers pair across boots.

Per mode and round (the probes each boot runs are listed in BOOTS):

  lat    udpbench lat: 64 B round trips (p50, p99); the host's echo also
         records each ping's arrival, for the latency CDF
  busy   the same with a busy-polling read (-B BUSY_US)
  tx     udpbench tx: one write() per datagram;  txb: batched (-b BATCH)
  rx     udpbench rx at RX_RATES offered (one read() per datagram)
  rxb    batched reads at 25k/s and at the source's full speed
  idle   host CPU of the QEMU process, network idle, after a settle
  shell  the shell's `echo x` round trip, as the cpus-latency test does
  sys    udpbench sys: the null system call (getpid)
and per round, once: ceiling (udpbench ceiling: the device path alone).

Both kernel layouts (issue 18): every boot runs the Makefile's default
layout (KMAP=shared) but cpus1-split, cpus1's boot with KMAP=split (sys,
lat, busy, tx, rx at 10k/s), and icount-split; two boots run QEMU
with -icount (ICOUNT=on, CPUS=1), one per layout: there every RESULT's
insn_per_op, spin_per_op and traps_per_op are exact counts, not times.
Their lat goes to an echo that waits ECHO_DELAY_US before it answers (the
guest always waits, so every round trip takes the same path), their rx
is at ICOUNT_RX_RATE/s (one datagram at a time). The layouts' kernels are
built once each, up front (build_layouts), and boots alternate as any
other boots do.

The lan boot is two guests on a LAN of their own (test/lan.py: a switch
on free ports and the service node 10.0.2.2; no slirp anywhere): guest 2
runs `udpecho serve`, and per mode (both guests switched to it) guest 1
measures
  gg     udpbench lat -a GUEST2: round trips guest to guest
  gh     udpbench lat to the service node's echo, through the same switch
and the host CPU each guest's QEMU used meanwhile.

The tcp and tcp-loss boots put the guest on the TAP bed (test/tapnet.py:
Linux's TCP as 10.0.2.2 in a namespace, bench/tcp.py and peer.py's echo
and sink running there) and measure per mode
  tcp_send, tcp_recv   tcpbench send|recv: bulk bytes/s each way
  tcp_rr               tcpbench rr: 1-byte request/response (p50, p99)
  tcp_conn             tcpbench conn: connections/s (xv6 connects)
  http_conn            connections/s to xv6's httpd from Linux (GET a small file)
  lat, ceiling         udpbench lat (64 B) and the ceiling at 1514-byte frames
without the relay (tcp: QEMU on tap0 itself), and bulk each way through
the relay clean and with TCP_LOSS dropped (tcp-loss: tcp_send@loss,
tcp_recv@loss). A host where no bed comes up skips both (skip_tap).

This file measures and writes every RESULT to results.json; bench/report.py
turns that into medians with bootstrap intervals, per-round ratios, the
conclusions, the targets and the plots, from the JSON alone.

Output: bench/out/run-DATE/ (untracked): results.json, report.md, *.png,
bench.log (the consoles; .peers: the host roles). --save also copies them
to bench/results/latest.* (the committed reference results).

A udpbench feature the booted kernel lacks (busy polling, batching, the
ceiling) is reported as unavailable, not fatal; so is the default baseline
commit in a copy without the git history (a tarball, a shallow clone):
run.py says so before it starts and leaves that comparison out. Python 3
standard library only (matplotlib for the plots).
"""

import sys
sys.dont_write_bytecode = True

import argparse
import datetime
import json
import os
import platform
import shlex
import shutil
import socket
import statistics
import subprocess
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(BENCH), "test"))
sys.path.insert(0, BENCH)
import report  # noqa: E402
import stages  # noqa: E402
from lan import Lan  # noqa: E402
import tapnet  # noqa: E402
from qemu import (DEFAULT_KMAP, REPO, Log, Qemu, TaggedLog, TestFailure, build,  # noqa: E402
                  free_udp_ports, free_udp_run, make_command, run_main)

OUT = os.path.join(BENCH, "out")          # untracked: every run's folder
CLK_TCK = os.sysconf("SC_CLK_TCK")
MODES = ("intr", "poll", "hybrid")
SIZE = 64                 # UDP payload bytes of every probe
BUSY_US = 500             # SO_BUSY_POLL of the busy probe: longer than a round trip
BATCH = 32                # datagrams per sendmsgs()/recvmsgs() call
BASELINE = "5865c3a"      # "today's tree" of issue 10: the last commit before it
RUN_TIMEOUT = 120         # seconds for one udpbench command, a ceiling
LAN_GUESTS = (1, 2)       # the lan boot: guest 1 measures, guest 2 echoes
SERVE_PORT = 2000         # guest 2's `udpecho serve` port
DHCP_TIMEOUT = 90         # seconds for both LAN guests' dhcpc lines (a ceiling)
TCP_LOSS = 0.02           # the tcp-loss boot's lossy rounds: this fraction dropped, each way
TCP_FRAME = 1472          # the TAP ceiling's UDP payload: 1514-byte frames, as a full TCP segment
# The TAP boots' host side, in the bed's own namespace (so fixed ports):
# bench/tcp.py, peer.py's echo (udpbench lat) and sink (the ceiling).
NS_PORTS = dict(tcp=7000, echo=7001, sink=7002)
HTTP_FILE = "small.txt"   # the file the http_conn probe fetches from the guest's httpd
HTTP_BODY = "xv6-netpoll"  # its content (echo writes it with a newline)

# The http_conn probe's client, run in the bed's namespace: argv ADDR N
# PATH. N connections one after another to ADDR:80, each "GET PATH" with
# keep-alive, the body read to its Content-Length, then closed by the
# client (so Linux, not xv6, holds the TIME-WAIT). Prints one JSON line.
HTTP_CLIENT = r"""
import json, socket, sys, time
addr, n, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
req = ("GET %s HTTP/1.1\r\nHost: xv6\r\n\r\n" % path).encode()
def fetch():
    with socket.create_connection((addr, 80), timeout=30) as s:
        s.sendall(req)
        data = b""
        while b"\r\n\r\n" not in data:
            d = s.recv(4096)
            if not d:
                return False
            data += d
        head, _, body = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            return False
        want = [int(l.split(b":")[1]) for l in head.split(b"\r\n")
                if l.lower().startswith(b"content-length:")]
        while want and len(body) < want[0]:
            d = s.recv(4096)
            if not d:
                return False
            body += d
        return bool(want) and len(body) == want[0]
times, failed, t0 = [], 0, time.monotonic()
for i in range(n):
    t = time.monotonic()
    try:
        ok = fetch()
    except OSError:
        ok = False
    if ok:
        times.append(time.monotonic() - t)
    else:
        failed += 1
wall = time.monotonic() - t0
times.sort()
pct = lambda p: round(times[(len(times) - 1) * p // 100] * 1e6, 1) if times else 0
print(json.dumps(dict(n=n, failed=failed, conns_per_s=round(len(times) / wall, 1),
                      p50_us=pct(50), p99_us=pct(99))))
"""


class Boot:
    """One way to boot: QEMU options, the modes measured, the probes run,
    which tree ("current" or "baseline") the kernel comes from, built with
    which kernel layout (KMAP), and whether QEMU counts instructions
    (ICOUNT=on: the probes then report instructions and traps per op)."""

    def __init__(self, name, title, cpus, mitigation, modes, probes, tree="current",
                 lan=False, kmap=DEFAULT_KMAP, icount=False, tap=None):
        self.name, self.title, self.cpus, self.mitigation = name, title, cpus, mitigation
        self.modes, self.probes, self.tree, self.lan = modes, probes, tree, lan
        self.kmap, self.icount = kmap, icount
        self.tap = tap            # None (slirp), "direct" or "relay": the TAP bed


# The points measured in both kernel layouts (issue 18): cpus1 runs the
# default (shared), cpus1-split the same with KMAP=split, and the two icount
# boots count instructions and traps per operation in each layout.
LAYOUT_PROBES = ("sys", "lat", "busy", "tx", "rx10k")
# The boots whose visits end with the per-stage breakdown (bench/stages.py):
# one per layout, so stages.png puts split and shared side by side.
STAGE_BOOTS = ("cpus1", "cpus1-split")
ICOUNT_PROBES = ("sys", "lat", "busy", "tx", "rxslow")

BOOTS = [
    Boot("cpus1", "CPUS=1, mitigation off", 1, "off", MODES,
         ("sys", "lat", "busy", "tx", "txb", "rx", "rxb", "idle", "shell", "ceiling")),
    Boot("cpus1-split", "CPUS=1, mitigation off, KMAP=split", 1, "off", MODES,
         LAYOUT_PROBES, kmap="split"),
    Boot("icount", "CPUS=1, ICOUNT=on (instructions)", 1, "off", MODES,
         ICOUNT_PROBES, icount=True),
    Boot("icount-split", "CPUS=1, ICOUNT=on (instructions), KMAP=split", 1, "off", MODES,
         ICOUNT_PROBES, kmap="split", icount=True),
    Boot("cpus3", "CPUS=3, mitigation off", 3, "off", MODES,
         ("lat", "busy", "rx10k", "idle", "shell")),
    Boot("mit", "CPUS=1, intr with mitigation on", 1, "on", ("intr",),
         ("lat", "tx", "rx", "idle")),
    Boot("baseline", "today's tree (BASELINE), poll, CPUS=1, mitigation off", 1, "off",
         ("poll",), ("tx",), tree="baseline"),
    Boot("lan", "LAN, two guests, CPUS=1, mitigation off", 1, "off", MODES,
         ("gg", "gh"), lan=True),
    Boot("tcp", "TCP over the TAP bed, no relay (TAPRELAY=off), CPUS=1, mitigation off", 1,
         "off", MODES, ("tcp_send", "tcp_recv", "tcp_rr", "tcp_conn", "http_conn", "lat",
                        "ceiling"), tap="direct"),
    Boot("tcp-loss", "TCP over the TAP bed through the relay, lossless and %g%% loss, CPUS=1, "
         "mitigation off" % (100 * TCP_LOSS), 1, "off", MODES, ("tcp_bulk", "tcp_lossy"),
         tap="relay"),
]

# How much of everything: full run and --quick. A boot runs `rounds/visits`
# rounds per visit; visits interleave the boots. The lan boot (two guests,
# a slower boot) has visits of its own, lan_visits, and lan_n round trips
# per gg and gh; so do the TAP boots (tap_visits: a namespace, dnsmasq
# and a DHCP lease per visit). tcp_bytes: each way per bulk run in the tcp
# boot, tcp_loss_bytes in the tcp-loss boot (lossless and lossy alike, so
# their ratio compares like with like); tcp_rr_n round trips, tcp_conn_n
# connections (xv6 to Linux), http_conn_n (Linux to xv6's httpd);
# tap_ceiling_n frames each way for the TAP ceiling.
# sys_n: null system calls per sys probe; icount_*: the icount boots'
# round trips (to an echo that waits ECHO_DELAY_US, so that every round
# trip takes the same path), datagrams sent, datagrams received at
# ICOUNT_RX_RATE (a host that stalls its sender for 5 ms, as a loaded one
# does, sends two at once at 200/s: another path; rarely 20 ms at 50/s).
PLANS = {
    "full": dict(rounds=8, visits=4, lat_n=1000, tx_n=20000, rx_s=1.0,
                 rx_rates=(5000, 10000, 20000, 40000), settle_s=1.0, idle_s=3.0,
                 ceiling_n=50000, lan_visits=2, lan_n=1000, sys_n=20000,
                 icount_lat_n=300, icount_tx_n=5000, icount_rx_n=100,
                 tap_visits=2, tcp_bytes=8 << 20, tcp_loss_bytes=4 << 20, tcp_rr_n=1000,
                 tcp_conn_n=200, http_conn_n=200, tap_ceiling_n=20000),
    "quick": dict(rounds=5, visits=2, lat_n=300, tx_n=5000, rx_s=0.3,
                  rx_rates=(10000, 20000, 40000), settle_s=0.5, idle_s=1.0,
                  ceiling_n=20000, lan_visits=1, lan_n=300, sys_n=5000,
                  icount_lat_n=100, icount_tx_n=2000, icount_rx_n=50,
                  tap_visits=1, tcp_bytes=2 << 20, tcp_loss_bytes=1 << 20, tcp_rr_n=300,
                  tcp_conn_n=50, http_conn_n=50, tap_ceiling_n=10000),
}
ECHO_DELAY_US = 2000      # the icount boots' echo: the guest always waits for it
ICOUNT_RX_RATE = 50       # datagrams/s offered in the icount boots: one at a time


def progress(msg):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


# ---- the host side ---------------------------------------------------------

class BenchQemu(Qemu):
    """Qemu with named threads (vCPUs show as "CPU n/TCG" in /proc), so the
    host CPU time splits between the guest's harts and QEMU's main loop
    (slirp, the e1000 model's receive side). root: the tree whose Makefile
    gives the command line and whose kernel boots."""

    def __init__(self, log, makevars, root=REPO, kernel=None):
        super().__init__(log, makevars)
        self.root, self.kernel = root, kernel

    def command(self):
        if self.root == REPO:
            argv = super().command()
            if self.kernel:       # a layout built earlier (build_layouts)
                argv = [self.kernel if a == "kernel/kernel" else a for a in argv]
        else:
            args = ["qemu-cmd"] + ["%s=%s" % kv for kv in self.makevars.items()]
            r = subprocess.run(make_command(args), cwd=self.root, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            lines = [l for l in r.stdout.splitlines() if "qemu" in l]
            if r.returncode or not lines:
                raise TestFailure("no QEMU command from %s" % self.root)
            argv = [os.path.join(self.root, a) if a == "kernel/kernel" else a
                    for a in shlex.split(lines[-1])]
        return argv + ["-name", "xv6,debug-threads=on"]


# The host cores a CPUS=1 guest's QEMU is pinned to (pin_qemu); None: not
# pinned (--no-pin, or a host with one core).
PIN = True


def descendants(root_pid):
    """The processes under root_pid (not root_pid itself)."""
    children = {}
    for d in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/stat" % d) as f:
                data = f.read()
        except OSError:
            continue
        ppid = int(data[data.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(d))
    found, todo = [], list(children.get(root_pid, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def pin_qemu(q, boot):
    """Give a CPUS=1 guest's vCPU thread a host core of its own, and every
    other process this run started (QEMU's main loop: slirp and the E1000
    model's receive side, the device of real hardware; the peers) the other
    cores. Unpinned, the host's scheduler sometimes puts the main loop or
    the echo peer on the core of a vCPU that never sleeps (poll mode
    spins), and each frame then waits for the vCPU's time slice: 3-4 ms
    round trips, poll p99 10-20x intr's (NOTES.md "Benchmark results").
    Returns what it did, for the report."""
    cores = sorted(os.sched_getaffinity(0))
    if not PIN or boot.cpus != 1 or len(cores) < 2:
        return None
    vcpus = 0
    for pid in descendants(os.getpid()):
        try:
            tids = os.listdir("/proc/%d/task" % pid)
        except OSError:
            continue
        for tid in tids:
            try:
                with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                    vcpu = f.read().startswith("CPU ")
                os.sched_setaffinity(int(tid), {cores[0]} if vcpu else set(cores[1:]))
                vcpus += vcpu
            except OSError:
                pass                  # gone, or not ours to move
    if vcpus != 1:
        return None
    return "the vCPU on host core %d, QEMU's other threads and the peers on %s" % (
        cores[0], ",".join(str(c) for c in cores[1:]))


def thread_times(pid):
    """CPU seconds (user + system) of pid as a whole and per thread kind:
    {"total": s, "vcpu": s, "main": s, "other": s}."""
    out = {"total": 0.0, "vcpu": 0.0, "main": 0.0, "other": 0.0}
    try:
        with open("/proc/%d/stat" % pid) as f:
            out["total"] = stat_seconds(f.read())
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                data = f.read()
        except OSError:
            continue                  # the thread just exited
        name = data[data.index("(") + 1:data.rindex(")")]
        kind = ("vcpu" if name.startswith("CPU ") else
                "main" if name.startswith("qemu-system") else "other")
        out[kind] += stat_seconds(data)
    return out


def stat_seconds(data):
    """utime + stime of one /proc stat line, in seconds."""
    f = data[data.rindex(")") + 2:].split()
    return (int(f[11]) + int(f[12])) / CLK_TCK


def cpu_delta(before, after, wall):
    """Percent of one host core used per thread kind over wall seconds."""
    return {k: round(100.0 * (after[k] - before[k]) / wall, 1) for k in after}


def foreign_qemus(ours):
    """PIDs of QEMU processes that are not ours (other users of the host)."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) in ours:
            continue
        try:
            with open("/proc/%s/comm" % d) as f:
                if f.read().startswith("qemu-system"):
                    pids.append(int(d))
        except OSError:
            pass
    return pids


def wait_quiet(limit):
    """Wait up to limit seconds for other QEMUs to exit."""
    deadline = time.monotonic() + limit
    while foreign_qemus(set()) and time.monotonic() < deadline:
        time.sleep(2)


class Peers:
    """bench/peer.py's three roles, each its own process on its own port;
    the echo role records ping arrivals in LOG.echo.json (see peer.py)."""

    def __init__(self, log, fwdport):
        self.log = log
        self.ports = dict(zip(("echo", "sink", "source", "decho"), free_udp_ports(4)))
        self.fwdport = fwdport
        self.record = log.path + ".echo.json"
        self.procs = []
        self.sock = None

    def start(self):
        """Start the roles; their output goes to LOG.peers."""
        with open(self.log.path + ".peers", "a") as out:
            for role, port in self.ports.items():
                argv = [sys.executable, os.path.join(BENCH, "peer.py"),
                        "echo" if role == "decho" else role,
                        str(port), "--fwdport", str(self.fwdport)]
                if role == "echo":
                    argv += ["--record", self.record]
                if role == "decho":
                    argv += ["--delay-us", str(ECHO_DELAY_US)]
                self.log.line("[bench] " + " ".join(argv))
                self.procs.append(subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL, stdout=out,
                    stderr=subprocess.STDOUT, start_new_session=True))
        time.sleep(0.5)
        for p in self.procs:
            if p.poll() is not None:
                raise TestFailure("bench/peer.py exited at start (see %s.peers)"
                                  % self.log.path)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))

    def echo_ask(self, verb, tag):
        """Send "?VERB TAG" to the echo role and wait for "!VERB TAG"."""
        for _ in range(3):
            self.sock.sendto(("?%s %s" % (verb, tag)).encode(),
                             ("127.0.0.1", self.ports["echo"]))
            self.sock.settimeout(1.0)
            try:
                while self.sock.recv(2048).decode().split() != ["!" + verb, tag]:
                    pass
                return True
            except (socket.timeout, UnicodeDecodeError):
                pass
        return False

    def echo_gaps(self, tag):
        """Microseconds between successive ping arrivals since ?mark tag."""
        if not self.echo_ask("save", tag):
            return None
        with open(self.record) as f:
            t = json.load(f)
        return [round((b - a) * 1e6, 1) for a, b in zip(t, t[1:])]

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.procs = []
        if self.sock:
            self.sock.close()


# ---- the guest side --------------------------------------------------------

def parse_result(out):
    """The key=value pairs of the RESULT line in a command's output, numbers
    as int or float; None if there is no RESULT line."""
    for line in out.splitlines():
        if line.startswith("RESULT "):
            res = {}
            for word in line.split()[1:]:
                k, _, v = word.partition("=")
                try:
                    res[k] = float(v) if "." in v else int(v)
                except ValueError:
                    res[k] = v
            return res
    return None


class Guest:
    """One booted configuration: runs commands and records every result as
    an entry of data["runs"]: {boot, round, mode, point, result | error}.
    A point that fails on its first try is taken as a feature this kernel
    lacks and is not tried again in this boot (the report lists it)."""

    def __init__(self, boot, q, peers, data, others=()):
        self.boot, self.q, self.peers, self.data = boot, q, peers, data
        self.others = list(others)    # more guests of this boot: switched with q
        self.round, self.mode = None, boot.modes[0]
        self.tried, self.skip = set(), set()

    def record(self, point, result=None, error=None, **extra):
        ours = {x.proc.pid for x in [self.q] + self.others}
        entry = dict(boot=self.boot.name, round=self.round, mode=self.mode, point=point,
                     others=len(foreign_qemus(ours)), **extra)
        if result is not None:
            entry["result"] = result
        else:
            entry["error"] = error
            if point not in self.tried:
                self.skip.add(point)
            progress("  %s %s: %s" % (self.mode, point, error))
        self.tried.add(point)
        self.data["runs"].append(entry)
        return result

    def udpbench(self, point, args, need=None, prog="udpbench"):
        """Run `udpbench ARGS` (or `PROG ARGS`: tcpbench) and record its
        RESULT under point; need: a key the RESULT must have (the mark of
        a feature)."""
        if point in self.skip:
            return None
        if not self.q.alive():
            raise TestFailure("QEMU is gone")
        cmd = "%s %s" % (prog, args)
        t0 = time.monotonic()
        try:
            out = self.q.run(cmd, timeout=RUN_TIMEOUT)
        except TestFailure as e:
            out = "harness: %s" % e
        wall = round(time.monotonic() - t0, 3)
        res = parse_result(out)
        lines = out.strip().splitlines() or ["no output"]
        if res is None:
            why = "no such option or test" if "usage:" in out else lines[-1][:200]
            return self.record(point, error="`%s`: %s" % (cmd, why))
        if need and need not in res:
            return self.record(point, error="`%s`: no %s= in RESULT" % (cmd, need))
        if res.get("mode", self.mode) != self.mode:
            return self.record(point, error="`%s` ran in mode %s" % (cmd, res["mode"]))
        if "got" in res and "lost" in res and res["got"] + res["lost"]:
            res["loss_pct"] = round(100.0 * res["lost"] / (res["got"] + res["lost"]), 3)
        return self.record(point, res, cmd=cmd, wall_s=wall)

    def set_mode(self, mode):
        """Switch the driver to mode with the netmode program, in every
        guest of the boot; True if each says so (a boot with one mode only
        checks it booted in that one)."""
        self.mode = mode
        if len(self.boot.modes) == 1:
            return True
        for q in [self.q] + self.others:
            out = q.run("netmode %s" % mode)
            if not out.strip().endswith("-> " + mode):
                self.record("switch", error="netmode %s: %s" % (mode, out.strip()[-200:]))
                return False
        return True

    def idle(self, settle, seconds):
        """Host CPU of QEMU with the guest idle at the shell prompt, after
        settle seconds (poll mode's net thread sleeps after 200 ms idle)."""
        pid = self.q.proc.pid
        time.sleep(settle)
        c0 = thread_times(pid)
        time.sleep(seconds)
        self.record("idle", cpu_delta(c0, thread_times(pid), seconds))

    def shell(self, n=5):
        """Median Enter-to-prompt time of `echo x`, in us."""
        rtts = []
        for _ in range(n):
            self.q.run("echo x")
            rtts.append(self.q.last_rtt * 1e6)
        self.record("shell", dict(rtt_us=round(statistics.median(rtts), 1)))


def probe(g, name, plan):
    """Run probe name (see the docstring) in the guest's current mode."""
    p = g.peers.ports
    if name == "lat" and g.boot.icount:
        g.udpbench(name, "lat -n %d -s %d -p %d" % (plan["icount_lat_n"], SIZE, p["decho"]),
                   need="insn_per_op")
    elif name == "sys":
        g.udpbench(name, "sys -n %d" % plan["sys_n"], need="insn_per_op")
    elif name == "rxslow":
        g.udpbench("rx@%d" % ICOUNT_RX_RATE, "rx -n %d -s %d -r %d -p %d"
                   % (plan["icount_rx_n"], SIZE, ICOUNT_RX_RATE, p["source"]),
                   need="insn_per_op")
    elif name in ("lat", "busy"):
        tag = "%s-%s-%s-%d" % (g.boot.name, g.mode, name, g.round)
        marked = g.peers.echo_ask("mark", tag)
        busy = " -B %d" % BUSY_US if name == "busy" else ""
        res = g.udpbench(name, "lat -n %d -s %d%s -p %d" % (plan["lat_n"], SIZE, busy,
                                                            p["echo"]))
        gaps = g.peers.echo_gaps(tag) if marked else None
        if res is not None and gaps:
            g.data["runs"][-1]["gaps_us"] = gaps
    elif name in ("tx", "txb"):
        batch = " -b %d" % BATCH if name == "txb" else ""
        n = plan["icount_tx_n"] if g.boot.icount else plan["tx_n"]
        g.udpbench(name, "tx -n %d -s %d%s -p %d" % (n, SIZE, batch, p["sink"]),
                   need="batch" if batch else None)
    elif name in ("rx", "rx10k"):
        for rate in plan["rx_rates"] if name == "rx" else (10000,):
            g.udpbench("rx@%d" % rate, "rx -n %d -s %d -r %d -p %d"
                       % (int(rate * plan["rx_s"]), SIZE, rate, p["source"]))
    elif name == "rxb":
        for rate in (25000, 0):
            n = int((rate or 25000) * plan["rx_s"])
            g.udpbench("rxb@%d" % rate, "rx -n %d -s %d -r %d -b %d -p %d"
                       % (n, SIZE, rate, BATCH, p["source"]), need="batch")
    elif name == "idle":
        g.idle(plan["settle_s"], plan["idle_s"])
    elif name == "shell":
        g.shell()
    elif name == "ceiling" and g.boot.tap:
        g.udpbench("ceiling", "ceiling -n %d -s %d -p %d" % (plan["tap_ceiling_n"], TCP_FRAME,
                                                             p["sink"]), need="rx_per_s")
    elif name == "ceiling":
        g.udpbench("ceiling", "ceiling -n %d -s %d -p %d" % (plan["ceiling_n"], SIZE,
                                                             p["sink"]), need="rx_per_s")
    elif name.startswith("tcp_"):
        tcp_probe(g, name, plan)
    elif name == "http_conn":
        http_conn(g, plan)
    elif name in ("gg", "gh"):
        far = "-a %s -p %d" % (g.peers.serve_addr, p["serve"]) if name == "gg" \
            else "-p %d" % p["echo"]
        pids = [q.proc.pid for q in [g.q] + g.others]
        c0, t0 = [thread_times(pid) for pid in pids], time.monotonic()
        res = g.udpbench(name, "lat -n %d -s %d %s" % (plan["lan_n"], SIZE, far))
        wall = time.monotonic() - t0
        if res is not None:
            # Host CPU of each guest's QEMU (guest 1's first) during the run.
            g.data["runs"][-1]["qemu_cpu"] = [cpu_delta(c, thread_times(pid), wall)
                                              for c, pid in zip(c0, pids)]


def tcp_probe(g, name, plan):
    """The TAP boots' TCP probes (tcpbench against bench/tcp.py in the
    namespace). tcp_bulk: send and receive at tcp_loss_bytes on the clean
    relay; tcp_lossy: the same with TCP_LOSS set on the relay (each way),
    recorded as tcp_send@loss and tcp_recv@loss, the relay clean again
    after."""
    port = g.peers.ports["tcp"]
    tcp = lambda point, args: g.udpbench(point, "%s -p %d" % (args, port),  # noqa: E731
                                         prog="tcpbench")
    if name in ("tcp_send", "tcp_recv"):
        tcp(name, "%s -n %d" % (name[4:], plan["tcp_bytes"]))
    elif name == "tcp_rr":
        tcp(name, "rr -n %d" % plan["tcp_rr_n"])
    elif name == "tcp_conn":
        tcp(name, "conn -n %d" % plan["tcp_conn_n"])
    elif name in ("tcp_bulk", "tcp_lossy"):
        tag = "@loss" if name == "tcp_lossy" else ""
        if tag:
            g.peers.bed.impair(loss=TCP_LOSS)
        try:
            for d in ("send", "recv"):
                tcp("tcp_%s%s" % (d, tag), "%s -n %d" % (d, plan["tcp_loss_bytes"]))
        finally:
            if tag:
                g.peers.bed.impair(loss=0)


def http_conn(g, plan):
    """Connections/s to the guest's httpd from Linux in the namespace
    (HTTP_CLIENT: connect, GET HTTP_FILE, close), recorded as http_conn."""
    if "http_conn" in g.skip:
        return
    try:
        r = g.peers.bed.run([sys.executable, "-c", HTTP_CLIENT, g.peers.guest_ip,
                             str(plan["http_conn_n"]), "/" + HTTP_FILE], timeout=RUN_TIMEOUT)
        res = json.loads(r.stdout.strip().splitlines()[-1])
    except (subprocess.TimeoutExpired, ValueError, IndexError) as e:
        g.record("http_conn", error="the namespace's HTTP client: %r" % e)
        return
    if res["failed"]:
        g.record("http_conn", error="%d of %d connections to httpd failed" %
                 (res["failed"], res["n"]))
    else:
        g.record("http_conn", res)


def run_rounds(g, rounds, plan):
    """The rounds of one visit: every mode, order rotated per round."""
    modes = g.boot.modes
    for r in rounds:
        g.round = r
        order = modes[r % len(modes):] + modes[:r % len(modes)]
        progress("  round %d: %s" % (r + 1, " ".join(order)))
        for mode in order:
            if not g.set_mode(mode):
                continue
            for name in g.boot.probes:
                if name != "ceiling":
                    probe(g, name, plan)
        if "ceiling" in g.boot.probes:
            probe(g, "ceiling", plan)


def visit(boot, rounds, plan, root, log, data, layout=None):
    """Boot once, warm up, run the given rounds. Errors are recorded, not
    raised: the other boots still run. layout: the folder with this boot's
    kernel and fs.img (build_layouts), None for root's own."""
    fwdport, fwdport2 = free_udp_ports(2)
    peers = Peers(log, fwdport)
    q = None
    tmp = tempfile.mkdtemp(prefix="xv6bench-")
    try:
        img = os.path.join(tmp, "fs.img")
        shutil.copyfile(os.path.join(layout or root, "fs.img"), img)
        peers.start()
        makevars = dict(NETMODE=boot.modes[0], CPUS=boot.cpus, FSIMG=img,
                        PCAP="off", FWDPORT=fwdport, FWDPORT2=fwdport2,
                        SERVERPORT=peers.ports["echo"], E1000_MITIGATION=boot.mitigation)
        if boot.icount:
            makevars["ICOUNT"] = "on"
        q = BenchQemu(log, makevars, root,
                      layout and os.path.join(layout, "kernel"))
        q.start()
        q.wait_boot()
        pinned = pin_qemu(q, boot)
        if pinned:
            data["meta"]["pinned"] = pinned
        # The first rx after a boot can miss its request; ARP fills here.
        q.run("udpbench lat -n 20 -p %d" % peers.ports["echo"], timeout=RUN_TIMEOUT)
        q.run("udpbench rx -n 20 -r 1000 -p %d" % peers.ports["source"], timeout=RUN_TIMEOUT)
        run_rounds(Guest(boot, q, peers, data), rounds, plan)
        if boot.name in STAGE_BOOTS:
            stages.after_rounds(q, peers.ports, boot, data, os.path.dirname(log.path))
    except TestFailure as e:
        data["errors"].append("%s, rounds %s: %s" % (boot.name, list(rounds), e))
        progress("  FAILED: %s (log: %s)" % (e, log.path))
    finally:
        if q is not None:
            q.quit()
        peers.stop()
        shutil.rmtree(tmp, ignore_errors=True)


class LanPeers:
    """The far ends of the lan boot's probes, as Peers' ports are for the
    others: the service node's echo (ports["echo"], reached as 10.0.2.2)
    and guest 2's `udpecho serve` (serve_addr, its DHCP address, and
    ports["serve"])."""

    def __init__(self, echo_port):
        self.ports = dict(echo=echo_port, serve=SERVE_PORT)
        self.serve_addr = None


def boot_lan(boot, lan, root, log, tmp):
    """Boot LAN_GUESTS on lan, each with its own disk copy; wait for each
    one's DHCP address and shell prompt. Returns ([Qemu], [address]); a
    guest that falls back to a static address fails the visit (two
    guests would share 10.0.2.15)."""
    qs = []
    for n in LAN_GUESTS:
        img = os.path.join(tmp, "fs-guest%d.img" % n)
        shutil.copyfile(os.path.join(root, "fs.img"), img)
        q = BenchQemu(log, dict(NETMODE=boot.modes[0], CPUS=boot.cpus, FSIMG=img,
                                PCAP="off", NET="lan", LANPORT=lan.port, GUEST=n,
                                E1000_MITIGATION=boot.mitigation), root)
        qs.append(q)
        q.start()
        if n != LAN_GUESTS[0]:
            q.proc.logfile_read = TaggedLog(log, "g%d" % n)
    addrs = []
    for n, q in zip(LAN_GUESTS, qs):
        m = q.expect(r"dhcpc: (\d+\.\d+\.\d+\.\d+)/\d+ gateway \S+ dns \S+ from ",
                     DHCP_TIMEOUT, fail=r"panic: |dhcpc: no DHCP answer")
        addrs.append(m.group(1))
        q.wait_boot()
    return qs, addrs


def visit_lan(boot, rounds, plan, root, log, data):
    """The lan boot's visit: a LAN of its own, two guests on it, guest 2
    serving UDP echo, then the rounds on guest 1 with both guests switched
    to each mode. Errors are recorded, not raised."""
    peers = LanPeers(free_udp_ports(1)[0])
    lan, qs = None, []
    tmp = tempfile.mkdtemp(prefix="xv6bench-lan-")
    try:
        lan = Lan(free_udp_run(len(LAN_GUESTS) + 1), peers.ports["echo"],
                  log=lambda line: log.line("[lan] " + line)).start()
        qs, addrs = boot_lan(boot, lan, root, log, tmp)
        peers.serve_addr = addrs[1]
        qs[1].sendline("udpecho serve %d 0 &" % SERVE_PORT)
        qs[1].expect_bg("udpecho: ready\n")
        qs[1].run("echo synced")
        # ARP fills on both sides here, and the echo path is known to work.
        for args in ("-a %s -p %d" % (peers.serve_addr, SERVE_PORT),
                     "-p %d" % peers.ports["echo"]):
            qs[0].run("udpbench lat -n 20 " + args, timeout=RUN_TIMEOUT)
        run_rounds(Guest(boot, qs[0], peers, data, others=qs[1:]), rounds, plan)
        data.setdefault("lan", []).append(dict(rounds=list(rounds), addrs=addrs,
                                               switch=dict(lan.stats)))
    except TestFailure as e:
        data["errors"].append("%s, rounds %s: %s" % (boot.name, list(rounds), e))
        progress("  FAILED: %s (log: %s)" % (e, log.path))
    finally:
        for q in qs:
            q.quit()
        if lan is not None:
            lan.close()
        shutil.rmtree(tmp, ignore_errors=True)


class TapPeers(Peers):
    """The TAP boots' far ends, in the bed's namespace (Linux as 10.0.2.2):
    bench/tcp.py and peer.py's echo and sink on NS_PORTS, bound to every
    address there. With no slirp in the way the sink's answer to the
    ceiling's ?rx goes straight back to the guest's port 2000."""

    def __init__(self, log, bed):
        self.log, self.bed = log, bed
        self.guest_ip = None      # the guest's lease from the bed's dnsmasq
        self.ports = dict(NS_PORTS)
        self.procs = []
        self.sock = None

    def start(self):
        with open(self.log.path + ".peers", "a") as out:
            for role, port in self.ports.items():
                argv = [sys.executable, "-u", os.path.join(BENCH, "tcp.py")] \
                    if role == "tcp" else \
                    [sys.executable, os.path.join(BENCH, "peer.py"), role]
                argv += [str(port), "--host", "0.0.0.0"]
                self.log.line("[bench] in %s: %s" % (self.bed.name, " ".join(argv)))
                self.procs.append(self.bed.popen(
                    argv, stdin=subprocess.DEVNULL, stdout=out,
                    stderr=subprocess.STDOUT, start_new_session=True))
        time.sleep(0.5)
        if any(p.poll() is not None for p in self.procs):
            raise TestFailure("a host role exited at start (see %s.peers)" % self.log.path)

    def echo_ask(self, verb, tag):
        """The echo is in the namespace, out of this process's reach: no
        arrival record (no CDF for the TAP boots' round trips)."""
        return False


def tap_missing():
    """Why the TAP bed cannot be brought up here (test/tapnet.py needs
    root, or unshare -rn and a /dev/net/tun this user may open), in
    words; None if it can: a bed is brought up and down to find out."""
    port, qport = free_udp_ports(2)
    try:
        tapnet.TapBed(port, qport, dhcp=False, log=lambda line: None).start().close()
    except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
        return str(e).strip().splitlines()[-1][:300] if str(e).strip() else repr(e)
    return None


def visit_tap(boot, rounds, plan, log, data, layout):
    """A TAP boot's visit: a bed of its own (direct: QEMU on tap0 itself;
    relay: through test/tapnet.py's relay, clean until tcp_lossy impairs
    it), the host roles in its namespace, one guest with its DHCP lease
    from the bed's dnsmasq, then the rounds. Errors are recorded, not
    raised."""
    port, qport = free_udp_ports(2)
    bed = peers = q = None
    tmp = tempfile.mkdtemp(prefix="xv6bench-tap-")
    try:
        img = os.path.join(tmp, "fs.img")
        shutil.copyfile(os.path.join(layout, "fs.img"), img)
        bed = tapnet.TapBed(port, qport, log=lambda line: log.line("[tap] " + line),
                            relay_log=log.path + ".relay",
                            direct=boot.tap == "direct").start()
        peers = TapPeers(log, bed)
        peers.start()
        q = BenchQemu(log, dict(NETMODE=boot.modes[0], CPUS=boot.cpus, FSIMG=img, PCAP="off",
                                NET="tap", TAPPORT=port, TAP_QEMUPORT=qport,
                                TAPRELAY="off" if bed.direct else "on",
                                E1000_MITIGATION=boot.mitigation),
                      REPO, os.path.join(layout, "kernel"))
        q.start()
        m = q.expect(r"dhcpc: (10\.0\.2\.\d+)/24 gateway ", DHCP_TIMEOUT,
                     fail=r"panic: |dhcpc: no DHCP answer")
        peers.guest_ip = m.group(1)
        q.wait_boot()
        pinned = pin_qemu(q, boot)
        if pinned:
            data["meta"]["pinned"] = pinned
        if "http_conn" in boot.probes:
            q.run("echo %s > %s" % (HTTP_BODY, HTTP_FILE))
            q.sendline("httpd &")
            q.expect_bg("httpd: listening on port 80\n")
        # ARP fills on both sides here, and both peers are known to answer.
        q.run("udpbench lat -n 20 -p %d" % peers.ports["echo"], timeout=RUN_TIMEOUT)
        q.run("tcpbench rr -n 10 -p %d" % peers.ports["tcp"], timeout=RUN_TIMEOUT)
        run_rounds(Guest(boot, q, peers, data), rounds, plan)
    except (TestFailure, RuntimeError, OSError, ValueError) as e:
        data["errors"].append("%s, rounds %s: %s" % (boot.name, list(rounds), e))
        progress("  FAILED: %s (log: %s)" % (e, log.path))
    finally:
        if q is not None:
            q.quit()
        if peers is not None:
            peers.stop()
        if bed is not None:
            bed.close()
        shutil.rmtree(tmp, ignore_errors=True)


def build_layouts(kmaps, tmp, log):
    """Build this tree's kernel (NETMODE=intr) for each KMAP in kmaps and
    keep each kernel and fs.img in a folder of its own, tmp/kmap-K, so
    that boots of both layouts can alternate. The default is built last:
    the tree is left as a plain `make` leaves it. Returns {kmap: folder}."""
    out = {}
    for kmap in sorted(kmaps, key=lambda k: k == DEFAULT_KMAP):
        build("intr", log, kmap)
        out[kmap] = os.path.join(tmp, "kmap-" + kmap)
        os.makedirs(out[kmap])
        shutil.copyfile(os.path.join(REPO, "kernel", "kernel"), os.path.join(out[kmap], "kernel"))
        shutil.copyfile(os.path.join(REPO, "fs.img"), os.path.join(out[kmap], "fs.img"))
    return out


def build_baseline(rev, tmp, log):
    """Build rev's tree (NETMODE=poll) in tmp; returns its root or None."""
    root = os.path.join(tmp, "baseline")
    os.makedirs(root)
    archive = subprocess.run(["git", "archive", rev], cwd=REPO, stdout=subprocess.PIPE)
    if archive.returncode or subprocess.run(["tar", "-x", "-C", root],
                                            input=archive.stdout).returncode:
        return None
    r = subprocess.run(make_command(["NETMODE=poll"]), cwd=root, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    log.line(r.stdout)
    return root if r.returncode == 0 else None


def baseline_missing(rev, root=REPO):
    """Why commit rev cannot be built as the baseline from the tree at
    root (a copy without the git history: a tarball, a shallow clone), in
    words; None if it can."""
    def git(*a):
        try:
            return subprocess.run(["git", *a], cwd=root, text=True,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL)
        except OSError:
            return None
    top = git("rev-parse", "--show-toplevel")
    if top is None:
        return "git is not installed"
    # A tarball unpacked inside another repository is not that repository.
    if top.returncode or os.path.realpath(top.stdout.strip()) != os.path.realpath(root):
        return "this copy has no git history (not a git repository)"
    if git("rev-parse", "--verify", "--quiet", rev + "^{commit}").returncode == 0:
        return None
    if git("rev-parse", "--is-shallow-repository").stdout.strip() == "true":
        return ("commit %s is not in this shallow clone (`git fetch --unshallow` "
                "fetches the history)" % rev)
    return "there is no commit %s in this repository" % rev


def choose_boots(args, root=REPO):
    """The boots to run for args (--only, --baseline), and the lines to say
    about what is skipped.  A default baseline this copy lacks is skipped
    (the transmit comparison with it is not made; the rest of the run is
    unaffected); one named with --baseline is an error.  Raises ValueError
    with the reason if nothing can run."""
    boots = [b for b in BOOTS if not args.only or b.name in args.only]
    skipped = []
    if args.baseline != "none" and any(b.tree == "baseline" for b in boots):
        why = baseline_missing(args.baseline, root)
        if why and args.baseline != BASELINE:
            raise ValueError("--baseline %s: %s" % (args.baseline, why))
        if why:
            skipped.append("baseline: %s, so the transmit comparison with it is "
                           "skipped (BASELINE=REV compares with another commit, "
                           "BASELINE=none skips it without this note)" % why)
    if args.baseline == "none" or skipped:
        boots = [b for b in boots if b.tree != "baseline"]
    if not boots:
        raise ValueError(skipped[0] if skipped else
                         "no boot named %s" % " ".join(args.only))
    return boots, skipped


def skip_tap(boots):
    """(boots, lines): the TAP boots left out, with a line saying why, if
    no TAP bed can be brought up here (tap_missing)."""
    tap = [b.name for b in boots if b.tap]
    why = tap and tap_missing()
    if not why:
        return boots, []
    return [b for b in boots if not b.tap], [
        "%s: no TAP bed here (%s), so the TCP rows are skipped; test/tapnet.py needs "
        "root, or unshare -rn and a /dev/net/tun this user may open" % (" ".join(tap), why)]


def run_all(boots, plan, args, outdir, data):
    """Build, then visit the boots in turn; the boot order rotates per visit."""
    log = Log(os.path.join(outdir, "bench.log"))
    tmp = tempfile.mkdtemp(prefix="xv6bench-base-")
    try:
        layouts = build_layouts({b.kmap for b in boots if b.tree == "current"}, tmp, log)
        roots = {"current": REPO}
        if any(b.tree == "baseline" for b in boots):
            progress("building the baseline tree %s" % args.baseline)
            roots["baseline"] = build_baseline(args.baseline, tmp, log)
            if roots["baseline"] is None:
                data["errors"].append("baseline: could not build %s" % args.baseline)
                boots = [b for b in boots if b.tree != "baseline"]
        for v in range(plan["visits"]):
            for boot in boots[v % len(boots):] + boots[:v % len(boots)]:
                nv = min(plan["lan_visits"] if boot.lan else
                         plan["tap_visits"] if boot.tap else plan["visits"], plan["rounds"])
                if v >= nv:
                    continue
                per = plan["rounds"] // nv
                rounds = range(v * per, plan["rounds"] if v == nv - 1 else (v + 1) * per)
                wait_quiet(args.wait_quiet)
                progress("visit %d/%d: %s" % (v + 1, nv, boot.title))
                if boot.lan:
                    visit_lan(boot, rounds, plan, roots[boot.tree], log, data)
                elif boot.tap:
                    visit_tap(boot, rounds, plan, log, data, layouts[boot.kmap])
                else:
                    visit(boot, rounds, plan, roots[boot.tree], log, data,
                          layouts.get(boot.kmap) if boot.tree == "current" else None)
    finally:
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


# ---- main --------------------------------------------------------------------------

def host_meta(args, started):
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    qemu = subprocess.run(["qemu-system-riscv64", "--version"], stdout=subprocess.PIPE,
                          text=True).stdout.splitlines()[0]
    git = lambda *a: subprocess.run(["git", *a], cwd=REPO, text=True,  # noqa: E731
                                    stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL).stdout.strip()
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return dict(command=" ".join(["bench/run.py"] + sys.argv[1:]), host=platform.node(),
                cpu=cpu, nproc=os.cpu_count(), qemu=qemu,
                kernel=platform.system() + " " + platform.release(),
                tree=(git("rev-parse", "--short", "HEAD") or "no commit") +
                (" + local changes" if dirty else ""), baseline=args.baseline,
                started=started.strftime("%Y-%m-%d %H:%M:%S"),
                loadavg=tuple(round(x, 2) for x in os.getloadavg()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer, shorter rounds (< 5 min)")
    ap.add_argument("--rounds", type=int, help="rounds per comparison")
    ap.add_argument("--only", nargs="+", metavar="BOOT",
                    help="boots to run: " + " ".join(b.name for b in BOOTS))
    ap.add_argument("--baseline", default=BASELINE, metavar="REV",
                    help="commit whose tx the target compares with (none: skip)")
    ap.add_argument("--save", action="store_true", help="also write bench/results/latest.*")
    ap.add_argument("--no-pin", action="store_true",
                    help="leave a CPUS=1 guest's QEMU threads to the host's scheduler")
    ap.add_argument("--wait-quiet", type=int, default=0, metavar="S",
                    help="before each boot wait up to S s for other QEMUs to exit")
    args = ap.parse_args()
    global PIN
    PIN = not args.no_pin

    plan = dict(PLANS["quick" if args.quick else "full"], size=SIZE, busy_us=BUSY_US,
                batch=BATCH, tcp_loss=TCP_LOSS, tcp_frame=TCP_FRAME)
    if args.rounds:
        plan["rounds"] = args.rounds
        plan["visits"] = min(plan["visits"], args.rounds)
        plan["lan_visits"] = min(plan["lan_visits"], args.rounds)
        plan["tap_visits"] = min(plan["tap_visits"], args.rounds)
    try:
        boots, skipped = choose_boots(args)
    except ValueError as e:
        ap.error(str(e))
    boots, more = skip_tap(boots)
    skipped += more
    if not boots:
        ap.error(skipped[-1])
    for line in skipped:
        progress(line)
    subprocess.run(make_command(["checkdeps"]), cwd=REPO, check=True)
    started = datetime.datetime.now()
    outdir = os.path.join(OUT, "run-" + started.strftime("%Y%m%d-%H%M%S"))
    os.makedirs(outdir)
    data = dict(meta=host_meta(args, started), plan=plan, runs=[], errors=[],
                skipped=skipped, boots=[dict(name=b.name, title=b.title, modes=b.modes,
                                        kmap=b.kmap, icount=b.icount)
                                        for b in boots])
    t0 = time.monotonic()
    try:
        run_all(boots, plan, args, outdir, data)
    finally:
        data["meta"]["seconds"] = round(time.monotonic() - t0, 1)
        if data.get("stages"):
            stages.plot(data["stages"], os.path.join(outdir, "stages.png"),
                        "CPUS=1, mitigation off, each mode and layout")
        report.write(data, outdir, args.save)
    print(open(os.path.join(outdir, "report.md")).read().split("## The ceiling")[0])
    for line in skipped:
        progress(line)
    # What was skipped up front is not an error: only errors fail the run.
    return 1 if data["errors"] else 0


if __name__ == "__main__":
    run_main(main)
