"""xv6's TCP against Linux's own, through the TAP bed (test/tapnet.py, the
`tapbed` fixture), every NETMODE:

- tcp-tap-clean: on a clean wire, xv6's hget fetches BIG (4 MiB) from a
  Linux HTTP server in the namespace (SERVER below) and prints its SHA-256,
  which must be the body's; a fetch the server resets midway fails with
  hget naming the reset (SO_ERROR); Linux's curl fetches /gen/BIG from
  xv6's httpd, byte-identical; NCONC curls at once, all served in full;
  curl and Python's connect() to a port nobody listens on are refused (the
  guest's RST: drop_tcp_noport and tcp_rst_out rise).
- tcp-tap-lossy: the same two 4 MiB transfers with LOSSY (5% loss plus
  reordering and duplication, both directions, seeded) from the relay,
  set at run time after a clean boot; the relay's counters must show it
  acted and the guest's TCP must have retransmitted.
- tcp-tap-vanish: hget fetches from a server that sends STALL bytes of the
  body and then vanishes (the path drops everything, then the server is
  killed: no FIN or RST reaches the guest); hget gives up and says why
  (its -t: no data for that long; read returns -1), and once its orphaned
  connection's FIN has been retransmitted up to hget's retry limit
  (TCP_MAXRTX) the guest is back where it was: free pages, mbufs in use,
  no TCP connection left, one more tcp_giveup.

Each ends with netstat's frame accounting adding up, and every frame the
relay put on the guest's wire counted by the guest (test_tap's
check_rx_matches).  No timing decides a result: every wait is a ceiling.
"""

import hashlib
import random
import re
import select
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from qemu import TestFailure
from test_tap import GUEST_IP, HOST_IP, check_rx_matches, settle
from test_tcp import gen_bytes, start_httpd
from test_wire import check_mem, guest_mem
import test_net

BIG = 4 * 1024 * 1024
BODY_SEED = 20
SERVER_PORT = 8080         # SERVER, in the namespace
CLOSED_PORT = 81           # nothing listens there in the guest
NCONC = 32
CONC_BYTES = 64 * 1024     # each concurrent curl's body: CONC_BYTES + i
LOSSY = dict(loss=0.05, reorder=0.05, dup=0.05)
SEED = 7
XFER_TIMEOUT = 900         # a ceiling for one 4 MiB transfer, lossy wire
STALL = 256 * 1024         # body bytes the vanishing server sends
HGET_IDLE = 5              # hget -t: seconds without data before it gives up


def body(n=BIG):
    """SERVER's body: n bytes from a generator seeded with BODY_SEED."""
    return random.Random(BODY_SEED).randbytes(n)


def sha(b):
    return hashlib.sha256(b).hexdigest()


# Linux's HTTP server: GET /big sends body(); GET /stall sends the same
# head and STALL bytes of the body, waits until the guest has acknowledged
# them all (TIOCOUTQ: nothing left in the send queue), prints "stalled"
# and sends nothing more; GET /reset does the same up to the wait, then
# resets the connection.  One thread per connection; "Connection: close".
SERVER = r"""
import fcntl, random, socket, socketserver, struct, sys, termios, time
BIG, STALL = %d, %d
BODY = random.Random(%d).randbytes(BIG)
class H(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline().split()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        path = line[1] if len(line) > 1 else b""
        if path not in (b"/big", b"/stall", b"/reset"):
            self.wfile.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
                             b"Connection: close\r\n\r\n")
            return
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: %%d\r\n"
                         b"Connection: close\r\n\r\n" %% BIG)
        if path == b"/big":
            self.wfile.write(BODY)
            return
        self.wfile.write(BODY[:STALL])
        self.wfile.flush()
        while True:           # until the guest has acknowledged it all
            q = fcntl.ioctl(self.connection, termios.TIOCOUTQ, b"\0" * 4)
            if struct.unpack("i", q)[0] == 0:
                break
            time.sleep(0.01)
        if path == b"/reset":     # close with a RST (SO_LINGER 0)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
            return
        print("stalled", flush=True)
        threading_event.wait()
import threading
threading_event = threading.Event()
socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer.daemon_threads = True
srv = socketserver.ThreadingTCPServer(("0.0.0.0", %d), H)
print("ready", flush=True)
srv.serve_forever()
""" % (BIG, STALL, BODY_SEED, SERVER_PORT)


def linux_server(bed):
    """Start SERVER in the namespace; returns its Popen once it listens."""
    p = bed.popen([sys.executable, "-u", "-c", SERVER], stdout=subprocess.PIPE,
                  stdin=subprocess.DEVNULL, text=True)
    if p.stdout.readline().strip() != "ready":
        p.kill()
        raise TestFailure("the namespace's HTTP server did not start")
    return p


def stop(p):
    p.kill()
    p.wait()


