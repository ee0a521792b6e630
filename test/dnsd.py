"""A tiny DNS responder for the raw wire: A records from test/hosts.

    answer(query) -> reply bytes, or None

follows RFC 1035 (message format, section 4; name compression, 4.1.4)
and RFC 6891 (the EDNS OPT pseudo-record).  It answers what a stub
resolver asks, so that DNS works without the Internet on `NET=wire`:

- a standard query (opcode 0) with one question: for a name in the hosts
  table, type A (or ANY) class IN, one A record per address (AA set, TTL
  TTL); for a known name and another type, no answer (NOERROR); for an
  unknown name, rcode 3 (NXDOMAIN);
- answers name their owner with a compression pointer to the question's
  name (offset 12), as real servers do;
- if the query carries an OPT record, so does the reply (in the additional
  section, payload size EDNS_SIZE), as real servers do;
- a malformed query gets rcode 1 (FORMERR), another opcode rcode 4
  (NOTIMP); input that is not a DNS query at all (too short, or a
  response) gets no reply.

test/wire.py calls it for every UDP datagram to port 53.  Python 3
standard library only.  `python3 test/dnsd.py NAME` prints the reply to a
query for NAME, decoded.
"""

import os
import struct
import sys

HOSTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hosts")
HDR = struct.Struct("!HHHHHH")     # id, flags, qd, an, ns, ar counts
TTL = 300
EDNS_SIZE = 1232                   # UDP payload size we advertise
TYPE_A, TYPE_OPT, TYPE_ANY, CLASS_IN = 1, 41, 255, 1
QR, AA, RD, RA = 0x8000, 0x0400, 0x0100, 0x0080
NOERROR, FORMERR, NXDOMAIN, NOTIMP = 0, 1, 3, 4


def load_hosts(path=HOSTS):
    """The hosts file as {lower-case name: [4-byte addresses]}."""
    table = {}
    with open(path) as f:
        for line in f:
            words = line.split("#", 1)[0].split()
            if len(words) < 2:
                continue
            addr = bytes(int(x) for x in words[0].split("."))
            for name in words[1:]:
                table.setdefault(name.lower().rstrip("."), []).append(addr)
    return table


TABLE = load_hosts()


class Malformed(Exception):
    pass


def read_name(msg, off):
    """The uncompressed name at msg[off:] (a query has no pointers) as a
    lower-case dotted string, and the offset after it."""
    labels = []
    while True:
        if off >= len(msg):
            raise Malformed("name runs off the end")
        n = msg[off]
        if n == 0:
            return ".".join(labels).lower(), off + 1
        if n > 63 or off + 1 + n > len(msg):
            raise Malformed("bad label")
        try:
            labels.append(msg[off + 1:off + 1 + n].decode("ascii"))
        except UnicodeDecodeError:
            raise Malformed("not ASCII")
        off += 1 + n


def parse_query(msg):
    """(id, flags, name, qtype, qclass, question end, has OPT) of a query.
    Raises Malformed."""
    qid, flags, qd, an, ns, ar = HDR.unpack_from(msg)
    if qd != 1 or an or ns:
        raise Malformed("not one question")
    name, off = read_name(msg, HDR.size)
    if off + 4 > len(msg):
        raise Malformed("question cut short")
    qtype, qclass = struct.unpack_from("!HH", msg, off)
    qend = off + 4
    has_opt = False
    off = qend
    for _ in range(ar):                 # additional records: look for OPT
        if off + 11 > len(msg):
            raise Malformed("additional record cut short")
        rname, rtype = msg[off], struct.unpack_from("!H", msg, off + 1)[0]
        rdlen = struct.unpack_from("!H", msg, off + 9)[0]
        has_opt |= rname == 0 and rtype == TYPE_OPT
        off += 11 + rdlen
    return qid, flags, name, qtype, qclass, qend, has_opt


def opt_record():
    """An OPT pseudo-record: root name, type 41, class = our payload size,
    TTL = extended rcode 0, version 0, no flags; no options."""
    return b"\0" + struct.pack("!HHIH", TYPE_OPT, EDNS_SIZE, 0, 0)


def answer(query, table=None):
    """The reply to the DNS message query (bytes), or None if it is not a
    query we should answer."""
    table = TABLE if table is None else table
    if len(query) < HDR.size:
        return None
    qid, flags = struct.unpack_from("!HH", query)
    if flags & QR:
        return None                     # a response: never answer those
    opcode = (flags >> 11) & 0xF
    base = QR | (flags & (0x7800 | RD)) | RA
    if opcode != 0:
        return HDR.pack(qid, base | NOTIMP, 0, 0, 0, 0)
    try:
        qid, flags, name, qtype, qclass, qend, has_opt = parse_query(query)
    except (Malformed, struct.error):
        return HDR.pack(qid, base | FORMERR, 0, 0, 0, 0)
    addrs = table.get(name.rstrip("."))
    rcode = NOERROR if addrs else NXDOMAIN
    rrs = []
    if addrs and qtype in (TYPE_A, TYPE_ANY) and qclass == CLASS_IN:
        for a in addrs:
            # 0xc00c: a pointer to the question's name, at offset 12.
            rrs.append(struct.pack("!HHHIH", 0xC00C, TYPE_A, CLASS_IN, TTL, 4)
                       + a)
    head = HDR.pack(qid, base | AA | rcode, 1, len(rrs), 0, int(has_opt))
    return (head + query[HDR.size:qend] + b"".join(rrs)
            + (opt_record() if has_opt else b""))


def make_query(name, qid=0x1234, qtype=TYPE_A, edns=False):
    """A standard query for name (for the checks and by hand)."""
    qname = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")
                     if p) + b"\0"
    return (HDR.pack(qid, RD, 1, 0, 0, int(edns)) + qname
            + struct.pack("!HH", qtype, CLASS_IN)
            + (opt_record() if edns else b""))


def decode(reply):
    """(id, rcode, [A addresses as dotted strings], has OPT) of a reply
    written by answer()."""
    qid, flags, qd, an, ns, ar = HDR.unpack_from(reply)
    _, off = read_name(reply, HDR.size)
    off += 4
    addrs = []
    for _ in range(an):
        ptr, rtype, rclass, ttl, rdlen = struct.unpack_from("!HHHIH", reply,
                                                            off)
        off += 12
        if rtype == TYPE_A:
            addrs.append(".".join(str(b) for b in reply[off:off + rdlen]))
        off += rdlen
    has_opt = ar == 1 and reply[off:off + 3] == b"\0\0)"
    return qid, flags & 0xF, addrs, has_opt


def main(argv):
    if len(argv) != 2:
        print("usage: dnsd.py NAME", file=sys.stderr)
        return 2
    rep = answer(make_query(argv[1], edns=True))
    print(rep.hex())
    print("id 0x%04x rcode %d addresses %s OPT %s" % decode(rep))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
