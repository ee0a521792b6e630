// The socket layer's waiting (kernel/sockint.h): a reader first takes
// what waits on the RX ring itself, with SO_BUSY_POLL keeps polling the
// ring before it sleeps, and with SO_RCVTIMEO sleeps at most that long;
// the timer (sock_tick) wakes readers whose deadline has come.

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/proc.h"
#include "kernel/defs.h"
#include "kernel/netdefs.h"
#include "kernel/netparse.h"
#include "kernel/socket.h"
#include "kernel/socktab.h"
#include "kernel/sockint.h"

#define READER_BUDGET     64    // frames a reader drains from the ring at once

// Sleep on so until a datagram, a close or the tick deadline. sock_tick()
// wakes every reader of so once wake_at has come, and disarms so; each
// reader that sleeps again arms it anew with its own deadline, the
// earliest winning. So wake_at is never after a sleeping reader's
// deadline, and a reader wakes early only once for each other reader's
// deadline (or departure), never every tick. Caller holds so->lock.
static void
timed_sleep(struct sock *so, uint deadline)
{
  if(!so->armed || (int)(deadline - so->wake_at) < 0)
    so->wake_at = deadline;
  __atomic_store_n(&so->armed, 1, __ATOMIC_RELAXED);
  __atomic_fetch_add(&socks.ntimed, 1, __ATOMIC_RELAXED);
  sleep(so, &so->lock);
  __atomic_fetch_sub(&socks.ntimed, 1, __ATOMIC_RELAXED);
}

// The tick at or after which a reader whose deadline is end_ns (time_ns)
// should look again: the ticks left, rounded up, plus one because the
// current tick is already partly over. The deadline itself is kept in
// time_ns, not ticks: ticks may lag the time CSR on a hart whose vCPU the
// host did not run for a while and then catch up at once, and a deadline
// counted from a stale tick ended reads early.
static uint
wake_tick(uint64 end_ns)
{
  uint64 now = time_ns(), left = end_ns > now ? end_ns - now : 0;
  uint64 tick_ns = (uint64)TICK_MS * 1000000;

  return __atomic_load_n(&ticks, __ATOMIC_RELAXED) + (left + tick_ns - 1) / tick_ns + 1;
}

// Busy polling: poll the RX ring until a datagram is queued on so, for at
// most so->busy_us, or until the socket closes or we are killed. Caller
// holds no locks; reads so->busy_us without the lock (an int, only a hint).
static void
busy_poll(struct sock *so)
{
  uint64 end = time_ns() + (uint64)so->busy_us * 1000;

  while(time_ns() < end){
    if(!mbufq_empty(&so->rxq) || so->closed || killed(myproc()))
      return;
    netpoll(READER_BUDGET);
  }
}

// Take frames off the RX ring for a reader whose queue is at most half
// full. A reader that is behind reads what it has first, so the stack does
// not spend the reader's time on frames that would only be dropped at a
// full queue (receive livelock, moved into the reader). The queue length
// is read without the lock: only a hint.
static void
reader_poll(struct sock *so)
{
  if(__atomic_load_n(&so->rxq.len, __ATOMIC_RELAXED) <= so->e.qmax / 2)
    netpoll(READER_BUDGET);
}

// Wait until a datagram is queued on so. Takes so->lock and returns with it
// held: 0, or -1 if the socket closed, we were killed or the receive timeout
// ran out. Before looking at the queue it takes what waits on the RX ring
// (reader_poll), and with SO_BUSY_POLL it polls the ring before it sleeps.
int
sockwait(struct sock *so)
{
  uint64 end = time_ns();   // the deadline, if the socket has a timeout

  reader_poll(so);
  if(so->busy_us && mbufq_empty(&so->rxq))
    busy_poll(so);
  acquire(&so->lock);
  if(so->rcvtimeo_ms)
    end += (uint64)so->rcvtimeo_ms * 1000000;
  else
    end = 0;
  while(mbufq_empty(&so->rxq)){
    if(so->closed || killed(myproc()) || (end && time_ns() >= end))
      return -1;
    if(end)
      timed_sleep(so, wake_tick(end));
    else
      sleep(so, &so->lock);
    so->wakeups++;
  }
  return 0;
}

// Set option opt of so to val: SO_RCVTIMEO (ms) or SO_BUSY_POLL (us).
// Returns 0, or -1 for an unknown option or a value out of range.
int
socksetopt(struct sock *so, int opt, int val)
{
  if(opt == SO_RCVTIMEO && val >= 0 && val <= SO_MAXTIMEO){
    acquire(&so->lock);
    so->rcvtimeo_ms = val;
    release(&so->lock);
    return 0;
  }
  if(opt == SO_BUSY_POLL && val >= 0 && val <= SO_MAXBUSY){
    acquire(&so->lock);
    so->busy_us = val;
    release(&so->lock);
    return 0;
  }
  return -1;
}

// Timer: wake the readers of each socket whose earliest read deadline has
// come, so they can time out, and disarm it (timed_sleep). Called every
// tick from net_tick(), in the timer interrupt. Looks at armed without
// the lock first: a socket armed meanwhile has a deadline after this tick.
void
sock_tick(void)
{
  struct sock *so;

  if(__atomic_load_n(&socks.ntimed, __ATOMIC_RELAXED) == 0)
    return;
  for(so = socktab; so < socktab + NSOCK; so++){
    if(__atomic_load_n(&so->armed, __ATOMIC_RELAXED) == 0)
      continue;
    acquire(&so->lock);
    if(so->armed && (int)(ticks - so->wake_at) >= 0){
      so->armed = 0;
      wakeup(so);
    }
    release(&so->lock);
  }
}
