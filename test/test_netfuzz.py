"""The network system call fuzzer (user/netfuzz.c), in every NETMODE and
with either mapping of the kernel (KMAP=split|shared).

While the host sends UDP datagrams of every size to the guest's
forwarded ports 2000 and 2001 and server.py echoes what the guest sends
it, `netfuzz` runs its workers for NETFUZZ_TIME seconds (20 by default;
`make fuzz` sets it from NETFUZZTIME) with a fixed seed per mode
(NETFUZZ_SEED=n runs seed n + k in the k-th of intr, poll, hybrid; the
shared layout adds 10, so it sees other calls).  It
must print PASSED: no call succeeded on memory that is not the caller's,
free pages and mbufs are back where they were, every received frame is
accounted for and a UDP echo comes back.  The kernel must not panic.
Afterwards the shell still answers, netstat adds up in the boot mode,
and nettests' ping passes.  The seed, the call count and the rate go to
the notes.
"""

import os
import random
import re
import socket
import threading
import time

import pytest

from conftest import MODES
from qemu import PANIC, TestFailure
from test_net import check_netstat

SECONDS = int(os.environ.get("NETFUZZ_TIME", "20"))
SEEDS = {"intr": 1701, "poll": 1702, "hybrid": 1703}
KMAP_SEED_OFFSET = 10      # KMAP=shared runs other seeds than split
WORKERS = 4
TRAFFIC_RATE = 400         # datagrams per second the host offers, both ports
SLACK = 300                # seconds beyond the run for the checks (a ceiling)
SUMMARY = (r"netfuzz: seed (\d+) workers (\d+): (\d+) calls in (\d+) ms "
           r"\((\d+) calls/s\), (\d+) kills")


class Traffic:
    """Sends datagrams of random sizes (0..1472 bytes) to the guest's two
    forwarded ports at about `rate` per second, in bursts, from a thread,
    for at most `seconds`."""

    def __init__(self, ports, rate, seconds, seed):
        self.ports = ports
        self.rate = rate
        self.seconds = seconds
        self.rng = random.Random(seed)
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        deadline = time.monotonic() + self.seconds
        try:
            while not self._stop.is_set() and time.monotonic() < deadline:
                burst = self.rng.choice((1, 1, 4, 16, 64))
                for _ in range(burst):
                    size = self.rng.choice((0, 1, 1472, self.rng.randrange(1473)))
                    port = self.rng.choice(self.ports)
                    try:
                        sock.sendto(bytes([65 + self.sent % 26]) * size,
                                    ("127.0.0.1", port))
                        self.sent += 1
                    except OSError:
                        pass
                self._stop.wait(burst / self.rate)
        finally:
            sock.close()

    def start(self):
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join()


@pytest.mark.netmodes()
@pytest.mark.parametrize("kmap", ["split", "shared"])
def test_netfuzz(guest, kmap):
    """netfuzz under host traffic: PASSED, no panic, the network works after."""
    if "NETFUZZ_SEED" in os.environ:      # make fuzz: mode k runs seed + k
        seed = int(os.environ["NETFUZZ_SEED"]) + MODES.index(guest.mode)
    else:
        seed = SEEDS[guest.mode]
    if kmap == "shared":
        seed += KMAP_SEED_OFFSET
    guest.server(["--quiet"])
    q = guest.boot(kmap=kmap)
    traffic = Traffic([guest.fwdport, guest.fwdport2], TRAFFIC_RATE, SECONDS, seed)
    traffic.start()
    try:
        out = q.run("netfuzz -s %d -t %d -w %d -p %d"
                    % (seed, SECONDS, WORKERS, guest.serverport),
                    timeout=SECONDS + SLACK, fail=PANIC + r"|netfuzz: BUG [^\n]*\n")
    finally:
        traffic.stop()
    m = re.search(SUMMARY, out)
    if not m:
        raise TestFailure("netfuzz printed no summary: %r" % out[-500:])
    calls, ms, rate, kills = (int(m.group(i)) for i in (3, 4, 5, 6))
    if not re.search(r"^netfuzz: PASSED$", out, re.M):
        why = [l for l in out.splitlines() if "FAILED" in l or "BUG" in l]
        raise TestFailure("netfuzz seed %d: %s" % (seed, "; ".join(why) or out[-300:]))
    if calls == 0 or kills == 0:
        raise TestFailure("netfuzz made %d calls and %d kills" % (calls, kills))

    check_netstat(guest, q)                 # the boot mode, every frame accounted for
    out = q.run("nettests %d ping" % guest.serverport, timeout=120,
                fail=r"FAILED|" + PANIC)
    if "ALL TESTS PASSED" not in out:
        raise TestFailure("ping after netfuzz did not pass")
    guest.note("%s seed %d: %d calls in %d ms (%d calls/s), %d kills, host sent %d datagrams"
               % (kmap, seed, calls, ms, rate, kills, traffic.sent))
