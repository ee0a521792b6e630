// Supervisor-mode entry (start.c mrets here) on every hart. Hart 0 brings
// up the machine; the others wait for it, then join the scheduler.

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/defs.h"
#include "kernel/netdefs.h"

static volatile int started = 0;
int nharts;   // harts that have joined the scheduler (atomic)

void
main(void)
{
  if(cpuid() == 0){
    // Paging first: the kernel reaches devices, the UART too, at KDEV().
    kinit();         // physical pages
    kvminit();       // kernel page table
    kvminithart();   // paging on
    consoleinit();
    printfinit();
    printf("\nxv6-netpoll kernel is booting (KMAP=%s)\n\n", KMAP_SHARED ? "shared" : "split");
    procinit();      // process table
    trapinit();
    trapinithart();  // kernelvec
    plicinit();
    plicinithart();
    binit();         // buffer cache
    iinit();         // inode table
    fileinit();      // file table
    virtio_disk_init();
    mbuf_init();
    net_init();
    sockinit();
    pci_init();      // finds the E1000 and starts the driver
    userinit();      // first user process (pid 1)
    netthread_start();   // polls in poll and hybrid modes
    __sync_synchronize();
    started = 1;
  } else {
    while(started == 0)
      ;
    __sync_synchronize();
    kvminithart();   // paging on before the first printf: the UART is at KDEV()
    printf("hart %d starting\n", cpuid());
    trapinithart();
    plicinithart();
  }

  __atomic_fetch_add(&nharts, 1, __ATOMIC_RELAXED);
  scheduler();
}
