#!/usr/bin/env python3
"""Tests of the harness itself, without the kernel or QEMU: port picking,
the tshark check of captures, server.py through the Server helper, the
Makefile's QEMU command line, and the console driver (expect, run, quit,
panic, crash and timeout handling) against a fake guest: this same file
run with --fake-guest, which acts like xv6's console and shell.
"""

import os
import re
import socket
import sys
import time

import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.utils import wrpcap

from qemu import PROMPT, Log, Qemu, TestFailure, free_udp_ports
from hostnet import Server, check_pcap, pcap_frames
import wire


# ---- the fake guest ---------------------------------------------------------

def fake_guest():
    """Act like xv6 on a raw terminal: echo each typed byte, run a line on
    Enter, print "$ ".  Ctrl-a x quits, as QEMU's does, unless the command
    `deaf` was run.  Other commands: `echo ...`, `bg N TEXT` (prints TEXT
    and a newline with the prompt inserted after N characters), `panic` (prints a kernel
    panic line), `crash` (exits at once), `hang` (never prompts again)."""
    out = lambda s: os.write(1, s.encode())
    out("xv6 fake kernel booting\ninit: starting sh\n$ ")
    line, ctrl_a, deaf = b"", False, False
    while True:
        c = os.read(0, 1)
        if not c:
            return 0
        if ctrl_a and c == b"x" and not deaf:
            out("QEMU: Terminated\n")
            return 0
        ctrl_a = c == b"\x01"
        if ctrl_a:
            continue
        os.write(1, c)                   # the console echoes what is typed
        if c != b"\n":
            line += c
            continue
        cmd, line = line.decode().split(), b""
        if cmd and cmd[0] == "echo":
            out(" ".join(cmd[1:]) + "\n")
        elif cmd == ["panic"]:
            out("panic: fake\n")
        elif cmd == ["crash"]:
            return 3
        elif cmd == ["hang"]:
            continue
        elif cmd == ["deaf"]:
            deaf = True
        elif len(cmd) == 3 and cmd[0] == "bg":
            # A background job's line with the prompt inside it at cmd[1]
            # (a legal interleaving on xv6's console).
            text, at = cmd[2] + "\n", int(cmd[1])
            out(text[:at] + "$ " + text[at:])
            continue
        elif cmd:
            out("exec %s failed\n" % cmd[0])
        out("$ ")


class FakeQemu(Qemu):
    """A Qemu whose "QEMU" is the fake guest above."""

    def command(self):
        return [sys.executable, os.path.abspath(__file__), "--fake-guest"]


@pytest.fixture
def log(tmp_path):
    """A Log in a temporary directory."""
    lg = Log(str(tmp_path / "test.log"))
    yield lg
    lg.close()


def booted(log):
    q = FakeQemu(log, {})
    q.start()
    q.wait_boot(10)
    return q


def test_console(log):
    """expect(), run(), a panic, a timeout, and Ctrl-a x."""
    q = FakeQemu(log, {})
    q.start()
    try:
        q.expect(r"init: starting sh", 10)
        q.wait_boot(10)
        assert q.run("echo hello world") == "hello world\n"
        assert q.last_rtt > 0
        assert q.run("nosuchcmd") == "exec nosuchcmd failed\n"
        with pytest.raises(TestFailure, match="console: panic: fake"):
            q.run("panic", 10)
        q.wait_boot(10)
        q.sendline("hang")
        t0 = time.monotonic()
        with pytest.raises(TestFailure, match="after 0.5 s"):
            q.expect(PROMPT, 0.5)
        assert time.monotonic() - t0 < 5
    finally:
        q.quit()
    assert not q.alive()
    assert "QEMU: Terminated" in "\n".join(log.tail(5))


@pytest.mark.parametrize("at", range(7))
def test_console_background(log, at):
    """expect_bg() takes a background job's line and the prompt in every
    order, the prompt split or not, and leaves the console ready for
    run().  (The pattern it replaced missed "bgjob$ " then the newline.)"""
    q = booted(log)
    try:
        q.sendline("bg %d bgjob" % at)
        q.expect(r"bg %d bgjob\r*\n" % at, 10)
        q.expect_bg("bgjob\n", 10)
        assert q.run("echo next") == "next\n"
    finally:
        q.quit()


def test_console_kill_and_crash(log):
    """A QEMU that ignores Ctrl-a x is killed; one that dies is reported."""
    q = booted(log)
    q.run("deaf")
    q.quit(timeout=1)
    assert "ignored Ctrl-a x" in "\n".join(log.tail(5))
    q = booted(log)
    q.sendline("crash")
    with pytest.raises(TestFailure, match="QEMU exited"):
        q.expect(r"never", 10)
    q.quit()
    assert "exited with status 3" in log.tail(1)[0]


def test_qemu_cmd(log):
    """The Makefile's qemu-cmd target, with a test's variables."""
    q = Qemu(log, {"NETMODE": "poll", "CPUS": 1, "FSIMG": "/tmp/x.img",
                   "PCAPFILE": "/tmp/p.pcap", "FWDPORT": 12345,
                   "FWDPORT2": 12346})
    argv = q.command()
    line = " ".join(argv)
    assert argv[0] == "qemu-system-riscv64", argv
    for want in ("-smp 1", "file=/tmp/x.img", "file=/tmp/p.pcap",
                 "hostfwd=udp:127.0.0.1:12345-:2000", "hostfwd=udp:127.0.0.1:12346-:2001"):
        assert want in line


