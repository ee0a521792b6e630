#!/usr/bin/env python3
"""A real peer for the guest: Linux's own stack, through a TAP device in a
network namespace of its own, with a lossy wire in between if asked.

    guest E1000 --(QEMU -netdev dgram, UDP on 127.0.0.1)--> relay --> tap0
                                                            (ours)    10.0.2.2/24
                                                                      in netns NS

QEMU runs outside the namespace exactly as for NET=wire (test/wire.py): its
E1000's frames are UDP datagrams between 127.0.0.1:QEMU_PORT and
127.0.0.1:PORT.  The relay owns PORT's socket (made outside the namespace,
then handed over as an open descriptor) and tap0 (made inside: it opens
/dev/net/tun with TUNSETIFF IFF_TAP|IFF_NO_PI there).  Between the two it
drops, corrupts, duplicates and holds back (reorders) frames, each at a given
fraction per direction, the decisions drawn from a seeded generator, and
counts what it did.  With every fraction 0 it is a clean wire.  One path for
the clean and the lossy case: what the tests trust is the same program.
(--direct, the Makefile's TAPRELAY=off, leaves the relay out for the
clean case: tap0 is made persistent and QEMU, run in the namespace with
`-netdev tap`, opens it itself; nothing to impair, no frame counters.)

Inside the namespace, the relay also runs dnsmasq (Debian's dnsmasq-base)
on tap0: DHCP from 10.0.2.15 up, DNS for test/hosts' names, nothing else.
Nothing leaves the namespace: it has no other interface but its own lo.

The namespace:
- as root, a named one, `ip netns add xv6tap-PORT`; `ip netns exec
  xv6tap-PORT CMD` runs CMD in it.  A namespace of that prefix with no
  process left in it (its relay died with the program that started it) is
  deleted by the next start (cleanup_stale).
- as another user, `unshare -rn` (a user namespace with a network namespace)
  where the system allows it; the namespace lives as long as the relay and
  CMD runs in it through `nsenter -t RELAYPID -U -n --preserve-credentials`.
  This needs user namespaces and a /dev/net/tun that user may open.
The relay exits when the process that started it goes away, so a crashed
test leaves no relay and (as root) only an empty namespace behind.

CLI (the Makefile's NET=tap uses it; ports from `make help`):

    tapnet.py qemu --port P --qemu-port Q [--loss F ...] -- QEMU ARGS...
        bring the bed up, run QEMU in the foreground, tear down, print the
        relay's counters (`make qemu NET=tap`; with --direct QEMU runs in
        the namespace: `make qemu NET=tap TAPRELAY=off`)
    tapnet.py exec --port P -- CMD...     run CMD in that bed's namespace
    tapnet.py cleanup                     delete stale namespaces
    tapnet.py relay ...                   (internal: the process in the namespace)

As a library (test/conftest.py's `tapbed` fixture): TapBed(...).start(),
then run()/popen() in the namespace, stats(), impair(), close().
"""

