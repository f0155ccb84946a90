/*
 * asterpy riscv64 boot shim: S-mode entry from SBI firmware, Sv39 paging, higher half, kmain.
 *
 * Entry (OpenSBI 1.1 fw_dynamic under `qemu-system-riscv64 -M virt -bios default`, and the
 * RISC-V Linux-style boot convention in general):
 *   S-mode, satp = 0 (bare), sstatus.SIE = 0, a0 = hart id, a1 = physical address of the FDT,
 *   pc = the lowest physical load address of the ELF (QEMU hands OpenSBI the lowest p_paddr,
 *   not e_entry, so asterpy_entry must be the first byte of the image: .text.asterpy_entry).
 * The image is linked high (KERNEL_VMA_OFFSET + physical), but every riscv64 code model reaches
 * symbols PC-relatively, so this file runs unchanged at the physical address until paging is on.
 *
 * Then:  hart lottery (losers park) -> zero .bss -> Sv39 root table with 1 GiB leaves
 * (identity of the image's GiB, direct map of physical 0..64 GiB, kernel window) -> satp ->
 * jump to the higher half -> boot stack ->
 *
 *     kmain(hartid: u64 (a0), fdt_phys: u64 (a1))          lp64 ABI
 *
 * Everything else (console, FDT parsing, real page tables) is Kernel Python: keep this small.
 * Assemble: python -m ziglang cc -c -target riscv64-freestanding-none
 *           -mcpu=generic_rv64+m+a+c -mabi=lp64 -mcmodel=medany arch/riscv64/boot.S
 */

#define KERNEL_VMA_OFFSET   0xffffffff00000000  /* virtual = physical + this; must match kernel.ld */
#define KERNEL_PHYS_BASE    0x80200000          /* where the ELF loads; must match kernel.ld */
#define DIRECT_MAP_BASE     0xffffffc000000000  /* physical 0 in the direct map (Sv39 root[256]) */
#define DIRECT_MAP_GIB      64                  /* early direct map: physical 0 .. 64 GiB */

/* Sv39: 9-bit VPN per level, level 2 (root) entries cover 1 GiB each. */
#define PTE_V   0x01
#define PTE_R   0x02
#define PTE_W   0x04
#define PTE_X   0x08
#define PTE_G   0x20
#define PTE_A   0x40
#define PTE_D   0x80
/* A and D preset: hardware may fault instead of updating them (Svade), and these never change. */
#define PTE_KERNEL_LEAF (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
#define GIB_SHIFT       30
#define PTE_PPN_SHIFT   10
#define SATP_MODE_SV39  (8 << 60)

/* Root-table slots of the two higher-half maps (VA bits 38..30). */
#define DIRECT_MAP_SLOT ((DIRECT_MAP_BASE >> GIB_SHIFT) & 0x1ff)                        /* 256 */
#define KERNEL_SLOT     (((KERNEL_PHYS_BASE + KERNEL_VMA_OFFSET) >> GIB_SHIFT) & 0x1ff)  /* 510 */
#define KERNEL_GIB      (KERNEL_PHYS_BASE >> GIB_SHIFT)                                  /* 2 */

#define SSTATUS_SIE     0x2
#define SSTATUS_VS      0x600           /* vector unit state */
#define SSTATUS_FS      0x6000          /* FPU state */
#define SSTATUS_SUM     0x40000         /* supervisor access to user pages */
#define BOOT_STACK_SIZE 0x10000

/* SBI calls for the early trap report: they work before the kernel knows its console. */
#define SBI_LEGACY_PUTCHAR  0x01
#define SBI_EXT_SRST        0x53525354
#define SRST_SHUTDOWN       0
#define SRST_REASON_FAILURE 1

/* ------------------------------------------------------------------ entry (physical) */

    .section .text.asterpy_entry, "ax"
    .globl asterpy_entry
    .type asterpy_entry, @function
asterpy_entry:
    /* The firmware already masks interrupts; make sure, we have no handlers yet. */
    csrw sie, zero
    csrci sstatus, SSTATUS_SIE
    /* FPU and vector off (OpenSBI leaves FS on): the kernel is soft-float, so a stray FP
     * instruction traps instead of silently corrupting user state later.  SUM off: touching
     * user memory must be deliberate. */
    li t0, (SSTATUS_FS | SSTATUS_VS | SSTATUS_SUM)
    csrc sstatus, t0
    /* gp stays 0 (no gp-relative linker relaxation) until the kernel gives it a meaning. */
    li gp, 0
    li tp, 0
    lla t0, asterpy_early_trap
    csrw stvec, t0

    mv s2, a0                       /* hart id */
    mv s3, a1                       /* FDT (physical) */

    /* Only the first hart to arrive boots.  OpenSBI starts one hart, but other firmware (or
     * an HSM hart_start of this address) may bring more here at once.  The counter lives in
     * .data because .bss is not zeroed yet. */
    lla t0, asterpy_boot_lottery
    li t1, 1
    amoadd.w t1, t1, (t0)
    bnez t1, asterpy_park

    /* Zero .bss (page tables, boot stack, kernel globals): loaders need not do it. */
    lla t0, __bss_start
    lla t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:
    /* Root table: 1 GiB leaves only, no lower levels. */
    lla s4, asterpy_boot_pt_root

    /* Identity: the GiB holding this code, so the instruction after the satp write still
     * fetches.  Computed from where we run, not from the link address. */
    lla t0, asterpy_entry
    srli t0, t0, GIB_SHIFT          /* physical GiB number = root slot of its identity VA */
    slli t1, t0, 3
    add t1, t1, s4
    slli t0, t0, (GIB_SHIFT - 12 + PTE_PPN_SHIFT)
    ori t0, t0, PTE_KERNEL_LEAF
    sd t0, 0(t1)

    /* Direct map: root[256 + i] -> physical i GiB, global. */
    li t0, 0                        /* i */
    li t2, DIRECT_MAP_GIB
    li t1, (DIRECT_MAP_SLOT * 8)    /* 2048: one past addi's immediate range */
    add t1, t1, s4
