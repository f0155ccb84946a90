"""Descriptor syscalls: open/openat/creat, close, close_range, dup/dup2/dup3, pipe/pipe2, fcntl, ioctl,
memfd_create."""

from typing import Final

from asterpy.lang import SysError, i32, u32, u64
from asterpy.lang.errno import EBADF, EINVAL, EOPNOTSUPP
from asterpy.fs.abi import get_u32, put_u32
from asterpy.fs.fdtable import NOFILE_HARD_MAX
from asterpy.fs.file import RegFile
from asterpy.fs.inode import RegInode
from asterpy.fs.mode import (
    O_CLOEXEC, O_CREAT, O_DIRECT, O_DIRECTORY, O_LARGEFILE, O_NOFOLLOW, O_NONBLOCK, O_PATH, O_RDWR, O_SETFL_MASK,
    O_TMPFILE, O_TRUNC, O_VALID, O_WRONLY,
)
from asterpy.fs.path import copy_path_in
from asterpy.fs.pipe import Pipe, PipeReadFile, PipeRWFile, PipeWriteFile, new_pipe_for, new_pipe_inode
from asterpy.fs.vfs import open_path
from asterpy.syscall.fs_common import AT_FDCWD, base_for, fd_num, get_file, proc
from asterpy.syscall.fs_lock import fcntl_lock, is_lock_cmd

F_DUPFD: Final = u64(0)
F_GETFD: Final = u64(1)
F_SETFD: Final = u64(2)
F_GETFL: Final = u64(3)
F_SETFL: Final = u64(4)
F_SETOWN: Final = u64(8)
F_GETOWN: Final = u64(9)
F_DUPFD_CLOEXEC: Final = u64(1030)
F_SETPIPE_SZ: Final = u64(1031)
F_GETPIPE_SZ: Final = u64(1032)
FD_CLOEXEC: Final = u64(1)

FIONREAD: Final = u64(0x541B)
FIONBIO: Final = u64(0x5421)
FIONCLEX: Final = u64(0x5450)
FIOCLEX: Final = u64(0x5451)
FIOASYNC: Final = u64(0x5452)

CLOSE_RANGE_UNSHARE: Final = u64(2)
CLOSE_RANGE_CLOEXEC: Final = u64(4)


def sys_openat(dirfd: u64, upath: u64, flags: u64, mode: u64) -> u64:
    """openat(2): the new descriptor (lowest free; EMFILE at 1024)."""
    p = proc()
    flags = flags & u64(0xFFFFFFFF) & O_VALID
    if (flags & O_TMPFILE) == O_TMPFILE:
        raise SysError(EOPNOTSUPP)
    if (flags & O_CREAT) != 0 and (flags & O_DIRECTORY) != 0:
        raise SysError(EINVAL)
    if (flags & O_PATH) != 0:
        flags = flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
    else:
        # 64-bit kernels open every file as large (F_GETFL shows it).
        flags |= O_LARGEFILE
    path = copy_path_in(p, upath)
    base = base_for(p, dirfd, path)
    f = open_path(p, base, path, flags, u32(mode) & u32(0o7777))
    return p.files.alloc(f, u64(0), (flags & O_CLOEXEC) != 0)


def sys_open(upath: u64, flags: u64, mode: u64) -> u64:
    """open(2)."""
    return sys_openat(u64(i32(AT_FDCWD)), upath, flags, mode)


def sys_creat(upath: u64, mode: u64) -> u64:
    """creat(2): open(path, O_CREAT | O_WRONLY | O_TRUNC, mode)."""
    return sys_open(upath, O_CREAT | O_WRONLY | O_TRUNC, mode)


def sys_close(fd: u64) -> u64:
    """close(2)."""
    proc().files.close(fd_num(fd))
    return u64(0)


def sys_close_range(first: u64, last: u64, flags: u64) -> u64:
    """close_range(2): EINVAL for first > last or unknown flags; CLOSE_RANGE_CLOEXEC marks instead;
    CLOSE_RANGE_UNSHARE first gives the process its own copy of a table it shares (CLONE_FILES)."""
    first = u64(u32(first))
    last = u64(u32(last))
    if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) != 0 or first > last:
        raise SysError(EINVAL)
    p = proc()
    if (flags & CLOSE_RANGE_UNSHARE) != 0:
        # The copy keeps the POSIX-lock owner number: locks taken through the shared table stay
        # held (and are dropped by a close in either copy).
        own = p.files.clone()
        own.lock_id = p.files.lock_id
        p.files = own
    if last >= NOFILE_HARD_MAX:
        last = NOFILE_HARD_MAX - 1
    fd = first
    while fd <= last:
        if p.files.is_open(fd):
            if (flags & CLOSE_RANGE_CLOEXEC) != 0:
                p.files.set_cloexec(fd, True)
            else:
                p.files.close(fd)
        fd += 1
    return u64(0)


def sys_dup(fd: u64) -> u64:
    """dup(2): the lowest free descriptor for the same File."""
    p = proc()
    f = get_file(p, fd)
    return p.files.alloc(f, u64(0), False)


def sys_dup3(old: u64, new: u64, flags: u64) -> u64:
    """dup3(2): EINVAL for unknown flags or old == new; new is closed first if open."""
    if (flags & ~O_CLOEXEC) != 0:
        raise SysError(EINVAL)
    # Linux's order: the flags, old == new (EINVAL even when old is not open), new's range, old.
    p = proc()
    n = fd_num(new)
    if n == fd_num(old):
        raise SysError(EINVAL)
    if n >= p.files.limit:
        raise SysError(EBADF)
    f = get_file(p, old)
    p.files.place(n, f, (flags & O_CLOEXEC) != 0)
    return n


