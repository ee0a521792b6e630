// umalloc.c: malloc and free for user programs.
//
// A first-fit allocator in the style of K&R chapter 8.7. Memory comes from
// sbrk and is never given back. Each block starts with a header holding its
// size in header-sized units (16 bytes, which also gives 16-byte alignment).
// Free blocks sit on a singly linked list sorted by address, so free() can
// merge a block with the free neighbours on both sides.

#include "kernel/types.h"
#include "user/user.h"

// Block header; the caller's bytes follow it.
struct hdr {
  struct hdr *next;  // next free block (meaningful only while free)
  uint64 units;      // size of the whole block, header included, in units
};

#define UNIT      sizeof(struct hdr)
#define MINGROW   4096                // ask sbrk for at least this many units
#define MAXUNITS  (0x7ffff000 / UNIT) // larger requests would overflow sbrk's int

static struct hdr *freelist;  // lowest-addressed free block, or 0

// Put block b on the free list, merging it with adjacent free blocks.
static void
insert(struct hdr *b)
{
  struct hdr *prev = 0, *cur = freelist;

  while(cur != 0 && cur < b){
    prev = cur;
    cur = cur->next;
  }
  // merge with the following block if it starts where b ends
  if(cur != 0 && b + b->units == cur){
    b->units += cur->units;
    b->next = cur->next;
  } else {
    b->next = cur;
  }
  // merge with the preceding block if b starts where it ends
  if(prev != 0 && prev + prev->units == b){
    prev->units += b->units;
    prev->next = b->next;
  } else if(prev != 0){
    prev->next = b;
  } else {
    freelist = b;
  }
}

// Grow the heap by at least units units and free the new block.
// Returns 0, or -1 if sbrk fails.
static int
grow(uint64 units)
{
  char *p;
  struct hdr *b;

  if(units < MINGROW)
    units = MINGROW;
  p = sbrk(units * UNIT);
  if(p == (char*)-1)
    return -1;
  b = (struct hdr*)p;
  b->units = units;
  insert(b);
  return 0;
}

// Take a block of exactly units units from the first free block that
// is big enough. Returns the block, or 0 if none is.
static struct hdr*
take(uint64 units)
{
  struct hdr *prev = 0, *b;

  for(b = freelist; b != 0; prev = b, b = b->next){
    if(b->units < units)
      continue;
    if(b->units == units){
      if(prev)
        prev->next = b->next;
      else
        freelist = b->next;
      return b;
    }
    // hand out the tail, so the free block stays where it is in the list
    b->units -= units;
    b += b->units;
    b->units = units;
    return b;
  }
  return 0;
}

// Allocate n bytes, 16-byte aligned and not zeroed.
// Returns the memory, or 0 if the heap cannot grow enough.
void*
malloc(uint n)
{
  uint64 units;
  struct hdr *b;

  units = (n + UNIT - 1) / UNIT + 1;
  if(units > MAXUNITS)
    return 0;
  b = take(units);
  if(b == 0){
    if(grow(units) < 0)
      return 0;
    b = take(units);
  }
  return b ? (void*)(b + 1) : 0;
}

// Return memory from malloc to the free list. free(0) does nothing.
void
free(void *p)
{
  if(p == 0)
    return;
  insert((struct hdr*)p - 1);
}
