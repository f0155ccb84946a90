"""x86_64 user mode: enter a user program with iretq, come back to the kernel when it ends.

The kernel runs one user program at a time for now ("init"). `user_run(entry, sp, root)` is a
setjmp-like call: it saves the kernel's callee-saved registers and stack pointer, switches to
the user address space and `iretq`s to CPL 3. The program never returns there by itself; the
kernel ends it from a syscall (exit, exit_group) or a fatal user exception through
`user_exit(status)`, which switches back to the kernel's tables and longjmps to the saved
stack, so `user_run` returns the status. The frames of the syscall or trap handler that called
`user_exit` are abandoned (they live on the per-CPU kernel stack, which the next entry reuses):
their object references leak, so those paths hold none.

Status encoding (like a wait status): exit code N is `N << 8`; death by signal S is `S`.

The assembly is emitted from inside `usermode_asm()` with .pushsection (see syscall.py for why
it is not a separate .S file).
"""

from typing import Final

from asterpy.lang import Ptr, kprint, u64
from asterpy.lang.intrinsics import asm, asm_u64
from asterpy.lang.linkage import export, extern

from arch.x86_64.paging import load_root, wrmsr

MSR_FS_BASE: Final = u64(0xC0000100)
MSR_GS_BASE: Final = u64(0xC0000101)
MSR_KERNEL_GS_BASE: Final = u64(0xC0000102)

SIGSEGV: Final = u64(11)
SIGILL: Final = u64(4)
SIGFPE: Final = u64(8)
SIGTRAP: Final = u64(5)
SIGBUS: Final = u64(7)

# Kernel stack used for every entry from user mode (TSS RSP0 and the syscall entry): 64 KiB.
USER_KSTACK_SIZE: Final = u64(0x10000)

# Per-CPU block (asterpy_percpu; GS base in the kernel after swapgs):
PERCPU_KSTACK_TOP: Final = u64(0)     # kernel stack top for the syscall entry
PERCPU_USER_RSP: Final = u64(8)       # scratch: the user rsp at syscall entry
PERCPU_SAVED_RSP: Final = u64(16)     # kernel rsp saved by asterpy_user_enter
PERCPU_SIZE: Final = u64(64)

# The kernel's page-table root to return to (set by user_run).
kernel_root: u64 = 0
# Whether a user program is running (user_exit is only meaningful then).
user_active: bool = False
# The page-table root of the running program (0 if none).
user_root: u64 = 0


@export("asterpy_usermode_asm_holder")
def usermode_asm() -> None:
    """Emit asterpy_user_enter/asterpy_user_exit, the per-CPU block and the user-entry kernel stack.

    Never called: it is exported so that LLVM emits its body exactly once (a called function
    may be inlined into its caller and also kept, which would define the labels twice). The
    text goes to its own sections, so the function itself is an empty `ret`.
    """
    asm(
        ".pushsection .bss.asterpy_user, \"aw\", @nobits\n"
        ".balign 4096\n"
        ".globl asterpy_user_kstack\n"
        "asterpy_user_kstack:\n"
        ".zero 0x10000\n"
        ".globl asterpy_user_kstack_top\n"
        "asterpy_user_kstack_top:\n"
        ".balign 64\n"
        ".globl asterpy_percpu\n"
        "asterpy_percpu:\n"
        ".zero 64\n"
        ".popsection\n"
        ".pushsection .text.asterpy_user, \"ax\", @progbits\n"
        # asterpy_user_enter(entry rdi, user rsp rsi) -> status in rax (through asterpy_user_exit)
        ".globl asterpy_user_enter\n"
        ".type asterpy_user_enter, @function\n"
        ".balign 16\n"
        "asterpy_user_enter:\n"
        "pushq %rbp\n"
        "movq %rsp, %rbp\n"
        "pushfq\n"
        "pushq %rbx\n"
        "pushq %r12\n"
        "pushq %r13\n"
        "pushq %r14\n"
        "pushq %r15\n"
        "cli\n"
        "movabsq $$asterpy_percpu, %rax\n"
        "movq %rsp, 16(%rax)\n"
        "pushq $$0x2b\n"            # ss: user data
        "pushq %rsi\n"              # rsp
        "pushq $$0x202\n"           # rflags: IF
        "pushq $$0x33\n"            # cs: 64-bit user code
        "pushq %rdi\n"              # rip
        # The ABI says nothing about the registers at entry except rsp and rdx (an atexit
        # function for a dynamic loader; 0 = none): clear them all, leak no kernel values.
        "xorl %eax, %eax\n"
        "xorl %ebx, %ebx\n"
        "xorl %ecx, %ecx\n"
        "xorl %edx, %edx\n"
        "xorl %esi, %esi\n"
        "xorl %edi, %edi\n"
        "xorl %ebp, %ebp\n"
        "xorl %r8d, %r8d\n"
        "xorl %r9d, %r9d\n"
        "xorl %r10d, %r10d\n"
        "xorl %r11d, %r11d\n"
        "xorl %r12d, %r12d\n"
        "xorl %r13d, %r13d\n"
        "xorl %r14d, %r14d\n"
        "xorl %r15d, %r15d\n"
        "iretq\n"
        ".size asterpy_user_enter, . - asterpy_user_enter\n"
        # asterpy_user_exit(status rdi): back onto the stack asterpy_user_enter saved.
        ".globl asterpy_user_exit\n"
        ".type asterpy_user_exit, @function\n"
        ".balign 16\n"
        "asterpy_user_exit:\n"
        "movq %rdi, %rax\n"
        "movabsq $$asterpy_percpu, %rdx\n"
        "movq 16(%rdx), %rsp\n"
        "popq %r15\n"
        "popq %r14\n"
        "popq %r13\n"
        "popq %r12\n"
        "popq %rbx\n"
        "popfq\n"
        "popq %rbp\n"
        "retq\n"
        ".size asterpy_user_exit, . - asterpy_user_exit\n"
        ".popsection\n",
        "~{memory}")


