#!/usr/bin/env python3
"""The xv6-netpoll test suite: boots the kernel in QEMU and drives its shell.

Usage: python3 test/run.py [NAME...]      (or: make test [T=NAME])

With no NAME every test runs.  A NAME is a test's full name (`boot`,
`nettests-poll`) or the name of a test that runs in every NETMODE
(`nettests`, meaning all of its modes).  Each test prints `name: OK` or
`name: FAILED reason`; a failure also shows the end of its console log.
The run ends with the line `N passed, N failed`, and exits non-zero if
anything failed.  Full logs: test/logs/NAME.log.

Adding a test: write a function that takes a Context (below), then add one
register() line at the bottom; give it modes=MODES to run it once in each
NETMODE, as NAME-intr, NAME-poll and NAME-hybrid.

Python 3 standard library only.
"""

import sys
sys.dont_write_bytecode = True   # keep test/ free of __pycache__

import collections
import os
import random
import re
import shutil
import signal
import statistics
import tempfile
import traceback

from qemu import (REPO, CMD_TIMEOUT, PANIC, PROMPT, Log, Qemu, TestFailure,
                  build, free_udp_ports)
from hostnet import Server, check_pcap
import nettest
from gdbtest import test_gdb
import wiretest
import dnstest
sys.path.insert(0, os.path.join(REPO, "bench"))
from smoke import test_udpbench

LOGDIR = os.path.join(REPO, "test", "logs")
MODES = ("intr", "poll", "hybrid")
DEFAULT_MODE = "intr"            # the mode of tests that do not name one
TAIL_LINES = 30                  # console lines shown with a failure


class Context:
    """What a test function is given: its name and NETMODE, a log, a
    private temporary directory, two free UDP ports, and helpers that
    start QEMU or server.py.  Everything started through a Context is
    stopped, and its temporary files removed, when the test ends."""

    def __init__(self, name, mode):
        self.name = name
        self.mode = mode
        self.log = Log(os.path.join(LOGDIR, name + ".log"))
        self.tmp = tempfile.mkdtemp(prefix="xv6test-%s-" % name)
        # FWDPORT, FWDPORT2: host ports QEMU forwards to the guest's UDP
        # ports 2000 and 2001. SERVERPORT: where server.py listens.
        self.fwdport, self.fwdport2, self.serverport = free_udp_ports(3)
        self._started = []       # Qemu and Server objects, to stop
        self._nimg = 0
        self._nboot = 0

    def fsimg(self):
        """Return the path of a new private copy of fs.img."""
        self._nimg += 1
        path = os.path.join(self.tmp, "fs-%d.img" % self._nimg)
        try:
            shutil.copyfile(os.path.join(REPO, "fs.img"), path)
        except OSError as e:
            raise TestFailure("cannot copy fs.img: %s" % e)
        return path

    def boot(self, cpus=3, fsimg=None, wait=True, **makevars):
        """Start QEMU with this test's NETMODE and return the Qemu.

        fsimg: the disk image, by default a fresh copy of fs.img; pass a
        path from fsimg() again to boot on what an earlier run wrote.
        With wait (the default) returns once the shell prompt shows.
        makevars: more Makefile variables, e.g. E1000_MITIGATION="off".
        The capture goes to qemu.makevars["PCAPFILE"]."""
        self._nboot += 1
        self.log.line("[harness] ===== boot %d: NETMODE=%s CPUS=%d ====="
                      % (self._nboot, self.mode, cpus))
        allvars = {
            "NETMODE": self.mode,
            "CPUS": cpus,
            "FSIMG": fsimg or self.fsimg(),
            "PCAPFILE": os.path.join(self.tmp, "packets-%d.pcap"
                                     % self._nboot),
            "FWDPORT": self.fwdport,
            "FWDPORT2": self.fwdport2,
            "SERVERPORT": self.serverport,
        }
        allvars.update(makevars)
        q = Qemu(self.log, allvars)
        self._started.append(q)
        q.start()
        if wait:
            q.wait_boot()
        return q

    def server(self, args=()):
        """Start `python3 server.py SERVERPORT [args]`; return the Server
        once it listens."""
        s = Server(self.log, self.serverport, args)
        self._started.append(s)
        return s.start()

    def check_pcap(self, q):
        """Quit QEMU q, then fail on any bad frame in its capture."""
        q.quit()
        check_pcap(q.makevars["PCAPFILE"], self.log)

    def note(self, msg):
        """Print an informational line for this test (and log it)."""
        print("%s: %s" % (self.name, msg), flush=True)
        self.log.line("[note] " + msg)

    def close(self, failed):
        """Stop everything the test started, newest first; on failure keep
        its captures next to the log.  Returns the kept files' paths."""
        for p in reversed(self._started):
            try:
                if isinstance(p, Qemu):
                    p.quit()
                else:
                    p.stop()
            except Exception as e:       # keep cleaning up the rest
                self.log.line("[harness] cleanup: %r" % e)
        kept = []
        if failed:
            for f in sorted(os.listdir(self.tmp)):
                path = os.path.join(self.tmp, f)
                if f.endswith(".pcap") and os.path.getsize(path) > 24:
                    dst = os.path.join(LOGDIR, "%s-%s" % (self.name, f))
                    shutil.copyfile(path, dst)
                    kept.append(dst)
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.log.close()
        return kept