import argparse
import fcntl
import json
import os
import random
import select
import shlex
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# ip, dnsmasq and nsenter live in /usr/sbin, on no ordinary user's PATH.
os.environ["PATH"] = os.environ.get("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin"
PREFIX = "xv6tap-"            # namespace names: PREFIX + relay port
TAP = "tap0"
HOST_IP = "10.0.2.2"
PREFIXLEN = 24
DHCP_FIRST = "10.0.2.15"
DHCP_LAST = "10.0.2.99"
DHCP_LEASE = "1h"
HOSTS = os.path.join(REPO, "test", "hosts")

TUNSETIFF = 0x400454ca        # linux/if_tun.h
TUNSETPERSIST = 0x400454cb
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
PR_SET_PDEATHSIG = 1          # linux/prctl.h
SOCKBUF = 4 << 20
HOLD_S = 0.02                 # a held-back frame goes out after this at the latest
STALE_AGE_S = 30              # a younger empty namespace may be one being set up
READY_TIMEOUT = 15
KINDS = ("loss", "reorder", "dup", "corrupt")
ETH_HLEN = 14
ETH_IP = b"\x08\x00"


def ns_name(port):
    return PREFIX + str(port)


def rooted():
    return os.geteuid() == 0


# ---- the impairment (pure: frames and a generator in, frames out) ----------

class Path:
    """One direction of the wire.  push(frame, now) decides the frame's fate
    from the generator and calls send(bytes) for each copy that goes out now;
    tick(now) releases a held frame whose time is up.

    Every frame draws the same numbers whatever happens to it, so frame k of
    a direction meets the same fate for a given seed; set() starts the
    count (and the generator) again, so frame k after the n-th set() meets
    the same fate whatever came before.  A frame is dropped
    (loss), else maybe has one bit flipped past its Ethernet header
    (corrupt), is sent twice (dup), and is held back (reorder) until the
    next frame has gone out or HOLD_S passes.  stats counts: in, out
    (frames put on the other side, copies included), dropped, corrupted,
    corrupted_ip (of those, IPv4 ones: their checksums must catch it),
    duplicated, held, reordered (held frames that a later one overtook)."""

    def __init__(self, send, seed, fractions):
        self.send = send
        self.seed = seed
        self.fr = dict.fromkeys(KINDS, 0.0)
        self.sets = -1
        self.set(fractions)
        self.held = None              # (frame, copies, deadline)
        self.stats = dict.fromkeys(("in", "out", "dropped", "corrupted",
                                    "corrupted_ip", "duplicated", "held",
                                    "reordered"), 0)

    def set(self, fractions):
        """Use these fractions (a dict of some of KINDS) from now on."""
        self.fr.update(fractions)
        self.sets += 1
        self.rng = random.Random("%s-%d" % (self.seed, self.sets))

    def push(self, frame, now):
        self.stats["in"] += 1
        r = [self.rng.random() for _ in KINDS]
        pos, bit = self.rng.randrange(1 << 16), self.rng.randrange(8)
        if r[0] < self.fr["loss"]:
            self.stats["dropped"] += 1
            return
        if r[3] < self.fr["corrupt"] and len(frame) > ETH_HLEN:
            b = bytearray(frame)
            b[ETH_HLEN + pos % (len(b) - ETH_HLEN)] ^= 1 << bit
            self.stats["corrupted"] += 1
            if frame[12:14] == ETH_IP:
                self.stats["corrupted_ip"] += 1
            frame = bytes(b)
        copies = 1
        if r[2] < self.fr["dup"]:
            copies = 2
            self.stats["duplicated"] += 1
        if r[1] < self.fr["reorder"] and self.held is None:
            self.held = (frame, copies, now + HOLD_S)
            self.stats["held"] += 1
            return
        self._out(frame, copies)
        if self.held is not None:
            self.stats["reordered"] += 1
            self._release()

    def tick(self, now):
        if self.held is not None and now >= self.held[2]:
            self._release()

    def deadline(self):
        return None if self.held is None else self.held[2]

    def _release(self):
        frame, copies, _ = self.held
        self.held = None
        self._out(frame, copies)

    def _out(self, frame, copies):
        for _ in range(copies):
            self.send(frame)
            self.stats["out"] += 1


# ---- the relay: the process inside the namespace ---------------------------

def sh(argv):
    subprocess.run(argv, check=True, stdin=subprocess.DEVNULL)


def open_tap():
    """Create tap0 in this process's namespace; return its descriptor.  The
    device lives as long as the descriptor."""
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", TAP.encode(),
                                           IFF_TAP | IFF_NO_PI))
    return fd


def setup_links():
    """lo and tap0 up, 10.0.2.2/24 on tap0, no IPv6 on it (its router
    solicitations would only be noise on the guest's wire)."""
    try:
        with open("/proc/sys/net/ipv6/conf/%s/disable_ipv6" % TAP, "w") as f:
            f.write("1")
    except OSError:
        pass
    sh(["ip", "link", "set", "lo", "up"])
    sh(["ip", "addr", "add", "%s/%d" % (HOST_IP, PREFIXLEN), "dev", TAP])
    sh(["ip", "link", "set", TAP, "up"])


def tap_mac():
    """tap0's MAC, from ip (this namespace's /sys may be the host's)."""
    out = subprocess.run(["ip", "-o", "link", "show", TAP], check=True,
                         stdout=subprocess.PIPE, text=True).stdout.split()
    return out[out.index("link/ether") + 1]


