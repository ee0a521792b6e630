"""DNS tests: test/dnsd.py on the host, the resolver (user/resolv.c) and
`nslookup` in the guest, on the raw wire (NET=wire), where test/wire.py
answers every DNS query from test/hosts, so nothing leaves the machine:

- dnsd: host-only checks of dnsd.answer(): known and unknown names, the
  compression pointer, OPT only when asked, FORMERR, no reply to replies,
  and the reply to MIT's lab query read by the lab's parsing rules.
- nslookup (every NETMODE): a known name, one through another server
  address, an unknown name (NXDOMAIN), a bad name; the counters add up.
- dns-lab: the query of MIT's 2020-23 DNS test (id 6828, for
  pdos.csail.mit.edu, to 8.8.8.8:53 from local port 10000) reaches the wire
  as such and is answered from 8.8.8.8 with the lab's address.
- dns-malformed: the wire answers with broken replies (cut short, a
  looping or forward pointer, garbage, TC, SERVFAIL, wrong id, an answer
  for another name); the resolver must report each clearly, never crash,
  and the guest must still work.  One odd but valid reply (a CNAME whose
  A record is named by a pointer into the CNAME's data) must resolve.
- dns-deadline (every NETMODE): the wire answers each query with a
  stream of replies the resolver must skip (another id; a copy of the
  query, QR clear), never the answer; nslookup must give up with "no reply
  from the server" within a generous bound of RESOLV_DEADLINE_MS, not
  wait as long as the stream lasts.

The wire tests take test_wire.py's `wire` fixture: (w, q), the wire and
the guest booted on it.
"""

import re
import struct
import threading
import time

import pytest

import dnsd
from qemu import PANIC, TestFailure
from scapy.layers.inet import IP, UDP
from wire import data
from test_wire import check_alive, netstat, wire  # noqa: F401 (wire: a fixture)

LAB_NAME = "pdos.csail.mit.edu"
LAB_ADDR = "128.52.129.126"
LAB_ID = 6828
LAB_LPORT = 10000
LAB_SERVER = "8.8.8.8"
NSLOOKUP_TIMEOUT = 60      # seconds: a ceiling (a timeout case waits 3 x 1 s)
DEADLINE = 3.0             # RESOLV_DEADLINE_MS (user/user.h), in seconds
DEADLINE_BOUND = 30        # seconds: "gave up" vs "held by the stream"
STREAM_GAP = 0.1           # seconds between skipped replies: < a try's 1 s


def lab_query(name=LAB_NAME, qid=LAB_ID):
    """The query MIT's 2020-23 DNS test sends: RD set, one A/IN question,
    no OPT record."""
    return dnsd.make_query(name, qid=qid)


def lab_accepts(rep, qid=LAB_ID):
    """Read rep by the rules the lab's DNS test applies (QR set,
    rcode 0, answers named by a pointer or in full, A records; the
    additional section may hold only OPT records; every byte accounted
    for). Returns the A addresses it finds, or raises TestFailure."""
    rid, flags, qd, an, ns, ar = struct.unpack_from("!HHHHHH", rep)
    if rid != qid or not flags & 0x8000 or flags & 0xF:
        raise TestFailure("lab rules: bad header %r" % rep[:12])
    off = 12
    for _ in range(qd):
        _, off = dnsd.read_name(rep, off)
        off += 4
    addrs = []
    for _ in range(an):
        if rep[off] > 63:
            off += 2
        else:
            _, off = dnsd.read_name(rep, off)
        rtype, _, _, rdlen = struct.unpack_from("!HHIH", rep, off)
        off += 10
        if rtype == dnsd.TYPE_A and rdlen == 4:
            addrs.append(".".join(str(b) for b in rep[off:off + 4]))
            off += 4
    for _ in range(ar):
        if rep[off] != 0:
            raise TestFailure("lab rules: additional record not OPT")
        rtype, _, _, rdlen = struct.unpack_from("!HHIH", rep, off + 1)
        if rtype != dnsd.TYPE_OPT:
            raise TestFailure("lab rules: additional record type %d" % rtype)
        off += 11 + rdlen
    if off != len(rep):
        raise TestFailure("lab rules: parsed %d bytes of %d" % (off, len(rep)))
    return addrs


def expect(cond, what):
    if not cond:
        raise TestFailure(what)


