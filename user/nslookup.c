// nslookup: print the IPv4 address of a name, asked of a DNS server.
//
//   nslookup [-p LPORT] [-i ID] NAME [SERVER]
//
// SERVER is a dotted address, default the interface's DNS server
// (ifconfig's dns; 10.0.2.3, slirp's, if it has none); -p sends
// from local UDP port LPORT, -i sets the query's id (for tests).
//
// Prints "NAME: A.B.C.D" and exits 0, or "nslookup: NAME: why" and exits
// 1. On NET=wire, test/wire.py answers for every server (test/hosts).

#include "kernel/types.h"
#include "user/user.h"

static void
usage(void)
{
  fprintf(2, "usage: nslookup [-p LPORT] [-i ID] NAME [SERVER]\n");
  exit(2);
}

int
main(int argc, char *argv[])
{
  uint32 server = 0, addr;   // 0: resolve_server()
  char ip[IPSTR_LEN];
  int lport = 0, id = -1, r, i = 1;

  for(; i + 1 < argc && argv[i][0] == '-'; i += 2){
    if(strcmp(argv[i], "-p") == 0 && (lport = atoi(argv[i+1])) > 0 && lport <= 0xffff)
      continue;
    if(strcmp(argv[i], "-i") == 0 && (id = atoi(argv[i+1])) >= 0 && id <= 0xffff)
      continue;
    usage();
  }
  if(argc - i < 1 || argc - i > 2 || (argc - i == 2 && ipparse(argv[i+1], &server) < 0))
    usage();
  if((r = resolvex(argv[i], server, lport, id, &addr)) < 0){
    printf("nslookup: %s: %s\n", argv[i], resolve_strerror(r));
    exit(1);
  }
  printf("%s: %s\n", argv[i], ipfmt(addr, ip));
  exit(0);
}
