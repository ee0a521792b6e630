# xv6-netpoll: build, run and test. `make help` lists the targets.

K = kernel
U = user

# Build-time choices (see `make help`).
NETMODE ?= intr
# The kernel's mapping: split (its own page table, switched to on every trap,
# as xv6-riscv) or shared (mapped in every process's table: no switch on a trap).
KMAP ?= split
CPUS ?= 3
E1000_MITIGATION ?= on
PCAP ?= on
# The guest's network: user (QEMU's slirp), wire (a host program, test/wire.py)
# or lan (guest GUEST of up to 8 on the switch of `make lan`, test/lan.py).
NET ?= user
GUEST ?= 1
ifeq ($(filter $(NET),user wire lan),)
$(error NET must be user, wire or lan, not '$(NET)')
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
  $K/arp.o \
  $K/sock.o \
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
# the benchmarks' plots; curl talks to httpd in test/test_tcp.py.
DEBPKGS = make gcc gcc-riscv64-unknown-elf qemu-system-misc gdb-multiarch python3 tshark \
  clang libclang-rt-14-dev python3-pytest python3-pexpect python3-scapy python3-matplotlib curl
NEEDCMDS = gcc riscv64-unknown-elf-gcc qemu-system-riscv64 gdb-multiarch python3 tshark clang curl
PYMODULES = pytest, pexpect, scapy

# The Python that runs every script: Debian's own, which sees the python3-*
# packages (a python3 first on PATH may be a build that does not).
PYTHON ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)

all: checkdeps $K/kernel fs.img

# ---- dependencies -----------------------------------------------------------

deps:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; \
	elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; \
	else echo "make deps: run as root: apt-get install -y $(DEBPKGS)"; exit 1; fi; \
	echo "installing: $(DEBPKGS)"; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBPKGS)

# Runs `make deps` when a needed command or Python module is missing.
checkdeps:
	@missing=; for c in $(NEEDCMDS); do command -v $$c >/dev/null 2>&1 || missing="$$missing $$c"; done; \
	$(PYTHON) -c 'import $(PYMODULES)' >/dev/null 2>&1 || missing="$$missing python:($(PYMODULES))"; \
	if [ -n "$$missing" ]; then \
	  echo "missing:$$missing"; \
	  if [ "$$(id -u)" = 0 ] || command -v sudo >/dev/null 2>&1; then $(MAKE) --no-print-directory deps; \
	  else echo "run as root: apt-get install -y $(DEBPKGS)"; exit 1; fi; \
	fi

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

ULIB = $U/ulib.o $U/usys.o $U/printf.o $U/umalloc.o $U/resolv.o

_%: %.o $(ULIB) $U/user.ld
	$(LD) $(LDFLAGS) -T $U/user.ld -o $@ $< $(ULIB)
	$(OBJDUMP) -S $@ > $*.asm

# hget links the SHA-256 code.
$U/_hget: $U/hget.o $U/sha256.o $(ULIB) $U/user.ld
	$(LD) $(LDFLAGS) -T $U/user.ld -o $@ $U/hget.o $U/sha256.o $(ULIB)
	$(OBJDUMP) -S $@ > $U/hget.asm

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
	$U/_udpecho \
	$U/_nslookup \
	$U/_ifconfig \
	$U/_arp \
	$U/_ping \
	$U/_dhcpc \
	$U/_netfuzz \
	$U/_httpd \
	$U/_hget \
	$U/_tcptests

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
SERVERPORT ?= $(shell expr `id -u` % 5000 + 25099)
FWDPORT ?= $(shell expr `id -u` % 5000 + 25999)
# MIT's 2024-25 lab also forwards a second host port, to the guest's port 2001.
FWDPORT2 ?= $(shell expr `id -u` % 5000 + 30999)
# A host TCP port QEMU forwards to the guest's port 80 (httpd).
HTTPFWDPORT ?= $(shell expr `id -u` % 5000 + 31999)
GDBPORT ?= $(shell expr `id -u` % 5000 + 25000)
# NET=wire: test/wire.py listens on WIREPORT, QEMU's end of the wire is WIRE_QEMUPORT.
WIREPORT ?= $(shell expr `id -u` % 5000 + 26099)
WIRE_QEMUPORT ?= $(shell expr `id -u` % 5000 + 26199)
# NET=lan: the switch (`make lan`) listens on LANPORT, guest n's QEMU is on LANPORT+n
# with the MAC 52:54:00:12:34:0n (test/lan.py's guest_addr and guest_mac).
LANPORT ?= $(shell expr `id -u` % 5000 + 26299)

