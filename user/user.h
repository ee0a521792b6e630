// User-space interface: system calls and the small C library in ulib.c,
// printf.c and umalloc.c. Declarations match MIT xv6-riscv, so its programs
// build unchanged; the calls after "xv6-netpoll additions" are ours.

struct stat;

// system calls
int fork(void);
int exit(int) __attribute__((noreturn));
int wait(int*);
int pipe(int*);
int write(int, const void*, int);
int read(int, void*, int);
int close(int);
int kill(int);
int exec(const char*, char**);
int open(const char*, int);
int mknod(const char*, short, short);
int unlink(const char*);
int fstat(int fd, struct stat*);
int link(const char*, const char*);
int mkdir(const char*);
int chdir(const char*);
int dup(int);
int getpid(void);
char* sbrk(int);
int sleep(int);
int uptime(void);

// Names of newer xv6-riscv (2025): pause is sleep, sbrklazy grows memory
// that is allocated page by page on first touch.
#define SBRK_ERROR ((char *)-1)
int pause(int);
char* sbrklazy(int);

// xv6-netpoll additions
struct netstat;
struct sysinfo;
struct udpmsg;
struct sockinfo;

// UDP socket to raddr:rport (host byte order) from local port lport.
// Returns a file descriptor: write() sends one datagram (at most 1472
// bytes), read() returns one datagram's payload. -1 on error.
int connect(uint32 raddr, uint16 lport, uint16 rport);
// Copy the kernel's network counters (kernel/netstat.h) into *ns. 0 or -1.
int netstat(struct netstat *ns);
// Copy kernel memory counters (kernel/sysinfo.h) into *si. 0 or -1.
int sysinfo(struct sysinfo *si);
struct cpustat;
// Copy the traps taken and the counter CSR's idle, spin and current
// values, every hart's summed (kernel/cpustat.h), into *cs. 0 or -1.
int cpustat(struct cpustat *cs);
// Nanoseconds since boot, from the 10 MHz time CSR (100 ns resolution).
uint64 nsecs(void);
// Socket option opt on fd set to val (kernel/socket.h). SO_RCVTIMEO:
// val = receive timeout in milliseconds, 0 = block forever; a read that
// times out returns -1. SO_BUSY_POLL: a blocking read polls the network
// card itself for up to val microseconds before it sleeps. Returns 0, or
// -1 on a bad fd, option or value.
int sockopt(int fd, int opt, int val);
// Batched datagrams on a connect() socket (struct udpmsg, kernel/socket.h),
// 1 <= n <= UDP_BATCH_MAX. sendmsgs sends msgs[0..n) as n write()s would
// and returns how many went out (-1 if none). recvmsgs waits as read()
// does for the first datagram, then takes up to n of those queued, filling
// each msgs[i].len (bytes stored), .addr and .port; returns how many (or -1).
int sendmsgs(int fd, struct udpmsg *msgs, int n);
int recvmsgs(int fd, struct udpmsg *msgs, int n);
// Describe up to n sockets in si[] (kernel/socket.h); returns how many
// sockets exist, or -1.
int socklist(struct sockinfo *si, int n);
// Switch the network driver to mode (kernel/netmode.h: NETMODE_INTR,
// NETMODE_POLL, NETMODE_HYBRID) without a reboot; returns the previous
// mode. netmode(-1) returns the current mode. -1 for an unknown mode.
int netmode(int mode);

// The device path alone, for udpbench ceiling (kernel/socket.h): dir
// CEIL_TX sends n frames of size payload bytes to dst:dport straight into
// the TX ring; CEIL_RX counts and frees up to n received frames at the
// driver. Fills *res; 0 or -1.
struct ceiling;
int netceiling(int dir, int n, int size, uint32 dst, uint16 dport, struct ceiling *res);

// The interface and its neighbours (kernel/netif.h). ifget fills *ifi;
// ifset sets source, addr, netmask, gateway, dns, server and lease from
// *ifi (a new non-zero address is announced with a gratuitous ARP).
// 0, or -1 on a bad pointer, source or netmask.
struct ifinfo;
struct arpinfo;
int ifget(struct ifinfo *ifi);
int ifset(struct ifinfo *ifi);
// Describe up to n neighbour cache entries in ai[]; returns how many
// entries exist, or -1. arpctl(ARPCTL_FLUSH, 0) empties the cache;
// arpctl(ARPCTL_TTL, s) sets the entries' lifetime in seconds and returns
// the old one (s = 0 only reads it). -1 on a bad op or value.
int arplist(struct arpinfo *ai, int n);
int arpctl(int op, int arg);
// ICMP echo socket to raddr, as Linux's ping sockets: write() sends an
// ICMP echo header + data (8..1472 bytes) as an echo request, the kernel
// filling in type, code, identifier and checksum; read() returns the next
// echo reply from raddr with this socket's identifier, header included.
// sockopt(SO_RCVTIMEO) and close() work as on UDP sockets. -1 on error.
int icmpconnect(uint32 raddr);
// Per-mode histograms of where datagrams' time goes (kernel/netstage.h).
// flags NETSTAGE_COST first measures the recording's cost; then *ns (if
// not 0) gets the histograms; NETSTAGE_RESET zeroes them after. 0 or -1.
struct netstages;
int netstages(struct netstages *ns, int flags);

