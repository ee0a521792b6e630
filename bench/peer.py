#!/usr/bin/env python3
"""Host side of xv6-netpoll's UDP benchmarks (user/udpbench.c).

    python3 bench/peer.py ROLE PORT [--fwdport FWDPORT]

ROLE is one of:

  echo    send every datagram back to its sender (udpbench lat); with
          --record FILE it also notes when each ping arrives, for
          bench/run.py's latency CDF (below); with --delay-us D each
          echo waits D microseconds first, so that the guest is always
          waiting when it comes (bench/run.py's icount boot: the same
          path every round trip, exact instruction counts)
  sink    count data datagrams per run and answer count queries (udpbench
          tx); it also answers ?rx as the source does, so that a guest
          program that knows only the sink's port (udpbench ceiling) can
          ask for a flood
  source  on request, send N datagrams of SIZE bytes at RATE per second
          (udpbench rx)

The guest reaches PORT as 10.0.2.2:PORT through QEMU's slirp. The protocol
is described at the top of user/udpbench.c; in short, control datagrams are
ASCII text starting with '?' (request) or '!' (reply), and data datagrams
are b'D' + run id (4 bytes, little-endian) + sequence number (4 bytes) +
padding.

The source answers two requests:

  ?rx RUN N SIZE RATE     from the guest (udpbench rx, from its port 2000):
                          "!rx RUN" goes back to the requester; the data
                          and "!done RUN SENT" go to 127.0.0.1:FWDPORT,
                          which QEMU forwards to the guest's port 2000;
                          the guest sees them come from 10.0.2.2:PORT.
                          Without --fwdport they go back to
                          the request's source instead: slirp's NAT socket
                          for the guest's port (measured: an ephemeral
                          host port, not FWDPORT), which reaches it too.
  ?flood RUN N SIZE RATE  from the host (bench/run.py): the data goes to
                          127.0.0.1:FWDPORT, i.e. the guest's port 2000,
                          "!flood RUN" and "!done RUN SENT" to the requester.

RATE 0 means as fast as this process can call sendto(); QEMU then drops
what its socket buffer cannot hold.

The echo role with --record FILE answers two requests from the host:
"?mark TAG" -> "!mark TAG" starts a new record, and "?save TAG" ->
"!save TAG" writes it to FILE as JSON: the arrival times (seconds, this
process's monotonic clock) of every ping ('P' + seq, warm-up pings with
seq >= 10^9 left out) since the mark. udpbench lat sends the next ping as
soon as the last echo is back, so the gaps between arrivals are round
trips as the host sees them (plus the guest's loop, a few us), one per
ping: a distribution where udpbench prints only percentiles. Everything
else, a "?mark" without --record included, is echoed as usual.

Python 3 standard library only.
"""

import argparse
import json
import socket
import struct
import sys
import time

BUFSIZE = 4 << 20          # socket buffers: big, so the host side never drops
SO_RCVBUFFORCE = 33        # Linux: as root, may exceed net.core.rmem_max
SO_SNDBUFFORCE = 32
DATA = b'D'
HDR = struct.Struct('<II')  # run id, sequence number (after the b'D')


def log(msg):
    print('peer.py: ' + msg, flush=True)


def big_buffers(sock):
    """Ask for BUFSIZE socket buffers, forcing past the sysctl limit if we
    are allowed to."""
    for opt, force in ((socket.SO_RCVBUF, SO_RCVBUFFORCE),
                       (socket.SO_SNDBUF, SO_SNDBUFFORCE)):
        try:
            sock.setsockopt(socket.SOL_SOCKET, force, BUFSIZE)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, opt, BUFSIZE)


def fields(data):
    """The words of a control datagram, or [] if it is not one."""
    if data[:1] not in (b'?', b'!'):
        return []
    return data.decode('ascii', 'replace').split()


def reply(sock, addr, *words):
    sock.sendto(' '.join(str(w) for w in words).encode(), addr)


# ---- roles ------------------------------------------------------------------

WARMUP_SEQ = 10 ** 9        # udpbench lat numbers its warm-up pings from here
PING = struct.Struct('<I')  # sequence number (after the b'P')


def role_echo(sock, args):
    """Send every datagram straight back; with --record, note ping arrivals."""
    delay = getattr(args, "delay_us", 0) / 1e6   # server.py has no such option
    if not args.record:
        while True:
            data, addr = sock.recvfrom(65535)
            if delay:
                time.sleep(delay)
            sock.sendto(data, addr)
    arrivals, tag, clock = [], None, time.monotonic
    while True:
        data, addr = sock.recvfrom(65535)
        now = clock()
        if data[:1] == b'P' and len(data) >= 5:
            if delay:
                time.sleep(delay)
            sock.sendto(data, addr)
            if tag is not None and PING.unpack_from(data, 1)[0] < WARMUP_SEQ:
                arrivals.append(now)
            continue
        w = fields(data)
        if len(w) == 2 and w[0] == '?mark':
            arrivals, tag = [], w[1]
            reply(sock, addr, '!mark', tag)
        elif len(w) == 2 and w[0] == '?save' and w[1] == tag:
            with open(args.record, 'w') as f:
                json.dump([round(t, 7) for t in arrivals], f)
            arrivals, tag = [], None
            reply(sock, addr, '!save', w[1])
        else:
            sock.sendto(data, addr)


