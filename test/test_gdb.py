"""The gdb test: kernel/gdb_net.py's commands against a live kernel.

test_gdb boots QEMU halted and waiting for gdb (QEMUEXTRA="-S -gdb
..."), and runs `gdb-multiarch -batch` with the .gdbinit that `make
qemu-gdb` would write (kernel/gdbinit.tmpl, which sources the extension)
plus a script that, inside gdb:

  1. runs every command at reset, before the kernel has run at all;
  2. continues to the shell's first console read (booted, no traffic yet)
     and runs them again;
  3. sets `e1000 break rx` and `e1000 break tx`, and continues from stop
     to stop while the host sends a UDP datagram with a known payload to
     the forwarded port (guest port 2000: no socket there, but the frame
     still goes through the driver), until a received frame holds it;
  4. there runs `e1000 rings`, `e1000 regs`, `mbuf $e1000_mbuf`, `sockets`
     and `netstat`, removes the breakpoints and detaches.

The host then checks what gdb printed: the descriptor at rx_next has DD
set, the rings' head and tail agree with the registers, the datagram's
payload is in the mbuf dump, no command failed; and the guest's shell
still works after gdb has gone. Everything gdb printed is in the log.

Runs in the intr and poll modes; gdb runs under pexpect.
"""

import io
import os
import random
import re
import shutil
import socket
import threading

import pexpect
import pytest

from qemu import REPO, TestFailure, free_tcp_port

GDB = "gdb-multiarch"
READY_TIMEOUT = 180     # seconds from QEMU start to gdb's "ready" (boot under gdb; 60 was too short once on a loaded host)
FRAME_TIMEOUT = 45      # seconds from "ready" until gdb has seen the payload
SEND_EVERY = 1.0        # seconds between datagrams (slirp may drop one while
                        # the guest sits at a breakpoint instead of answering ARP)

# Runs inside gdb. @PAYLOAD@ is replaced by the payload's repr. Each
# command's output is framed by "@@@ begin LABEL: CMD" and "@@@ end LABEL"
# lines, which parse_sections() below splits again.
GDB_SCRIPT = r'''
import gdb

PAYLOAD = @PAYLOAD@
MAXSTOPS = 30
COMMANDS = ["e1000 regs", "e1000 rings", "sockets", "netstat"]


def say(text):
    gdb.write(text + "\n")
    gdb.flush()


def run(label, cmd):
    say("@@@ begin %s: %s" % (label, cmd))
    try:
        out = gdb.execute(cmd, to_string=True)
    except gdb.error as e:
        out = "GDBTEST-ERROR %s: %s\n" % (cmd, e)
    gdb.write(out)
    say("@@@ end %s" % label)
    return out


for c in COMMANDS + ["e1000 break"]:
    run("reset", c)

gdb.execute("tbreak consoleread")
run("boot", "continue")
for c in COMMANDS:
    run("booted", c)

run("setup", "e1000 break rx")
run("setup", "e1000 break tx")
say("GDBTEST ready")
for n in range(MAXSTOPS):
    run("stop%d" % n, "continue")
    kind = gdb.convenience_variable("e1000_stop")
    kind = kind.string() if kind is not None else "?"
    text = run("stop%d-%s" % (n, kind), "mbuf $e1000_mbuf")
    if kind == "rx" and PAYLOAD in text:
        say("GDBTEST payload desc=%d" % int(gdb.convenience_variable("e1000_desc")))
        for c in ["e1000 rings", "e1000 regs", "mbuf $e1000_mbuf"] + COMMANDS[2:]:
            run("payload", c)
        break
run("end", "e1000 break off")
gdb.execute("detach")
say("GDBTEST done")
'''


class Gdb:
    """gdb-multiarch in batch mode under pexpect; close() copies all it
    printed to the log as "[gdb] ..." lines."""

    def __init__(self, log, args):
        self.log = log
        self.out = io.StringIO()
        self.log.line("[harness] %s %s" % (GDB, " ".join(args)))
        self.proc = pexpect.spawn(GDB, args, cwd=REPO, encoding="utf-8",
                                  codec_errors="replace")
        self.proc.logfile_read = self.out

    def wait(self, text, timeout):
        """Wait for a line starting with text; return the whole line.
        Raises TestFailure if gdb exits or timeout seconds pass first."""
        i = self.proc.expect([r"(?m)^%s[^\r\n]*" % re.escape(text),
                              pexpect.EOF, pexpect.TIMEOUT], timeout=timeout)
        if i == 1:
            raise TestFailure("gdb exited before printing %r" % text)
        if i == 2:
            raise TestFailure("gdb printed no %r in %d s" % (text, timeout))
        return self.proc.after

    def text(self):
        return self.out.getvalue().replace("\r", "")

    def close(self):
        """Make sure gdb is gone, and log its output."""
        self.proc.close(force=True)
        for line in self.text().splitlines():
            self.log.line("[gdb] " + line)
        self.log.line("[harness] gdb exited with status %s"
                      % self.proc.exitstatus)


