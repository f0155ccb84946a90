"""Open procfs files: a text file reads a snapshot of its contents made at open; a directory lists
the entries it has at the moment the listing starts (again after a rewind)."""

from typing import Final

from asterpy.lang import List, SysError, u32, u64
from asterpy.lang.errno import EACCES, EBADF, EINVAL, EISDIR
from asterpy.drivers.tty import user_byte
from asterpy.fs.file import SEEK_CUR, SEEK_SET, File, dirent_len, put_dirent, seek_to
from asterpy.fs.inode import Inode
from asterpy.fs.mode import DT_DIR, O_ACCMODE, O_RDONLY
from asterpy.fs.procfs.content import fill
from asterpy.fs.procfs.nodes import D_PID, D_TID, F_COMM, ProcDir, ProcNode, children_of, dtype_of_kind, node_ino
from asterpy.fs.procfs.provider import the_provider
from asterpy.fs.procfs.text import TextBuf
from asterpy.fs.context import FsCaller

DOT: Final = 0x2E


class ProcTextFile(File):
    """An open /proc text file: reads and seeks walk the text made when it was opened."""

    node: ProcNode
    text: TextBuf

    def __init__(self, node: ProcNode, flags: u64, text: TextBuf) -> None:
        """An open file on node showing text."""
        File.__init__(self, node, flags)
        self.node = node
        self.text = text

    def read(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """Read from the offset on and advance it."""
        got = self.pread(p, buf, n, self.pos)
        self.pos += got
        return got

    def pread(self, p: FsCaller, buf: u64, n: u64, off: u64) -> u64:
        """Read at off; 0 at the end."""
        t = self.text
        if off >= t.length:
            return u64(0)
        if n > t.length - off:
            n = t.length - off
        if n != 0:
            p.copy_out(buf, t.addr + off, n)
        return n

    def write(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """Only comm is writable: its new name is the first 15 bytes (a final newline dropped)."""
        node = self.node
        if node.fkind != F_COMM:
            raise SysError(EBADF)
        name = bytearray(0)
        k = n
        if k > 15:
            k = u64(15)
        for i in range(u64(0), k):
            c = user_byte(p, buf + i)
            if c == 0 or (c == 0x0A and i + 1 == n):
                break
            name.append(c)
        the_provider().set_comm(node.pid, node.tid, name)
        return n

    def lseek(self, off: u64, whence: u64) -> u64:
        """Any offset from 0 on (SEEK_END counts from the end of the text)."""
        self.pos = seek_to(self.pos, off, whence, self.text.length)
        return self.pos

    def readable_bytes(self) -> u64:
        """The bytes between the offset and the end of the text."""
        if self.pos >= self.text.length:
            return u64(0)
        return self.text.length - self.pos


class ProcDirFile(File):
    """An open procfs directory; positions are 0 ".", 1 "..", then 2 + the index in the listing."""

    dir: ProcDir
    names: List[bytearray]
    inos: List[u64]
    types: List[u32]

    def __init__(self, d: ProcDir, flags: u64) -> None:
        """An open file on directory d (the listing is made when reading starts)."""
        File.__init__(self, d, flags)
        self.dir = d
        self.names = []
        self.inos = []
        self.types = []

    def snapshot(self) -> None:
        """List the directory's entries as they are now."""
        d = self.dir
        c = children_of(d)
        self.names = c.names
        self.inos = []
        self.types = []
        for i in range(0, len(c.names)):
            k = c.kinds[i]
            pid = d.pid
            tid = d.tid
            num = c.nums[i]
            if k == D_PID:         # the entry is named by the pid itself
                pid = num
                num = u64(0)
            elif k == D_TID:
                tid = num
                num = u64(0)
            self.inos.append(node_ino(k, pid, tid, num))
            self.types.append(dtype_of_kind(k))

    def read(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """Directories are not read with read(2)."""
        raise SysError(EISDIR)

    def pread(self, p: FsCaller, buf: u64, n: u64, off: u64) -> u64:
        """Directories are not read with pread(2)."""
        raise SysError(EISDIR)

    def write(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """Directories are never open for writing."""
        raise SysError(EBADF)

    def lseek(self, off: u64, whence: u64) -> u64:
        """SEEK_SET to a position returned earlier, or SEEK_CUR (EINVAL otherwise)."""
        if whence != SEEK_SET and whence != SEEK_CUR:
            raise SysError(EINVAL)
        self.pos = seek_to(self.pos, off, whence, u64(0))
        return self.pos

    def getdents(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """As many records as fit in n bytes from the offset on (EINVAL if not even one fits)."""
        if self.pos == 0 or len(self.names) == 0:
            self.snapshot()
        used = u64(0)
        while True:
            name = bytearray(0)
            ino = u64(0)
            dtype = DT_DIR
            if self.pos == 0:
                name = bytearray(1)
                name[0] = DOT
                ino = self.dir.ino
            elif self.pos == 1:
                name = bytearray(2)
                name[0] = DOT
                name[1] = DOT
                ino = self.dir.parent_dir().ino
            else:
                i = self.pos - 2
                if i >= u64(len(self.names)):
                    return used
                name = self.names[i]
                ino = self.inos[i]
                dtype = self.types[i]
            rl = dirent_len(u64(len(name)))
            if rl > n - used:
                if used == 0:
                    raise SysError(EINVAL)
                return used
            put_dirent(p, buf + used, ino, self.pos + 1, dtype, name, rl)
            used += rl
            self.pos += 1


def open_proc(ino: Inode, flags: u64) -> File | None:
    """The File for a procfs inode (None when ino is not one): text is made now (ENOENT when its
    process has gone, EACCES for writing)."""
    if isinstance(ino, ProcDir):
        return ProcDirFile(ino, flags)
    if isinstance(ino, ProcNode):
        if (flags & O_ACCMODE) != O_RDONLY and ino.fkind != F_COMM:
            raise SysError(EACCES)
        t = TextBuf()
        fill(ino, t)
        return ProcTextFile(ino, flags, t)
    return None