QEMUOPTS = -machine virt,aclint=on -bios none -kernel $K/kernel -m 128M -smp $(CPUS) -nographic
QEMUOPTS += -global virtio-mmio.force-legacy=false
QEMUOPTS += -drive file=$(FSIMG),if=none,format=raw,id=x0
QEMUOPTS += -device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0
ifeq ($(NET),wire)
QEMUOPTS += -netdev dgram,id=net0,local.type=inet,local.host=127.0.0.1,local.port=$(WIRE_QEMUPORT),remote.type=inet,remote.host=127.0.0.1,remote.port=$(WIREPORT)
else ifeq ($(NET),lan)
QEMUOPTS += -netdev dgram,id=net0,local.type=inet,local.host=127.0.0.1,local.port=$(shell expr $(LANPORT) + $(GUEST)),remote.type=inet,remote.host=127.0.0.1,remote.port=$(LANPORT)
else
QEMUOPTS += -netdev user,id=net0,hostfwd=udp::$(FWDPORT)-:2000,hostfwd=udp::$(FWDPORT2)-:2001,hostfwd=tcp::$(HTTPFWDPORT)-:80
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

qemu: checkdeps $K/kernel fs.img $(filter fs-guest%.img,$(FSIMG))
	$(QEMU) $(QEMUOPTS)

# The exact QEMU command line, for the test harness and bench scripts.
qemu-cmd:
	@echo $(QEMU) $(QEMUOPTS)

.gdbinit: kernel/gdbinit.tmpl
	sed "s/:1234/:$(GDBPORT)/" < $^ > $@

qemu-gdb: checkdeps $K/kernel .gdbinit fs.img
	@echo "*** Now run 'gdb-multiarch' in another window." 1>&2
	$(QEMU) $(QEMUOPTS) -S -gdb tcp::$(GDBPORT)

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
wire:
	$(PYTHON) test/wire.py --port $(WIREPORT) --qemu-port $(WIRE_QEMUPORT) --echo $(SERVERPORT) \
	  $(if $(filter 2020,$(LAB)),--reply "$(LAB_REPLY)")

# The LAN of `make qemu NET=lan GUEST=n`: a switch on LANPORT and the host 10.0.2.2
# plugged into it, which answers ARP, ping and DNS as the wire does, echoes UDP sent to
# 10.0.2.2:SERVERPORT, and leases addresses by DHCP (10.0.2.15 up; LEASE seconds).
LEASE ?= 3600
lan:
	$(PYTHON) test/lan.py --port $(LANPORT) --echo $(SERVERPORT) --lease $(LEASE)

# ---- tests ------------------------------------------------------------------

# make test [T=name] runs the whole suite with pytest, or the tests whose
# names match T (pytest -k: T=nettests, T=poll, T="wire and not flood").
test: checkdeps
	$(PYTHON) -m pytest test $(if $(T),-k '$(T)')

# make bench [QUICK=1] [SAVE=1] [BASELINE=rev]: the UDP benchmarks of every
# mode, paired rounds in one boot (bench/README.md) -> bench/out/run-DATE/.
bench: checkdeps
	$(PYTHON) bench/run.py $(if $(QUICK),--quick) $(if $(SAVE),--save) $(if $(BASELINE),--baseline $(BASELINE))

# The host unit test of kernel/netparse.c (make test runs it), with sanitizers.
test/net_unit: test/net_unit.c test/unit.h $K/netparse.c $K/netparse.h $K/net.h $K/types.h
	gcc -Wall -Werror -g -I. -fsanitize=address,undefined -fno-sanitize-recover=all \
	  -o $@ test/net_unit.c $K/netparse.c

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

$(FUZZ)/fuzz_netparse: $(FUZZ)/fuzz_netparse.c $K/netparse.c $K/netparse.h $K/net.h $K/types.h
	clang $(FUZZFLAGS) -o $@ $(FUZZ)/fuzz_netparse.c $K/netparse.c

$(FUZZ)/fuzz_dhcpmsg: $(FUZZ)/fuzz_dhcpmsg.c $U/dhcpmsg.c $U/dhcpmsg.h $K/types.h
	clang $(FUZZFLAGS) -o $@ $(FUZZ)/fuzz_dhcpmsg.c $U/dhcpmsg.c

$(FUZZ)/fuzz_tcp: $(FUZZ)/fuzz_tcp.c $K/tcp.c $K/tcp.h $K/netparse.c $K/netparse.h $K/net.h $K/types.h
	clang $(FUZZFLAGS) -o $@ $(FUZZ)/fuzz_tcp.c $K/tcp.c $K/netparse.c

