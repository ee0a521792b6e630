# gdb commands for watching xv6-netpoll's network code: the E1000's
# descriptor rings and registers, mbufs and the frames in them, sockets and
# counters. Loaded by .gdbinit (see kernel/gdbinit.tmpl); `help e1000`,
# `help mbuf`, `help sockets`, `help netstat` describe each command.
#
#   e1000 rings | rx | tx [all]   the descriptor rings, who owns each slot
#   e1000 regs                    device registers, bits named
#   e1000 break rx | tx | off     stop when a frame is received / sent
#   mbuf EXPR [frame|data]        an mbuf and the frame inside it
#   sockets                       open UDP sockets (sock.c)
#   netstat                       the kernel's counters (struct netstat)
#
# Nothing here writes to the guest (except the breakpoint instructions gdb
# plants for `e1000 break`), and device registers are read only from a
# fixed list of side-effect-free ones: reading ICR clears it, and the
# manual has a read of a statistics register (0x4000-0x40FF, MPC included)
# zero it. QEMU's gdbstub reads memory through the stopped hart's MMU, so
# reads work whenever that hart uses a table that maps the kernel (if it is
# in user space, QEMU is asked for physical reads instead: the kernel maps
# RAM one-to-one, and BAR0 at kdevbase plus its physical address).
#
# Layouts come from the kernel's debug info (struct e1000_rxdesc, the static
# `e1000` in e1000.c, ...), so the commands follow the C code if it changes.
# Python 3 standard library and gdb's `gdb` module only.

import gdb
import re
import struct

RX_DD = 0x01   # descriptor done: the device has written this RX descriptor

# ---- bit-field decoding -------------------------------------------------------

# A field is (name, first bit, width[, meaning of each value]). One-bit
# fields print their name when set; wider fields print NAME=value.
RX_STATUS = [("DD", 0, 1), ("EOP", 1, 1), ("IXSM", 2, 1), ("VP", 3, 1),
             ("TCPCS", 5, 1), ("IPCS", 6, 1), ("PIF", 7, 1)]
RX_ERRORS = [("CE", 0, 1), ("SE", 1, 1), ("SEQ", 2, 1), ("CXE", 4, 1),
             ("TCPE", 5, 1), ("IPE", 6, 1), ("RXE", 7, 1)]
TX_STATUS = [("DD", 0, 1), ("EC", 1, 1), ("LC", 2, 1), ("TU", 3, 1)]
TX_CMD = [("EOP", 0, 1), ("IFCS", 1, 1), ("IC", 2, 1), ("RS", 3, 1),
          ("RPS", 4, 1), ("DEXT", 5, 1), ("VLE", 6, 1), ("IDE", 7, 1)]

SPEED = {0: "10", 1: "100", 2: "1000", 3: "1000"}
CTRL = [("FD", 0, 1), ("LRST", 3, 1), ("ASDE", 5, 1), ("SLU", 6, 1),
        ("ILOS", 7, 1), ("SPEED", 8, 2, SPEED), ("FRCSPD", 11, 1),
        ("FRCDPLX", 12, 1), ("RST", 26, 1), ("RFCE", 27, 1), ("TFCE", 28, 1),
        ("VME", 30, 1), ("PHY_RST", 31, 1)]
STATUS = [("FD", 0, 1), ("LU", 1, 1), ("FUNC", 2, 2), ("TXOFF", 4, 1),
          ("TBIMODE", 5, 1), ("SPEED", 6, 2, SPEED), ("ASDV", 8, 2, SPEED),
          ("PCI66", 11, 1), ("BUS64", 12, 1), ("PCIX_MODE", 13, 1)]
RCTL = [("EN", 1, 1), ("SBP", 2, 1), ("UPE", 3, 1), ("MPE", 4, 1),
        ("LPE", 5, 1), ("LBM", 6, 2), ("RDMTS", 8, 2, {0: "1/2", 1: "1/4", 2: "1/8"}),
        ("MO", 12, 2), ("BAM", 15, 1), ("BSIZE", 16, 2), ("VFE", 18, 1),
        ("CFIEN", 19, 1), ("DPF", 22, 1), ("PMCF", 23, 1), ("BSEX", 25, 1),
        ("SECRC", 26, 1)]
TCTL = [("EN", 1, 1), ("PSP", 3, 1), ("CT", 4, 8), ("COLD", 12, 10),
        ("SWXOFF", 22, 1), ("RTLC", 24, 1), ("NRTU", 25, 1)]
ICAUSE = [("TXDW", 0, 1), ("TXQE", 1, 1), ("LSC", 2, 1), ("RXSEQ", 3, 1),
          ("RXDMT0", 4, 1), ("RXO", 6, 1), ("RXT0", 7, 1), ("MDAC", 9, 1),
          ("RXCFG", 10, 1), ("PHYINT", 12, 1), ("GPI_SDP6", 13, 1),
          ("GPI_SDP7", 14, 1), ("TXD_LOW", 15, 1), ("SRPD", 16, 1)]