def hget_big(q, what):
    """xv6's hget of SERVER's /big: its SHA-256 must be body()'s."""
    out = q.run("hget http://%s:%d/big" % (HOST_IP, SERVER_PORT),
                timeout=XFER_TIMEOUT)
    m = re.search(r"hget: 200 (\d+) bytes sha256 ([0-9a-f]{64})", out)
    if not m or int(m.group(1)) != BIG or m.group(2) != sha(body()):
        raise TestFailure("%s: hget /big printed %r; want %d bytes sha256 %s"
                          % (what, out[-300:], BIG, sha(body())))


def curl(bed, path, port=80, timeout=XFER_TIMEOUT):
    """Linux's curl of http://GUEST_IP:port/path in the namespace: (exit
    status, body bytes, stderr text)."""
    r = bed.run(["curl", "-sS", "--max-time", str(timeout),
                 "http://%s:%d%s" % (GUEST_IP, port, path)],
                stderr=subprocess.PIPE, text=False, timeout=timeout + 30)
    return r.returncode, r.stdout, r.stderr.decode(errors="replace")


def curl_gen(bed, n, what):
    """curl /gen/n from xv6's httpd: byte-identical to gen_bytes(n)."""
    rc, b, err = curl(bed, "/gen/%d" % n)
    if rc != 0 or len(b) != n or sha(b) != sha(gen_bytes(n)):
        raise TestFailure("%s: curl /gen/%d: rc %d, %d bytes (sha256 %s): %s"
                          % (what, n, rc, len(b), sha(b), err.strip()))


# Linux's connect() to the closed port: ECONNREFUSED is a RST's answer
# (a lost SYN would time out instead).
REFUSED = r"""
import socket
try:
    socket.create_connection(("%s", %d), timeout=30)
    print("connected")
except ConnectionRefusedError:
    print("refused")
except OSError as e:
    print(repr(e))
""" % (GUEST_IP, CLOSED_PORT)


def tcp_conns(q):
    """The guest's TCP connection lines of netstat (listeners left out)."""
    out = q.run("netstat")
    return [ln.strip() for ln in out.splitlines()
            if re.match(r"^  [A-Z][A-Z_0-9-]+ \d", ln) and "LISTEN" not in ln]


def both_ways(bed, q, what, reset=False):
    """4 MiB each way: hget from SERVER, curl from httpd (running).  With
    reset, also hget of /reset, which must fail naming the reset."""
    srv = linux_server(bed)
    try:
        hget_big(q, what)
        if reset:
            out = q.run("hget http://%s:%d/reset" % (HOST_IP, SERVER_PORT),
                        timeout=XFER_TIMEOUT)
            if not re.search(r"hget: read failed after %d of %d bytes: "
                             r"connection reset\r?\n" % (STALL, BIG), out):
                raise TestFailure("hget of a reset connection: %r" % out)
    finally:
        stop(srv)
    curl_gen(bed, BIG, what)


@pytest.mark.netmodes()
def test_tcp_tap_clean(guest, tapbed):
    """Clean wire: 4 MiB each way byte-identical, a reset mid-transfer
    named by hget, NCONC curls at once all served, a closed port refused with RST; the relay changed nothing and
    every frame it sent the guest is counted, accounting adds up."""
    bed, q = tapbed
    st0, c0 = settle(bed, guest, q)
    start_httpd(q)
    t0 = time.monotonic()
    both_ways(bed, q, "clean", reset=True)
    t1 = time.monotonic()

    with ThreadPoolExecutor(NCONC) as ex:
        res = list(ex.map(lambda i: curl(bed, "/gen/%d" % (CONC_BYTES + i)),
                          range(NCONC)))
    for i, (rc, b, err) in enumerate(res):
        if rc != 0 or b != gen_bytes(CONC_BYTES + i):
            raise TestFailure("concurrent curl %d of %d: rc %d, %d bytes: %s"
                              % (i, NCONC, rc, len(b), err.strip()))

    _, c1 = settle(bed, guest, q)
    rc, b, err = curl(bed, "/", port=CLOSED_PORT, timeout=60)
    r = bed.run([sys.executable, "-c", REFUSED], timeout=60)
    _, c = settle(bed, guest, q)
    if rc != 7 or r.stdout.strip() != "refused":
        raise TestFailure("connect to closed port %d: curl rc %d %r, Python %r"
                          % (CLOSED_PORT, rc, err, r.stdout))
    guest.note("%s: closed port: %s" % (guest.mode, err.strip()))
    if c["drop_tcp_noport"] - c1["drop_tcp_noport"] != 2 or \
            c["tcp_rst_out"] - c1["tcp_rst_out"] != 2:
        raise TestFailure("closed port: drop_tcp_noport %+d tcp_rst_out %+d, "
                          "want 2 each"
                          % (c["drop_tcp_noport"] - c1["drop_tcp_noport"],
                             c["tcp_rst_out"] - c1["tcp_rst_out"]))
    st, c = settle(bed, guest, q)
    for d in ("to_guest", "to_host"):
        if st[d]["in"] != st[d]["out"]:
            raise TestFailure("the clean relay changed frames: %r" % st)
    check_rx_matches(st0, c0, st, c, "clean")
    guest.note("%s: clean 4 MiB each way in %.0f s (loaded host); tcp_rtx %+d"
               % (guest.mode, t1 - t0, c["tcp_rtx"] - c0["tcp_rtx"]))
    guest.check_pcap(q)


