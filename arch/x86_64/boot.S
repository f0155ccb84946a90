/*
 * asterpy x86_64 boot shim: boot headers, 32-bit entry, switch to long mode, call kmain.
 *
 * Three ways in, one common path:
 *   Multiboot1 (QEMU -kernel, a.out-kludge address fields)  eax = 0x2BADB002, ebx = info
 *   Multiboot2 (GRUB 2 `multiboot2`)                       eax = 0x36d76289, ebx = info
 *   PVH        (XEN_ELFNOTE_PHYS32_ENTRY, QEMU/Firecracker) ebx = hvm_start_info; we set
 *                                                           eax = 0x336ec578 ourselves
 * All three enter in 32-bit protected mode, paging off, flat CS/DS/ES, interrupts off, no
 * usable stack and (multiboot) possibly no usable GDT.  The common path builds the early
 * page tables, enables PAE + long mode + paging, jumps to 64-bit code, moves to the higher
 * half and calls
 *
 *     kmain(protocol_magic: u64  (rdi), info_phys: u64  (rsi))     SysV ABI
 *
 * Everything else (serial, IDT, memory map parsing) is Kernel Python: keep this file small.
 * Assemble: python -m ziglang cc -c -target x86_64-freestanding-none arch/x86_64/boot.S
 * Build option: -DASTERPY_NO_MULTIBOOT1 leaves out the multiboot1 header, which makes QEMU's
 * -kernel take the PVH note instead (QEMU tries multiboot1 first).
 */

#define KERNEL_VMA          0xffffffff80000000  /* higher-half base; must match kernel.ld */
#define DIRECT_MAP_BASE     0xffff800000000000  /* physical memory map (first 4 GiB early) */
#define PHYS(sym)           ((sym) - KERNEL_VMA) /* physical address of a higher-half symbol */

#define MB1_HEADER_MAGIC    0x1BADB002
/* bit 0: page-align modules, bit 1: memory info, bit 16: a.out-kludge address fields
 * (QEMU refuses an ELF64 multiboot1 image without them). */
#define MB1_HEADER_FLAGS    0x00010003
#define MB1_BOOT_MAGIC      0x2BADB002
#define MB2_HEADER_MAGIC    0xE85250D6
#define MB2_BOOT_MAGIC      0x36d76289
#define PVH_BOOT_MAGIC      0x336ec578
#define XEN_ELFNOTE_PHYS32_ENTRY 18

#define CR0_PE   (1 << 0)
#define CR0_MP   (1 << 1)
#define CR0_EM   (1 << 2)
#define CR0_TS   (1 << 3)
#define CR0_NE   (1 << 5)
#define CR0_WP   (1 << 16)
#define CR0_NW   (1 << 29)
#define CR0_CD   (1 << 30)
#define CR0_PG   (1 << 31)
#define CR4_PAE        (1 << 5)
#define CR4_OSFXSR     (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define MSR_EFER  0xC0000080
#define EFER_LME  (1 << 8)
#define EFER_NXE  (1 << 11)

#define PTE_P    0x001
#define PTE_W    0x002
#define PTE_PS   0x080          /* 2 MiB page in a page directory */

#define SEL_CODE64 0x08
#define SEL_DATA   0x10

#define BOOT_STACK_SIZE 0x10000
#define COM1 0x3f8

/* ------------------------------------------------------------------ boot headers */

#ifndef ASTERPY_NO_MULTIBOOT1
    .section .boot.multiboot1, "a"
    .balign 4
    .globl asterpy_mb1_header
asterpy_mb1_header:
    .long MB1_HEADER_MAGIC
    .long MB1_HEADER_FLAGS
    .long 0x100000000 - (MB1_HEADER_MAGIC + MB1_HEADER_FLAGS)
    .long asterpy_mb1_header        /* header_addr: the boot section has VMA == LMA */
    .long __kernel_phys_start       /* load_addr */
    .long __data_phys_end           /* load_end_addr: file image ends after .data */
    .long __kernel_phys_end         /* bss_end_addr: loader zeroes up to here */
    .long asterpy_entry32           /* entry_addr */
#endif

    .section .boot.multiboot2, "a"
    .balign 8
    .globl asterpy_mb2_header
asterpy_mb2_header:
    .long MB2_HEADER_MAGIC
    .long 0                         /* architecture: i386 32-bit protected mode */
    .long mb2_header_end - asterpy_mb2_header
    .long 0x100000000 - (MB2_HEADER_MAGIC + (mb2_header_end - asterpy_mb2_header))
    /* Entry address tag (type 3): GRUB loads the ELF segments at their p_paddr and
     * jumps here instead of at e_entry. */
    .balign 8
    .short 3, 0
    .long 12
    .long asterpy_entry32
    /* Module alignment tag (type 6): page-aligned modules (initrd). */
    .balign 8
    .short 6, 0
    .long 8
    /* End tag. */
    .balign 8
    .short 0, 0
    .long 8
