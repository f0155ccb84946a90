"""memset/memcpy/memmove/memcmp for the freestanding loongarch64 kernel (LLVM lowers copies and fills to them)."""

from asterpy.lang import i32, u64
from asterpy.lang.intrinsics import asm, asm_u64
from asterpy.lang.linkage import export

# Loops in inline asm, not Kernel Python: LLVM's loop-idiom pass would turn a Kernel Python loop
# back into a call to the very function it is in. Inputs are copied into t0..t4 inside the
# template (declared clobbered). Byte at a time: simple, and fast enough for boot.


@export("memset")
def memset(dst: u64, c: i32, n: u64) -> u64:
    """Fill n bytes at dst with the byte c; return dst (C's memset)."""
    asm("move $$t0, $0\n move $$t1, $1\n move $$t2, $2\n"
        "1: beqz $$t2, 2f\n st.b $$t1, $$t0, 0\n addi.d $$t0, $$t0, 1\n addi.d $$t2, $$t2, -1\n b 1b\n2:",
        "r,r,r,~{$r12},~{$r13},~{$r14},~{memory}", dst, c, n)
    return dst


@export("memcpy")
def memcpy(dst: u64, src: u64, n: u64) -> u64:
    """Copy n bytes from src to dst (not overlapping); return dst."""
    asm("move $$t0, $0\n move $$t1, $1\n move $$t2, $2\n"
        "1: beqz $$t2, 2f\n ld.bu $$t3, $$t1, 0\n st.b $$t3, $$t0, 0\n addi.d $$t0, $$t0, 1\n"
        " addi.d $$t1, $$t1, 1\n addi.d $$t2, $$t2, -1\n b 1b\n2:",
        "r,r,r,~{$r12},~{$r13},~{$r14},~{$r15},~{memory}", dst, src, n)
    return dst


@export("memmove")
def memmove(dst: u64, src: u64, n: u64) -> u64:
    """Copy n bytes from src to dst, which may overlap; return dst."""
    if dst <= src or dst >= src + n:
        return memcpy(dst, src, n)
    asm("add.d $$t0, $0, $2\n add.d $$t1, $1, $2\n move $$t2, $2\n"
        "1: beqz $$t2, 2f\n addi.d $$t0, $$t0, -1\n addi.d $$t1, $$t1, -1\n ld.bu $$t3, $$t1, 0\n"
        " st.b $$t3, $$t0, 0\n addi.d $$t2, $$t2, -1\n b 1b\n2:",
        "r,r,r,~{$r12},~{$r13},~{$r14},~{$r15},~{memory}", dst, src, n)
    return dst


@export("memcmp")
def memcmp(a: u64, b: u64, n: u64) -> i32:
    """Compare n bytes: <0, 0 or >0 as the first differing byte of a is below, equal or above b's."""
    r = asm_u64("move $$t0, $1\n move $$t1, $2\n move $$t2, $3\n move $0, $$zero\n"
                "1: beqz $$t2, 2f\n ld.bu $$t3, $$t0, 0\n ld.bu $$t4, $$t1, 0\n sub.d $0, $$t3, $$t4\n"
                " bnez $0, 2f\n addi.d $$t0, $$t0, 1\n addi.d $$t1, $$t1, 1\n addi.d $$t2, $$t2, -1\n b 1b\n2:",
                "=&r,r,r,r,~{$r12},~{$r13},~{$r14},~{$r15},~{$r16},~{memory}", a, b, n)
    return i32(r)
