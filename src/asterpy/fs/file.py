"""Open files: the File base class (one virtual method per operation) and regular, directory and O_PATH files.

A File is what a file descriptor refers to: an inode, the open flags and, for seekable files,
the offset. dup() and fork share one File (so they share the offset). The syscall layer has
already checked the access mode (EBADF) and the user buffer's address range before it calls
read/write here; methods that make no sense for a kind of file raise its Linux errno.
"""

from typing import Final

from asterpy.lang import Ptr, SysError, i64, memset, u8, u16, u32, u64
from asterpy.lang.errno import EBADF, EFAULT, EINVAL, EISDIR, ENOTDIR, ENOTTY, ENXIO, ESPIPE
from asterpy.fs.abi import DIRENT_HEADER, kscratch, put_u32
from asterpy.fs.inode import DirInode, Inode, RegInode
from asterpy.fs.locks import LockOwner
from asterpy.fs.mode import O_ACCMODE, O_APPEND, O_NONBLOCK, O_PATH, O_RDONLY, O_RDWR, O_WRONLY, DT_DIR, dtype_of
from asterpy.mm.heap import kfree
from asterpy.fs.context import FsCaller

PAGE: Final = u64(4096)
PAGE_MASK: Final = u64(4095)

POLLIN: Final = u64(0x001)
POLLPRI: Final = u64(0x002)
POLLOUT: Final = u64(0x004)
POLLERR: Final = u64(0x008)
POLLHUP: Final = u64(0x010)
POLLNVAL: Final = u64(0x020)
POLLRDNORM: Final = u64(0x040)
POLLWRNORM: Final = u64(0x100)

FIONREAD: Final = u64(0x541B)

SEEK_SET: Final = u64(0)
SEEK_CUR: Final = u64(1)
SEEK_END: Final = u64(2)
SEEK_DATA: Final = u64(3)
SEEK_HOLE: Final = u64(4)
# Offsets are loff_t: a result above this is EINVAL (it would be negative).
MAX_OFFSET: Final = u64(0x7FFFFFFFFFFFFFFF)