def role_sink(sock, args):
    """Count data datagrams by run id: [count, first time, last time].
    ?start RUN -> !start RUN (zeroes RUN's count);
    ?count RUN -> !count RUN COUNT SPAN_US."""
    runs = {}
    clock = time.monotonic
    while True:
        data, addr = sock.recvfrom(65535)
        if data[:1] == DATA and len(data) >= 9:
            run = HDR.unpack_from(data, 1)[0]
            r = runs.get(run)
            now = clock()
            if r is None:
                runs[run] = [1, now, now]
            else:
                r[0] += 1
                r[2] = now
            continue
        w = fields(data)
        if len(w) < 2 or not w[1].isdigit():
            continue
        run = int(w[1])
        if w[0] == '?rx':
            serve_source(sock, args, w, addr)
        elif w[0] == '?start':
            runs.pop(run, None)
            while len(runs) > 64:          # forget the oldest runs
                del runs[next(iter(runs))]
            reply(sock, addr, '!start', run)
        elif w[0] == '?count':
            n, first, last = runs.get(run, (0, 0.0, 0.0))
            reply(sock, addr, '!count', run, n, int((last - first) * 1e6))
            log('sink run %d: %d datagrams' % (run, n))


def send_paced(sock, dest, run, n, size, rate):
    """Send n data datagrams of size bytes to dest, rate per second (0: as
    fast as possible). Returns (sent, seconds, sendto errors). Sleeps between bursts, so a
    paced run costs the host little CPU (QEMU needs it more)."""
    pkt = bytearray(b'x' * max(size, 9))
    pkt[0:1] = DATA
    sent = errors = 0
    t0 = time.monotonic()
    while sent < n:
        due = n
        if rate:
            due = min(n, int((time.monotonic() - t0) * rate) + 1)
            if due <= sent:
                time.sleep(min(0.001, (sent + 1 - due) / rate))
                continue
        while sent < due:
            HDR.pack_into(pkt, 1, run, sent)
            try:
                sock.sendto(pkt, dest)
            except OSError:      # ENOBUFS: count it as sent and lost
                errors += 1
            sent += 1
    return sent, time.monotonic() - t0, errors


def role_source(sock, args):
    """Answer ?rx and ?flood requests."""
    while True:
        data, addr = sock.recvfrom(65535)
        serve_source(sock, args, fields(data), addr)


def serve_source(sock, args, w, addr):
    """One ?rx or ?flood request, its words w: acknowledge to the requester,
    send the data to the forwarded port (or, for ?rx without --fwdport,
    back to the requester), then "!done" to both. Ignores anything else."""
    if len(w) != 5 or w[0] not in ('?rx', '?flood') \
            or not all(x.isdigit() for x in w[1:]):
        return
    run, n, size, rate = (int(x) for x in w[1:])
    dest = addr
    if args.fwdport:
        dest = ('127.0.0.1', args.fwdport)
    elif w[0] == '?flood':
        log('?flood needs --fwdport')
        return
    reply(sock, addr, '!' + w[0][1:], run)
    sent, secs, errors = send_paced(sock, dest, run, n, size, rate)
    for _ in range(3):       # the guest may miss one; it ignores extras
        reply(sock, addr, '!done', run, sent)
        if dest != addr:
            reply(sock, dest, '!done', run, sent)
    log('%s %s run %d to %s:%d: %d x %d bytes in %.3f s (%d/s, %d errors)'
        % (args.role, w[0], run, dest[0], dest[1], sent, size, secs,
           sent / secs if secs else 0, errors))


ROLES = {'echo': role_echo, 'sink': role_sink, 'source': role_source}


def listen(host, port):
    """A UDP socket bound to host:port, with big buffers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    big_buffers(sock)
    sock.bind((host, port))
    return sock


def serve(sock, args):
    """Run the role args.role on sock until interrupted; returns 0."""
    try:
        ROLES[args.role](sock, args)
    except KeyboardInterrupt:
        pass
    return 0


def add_listen_args(ap):
    """The options of every program that serves a role (this one and
    server.py): PORT, --host and --fwdport."""
    ap.add_argument('port', type=int, help='UDP port to listen on')
    ap.add_argument('--host', default='127.0.0.1',
                    help='address to bind (default 127.0.0.1)')
    ap.add_argument('--fwdport', type=int, default=0,
                    help="source, sink: QEMU's hostfwd port to the guest's port 2000")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('role', choices=sorted(ROLES))
    add_listen_args(ap)
    ap.add_argument('--delay-us', type=int, default=0, metavar='D',
                    help='echo: wait D microseconds before each echo')
    ap.add_argument('--record', metavar='FILE',
                    help='echo: where "?save" writes the ping arrival times')
    args = ap.parse_args()
    sock = listen(args.host, args.port)
    log('%s on %s:%d' % (args.role, args.host, args.port))
    return serve(sock, args)


if __name__ == '__main__':
    sys.exit(main())
