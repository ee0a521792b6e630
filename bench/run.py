#!/usr/bin/env python3
"""xv6-netpoll's UDP benchmarks: the same matrix in every driver mode.

    python3 bench/run.py [--quick] [--reps N] [--only NAME ...]
                         [--wait-quiet SECONDS] [--plot FILE.json]
    (or: make bench [QUICK=1])

For each configuration (NETMODE x E1000 mitigation x CPUS, see CONFIGS) it
builds the kernel, boots it in QEMU with the capture off (PCAP=off), starts
bench/peer.py's echo, sink and source roles on free host ports, and runs
user/udpbench in the guest:

  idle  host CPU time of the QEMU process while the network is idle
  lat   ping-pong round trips, payload sizes 64, 512, 1472
  tx    guest -> host as fast as the guest can send
  rx    host -> guest, source at full speed, then at increasing rates
  spare a compute loop's speed, idle and while the host floods the guest

Each point is repeated (--reps, 3 by default) for a median and a spread.
Results: raw JSON in bench/results/bench-DATE.json (and latest.json), a
Markdown report in bench/results/latest.md, PNG plots next to it when
matplotlib is available (Debian: python3-matplotlib; the preflight installs
it when run as root).

Benchmarks on a shared host measure the host too: the report records the
load average and any other QEMU processes seen; --wait-quiet waits for the
others to finish before each configuration.

Python 3 standard library only (matplotlib optional, for the plots).
"""

import sys
sys.dont_write_bytecode = True

import argparse
import datetime
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(BENCH), "test"))
from qemu import REPO, Log, Qemu, TestFailure, build, free_udp_ports  # noqa: E402

RESULTS = os.path.join(BENCH, "results")
CLK_TCK = os.sysconf("SC_CLK_TCK")
SIZES = (64, 512, 1472)


class Config:
    """One way to build and boot the kernel. full: run the whole matrix;
    otherwise only idle CPU and latency."""

    def __init__(self, name, netmode, mitigation, cpus, full):
        self.name, self.netmode, self.mitigation = name, netmode, mitigation
        self.cpus, self.full = cpus, full


# Grouped by NETMODE so that each mode is built once.
CONFIGS = [
    Config("intr-mit", "intr", "on", 1, True),
    Config("intr-nomit", "intr", "off", 1, True),
    Config("intr-mit-3cpu", "intr", "on", 3, False),
    Config("intr-nomit-3cpu", "intr", "off", 3, False),
    Config("poll", "poll", "on", 1, True),
    Config("poll-3cpu", "poll", "on", 3, False),
    Config("hybrid", "hybrid", "on", 1, True),
    Config("hybrid-3cpu", "hybrid", "on", 3, False),
]

# How much of everything: (full run, --quick).
PLAN = {
    False: dict(reps=3, lat_n=2000, tx_n=20000, rx_n=20000, idle_s=5.0,
                rx_rates=(5000, 10000, 20000, 30000, 40000, 60000),
                rx_rate_s=1.0, spare_ms=2000,
                flood_rates=(10000, 25000, 50000)),
    True: dict(reps=1, lat_n=300, tx_n=5000, rx_n=5000, idle_s=3.0,
               rx_rates=(5000, 10000, 25000, 50000), rx_rate_s=0.5,
               spare_ms=1000, flood_rates=(25000, 50000)),
}
RETRIES_IF_SHARED = 3   # --wait-quiet: re-measure a point other QEMUs disturbed
SETTLE_S = 1.0          # idle time before the idle CPU measurement starts
RUN_TIMEOUT = 180       # seconds for one udpbench command, a ceiling


def progress(msg):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


# ---- the host side ---------------------------------------------------------

class BenchQemu(Qemu):
    """Qemu with named threads (vCPUs show as "CPU n/TCG" in /proc), so the
    host CPU time can be split between the guest's harts and QEMU's own
    main loop (where slirp and the e1000 model's receive side run)."""

    def command(self):
        return super().command() + ["-name", "xv6,debug-threads=on"]