def bits(val, fields, zero="-"):
    """Name the fields of val that are set, e.g. "DD EOP" or "SPEED=1000"."""
    out = []
    for f in fields:
        name, lo, width = f[:3]
        v = (val >> lo) & ((1 << width) - 1)
        if width == 1:
            if v:
                out.append(name)
        elif len(f) > 3:
            out.append("%s=%s" % (name, f[3].get(v, v)))
        elif v:
            out.append("%s=%d" % (name, v))
    return " ".join(out) or zero


# ---- reading the kernel ----------------------------------------------------------

def kvar(name):
    """The kernel variable `name` (a static one is found in any file)."""
    sym = gdb.lookup_static_symbol(name) or gdb.lookup_global_symbol(name)
    if sym is None:
        raise gdb.GdbError("no symbol %s: is kernel/kernel loaded (symbol-file)?"
                           % name)
    return sym.value()


def readable(addr):
    """Can the selected hart read kernel address addr right now?"""
    try:
        gdb.selected_inferior().read_memory(addr, 1)
        return True
    except gdb.MemoryError:
        return False


PHYS = [False]   # is the gdbstub reading physical addresses now?


def phys_mode(on):
    """Make QEMU's gdbstub read physical (on) or virtual (off) addresses."""
    gdb.execute("maintenance packet Qqemu.PhyMemMode:%d" % on, to_string=True)
    PHYS[0] = bool(on)


class KernelView:
    """`with KernelView():` makes kernel memory readable. If the selected
    hart runs a user process, its page table has no kernel mappings; then
    QEMU's gdbstub is switched to physical addresses for the duration
    (the kernel maps RAM one-to-one, so the addresses are the same; device
    registers are translated by reg_read). Raises gdb.GdbError if gdb is not connected to QEMU."""

    def __enter__(self):
        self.phys = False
        if gdb.selected_thread() is None or gdb.selected_inferior().pid == 0:
            raise gdb.GdbError("not connected to QEMU: start `make qemu-gdb`, "
                               "then `gdb-multiarch -x .gdbinit`")
        probe = int(kvar("e1000").address)
        if readable(probe):
            return self
        phys_mode(1)
        self.phys = True
        if not readable(probe):
            self.__exit__()
            raise gdb.GdbError("cannot read kernel memory, even physically")
        print("(this hart runs in user space: reading physical memory instead)")
        return self

    def __exit__(self, *exc):
        if self.phys:
            phys_mode(0)
            self.phys = False
        return False


def mem(addr, n):
    """n bytes of guest memory at addr."""
    return gdb.selected_inferior().read_memory(addr, n).tobytes()


def reg_read(off):
    """One 32-bit E1000 register, as a single 4-byte read through BAR0.
    Returns None when the driver has not mapped the device yet."""
    if off not in SAFE_REGS:
        raise gdb.GdbError("register 0x%x is not on the list of registers "
                           "that are safe to read" % off)
    base = int(kvar("e1000")["regs"])
    if base == 0:
        return None
    if PHYS[0]:
        base -= int(kvar("kdevbase"))   # devices are mapped at KDEV(physical)
    return struct.unpack("<I", mem(base + off, 4))[0]


def mbuf_ptr_type():
    return gdb.lookup_type("struct mbuf").pointer()


_buf_offset = []