fuzz: checkdeps $(FUZZ)/fuzz_netparse $(FUZZ)/fuzz_dhcpmsg $(FUZZ)/fuzz_tcp
	mkdir -p $(FUZZ)/new $(FUZZ)/new-dhcpmsg $(FUZZ)/new-tcp
	$(FUZZ)/fuzz_netparse -max_total_time=$(FUZZTIME) -artifact_prefix=$(FUZZ)/ \
	  $(FUZZ)/new $(FUZZ)/corpus
	$(FUZZ)/fuzz_dhcpmsg -max_total_time=$(FUZZTIME) -artifact_prefix=$(FUZZ)/ \
	  $(FUZZ)/new-dhcpmsg $(FUZZ)/corpus-dhcpmsg
	$(FUZZ)/fuzz_tcp -max_total_time=$(FUZZTIME) -artifact_prefix=$(FUZZ)/ \
	  $(FUZZ)/new-tcp $(FUZZ)/corpus-tcp
	NETFUZZ_TIME=$(NETFUZZTIME) NETFUZZ_SEED=$(NETFUZZSEED) $(PYTHON) -m pytest test -k netfuzz

clean:
	rm -f */*.o */*.d */*.asm */*.sym $K/kernel $K/netboot.h $K/kmap.h $U/serverport.h fs.img mkfs/mkfs mkfs/README \
	  .gdbinit $U/usys.S $(UPROGS) $U/_* packets.pcap $(FUZZ)/fuzz_netparse $(FUZZ)/fuzz_dhcpmsg $(FUZZ)/replay test/net_unit \
	  test/dhcp_unit test/tcp_unit $(FUZZ)/fuzz_tcp \
	  fs-guest*.img packets-guest*.pcap

help:
	@echo "xv6-netpoll targets:"
	@echo "  make [NETMODE=intr|poll|hybrid]   build kernel/kernel and fs.img (NETMODE: the boot mode;"
	@echo "                                    switch at run time with netmode inside xv6)"
	@echo "  make KMAP=split|shared            the kernel's mapping: its own page table, switched on"
	@echo "                                    every trap (split), or in every process's (shared)"
	@echo "  make qemu                         boot xv6 in QEMU (Ctrl-a x quits)"
	@echo "                                    then httpd & in xv6: http://localhost:$(HTTPFWDPORT)/ on the host"
	@echo "  make qemu-gdb                     boot and wait for gdb-multiarch on port $(GDBPORT)"
	@echo "  make server                       host UDP echo server for nettests (port $(SERVERPORT))"
	@echo "  make server LAB=2020              MIT's 2020-23 lab server instead: replies \"$(LAB_REPLY)\""
	@echo "  make test [T=name]                run the test suite with pytest (or tests matching -k T)"
	@echo "  make qemu NET=wire + make wire    guest on a raw wire to test/wire.py instead of slirp"
	@echo "                                   (the wire answers DHCP, and DNS from test/hosts; LAB=2020 as above)"
	@echo "  make lan [LEASE=3600]             the LAN: a switch on port $(LANPORT) and the host 10.0.2.2"
	@echo "                                   (DHCP from 10.0.2.15, ping, DNS, echo on $(SERVERPORT))"
	@echo "  make qemu NET=lan [GUEST=n]       boot guest n (1..8) on the LAN: MAC 52:54:00:12:34:0n,"
	@echo "                                   disk fs-guestn.img (a copy of fs.img), port LANPORT+n"
	@echo "  make fuzz [FUZZTIME=60]           libFuzzer on kernel/netparse.c, user/dhcpmsg.c, kernel/tcp.c,"
	@echo "                                    FUZZTIME seconds each; then [NETFUZZTIME=1800]"
	@echo "                                    netfuzz (system calls) in each NETMODE [NETFUZZSEED=n]"
	@echo "  make bench [QUICK=1] [SAVE=1]     UDP benchmarks of the modes, paired rounds -> bench/out/"
	@echo "  python3 bench/stages.py           where the time goes: per-stage means per mode and KMAP,"
	@echo "                                    a stacked plot -> bench/out/stages-DATE/ (netstages in xv6)"
	@echo "  make deps                         install the Debian packages: $(DEBPKGS)"
	@echo "  make clean                        remove build products"
	@echo "variables: NETMODE=$(NETMODE) KMAP=$(KMAP) CPUS=$(CPUS) E1000_MITIGATION=$(E1000_MITIGATION) PCAP=$(PCAP)"
	@echo "           SERVERPORT=$(SERVERPORT) FWDPORT=$(FWDPORT) (to guest port 2000) FWDPORT2=$(FWDPORT2) (to 2001)"
	@echo "           HTTPFWDPORT=$(HTTPFWDPORT) (host TCP port to the guest's port 80: httpd)"
	@echo "           GDBPORT=$(GDBPORT) PYTHON=$(PYTHON)"
	@echo "           NET=$(NET) WIREPORT=$(WIREPORT) WIRE_QEMUPORT=$(WIRE_QEMUPORT)"
	@echo "           LANPORT=$(LANPORT) GUEST=$(GUEST) LEASE=$(LEASE)"

FORCE:
.PHONY: all deps checkdeps qemu qemu-cmd qemu-gdb server wire lan fuzz test bench clean help FORCE
