// Physical memory map of QEMU's "virt" machine, and the kernel's virtual layout.
//
// Physical (hw/riscv/virt.c):
//   0x00001000  boot ROM
//   0x02000000  CLINT
//   0x02F00000  ACLINT SSWI (with -machine virt,aclint=on): supervisor IPIs
//   0x0C000000  PLIC
//   0x10000000  UART0 (16550)
//   0x10001000  virtio-mmio disk
//   0x30000000  PCIe ECAM (config space), 256 MiB
//   0x40000000  PCIe 32-bit MMIO window: we place the E1000's BAR0 here
//   0x80000000  RAM: -kernel loads us here, we use up to PHYSTOP
//
// The kernel maps devices and RAM one-to-one (virtual == physical), plus the
// trampoline page and each process's kernel stack at the top of the address space.

// ACLINT SSWI: writing 1 to the 32-bit word of a hart raises its
// supervisor software interrupt (SSIP), directly from S-mode.
#define ACLINT_SSWI          0x02F00000L
#define ACLINT_SSWI_HART(h)  (ACLINT_SSWI + 4*(h))

#define UART0      0x10000000L
#define UART0_IRQ  10

#define VIRTIO0     0x10001000L
#define VIRTIO0_IRQ 1

#define PLIC               0x0c000000L
#define PLIC_PRIORITY      (PLIC + 0x0)
#define PLIC_PENDING       (PLIC + 0x1000)
#define PLIC_SENABLE(hart) (PLIC + 0x2080 + (hart)*0x100)
#define PLIC_SPRIORITY(hart) (PLIC + 0x201000 + (hart)*0x2000)
#define PLIC_SCLAIM(hart)  (PLIC + 0x201004 + (hart)*0x2000)

#define PCIE_ECAM      0x30000000L
#define PCIE_ECAM_SIZE 0x10000000L
#define PCIE_ECAM_BUS0 0x100000L     // bus 0's slice of ECAM: all the kernel maps
#define E1000_BAR0     0x40000000L
#define E1000_BAR_SIZE 0x20000L      // 128 KiB of registers
#define E1000_IRQ      33            // INTA of PCI slot 1

#define KERNBASE 0x80000000L
#define PHYSTOP  (KERNBASE + 128*1024*1024)

// The trampoline page sits at the highest virtual address, in user and kernel space alike.
#define TRAMPOLINE (MAXVA - PGSIZE)

// Kernel stacks live below the trampoline, each with an unmapped guard page below it.
#define KSTACK(p) (TRAMPOLINE - ((p)+1)* 2*PGSIZE)

// User address space, from 0 upwards:
//   text, data, bss, guard page, stack, heap ... TRAPFRAME, TRAMPOLINE
#define TRAPFRAME (TRAMPOLINE - PGSIZE)
