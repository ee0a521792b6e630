"""kernel/netstat.h's counter lists, as C and as the tests read them.

- counters-header: a host program built from netstat.h prints what the C
  preprocessor makes of NETSTAT_COUNTERS, NETSTAT_STATE and NETSTAT_GROUPS;
  test/counters.py's reading of the same lines must agree with it exactly
  (names, order, groups, rx flags, descriptions).
- counters-accounted: netstat_accounted() sums exactly the counters marked
  rx (each counter set to its own bit), and struct netstat keeps the state
  ahead of the counters.

Neither needs QEMU.
"""

import subprocess

import counters
from qemu import REPO, TestFailure

# Prints one line per list entry, then netstat_accounted() of a struct in
# which counter i holds bit i, then whether every state field lies before
# every counter.
PROGRAM = r'''
#include <stdio.h>
#include <stddef.h>
#include "kernel/types.h"
#include "kernel/netstat.h"

int
main(void)
{
  struct netstat s = {0};
  int i = 0;
  size_t laststate = 0, firstcounter = sizeof(s);

#define C(name, group, rx, desc) printf("counter %s %s %d %s\n", #name, #group, rx, desc);
  NETSTAT_COUNTERS(C)
#define S(name, desc) printf("state %s %s\n", #name, desc);
  NETSTAT_STATE(S)
#define G(name, heading) printf("group %s %s\n", #name, heading);
  NETSTAT_GROUPS(G)
#define BIT(name, group, rx, desc) s.name = 1ULL << i++;
  NETSTAT_COUNTERS(BIT)
  printf("accounted %llu\n", (unsigned long long)netstat_accounted(&s));
#define LAST(name, desc) if(offsetof(struct netstat, name) > laststate) \
    laststate = offsetof(struct netstat, name);
  NETSTAT_STATE(LAST)
#define FIRST(name, group, rx, desc) if(offsetof(struct netstat, name) < firstcounter) \
    firstcounter = offsetof(struct netstat, name);
  NETSTAT_COUNTERS(FIRST)
  printf("state_first %d\n", offsetof(struct netstat, kmap) < firstcounter &&
         laststate < firstcounter);
  return 0;
}
'''


def c_view(tmp_path):
    """The lines PROGRAM prints, split at the first spaces."""
    src = tmp_path / "netstat_list.c"
    exe = tmp_path / "netstat_list"
    src.write_text(PROGRAM)
    r = subprocess.run(["gcc", "-Wall", "-Werror", "-I.", "-o", str(exe), str(src)],
                       cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if r.returncode != 0:
        raise TestFailure("netstat.h does not build on the host: %s" % r.stdout[-500:])
    out = subprocess.run([str(exe)], stdout=subprocess.PIPE, text=True, check=True).stdout
    return [line.split(" ", 1) for line in out.splitlines()]


def test_counters_header(tmp_path):
    """test/counters.py reads netstat.h's lists as the compiler does."""
    rows = c_view(tmp_path)
    got = [tuple(rest.split(" ", 3)) for kind, rest in rows if kind == "counter"]
    want = [(c.name, c.group, "1" if c.rx else "0", c.desc) for c in counters.COUNTERS]
    if got != want:
        diff = [(g, w) for g, w in zip(got, want) if g != w] or (len(got), len(want))
        raise TestFailure("counters.py disagrees with the C list: %r" % (diff,))
    state = [rest.split(" ", 1)[0] for kind, rest in rows if kind == "state"]
    groups = [rest.split(" ", 1)[0] for kind, rest in rows if kind == "group"]
    if state != counters.STATE or groups != counters.GROUPS:
        raise TestFailure("state %r / groups %r, counters.py: %r / %r"
                          % (state, groups, counters.STATE, counters.GROUPS))
    unknown = {c.group for c in counters.COUNTERS} - set(groups)
    if unknown:
        raise TestFailure("counters in groups NETSTAT_GROUPS lacks: %s" % unknown)
    if len(set(counters.NAMES)) != len(counters.NAMES):
        raise TestFailure("a counter is listed twice")


def test_counters_accounted(tmp_path):
    """netstat_accounted() adds exactly the rx counters; state comes first."""
    rows = dict(c_view(tmp_path))
    want = sum(1 << i for i, c in enumerate(counters.COUNTERS) if c.rx)
    got = int(rows["accounted"])
    if got != want:
        wrong = [c.name for i, c in enumerate(counters.COUNTERS)
                 if bool(got >> i & 1) != c.rx]
        raise TestFailure("netstat_accounted() wrong for: %s" % ", ".join(wrong))
    if rows["state_first"] != "1":
        raise TestFailure("struct netstat has a state field among the counters")
