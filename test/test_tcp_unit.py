"""kernel/tcp.c (TCP's state machine) on the host: its unit tests and its
fuzzing target.

- tcp-unit: test/tcp_unit.c, built with the host gcc and the address and
  undefined-behaviour sanitizers: named cases, one input each and the
  exact output asserted, and a megabyte through a lossy in-memory link
  between two tcbs; it must exit 0.
- fuzz-replay-tcp: build the libFuzzer target test/fuzz/fuzz_tcp.c,
  replay its committed corpus, then run a short seeded fuzzing session.

Neither needs QEMU.
"""

from test_netparse import _replay, _unit


def test_tcp_unit(guest):
    """test/tcp_unit.c, built for the host, passes."""
    _unit(guest, "tcp_unit")


def test_fuzz_replay_tcp(guest):
    """Build test/fuzz/fuzz_tcp, replay test/fuzz/corpus-tcp, fuzz briefly
    with a fixed seed.  Needs clang and libFuzzer (`make deps`), not QEMU."""
    _replay(guest, "fuzz_tcp", "corpus-tcp")
