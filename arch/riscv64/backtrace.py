"""riscv64 backtraces: the frame-pointer walk, symbolized from the table the build embeds.

With frame pointers, s0 points at the frame's top (the caller's sp): the return address is at
s0 - 8 and the caller's s0 at s0 - 16 (x86_64 keeps them at rbp + 8 and rbp). The table
reader and the line printer are the arch-neutral part of arch/x86_64/backtrace.py.
"""

from typing import Tuple

from asterpy.lang import Ptr, i64, kprint, u64
from asterpy.lang.intrinsics import asm_u64

from arch.x86_64.backtrace import (
    MAX_FRAMES, MAX_INLINE_DEPTH, innermost_depth, ksyms_valid, line_of, put_frame_line, scope_at, scope_entry,
)


def ksyms_table() -> u64:
    """Address of the embedded symbol table."""
    return asm_u64("lla $0, asterpy_ksyms", "=r")


def stack_bounds(addr: u64) -> Tuple[u64, u64]:
    """[lo, hi) of the boot stack if it holds addr, else (0, 0)."""
    lo = asm_u64("lla $0, asterpy_boot_stack_bottom", "=r")
    hi = asm_u64("lla $0, asterpy_boot_stack_top", "=r")
    if lo <= addr and addr <= hi:
        return lo, hi
    return u64(0), u64(0)


def print_frame(n: u64, pc: u64, lookup: u64) -> u64:
    """Print frame n at pc, symbolized at `lookup`, one line per inlining level; return the next n."""
    table = ksyms_table()
    if not ksyms_valid(table):
        put_frame_line(n, pc, table, i64(-1), u64(0), u64(0))
        return n + 1
    file, line = line_of(table, lookup)
    depth = innermost_depth(table, lookup)
    if depth < 0:
        put_frame_line(n, pc, table, i64(-1), file, line)
        return n + 1
    d = u64(depth)
    if d > MAX_INLINE_DEPTH:
        d = MAX_INLINE_DEPTH
    while True:
        idx = scope_at(table, lookup, d)
        put_frame_line(n, pc, table, idx, file, line)
        n += 1
        if d == 0:
            break
        if idx >= 0:
            s = scope_entry(table, u64(idx))
            file = u64(s.call_file)
            line = u64(s.call_line)
        else:
            line = u64(0)
        d -= 1
    return n


def print_backtrace(pc: u64, fp: u64, exact: bool) -> None:
    """Print `backtrace:` and the frames from pc up the s0 chain that starts at fp."""
    kprint("backtrace:")
    n = print_frame(u64(0), pc, pc if exact else pc - 1)
    lo, hi = stack_bounds(fp)
    count = u64(0)
    while count < MAX_FRAMES:
        # Only dereference a frame whose (saved fp, ra) pair lies in the kernel stack.
        if lo == 0 or fp < lo + 16 or fp > hi or (fp & 7) != 0:
            break
        ret = Ptr[u64](fp - 8).load()
        next_fp = Ptr[u64](fp - 16).load()
        if ret == 0:
            break
        n = print_frame(n, ret, ret - 1)
        if next_fp <= fp:
            break  # frames must go up the stack: anything else is a corrupt chain
        fp = next_fp
        count += 1
    if count == MAX_FRAMES:
        kprint("  ... (more frames not shown)")
