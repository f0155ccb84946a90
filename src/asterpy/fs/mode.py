"""File modes, types and open flags: the Linux numbers (the same on every arch we build)."""

from typing import Final

from asterpy.lang import u32, u64

S_IFMT: Final = u32(0o170000)
S_IFSOCK: Final = u32(0o140000)
S_IFLNK: Final = u32(0o120000)
S_IFREG: Final = u32(0o100000)
S_IFBLK: Final = u32(0o060000)
S_IFDIR: Final = u32(0o040000)
S_IFCHR: Final = u32(0o020000)
S_IFIFO: Final = u32(0o010000)
S_ISUID: Final = u32(0o4000)
S_ISGID: Final = u32(0o2000)
S_ISVTX: Final = u32(0o1000)
PERM_MASK: Final = u32(0o7777)

# linux_dirent64.d_type values.
DT_UNKNOWN: Final = u32(0)
DT_FIFO: Final = u32(1)
DT_CHR: Final = u32(2)
DT_DIR: Final = u32(4)
DT_BLK: Final = u32(6)
DT_REG: Final = u32(8)
DT_LNK: Final = u32(10)
DT_SOCK: Final = u32(12)

# open(2) flags (asm-generic values; x86_64, riscv64 and loongarch64 agree).
O_ACCMODE: Final = u64(3)
O_RDONLY: Final = u64(0)
O_WRONLY: Final = u64(1)
O_RDWR: Final = u64(2)
O_CREAT: Final = u64(0o100)
O_EXCL: Final = u64(0o200)
O_NOCTTY: Final = u64(0o400)
O_TRUNC: Final = u64(0o1000)
O_APPEND: Final = u64(0o2000)
O_NONBLOCK: Final = u64(0o4000)
O_DSYNC: Final = u64(0o10000)
O_ASYNC: Final = u64(0o20000)
O_DIRECT: Final = u64(0o40000)
O_LARGEFILE: Final = u64(0o100000)
O_DIRECTORY: Final = u64(0o200000)
O_NOFOLLOW: Final = u64(0o400000)
O_NOATIME: Final = u64(0o1000000)
O_CLOEXEC: Final = u64(0o2000000)
O_SYNC: Final = u64(0o4010000)
O_PATH: Final = u64(0o10000000)
O_TMPFILE: Final = u64(0o20200000)
# Every flag open() accepts; the others are EINVAL (as openat2 would say; open ignores them on
# Linux, but an unknown bit here is more likely a bug than a new feature).
O_VALID: Final = (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_SYNC
                  | O_ASYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC
                  | O_PATH | O_TMPFILE)
# The status flags F_SETFL may change (the others are kept).
O_SETFL_MASK: Final = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME

# access(2) bits.
R_OK: Final = u32(4)
W_OK: Final = u32(2)
X_OK: Final = u32(1)


def dtype_of(mode: u32) -> u32:
    """The d_type getdents reports for a mode."""
    return (mode & S_IFMT) >> 12
