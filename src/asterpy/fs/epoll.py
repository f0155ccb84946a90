"""epoll: a file holding an interest list of other files; epoll_wait reports which are ready.

Readiness is level-triggered: a file is reported whenever its poll mask meets the events asked
for. EPOLLONESHOT disables an entry after one report; EPOLLET is accepted and treated as level
triggered (a program written for edge triggering reads until EAGAIN, which is still correct).
An entry keeps its file open until it is deleted or the epoll file is closed.

An epoll file may watch another one, as on Linux within limits: EPOLL_CTL_ADD refuses with ELOOP
an instance that would (indirectly) watch itself, and a chain longer than EPOLL_MAX_NESTS
instances below the outermost one, so readiness checks (poll_mask recursing into nested
instances) stay a few frames deep. Each instance knows the instances watching it (`parents`, weak
references) to measure how deep it already sits.
"""

from typing import Final

from asterpy.lang import List, SysError, Weak, u32, u64
from asterpy.lang.errno import EEXIST, ELOOP, ENOENT
from asterpy.fs.file import POLLERR, POLLHUP, File
from asterpy.fs.inode import Inode

EPOLLONESHOT: Final = u64(1 << 30)
EPOLLET: Final = u64(1 << 31)
EPOLLEXCLUSIVE: Final = u64(1 << 28)
EPOLLWAKEUP: Final = u64(1 << 29)
# Event bits that are always reported when they hold, asked for or not.
ALWAYS: Final = POLLERR | POLLHUP
# Linux's EPOLL_MAX_NESTS: at most this many levels of epoll instances inside one another below
# the top one (a chain of 5 instances, each watching the next).
EPOLL_MAX_NESTS: Final = u64(4)
# A depth answer meaning "a loop": larger than any real depth.
LOOP_DEPTH: Final = u64(1) << 32


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
    """An epoll instance: its interest list, and the instances that watch it."""

    entries: List[EpollEntry]
    parents: List[Weak["EpollFile"]]

    def __init__(self, inode: Inode, flags: u64) -> None:
        """An empty interest list."""
        File.__init__(self, inode, flags)
        self.entries = []
        self.parents = []

    def find(self, fd: u64, f: File) -> u64:
        """The index of the entry for (fd, f), or the number of entries if there is none."""
        for i in range(u64(0), u64(len(self.entries))):
            e = self.entries[i]
            if e.fd == fd and e.file is f:
                return i
        return u64(len(self.entries))

    def depth_below(self, target: "EpollFile", level: u64) -> u64:
        """How many levels of epoll instances lie below this one (0: it watches none), or
        LOOP_DEPTH if target is among them; level is this one's distance from the start."""
        if level > EPOLL_MAX_NESTS:
            # Deeper than any accepted nesting can be: refuse without looking further.
            return LOOP_DEPTH
        deepest = u64(0)
        for e in self.entries:
            f = e.file
            if isinstance(f, EpollFile):
                if f is target:
                    return LOOP_DEPTH
                d = f.depth_below(target, level + 1)
                if d == LOOP_DEPTH:
                    return LOOP_DEPTH
                if d + 1 > deepest:
                    deepest = d + 1
        return deepest

    def depth_above(self, level: u64) -> u64:
        """How many levels of epoll instances watch this one (0: none does)."""
        if level > EPOLL_MAX_NESTS:
            return LOOP_DEPTH
        highest = u64(0)
        for w in self.parents:
            up = w.get()
            if up is not None:
                d = up.depth_above(level + 1)
                if d == LOOP_DEPTH:
                    return LOOP_DEPTH
                if d + 1 > highest:
                    highest = d + 1
        return highest

    def add(self, fd: u64, f: File, events: u64, data: u64) -> None:
        """EPOLL_CTL_ADD (EEXIST if already watched; ELOOP for an epoll file that would close a
        loop or nest instances deeper than EPOLL_MAX_NESTS)."""
        if self.find(fd, f) < u64(len(self.entries)):
            raise SysError(EEXIST)
        if isinstance(f, EpollFile):
            below = f.depth_below(self, u64(1))
            above = self.depth_above(u64(0))
            if below == LOOP_DEPTH or above == LOOP_DEPTH or below + 1 + above > EPOLL_MAX_NESTS:
                raise SysError(ELOOP)
            # Links to instances closed since are dropped here, so the list stays as long as the
            # instances watching f (a long-lived f added to many short-lived ones does not grow it).
            f.forget_parent(None)
            f.parents.append(Weak(self))
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
        if isinstance(f, EpollFile):
            f.forget_parent(self)

    def forget_parent(self, up: "EpollFile | None") -> None:
        """One entry of up watching this instance is gone: drop one weak link to it, and the links
        to instances that no longer exist (up None: only those)."""
        kept: List[Weak[EpollFile]] = []
        dropped = False
        for w in self.parents:
            o = w.get()
            if o is None:
                continue
            if o is up and not dropped:
                dropped = True
                continue
            kept.append(w)
        self.parents = kept

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
