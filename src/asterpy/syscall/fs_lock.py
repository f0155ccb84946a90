"""Lock syscalls: flock(2), and fcntl(2)'s record-lock commands (F_GETLK/F_SETLK/F_SETLKW and their
F_OFD_* twins); the locks themselves are asterpy.fs.locks."""

from typing import Final

from asterpy.lang import SysError, i64, u32, u64
from asterpy.lang.errno import EBADF, EINVAL, EOVERFLOW
from asterpy.fs.file import File
from asterpy.fs.locks import (F_RDLCK, F_UNLCK, F_WRLCK, KIND_FLOCK, KIND_OFD, KIND_POSIX, OFFSET_MAX, find_conflict,
                              flock_file, set_lock)
from asterpy.fs.mode import O_PATH
from asterpy.syscall.fs_common import get_file, proc
from asterpy.task.process import Process

F_GETLK: Final = u64(5)
F_SETLK: Final = u64(6)
F_SETLKW: Final = u64(7)
F_OFD_GETLK: Final = u64(36)
F_OFD_SETLK: Final = u64(37)
F_OFD_SETLKW: Final = u64(38)
SEEK_SET: Final = u64(0)
SEEK_CUR: Final = u64(1)
SEEK_END: Final = u64(2)
FLOCK_SIZE: Final = u64(32)     # struct flock: short type, short whence, off_t start, off_t len, pid_t pid

LOCK_SH: Final = u64(1)
LOCK_EX: Final = u64(2)
LOCK_NB: Final = u64(4)
LOCK_UN: Final = u64(8)


def is_lock_cmd(cmd: u64) -> bool:
    """Whether an fcntl command is one of the record-lock commands."""
    return (cmd == F_GETLK or cmd == F_SETLK or cmd == F_SETLKW or cmd == F_OFD_GETLK or cmd == F_OFD_SETLK
            or cmd == F_OFD_SETLKW)


class Range:
    """A struct flock read from user memory, its range made absolute: [start, end], end inclusive."""

    typ: u64
    start: u64
    end: u64
    pid: u64

    def __init__(self) -> None:
        """Nothing read yet."""
        self.typ = F_UNLCK
        self.start = u64(0)
        self.end = u64(0)
        self.pid = u64(0)


def read_flock(p: Process, f: File, arg: u64) -> Range:
    """The struct flock at arg, its range made absolute as Linux does: EINVAL for a bad whence or
    type or a range starting before 0, EOVERFLOW past the largest offset, EFAULT."""
    p.check_user(arg, FLOCK_SIZE, False)
    head = p.get_u32(arg)
    r = Range()
    r.typ = u64(head & u32(0xFFFF))
    whence = u64(head >> u32(16))
    l_start = i64(p.get_u64(arg + 8))
    l_len = i64(p.get_u64(arg + 16))
    r.pid = u64(p.get_u32(arg + 24))
    base = i64(0)
    if whence == SEEK_CUR:
        base = i64(f.pos)
    elif whence == SEEK_END:
        base = i64(f.inode.file_size())
    elif whence != SEEK_SET:
        raise SysError(EINVAL)
    lmax = i64(OFFSET_MAX)
    if l_start > lmax - base:
        raise SysError(EOVERFLOW)
    start = base + l_start
    if start < 0:
        raise SysError(EINVAL)
    end = lmax
    if l_len > 0:
        if l_len - 1 > lmax - start:
            raise SysError(EOVERFLOW)
        end = start + l_len - 1
    elif l_len < 0:
        if start + l_len < 0:
            raise SysError(EINVAL)
        end = start - 1
        start = start + l_len
    if r.typ != F_RDLCK and r.typ != F_WRLCK and r.typ != F_UNLCK:
        raise SysError(EINVAL)
    r.start = u64(start)
    r.end = u64(end)
    return r


def fcntl_lock(p: Process, f: File, cmd: u64, arg: u64) -> u64:
    """fcntl's record-lock commands on f: POSIX locks belong to the descriptor table, OFD locks to
    the open file description (F_OFD_*: l_pid must be 0; F_OFD_GETLK reports -1 as the pid)."""
    ofd = cmd == F_OFD_GETLK or cmd == F_OFD_SETLK or cmd == F_OFD_SETLKW
    r = read_flock(p, f, arg)
    if ofd and r.pid != 0:
        raise SysError(EINVAL)
    kind = KIND_OFD if ofd else KIND_POSIX
    owner = f.lock_owner_id() if ofd else p.files.posix_owner()
    if cmd == F_GETLK or cmd == F_OFD_GETLK:
        if r.typ == F_UNLCK:
            raise SysError(EINVAL)
        lk = find_conflict(f.inode, kind, owner, r.typ, r.start, r.end)
        if lk is None:
            p.put_u32(arg, u32(F_UNLCK) | (p.get_u32(arg) & u32(0xFFFF0000)))
            return u64(0)
        p.put_u32(arg, u32(lk.typ) | (u32(SEEK_SET) << u32(16)))
        p.put_u64(arg + 8, lk.start)
        p.put_u64(arg + 16, u64(0) if lk.end == OFFSET_MAX else lk.end - lk.start + 1)
        p.put_u32(arg + 24, u32(0xFFFFFFFF) if lk.kind == KIND_OFD else u32(lk.pid))
        return u64(0)
    # Taking a lock needs the matching access; dropping one does not.
    if (r.typ == F_RDLCK and not f.can_read()) or (r.typ == F_WRLCK and not f.can_write()):
        raise SysError(EBADF)
    wait = cmd == F_SETLKW or cmd == F_OFD_SETLKW
    set_lock(f.inode, kind, owner, r.typ, r.start, r.end, p.pid, wait)
    return u64(0)


def sys_flock(fd: u64, op: u64) -> u64:
    """flock(2): LOCK_SH/LOCK_EX/LOCK_UN on the open file description, LOCK_NB: EWOULDBLOCK instead
    of waiting; EBADF (also for an O_PATH descriptor), EINVAL for an unknown operation, EINTR."""
    p = proc()
    f = get_file(p, fd)
    if (f.flags & O_PATH) != 0:
        raise SysError(EBADF)
    kind = op & ~LOCK_NB
    if kind != LOCK_SH and kind != LOCK_EX and kind != LOCK_UN:
        raise SysError(EINVAL)
    owner = f.lock_owner_id()
    if kind == LOCK_UN:
        set_lock(f.inode, KIND_FLOCK, owner, F_UNLCK, u64(0), OFFSET_MAX, u64(0), False)
        return u64(0)
    flock_file(f.inode, owner, F_RDLCK if kind == LOCK_SH else F_WRLCK, (op & LOCK_NB) == 0)
    return u64(0)
