// What the libFuzzer targets in test/fuzz/ share. Include after <stdio.h>,
// <stdlib.h>, <stdint.h> and <stddef.h>.
//
// CHECK(cond): a broken rule prints the file, line and condition and
// aborts, which libFuzzer reports as a crash and saves as test/fuzz/crash-*.

#define CHECK(cond) fuzz_check((cond), #cond, __FILE__, __LINE__)

static void
fuzz_check(int ok, const char *what, const char *file, int line)
{
  if(!ok){
    fprintf(stderr, "%s:%d: broken: %s\n", file, line, what);
    abort();
  }
}

// Take the input's first byte, which chooses how the target treats the
// rest: returns it and leaves *data and *size naming the rest, or returns
// -1 for an empty input (nothing to do).
static int
fuzz_ctl(const uint8_t **data, size_t *size)
{
  int ctl;

  if(*size < 1)
    return -1;
  ctl = (*data)[0];
  (*data)++;
  (*size)--;
  return ctl;
}
