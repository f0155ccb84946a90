"""Device nodes in /dev and the files they open: null, zero, full, random, urandom, tty, console,
and kmeminfo (the kernel heap and free frames to the byte, asterpy.mm.meminfo: the leak check reads it).

The nodes are ordinary ramfs inodes (so `ls /dev` lists them and mknod can add more); opening one
picks the driver by its major:minor, as Linux's character-device table does.
"""

from typing import Final

from asterpy.lang import SysError, u8, u32, u64
from asterpy.kernel.entropy import random_u64
from asterpy.lang.errno import EBADF, EINVAL, ENOSPC, ENXIO
from asterpy.fs.file import POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, SEEK_END, File, seek_to
from asterpy.fs.inode import DevInode, DirInode, Inode, SymlinkInode, name_from
from asterpy.fs.mode import S_IFBLK, S_IFCHR
from asterpy.fs.blockdev import BlockDevFile
from asterpy.drivers.block import all_block_devices, find_block_device_by_number
from asterpy.fs.ttyfile import TtyFile
from asterpy.fs.context import FsCaller
from asterpy.fs.devpts import PTMX_MINOR
from asterpy.mm.meminfo import meminfo_text

PAGE: Final = u64(4096)
PAGE_MASK: Final = u64(4095)

MEM_MAJOR: Final = u32(1)
NULL_MINOR: Final = u32(3)
ZERO_MINOR: Final = u32(5)
FULL_MINOR: Final = u32(7)
RANDOM_MINOR: Final = u32(8)
URANDOM_MINOR: Final = u32(9)
TTY_MAJOR: Final = u32(5)
TTY_MINOR: Final = u32(0)
CONSOLE_MINOR: Final = u32(1)
# /dev/kmeminfo: a major from Linux's range for local use (240-254), so no real driver clashes.
KMEMINFO_MAJOR: Final = u32(240)
KMEMINFO_MINOR: Final = u32(0)

KIND_NULL: Final = u32(0)
KIND_ZERO: Final = u32(1)
KIND_FULL: Final = u32(2)
KIND_RANDOM: Final = u32(3)


def zero_user(p: FsCaller, buf: u64, n: u64) -> None:
    """Fill n bytes of user memory at buf with zeros (EFAULT before any is written)."""
    p.zero_user(buf, n)


def random_user(p: FsCaller, buf: u64, n: u64) -> None:
    """Fill n bytes of user memory at buf from the kernel's generator (EFAULT first)."""
    p.check_user(buf, n, True)
    i = u64(0)
    while i < n:
        r = random_u64()
        j = u64(0)
        while j < 8 and i < n:
            p.put_byte(buf + i, u8(r >> (8 * j)))
            i += 1
            j += 1


