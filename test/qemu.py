"""QEMU console driver for the xv6-netpoll tests and benchmarks.

Qemu boots the kernel exactly as `make qemu` would (the command line comes
from `make qemu-cmd`) under pexpect, so a test can type shell commands and
wait for what the guest prints.  Everything the guest prints is copied to
the test's log file.

Timeouts here are generous ceilings for a slow or loaded host (QEMU TCG);
no test may depend on how fast anything runs.
"""

import os
import re
import shlex
import socket
import subprocess
import sys
import threading
import time
import tty

import pexpect

# The repository root: every make and QEMU command runs there.
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

BOOT_TIMEOUT = 60        # seconds from QEMU start to the first shell prompt
CMD_TIMEOUT = 30         # seconds for one ordinary shell command
PROMPT = r"\$ "          # what xv6's sh prints when it wants a command
PANIC = r"panic: "       # the kernel's last words; fails any wait by default
LOOKBACK = 4096          # longest console text one pattern may match


class TestFailure(Exception):
    """A test's expectation was not met; str() is the one-line reason."""
    __test__ = False             # not a pytest test class


class Log:
    """One test's log file, written by the console (as pexpect's logfile),
    by host servers and by the harness.  Safe to call from several
    threads."""

    def __init__(self, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.path = path
        self._file = open(path, "w", encoding="utf-8", errors="replace")
        self._lock = threading.Lock()
        self._at_line_start = True

    def write(self, text):
        """Append raw guest console output, as it came."""
        if not text:
            return
        with self._lock:
            self._file.write(text)
            self._file.flush()
            self._at_line_start = text.endswith("\n")

    def flush(self):
        pass                 # write() flushes already

    def line(self, text):
        """Append one whole line (harness notes, server output).  If the
        console left a line half-written, start a fresh one first."""
        with self._lock:
            if not self._at_line_start:
                self._file.write("\n")
            self._file.write(text.rstrip("\n") + "\n")
            self._file.flush()
            self._at_line_start = True

    def tail(self, n):
        """Return the last n lines of the log, carriage returns removed.
        Works after close() too."""
        with open(self.path, encoding="utf-8", errors="replace") as f:
            lines = f.read().replace("\r", "").splitlines()
        return lines[-n:]

    def close(self):
        with self._lock:
            self._file.close()


def free_udp_ports(n):
    """Return n distinct UDP port numbers that were free a moment ago.

    The kernel picks each one when a socket binds port 0; all n sockets stay
    open until every port is chosen, so the numbers differ.  Two test runs
    on one host therefore never share FWDPORT or SERVERPORT."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(s)
            s.bind(("", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def free_tcp_port(host=""):
    """A TCP port of this host ("", every address) that was free a moment
    ago (for QEMU's hostfwd=tcp, HTTPFWDPORT; its -gdb on 127.0.0.1)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((host, 0))
        return s.getsockname()[1]
    finally:
        s.close()


def free_udp_run(n, tries=50):
    """Return a port p such that p .. p+n-1 were all free UDP ports of
    127.0.0.1 a moment ago: a LAN's switch (p) and its guests' QEMUs (guest
    k on p+k, as the Makefile's NET=lan has it)."""
    for _ in range(tries):
        p = free_udp_ports(1)[0]
        if p + n - 1 > 65535:
            continue
        socks = []
        try:
            for i in range(n):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind(("127.0.0.1", p + i))
            return p
        except OSError:
            pass
        finally:
            for s in socks:
                s.close()
    raise TestFailure("no %d free UDP ports in a row" % n)


class TaggedLog:
    """A console's output for pexpect's logfile_read, written to a Log one
    whole line at a time with a tag in front, so that several guests'
    consoles can share one log."""

    def __init__(self, log, tag):
        self.log, self.tag, self.part = log, tag, ""

    def write(self, text):
        *lines, self.part = (self.part + text.replace("\r", "")).split("\n")
        for line in lines:
            self.log.line("[%s] %s" % (self.tag, line))

    def flush(self):
        pass


def run_main(main):
    """Run a command-line script's main(): its return value is the exit
    status; ^C ends it with status 130 and one line, not a traceback."""
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        sys.exit(130)


def make_command(args):
    """The argv of a make run in the repository, quiet and without
    "Entering directory" lines even when run under make itself."""
    return ["make", "-s", "--no-print-directory"] + list(args)


# The build state of the tree: the kernel on disk is for one NETMODE only.
_built = None            # (NETMODE, KMAP) of kernel/kernel now on disk, or None
_build_errors = {}       # (NETMODE, KMAP) -> make's output, for builds that failed


# The kernel mapping a test boots unless it asks for one: the Makefile's
# default (KMAP ?= shared), so the suite runs what `make qemu` runs.
DEFAULT_KMAP = "shared"


def build(mode, log, kmap=DEFAULT_KMAP):
    """Build kernel/kernel and fs.img for NETMODE=mode and KMAP=kmap with
    `make -s`.

    Does nothing if the last build was the same.  make's output goes to
    the log; on failure raises TestFailure, and later calls for the same
    build fail at once, repeating the output into their own log."""
    global _built
    key = (mode, kmap)
    if key in _build_errors:
        log.line(_build_errors[key])
        raise TestFailure("build for NETMODE=%s KMAP=%s failed earlier" % key)
    if key == _built:
        return
    argv = make_command(["NETMODE=" + mode, "KMAP=" + kmap])
    log.line("[harness] " + " ".join(argv))
    r = subprocess.run(argv, cwd=REPO, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, errors="replace")
    if r.stdout:
        log.line(r.stdout)
    if r.returncode != 0:
        _built = None
        _build_errors[key] = r.stdout
        raise TestFailure("`%s` exited with status %d"
                          % (" ".join(argv), r.returncode))
    _built = key


PROMPT_TEXT = "$ "         # PROMPT as plain text


def interleaved_end(buf, a, b):
    """The end of the first stretch of buf made of the characters of a and
    of b, each in order, mixed in any way (carriage returns ignored), or
    None if buf holds no such stretch yet.  Both texts are short, so the
    search keeps the set of (chars of a, chars of b) matched so far."""
    for start in range(len(buf)):
        if buf[start] not in (a[:1], b[:1]):
            continue
        states = {(0, 0)}
        for i in range(start, len(buf)):
            c = buf[i]
            if c == "\r":
                continue
            states = ({(x + 1, y) for x, y in states if x < len(a) and a[x] == c} |
                      {(x, y + 1) for x, y in states if y < len(b) and b[y] == c})
            if (len(a), len(b)) in states:
                return i + 1
            if not states:
                break
    return None


class Qemu:
    """One QEMU run of the kernel, its console driven by pexpect.

    expect() consumes the console text up to the end of each match, so the
    same prompt is never matched twice.  Make variables (NETMODE, CPUS,
    FSIMG, PCAPFILE, FWDPORT, SERVERPORT and any extra ones such as
    E1000_MITIGATION or PCAP) select the command line, exactly as they
    would for `make qemu`.  proc is the pexpect child (proc.pid is
    QEMU's)."""

    def __init__(self, log, makevars):
        self.log = log
        self.makevars = dict(makevars)
        self.proc = None
        self.last_rtt = None     # seconds: last run()'s Enter-to-prompt time

    def command(self):
        """Ask the Makefile for the exact QEMU argv for our variables."""
        args = ["qemu-cmd"] + ["%s=%s" % kv for kv in self.makevars.items()]
        argv = make_command(args)
        r = subprocess.run(argv, cwd=REPO, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, errors="replace")
        lines = [l for l in r.stdout.splitlines() if l.strip()]
        if r.returncode != 0 or not lines or "qemu" not in lines[-1]:
            self.log.line(r.stdout)
            raise TestFailure("`%s` did not print a QEMU command"
                              % " ".join(argv))
        return shlex.split(lines[-1])

    def start(self):
        """Start QEMU on a pseudo-terminal (in its own session, as pexpect
        does, so a Ctrl-C aimed at the tests does not hit it).  The
        terminal is raw from the start, so every byte typed reaches the
        guest unchanged (Ctrl-a x included)."""
        argv = self.command()
        self.log.line("[harness] " + " ".join(argv))
        self.proc = pexpect.spawn(argv[0], argv[1:], cwd=REPO,
                                  encoding="utf-8", codec_errors="replace",
                                  searchwindowsize=LOOKBACK,
                                  preexec_fn=lambda: tty.setraw(0))
        self.proc.logfile_read = self.log
        # pexpect sleeps 50 ms before every send by default (for programs
        # that turn echo off late); QEMU's serial port takes input whenever
        # the UART can, so the sleep only slowed every command and added
        # 50 ms to each `echo x` round trip measured (last_rtt).
        self.proc.delaybeforesend = None

    def send(self, text):
        """Type text on the console, all of it."""
        self.proc.send(text)

    def sendline(self, line):
        """Type one command line, then Enter as a separate write."""
        self.send(line)
        self.send("\n")

    def expect(self, pattern, timeout=CMD_TIMEOUT, fail=PANIC):
        """Wait for console text matching the regex pattern (. matches a
        newline too) and return the match.  Raises TestFailure if the regex
        `fail` matches first, if QEMU exits, or after timeout seconds."""
        pats = [pattern, fail or pexpect.TIMEOUT, pexpect.EOF,
                pexpect.TIMEOUT]
        i = self.proc.expect(pats, timeout=timeout)
        if i == 0:
            return self.proc.match
        if i == 1 and fail:
            before = self.proc.before.rsplit("\n", 1)[-1]
            after = self.proc.buffer.split("\n", 1)[0]
            raise TestFailure("console: " + (before + self.proc.after
                                             + after).strip())
        if i == 2:
            raise TestFailure("QEMU exited while waiting for /%s/" % pattern)
        raise TestFailure("no /%s/ on the console after %g s"
                          % (pattern, timeout))

    def expect_bg(self, text, timeout=CMD_TIMEOUT, fail=PANIC):
        """After typing `cmd &`: wait until the console has printed both
        the background job's text and the shell's next prompt.  The shell
        and the job write a character at a time, on two harts, so the
        prompt may come before, after or inside the text, itself split
        ("bgjob$ " then the newline is one legal order).  Carriage returns
        are ignored; a newline in text matches one on the console."""
        end = time.monotonic() + timeout
        buf, self.proc.buffer = self.proc.buffer, ""
        while True:
            stop = interleaved_end(buf, text, PROMPT_TEXT)
            if stop is not None:
                self.proc.buffer = buf[stop:]    # the rest is for the next wait
                return buf[:stop]
            if fail and re.search(fail, buf):
                raise TestFailure("console: " + buf[-200:].strip())
            left = end - time.monotonic()
            if left <= 0:
                raise TestFailure("no %r and prompt on the console after %g s"
                                  % (text, timeout))
            try:
                buf += self.proc.read_nonblocking(4096, timeout=min(left, 1))
            except pexpect.TIMEOUT:
                pass
            except pexpect.EOF:
                raise TestFailure("QEMU exited while waiting for %r" % text)

    def wait_boot(self, timeout=BOOT_TIMEOUT):
        """Wait for the shell's first prompt."""
        self.expect(PROMPT, timeout)

    def run(self, cmd, timeout=CMD_TIMEOUT, fail=PANIC):
        """Type one shell command, wait for the next prompt, and return what
        the command printed: the text between the echo of the command line
        and the prompt, carriage returns removed.  Call only at a prompt.

        Sets last_rtt to the seconds from Enter to the prompt."""
        self.send(cmd)
        t0 = time.monotonic()
        self.send("\n")
        # Waiting for the echo first skips any stale prompt before it.
        self.expect(re.escape(cmd) + r"\r*\n", timeout, fail)
        self.expect(PROMPT, timeout, fail)
        self.last_rtt = time.monotonic() - t0
        return self.proc.before.replace("\r", "")

    def alive(self):
        return self.proc is not None and self.proc.isalive()

    def quit(self, timeout=10):
        """Stop QEMU and reap it: Ctrl-a x first (QEMU's own quit key),
        then signals.  Safe to call more than once."""
        if self.proc is None:
            return
        if self.proc.isalive():
            try:
                self.send("\x01x")
                self.proc.expect(pexpect.EOF, timeout=timeout)
            except (OSError, pexpect.TIMEOUT):
                self.log.line("[harness] QEMU ignored Ctrl-a x; killing it")
        self.proc.close(force=True)
        status = self.proc.exitstatus
        if status is None:
            status = -self.proc.signalstatus
        self.log.line("[harness] QEMU exited with status %d" % status)
        self.proc = None