def expect_output(q, cmd, regex, timeout=CMD_TIMEOUT):
    """Run cmd in the shell; fail unless its output matches regex
    (multi-line: ^ and $ match at each line).  Returns the output."""
    out = q.run(cmd, timeout)
    if not re.search(regex, out, re.M):
        raise TestFailure("`%s` printed %r, expected /%s/" % (cmd, out, regex))
    return out


def expect_silent(q, cmd, timeout=CMD_TIMEOUT):
    """Run cmd in the shell; fail if it prints anything."""
    out = q.run(cmd, timeout)
    if out.strip():
        raise TestFailure("`%s` printed %r, expected nothing" % (cmd, out))


# ---- the tests --------------------------------------------------------------

def test_boot(t):
    """The kernel boots and the shell prints its prompt."""
    t.boot()


def test_shell(t):
    """The shell's grammar: pipes, redirection, lists, &, subshells."""
    q = t.boot()
    expect_output(q, "echo hello", r"^hello$")
    expect_output(q, "echo hello world | grep world | wc", r"^\s*1\s+2\s+12\b")
    expect_silent(q, "echo abc > f")
    expect_output(q, "cat < f", r"^abc$")
    expect_output(q, "echo one ; echo two", r"^one\ntwo$")
    expect_output(q, "(echo a; echo b) | wc", r"^\s*2\s+2\s+4\b")
    expect_output(q, "ls", r"README\.md")
    # MIT's usertests of every generation open /README.
    expect_output(q, "ls", r"^README\s+2 ")

    # A background job: its output and the next prompt may come in either
    # order, so look for the prompt from just after the echoed command.
    q.sendline("echo bgjob &")
    q.expect(r"echo bgjob &\r*\n")
    after_echo = q.mark()
    q.expect(r"bgjob\r*\n")
    q.expect(PROMPT, since=after_echo)

    out = q.run("nosuchcmd")
    if not re.search(r"(?i)nosuchcmd|fail|error|not found", out):
        raise TestFailure("a missing command printed no error: %r" % out)
    expect_output(q, "echo alive", r"^alive$")


def test_usertests(t):
    """The kernel's own test program passes, on 3 harts."""
    q = t.boot(cpus=3)
    q.sendline("usertests")
    q.expect(r"ALL TESTS PASSED", timeout=15 * 60, fail=r"FAILED|" + PANIC)


def test_fsreboot(t):
    """A file written before QEMU quits is there after a reboot."""
    img = t.fsimg()
    token = "persist%06d" % random.randrange(1000000)
    q = t.boot(fsimg=img)
    expect_silent(q, "echo %s > rebootfile" % token)
    q.quit()
    q = t.boot(fsimg=img)
    expect_output(q, "cat rebootfile", "^%s$" % token)


def test_cpus_latency(t):
    """Times a trivial command's round trip at CPUS=1 and CPUS=3.  Only
    reports the numbers: the host's speed decides them, so the test
    asserts nothing about them."""
    rounds = 10
    median = {}
    for cpus in (1, 3):
        q = t.boot(cpus=cpus)
        expect_output(q, "echo x", r"^x$")    # warm up
        times = []
        for _ in range(rounds):
            expect_output(q, "echo x", r"^x$")
            times.append(q.last_rtt)
        q.quit()
        median[cpus] = statistics.median(times)
    t.note("`echo x` round trip, median of %d: CPUS=1 %.1f ms, "
           "CPUS=3 %.1f ms, ratio %.2f"
           % (rounds, median[1] * 1000, median[3] * 1000,
              median[3] / median[1]))


