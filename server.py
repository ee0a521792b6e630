#!/usr/bin/env python3
"""Host-side UDP server for xv6-netpoll's network tests.

    server.py PORT [--role echo|sink|source] [--quiet]      (make server)

The guest reaches this server at 10.0.2.2:PORT (QEMU's slirp maps
10.0.2.2 to the host's loopback). The roles are bench/peer.py's (echo by
default: every datagram goes back to its sender); this program adds a
line of output for each datagram received, which the tests read.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                'bench'))
import peer  # noqa: E402


class ShowingSocket:
    """A socket that prints each datagram it receives, shortened if long."""

    def __init__(self, sock):
        self.sock = sock

    def recvfrom(self, size):
        data, addr = self.sock.recvfrom(size)
        text = data[:60].decode('ascii', 'backslashreplace')
        more = '...' if len(data) > 60 else ''
        print('%s:%d: %d bytes: %s%s' % (addr[0], addr[1], len(data), text,
                                         more), flush=True)
        return data, addr

    def __getattr__(self, name):
        return getattr(self.sock, name)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    peer.add_listen_args(ap)
    ap.add_argument('--role', choices=sorted(peer.ROLES), default='echo')
    ap.add_argument('--quiet', action='store_true',
                    help='do not print each datagram')
    ap.set_defaults(record=None)     # peer.py's echo may log arrivals; not here
    args = ap.parse_args()
    sock = peer.listen(args.host, args.port)
    print('server.py: %s on %s:%d' % (args.role, args.host, args.port),
          flush=True)
    return peer.serve(sock if args.quiet else ShowingSocket(sock), args)


if __name__ == '__main__':
    sys.exit(main())
