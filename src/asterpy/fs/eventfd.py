"""eventfd: a file that is a 64-bit counter; writes add to it, reads take it (or one unit of it)."""

from typing import Final

from asterpy.lang import SysError, u64
from asterpy.lang.errno import EAGAIN, EINTR, EINVAL
from asterpy.fs.file import POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, File
from asterpy.fs.inode import Inode
from asterpy.fs.context import FsCaller
from asterpy.kernel.wait import new_wait_channel, sleep_on, wake_up

EFD_SEMAPHORE: Final = u64(1)
COUNTER_MAX: Final = u64(0xFFFFFFFFFFFFFFFE)


class EventFile(File):
    """The counter and the channel its readers and writers sleep on."""

    count: u64
    semaphore: bool
    chan: u64

    def __init__(self, inode: Inode, flags: u64, initial: u64, semaphore: bool) -> None:
        """An eventfd starting at initial."""
        File.__init__(self, inode, flags)
        self.count = initial
        self.semaphore = semaphore
        self.chan = new_wait_channel()

    def read(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """Take the counter (or 1 with EFD_SEMAPHORE) as 8 bytes; wait while it is 0."""
        if n < 8:
            raise SysError(EINVAL)
        p.check_user(buf, u64(8), True)
        while self.count == 0:
            if self.nonblocking():
                raise SysError(EAGAIN)
            if not sleep_on(self.chan):
                raise SysError(EINTR)
        v = self.count
        if self.semaphore:
            v = u64(1)
        self.count -= v
        p.put_u64(buf, v)
        wake_up(self.chan)
        return u64(8)

    def write(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """Add an 8-byte value (not 2^64 - 1); wait while it would overflow the counter."""
        if n < 8:
            raise SysError(EINVAL)
        v = p.get_u64(buf)
        if v == u64(0xFFFFFFFFFFFFFFFF):
            raise SysError(EINVAL)
        while v > COUNTER_MAX - self.count:
            if self.nonblocking():
                raise SysError(EAGAIN)
            if not sleep_on(self.chan):
                raise SysError(EINTR)
        self.count += v
        wake_up(self.chan)
        return u64(8)

    def poll_mask(self) -> u64:
        """Readable while the counter is not 0, writable while 1 more fits."""
        m = u64(0)
        if self.count != 0:
            m |= POLLIN | POLLRDNORM
        if self.count < COUNTER_MAX:
            m |= POLLOUT | POLLWRNORM
        return m

    def readable_bytes(self) -> u64:
        """FIONREAD: 8 when a read would not block."""
        return u64(8) if self.count != 0 else u64(0)
