// The checks of the host unit tests (test/net_unit.c, test/dhcp_unit.c):
// CHECK(cond) prints the line and the condition when cond is false and
// counts it in failures; main() ends with `return unit_done("name");`,
// a nonzero exit if any failed.

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

// Print the verdict of test program name; returns main's exit status.
static inline int
unit_done(const char *name)
{
  if(failures){
    printf("%s: %d FAILED\n", name, failures);
    return 1;
  }
  printf("%s: OK\n", name);
  return 0;
}
