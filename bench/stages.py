#!/usr/bin/env python3
"""Where the time goes: the kernel's per-stage histograms of received and
sent datagrams (kernel/netstage.h, user/netstages.c), per driver mode and
kernel layout (KMAP), drawn as stacked bars of each stage's mean time.

    python3 bench/stages.py [--out DIR] [--kmap split shared] [--modes intr poll hybrid]
                            [--cpus 1] [--n 1000] [--rate 5000]

By hand it builds the kernel of each layout in turn (test/qemu.py's
build()), boots it with bench/peer.py's roles as run.py does (PCAP off,
mitigation off), and in each mode (switched at run time with netmode)
runs two probes, each between `netstages -z` and `netstages -r`:

  lat  udpbench lat -n N: round trips, so a received and a sent datagram each
  rx   udpbench rx -n N -r RATE: received datagrams only, RATE per second

It writes DIR/stages.json (every probe's STAGE lines, parsed) and
DIR/stages.png, and prints one line per mode, layout, probe and stage.
DIR defaults to bench/out/stages-DATE/.

From bench/run.py: the one call the lead adds, in visit(), right after
run_rounds(...) inside its try:

    stages.after_rounds(q, peers.ports, boot, data, os.path.dirname(log.path))

(with `import stages` beside `import report`). It runs the same two probes
in each of the boot's modes on the booted guest, appends them to
data["stages"] (results.json keeps them) and redraws DIR/stages-BOOT.png
from all of that boot's probes so far: both layouts side by side once
run.py boots both. A kernel without netstages (the baseline boot) adds a
note to data["stages_skipped"] and nothing else.

Reading the plot: one panel per (probe, direction), one bar per mode and
layout, one colour per stage, bar height the stage's mean in
microseconds; the stacks add up to the mean from the first stamp to the
last (the *_total stage, not drawn). NOTES.md "Where the time goes" says
what each stage holds. Timing figures from a shared host are noise until
repeated; the instret means (inst=, instructions under -icount) are kept in
the JSON beside them.

Python 3 standard library; matplotlib for the plot.
"""

import sys
sys.dont_write_bytecode = True

import argparse
import datetime
import json
import os
import shutil
import tempfile

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(BENCH), "test"))
sys.path.insert(0, BENCH)

MODES = ("intr", "poll", "hybrid")
KMAPS = ("split", "shared")
SIZE = 64                 # UDP payload bytes, as run.py's probes
RUN_TIMEOUT = 120         # seconds for one udpbench command (a ceiling)
# The panels: (probe, direction, title).
PANELS = (("lat", "rx", "round trips: the echo received"),
          ("lat", "tx", "round trips: the ping sent"),
          ("rx", "rx", "udpbench rx: received"))


# ---- parsing ---------------------------------------------------------------

def parse(out):
    """The netstages program's output as a dict: the STAGES line's fields
    (kmap, on, tick_ns, cost_rx_inst, cost_tx_inst) and "modes": {mode:
    {stage: {n, mean_ns, p50_ns, p99_ns, inst, neg}}}, stages in the order
    printed (the kernel's). None if there is no STAGES line."""
    head, modes = None, {}
    for line in out.splitlines():
        words = line.split()
        if not words or words[0] not in ("STAGES", "STAGE"):
            continue
        kv = dict(w.partition("=")[::2] for w in words[1:])
        if words[0] == "STAGES":
            head = {k: (v if k == "kmap" else int(v)) for k, v in kv.items()}
            continue
        mode, stage = kv.pop("mode"), kv.pop("stage")
        kv.pop("kmap", None)
        modes.setdefault(mode, {})[stage] = {k: int(v) for k, v in kv.items()}
    if head is None:
        return None
    head["modes"] = modes
    return head


def stage_names(direction, stages):
    """The stages of direction ("rx" or "tx") among the names in stages,
    in order, the *_total one left out."""
    return [s for s in stages if s.startswith(direction + "_") and not s.endswith("_total")]


# ---- measuring -------------------------------------------------------------

