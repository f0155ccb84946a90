"""Helpers shared by the file syscalls: the running process, fd and dirfd arguments, user paths."""

from typing import Final

from asterpy.lang import SysError, i32, u32, u64
from asterpy.lang.errno import EBADF, EINVAL, ENOENT, ENOTDIR, ESRCH
from asterpy.fs.file import File
from asterpy.fs.inode import DirInode, Inode
from asterpy.fs.path import SLASH, copy_path_in
from asterpy.fs.vfs import lookup
from asterpy.task.process import Process, current_process

AT_FDCWD: Final = i32(-100)
AT_SYMLINK_NOFOLLOW: Final = u64(0x100)
AT_REMOVEDIR: Final = u64(0x200)
AT_EACCESS: Final = u64(0x200)
AT_SYMLINK_FOLLOW: Final = u64(0x400)
AT_NO_AUTOMOUNT: Final = u64(0x800)
AT_EMPTY_PATH: Final = u64(0x1000)
AT_STATX_SYNC_TYPE: Final = u64(0x6000)
# Linux caps one read or write at this many bytes (INT_MAX rounded down to a page).
MAX_RW_COUNT: Final = u64(0x7FFFF000)


def proc() -> Process:
    """The running process (ESRCH if there is none: a syscall always has one)."""
    p = current_process()
    if p is None:
        raise SysError(ESRCH)
    return p


def fd_num(a: u64) -> u64:
    """A file descriptor argument (an int): EBADF when negative."""
    v = i32(a)
    if v < 0:
        raise SysError(EBADF)
    return u64(v)


def get_file(p: Process, a: u64) -> File:
    """The open File of descriptor argument a (EBADF)."""
    return p.files.get(fd_num(a))


def dir_of_fd(p: Process, dirfd: u64) -> DirInode:
    """The directory a dirfd argument names: the cwd for AT_FDCWD, else the fd's (EBADF, ENOTDIR)."""
    if i32(dirfd) == AT_FDCWD:
        return p.fs.cwd
    f = get_file(p, dirfd)
    ino = f.inode
    if isinstance(ino, DirInode):
        return ino
    raise SysError(ENOTDIR)


def inode_of_fd(p: Process, dirfd: u64) -> Inode:
    """The inode a dirfd argument refers to (AT_EMPTY_PATH): the cwd for AT_FDCWD."""
    if i32(dirfd) == AT_FDCWD:
        return p.fs.cwd
    return get_file(p, dirfd).inode


def base_for(p: Process, dirfd: u64, path: bytearray) -> DirInode:
    """Where a relative path starts: dirfd's directory (an absolute path ignores dirfd)."""
    if len(path) > 0 and path[0] == SLASH:
        return p.fs.root
    return dir_of_fd(p, dirfd)


def inode_at(p: Process, dirfd: u64, upath: u64, flags: u64, follow: bool) -> Inode:
    """The inode a (dirfd, user path, AT_EMPTY_PATH flag) triple names, following a final symlink if asked."""
    path = copy_path_in(p, upath)
    if len(path) == 0:
        if (flags & AT_EMPTY_PATH) != 0:
            return inode_of_fd(p, dirfd)
        raise SysError(ENOENT)
    return lookup(p, base_for(p, dirfd, path), path, follow)


def check_flags(flags: u64, allowed: u64) -> None:
    """EINVAL if flags has a bit outside allowed."""
    if (flags & ~allowed) != 0:
        raise SysError(EINVAL)


def id_arg(a: u64) -> u32:
    """A uid_t/gid_t argument (-1 means unchanged)."""
    return u32(a)
