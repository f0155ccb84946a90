"""pidfd_open(2): a file that names a process. It polls readable (POLLIN) once the process has
exited, waitid(P_PIDFD) waits for the process it names (EAGAIN instead when it is O_NONBLOCK), and
pidfd_getfd(2) copies one of the process's descriptors."""

from typing import Final

from asterpy.lang import SysError, u32, u64
from asterpy.lang.errno import EBADF, EINVAL, EPERM, ESRCH
from asterpy.fs.file import POLLIN, POLLRDNORM, File
from asterpy.fs.inode import Inode
from asterpy.fs.mode import O_NONBLOCK, O_RDWR
from asterpy.task.process import Process
from asterpy.task.sched import find_process

PIDFD_NONBLOCK: Final = O_NONBLOCK


class PidFile(File):
    """The pid of the process the file names."""

    pid: u64

    def __init__(self, inode: Inode, flags: u64, pid: u64) -> None:
        """A pidfd for process pid."""
        File.__init__(self, inode, flags)
        self.pid = pid

    def poll_mask(self) -> u64:
        """Readable once the process has exited (a zombie, or reaped)."""
        q = find_process(self.pid)
        if q is None or q.zombie:
            return POLLIN | POLLRDNORM
        return u64(0)


def sys_pidfd_open(me: Process, pid: u64, flags: u64) -> u64:
    """pidfd_open(2): a close-on-exec descriptor for process pid (EINVAL for unknown flags or a pid
    that is not positive, ESRCH if there is no such process)."""
    if (flags & ~PIDFD_NONBLOCK) != 0:
        raise SysError(EINVAL)
    n = pid & 0xFFFFFFFF
    if n == 0 or (n & 0x80000000) != 0:
        raise SysError(EINVAL)
    q = find_process(n)
    if q is None:
        raise SysError(ESRCH)
    f = PidFile(Inode(u32(0o600)), O_RDWR | (flags & PIDFD_NONBLOCK), n)
    return me.files.alloc(f, u64(0), True)


def may_take_fds(me: Process, q: Process) -> bool:
    """Whether me may take q's descriptors (ptrace's attach rule, real credentials): privileged, or
    its real uid is each of q's uids."""
    return me.uid == 0 or (me.ruid == q.ruid and me.ruid == q.uid and me.ruid == q.suid)


def sys_pidfd_getfd(me: Process, pidfd: u64, targetfd: u64, flags: u64) -> u64:
    """pidfd_getfd(2): a close-on-exec copy of descriptor targetfd of the process pidfd names (EINVAL
    for flags, EBADF if pidfd is not a pidfd or targetfd is not open there, ESRCH if the process
    is gone, EPERM if the caller may not)."""
    if flags != 0:
        raise SysError(EINVAL)
    f = me.files.get(pidfd & 0xFFFFFFFF)
    pid = u64(0)
    if isinstance(f, PidFile):
        pid = f.pid
    else:
        raise SysError(EBADF)
    q = find_process(pid)
    if q is None or q.zombie:
        raise SysError(ESRCH)
    if not may_take_fds(me, q):
        raise SysError(EPERM)
    got = q.files.get(targetfd & 0xFFFFFFFF)
    return me.files.alloc(got, u64(0), True)
