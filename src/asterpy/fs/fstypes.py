"""The file system types mount(2) knows: a new instance of each, by the name user space gives.

"proc" is procfs (every instance shows the same processes); "tmpfs" and "ramfs" are fresh,
empty in-memory file systems with their own superblock (and device number), whose files live in
kernel memory like the root's.
"""

from typing import Final

from asterpy.lang import SysError, u32, u64
from asterpy.lang.errno import ENODEV
from asterpy.fs.inode import DirInode, name_is
from asterpy.fs.devpts import pts_root
from asterpy.fs.procfs.nodes import new_proc_root
from asterpy.fs.superblock import RAMFS_MAGIC, ST_RELATIME, SuperBlock

TMPFS_MAGIC: Final = u64(0x01021994)
# Anonymous device numbers handed to new instances start here (0:16 is the root, 0:20 procfs).
FIRST_DYNAMIC_MINOR: Final = u32(32)

next_minor: u32 = 32


def new_fs_root(fstype: bytearray) -> DirInode:
    """The root directory of a new instance of file system type fstype (ENODEV if unknown)."""
    global next_minor
    if name_is(fstype, b"proc"):
        return new_proc_root()
    if name_is(fstype, b"devpts"):
        # One instance shared by every mount (as Linux's devpts without newinstance).
        return pts_root()
    magic = u64(0)
    perm = u32(0o755)
    name = b"ramfs"
    if name_is(fstype, b"tmpfs"):
        magic = TMPFS_MAGIC
        perm = u32(0o1777)
        name = b"tmpfs"
    elif name_is(fstype, b"ramfs"):
        magic = RAMFS_MAGIC
    else:
        raise SysError(ENODEV)
    r = DirInode(perm, None)
    r.sb = SuperBlock(name, magic, next_minor, ST_RELATIME)
    next_minor += 1
    return r
