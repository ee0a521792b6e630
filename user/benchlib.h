// benchlib: what udpbench and tcpbench share (user/benchlib.c): the
// RESULT line they print for bench/run.py, the counters read before and
// after a measured stretch, and percentiles. Linked into those two only.
//
// A RESULT line is "RESULT test=NAME mode=M kmap=K key=value ...": built
// up in a struct line and written with one write(), so that lines of
// concurrent runs never interleave. Times are microseconds with one
// decimal (lus), per-op figures one decimal (lper).

struct netstat;
struct cpustat;

struct line {
  char buf[448];
  int n;
};

// The counters at begin() and end() of a measured stretch (the program's
// one stretch at a time; ns0 also names the mode in lstart()).
extern struct netstat ns0, ns1;
extern struct cpustat cs0, cs1;

void lput(struct line *l, const char *s);
void lnum(struct line *l, uint64 v);
void lkv(struct line *l, char *key, uint64 v);
void lus(struct line *l, char *key, uint64 ns);
void lper(struct line *l, char *key, uint64 count, uint64 ops);
void lstart(struct line *l, char *name);
void lwrite(struct line *l, int fd);
void lwork(struct line *l, uint64 ops);
uint64 persec(uint64 count, uint64 dt);
void getstats(struct netstat *ns);
void begin(void);
void end(void);
void sort64(uint64 *a, int n);
uint64 pctl(uint64 *a, int n, int pct);
uint64 field(char *s, int i);
uint32 newrun(void);
