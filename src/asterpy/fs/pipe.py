"""Pipes: a ring of page-sized buffers between a read end and a write end, with blocking and
PIPE_BUF atomicity.

The ring's pages come from the page allocator (asterpy.fs.inode.page_alloc) only while they hold
data: a write takes the pages it fills, and a read gives back every page it drains, so an idle
pipe costs no page at all. A pipe's capacity (16 pages by default, F_SETPIPE_SZ changes it) is
charged to the real user that created it, as Linux does: once a user's pipes add up to more than
PIPE_USER_PAGES_SOFT pages, an unprivileged user's new pipes get PIPE_MIN_DEF_PAGES and may not
grow. When no page is left, a write fails with ENOMEM instead of the kernel running dry.

Readers sleep on `rchan` until data arrives or the last writer goes; writers sleep on `wchan`
until room appears or the last reader goes. Each end is a File; its drop hook (the last close
of that end, after dups and forks) updates the counts and wakes the other side.
"""

from typing import Final

from asterpy.lang import Dict, List, SysError, memcpy, u32, u64
from asterpy.lang.errno import EAGAIN, EBUSY, EINTR, EINVAL, ENOMEM, ENXIO, EPERM, EPIPE
from asterpy.fs.file import POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, File
from asterpy.fs.inode import FifoInode, Inode, page_alloc, page_free
from asterpy.fs.mode import O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY
from asterpy.mm.heap import heap_in_reserve
from asterpy.kernel.caller import Caller
from asterpy.fs.context import FsCaller
from asterpy.kernel.upcalls import raise_signal_self, upcalls
from asterpy.kernel.wait import new_wait_channel, sleep_on, wake_up

PAGE: Final = u64(4096)
PAGE_MASK: Final = u64(4095)
# A new pipe's capacity in pages (Linux's PIPE_DEF_BUFFERS: 64 KiB), and what an unprivileged
# user over the soft limit gets instead (PIPE_MIN_DEF_BUFFERS, two pages since Linux 5.14).
PIPE_DEF_PAGES: Final = u64(16)
PIPE_MIN_DEF_PAGES: Final = u64(2)
PIPE_SIZE: Final = PIPE_DEF_PAGES * PAGE
PIPE_BUF: Final = u64(4096)
# /proc/sys/fs/pipe-max-size and pipe-user-pages-soft at their Linux defaults (1 MiB; 16384 pages,
# that is 1024 default pipes). Linux's hard limit, pipe-user-pages-hard, defaults to 0 (none).
PIPE_MAX_SIZE: Final = u64(1048576)
PIPE_USER_PAGES_SOFT: Final = u64(16384)
# F_SETPIPE_SZ's largest request (Linux refuses sizes above 2^31 bytes).
PIPE_SIZE_LIMIT: Final = u64(1) << 31
SIGPIPE: Final = u64(13)
# Pipe.user of a pipe charged to nobody (the buffers of a socket pair).
NO_USER: Final = u64(0xFFFFFFFFFFFFFFFF)

# Pages of pipe capacity charged to each real user id (absent: none); made on first use.
user_pipe_pages: Dict[u64, u64] | None = None


def charged_pages(uid: u64) -> u64:
    """The pipe capacity, in pages, charged to user uid now."""
    t = user_pipe_pages
    if t is None:
        return u64(0)
    return t.get(uid, u64(0))


def charge_pages(uid: u64, old: u64, new: u64) -> u64:
    """Change a pipe's charge to uid from old to new pages; return uid's new total."""
    global user_pipe_pages
    t = user_pipe_pages
    if t is None:
        fresh: Dict[u64, u64] = {}
        user_pipe_pages = fresh
        return charge_in(fresh, uid, old, new)
    return charge_in(t, uid, old, new)


def charge_in(t: Dict[u64, u64], uid: u64, old: u64, new: u64) -> u64:
    """charge_pages on the table t."""
    total = t.get(uid, u64(0)) + new - old
    if total == 0:
        if uid in t:
            del t[uid]
    else:
        t[uid] = total
    return total


def over_soft_limit(total: u64) -> bool:
    """Whether a user with total pages of pipes is past pipe-user-pages-soft."""
    return total > PIPE_USER_PAGES_SOFT


