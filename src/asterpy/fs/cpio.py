"""Reader of cpio "newc" archives (the initramfs format) held in memory, in Kernel Python.

Format (the `newc` and `crc` formats of cpio(5)): each entry is a 110-byte ASCII header, the
magic "070701" (or "070702", whose check field is the sum of a regular file's data bytes), then
thirteen 8-digit hex fields; then the NUL-terminated name, padded with NULs so that header +
name ends on a multiple of 4; then the file data (a symlink's data is its target), padded to a
multiple of 4.  The entry named "TRAILER!!!" ends the archive; CpioReader.next_archive skips the
zero padding after it (cpio pads to 512 bytes) to a concatenated next archive.

The archive is untrusted (it comes from the boot loader or a disk).  Every offset is compared
with the archive size before the bytes are read, in a form that cannot wrap, so a malformed
archive raises SysError(EINVAL) and nothing outside [base, base + size) is ever touched.
Offsets, and the padding, count from the start of the archive; all reads are byte loads, so
the archive itself needs no alignment.
"""

from typing import Final

from asterpy.lang import Ptr, SysError, struct, u8, u32, u64
from asterpy.lang.errno import EINVAL

HEADER_SIZE: Final = u64(110)
FIELD_DIGITS: Final = u64(8)
MAGIC_NEWC: Final = u32(0x070701)       # the six magic digits read as hex
MAGIC_CRC: Final = u32(0x070702)

# "TRAILER!!!" with its NUL: 11 bytes, packed little-endian as 8 + 3.
TRAILER_LEN: Final = u64(11)
TRAILER_W0: Final = u64(0x2152454C49415254)    # "TRAILER!"
TRAILER_W1: Final = u64(0x00002121)            # "!!\0"

# File types in mode (the st_mode values of stat(2)).
S_IFMT: Final = u32(0o170000)
S_IFSOCK: Final = u32(0o140000)
S_IFLNK: Final = u32(0o120000)
S_IFREG: Final = u32(0o100000)
S_IFBLK: Final = u32(0o060000)
S_IFDIR: Final = u32(0o040000)
S_IFCHR: Final = u32(0o020000)
S_IFIFO: Final = u32(0o010000)


@struct
class CpioEntry:
    """One archive member; addresses point into the archive, sizes are in bytes."""

    off: u64            # offset of its header from the archive start
    next: u64           # offset of the following header
    ino: u32
    mode: u32
    uid: u32
    gid: u32
    nlink: u32
    mtime: u32
    dev_major: u32
    dev_minor: u32
    rdev_major: u32
    rdev_minor: u32
    check: u32
    name: u64           # address of the name (not NUL-terminated in name_len)
    name_len: u64       # without the NUL
    data: u64           # address of the file data
    size: u64
    trailer: bool       # the "TRAILER!!!" entry: the end of the archive


def hex_digit(c: u8) -> u32:
    """The value of one ASCII hex digit; EINVAL for anything else."""
    if c >= 0x30 and c <= 0x39:
        return u32(c - 0x30)
    if c >= 0x61 and c <= 0x66:
        return u32(c - 0x61 + 10)
    if c >= 0x41 and c <= 0x46:
        return u32(c - 0x41 + 10)
    raise SysError(EINVAL)


def parse_hex(addr: u64, digits: u64) -> u32:
    """The number written as `digits` hex digits (at most 8) at addr; EINVAL if not hex."""
    p = Ptr[u8](addr)
    v = u32(0)
    i = u64(0)
    while i < digits:
        v = (v << 4) | hex_digit(p[i])
        i += 1
    return v


def align4(x: u64) -> u64:
    """x rounded up to a multiple of 4 (offsets here stay far below 2**64)."""
    return (x + 3) & ~u64(3)


def field(addr: u64, index: u64) -> u32:
    """Header field number `index` (0 = c_ino ... 12 = c_check) of the header at addr."""
    return parse_hex(addr + 6 + index * FIELD_DIGITS, FIELD_DIGITS)


