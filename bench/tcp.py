#!/usr/bin/env python3
"""Host side of xv6-netpoll's TCP benchmarks (user/tcpbench.c).

    python3 bench/tcp.py PORT [--host ADDR]

One TCP server, every role: each connection names its own in a first line
"VERB RUN N\\n" (the protocol is in the header of user/tcpbench.c):

  send RUN N   sink: read N bytes, answer "!send RUN GOT SPAN_US\\n" (GOT:
               bytes read, SPAN_US: first to last byte), close
  recv RUN N   source: write N bytes, close
  echo RUN 0   echo: every byte straight back (Nagle off), until EOF
  conn RUN 0   answer "!conn RUN\\n", close (so this side holds TIME-WAIT)

Through slirp the guest reaches 127.0.0.1:PORT as 10.0.2.2:PORT; in the
TAP bed (test/tapnet.py) this runs in the namespace and listens on tap0's
10.0.2.2 (--host 0.0.0.0). A connection is served by a thread of its own.
Prints "tcp.py: ready" once it listens. Python 3 standard library only.
"""

import argparse
import socket
import socketserver
import sys
import time

CHUNK = 1 << 16
LINEMAX = 64


def log(msg):
    print("tcp.py: " + msg, flush=True)


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        line, rest = read_line(sock)
        words = line.split()
        if len(words) != 3 or not words[1].isdigit() or not words[2].isdigit():
            log("bad request %r from %s" % (line[:LINEMAX], self.client_address))
            return
        verb, run, n = words[0], int(words[1]), int(words[2])
        role = ROLES.get(verb)
        if role is None:
            log("unknown verb %r" % verb)
            return
        role(sock, run, n, rest)


def read_line(sock):
    """(the first line, without its newline, as text; bytes after it)."""
    data = b""
    while b"\n" not in data and len(data) < LINEMAX:
        got = sock.recv(LINEMAX)
        if not got:
            break
        data += got
    line, _, rest = data.partition(b"\n")
    return line.decode("ascii", "replace"), rest


def sink(sock, run, n, got_bytes):
    """Read n bytes (or to EOF), report count and span, close."""
    got = len(got_bytes)
    first = last = time.monotonic()
    while got < n:
        data = sock.recv(CHUNK)
        if not data:
            break
        last = time.monotonic()
        if got == 0:
            first = last
        got += len(data)
    sock.sendall(b"!send %d %d %d\n" % (run, got, int((last - first) * 1e6)))
    log("send run %d: got %d of %d bytes in %.3f s" % (run, got, n, last - first))


def source(sock, run, n, _):
    """Write n bytes, close."""
    block = b"y" * CHUNK
    t0, left = time.monotonic(), n
    while left > 0:
        k = min(left, CHUNK)
        sock.sendall(block[:k])
        left -= k
    log("recv run %d: wrote %d bytes in %.3f s" % (run, n, time.monotonic() - t0))


def echo(sock, run, _, rest):
    """Every byte straight back until EOF."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if rest:
        sock.sendall(rest)
    while True:
        data = sock.recv(CHUNK)
        if not data:
            break
        sock.sendall(data)


def conn(sock, run, _, rest):
    sock.sendall(b"!conn %d\n" % run)


ROLES = {"send": sink, "recv": source, "echo": echo, "conn": conn}


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 64


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("port", type=int, help="TCP port to listen on")
    ap.add_argument("--host", default="127.0.0.1",
                    help="address to bind (default 127.0.0.1)")
    args = ap.parse_args()
    with Server((args.host, args.port), Handler) as srv:
        log("ready on %s:%d" % (args.host, args.port))
        try:
            srv.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
