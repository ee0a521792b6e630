#!/usr/bin/env python3
"""Host-side UDP server for xv6-netpoll's network tests.

    python3 server.py PORT [--role echo]

The guest reaches this server at 10.0.2.2:PORT (QEMU's slirp maps
10.0.2.2 to the host's loopback). Each role is a function in ROLES that
takes the bound socket and the parsed arguments and runs until
interrupted. Python 3 standard library only.
"""

import argparse
import socket
import sys


def show(data, addr):
    """Print one received datagram, shortened if long."""
    text = data[:60].decode('ascii', 'backslashreplace')
    more = '...' if len(data) > 60 else ''
    print('%s:%d: %d bytes: %s%s' % (addr[0], addr[1], len(data), text, more),
          flush=True)


def role_echo(sock, args):
    """Send every datagram back to its sender unchanged."""
    while True:
        data, addr = sock.recvfrom(65535)
        if not args.quiet:
            show(data, addr)
        sock.sendto(data, addr)


# Role name -> function(sock, args). The benchmarks' sink and source roles
# live in bench/peer.py.
ROLES = {
    'echo': role_echo,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('port', type=int, help='UDP port to listen on')
    ap.add_argument('--role', choices=sorted(ROLES), default='echo')
    ap.add_argument('--host', default='127.0.0.1',
                    help='address to bind (default 127.0.0.1)')
    ap.add_argument('--quiet', action='store_true',
                    help='do not print each datagram')
    args = ap.parse_args()

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.bind((args.host, args.port))
    print('server.py: %s on %s:%d' % (args.role, args.host, args.port),
          flush=True)
    try:
        ROLES[args.role](sock, args)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == '__main__':
    sys.exit(main())
