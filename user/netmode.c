// netmode: show or switch the network driver's mode at run time.
//   netmode                  print the current mode
//   netmode intr|poll|hybrid switch to it (no reboot; nothing on the ring is lost)

#include "kernel/types.h"
#include "kernel/netmode.h"
#include "user/user.h"

int
main(int argc, char *argv[])
{
  int m, old;

  if(argc == 1){
    printf("%s\n", netmode_name(netmode(-1)));
    exit(0);
  }
  for(m = 0; m < NETMODE_COUNT; m++)
    if(strcmp(argv[1], netmode_name(m)) == 0)
      break;
  if(argc != 2 || m == NETMODE_COUNT){
    fprintf(2, "usage: netmode [intr|poll|hybrid]\n");
    exit(1);
  }
  if((old = netmode(m)) < 0){
    fprintf(2, "netmode: switch to %s failed\n", argv[1]);
    exit(1);
  }
  printf("netmode: %s -> %s\n", netmode_name(old), netmode_name(m));
  exit(0);
}
