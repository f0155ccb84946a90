"""loongarch64 backtraces: the frame-pointer chain (fp (r22) points at the frame's top), named from the embedded table.

The walk and the table reader are arch-neutral (src/asterpy/kernel/ksyms.py); this module only knows
where the table and the boot stack are.
"""

from asterpy.kernel.ksyms import print_fp_chain
from asterpy.lang import u64
from asterpy.lang.intrinsics import asm_u64


def ksyms_table() -> u64:
    """Address of the embedded symbol table."""
    return asm_u64("la.pcrel $0, asterpy_ksyms", "=r")


def print_backtrace(pc: u64, fp: u64, exact: bool) -> None:
    """Print `backtrace:` and the frames from pc up the chain that starts at fp (on the boot stack)."""
    lo = asm_u64("la.pcrel $0, asterpy_boot_stack_bottom", "=r")
    hi = asm_u64("la.pcrel $0, asterpy_boot_stack_top", "=r")
    if not (lo <= fp and fp <= hi):
        lo = u64(0)
        hi = u64(0)
    print_fp_chain(ksyms_table(), pc, fp, exact, lo, hi)