def test_dnsd(guest):
    """dnsd.answer() on its own, no QEMU."""
    t = guest
    q = dnsd.make_query(LAB_NAME, qid=7, edns=True)
    rep = dnsd.answer(q)
    expect(dnsd.decode(rep) == (7, 0, [LAB_ADDR], True), "known name, EDNS")
    qend = len(q) - 11                   # the question ends where OPT starts
    expect(rep[12:qend] == q[12:qend], "question not copied")
    expect(rep[qend:qend + 2] == b"\xc0\x0c", "no pointer to the question")
    expect(dnsd.decode(dnsd.answer(dnsd.make_query("PDOS.csail.MIT.edu.")))
           == (0x1234, 0, [LAB_ADDR], False), "case and final dot")
    expect(dnsd.decode(dnsd.answer(dnsd.make_query("no.such.name")))
           == (0x1234, dnsd.NXDOMAIN, [], False), "unknown name")
    expect(dnsd.decode(dnsd.answer(dnsd.make_query(LAB_NAME, qtype=28)))
           == (0x1234, 0, [], False), "AAAA of a known name: no data")
    expect(dnsd.answer(b"\x12\x34\x01") is None, "runt answered")
    expect(dnsd.answer(rep) is None, "a reply was answered")
    bad = dnsd.answer(q[:20])
    expect(bad is not None and bad[3] & 0xF == dnsd.FORMERR, "cut query")
    notimp = dnsd.answer(b"\0\1\x28\0" + bytes(8))
    expect(notimp[3] & 0xF == dnsd.NOTIMP, "opcode 5 (update)")
    expect(lab_accepts(dnsd.answer(lab_query())) == [LAB_ADDR],
           "lab query")
    t.note("%d names in test/hosts" % len(dnsd.TABLE))


def nslookup(q, args):
    """Run nslookup ARGS; return what it printed."""
    return q.run("nslookup " + args, timeout=NSLOOKUP_TIMEOUT,
                 fail=PANIC).strip()


def expect_line(out, regex, cmd):
    if not re.search(regex, out, re.M):
        raise TestFailure("`nslookup %s` printed %r, expected /%s/"
                          % (cmd, out, regex))


def check_nslookup(q, args, regex):
    expect_line(nslookup(q, args), regex, args)


@pytest.mark.netmodes()
def test_nslookup(guest, wire):
    """Known, unknown and bad names through the resolver, on the wire."""
    w, q = wire
    check_nslookup(q, LAB_NAME, r"^pdos\.csail\.mit\.edu: 128\.52\.129\.126$")
    check_nslookup(q, "Host.XV6.test 10.0.2.3", r"^Host\.XV6\.test: 10\.0\.2\.2$")
    check_nslookup(q, "www.example.test 192.0.2.53",
                   r"^www\.example\.test: 192\.0\.2\.10$")
    check_nslookup(q, "nosuch.xv6.test",
                   r"^nslookup: nosuch\.xv6\.test: no such name \(NXDOMAIN\)$")
    check_nslookup(q, "bad..name", r"^nslookup: bad\.\.name: not a valid name$")
    expect(w.stats["dns_answered"] >= 4,      # more if one was resent
           "the wire answered %d queries, expected 4"
           % w.stats["dns_answered"])
    netstat(guest, q)
    guest.check_pcap(q)


def test_dns_lab(guest, wire):
    """MIT's 2020-23 DNS query, id 6828 from port 10000 to 8.8.8.8, is
    answered on the wire from 8.8.8.8 with the lab's address."""
    w, q = wire
    seen = []

    def record(wire, pkt):
        seen.append((pkt[IP].dst, pkt[UDP].sport,
                     struct.unpack_from("!H", data(pkt))[0]))
        wire._dns(wire, pkt)
    w.dns = record
    check_nslookup(q, "-p %d -i %d %s %s" % (LAB_LPORT, LAB_ID, LAB_NAME,
                                             LAB_SERVER),
                   r"^pdos\.csail\.mit\.edu: 128\.52\.129\.126$")
    want = (LAB_SERVER, LAB_LPORT, LAB_ID)
    expect(seen and seen[0] == want,
           "the wire saw %r, expected %r" % (seen, want))
    guest.check_pcap(q)


# Broken replies to a query q (bytes), and what nslookup must say.
def _cut(q):
    return dnsd.answer(q)[:-14]          # ends inside the answer record


def _loop(q):
    rep = bytearray(dnsd.answer(q))
    i = rep.index(b"\xc0\x0c")
    rep[i:i + 2] = struct.pack("!H", 0xC000 | i)     # points at itself
    return bytes(rep)


def _forward(q):
    rep = bytearray(dnsd.answer(q))
    i = rep.index(b"\xc0\x0c")
    rep[i:i + 2] = struct.pack("!H", 0xC000 | (i + 2))   # points ahead
    return bytes(rep)


def _garbage(q):
    return q[:2] + b"\x81\x80" + bytes(range(7, 250, 3))


def _flags(q, flags):
    rep = dnsd.answer(q)
    return rep[:2] + struct.pack("!H", flags) + rep[4:]


def _other_name(q):
    return dnsd.answer(q[:2] + dnsd.make_query("host.xv6.test")[2:])


