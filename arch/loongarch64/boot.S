/*
 * asterpy loongarch64 boot shim: entry from QEMU's -kernel loader (no firmware), direct-mapped
 * windows, boot page tables, the TLB refill handler, the paged higher half, kmain.
 *
 * Entry state QEMU 7.2 leaves (`-M virt -kernel`, measured; docs/boot-riscv64-loongarch64.md):
 *   pc = e_entry (the entry's physical address, asterpy_entry_phys), CRMD = 0xa8 (PLV0, IE = 0, DA = 1,
 *   PG = 0, DATF = DATM = coherent cached), every GPR 0 (a0 = a1 = a2 = 0, sp = 0),
 *   DMW0..3 = 0, EENTRY = TLBRENTRY = 0, ECFG = 0, EUEN = 0 (FPU off), only CPU 0 runs.
 *   Segments are loaded at p_paddr (QEMU masks the address to 29 bits).  The FDT is a
 *   1 MiB blob at physical 0x100000; QEMU tells nobody where it is (no register).
 * In direct-address mode (DA) the physical address is the virtual address cut to PALEN bits,
 * so this code runs at any alias of its physical address until the windows are on.
 *
 * Then:  CPU lottery (losers park) -> DMW0 = 0x8000... uncached, DMW1 = 0x9000... cached ->
 * zero .bss -> boot page tables (PGDH; 1 GiB leaves: the direct map at 0xffffffc000000000 and
 * the kernel window at 0xffffffff80000000) and the TLB refill handler -> jump to the cached
 * window -> CRMD: paging mode (PG = 1, DA = 0) -> jump to the link address (higher half,
 * through the page tables) -> early trap vector -> boot stack ->
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
#define CSR_ASID        0x18
#define CSR_PGDL        0x19
#define CSR_PGDH        0x1a
#define CSR_PGD         0x1b
#define CSR_STLBPS      0x1e
#define CSR_KS0         0x30
#define CSR_KS1         0x31
#define CSR_TLBRENTRY   0x88
#define CSR_TLBRBADV    0x89
#define CSR_TLBRERA     0x8a
#define CSR_TLBRSAVE    0x8b
#define CSR_TLBRELO0    0x8c
#define CSR_TLBRELO1    0x8d
#define CSR_TLBREHI     0x8e
#define CSR_DMW0        0x180
#define CSR_DMW1        0x181

/* CRMD: PLV0, IE = 0, DA = 0, PG = 1, DATF = DATM = 1 (cached; only used in DA mode). */
#define CRMD_PG_MODE    0xb0

/* Page-table entries are TLBELO values (arch/loongarch64/paging.py): V, D (writable), PLV,
 * MAT, G, the physical page from bit 12, NR/NX/RPLV on top; plus bit 7 (reserved in TLBELO),
 * which marks a large page in a level-2 or level-1 table.  Table pointers are phys | V. */
#define PTE_V           0x1
#define PTE_HUGE        0x80
/* 1 GiB boot leaves: V, D, PLV0, MAT = coherent cached, G, large. */
#define BOOT_LEAF       0xd3
#define GIB             0x40000000
#define DIRECT_MAP_SLOT 256             /* 0xffffffc000000000: physical 0 .. 64 GiB */
#define DIRECT_MAP_GIB  64
#define KERNEL_SLOT     510             /* 0xffffffff80000000: physical 0 .. 1 GiB */
#define PAGE_SHIFT      12

#define CACHED_BASE     0x9000000000000000
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
     * (cached), for PLV0 only.  The kernel keeps DMW0 for MMIO; DMW1 only carries this code
     * into paging mode (the kernel turns it off with its own tables). */
    li.d $t0, DMW0_VALUE
    csrwr $t0, CSR_DMW0
    li.d $t0, DMW1_VALUE
    csrwr $t0, CSR_DMW1

    /* Zero .bss (boot tables, boot stack, kernel globals): the loader need not do it.  Still
     * in DA mode: PC-relative addresses are physical ones (or an alias of them: cut to PALEN). */
    la.pcrel $t0, __bss_start
    la.pcrel $t1, __bss_end
2:  bgeu $t0, $t1, 3f
    st.d $zero, $t0, 0
    addi.d $t0, $t0, 8
    b 2b
3:
    /* Boot tables: one root table with 1 GiB leaves (the refill handler walks them). */
    la.pcrel $s3, asterpy_boot_pt_root
    bstrpick.d $s3, $s3, 47, 0
    li.d $t0, BOOT_LEAF             /* root[256 + i] -> physical i GiB */
    li.d $t1, (DIRECT_MAP_SLOT * 8)
    add.d $t1, $t1, $s3
    li.w $t2, DIRECT_MAP_GIB
    li.d $t3, GIB
