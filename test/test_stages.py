"""Where the time goes (kernel/netstage.c, user/netstages.c): the per-mode,
per-stage histograms, checked for what they count, never for how long
anything took.

- stages (every NETMODE, booted in it): after `udpbench lat -n N` against
  server.py's echo, every stage of the mode that ran counted exactly the
  datagrams that went through it: each of the N + WARMUP pings sent (the
  tx_* stages) and each echo read (the rx_* stages; N + WARMUP less those
  udpbench counted lost, which with a late echo read later may be one
  more: the slack is the lost count). No other mode counted anything.
  No stamp came out of order (neg=0 everywhere), and each *_total mean
  equals the sum of its stages' means (up to the rounding of each mean),
  which holds only if every stage's delta was nonnegative. The program's
  output parses (bench/stages.py's parser, the one bench uses). mbufs in
  use are the same before and after (no mbuf leaks through the stamps).
  Then a run-time switch to the next mode: the next run lands in that
  mode's histograms and not in the boot mode's. `netstages off` stops
  the counting, `on` resumes it, `-c` measures the recording's cost.
- stages-shared: the same first run with KMAP=shared (intr).
- stages-plot (no QEMU): bench/stages.py parses netstages' lines, merges
  the rounds of a mode and layout, and draws a PNG.
"""

import os
import re
import sys

import pytest

from qemu import REPO, TestFailure

sys.path.insert(0, os.path.join(REPO, "bench"))
import stages  # noqa: E402

N = 50                   # round trips measured
WARMUP = 10              # udpbench lat's warm-up pings (user/udpbench.c WARMUP)
MODES = ("intr", "poll", "hybrid")


def lat(q, guest, n):
    """Run `udpbench lat -n n` against the echo; return its lost count."""
    out = q.run("udpbench lat -n %d -p %d" % (n, guest.serverport), timeout=120)
    m = re.search(r"^RESULT test=lat .* lost=(\d+)", out, re.M)
    if not m:
        raise TestFailure("udpbench lat printed no RESULT: %r" % out[-300:])
    return int(m.group(1))


def read(q):
    """netstages -r: the parsed table (and the histograms reset)."""
    st = stages.parse(q.run("netstages -r"))
    if st is None:
        raise TestFailure("netstages printed no STAGES line")
    return st


def inuse(q):
    m = re.search(r"^mbufs_inuse\s+(\d+)", q.run("netstat"), re.M)
    if not m:
        raise TestFailure("netstat printed no mbufs_inuse")
    return int(m.group(1))


def check_run(st, mode, n, lost):
    """The counts, order and consistency of one lat run in mode."""
    if set(st["modes"]) != {mode}:
        raise TestFailure("datagrams of a %s run counted in modes %s"
                          % (mode, sorted(st["modes"])))
    got = st["modes"][mode]
    names = list(got)
    for direction, want_lo, want_hi in (("tx", n + WARMUP, n + WARMUP),
                                        ("rx", n + WARMUP - lost, n + WARMUP)):
        parts = stages.stage_names(direction, names)
        if len(parts) < 3:
            raise TestFailure("%s: stages %s" % (direction, parts))
        total = got[direction + "_total"]
        for s in parts + [direction + "_total"]:
            v = got[s]
            if not want_lo <= v["n"] <= want_hi:
                raise TestFailure("%s %s: n=%d, want %d..%d" % (mode, s, v["n"], want_lo, want_hi))
            if v["n"] != total["n"]:
                raise TestFailure("%s %s: n=%d but %s_total n=%d"
                                  % (mode, s, v["n"], direction, total["n"]))
            if v["neg"] != 0:
                raise TestFailure("%s %s: %d stamps out of order" % (mode, s, v["neg"]))
            if not 0 <= v["p50_ns"] <= v["p99_ns"]:
                raise TestFailure("%s %s: p50 %d, p99 %d" % (mode, s, v["p50_ns"], v["p99_ns"]))
        summed = sum(got[s]["mean_ns"] for s in parts)
        # Each mean is rounded down: the sum may fall short by one ns a stage.
        if not summed <= total["mean_ns"] <= summed + len(parts):
            raise TestFailure("%s: %s stage means add to %d ns, total mean %d"
                              % (mode, direction, summed, total["mean_ns"]))


