"""x86_64 user mode: the per-CPU block, GS set-up and the user TLS base (the exceptions' signals: traps.py).

Every task enters user mode through the common syscall return path (syscall.py's
asterpy_syscall_exit, with a user frame at the top of its own kernel stack: context.py) and
comes back by a syscall or an interrupt. The per-CPU block (asterpy_percpu) holds the kernel
stack top for the syscall entry; context.switch_task points it and the TSS's RSP0 at the
running task's stack. In the kernel GS holds the per-CPU block (both entry paths swapgs when
they come from user mode).
"""

from typing import Final

from asterpy.lang import u64
from asterpy.lang.intrinsics import asm, asm_u64
from asterpy.lang.linkage import export

from arch.x86_64.paging import wrmsr

MSR_FS_BASE: Final = u64(0xC0000100)
MSR_GS_BASE: Final = u64(0xC0000101)
MSR_KERNEL_GS_BASE: Final = u64(0xC0000102)


# Per-CPU block (asterpy_percpu; GS base in the kernel after swapgs):
PERCPU_KSTACK_TOP: Final = u64(0)     # kernel stack top for the syscall entry
PERCPU_USER_RSP: Final = u64(8)       # scratch: the user rsp at syscall entry
PERCPU_SIZE: Final = u64(64)


@export("asterpy_usermode_asm_holder")
def usermode_asm() -> None:
    """Emit the per-CPU block (exported and never called, so it is emitted exactly once)."""
    asm(
        ".pushsection .bss.asterpy_user, \"aw\", @nobits\n"
        ".balign 64\n"
        ".globl asterpy_percpu\n"
        "asterpy_percpu:\n"
        ".zero 64\n"
        ".popsection\n",
        "~{memory}")


def percpu_addr() -> u64:
    """Address of the per-CPU block (one CPU for now)."""
    return asm_u64("movabsq $$asterpy_percpu, $0", "=r")


def user_mode_init() -> None:
    """Enable user mode on this CPU: GS holds the per-CPU block in the kernel, 0 for user code."""
    wrmsr(MSR_GS_BASE, percpu_addr())
    wrmsr(MSR_KERNEL_GS_BASE, u64(0))


def cpu_hwcap() -> u64:
    """AT_HWCAP for x86_64: CPUID leaf 1 EDX, as Linux reports it."""
    return asm_u64("movl $$1, %eax; cpuid; movl %edx, %eax", "={rax},~{rbx},~{rcx},~{rdx}") & 0xFFFFFFFF


def set_fs_base(v: u64) -> None:
    """Load the FS base (user TLS pointer: arch_prctl ARCH_SET_FS)."""
    wrmsr(MSR_FS_BASE, v)


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

