"""The file system types mount(2) knows: a new instance of each, by the name user space gives.

"proc" is procfs (every instance shows the same processes); "tmpfs" and "ramfs" are fresh,
empty in-memory file systems with their own superblock (and device number), whose files live in
kernel memory like the root's; "ext2" reads a registered block device named by the source's last
component (/dev/vda -> vda).
"""

from typing import Final

from asterpy.lang import SysError, u32, u64
from asterpy.lang.errno import EACCES, EBUSY, ENODEV, ENOENT
import asterpy.drivers.block as block
from asterpy.drivers.block import BlockDevice
from asterpy.fs.ext2.disk import Ext2Fs
from asterpy.fs.ext2.nodes import Ext2Super, ext2_mount
from asterpy.fs.mount import mount_table
from asterpy.fs.inode import DirInode, name_is
from asterpy.fs.devpts import pts_root
from asterpy.fs.procfs.nodes import new_proc_root
from asterpy.fs.superblock import RAMFS_MAGIC, ST_RDONLY, ST_RELATIME, SuperBlock

TMPFS_MAGIC: Final = u64(0x01021994)
# Anonymous device numbers handed to new instances start here (0:16 is the root, 0:20 procfs).
FIRST_DYNAMIC_MINOR: Final = u32(32)

next_minor: u32 = 32


def device_named(source: bytearray) -> BlockDevice | None:
    """The registered block device called by the last component of source (/dev/vda -> vda)."""
    start = 0
    for i in range(0, len(source)):
        if source[i] == 0x2F:
            start = i + 1
    devs = block.block_devices
    if devs is None:
        return None
    for dev in devs:
        if len(dev.name) == len(source) - start:
            same = True
            for i in range(0, len(dev.name)):
                if dev.name[i] != source[start + i]:
                    same = False
            if same:
                return dev
    return None


def new_ext2_root(source: bytearray, st_flags: u64) -> DirInode:
    """The root of the ext2 on the block device source names (ENOENT: no such device; EBUSY:
    already mounted; EACCES: a read-only device mounted read-write; EINVAL: not ext2; EUCLEAN:
    corrupted)."""
    global next_minor
    dev = device_named(source)
    if dev is None:
        raise SysError(ENOENT)
    for m in mount_table().mounts:
        sb = m.sb()
        if isinstance(sb, Ext2Super) and sb.fs.dev is dev:
            # One file system per disk: a second instance would overwrite the first's metadata.
            raise SysError(EBUSY)
    ro = (st_flags & ST_RDONLY) != 0
    if dev.read_only() and not ro:
        raise SysError(EACCES)
    root = ext2_mount(Ext2Fs(dev, ro), next_minor, ST_RELATIME)
    next_minor += 1
    # ext2 has no lock of its own yet: its requests are polled, so no task runs mid-operation.
    dev.no_sleep = True
    return root


def new_fs_root(fstype: bytearray, source: bytearray, st_flags: u64) -> DirInode:
    """The root directory of a new instance of file system type fstype from source with ST_*
    flags (ENODEV if the type is unknown)."""
    global next_minor
    if name_is(fstype, b"ext2"):
        return new_ext2_root(source, st_flags)
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
    r.sb = SuperBlock(name, magic, next_minor, ST_RELATIME | (st_flags & ST_RDONLY))
    next_minor += 1
    return r
