#!/usr/bin/env python3
"""Self-test of the test harness itself; needs neither the kernel nor QEMU.

Usage: python3 test/selftest.py

Checks port picking, the tshark capture check on handmade captures, the
server helper, test selection, the summary line, and the console driver
(expect, run, quit, crash and timeout handling) against a fake guest: this
same file run with --fake-guest, which acts like xv6's console and shell.
Prints `name: OK` / `name: FAILED reason` and `N passed, N failed`.

Python 3 standard library only (plus tshark, as for the suite).
"""

import sys
sys.dont_write_bytecode = True

import contextlib
import io
import os
import socket
import struct
import tempfile
import time

import run
from hostnet import Server, check_pcap, pcap_frames, udp_port_in_use
from qemu import Log, Qemu, TestFailure, free_udp_ports



# ---- the fake guest ---------------------------------------------------------

def fake_guest():
    """Act like xv6 on a raw terminal: echo each typed byte, run a line on
    Enter, print "$ ".  Ctrl-a x quits, as QEMU's does, unless the command
    `deaf` was run.  Other commands: `echo ...`, `panic` (prints a kernel
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
        elif cmd:
            out("exec %s failed\n" % cmd[0])
        out("$ ")


class FakeQemu(Qemu):
    """A Qemu whose "QEMU" is the fake guest above."""

    def command(self):
        return [sys.executable, os.path.abspath(__file__), "--fake-guest"]


# ---- handmade captures ------------------------------------------------------

def inet_checksum(data):
    """The Internet checksum (RFC 1071) of data."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def udp_frame(bad_ip=False, bad_udp=False, truncate=False):
    """An Ethernet/IPv4/UDP frame from 10.0.2.15:2000 to 10.0.2.2:25099,
    optionally with a wrong checksum or cut short inside the UDP header."""
    src, dst, payload = bytes([10, 0, 2, 15]), bytes([10, 0, 2, 2]), b"hi"
    ulen = 8 + len(payload)
    udp = struct.pack("!HHHH", 2000, 25099, ulen, 0) + payload
    pseudo = src + dst + struct.pack("!BBH", 0, 17, ulen)
    ucsum = (inet_checksum(pseudo + udp) or 0xffff) ^ (0x1111 * bad_udp)
    udp = udp[:6] + struct.pack("!H", ucsum) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 1, 0, 64, 17, 0,
                     src, dst)
    icsum = inet_checksum(ip) ^ (0x2222 * bad_ip)
    ip = ip[:10] + struct.pack("!H", icsum) + ip[12:]
    packet = ip + (udp[:4] if truncate else udp)
    eth = bytes.fromhex("525500000202" "525400123456" "0800")
    return eth + packet


