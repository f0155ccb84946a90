/*
 * asterpy x86_64 trap entry: one stub per IDT vector, the common save/restore path, and the
 * storage of the descriptor tables (filled by arch/x86_64/gdt.py and idt.py in Kernel Python).
 *
 * Stub for vector v: push a dummy error code when the CPU pushes none, push v, jump to the
 * common path.  The common path pushes the general registers, so the stack then holds a
 * TrapFrame (arch/x86_64/traps.py; lowest address first):
 *
 *     r15 r14 r13 r12 r11 r10 r9 r8 rbp rdi rsi rdx rcx rbx rax      pushed here
 *     vector error_code                                              pushed by the stub
 *     rip cs rflags rsp ss                                           pushed by the CPU
 *
 * and calls x86_trap(frame) (Kernel Python, @export("x86_trap")) with its address, then
 * restores everything and returns with iretq.  Below the frame it pushes a fake stack frame
 * (interrupted rip, interrupted rbp) and points rbp at it, so a frame-pointer walk from inside
 * x86_trap continues into the interrupted code.
 *
 * Stack alignment: in 64-bit mode the CPU aligns rsp to 16 bytes before it pushes its five
 * words; 5 + 2 + 15 + 2 words = 192 bytes keep rsp 16-byte aligned at the call (SysV).
 *
 * Entries from user mode swap GS to the kernel's per-CPU block and back (see below).
 * Assemble: python -m ziglang cc -c -target x86_64-freestanding-none arch/x86_64/trap.S
 */

#define TRAP_VECTORS    256
#define IST_STACK_SIZE  0x4000      /* 16 KiB for each of #DF, NMI, #MC */
#define IST_STACKS      3
#define IST_GUARD_SIZE  0x1000      /* the unmapped page below each */
#define GDT_ENTRIES     16

/* Vectors below 32 for which the CPU pushes an error code: #DF 8, #TS 10, #NP 11, #SS 12,
 * #GP 13, #PF 14, #AC 17, #CP 21, #VC 29, #SX 30. */
#define ERRCODE_MASK ((1 << 8) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 13) | (1 << 14) | \
                      (1 << 17) | (1 << 21) | (1 << 29) | (1 << 30))

    .macro TRAP_STUB vec
    .balign 16
.Ltrap_stub_\vec:
    .if \vec < 32
    .if ((ERRCODE_MASK >> \vec) & 1) == 0
    pushq $0
    .endif
    .else
    pushq $0
    .endif
    pushq $\vec
    jmp asterpy_trap_common
    .endm

    .weak x86_trap

    .section .text.asterpy_trap, "ax"
    .globl asterpy_trap_stubs
    .type asterpy_trap_stubs, @function
    .balign 16
asterpy_trap_stubs:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    TRAP_STUB \v
    .endr
    .irp v, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63
    TRAP_STUB \v
    .endr
    .irp v, 64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95
    TRAP_STUB \v
    .endr
    .irp v, 96,97,98,99,100,101,102,103,104,105,106,107,108,109,110,111,112,113,114,115,116,117,118,119,120,121,122,123,124,125,126,127
    TRAP_STUB \v
    .endr
    .irp v, 128,129,130,131,132,133,134,135,136,137,138,139,140,141,142,143,144,145,146,147,148,149,150,151,152,153,154,155,156,157,158,159
    TRAP_STUB \v
    .endr
    .irp v, 160,161,162,163,164,165,166,167,168,169,170,171,172,173,174,175,176,177,178,179,180,181,182,183,184,185,186,187,188,189,190,191
    TRAP_STUB \v
    .endr
    .irp v, 192,193,194,195,196,197,198,199,200,201,202,203,204,205,206,207,208,209,210,211,212,213,214,215,216,217,218,219,220,221,222,223
    TRAP_STUB \v
    .endr
    .irp v, 224,225,226,227,228,229,230,231,232,233,234,235,236,237,238,239,240,241,242,243,244,245,246,247,248,249,250,251,252,253,254,255
    TRAP_STUB \v
    .endr
    .size asterpy_trap_stubs, . - asterpy_trap_stubs

    .globl asterpy_trap_common
    .type asterpy_trap_common, @function
    .balign 16