def buf_offset():
    """Offset of buf inside struct mbuf."""
    if not _buf_offset:
        for f in gdb.lookup_type("struct mbuf").fields():
            if f.name == "buf":
                _buf_offset.append(f.bitpos // 8)
    if not _buf_offset:
        raise gdb.GdbError("struct mbuf has no buf field")
    return _buf_offset[0]


def ipstr(a):
    """A host-order uint32 IPv4 address as dotted quad; 0 is "any"."""
    return "any" if a == 0 else "%d.%d.%d.%d" % (a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255)


# ---- registers ----------------------------------------------------------------------

# The registers `e1000 regs` reads: all of them are plain storage in QEMU's
# model, so reading changes nothing. Deliberately absent: ICR (0xC0, cleared
# by the read) and the statistics block 0x4000-0x40FF (MPC 0x4010 and the
# other counters: clear-on-read in the manual).
REGS = [
    ("CTRL", 0x0000, CTRL), ("STATUS", 0x0008, STATUS),
    ("IMS", 0x00D0, ICAUSE), ("RCTL", 0x0100, RCTL), ("TCTL", 0x0400, TCTL),
    ("RDBAL", 0x2800, None), ("RDBAH", 0x2804, None), ("RDLEN", 0x2808, None),
    ("RDH", 0x2810, None), ("RDT", 0x2818, None),
    ("TDBAL", 0x3800, None), ("TDBAH", 0x3804, None), ("TDLEN", 0x3808, None),
    ("TDH", 0x3810, None), ("TDT", 0x3818, None),
    ("RAL0", 0x5400, None), ("RAH0", 0x5404, None),
]
SAFE_REGS = {off for _, off, _ in REGS}


def regs_explain(r, drv):
    """Extra words for some registers: the ring base and length against the
    driver's arrays, the indices against the driver's own, the MAC."""
    rxbase = (r["RDBAH"] << 32) | r["RDBAL"]
    txbase = (r["TDBAH"] << 32) | r["TDBAL"]
    rctl = r["RCTL"]
    bsize = {0: 2048, 1: 1024, 2: 512, 3: 256}[rctl >> 16 & 3]
    if rctl >> 25 & 1:
        bsize = {0: 0, 1: 16384, 2: 8192, 3: 4096}[rctl >> 16 & 3]
    mac = r["RAL0"].to_bytes(4, "little") + (r["RAH0"] & 0xffff).to_bytes(2, "little")

    def same(a, b):
        return "= " + b[0] if a == b[1] else "!= " + b[0] + " (0x%x)" % b[1]
    return {
        "RCTL": "buffers %d bytes" % bsize,
        "RDBAL": "ring base 0x%x %s" % (rxbase, same(rxbase, ("&e1000.rx", drv["rx"]))),
        "RDLEN": "%d descriptors" % (r["RDLEN"] // 16),
        "RDH": "device writes the next frame here",
        "RDT": "device owns RDH..RDT-1; driver's rx_next = %d" % drv["rx_next"],
        "TDBAL": "ring base 0x%x %s" % (txbase, same(txbase, ("&e1000.tx", drv["tx"]))),
        "TDLEN": "%d descriptors" % (r["TDLEN"] // 16),
        "TDH": "device sends from here",
        "TDT": "device owns TDH..TDT-1; driver's tx_next = %d, tx_clean = %d"
               % (drv["tx_next"], drv["tx_clean"]),
        "RAL0": "MAC " + ":".join("%02x" % b for b in mac),
        "RAH0": "AV (address valid)" if r["RAH0"] >> 31 else "not valid",
    }


def show_regs():
    e = kvar("e1000")
    base = int(e["regs"])
    if base == 0:
        print("e1000.regs is 0: the driver has not set the device up yet "
              "(or there is no E1000); no register read.")
        return
    r = {name: reg_read(off) for name, off, _ in REGS}
    drv = {"rx": int(e["rx"].address), "tx": int(e["tx"].address),
           "rx_next": int(e["rx_next"]), "tx_next": int(e["tx_next"]),
           "tx_clean": int(e["tx_clean"])}
    more = regs_explain(r, drv)
    print("E1000 registers at BAR0 0x%x (ICR and statistics are never read: "
          "reading clears them)" % base)
    for name, off, fields in REGS:
        val = r[name]
        words = bits(val, fields) if fields else ""
        if name in more:
            words = (words + "  " if words else "") + more[name]
        if name in ("RDLEN", "RDH", "RDT", "TDLEN", "TDH", "TDT"):
            shown = "%10d" % val
        else:
            shown = "0x%08x" % val
        print(("  %-6s 0x%04x  %s  %s" % (name, off, shown, words)).rstrip())


# ---- rings ---------------------------------------------------------------------------

def ring_state(kind):
    """Everything `e1000 rx`/`tx` shows, read at once: a dict with the
    descriptors, the mbuf pointers, the device's head and tail (None if
    the device is not set up) and the driver's indices."""
    e = kvar("e1000")
    e.fetch_lazy()                       # one read of the whole driver state
    descs = e[kind]
    n = descs.type.range()[1] + 1
    st = {"kind": kind, "n": n, "base": int(descs.address), "descs": descs,
          "mbufs": [int(e[kind + "_mbuf"][i]) for i in range(n)],
          "status": [int(descs[i]["status"]) for i in range(n)]}
    if kind == "rx":
        st["head"], st["tail"] = reg_read(0x2810), reg_read(0x2818)
        st["marks"] = {"rx_next": int(e["rx_next"])}
    else:
        st["head"], st["tail"] = reg_read(0x3810), reg_read(0x3818)
        st["marks"] = {"tx_next": int(e["tx_next"]), "tx_clean": int(e["tx_clean"])}
    return st


def device_owns(st, i):
    """Does the device own descriptor i? It owns head .. tail-1."""
    h, t, n = st["head"], st["tail"], st["n"]
    if h is None:
        return False
    return (i - h) % n < (t - h) % n


def row_marks(st, i):
    names = []
    if st["head"] == i:
        names.append("RDH" if st["kind"] == "rx" else "TDH")
    if st["tail"] == i:
        names.append("RDT" if st["kind"] == "rx" else "TDT")
    names += [k for k, v in st["marks"].items() if v == i]
    return "<- " + " ".join(names) if names else ""


def busy(st, i):
    """A row worth showing in the compact view: status bits set, or (TX)
    an mbuf still attached."""
    return st["status"][i] != 0 or (st["kind"] == "tx" and st["mbufs"][i] != 0)


def rows_to_show(st, everything):
    n = st["n"]
    if everything:
        return list(range(n))
    near = set()
    points = [st["head"], st["tail"]] + list(st["marks"].values())
    for p in points:
        if p is not None:
            near.update({(p - 1) % n, p % n, (p + 1) % n})
    return sorted(i for i in range(n) if i in near or busy(st, i))


def row_text(st, i):
    d = st["descs"][i]
    own = "dev" if device_owns(st, i) else "drv"
    m = st["mbufs"][i]
    addr, length = int(d["addr"]), int(d["length"])
    if st["kind"] == "rx":
        flags = "%-12s %-8s" % (bits(st["status"][i], RX_STATUS),
                                bits(int(d["errors"]), RX_ERRORS))
        if m and addr != m + buf_offset():
            flags += " addr!=mbuf->buf"
    else:
        flags = "%-12s %-8s" % (bits(int(d["cmd"]), TX_CMD),
                                bits(st["status"][i], TX_STATUS))
    mb = "0x%x" % m if m else "-"
    return ("  %4d  %-4s 0x%-10x %5d  %s %-12s %s" % (
        i, own, addr, length, flags, mb, row_marks(st, i))).rstrip()


def ring_summary(st):
    n, kind = st["n"], st["kind"]
    done = sum(1 for s in st["status"] if s & RX_DD)   # DD is bit 0 in TX too
    if st["head"] is None:
        return ["  device not set up (e1000.regs is 0): head and tail unknown"]
    dev = (st["tail"] - st["head"]) % n
    out = ["  device owns %d (%s..%s-1), driver owns %d; %d with DD set"
           % (dev, "RDH" if kind == "rx" else "TDH", "RDT" if kind == "rx" else "TDT",
              n - dev, done)]
    if kind == "rx":
        nxt = st["marks"]["rx_next"]
        waiting = (st["head"] - nxt) % n
        out.append("  frames the device has written that the driver has not "
                   "taken (rx_next..RDH-1): %d" % waiting)
        stale = [i for i in range(n) if device_owns(st, i) and st["status"][i] & RX_DD]
        if stale:
            out.append("  !! DD set on device-owned descriptors %s (stale status?)" % stale[:8])
    else:
        unreclaimed = (st["marks"]["tx_next"] - st["marks"]["tx_clean"]) % n
        out.append("  queued and not yet reclaimed (tx_clean..tx_next-1): %d" % unreclaimed)
        if st["tail"] != st["marks"]["tx_next"]:
            out.append("  !! TDT (%d) != tx_next (%d)" % (st["tail"], st["marks"]["tx_next"]))
    return out


def show_ring(kind, everything):
    st = ring_state(kind)
    hdr = "RX" if kind == "rx" else "TX"
    idx = " ".join("%s %s" % (k, "?" if v is None else v) for k, v in
                   [("RDH" if kind == "rx" else "TDH", st["head"]),
                    ("RDT" if kind == "rx" else "TDT", st["tail"])] +
                   list(st["marks"].items()))
    print("%s ring: %d descriptors at 0x%x   %s" % (hdr, st["n"], st["base"], idx))
    for line in ring_summary(st):
        print(line)
    if kind == "rx":
        print("   idx own  buffer          len  status       errors   mbuf")
    else:
        print("   idx own  buffer          len  cmd          status   mbuf")
    prev = -1
    for i in rows_to_show(st, everything):
        if i != prev + 1:
            print("   ... %d quiet descriptors (%d-%d) ..." % (i - prev - 1, prev + 1, i - 1))
        print(row_text(st, i))
        prev = i
    if prev != st["n"] - 1:
        print("   ... %d quiet descriptors (%d-%d) ..."
              % (st["n"] - 1 - prev, prev + 1, st["n"] - 1))


# ---- frames ---------------------------------------------------------------------------

def macstr(b):
    return ":".join("%02x" % x for x in b)


def dotted(b):
    return ".".join(str(x) for x in b)


def cksum(data):
    """The Internet checksum's ones' complement sum (0xffff when data,
    checksum included, is intact)."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def hexdump(data, limit=256):
    lines = []
    for off in range(0, min(len(data), limit), 16):
        chunk = data[off:off + 16]
        hx = " ".join("%02x" % b for b in chunk)
        txt = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append("  %04x  %-47s  |%s|" % (off, hx, txt))
    if len(data) > limit:
        lines.append("  ... %d more bytes" % (len(data) - limit))
    return lines


def decode_arp(p):
    if len(p) < 28:
        return ["ARP       truncated (%d bytes)" % len(p)]
    op = struct.unpack("!H", p[6:8])[0]
    what = {1: "request", 2: "reply"}.get(op, "op %d" % op)
    return ["ARP       %s: sender %s %s  target %s %s"
            % (what, macstr(p[8:14]), dotted(p[14:18]), macstr(p[18:24]), dotted(p[24:28]))]


def decode_udp(p, src, dst):
    if len(p) < 8:
        return ["UDP       truncated (%d bytes)" % len(p)], b""
    sport, dport, ulen, csum = struct.unpack("!HHHH", p[:8])
    note = ""
    if ulen < 8 or ulen > len(p):
        note = "  (length field disagrees with the packet: %d bytes)" % len(p)
    elif csum == 0:
        note = "  (no checksum)"
    else:
        pseudo = src + dst + struct.pack("!BBH", 0, 17, ulen)
        note = "  (checksum ok)" if cksum(pseudo + p[:ulen]) == 0xffff else "  (checksum BAD)"
    return ["UDP       port %d -> %d  len %d  csum 0x%04x%s" % (sport, dport, ulen, csum, note)], \
        p[8:ulen] if 8 <= ulen <= len(p) else p[8:]


def decode_ipv4(p):
    """Lines describing an IPv4 packet, and its innermost payload."""
    if len(p) < 20 or p[0] >> 4 != 4:
        return ["IPv4      bad header (%d bytes, first byte 0x%02x)" % (len(p), p[0] if p else 0)], p
    ihl = (p[0] & 15) * 4
    tot, ident, frag, ttl, proto, csum = struct.unpack("!HHHBBH", p[2:12])
    src, dst = p[12:16], p[16:20]
    ok = "ok" if len(p) >= ihl and cksum(p[:ihl]) == 0xffff else "BAD"
    flags = " ".join(n for n, b in (("DF", 0x4000), ("MF", 0x2000)) if frag & b) or "-"
    pname = {1: "ICMP", 17: "UDP"}.get(proto, "?")
    lines = ["IPv4      %s -> %s  len %d  id %d  flags %s  frag %d  ttl %d  proto %d (%s)  "
             "hdr csum 0x%04x (%s)" % (dotted(src), dotted(dst), tot, ident, flags,
                                       (frag & 0x1fff) * 8, ttl, proto, pname, csum, ok)]
    body = p[ihl:tot] if ihl <= tot <= len(p) else p[ihl:]
    if tot > len(p):
        lines.append("          (total length %d > %d bytes present)" % (tot, len(p)))
    if proto == 17:
        more, payload = decode_udp(body, src, dst)
        return lines + more, payload
    if proto == 1 and len(body) >= 8:
        typ, code, ck, ident, seq = struct.unpack("!BBHHH", body[:8])
        tname = {0: "echo reply", 8: "echo request", 3: "unreachable"}.get(typ, "type %d" % typ)
        return lines + ["ICMP      %s code %d  id %d seq %d  csum 0x%04x (%s)"
                        % (tname, code, ident, seq, ck,
                           "ok" if cksum(body) == 0xffff else "BAD")], body[8:]
    return lines, body


def decode_frame(f):
    """Lines describing the Ethernet frame f, then the payload as hex."""
    if len(f) < 14:
        return ["Ethernet  runt frame: %d bytes" % len(f)] + hexdump(f)
    etype = struct.unpack("!H", f[12:14])[0]
    tname = {0x0800: "IPv4", 0x0806: "ARP", 0x86dd: "IPv6"}.get(etype, "?")
    lines = ["Ethernet  %s -> %s  type 0x%04x (%s)" % (macstr(f[6:12]), macstr(f[0:6]), etype, tname)]
    payload = f[14:]
    if etype == 0x0806:
        return lines + decode_arp(payload)
    if etype == 0x0800:
        more, payload = decode_ipv4(f[14:])
        lines += more
    lines.append("payload   %d bytes" % len(payload))
    return lines + hexdump(payload)


def looks_like_frame(data):
    return len(data) >= 14 and data[12:14] in (b"\x08\x00", b"\x08\x06")


def show_mbuf(m, mode):
    """Print mbuf m (an int address) and decode its data. mode: "frame"
    (Ethernet at head), "data" (hex only) or "auto"."""
    mv = gdb.Value(m).cast(mbuf_ptr_type()).dereference()
    bufaddr = m + buf_offset()
    head, length, nxt = int(mv["head"]), int(mv["len"]), int(mv["next"])
    size = mv["buf"].type.sizeof
    print("mbuf 0x%x: next 0x%x  head 0x%x (buf+%d)  len %d" % (m, nxt, head, head - bufaddr, length))
    if not bufaddr <= head <= bufaddr + size or head - bufaddr + length > size:
        print("  head/len point outside buf[%d]: not decoding (freed or not an mbuf?)" % size)
        return
    place = where_is(m)
    if place:
        print("  " + place[0])
        if length == 0 and place[1]:
            head, length = bufaddr, place[1]
            print("  (len is 0 until the driver takes the frame; decoding the %d bytes "
                  "the device wrote at buf)" % length)
    data = mem(head, length) if length else b""
    if mode == "frame" or (mode == "auto" and looks_like_frame(data)):
        lines = decode_frame(data)
    else:
        lines = ["data      %d bytes (not an Ethernet frame; `mbuf ADDR frame` forces it)"
                 % len(data)] + hexdump(data)
        whole = mem(bufaddr, head - bufaddr + length) if head > bufaddr else b""
        if mode == "auto" and looks_like_frame(whole):
            # A received datagram: the stack pulled the headers off by
            # moving head (mbufpull), so the frame is still there in buf.
            lines += ["the frame it arrived in, from buf (%d header bytes before head):"
                      % (head - bufaddr)] + decode_frame(whole)
    for line in lines:
        print(line)


def where_is(m):
    """Where the driver holds mbuf m: (description, bytes the device wrote
    there if it is a received frame not yet taken, else 0), or None."""
    e = kvar("e1000")
    e.fetch_lazy()
    for kind in ("rx", "tx"):
        arr = e[kind + "_mbuf"]
        for i in range(arr.type.range()[1] + 1):
            if int(arr[i]) == m:
                d = e[kind][i]
                st = int(d["status"])
                if kind == "rx":
                    if st & RX_DD:
                        return ("on RX descriptor %d, DD set: a received frame "
                                "of %d bytes" % (i, int(d["length"])), int(d["length"]))
                    return ("on RX descriptor %d: an empty buffer for the device" % i, 0)
                return ("on TX descriptor %d (%s)" % (i, bits(st, TX_STATUS)), 0)
    return None


# ---- sockets and counters ------------------------------------------------------------

def show_sockets():
    socks = kvar("socks")
    tab = kvar("socktab")
    print("   sock        local  remote                rxq  first queued  timeout  last sender")
    count = 0
    for i in range(int(tab.type.sizeof // tab[0].type.sizeof)):
        s = tab[i]
        e = s["e"]          # the table's part (kernel/socktab.h)
        if not int(e["linked"]):
            continue
        so = s.address
        remote = "%s:%s" % (ipstr(int(e["raddr"])), int(e["rport"]) or "any")
        last = "-" if int(e["lastaddr"]) == 0 else "%s:%d" % (ipstr(int(e["lastaddr"])), int(e["lastport"]))
        q = s["rxq"]
        tmo = "%d ms" % int(s["rcvtimeo_ms"]) if int(s["rcvtimeo_ms"]) else "-"
        print("  0x%-10x %5d  %-21s %4d  %-12s  %-7s  %s%s"
              % (int(so), int(e["lport"]), remote, int(q["len"]),
                 "0x%x" % int(q["head"]) if int(q["head"]) else "-", tmo, last,
                 "  CLOSED" if int(s["closed"]) else ""))
        count += 1
    print("%d socket(s); readers waiting with a timeout: %d. Queued mbufs hold "
          "payload only: `mbuf ADDR` shows it." % (count, int(socks["ntimed"])))


def mode_name():
    """The driver's mode now, by its name in enum netmode (kernel/netmode.h),
    read from the kernel's debug info: e1000.mode is an enum netmode."""
    return str(kvar("e1000")["mode"]).replace("NETMODE_", "").lower()


def show_netstat():
    ns = kvar("netstats")
    for f in ns.type.fields():
        v = ns[f.name]
        if f.name == "mode":
            # netstats.mode is refreshed only by netstat(): show the driver's own.
            print("  %-16s %s" % ("mode", mode_name()))
        elif v.type.code == gdb.TYPE_CODE_ARRAY:
            n = v.type.range()[1] + 1
            print("  %-16s %s" % (f.name, " ".join(str(int(v[i])) for i in range(n))))
        else:
            print("  %-16s %d" % (f.name, int(v)))
    print("  (poll_hist buckets: 0, 1, 2-3, 4-7, 8-15, 16-31, 32-63, 64+ frames per round)")


# ---- breakpoints -------------------------------------------------------------------------

def set_stop_vars(kind, i, m):
    """$e1000_desc and $e1000_mbuf name the frame a stop was for."""
    gdb.set_convenience_variable("e1000_desc", i)
    gdb.set_convenience_variable("e1000_mbuf", gdb.Value(m).cast(mbuf_ptr_type()))
    gdb.set_convenience_variable("e1000_stop", kind)


class RxBreak(gdb.Breakpoint):
    """Stops on entry to e1000_rx_drain (every mode's one receive path:
    called by the interrupt handler or the net thread) when the descriptor
    at rx_next has DD set, that is, when a received frame is waiting. The
    drain calls that find nothing (poll mode polls) do not stop."""

    def __init__(self):
        super().__init__("e1000_rx_drain")

    def stop(self):
        try:
            e = kvar("e1000")
            i = int(e["rx_next"])
            if (int(e["rx"][i]["status"]) & RX_DD) == 0:
                return False
            m = int(e["rx_mbuf"][i])
            set_stop_vars("rx", i, m)
            print("e1000: frame received in RX descriptor %d, mbuf 0x%x "
                  "(`mbuf $e1000_mbuf` decodes it)" % (i, m))
            show_ring("rx", False)
        except gdb.error as err:
            print("e1000 break rx: %s" % err)
        return True


def tx_line():
    """The line of e1000.c just after e1000_transmit's call of
    tx_put_locked: the TDT store is done (QEMU has sent the frame) and the
    descriptor is not yet reclaimed. tx_put_locked is inlined at -O, so its
    name cannot carry a breakpoint at its end. Returns "file:line" or None."""
    sym = gdb.lookup_global_symbol("e1000_transmit")
    if sym is None or sym.symtab is None:
        return None
    path = sym.symtab.fullname()
    try:
        src = open(path).read().splitlines()
    except OSError:
        return None
    start = sym.line or 1
    for n in range(start, len(src)):
        if re.match(r"\s*tx_put_locked\(\w+\);", src[n - 1]):
            for k in range(n + 1, len(src) + 1):
                code = src[k - 1].strip()
                if code and not code.startswith("//"):
                    return "%s:%d" % (sym.symtab.filename, k)
    return None


def in_function(spec, fname):
    """Does breakpoint location spec resolve to code inside fname?"""
    try:
        sals = gdb.decode_line(spec)[1] or []
    except gdb.error:
        return False
    for sal in sals:
        b = gdb.current_progspace().block_for_pc(sal.pc)
        while b is not None:
            if b.function is not None and b.function.name == fname:
                return True
            b = b.superblock
    return False


class TxBreak(gdb.Breakpoint):
    """Stops in e1000_transmit just after the TDT store: on QEMU the frame
    has already gone out and its descriptor shows DD. If that line cannot
    be found, stops at e1000_transmit's entry instead (m is the argument)."""

    def __init__(self):
        spec = tx_line()
        self.after = spec is not None and in_function(spec, "e1000_transmit")
        super().__init__(spec if self.after else "e1000_transmit")

    def stop(self):
        try:
            e = kvar("e1000")
            if self.after:
                i = (int(e["tx_next"]) - 1) % (e["tx"].type.range()[1] + 1)
                m = int(e["tx_mbuf"][i])
                set_stop_vars("tx", i, m)
                print("e1000: frame sent from TX descriptor %d, mbuf 0x%x "
                      "(`mbuf $e1000_mbuf` decodes it)" % (i, m))
            else:
                m = int(gdb.parse_and_eval("m"))
                set_stop_vars("tx", -1, m)
                print("e1000: about to transmit mbuf 0x%x (`mbuf $e1000_mbuf`)" % m)
            show_ring("tx", False)
        except gdb.error as err:
            print("e1000 break tx: %s" % err)
        return True


BREAKS = {}     # "rx"/"tx" -> the breakpoint `e1000 break` made


def break_cmd(arg):
    for b in list(BREAKS.values()):
        if not b.is_valid():
            BREAKS.clear()
    if arg == "off":
        for b in BREAKS.values():
            if b.is_valid():
                b.delete()
        BREAKS.clear()
        print("e1000: frame breakpoints removed")
    elif arg in ("rx", "tx"):
        if arg in BREAKS and BREAKS[arg].is_valid():
            print("e1000 break %s is already set (breakpoint %d)" % (arg, BREAKS[arg].number))
            return
        BREAKS[arg] = RxBreak() if arg == "rx" else TxBreak()
    elif arg == "":
        if not BREAKS:
            print("no frame breakpoints; `e1000 break rx`, `e1000 break tx` set them")
        for k, b in BREAKS.items():
            print("e1000 break %s: breakpoint %d at %s, hit %d times"
                  % (k, b.number, b.location, b.hit_count))
    else:
        raise gdb.GdbError("usage: e1000 break rx|tx|off")


# ---- the commands ------------------------------------------------------------------------

class E1000Prefix(gdb.Command):
    """Look at the E1000 network card and its driver (kernel/e1000.c).

Subcommands: e1000 rings, e1000 rx, e1000 tx, e1000 regs, e1000 break.
None of them writes to the guest (but for the breakpoints `e1000 break`
sets) or reads a register that a read changes.
Related: mbuf, sockets, netstat."""

    def __init__(self):
        super().__init__("e1000", gdb.COMMAND_USER, prefix=True)


class RingCmd(gdb.Command):
    def __init__(self, name, kinds):
        super().__init__("e1000 " + name, gdb.COMMAND_USER)
        self.kinds = kinds

    def invoke(self, arg, from_tty):
        if arg.strip() not in ("", "all"):
            raise gdb.GdbError("usage: e1000 %s [all]" % self._command_name())
        with KernelView():
            for i, kind in enumerate(self.kinds):
                if i:
                    print()
                show_ring(kind, arg.strip() == "all")

    def complete(self, text, word):
        return ["all"] if "all".startswith(text) else []

    def _command_name(self):
        return "rings" if len(self.kinds) == 2 else self.kinds[0]


class RingsCmd(RingCmd):
    """Show both descriptor rings: e1000 rings [all]

One row per descriptor: index, owner (dev: between head and tail, the
device may use it; drv: the driver's), buffer address, length, status and
error bits (RX) or command and status bits (TX), and the mbuf the driver
keeps for it (e1000.rx_mbuf[] / tx_mbuf[]). Markers show the device's head
and tail (RDH/RDT, TDH/TDT, read from the registers) and the driver's own
indices (rx_next; tx_next, tx_clean). Above each table: how many
descriptors each side owns and how many have DD set.

By default only rows next to a marker and rows with status bits set (or,
TX, an mbuf attached) are shown; `all` shows every descriptor."""

    def __init__(self):
        super().__init__("rings", ("rx", "tx"))


class RxCmd(RingCmd):
    """Show the receive ring: e1000 rx [all]. See `help e1000 rings`."""

    def __init__(self):
        super().__init__("rx", ("rx",))


class TxCmd(RingCmd):
    """Show the transmit ring: e1000 tx [all]. See `help e1000 rings`."""

    def __init__(self):
        super().__init__("tx", ("tx",))


class ShowCmd(gdb.Command):
    """The shape of the commands without arguments: show() prints what it
    reads, with kernel memory made readable (KernelView). Each subclass's
    docstring is its `help`."""

    def __init__(self, name, show):
        super().__init__(name, gdb.COMMAND_USER)
        self.show = show

    def invoke(self, arg, from_tty):
        with KernelView():
            self.show()


class RegsCmd(ShowCmd):
    """Show the E1000's registers with their bits named: e1000 regs

Reads CTRL, STATUS, IMS, RCTL, TCTL, RDBAL/RDBAH/RDLEN/RDH/RDT,
TDBAL/TDBAH/TDLEN/TDH/TDT and RAL0/RAH0 through BAR0 (e1000.regs), each
with one 4-byte read, and compares the ring registers with the driver's
arrays and indices.

It never reads ICR (0xC0): a read returns the pending interrupt causes
and clears them, so the driver would lose an interrupt. Nor the statistics
registers 0x4000-0x40FF (MPC at 0x4010 among them): the 8254x manual makes
each read zero the counter (QEMU 7.2 keeps MPC as a running total, but the
driver's rx_missed bookkeeping must not depend on what a debugger did).
Do not `x/` those addresses yourself either. IMS is safe: reading returns
the current mask. No register is read before the driver has set the
device up (e1000.regs == 0)."""

    def __init__(self):
        super().__init__("e1000 regs", show_regs)


class BreakCmd(gdb.Command):
    """Stop when a frame is received or sent: e1000 break rx|tx|off

e1000 break rx  stop each time a received frame is waiting: on entry to
                e1000_rx_drain (the one receive path of every NETMODE)
                when the descriptor at rx_next has DD set.
e1000 break tx  stop each time a frame is sent: in e1000_transmit just
                after the TDT store (QEMU sends inside that store, so the
                descriptor already shows DD).
e1000 break off remove both.   e1000 break: list them.

At each stop the ring is shown, and $e1000_mbuf, $e1000_desc and
$e1000_stop ("rx" or "tx") are set: `mbuf $e1000_mbuf` decodes the frame.
They are ordinary gdb breakpoints (`info breakpoints`, `delete`)."""

    def __init__(self):
        super().__init__("e1000 break", gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        break_cmd(arg.strip())

    def complete(self, text, word):
        return [w for w in ("rx", "tx", "off") if w.startswith(text)]


class MbufCmd(gdb.Command):
    """Show an mbuf and decode its data: mbuf EXPR [frame|data]

EXPR is any expression giving its address: 0x87f1c000, $e1000_mbuf,
e1000.rx_mbuf[3], socktab[0].rxq.head. Prints next, head (and its offset
into buf), len and where the driver holds it, then the data from head:
Ethernet, ARP or IPv4, ICMP or UDP (checksums checked), and the payload in
hex and text. `frame` forces decoding as an Ethernet frame, `data` shows
plain hex (socket queues hold UDP payloads, not frames). A received frame
still on the RX ring has len 0; the length the device wrote is used."""

    def __init__(self):
        super().__init__("mbuf", gdb.COMMAND_USER, gdb.COMPLETE_EXPRESSION)

    def invoke(self, arg, from_tty):
        words = arg.split()
        mode = "auto"
        if words and words[-1] in ("frame", "data"):
            mode = words.pop()
        if not words:
            raise gdb.GdbError("usage: mbuf EXPR [frame|data]")
        with KernelView():
            v = gdb.parse_and_eval(" ".join(words))
            if v.type.code == gdb.TYPE_CODE_VOID:
                raise gdb.GdbError("%s has no value (before the first `e1000 break` "
                                   "stop, $e1000_mbuf is unset)" % " ".join(words))
            m = int(v)
            if m == 0:
                raise gdb.GdbError("null mbuf pointer")
            show_mbuf(m, mode)


class SocketsCmd(ShowCmd):
    """List the open UDP sockets (socktab in kernel/sock.c): sockets

For each: its address, local port, remote address:port (any = wildcard),
datagrams queued and the first of them (`mbuf ADDR` shows it), the
receive timeout, and the last sender (what write() replies to)."""

    def __init__(self):
        super().__init__("sockets", show_sockets)


class NetstatCmd(ShowCmd):
    """Show the kernel's network counters (struct netstat netstats): netstat

The same counters the user program netstat prints, read directly from the
kernel, with the driver's current mode (e1000.mode, an enum netmode). The
names and their order are the fields of struct netstat in the debug info,
which kernel/netstat.h generates from its lists: the state first (mode,
kmap, NETSTAT_STATE), then NETSTAT_COUNTERS, then poll_hist."""

    def __init__(self):
        super().__init__("netstat", show_netstat)


E1000Prefix()
RingsCmd()
RxCmd()
TxCmd()
RegsCmd()
BreakCmd()
MbufCmd()
SocketsCmd()
NetstatCmd()