def thread_times(pid):
    """CPU seconds (user + system) of pid as a whole and per thread name:
    ({"total": s, "vcpu": s, "main": s, "other": s})."""
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


def wait_quiet(limit, ours):
    """Wait up to limit seconds for other QEMUs to exit. Returns how many
    are still running."""
    deadline = time.monotonic() + limit
    others = foreign_qemus(ours)
    if others and limit > 0:
        progress("waiting up to %d s for %d other QEMU process(es) to finish"
                 % (limit, len(others)))
    while others and time.monotonic() < deadline:
        time.sleep(2)
        others = foreign_qemus(ours)
    return len(others)


class Peers:
    """bench/peer.py's three roles, each its own process on its own port."""

    def __init__(self, log, fwdport):
        self.log = log
        self.ports = dict(zip(("echo", "sink", "source"), free_udp_ports(3)))
        self.fwdport = fwdport
        self.procs = []

    def start(self):
        """Start the roles; their output goes to LOG.peers."""
        with open(self.log.path + ".peers", "a") as out:
            for role, port in self.ports.items():
                argv = [sys.executable, os.path.join(BENCH, "peer.py"), role,
                        str(port), "--fwdport", str(self.fwdport)]
                self.log.line("[bench] " + " ".join(argv))
                self.procs.append(subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL, stdout=out,
                    stderr=subprocess.STDOUT, start_new_session=True))
        time.sleep(0.5)
        for p in self.procs:
            if p.poll() is not None:
                raise TestFailure("bench/peer.py exited at start (see %s.peers)"
                                  % self.log.path)

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


