"""x86_64 backtraces: walk the rbp chain (across IST, boot and task kernel stacks), naming frames with asterpy.kernel.ksyms.

x86_64 keeps the return address at rbp + 8 and the caller's rbp at rbp; a trap frame links an IST
stack to the interrupted one. The table format and the frame printer are arch-neutral
(src/asterpy/kernel/ksyms.py).
"""

from typing import Final, Tuple

from asterpy.kernel.ksyms import MAX_FRAMES, print_frame
from asterpy.lang import Ptr, kprint, u64
from asterpy.lang.intrinsics import asm_u64
from asterpy.mm.kstack import KSTACK_PAGES

PAGE: Final = u64(4096)


def ksyms_table() -> u64:
    """Address of the embedded symbol table."""
    return asm_u64("movabsq $$asterpy_ksyms, $0", "=r")


def stack_bounds(addr: u64) -> Tuple[u64, u64]:
    """[lo, hi) of the kernel stack holding addr (boot stack or an IST stack), (0, 0) if none."""
    lo = asm_u64("movabsq $$asterpy_boot_stack_bottom, $0", "=r")
    hi = asm_u64("movabsq $$asterpy_boot_stack_top, $0", "=r")
    if lo <= addr and addr < hi:
        return lo, hi
    lo = asm_u64("movabsq $$asterpy_ist_stacks, $0", "=r")
    hi = asm_u64("movabsq $$asterpy_ist_stacks_end, $0", "=r")
    if lo <= addr and addr < hi:
        return lo, hi
    # The running task's kernel stack (a fault in a syscall, or one that ran into its guard): its
    # top is in the per-CPU slot the task switch fills for the syscall entry (context.py).
    top = Ptr[u64](asm_u64("movabsq $$asterpy_percpu, $0", "=r")).load()
    if top != 0:
        lo = top - KSTACK_PAGES * PAGE
        if lo <= addr and addr < top:
            return lo, top
    return u64(0), u64(0)


def print_backtrace(pc: u64, rbp: u64, exact: bool) -> None:
    """Print `backtrace:` and the frames from pc (the faulting instruction when exact, else a
    return address) up the frame-pointer chain that starts at rbp."""
    kprint("backtrace:")
    table = ksyms_table()
    n = print_frame(table, u64(0), pc, pc if exact else pc - 1)
    lo, hi = stack_bounds(rbp)
    count = u64(0)
    while count < MAX_FRAMES:
        # Only dereference a frame pointer that lies, with both its words, in a kernel stack.
        if lo == 0 or rbp < lo or rbp + 16 > hi or (rbp & 7) != 0:
            break
        next_rbp = Ptr[u64](rbp).load()
        ret = Ptr[u64](rbp + 8).load()
        if ret == 0:
            break
        n = print_frame(table, n, ret, ret - 1)
        if lo <= next_rbp and next_rbp < hi:
            if next_rbp <= rbp:
                break  # frames must go up the stack: anything else is a corrupt chain
        else:
            # A trap frame links an IST stack to the interrupted stack.
            lo, hi = stack_bounds(next_rbp)
        rbp = next_rbp
        count += 1
    if count == MAX_FRAMES:
        kprint("  ... (more frames not shown)")


