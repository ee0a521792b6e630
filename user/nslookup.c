// nslookup: print the IPv4 address of a name, asked of a DNS server.
//
//   nslookup [-p LPORT] [-i ID] NAME [SERVER]
//
// SERVER is a dotted address, default 10.0.2.3 (slirp's DNS); -p sends
// from local UDP port LPORT, -i sets the query's id (for tests).
//
// Prints "NAME: A.B.C.D" and exits 0, or "nslookup: NAME: why" and exits
// 1. On NET=wire, test/wire.py answers for every server (test/hosts).

#include "kernel/types.h"
#include "user/user.h"

// Parse the dotted quad s into *addr (host byte order). Returns 0 or -1.
static int
parseaddr(char *s, uint32 *addr)
{
  uint32 a = 0;
  int parts = 0, v;

  while(parts < 4){
    if(*s < '0' || *s > '9')
      return -1;
    for(v = 0; *s >= '0' && *s <= '9'; s++)
      if((v = v * 10 + *s - '0') > 255)
        return -1;
    a = (a << 8) | v;
    parts++;
    if(*s == 0)
      break;
    if(*s++ != '.')
      return -1;
  }
  if(parts != 4 || *s != 0)
    return -1;
  *addr = a;
  return 0;
}

static void
usage(void)
{
  fprintf(2, "usage: nslookup [-p LPORT] [-i ID] NAME [SERVER]\n");
  exit(2);
}

int
main(int argc, char *argv[])
{
  uint32 server = RESOLV_SERVER, addr;
  int lport = 0, id = -1, r, i = 1;

  for(; i + 1 < argc && argv[i][0] == '-'; i += 2){
    if(strcmp(argv[i], "-p") == 0 && (lport = atoi(argv[i+1])) > 0 && lport <= 0xffff)
      continue;
    if(strcmp(argv[i], "-i") == 0 && (id = atoi(argv[i+1])) >= 0 && id <= 0xffff)
      continue;
    usage();
  }
  if(argc - i < 1 || argc - i > 2 || (argc - i == 2 && parseaddr(argv[i+1], &server) < 0))
    usage();
  if((r = resolvex(argv[i], server, lport, id, &addr)) < 0){
    printf("nslookup: %s: %s\n", argv[i], resolve_strerror(r));
    exit(1);
  }
  printf("%s: %d.%d.%d.%d\n", argv[i], addr >> 24, (addr >> 16) & 0xff,
         (addr >> 8) & 0xff, addr & 0xff);
  exit(0);
}