def parse_sections(text):
    """gdb's framed output as a list of (label, command, output)."""
    out = []
    pat = re.compile(r"^@@@ begin (\S+): (.*?)\n(.*?)^@@@ end \1$", re.M | re.S)
    for m in pat.finditer(text):
        out.append((m.group(1), m.group(2), m.group(3)))
    return out


def section(secs, label, cmd):
    for l, c, body in secs:
        if l == label and c == cmd:
            return body
    raise TestFailure("gdb printed no output for `%s` (%s)" % (cmd, label))


def reg(regs, name):
    """A register's value from `e1000 regs` output."""
    m = re.search(r"^\s+%s\s+0x[0-9a-f]{4}\s+(0x[0-9a-f]+|\d+)\b" % name, regs, re.M)
    if not m:
        raise TestFailure("`e1000 regs` shows no %s:\n%s" % (name, regs))
    return int(m.group(1), 0)


def ring_header(rings, kind):
    """The head/tail/driver indices from a ring table's first line."""
    pat = (r"^RX ring: (\d+) descriptors at (0x[0-9a-f]+)\s+RDH (\d+) RDT (\d+) rx_next (\d+)"
           if kind == "rx" else
           r"^TX ring: (\d+) descriptors at (0x[0-9a-f]+)\s+TDH (\d+) TDT (\d+) "
           r"tx_next (\d+) tx_clean (\d+)")
    m = re.search(pat, rings, re.M)
    if not m:
        raise TestFailure("no %s ring header with head and tail in:\n%s" % (kind, rings))
    return [int(g, 0) for g in m.groups()]


def ring_row(rings, kind, idx):
    """Descriptor idx's row of the rx or tx table in rings."""
    part = rings.split("TX ring:")[0 if kind == "rx" else 1] if "TX ring:" in rings else rings
    m = re.search(r"^\s+%d\s+(dev|drv)\s+0x[0-9a-f]+.*$" % idx, part, re.M)
    if not m:
        raise TestFailure("%s descriptor %d not shown:\n%s" % (kind, idx, part))
    return m.group(0)


def payload_bytes(dump):
    """The bytes of the hex dump that follows "payload" in `mbuf` output."""
    tail = dump.split("\npayload", 1)
    if len(tail) < 2:
        raise TestFailure("`mbuf` decoded no payload:\n%s" % dump)
    data = b""
    for m in re.finditer(r"^  [0-9a-f]{4}  ((?:[0-9a-f]{2} )*[0-9a-f]{2})", tail[1], re.M):
        data += bytes.fromhex(m.group(1))
    return data


def check_no_errors(text):
    for bad in ("GDBTEST-ERROR", "Python Exception", "Traceback",
                "Error occurred in Python"):
        if bad in text:
            line = [l for l in text.splitlines() if bad in l][0]
            raise TestFailure("a gdb command failed: %s" % line)


def check_fresh(secs):
    """Reset and freshly booted: the commands run; after boot the ring
    registers point at the driver's arrays."""
    if "e1000.regs is 0" not in section(secs, "reset", "e1000 regs"):
        raise TestFailure("`e1000 regs` at reset did not say the device is not set up")
    regs = section(secs, "booted", "e1000 regs")
    for want in ("= &e1000.rx", "= &e1000.tx", "RCTL   0x0100"):
        if want not in regs:
            raise TestFailure("after boot `e1000 regs` lacks %r:\n%s" % (want, regs))
    n, _, rdh, rdt, _ = ring_header(section(secs, "booted", "e1000 rings"), "rx")
    if (rdh, rdt) != (reg(regs, "RDH"), reg(regs, "RDT")) or n != reg(regs, "RDLEN") // 16:
        raise TestFailure("after boot the RX ring header disagrees with the registers")


def check_rx_stop(secs, desc, payload, mode):
    """At the stop for our datagram: DD on the descriptor at rx_next, head
    and tail as the registers say, and the payload in the mbuf dump."""
    rings = section(secs, "payload", "e1000 rings")
    regs = section(secs, "payload", "e1000 regs")
    n, base, rdh, rdt, rx_next = ring_header(rings, "rx")
    if rx_next != desc:
        raise TestFailure("stopped for descriptor %d but rx_next is %d" % (desc, rx_next))
    if (rdh, rdt) != (reg(regs, "RDH"), reg(regs, "RDT")):
        raise TestFailure("ring shows RDH %d RDT %d, registers %d %d"
                          % (rdh, rdt, reg(regs, "RDH"), reg(regs, "RDT")))
    if base != reg(regs, "RDBAL") | reg(regs, "RDBAH") << 32:
        raise TestFailure("ring base 0x%x is not RDBAL/RDBAH" % base)
    if (rdh - rx_next) % n == 0:
        raise TestFailure("RDH == rx_next: the device wrote nothing for the driver")
    row = ring_row(rings, "rx", desc)
    if not re.search(r"\bDD EOP\b", row) or "rx_next" not in row:
        raise TestFailure("descriptor %d lacks DD EOP or the rx_next mark: %s" % (desc, row))
    if "RDH" not in ring_row(rings, "rx", rdh) or "RDT" not in ring_row(rings, "rx", rdt):
        raise TestFailure("the RDH/RDT markers are not on rows %d/%d" % (rdh, rdt))
    ims = reg(regs, "IMS")
    if mode == "poll" and ims != 0:
        raise TestFailure("poll mode, yet IMS is 0x%x" % ims)
    if mode == "intr" and not ims & 0x80:
        raise TestFailure("intr mode, yet IMS 0x%x lacks RXT0" % ims)

    dump = section(secs, "payload", "mbuf $e1000_mbuf")
    for want in (r"on RX descriptor %d, DD set" % desc, r"type 0x0800 \(IPv4\)",
                 r"-> 10\.0\.2\.15 .*proto 17 \(UDP\).*\(ok\)",
                 r"UDP\s+port \d+ -> 2000 .*checksum ok"):
        if not re.search(want, dump):
            raise TestFailure("`mbuf` output lacks /%s/:\n%s" % (want, dump))
    if payload_bytes(dump) != payload.encode():
        raise TestFailure("mbuf payload %r, sent %r" % (payload_bytes(dump), payload))