def round_pipe_size(n: u64) -> u64:
    """The capacity F_SETPIPE_SZ gives for a request of n bytes: the next power-of-two number of
    pages, at least one (0 when n is too large)."""
    if n > PIPE_SIZE_LIMIT:
        return u64(0)
    size = PAGE
    while size < n:
        size = size << 1
    return size


class Pipe:
    """The shared ring: `count` bytes starting at `head` (mod size), in `pages` (0: no page, it
    holds no data), and who holds each end."""

    pages: List[u64]
    size: u64
    head: u64
    count: u64
    readers: u64
    writers: u64
    r_opens: u64        # read opens of a FIFO so far (a blocked writer open waits for a change)
    w_opens: u64
    rchan: u64
    wchan: u64
    user: u64           # the real user id charged for the capacity (NO_USER: none)

    def __init__(self, npages: u64, user: u64) -> None:
        """An empty pipe of npages pages, charged to user (already accounted), no end open yet."""
        self.pages = []
        for _ in range(u64(0), npages):
            self.pages.append(u64(0))
        self.size = npages * PAGE
        self.head = u64(0)
        self.count = u64(0)
        self.readers = u64(0)
        self.writers = u64(0)
        self.r_opens = u64(0)
        self.w_opens = u64(0)
        self.rchan = new_wait_channel()
        self.wchan = new_wait_channel()
        self.user = user

    def __del__(self) -> None:
        """Give back the pages still holding data and the user's charge, with the last end."""
        self.free_pages()
        if self.user != NO_USER:
            charge_pages(self.user, u64(len(self.pages)), u64(0))

    def free_pages(self) -> None:
        """Give back every page of the ring."""
        for i in range(u64(0), u64(len(self.pages))):
            a = self.pages[i]
            if a != 0:
                page_free(a)
                self.pages[i] = u64(0)

    def space(self) -> u64:
        """Free bytes in the buffer."""
        return self.size - self.count

    def held_pages(self) -> u64:
        """How many pages the ring holds now."""
        n = u64(0)
        for a in self.pages:
            if a != 0:
                n += 1
        return n

    def backed(self, n: u64) -> u64:
        """Make the pages for the next n bytes (n <= space) present; return how many of those
        bytes have a page (less than n only when the page allocator ran out)."""
        tail = (self.head + self.count) % self.size
        ready = u64(0)
        while ready < n:
            pos = (tail + ready) % self.size
            i = pos >> 12
            if self.pages[i] == 0:
                try:
                    self.pages[i] = page_alloc()
                except SysError:
                    return ready
            step = PAGE - (pos & PAGE_MASK)
            ready += step
        return n

    def holds_data(self, i: u64) -> bool:
        """Whether a byte of [head, head + count) (mod size) lies in page i of the ring."""
        if self.count == 0:
            return False
        a = i * PAGE
        end = self.head + self.count
        low_end = end if end < self.size else self.size
        if a < low_end and a + PAGE > self.head:
            return True
        # The part that wrapped around to the start of the ring.
        return end > self.size and a < end - self.size

    def drained(self, start: u64, n: u64) -> None:
        """The n bytes from ring offset start were read: give back the pages no byte lives in now."""
        if self.count == 0:
            self.free_pages()
            self.head = u64(0)
            return
        npages = u64(len(self.pages))
        spanned = ((start & PAGE_MASK) + n + PAGE_MASK) >> 12
        if spanned > npages:
            spanned = npages
        i = start >> 12
        for _ in range(u64(0), spanned):
            a = self.pages[i]
            if a != 0 and not self.holds_data(i):
                page_free(a)
                self.pages[i] = u64(0)
            i = (i + 1) % npages

    def take(self, p: FsCaller, va: u64, n: u64) -> None:
        """Move n buffered bytes (n <= count) to user va (checked writable by the caller)."""
        start = self.head
        done = u64(0)
        while done < n:
            chunk = n - done
            page_left = PAGE - (self.head & PAGE_MASK)
            if chunk > page_left:
                chunk = page_left
            user_left = PAGE - ((va + done) & PAGE_MASK)
            if chunk > user_left:
                chunk = user_left
            p.copy_out(va + done, self.pages[self.head >> 12] + (self.head & PAGE_MASK), chunk)
            self.head = (self.head + chunk) % self.size
            self.count -= chunk
            done += chunk
        self.drained(start, n)

    def put_from(self, src: u64, n: u64) -> None:
        """Append n bytes (n <= space, their pages backed) from kernel address src."""
        done = u64(0)
        while done < n:
            tail = (self.head + self.count) % self.size
            chunk = n - done
            page_left = PAGE - (tail & PAGE_MASK)
            if chunk > page_left:
                chunk = page_left
            memcpy(self.pages[tail >> 12] + (tail & PAGE_MASK), src + done, chunk)
            self.count += chunk
            done += chunk

    def put(self, p: FsCaller, va: u64, n: u64) -> None:
        """Append n bytes (n <= space) from user va (checked readable by the caller)."""
        c = p.user_chunks(va, n, False)
        while c.next():
            self.put_from(c.kaddr, c.size)

    def resize(self, npages: u64) -> None:
        """Give the ring npages pages, keeping its data (EBUSY if it does not fit, ENOMEM)."""
        if self.count > npages * PAGE:
            raise SysError(EBUSY)
        fresh: List[u64] = []
        for _ in range(u64(0), npages):
            fresh.append(u64(0))
        # Copy the data to the start of the new ring, page by page of the destination.
        moved = u64(0)
        while moved < self.count:
            i = moved >> 12
            if fresh[i] == 0:
                try:
                    fresh[i] = page_alloc()
                except SysError:
                    for a in fresh:
                        if a != 0:
                            page_free(a)
                    raise SysError(ENOMEM)
            pos = (self.head + moved) % self.size
            chunk = self.count - moved
            if chunk > PAGE - (pos & PAGE_MASK):
                chunk = PAGE - (pos & PAGE_MASK)
            if chunk > PAGE - (moved & PAGE_MASK):
                chunk = PAGE - (moved & PAGE_MASK)
            memcpy(fresh[i] + (moved & PAGE_MASK), self.pages[pos >> 12] + (pos & PAGE_MASK), chunk)
            moved += chunk
        self.free_pages()
        self.pages = fresh
        self.size = npages * PAGE
        self.head = u64(0)
        wake_up(self.wchan)

    def set_size(self, p: Caller, n: u64) -> u64:
        """F_SETPIPE_SZ: a capacity of at least n bytes (rounded up to a power of two pages);
        EINVAL past 2^31, EPERM for an unprivileged user growing it past pipe-max-size or while
        over the soft limit, EBUSY if the data does not fit; return the capacity set."""
        size = round_pipe_size(n)
        if size == 0:
            raise SysError(EINVAL)
        npages = size >> 12
        old = u64(len(self.pages))
        privileged = p.uid == 0
        if npages > old and size > PIPE_MAX_SIZE and not privileged:
            raise SysError(EPERM)
        user = self.user
        if user != NO_USER:
            total = charge_pages(user, old, npages)
            if npages > old and over_soft_limit(total) and not privileged:
                charge_pages(user, npages, old)
                raise SysError(EPERM)
        try:
            self.resize(npages)
        except SysError as e:
            if user != NO_USER:
                charge_pages(user, npages, old)
            raise SysError(e.errno)
        return size

    def read(self, p: FsCaller, buf: u64, n: u64, nonblock: bool) -> u64:
        """Up to n bytes; 0 at EOF (empty, no writers); blocks while empty (EAGAIN, EINTR)."""
        if n == 0:
            return u64(0)
        while self.count == 0:
            if self.writers == 0:
                return u64(0)
            if nonblock:
                raise SysError(EAGAIN)
            if not sleep_on(self.rchan):
                raise SysError(EINTR)
        got = n
        if got > self.count:
            got = self.count
        # Only the bytes that are copied must be writable (as on Linux: a large buffer whose
        # tail is unmapped is fine when less data is there).
        p.check_user(buf, got, True)
        self.take(p, buf, got)
        wake_up(self.wchan)
        return got

    def write(self, p: FsCaller, buf: u64, n: u64, nonblock: bool) -> u64:
        """All n bytes (blocking for room); EPIPE and SIGPIPE without readers; writes of at most
        PIPE_BUF bytes are never interleaved with others; EAGAIN/EINTR only before any byte went;
        ENOMEM when no page is left for the data (what was written before stays)."""
        if self.readers == 0:
            raise_signal_self(SIGPIPE)
            raise SysError(EPIPE)
        if n == 0:
            return u64(0)
        p.check_user(buf, n, False)
        done = u64(0)
        while done < n:
            if self.readers == 0:
                if done != 0:
                    return done
                raise_signal_self(SIGPIPE)
                raise SysError(EPIPE)
            room = self.space()
            # An atomic write waits until all of it fits at once.
            need = u64(1)
            if n <= PIPE_BUF:
                need = n
            if room < need:
                if nonblock:
                    if done != 0:
                        return done
                    raise SysError(EAGAIN)
                if not sleep_on(self.wchan):
                    if done != 0:
                        return done
                    raise SysError(EINTR)
                continue
            chunk = n - done
            if chunk > room:
                chunk = room
            got = self.backed(chunk)
            if got < need:
                # Out of pages: an atomic write goes whole or not at all.
                if done != 0:
                    return done
                raise SysError(ENOMEM)
            if got < chunk:
                chunk = got
            self.put(p, buf + done, chunk)
            done += chunk
            wake_up(self.rchan)
        return done