@extern("asterpy_user_enter")
def user_enter_asm(entry: u64, sp: u64) -> u64:
    """Enter user mode at entry with stack sp; returns the status given to asterpy_user_exit."""
    ...


@extern("asterpy_user_exit")
def user_exit_asm(status: u64) -> None:
    """Unwind to the kernel stack saved by asterpy_user_enter (never returns)."""
    ...


def percpu_addr() -> u64:
    """Address of the per-CPU block (one CPU for now)."""
    return asm_u64("movabsq $$asterpy_percpu, $0", "=r")


def user_kstack_top() -> u64:
    """Top of the kernel stack used on entries from user mode."""
    return asm_u64("movabsq $$asterpy_user_kstack_top, $0", "=r")


def tss_set_rsp0(top: u64) -> None:
    """Point the TSS's RSP0 (the stack the CPU switches to on a trap from CPL 3) at top."""
    tss = asm_u64("movabsq $$asterpy_tss, $0", "=r")
    # Tss.rsp[0] is at offset 4 (after reserved0: u32): the structure is packed.
    Ptr[u64](tss + 4).store(top)


def user_mode_init() -> None:
    """Set up the per-CPU block, the kernel GS base and TSS RSP0 for entries from user mode."""
    pc = percpu_addr()
    top = user_kstack_top()
    Ptr[u64](pc + PERCPU_KSTACK_TOP).store(top)
    tss_set_rsp0(top)
    # In the kernel GS base is 0 and the per-CPU block waits in KERNEL_GS_BASE; the syscall
    # entry swaps them (swapgs) for its stay in the kernel. Interrupts and exceptions from user
    # mode do not swap: trap.S never touches GS.
    wrmsr(MSR_GS_BASE, u64(0))
    wrmsr(MSR_KERNEL_GS_BASE, pc)


def cpu_hwcap() -> u64:
    """AT_HWCAP for x86_64: CPUID leaf 1 EDX, as Linux reports it."""
    return asm_u64("movl $$1, %eax; cpuid; movl %edx, %eax", "={rax},~{rbx},~{rcx},~{rdx}") & 0xFFFFFFFF


def user_run(entry: u64, sp: u64, root: u64, kroot: u64) -> u64:
    """Run a user program (page tables root) from entry with stack sp until it ends; its status."""
    global kernel_root
    global user_active
    global user_root
    kernel_root = kroot
    user_root = root
    user_active = True
    wrmsr(MSR_FS_BASE, u64(0))
    load_root(root)
    status = user_enter_asm(entry, sp)
    return status


def user_exit(status: u64) -> None:
    """End the running user program with a wait-style status: back to user_run's caller."""
    global user_active
    global user_root
    user_active = False
    user_root = u64(0)
    load_root(kernel_root)
    # Leave GS as the kernel expects it whichever path we came from (after the syscall entry's
    # swapgs, or from a trap without one): base 0, the per-CPU block in KERNEL_GS_BASE.
    wrmsr(MSR_GS_BASE, u64(0))
    wrmsr(MSR_KERNEL_GS_BASE, percpu_addr())
    wrmsr(MSR_FS_BASE, u64(0))
    user_exit_asm(status)


def set_fs_base(v: u64) -> None:
    """Load the FS base (user TLS pointer: arch_prctl ARCH_SET_FS)."""
    wrmsr(MSR_FS_BASE, v)


def read_fault_addr() -> u64:
    """CR2: the address of the last page fault."""
    return asm_u64("movq %cr2, $0", "=r")


def signal_of_exception(vector: u64) -> u64:
    """The signal Linux sends for a CPU exception raised by user code."""
    if vector == 0 or vector == 16 or vector == 19:
        return SIGFPE
    if vector == 1 or vector == 3:
        return SIGTRAP
    if vector == 6:
        return SIGILL
    if vector == 17:
        return SIGBUS
    return SIGSEGV


def user_exception(vector: u64, error_code: u64, rip: u64) -> None:
    """A CPU exception from user mode (no signal delivery yet): report it and end the program."""
    if not user_active:
        return
    sig = signal_of_exception(vector)
    if vector == 14:
        kprint(f"[pid 1] SIGSEGV at {read_fault_addr():#x} rip {rip:#x}")
    elif sig == SIGSEGV:
        kprint(f"[pid 1] SIGSEGV (exception {vector}, error code {error_code:#x}) rip {rip:#x}")
    else:
        kprint(f"[pid 1] signal {sig} (exception {vector}) rip {rip:#x}")
    user_exit(sig)


def rdrand_available() -> bool:
    """Whether CPUID leaf 1 ECX bit 30 announces RDRAND."""
    ecx = asm_u64("movl $$1, %eax; cpuid; movl %ecx, %eax", "={rax},~{rbx},~{rcx},~{rdx}")
    return ((ecx >> 30) & 1) != 0


def rdrand64() -> u64:
    """One RDRAND value, or 0 if the generator failed ten times (CF clear)."""
    return asm_u64("movl $$10, %ecx\n1: rdrandq %rax\njc 2f\ndecl %ecx\njnz 1b\nxorl %eax, %eax\n2:",
                   "={rax},~{rcx},~{flags}")


def rdtsc64() -> u64:
    """The time-stamp counter."""
    return asm_u64("rdtsc; shlq $$32, %rdx; orq %rdx, %rax", "={rax},~{rdx}")