class Flood:
    """Asks the source role, from the host, to send to the guest's port 2000
    (which nobody in the guest listens on, so the stack drops them after
    full processing) while the guest runs something else."""

    def __init__(self, port):
        self.port = port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.run = None

    def start(self, n, size, rate):
        self.run = random.randrange(1, 10 ** 9)
        msg = ("?flood %d %d %d %d" % (self.run, n, size, rate)).encode()
        self.sock.settimeout(2.0)
        for _ in range(3):
            self.sock.sendto(msg, ("127.0.0.1", self.port))
            if self._await("!flood", 2.0):
                return
        raise TestFailure("the source role does not answer ?flood")

    def wait_done(self, timeout):
        return self._await("!done", timeout)

    def _await(self, verb, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = self.sock.recv(2048).decode("ascii", "replace").split()
            except socket.timeout:
                return False
            if len(data) >= 2 and data[0] == verb and data[1] == str(self.run):
                return True
        return False

    def close(self):
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


class Session:
    """One booted configuration: runs udpbench commands and records every
    result, with the QEMU process's host CPU use during each. With
    wait_quiet, a command during which another QEMU ran on the host is
    measured again (up to RETRIES_IF_SHARED times) once the host is quiet;
    a point that stays disturbed is recorded with "others" > 0."""

    def __init__(self, cfg, q, peers, record, wait_quiet):
        self.cfg, self.q, self.peers, self.record = cfg, q, peers, record
        self.wait_quiet = wait_quiet

    def udpbench(self, test, args, flood=None, **point):
        """Run `udpbench TEST ARGS`, with the host flooding the guest first
        if flood is (n, size, rate); record its RESULT (or the error)."""
        for attempt in range(1 + (RETRIES_IF_SHARED if self.wait_quiet else 0)):
            if not self.q.alive():
                raise TestFailure("QEMU is gone")
            ours = {self.q.proc.pid}
            wait_quiet(self.wait_quiet, ours)
            others = len(foreign_qemus(ours))
            entry = self.run_once(test, args, flood, point)
            entry["others"] = max(others, len(foreign_qemus(ours)))
            if not entry["others"]:
                break
        if entry["others"]:
            self.record["others_max"] = max(self.record.get("others_max", 0),
                                            entry["others"])
        self.record["runs"].append(entry)
        return entry.get("result")

    def run_once(self, test, args, flood, point):
        cmd = "udpbench %s %s" % (test, args)
        pid = self.q.proc.pid
        if flood:
            fl = Flood(self.peers.ports["source"])
            fl.start(*flood)
            time.sleep(0.3)                      # into the steady state
        t0, c0 = time.monotonic(), thread_times(pid)
        try:
            out = self.q.run(cmd, timeout=RUN_TIMEOUT)
        except TestFailure as e:
            out = "harness: %s" % e
        wall = time.monotonic() - t0
        entry = dict(point, test=test, cmd=cmd, wall_s=round(wall, 3),
                     host_cpu_pct=cpu_delta(c0, thread_times(pid), wall))
        if flood:
            if not fl.wait_done(flood[0] / flood[2] + 10):
                progress("  flood at %d/s: no !done from the source" % flood[2])
            fl.close()
        res = parse_result(out)
        if res is None:
            entry["error"] = out.strip()[-500:]
            progress("  %s: no RESULT: %s" % (cmd, entry["error"][-200:]))
        else:
            entry["result"] = res
        return entry

    def idle_cpu(self, seconds):
        """Host CPU of QEMU with the guest idle at the shell prompt."""
        pid = self.q.proc.pid
        for attempt in range(1 + (RETRIES_IF_SHARED if self.wait_quiet else 0)):
            wait_quiet(self.wait_quiet, {pid})
            time.sleep(SETTLE_S)
            c0 = thread_times(pid)
            time.sleep(seconds)
            pct = cpu_delta(c0, thread_times(pid), seconds)
            if not foreign_qemus({pid}):
                break
        self.record["idle_cpu_pct"] = pct
        progress("  idle: QEMU uses %.1f%% of a core (vCPUs %.1f%%, main loop "
                 "%.1f%%) after %.0f s idle" % (pct["total"], pct["vcpu"],
                                                pct["main"], SETTLE_S))


def run_matrix(s, plan):
    """The measurements of one booted configuration."""
    p = s.peers.ports
    s.udpbench("lat", "-n 20 -p %d" % p["echo"], warmup=True)
    s.udpbench("rx", "-n 20 -r 1000 -p %d" % p["source"], warmup=True)
    s.idle_cpu(plan["idle_s"])
    for rep in range(plan["reps"]):
        s.udpbench("sys", "-n 50000", rep=rep)
        progress("  rep %d/%d: lat%s" % (rep + 1, plan["reps"],
                                         ", tx, rx" if s.cfg.full else ""))
        for size in SIZES:
            s.udpbench("lat", "-n %d -s %d -p %d" % (plan["lat_n"], size, p["echo"]),
                       size=size, rep=rep)
            if not s.cfg.full:
                continue
            s.udpbench("tx", "-n %d -s %d -p %d" % (plan["tx_n"], size, p["sink"]),
                       size=size, rep=rep)
            s.udpbench("rx", "-n %d -s %d -p %d" % (plan["rx_n"], size, p["source"]),
                       size=size, rep=rep, rate=0)
        if s.cfg.full:
            run_rates(s, plan, rep)
            run_spare(s, plan, rep)


def run_rates(s, plan, rep):
    """rx of 64-byte datagrams at increasing offered rates."""
    for rate in plan["rx_rates"]:
        n = int(rate * plan["rx_rate_s"])
        s.udpbench("rx", "-n %d -s 64 -r %d -p %d" % (n, rate, s.peers.ports["source"]),
                   size=64, rep=rep, rate=rate)


def run_spare(s, plan, rep):
    """The compute loop, idle and under host floods of 64-byte datagrams."""
    ms = plan["spare_ms"]
    progress("  rep %d/%d: spare, idle and under floods of %s/s"
             % (rep + 1, plan["reps"], ", ".join(map(str, plan["flood_rates"]))))
    s.udpbench("spare", "-t %d" % ms, rep=rep, rate=0)
    for rate in plan["flood_rates"]:
        n = int(rate * (ms / 1000.0 + 1.0))      # outlasts the loop
        s.udpbench("spare", "-t %d" % ms, flood=(n, 64, rate), rep=rep, rate=rate)


def run_config(cfg, plan, args, log):
    """Build, boot and measure one configuration. Returns its record."""
    record = dict(name=cfg.name, netmode=cfg.netmode, mitigation=cfg.mitigation,
                  cpus=cfg.cpus, full=cfg.full, runs=[], errors=[])
    fwdport, fwdport2 = free_udp_ports(2)
    peers = Peers(log, fwdport)
    q = None
    tmp = tempfile.mkdtemp(prefix="xv6bench-")
    try:
        record["others_before"] = wait_quiet(args.wait_quiet, {os.getpid()})
        record["loadavg_before"] = os.getloadavg()
        build(cfg.netmode, log)
        img = os.path.join(tmp, "fs.img")
        shutil.copyfile(os.path.join(REPO, "fs.img"), img)
        peers.start()
        q = BenchQemu(log, dict(NETMODE=cfg.netmode, CPUS=cfg.cpus, FSIMG=img,
                                PCAP="off", FWDPORT=fwdport, FWDPORT2=fwdport2,
                                SERVERPORT=peers.ports["echo"],
                                E1000_MITIGATION=cfg.mitigation))
        q.start()
        record["qemu_cmd"] = " ".join(q.command())
        q.wait_boot()
        run_matrix(Session(cfg, q, peers, record, args.wait_quiet), plan)
        record["others_after"] = len(foreign_qemus({q.proc.pid}))
    except TestFailure as e:
        record["errors"].append(str(e))
        progress("  FAILED: %s (log: %s)" % (e, log.path))
    finally:
        if q is not None:
            q.quit()
        peers.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    record["loadavg_after"] = os.getloadavg()
    return record


# ---- summary ---------------------------------------------------------------

def runs(rec, test, **match):
    """rec's non-warmup runs of test whose point matches; only those no
    other QEMU disturbed, if there are any."""
    out = [r for r in rec["runs"] if r["test"] == test and not r.get("warmup")
           and "result" in r and all(r.get(k) == v for k, v in match.items())]
    clean = [r for r in out if not r.get("others")]
    return clean or out


def points(rec, test, **match):
    """The RESULT dicts of runs(rec, test, **match)."""
    return [r["result"] for r in runs(rec, test, **match)]


def stat(results, key):
    """(median, min, max) of key over results, or None."""
    vals = [r[key] for r in results if isinstance(r.get(key), (int, float))]
    if not vals:
        return None
    return statistics.median(vals), min(vals), max(vals)


def loss_pct(results):
    """Median loss in percent of what was sent."""
    vals = []
    for r in results:
        sent = r.get("got", 0) + r.get("lost", 0)
        if sent:
            vals.append(100.0 * r.get("lost", 0) / sent)
    return statistics.median(vals) if vals else None


def fmt(st, scale=1.0, digits=0, spread=True):
    if st is None:
        return "-"
    m, lo, hi = (x * scale for x in st)
    f = "%%.%df" % digits
    if not spread or lo == hi:
        return f % m
    return (f + " (" + f + "-" + f + ")") % (m, lo, hi)


def summarize(data):
    """Per-configuration medians the report and the plots use."""
    summ = {}
    for rec in data["configs"]:
        s = summ[rec["name"]] = {"idle": rec.get("idle_cpu_pct", {})}
        # A compute loop should keep its vCPU thread at ~100% of a host
        # core; much less means the host was busy with something else.
        loops = [r["host_cpu_pct"]["vcpu"] for r in runs(rec, "spare", rate=0)]
        s["loop_vcpu"] = statistics.median(loops) if loops else None
        s["sys"] = stat(points(rec, "sys"), "call_us")
        for size in SIZES:
            s["lat", size] = stat(points(rec, "lat", size=size), "p50_us")
            s["lat99", size] = stat(points(rec, "lat", size=size), "p99_us")
            s["tx", size] = stat(points(rec, "tx", size=size), "dgrams_per_s")
            s["txmb", size] = stat(points(rec, "tx", size=size), "mbit_per_s")
            s["txloss", size] = loss_pct(points(rec, "tx", size=size))
            s["rx", size] = stat(points(rec, "rx", size=size, rate=0), "dgrams_per_s")
            s["rxmb", size] = stat(points(rec, "rx", size=size, rate=0), "mbit_per_s")
            s["rxloss", size] = loss_pct(points(rec, "rx", size=size, rate=0))
        for rate in data["plan"]["rx_rates"]:
            res = points(rec, "rx", size=64, rate=rate)
            s["rxr", rate] = stat(res, "dgrams_per_s")
            s["rxrloss", rate] = loss_pct(res)
        base = stat(points(rec, "spare", rate=0), "iters_per_s")
        s["spare_base"] = base
        gbase = guest_speed(rec, 0)
        for rate in data["plan"]["flood_rates"]:
            res = points(rec, "spare", rate=rate)
            st = stat(res, "iters_per_s")
            s["spare", rate] = (st[0] / base[0] * 100.0) if st and base else None
            g = guest_speed(rec, rate)
            s["spare_guest", rate] = g / gbase * 100.0 if g and gbase else None
            s["spare_vcpu", rate] = stat([r["host_cpu_pct"] for r in runs(rec, "spare", rate=rate)],
                                         "vcpu")
            s["spare_rx", rate] = stat(res, "rx_frames")
    return summ


def guest_speed(rec, rate):
    """Median loop speed per unit of host CPU its vCPU thread got: the
    speed the loop would have had with a host core all to itself."""
    vals = [r["result"]["iters_per_s"] / r["host_cpu_pct"]["vcpu"]
            for r in runs(rec, "spare", rate=rate) if r["host_cpu_pct"]["vcpu"] > 0]
    return statistics.median(vals) if vals else None


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def report(data):
    """The Markdown report."""
    summ = summarize(data)
    m, plan = data["meta"], data["plan"]
    names = [r["name"] for r in data["configs"]]
    full = [r["name"] for r in data["configs"] if r["full"]]
    out = ["# xv6-netpoll UDP benchmarks\n",
           "`%s` on %s: %s, %d cores, %s; %s. Started %s, took %.0f s. "
           "Load average before: %s. Tree: %s.\n"
           % (m["command"], m["host"], m["cpu"], m["nproc"], m["kernel"],
              m["qemu"], m["started"], m["seconds"], m["loadavg"], m["tree"]),
           "Medians of %d run(s), with (min-max) when there are several. "
           "Sizes are UDP payload bytes; Mbit/s counts payload only.\n"
           % plan["reps"]]
    noisy = ["%s (%d of %d)" % (r["name"], sum(1 for x in r["runs"] if x.get("others")),
                                len(r["runs"]))
             for r in data["configs"] if any(x.get("others") for x in r["runs"])]
    if noisy:
        out.append("**Warning:** other QEMU processes shared the host during some "
                   "commands (disturbed/all): %s. Where a point has undisturbed runs, "
                   "only those are used.\n" % ", ".join(noisy))
    out.append("\n## Idle host CPU of QEMU (%% of one core, %.0f s after %.0f s idle)\n\n"
               % (plan["idle_s"], SETTLE_S))
    out.append(table(["config", "total", "vCPU threads", "main loop",
                      "vCPU thread during the idle compute loop (~100 on a quiet host)",
                      "null system call, us"],
                     [(n, summ[n]["idle"].get("total", "-"), summ[n]["idle"].get("vcpu", "-"),
                       summ[n]["idle"].get("main", "-"), pct(summ[n]["loop_vcpu"]),
                       fmt(summ[n]["sys"], digits=1)) for n in names]))
    out.append("\n## Round-trip time, p50 us (p99 us), %d round trips\n\n" % plan["lat_n"])
    out.append(table(["config"] + ["%d B" % z for z in SIZES],
                     [[n] + ["%s (%s)" % (fmt(summ[n]["lat", z], digits=1),
                                          fmt(summ[n]["lat99", z], digits=0, spread=False))
                             for z in SIZES] for n in names]))
    out.append("\n## Transmit: datagrams/s (Mbit/s), loss %%, %d datagrams\n\n" % plan["tx_n"])
    out.append(table(["config"] + ["%d B" % z for z in SIZES],
                     [[n] + ["%s (%s) %s%%" % (fmt(summ[n]["tx", z]),
                                               fmt(summ[n]["txmb", z], digits=1, spread=False),
                                               pct(summ[n]["txloss", z]))
                             for z in SIZES] for n in full]))
    out.append("\n## Receive, source at full speed: delivered datagrams/s (Mbit/s), loss %\n\n")
    out.append(table(["config"] + ["%d B" % z for z in SIZES],
                     [[n] + ["%s (%s) %s%%" % (fmt(summ[n]["rx", z]),
                                               fmt(summ[n]["rxmb", z], digits=1, spread=False),
                                               pct(summ[n]["rxloss", z]))
                             for z in SIZES] for n in full]))
    out.append("\n## Receive at offered rates, 64 B: delivered datagrams/s, loss %\n\n")
    out.append(table(["config"] + ["%d/s" % r for r in plan["rx_rates"]],
                     [[n] + ["%s %s%%" % (fmt(summ[n]["rxr", r], spread=False),
                                         pct(summ[n]["rxrloss", r]))
                             for r in plan["rx_rates"]] for n in full]))
    out.append("\n## Compute loop under a receive flood (64 B to a port nobody reads)\n\n"
               "Speed in % of the same loop with the network idle (idle speed in million "
               "iterations/s). In brackets: the host CPU the vCPU thread got (% of a core), "
               "and the speed per unit of that CPU in % of idle's, i.e. the share of the "
               "guest's own CPU time left to the loop, whatever the host did.\n\n")
    out.append(table(["config", "idle Miter/s"] + ["%d/s" % r for r in plan["flood_rates"]],
                     [[n, fmt(summ[n]["spare_base"], 1e-6, 1)] +
                      ["%s (vCPU %s, guest %s)" % (pct(summ[n]["spare", r]),
                                                    fmt(summ[n]["spare_vcpu", r], spread=False),
                                                    pct(summ[n]["spare_guest", r]))
                       for r in plan["flood_rates"]] for n in full]))
    out.append("\n## Targets\n\n")
    out.append(table(["target", "measured", "met"], targets(summ, plan)))
    return "".join(out)


def pct(v):
    return "-" if v is None else "%.1f" % v


def med(st):
    return None if st is None else st[0]


def targets(summ, plan):
    """(target, measured, yes/no) rows for the project's stated goals."""
    rows = []

    def add(what, val, ok, unit=""):
        rows.append((what, "-" if val is None else "%.1f%s" % (val, unit),
                     "-" if val is None else ("yes" if ok(val) else "**no**")))

    for n in ("poll", "poll-3cpu"):
        if n in summ:
            add("%s: median 64 B RTT <= 250 us" % n, med(summ[n]["lat", 64]),
                lambda v: v <= 250, " us")
    for h, p in (("hybrid", "poll"), ("hybrid-3cpu", "poll-3cpu")):
        if h in summ and p in summ and med(summ[p]["lat", 64]):
            ratio = med(summ[h]["lat", 64]) / med(summ[p]["lat", 64]) * 100 \
                if med(summ[h]["lat", 64]) else None
            add("%s 64 B RTT within 20%% of %s" % (h, p), ratio,
                lambda v: v <= 120, "% of poll")
    if "poll" in summ:
        add("poll: 64 B tx >= 25000/s", med(summ["poll"]["tx", 64]), lambda v: v >= 25000, "/s")
        add("poll: 64 B rx (full speed) >= 25000/s", med(summ["poll"]["rx", 64]),
            lambda v: v >= 25000, "/s")
        best = [r for r in plan["rx_rates"]
                if summ["poll"]["rxrloss", r] is not None and summ["poll"]["rxrloss", r] < 1.0]
        add("poll: highest offered 64 B rate with < 1% loss", max(best) if best else 0,
            lambda v: v >= 25000, "/s")
        add("poll: idle QEMU <= 10% of a core", summ["poll"]["idle"].get("total"),
            lambda v: v <= 10, "%")
    flood = 2 * 25000
    if flood in plan["flood_rates"]:
        for n in ("poll", "hybrid", "intr-mit", "intr-nomit"):
            if n in summ:
                add("%s: compute loop keeps >= 50%% under a %d/s flood" % (n, flood),
                    summ[n]["spare", flood], lambda v: v >= 50, "%")
                add("%s: same, share of the guest's own CPU" % n,
                    summ[n]["spare_guest", flood], lambda v: v >= 50, "%")
    return rows


# ---- plots -----------------------------------------------------------------

def plot(data, outdir):
    """PNG plots of the summary. Needs matplotlib; returns the files."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summ, plan = summarize(data), data["plan"]
    names = [r["name"] for r in data["configs"]]
    full = [r["name"] for r in data["configs"] if r["full"]]
    files = []

    def bars(fname, title, ylabel, cfgs, key, sizes=SIZES):
        fig, ax = plt.subplots(figsize=(9, 4.5))
        w = 0.8 / len(sizes)
        for i, z in enumerate(sizes):
            vals = [med(summ[n][key, z]) or 0 for n in cfgs]
            ax.bar([x + i * w for x in range(len(cfgs))], vals, w, label="%d B" % z)
        ax.set_xticks([x + w * (len(sizes) - 1) / 2 for x in range(len(cfgs))])
        ax.set_xticklabels(cfgs, rotation=20)
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        ax.legend()
        save(fig, fname)

    def save(fig, fname):
        fig.tight_layout()
        path = os.path.join(outdir, fname)
        fig.savefig(path, dpi=90)
        plt.close(fig)
        files.append(path)

    bars("lat.png", "Round-trip time, median", "us", names, "lat")
    bars("tx.png", "Transmit rate", "datagrams/s", full, "tx")
    bars("rx.png", "Receive rate, source at full speed", "datagrams/s", full, "rx")

    fig, ax = plt.subplots(figsize=(7, 4.5))
    rates = plan["rx_rates"]
    ax.plot(rates, rates, "k:", label="offered")
    for n in full:
        ax.plot(rates, [med(summ[n]["rxr", r]) or 0 for r in rates], "o-", label=n)
    ax.set_title("Receive, 64 B: delivered vs offered")
    ax.set_xlabel("offered datagrams/s")
    ax.set_ylabel("delivered datagrams/s")
    ax.legend()
    save(fig, "rx-rates.png")

    fig, ax = plt.subplots(figsize=(7, 4.5))
    frates = [0] + list(plan["flood_rates"])
    for n in full:
        ax.plot(frates, [100] + [summ[n]["spare", r] or 0 for r in plan["flood_rates"]],
                "o-", label=n)
    ax.axhline(50, color="k", linestyle=":")
    ax.set_ylim(0, 110)
    ax.set_title("Compute loop speed under a receive flood")
    ax.set_xlabel("flood, datagrams/s")
    ax.set_ylabel("% of idle speed")
    ax.legend()
    save(fig, "spare.png")

    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.bar(names, [summ[n]["idle"].get("total", 0) for n in names])
    ax.axhline(10, color="k", linestyle=":")
    ax.set_title("Host CPU of an idle QEMU")
    ax.set_ylabel("% of one core")
    ax.tick_params(axis="x", rotation=20)
    save(fig, "idle-cpu.png")
    return files


def make_plots(jsonpath):
    """Plot with this interpreter's matplotlib, or with the system python3's
    (Debian's python3-matplotlib) when this one has none."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        syspy = "/usr/bin/python3"
        if os.path.realpath(sys.executable) != os.path.realpath(syspy) and \
                subprocess.run([syspy, "-c", "import matplotlib"],
                               stderr=subprocess.DEVNULL).returncode == 0:
            subprocess.run([syspy, os.path.abspath(__file__), "--plot", jsonpath])
            return
        progress("no matplotlib: plots skipped (apt-get install python3-matplotlib)")
        return
    with open(jsonpath) as f:
        data = json.load(f)
    for path in plot(data, os.path.dirname(jsonpath)):
        progress("wrote %s" % os.path.relpath(path))


# ---- main ------------------------------------------------------------------

def preflight():
    """Make sure the build tools exist (make checkdeps) and, if possible,
    matplotlib for the plots."""
    subprocess.run(["make", "-s", "--no-print-directory", "checkdeps"], cwd=REPO, check=True)
    have = lambda py: subprocess.run([py, "-c", "import matplotlib"],  # noqa: E731
                                     stderr=subprocess.DEVNULL).returncode == 0
    if have(sys.executable) or have("/usr/bin/python3"):
        return
    if os.getuid() != 0:
        progress("matplotlib missing, plots will be skipped; to get them: "
                 "sudo apt-get install python3-matplotlib")
        return
    progress("installing python3-matplotlib for the plots")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    apt = ["apt-get", "install", "-y", "-qq", "python3-matplotlib"]
    try:
        if subprocess.run(apt, env=env, stdout=subprocess.DEVNULL, timeout=600).returncode:
            subprocess.run(["apt-get", "update", "-qq"], env=env, timeout=600)
            subprocess.run(apt, env=env, stdout=subprocess.DEVNULL, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        progress("could not install python3-matplotlib (%s): plots skipped" % e)


def host_meta(args, started):
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    qemu = subprocess.run(["qemu-system-riscv64", "--version"], stdout=subprocess.PIPE,
                          text=True).stdout.splitlines()[0]
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                           cwd=REPO, text=True, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL).stdout.strip()
    return dict(command=" ".join(["python3", "bench/run.py"] + sys.argv[1:]), host=platform.node(), cpu=cpu, nproc=os.cpu_count(),
                kernel=platform.system() + " " + platform.release(), qemu=qemu,
                tree=(head or "no commit") + (" + local changes" if dirty else ""),
                started=started.strftime("%Y-%m-%d %H:%M:%S"),
                loadavg=tuple(round(x, 2) for x in os.getloadavg()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small matrix, one repetition")
    ap.add_argument("--reps", type=int, help="repetitions of each point")
    ap.add_argument("--only", nargs="+", metavar="NAME",
                    help="configurations to run: " + " ".join(c.name for c in CONFIGS))
    ap.add_argument("--wait-quiet", type=int, default=0, metavar="S",
                    help="before each configuration wait up to S s for other QEMUs to exit")
    ap.add_argument("--plot", metavar="JSON", help="only redraw the plots of a results file")
    args = ap.parse_args()
    if args.plot:
        make_plots(os.path.abspath(args.plot))
        return 0

    plan = dict(PLAN[args.quick])
    if args.reps:
        plan["reps"] = args.reps
    configs = [c for c in CONFIGS if not args.only or c.name in args.only]
    if not configs:
        ap.error("no configuration named %s" % " ".join(args.only))
    preflight()
    os.makedirs(RESULTS, exist_ok=True)
    started = datetime.datetime.now()
    data = dict(meta=host_meta(args, started), plan=plan, configs=[])
    log = Log(os.path.join(RESULTS, "bench.log"))
    t0 = time.monotonic()
    try:
        for i, cfg in enumerate(configs):
            progress("%d/%d %s: NETMODE=%s E1000_MITIGATION=%s CPUS=%d"
                     % (i + 1, len(configs), cfg.name, cfg.netmode, cfg.mitigation, cfg.cpus))
            data["configs"].append(run_config(cfg, plan, args, log))
    finally:
        data["meta"]["seconds"] = time.monotonic() - t0
        log.close()
        write_results(data, started)
    return 0 if all(not r["errors"] for r in data["configs"]) else 1


def write_results(data, started):
    """bench-DATE.json, latest.json, latest.md and the plots."""
    stamp = started.strftime("%Y%m%d-%H%M%S")
    path = os.path.join(RESULTS, "bench-%s.json" % stamp)
    with open(path, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
    shutil.copyfile(path, os.path.join(RESULTS, "latest.json"))
    md = os.path.join(RESULTS, "latest.md")
    with open(md, "w") as f:
        f.write(report(data))
    progress("wrote %s, latest.json and %s" % (os.path.relpath(path), os.path.relpath(md)))
    make_plots(os.path.join(RESULTS, "latest.json"))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        sys.exit(130)