def measure(q, ports, modes, n, rate, rx_n, boot="hand"):
    """Run the lat and rx probes in each mode on the booted guest q (a
    test/qemu.py Qemu at a prompt) against peer.py's roles on ports
    ({"echo": p, "source": p, ...}). Returns (entries, skipped): one entry
    per mode and probe, {boot, kmap, mode, probe, cmd, result, stages,
    others}, where stages are the mode's parsed STAGE lines and others the
    modes that counted datagrams meanwhile (none, unless a switch raced);
    skipped: why nothing was measured, or None."""
    first = parse(q.run("netstages on"))
    if first is None:
        return [], "no netstages program in this kernel"
    entries = []
    for mode in modes:
        if not q.run("netmode %s" % mode).strip().endswith("-> " + mode):
            continue
        for probe, cmd in (("lat", "udpbench lat -n %d -s %d -p %d" % (n, SIZE, ports["echo"])),
                           ("rx", "udpbench rx -n %d -s %d -r %d -p %d"
                            % (rx_n, SIZE, rate, ports["source"]))):
            q.run("netstages -z")
            out = q.run(cmd, timeout=RUN_TIMEOUT)
            st = parse(q.run("netstages -r"))
            if st is None:
                continue
            result = next((l for l in out.splitlines() if l.startswith("RESULT ")), None)
            entries.append(dict(boot=boot, kmap=st["kmap"], mode=mode, probe=probe, cmd=cmd,
                                result=result, stages=st["modes"].get(mode, {}),
                                others=sorted(m for m in st["modes"] if m != mode)))
    return entries, None


def after_rounds(q, ports, boot, data, outdir):
    """bench/run.py's hook (see the docstring): measure the stages in each
    of boot's modes on q, keep them in data, redraw the boot's plot."""
    plan = data.get("plan", {})
    n = plan.get("lat_n", 1000)
    rx_n = int(5000 * plan.get("rx_s", 1.0))
    entries, skipped = measure(q, ports, boot.modes, n, 5000, rx_n, boot=boot.name)
    if skipped:
        data.setdefault("stages_skipped", []).append("%s: %s" % (boot.name, skipped))
        return
    data.setdefault("stages", []).extend(entries)
    mine = [e for e in data["stages"] if e["boot"] == boot.name]
    plot(mine, os.path.join(outdir, "stages-%s.png" % boot.name), boot.title)


# ---- summarising and drawing ------------------------------------------------

def combine(entries):
    """Merge entries of the same (kmap, mode, probe): per stage the total
    count, the count-weighted mean of the means (ns and inst), the largest
    p99 and neg summed. Returns {(kmap, mode, probe): {stage: {...}}}."""
    out = {}
    for e in entries:
        acc = out.setdefault((e["kmap"], e["mode"], e["probe"]), {})
        for stage, v in e["stages"].items():
            a = acc.setdefault(stage, dict(n=0, ns=0, inst=0, p99_ns=0, neg=0))
            a["n"] += v["n"]
            a["ns"] += v["mean_ns"] * v["n"]
            a["inst"] += v["inst"] * v["n"]
            a["p99_ns"] = max(a["p99_ns"], v["p99_ns"])
            a["neg"] += v["neg"]
    for acc in out.values():
        for a in acc.values():
            a["mean_ns"] = a["ns"] / a["n"] if a["n"] else 0.0
            a["mean_inst"] = a["inst"] / a["n"] if a["n"] else 0.0
    return out


def bar_order(keys):
    """(kmap, mode) pairs sorted by mode, then layout."""
    rank = lambda seq, x: seq.index(x) if x in seq else len(seq)  # noqa: E731
    return sorted(keys, key=lambda k: (rank(MODES, k[1]), rank(KMAPS, k[0]), k))


def table(entries):
    """One line per (kmap, mode, probe, stage) of the combined entries, in
    the plot's order; the rx probe's sent datagrams (its request) left out."""
    lines = []
    comb = combine(entries)
    order = {b: i for i, b in enumerate(bar_order({(k, m) for k, m, _ in comb}))}
    for (kmap, mode, probe), acc in sorted(comb.items(),
                                           key=lambda kv: (order[kv[0][:2]], kv[0][2])):
        for stage, a in acc.items():
            if probe == "rx" and stage.startswith("tx_"):
                continue
            lines.append("%-6s %-6s %-3s %-9s n=%-6d mean_us=%8.2f inst=%9.0f p99<=%.1f us%s"
                         % (mode, kmap, probe, stage, a["n"], a["mean_ns"] / 1000,
                            a["mean_inst"], a["p99_ns"] / 1000,
                            "  NEG=%d" % a["neg"] if a["neg"] else ""))
    return lines


