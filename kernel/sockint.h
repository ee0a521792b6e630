// The socket layer's internals, shared by its four files (kernel only;
// the rest of the kernel sees kernel/netdefs.h):
//   sock.c      the socket object: the table's shell (kernel/socktab.c has
//               its rules), references, delivery of received datagrams,
//               one datagram in or out, socklist()
//   sockwait.c  waiting: the reader's own polling, busy polling, receive
//               timeouts and the timer that ends them, the options
//   sockfd.c    the file face: connect()/icmpconnect() sockets, read(),
//               write(), recvmsgs()/sendmsgs()
//   sockport.c  MIT's ports: bind(), unbind(), recv() on a port
// Include after kernel/spinlock.h, kernel/netdefs.h and kernel/socktab.h.

// The socket table, as xv6's file table: a fixed array, no page per
// socket. A linked file-owned socket needs an open file, so there are at
// most NFILE of them; at most NBIND ports are bound. An ended socket whose
// last user is still inside a system call (a reader in recv() after
// unbind(), a close() that has freed the file but not yet the socket)
// keeps its slot until then: one per process, at most NPROC. So a slot is
// always free for a socket the limits allow.
#define NSOCK     (NFILE + NBIND + NPROC)

struct sock {
  struct sockent e;        // first: the table's part (kernel/socktab.h);
                           // its table fields under socks.lock, the rest
                           // under lock
  // socks.lock guards:
  int ref;                 // owner (file or port) + readers inside; 0: slot free

  struct spinlock lock;
  // lock guards:
  struct mbufq rxq;        // received datagrams (payload only)
  int rcvtimeo_ms;         // read timeout, 0 = none
  int busy_us;             // SO_BUSY_POLL, 0 = off
  int armed;               // a timed reader sleeps: sock_tick wakes them all at wake_at
  uint wake_at;            // while armed: ticks at or before every sleeping one's deadline
  int closed;
  uint64 wakeups;          // readers woken from sleep() on it
};

// Lock order: socks.lock, then a sock's lock, then proc locks (wakeup).
// The RX drain (e1000.c) may hold its own lock when it calls in here.
struct socks {
  struct spinlock lock;
  struct socktab t;        // the linked sockets (kernel/socktab.h)
  int ntimed;              // readers asleep with a timeout, all sockets
};
extern struct socks socks;
extern struct sock socktab[NSOCK];   // the slots (sock.c)

// The socket whose table part is e (its first member), or 0.
static inline struct sock *
sockof(struct sockent *e)
{
  return (struct sock *)e;
}

// sock.c
struct sock *socknew(int proto, uint32 raddr, uint16 lport, uint16 rport, int bound);
void sockput(struct sock *so);
void sockend_locked(struct sock *so);   // releases socks.lock
struct mbuf *sockpop(struct sock *so);
int  sockcopyout(struct mbuf *m, uint64 addr, uint n);
int  sockrecv(struct sock *so, uint64 addr, int n, uint64 src, uint64 sport);

// sockwait.c
int  sockwait(struct sock *so);         // returns with so->lock held