def check_tx_stops(secs, guest):
    """Each `e1000 break tx` stop (the guest's ARP reply, if slirp asked):
    the descriptor just sent shows DD and the row tx_clean marks."""
    seen = 0
    for label, cmd, body in secs:
        if not label.startswith("stop") or cmd != "continue" or "TX ring:" not in body:
            continue
        n, _, tdh, tdt, tx_next, _ = ring_header(body, "tx")
        row = ring_row(body, "tx", (tx_next - 1) % n)
        if tdh != tdt or tdt != tx_next or not re.search(r"RS\s+DD\b", row):
            raise TestFailure("at a TX stop: TDH %d TDT %d tx_next %d, row %s"
                              % (tdh, tdt, tx_next, row))
        seen += 1
    if seen == 0:
        guest.note("no frame was sent while gdb watched: `e1000 break tx` not exercised")


def send_until(port, payload, done, log):
    """Send payload to 127.0.0.1:port every SEND_EVERY s until done is set."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        n = 0
        while not done.is_set():
            s.sendto(payload.encode(), ("127.0.0.1", port))
            n += 1
            done.wait(SEND_EVERY)
        log.line("[harness] sent %d datagram(s) of %r" % (n, payload))
    finally:
        s.close()


@pytest.mark.netmodes("intr", "poll")
def test_gdb(guest):
    """The gdb extension's commands and frame breakpoints, on a live kernel."""
    if shutil.which(GDB) is None:
        raise TestFailure("%s is not installed (make deps)" % GDB)
    gport = free_tcp_port("127.0.0.1")
    payload = "gdbtest-%06d" % random.randrange(1000000)
    with open(os.path.join(REPO, "kernel", "gdbinit.tmpl")) as f:
        gdbinit = f.read().replace(":1234", ":%d" % gport)   # as the Makefile does
    initpath = os.path.join(guest.tmp, "gdbinit")
    scriptpath = os.path.join(guest.tmp, "gdbtest-script.py")
    with open(initpath, "w") as f:
        f.write(gdbinit)
    with open(scriptpath, "w") as f:
        f.write(GDB_SCRIPT.replace("@PAYLOAD@", repr(payload)))

    q = guest.boot(wait=False, QEMUEXTRA="-S -gdb tcp:127.0.0.1:%d" % gport)
    # Batch mode: no pager, unlimited width; no colours in what we parse.
    g = Gdb(guest.log, ["-nx", "-batch", "-iex", "set style enabled off",
                        "-x", initpath, "-x", scriptpath])
    done = threading.Event()
    try:
        g.wait("GDBTEST ready", READY_TIMEOUT)
        sender = threading.Thread(target=send_until,
                                  args=(guest.fwdport, payload, done, guest.log), daemon=True)
        sender.start()
        try:
            line = g.wait("GDBTEST payload", FRAME_TIMEOUT)
        except TestFailure as e:
            raise TestFailure("no `e1000 break rx` stop showed the payload %r in "
                              "`mbuf $e1000_mbuf` (%s)" % (payload, e))
        g.wait("GDBTEST done", 20)
        done.set()
        sender.join(5)
        try:
            g.proc.expect(pexpect.EOF, timeout=20)
        except pexpect.TIMEOUT:
            raise TestFailure("gdb did not exit after detaching")
    finally:
        done.set()
        g.close()

    text = g.text()
    secs = parse_sections(text)
    check_no_errors(text)
    check_fresh(secs)
    check_rx_stop(secs, int(line.split("desc=")[1]), payload, guest.mode)
    check_tx_stops(secs, guest)

    # gdb changed nothing: the guest runs on without it.
    q.wait_boot()
    out = q.run("echo alive")
    if "alive" not in out:
        raise TestFailure("after gdb detached, `echo alive` printed %r" % out)
