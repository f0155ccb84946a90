"""TextBuf: a growable byte buffer in kernel memory that /proc's contents are written into.

A /proc file's text is made once when the file is opened (or first read) and reads and seeks then
walk over that snapshot, as Linux's seq files do; the helpers format numbers the way Linux's
printk formats do (%u, %d, %x with zero padding, right-aligned fields).
"""

from typing import Final

from asterpy.lang import Ptr, SysError, i64, memcpy, u8, u64
from asterpy.lang.errno import ENOMEM
from asterpy.mm.heap import kfree, krealloc

FIRST_CAP: Final = u64(256)
# The largest /proc file we make (a process's maps or a directory of many fds stay far below).
MAX_TEXT: Final = u64(1) << 22
HEX_DIGITS: Final = b"0123456789abcdef"
SPACE: Final = u8(0x20)
ZERO: Final = u8(0x30)


class TextBuf:
    """Bytes at kernel address `addr` (0 while empty), `length` of them used, `cap` allocated."""

    addr: u64
    length: u64
    cap: u64

    def __init__(self) -> None:
        """An empty buffer (no memory until the first byte)."""
        self.addr = u64(0)
        self.length = u64(0)
        self.cap = u64(0)

    def __del__(self) -> None:
        """Give the memory back with the last reference."""
        if self.addr != 0:
            kfree(self.addr)

    def reserve(self, more: u64) -> None:
        """Room for `more` bytes after the used ones (ENOMEM)."""
        need = self.length + more
        if need <= self.cap:
            return
        if need > MAX_TEXT:
            raise SysError(ENOMEM)
        cap = self.cap
        if cap == 0:
            cap = FIRST_CAP
        while cap < need:
            cap = cap * 2
        a = krealloc(self.addr, self.length, cap)
        if a == 0:
            raise SysError(ENOMEM)
        self.addr = a
        self.cap = cap

    def byte(self, c: u8) -> None:
        """Append one byte."""
        self.reserve(u64(1))
        Ptr[u8](self.addr + self.length).store(c)
        self.length += 1

    def put(self, s: bytes) -> None:
        """Append the bytes of s."""
        self.reserve(u64(len(s)))
        for c in s:
            Ptr[u8](self.addr + self.length).store(c)
            self.length += 1

    def put_name(self, s: bytearray) -> None:
        """Append the bytes of s (a name or path)."""
        self.reserve(u64(len(s)))
        for c in s:
            Ptr[u8](self.addr + self.length).store(c)
            self.length += 1

    def put_mem(self, kaddr: u64, n: u64) -> None:
        """Append n bytes from kernel address kaddr."""
        self.reserve(n)
        memcpy(self.addr + self.length, kaddr, n)
        self.length += n

    def at(self, i: u64) -> u8:
        """The byte at offset i (inside the used part)."""
        return Ptr[u8](self.addr + i).load()

    def dec_width(self, v: u64, width: u64, fill: u8) -> None:
        """v in decimal, right-aligned in width characters with fill before it."""
        n = u64(1)
        t = v
        while t >= 10:
            t = t // 10
            n += 1
        pad = u64(0)
        if width > n:
            pad = width - n
        self.reserve(pad + n)
        for _ in range(u64(0), pad):
            Ptr[u8](self.addr + self.length).store(fill)
            self.length += 1
        digits = Ptr[u8](self.addr + self.length)
        t = v
        i = n
        while i > 0:
            i -= 1
            digits[i] = u8(0x30 + t % 10)
            t = t // 10
        self.length += n

    def dec(self, v: u64) -> None:
        """v in decimal (%llu)."""
        self.dec_width(v, u64(0), SPACE)

    def sdec(self, v: i64) -> None:
        """v in decimal with a minus sign when negative (%lld)."""
        if v < 0:
            self.byte(u8(0x2D))
            self.dec(u64(0) - u64(v))
        else:
            self.dec(u64(v))

    def rdec(self, v: u64, width: u64) -> None:
        """v in decimal right-aligned in width columns (%*llu)."""
        self.dec_width(v, width, SPACE)

    def hex_width(self, v: u64, width: u64) -> None:
        """v in lower-case hex, zero-padded to width digits (%0*llx)."""
        n = u64(1)
        t = v >> 4
        while t != 0:
            t = t >> 4
            n += 1
        if width > n:
            n = width
        self.reserve(n)
        i = n
        t = v
        while i > 0:
            i -= 1
            Ptr[u8](self.addr + self.length + i).store(HEX_DIGITS[t & 15])
            t = t >> 4
        self.length += n

    def oct(self, v: u64) -> None:
        """v in octal without a prefix (%o)."""
        n = u64(1)
        t = v >> 3
        while t != 0:
            t = t >> 3
            n += 1
        self.reserve(n)
        i = n
        t = v
        while i > 0:
            i -= 1
            Ptr[u8](self.addr + self.length + i).store(u8(0x30) + u8(t & 7))
            t = t >> 3
        self.length += n

    def frac2(self, hundredths: u64) -> None:
        """A value given in hundredths as "N.NN" (uptime, loadavg)."""
        self.dec(hundredths // 100)
        self.byte(u8(0x2E))
        self.dec_width(hundredths % 100, u64(2), ZERO)

    def kb_line(self, key: bytes, kib: u64) -> None:
        """A meminfo line: "key:" padded to 16 columns, kib right-aligned in 8 more, then " kB"."""
        self.put(key)
        self.byte(u8(0x3A))
        pad = u64(0)
        if u64(len(key)) + 1 < 16:
            pad = 16 - (u64(len(key)) + 1)
        for _ in range(u64(0), pad):
            self.byte(SPACE)
        self.rdec(kib, u64(8))
        self.put(b" kB\n")

    def status_kb(self, key: bytes, kib: u64) -> None:
        """A /proc/PID/status memory line: "key:\t" then kib right-aligned in 8 columns, " kB"."""
        self.put(key)
        self.put(b":\t")
        self.rdec(kib, u64(8))
        self.put(b" kB\n")
