#!/usr/bin/env python3
"""Where does the time go? A sampling profile of the guest during one
udpbench command, plus the host CPU of QEMU's threads.

    python3 bench/profile.py [--netmode poll] [--cpus 1] [--mitigation on]
                             [--hz 300] [--top 30] "udpbench tx -n 20000 -p {sink}"

{echo}, {sink} and {source} in the command become bench/peer.py's ports.
QEMU runs with its gdb stub (-gdb tcp::PORT); while the command runs, this
script stops the guest HZ times a second over the GDB remote protocol,
reads the program counter of hart 0 and lets it go again. Each sample is
named by the function it falls in (kernel/kernel or user/_udpbench
symbols). Samples in the scheduler's wfi are an idle hart.

What it tells: how the vCPU thread's time splits between user code,
kernel functions and idling. The host side (vCPU threads vs QEMU's main
loop, where slirp and the e1000 receive side run) comes from /proc. A
store to an E1000 register runs the device model (and, for TDT, slirp and
the host's sendto) inside that one instruction, so its cost shows as
samples on the function doing the store.

Each sample pauses the guest for some tens of microseconds, so the
command runs a little slower than without the profiler. Python 3 standard
library only; needs riscv64 nm (binutils) for the symbols.
"""

import sys
sys.dont_write_bytecode = True

import argparse
import bisect
import collections
import importlib.util
import os
import re
import socket
import subprocess
import tempfile
import threading
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("benchrun", os.path.join(BENCH, "run.py"))
benchrun = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(benchrun)
from qemu import PROMPT, REPO, Log, TestFailure, build, free_udp_ports  # noqa: E402

RISCV_PC = 32            # pc follows x0..x31 in a 'g' (all registers) reply


class Gdb:
    """The few GDB remote-protocol requests a sampler needs."""

    def __init__(self, port):
        deadline = time.monotonic() + 10
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), 1)
                # Tiny packets both ways: without this, Nagle's algorithm
                # and delayed ACKs add tens of ms to every sample.
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.sock.settimeout(10)
        self.buf = b""
        self.send(b"?")                    # QEMU stops the guest on attach
        self.reply_to(b"?")

    def send(self, data):
        self.sock.sendall(b"$%s#%02x" % (data, sum(data) & 0xff))

    def packet(self):
        """The next packet's data, acknowledged ('+' acks skipped)."""
        while True:
            start = self.buf.find(b"$")
            end = self.buf.find(b"#", start)
            if start >= 0 and end >= 0 and len(self.buf) >= end + 3:
                data = self.buf[start + 1:end]
                self.buf = self.buf[end + 3:]
                self.sock.sendall(b"+")
                return data
            chunk = self.sock.recv(4096)
            if not chunk:
                raise TestFailure("gdb stub closed the connection")
            self.buf += chunk

    def reply_to(self, what):
        """Skip packets until the reply to what: a stop reply (T.. or S..)
        for b"?" and an interrupt, hex register data for b"g"."""
        while True:
            data = self.packet()
            if what == b"g" and len(data) >= (RISCV_PC + 1) * 16:
                return data
            if what != b"g" and data[:1] in (b"T", b"S"):
                return data

    def resume(self):
        self.send(b"c")                    # no reply until the next stop

    def sample_pc(self):
        """Stop the guest, read hart 0's pc, let it run again."""
        self.sock.sendall(b"\x03")
        self.reply_to(b"?")
        self.send(b"g")
        regs = self.reply_to(b"g")
        self.resume()
        return int.from_bytes(bytes.fromhex(regs[RISCV_PC * 16:(RISCV_PC + 1) * 16].decode()),
                              "little")

    def close(self):
        try:
            self.sock.sendall(b"\x03")
            self.reply_to(b"?")
            self.send(b"D")                # detach: the guest runs on
            self.packet()
        except (OSError, TestFailure):
            pass
        self.sock.close()


class Symbols:
    """Address -> function name, from `nm -n` of the kernel and a user program."""

    def __init__(self, *files):
        self.addrs, self.names = [], []
        nm = os.environ.get("NM", "riscv64-unknown-elf-nm")
        pairs = []
        for path, prefix in files:
            out = subprocess.run([nm, "-n", path], stdout=subprocess.PIPE,
                                 text=True, check=True).stdout
            for line in out.splitlines():
                f = line.split()
                if len(f) == 3 and f[1] in "tTwW":
                    pairs.append((int(f[0], 16), prefix + f[2]))
        pairs.sort()
        self.addrs = [a for a, _ in pairs]
        self.names = [n for _, n in pairs]

    def name(self, pc):
        if pc >= 0x3ffffff000:
            return "[trampoline]"
        i = bisect.bisect_right(self.addrs, pc) - 1
        return self.names[i] if i >= 0 else "?"


