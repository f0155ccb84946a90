"""devpts: pseudo-terminals. Opening /dev/ptmx makes a pair: the master File and /dev/pts/N.

The slave side is a Tty (drivers/tty.py) like the console: the same line discipline (echo,
canonical mode, signals, job control, window size), with its output going to the master's queue
instead of the UART; what the master writes is the terminal's input. /dev/pts is its own file
system (mounted there at boot) whose directory lists one character device 136:N per terminal.
Closing the master hangs the terminal up: the foreground group gets SIGHUP (and SIGCONT),
slave reads see end of file and writes EIO; closing every slave makes master reads EIO.
"""

from typing import Final

from asterpy.lang import List, SysError, u8, u32, u64
from asterpy.lang.errno import EAGAIN, EINTR, EIO, ENOSPC, ENXIO, EPERM
from asterpy.drivers.tty import F_EOF, ICANON, SIGCONT, SIGHUP, Tty, register_tty, unregister_tty, user_byte
from asterpy.fs.abi import get_u32, put_u32
from asterpy.fs.file import POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, File
from asterpy.fs.inode import DevInode, DirInode, Inode
from asterpy.fs.mode import S_IFCHR
from asterpy.fs.superblock import ST_RELATIME, SuperBlock
from asterpy.fs.context import FsCaller
from asterpy.kernel.upcalls import signal_pgrp
from asterpy.kernel.wait import new_wait_channel, sleep_on, wake_up

PTY_SLAVE_MAJOR: Final = u32(136)
PTMX_MINOR: Final = u32(2)
MAX_PTYS: Final = u64(256)
# Bytes the slave may write before the master reads them (more are dropped: output never blocks).
MASTER_QUEUE: Final = u64(65536)
DEVPTS_SUPER_MAGIC: Final = u64(0x1CD1)
DEVPTS_DEV_MINOR: Final = u32(21)

TIOCGPTN: Final = u64(0x80045430)
TIOCSPTLCK: Final = u64(0x40045431)
TIOCGPTLCK: Final = u64(0x80045439)


class Pty(Tty):
    """One pseudo-terminal: the slave's line discipline, and the queue of output for the master."""

    index: u64
    out: List[u8]
    out_head: u64
    out_count: u64
    master_chan: u64     # master readers sleep here
    locked: bool         # unlockpt (TIOCSPTLCK 0) not called yet: the slave cannot be opened
    master_open: bool
    slaves: u64          # open slave files
    slave_opened: bool   # a slave was opened once (master reads are EIO when all are closed again)

    def __init__(self, index: u64) -> None:
        """Pseudo-terminal number index, locked, its master open."""
        Tty.__init__(self)
        self.index = index
        self.out = []
        for _ in range(u64(0), MASTER_QUEUE):
            self.out.append(u8(0))
        self.out_head = u64(0)
        self.out_count = u64(0)
        self.master_chan = new_wait_channel()
        self.locked = True
        self.master_open = True
        self.slaves = u64(0)
        self.slave_opened = False

    def device_out(self, c: u8) -> None:
        """The slave's output goes to the master's queue."""
        if not self.master_open or self.out_count >= MASTER_QUEUE:
            return
        self.out[(self.out_head + self.out_count) % MASTER_QUEUE] = c
        self.out_count += 1
        wake_up(self.master_chan)

    def hang_up(self) -> None:
        """The master closed: signal the foreground group, end pending slave reads (end of file)."""
        if self.pgrp != 0:
            signal_pgrp(self.pgrp, SIGHUP)
            signal_pgrp(self.pgrp, SIGCONT)
        self.flush_input()
        if self.lflag(ICANON):
            # A canonical reader asleep now returns 0 (end of file); raw readers wake too and
            # are interrupted by SIGHUP, and every later slave read returns 0 at once.
            self.push(u8(0), F_EOF)
        self.commit()


