"""memset/memcpy/memmove/memcmp for the freestanding riscv64 kernel (LLVM lowers copies and fills to them)."""

from asterpy.lang import i32, u64
from asterpy.lang.intrinsics import asm, asm_u64
from asterpy.lang.linkage import export

# Loops in inline asm, not Kernel Python: LLVM's loop-idiom pass would turn a Kernel Python loop
# back into a call to the very function it is in. Inputs are copied into t0..t3 inside the
# template (declared clobbered). Byte at a time: simple, and fast enough for boot.


@export("memset")
def memset(dst: u64, c: i32, n: u64) -> u64:
    """Fill n bytes at dst with the byte c; return dst (C's memset)."""
    asm("mv t0, $0\n mv t1, $1\n mv t2, $2\n"
        "1: beqz t2, 2f\n sb t1, 0(t0)\n addi t0, t0, 1\n addi t2, t2, -1\n j 1b\n2:",
        "r,r,r,~{x5},~{x6},~{x7},~{memory}", dst, c, n)
    return dst


@export("memcpy")
def memcpy(dst: u64, src: u64, n: u64) -> u64:
    """Copy n bytes from src to dst (not overlapping); return dst."""
    asm("mv t0, $0\n mv t1, $1\n mv t2, $2\n"
        "1: beqz t2, 2f\n lbu t3, 0(t1)\n sb t3, 0(t0)\n addi t0, t0, 1\n addi t1, t1, 1\n"
        " addi t2, t2, -1\n j 1b\n2:",
        "r,r,r,~{x5},~{x6},~{x7},~{x28},~{memory}", dst, src, n)
    return dst


@export("memmove")
def memmove(dst: u64, src: u64, n: u64) -> u64:
    """Copy n bytes from src to dst, which may overlap; return dst."""
    if dst <= src or dst >= src + n:
        return memcpy(dst, src, n)
    # Overlapping with dst above src: copy backwards.
    asm("add t0, $0, $2\n add t1, $1, $2\n mv t2, $2\n"
        "1: beqz t2, 2f\n addi t0, t0, -1\n addi t1, t1, -1\n lbu t3, 0(t1)\n sb t3, 0(t0)\n"
        " addi t2, t2, -1\n j 1b\n2:",
        "r,r,r,~{x5},~{x6},~{x7},~{x28},~{memory}", dst, src, n)
    return dst


@export("memcmp")
def memcmp(a: u64, b: u64, n: u64) -> i32:
    """Compare n bytes: <0, 0 or >0 as the first differing byte of a is below, equal or above b's."""
    r = asm_u64("mv t0, $1\n mv t1, $2\n mv t2, $3\n li $0, 0\n"
                "1: beqz t2, 2f\n lbu t3, 0(t0)\n lbu t4, 0(t1)\n sub $0, t3, t4\n bnez $0, 2f\n"
                " addi t0, t0, 1\n addi t1, t1, 1\n addi t2, t2, -1\n j 1b\n2:",
                "=&r,r,r,r,~{x5},~{x6},~{x7},~{x28},~{x29},~{memory}", a, b, n)
    return i32(r)