def new_pipe_for(p: Caller) -> Pipe:
    """A pipe created by p (pipe(2), a FIFO's first open): the default capacity charged to p's
    real user, or PIPE_MIN_DEF_PAGES if that user is over the soft limit and p is unprivileged;
    ENOMEM once the kernel heap is down to its reserve (a pipe's own objects come from there)."""
    if heap_in_reserve():
        raise SysError(ENOMEM)
    npages = PIPE_DEF_PAGES
    total = charge_pages(p.ruid, u64(0), npages)
    if over_soft_limit(total) and p.uid != 0:
        charge_pages(p.ruid, npages, PIPE_MIN_DEF_PAGES)
        npages = PIPE_MIN_DEF_PAGES
    return Pipe(npages, p.ruid)


def new_uncharged_pipe() -> Pipe:
    """A pipe of the default capacity charged to nobody (one direction of a socket pair)."""
    return Pipe(PIPE_DEF_PAGES, NO_USER)


class PipeReadFile(File):
    """The read end of a pipe (or a FIFO opened for reading)."""

    pipe: Pipe

    def __init__(self, inode: Inode, pipe: Pipe, flags: u64) -> None:
        """A read end of pipe; counts itself as a reader."""
        File.__init__(self, inode, (flags & ~u64(3)) | O_RDONLY)
        self.pipe = pipe
        pipe.readers += 1

    def __del__(self) -> None:
        """The last close of this end: writers blocked on a full pipe get EPIPE."""
        self.pipe.readers -= 1
        wake_up(self.pipe.wchan)

    def read(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """Read from the pipe."""
        return self.pipe.read(p, buf, n, self.nonblocking())

    def poll_mask(self) -> u64:
        """Readable when data is there; hung up when every writer is gone."""
        m = u64(0)
        if self.pipe.count != 0:
            m |= POLLIN | POLLRDNORM
        if self.pipe.writers == 0:
            m |= POLLHUP
        return m

    def readable_bytes(self) -> u64:
        """The bytes buffered."""
        return self.pipe.count


class PipeWriteFile(File):
    """The write end of a pipe (or a FIFO opened for writing)."""

    pipe: Pipe

    def __init__(self, inode: Inode, pipe: Pipe, flags: u64) -> None:
        """A write end of pipe; counts itself as a writer."""
        File.__init__(self, inode, (flags & ~u64(3)) | O_WRONLY)
        self.pipe = pipe
        pipe.writers += 1

    def __del__(self) -> None:
        """The last close of this end: readers see EOF once the buffer is drained."""
        self.pipe.writers -= 1
        wake_up(self.pipe.rchan)

    def write(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """Write to the pipe."""
        return self.pipe.write(p, buf, n, self.nonblocking())

    def write_kernel(self, kaddr: u64, n: u64) -> u64:
        """sendfile into a pipe: what fits now, without blocking (EAGAIN if nothing does, EPIPE,
        ENOMEM if no page is left)."""
        pp = self.pipe
        if pp.readers == 0:
            raise_signal_self(SIGPIPE)
            raise SysError(EPIPE)
        if n > pp.space():
            n = pp.space()
        if n == 0:
            raise SysError(EAGAIN)
        n = pp.backed(n)
        if n == 0:
            raise SysError(ENOMEM)
        pp.put_from(kaddr, n)
        wake_up(pp.rchan)
        return n

    def poll_mask(self) -> u64:
        """Writable when PIPE_BUF bytes fit; an error when every reader is gone."""
        m = u64(0)
        if self.pipe.space() >= PIPE_BUF:
            m |= POLLOUT | POLLWRNORM
        if self.pipe.readers == 0:
            m |= POLLERR
        return m

    def readable_bytes(self) -> u64:
        """The bytes buffered."""
        return self.pipe.count


def new_pipe_inode() -> FifoInode:
    """The anonymous inode both ends of a pipe(2) report in fstat (S_IFIFO, 0600)."""
    return FifoInode(u32(0o600))


class PipeRWFile(File):
    """A FIFO opened O_RDWR: both a reader and a writer of its pipe (so it never sees EOF or EPIPE
    by itself)."""

    pipe: Pipe

    def __init__(self, inode: Inode, pipe: Pipe, flags: u64) -> None:
        """Both ends of pipe at once."""
        File.__init__(self, inode, flags)
        self.pipe = pipe
        pipe.readers += 1
        pipe.writers += 1

    def __del__(self) -> None:
        """The last close: one reader and one writer fewer."""
        self.pipe.readers -= 1
        self.pipe.writers -= 1
        wake_up(self.pipe.rchan)
        wake_up(self.pipe.wchan)

    def read(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """Read from the pipe."""
        return self.pipe.read(p, buf, n, self.nonblocking())

    def write(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """Write to the pipe."""
        return self.pipe.write(p, buf, n, self.nonblocking())

    def poll_mask(self) -> u64:
        """Readable when data is there, writable when PIPE_BUF bytes fit."""
        m = u64(0)
        if self.pipe.count != 0:
            m |= POLLIN | POLLRDNORM
        if self.pipe.space() >= PIPE_BUF:
            m |= POLLOUT | POLLWRNORM
        return m

    def readable_bytes(self) -> u64:
        """The bytes buffered."""
        return self.pipe.count


class NamedFifo(FifoInode):
    """A FIFO made by mknod/mkfifo: opening it joins the one pipe behind the name."""

    pipe: Pipe | None

    def __init__(self, perm: u32) -> None:
        """A FIFO node with no pipe yet."""
        FifoInode.__init__(self, perm)
        self.pipe = None


def open_fifo(ino: NamedFifo, flags: u64) -> File:
    """Open a named FIFO as Linux does: a read open waits for a writer and a write open for a
    reader (unless O_NONBLOCK: then a write open without readers is ENXIO); O_RDWR never waits.
    EINTR if a signal interrupts the wait."""
    pp = ino.pipe
    if pp is None or (pp.readers == 0 and pp.writers == 0):
        opener = upcalls().current_caller()
        if opener is None:
            pp = new_uncharged_pipe()
        else:
            pp = new_pipe_for(opener)
        ino.pipe = pp
    nonblock = (flags & O_NONBLOCK) != 0
    acc = flags & u64(3)
    if acc == O_RDONLY:
        r = PipeReadFile(ino, pp, flags)
        pp.r_opens += 1
        wake_up(pp.wchan)
        seen = pp.w_opens
        while not nonblock and pp.writers == 0 and pp.w_opens == seen:
            if not sleep_on(pp.rchan):
                raise SysError(EINTR)
        return r
    if acc == O_WRONLY:
        if nonblock and pp.readers == 0:
            raise SysError(ENXIO)
        w = PipeWriteFile(ino, pp, flags)
        pp.w_opens += 1
        wake_up(pp.rchan)
        seen = pp.r_opens
        while not nonblock and pp.readers == 0 and pp.r_opens == seen:
            if not sleep_on(pp.wchan):
                raise SysError(EINTR)
        return w
    if acc == O_RDWR:
        pp.r_opens += 1
        pp.w_opens += 1
        wake_up(pp.rchan)
        wake_up(pp.wchan)
        return PipeRWFile(ino, pp, flags)
    raise SysError(EINVAL)
