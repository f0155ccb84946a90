"""epoll: a file holding an interest list of other files; epoll_wait reports which are ready.

Readiness is level-triggered: a file is reported whenever its poll mask meets the events asked
for. EPOLLONESHOT disables an entry after one report; EPOLLET is accepted and treated as level
triggered (a program written for edge triggering reads until EAGAIN, which is still correct).
An entry keeps its file open until it is deleted or the epoll file is closed.
"""

from typing import Final

from asterpy.lang import List, SysError, u32, u64
from asterpy.lang.errno import EEXIST, ENOENT
from asterpy.fs.file import POLLERR, POLLHUP, File
from asterpy.fs.inode import Inode

EPOLLONESHOT: Final = u64(1 << 30)
EPOLLET: Final = u64(1 << 31)
EPOLLEXCLUSIVE: Final = u64(1 << 28)
EPOLLWAKEUP: Final = u64(1 << 29)
# Event bits that are always reported when they hold, asked for or not.
ALWAYS: Final = POLLERR | POLLHUP


class EpollEntry:
    """One watched descriptor: its file, the events asked for and the user's data word."""

    fd: u64
    file: File
    events: u64
    data: u64
    disabled: bool

    def __init__(self, fd: u64, file: File, events: u64, data: u64) -> None:
        """An entry for fd."""
        self.fd = fd
        self.file = file
        self.events = events
        self.data = data
        self.disabled = False


class EpollFile(File):
    """An epoll instance: its interest list."""

    entries: List[EpollEntry]

    def __init__(self, inode: Inode, flags: u64) -> None:
        """An empty interest list."""
        File.__init__(self, inode, flags)
        self.entries = []

    def find(self, fd: u64, f: File) -> u64:
        """The index of the entry for (fd, f), or the number of entries if there is none."""
        for i in range(u64(0), u64(len(self.entries))):
            e = self.entries[i]
            if e.fd == fd and e.file is f:
                return i
        return u64(len(self.entries))

    def add(self, fd: u64, f: File, events: u64, data: u64) -> None:
        """EPOLL_CTL_ADD (EEXIST if already watched)."""
        if self.find(fd, f) < u64(len(self.entries)):
            raise SysError(EEXIST)
        self.entries.append(EpollEntry(fd, f, events, data))

    def modify(self, fd: u64, f: File, events: u64, data: u64) -> None:
        """EPOLL_CTL_MOD (ENOENT if not watched); re-enables a one-shot entry."""
        i = self.find(fd, f)
        if i >= u64(len(self.entries)):
            raise SysError(ENOENT)
        e = self.entries[i]
        e.events = events
        e.data = data
        e.disabled = False

    def remove(self, fd: u64, f: File) -> None:
        """EPOLL_CTL_DEL (ENOENT if not watched)."""
        i = self.find(fd, f)
        if i >= u64(len(self.entries)):
            raise SysError(ENOENT)
        del self.entries[i]

    def ready_count(self) -> u64:
        """How many entries would be reported now."""
        n = u64(0)
        for e in self.entries:
            if not e.disabled and (e.file.poll_mask() & (e.events | ALWAYS)) != 0:
                n += 1
        return n

    def poll_mask(self) -> u64:
        """An epoll file is readable when one of its entries is ready."""
        if self.ready_count() != 0:
            return u64(0x41)        # POLLIN | POLLRDNORM
        return u64(0)


def entry_ready(e: EpollEntry) -> u32:
    """The reportable events of e now (0 if none or disabled)."""
    if e.disabled:
        return u32(0)
    return u32(e.file.poll_mask() & (e.events | ALWAYS))
