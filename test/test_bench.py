"""Tests of bench/run.py's pieces that need no QEMU (never `make bench`
itself: it is timing-sensitive and takes minutes):

- bench-baseline: run.py compares transmit against the kernel of an older
  commit (BASELINE).  A copy without the git history -- a shallow clone, a
  tarball -- lacks it: baseline_missing() must say why, and choose_boots()
  must leave the baseline boot out with a line saying so (not an error,
  so the run can exit 0), while a commit named by hand that is missing is
  an error before anything runs.  Checked on scratch repositories: one
  with two commits, its `git clone --depth 1`, and a `git archive` of it.
- bench-layout-report: report.py on a made-up results.json of the two
  kernel layouts' boots reads issue 18's targets off as shared/split
  ratios paired by round, with the right verdicts, and shows each
  instruction count with its run-to-run spread.
"""

import argparse
import os
import subprocess
import sys

import pytest

from qemu import REPO

sys.path.insert(0, os.path.join(REPO, "bench"))
import report  # noqa: E402
import run     # noqa: E402


def git(cwd, *args):
    """Run git in cwd quietly, as nobody in particular; return stdout."""
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t",
               GIT_CEILING_DIRECTORIES=os.path.dirname(str(cwd)))
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True,
                          text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL).stdout.strip()


@pytest.fixture
def copies(tmp_path):
    """(full, shallow, tarball, old): a repository with two commits, its
    depth-1 clone, an extracted `git archive` of it (no .git), and the
    first commit's id, which only the full one has."""
    full, shallow, tarball = (tmp_path / n for n in ("full", "shallow", "tarball"))
    full.mkdir()
    git(full, "init", "-q")
    for i in (1, 2):
        (full / "f").write_text("%d\n" % i)
        git(full, "add", "f")
        git(full, "commit", "-q", "-m", "commit %d" % i)
    old = git(full, "rev-parse", "HEAD~1")
    git(tmp_path, "clone", "-q", "--depth", "1", "file://%s" % full, str(shallow))
    tarball.mkdir()
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=full, check=True,
                             stdout=subprocess.PIPE).stdout
    subprocess.run(["tar", "-x", "-C", str(tarball)], input=archive, check=True)
    return full, shallow, tarball, old


def args(baseline=run.BASELINE, only=None):
    return argparse.Namespace(baseline=baseline, only=only)


def names(boots):
    return [b.name for b in boots]


def test_bench_baseline_missing(copies):
    """baseline_missing() on a full clone, a shallow one and a tarball."""
    full, shallow, tarball, old = copies
    assert run.baseline_missing(old, str(full)) is None
    assert run.baseline_missing("HEAD", str(shallow)) is None
    why = run.baseline_missing(old, str(shallow))
    assert why and "shallow" in why and old in why
    why = run.baseline_missing(old, str(tarball))
    assert why and "no git history" in why
    why = run.baseline_missing("0123456", str(full))
    assert why and "no commit 0123456" in why


def test_bench_baseline_skipped(copies, monkeypatch):
    """The default baseline missing: its boot is left out, with a line
    saying why that the report lists, and no error (run.py's exit status
    counts only data["errors"]).  Named by hand: an error up front."""
    full, shallow, tarball, old = copies
    every = names(run.BOOTS)
    monkeypatch.setattr(run, "BASELINE", old)
    boots, skipped = run.choose_boots(args(old), str(full))
    assert names(boots) == every and skipped == []
    for root in (shallow, tarball):
        boots, skipped = run.choose_boots(args(old), str(root))
        assert "baseline" not in names(boots)
        assert names(boots) == [n for n in every if n != "baseline"]
        assert len(skipped) == 1
        assert old in skipped[0] or "no git history" in skipped[0]
        data = dict(runs=[], errors=[], skipped=skipped)
        assert report.problems(data) == skipped
        with pytest.raises(ValueError, match="no git history|shallow"):
            run.choose_boots(args(old, only=["baseline"]), str(root))
        assert run.choose_boots(args("none"), str(root)) == (
            [b for b in run.BOOTS if b.tree != "baseline"], [])
    monkeypatch.setattr(run, "BASELINE", "another")     # old named by hand
    with pytest.raises(ValueError, match="--baseline %s" % old):
        run.choose_boots(args(old), str(shallow))
    boots, skipped = run.choose_boots(args(old, only=["cpus1"]), str(shallow))
    assert names(boots) == ["cpus1"] and skipped == []


