"""No interrupt stays pending while masked on any hart (issue 18).

QEMU wakes a halted vCPU whose mip CSR is not zero at every change of any
of its interrupt lines, even when nothing it has enabled is pending; the
PLIC updates every hart's external line on each E1000 interrupt. A bit
left pending and masked therefore turns every idle hart into a thread the
host wakes for nothing, twice per frame: before start.c parked the unused
machine timer (its compare register resets to 0, so mip.MTIP was always
set), a round trip at CPUS=3 took 1.7-2x its CPUS=1 time and even CPUS=1
lost ~40 us per round trip in poll mode (NOTES.md "Idle harts that QEMU
kept waking").

The test boots CPUS=3 with QEMU's gdb stub, lets the guest settle at the
shell, and has gdb read mip and mie on every hart: a bit of mip that mie
does not enable fails it. The shell must still answer after gdb detaches.
"""

import re
import shutil
import subprocess
import time

from qemu import TestFailure, free_tcp_port

GDB = "gdb-multiarch"
CPUS = 3


def read_csrs(port, log):
    """{hart: (mip, mie)} read by gdb from QEMU's stub on port."""
    cmds = ["set architecture riscv:rv64", "target remote 127.0.0.1:%d" % port]
    for t in range(1, CPUS + 1):
        cmds += ["thread %d" % t, "printf \"HART %d mip=%%#lx mie=%%#lx\\n\", $mip, $mie" % (t - 1)]
    cmds.append("detach")
    argv = [GDB, "-nx", "-q", "-batch"] + [a for c in cmds for a in ("-ex", c)]
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=60)
    log.line("[gdb] " + r.stdout.replace("\n", "\n[gdb] "))
    found = {int(m.group(1)): (int(m.group(2), 16), int(m.group(3), 16))
             for m in re.finditer(r"HART (\d+) mip=(0x[0-9a-f]+|0) mie=(0x[0-9a-f]+|0)",
                                  r.stdout)}
    if sorted(found) != list(range(CPUS)):
        raise TestFailure("gdb read mip/mie of harts %s, not of all %d (see the log)"
                          % (sorted(found), CPUS))
    return found


def test_no_masked_interrupt_pending(guest):
    """Every hart's mip holds only bits its mie enables, at an idle shell."""
    if shutil.which(GDB) is None:
        raise TestFailure("%s is not installed (make deps)" % GDB)
    port = free_tcp_port("127.0.0.1")
    q = guest.boot(cpus=CPUS, QEMUEXTRA="-gdb tcp:127.0.0.1:%d" % port)
    time.sleep(1)       # past boot's console output: the harts sit in wfi
    csrs = read_csrs(port, guest.log)
    bad = {h: (mip, mie) for h, (mip, mie) in csrs.items() if mip & ~mie}
    if bad:
        raise TestFailure(
            "interrupts pending but not enabled (QEMU then wakes the idle vCPU at every "
            "interrupt-line change): %s" % ", ".join(
                "hart %d mip=%#x mie=%#x" % (h, mip, mie) for h, (mip, mie) in sorted(bad.items())))
    out = q.run("echo alive")
    if "alive" not in out:
        raise TestFailure("after gdb detached, `echo alive` printed %r" % out)
