// arp: the kernel's ARP cache (arplist(), arpctl(), kernel/netif.h).
//
//   arp            one line per entry, e.g.
//                    10.0.2.2 52:55:0a:00:02:02 reachable 3s
//                  (state pending, reachable or stale; age in seconds
//                  since the entry was last confirmed)
//   arp -d         forget every entry
//   arp -t [S]     set the entries' lifetime to S seconds (1..ARP_TTL_MAX);
//                  without S, print it
//
// Exits 0, or 1 if a call fails.

#include "kernel/types.h"
#include "kernel/netif.h"
#include "user/user.h"

#define MAXENTRIES 64

static struct arpinfo ents[MAXENTRIES];

static void
usage(void)
{
  fprintf(2, "usage: arp [-d | -t [SECONDS]]\n");
  exit(2);
}

static char *
statename(int state)
{
  switch(state){
  case ARP_PENDING:   return "pending";
  case ARP_REACHABLE: return "reachable";
  case ARP_STALE:     return "stale";
  default:            return "?";
  }
}

static void
list(void)
{
  char ip[IPSTR_LEN], mac[MACSTR_LEN];
  int n;

  if((n = arplist(ents, MAXENTRIES)) < 0){
    fprintf(2, "arp: arplist failed\n");
    exit(1);
  }
  for(int i = 0; i < n && i < MAXENTRIES; i++){
    printf("%s %s %s %ds\n", ipfmt(ents[i].ip, ip), macfmt(ents[i].mac, mac),
           statename(ents[i].state), ents[i].age_ms / 1000);
  }
  if(n > MAXENTRIES)
    printf("arp: %d more entries not shown\n", n - MAXENTRIES);
}

int
main(int argc, char *argv[])
{
  int ttl, old;

  if(argc == 1)
    list();
  else if(argc == 2 && strcmp(argv[1], "-d") == 0){
    if(arpctl(ARPCTL_FLUSH, 0) < 0){
      fprintf(2, "arp: flush failed\n");
      exit(1);
    }
  } else if(argc == 2 && strcmp(argv[1], "-t") == 0){
    if((old = arpctl(ARPCTL_TTL, 0)) < 0){
      fprintf(2, "arp: arpctl failed\n");
      exit(1);
    }
    printf("arp: ttl %ds\n", old);
  } else if(argc == 3 && strcmp(argv[1], "-t") == 0){
    if((ttl = atoi(argv[2])) < 1 || ttl > ARP_TTL_MAX)
      usage();
    if((old = arpctl(ARPCTL_TTL, ttl)) < 0){
      fprintf(2, "arp: arpctl failed\n");
      exit(1);
    }
    printf("arp: ttl %ds (was %ds)\n", ttl, old);
  } else
    usage();
  exit(0);
}
