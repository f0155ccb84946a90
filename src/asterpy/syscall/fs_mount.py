"""mount(2) and umount2(2): new proc, tmpfs, ramfs and ext2 instances on directories, and taking them off.

Only new mounts are made (MS_REMOUNT, MS_BIND, MS_MOVE and the propagation changes are EINVAL
for now); MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC and the atime flags are kept and shown in
/proc/mounts. MS_RDONLY makes writes EROFS on the new ramfs/tmpfs/ext2 instances (fs/vfs.py
check_writable; proc and devpts share one instance between mounts, so their MS_RDONLY is only
shown). umount writes an ext2 back.
"""

from typing import Final

from asterpy.lang import SysError, i32, kwarn, u64
from asterpy.lang.errno import EINVAL, ENOTDIR, EPERM
from asterpy.fs.fstypes import new_fs_root
from asterpy.fs.inode import DirInode
from asterpy.fs.ext2.nodes import EXT2_SUPER_MAGIC
from asterpy.fs.mount import mount_at, sb_mounted, umount_root
from asterpy.fs.path import copy_path_in
from asterpy.fs.superblock import ST_NODEV, ST_NOEXEC, ST_NOSUID, ST_RDONLY, ST_RELATIME
from asterpy.syscall.fs_common import AT_FDCWD, inode_at, proc

MS_RDONLY: Final = u64(1)
MS_NOSUID: Final = u64(2)
MS_NODEV: Final = u64(4)
MS_NOEXEC: Final = u64(8)
MS_REMOUNT: Final = u64(32)
MS_NOATIME: Final = u64(1024)
MS_NODIRATIME: Final = u64(2048)
MS_BIND: Final = u64(4096)
MS_MOVE: Final = u64(8192)
MS_SILENT: Final = u64(32768)
MS_RELATIME: Final = u64(1 << 21)
MS_STRICTATIME: Final = u64(1 << 24)
MS_MGC_MASK: Final = u64(0xFFFF0000)
MS_MGC_VAL: Final = u64(0xC0ED0000)
# The flags a new mount may carry.
MS_NEW_OK: Final = (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_SILENT
                    | MS_RELATIME | MS_STRICTATIME)
MNT_FORCE: Final = u64(1)
MNT_DETACH: Final = u64(2)
MNT_EXPIRE: Final = u64(4)
UMOUNT_NOFOLLOW: Final = u64(8)


def mount_flags_to_st(flags: u64) -> u64:
    """The ST_* flags /proc/mounts shows for MS_* flags (relatime unless noatime/strictatime)."""
    st = u64(0)
    if (flags & MS_RDONLY) != 0:
        st |= ST_RDONLY
    if (flags & MS_NOSUID) != 0:
        st |= ST_NOSUID
    if (flags & MS_NODEV) != 0:
        st |= ST_NODEV
    if (flags & MS_NOEXEC) != 0:
        st |= ST_NOEXEC
    if (flags & (MS_NOATIME | MS_STRICTATIME)) == 0:
        st |= ST_RELATIME
    return st


def sys_mount(usource: u64, utarget: u64, ufstype: u64, flags: u64, data: u64) -> u64:
    """mount(2): EPERM unless root, ENOENT/ENOTDIR for the target, ENODEV for an unknown type,
    EINVAL for the operations not done yet (remount, bind, move, propagation)."""
    p = proc()
    if p.uid != 0:
        raise SysError(EPERM)
    if (flags & MS_MGC_MASK) == MS_MGC_VAL:
        flags = flags & ~MS_MGC_MASK
    target = inode_at(p, u64(i32(AT_FDCWD)), utarget, u64(0), True)
    if isinstance(target, DirInode):
        if (flags & ~MS_NEW_OK) != 0:
            raise SysError(EINVAL)
        fstype = copy_path_in(p, ufstype)
        source = bytearray(0)
        if usource != 0:
            source = copy_path_in(p, usource)
        st = mount_flags_to_st(flags)
        root = new_fs_root(fstype, source, st)
        if root.sb.magic != EXT2_SUPER_MAGIC:
            root.uid = target.uid
        mount_at(target, root, source, st)
    else:
        raise SysError(ENOTDIR)
    return u64(0)


def sys_umount2(utarget: u64, flags: u64) -> u64:
    """umount2(2): EPERM unless root, EINVAL for unknown flags or a target that is not a mount's
    root, EBUSY while something is mounted on or inside it (MNT_DETACH: those go too)."""
    p = proc()
    if p.uid != 0:
        raise SysError(EPERM)
    if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW)) != 0:
        raise SysError(EINVAL)
    if (flags & MNT_EXPIRE) != 0 and (flags & (MNT_FORCE | MNT_DETACH)) != 0:
        raise SysError(EINVAL)
    target = inode_at(p, u64(i32(AT_FDCWD)), utarget, u64(0), (flags & UMOUNT_NOFOLLOW) == 0)
    if isinstance(target, DirInode):
        # umount_root: EINVAL unless target is a mount's root; MNT_DETACH takes the mounts inside too.
        sb = target.sb
        umount_root(target, (flags & MNT_DETACH) != 0)
        if not sb_mounted(sb):
            try:
                sb.unmounted()
            except SysError:
                # The mount is gone either way (as on Linux); the write-back error was logged.
                kwarn("umount: could not write the file system back")
    else:
        raise SysError(EINVAL)
    return u64(0)


def syscall_mount(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of mount(2)."""
    return sys_mount(a0, a1, a2, a3, a4)


def syscall_umount2(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of umount2(2)."""
    return sys_umount2(a0, a1)
