// The checks of the host unit tests (test/net_unit.c, test/dhcp_unit.c):
// CHECK(cond) prints the line and the condition when cond is false and
// counts it in failures; main() ends with a nonzero exit if any failed.

static int failures;

#define CHECK(cond) check((cond), #cond, __LINE__)

static void
check(int ok, const char *what, int line)
{
  if(!ok){
    printf("line %d: FAILED %s\n", line, what);
    failures++;
  }
}
