"""A real browser against xv6's httpd: headless Chromium (Debian's
`chromium`, which `make test` installs: the Makefile's TESTPKGS) loads
pages from the guest through slirp's forwarded port, as a user's browser
does after `make qemu` and `httpd &` (README's quick tour).

- test_browser: the guest boots in intr mode and runs `httpd &`.
  Chromium loads http://localhost:HTTPFWDPORT/ and its DOM (--dump-dom)
  must list README (linked, a file, the size of the README.md mkfs copied
  in), httpd, and the console as an unlinked device; a directory made in
  the guest, /www, lists its files with links under /www/ (a name with
  "%" escaped, and the link works).  /netstat shows the mode, the
  counters (tcp_rx and rx_frames non-zero numbers) and the connection
  table with the columns issue 20 asks for and a row ESTABLISHED from the
  guest's port 80 to slirp's 10.0.2.2: Chromium's own connection, which
  carried the request; after `netmode poll` and `netmode hybrid` in the
  guest it shows each.  Chromium left on /netstat (no --dump-dom) asks
  for it again by itself (the meta refresh), counted by a relay between
  it and the port.  Chromium opens several connections, keeps them alive
  and asks for /favicon.ico; httpd must serve through all that.  A
  /favicon.ico from curl is a 404 with a length, on a connection that
  stays usable (the next request is served on it).  Content types:
  README is text, a program octets; /console is 403 (a read of it would
  wait for the guest's keyboard).  The guest's rx accounting still adds
  up afterwards, and the capture is clean.

Chromium missing is a failure, not a skip.  No timing decides a result.
"""

import html.parser
import os
import re
import shutil
import signal
import socket
import subprocess
import threading

from scapy.layers.inet import TCP
from scapy.utils import rdpcap

from qemu import REPO, TestFailure
from test_tcp import curl, start_httpd

BROWSER = "chromium"
BROWSER_TIMEOUT = 90        # seconds: a ceiling for one page load
GUEST_HTTP = "10.0.2.15:80"  # httpd's end of a connection through slirp
SLIRP_HOST = "10.0.2.2"      # the host as the guest sees it
TCP_COLUMNS = ("state", "local", "remote", "cwnd", "srtt", "rto", "retransmits")


class Page(html.parser.HTMLParser):
    """A DOM as Chromium dumps it: the rows of its tables (lists of cell
    texts, stripped), its links (href values) and its text."""

    def __init__(self, dom):
        super().__init__()
        self.rows, self.links, self.text = [], [], ""
        self._incell = False
        self.feed(dom)
        self.close()

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self.rows[-1].append("")
            self._incell = True
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag):
        if tag in ("td", "th", "tr", "table"):
            self._incell = False
        if tag == "tr" and self.rows:
            self.rows[-1] = [c.strip() for c in self.rows[-1]]

    def handle_data(self, data):
        self.text += data
        if self._incell:
            self.rows[-1][-1] += data

    def row(self, first):
        """The first row whose first cell is first, or None."""
        return next((r for r in self.rows if r and r[0] == first), None)


def browser():
    """The path of Debian's chromium; fails (not skips) without it."""
    path = shutil.which(BROWSER)
    if path is None:
        raise TestFailure("%s is not installed: `make test` installs it "
                          "(Makefile TESTPKGS), or apt-get install chromium"
                          % BROWSER)
    return path


def chromium(guest, *args):
    """Start headless Chromium with a private profile and args, in a
    session of its own: os.killpg(p.pid) stops the whole group (renderer,
    GPU and zygote processes too), not only the browser."""
    profile = os.path.join(guest.tmp, "chromium-profile")
    argv = [browser(), "--headless", "--no-sandbox", "--disable-gpu",
            "--no-proxy-server", "--no-first-run", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update",
            "--disable-dev-shm-usage", "--user-data-dir=" + profile, *args]
    guest.log.line("[harness] " + " ".join(argv))
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)