@pytest.mark.netmodes()
@pytest.mark.tap(seed=SEED)
def test_tcp_tap_lossy(guest, tapbed):
    """With LOSSY from the relay both ways: 4 MiB each way byte-identical;
    the relay dropped, duplicated and reordered frames each way, the
    guest's TCP retransmitted, and its accounting adds up with every frame
    the relay sent it counted."""
    bed, q = tapbed
    start_httpd(q)
    st0, c0 = settle(bed, guest, q)
    bed.impair(**LOSSY)
    t0 = time.monotonic()
    try:
        both_ways(bed, q, "lossy")
    finally:
        bed.impair(loss=0, reorder=0, dup=0)
    t1 = time.monotonic()
    st, c = settle(bed, guest, q)
    for d in ("to_guest", "to_host"):
        for k in ("dropped", "duplicated", "reordered"):
            if st[d][k] - st0[d][k] == 0:
                raise TestFailure("the relay never %s a frame %s" % (k, d))
    if c["tcp_rtx"] - c0["tcp_rtx"] == 0:
        raise TestFailure("the guest retransmitted nothing through a lossy wire")
    check_rx_matches(st0, c0, st, c, "lossy")
    d = {k: c[k] - c0[k] for k in ("tcp_rtx", "tcp_fastrtx", "tcp_timeouts",
                                   "tcp_dupacks", "tcp_ooo", "tcp_drop_seq")}
    guest.note("%s: lossy 4 MiB each way in %.0f s (loaded host); %r; relay "
               "dropped %d/%d" % (guest.mode, t1 - t0, d,
                                  st["to_guest"]["dropped"] - st0["to_guest"]["dropped"],
                                  st["to_host"]["dropped"] - st0["to_host"]["dropped"]))
    guest.check_pcap(q)


@pytest.mark.netmodes()
def test_tcp_tap_vanish(guest, tapbed):
    """A server that vanishes mid-transfer (STALL bytes sent, then the path
    drops everything and the server is killed, so no FIN or RST reaches
    the guest): `hget -t HGET_IDLE` gives up, saying no data came for that
    long, with STALL bytes read; its connection, closed and orphaned,
    retransmits its FIN up to hget's TCP_MAXRTX and gives up (tcp_giveup
    +1).  Then free pages, mbufs in use and the TCP connections are back
    where they were, and with the path clean again a 4 MiB hget works."""
    bed, q = tapbed
    base_mem, base_conns = guest_mem(q), tcp_conns(q)
    _, c0 = settle(bed, guest, q)
    srv = linux_server(bed)
    try:
        q.sendline("hget -t %d http://%s:%d/stall" % (HGET_IDLE, HOST_IP,
                                                     SERVER_PORT))
        ready, _, _ = select.select([srv.stdout], [], [], XFER_TIMEOUT)
        if not ready or srv.stdout.readline().strip() != "stalled":
            raise TestFailure("the server never reached its stall")
        bed.impair(loss=1.0)
    finally:
        srv.send_signal(signal.SIGKILL)
        srv.wait()
    m = q.expect(r"hget: read failed after (\d+) of (\d+) bytes: ([^\r\n]*)\r?\n",
                 timeout=120)
    if (int(m.group(1)), int(m.group(2)), m.group(3)) != \
            (STALL, BIG, "no data for %d s" % HGET_IDLE):
        raise TestFailure("hget on a vanished server: %r" % m.group(0))
    m = q.expect(r"hget: 200 (\d+) bytes sha256 ([0-9a-f]{64})", timeout=60)
    if int(m.group(1)) != STALL or m.group(2) != sha(body(STALL)):
        raise TestFailure("hget hashed the wrong %s bytes" % m.group(1))
    q.expect(r"\$ ", timeout=60)
    # The orphan gives up on its FIN: 1 + 2 + 4 + 8 s at an RTO of 1 s.
    for _ in range(120):
        c = test_net.check_netstat(guest, q)
        if c["tcp_giveup"] > c0["tcp_giveup"]:
            break
        time.sleep(1)
    if c["tcp_giveup"] - c0["tcp_giveup"] != 1:
        raise TestFailure("the orphaned connection never gave up: %r"
                          % tcp_conns(q))
    bed.impair(loss=0)
    if tcp_conns(q) != base_conns:
        raise TestFailure("TCP connections left: %r" % tcp_conns(q))
    check_mem(q, base_mem, "a vanished server")
    srv = linux_server(bed)
    try:
        hget_big(q, "after the vanished server")
    finally:
        stop(srv)
    settle(bed, guest, q)
    guest.check_pcap(q)
