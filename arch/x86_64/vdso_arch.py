"""The x86_64 instructions the vDSO needs: the TSC, the vvar page's address, ordered loads, the syscall."""

from asterpy.lang import u64
from asterpy.lang.intrinsics import asm, asm_u64

# This module is translated twice: into the kernel (the kernel never calls it) and into the vDSO,
# a position-independent shared object of its own (translator/vdso.py). Everything here must stay
# free of kernel symbols: the vDSO links nothing but itself.


def vdso_rdtsc() -> u64:
    """The TSC, ordered after earlier loads (lfence) so that it is not read before the vvar fields."""
    return asm_u64("lfence; rdtsc; shlq $$32, %rdx; orq %rdx, %rax", "={rax},~{rdx},~{memory}")


def vdso_vvar_base() -> u64:
    """The vvar page's address: the vDSO's linker script puts asterpy_vvar one page before the image,
    and this RIP-relative lea needs no relocation once linked."""
    return asm_u64("leaq asterpy_vvar(%rip), $0", "=r,~{memory}")


def vdso_mul_shift24(a: u64, b: u64) -> u64:
    """(a * b) >> 24 from the full 128-bit product (kernel.time's cycles_to_ns, in two instructions)."""
    return asm_u64("mulq $2; shrdq $$24, %rdx, %rax", "={rax},{rax},r,~{rdx}", a, b)


def vdso_load(addr: u64) -> u64:
    """A 64-bit load the compiler may neither cache nor move (the seqlock's reads of the vvar page)."""
    return asm_u64("movq ($1), $0", "=r,r,~{memory}", addr)


def vdso_barrier() -> None:
    """Keep the compiler from moving memory accesses across this point (the seqlock's second read)."""
    asm("", "~{memory}")


def vdso_syscall2(nr: u64, a0: u64, a1: u64) -> u64:
    """The system call nr(a0, a1) through the syscall instruction: the fallback for what the vDSO
    cannot answer; the raw result (a negative errno as a large u64)."""
    return asm_u64("syscall", "={rax},{rax},{rdi},{rsi},~{rcx},~{r11},~{memory}", nr, a0, a1)