def synthetic(rounds=5):
    """A results.json of the two layouts' boots only, made up: per round,
    the split boots' figures and the shared ones' (sys 3x faster, tx 1.6x,
    instructions per round trip 1.02x, with a little spread)."""
    meta = dict(command="bench/run.py", host="h", cpu="c", nproc=2, kernel="k", qemu="q",
                tree="t", started="s", seconds=1.0, loadavg=(0, 0, 0), baseline="none")
    plan = dict(rounds=rounds, visits=1, lan_visits=1, size=64, busy_us=500, batch=32,
                rx_rates=(10000,))
    runs = []
    for r in range(rounds):
        for mode in run.MODES:
            for boot, f in (("cpus1-split", 1.0), ("cpus1", 3.0)):
                runs.append(dict(boot=boot, round=r, mode=mode, point="sys", others=0,
                                 result=dict(call_us=30.0 / f + r * 0.1)))
                runs.append(dict(boot=boot, round=r, mode=mode, point="tx", others=0,
                                 result=dict(dgrams_per_s=int(10000 * (1 + (f > 1) * 0.6)) + r)))
            for boot, insn in (("icount-split", 12000), ("icount", 12240)):
                runs.append(dict(boot=boot, round=r, mode=mode, point="lat", others=0,
                                 result=dict(insn_per_op=insn + r, spin_per_op=0,
                                             traps_per_op=3.0, sys_per_op=2.0,
                                             irq_per_op=1.0, icount=1)))
    boots = [dict(name=b.name, title=b.title, modes=b.modes, kmap=b.kmap, icount=b.icount)
             for b in run.BOOTS if b.name in ("cpus1", "cpus1-split", "icount",
                                              "icount-split")]
    return dict(meta=meta, plan=plan, runs=runs, errors=[], skipped=[], boots=boots)


def test_bench_layout_report():
    """report.py on a made-up run of both layouts: the issue 18 targets are
    read off as shared/split ratios, paired by round, with verdicts; the
    icount table shows each count with its run-to-run spread."""
    data = synthetic()
    rows = {r[0]: r for r in report.layout_targets(data)}
    sys_row = rows["intr: null system call, shared/split (time)"]
    assert sys_row[1].startswith("0.34 [") and sys_row[3] == "met"
    insn_row = rows["poll: instructions per round trip, shared/split"]
    assert insn_row[1].startswith("1.02 [") and insn_row[3] == "**missed**"
    tx_row = rows["hybrid: transmit, one write(), shared/split (datagrams/s)"]
    assert tx_row[1].startswith("1.60 [") and tx_row[3] == "met"
    text = report.report(data)
    assert "## The kernel layouts" in text and "## Instructions and traps" in text
    line = next(l for l in text.splitlines() if l.startswith("| round trip (delayed echo) | intr"))
    assert "| 12002 (±0.02%) | 0.0 | 3.0 (±0.00%) |" in line and "| 12242 (±0.02%) |" in line
    assert report.icount_figures(data)["lat"]["intr"]["icount-split"]["insn_per_op"] == \
        [12000, 12001, 12002, 12003, 12004]
    assert report.layout_targets(synthetic(rounds=3))[0][3].startswith("unclear")


