"""The vvar page's layout: what the kernel writes (kernel.vvar) and the vDSO reads (vdso.clock)."""

from typing import Final

from asterpy.lang import u64

# One page, read-only for user space, mapped right before the vDSO's image. Every field is a u64
# at a fixed offset. `seq` is a sequence counter: the kernel makes it odd, writes the fields, then
# makes it even again; a reader that sees the same even value before and after its reads has a
# consistent snapshot.
VVAR_SEQ: Final = u64(0)
# The clock: monotonic ns = (tsc - BASE_CYCLES) * MULT >> MULT_SHIFT, exactly kernel.time's formula.
VVAR_BASE_CYCLES: Final = u64(8)
VVAR_MULT: Final = u64(16)
# CLOCK_REALTIME = monotonic + REALTIME_BASE (mod 2**64), moved by settimeofday and clock_settime.
VVAR_REALTIME_BASE: Final = u64(24)
# CLOCK_MONOTONIC at the last timer tick (the coarse clocks).
VVAR_COARSE_NS: Final = u64(32)
# 1 when the fields above hold a running clock, else 0 (for debuggers and tools: the vDSO itself
# tests MULT, which is 0 exactly when no clock runs, and then falls back to the system call).
VVAR_ENABLED: Final = u64(40)
VVAR_PAGE_BYTES: Final = u64(4096)