class File:
    """An open file: its inode, flags (access mode and status flags) and offset."""

    inode: Inode
    flags: u64
    pos: u64
    lock_owner: LockOwner | None   # made by the first flock/OFD lock; its locks go with this File

    def __init__(self, inode: Inode, flags: u64) -> None:
        """An open file on inode with the open(2) flags kept (O_CREAT and the like are dropped)."""
        self.inode = inode
        self.flags = flags
        self.pos = u64(0)
        self.lock_owner = None

    def lock_owner_id(self) -> u64:
        """The owner number of this open file description's flock and OFD locks (asterpy.fs.locks)."""
        o = self.lock_owner
        if o is None:
            o = LockOwner()
            self.lock_owner = o
        return o.id

    def can_read(self) -> bool:
        """Opened for reading (O_RDONLY or O_RDWR, not O_PATH)."""
        acc = self.flags & O_ACCMODE
        return (self.flags & O_PATH) == 0 and (acc == O_RDONLY or acc == O_RDWR)

    def can_write(self) -> bool:
        """Opened for writing (O_WRONLY or O_RDWR, not O_PATH)."""
        acc = self.flags & O_ACCMODE
        return (self.flags & O_PATH) == 0 and (acc == O_WRONLY or acc == O_RDWR)

    def nonblocking(self) -> bool:
        """O_NONBLOCK is set."""
        return (self.flags & O_NONBLOCK) != 0

    def read(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """read(2) of n bytes to user buf at the file offset; the count."""
        raise SysError(EINVAL)

    def write(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """write(2) of n bytes from user buf; the count."""
        raise SysError(EINVAL)

    def pread(self, p: FsCaller, buf: u64, n: u64, off: u64) -> u64:
        """pread64(2): read at off without moving the offset (ESPIPE when not seekable)."""
        raise SysError(ESPIPE)

    def pwrite(self, p: FsCaller, buf: u64, n: u64, off: u64) -> u64:
        """pwrite64(2): write at off without moving the offset (ESPIPE when not seekable)."""
        raise SysError(ESPIPE)

    def lseek(self, off: u64, whence: u64) -> u64:
        """lseek(2): the new offset (ESPIPE when not seekable)."""
        raise SysError(ESPIPE)

    def getdents(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """getdents64(2) into user buf of n bytes: bytes filled (ENOTDIR for non-directories)."""
        raise SysError(ENOTDIR)

    def ioctl(self, p: FsCaller, cmd: u64, arg: u64) -> u64:
        """A file-specific ioctl: FIONREAD for files that can count their bytes, else ENOTTY."""
        if cmd == FIONREAD:
            put_u32(p, arg, u32(self.readable_bytes()))
            return u64(0)
        raise SysError(ENOTTY)

    def write_kernel(self, kaddr: u64, n: u64) -> u64:
        """sendfile's output side: write n bytes from kernel memory (EINVAL if the file cannot)."""
        raise SysError(EINVAL)

    def poll_mask(self) -> u64:
        """The POLL* bits that hold now (a plain file is always ready)."""
        return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM

    def truncate(self, length: u64) -> None:
        """ftruncate(2) (EINVAL for files that have no size to set)."""
        raise SysError(EINVAL)

    def readable_bytes(self) -> u64:
        """FIONREAD: bytes a read would return now (ENOTTY if the file cannot say)."""
        raise SysError(ENOTTY)

    def sync(self) -> None:
        """fsync(2): EINVAL for files that cannot be synced (pipes, terminals, devices)."""
        raise SysError(EINVAL)


def seek_to(pos: u64, off: u64, whence: u64, size: u64) -> u64:
    """The offset lseek(off, whence) gives from pos in a file of size bytes (EINVAL, ENXIO)."""
    soff = i64(off)
    base = u64(0)
    if whence == SEEK_SET:
        base = u64(0)
    elif whence == SEEK_CUR:
        base = pos
    elif whence == SEEK_END:
        base = size
    elif whence == SEEK_DATA or whence == SEEK_HOLE:
        # A ramfs file is all data (holes read as zero but are not reported), then one hole at the end.
        if soff < 0 or off >= size:
            raise SysError(ENXIO)
        if whence == SEEK_DATA:
            return off
        return size
    else:
        raise SysError(EINVAL)
    r = i64(base) + soff
    if soff > 0 and r < 0:
        raise SysError(EINVAL)
    if r < 0:
        raise SysError(EINVAL)
    return u64(r)


def reg_read_user(ino: RegInode, p: FsCaller, buf: u64, n: u64, off: u64) -> u64:
    """Copy up to n bytes of ino at off to user buf (checked by the caller); the count."""
    if off >= ino.size:
        return u64(0)
    if n > ino.size - off:
        n = ino.size - off
    p.check_user(buf, n, True)
    c = p.user_chunks(buf, n, True)
    while c.next():
        ino.read_at(c.kaddr, off + c.off, c.size)
    return n


def reg_write_user(ino: RegInode, p: FsCaller, buf: u64, n: u64, off: u64) -> u64:
    """Copy n bytes from user buf to ino at off (EFAULT before anything changes, EFBIG); the count,
    short when the file system fills up part way (ENOSPC, ENOMEM when nothing could be written)."""
    p.check_user(buf, n, False)
    done = u64(0)
    c = p.user_chunks(buf, n, False)
    while True:
        wrote = u64(0)
        try:
            if not c.next():
                break
            wrote = ino.write_at(c.kaddr, off + c.off, c.size)
        except SysError as e:
            if done == 0:
                raise SysError(e.errno)
            break
        done += wrote
        if wrote < c.size:
            break
    if done != 0:
        ino.touch_mtime()
    return done


class RegFile(File):
    """An open regular file of the ramfs."""

    reg: RegInode

    def __init__(self, inode: RegInode, flags: u64) -> None:
        """An open file on the regular inode."""
        File.__init__(self, inode, flags)
        self.reg = inode

    def read(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """Read at the offset and advance it."""
        got = reg_read_user(self.reg, p, buf, n, self.pos)
        self.pos += got
        return got

    def write(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """Write at the offset (at the end with O_APPEND) and advance it."""
        if (self.flags & O_APPEND) != 0:
            self.pos = self.reg.size
        done = reg_write_user(self.reg, p, buf, n, self.pos)
        self.pos += done
        return done

    def pread(self, p: FsCaller, buf: u64, n: u64, off: u64) -> u64:
        """Read at off."""
        return reg_read_user(self.reg, p, buf, n, off)

    def pwrite(self, p: FsCaller, buf: u64, n: u64, off: u64) -> u64:
        """Write at off (Linux appends instead when O_APPEND is set)."""
        if (self.flags & O_APPEND) != 0:
            off = self.reg.size
        return reg_write_user(self.reg, p, buf, n, off)

    def lseek(self, off: u64, whence: u64) -> u64:
        """Any offset at or after 0, also past the end."""
        self.pos = seek_to(self.pos, off, whence, self.reg.size)
        return self.pos

    def write_kernel(self, kaddr: u64, n: u64) -> u64:
        """Write n bytes from kernel memory at the offset (sendfile)."""
        if (self.flags & O_APPEND) != 0:
            self.pos = self.reg.size
        done = self.reg.write_at(kaddr, self.pos, n)
        self.pos += done
        if done != 0:
            self.reg.touch_mtime()
        return done

    def truncate(self, length: u64) -> None:
        """Set the size."""
        self.reg.set_size(length)
        self.reg.touch_mtime()

    def sync(self) -> None:
        """fsync: write the file system's dirty data back (nothing for memory file systems)."""
        self.inode.sb.sync_fs()

    def readable_bytes(self) -> u64:
        """The bytes between the offset and the end."""
        if self.pos >= self.reg.size:
            return u64(0)
        return self.reg.size - self.pos


def fill_dirent(k: u64, ino: u64, next_off: u64, dtype: u32, name: bytearray, reclen: u64) -> None:
    """Build one linux_dirent64 record of reclen bytes in kernel memory at k."""
    memset(k, 0, reclen)
    Ptr[u64](k).store(ino)
    Ptr[u64](k + 8).store(next_off)
    Ptr[u16](k + 16).store(u16(reclen))
    Ptr[u8](k + 18).store(u8(dtype))
    for i in range(0, len(name)):
        Ptr[u8](k + DIRENT_HEADER + u64(i)).store(name[i])


def put_dirent(p: FsCaller, va: u64, ino: u64, next_off: u64, dtype: u32, name: bytearray, reclen: u64) -> None:
    """Write one linux_dirent64 record of reclen bytes at user va."""
    k = kscratch(reclen)
    try:
        fill_dirent(k, ino, next_off, dtype, name, reclen)
        p.copy_out(va, k, reclen)
    finally:
        kfree(k)


def dirent_len(name_len: u64) -> u64:
    """The record length of a dirent with a name of name_len bytes (header, name, NUL, 8-aligned)."""
    return (DIRENT_HEADER + name_len + 1 + 7) & ~u64(7)


DOT: Final = u8(0x2E)
# The most record bytes getdents builds before copying them out (a record is at most 280 bytes).
GETDENTS_STAGE: Final = u64(4096)


class DirFile(File):
    """An open directory: getdents walks its entries; the offset is a position (0 ".", 1 "..",
    then each entry's cookie), so entries removed meanwhile do not make others skipped."""

    dir: DirInode

    def __init__(self, inode: DirInode, flags: u64) -> None:
        """An open file on the directory."""
        File.__init__(self, inode, flags)
        self.dir = inode

    def read(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """Directories are not read with read(2)."""
        raise SysError(EISDIR)

    def pread(self, p: FsCaller, buf: u64, n: u64, off: u64) -> u64:
        """Directories are not read with pread(2)."""
        raise SysError(EISDIR)

    def write(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """Directories are never open for writing (open refused it)."""
        raise SysError(EBADF)

    def lseek(self, off: u64, whence: u64) -> u64:
        """SEEK_SET to a position returned earlier, or SEEK_CUR (EINVAL otherwise)."""
        if whence != SEEK_SET and whence != SEEK_CUR:
            raise SysError(EINVAL)
        self.pos = seek_to(self.pos, off, whence, u64(0))
        return self.pos

    def sync(self) -> None:
        """fsync: write the file system's dirty data back (nothing for memory file systems)."""
        self.inode.sb.sync_fs()

    def getdents(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """As many records as fit in n bytes from the offset on (EINVAL if not even one fits)."""
        d = self.dir
        if d.dead:
            return u64(0)
        d.load()
        # Records are built in a kernel staging buffer and copied out a buffer at a time: `used`
        # bytes are in user memory (the offset after them was `done_pos`), `staged` more wait in k.
        stage = n
        if stage > GETDENTS_STAGE:
            stage = GETDENTS_STAGE
        k = kscratch(stage)
        used = u64(0)
        staged = u64(0)
        done_pos = self.pos
        slot = -1
        gen = d.gen
        empty = bytearray(0)
        try:
            while True:
                name = empty
                ino = u64(0)
                dtype = DT_DIR
                nxt = u64(0)
                found = False
                if self.pos == 0:
                    name = bytearray(1)
                    name[0] = DOT
                    ino = d.ino
                    nxt = u64(1)
                    found = True
                elif self.pos == 1:
                    name = bytearray(2)
                    name[0] = DOT
                    name[1] = DOT
                    ino = d.parent_dir().ino
                    nxt = u64(2)
                    found = True
                else:
                    # Resume at the first entry whose cookie is at least the offset: found by
                    # binary search once per call (again only if the list was compacted meanwhile,
                    # when a copy to user memory let another task in), then one slot per record.
                    if slot < 0 or gen != d.gen:
                        slot = d.slot_at(self.pos)
                        gen = d.gen
                    while slot < len(d.slots):
                        e = d.slots[slot]
                        slot += 1
                        if e is not None:
                            name = e.name
                            ino = e.inode.ino
                            dtype = dtype_of(e.inode.mode)
                            nxt = e.cookie + 1
                            found = True
                            break
                if not found:
                    break
                rl = dirent_len(u64(len(name)))
                if rl > n - used - staged:
                    if used + staged == 0:
                        raise SysError(EINVAL)
                    break
                if rl > stage - staged:
                    p.copy_out(buf + used, k, staged)
                    used += staged
                    staged = u64(0)
                    done_pos = self.pos
                fill_dirent(k + staged, ino, nxt, dtype, name, rl)
                staged += rl
                self.pos = nxt
            if staged > 0:
                p.copy_out(buf + used, k, staged)
                used += staged
        except SysError as err:
            # A fault copying out: the records not copied are not consumed. Like Linux, the
            # records already copied are the result; EFAULT only when there are none.
            self.pos = done_pos
            if used == 0 or err.errno != EFAULT:
                raise
        finally:
            kfree(k)
        return used


class PathFile(File):
    """An O_PATH descriptor: names a file for *at() calls and fstat, allows no I/O."""

    def read(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """No I/O through O_PATH."""
        raise SysError(EBADF)

    def write(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """No I/O through O_PATH."""
        raise SysError(EBADF)

    def pread(self, p: FsCaller, buf: u64, n: u64, off: u64) -> u64:
        """No I/O through O_PATH."""
        raise SysError(EBADF)

    def pwrite(self, p: FsCaller, buf: u64, n: u64, off: u64) -> u64:
        """No I/O through O_PATH."""
        raise SysError(EBADF)

    def lseek(self, off: u64, whence: u64) -> u64:
        """No seeking through O_PATH."""
        raise SysError(EBADF)

    def getdents(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """No listing through O_PATH."""
        raise SysError(EBADF)

    def ioctl(self, p: FsCaller, cmd: u64, arg: u64) -> u64:
        """No ioctl through O_PATH."""
        raise SysError(EBADF)

    def poll_mask(self) -> u64:
        """poll reports POLLNVAL for an O_PATH descriptor."""
        return POLLNVAL

    def truncate(self, length: u64) -> None:
        """No truncation through O_PATH."""
        raise SysError(EBADF)
