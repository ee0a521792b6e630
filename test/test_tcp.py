"""TCP end to end through QEMU's user network (slirp), every NETMODE:
xv6's httpd serves the host's curl, xv6's hget fetches from a host HTTP
server, and the kernel's TCP glue (kernel/tcpsock.c) leaks nothing.

- httpd: `httpd &` in the guest; the host's curl, through the forwarded
  port HTTPFWDPORT (slirp's hostfwd to guest port 80), GETs a file of the
  xv6 file system and /gen/N for N = 1 MiB: the bytes must be identical
  (SHA-256 compared with the file / the pattern); HEAD, 404, a directory
  listing, keep-alive (two URLs on one connection) and /netstat; then 8
  curls at once, all served in full.
- hget: a host HTTP server (http.server on a private directory, on
  SERVERPORT, reached as 10.0.2.2) serves a 1 MiB file; hget prints its
  SHA-256, which must be the file's.  hget to a port nobody listens on
  must report the connect failed (slirp answers the SYN with a RST).
- closed port: curl to the forwarded port before httpd runs is refused
  (the guest's RST, counted in drop_tcp_noport).
- leaks: after the connections close, free pages and mbufs in use are
  back where they were (sysinfo via nettests' counters: `netstat`'s
  mbufs_inuse) and netstat's rx accounting adds up.

No timing decides a result; timeouts are only ceilings.
"""

import functools
import hashlib
import http.server
import os
import re
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from qemu import TestFailure, free_tcp_port
from test_net import netstat

MIB = 1 << 20
CURL_TIMEOUT = 240          # seconds: a ceiling for one curl
NCONCURRENT = 8


