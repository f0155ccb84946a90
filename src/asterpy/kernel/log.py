"""Kernel log output beyond kprint(): raw bytes from memory (command lines, module names)."""

from typing import Final

from asterpy.lang import Ptr, u8, u64
from asterpy.lang.linkage import extern

CH_NL: Final = u8(0x0A)


# The arch console's single-byte writer. The symbol is an alias that the kernel link defines
# (translator/build.py: --defsym=asterpy_log_putc=kpy_console_putc): the translator cannot yet
# declare an @extern whose symbol another module of the same program @exports (the two
# functions collide in the one LLVM module), so the extern names a different symbol.
@extern("asterpy_log_putc")
def console_putc(c: u8) -> None:
    """Write one byte to the kernel console (LF becomes CR LF on serial lines)."""
    ...


def log_bytes(addr: u64, n: u64) -> None:
    """Write n bytes at virtual address addr, replacing control characters by '?'."""
    p = Ptr[u8](addr)
    for i in range(u64(0), n):
        c = p[i]
        if c < 0x20 or c >= 0x7F:
            console_putc(u8(0x3F))
        else:
            console_putc(c)


def log_newline() -> None:
    """End the current line."""
    console_putc(CH_NL)


def cstr_len(addr: u64, limit: u64) -> u64:
    """Length of the NUL-terminated string at virtual address addr, at most limit."""
    p = Ptr[u8](addr)
    n = u64(0)
    while n < limit and p[n] != 0:
        n += 1
    return n