def load(guest, url):
    """Load url in headless Chromium; return its DOM after the load
    (--dump-dom) as a Page."""
    p = chromium(guest, "--dump-dom", url)
    try:
        out, err = p.communicate(timeout=BROWSER_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        raise TestFailure("chromium did not load %s in %d s" % (url, BROWSER_TIMEOUT))
    err = err.decode(errors="replace")
    dom = out.decode(errors="replace")
    guest.log.line("[chromium] exit %d; stderr's end:\n%s\n[chromium] DOM:\n%s"
                   % (p.returncode, err[-1000:], dom))
    if p.returncode != 0 or "<body" not in dom:
        raise TestFailure("chromium on %s: exit %d, DOM %r, stderr %s"
                          % (url, p.returncode, dom[:200], err[-500:]))
    return Page(dom)


class CountingRelay:
    """A TCP relay on 127.0.0.1 (port) to 127.0.0.1:dst, in threads, that
    counts the requests for path the browser sends through it and sets
    `seen` once it has counted want of them."""

    def __init__(self, dst, path, want):
        self.dst, self.pattern, self.want = dst, b"GET " + path + b" ", want
        self.count, self.seen, self.lock = 0, threading.Event(), threading.Lock()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.server.accept()
                s = socket.create_connection(("127.0.0.1", self.dst))
            except OSError:
                return                      # closed
            threading.Thread(target=self._pump, args=(c, s, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(s, c, False), daemon=True).start()

    def _pump(self, src, dst, count):
        try:
            while (data := src.recv(65536)):
                if count:
                    with self.lock:
                        self.count += data.count(self.pattern)
                        if self.count >= self.want:
                            self.seen.set()
                dst.sendall(data)
        except OSError:
            pass
        for sk in (src, dst):           # ends the other direction's pump too
            try:
                sk.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        src.close()                     # each socket is one pump's src

    def close(self):
        self.server.close()


def check_refresh(guest):
    """The browser reloads /netstat by itself: Chromium, left on the page
    (no --dump-dom), asks for it a second time through a counting relay."""
    relay = CountingRelay(guest.httpport, b"/netstat", 2)
    p = chromium(guest, "http://127.0.0.1:%d/netstat" % relay.port)
    try:
        seen = relay.seen.wait(BROWSER_TIMEOUT)
    finally:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        relay.close()
    guest.log.line("[harness] /netstat requests through the relay: %d" % relay.count)
    if not seen:
        raise TestFailure("chromium asked for /netstat %d time(s) in %d s: "
                          "the page does not reload itself" % (relay.count, BROWSER_TIMEOUT))


def check_listing(page):
    """/ lists README (linked, a file, README.md's size) and httpd."""
    readme = os.path.getsize(os.path.join(REPO, "README.md"))
    row = page.row("README")
    if row is None or row[1:] != ["file", str(readme)] or "/README" not in page.links:
        raise TestFailure("listing of /: README row %r (want file, %d bytes), links %r"
                          % (row, readme, page.links[:10]))
    if page.row("httpd") is None or "/httpd" not in page.links:
        raise TestFailure("listing of /: no httpd in %r" % page.rows[:10])
    row = page.row("console")
    if row is None or row[1] != "device" or "/console" in page.links:
        raise TestFailure("listing of /: console %r should be an unlinked device" % row)


def check_types(port):
    """What a browser is told each kind of file is: README text, a
    program's ELF binary octets, the console device refused (reading it
    would take the guest's keyboard input)."""
    for path, want in (("/README", "text/plain"), ("/ls", "application/octet-stream")):
        rc, head, err = curl(port, path, "-I")
        if rc != 0 or ("Content-Type: " + want).encode() not in head:
            raise TestFailure("HEAD %s: want %s: %r %s" % (path, want, head, err))
    rc, body, err = curl(port, "/console", "-o", "/dev/null", "-w", "%{http_code}",
                         timeout=60)
    if body != b"403":
        raise TestFailure("GET /console: %r %s" % (body, err))


def check_subdir(page, port):
    """/www (made in the test, no trailing slash) lists its file f, linked
    as /www/f with its size, and its parent ../ as a directory; the file
    50% is linked as /www/50%25, and that link serves it."""
    row = page.row("f")
    if row is None or row[1:] != ["file", "3"] or "/www/f" not in page.links:
        raise TestFailure("listing of /www: f row %r, links %r" % (row, page.links))
    if page.row("50%") is None or "/www/50%25" not in page.links:
        raise TestFailure("listing of /www: 50%% not linked as /www/50%%25: %r"
                          % page.links)
    rc, body, err = curl(port, "/www/50%25")
    if rc != 0 or body != b"pct\n":
        raise TestFailure("GET /www/50%%25: rc %d %r %s" % (rc, body, err))
    row = page.row("../")
    if row is None or row[1] != "directory" or "/www/../" not in page.links:
        raise TestFailure("listing of /www: parent row %r" % row)


def check_netstat(page, mode):
    """/netstat shows mode, counting counters and Chromium's connection."""
    m = re.search(r"mode (\w+)", page.text)
    if not m or m.group(1) != mode:
        raise TestFailure("/netstat: mode %r, want %s" % (m and m.group(1), mode))
    if "reloads every" not in page.text:
        raise TestFailure("/netstat does not say it reloads itself")
    for name in ("rx_frames", "tcp_rx"):
        row = page.row(name)
        if row is None or not row[1].isdigit() or int(row[1]) == 0:
            raise TestFailure("/netstat: counter %s: %r" % (name, row))
    head = next((r for r in page.rows if r and r[0] == "state"), [])
    if not all(any(c in h for h in head) for c in TCP_COLUMNS):
        raise TestFailure("/netstat: connection table head %r lacks one of %r"
                          % (head, TCP_COLUMNS))
    mine = [r for r in page.rows if len(r) == len(head) and r[0] == "ESTABLISHED"
            and r[1] == GUEST_HTTP and r[2].startswith(SLIRP_HOST + ":")]
    if not mine:
        raise TestFailure("/netstat: no ESTABLISHED connection to %s in %r"
                          % (GUEST_HTTP, page.rows[:8]))
    numbers = mine[0][3:]
    if not all(re.fullmatch(r"\d+(\.\d)?", v) for v in numbers):
        raise TestFailure("/netstat: not numbers in %r" % mine[0])
    if page.row("LISTEN") is None:
        raise TestFailure("/netstat: no LISTEN row (httpd's port 80)")


def check_favicon(port):
    """/favicon.ico is a 404 with a length, and the connection goes on:
    curl sends the next request on it."""
    p = subprocess.run(["curl", "-sS", "-v", "--max-time", "60",
                        "-o", "/dev/null", "-o", "/dev/null",
                        "-w", "%{http_code} ",
                        "http://127.0.0.1:%d/favicon.ico" % port,
                        "http://127.0.0.1:%d/README" % port],
                       capture_output=True, timeout=90)
    err = p.stderr.decode(errors="replace")
    if p.stdout != b"404 200 " or "Content-Length:" not in err \
            or "re-using" not in err.lower() and "reusing" not in err.lower():
        raise TestFailure("/favicon.ico then /README on one connection: %r %s"
                          % (p.stdout, err[-400:]))


def requests_seen(pcap):
    """(SYNs to port 80, the paths of GET/HEAD requests) in a capture: what
    Chromium and curl asked for, for the run's notes."""
    syns, paths = 0, []
    for f in rdpcap(pcap):
        if TCP not in f or f[TCP].dport != 80:
            continue
        if f[TCP].flags.S and not f[TCP].flags.A:
            syns += 1
        m = re.match(rb"(?:GET|HEAD) (\S+) ", bytes(f[TCP].payload))
        if m:
            paths.append(m.group(1).decode(errors="replace"))
    return syns, paths


def test_browser(guest):
    browser()                       # fail before booting if it is missing
    q = guest.boot()
    start_httpd(q)
    url = "http://localhost:%d" % guest.httpport
    check_listing(load(guest, url + "/"))
    q.run("mkdir www")
    q.run("echo hi > www/f")
    q.run("echo pct > www/50%")
    check_subdir(load(guest, url + "/www"), guest.httpport)
    check_netstat(load(guest, url + "/netstat"), guest.mode)
    for mode in ("poll", "hybrid"):
        out = q.run("netmode " + mode)
        if "-> " + mode not in out:
            raise TestFailure("netmode %s: %r" % (mode, out))
        check_netstat(load(guest, url + "/netstat"), mode)
    check_refresh(guest)
    check_favicon(guest.httpport)
    check_types(guest.httpport)
    rc, body, err = curl(guest.httpport, "/README")
    if rc != 0 or body != open(os.path.join(REPO, "README.md"), "rb").read():
        raise TestFailure("GET /README after the browser: rc %d: %s" % (rc, err))
    out = q.run("netstat")
    if "rx accounting: OK" not in out:
        raise TestFailure("netstat: accounting does not add up:\n" + out[-500:])
    guest.check_pcap(q)
    syns, paths = requests_seen(q.makevars["PCAPFILE"])
    guest.note("browser: %d SYNs to port 80, requests %s" % (syns, " ".join(paths)))