def gen_bytes(n):
    """What httpd's /gen/N sends: byte i is 'a' + i % 26 (GEN_BYTE)."""
    pat = bytes(range(ord("a"), ord("a") + 26))
    return (pat * (n // 26 + 1))[:n]


def curl(port, path, *args, timeout=CURL_TIMEOUT):
    """Run the host's curl on http://127.0.0.1:port/path; returns
    (exit status, body bytes, stderr text)."""
    p = subprocess.run(["curl", "-sS", "--max-time", str(timeout), *args,
                        "http://127.0.0.1:%d%s" % (port, path)],
                       capture_output=True, timeout=timeout + 30)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def sha(b):
    return hashlib.sha256(b).hexdigest()


def start_httpd(q):
    q.sendline("httpd &")
    q.expect_bg("httpd: listening on port 80\n")


class HostHTTP:
    """python3's http.server on 127.0.0.1 (the guest's 10.0.2.2), serving
    directory in a thread of the test process."""

    def __init__(self, directory):
        handler = functools.partial(Quiet, directory=directory)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.mark.netmodes()
def test_httpd(guest):
    q = guest.boot()
    port = guest.httpport
    # Nothing listens on guest port 80 yet: the guest answers with RST.
    rc, _, err = curl(port, "/", timeout=60)
    if rc == 0 or "refused" not in err.lower() and "reset" not in err.lower() \
            and "empty reply" not in err.lower():
        raise TestFailure("curl to a closed guest port: rc %d %r" % (rc, err))
    start_httpd(q)
    readme = open(os.path.join(os.path.dirname(__file__), "..", "README.md"), "rb").read()
    rc, body, err = curl(port, "/README")
    if rc != 0 or sha(body) != sha(readme):
        raise TestFailure("GET /README: rc %d, %d bytes of %d: %s"
                          % (rc, len(body), len(readme), err))
    rc, body, err = curl(port, "/gen/%d" % MIB)
    if rc != 0 or sha(body) != sha(gen_bytes(MIB)):
        raise TestFailure("GET /gen/1MiB: rc %d, %d bytes: %s" % (rc, len(body), err))
    guest.note("curl /gen/%d: %d bytes, sha256 %s" % (MIB, len(body), sha(body)))
    rc, body, err = curl(port, "/nosuchfile", "-o", "/dev/null", "-w", "%{http_code}")
    if body != b"404":
        raise TestFailure("GET /nosuchfile: %r %s" % (body, err))
    rc, body, err = curl(port, "/")
    if rc != 0 or b"README" not in body or b"httpd" not in body:
        raise TestFailure("GET /: no listing: %r" % body[:200])
    rc, body, err = curl(port, "/gen/5", "-I")
    if rc != 0 or b"Content-Length: 5" not in body:
        raise TestFailure("HEAD /gen/5: %r" % body)
    # Keep-alive: curl reuses the connection for the second URL.
    p = subprocess.run(["curl", "-sS", "-v", "--max-time", "60",
                        "http://127.0.0.1:%d/gen/10" % port,
                        "http://127.0.0.1:%d/gen/20" % port],
                       capture_output=True, timeout=90)
    if p.stdout != gen_bytes(10) + gen_bytes(20) or b"Re-using" not in p.stderr \
            and b"reusing" not in p.stderr.lower():
        raise TestFailure("keep-alive: %r %r" % (p.stdout, p.stderr[-300:]))
    rc, body, err = curl(port, "/netstat")
    if rc != 0 or b"refresh" not in body or b"ESTABLISHED" not in body \
            or b"tcp_rx" not in body:
        raise TestFailure("GET /netstat: %r" % body[:300])

    # NCONCURRENT at once, each 64 KiB.
    n = 64 * 1024
    with ThreadPoolExecutor(NCONCURRENT) as ex:
        res = list(ex.map(lambda i: curl(port, "/gen/%d" % (n + i)), range(NCONCURRENT)))
    for i, (rc, body, err) in enumerate(res):
        if rc != 0 or body != gen_bytes(n + i):
            raise TestFailure("concurrent curl %d: rc %d, %d bytes: %s"
                              % (i, rc, len(body), err))
    out = q.run("netstat")
    if "rx accounting: OK" not in out:
        raise TestFailure("netstat: accounting does not add up:\n" + out[-500:])
    guest.check_pcap(q)


@pytest.mark.netmodes()
def test_hget(guest):
    """hget fetches 1 MiB from the host's HTTP server and prints its
    SHA-256; hget to a closed port fails; tcptests (the system calls,
    refused connects, 20 fetches, no leaked pages or mbufs)."""
    data = os.urandom(MIB)
    with open(os.path.join(guest.tmp, "big"), "wb") as f:
        f.write(data)
    with open(os.path.join(guest.tmp, "small"), "wb") as f:
        f.write(b"small file\n" * 20)
    srv = HostHTTP(guest.tmp)
    try:
        q = guest.boot()
        out = q.run("hget http://10.0.2.2:%d/big" % srv.port, timeout=CURL_TIMEOUT)
        m = re.search(r"hget: 200 (\d+) bytes sha256 ([0-9a-f]{64})", out)
        if not m or int(m.group(1)) != MIB or m.group(2) != sha(data):
            raise TestFailure("hget /big: %r, want sha256 %s" % (out[-300:], sha(data)))
        out = q.run("hget http://10.0.2.2:%d/small small" % srv.port)
        if "hget: 200 220 bytes" not in out or q.run("cat small") != "small file\n" * 20:
            raise TestFailure("hget /small into a file: %r" % out)
        closed = free_tcp_port()
        out = q.run("hget http://10.0.2.2:%d/" % closed, timeout=60)
        if "connect to 10.0.2.2:%d failed" % closed not in out:
            raise TestFailure("hget to a closed port: %r" % out)
        out = q.run("tcptests %d %d" % (srv.port, closed), timeout=CURL_TIMEOUT)
        if "tcptests: OK" not in out:
            raise TestFailure("tcptests: %r" % out[-400:])
        out = q.run("netstat")
        if "rx accounting: OK" not in out or "tcp:" not in out:
            raise TestFailure("netstat:\n" + out[-600:])
        guest.check_pcap(q)
    finally:
        srv.stop()