mb2_header_end:

    /* PVH: QEMU reads the descriptor as a pointer-sized value after aligning the name to
     * the PT_NOTE alignment, so keep the note 4-aligned and the descriptor a .quad. */
    .section .note.asterpy.pvh, "a", @note
    .balign 4
    .long 4                         /* namesz: "Xen\0" */
    .long 8                         /* descsz */
    .long XEN_ELFNOTE_PHYS32_ENTRY
    .asciz "Xen"
    .balign 4
    .quad asterpy_entry_pvh
    .balign 4

/* ------------------------------------------------------------------ 32-bit entry */

    .section .boot.text, "ax"
    .code32

    .globl asterpy_entry_pvh
    .type asterpy_entry_pvh, @function
asterpy_entry_pvh:
    /* PVH passes no magic in a register; the start_info at ebx starts with the same value
     * (kmain may check it).  From here on the three protocols are one path. */
    movl $PVH_BOOT_MAGIC, %eax

    .globl asterpy_entry32
    .type asterpy_entry32, @function
asterpy_entry32:
    cli
    cld
    /* ebp = protocol magic, esi = info pointer: cpuid, rdmsr and rep stos leave them alone. */
    movl %eax, %ebp
    movl %ebx, %esi

    /* Long mode present? (extended leaf 0x80000001, EDX bit 29) */
    movl $0x80000000, %eax
    cpuid
    cmpl $0x80000001, %eax
    jb no_long_mode
    movl $0x80000001, %eax
    cpuid
    btl $29, %edx
    jnc no_long_mode

    /* Zero .bss (page tables, boot stack, kernel globals) whatever the loader did. */
    movl $__bss_phys_start, %edi
    movl $__bss_phys_end, %ecx
    subl %edi, %ecx
    shrl $2, %ecx
    xorl %eax, %eax
    rep stosl

    /* Four page directories of 2 MiB pages cover physical 0..4 GiB. */
    movl $PHYS(asterpy_boot_pd), %edi
    movl $(PTE_P | PTE_W | PTE_PS), %eax
    movl $(4 * 512), %ecx
1:  movl %eax, (%edi)               /* the high dword stays zero: all below 4 GiB */
    addl $0x200000, %eax
    addl $8, %edi
    loop 1b

    /* Direct map: PML4[256] -> PDPT[0..3] -> the four directories. */
    movl $PHYS(asterpy_boot_pdpt_direct), %edi
    movl $(PHYS(asterpy_boot_pd) + PTE_P + PTE_W), %eax
    movl $4, %ecx
2:  movl %eax, (%edi)
    addl $0x1000, %eax
    addl $8, %edi
    loop 2b
    movl $(PHYS(asterpy_boot_pdpt_direct) + PTE_P + PTE_W), PHYS(asterpy_boot_pml4) + 256 * 8

    /* Identity map of the first GiB (needed while we still run at physical addresses):
     * PML4[0] -> PDPT_low[0] -> directory 0. */
    movl $(PHYS(asterpy_boot_pd) + PTE_P + PTE_W), PHYS(asterpy_boot_pdpt_low)
    movl $(PHYS(asterpy_boot_pdpt_low) + PTE_P + PTE_W), PHYS(asterpy_boot_pml4)

    /* Higher half: 0xffffffff80000000 is PML4[511], PDPT[510] -> directory 0 again. */
    movl $(PHYS(asterpy_boot_pd) + PTE_P + PTE_W), PHYS(asterpy_boot_pdpt_high) + 510 * 8
    movl $(PHYS(asterpy_boot_pdpt_high) + PTE_P + PTE_W), PHYS(asterpy_boot_pml4) + 511 * 8

    /* PAE, then CR3, then EFER.LME (+NXE when the CPU has NX, CPUID 0x80000001 EDX bit 20). */
    movl %cr4, %eax
    orl $CR4_PAE, %eax
    movl %eax, %cr4
    movl $PHYS(asterpy_boot_pml4), %eax
    movl %eax, %cr3
    movl $0x80000001, %eax
    cpuid
    movl $EFER_LME, %ebx
    btl $20, %edx
    jnc 3f
    orl $EFER_NXE, %ebx