def plot(entries, path, title=""):
    """Draw the stacked bars of entries to path (PNG). Returns path, or None
    when there is nothing to draw or matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    comb = combine(entries)
    if not comb:
        return None
    bars = bar_order({(k, m) for k, m, _ in comb})
    fig, axes = plt.subplots(1, len(PANELS), figsize=(5 * len(PANELS), 4.8), squeeze=False)
    for ax, (probe, direction, ptitle) in zip(axes[0], PANELS):
        names = []
        for b in bars:
            for s in stage_names(direction, comb.get(b + (probe,), {})):
                if s not in names:
                    names.append(s)
        bottom = [0.0] * len(bars)
        for i, s in enumerate(names):
            h = [comb.get(b + (probe,), {}).get(s, {}).get("mean_ns", 0.0) / 1000 for b in bars]
            ax.bar(range(len(bars)), h, bottom=bottom, label=s, color="C%d" % i)
            bottom = [x + y for x, y in zip(bottom, h)]
        ax.set_xticks(range(len(bars)))
        ax.set_xticklabels(["%s\n%s" % (m, k) for k, m in bars])
        ax.set_title(ptitle, fontsize=10)
        ax.set_ylabel("mean time per datagram (us)")
        if names:
            ax.legend(fontsize=8, loc="upper left")
    fig.suptitle("Where the time goes, per stage" + (": " + title if title else ""))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# ---- by hand ---------------------------------------------------------------

def run_layout(kmap, args, log):
    """Build and boot the kernel of layout kmap, measure, quit. Returns
    the entries."""
    from qemu import build, free_udp_ports, TestFailure
    from run import BenchQemu, Peers
    build("intr", log, kmap)
    fwdport, fwdport2 = free_udp_ports(2)
    peers = Peers(log, fwdport)
    tmp = tempfile.mkdtemp(prefix="xv6stages-")
    q = None
    try:
        img = os.path.join(tmp, "fs.img")
        shutil.copyfile(os.path.join(os.path.dirname(BENCH), "fs.img"), img)
        peers.start()
        q = BenchQemu(log, dict(NETMODE="intr", KMAP=kmap, CPUS=args.cpus, FSIMG=img,
                                PCAP="off", FWDPORT=fwdport, FWDPORT2=fwdport2,
                                SERVERPORT=peers.ports["echo"], E1000_MITIGATION="off"))
        q.start()
        q.wait_boot()
        # Fill ARP and the peers' first replies, as run.py does.
        q.run("udpbench lat -n 20 -p %d" % peers.ports["echo"], timeout=RUN_TIMEOUT)
        q.run("udpbench rx -n 20 -r 1000 -p %d" % peers.ports["source"], timeout=RUN_TIMEOUT)
        entries, skipped = measure(q, peers.ports, args.modes, args.n, args.rate,
                                   args.n, boot="cpus%d" % args.cpus)
        if skipped:
            raise TestFailure(skipped)
        return entries
    finally:
        if q is not None:
            q.quit()
        peers.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", metavar="DIR", help="output folder (default bench/out/stages-DATE)")
    ap.add_argument("--kmap", nargs="+", choices=KMAPS, default=list(KMAPS))
    ap.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    ap.add_argument("--cpus", type=int, default=1)
    ap.add_argument("--n", type=int, default=1000, help="round trips, and datagrams for rx")
    ap.add_argument("--rate", type=int, default=5000, help="rx: datagrams per second offered")
    args = ap.parse_args()

    from qemu import Log, TestFailure
    out = args.out or os.path.join(BENCH, "out", datetime.datetime.now().strftime(
        "stages-%Y%m%d-%H%M%S"))
    os.makedirs(out, exist_ok=True)
    log = Log(os.path.join(out, "stages.log"))
    entries, errors = [], []
    for kmap in args.kmap:
        print("[stages] KMAP=%s: build, boot, measure %s" % (kmap, " ".join(args.modes)),
              flush=True)
        try:
            entries += run_layout(kmap, args, log)
        except TestFailure as e:
            errors.append("KMAP=%s: %s" % (kmap, e))
            print("[stages] KMAP=%s failed: %s (log: %s)" % (kmap, e, log.path), flush=True)
    log.close()
    with open(os.path.join(out, "stages.json"), "w") as f:
        json.dump(dict(entries=entries, errors=errors), f, indent=1)
    print("\n".join(table(entries)))
    png = plot(entries, os.path.join(out, "stages.png"), "CPUS=%d" % args.cpus)
    print("[stages] %s" % (png or "no plot (nothing measured, or no matplotlib)"))
    return 1 if errors or not entries else 0


if __name__ == "__main__":
    from qemu import run_main
    run_main(main)