def write_pcap(path, frames):
    """Write frames as a classic libpcap file (Ethernet link type)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", i, 0, len(fr), len(fr)) + fr)


# ---- the checks -------------------------------------------------------------

def check_ports(tmp):
    ports = free_udp_ports(3)
    assert len(set(ports)) == 3, ports
    for p in ports:
        assert 1024 <= p <= 65535, p
        assert not udp_port_in_use(p), p
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", ports[0]))
    assert udp_port_in_use(ports[0])
    s.close()


def check_pcaps(tmp):
    cases = {
        "good": ([udp_frame(), udp_frame()], None),
        "badip": ([udp_frame(), udp_frame(bad_ip=True)], "bad frame"),
        "badudp": ([udp_frame(bad_udp=True)], "bad frame"),
        "truncated": ([udp_frame(truncate=True)], "bad frame"),
        "noframes": ([], None),
    }
    for name, (frames, error) in cases.items():
        path = os.path.join(tmp, name + ".pcap")
        write_pcap(path, frames)
        expect_failure(lambda: check_pcap(path), error, name)
    assert len(pcap_frames(os.path.join(tmp, "good.pcap"), "udp")) == 2
    empty = os.path.join(tmp, "empty.pcap")
    open(empty, "w").close()
    expect_failure(lambda: check_pcap(empty), "no capture", "empty file")
    garbage = os.path.join(tmp, "garbage.pcap")
    with open(garbage, "wb") as f:
        f.write(b"not a capture file at all, not at all")
    expect_failure(lambda: check_pcap(garbage), "tshark could not read",
                   "garbage")


def check_server(tmp):
    script = os.path.join(tmp, "fakeserver.py")
    with open(script, "w") as f:
        f.write("import socket, sys, time\n"
                "time.sleep(0.3)\n"
                "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                "s.bind(('', int(sys.argv[1])))\n"
                "print('listening on', sys.argv[1])\n"
                "while True: print('got', s.recv(2048).decode())\n")
    log = Log(os.path.join(tmp, "server.log"))
    port = free_udp_ports(1)[0]
    srv = Server(log, port, script=script).start()
    try:
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        c.sendto(b"ping", ("127.0.0.1", port))
        c.close()
        assert srv.expect("got ping", 10) == "got ping"
    finally:
        srv.stop()
    assert "[server] listening on" in "\n".join(log.tail(10))
    log.close()


def check_select(tmp):
    f = lambda t: None
    saved = run.TESTS[:]
    try:
        del run.TESTS[:]
        run.register("a", f)
        run.register("net", f, modes=run.MODES)
        run.register("b", f)
        names = lambda sel: [t.name for t in run.select(run.TESTS, sel)]
        assert names([]) == ["a", "net-intr", "b", "net-poll", "net-hybrid"]
        assert names(["net-poll"]) == ["net-poll"]
        assert names(["b", "net"]) == ["net-intr", "b", "net-poll",
                                       "net-hybrid"]
        expect_failure(lambda: run.select(run.TESTS, ["zz"]),
                       "unknown test zz; tests are: a net-intr", "unknown")
    finally:
        run.TESTS[:] = saved


def check_summary(tmp):
    def fails(t):
        raise TestFailure("on purpose")

    def crashes(t):
        raise KeyError("oops")
    tests = [run.Test("selftest-pass", "selftest-pass", "intr",
                      lambda t: None),
             run.Test("selftest-fail", "selftest-fail", "intr", fails),
             run.Test("selftest-crash", "selftest-crash", "intr", crashes)]
    saved = run.build
    run.build = lambda mode, log: None   # nothing to build here
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            status = run.main([], tests)
    finally:
        run.build = saved
    lines = out.getvalue().splitlines()
    assert status == 1, status
    assert lines[0] == "selftest-pass: OK", lines
    assert "selftest-fail: FAILED on purpose" in lines, lines
    assert any(l.startswith("selftest-crash: FAILED harness error: KeyError")
               for l in lines), lines
    assert lines[-1] == "1 passed, 2 failed", lines
    for t in tests:
        os.remove(os.path.join(run.LOGDIR, t.name + ".log"))
    with contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        assert run.main(["nope"], tests) == 2


def check_console(tmp):
    log = Log(os.path.join(tmp, "console.log"))
    q = FakeQemu(log, {})
    q.start()
    try:
        q.expect(r"init: starting sh", 10)
        q.wait_boot(10)
        assert q.run("echo hello world") == "hello world\n"
        assert q.last_rtt > 0
        assert q.run("nosuchcmd") == "exec nosuchcmd failed\n"
        mark = q.mark()
        q.sendline("echo late")
        q.expect(r"late\r*\n", 10)
        q.expect(run.PROMPT, 10, since=mark)
        expect_failure(lambda: q.run("panic", 10), "console: panic: fake",
                       "panic")
        q.wait_boot(10)
        q.sendline("hang")
        t0 = time.monotonic()
        expect_failure(lambda: q.expect(r"\$ ", 0.5), "after 0.5 s",
                       "timeout")
        assert time.monotonic() - t0 < 5
    finally:
        q.quit()
    assert not q.alive()
    assert "QEMU: Terminated" in "\n".join(log.tail(5))

    # QEMU ignoring Ctrl-a x is killed; a crashed QEMU is reported.
    q = FakeQemu(log, {})
    q.start()
    q.wait_boot(10)
    q.run("deaf")
    q.quit(timeout=1)
    q = FakeQemu(log, {})
    q.start()
    q.wait_boot(10)
    q.sendline("crash")
    expect_failure(lambda: q.expect(r"never", 10), "QEMU exited", "crash")
    q.quit()
    log.close()


def check_qemu_cmd(tmp):
    # The Makefile's qemu-cmd target, with a test's variables.
    log = Log(os.path.join(tmp, "cmd.log"))
    q = Qemu(log, {"NETMODE": "poll", "CPUS": 1, "FSIMG": "/tmp/x.img",
                   "PCAPFILE": "/tmp/p.pcap", "FWDPORT": 12345})
    argv = q.command()
    line = " ".join(argv)
    assert argv[0] == "qemu-system-riscv64", argv
    for want in ("-smp 1", "file=/tmp/x.img", "file=/tmp/p.pcap",
                 "hostfwd=udp::12345-:2000"):
        assert want in line, (want, line)
    log.close()


def expect_failure(fn, substring, what):
    """Call fn; require TestFailure/ValueError containing substring, or,
    with substring None, no failure at all."""
    try:
        fn()
    except (TestFailure, ValueError) as e:
        if substring is None or substring not in str(e):
            raise AssertionError("%s: unexpected failure: %s" % (what, e))
        return
    if substring is not None:
        raise AssertionError("%s: did not fail" % what)


CHECKS = [
    ("ports", check_ports),
    ("pcap", check_pcaps),
    ("server", check_server),
    ("select", check_select),
    ("summary", check_summary),
    ("console", check_console),
    ("qemu-cmd", check_qemu_cmd),
]


def main():
    passed = failed = 0
    for name, fn in CHECKS:
        with tempfile.TemporaryDirectory(prefix="xv6selftest-") as tmp:
            try:
                fn(tmp)
                print("%s: OK" % name, flush=True)
                passed += 1
            except Exception as e:
                print("%s: FAILED %s: %s" % (name, type(e).__name__, e),
                      flush=True)
                failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    if sys.argv[1:] == ["--fake-guest"]:
        sys.exit(fake_guest())
    sys.exit(main())