3:  slli t3, t0, (GIB_SHIFT - 12 + PTE_PPN_SHIFT)
    ori t3, t3, (PTE_KERNEL_LEAF | PTE_G)
    sd t3, 0(t1)
    addi t0, t0, 1
    addi t1, t1, 8
    bltu t0, t2, 3b

    /* Kernel window: 0xffffffff80000000 + x -> physical 0x80000000 + x (1 GiB), global. */
    li t0, ((KERNEL_GIB << (GIB_SHIFT - 12 + PTE_PPN_SHIFT)) | PTE_KERNEL_LEAF | PTE_G)
    li t1, (KERNEL_SLOT * 8)
    add t1, t1, s4
    sd t0, 0(t1)

    /* Paging on.  The fences order the table stores before the walk and drop any stale
     * translations the firmware left. */
    srli t0, s4, 12
    li t1, SATP_MODE_SV39
    or t0, t0, t1
    sfence.vma
    csrw satp, t0
    sfence.vma

    /* Leave the identity map: an absolute address, since PC-relative ones stay physical. */
    lla t0, 4f
    ld t0, 0(t0)
    jr t0
    .balign 8
4:  .quad asterpy_entry_high

/* Losers of the lottery: interrupts off, wait forever. */
asterpy_park:
    wfi
    j asterpy_park
    .size asterpy_entry, . - asterpy_entry

/* ------------------------------------------------------------------ higher half */

    .text
    .type asterpy_entry_high, @function
asterpy_entry_high:
    lla t0, asterpy_early_trap      /* now its higher-half address */
    csrw stvec, t0
    lla sp, asterpy_boot_stack_top  /* 16-byte aligned, as lp64 wants */
    li s0, 0                        /* fp = 0 and ra = 0 end the backtrace chain */
    li ra, 0
    mv a0, s2
    mv a1, s3
    call kmain
    /* fall through if kmain returns */
    .globl asterpy_halt_forever
    .type asterpy_halt_forever, @function
asterpy_halt_forever:
    csrci sstatus, SSTATUS_SIE
1:  wfi
    j 1b

/*
 * Any trap before the kernel installs its own vector: print
 *   asterpy boot: trap scause=0x... sepc=0x... stval=0x...
 * through the SBI legacy console (no stack, no memory writes), then ask SBI to shut the
 * machine down with a failure reason, and park if that returns.
 */
    .balign 4
    .globl asterpy_early_trap
    .type asterpy_early_trap, @function
asterpy_early_trap:
    lla s5, msg_trap
    jal s11, early_puts
    csrr s6, scause
    jal s11, early_puthex
    lla s5, msg_sepc
    jal s11, early_puts
    csrr s6, sepc
    jal s11, early_puthex
    lla s5, msg_stval
    jal s11, early_puts
    csrr s6, stval
    jal s11, early_puthex
    lla s5, msg_nl
    jal s11, early_puts
    li a7, SBI_EXT_SRST
    li a6, 0
    li a0, SRST_SHUTDOWN
    li a1, SRST_REASON_FAILURE
    ecall
    j asterpy_halt_forever

/* early_puts(s5 = NUL-terminated string), returns via s11; clobbers a0, a6, a7, s5 */
early_puts:
1:  lbu a0, 0(s5)
    beqz a0, 2f
    li a7, SBI_LEGACY_PUTCHAR
    li a6, 0
    ecall
    addi s5, s5, 1
    j 1b
2:  jr s11

/* early_puthex(s6): 16 hex digits, returns via s11; clobbers a0, a6, a7, s7, s8 */
early_puthex:
    li s7, 60
1:  srl a0, s6, s7
    andi a0, a0, 15
    lla s8, hexdigits
    add s8, s8, a0
    lbu a0, 0(s8)
    li a7, SBI_LEGACY_PUTCHAR
    li a6, 0
    ecall
    addi s7, s7, -4
    bgez s7, 1b
    jr s11

    .section .rodata
hexdigits:  .ascii "0123456789abcdef"
msg_trap:   .asciz "asterpy boot: trap scause=0x"
msg_sepc:   .asciz " sepc=0x"
msg_stval:  .asciz " stval=0x"
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