def dnsmasq_argv():
    """dnsmasq on tap0 only: DHCP leases from DHCP_FIRST up, in order (the
    first guest gets 10.0.2.15, as slirp gives), DNS answers from
    test/hosts (other names: no upstream, so NXDOMAIN), no files written."""
    # --no-daemon: in the foreground, no pid file, and no change of user
    # or groups (which a user namespace of `unshare -rn` would refuse).
    return ["dnsmasq", "--no-daemon", "--conf-file=/dev/null",
            "--interface=" + TAP,
            "--bind-interfaces", "--except-interface=lo", "--no-resolv",
            "--no-hosts", "--addn-hosts=" + HOSTS, "--local=/#/",
            "--dhcp-range=%s,%s,255.255.255.0,%s" % (DHCP_FIRST, DHCP_LAST,
                                                     DHCP_LEASE),
            "--dhcp-authoritative", "--dhcp-sequential-ip", "--leasefile-ro", "--log-facility=-",
            "--log-dhcp", "--log-queries"]


def die_with_parent():
    """In a child before exec: SIGTERM it when the relay dies, even by
    SIGKILL (prctl PR_SET_PDEATHSIG)."""
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def relay_main(a):
    """The bed's process in the namespace: tap0, dnsmasq, the relay loop.
    Talks on stdin/stdout, one line each way: `stats` -> a JSON line,
    `set KIND=F ...` -> `ok`.  Logs on stderr.  Exits on EOF of stdin, on
    SIGTERM, or when its parent goes away."""
    parent = os.getppid()
    udp = socket.socket(fileno=a.fd)     # held even if --direct: the name's port
    tap = open_tap()
    if a.direct:
        fcntl.ioctl(tap, TUNSETPERSIST, 1)
        os.close(tap)                    # for QEMU to open
        tap = None
    setup_links()
    dns = None
    if a.dhcp:
        dns = subprocess.Popen(dnsmasq_argv(), stdin=subprocess.DEVNULL,
                               stdout=sys.stderr, stderr=sys.stderr,
                               preexec_fn=die_with_parent)
        time.sleep(0.3)
        if dns.poll() is not None:
            sys.exit("relay: dnsmasq exited with status %d" % dns.returncode)
    mac = tap_mac()
    qemu = ("127.0.0.1", a.qemu_port)
    errs = {"udp_send_err": 0, "tap_write_err": 0}

    # A frame nobody takes (QEMU not up yet, one too long for tap0) is
    # counted, not fatal.
    def to_guest(frame):
        try:
            udp.sendto(frame, qemu)
        except OSError:
            errs["udp_send_err"] += 1

    def to_host(frame):
        try:
            os.write(tap, frame)
        except OSError:
            errs["tap_write_err"] += 1

    fr = json.loads(a.fractions)
    paths = {"to_guest": Path(to_guest, "%d-to_guest" % a.seed, fr),
             "to_host": Path(to_host, "%d-to_host" % a.seed, fr)}
    if a.direct:
        paths = {}
    print("ready %s" % mac, flush=True)
    try:
        relay_loop(udp, tap, paths, errs, parent)
    finally:
        if dns is not None:
            dns.terminate()
            dns.wait()


def relay_loop(udp, tap, paths, errs, parent):
    """Carry frames both ways through their Paths and answer control lines
    until stdin ends or the parent is gone.  With no tap (--direct) only
    the control lines."""
    stdin = sys.stdin.fileno()
    fds = [stdin] + ([udp, tap] if tap is not None else [])
    while os.getppid() == parent:
        now = time.monotonic()
        dls = [d for d in (p.deadline() for p in paths.values()) if d]
        wait = min([0.2] + [max(0, d - now) for d in dls])
        ready, _, _ = select.select(fds, [], [], wait)
        now = time.monotonic()
        if udp in ready:
            try:
                frame = udp.recv(65536)
            except OSError:
                frame = b""
            if frame:
                paths["to_host"].push(frame, now)
        if tap in ready:
            paths["to_guest"].push(os.read(tap, 65536), now)
        if stdin in ready:
            line = sys.stdin.readline()
            if not line:
                return
            print(control(line.split(), paths, errs), flush=True)
        for p in paths.values():
            p.tick(now)


def control(words, paths, errs):
    """Answer one control line (see relay_main)."""
    if words == ["stats"] and not paths:
        return json.dumps({"direct": True})
    if words == ["stats"]:
        out = {d: dict(p.stats) for d, p in paths.items()}
        out.update(errs)
        out["fractions"] = paths["to_host"].fr
        return json.dumps(out)
    if words[:1] == ["set"] and not paths:
        return "error: --direct: QEMU has tap0, there is no relay to impair"
    if words[:1] == ["set"]:
        fr = {}
        for w in words[1:]:
            k, _, v = w.partition("=")
            if k not in KINDS:
                return "error: unknown %r" % k
            fr[k] = float(v)
        for p in paths.values():
            p.set(fr)
        return "ok"
    return "error: unknown command %r" % " ".join(words)