def first_run(guest, q):
    """Warm up, then one measured lat run in the boot mode, checked."""
    guest.server()
    lat(q, guest, 5)                         # ARP and the echo's first reply
    before = inuse(q)
    q.run("netstages -z")
    lost = lat(q, guest, N)
    st = read(q)
    if st["on"] != 1 or st["tick_ns"] <= 0:
        raise TestFailure("STAGES line: %r" % {k: st[k] for k in ("on", "tick_ns")})
    check_run(st, guest.mode, N, lost)
    after = inuse(q)
    if after != before:
        raise TestFailure("mbufs in use: %d before, %d after" % (before, after))


@pytest.mark.netmodes()
def test_stages(guest):
    """Every stage of the running mode counts each datagram once, in order."""
    q = guest.boot(cpus=1)
    first_run(guest, q)

    other = MODES[(MODES.index(guest.mode) + 1) % len(MODES)]
    if not q.run("netmode %s" % other).strip().endswith("-> " + other):
        raise TestFailure("netmode %s did not switch" % other)
    lost = lat(q, guest, N)
    check_run(read(q), other, N, lost)

    q.run("netstages off")
    lat(q, guest, 5)
    st = read(q)
    if st["on"] != 0 or st["modes"]:
        raise TestFailure("netstages off: on=%d, counted %s" % (st["on"], sorted(st["modes"])))
    q.run("netstages on")
    lost = lat(q, guest, 5)
    check_run(read(q), other, 5, lost)

    st = stages.parse(q.run("netstages -c"))
    if st is None or st["cost_rx_inst"] <= 0 or st["cost_tx_inst"] <= 0:
        raise TestFailure("netstages -c: no cost measured: %r" % st)
    out = q.run("netstages bogus")
    if "usage:" not in out:
        raise TestFailure("netstages bogus: %r" % out)


def test_stages_shared(guest):
    """The same counts with the kernel mapped in every address space."""
    q = guest.boot(cpus=1, kmap="shared")
    first_run(guest, q)


SAMPLE = """STAGES kmap=%s on=1 tick_ns=100 cost_rx_inst=0 cost_tx_inst=0
STAGE mode=%s kmap=%s stage=rx_driver n=10 mean_ns=1000 p50_ns=900 p99_ns=2000 inst=1000 neg=0
STAGE mode=%s kmap=%s stage=rx_stack n=10 mean_ns=2000 p50_ns=1900 p99_ns=4000 inst=2000 neg=0
STAGE mode=%s kmap=%s stage=rx_total n=10 mean_ns=3000 p50_ns=2900 p99_ns=6000 inst=3000 neg=0
STAGE mode=%s kmap=%s stage=tx_build n=10 mean_ns=500 p50_ns=400 p99_ns=900 inst=500 neg=0
STAGE mode=%s kmap=%s stage=tx_total n=10 mean_ns=500 p50_ns=400 p99_ns=900 inst=500 neg=0
"""


def test_stages_plot(tmp_path):
    """bench/stages.py parses netstages' lines, merges rounds and draws (no QEMU)."""
    entries = []
    for kmap in ("split", "shared"):
        for mode in ("intr", "poll"):
            st = stages.parse(SAMPLE % ((kmap,) + (mode, kmap) * 5))
            assert st["kmap"] == kmap and st["on"] == 1 and list(st["modes"]) == [mode]
            assert list(st["modes"][mode]) == ["rx_driver", "rx_stack", "rx_total",
                                               "tx_build", "tx_total"]
            for probe in ("lat", "lat", "rx"):          # two rounds of lat
                entries.append(dict(kmap=kmap, mode=mode, probe=probe,
                                    stages=st["modes"][mode]))
    assert stages.parse("no such program\n") is None
    assert stages.stage_names("rx", st["modes"]["poll"]) == ["rx_driver", "rx_stack"]
    comb = stages.combine(entries)
    assert comb[("split", "poll", "lat")]["rx_stack"]["n"] == 20
    assert comb[("split", "poll", "lat")]["rx_stack"]["mean_ns"] == 2000
    lines = stages.table(entries)
    assert lines[0].startswith("intr   split  lat rx_driver n=20")
    assert not any(" rx  tx_" in l for l in lines)
    path = stages.plot(entries, str(tmp_path / "stages.png"), "test")
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
