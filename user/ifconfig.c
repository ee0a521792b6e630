// ifconfig: the network interface's layout (ifget(), kernel/netif.h).
//
//   ifconfig                       print it:
//     eth0: mac 52:54:00:12:34:56
//       addr 10.0.2.15 netmask 255.255.255.0 gateway 10.0.2.2 dns 10.0.2.3
//       source dhcp from 10.0.2.2 lease 86400s (86390s left)
//   (or "source static" / "source unset")
//   ifconfig ADDR [NETMASK [GATEWAY [DNS]]]
//                                  set a static layout by hand (ifset(),
//                                  IF_STATIC); what is not given stays as
//                                  it is; then print it
//
// Addresses are dotted quads. Exits 0, or 1 if the kernel refuses.

#include "kernel/types.h"
#include "kernel/netif.h"
#include "user/user.h"

static void
usage(void)
{
  fprintf(2, "usage: ifconfig [ADDR [NETMASK [GATEWAY [DNS]]]]\n");
  exit(2);
}

// Seconds of ifi's lease used up. The kernel stamps since from its clock
// ticks; nsecs() reads the time CSR the ticks are timed by. Each tick is
// set up when the last one is handled, so ticks fall a little behind the
// CSR over time and this can overstate the age by that much.
static uint32
used_s(struct ifinfo *ifi)
{
  uint32 now = nsecs() / 1000000000ULL;

  return now > ifi->since ? now - ifi->since : 0;
}

static void
show(struct ifinfo *ifi)
{
  char a[IPSTR_LEN], m[IPSTR_LEN], g[IPSTR_LEN], d[IPSTR_LEN], mac[MACSTR_LEN];
  uint32 used;

  printf("eth0: mac %s\n", macfmt(ifi->mac, mac));
  printf("  addr %s netmask %s gateway %s dns %s\n", ipfmt(ifi->addr, a),
         ipfmt(ifi->netmask, m), ipfmt(ifi->gateway, g), ipfmt(ifi->dns, d));
  switch(ifi->source){
  case IF_DHCP:
    printf("  source dhcp from %s", ipfmt(ifi->server, a));
    if(ifi->lease > 0){
      used = used_s(ifi);
      printf(" lease %ds (%ds left)", ifi->lease, used < ifi->lease ? ifi->lease - used : 0);
    }
    printf("\n");
    break;
  case IF_STATIC:
    printf("  source static\n");
    break;
  case IF_UNSET:
    printf("  source unset\n");
    break;
  default:
    printf("  source %d\n", ifi->source);
  }
}

// Set a static layout from the dotted quads in argv[0..argc); fields not
// given keep ifi's values.
static void
set(struct ifinfo *ifi, int argc, char *argv[])
{
  uint32 *field[] = { &ifi->addr, &ifi->netmask, &ifi->gateway, &ifi->dns };

  if(argc > 4)
    usage();
  for(int i = 0; i < argc; i++)
    if(ipparse(argv[i], field[i]) < 0)
      usage();
  ifi->source = IF_STATIC;
  ifi->server = 0;
  ifi->lease = 0;
  if(ifset(ifi) < 0){
    fprintf(2, "ifconfig: the kernel refused that layout (bad netmask?)\n");
    exit(1);
  }
}

int
main(int argc, char *argv[])
{
  struct ifinfo ifi;

  if(ifget(&ifi) < 0){
    fprintf(2, "ifconfig: ifget failed\n");
    exit(1);
  }
  if(argc > 1){
    set(&ifi, argc - 1, argv + 1);
    if(ifget(&ifi) < 0){
      fprintf(2, "ifconfig: ifget failed\n");
      exit(1);
    }
  }
  show(&ifi);
  exit(0);
}
