#!/usr/bin/env python3
"""The host side of MIT's 2020-23 xv6 net lab: answers every UDP datagram
with the fixed payload `this is the host!` (the lab's nettests checks it),
where our own server.py echoes.

    python3 test/labserver.py PORT      (or: make server LAB=2020)

Listens on 127.0.0.1:PORT, which the guest reaches as 10.0.2.2:PORT.
Python 3 standard library only.
"""

import socket
import sys

REPLY = b"this is the host!"


def main(argv):
    if len(argv) != 2:
        print("usage: labserver.py PORT", file=sys.stderr)
        return 2
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", int(argv[1])))
    print("labserver.py: replying %r on 127.0.0.1:%s" % (REPLY, argv[1]),
          flush=True)
    try:
        while True:
            data, addr = sock.recvfrom(65535)
            print("%s:%d: %r" % (addr[0], addr[1], data[:60]), flush=True)
            if data:
                sock.sendto(REPLY, addr)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
