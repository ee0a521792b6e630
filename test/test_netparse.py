"""kernel/netparse.c and user/dhcpmsg.c on the host: their unit tests and
their fuzzing targets.

- net-unit: test/net_unit.c (known checksums, a valid frame, every kind of
  malformed one, replies built in place, truncations), built with the host
  gcc and the address and undefined-behaviour sanitizers; it must exit 0.
- neigh-unit: test/neigh_unit.c, the neighbour cache's rules
  (kernel/neigh.c): one ARP message, packet or tick in, the exact actions
  out, built the same way.
- socktab-unit: test/socktab_unit.c, the socket table's rules
  (kernel/socktab.c): lookup, limits, queues, reply addresses.
- unit-coverage: `make coverage` builds the unit tests of the pure cores
  (netparse.c, neigh.c, socktab.c) under gcov; each must have at least
  COVERAGE_MIN percent of its lines run.
- dhcp-unit: test/dhcp_unit.c (the DHCP messages dhcpc builds byte for
  byte, OFFER/ACK/NAK parsed, every kind of malformed reply, overload,
  truncations), built the same way.
- fuzz-replay, fuzz-replay-dhcp: build the libFuzzer target
  test/fuzz/fuzz_netparse.c (fuzz_dhcpmsg.c), replay its committed corpus,
  then run a short seeded fuzzing session.

Neither needs QEMU.
"""

import os
import re
import subprocess

from qemu import REPO, TestFailure, make_command


def make(guest, target):
    """Build target with make; fail with a hint if that fails."""
    r = subprocess.run(make_command([target]), cwd=REPO,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, errors="replace")
    guest.log.line(r.stdout)
    if r.returncode != 0:
        raise TestFailure("`make %s` failed (compilers installed? `make "
                          "deps`): %s" % (target, r.stdout.strip()[-300:]))


def _unit(guest, name):
    """Build the host program test/NAME with make and run it; it must exit
    0 without a FAILED line or a sanitizer report."""
    make(guest, "test/" + name)
    r = subprocess.run([os.path.join(REPO, "test", name)], cwd=REPO,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, errors="replace",
                       timeout=120)
    guest.log.line(r.stdout)
    failed = [l for l in r.stdout.splitlines() if "FAILED" in l or
              "runtime error" in l or "ERROR" in l]
    if r.returncode != 0 or failed:
        raise TestFailure("%s exited with status %d: %s"
                          % (name, r.returncode, failed[0] if failed else
                             r.stdout.strip()[-300:]))


def test_net_unit(guest):
    """test/net_unit.c, built for the host, passes."""
    _unit(guest, "net_unit")


def test_neigh_unit(guest):
    """test/neigh_unit.c, built for the host, passes."""
    _unit(guest, "neigh_unit")


def test_socktab_unit(guest):
    """test/socktab_unit.c, built for the host, passes."""
    _unit(guest, "socktab_unit")


COVERAGE_MIN = 90.0


def test_unit_coverage(guest):
    """`make coverage`: each pure core's lines are at least COVERAGE_MIN
    percent covered by its host unit tests (gcov)."""
    r = subprocess.run(make_command(["coverage"]), cwd=REPO,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, errors="replace")
    guest.log.line(r.stdout)
    if r.returncode != 0:
        raise TestFailure("`make coverage` failed: %s" % r.stdout[-300:])
    cov = dict(re.findall(r"File 'kernel/(\w+\.c)'\s+Lines executed:([\d.]+)%",
                          r.stdout))
    guest.note("line coverage: " + ", ".join("%s %s%%" % kv
                                             for kv in sorted(cov.items())))
    for f in ("netparse.c", "neigh.c", "socktab.c"):
        if f not in cov:
            raise TestFailure("gcov reported nothing for %s" % f)
        if float(cov[f]) < COVERAGE_MIN:
            raise TestFailure("%s: %s%% of lines covered (want >= %.0f%%)"
                              % (f, cov[f], COVERAGE_MIN))


def test_dhcp_unit(guest):
    """test/dhcp_unit.c, built for the host, passes."""
    _unit(guest, "dhcp_unit")


FUZZDIR = os.path.join(REPO, "test", "fuzz")
FUZZ_RUNS = 20000


def test_fuzz_replay(guest):
    """Build the libFuzzer target, replay the corpus, fuzz briefly with a
    fixed seed.  Needs clang and libFuzzer (`make deps`), not QEMU."""
    _replay(guest, "fuzz_netparse", "corpus")


def test_fuzz_replay_dhcp(guest):
    """The same for user/dhcpmsg.c's target and its seeds."""
    _replay(guest, "fuzz_dhcpmsg", "corpus-dhcpmsg")


def _replay(guest, name, corpusdir):
    """Build test/fuzz/NAME, replay test/fuzz/CORPUSDIR with it, then run
    FUZZ_RUNS inputs from seed 1 into a scratch directory."""
    target = os.path.join(FUZZDIR, name)
    make(guest, "test/fuzz/" + name)
    corpus = os.path.join(FUZZDIR, corpusdir)
    nfiles = len(os.listdir(corpus))
    replay = _fuzz(guest, [target, "-runs=0", corpus])
    scratch = os.path.join(guest.tmp, "new")
    os.mkdir(scratch)
    fuzz = _fuzz(guest, [target, "-seed=1", "-runs=%d" % FUZZ_RUNS,
                     "-artifact_prefix=%s/" % guest.tmp, scratch, corpus])
    guest.note("replayed %d corpus files (%s executions); seeded run: %s "
           "executions, %d new inputs, coverage %s"
           % (nfiles, replay.get("number_of_executed_units", "?"),
              fuzz.get("number_of_executed_units", "?"),
              len(os.listdir(scratch)), fuzz.get("cov", "?")))


def _fuzz(guest, argv):
    """Run the fuzz target; fail on a crash or sanitizer report.  Returns
    its final statistics (-print_final_stats) and last coverage."""
    argv = argv[:1] + ["-print_final_stats=1"] + argv[1:]
    guest.log.line("[harness] " + " ".join(argv))
    r = subprocess.run(argv, cwd=guest.tmp, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, errors="replace", timeout=600)
    guest.log.line(r.stdout[-20000:])
    if r.returncode != 0 or re.search(r"ERROR: |runtime error:", r.stdout):
        lines = [l for l in r.stdout.splitlines()
                 if "ERROR" in l or "runtime error" in l or "crash-" in l]
        raise TestFailure("fuzz target failed (status %d): %s"
                          % (r.returncode, lines[0] if lines else "see log"))
    stats = dict(re.findall(r"^stat::(\w+):\s+(\d+)", r.stdout, re.M))
    cov = re.findall(r"cov: (\d+)", r.stdout)
    if cov:
        stats["cov"] = cov[-1]
    return stats


