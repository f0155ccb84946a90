"""riscv64's free-running counter for asterpy.kernel.time (imported as `kernel_counter`, like kernel_arch): the time CSR."""

from asterpy.lang import u64
from asterpy.lang.intrinsics import asm_u64


def read_counter() -> u64:
    """The time CSR (rdtime), counting at the FDT's timebase-frequency."""
    return asm_u64("rdtime $0", "=r")
