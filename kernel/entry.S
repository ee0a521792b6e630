# First instructions of every hart, in machine mode with paging off.
# QEMU's -kernel jumps here (0x80000000). Give each hart its own 4 KiB
# stack out of stack0 (start.c) and call start().
.section .text
.global _entry
_entry:
        csrr t0, mhartid
        addi t0, t0, 1
        slli t0, t0, 12          # (hartid + 1) * 4096
        la sp, stack0
        add sp, sp, t0           # top of this hart's stack
        call start
park:
        wfi                      # start() does not return
        j park
