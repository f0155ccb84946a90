/*
 * asterpy loongarch64 boot shim: entry from QEMU's -kernel loader (no firmware), direct-mapped
 * windows, cached higher half, kmain.
 *
 * Entry state QEMU 7.2 leaves (`-M virt -kernel`, measured; docs/boot-riscv64-loongarch64.md):
 *   pc = e_entry as linked (virtual: 0x90000000002xxxxx), CRMD = 0xa8 (PLV0, IE = 0, DA = 1,
 *   PG = 0, DATF = DATM = coherent cached), every GPR 0 (a0 = a1 = a2 = 0, sp = 0),
 *   DMW0..3 = 0, EENTRY = TLBRENTRY = 0, ECFG = 0, EUEN = 0 (FPU off), only CPU 0 runs.
 *   Segments are loaded at p_paddr (QEMU masks the address to 29 bits).  The FDT is a
 *   1 MiB blob at physical 0x100000; QEMU tells nobody where it is (no register).
 * In direct-address mode (DA) the physical address is the virtual address cut to PALEN bits,
 * so this code runs at any alias of its physical address until the windows are on.
 *
 * Then:  CPU lottery (losers park) -> DMW0 = 0x8000... uncached, DMW1 = 0x9000... cached ->
 * jump to the cached window -> CRMD: paging mode (PG = 1, DA = 0) -> early trap vectors ->
 * zero .bss -> boot stack ->
 *
 *     kmain(a0: u64, a1: u64)        lp64s ABI; a2 is passed through as a third argument
 *
 * with a0/a1/a2 exactly as the loader left them.  QEMU 7.2 gives 0, 0, 0 (then kmain reads
 * the FDT at physical 0x100000); newer QEMU and EFI stubs follow Linux's LoongArch boot
 * protocol (a0 = EFI boot flag, a1 = command line, a2 = EFI system table).
 * Assemble: python -m ziglang cc -c -target loongarch64-freestanding-none -mcpu=generic_la64
 *           -mabi=lp64s -mcmodel=medium arch/loongarch64/boot.S
 */

/* Direct-mapped configuration windows: VSEG in bits 63..60, MAT in bits 5..4, PLV0 in bit 0. */
#define DMW_PLV0            0x1
#define DMW_MAT_SUC         (0 << 4)    /* strongly-ordered uncached: MMIO */
#define DMW_MAT_CC          (1 << 4)    /* coherent cached: RAM */
#define DMW0_VALUE          (0x8000000000000000 | DMW_MAT_SUC | DMW_PLV0)
#define DMW1_VALUE          (0x9000000000000000 | DMW_MAT_CC | DMW_PLV0)

/* CSR numbers (LoongArch Reference Manual volume 1, chapter 7). */
#define CSR_CRMD        0x0
#define CSR_PRMD        0x1
#define CSR_EUEN        0x2
#define CSR_ECFG        0x4
#define CSR_ESTAT       0x5
#define CSR_ERA         0x6
#define CSR_BADV        0x7
#define CSR_EENTRY      0xc
#define CSR_TLBRENTRY   0x88
#define CSR_TLBRBADV    0x89
#define CSR_TLBRERA     0x8a
#define CSR_DMW0        0x180
#define CSR_DMW1        0x181

/* CRMD: PLV0, IE = 0, DA = 0, PG = 1, DATF = DATM = 1 (cached; only used in DA mode). */
#define CRMD_PG_MODE    0xb0

#define UNCACHED_BASE   0x8000000000000000
#define UART_PHYS       0x1fe001e0      /* the Loongson 7A / QEMU virt console UART */
#define UART_LSR        5
#define LSR_THRE        0x20
#define BOOT_STACK_SIZE 0x10000

/* ------------------------------------------------------------------ entry */

    .section .text.asterpy_entry, "ax"
    .globl asterpy_entry
    .type asterpy_entry, @function
asterpy_entry:
    /* Interrupts off (CRMD.IE = 0); QEMU leaves them off, another loader may not. */
    li.w $t0, 0x4
    csrxchg $zero, $t0, CSR_CRMD

    move $s0, $a0
    move $s1, $a1
    move $s2, $a2

    /* Only the first CPU to arrive boots; the counter is in .data (.bss is not zeroed yet). */
    la.pcrel $t0, asterpy_boot_lottery
    li.w $t1, 1
    amadd_db.w $t2, $t1, $t0
    bnez $t2, asterpy_park

    /* The two windows: every physical address at 0x8000... (uncached) and 0x9000...
     * (cached), for PLV0 only. */
    li.d $t0, DMW0_VALUE
    csrwr $t0, CSR_DMW0
    li.d $t0, DMW1_VALUE
    csrwr $t0, CSR_DMW1

    /* To the cached window's alias of this code (an absolute address: PC-relative ones stay
     * at whatever alias the loader used), then switch from DA to paging mode.  With no TLB
     * entries yet, only the windows translate. */
    la.abs $t0, 1f
    jirl $zero, $t0, 0
