#!/usr/bin/env python3
"""Write the seed corpus of test/fuzz/fuzz_dhcpmsg.c into
test/fuzz/corpus-dhcpmsg: server replies to the client of user/dhcpc.c
(OFFER, ACK and NAK as slirp and a scapy-built server send them, option
overload, no END), and malformed ones of each kind dhcpmsg_parse rejects,
as fuzz inputs: a control byte 0 (use the message as it is; see
fuzz_dhcpmsg.c) and the UDP payload.

    /usr/bin/python3 test/fuzz/mkcorpus_dhcpmsg.py   (from the repository root; needs scapy)
"""

import os
import struct

from scapy.all import BOOTP, DHCP

HERE = os.path.dirname(os.path.abspath(__file__))
MAC = bytes.fromhex("525400123456")
XID = 0x12345678
COOKIE = bytes([99, 130, 83, 99])


def bootp(**kw):
    """scapy's BOOTP layer for a BOOTREPLY to MAC."""
    args = dict(op=2, xid=XID, yiaddr="10.0.2.15", siaddr="10.0.2.2",
                chaddr=MAC + bytes(10))
    args.update(kw)
    return BOOTP(**args)


def fixed(**kw):
    """The 236-byte fixed part of a BOOTREPLY to MAC."""
    return bytes(bootp(**kw))


def reply(options, **kw):
    """A whole reply: scapy writes the cookie and the options."""
    return bytes(bootp(**kw) / DHCP(options=options))


def raw(opts, **kw):
    """A reply with the option bytes opts written as they are."""
    return fixed(**kw) + COOKIE + bytes(opts)


OFFER = [("message-type", "offer"), ("server_id", "10.0.2.2"),
         ("lease_time", 86400), ("subnet_mask", "255.255.255.0"),
         ("router", "10.0.2.2"), ("name_server", "10.0.2.3"), "end"]
ACK = [("message-type", "ack"), ("server_id", "10.0.2.2"),
       ("lease_time", 3600), ("renewal_time", 1800), ("rebinding_time", 3150),
       ("subnet_mask", "255.255.255.0"), ("router", "10.0.2.2", "10.0.2.1"),
       ("name_server", "10.0.2.3", "8.8.8.8"), ("hostname", b"guest1"),
       "pad", "pad", "end"]
TYPE_OFFER = [53, 1, 2]
SERVER = [54, 4, 10, 0, 2, 2]
LEASE = [51, 4, 0, 1, 0x51, 0x80]


def overloaded(flag):
    """An OFFER whose type and lease sit in file (and its router in sname)."""
    m = bytearray(raw([52, 1, flag] + SERVER + [255]))
    m[108:108 + 10] = bytes(TYPE_OFFER + LEASE + [255])
    m[44:44 + 7] = bytes([3, 4, 10, 0, 2, 1, 255])
    return bytes(m)


def seeds():
    s = {
        "offer-slirp": reply(OFFER) + bytes(30),
        "ack": reply(ACK),
        "ack-forever": reply([("message-type", "ack"), ("server_id", "10.0.2.2"),
                              ("lease_time", 0xffffffff), "end"]),
        "nak": reply([("message-type", "nak"), ("server_id", "10.0.2.2"), "end"],
                     yiaddr="0.0.0.0"),
        "offer-no-end": raw(TYPE_OFFER + SERVER + LEASE),
        "offer-overload-file": overloaded(1),
        "offer-overload-both": overloaded(3),
        "bad-bootrequest": reply(OFFER, op=1),
        "bad-cookie": reply(OFFER)[:239] + b"\x62" + reply(OFFER)[240:],
        "bad-short": reply(OFFER)[:239],
        "bad-past-end": raw(TYPE_OFFER + SERVER + [51, 4, 0, 1]),
        "bad-type-length": raw([53, 2, 2, 2] + SERVER + LEASE + [255]),
        "bad-mask-length": raw(TYPE_OFFER + SERVER + LEASE + [1, 3, 255, 255, 255, 255]),
        "bad-no-type": raw(SERVER + LEASE + [255]),
        "bad-dup-type": raw(TYPE_OFFER + SERVER + LEASE + TYPE_OFFER + [255]),
        "bad-offer-no-server": raw(TYPE_OFFER + LEASE + [255]),
        "offer-t1-after-t2": raw(TYPE_OFFER + SERVER + LEASE +
                               [58, 4] + list(struct.pack(">I", 80000)) +
                               [59, 4] + list(struct.pack(">I", 100)) + [255]),
    }
    return s


def main():
    out = os.path.join(HERE, "corpus-dhcpmsg")
    os.makedirs(out, exist_ok=True)
    s = seeds()
    for name, msg in sorted(s.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(b"\0" + msg)
    print("mkcorpus_dhcpmsg: %d inputs in %s" % (len(s), os.path.relpath(out)))


if __name__ == "__main__":
    main()
