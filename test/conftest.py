"""pytest fixtures and hooks of the xv6-netpoll suite (`make test`).

A test that needs the kernel takes the `guest` fixture and boots QEMU
through it.  `@pytest.mark.netmodes()` runs a test once in every NETMODE
(ids `[intr]`, `[poll]`, `[hybrid]`), `@pytest.mark.netmodes("intr",
"poll")` in those named; other tests run in intr mode.  The suite runs the
tests grouped by NETMODE, so that each mode is built once.

Each test's full log (console, servers, harness notes) is test/logs/NAME.log,
NAME being the test's name without `test_` and with its mode after a dash
(`nettests-poll`).  A failure shows the last lines of the console and
keeps the test's packet captures next to the log.  Lines a test prints
through guest.note() are listed at the end of the run.
"""

import os
import re
import shutil
import subprocess
import tempfile

import pytest

from qemu import DEFAULT_KMAP, REPO, Log, Qemu, build, free_tcp_port, free_udp_ports
from hostnet import Server, check_pcap
import tapnet

LOGDIR = os.path.join(REPO, "test", "logs")
MODES = ("intr", "poll", "hybrid")
TAIL_LINES = 30                  # console lines shown with a failure


class Guest:
    """What the `guest` fixture gives a test: its name, NETMODE and log, a
    private temporary directory, three free UDP ports, and helpers that
    boot QEMU or start server.py.  Everything started through it is
    stopped, and its temporary files removed, when the test ends."""

    def __init__(self, name, mode, node):
        self.name = name
        self.mode = mode
        self.log = Log(os.path.join(LOGDIR, name + ".log"))
        self.tmp = tempfile.mkdtemp(prefix="xv6test-%s-" % name)
        # FWDPORT, FWDPORT2: host ports QEMU forwards to the guest's UDP
        # ports 2000 and 2001. SERVERPORT: where server.py listens.
        self.fwdport, self.fwdport2, self.serverport = free_udp_ports(3)
        # HTTPFWDPORT: the host TCP port QEMU forwards to the guest's port 80.
        self.httpport = free_tcp_port()
        self._node = node
        self._started = []       # Qemu and Server objects, to stop
        self._nimg = 0
        self._nboot = 0

    def fsimg(self):
        """Return the path of a new private copy of fs.img."""
        self._nimg += 1
        path = os.path.join(self.tmp, "fs-%d.img" % self._nimg)
        shutil.copyfile(os.path.join(REPO, "fs.img"), path)
        return path

    def boot(self, cpus=3, fsimg=None, wait=True, kmap=DEFAULT_KMAP, **makevars):
        """Start QEMU with this test's NETMODE and return the Qemu.

        fsimg: the disk image, by default a fresh copy of fs.img; pass a
        path from fsimg() again to boot on what an earlier run wrote.
        With wait (the default) returns once the shell prompt shows.
        makevars: more Makefile variables, e.g. E1000_MITIGATION="off".
        kmap: the kernel's mapping, "split" or "shared" (make KMAP=).
        The capture goes to qemu.makevars["PCAPFILE"].  The first boot of
        a NETMODE and KMAP builds the kernel for it."""
        build(self.mode, self.log, kmap)
        self._nboot += 1
        self.log.line("[harness] ===== boot %d: NETMODE=%s KMAP=%s CPUS=%d ====="
                      % (self._nboot, self.mode, kmap, cpus))
        allvars = {
            "NETMODE": self.mode,
            "KMAP": kmap,
            "CPUS": cpus,
            "FSIMG": fsimg or self.fsimg(),
            "PCAPFILE": os.path.join(self.tmp, "packets-%d.pcap"
                                     % self._nboot),
            "FWDPORT": self.fwdport,
            "FWDPORT2": self.fwdport2,
            "HTTPFWDPORT": self.httpport,
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
        """Start `server.py SERVERPORT [args]`; return the Server once it
        listens."""
        s = Server(self.log, self.serverport, args)
        self._started.append(s)
        return s.start()

    def check_pcap(self, q):
        """Quit QEMU q, then fail on any bad frame in its capture."""
        q.quit()
        check_pcap(q.makevars["PCAPFILE"], self.log)

    def note(self, msg):
        """Report an informational line (the end of the run lists them)."""
        self._node.user_properties.append(("note", msg))
        self.log.line("[note] " + msg)

    def close(self, failed):
        """Stop everything the test started, newest first; on failure keep
        its captures next to the log."""
        for p in reversed(self._started):
            try:
                p.quit() if isinstance(p, Qemu) else p.stop()
            except Exception as e:       # keep cleaning up the rest
                self.log.line("[harness] cleanup: %r" % e)
        if failed:
            for f in sorted(os.listdir(self.tmp)):
                path = os.path.join(self.tmp, f)
                if f.endswith(".pcap") and os.path.getsize(path) > 24:
                    dst = os.path.join(LOGDIR, "%s-%s" % (self.name, f))
                    shutil.copyfile(path, dst)
                    self.log.line("[harness] capture kept: %s"
                                  % os.path.relpath(dst, REPO))
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.log.close()


def log_name(node):
    """test_nettests[poll] -> nettests-poll"""
    name = re.sub(r"^test_", "", node.name)
    return re.sub(r"\[(.*)\]$", r"-\1", name).replace("_", "-")


@pytest.fixture
def netmode():
    """The NETMODE a test runs in: intr, unless @pytest.mark.netmodes
    parametrizes it."""
    return "intr"


@pytest.fixture
def guest(request, netmode):
    """A Guest for this test in its NETMODE: its log, a temporary
    directory, free ports, boot() and server(); all it started is stopped
    afterwards."""
    g = Guest(log_name(request.node), netmode, request.node)
    request.node.xv6_log = g.log
    yield g
    rep = getattr(request.node, "rep_call", None)
    g.close(failed=rep is None or rep.failed)


@pytest.fixture
def tapbed(guest, request):
    """(bed, q): the guest booted with NET=tap on a bed of its own
    (test/tapnet.py's TapBed): Linux's own stack as 10.0.2.2 on tap0 in a
    network namespace, dnsmasq there for DHCP and DNS, our relay between
    QEMU and tap0.  @pytest.mark.tap(loss=, reorder=, dup=, corrupt=,
    seed=, dhcp=) sets the relay from boot on (all 0: a clean wire;
    direct=True: no relay, QEMU on tap0 itself, Makefile TAPRELAY=off);
    bed.impair(loss=...) changes it later, bed.stats() reads its counters,
    bed.run(argv) / bed.popen(argv) run host programs in the namespace.
    Makefile variables from @pytest.mark.qemu(...).  The bed goes down
    after the test, before the guest.  As root (CI) a bed that cannot
    start fails the test; as another user it skips it (the system may not
    allow unshare -rn or /dev/net/tun)."""
    m = request.node.get_closest_marker("tap")
    opts = dict(m.kwargs) if m else {}
    m = request.node.get_closest_marker("qemu")
    makevars = m.kwargs if m else {}
    port, qport = free_udp_ports(2)
    bed = tapnet.TapBed(port, qport, log=guest.log.line,
                        relay_log=guest.log.path + ".relay", **opts)
    try:
        bed.start()
    except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
        if os.geteuid() == 0:
            raise
        pytest.skip("no TAP bed for this user: %s" % str(e)[-300:])
    try:
        q = guest.boot(NET="tap", TAPPORT=port, TAP_QEMUPORT=qport,
                       TAPRELAY="off" if bed.direct else "on", **makevars)
        yield bed, q
    finally:
        bed.close()
        for line in bed.relay_text().splitlines():
            guest.log.line("[relay] " + line)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "netmodes(*modes): run once per NETMODE (all by default)")
    config.addinivalue_line(
        "markers", "tap(**opts): the tapbed fixture's impairments and seed")
    config.addinivalue_line(
        "markers", "qemu(**makevars): Makefile variables for a booted guest")