asterpy_trap_common:
    /* From user mode (CS.RPL = 3 in the CPU's frame: vector, error code, rip, cs): switch GS to
     * the kernel's per-CPU block, as the syscall entry does, so that in the kernel GS always
     * holds it whichever way the kernel was entered (a task switched out inside a trap may be
     * resumed by one that leaves through a syscall return, and the reverse). */
    testb $3, 24(%rsp)
    jz 1f
    swapgs
1:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rdi                 /* x86_trap(frame) */
    pushq 17*8(%rdi)                /* fake frame: return address = interrupted rip */
    pushq 8*8(%rdi)                 /*             saved rbp      = interrupted rbp */
    movq %rsp, %rbp
    cld                             /* the SysV ABI wants DF clear at calls */
    /* Through a register and a weak reference: a kernel that never loads the IDT (a test
     * entry without traps.py) still links, since backtrace.py needs this file's stacks. */
    movabsq $x86_trap, %rax
    call *%rax
    addq $16, %rsp                  /* drop the fake frame */
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp                  /* vector and error code */
    testb $3, 8(%rsp)               /* back to user mode: the user's GS again */
    jz 2f
    swapgs
2:
    iretq
    .size asterpy_trap_common, . - asterpy_trap_common

/* The stub addresses, indexed by vector: idt.py builds the gates from them. */
    .section .rodata.asterpy_trap, "a"
    .balign 8
    .globl asterpy_trap_stub_table
asterpy_trap_stub_table:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad .Ltrap_stub_\v
    .endr
    .irp v, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63
    .quad .Ltrap_stub_\v
    .endr
    .irp v, 64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95
    .quad .Ltrap_stub_\v
    .endr
    .irp v, 96,97,98,99,100,101,102,103,104,105,106,107,108,109,110,111,112,113,114,115,116,117,118,119,120,121,122,123,124,125,126,127
    .quad .Ltrap_stub_\v
    .endr
    .irp v, 128,129,130,131,132,133,134,135,136,137,138,139,140,141,142,143,144,145,146,147,148,149,150,151,152,153,154,155,156,157,158,159
    .quad .Ltrap_stub_\v
    .endr
    .irp v, 160,161,162,163,164,165,166,167,168,169,170,171,172,173,174,175,176,177,178,179,180,181,182,183,184,185,186,187,188,189,190,191
    .quad .Ltrap_stub_\v
    .endr
    .irp v, 192,193,194,195,196,197,198,199,200,201,202,203,204,205,206,207,208,209,210,211,212,213,214,215,216,217,218,219,220,221,222,223
    .quad .Ltrap_stub_\v
    .endr
    .irp v, 224,225,226,227,228,229,230,231,232,233,234,235,236,237,238,239,240,241,242,243,244,245,246,247,248,249,250,251,252,253,254,255
    .quad .Ltrap_stub_\v
    .endr
    .size asterpy_trap_stub_table, . - asterpy_trap_stub_table

/* Descriptor tables and the IST stacks: Kernel Python has no address-of, so the memory is
 * reserved here under global names and filled through Ptr by gdt.py and idt.py. */
    .section .bss.asterpy_trap, "aw", @nobits
    .balign 4096
    .globl asterpy_idt
asterpy_idt:
    .skip TRAP_VECTORS * 16
    .globl asterpy_gdt
asterpy_gdt:
    .skip GDT_ENTRIES * 8
    .balign 16
    .globl asterpy_tss
asterpy_tss:
    .skip 128                       /* 104 bytes used: no I/O permission bitmap */
    .globl asterpy_gdtr, asterpy_idtr
asterpy_gdtr:
    .skip 16                        /* limit (2 bytes) + base (8 bytes) for lgdt */
asterpy_idtr:
    .skip 16                        /* the same for lidt */
    /* Each IST stack has a guard page below it, which the kernel's tables leave unmapped
     * (mm/kstack.py): [guard][#DF stack][guard][NMI stack][guard][#MC stack]. */
    .balign 4096
    .globl asterpy_ist_stacks, asterpy_ist_stacks_end
asterpy_ist_stacks:
    .skip IST_STACKS * (IST_GUARD_SIZE + IST_STACK_SIZE)
asterpy_ist_stacks_end:

    .section .note.GNU-stack, "", @progbits