def test_bench_tap_skipped(monkeypatch):
    """No TAP bed on this host (tap_missing() gives a reason): the TAP
    boots are left out with a line naming them and the reason, and no
    error; with a bed, nothing is left out."""
    monkeypatch.setattr(run, "tap_missing", lambda: "open /dev/net/tun: EACCES")
    boots, lines = run.skip_tap(run.BOOTS)
    assert names(boots) == [b.name for b in run.BOOTS if not b.tap]
    assert len(lines) == 1 and "tcp tcp-loss" in lines[0] and "EACCES" in lines[0]
    assert run.skip_tap([b for b in run.BOOTS if not b.tap]) == (boots, [])
    monkeypatch.setattr(run, "tap_missing", lambda: None)
    assert run.skip_tap(run.BOOTS) == (run.BOOTS, [])


def synthetic_tcp(rounds=5):
    """A results.json of the two TAP boots only, made up: per round, a TX
    ceiling of 10000 frames/s and TCP send at 7.3 MB/s (50% of 10000 x
    1460 B), lossy send at a quarter of lossless, TCP's round trip 1.1x
    UDP's in intr, 1.5x in poll; poll sends 2x intr's rate."""
    data = synthetic(rounds)
    data["plan"].update(tcp_loss=0.02, tcp_frame=1472)
    runs = []
    for r in range(rounds):
        runs.append(dict(boot="tcp", round=r, mode="hybrid", point="ceiling", others=0,
                         result=dict(tx_per_s=10000, rx_per_s=20000)))
        for mode in run.MODES:
            f = 2 if mode == "poll" else 1
            add = lambda boot, point, **res: runs.append(  # noqa: E731
                dict(boot=boot, round=r, mode=mode, point=point, others=0, result=res))
            add("tcp", "tcp_send", bytes_per_s=7300000 * f + r)
            add("tcp", "tcp_rr", p50_us=110.0 + (40 if mode == "poll" else 0), p99_us=300.0)
            add("tcp", "lat", p50_us=100.0, p99_us=200.0)
            add("tcp", "tcp_conn", conns_per_s=500 + r)
            add("tcp-loss", "tcp_send", bytes_per_s=8000000 + r)
            add("tcp-loss", "tcp_send@loss", bytes_per_s=2000000 + r)
    data["runs"] = runs
    data["boots"] = [dict(name=b.name, title=b.title, modes=b.modes, kmap=b.kmap,
                          icount=b.icount) for b in run.BOOTS if b.tap]
    return data


def test_bench_tcp_report():
    """report.py's issue 20 rows on a made-up run of the TAP boots: bulk in
    % of the ceiling counted as 1460 B per frame, lossy over lossless and
    TCP over UDP round trips paired by round, with verdicts; a mode
    comparison among the conclusions."""
    data = synthetic_tcp()
    rows = {r[0]: r for r in report.tcp_targets(data)}
    row = rows["intr: TCP bulk send, % of the TAP TX ceiling"]
    assert row[1].startswith("50.0 [") and row[3] == "met"
    assert rows["poll: TCP bulk send, % of the TAP TX ceiling"][1].startswith("100 [")
    row = rows["hybrid: TCP bulk send at 2% loss, % of lossless"]
    assert row[1].startswith("25.0 [") and row[3] == "**missed**"
    assert rows["intr: TCP bulk receive, % of the TAP RX ceiling"][3] == "no data"
    row = rows["intr: TCP 1-byte RR p50 / UDP 64 B RTT p50 (TAP)"]
    assert row[1].startswith("1.10 [") and row[3] == "met"
    assert rows["poll: TCP 1-byte RR p50 / UDP 64 B RTT p50 (TAP)"][3] == "**missed**"
    assert rows["intr: TCP connections (connect, request, close)"][3] == "(no target)"
    lines = report.tcp_conclusions(data)
    assert any(l.startswith("TAP no relay, TCP bulk send: poll is 100% faster than intr")
               for l in lines), lines
    text = report.report(data)
    assert "## TCP over the TAP bed, no relay" in text and "| tcp | 10000 [" in text