def pytest_generate_tests(metafunc):
    m = metafunc.definition.get_closest_marker("netmodes")
    if m is not None:
        metafunc.parametrize("netmode", m.args or MODES)


def pytest_collection_modifyitems(items):
    # Group by NETMODE, then KMAP (sort is stable), so each build is made
    # once.
    def build(item):
        params = getattr(getattr(item, "callspec", None), "params", {})
        return (MODES.index(params.get("netmode", "intr")),
                params.get("kmap", DEFAULT_KMAP) != DEFAULT_KMAP)
    items.sort(key=build)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # Remember each phase's report (the guest fixture keeps captures of a
    # failed test), and show a failed test's console tail.
    rep = (yield).get_result()
    setattr(item, "rep_" + rep.when, rep)
    log = getattr(item, "xv6_log", None)
    if rep.failed and log is not None:
        rep.sections.append(
            ("console: last %d lines of %s" % (TAIL_LINES,
                                               os.path.relpath(log.path)),
             "\n".join(log.tail(TAIL_LINES))))


def pytest_terminal_summary(terminalreporter):
    notes = [(r.nodeid, msg) for key in ("passed", "failed")
             for r in terminalreporter.stats.get(key, [])
             if r.when == "call" for k, msg in r.user_properties
             if k == "note"]
    if notes:
        terminalreporter.section("notes")
        for nodeid, msg in notes:
            terminalreporter.write_line("%s: %s" % (nodeid.split("::")[-1],
                                                    msg))