class PtsDir(DirInode):
    """/dev/pts: one node per pseudo-terminal, made and removed by the kernel only."""

    ptys: List[Pty | None]

    def __init__(self) -> None:
        """An empty devpts root."""
        DirInode.__init__(self, u32(0o755), None)
        self.sb = SuperBlock(b"devpts", DEVPTS_SUPER_MAGIC, DEVPTS_DEV_MINOR, ST_RELATIME)
        self.ptys = []

    def add(self, name: bytearray, inode: Inode) -> None:
        """Names appear in /dev/pts only when /dev/ptmx is opened."""
        raise SysError(EPERM)

    def remove(self, name: bytearray) -> Inode | None:
        """Nothing can be removed from /dev/pts."""
        raise SysError(EPERM)

    def detach(self, name: bytearray) -> "Dentry | None":
        """Nothing can be renamed in /dev/pts."""
        raise SysError(EPERM)

    def is_empty(self) -> bool:
        """Never removed."""
        return False

    def new_pty(self, uid: u32, gid: u32) -> Pty:
        """A new pseudo-terminal with the lowest free number and its node N (ENOSPC when all are taken)."""
        idx = u64(0)
        while idx < u64(len(self.ptys)) and self.ptys[idx] is not None:
            idx += 1
        if idx >= MAX_PTYS:
            raise SysError(ENOSPC)
        pty = Pty(idx)
        if idx == u64(len(self.ptys)):
            self.ptys.append(pty)
        else:
            self.ptys[idx] = pty
        node = DevInode(S_IFCHR | u32(0o620), PTY_SLAVE_MAJOR, u32(idx))
        node.uid = uid
        node.gid = gid
        DirInode.add(self, number_name(idx), node)
        register_tty(pty)
        return pty

    def release(self, pty: Pty) -> None:
        """Forget a pseudo-terminal whose master and slaves are all closed."""
        if pty.index < u64(len(self.ptys)) and self.ptys[pty.index] is pty:
            self.ptys[pty.index] = None
            DirInode.remove(self, number_name(pty.index))
            unregister_tty(pty)

    def find(self, name: bytearray) -> "Dentry | None":
        """The node called name (DirInode's search)."""
        return DirInode.find(self, name)


def number_name(v: u64) -> bytearray:
    """v's decimal digits."""
    n = u64(1)
    t = v
    while t >= 10:
        t = t // 10
        n += 1
    out = bytearray(int(n))
    i = n
    t = v
    while i > 0:
        i -= 1
        out[i] = u8(0x30 + t % 10)
        t = t // 10
    return out


pts: PtsDir | None = None


def pts_root() -> PtsDir:
    """The one devpts instance (mounted on /dev/pts at boot)."""
    global pts
    d = pts
    if d is None:
        d = PtsDir()
        pts = d
    return d