def test_ports():
    """free_udp_ports() gives distinct ports nobody has bound."""
    ports = free_udp_ports(3)
    assert len(set(ports)) == 3
    for p in ports:
        assert 1024 <= p <= 65535
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("", p))
        s.close()


def udp_frame(ip_chksum=None, udp_chksum=None, cut=None):
    """Ethernet/IPv4/UDP 10.0.2.15:2000 -> 10.0.2.2:25099, with a checksum
    set wrong if given, or cut to its first `cut` bytes."""
    return bytes(Ether(dst="52:55:00:00:02:02", src="52:54:00:12:34:56")
                 / IP(src="10.0.2.15", dst="10.0.2.2", chksum=ip_chksum)
                 / UDP(sport=2000, dport=25099, chksum=udp_chksum)
                 / Raw(b"hi"))[:cut]


@pytest.mark.parametrize("frames, error", [
    ([udp_frame(), udp_frame()], None),
    ([udp_frame(), udp_frame(ip_chksum=0x1234)], "bad frame"),
    ([udp_frame(udp_chksum=0x1234)], "bad frame"),
    ([udp_frame(cut=38)], "bad frame"),
    ([], None),
], ids=["good", "badip", "badudp", "truncated", "noframes"])
def test_pcap(tmp_path, frames, error):
    """check_pcap() passes a clean capture and fails on a bad frame."""
    path = str(tmp_path / "c.pcap")
    wrpcap(path, [Ether(f) for f in frames], linktype=1)
    if error is None:
        check_pcap(path)
        assert len(pcap_frames(path, "udp")) == len(frames)
    else:
        with pytest.raises(TestFailure, match=error):
            check_pcap(path)


def test_pcap_tcp_repacketized(tmp_path):
    """A TCP retransmission that overlaps what was sent at other segment
    boundaries, same bytes, is not a bad frame (tshark's stream reassembly
    called it an error: test_tcp_tap_clean[poll] failed on 4d7b96e)."""
    hdr = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
    stream = hdr + bytes(range(100)) + b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

    def seg(off, n):
        return (Ether(dst="52:55:00:00:02:02", src="52:54:00:12:34:56")
                / IP(src="10.0.2.15", dst="10.0.2.2")
                / TCP(sport=80, dport=38254, flags="PA", seq=1000 + off, ack=5)
                / Raw(stream[off:off + n]))
    n = len(hdr)
    path = str(tmp_path / "c.pcap")
    wrpcap(path, [seg(0, n + 50), seg(n + 50, 50), seg(n + 70, 60),
                  seg(n + 100, len(stream) - n - 100)])
    check_pcap(path)
    assert len(pcap_frames(path, "tcp")) == 4


def test_pcap_unreadable(tmp_path):
    """No capture, or not a capture at all, is a failure too."""
    empty = tmp_path / "empty.pcap"
    empty.write_bytes(b"")
    with pytest.raises(TestFailure, match="no capture"):
        check_pcap(str(empty))
    garbage = tmp_path / "garbage.pcap"
    garbage.write_bytes(b"not a capture file at all, not at all")
    with pytest.raises(TestFailure, match="tshark could not read"):
        check_pcap(str(garbage))


def test_server(log):
    """server.py echoes a datagram and prints a line for it."""
    port = free_udp_ports(1)[0]
    srv = Server(log, port).start()
    try:
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        c.settimeout(10)
        c.sendto(b"ping", ("127.0.0.1", port))
        assert c.recvfrom(100)[0] == b"ping"
        c.close()
        assert re.search(r": 4 bytes: ping$", srv.expect("ping", 10))
    finally:
        srv.stop()
    assert "[server] server.py: echo on" in "\n".join(log.tail(10))


class FakeDns:
    """Stands in for test/dnsd.py: answers b"q..." with b"r...", and
    records the queries it was asked."""

    def __init__(self):
        self.asked = []

    def answer(self, query):
        self.asked.append(query)
        return b"r" + query[1:] if query.startswith(b"q") else None


def test_wire_dns(monkeypatch):
    """wire.py hands a datagram to port 53 of any address to dnsd.answer()
    and sends the answer back from that address and port."""
    dns = FakeDns()
    monkeypatch.setattr(wire, "dnsd", dns)
    w = wire.Wire(*free_udp_ports(2))    # no thread: we feed it by hand
    try:
        w.record(True)
        for payload in (b"query", b"xignored"):
            w._dispatch(wire.udp_frame(10000, 53, payload, src=wire.GUEST_IP,
                                       dst="8.8.8.8", smac=wire.GUEST_MAC,
                                       dmac=wire.HOST_MAC))
        sent = w.record(False)
    finally:
        w.close()
    assert dns.asked == [b"query", b"xignored"]
    assert len(sent) == 1 and wire.well_formed(sent[0])
    reply = Ether(sent[0])
    assert (reply.dst, reply[IP].src, reply[IP].dst) == \
        (wire.GUEST_MAC, "8.8.8.8", wire.GUEST_IP)
    assert (reply[UDP].sport, reply[UDP].dport) == (53, 10000)
    assert wire.data(reply) == b"ruery"


if __name__ == "__main__":
    if sys.argv[1:] == ["--fake-guest"]:
        sys.exit(fake_guest())
