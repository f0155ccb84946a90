"""pidfd_open(2): a file that names a process. It polls readable (POLLIN) once the process has
exited, and waitid(P_PIDFD) waits for the process it names (EAGAIN instead when it is O_NONBLOCK)."""

from typing import Final

from asterpy.lang import SysError, u32, u64
from asterpy.lang.errno import EINVAL, ESRCH
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
