// netstages: where received and sent datagrams spend their time, per
// driver mode and stage (kernel/netstage.h; NOTES.md "Where the time goes").
//
//   netstages          print every mode that counted a datagram
//   netstages -r       print, then reset the histograms
//   netstages -z       reset only
//   netstages -c       measure what the recording costs first (cost_*_inst)
//   netstages on|off   start or stop stamping datagrams (on from boot; off
//                      saves its instructions, NOTES.md "Where the time goes")
//
// One line for the whole table, then one per mode and stage, for scripts
// (bench/stages.py, test/test_stages.py), e.g.
//   STAGES kmap=split on=1 tick_ns=100 cost_rx_inst=0 cost_tx_inst=0
//   STAGE mode=poll kmap=split stage=rx_stack n=1010 mean_ns=4100 p50_ns=3900 p99_ns=9800 inst=2100 neg=0
// n: datagrams; mean_ns: the stage's mean time; p50_ns, p99_ns: from the
// log2 buckets, interpolated linearly inside the bucket (so within a
// factor of 2); inst: mean instret (instructions under -icount); neg:
// stamps out of order (always 0 unless the kernel has a bug). A mode that
// counted nothing has no lines. The clock ticks every tick_ns.

#include "kernel/types.h"
#include "kernel/netstat.h"
#include "kernel/netmode.h"
#include "kernel/netstage.h"
#include "user/user.h"

static struct netstages st;
static struct netstat ns;

// The pct-th percentile of h's buckets, in ns: the bucket where it falls,
// linearly interpolated.
static uint64
pctl(struct netstage_hist *h, int pct)
{
  uint64 rank = (h->count * pct + 99) / 100, cum = 0, lo, hi;

  if(h->count == 0)
    return 0;
  if(rank == 0)
    rank = 1;
  for(int b = 0; b < NETSTAGE_BUCKETS; b++){
    if(cum + h->bucket[b] >= rank){
      lo = b ? 1UL << b : 0;
      hi = 1UL << (b + 1);
      return lo + (hi - lo) * (rank - cum) / h->bucket[b];
    }
    cum += h->bucket[b];
  }
  return 1UL << NETSTAGE_BUCKETS;
}

static void
printstage(int mode, int s)
{
  struct netstage_hist *h = &st.h[mode][s];
  uint64 n = h->count;

  printf("STAGE mode=%s kmap=%s stage=%s n=%lu mean_ns=%lu p50_ns=%lu p99_ns=%lu "
         "inst=%lu neg=%lu\n", netmode_name(mode), ns.kmap ? "shared" : "split",
         netstage_name(s), n, n ? h->sum_ns / n : 0, pctl(h, 50), pctl(h, 99),
         n ? h->sum_inst / n : 0, h->neg);
}

static void
usage(void)
{
  fprintf(2, "usage: netstages [-r | -z] [-c] [on | off]\n");
  exit(1);
}

int
main(int argc, char *argv[])
{
  int flags = 0, show = 1;

  for(int a = 1; a < argc; a++){
    if(strcmp(argv[a], "-r") == 0)
      flags |= NETSTAGE_RESET;
    else if(strcmp(argv[a], "-z") == 0){
      flags |= NETSTAGE_RESET;
      show = 0;
    } else if(strcmp(argv[a], "-c") == 0)
      flags |= NETSTAGE_COST;
    else if(strcmp(argv[a], "on") == 0)
      flags |= NETSTAGE_ON;
    else if(strcmp(argv[a], "off") == 0)
      flags |= NETSTAGE_OFF;
    else
      usage();
  }
  if(netstages(show ? &st : 0, flags) < 0 || netstat(&ns) < 0){
    fprintf(2, "netstages: netstages() failed\n");
    exit(1);
  }
  if(!show)
    exit(0);
  printf("STAGES kmap=%s on=%lu tick_ns=%lu cost_rx_inst=%lu cost_tx_inst=%lu\n",
         ns.kmap ? "shared" : "split", st.on, st.tick_ns, st.cost_rx_inst,
         st.cost_tx_inst);
  for(int m = 0; m < NETMODE_COUNT; m++){
    int any = 0;
    for(int s = 0; s < NETSTAGE_N; s++)
      any |= st.h[m][s].count != 0;
    for(int s = 0; any && s < NETSTAGE_N; s++)
      printstage(m, s);
  }
  exit(0);
}
