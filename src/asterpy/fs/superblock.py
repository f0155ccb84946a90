"""A mounted file system's identity: its type name, statfs magic and device number.

Every inode points at the SuperBlock of the file system it belongs to, so stat's st_dev and
statfs's f_type answer for the file system a path really is on (the ramfs, procfs, later disk
file systems). Nothing here knows about the tree: mount.py joins file systems into one name space.
"""

from typing import Final

from asterpy.lang import Ptr, SysError, u32, u64
from asterpy.lang.errno import ENOSPC

RAMFS_MAGIC: Final = u64(0x858458F6)
PROC_SUPER_MAGIC: Final = u64(0x9FA0)
# Block size and longest name statfs reports for the memory file systems.
MEM_BLOCK_SIZE: Final = u64(4096)
MEM_NAME_MAX: Final = u64(255)
# MS_RDONLY etc. as statfs's f_flags reports them (ST_*), and mount flags.
ST_RDONLY: Final = u64(1)
ST_NOSUID: Final = u64(2)
ST_NODEV: Final = u64(4)
ST_NOEXEC: Final = u64(8)
ST_RELATIME: Final = u64(4096)
ST_VALID: Final = u64(0x20)          # statfs: f_flags is filled in


class SuperBlock:
    """One file system instance: type name (as /proc/filesystems and /proc/mounts spell it), statfs
    magic, the anonymous device number 0:dev_minor its inodes report as st_dev, and flags (ST_*)."""

    fstype: bytes
    magic: u64
    dev_minor: u32
    flags: u64
    # File data pages held by its files, and the most it may hold (0: no limit, as Linux's
    # ramfs; tmpfs and the root have a limit, ENOSPC past it: statfs reports both).
    pages_used: u64
    pages_max: u64

    def __init__(self, fstype: bytes, magic: u64, dev_minor: u32, flags: u64) -> None:
        """A file system of type fstype with statfs magic, device 0:dev_minor and ST_* flags."""
        self.fstype = fstype
        self.magic = magic
        self.dev_minor = dev_minor
        self.flags = flags
        self.pages_used = u64(0)
        self.pages_max = default_size_pages if fstype_is_tmpfs(fstype) else u64(0)

    def charge_page(self) -> None:
        """Count one more data page; ENOSPC if the file system is full."""
        if self.pages_max != 0 and self.pages_used >= self.pages_max:
            raise SysError(ENOSPC)
        self.pages_used += 1

    def uncharge_page(self) -> None:
        """Count one data page less."""
        if self.pages_used != 0:
            self.pages_used -= 1

    def sync_fs(self) -> None:
        """Write everything dirty back to the device (memory file systems have nothing to write)."""
        return

    def fill_statfs(self, w: Ptr[u64]) -> None:
        """Fill struct statfs's sizes and counts (w[1] f_bsize ... w[9] f_frsize; zeroed before):
        memory file systems report 4 KiB blocks and 255-byte names; block counts only when their
        size is limited (tmpfs, the root), as the limit and what their files hold, in pages."""
        w[1] = MEM_BLOCK_SIZE
        if self.pages_max != 0:
            free = self.pages_max - self.pages_used if self.pages_used < self.pages_max else u64(0)
            w[2] = self.pages_max     # f_blocks
            w[3] = free               # f_bfree
            w[4] = free               # f_bavail
        w[8] = MEM_NAME_MAX
        w[9] = MEM_BLOCK_SIZE

    def unmounted(self) -> None:
        """The last mount of this file system went away (a disk file system writes back)."""
        return

    def st_dev(self) -> u64:
        """The st_dev of its inodes (major 0: an anonymous device, as Linux gives memory file systems)."""
        return u64(self.dev_minor)


# The size limit of tmpfs mounts and of the root, in pages (set at boot by set_default_size:
# half of memory, as Linux's tmpfs; 0 until then, i.e. no limit).
default_size_pages: u64 = u64(0)


def fstype_is_tmpfs(fstype: bytes) -> bool:
    """Whether fstype is b"tmpfs"."""
    t = b"tmpfs"
    if len(fstype) != len(t):
        return False
    for i in range(0, len(t)):
        if fstype[i] != t[i]:
            return False
    return True


def set_default_size(pages: u64) -> None:
    """Make pages the size of the root and of later tmpfs mounts (the composition root, at boot)."""
    global default_size_pages
    default_size_pages = pages
    ramfs_super().pages_max = pages


# The one ramfs holding the root (created on first use).
ramfs_sb: SuperBlock | None = None


def ramfs_super() -> SuperBlock:
    """The superblock of the root ramfs (device 0:16, as RAMFS_DEV has always said)."""
    global ramfs_sb
    s = ramfs_sb
    if s is None:
        s = SuperBlock(b"ramfs", RAMFS_MAGIC, u32(16), ST_RELATIME)
        ramfs_sb = s
    return s
