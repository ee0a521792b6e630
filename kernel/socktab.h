// The socket table's rules as a pure core: which socket a datagram goes
// to (lwIP's "perfect match first"), which sockets may exist (one per
// triple, at most NBIND bound ports, fresh echo identifiers), queue
// limits and per-socket drop accounting, and where a wildcard socket's
// reply goes. No locks, no sleep, no copyin, no mbufs: kernel/sock.c is
// the shell (locks, queues of mbufs, sleeping readers, the file and port
// faces) and test/socktab_unit.c tests this on the host.
//
// Locking is the caller's: a struct socktab and the table fields of each
// struct sockent (next .. qmax) under the table's lock, the per-socket
// fields (lastaddr .. drops) under that socket's lock.
//
// Needs kernel/types.h included first.

#define SOCKTAB_HASH  64     // buckets of sockets by local port (power of 2)

// Sockets stop queueing when fewer mbufs than this are free, so unread
// sockets can never starve the RX ring and transmit.
#define SOCKTAB_MBUF_RESERVE 128

// One socket's part of the table. A socket is (proto, raddr, lport,
// rport); raddr 0 or rport 0 is a wildcard. An ICMP socket's lport is its
// echo identifier.
struct sockent {
  // the table's lock guards:
  struct sockent *next;    // in its bucket, while linked
  int linked;              // datagrams and new readers find it
  // fixed while linked:
  int proto;               // IPPROTO_UDP or IPPROTO_ICMP
  uint32 raddr;            // remote address, 0 = any
  uint16 lport;            // local port; ICMP: the echo identifier
  uint16 rport;            // remote port, 0 = any
  int bound;               // made by bind(): owned by its port
  int qmax;                // queue limit
  // the socket's lock guards:
  uint32 lastaddr;         // wildcard sockets: sender of the datagram last read
  uint16 lastport;
  uint64 rx;               // datagrams queued
  uint64 drops;            // datagrams dropped: queue full or mbufs low
};

struct socktab {
  struct sockent *hash[SOCKTAB_HASH];  // linked sockets by lport % SOCKTAB_HASH
  int nbound;              // linked sockets made by bind()
  uint16 icmp_id;          // last echo identifier handed out
};

// socktab_link's refusals.
#define SOCKTAB_INUSE  (-1)  // the triple is taken
#define SOCKTAB_FULL   (-2)  // NBIND ports are bound already (bind_full)

void socktab_init(struct socktab *t);
int  socktab_link(struct socktab *t, struct sockent *e, int proto,
                  uint32 raddr, uint16 lport, uint16 rport, int bound);
void socktab_unlink(struct socktab *t, struct sockent *e);
struct sockent *socktab_find(struct socktab *t, int proto, uint32 raddr,
                             uint16 lport, uint16 rport);
struct sockent *socktab_lookup(struct socktab *t, int proto, uint32 sip,
                               uint16 sport, uint16 dport);
struct sockent *socktab_bound(struct socktab *t, uint16 port);
int  socktab_admit(struct sockent *e, int qlen, int mbufs_free);
void socktab_took(struct sockent *e, uint32 raddr, uint16 rport);
void socktab_peer(struct sockent *e, uint32 *raddr, uint16 *rport);
