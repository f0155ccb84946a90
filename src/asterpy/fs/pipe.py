"""Pipes: a 64 KiB ring buffer between a read end and a write end, with blocking and PIPE_BUF atomicity.

Readers sleep on `rchan` until data arrives or the last writer goes; writers sleep on `wchan`
until room appears or the last reader goes. Each end is a File; its drop hook (the last close
of that end, after dups and forks) updates the counts and wakes the other side.
"""

from typing import Final

from asterpy.lang import SysError, memcpy, u32, u64
from asterpy.lang.errno import EAGAIN, EINTR, EINVAL, ENOMEM, ENXIO, EPIPE
from asterpy.fs.file import POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, File
from asterpy.fs.inode import FifoInode, Inode
from asterpy.fs.mode import O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY
from asterpy.mm.heap import kfree, kmalloc
from asterpy.fs.context import FsCaller
from asterpy.kernel.upcalls import raise_signal_self
from asterpy.kernel.wait import new_wait_channel, sleep_on, wake_up

PIPE_SIZE: Final = u64(65536)
PIPE_BUF: Final = u64(4096)
PAGE: Final = u64(4096)
PAGE_MASK: Final = u64(4095)
SIGPIPE: Final = u64(13)


class Pipe:
    """The shared buffer: `count` bytes starting at `head` (mod PIPE_SIZE), and who holds each end."""

    buf: u64
    head: u64
    count: u64
    readers: u64
    writers: u64
    r_opens: u64        # read opens of a FIFO so far (a blocked writer open waits for a change)
    w_opens: u64
    rchan: u64
    wchan: u64

    def __init__(self) -> None:
        """An empty pipe with no ends open yet (ENOMEM)."""
        b = kmalloc(PIPE_SIZE)
        if b == 0:
            raise SysError(ENOMEM)
        self.buf = b
        self.head = u64(0)
        self.count = u64(0)
        self.readers = u64(0)
        self.writers = u64(0)
        self.r_opens = u64(0)
        self.w_opens = u64(0)
        self.rchan = new_wait_channel()
        self.wchan = new_wait_channel()

    def __del__(self) -> None:
        """Free the buffer with the last end."""
        kfree(self.buf)

    def space(self) -> u64:
        """Free bytes in the buffer."""
        return PIPE_SIZE - self.count

    def take(self, p: FsCaller, va: u64, n: u64) -> None:
        """Move n buffered bytes (n <= count) to user va (checked writable by the caller)."""
        done = u64(0)
        while done < n:
            chunk = n - done
            ring = PIPE_SIZE - self.head
            if chunk > ring:
                chunk = ring
            page = PAGE - ((va + done) & PAGE_MASK)
            if chunk > page:
                chunk = page
            memcpy(p.user_page(va + done, True), self.buf + self.head, chunk)
            self.head = (self.head + chunk) % PIPE_SIZE
            self.count -= chunk
            done += chunk

    def put(self, p: FsCaller, va: u64, n: u64) -> None:
        """Append n bytes (n <= space) from user va (checked readable by the caller)."""
        done = u64(0)
        while done < n:
            tail = (self.head + self.count) % PIPE_SIZE
            chunk = n - done
            ring = PIPE_SIZE - tail
            if chunk > ring:
                chunk = ring
            page = PAGE - ((va + done) & PAGE_MASK)
            if chunk > page:
                chunk = page
            memcpy(self.buf + tail, p.user_page(va + done, False), chunk)
            self.count += chunk
            done += chunk

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
        PIPE_BUF bytes are never interleaved with others; EAGAIN/EINTR only before any byte went."""
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
            self.put(p, buf + done, chunk)
            done += chunk
            wake_up(self.rchan)
        return done


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
        """sendfile into a pipe: what fits now, without blocking (EAGAIN if nothing does, EPIPE)."""
        pp = self.pipe
        if pp.readers == 0:
            raise_signal_self(SIGPIPE)
            raise SysError(EPIPE)
        if n > pp.space():
            n = pp.space()
        if n == 0:
            raise SysError(EAGAIN)
        done = u64(0)
        while done < n:
            tail = (pp.head + pp.count) % PIPE_SIZE
            chunk = n - done
            if chunk > PIPE_SIZE - tail:
                chunk = PIPE_SIZE - tail
            memcpy(pp.buf + tail, kaddr + done, chunk)
            pp.count += chunk
            done += chunk
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
        pp = Pipe()
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