# ---- the registry -----------------------------------------------------------

Test = collections.namedtuple("Test", "name base mode func")
TESTS = []


def register(name, func, modes=None):
    """Add func to the suite as test `name` in the default NETMODE, or,
    given modes, once per mode as `name-mode`."""
    if modes is None:
        TESTS.append(Test(name, name, DEFAULT_MODE, func))
    else:
        for m in modes:
            TESTS.append(Test("%s-%s" % (name, m), name, m, func))


register("boot", test_boot)
register("shell", test_shell)
register("fsreboot", test_fsreboot)
register("cpus-latency", test_cpus_latency)
register("usertests", test_usertests)
# Network tests run once in every NETMODE (test/nettest.py).
register("nettests", nettest.test_nettests, modes=MODES)
register("flood", nettest.test_flood, modes=MODES)
register("netmode", nettest.test_netmode, modes=MODES)
register("gdb", test_gdb, modes=("intr", "poll"))
register("udpbench", test_udpbench, modes=MODES)
# Robustness on a raw wire (test/wiretest.py, NET=wire) and fuzzing.
register("wire-malformed", wiretest.test_wire_malformed, modes=MODES)
register("wire-flood", wiretest.test_wire_flood, modes=MODES)
register("wire-longrun", wiretest.test_wire_longrun, modes=MODES)
register("wire-reply", wiretest.test_wire_reply_to_sender)
register("fuzz-replay", wiretest.test_fuzz_replay)
# DNS on the wire: test/dnsd.py, the resolver and nslookup (test/dnstest.py).
register("dnsd", dnstest.test_dnsd)
register("nslookup", dnstest.test_nslookup, modes=MODES)
register("dns-lab", dnstest.test_dns_lab)
register("dns-malformed", dnstest.test_dns_malformed)


# ---- running ----------------------------------------------------------------

def select(tests, names):
    """The tests named (all if names is empty), in suite order, grouped by
    NETMODE so each mode is built once.  Raises ValueError for an unknown
    name, with the list of known ones."""
    if not names:
        chosen = list(tests)
    else:
        known = {t.name for t in tests} | {t.base for t in tests}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError("unknown test %s; tests are: %s"
                             % (", ".join(unknown),
                                " ".join(t.name for t in tests)))
        chosen = [t for t in tests if t.name in names or t.base in names]
    return sorted(chosen, key=lambda t: MODES.index(t.mode))


def run_test(test):
    """Build the test's mode if needed, run it, print its result line (and,
    on failure, the console's end and the log path).  Returns True if it
    passed.  Whatever happens, everything it started is stopped."""
    t = Context(test.name, test.mode)
    failure = None
    kept = []
    try:
        build(test.mode, t.log)
        test.func(t)
    except TestFailure as e:
        failure = str(e)
    except Exception as e:               # a bug in the test or harness
        failure = "harness error: %s: %s" % (type(e).__name__, e)
        t.log.line(traceback.format_exc())
    finally:
        log = t.log
        kept = t.close(failed=failure is not None)
    if failure is None:
        print("%s: OK" % test.name, flush=True)
        return True
    print("%s: FAILED %s" % (test.name, failure))
    print("  --- last %d lines of the console ---" % TAIL_LINES)
    for line in log.tail(TAIL_LINES):
        print("  | " + line)
    print("  full log: %s" % os.path.relpath(log.path))
    for path in kept:
        print("  capture: %s" % os.path.relpath(path))
    sys.stdout.flush()
    return False


def summary(passed, failed):
    """The suite's last line."""
    return "%d passed, %d failed" % (passed, failed)


def main(argv, tests=TESTS):
    """Run the named tests (all if none); return the exit status."""
    try:
        chosen = select(tests, argv)
    except ValueError as e:
        print("run.py: %s" % e, file=sys.stderr)
        return 2
    passed = failed = 0
    for test in chosen:
        if run_test(test):
            passed += 1
        else:
            failed += 1
    print(summary(passed, failed), flush=True)
    return 0 if failed == 0 else 1


def on_term(signum, frame):
    # Turn SIGTERM/SIGHUP into an exception so that every test's cleanup
    # (stopping QEMU and the server) still runs.
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        sys.exit(130)
