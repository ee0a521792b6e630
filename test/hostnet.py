"""Host-side network helpers for the xv6-netpoll tests.

Server runs the host UDP server (`server.py PORT`, as `make server` does)
with its output in the test's log.  check_pcap() reads the capture QEMU
wrote (-object filter-dump) with tshark and fails on any malformed frame or
bad IPv4/UDP checksum.  Flooder sends UDP as fast as Python can.
"""

import os
import signal
import subprocess
import sys
import threading
import time

from qemu import REPO, TestFailure

SERVER_START_TIMEOUT = 10   # seconds for server.py to bind its port

# Frames tshark must not find: undecodable ones, bad checksums, and
# anything else its dissectors flag as an error.
PCAP_BAD = ('_ws.malformed || ip.checksum.status == "Bad"'
            ' || udp.checksum.status == "Bad"'
            ' || _ws.expert.severity >= error')


class Server:
    """`server.py PORT` as a child process, its output in a file that
    expect() reads and stop() copies into the log as "[server] ..." lines.
    script is relative to the repository root."""

    def __init__(self, log, port, args=(), script="server.py"):
        self.log = log
        self.port = port
        self.args = list(args)
        self.script = script
        self.proc = None
        self._out = log.path + ".server"

    def start(self):
        """Start the server and return once it says it listens (after its
        bind).  Raises TestFailure if it exits or is not listening within
        SERVER_START_TIMEOUT seconds."""
        argv = [sys.executable, self.script, str(self.port)] + self.args
        self.log.line("[harness] " + " ".join(argv))
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        with open(self._out, "w") as out:
            self.proc = subprocess.Popen(argv, cwd=REPO, env=env,
                                         stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        self.expect("server.py: ", SERVER_START_TIMEOUT)
        return self

    def lines(self):
        """Everything the server has printed so far, as lines."""
        with open(self._out, errors="replace") as f:
            return f.read().splitlines()

    def expect(self, substring, timeout=30):
        """Wait until a server output line contains substring; return it."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.lines():
                if substring in line:
                    return line
            if self.proc.poll() is not None:
                raise TestFailure("%s exited with status %d"
                                  % (self.script, self.proc.returncode))
            if time.monotonic() > deadline:
                raise TestFailure("%s never printed %r"
                                  % (self.script, substring))
            time.sleep(0.05)

    def stop(self):
        """Stop the server (SIGTERM, then SIGKILL), reap it, and move its
        output into the log."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        for line in self.lines():
            self.log.line("[server] " + line)
        os.remove(self._out)
        self.log.line("[harness] %s exited with status %d"
                      % (self.script, self.proc.returncode))
        self.proc = None


def pcap_frames(path, dfilter=None):
    """Return tshark's one-line summaries of the frames in the capture at
    path that match the display filter dfilter (all frames if None), with
    IPv4 and UDP checksum checking on.  Raises TestFailure if there is no
    capture or tshark cannot read it.  Read a capture only after its QEMU
    has quit: until then the file may end mid-frame."""
    # A libpcap file starts with a 24-byte header, written when QEMU starts.
    if not os.path.exists(path) or os.path.getsize(path) < 24:
        raise TestFailure("no capture in %s (was PCAP=off?)" % path)
    # No TCP stream reassembly: a retransmission cut at other boundaries
    # than the original (legal, RFC 9293 3.10.1.1's repacketizing) makes
    # tshark's HTTP reassembly report an error on a frame that is fine.
    argv = ["tshark", "-n", "-r", path,
            "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
            "-o", "tcp.desegment_tcp_streams:FALSE"]
    if dfilter:
        argv += ["-Y", dfilter]
    r = subprocess.run(argv, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, errors="replace")
    if r.returncode != 0:
        why = r.stderr.strip().splitlines()
        raise TestFailure("tshark could not read %s: %s"
                          % (path, why[-1] if why else "status %d"
                             % r.returncode))
    return [l.strip() for l in r.stdout.splitlines() if l.strip()]


def check_pcap(path, log=None):
    """Fail if the capture at path holds any malformed frame, any bad IPv4
    or UDP checksum, or any other frame tshark rates an error.  The bad
    frames' summaries go to the log."""
    bad = pcap_frames(path, PCAP_BAD)
    if not bad:
        return
    if log:
        log.line("[harness] bad frames in %s:" % path)
        for line in bad:
            log.line("[tshark] " + line)
    raise TestFailure("%d bad frame(s) in the capture, first: %s"
                      % (len(bad), bad[0]))


class Flooder:
    """Sends datagrams (a list, round and round) from sock to dst as fast
    as Python can, from a thread, until stop() or max_seconds.  Counts
    what it sent (`sent`) and for how long (`seconds`, after stop())."""

    def __init__(self, sock, dst, datagrams, max_seconds=120):
        self.sock = sock
        self.dst = dst
        self.datagrams = datagrams
        self.max_seconds = max_seconds
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        deadline = time.monotonic() + self.max_seconds
        while not self._stop.is_set() and time.monotonic() < deadline:
            for d in self.datagrams:
                try:
                    self.sock.sendto(d, self.dst)
                    self.sent += 1
                except OSError:      # our send buffer is full: keep going
                    time.sleep(0.0001)

    def start(self):
        self.t0 = time.monotonic()
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join()
        self.seconds = time.monotonic() - self.t0
