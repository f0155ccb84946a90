"""/dev/console and /dev/tty: a File that hands every operation to the console TTY (drivers/tty.py)."""

from asterpy.lang import u64
from asterpy.drivers.tty import console_tty
from asterpy.fs.file import File
from asterpy.fs.inode import Inode
from asterpy.fs.context import FsCaller


class TtyFile(File):
    """An open console: read, write, ioctl and poll go to the line discipline."""

    def __init__(self, inode: Inode, flags: u64) -> None:
        """An open file on the console TTY."""
        File.__init__(self, inode, flags)

    def read(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """Read a line (canonical mode) or bytes (raw) from the terminal."""
        return console_tty().read(p, buf, n, self.nonblocking())

    def write(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """Write to the terminal (output processing by the TTY)."""
        return console_tty().write(p, buf, n)

    def ioctl(self, p: FsCaller, cmd: u64, arg: u64) -> u64:
        """TCGETS, TIOCGWINSZ, TIOCSPGRP... (isatty() asks TCGETS)."""
        return console_tty().ioctl(p, cmd, arg)

    def poll_mask(self) -> u64:
        """The TTY's POLLIN/POLLOUT state."""
        return console_tty().poll_mask()