class MemDevFile(File):
    """/dev/null, /dev/zero, /dev/full, /dev/random and /dev/urandom (minor picks the kind)."""

    kind: u32

    def __init__(self, inode: Inode, flags: u64, kind: u32) -> None:
        """An open memory device of kind KIND_*."""
        File.__init__(self, inode, flags)
        self.kind = kind

    def read(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """null: EOF; zero and full: zeros; random: random bytes."""
        if self.kind == KIND_NULL:
            return u64(0)
        if self.kind == KIND_RANDOM:
            random_user(p, buf, n)
        else:
            zero_user(p, buf, n)
        return n

    def write(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """Everything is swallowed, except by full (ENOSPC)."""
        if self.kind == KIND_FULL:
            raise SysError(ENOSPC)
        return n

    def write_kernel(self, kaddr: u64, n: u64) -> u64:
        """sendfile into a memory device: as write."""
        if self.kind == KIND_FULL:
            raise SysError(ENOSPC)
        return n

    def pread(self, p: FsCaller, buf: u64, n: u64, off: u64) -> u64:
        """As read: the offset does not matter."""
        return self.read(p, buf, n)

    def pwrite(self, p: FsCaller, buf: u64, n: u64, off: u64) -> u64:
        """As write: the offset does not matter."""
        return self.write(p, buf, n)

    def lseek(self, off: u64, whence: u64) -> u64:
        """Seeking succeeds and changes nothing (Linux answers 0)."""
        return u64(0)

    def poll_mask(self) -> u64:
        """Always ready."""
        return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM


class MemInfoFile(File):
    """/dev/kmeminfo: read-only text, made afresh by each read (a reader that reads it in pieces
    may see figures from different moments, as with /proc files)."""

    def read(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """The text from the file offset on; the offset moves past what was read."""
        got = self.pread(p, buf, n, self.pos)
        self.pos += got
        return got

    def pread(self, p: FsCaller, buf: u64, n: u64, off: u64) -> u64:
        """Up to n bytes of the text from offset off (0 at its end)."""
        text = meminfo_text(p.frames)
        size = u64(len(text))
        if off >= size:
            return u64(0)
        if n > size - off:
            n = size - off
        p.check_user(buf, n, True)
        for i in range(u64(0), n):
            p.put_byte(buf + i, text[off + i])
        return n

    def write(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """Not writable (opening it for writing is allowed, as for a 0444 /proc file opened by root)."""
        raise SysError(EBADF)

    def pwrite(self, p: FsCaller, buf: u64, n: u64, off: u64) -> u64:
        """Not writable."""
        raise SysError(EBADF)

    def lseek(self, off: u64, whence: u64) -> u64:
        """Move the offset; SEEK_END is EINVAL (the text has no fixed size, as for a /proc file)."""
        if whence == SEEK_END:
            raise SysError(EINVAL)
        self.pos = seek_to(self.pos, off, whence, u64(0))
        return self.pos

    def poll_mask(self) -> u64:
        """Always readable."""
        return POLLIN | POLLRDNORM


def open_device(ino: DevInode, flags: u64) -> File:
    """The File opening a device node gives: ENXIO for a device number with no driver."""
    if (ino.mode & u32(0o170000)) == S_IFBLK:
        disk = find_block_device_by_number(u64(ino.rdev_major), u64(ino.rdev_minor))
        if disk is None:
            raise SysError(ENXIO)
        return BlockDevFile(ino, flags, disk)
    if (ino.mode & u32(0o170000)) != S_IFCHR:
        raise SysError(ENXIO)
    if ino.rdev_major == MEM_MAJOR:
        if ino.rdev_minor == NULL_MINOR:
            return MemDevFile(ino, flags, KIND_NULL)
        if ino.rdev_minor == ZERO_MINOR:
            return MemDevFile(ino, flags, KIND_ZERO)
        if ino.rdev_minor == FULL_MINOR:
            return MemDevFile(ino, flags, KIND_FULL)
        if ino.rdev_minor == RANDOM_MINOR or ino.rdev_minor == URANDOM_MINOR:
            return MemDevFile(ino, flags, KIND_RANDOM)
    if ino.rdev_major == TTY_MAJOR and (ino.rdev_minor == TTY_MINOR or ino.rdev_minor == CONSOLE_MINOR):
        return TtyFile(ino, flags)
    if ino.rdev_major == KMEMINFO_MAJOR and ino.rdev_minor == KMEMINFO_MINOR:
        return MemInfoFile(ino, flags)
    raise SysError(ENXIO)


def add_node(d: DirInode, name: bytes, perm: u32, major: u32, minor: u32) -> DevInode:
    """Create character device name (major:minor, permissions perm) in d unless it exists."""
    return add_typed_node(d, name, S_IFCHR | perm, major, minor)


def add_typed_node(d: DirInode, name: bytes, mode: u32, major: u32, minor: u32) -> DevInode:
    """Create device node name (S_IFCHR or S_IFBLK and permissions in mode, major:minor) in d unless it exists."""
    nm = name_from(name)
    old = d.lookup(nm)
    if isinstance(old, DevInode):
        return old
    node = DevInode(mode, major, minor)
    if old is None:
        d.add(nm, node)
    return node


def make_dev_nodes(root: DirInode) -> DirInode:
    """Create /dev (0755) and its standard nodes under root; /dev."""
    nm = name_from(b"dev")
    old = root.lookup(nm)
    if isinstance(old, DirInode):
        dev = old
    else:
        dev = DirInode(u32(0o755), root)
        if old is None:
            root.add(nm, dev)
    add_node(dev, b"null", u32(0o666), MEM_MAJOR, NULL_MINOR)
    add_node(dev, b"zero", u32(0o666), MEM_MAJOR, ZERO_MINOR)
    add_node(dev, b"full", u32(0o666), MEM_MAJOR, FULL_MINOR)
    add_node(dev, b"random", u32(0o666), MEM_MAJOR, RANDOM_MINOR)
    add_node(dev, b"urandom", u32(0o666), MEM_MAJOR, URANDOM_MINOR)
    add_node(dev, b"tty", u32(0o666), TTY_MAJOR, TTY_MINOR)
    add_node(dev, b"console", u32(0o600), TTY_MAJOR, CONSOLE_MINOR)
    add_node(dev, b"kmeminfo", u32(0o444), KMEMINFO_MAJOR, KMEMINFO_MINOR)
    add_node(dev, b"ptmx", u32(0o666), TTY_MAJOR, PTMX_MINOR)
    # The disks the drivers registered at boot (vda, vdb...), as block special files.
    for disk in all_block_devices():
        add_typed_node(dev, disk.name, S_IFBLK | u32(0o660), u32(disk.major), u32(disk.minor))
    pts = name_from(b"pts")
    if dev.lookup(pts) is None:
        dev.add(pts, DirInode(u32(0o755), dev))
    # The links Linux's udev/devtmpfs set-up makes into /proc (a process's own descriptors).
    add_link(dev, b"fd", b"/proc/self/fd")
    add_link(dev, b"stdin", b"/proc/self/fd/0")
    add_link(dev, b"stdout", b"/proc/self/fd/1")
    add_link(dev, b"stderr", b"/proc/self/fd/2")
    return dev


def add_link(d: DirInode, name: bytes, target: bytes) -> None:
    """Create symlink name -> target in d unless the name exists."""
    nm = name_from(name)
    if d.lookup(nm) is None:
        d.add(nm, SymlinkInode(name_from(target)))