def _wrong_id(q):
    return struct.pack("!H", struct.unpack_from("!H", q)[0] ^ 1) + \
        dnsd.answer(q)[2:]


def _header_only(q):
    return q[:2] + b"\x81\x80" + struct.pack("!HHHH", 1, 1, 0, 0)


def _cname(q):
    """Not broken: the name is an alias (CNAME, its target compressed
    against the question) and the A record names the target by a pointer
    into the CNAME's data."""
    qend = 12 + len(dnsd.read_name(q, 12)[0]) + 2 + 4
    alias = b"\x05alias" + b"\xc0\x0c"       # alias.pdos.csail.mit.edu
    return (struct.pack("!HHHHHH", struct.unpack_from("!H", q)[0], 0x8180,
                        1, 2, 0, 0) + q[12:qend]
            + struct.pack("!HHHIH", 0xC00C, 5, 1, 60, len(alias)) + alias
            + struct.pack("!HHHIH", 0xC000 | (qend + 12), 1, 1, 60, 4)
            + bytes([10, 9, 8, 7]))


MALFORMED = [
    ("cut", _cut, "malformed reply"),
    ("loop", _loop, "malformed reply"),
    ("forward", _forward, "malformed reply"),
    ("garbage", _garbage, "malformed reply"),
    ("header only", _header_only, "malformed reply"),
    ("other name", _other_name, "malformed reply"),
    ("TC", lambda q: _flags(q, 0x8380), "reply truncated"),
    ("SERVFAIL", lambda q: _flags(q, 0x8182), "server failure"),
    ("wrong id", _wrong_id, "no reply from the server"),
    ("runt", lambda q: q[:2] + b"\x81", "malformed reply"),
    ("cname", _cname, None),
]


@pytest.mark.qemu(PCAP="off")
def test_dns_malformed(guest, wire):
    """The resolver meets broken replies: a clear error each time, no
    crash, and the guest still works."""
    w, q = wire
    check_alive(q, w, "boot")
    for case, make, why in MALFORMED:
        w.dns = lambda wire, pkt, make=make: wire.reply_udp(
            pkt, make(data(pkt)))
        want = (r"^%s: 10\.9\.8\.7$" % re.escape(LAB_NAME) if why is None
                else r"^nslookup: %s: %s$" % (re.escape(LAB_NAME),
                                              re.escape(why)))
        expect_line(nslookup(q, LAB_NAME), want,
                    "%s (%s)" % (LAB_NAME, case))
    w.dns = type(w)._dns
    check_nslookup(q, LAB_NAME, r": 128\.52\.129\.126$")
    check_alive(q, w, "the broken replies")
    netstat(guest, q)


def stream_skipped(w, stop, sent):
    """Until stop is set, every STREAM_GAP send the guest two replies it
    must skip, to the latest DNS query the wire saw (w.dns records it in
    sent["pkt"]): one with another id, and the query itself (QR clear)."""
    while not stop.wait(STREAM_GAP):
        pkt = sent.get("pkt")
        if pkt is None:
            continue
        w.reply_udp(pkt, _wrong_id(data(pkt)))
        w.reply_udp(pkt, data(pkt))
        sent["n"] = sent.get("n", 0) + 2


@pytest.mark.netmodes()
@pytest.mark.qemu(PCAP="off")
def test_dns_deadline(guest, wire):
    """A server that answers with an endless stream of replies to other
    queries cannot hold resolve() past its deadline."""
    w, q = wire
    sent, stop = {}, threading.Event()
    w.dns = lambda wire, pkt: sent.update(pkt=pkt, queries=sent.get(
        "queries", 0) + 1)
    streamer = threading.Thread(target=stream_skipped, args=(w, stop, sent),
                                daemon=True)
    streamer.start()
    try:
        t0 = time.monotonic()
        out = q.run("nslookup " + LAB_NAME, timeout=DEADLINE_BOUND,
                    fail=PANIC).strip()
        took = time.monotonic() - t0
    finally:
        stop.set()
        streamer.join(5)
        w.dns = type(w)._dns
    expect_line(out, r"^nslookup: %s: no reply from the server$"
                % re.escape(LAB_NAME), LAB_NAME + " (a stream of skipped "
                "replies)")
    # The stream really ran: at least a pair of skipped replies per try
    # (about 20 pairs a second are sent).
    expect(sent.get("n", 0) >= 2 * 3,
           "only %d skipped replies were sent" % sent.get("n", 0))
    guest.note("gave up after %.1f s (deadline %.0f s), %d queries, %d "
               "skipped replies" % (took, DEADLINE, sent.get("queries", 0),
                                    sent.get("n", 0)))
    check_alive(q, w, "the stream of skipped replies")
    netstat(guest, q)
