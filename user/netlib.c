// netlib.c: small helpers that the network test and benchmark programs
// share (declared in user/user.h; linked into every program with ULIB).

#include "kernel/types.h"
#include "kernel/socket.h"
#include "kernel/sysinfo.h"
#include "user/user.h"

// A UDP socket from lport to addr:rport whose reads time out after ms
// milliseconds (connect(), then sockopt(SO_RCVTIMEO)). Returns the fd, or
// -1 if either call failed; no fd is left open then.
int
udpopen(uint32 addr, int lport, int rport, int ms)
{
  int fd;

  if((fd = connect(addr, lport, rport)) < 0)
    return -1;
  if(sockopt(fd, SO_RCVTIMEO, ms) < 0){
    close(fd);
    return -1;
  }
  return fd;
}

// Wait until the free pages and the mbufs in use are back to before's
// (the net thread and exiting children give theirs back a little later):
// up to tries readings 10 ticks apart, the last one left in *now.
// Returns 1 if they came back, 0 if not, -1 if sysinfo() failed.
int
sysinfo_settled(struct sysinfo *before, struct sysinfo *now, int tries)
{
  for(int i = 0; i < tries; i++){
    if(sysinfo(now) < 0)
      return -1;
    if(now->freepages == before->freepages && now->mbufs_inuse == before->mbufs_inuse)
      return 1;
    sleep(10);
  }
  return 0;
}