class PtyMasterFile(File):
    """The master side: reads take the slave's output, writes are the slave's input."""

    pty: Pty

    def __init__(self, inode: Inode, flags: u64, pty: Pty) -> None:
        """An open master of pty."""
        File.__init__(self, inode, flags)
        self.pty = pty

    def __del__(self) -> None:
        """The last close of the master hangs the terminal up."""
        t = self.pty
        t.master_open = False
        t.hang_up()
        if t.slaves == 0:
            pts_root().release(t)

    def read(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """What the slave wrote (EAGAIN, EINTR; EIO once every slave is closed again)."""
        t = self.pty
        while t.out_count == 0:
            if t.slave_opened and t.slaves == 0:
                raise SysError(EIO)
            if self.nonblocking():
                raise SysError(EAGAIN)
            if not sleep_on(t.master_chan):
                raise SysError(EINTR)
        if n > t.out_count:
            n = t.out_count
        p.check_user(buf, n, True)
        for i in range(u64(0), n):
            p.put_byte(buf + i, t.out[(t.out_head + i) % MASTER_QUEUE])
        t.out_head = (t.out_head + n) % MASTER_QUEUE
        t.out_count -= n
        return n

    def write(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """Each byte is terminal input: line editing, echo and signal characters apply."""
        p.check_user(buf, n, False)
        for i in range(u64(0), n):
            self.pty.receive(user_byte(p, buf + i))
        return n

    def ioctl(self, p: FsCaller, cmd: u64, arg: u64) -> u64:
        """TIOCGPTN (ptsname), TIOCSPTLCK/TIOCGPTLCK (unlockpt); the rest act on the terminal."""
        t = self.pty
        if cmd == TIOCGPTN:
            put_u32(p, arg, u32(t.index))
            return u64(0)
        if cmd == TIOCSPTLCK:
            t.locked = get_u32(p, arg) != 0
            return u64(0)
        if cmd == TIOCGPTLCK:
            put_u32(p, arg, u32(1) if t.locked else u32(0))
            return u64(0)
        return t.ioctl(p, cmd, arg)

    def poll_mask(self) -> u64:
        """POLLIN with output waiting, POLLHUP once the slaves are gone; POLLOUT always."""
        t = self.pty
        m = POLLOUT | POLLWRNORM
        if t.out_count > 0:
            m |= POLLIN | POLLRDNORM
        if t.slave_opened and t.slaves == 0:
            m |= POLLHUP
        return m


class PtySlaveFile(File):
    """/dev/pts/N: a terminal like the console."""

    pty: Pty

    def __init__(self, inode: Inode, flags: u64, pty: Pty) -> None:
        """An open slave of pty."""
        File.__init__(self, inode, flags)
        self.pty = pty
        pty.slaves += 1
        pty.slave_opened = True

    def __del__(self) -> None:
        """The last close of this slave file."""
        t = self.pty
        t.slaves -= 1
        wake_up(t.master_chan)
        if t.slaves == 0 and not t.master_open:
            pts_root().release(t)

    def read(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """A line or bytes from the terminal (end of file after a hang-up)."""
        if not self.pty.master_open:
            return u64(0)
        return self.pty.read(p, buf, n, self.nonblocking())

    def write(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """Output to the master (EIO after a hang-up)."""
        if not self.pty.master_open:
            raise SysError(EIO)
        return self.pty.write(p, buf, n)

    def ioctl(self, p: FsCaller, cmd: u64, arg: u64) -> u64:
        """termios, window size, process groups, TIOCSCTTY... as on the console."""
        return self.pty.ioctl(p, cmd, arg)

    def poll_mask(self) -> u64:
        """The terminal's state; POLLHUP after a hang-up."""
        m = self.pty.poll_mask()
        if not self.pty.master_open:
            m |= POLLHUP | POLLIN
        return m


def open_master(ino: Inode, flags: u64, uid: u32, gid: u32) -> File:
    """/dev/ptmx: a new pseudo-terminal (its node owned by uid:gid); its master."""
    pty = pts_root().new_pty(uid, gid)
    return PtyMasterFile(ino, flags, pty)


def open_controlling_tty(sid: u64, ino: Inode, flags: u64) -> File | None:
    """/dev/tty (5:0) for a process of session sid whose controlling terminal is a pseudo-terminal:
    that terminal's slave; None otherwise (the console's /dev/tty answers)."""
    if not isinstance(ino, DevInode):
        return None
    if ino.rdev_major != u32(5) or ino.rdev_minor != u32(0) or (ino.mode & u32(0o170000)) != S_IFCHR or sid == 0:
        return None
    for pty in pts_root().ptys:
        if pty is not None:
            if pty.session == sid and pty.master_open:
                return PtySlaveFile(ino, flags, pty)
    return None


def open_slave(ino: DevInode, flags: u64) -> File:
    """/dev/pts/N: EIO while it is locked or its master is gone, ENXIO when it does not exist."""
    d = pts_root()
    idx = u64(ino.rdev_minor)
    if idx >= u64(len(d.ptys)):
        raise SysError(ENXIO)
    pty = d.ptys[idx]
    if pty is None:
        raise SysError(ENXIO)
    if pty.locked or not pty.master_open:
        raise SysError(EIO)
    return PtySlaveFile(ino, flags, pty)


from asterpy.fs.inode import Dentry  # noqa: E402  (for the annotations above)