def is_trailer(name: u64, namesize: u64) -> bool:
    """True if the namesize bytes at name are "TRAILER!!!" and its NUL."""
    if namesize != TRAILER_LEN:
        return False
    p = Ptr[u8](name)
    i = u64(0)
    while i < TRAILER_LEN:
        if i < 8:
            want = u8(TRAILER_W0 >> (i * 8))
        else:
            want = u8(TRAILER_W1 >> ((i - 8) * 8))
        if p[i] != want:
            return False
        i += 1
    return True


def data_sum(addr: u64, size: u64) -> u32:
    """The "crc" format's checksum: the sum of the data bytes, modulo 2**32."""
    p = Ptr[u8](addr)
    total = u32(0)
    i = u64(0)
    while i < size:
        total += u32(p[i])
        i += 1
    return total


def cpio_entry_at(base: u64, size: u64, off: u64) -> CpioEntry:
    """Parse the entry whose header is at offset off of the archive (base, size); EINVAL if bad."""
    # Both sides of each comparison stay below size + 2**33, so nothing wraps.
    if (off & 3) != 0 or off > size or size - off < HEADER_SIZE:
        raise SysError(EINVAL)
    h = base + off
    magic = parse_hex(h, u64(6))
    if magic != MAGIC_NEWC and magic != MAGIC_CRC:
        raise SysError(EINVAL)
    e = CpioEntry()
    e.off = off
    e.ino = field(h, u64(0))
    e.mode = field(h, u64(1))
    e.uid = field(h, u64(2))
    e.gid = field(h, u64(3))
    e.nlink = field(h, u64(4))
    e.mtime = field(h, u64(5))
    e.size = u64(field(h, u64(6)))
    e.dev_major = field(h, u64(7))
    e.dev_minor = field(h, u64(8))
    e.rdev_major = field(h, u64(9))
    e.rdev_minor = field(h, u64(10))
    namesize = u64(field(h, u64(11)))
    e.check = field(h, u64(12))
    # The name must hold at least its NUL, fit in the archive and end with that NUL.
    name_off = off + HEADER_SIZE
    if namesize == 0 or namesize > size - name_off:
        raise SysError(EINVAL)
    e.name = base + name_off
    e.name_len = namesize - 1
    if Ptr[u8](e.name)[e.name_len] != 0:
        raise SysError(EINVAL)
    e.trailer = is_trailer(e.name, namesize)
    data_off = align4(name_off + namesize)
    if e.size == 0:
        # An empty entry (often the trailer, at the very end) needs no bytes after its name.
        if data_off > size:
            data_off = size
    elif data_off > size or e.size > size - data_off:
        raise SysError(EINVAL)
    e.data = base + data_off
    e.next = align4(data_off + e.size)
    # GNU cpio writes a zero check for symlinks, so only regular files carry a sum.
    if magic == MAGIC_CRC and (e.mode & S_IFMT) == S_IFREG:
        if data_sum(e.data, e.size) != e.check:
            raise SysError(EINVAL)
    return e


class CpioReader:
    """Walks the entries of an archive in order: next_entry() until done is True."""

    base: u64
    size: u64
    pos: u64
    done: bool

    def __init__(self, base: u64, size: u64) -> None:
        """Start at the first entry of the archive at (base, size)."""
        self.base = base
        self.size = size
        self.pos = u64(0)
        self.done = False

    def next_entry(self) -> CpioEntry:
        """The next entry (the trailer last, which sets done); EINVAL if malformed or finished."""
        if self.done:
            raise SysError(EINVAL)
        e = cpio_entry_at(self.base, self.size, self.pos)
        self.pos = e.next
        if e.trailer:
            self.done = True
        return e

    def next_archive(self) -> bool:
        """After a trailer, skip the zero words that may separate concatenated archives (an
        initramfs may be several); True if another archive follows, to read with next_entry."""
        if not self.done:
            raise SysError(EINVAL)
        p = Ptr[u8](self.base)
        while self.pos < self.size:
            if p[self.pos] != 0:
                self.done = False
                return True
            self.pos += 1
        return False


def cpio_count(base: u64, size: u64) -> u64:
    """The number of entries before the trailer; EINVAL if the archive is malformed."""
    r = CpioReader(base, size)
    n = u64(0)
    while True:
        e = r.next_entry()
        if e.trailer:
            return n
        n += 1