# ---- the bed, as the program outside sees it -------------------------------

def cleanup_stale(log=print, min_age=STALE_AGE_S, only=None):
    """As root: delete every PREFIX namespace (or just the one named only)
    that has no process in it and is older than min_age seconds (its relay
    died with whatever started it; a younger one may be being set up)."""
    if not rooted():
        return
    r = subprocess.run(["ip", "netns", "list"], stdout=subprocess.PIPE,
                       text=True)
    for line in r.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        if not name.startswith(PREFIX) or only not in (None, name):
            continue
        try:
            age = time.time() - os.stat("/run/netns/" + name).st_mtime
        except OSError:
            continue
        pids = subprocess.run(["ip", "netns", "pids", name],
                              stdout=subprocess.PIPE, text=True).stdout
        if age >= min_age and not pids.strip():
            log("tapnet: deleting stale namespace %s" % name)
            subprocess.run(["ip", "netns", "del", name])


class TapBed:
    """The namespace, its tap0, dnsmasq and the relay between QEMU's dgram
    socket on 127.0.0.1:qemu_port and 127.0.0.1:port.

    fractions: loss, reorder, dup, corrupt (0..1, both directions), seed:
    the generator's seed.  dhcp: run dnsmasq.  direct: no relay; QEMU must
    run in the namespace (enter() + its argv) with -netdev tap on tap0.
    log: a function taking one line.  name is the namespace's name (PREFIX
    + port)."""

    def __init__(self, port, qemu_port, seed=1, dhcp=True, log=print,
                 relay_log=None, direct=False, **fractions):
        for k in fractions:
            if k not in KINDS:
                raise ValueError("unknown impairment %r" % k)
        if direct and any(fractions.values()):
            raise ValueError("direct: no relay to impair the wire")
        self.direct = direct
        self.port, self.qemu_port = port, qemu_port
        self.seed, self.dhcp, self.fractions = seed, dhcp, fractions
        self.log = log
        self.name = ns_name(port)
        self.relay_log = relay_log or os.path.join(
            tempfile.gettempdir(), self.name + ".log")
        self.proc = None
        self.mac = None
        self._named = False

    def start(self):
        """Bring the bed up; return self once tap0 and dnsmasq are ready.
        Raises RuntimeError with the relay's log if it fails."""
        cleanup_stale(self.log)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for opt in (socket.SO_RCVBUF, socket.SO_SNDBUF):
            udp.setsockopt(socket.SOL_SOCKET, opt, SOCKBUF)
        udp.bind(("127.0.0.1", self.port))
        if rooted():
            subprocess.run(["ip", "netns", "del", self.name],
                           stderr=subprocess.DEVNULL)
            sh(["ip", "netns", "add", self.name])
            self._named = True
            enter = ["ip", "netns", "exec", self.name]
        else:
            enter = ["unshare", "-rn"]
        argv = enter + [sys.executable, os.path.abspath(__file__), "relay",
                        "--fd", str(udp.fileno()), "--qemu-port",
                        str(self.qemu_port), "--seed", str(self.seed),
                        "--fractions", json.dumps(self.fractions)] + \
            ([] if self.dhcp else ["--no-dhcp"]) + \
            (["--direct"] if self.direct else [])
        self.log("tapnet: " + " ".join(shlex.quote(a) for a in argv))
        with open(self.relay_log, "w") as err:
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=err,
                                         pass_fds=[udp.fileno()], text=True)
        udp.close()
        ready, _, _ = select.select([self.proc.stdout], [], [], READY_TIMEOUT)
        line = self.proc.stdout.readline() if ready else ""
        if not line.startswith("ready "):
            self.close()
            raise RuntimeError("tapnet: the relay did not start: %s"
                               % self.relay_text()[-2000:])
        self.mac = line.split()[1]
        if not rooted():
            self._pidfile(write=True)
        self.log("tapnet: namespace %s up, tap0 %s/%d (%s)"
                 % (self.name, HOST_IP, PREFIXLEN, self.mac))
        return self

    def relay_text(self):
        """What the relay and dnsmasq logged so far."""
        try:
            with open(self.relay_log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def _pidfile(self, write=False):
        path = os.path.join(tempfile.gettempdir(), self.name + ".pid")
        if write:
            with open(path, "w") as f:
                f.write("%d\n" % self.proc.pid)
        return path

    def _ask(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def stats(self):
        """The relay's counters: {"to_guest": {...}, "to_host": {...}, ...}
        (Path's stats)."""
        return json.loads(self._ask("stats"))

    def impair(self, **fractions):
        """Change the fractions (both directions) from now on; the n-th
        call restarts the generators at (seed, n), so what follows does not
        depend on how many frames went before."""
        words = ["%s=%g" % kv for kv in fractions.items()]
        r = self._ask("set " + " ".join(words))
        if r != "ok":
            raise ValueError(r)

    def enter(self):
        """The argv prefix that runs a command in the namespace."""
        return enter_argv(self.port, self.proc.pid if self.proc else None)

    def run(self, argv, **kw):
        """subprocess.run(argv) in the namespace (text, output captured,
        unless kw says otherwise)."""
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.STDOUT)
        kw.setdefault("text", True)
        kw.setdefault("stdin", subprocess.DEVNULL)
        return subprocess.run(self.enter() + list(argv), **kw)

    def popen(self, argv, **kw):
        """subprocess.Popen(argv) in the namespace."""
        return subprocess.Popen(self.enter() + list(argv), **kw)

    def close(self):
        """Stop the relay (and with it dnsmasq and tap0), delete the
        namespace.  Safe to call more than once."""
        if self.proc is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc.stdout.close()
            self.proc = None
            if not rooted():
                try:
                    os.unlink(self._pidfile())
                except OSError:
                    pass
        if self._named:
            subprocess.run(["ip", "netns", "del", self.name])
            self._named = False


def enter_argv(port, pid=None):
    """The argv prefix that runs a command in the namespace of the bed on
    port: `ip netns exec` as root, else nsenter into the relay's user and
    network namespaces (its pid from the pid file the bed wrote)."""
    if rooted():
        return ["ip", "netns", "exec", ns_name(port)]
    if pid is None:
        path = os.path.join(tempfile.gettempdir(), ns_name(port) + ".pid")
        with open(path) as f:
            pid = int(f.read())
    return ["nsenter", "-t", str(pid), "-U", "-n", "--preserve-credentials"]


# ---- the command line ---------------------------------------------------------

def add_bed_args(p):
    p.add_argument("--port", type=int, required=True,
                   help="the relay's UDP port (QEMU's remote.port)")
    p.add_argument("--qemu-port", type=int, required=True,
                   help="QEMU's local.port")
    for k in KINDS:
        p.add_argument("--" + k, type=float, default=0.0,
                       help="fraction of frames (each direction)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-dhcp", dest="dhcp", action="store_false",
                   help="no dnsmasq (no DHCP, no DNS)")
    p.add_argument("--direct", action="store_true",
                   help="no relay: run CMD (QEMU with -netdev tap) in the "
                   "namespace")


def cmd_qemu(a):
    fr = {k: getattr(a, k) for k in KINDS if getattr(a, k)}
    bed = TapBed(a.port, a.qemu_port, a.seed, a.dhcp, direct=a.direct,
                 **fr).start()
    print("tapnet: namespace %s: tap0 is %s; `make tapsh` (or `%s CMD`) runs "
          "a command there; relay log %s" % (bed.name, HOST_IP,
                                             " ".join(bed.enter()),
                                             bed.relay_log), flush=True)
    try:
        rc = subprocess.call((bed.enter() if a.direct else []) + a.cmd)
    finally:
        try:
            print("tapnet: relay counters: %s" % json.dumps(bed.stats()))
        finally:
            bed.close()
    return rc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="what", required=True)
    p = sub.add_parser("qemu", help="bed up, run CMD (QEMU), bed down")
    add_bed_args(p)
    p.add_argument("cmd", nargs="+")
    p = sub.add_parser("exec", help="run CMD in the bed's namespace")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("cmd", nargs="+")
    sub.add_parser("cleanup", help="delete stale namespaces")
    p = sub.add_parser("relay", help="(internal) the process in the namespace")
    p.add_argument("--fd", type=int, required=True)
    p.add_argument("--qemu-port", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--fractions", default="{}")
    p.add_argument("--no-dhcp", dest="dhcp", action="store_false")
    p.add_argument("--direct", action="store_true")
    a = ap.parse_args()
    if a.what == "relay":
        return relay_main(a)
    if a.what == "qemu":
        return cmd_qemu(a)
    if a.what == "exec":
        argv = enter_argv(a.port) + a.cmd
        os.execvp(argv[0], argv)
    cleanup_stale()
    return 0


if __name__ == "__main__":
    sys.exit(main())
