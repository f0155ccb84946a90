"""memset/memcpy/memmove/memcmp for the freestanding kernel: LLVM lowers large copies and fills to calls to them."""

from asterpy.lang import Ptr, i32, u8, u64
from asterpy.lang.intrinsics import asm
from asterpy.lang.linkage import export

# They are string instructions in inline asm, not Kernel Python loops: LLVM's loop-idiom pass
# would turn such a loop back into a call to the very function it is in (endless recursion).
# Inputs are copied into the fixed registers inside the template; those registers are declared
# clobbered, so the register allocator keeps the inputs elsewhere and nothing live is lost.


@export("memset")
def memset(dst: u64, c: i32, n: u64) -> u64:
    """Fill n bytes at dst with the byte c; return dst (C's memset)."""
    # Eight bytes at a time, then the tail: `rep stosb` is one emulated step per byte under
    # QEMU's TCG, `rep stosq` one per eight.
    pattern = (u64(c) & 0xFF) * u64(0x0101010101010101)
    asm("movq $0, %rdi; movq $1, %rax; movq $2, %rcx; shrq $$3, %rcx; cld; rep stosq; "
        "movq $2, %rcx; andq $$7, %rcx; rep stosb",
        "r,r,r,~{rdi},~{rax},~{rcx},~{memory},~{dirflag},~{fpsr},~{flags}", dst, pattern, n)
    return dst


@export("memcpy")
def memcpy(dst: u64, src: u64, n: u64) -> u64:
    """Copy n bytes from src to dst (non-overlapping); return dst (C's memcpy)."""
    asm("movq $0, %rdi; movq $1, %rsi; movq $2, %rcx; shrq $$3, %rcx; cld; rep movsq; "
        "movq $2, %rcx; andq $$7, %rcx; rep movsb",
        "r,r,r,~{rdi},~{rsi},~{rcx},~{memory},~{dirflag},~{fpsr},~{flags}", dst, src, n)
    return dst


@export("memmove")
def memmove(dst: u64, src: u64, n: u64) -> u64:
    """Copy n bytes from src to dst, which may overlap; return dst (C's memmove)."""
    if n == 0 or dst == src:
        return dst
    if dst < src or dst >= src + n:
        # Forwards, eight bytes at a time: safe for dst below src, since each quadword is read
        # before anything at or above it is written.
        asm("movq $0, %rdi; movq $1, %rsi; movq $2, %rcx; shrq $$3, %rcx; cld; rep movsq; "
            "movq $2, %rcx; andq $$7, %rcx; rep movsb",
            "r,r,r,~{rdi},~{rsi},~{rcx},~{memory},~{dirflag},~{fpsr},~{flags}", dst, src, n)
    else:
        # dst overlaps the tail of src: copy backwards from the last byte, then restore DF.
        asm("movq $0, %rdi; movq $1, %rsi; movq $2, %rcx; std; rep movsb; cld",
            "r,r,r,~{rdi},~{rsi},~{rcx},~{memory},~{dirflag},~{fpsr},~{flags}",
            dst + n - 1, src + n - 1, n)
    return dst


@export("memcmp")
def memcmp(a: u64, b: u64, n: u64) -> i32:
    """Compare n bytes at a and b as unsigned chars: <0, 0 or >0 (C's memcmp)."""
    pa = Ptr[u8](a)
    pb = Ptr[u8](b)
    for i in range(u64(0), n):
        x = pa[i]
        y = pb[i]
        if x != y:
            return i32(1) if x > y else i32(-1)
    return i32(0)
