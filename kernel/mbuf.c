// mbufs: fixed-size packet buffers from a pool made once at boot.
//
// mbuf_init() carves NMBUF mbufs out of kalloc'd pages and puts them on
// a free list; mbufalloc()/mbuffree() only move them on and off that list,
// so the per-packet path never calls kalloc or memset. An mbuf holds one
// frame: head/len describe the data inside buf, and the space before
// head (the headroom) lets each layer prepend its header on send.

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/defs.h"
#include "kernel/netdefs.h"

static struct {
  struct spinlock lock;
  struct mbuf *free;   // free list, linked through next
} pool;

// The pool's counters live in netstats (mbufs_inuse, mbufs_free) and
// change only with pool.lock held.

// Put m on the free list. Caller holds pool.lock.
static void
pool_put(struct mbuf *m)
{
  m->next = pool.free;
  pool.free = m;
  netstats.mbufs_free++;
}

// Fill the pool. kalloc hands out single pages, but at boot consecutive
// calls usually return adjacent pages (descending addresses); an mbuf
// (about 2 KB) may then straddle two of them, so little space is wasted.
// Whatever the order, the carving stays correct: a page that does not
// extend the current run starts a new one. Call once, before the driver.
void
mbuf_init(void)
{
  char *lo = 0, *cut = 0;   // unused part of the current run: [lo, cut)
  char *pg;
  int n = 0;

  initlock(&pool.lock, "mbuf");
  while(n < NMBUF){
    if((pg = kalloc()) == 0)
      panic("mbuf_init: out of memory");
    if(pg + PGSIZE == lo){
      lo = pg;                // run grows downward
    } else {
      lo = pg;                // new run; the old run's tail is lost
      cut = pg + PGSIZE;
    }
    while(n < NMBUF && cut - lo >= sizeof(struct mbuf)){
      cut -= sizeof(struct mbuf);
      pool_put((struct mbuf *)cut);
      n++;
    }
  }
}

// Take an mbuf from the pool with headroom bytes free in front of its
// (empty) data. Returns 0 if the pool is empty: the caller counts a drop.
// Any context; takes pool.lock.
struct mbuf *
mbufalloc(uint headroom)
{
  struct mbuf *m;

  if(headroom > MBUF_SIZE)
    panic("mbufalloc: headroom");
  acquire(&pool.lock);
  m = pool.free;
  if(m){
    pool.free = m->next;
    netstats.mbufs_free--;
    netstats.mbufs_inuse++;
  }
  release(&pool.lock);
  if(m == 0)
    return 0;
  m->next = 0;
  m->head = m->buf + headroom;
  m->len = 0;
  m->st.dir = 0;           // no stamps (netstage.c) until a stage begins them
  return m;
}

// Give m back to the pool. m must not be on any queue. mbuffree(0) is a
// no-op.
void
mbuffree(struct mbuf *m)
{
  if(m == 0)
    return;
  acquire(&pool.lock);
  netstats.mbufs_inuse--;
  pool_put(m);
  release(&pool.lock);
}

// Strip len bytes from the front of the data. Returns a pointer to the
// stripped bytes, or 0 (and changes nothing) if there are fewer than len.
char *
mbufpull(struct mbuf *m, uint len)
{
  char *old = m->head;

  if(len > m->len)
    return 0;
  m->head += len;
  m->len -= len;
  return old;
}

// Grow the data by len bytes at the front and return the new head.
// Running out of headroom is a kernel bug.
char *
mbufpush(struct mbuf *m, uint len)
{
  if(len > m->head - m->buf)
    panic("mbufpush: no headroom");
  m->head -= len;
  m->len += len;
  return m->head;
}

// Grow the data by len bytes at the end and return a pointer to them.
// Running past the buffer is a kernel bug.
char *
mbufput(struct mbuf *m, uint len)
{
  char *tail = m->head + m->len;

  if(len > m->buf + MBUF_SIZE - tail)
    panic("mbufput: no room");
  m->len += len;
  return tail;
}

// mbuf queues: FIFOs linked through next. No locking of their own; the
// owner of the queue provides it.

void
mbufq_init(struct mbufq *q)
{
  q->head = 0;
  q->tail = 0;
  q->len = 0;
}

// Append m to the tail of q.
void
mbufq_push(struct mbufq *q, struct mbuf *m)
{
  m->next = 0;
  if(q->head == 0)
    q->head = m;
  else
    q->tail->next = m;
  q->tail = m;
  q->len++;
}

// Remove and return the mbuf at the head of q, or 0 if q is empty.
struct mbuf *
mbufq_pop(struct mbufq *q)
{
  struct mbuf *m = q->head;

  if(m == 0)
    return 0;
  q->head = m->next;
  if(q->head == 0)
    q->tail = 0;
  q->len--;
  m->next = 0;
  return m;
}

int
mbufq_empty(struct mbufq *q)
{
  return q->head == 0;
}

// Move every mbuf of from, in order, to the tail of to; from is left
// empty.
void
mbufq_concat(struct mbufq *to, struct mbufq *from)
{
  if(from->head == 0)
    return;
  if(to->head == 0)
    to->head = from->head;
  else
    to->tail->next = from->head;
  to->tail = from->tail;
  to->len += from->len;
  mbufq_init(from);
}
