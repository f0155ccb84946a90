"""The user-visible struct layouts of the file syscalls (Linux's x86_64 ABI), in one place.

riscv64 and loongarch64 use the asm-generic `struct stat` (st_nlink a u32 after st_mode,
st_blksize an i32, 128 bytes) where x86_64 has its own 144-byte one; statx, linux_dirent64,
iovec, pollfd and timespec are the same on all three. `put_stat` is the one place that will pick
a layout when the other arches get user mode.
"""

from typing import Final

from asterpy.lang import Array, Ptr, SysError, i32, i64, memset, struct, u8, u16, u32, u64
from asterpy.lang.errno import ENOMEM
from asterpy.fs.superblock import ST_VALID, SuperBlock
from asterpy.mm.heap import kfree, kmalloc
from asterpy.fs.context import FsCaller


@struct
class StatX86:
    """x86_64 struct stat (144 bytes)."""

    st_dev: u64
    st_ino: u64
    st_nlink: u64
    st_mode: u32
    st_uid: u32
    st_gid: u32
    pad0: u32
    st_rdev: u64
    st_size: i64
    st_blksize: i64
    st_blocks: i64
    st_atime: i64
    st_atime_nsec: i64
    st_mtime: i64
    st_mtime_nsec: i64
    st_ctime: i64
    st_ctime_nsec: i64
    unused: Array[i64, 3]


@struct
class StatxTimestamp:
    """struct statx_timestamp (16 bytes)."""

    tv_sec: i64
    tv_nsec: u32
    reserved: i32


@struct
class Statx:
    """struct statx (256 bytes)."""

    stx_mask: u32
    stx_blksize: u32
    stx_attributes: u64
    stx_nlink: u32
    stx_uid: u32
    stx_gid: u32
    stx_mode: u16
    spare0: u16
    stx_ino: u64
    stx_size: u64
    stx_blocks: u64
    stx_attributes_mask: u64
    stx_atime: StatxTimestamp
    stx_btime: StatxTimestamp
    stx_ctime: StatxTimestamp
    stx_mtime: StatxTimestamp
    stx_rdev_major: u32
    stx_rdev_minor: u32
    stx_dev_major: u32
    stx_dev_minor: u32
    stx_mnt_id: u64
    stx_dio_mem_align: u32
    stx_dio_offset_align: u32
    spare3: Array[u64, 12]


# linux_dirent64: d_ino u64, d_off i64, d_reclen u16, d_type u8, then the NUL-terminated name;
# each record is padded to 8 bytes.
DIRENT_HEADER: Final = u64(19)
IOVEC_SIZE: Final = u64(16)
TIMESPEC_SIZE: Final = u64(16)
POLLFD_SIZE: Final = u64(8)
STAT_SIZE: Final = u64(144)
STATX_SIZE: Final = u64(256)
# struct statfs is 15 longs on x86_64 (f_fsid, two ints, is word 7); the asm-generic one is
# laid out the same on 64-bit arches.
STATFS_SIZE: Final = u64(120)


def kscratch(n: u64) -> u64:
    """n bytes of kernel memory for a struct on its way out (ENOMEM); kfree it after."""
    k = kmalloc(n)
    if k == 0:
        raise SysError(ENOMEM)
    return k


def put_stat(p: FsCaller, va: u64, st: StatX86) -> None:
    """Copy a struct stat out to user address va (EFAULT)."""
    k = kscratch(STAT_SIZE)
    Ptr[StatX86](k).store(st)
    try:
        p.copy_out(va, k, STAT_SIZE)
    finally:
        kfree(k)


def put_statx(p: FsCaller, va: u64, st: Statx) -> None:
    """Copy a struct statx out to user address va (EFAULT)."""
    k = kscratch(STATX_SIZE)
    Ptr[Statx](k).store(st)
    try:
        p.copy_out(va, k, STATX_SIZE)
    finally:
        kfree(k)


def put_u32(p: FsCaller, va: u64, v: u32) -> None:
    """Store a u32 at user address va (EFAULT, nothing written then)."""
    p.check_user(va, u64(4), True)
    for i in range(u64(0), u64(4)):
        p.put_byte(va + i, u8(v >> u32(8 * i)))


def get_u32(p: FsCaller, va: u64) -> u32:
    """The u32 at user address va (EFAULT)."""
    return p.get_u32(va)


def put_statfs(p: FsCaller, va: u64, sb: SuperBlock, flags: u64) -> None:
    """Copy the struct statfs of file system sb mounted with ST_* flags (its magic; sizes and
    counts from the file system: none for the memory file systems) out to user address va (EFAULT)."""
    k = kscratch(STATFS_SIZE)
    try:
        memset(k, 0, STATFS_SIZE)
        w = Ptr[u64](k)
        w[0] = sb.magic         # f_type
        sb.fill_statfs(w)       # f_bsize, f_blocks..f_ffree, f_fsid, f_namelen, f_frsize
        w[10] = sb.flags | flags | ST_VALID   # f_flags (ST_*; Linux always sets ST_VALID)
        p.copy_out(va, k, STATFS_SIZE)
    finally:
        kfree(k)
