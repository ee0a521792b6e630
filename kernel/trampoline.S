# The trampoline: the one page of code mapped at TRAMPOLINE in every
# address space, so it keeps running across the satp switch between user
# and kernel page tables. struct trapframe (proc.h) fixes the offsets.
#
# uservec: the trap entry while in user mode (stvec). Save all user
#          registers in the trapframe, switch to the kernel page table and
#          stack, jump to usertrap().
# userret: called by usertrapret() with a0 = user satp. Switch to the user
#          page table, restore registers, sret to user mode.
# With KMAP=shared neither switches: every process's table maps the kernel.

#include "kernel/riscv.h"
#include "kernel/memlayout.h"

.section trampsec
.globl trampoline
.globl uservec
.globl userret
trampoline:
.align 4
uservec:
        # Only sscratch is free: park the user's a0 there and use a0 to
        # address the trapframe (mapped at TRAPFRAME in every user table).
        csrw sscratch, a0
        li a0, TRAPFRAME

        sd ra, 40(a0)
        sd sp, 48(a0)
        sd gp, 56(a0)
        sd tp, 64(a0)
        sd t0, 72(a0)
        sd t1, 80(a0)
        sd t2, 88(a0)
        sd s0, 96(a0)
        sd s1, 104(a0)
        sd a1, 120(a0)
        sd a2, 128(a0)
        sd a3, 136(a0)
        sd a4, 144(a0)
        sd a5, 152(a0)
        sd a6, 160(a0)
        sd a7, 168(a0)
        sd s2, 176(a0)
        sd s3, 184(a0)
        sd s4, 192(a0)
        sd s5, 200(a0)
        sd s6, 208(a0)
        sd s7, 216(a0)
        sd s8, 224(a0)
        sd s9, 232(a0)
        sd s10, 240(a0)
        sd s11, 248(a0)
        sd t3, 256(a0)
        sd t4, 264(a0)
        sd t5, 272(a0)
        sd t6, 280(a0)
        csrr t0, sscratch
        sd t0, 112(a0)

        ld sp, 8(a0)          # kernel_sp
        ld tp, 32(a0)         # kernel_hartid
        ld t0, 16(a0)         # kernel_trap: usertrap()
#if !KMAP_SHARED
        ld t1, 0(a0)          # kernel_satp

        # The kernel page table never changes after boot, so nothing needs
        # ordering before the switch; the fence after it drops the user
        # mappings. (Each sfence.vma is a full TLB flush under QEMU TCG.)
        csrw satp, t1
        sfence.vma zero, zero
#endif
        # KMAP=shared: the process's table maps the kernel too; stay on it.

        jr t0                 # usertrap() does not return here

userret:
#if !KMAP_SHARED
        # One fence, after the switch: it orders the kernel's earlier stores
        # to the user page table before any translation under it, and drops
        # the kernel's mappings. Only this page is used in between, and it is
        # mapped alike in both tables.
        csrw satp, a0
        sfence.vma zero, zero
#endif
        # KMAP=shared: already on the process's table (the scheduler loaded
        # it; vm.c's kvmchanged fenced any change to it).

        li a0, TRAPFRAME
        ld ra, 40(a0)
        ld sp, 48(a0)
        ld gp, 56(a0)
        ld tp, 64(a0)
        ld t0, 72(a0)
        ld t1, 80(a0)
        ld t2, 88(a0)
        ld s0, 96(a0)
        ld s1, 104(a0)
        ld a1, 120(a0)
        ld a2, 128(a0)
        ld a3, 136(a0)
        ld a4, 144(a0)
        ld a5, 152(a0)
        ld a6, 160(a0)
        ld a7, 168(a0)
        ld s2, 176(a0)
        ld s3, 184(a0)
        ld s4, 192(a0)
        ld s5, 200(a0)
        ld s6, 208(a0)
        ld s7, 216(a0)
        ld s8, 224(a0)
        ld s9, 232(a0)
        ld s10, 240(a0)
        ld s11, 248(a0)
        ld t3, 256(a0)
        ld t4, 264(a0)
        ld t5, 272(a0)
        ld t6, 280(a0)
        ld a0, 112(a0)        # last: the user's a0

        sret                  # to sepc, in user mode (sstatus.SPP = 0)
