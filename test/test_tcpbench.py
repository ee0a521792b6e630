"""tcpbench's RESULT lines, in every NETMODE: bench/smoke.py's
test_tcpbench (send and receive 64 KiB, 20 one-byte round trips, 5
connections, against bench/tcp.py through slirp). No timing."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "bench"))
import smoke  # noqa: E402


@pytest.mark.netmodes()
def test_tcpbench(guest):
    """tcpbench send, recv, rr and conn: well-formed, consistent RESULTs."""
    smoke.test_tcpbench(guest)