// TCP (kernel/tcpsock.c; addresses and ports in host byte order). A
// connection is a file descriptor: read() returns what has arrived (at
// least 1 byte; 0 at the end of the stream; -1 after a reset or a
// give-up, or when SO_RCVTIMEO runs out), write() blocks while the send
// buffer is full and returns n or -1, close() sends FIN (RST if unread
// data is left). sockopt(fd, SO_RCVTIMEO, TCP_NODELAY or TCP_MAXRTX, val)
// works on it; sockopt(fd, SO_ERROR, 0) returns why it failed (SOERR_*).
// tcpconnect(addr, port): connect from an ephemeral port; blocks until
// established. An fd, or -1 (refused, timed out, no address).
int tcpconnect(uint32 addr, uint16 port);
// tcplisten(port, backlog): an fd for tcpaccept(); at most backlog
// connections wait for it (more SYNs are dropped, netstat drop_tcp_synq).
// close() it to stop listening. -1 if the port is taken.
int tcplisten(uint16 port, int backlog);
// tcpaccept(lfd, &addr, &port): wait for the next connection on lfd; a
// new fd, and the peer's address and port (either pointer may be 0).
int tcpaccept(int lfd, uint32 *addr, uint16 *port);
// tcpshutdown(fd): no more writes; the peer reads EOF after the data. 0 or -1.
int tcpshutdown(int fd);
// tcplist(ti, n): describe up to n TCP listeners and connections (struct
// tcpinfo, kernel/socket.h). Returns how many there are, or -1.
struct tcpinfo;
int tcplist(struct tcpinfo *ti, int n);
// tcpctl(op, val): read (val 0) or set a parameter of new TCP connections
// (TCPCTL_*, kernel/socket.h: MSL, retry limits, RTO). The old value, or -1.
int tcpctl(int op, int val);

// MIT's 2024-25 net lab interface (ports, no descriptors). Addresses and
// ports in host byte order.
// bind(port): queue UDP datagrams sent to local port (at most 16; more are
// dropped and counted). unbind(port) undoes it. 0 or -1.
int bind(uint16 port);
int unbind(uint16 port);
// send(sport, dst, dport, buf, len): one datagram from local port sport
// to dst:dport. 0 or -1.
int send(uint16 sport, uint32 dst, uint16 dport, char *buf, uint32 len);
// recv(dport, &src, &sport, buf, maxlen): wait for the oldest datagram on
// bound port dport; store its sender, copy at most maxlen bytes to buf and
// return their count. -1 if dport is not bound (or is unbound meanwhile).
int recv(uint16 dport, uint32 *src, uint16 *sport, char *buf, uint32 maxlen);

// resolv.c: a DNS stub resolver. resolve(name, server, &addr) asks the
// DNS server at address server (host byte order; 0 = resolve_server(),
// the interface's DNS server from ifget(), else RESOLV_SERVER) for
// name's IPv4 address over UDP, trying 3 times, 1 s each. Returns 0 with
// *addr set (host byte order), or one of RESOLV_E*; resolve_strerror(err)
// says which in words. It returns within RESOLV_DEADLINE_MS (plus a clock
// tick), all tries together, whatever the server sends: replies to other
// queries are skipped without extending the wait.
#define RESOLV_DEADLINE_MS 3000
#define RESOLV_SERVER    0x0A000203   // 10.0.2.3, QEMU's slirp DNS (the fallback)
#define RESOLV_EBADNAME  -1   // name is empty, has a bad label, or too long
#define RESOLV_ESOCKET   -2   // no socket, or the query could not be sent
#define RESOLV_ETIMEOUT  -3   // no reply at all
#define RESOLV_EBADREPLY -4   // a reply to our query that does not parse
#define RESOLV_ETRUNC    -5   // the reply has TC set
#define RESOLV_ENXDOMAIN -6   // rcode 3: the name does not exist
#define RESOLV_ESERVER   -7   // another non-zero rcode
#define RESOLV_ENOADDR   -8   // the name exists but has no A record
int resolve(const char *name, uint32 server, uint32 *addr);
uint32 resolve_server(void);
// resolve() from local UDP port lport (0: any free one) with query id
// (-1: a fresh one); RESOLV_ESOCKET if lport is in use.
int resolvex(const char *name, uint32 server, uint16 lport, int id, uint32 *addr);
char *resolve_strerror(int err);
// Dotted quads, host byte order: ipparse("10.0.2.2", &a) returns 0, or -1
// if the string is not exactly one; ipfmt(a, buf) writes a into buf (at
// least IPSTR_LEN bytes) and returns buf. resolve_host(s, &a) takes a
// dotted quad or a name (resolve() with the default server): 0 or RESOLV_E*.
// macfmt(mac, buf) writes the 6 bytes at mac as "52:54:00:12:34:56" into
// buf (at least MACSTR_LEN bytes) and returns buf.
#define IPSTR_LEN 16
#define MACSTR_LEN 18
int ipparse(const char *s, uint32 *addr);
char *ipfmt(uint32 addr, char *buf);
char *macfmt(uint8 *mac, char *buf);
int resolve_host(const char *s, uint32 *addr);

// ulib.c
int stat(const char*, struct stat*);
char* strcpy(char*, const char*);
void *memmove(void*, const void*, int);
char* strchr(const char*, char c);
int strcmp(const char*, const char*);
void fprintf(int, const char*, ...) __attribute__ ((format (printf, 2, 3)));
void printf(const char*, ...) __attribute__ ((format (printf, 1, 2)));
char* gets(char*, int max);
uint strlen(const char*);
void* memset(void*, int, uint);
int atoi(const char*);
int memcmp(const void *, const void *, uint);
void *memcpy(void *, const void *, uint);
uint64 timens(void);   // nsecs(), from the time CSR without a system call

// netlib.c
int udpopen(uint32 addr, int lport, int rport, int ms);
int sysinfo_settled(struct sysinfo *before, struct sysinfo *now, int tries);
// Byte i of the generated stream httpd's /gen/N serves and tcpcat's
// `send N` writes (the tests rebuild it to compare).
#define GEN_BYTE(i) ('a' + (i) % 26)

// umalloc.c
void* malloc(uint);
void free(void*);
