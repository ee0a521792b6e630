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

// UDP socket to raddr:rport (host byte order) from local port lport.
// Returns a file descriptor: write() sends one datagram (at most 1472
// bytes), read() returns one datagram's payload. -1 on error.
int connect(uint32 raddr, uint16 lport, uint16 rport);
// Copy the kernel's network counters (kernel/netstat.h) into *ns. 0 or -1.
int netstat(struct netstat *ns);
// Copy kernel memory counters (kernel/sysinfo.h) into *si. 0 or -1.
int sysinfo(struct sysinfo *si);
// Nanoseconds since boot, from the 10 MHz time CSR (100 ns resolution).
uint64 nsecs(void);
// Socket option opt on fd set to val. SO_RCVTIMEO (kernel/netstat.h):
// val = receive timeout in milliseconds, 0 = block forever; a read that
// times out returns -1. Returns 0, or -1 on a bad fd or option.
int sockopt(int fd, int opt, int val);

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

// umalloc.c
void* malloc(uint);
void free(void*);