def sample(gdb, hz, stop):
    """Sample until stop is set; returns the list of pcs."""
    pcs = []
    period = 1.0 / hz
    while not stop.is_set():
        pcs.append(gdb.sample_pc())
        time.sleep(period)
    return pcs


def profile(args):
    log = Log(os.path.join(tempfile.mkdtemp(prefix="xv6prof-"), "profile.log"))
    build(args.netmode, log)
    fwdport, fwdport2, gdbport = free_udp_ports(3)
    peers = benchrun.Peers(log, fwdport)
    peers.start()
    img = os.path.join(os.path.dirname(log.path), "fs.img")
    subprocess.run(["cp", os.path.join(REPO, "fs.img"), img], check=True)
    q = ProfQemu(log, dict(NETMODE=args.netmode, CPUS=args.cpus, FSIMG=img, PCAP="off",
                           FWDPORT=fwdport, FWDPORT2=fwdport2, SERVERPORT=peers.ports["echo"],
                           E1000_MITIGATION=args.mitigation), gdbport)
    try:
        q.start()
        q.wait_boot()
        q.run("udpbench lat -n 20 -p %d" % peers.ports["echo"])
        q.run("udpbench rx -n 20 -r 1000 -p %d" % peers.ports["source"])
        cmd = args.command.format(**peers.ports)
        gdb = Gdb(gdbport)
        gdb.resume()
        # Sample only once the shell has the whole command line: input
        # typed while the guest is stopped can get lost.
        q.sendline(cmd)
        q.expect(re.escape(cmd) + r"\r*\n")
        stop = threading.Event()
        result = {}
        c0, t0 = benchrun.thread_times(q.proc.pid), time.monotonic()
        sampler = threading.Thread(target=lambda: result.update(
            pcs=sample(gdb, args.hz, stop)))
        sampler.start()
        try:
            result["out"] = q.expect(r"RESULT[^\n]*\n", timeout=300).group(0)
        finally:
            stop.set()
            sampler.join()
        wall = time.monotonic() - t0
        q.expect(PROMPT)
        cpu = benchrun.cpu_delta(c0, benchrun.thread_times(q.proc.pid), wall)
        gdb.close()
        show(args, cmd, result, cpu, wall)
    finally:
        q.quit()
        peers.stop()
        log.close()


class ProfQemu(benchrun.BenchQemu):
    def __init__(self, log, makevars, gdbport):
        super().__init__(log, makevars)
        self.gdbport = gdbport

    def command(self):
        return super().command() + [
            "-chardev", "socket,id=gdb0,host=127.0.0.1,port=%d,server=on,wait=off,nodelay=on"
            % self.gdbport, "-gdb", "chardev:gdb0"]


def show(args, cmd, result, cpu, wall):
    syms = Symbols((os.path.join(REPO, "kernel", "kernel"), ""),
                   (os.path.join(REPO, "user", "_udpbench"), "user:"))
    pcs = result.get("pcs", [])
    counts = collections.Counter(syms.name(pc) for pc in pcs)
    print("$ %s   (NETMODE=%s CPUS=%d mitigation=%s)" % (cmd, args.netmode, args.cpus,
                                                       args.mitigation))
    print(result.get("out", "").strip())
    print("host CPU, %% of a core over %.2f s: QEMU total %.0f, vCPU threads %.0f, "
          "main loop %.0f" % (wall, cpu["total"], cpu["vcpu"], cpu["main"]))
    n = len(pcs) or 1
    user = sum(c for k, c in counts.items() if k.startswith("user:"))
    print("%d samples of hart 0: user %.0f%%, kernel %.0f%%" % (len(pcs), 100.0 * user / n,
                                                                 100.0 * (n - user) / n))
    for name, c in counts.most_common(args.top):
        print("  %5.1f%%  %s" % (100.0 * c / n, name))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", help='e.g. "udpbench tx -n 20000 -p {sink}"')
    ap.add_argument("--netmode", default="poll", choices=("intr", "poll", "hybrid"))
    ap.add_argument("--cpus", type=int, default=1)
    ap.add_argument("--mitigation", default="on", choices=("on", "off"))
    ap.add_argument("--hz", type=int, default=300, help="samples per second")
    ap.add_argument("--top", type=int, default=30, help="functions to list")
    profile(ap.parse_args())
    return 0


if __name__ == "__main__":
    sys.exit(main())
