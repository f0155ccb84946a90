"""x86_64 SYSCALL/SYSRET: MSR set-up and the entry stub (x86_syscall(frame), which it calls, is kernel_glue's).

Why the assembly is here and not in a `.S` file: the build assembles only boot.S and trap.S, so
`syscall_asm()` emits the stub through one inline-asm statement that switches sections
(.pushsection); the function is exported and never called, so its body is emitted exactly once.

The entry (`asterpy_syscall_entry`, LSTAR): SYSCALL leaves the user rip in rcx, rflags in r11
and masks rflags with FMASK (IF, DF, TF, AC cleared: interrupts stay off in the kernel). The
stub swaps GS to the per-CPU block (usermode.py), saves the user rsp there, loads the kernel
stack top from it, and builds a `SyscallFrame` with the same layout as trap.S's TrapFrame
(nr in the vector slot), so both look alike to debuggers. It calls x86_syscall(frame), which
stores the result in frame.rax and runs the return-to-user work (preemption, signals), then
restores the registers and returns with sysretq, or with iretq when the return rip is not
canonical (sysretq would raise #GP in ring 0 with the user's rsp: the classic SYSRET hazard) —
rcx and r11 are clobbered either way, as Linux documents — or when the frame's pad word asks for
a full restore (`asterpy_syscall_exit`, which new tasks also start from).
"""

from typing import Final

from asterpy.lang import struct, u64
from asterpy.lang.intrinsics import asm, asm_u64
from asterpy.lang.linkage import export

from arch.x86_64.paging import rdmsr, wrmsr

MSR_EFER: Final = u64(0xC0000080)
MSR_STAR: Final = u64(0xC0000081)
MSR_LSTAR: Final = u64(0xC0000082)
MSR_FMASK: Final = u64(0xC0000084)
EFER_SCE: Final = u64(1)

# STAR[47:32]: SYSCALL loads CS = 0x08, SS = 0x10. STAR[63:48] = 0x23: SYSRET to 64-bit code
# loads CS = 0x23 + 16 = 0x33 and SS = 0x23 + 8 = 0x2b (gdt.py's user selectors).
STAR_VALUE: Final = (u64(0x23) << 48) | (u64(0x08) << 32)
# FMASK: the rflags bits SYSCALL clears: TF (8), IF (9), DF (10), AC (18).
FMASK_VALUE: Final = u64((1 << 8) | (1 << 9) | (1 << 10) | (1 << 18))


@struct
class SyscallFrame:
    """What asterpy_syscall_entry leaves on the kernel stack, lowest address first."""

    r15: u64
    r14: u64
    r13: u64
    r12: u64
    r11: u64      # the user rflags (SYSCALL saved them here)
    r10: u64      # argument 4
    r9: u64       # argument 6
    r8: u64       # argument 5
    rbp: u64
    rdi: u64      # argument 1
    rsi: u64      # argument 2
    rdx: u64      # argument 3
    rcx: u64      # the user rip (SYSCALL saved it here)
    rbx: u64
    rax: u64      # the syscall number on entry, the result on return
    nr: u64       # the syscall number (the vector slot of a TrapFrame)
    pad: u64      # the error-code slot of a TrapFrame
    rip: u64
    cs: u64
    rflags: u64
    rsp: u64
    ss: u64


@export("asterpy_syscall_asm_holder")
def syscall_asm() -> None:
    """Emit asterpy_syscall_entry (see the module docstring); exported and never called, so
    its body is emitted exactly once."""
    asm(
        ".pushsection .text.asterpy_syscall, \"ax\", @progbits\n"
        ".globl asterpy_syscall_entry\n"
        ".type asterpy_syscall_entry, @function\n"
        ".balign 16\n"
        "asterpy_syscall_entry:\n"
        "swapgs\n"
        "movq %rsp, %gs:8\n"            # PERCPU_USER_RSP
        "movq %gs:0, %rsp\n"            # PERCPU_KSTACK_TOP (16-byte aligned)
        "pushq $$0x2b\n"                # ss
        "pushq %gs:8\n"                 # rsp
        "pushq %r11\n"                  # rflags
        "pushq $$0x33\n"                # cs
        "pushq %rcx\n"                  # rip
        "pushq $$0\n"                   # pad
        "pushq %rax\n"                  # nr
        "pushq %rax\n"
        "pushq %rbx\n"
        "pushq %rcx\n"
        "pushq %rdx\n"
        "pushq %rsi\n"
        "pushq %rdi\n"
        "pushq %rbp\n"
        "pushq %r8\n"
        "pushq %r9\n"
        "pushq %r10\n"
        "pushq %r11\n"
        "pushq %r12\n"
        "pushq %r13\n"
        "pushq %r14\n"
        "pushq %r15\n"
        "movq %rsp, %rdi\n"             # x86_syscall(frame)
        "pushq 17*8(%rdi)\n"            # fake frame for backtraces: user rip, user rbp
        "pushq 8*8(%rdi)\n"
        "movq %rsp, %rbp\n"
        "cld\n"
        "movabsq $$x86_syscall, %rax\n"
        "callq *%rax\n"
        "addq $$16, %rsp\n"
        # The common way back to user mode, with rsp at a SyscallFrame: the end of every
        # syscall, and the first return of a forked child or a new task (context.py).
        ".globl asterpy_syscall_exit\n"
        "asterpy_syscall_exit:\n"
        "popq %r15\n"
        "popq %r14\n"
        "popq %r13\n"
        "popq %r12\n"
        "popq %r11\n"
        "popq %r10\n"
        "popq %r9\n"
        "popq %r8\n"
        "popq %rbp\n"
        "popq %rdi\n"
        "popq %rsi\n"
        "popq %rdx\n"
        "popq %rcx\n"
        "popq %rbx\n"
        "popq %rax\n"
        # rsp -> nr. A nonzero pad word asks for every register as saved (signal delivery,
        # sigreturn, exec, a new task: rcx and r11 too), which only iretq restores.
        "cmpq $$0, 8(%rsp)\n"
        "jne 1f\n"
        # Otherwise rcx and r11 are free (the syscall ABI clobbers them).
        "movq 16(%rsp), %rcx\n"         # rip
        "movq %rcx, %r11\n"
        "sarq $$47, %r11\n"             # 0 for a canonical lower-half address
        "jnz 1f\n"
        "movq 32(%rsp), %r11\n"         # rflags
        "movq 40(%rsp), %rsp\n"         # user rsp: nothing on the stack is used after this
        "swapgs\n"
        "sysretq\n"
        "1:\n"
        "addq $$16, %rsp\n"             # rsp -> rip cs rflags rsp ss
        "swapgs\n"
        "iretq\n"
        ".size asterpy_syscall_entry, . - asterpy_syscall_entry\n"
        ".popsection\n",
        "~{memory}")


def syscall_entry_addr() -> u64:
    """Address of the SYSCALL entry stub."""
    return asm_u64("movabsq $$asterpy_syscall_entry, $0", "=r")


def syscall_init() -> None:
    """Enable SYSCALL (EFER.SCE) and point LSTAR at the entry; STAR's selectors, FMASK's mask."""
    wrmsr(MSR_STAR, STAR_VALUE)
    wrmsr(MSR_LSTAR, syscall_entry_addr())
    wrmsr(MSR_FMASK, FMASK_VALUE)
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE)
