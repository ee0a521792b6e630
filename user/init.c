// init: the first user process.
//
// Opens the console as file descriptors 0, 1 and 2 (creating the /console
// device file on first boot), runs /dhcpc (the DHCP client, which sets up
// the network) once and waits for it, then keeps a shell running: start
// sh, wait, and start a new one whenever it exits. Orphaned processes are
// re-parented to init, so its wait loop also reaps them.

#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "kernel/spinlock.h"
#include "kernel/sleeplock.h"
#include "kernel/fs.h"
#include "kernel/file.h"
#include "user/user.h"

static char *shargv[] = { "sh", 0 };
static char *dhcpcargv[] = { "dhcpc", 0 };

// Make fds 0, 1 and 2 all refer to the console.
static void
openconsole(void)
{
  if(open("console", O_RDWR) < 0){
    mknod("console", CONSOLE, 0);
    if(open("console", O_RDWR) < 0)
      exit(1);  // no way to report it: there is no console
  }
  dup(0);  // stdout
  dup(0);  // stderr
}

// Run /dhcpc and wait for it to exit (it leaves a child behind that
// renews the lease; init reaps it as any orphan). Without /dhcpc the
// kernel's boot configuration stays.
static void
rundhcpc(void)
{
  struct stat st;
  int pid, w;

  if(stat("/dhcpc", &st) < 0)
    return;
  pid = fork();
  if(pid < 0){
    printf("init: fork failed\n");
    return;
  }
  if(pid == 0){
    exec("/dhcpc", dhcpcargv);
    printf("init: exec dhcpc failed\n");
    exit(1);
  }
  do {
    w = wait(0);
  } while(w != pid && w >= 0);
}

// Start a shell. Returns its pid, or -1 if fork fails.
static int
startsh(void)
{
  int pid;

  printf("init: starting sh\n");
  pid = fork();
  if(pid == 0){
    exec("sh", shargv);
    printf("init: exec sh failed\n");
    exit(1);
  }
  return pid;
}

int
main(void)
{
  int shpid, pid;

  openconsole();
  rundhcpc();
  for(;;){
    shpid = startsh();
    if(shpid < 0){
      printf("init: fork failed\n");
      sleep(10);
      continue;
    }
    // reap orphans until the shell itself exits
    do {
      pid = wait(0);
    } while(pid != shpid && pid >= 0);
    if(pid < 0)
      sleep(1);  // should not happen: the shell was our child
  }
}
