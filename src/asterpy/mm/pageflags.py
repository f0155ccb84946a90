"""Arch-neutral mapping flags and the page-table geometry every arch shares (4 KiB pages, 512-entry tables)."""

from typing import Final

from asterpy.lang import u64

# Mapping flags. A mapping must be readable: no arch here has write- or execute-only pages.
READ: Final = u64(1)
WRITE: Final = u64(2)
EXEC: Final = u64(4)
USER: Final = u64(8)
GLOBAL: Final = u64(16)
NOCACHE: Final = u64(32)
ALL_FLAGS: Final = u64(63)

# x86_64 (4-level), riscv64 Sv39 and loongarch64 (3 levels, 4 KiB pages) all index their tables
# with 9 bits per level above a 12-bit page offset, and map large pages at level 1 (2 MiB). Only
# the number of levels differs: kernel_arch.ARCH_PT_LEVELS.
PAGE_SHIFT: Final = u64(12)
INDEX_BITS: Final = u64(9)
INDEX_MASK: Final = u64(511)
HUGE_LEVEL: Final = u64(1)
