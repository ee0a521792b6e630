// RISC-V privileged architecture helpers: CSR accessors and Sv39 page-table
// definitions (RISC-V Privileged Spec v1.12, chapters 3, 4 and 10).

#ifndef __ASSEMBLER__

#define CSR_READ(name) ({ uint64 _v; asm volatile("csrr %0, " #name : "=r"(_v)); _v; })
#define CSR_WRITE(name, v) asm volatile("csrw " #name ", %0" : : "r"((uint64)(v)))

static inline uint64 r_mhartid(void) { return CSR_READ(mhartid); }

// mstatus: machine status
#define MSTATUS_MPP_MASK (3L << 11)   // previous privilege mode
#define MSTATUS_MPP_M    (3L << 11)
#define MSTATUS_MPP_S    (1L << 11)
#define MSTATUS_MPP_U    (0L << 11)
static inline uint64 r_mstatus(void) { return CSR_READ(mstatus); }
static inline void w_mstatus(uint64 x) { CSR_WRITE(mstatus, x); }
static inline void w_mepc(uint64 x) { CSR_WRITE(mepc, x); }

// sstatus: supervisor status
#define SSTATUS_SPP  (1L << 8)  // previous mode: 1 = supervisor, 0 = user
#define SSTATUS_SPIE (1L << 5)  // supervisor interrupts enabled before the trap
#define SSTATUS_UPIE (1L << 4)
#define SSTATUS_SIE  (1L << 1)  // supervisor interrupt enable
#define SSTATUS_UIE  (1L << 0)
static inline uint64 r_sstatus(void) { return CSR_READ(sstatus); }
static inline void w_sstatus(uint64 x) { CSR_WRITE(sstatus, x); }

// sip / sie: supervisor interrupt pending / enable
#define SIE_SEIE (1L << 9)  // external
#define SIE_STIE (1L << 5)  // timer
#define SIE_SSIE (1L << 1)  // software
#define SIP_SSIP (1L << 1)  // software interrupt pending (an IPI)
static inline uint64 r_sip(void) { return CSR_READ(sip); }
static inline void w_sip(uint64 x) { CSR_WRITE(sip, x); }
static inline uint64 r_sie(void) { return CSR_READ(sie); }
static inline void w_sie(uint64 x) { CSR_WRITE(sie, x); }

// mie: machine interrupt enable
#define MIE_STIE (1L << 5)
static inline uint64 r_mie(void) { return CSR_READ(mie); }
static inline void w_mie(uint64 x) { CSR_WRITE(mie, x); }

static inline uint64 r_sepc(void) { return CSR_READ(sepc); }
static inline void w_sepc(uint64 x) { CSR_WRITE(sepc, x); }
static inline uint64 r_medeleg(void) { return CSR_READ(medeleg); }
static inline void w_medeleg(uint64 x) { CSR_WRITE(medeleg, x); }
static inline uint64 r_mideleg(void) { return CSR_READ(mideleg); }
static inline void w_mideleg(uint64 x) { CSR_WRITE(mideleg, x); }
static inline void w_stvec(uint64 x) { CSR_WRITE(stvec, x); }
static inline uint64 r_stvec(void) { return CSR_READ(stvec); }
static inline uint64 r_scause(void) { return CSR_READ(scause); }
static inline uint64 r_stval(void) { return CSR_READ(stval); }

// Sstc extension: supervisor timer compare, and the M-mode switches that allow it.
static inline uint64 r_stimecmp(void) { return CSR_READ(0x14d); }
static inline void w_stimecmp(uint64 x) { CSR_WRITE(0x14d, x); }
static inline uint64 r_menvcfg(void) { return CSR_READ(0x30a); }
static inline void w_menvcfg(uint64 x) { CSR_WRITE(0x30a, x); }

// Physical memory protection: give S and U mode access to all of memory.
static inline void w_pmpcfg0(uint64 x) { CSR_WRITE(pmpcfg0, x); }
static inline void w_pmpaddr0(uint64 x) { CSR_WRITE(pmpaddr0, x); }

static inline uint64 r_mcounteren(void) { return CSR_READ(mcounteren); }
static inline void w_mcounteren(uint64 x) { CSR_WRITE(mcounteren, x); }
static inline uint64 r_scounteren(void) { return CSR_READ(scounteren); }
static inline void w_scounteren(uint64 x) { CSR_WRITE(scounteren, x); }

// The time CSR ticks at 10 MHz on QEMU virt.
static inline uint64 r_time(void) { return CSR_READ(time); }
// Instructions retired (under QEMU -icount), else host ticks; start.c lets
// S-mode read it (mcounteren.IR).
static inline uint64 r_instret(void) { return CSR_READ(instret); }

// satp: Sv39 mode and the physical page number of the root page table.
#define SATP_SV39 (8L << 60)
#define MAKE_SATP(pagetable) (SATP_SV39 | (((uint64)pagetable) >> 12))
static inline void w_satp(uint64 x) { CSR_WRITE(satp, x); }
static inline uint64 r_satp(void) { return CSR_READ(satp); }

static inline void w_mscratch(uint64 x) { CSR_WRITE(mscratch, x); }
static inline void w_mtvec(uint64 x) { CSR_WRITE(mtvec, x); }

static inline void intr_on(void) { w_sstatus(r_sstatus() | SSTATUS_SIE); }
static inline void intr_off(void) { w_sstatus(r_sstatus() & ~SSTATUS_SIE); }
static inline int intr_get(void) { return (r_sstatus() & SSTATUS_SIE) != 0; }

static inline uint64 r_sp(void) { uint64 x; asm volatile("mv %0, sp" : "=r"(x)); return x; }
static inline uint64 r_tp(void) { uint64 x; asm volatile("mv %0, tp" : "=r"(x)); return x; }
static inline void w_tp(uint64 x) { asm volatile("mv tp, %0" : : "r"(x)); }
static inline uint64 r_ra(void) { uint64 x; asm volatile("mv %0, ra" : "=r"(x)); return x; }

// Flush the whole TLB.
static inline void sfence_vma(void) { asm volatile("sfence.vma zero, zero"); }

typedef uint64 pte_t;
typedef uint64 *pagetable_t; // 512 PTEs

#endif // __ASSEMBLER__

#define PGSIZE 4096
#define PGSHIFT 12

#define PGROUNDUP(sz)  (((sz)+PGSIZE-1) & ~(PGSIZE-1))
#define PGROUNDDOWN(a) (((a)) & ~(PGSIZE-1))

#define PTE_V (1L << 0) // valid
#define PTE_R (1L << 1)
#define PTE_W (1L << 2)
#define PTE_X (1L << 3)
#define PTE_U (1L << 4) // user can access

#define PA2PTE(pa) ((((uint64)pa) >> 12) << 10)
#define PTE2PA(pte) (((pte) >> 10) << 12)
#define PTE_FLAGS(pte) ((pte) & 0x3FF)

// Sv39: three 9-bit page-table indices above the 12-bit page offset.
#define PXMASK          0x1FF
#define PXSHIFT(level)  (PGSHIFT+(9*(level)))
#define PX(level, va) ((((uint64) (va)) >> PXSHIFT(level)) & PXMASK)

// One bit below the Sv39 maximum, so that addresses need no sign extension.
#define MAXVA (1L << (9 + 9 + 9 + 12 - 1))
