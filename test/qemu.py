"""QEMU console driver for the xv6-netpoll test harness.

Qemu boots the kernel exactly as `make qemu` would (the command line comes
from `make qemu-cmd`), with the console on a pseudo-terminal, so a test can
type shell commands and wait for what the guest prints.  Everything the
guest prints is copied to the test's log file.

Timeouts here are generous ceilings for a slow or loaded host (QEMU TCG);
no test may depend on how fast anything runs.

Python 3 standard library only.
"""

import codecs
import os
import pty
import re
import shlex
import signal
import socket
import subprocess
import threading
import time
import tty

# The repository root: every make and QEMU command runs there.
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

BOOT_TIMEOUT = 60        # seconds from QEMU start to the first shell prompt
CMD_TIMEOUT = 30         # seconds for one ordinary shell command
PROMPT = r"\$ "          # what xv6's sh prints when it wants a command
PANIC = r"panic: "       # the kernel's last words; fails any wait by default
LOOKBACK = 4096          # longest console text one pattern may match


class TestFailure(Exception):
    """A test's expectation was not met; str() is the one-line reason."""


class Log:
    """One test's log file, written by the console reader, by host servers
    and by the harness.  Safe to call from several threads."""

    def __init__(self, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.path = path
        self._file = open(path, "w", encoding="utf-8", errors="replace")
        self._lock = threading.Lock()
        self._at_line_start = True

    def console(self, text):
        """Append raw guest console output, as it came."""
        if not text:
            return
        with self._lock:
            self._file.write(text)
            self._file.flush()
            self._at_line_start = text.endswith("\n")

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
        with self._lock:
            if not self._file.closed:
                self._file.flush()
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


def make_command(args):
    """The argv of a make run in the repository, quiet and without
    "Entering directory" lines even when run.py itself runs under make."""
    return ["make", "-s", "--no-print-directory"] + list(args)


# The build state of the tree: the kernel on disk is for one NETMODE only.
_built_mode = None       # NETMODE of kernel/kernel now on disk, or None
_build_errors = {}       # NETMODE -> make's output, for modes that failed


def build(mode, log):
    """Build kernel/kernel and fs.img for NETMODE=mode with `make -s`.

    Does nothing if the last build was for the same mode.  make's output
    goes to the log; on failure raises TestFailure, and later calls for the
    same mode fail at once, repeating the output into their own log."""
    global _built_mode
    if mode in _build_errors:
        log.line(_build_errors[mode])
        raise TestFailure("build for NETMODE=%s failed earlier" % mode)
    if mode == _built_mode:
        return
    argv = make_command(["NETMODE=" + mode])
    log.line("[harness] " + " ".join(argv))
    r = subprocess.run(argv, cwd=REPO, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, errors="replace")
    if r.stdout:
        log.line(r.stdout)
    if r.returncode != 0:
        _built_mode = None
        _build_errors[mode] = r.stdout
        raise TestFailure("`%s` exited with status %d"
                          % (" ".join(argv), r.returncode))
    _built_mode = mode


class Qemu:
    """One QEMU run of the kernel, its console on a pseudo-terminal.

    The console text is kept in one growing string.  A cursor marks how
    far the test has read: expect() searches only past it and moves it
    past each match, so the same prompt is never matched twice.

    Make variables (NETMODE, CPUS, FSIMG, PCAPFILE, FWDPORT, SERVERPORT and
    any extra ones such as E1000_MITIGATION or PCAP) select the command
    line, exactly as they would for `make qemu`."""

    def __init__(self, log, makevars):
        self.log = log
        self.makevars = dict(makevars)
        self.proc = None
        self.last_rtt = None     # seconds: last run()'s Enter-to-prompt time
        self._fd = None          # pty master: our end of the console
        self._reader = None
        self._cond = threading.Condition()
        self._out = ""           # all console text so far
        self._pos = 0            # the test's read cursor into _out
        self._eof = False        # QEMU closed the console

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
        """Start QEMU on a new pseudo-terminal and begin copying its output.

        The terminal is put in raw mode so that every byte we type reaches
        the guest unchanged (Ctrl-a x included); QEMU runs in its own
        session so a Ctrl-C aimed at the harness does not hit it."""
        argv = self.command()
        self.log.line("[harness] " + " ".join(argv))
        master, slave = pty.openpty()
        tty.setraw(slave)
        try:
            self.proc = subprocess.Popen(argv, cwd=REPO, stdin=slave,
                                         stdout=slave, stderr=slave,
                                         start_new_session=True)
        except OSError:
            os.close(master)
            raise
        finally:
            os.close(slave)
        self._fd = master
        self._reader = threading.Thread(target=self._read_console,
                                        daemon=True)
        self._reader.start()

    def _read_console(self):
        # Runs in its own thread until QEMU closes the terminal, so QEMU
        # never blocks on a full pty even while the test is not reading.
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        while True:
            try:
                data = os.read(self._fd, 4096)
            except OSError:      # EIO: the last slave fd has been closed
                data = b""
            if not data:
                break
            text = decoder.decode(data)
            self.log.console(text)
            with self._cond:
                self._out += text
                self._cond.notify_all()
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def send(self, text):
        """Type text on the console, all of it."""
        data = text.encode()
        while data:
            n = os.write(self._fd, data)
            data = data[n:]

    def sendline(self, line):
        """Type one command line, then Enter as a separate write."""
        self.send(line)
        self.send("\n")

    def mark(self):
        """The current read cursor, for expect(since=...)."""
        with self._cond:
            return self._pos

    def expect(self, pattern, timeout=CMD_TIMEOUT, fail=PANIC, since=None):
        """Wait for console text matching the regex pattern.

        Searches from the read cursor (or from an earlier mark `since`, to
        match text the cursor has already passed), and returns the match;
        the cursor moves past it, never backwards.  Raises TestFailure if
        the regex `fail` matches first, if QEMU exits, or after timeout
        seconds.  A match may be at most LOOKBACK characters long."""
        want = re.compile(pattern)
        bad = re.compile(fail) if fail else None
        deadline = time.monotonic() + timeout
        with self._cond:
            start = self._pos if since is None else since
            while True:
                m = want.search(self._out, start)
                b = bad.search(self._out, start) if bad else None
                if b and (m is None or b.start() < m.start()):
                    self._pos = max(self._pos, b.end())
                    raise TestFailure("console: " + self._line_at(b.start()))
                if m:
                    self._pos = max(self._pos, m.end())
                    return m
                if self._eof:
                    raise TestFailure("QEMU exited while waiting for /%s/"
                                      % pattern)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TestFailure("no /%s/ on the console after %g s"
                                      % (pattern, timeout))
                # Nothing matched yet, so a match must end in text still
                # to come: rescan only the tail, not the whole output.
                start = max(start, len(self._out) - LOOKBACK)
                self._cond.wait(left)

    def _line_at(self, i):
        # The whole console line around index i, for failure messages.
        b = self._out.rfind("\n", 0, i) + 1
        e = self._out.find("\n", i)
        return self._out[b:e if e >= 0 else len(self._out)].strip()

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
        start = self.mark()
        m = self.expect(PROMPT, timeout, fail)
        self.last_rtt = time.monotonic() - t0
        with self._cond:
            return self._out[start:m.start()].replace("\r", "")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def quit(self, timeout=10):
        """Stop QEMU and reap it: Ctrl-a x first (QEMU's own quit key),
        then SIGTERM, then SIGKILL.  Safe to call more than once."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.send("\x01x")
            except OSError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.log.line("[harness] QEMU ignored Ctrl-a x; killing it")
                self._signal(signal.SIGTERM)
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self._signal(signal.SIGKILL)
                    self.proc.wait()
        self.log.line("[harness] QEMU exited with status %d"
                      % self.proc.returncode)
        self._reader.join(5)
        os.close(self._fd)
        self.proc = None

    def _signal(self, sig):
        # QEMU leads its own session, so its process group id is its pid.
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass
