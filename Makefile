# xv6-netpoll: build, run and test. `make help` lists the targets: it
# prints the `## ` comments above them, then the `##= ` lines by the
# variables, with make's values.

K = kernel
U = user

# Build-time choices (see `make help`).
NETMODE ?= intr
# The kernel's mapping: shared (mapped in every process's table: no switch
# on a trap; the default since every test passes with it) or split (its own
# page table, switched to on every trap, as xv6-riscv).
KMAP ?= shared
CPUS ?= 3
E1000_MITIGATION ?= on
PCAP ?= on
# ICOUNT=on: QEMU counts instructions (-icount shift=0): the instret CSR
# reads the instructions executed, and udpbench reports them per datagram.
ICOUNT ?= off
##= NETMODE=$(NETMODE) KMAP=$(KMAP) CPUS=$(CPUS) E1000_MITIGATION=$(E1000_MITIGATION) PCAP=$(PCAP) ICOUNT=$(ICOUNT)
# The guest's network: user (QEMU's slirp), wire (a host program, test/wire.py)
# or lan (guest GUEST of up to 8 on the switch of `make lan`, test/lan.py),
# or tap (Linux's own stack as 10.0.2.2 through a TAP device in a network
# namespace, via our relay, which can impair the wire: test/tapnet.py).
NET ?= user
GUEST ?= 1
ifeq ($(filter $(NET),user wire lan tap),)
$(error NET must be user, wire, lan or tap, not '$(NET)')
endif
ifeq ($(NET),lan)
ifeq ($(filter $(GUEST),1 2 3 4 5 6 7 8),)
$(error GUEST must be 1..8, not '$(GUEST)')
endif
# Each guest on the LAN has its own disk and capture.
FSIMG ?= fs-guest$(GUEST).img
PCAPFILE ?= packets-guest$(GUEST).pcap
endif
# The disk image QEMU boots and the capture file (the tests pass their own).
FSIMG ?= fs.img
PCAPFILE ?= packets.pcap

ifeq ($(filter $(NETMODE),intr poll hybrid),)
$(error NETMODE must be intr, poll or hybrid, not '$(NETMODE)')
endif
ifeq ($(filter $(KMAP),split shared),)
$(error KMAP must be split or shared, not '$(KMAP)')
endif
ifeq ($(filter $(ICOUNT),on off),)
$(error ICOUNT must be on or off, not '$(ICOUNT)')
endif

OBJS = \
  $K/entry.o \
  $K/start.o \
  $K/console.o \
  $K/printf.o \
  $K/uart.o \
  $K/kalloc.o \
  $K/spinlock.o \
  $K/string.o \
  $K/main.o \
  $K/vm.o \
  $K/proc.o \
  $K/swtch.o \
  $K/trampoline.o \
  $K/trap.o \
  $K/syscall.o \
  $K/sysproc.o \
  $K/bio.o \
  $K/fs.o \
  $K/log.o \
  $K/sleeplock.o \
  $K/file.o \
  $K/pipe.o \
  $K/exec.o \
  $K/sysfile.o \
  $K/kernelvec.o \
  $K/plic.o \
  $K/virtio_disk.o \
  $(NETOBJS)

# The network code: driver, net thread, stack, sockets.
NETOBJS = \
  $K/pci.o \
  $K/e1000.o \
  $K/netthread.o \
  $K/mbuf.o \
  $K/netparse.o \
  $K/net.o \
  $K/neigh.o \
  $K/arp.o \
  $K/socktab.o \
  $K/sock.o \
  $K/sockwait.o \
  $K/sockfd.o \
  $K/sockport.o \
  $K/tcp.o \
  $K/tcpsock.o \
  $K/netceil.o \
  $K/netstage.o \
  $K/sysnet.o

# Toolchain: Debian's bare-metal compiler, or the Linux one. Looked for on
# first use, when a recipe runs, not when make reads this file: on a fresh
# machine `checkdeps` installs the compiler before the first compile, and
# the host's gcc must not be picked in its place. Every compile waits for
# checkdeps (order-only), with -j too.
ifndef TOOLPREFIX
TOOLPREFIX = $(eval TOOLPREFIX := $(shell for p in riscv64-unknown-elf- riscv64-linux-gnu-; do \
	if command -v $${p}gcc >/dev/null 2>&1; then echo $$p; exit; fi; done))$(TOOLPREFIX)
endif

QEMU = qemu-system-riscv64
CC = $(TOOLPREFIX)gcc
AS = $(TOOLPREFIX)gas
LD = $(TOOLPREFIX)ld
OBJCOPY = $(TOOLPREFIX)objcopy
OBJDUMP = $(TOOLPREFIX)objdump

CFLAGS = -Wall -Werror -O -fno-omit-frame-pointer -ggdb -gdwarf-2
CFLAGS += -MD -mcmodel=medany -ffreestanding -fno-common -nostdlib -mno-relax
CFLAGS += -I. -fno-stack-protector -fno-pie -no-pie
CFLAGS += -fno-builtin-printf -fno-builtin-fprintf -fno-builtin-malloc -fno-builtin-free
CFLAGS += -fno-builtin-memset -fno-builtin-memmove -fno-builtin-memcpy -fno-builtin-strlen
LDFLAGS = -z max-page-size=4096

# The packages `make deps` installs, and the commands that prove they are here.
# clang and libclang-rt-14-dev (its libFuzzer) are for `make fuzz`.
# python3-pytest, -pexpect and -scapy run the tests, python3-matplotlib draws
# the benchmarks' plots. iproute2, dnsmasq-base and iputils-ping are for
# NET=tap (test/tapnet.py): the namespace and tap0, DHCP and DNS in it, and
# Linux's ping of the guest; curl talks to httpd in test/test_tcp.py.
DEBPKGS = make gcc gcc-riscv64-unknown-elf qemu-system-misc gdb-multiarch python3 tshark \
  clang libclang-rt-14-dev python3-pytest python3-pexpect python3-scapy python3-matplotlib \
  iproute2 dnsmasq-base iputils-ping curl
NEEDCMDS = gcc riscv64-unknown-elf-gcc qemu-system-riscv64 gdb-multiarch python3 tshark clang \
  ip dnsmasq ping curl
PYMODULES = pytest, pexpect, scapy
# Only `make test` needs these: chromium, the browser test/test_browser.py
# runs headless against httpd. checkdeps (make, make qemu) leaves them out,
# so a first `make qemu` does not pull a browser in; checktestdeps adds them.
TESTPKGS = chromium
TESTCMDS = chromium

# The Python that runs every script: Debian's own, which sees the python3-*
# packages (a python3 first on PATH may be a build that does not).
PYTHON ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)

## make [NETMODE=intr|poll|hybrid]   build kernel/kernel and fs.img (NETMODE: the boot mode;
##                                   switch at run time with netmode inside xv6)
## make KMAP=shared|split            the kernel's mapping: in every process's page table (shared,
##                                   the default: a trap switches nothing) or its own (split, xv6-riscv's)
all: checkdeps $K/kernel fs.img

# ---- dependencies -----------------------------------------------------------

## make deps                         install the Debian packages: $(DEBPKGS) $(TESTPKGS)
# DEPPKGS: what to install (checkdeps and checktestdeps pass their own part).
DEPPKGS ?= $(DEBPKGS) $(TESTPKGS)
deps:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; \
	elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; \
	else echo "make deps: run as root: apt-get install -y $(DEPPKGS)"; exit 1; fi; \
	echo "installing: $(DEPPKGS)"; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEPPKGS)

# Shell snippets for the two checks below. findmissing adds to $$missing
# each command of $(1) not found (ip and dnsmasq live in /usr/sbin, on no
# PATH of an ordinary user); installmissing runs `make deps` for the
# packages $(1) when $$missing is not empty.
findmissing = for c in $(1); do PATH="$$PATH:/usr/sbin:/sbin" command -v $$c >/dev/null 2>&1 || missing="$$missing $$c"; done
installmissing = if [ -n "$$missing" ]; then \
	  echo "missing:$$missing"; \
	  if [ "$$(id -u)" = 0 ] || command -v sudo >/dev/null 2>&1; then \
	    $(MAKE) --no-print-directory deps DEPPKGS='$(1)'; \
	  else echo "run as root: apt-get install -y $(1)"; exit 1; fi; \
	fi

# Runs `make deps` for DEBPKGS when a needed command or Python module is missing.
checkdeps:
	@missing=; $(call findmissing,$(NEEDCMDS)); \
	$(PYTHON) -c 'import $(PYMODULES)' >/dev/null 2>&1 || missing="$$missing python:($(PYMODULES))"; \
	$(call installmissing,$(DEBPKGS))

# The same for what only `make test` needs (TESTPKGS).
checktestdeps: checkdeps
	@missing=; $(call findmissing,$(TESTCMDS)); $(call installmissing,$(TESTPKGS))

# ---- kernel -----------------------------------------------------------------

# The mode the kernel boots in lives in a generated header, rewritten only
# when NETMODE changes, so switching recompiles only e1000.c, its one user.
# The modes themselves are defined once, in kernel/netmode.h.
$K/netboot.h: FORCE
	@echo '// Generated by the Makefile from NETMODE=$(NETMODE). Do not edit.' > $@.tmp
	@echo '#define NETMODE_BOOT NETMODE_$(shell echo $(NETMODE) | tr a-z A-Z)' >> $@.tmp
	@cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp

# The kernel's mapping, for every file that includes memlayout.h (user
# programs too: usertests knows where user memory ends).
$K/kmap.h: FORCE
	@echo '// Generated by the Makefile from KMAP=$(KMAP). Do not edit.' > $@.tmp
	@echo '#define KMAP_SHARED $(if $(filter shared,$(KMAP)),1,0)' >> $@.tmp
	@cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp

# Order-only: the .d files then rebuild exactly the objects that include it.
$(OBJS): | $K/netboot.h $K/kmap.h checkdeps

# The host port `make server` listens on, as the default of nettests and
# udpbench; rewritten only when it changes, like netmode.h.
$U/serverport.h: FORCE
	@echo '// Generated by the Makefile: `make server` listens on this port. Do not edit.' > $@.tmp
	@echo '#define SERVERPORT $(SERVERPORT)' >> $@.tmp
	@cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp

$U/nettests.o $U/udpbench.o: | $U/serverport.h

# MIT's net-lab test programs take their host port from the compiler's
# command line (NET_TESTS_PORT), ours from serverport.h; both are SERVERPORT.
# user.h checks printf formats, as xv6-riscv has since 2024; programs of
# older lab generations (2020-23 usertests) have format slips, so in user
# programs these stay warnings.
UCFLAGS = -Wno-error=format -Wno-error=format-extra-args
$U/%.o: $U/%.c | $K/kmap.h checkdeps
	$(CC) $(CFLAGS) $(UCFLAGS) -DNET_TESTS_PORT=$(SERVERPORT) -c -o $@ $<

$K/kernel: $(OBJS) $K/kernel.ld
	$(LD) $(LDFLAGS) -T $K/kernel.ld -o $K/kernel $(OBJS)
	$(OBJDUMP) -S $K/kernel > $K/kernel.asm
	$(OBJDUMP) -t $K/kernel | sed '1,/SYMBOL TABLE/d; s/ .* / /; /^$$/d' > $K/kernel.sym

$K/%.o: $K/%.S
	$(CC) $(CFLAGS) -c -o $@ $<

# ---- user programs ----------------------------------------------------------

ULIB = $U/ulib.o $U/usys.o $U/printf.o $U/umalloc.o $U/resolv.o $U/netlib.o

_%: %.o $(ULIB) $U/user.ld
	$(LD) $(LDFLAGS) -T $U/user.ld -o $@ $< $(ULIB)
	$(OBJDUMP) -S $@ > $*.asm

# hget and tcpcat link the SHA-256 code.
$U/_hget: $U/hget.o $U/sha256.o $(ULIB) $U/user.ld
	$(LD) $(LDFLAGS) -T $U/user.ld -o $@ $U/hget.o $U/sha256.o $(ULIB)
	$(OBJDUMP) -S $@ > $U/hget.asm

$U/_tcpcat: $U/tcpcat.o $U/sha256.o $(ULIB) $U/user.ld
	$(LD) $(LDFLAGS) -T $U/user.ld -o $@ $U/tcpcat.o $U/sha256.o $(ULIB)
	$(OBJDUMP) -S $@ > $U/tcpcat.asm

# udpbench and tcpbench link the RESULT line and its counters (benchlib).
$U/_udpbench $U/_tcpbench: $U/_%: $U/%.o $U/benchlib.o $(ULIB) $U/user.ld
	$(LD) $(LDFLAGS) -T $U/user.ld -o $@ $U/$*.o $U/benchlib.o $(ULIB)
	$(OBJDUMP) -S $@ > $U/$*.asm

# dhcpc alone links the DHCP message code.
$U/_dhcpc: $U/dhcpc.o $U/dhcpmsg.o $(ULIB) $U/user.ld
	$(LD) $(LDFLAGS) -T $U/user.ld -o $@ $U/dhcpc.o $U/dhcpmsg.o $(ULIB)
	$(OBJDUMP) -S $@ > $U/dhcpc.asm

$U/usys.S: $U/usys.py $K/syscall.h
	$(PYTHON) $U/usys.py $K/syscall.h > $@

$U/usys.o: $U/usys.S | checkdeps
	$(CC) $(CFLAGS) -c -o $@ $<

# Keep the objects make would delete as intermediates.
.PRECIOUS: %.o

UPROGS = \
	$U/_cat \
	$U/_echo \
	$U/_forktest \
	$U/_grep \
	$U/_init \
	$U/_kill \
	$U/_ln \
	$U/_ls \
	$U/_mkdir \
	$U/_rm \
	$U/_sh \
	$U/_stressfs \
	$U/_usertests \
	$U/_wc \
	$U/_zombie \
	$U/_cpuhog \
	$U/_nettests \
	$U/_netstat \
	$U/_netstages \
	$U/_netmode \
	$U/_udpbench \
	$U/_tcpbench \
	$U/_udpecho \
	$U/_nslookup \
	$U/_ifconfig \
	$U/_arp \
	$U/_ping \
	$U/_dhcpc \
	$U/_netfuzz \
	$U/_cpustat \
	$U/_httpd \
	$U/_hget \
	$U/_tcptests \
	$U/_tcpcat

mkfs/mkfs: mkfs/mkfs.c $K/fs.h $K/param.h
	gcc -Werror -Wall -I. -o mkfs/mkfs mkfs/mkfs.c

# The image holds README.md and, as xv6's does, a /README (every
# generation of MIT's usertests opens it): the same text.
mkfs/README: README.md
	cp README.md $@

fs.img: mkfs/mkfs README.md mkfs/README $(UPROGS)
	mkfs/mkfs fs.img README.md mkfs/README $(UPROGS)

-include $K/*.d $U/*.d

# ---- running ----------------------------------------------------------------

# Host ports, derived from the user id as the xv6 labs do; override freely.
UIDMOD := $(shell expr `id -u` % 5000)
SERVERPORT ?= $(shell expr $(UIDMOD) + 25099)
FWDPORT ?= $(shell expr $(UIDMOD) + 25999)
# MIT's 2024-25 lab also forwards a second host port, to the guest's port 2001.
FWDPORT2 ?= $(shell expr $(UIDMOD) + 30999)
# A host TCP port QEMU forwards to the guest's port 80 (httpd).
HTTPFWDPORT ?= $(shell expr $(UIDMOD) + 31999)
GDBPORT ?= $(shell expr $(UIDMOD) + 25000)
# NET=wire: test/wire.py listens on WIREPORT, QEMU's end of the wire is WIRE_QEMUPORT.
WIREPORT ?= $(shell expr $(UIDMOD) + 26099)
WIRE_QEMUPORT ?= $(shell expr $(UIDMOD) + 26199)
# NET=lan: the switch (`make lan`) listens on LANPORT, guest n's QEMU is on LANPORT+n
# with the MAC 52:54:00:12:34:0n (test/lan.py's guest_addr and guest_mac).
LANPORT ?= $(shell expr $(UIDMOD) + 26299)
# NET=tap: the relay of test/tapnet.py listens on TAPPORT, QEMU's end is
# TAP_QEMUPORT; the namespace is xv6tap-TAPPORT. The wire's impairments,
# fractions of the frames in each direction, drawn from SEED.
TAPPORT ?= $(shell expr $(UIDMOD) + 26399)
TAP_QEMUPORT ?= $(shell expr $(UIDMOD) + 26499)
LOSS ?= 0
REORDER ?= 0
DUP ?= 0
CORRUPT ?= 0
SEED ?= 1
# TAPRELAY=off: no relay (so no impairment): QEMU runs in the namespace and
# opens tap0 itself (-netdev tap), for measurements without our relay's cost.
TAPRELAY ?= on
ifeq ($(filter $(TAPRELAY),on off),)
$(error TAPRELAY must be on or off, not '$(TAPRELAY)')
endif
TAPDIRECT = $(and $(filter tap,$(NET)),$(filter off,$(TAPRELAY)))
##= SERVERPORT=$(SERVERPORT) FWDPORT=$(FWDPORT) (to guest port 2000) FWDPORT2=$(FWDPORT2) (to 2001)
##= HTTPFWDPORT=$(HTTPFWDPORT) (host TCP port to the guest's port 80: httpd)
##= GDBPORT=$(GDBPORT) PYTHON=$(PYTHON)
##= NET=$(NET) WIREPORT=$(WIREPORT) WIRE_QEMUPORT=$(WIRE_QEMUPORT)
##= LANPORT=$(LANPORT) GUEST=$(GUEST) LEASE=$(LEASE)
##= TAPPORT=$(TAPPORT) TAP_QEMUPORT=$(TAP_QEMUPORT) LOSS=$(LOSS) REORDER=$(REORDER) DUP=$(DUP) CORRUPT=$(CORRUPT) SEED=$(SEED) TAPRELAY=$(TAPRELAY)

QEMUOPTS = -machine virt,aclint=on -bios none -kernel $K/kernel -m 128M -smp $(CPUS) -nographic
QEMUOPTS += -global virtio-mmio.force-legacy=false
# One virtual nanosecond per instruction; while every hart waits in wfi the
# virtual clock follows the host's (sleep=on: a peer on the host answers in
# real time, and a guest timeout does not fire before it can); align=off:
# no pacing of busy stretches against the host clock (NOTES.md, "Counting
# instructions"). QEMU then runs every hart on one host thread.
ifeq ($(ICOUNT),on)
QEMUOPTS += -icount shift=0,sleep=on,align=off
endif
QEMUOPTS += -drive file=$(FSIMG),if=none,format=raw,id=x0
QEMUOPTS += -device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0
ifeq ($(NET),wire)
QEMUOPTS += -netdev dgram,id=net0,local.type=inet,local.host=127.0.0.1,local.port=$(WIRE_QEMUPORT),remote.type=inet,remote.host=127.0.0.1,remote.port=$(WIREPORT)
else ifneq ($(TAPDIRECT),)
QEMUOPTS += -netdev tap,id=net0,ifname=tap0,script=no,downscript=no
else ifeq ($(NET),tap)
QEMUOPTS += -netdev dgram,id=net0,local.type=inet,local.host=127.0.0.1,local.port=$(TAP_QEMUPORT),remote.type=inet,remote.host=127.0.0.1,remote.port=$(TAPPORT)
else ifeq ($(NET),lan)
QEMUOPTS += -netdev dgram,id=net0,local.type=inet,local.host=127.0.0.1,local.port=$(shell expr $(LANPORT) + $(GUEST)),remote.type=inet,remote.host=127.0.0.1,remote.port=$(LANPORT)
else
QEMUOPTS += -netdev user,id=net0,hostfwd=udp:127.0.0.1:$(FWDPORT)-:2000,hostfwd=udp:127.0.0.1:$(FWDPORT2)-:2001,hostfwd=tcp:127.0.0.1:$(HTTPFWDPORT)-:80
endif
ifeq ($(PCAP),on)
QEMUOPTS += -object filter-dump,id=net0,netdev=net0,file=$(PCAPFILE)
endif
QEMUOPTS += -device e1000,netdev=net0,bus=pcie.0,mitigation=$(E1000_MITIGATION)$(if $(filter lan,$(NET)),$(comma)mac=52:54:00:12:34:0$(GUEST))
# More QEMU options, e.g. QEMUEXTRA="-S -gdb tcp::26000" (test/test_gdb.py).
QEMUEXTRA ?=
QEMUOPTS += $(QEMUEXTRA)

comma = ,

# A LAN guest's own disk: a copy of fs.img, made again whenever fs.img is newer.
fs-guest%.img: fs.img
	cp fs.img $@

# NET=tap: test/tapnet.py brings the namespace, tap0, dnsmasq and the relay
# up, runs QEMU, and takes it all down when QEMU exits.
TAPNET = $(PYTHON) test/tapnet.py
TAPBED = --port $(TAPPORT) --qemu-port $(TAP_QEMUPORT) --loss $(LOSS) --reorder $(REORDER) \
  --dup $(DUP) --corrupt $(CORRUPT) --seed $(SEED)
RUNQEMU = $(if $(filter tap,$(NET)),$(TAPNET) qemu $(TAPBED) $(if $(TAPDIRECT),--direct) --) $(QEMU)

## make qemu                         boot xv6 in QEMU (Ctrl-a x quits)
##                                   then httpd & in xv6: http://localhost:$(HTTPFWDPORT)/ on the host
## make qemu ICOUNT=on               ... with QEMU counting instructions (-icount shift=0):
##                                   cpustat and udpbench report instructions and traps
## make qemu NET=tap [LOSS=f REORDER=f DUP=f CORRUPT=f SEED=n]
##                                   guest on a TAP in namespace xv6tap-$(TAPPORT): Linux is
##                                   10.0.2.2 (dnsmasq: DHCP, DNS from test/hosts), through our
##                                   relay, which drops/reorders/duplicates/corrupts those fractions
## make qemu NET=tap TAPRELAY=off    the same without our relay (no impairment): QEMU runs
##                                   in the namespace with -netdev tap on tap0

qemu: checkdeps $K/kernel fs.img $(filter fs-guest%.img,$(FSIMG))
	$(RUNQEMU) $(QEMUOPTS)

## make tapsh [CMD=...]              a shell (or CMD) in that namespace, e.g.
##                                   CMD='ping -c 3 10.0.2.15'; root, or unshare -rn (test/tapnet.py)
# A shell (or CMD) in the namespace of a running `make qemu NET=tap`.
CMD ?= $(SHELL)
tapsh:
	$(TAPNET) exec --port $(TAPPORT) -- $(CMD)

# The exact QEMU command line, for the test harness and bench scripts
# (with TAPRELAY=off: run in the namespace of a bed already up on TAPPORT).
qemu-cmd:
	@echo $(if $(TAPDIRECT),$(TAPNET) exec --port $(TAPPORT) --) $(QEMU) $(QEMUOPTS)

.gdbinit: kernel/gdbinit.tmpl
	sed "s/:1234/:$(GDBPORT)/" < $^ > $@

## make qemu-gdb                     boot and wait for gdb-multiarch on port $(GDBPORT)
qemu-gdb: checkdeps $K/kernel .gdbinit fs.img
	@echo "*** Now run 'gdb-multiarch' in another window." 1>&2
	$(RUNQEMU) $(QEMUOPTS) -S -gdb tcp::$(GDBPORT)

# LAB=2020: the host side of MIT's 2020-23 net lab instead of our echo: it
# answers every datagram with "this is the host!" (README, "Using it with
# MIT's net lab"). Our nettests needs the echo.
LAB ?=
ifeq ($(filter $(LAB),2020),)
ifneq ($(LAB),)
$(error LAB must be 2020 or empty, not '$(LAB)')
endif
endif
LAB_REPLY = this is the host!

## make server                       host UDP echo server for nettests (port $(SERVERPORT))
## make server LAB=2020              MIT's 2020-23 lab server instead: replies \"$(LAB_REPLY)\"
server:
ifeq ($(LAB),2020)
	$(PYTHON) test/labserver.py $(SERVERPORT)
else
	$(PYTHON) server.py $(SERVERPORT)
endif

# The other end of `make qemu NET=wire`: answers ARP and ping for 10.0.2.2,
# echoes UDP sent to 10.0.2.2:SERVERPORT (so `nettests` works; with
# LAB=2020 it answers "this is the host!"), answers DNS (test/hosts), and
# DHCP with the slirp layout (10.0.2.15, test/dhcpd.py).
## make qemu NET=wire + make wire    guest on a raw wire to test/wire.py instead of slirp
##                                   (the wire answers DHCP, and DNS from test/hosts; LAB=2020 as above)
wire:
	$(PYTHON) test/wire.py --port $(WIREPORT) --qemu-port $(WIRE_QEMUPORT) --echo $(SERVERPORT) \
	  $(if $(filter 2020,$(LAB)),--reply "$(LAB_REPLY)")

# The LAN of `make qemu NET=lan GUEST=n`: a switch on LANPORT and the host 10.0.2.2
# plugged into it, which answers ARP, ping and DNS as the wire does, echoes UDP sent to
# 10.0.2.2:SERVERPORT, and leases addresses by DHCP (10.0.2.15 up; LEASE seconds).
LEASE ?= 3600
## make lan [LEASE=3600]             the LAN: a switch on port $(LANPORT) and the host 10.0.2.2
##                                   (DHCP from 10.0.2.15, ping, DNS, echo on $(SERVERPORT))
## make qemu NET=lan [GUEST=n]       boot guest n (1..8) on the LAN: MAC 52:54:00:12:34:0n,
##                                   disk fs-guestn.img (a copy of fs.img), port LANPORT+n
lan:
	$(PYTHON) test/lan.py --port $(LANPORT) --echo $(SERVERPORT) --lease $(LEASE)

# ---- tests ------------------------------------------------------------------

# make test [T=name] runs the whole suite with pytest, or the tests whose
# names match T (pytest -k: T=nettests, T=poll, T="wire and not flood").
## make test [T=name]                run the test suite with pytest (or tests matching -k T)
test: checktestdeps
	$(PYTHON) -m pytest test $(if $(T),-k '$(T)')

# make bench [QUICK=1] [SAVE=1] [BASELINE=rev] [ONLY="boot ..."]: the UDP and
# TCP benchmarks of every mode, paired rounds in one boot (bench/README.md)
# -> bench/out/run-DATE/. TCP runs over the TAP bed (test/tapnet.py: root,
# or unshare -rn); without one its boots are skipped with the reason.
## make bench [QUICK=1] [SAVE=1]     UDP and TCP benchmarks of the modes, paired rounds -> bench/out/
## make bench ONLY='tcp tcp-loss'    only those boots (bench/run.py's BOOTS), e.g. TCP over the TAP:
##                                   tcpbench send/recv/rr/conn, the ceiling, 2% loss
## python3 bench/stages.py           where the time goes: per-stage means per mode and KMAP,
##                                   a stacked plot -> bench/out/stages-DATE/ (netstages in xv6)
bench: checkdeps
	$(PYTHON) bench/run.py $(if $(QUICK),--quick) $(if $(SAVE),--save) $(if $(BASELINE),--baseline $(BASELINE)) $(if $(ONLY),--only $(ONLY))

# The host unit test of kernel/netparse.c (make test runs it), with sanitizers.
test/net_unit: test/net_unit.c test/unit.h $K/netparse.c $K/netparse.h $K/net.h $K/types.h
	gcc -Wall -Werror -g -I. -fsanitize=address,undefined -fno-sanitize-recover=all \
	  -o $@ test/net_unit.c $K/netparse.c

# The host unit test of kernel/neigh.c, the neighbour cache's rules (make test runs it).
test/neigh_unit: test/neigh_unit.c test/unit.h $K/neigh.c $K/neigh.h $K/netparse.c $K/netparse.h $K/netif.h $K/net.h $K/types.h
	gcc -Wall -Werror -g -I. -fsanitize=address,undefined -fno-sanitize-recover=all \
	  -o $@ test/neigh_unit.c $K/neigh.c $K/netparse.c

# The host unit test of kernel/socktab.c, the socket table's rules (make test runs it).
test/socktab_unit: test/socktab_unit.c test/unit.h $K/socktab.c $K/socktab.h $K/socket.h $K/net.h $K/types.h
	gcc -Wall -Werror -g -I. -fsanitize=address,undefined -fno-sanitize-recover=all \
	  -o $@ test/socktab_unit.c $K/socktab.c

## make coverage                     the host unit tests under gcov: line coverage of the pure
##                                   cores (netparse.c, neigh.c, socktab.c, tcp.c)
# make coverage: the pure cores' unit tests built with gcov instrumentation
# (no sanitizers) in test/cov, run, and gcov's line coverage of each pure
# file printed (make test checks it is at least 90%: test_netparse.py).
COV = test/cov
COVCORES = netparse neigh socktab tcp
COVFLAGS = -g -O0 -I. --coverage
coverage:
	rm -rf $(COV) && mkdir -p $(COV)
	for f in $(COVCORES); do gcc $(COVFLAGS) -c -o $(COV)/$$f.o $K/$$f.c || exit 1; done
	gcc $(COVFLAGS) -o $(COV)/net_unit test/net_unit.c $(COV)/netparse.o
	gcc $(COVFLAGS) -o $(COV)/neigh_unit test/neigh_unit.c $(COV)/neigh.o $(COV)/netparse.o
	gcc $(COVFLAGS) -o $(COV)/socktab_unit test/socktab_unit.c $(COV)/socktab.o
	gcc $(COVFLAGS) -o $(COV)/tcp_unit test/tcp_unit.c $(COV)/tcp.o $(COV)/netparse.o
	$(COV)/net_unit && $(COV)/neigh_unit && $(COV)/socktab_unit && $(COV)/tcp_unit >/dev/null
	@gcov -n -o $(COV) $(patsubst %,$K/%.c,$(COVCORES)) | grep -A1 "^File '.*\.c'" | grep -v '^--'

# The host unit test of user/dhcpmsg.c, dhcpc's message code (make test runs it).
test/dhcp_unit: test/dhcp_unit.c test/unit.h $U/dhcpmsg.c $U/dhcpmsg.h $K/types.h
	gcc -Wall -Werror -g -I. -fsanitize=address,undefined -fno-sanitize-recover=all \
	  -o $@ test/dhcp_unit.c $U/dhcpmsg.c

# The host unit test of kernel/tcp.c, TCP's state machine (make test runs it).
test/tcp_unit: test/tcp_unit.c test/unit.h $K/tcp.c $K/tcp.h $K/netparse.c $K/netparse.h $K/net.h $K/types.h
	gcc -Wall -Werror -g -I. -fsanitize=address,undefined -fno-sanitize-recover=all \
	  -o $@ test/tcp_unit.c $K/tcp.c $K/netparse.c

# ---- fuzzing ----------------------------------------------------------------

# make fuzz [FUZZTIME=60]: libFuzzer on kernel/netparse.c, then on
# user/dhcpmsg.c, then on kernel/tcp.c, FUZZTIME seconds each
# (test/fuzz/README). New inputs go to test/fuzz/new, new-dhcpmsg and
# new-tcp; the committed seeds stay in test/fuzz/corpus, corpus-dhcpmsg
# and corpus-tcp.
# Then [NETFUZZTIME=1800] [NETFUZZSEED=n]: the system call fuzzer
# user/netfuzz.c in a booted guest under host traffic, NETFUZZTIME seconds
# in each NETMODE and KMAP layout (test/test_netfuzz.py; the seed, mode k adds k, is new
# each run unless given; the results are in the pytest notes).
FUZZTIME ?= 60
NETFUZZTIME ?= 1800
NETFUZZSEED ?= $(shell date +%s)
FUZZ = test/fuzz
FUZZFLAGS = -g -O1 -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

$(FUZZ)/fuzz_netparse: $(FUZZ)/fuzz_netparse.c $(FUZZ)/fuzz.h $K/netparse.c $K/netparse.h $K/net.h $K/types.h
	clang $(FUZZFLAGS) -o $@ $(FUZZ)/fuzz_netparse.c $K/netparse.c

$(FUZZ)/fuzz_dhcpmsg: $(FUZZ)/fuzz_dhcpmsg.c $(FUZZ)/fuzz.h $U/dhcpmsg.c $U/dhcpmsg.h $K/types.h
	clang $(FUZZFLAGS) -o $@ $(FUZZ)/fuzz_dhcpmsg.c $U/dhcpmsg.c

$(FUZZ)/fuzz_tcp: $(FUZZ)/fuzz_tcp.c $(FUZZ)/fuzz.h $K/tcp.c $K/tcp.h $K/netparse.c $K/netparse.h $K/net.h $K/types.h
	clang $(FUZZFLAGS) -o $@ $(FUZZ)/fuzz_tcp.c $K/tcp.c $K/netparse.c

## make fuzz [FUZZTIME=60]           libFuzzer on kernel/netparse.c, user/dhcpmsg.c, kernel/tcp.c,
##                                   FUZZTIME seconds each; then [NETFUZZTIME=1800]
##                                   netfuzz (system calls) in each NETMODE and KMAP [NETFUZZSEED=n]
fuzz: checkdeps $(FUZZ)/fuzz_netparse $(FUZZ)/fuzz_dhcpmsg $(FUZZ)/fuzz_tcp
	mkdir -p $(FUZZ)/new $(FUZZ)/new-dhcpmsg $(FUZZ)/new-tcp
	$(FUZZ)/fuzz_netparse -max_total_time=$(FUZZTIME) -artifact_prefix=$(FUZZ)/ \
	  $(FUZZ)/new $(FUZZ)/corpus
	$(FUZZ)/fuzz_dhcpmsg -max_total_time=$(FUZZTIME) -artifact_prefix=$(FUZZ)/ \
	  $(FUZZ)/new-dhcpmsg $(FUZZ)/corpus-dhcpmsg
	$(FUZZ)/fuzz_tcp -max_total_time=$(FUZZTIME) -artifact_prefix=$(FUZZ)/ \
	  $(FUZZ)/new-tcp $(FUZZ)/corpus-tcp
	NETFUZZ_TIME=$(NETFUZZTIME) NETFUZZ_SEED=$(NETFUZZSEED) $(PYTHON) -m pytest test -k netfuzz

## make clean                        remove build products
clean:
	rm -f */*.o */*.d */*.asm */*.sym $K/kernel $K/netboot.h $K/kmap.h $U/serverport.h fs.img mkfs/mkfs mkfs/README \
	  .gdbinit $U/usys.S $(UPROGS) $U/_* packets.pcap $(FUZZ)/fuzz_netparse $(FUZZ)/fuzz_dhcpmsg $(FUZZ)/replay test/net_unit \
	  test/dhcp_unit test/tcp_unit $(FUZZ)/fuzz_tcp test/neigh_unit test/socktab_unit \
	  fs-guest*.img packets-guest*.pcap
	rm -rf $(COV)

# make help: a throwaway rule, one echo per `## ` and `##= ` line, run by a
# second make that reads this file too, so $(VAR) in a line shows its value.
HELPSRC = $(firstword $(MAKEFILE_LIST))
help:
	@{ echo 'help-text:'; echo '	@echo "xv6-netpoll targets:"'; \
	  sed -n 's/^## \(.*\)/	@echo "  \1"/p' $(HELPSRC); echo '	@echo "variables:"'; \
	  sed -n 's/^##= \(.*\)/	@echo "  \1"/p' $(HELPSRC); } | \
	  $(MAKE) --no-print-directory -s -f $(HELPSRC) -f - help-text

FORCE:
.PHONY: all deps checkdeps checktestdeps qemu qemu-cmd qemu-gdb tapsh server wire lan fuzz test bench coverage clean help FORCE
