"""The netstat counters as kernel/netstat.h lists them, for the tests'
model: the header's X-macro lists are the one definition, read here
instead of copied.

  COUNTERS      every counter, in order: Counter(name, group, rx, desc)
  RX_OUTCOMES   names of the counters marked rx: where a received frame
                can end (their sum is netstat_accounted(), = rx_frames)
  STATE         names of the state fields netstat prints as numbers
  GROUPS        the group names, in netstat's order
"""

import collections
import os
import re

HEADER = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      os.pardir, "kernel", "netstat.h")

Counter = collections.namedtuple("Counter", "name group rx desc")

_ARG = r'\s*(\w+|"(?:[^"\\]|\\.)*")\s*'


def _unquote(literal):
    """The text of a C string literal such as "a \\"b\\"" (escapes: \\x is x)."""
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


def macro_lists(text):
    """{macro name: [argument tuples]} for every `#define NAME(X) \\`
    list in text whose lines are X(...) calls; strings lose their quotes."""
    lists = {}
    cur = None
    for line in text.splitlines():
        m = re.match(r"#define (\w+)\(X\)\s*\\$", line)
        if m:
            cur = lists.setdefault(m.group(1), [])
            continue
        if cur is None:
            continue
        m = re.match(r"\s*X\((.*)\)\s*(\\?)$", line)
        if not m:
            raise ValueError("netstat.h: not an X(...) line: %r" % line)
        args = re.findall(_ARG + r"(?:,|$)", m.group(1))
        cur.append(tuple(_unquote(a) if a.startswith('"') else a for a in args))
        if not m.group(2):
            cur = None
    return lists


def _load():
    with open(HEADER) as f:
        lists = macro_lists(f.read())
    counters = [Counter(n, g, rx == "1", d) for n, g, rx, d in lists["NETSTAT_COUNTERS"]]
    return counters, [s[0] for s in lists["NETSTAT_STATE"]], [g[0] for g in lists["NETSTAT_GROUPS"]]


COUNTERS, STATE, GROUPS = _load()
NAMES = tuple(c.name for c in COUNTERS)
RX_OUTCOMES = tuple(c.name for c in COUNTERS if c.rx)


def known(*names):
    """names, after checking each is a counter in netstat.h (so a test's
    own list of some counters cannot name one that was renamed)."""
    bad = [n for n in names if n not in NAMES]
    if bad:
        raise ValueError("not counters in kernel/netstat.h: %s" % ", ".join(bad))
    return names
