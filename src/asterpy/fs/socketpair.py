"""socketpair(AF_UNIX, SOCK_STREAM): two connected stream sockets made of two pipes, crosswise.

Each end reads the pipe the other end writes. Closing an end (or shutting down one direction)
is seen by the peer as end of file or EPIPE, exactly as with pipes. Datagram and seqpacket pairs,
and sockets with addresses, are not implemented yet.
"""

from typing import Final

from asterpy.lang import SysError, u64
from asterpy.lang.errno import EPIPE
from asterpy.fs.file import POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, File
from asterpy.fs.inode import Inode
from asterpy.fs.pipe import PIPE_BUF, Pipe
from asterpy.fs.context import FsCaller
from asterpy.kernel.upcalls import raise_signal_self
from asterpy.kernel.wait import wake_up

S_IFSOCK: Final = u64(0o140000)
SIGPIPE: Final = u64(13)
POLLRDHUP: Final = u64(0x2000)
SHUT_RD: Final = u64(0)
SHUT_WR: Final = u64(1)
SHUT_RDWR: Final = u64(2)


class StreamEnd(File):
    """One end of a socket pair: it reads `inp` and writes `out`."""

    inp: Pipe
    out: Pipe
    read_shut: bool
    write_shut: bool

    def __init__(self, inode: Inode, flags: u64, inp: Pipe, out: Pipe) -> None:
        """An end reading inp and writing out; counts itself as their reader and writer."""
        File.__init__(self, inode, flags)
        self.inp = inp
        self.out = out
        self.read_shut = False
        self.write_shut = False
        inp.readers += 1
        out.writers += 1

    def __del__(self) -> None:
        """The last close: the peer sees end of file and EPIPE."""
        self.shutdown(SHUT_RDWR)

    def shutdown(self, how: u64) -> None:
        """Stop reading, writing or both (the peer's reads end, its writes fail)."""
        if (how == SHUT_RD or how == SHUT_RDWR) and not self.read_shut:
            self.read_shut = True
            self.inp.readers -= 1
            wake_up(self.inp.wchan)
            wake_up(self.inp.rchan)
        if (how == SHUT_WR or how == SHUT_RDWR) and not self.write_shut:
            self.write_shut = True
            self.out.writers -= 1
            wake_up(self.out.rchan)

    def recv(self, p: FsCaller, buf: u64, n: u64, nonblock: bool) -> u64:
        """Read from the peer (0 once it shut down writing and the data is drained)."""
        if self.read_shut:
            return u64(0)
        return self.inp.read(p, buf, n, nonblock)

    def send(self, p: FsCaller, buf: u64, n: u64, nonblock: bool, nosignal: bool) -> u64:
        """Write to the peer: EPIPE, with SIGPIPE unless nosignal (MSG_NOSIGNAL), once it is gone
        or we shut down writing."""
        if self.write_shut or (nosignal and self.out.readers == 0):
            if not nosignal:
                raise_signal_self(SIGPIPE)
            raise SysError(EPIPE)
        return self.out.write(p, buf, n, nonblock)

    def read(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """read(2) on the socket."""
        return self.recv(p, buf, n, self.nonblocking())

    def write(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """write(2) on the socket."""
        return self.send(p, buf, n, self.nonblocking(), False)

    def poll_mask(self) -> u64:
        """Readable with data or at end of file; writable while PIPE_BUF fits; hang-ups."""
        m = u64(0)
        if self.inp.count != 0 or self.inp.writers == 0 or self.read_shut:
            m |= POLLIN | POLLRDNORM
        if self.inp.writers == 0:
            m |= POLLRDHUP
        if not self.write_shut and self.out.space() >= PIPE_BUF:
            m |= POLLOUT | POLLWRNORM
        if self.out.readers == 0:
            m |= POLLERR
        if self.inp.writers == 0 and (self.out.readers == 0 or self.write_shut):
            m |= POLLHUP
        return m

    def readable_bytes(self) -> u64:
        """FIONREAD: the bytes waiting."""
        return self.inp.count