3:  movl $MSR_EFER, %ecx
    rdmsr
    orl %ebx, %eax
    wrmsr

    /* Paging on: that activates IA-32e (compatibility) mode.  WP so that the kernel
     * honours read-only pages (copy-on-write); NE for native x87 error reporting. */
    movl %cr0, %eax
    andl $~(CR0_CD | CR0_NW | CR0_EM | CR0_TS), %eax
    orl $(CR0_PG | CR0_WP | CR0_NE | CR0_MP | CR0_PE), %eax
    movl %eax, %cr0

    lgdt asterpy_boot_gdtr32
    ljmp $SEL_CODE64, $entry64_low

no_long_mode:
    /* No way to run this kernel: say so on COM1 (QEMU needs no UART set-up) and stop. */
    movl $no_long_mode_msg, %esi
    movw $COM1, %dx
4:  lodsb
    testb %al, %al
    jz 5f
    outb %al, %dx
    jmp 4b
5:  cli
    hlt
    jmp 5b

    .code64
entry64_low:
    /* 64-bit code, still at the identity-mapped physical address. */
    movl $SEL_DATA, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    xorl %eax, %eax
    movl %eax, %fs
    movl %eax, %gs
    movabsq $asterpy_entry64, %rax
    jmp *%rax

    .section .boot.rodata, "a"
no_long_mode_msg:
    .asciz "asterpy boot: this CPU has no long mode\r\n"
    .balign 8
asterpy_boot_gdtr32:
    .short asterpy_boot_gdt_end - asterpy_boot_gdt - 1
    .long PHYS(asterpy_boot_gdt)

/* ------------------------------------------------------------------ 64-bit, higher half */

    .text
    .globl asterpy_entry64
    .type asterpy_entry64, @function
asterpy_entry64:
    /* GDTR with a higher-half base, so the GDT stays reachable once the identity map of
     * low memory is gone.  CS/DS keep their cached descriptors. */
    lgdt asterpy_boot_gdtr64(%rip)
    leaq asterpy_boot_stack_top(%rip), %rsp

    /* x87/SSE for user code: CR0.MP set, EM clear (done above), OSFXSR | OSXMMEXCPT. */
    movq %cr4, %rax
    orq $(CR4_OSFXSR | CR4_OSXMMEXCPT), %rax
    movq %rax, %cr4
    fninit

    /* Upper register halves are undefined after the mode switch: zero-extend the two
     * 32-bit values into the argument registers. */
    movl %ebp, %edi                 /* protocol_magic */
    movl %esi, %esi                 /* info_phys */
    xorl %ebp, %ebp                 /* frame-pointer chain ends here (backtraces) */
    call kmain                      /* rsp is 16-byte aligned at the call (SysV) */

    .globl asterpy_halt_forever
asterpy_halt_forever:
    cli
    hlt
    jmp asterpy_halt_forever
    .size asterpy_entry64, . - asterpy_entry64

    .section .rodata
    .balign 16
    .globl asterpy_boot_gdt
asterpy_boot_gdt:
    .quad 0                         /* null */
    .quad 0x00af9a000000ffff        /* 0x08: kernel code, 64-bit (L=1), DPL 0 */
    .quad 0x00cf92000000ffff        /* 0x10: kernel data, DPL 0 */
asterpy_boot_gdt_end:
    .balign 8
asterpy_boot_gdtr64:
    .short asterpy_boot_gdt_end - asterpy_boot_gdt - 1
    .quad asterpy_boot_gdt

/* ------------------------------------------------------------------ .bss */

    /* The page tables stay in use after kmain starts; their symbols are global so the
     * kernel can find (and later replace or free) them. */
    .section .bss.asterpy_boot, "aw", @nobits
    .balign 4096
    .globl asterpy_boot_pml4, asterpy_boot_pdpt_low, asterpy_boot_pdpt_high
    .globl asterpy_boot_pdpt_direct, asterpy_boot_pd
asterpy_boot_pml4:        .skip 4096
asterpy_boot_pdpt_low:    .skip 4096
asterpy_boot_pdpt_high:   .skip 4096
asterpy_boot_pdpt_direct: .skip 4096
asterpy_boot_pd:          .skip 4 * 4096   /* physical 0..4 GiB, 2 MiB pages */

    /* A page the kernel unmaps from its own tables once they are loaded (mm/kstack.py): running
     * off the end of the boot stack then faults instead of overwriting the boot page tables. */
    .balign 4096
    .globl asterpy_boot_stack_guard
asterpy_boot_stack_guard:
    .skip 4096
    .globl asterpy_boot_stack_bottom, asterpy_boot_stack_top
asterpy_boot_stack_bottom:
    .skip BOOT_STACK_SIZE
asterpy_boot_stack_top:

    .section .note.GNU-stack, "", @progbits