1:  li.w $t0, CRMD_PG_MODE
    csrwr $t0, CSR_CRMD

    /* Early trap vectors.  TLB refill runs in DA mode, so TLBRENTRY is physical. */
    csrwr $zero, CSR_ECFG           /* VS = 0: one entry for all exceptions, no interrupts */
    la.pcrel $t0, asterpy_early_trap
    csrwr $t0, CSR_EENTRY
    la.pcrel $t0, asterpy_early_tlbr
    li.d $t1, 0x0fffffffffffffff
    and $t0, $t0, $t1
    csrwr $t0, CSR_TLBRENTRY

    /* Zero .bss (boot stack, kernel globals): the loader need not do it. */
    la.pcrel $t0, __bss_start
    la.pcrel $t1, __bss_end
2:  bgeu $t0, $t1, 3f
    st.d $zero, $t0, 0
    addi.d $t0, $t0, 8
    b 2b
3:
    la.pcrel $sp, asterpy_boot_stack_top   /* 16-byte aligned, as lp64s wants */
    move $fp, $zero                 /* fp = 0 and ra = 0 end the backtrace chain */
    move $ra, $zero
    move $a0, $s0
    move $a1, $s1
    move $a2, $s2
    bl kmain
    b asterpy_halt_forever

/* Losers of the lottery: wait forever (interrupts stay off). */
asterpy_park:
    idle 0
    b asterpy_park
    .size asterpy_entry, . - asterpy_entry

    .text
    .globl asterpy_halt_forever
    .type asterpy_halt_forever, @function
asterpy_halt_forever:
    li.w $t0, 0x4
    csrxchg $zero, $t0, CSR_CRMD
1:  idle 0
    b 1b

/*
 * Any exception before the kernel installs its own vectors prints
 *   asterpy boot: trap estat=0x... era=0x... badv=0x...
 * (or "tlb refill" with TLBRERA/TLBRBADV) on the UART through the uncached window, then
 * halts.  No stack, no memory writes.  Both entries must be 4 KiB aligned.
 */
    .balign 4096
    .globl asterpy_early_trap
    .type asterpy_early_trap, @function
asterpy_early_trap:
    la.pcrel $s5, msg_trap
    csrrd $s6, CSR_ESTAT
    csrrd $s7, CSR_ERA
    csrrd $s8, CSR_BADV
    b early_report

    .balign 4096
    .globl asterpy_early_tlbr
    .type asterpy_early_tlbr, @function
asterpy_early_tlbr:
    la.pcrel $s5, msg_tlbr
    csrrd $s6, CSR_ESTAT
    csrrd $s7, CSR_TLBRERA
    csrrd $s8, CSR_TLBRBADV

/* early_report: s5 = heading, s6/s7/s8 = estat/era/badv; never returns */
early_report:
    bl early_puts
    move $a1, $s6
    bl early_puthex
    la.pcrel $s5, msg_era
    bl early_puts
    move $a1, $s7
    bl early_puthex
    la.pcrel $s5, msg_badv
    bl early_puts
    move $a1, $s8
    bl early_puthex
    la.pcrel $s5, msg_nl
    bl early_puts
    b asterpy_halt_forever

/* early_putc(a0); clobbers t0, t1 */
early_putc:
    li.d $t0, (UNCACHED_BASE | UART_PHYS)
1:  ld.bu $t1, $t0, UART_LSR
    andi $t1, $t1, LSR_THRE
    beqz $t1, 1b
    st.b $a0, $t0, 0
    jr $ra

/* early_puts(s5 = NUL-terminated string); clobbers a0, t0..t2, s5 */
early_puts:
    move $t2, $ra
1:  ld.bu $a0, $s5, 0
    beqz $a0, 2f
    bl early_putc
    addi.d $s5, $s5, 1
    b 1b
2:  jr $t2

/* early_puthex(a1): 16 hex digits; clobbers a0, t0..t4 */
early_puthex:
    move $t2, $ra
    li.w $t3, 60
1:  srl.d $a0, $a1, $t3
    andi $a0, $a0, 15
    la.pcrel $t4, hexdigits
    add.d $t4, $t4, $a0
    ld.bu $a0, $t4, 0
    bl early_putc
    addi.d $t3, $t3, -4
    bge $t3, $zero, 1b
    jr $t2

    .section .rodata
hexdigits:  .ascii "0123456789abcdef"
msg_trap:   .asciz "asterpy boot: trap estat=0x"
msg_tlbr:   .asciz "asterpy boot: tlb refill estat=0x"
msg_era:    .asciz " era=0x"
msg_badv:   .asciz " badv=0x"
msg_nl:     .asciz "\r\n"

/* ------------------------------------------------------------------ .data / .bss */

    .section .data
    .balign 4
    .globl asterpy_boot_lottery
asterpy_boot_lottery:
    .word 0

    .section .bss.asterpy_boot, "aw", @nobits
    .balign 16
    .globl asterpy_boot_stack_bottom, asterpy_boot_stack_top
asterpy_boot_stack_bottom:
    .skip BOOT_STACK_SIZE
asterpy_boot_stack_top:

    .section .note.GNU-stack, "", @progbits
