"""loongarch64's free-running counter for asterpy.kernel.time (imported as `kernel_counter`, like kernel_arch): the stable counter."""

from asterpy.lang import u64
from asterpy.lang.intrinsics import asm_u64


def read_counter() -> u64:
    """The stable counter (rdtime.d)."""
    return asm_u64("rdtime.d $0, $$zero", "=r")