def sys_dup2(old: u64, new: u64) -> u64:
    """dup2(2): like dup3, but old == new just checks old."""
    p = proc()
    get_file(p, old)
    if fd_num(new) == fd_num(old):
        return fd_num(new)
    return sys_dup3(old, new, u64(0))


def sys_pipe2(fds: u64, flags: u64) -> u64:
    """pipe2(2): two descriptors [read, write]; EINVAL for unknown flags, EFAULT, EMFILE."""
    if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT)) != 0:
        raise SysError(EINVAL)
    p = proc()
    p.check_user(fds, u64(8), True)
    pp = new_pipe_for(p)
    ino = new_pipe_inode()
    st = flags & O_NONBLOCK
    r = PipeReadFile(ino, pp, st)
    w = PipeWriteFile(ino, pp, st)
    cloexec = (flags & O_CLOEXEC) != 0
    rfd = p.files.alloc(r, u64(0), cloexec)
    try:
        wfd = p.files.alloc(w, u64(0), cloexec)
    except SysError as e:
        p.files.close(rfd)
        raise SysError(e.errno)
    put_u32(p, fds, u32(rfd))
    put_u32(p, fds + 4, u32(wfd))
    return u64(0)


def sys_fcntl(fd: u64, cmd: u64, arg: u64) -> u64:
    """fcntl(2): DUPFD(_CLOEXEC), GETFD/SETFD, GETFL/SETFL, record locks (syscall.fs_lock), pipe
    sizes; EINVAL for anything else."""
    p = proc()
    n = fd_num(fd)
    f = p.files.get(n)
    cmd = u64(u32(cmd))
    if cmd == F_DUPFD or cmd == F_DUPFD_CLOEXEC:
        lo = u64(i32(arg)) if i32(arg) >= 0 else p.files.limit
        if lo >= p.files.limit:
            raise SysError(EINVAL)
        return p.files.alloc(f, lo, cmd == F_DUPFD_CLOEXEC)
    if cmd == F_GETFD:
        return FD_CLOEXEC if p.files.get_cloexec(n) else u64(0)
    if cmd == F_SETFD:
        p.files.set_cloexec(n, (arg & FD_CLOEXEC) != 0)
        return u64(0)
    if cmd == F_GETFL:
        return f.flags & ~O_CLOEXEC
    if cmd == F_SETFL:
        f.flags = (f.flags & ~O_SETFL_MASK) | (arg & O_SETFL_MASK)
        return u64(0)
    if is_lock_cmd(cmd):
        return fcntl_lock(p, f, cmd, arg)
    if cmd == F_GETOWN:
        return u64(0)
    if cmd == F_SETOWN:
        return u64(0)
    if cmd == F_GETPIPE_SZ or cmd == F_SETPIPE_SZ:
        pp: Pipe | None = None
        if isinstance(f, PipeReadFile):
            pp = f.pipe
        elif isinstance(f, PipeWriteFile):
            pp = f.pipe
        elif isinstance(f, PipeRWFile):
            pp = f.pipe
        if pp is None:
            raise SysError(EBADF)
        if cmd == F_GETPIPE_SZ:
            return pp.size
        # The argument is an int: Linux reads it as unsigned.
        return pp.set_size(p, u64(u32(arg)))
    raise SysError(EINVAL)


def sys_ioctl(fd: u64, cmd: u64, arg: u64) -> u64:
    """ioctl(2): FIONBIO, FIOCLEX, FIONCLEX and FIOASYNC here; the rest (FIONREAD, the terminal
    requests) go to the file, ENOTTY when it has none."""
    p = proc()
    n = fd_num(fd)
    f = p.files.get(n)
    cmd = u64(u32(cmd))
    if cmd == FIOCLEX:
        p.files.set_cloexec(n, True)
        return u64(0)
    if cmd == FIONCLEX:
        p.files.set_cloexec(n, False)
        return u64(0)
    if cmd == FIONBIO:
        on = get_u32(p, arg)
        if on != 0:
            f.flags |= O_NONBLOCK
        else:
            f.flags &= ~O_NONBLOCK
        return u64(0)
    if cmd == FIOASYNC:
        get_u32(p, arg)
        return u64(0)
    return f.ioctl(p, cmd, arg)



MFD_KNOWN: Final = u64(0x1F)       # CLOEXEC, ALLOW_SEALING, HUGETLB, NOEXEC_SEAL, EXEC
MFD_CLOEXEC: Final = u64(1)
MFD_NAME_MAX: Final = u64(249)


def sys_memfd_create(uname: u64, flags: u64) -> u64:
    """memfd_create(2): an anonymous regular file open read-write (EINVAL for unknown flags or a
    name of 250 bytes or more, EFAULT)."""
    if (flags & ~MFD_KNOWN) != 0:
        raise SysError(EINVAL)
    p = proc()
    name = copy_path_in(p, uname)
    if u64(len(name)) > MFD_NAME_MAX:
        raise SysError(EINVAL)
    ino = RegInode(u32(0o777))
    ino.nlink = u32(0)
    ino.uncounted = True    # on Linux's internal shmem mount, not the root's: no size limit
    f = RegFile(ino, O_RDWR | O_LARGEFILE)
    return p.files.alloc(f, u64(0), (flags & MFD_CLOEXEC) != 0)