4:  st.d $t0, $t1, 0
    add.d $t0, $t0, $t3
    addi.d $t1, $t1, 8
    addi.w $t2, $t2, -1
    bnez $t2, 4b
    li.d $t0, BOOT_LEAF             /* root[510] -> physical 0 .. 1 GiB (the image) */
    li.d $t1, (KERNEL_SLOT * 8)
    add.d $t1, $t1, $s3
    st.d $t0, $t1, 0

    /* The higher half walks PGDH; the lower half (user space, later) has no tables yet. */
    move $t0, $s3
    csrwr $t0, CSR_PGDH
    csrwr $zero, CSR_PGDL
    csrwr $zero, CSR_ASID
    li.w $t0, PAGE_SHIFT            /* the STLB holds 4 KiB pages, the only size refilled */
    csrwr $t0, CSR_STLBPS
    la.pcrel $t0, asterpy_tlb_refill  /* refills run in DA mode: TLBRENTRY is physical */
    bstrpick.d $t0, $t0, 47, 0
    csrwr $t0, CSR_TLBRENTRY
    invtlb 0, $zero, $zero

    /* To the cached window's alias of this code (valid in DA and in paging mode), switch
     * to paging mode, then to the link address, which only the page tables translate. */
    la.pcrel $t0, 5f
    bstrpick.d $t0, $t0, 47, 0
    li.d $t1, CACHED_BASE
    or $t0, $t0, $t1
    jirl $zero, $t0, 0
5:  li.w $t0, CRMD_PG_MODE
    csrwr $t0, CSR_CRMD
    la.abs $t0, 6f
    jirl $zero, $t0, 0
6:
    /* Early trap vector (the higher-half address now). */
    csrwr $zero, CSR_ECFG           /* VS = 0: one entry for all exceptions, no interrupts */
    la.pcrel $t0, asterpy_early_trap
    csrwr $t0, CSR_EENTRY

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
 * on the UART through the uncached window, then halts.  No stack, no memory writes.  EENTRY
 * must be 4 KiB aligned.
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

/*
 * The TLB refill handler (TLBRENTRY, physical, 4 KiB aligned).  A refill runs in DA mode with
 * its own saved state (TLBRERA, TLBRPRMD) and no stack: it walks the three-level tables of
 * PGD (PGDH for the higher half), which hold physical addresses, and fills the TLB with the
 * 4 KiB even/odd pair around TLBRBADV (TLBREHI.VPPN is set by the hardware).  A large page is
 * filled as the 4 KiB pair inside it.  Anything unmapped is filled as an invalid pair: the
 * retried access then takes a page-invalid exception (PIL/PIS/PIF) to EENTRY, which reports
 * it, so the walk never faults here.  Uses t0..t2, saved in TLBRSAVE, KS0 and KS1.
 */
    .balign 4096
    .globl asterpy_tlb_refill
    .type asterpy_tlb_refill, @function
asterpy_tlb_refill:
    csrwr $t0, CSR_TLBRSAVE
    csrwr $t1, CSR_KS0
    csrwr $t2, CSR_KS1
    csrrd $t0, CSR_TLBRBADV
    /* Three 9-bit levels cover 39 bits: bits 63..38 must be all 0 or all 1. */
    srai.d $t1, $t0, 38
    addi.d $t1, $t1, 1
    sltui $t1, $t1, 2
    beqz $t1, 3f
    csrrd $t1, CSR_PGD
    beqz $t1, 3f
    /* level 2 (1 GiB per entry) */
    bstrpick.d $t2, $t0, 38, 30
    alsl.d $t1, $t2, $t1, 3
    ld.d $t1, $t1, 0
    andi $t2, $t1, PTE_V
    beqz $t2, 3f
    andi $t2, $t1, PTE_HUGE
    bnez $t2, 1f
    bstrins.d $t1, $zero, 11, 0
    /* level 1 (2 MiB per entry) */
    bstrpick.d $t2, $t0, 29, 21
    alsl.d $t1, $t2, $t1, 3
    ld.d $t1, $t1, 0
    andi $t2, $t1, PTE_V
    beqz $t2, 3f
    andi $t2, $t1, PTE_HUGE
    bnez $t2, 2f
    bstrins.d $t1, $zero, 11, 0
    /* level 0: the entries of the even and the odd page */
    bstrpick.d $t2, $t0, 20, 13
    alsl.d $t1, $t2, $t1, 4
    ld.d $t2, $t1, 0
    csrwr $t2, CSR_TLBRELO0
    ld.d $t2, $t1, 8
    csrwr $t2, CSR_TLBRELO1
    b 4f
1:  bstrpick.d $t2, $t0, 29, 13     /* 1 GiB page: the pair's offset in it */
    b 5f
2:  bstrpick.d $t2, $t0, 20, 13     /* 2 MiB page */
5:  xori $t1, $t1, PTE_HUGE
    slli.d $t2, $t2, 13
    add.d $t1, $t1, $t2
    move $t2, $t1
    csrwr $t2, CSR_TLBRELO0
    lu12i.w $t2, 1
    add.d $t2, $t1, $t2
    csrwr $t2, CSR_TLBRELO1
    b 4f
3:  csrwr $zero, CSR_TLBRELO0      /* not mapped: an invalid pair */
    csrwr $zero, CSR_TLBRELO1
4:  li.w $t1, PAGE_SHIFT            /* TLBREHI.PS = 12 */
    li.w $t2, 0x3f
    csrxchg $t1, $t2, CSR_TLBREHI
    tlbfill
    csrrd $t0, CSR_TLBRSAVE
    csrrd $t1, CSR_KS0
    csrrd $t2, CSR_KS1
    ertn
    .size asterpy_tlb_refill, . - asterpy_tlb_refill

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
    .balign 4096
    .globl asterpy_boot_pt_root
asterpy_boot_pt_root:
    .skip 4096
    .balign 16
    .globl asterpy_boot_stack_bottom, asterpy_boot_stack_top
asterpy_boot_stack_bottom:
    .skip BOOT_STACK_SIZE
asterpy_boot_stack_top:

    .section .note.GNU-stack, "", @progbits
