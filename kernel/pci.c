// PCI: find the E1000 on QEMU virt's PCIe bus and hand it to the driver.
//
// QEMU virt has a generic ECAM host bridge: the configuration space of bus b,
// device d, function f is 4 KiB of memory at PCIE_ECAM + (b<<20 | d<<15 | f<<12)
// (PCI Express Base Spec, 7.2.2). With -bios none no firmware assigns BARs, so
// we place the E1000's registers at E1000_BAR0 ourselves. The kernel page table
// maps both the ECAM window and the BAR at KDEV() of their addresses (vm.c).
//
// QEMU options: -device e1000,netdev=net0,bus=pcie.0 (first PCI slot: 1).

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/memlayout.h"
#include "kernel/riscv.h"
#include "kernel/spinlock.h"
#include "kernel/defs.h"
#include "kernel/netdefs.h"

// Configuration space header, type 0 (PCI Local Bus Spec 3.0, 6.1).
#define PCI_ID        0x00   // device id << 16 | vendor id
#define PCI_COMMAND   0x04   // command in the low 16 bits, status in the high 16
#define PCI_BAR0      0x10

#define PCI_CMD_MEM    (1 << 1)   // respond to memory accesses in the BARs
#define PCI_CMD_MASTER (1 << 2)   // may DMA: QEMU's e1000 receives nothing without it

#define PCI_BAR_IO      0x1   // bit 0: I/O space BAR
#define PCI_BAR_TYPE    0x6   // bits 2:1: 00 = 32-bit memory BAR
#define PCI_BAR_ADDR    (~0xfU)

#define PCI_NDEV      32
#define E1000_PCI_ID  ((0x100eU << 16) | 0x8086U)   // Intel 82540EM

// The configuration space of bus 0, device dev, function 0, as 32-bit words.
static volatile uint32 *
pci_config(int dev)
{
  return (volatile uint32 *)KDEV(PCIE_ECAM + ((uint64)dev << 15));
}

// Check that BAR0 is a 32-bit memory BAR that fits in the window the kernel
// maps for it. Sizing: write all ones, the address bits that stay zero give
// the size. Returns 0 if it fits, -1 if not. Decoding must be off.
static int
pci_check_bar0(volatile uint32 *cfg)
{
  uint32 bar, size;

  cfg[PCI_BAR0/4] = 0xffffffff;
  bar = cfg[PCI_BAR0/4];
  size = ~(bar & PCI_BAR_ADDR) + 1;
  if((bar & (PCI_BAR_IO | PCI_BAR_TYPE)) != 0 || size == 0 || size > E1000_BAR_SIZE)
    return -1;
  return 0;
}

// Program the E1000 in slot dev: place BAR0, enable memory decoding and
// bus mastering, and start the driver.
static void
pci_setup_e1000(int dev)
{
  volatile uint32 *cfg = pci_config(dev);

  cfg[PCI_COMMAND/4] = 0;   // stop decoding while BAR0 moves
  if(pci_check_bar0(cfg) < 0){
    printf("pci: e1000 BAR0 is not a 32-bit memory BAR of at most %d bytes; networking off\n",
           (int)E1000_BAR_SIZE);
    return;
  }
  cfg[PCI_BAR0/4] = (uint32)E1000_BAR0;
  // The high half of this word is the status register, whose bits are
  // cleared by writing 1: writing zeros there leaves it alone.
  cfg[PCI_COMMAND/4] = PCI_CMD_MEM | PCI_CMD_MASTER;
  __sync_synchronize();

  // INTA of slot s reaches PLIC source 32 + s%4 (virt.c); memlayout.h assumes slot 1.
  if(32 + dev % 4 != E1000_IRQ)
    printf("pci: e1000 in slot %d interrupts on PLIC %d, not E1000_IRQ %d\n",
           dev, 32 + dev % 4, E1000_IRQ);

  e1000_init((uint32 *)KDEV(E1000_BAR0));
}

// Scan bus 0 for an E1000 and start it. Without one, networking stays off:
// print a line and return. Called once at boot, after kvminit and mbuf_init.
void
pci_init(void)
{
  int dev;

  for(dev = 0; dev < PCI_NDEV; dev++){
    if(pci_config(dev)[PCI_ID/4] == E1000_PCI_ID){
      pci_setup_e1000(dev);
      return;
    }
  }
  printf("pci: no e1000 (8086:100e) on bus 0; networking off\n");
}
