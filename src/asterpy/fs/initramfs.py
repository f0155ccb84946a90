"""Boot-time file system setup: unpack the initramfs into the ramfs root, make /dev, give init its console."""

from typing import Final

from asterpy.lang import Dict, List, Ptr, SysError, kwarn, u8, u32, u64
from asterpy.lang.errno import EINVAL
from asterpy.drivers.block import SECTOR, RamDisk, register_block_device
from asterpy.kernel.cmdline import cmdline_ramdisk
from asterpy.fs.cpio import CpioEntry, CpioReader
from asterpy.fs.devfs import CONSOLE_MINOR, TTY_MAJOR, make_dev_nodes, open_device
from asterpy.fs.fdtable import FdTable
from asterpy.fs.inode import (
    NAME_MAX, DevInode, DirInode, Inode, RegInode, SymlinkInode, name_from, name_from_mem, name_is, root_dir,
)
from asterpy.fs.mode import O_RDWR, PERM_MASK, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG
from asterpy.fs.pipe import NamedFifo
from asterpy.fs.devpts import pts_root
from asterpy.fs.mount import is_mountpoint, mount_at
from asterpy.fs.superblock import ST_NOEXEC, ST_NOSUID
from asterpy.fs.procfs.nodes import mount_proc

NS_PER_SEC: Final = u64(1000000000)
SLASH: Final = u8(0x2F)


class Unpacker:
    """State of one unpacking: the root, and regular files by archive inode number (hard links)."""

    root: DirInode
    links: Dict[u64, RegInode]
    dirs: List[DirInode]         # directories whose archive times are set again at the end
    dir_times: List[u64]

    def __init__(self, root: DirInode) -> None:
        """Unpack into root."""
        self.root = root
        self.links = {}
        self.dirs = []
        self.dir_times = []

    def finish(self) -> None:
        """Give directories their archive times back (adding their entries changed them), as
        Linux's initramfs unpacker does once everything is in."""
        for i in range(0, len(self.dirs)):
            d = self.dirs[i]
            d.mtime_ns = self.dir_times[i]
            d.atime_ns = self.dir_times[i]
            d.ctime_ns = self.dir_times[i]

    def parent_for(self, name: u64, n: u64) -> DirInode:
        """The directory that holds the last component of the n-byte path at name, made (0755) as needed."""
        d = self.root
        i = u64(0)
        while True:
            while i < n and Ptr[u8](name + i).load() == SLASH:
                i += 1
            start = i
            while i < n and Ptr[u8](name + i).load() != SLASH:
                i += 1
            if i >= n:
                return d
            comp = name_from_mem(name + start, i - start)
            if u64(len(comp)) > NAME_MAX:
                raise SysError(EINVAL)
            if name_is(comp, b"."):
                continue
            nxt = d.lookup(comp)
            if isinstance(nxt, DirInode):
                d = nxt
            else:
                if nxt is not None:
                    d.remove(comp)
                nd = DirInode(u32(0o755), d)
                d.add(comp, nd)
                d = nd

    def add(self, e: CpioEntry) -> None:
        """Create the file of one archive entry (replacing what had its name)."""
        d = self.parent_for(e.name, e.name_len)
        # The last component: after the last slash (the trailing ones were none: cpio writes none).
        end = e.name_len
        start = end
        while start > 0 and Ptr[u8](e.name + start - 1).load() != SLASH:
            start -= 1
        if start == end:
            return
        last = name_from_mem(e.name + start, end - start)
        if name_is(last, b".") or name_is(last, b"..") or u64(len(last)) > NAME_MAX:
            return
        kind = e.mode & S_IFMT
        perm = e.mode & PERM_MASK
        old = d.lookup(last)
        if kind == S_IFDIR and isinstance(old, DirInode):
            set_attrs(old, e)
            old.mode = S_IFDIR | perm
            self.dirs.append(old)
            self.dir_times.append(old.mtime_ns)
            return
        ino: Inode | None = None
        if kind == S_IFDIR:
            ino = DirInode(perm, d)
        elif kind == S_IFREG:
            ino = self.regular(e, perm)
        elif kind == S_IFLNK:
            ino = SymlinkInode(name_from_mem(e.data, e.size))
        elif kind == S_IFCHR or kind == S_IFBLK:
            ino = DevInode(kind | perm, e.rdev_major, e.rdev_minor)
        elif kind == S_IFIFO:
            ino = NamedFifo(perm)
        else:
            return
        if old is not None:
            if isinstance(old, DirInode):
                old.dead = True
            d.remove(last)
        if isinstance(ino, RegInode) and e.nlink > 1:
            # A hard-linked file starts at 0 links and counts each name it gets.
            ino.nlink += 1
        d.add(last, ino)
        set_attrs(ino, e)
        if isinstance(ino, DirInode):
            self.dirs.append(ino)
            self.dir_times.append(ino.mtime_ns)

    def regular(self, e: CpioEntry, perm: u32) -> RegInode:
        """The regular file of e: a new one, or the earlier entry's file for a hard link (newc puts
        the data on the last name); e's data written in."""
        r: RegInode | None = None
        if e.nlink > 1:
            key = u64(e.ino)
            if key in self.links:
                r = self.links[key]
            else:
                nr = RegInode(perm)
                self.links[key] = nr
                nr.nlink = u32(0)
                r = nr
        else:
            r = RegInode(perm)
        if e.size != 0:
            r.set_size(u64(0))
            r.write_at(e.data, u64(0), e.size)
        return r


def set_attrs(ino: Inode, e: CpioEntry) -> None:
    """Owner and times of ino from the archive entry."""
    ino.uid = e.uid
    ino.gid = e.gid
    t = u64(e.mtime) * NS_PER_SEC
    ino.mtime_ns = t
    ino.atime_ns = t
    ino.ctime_ns = t


def unpack_archive(root: DirInode, archive: u64, size: u64) -> u64:
    """Unpack every entry of the (possibly concatenated) newc archives at (archive, size) under
    root; the number of entries (EINVAL for a malformed archive, the entries before it kept)."""
    u = Unpacker(root)
    r = CpioReader(archive, size)
    n = u64(0)
    while True:
        e = r.next_entry()
        if e.trailer:
            if not r.next_archive():
                u.finish()
                return n
            continue
        u.add(e)
        n += 1


def init_root_from_initramfs(archive: u64, size: u64) -> None:
    """Fill the root file system from the initramfs (an already gunzipped cpio in kernel memory;
    size 0 for none) and create /dev's device nodes. A malformed archive is logged, and what came
    before the bad entry is kept."""
    root = root_dir()
    if size != 0:
        try:
            unpack_archive(root, archive, size)
        except SysError:
            kwarn("initramfs: malformed cpio archive; unpacking stopped")
    make_dev_nodes(root)
    attach_ramdisk(root)
    mount_boot_filesystems(root)


def attach_ramdisk(root: DirInode) -> None:
    """`asterpy.ramdisk=PATH`: copy the initramfs file PATH into RAM disk ram0 (block device 1:0,
    /dev/ram0), so a disk file system can be mounted before there is a disk driver."""
    path = cmdline_ramdisk()
    if len(path) == 0:
        return
    cur: Inode = root
    start = 0
    i = 0
    while i <= len(path):
        if i == len(path) or path[i] == 0x2F:
            if i > start and isinstance(cur, DirInode):
                comp = bytearray(i - start)
                for k in range(start, i):
                    comp[k - start] = path[k]
                nxt = cur.lookup(comp)
                if nxt is None:
                    kwarn("ramdisk: image not found in the initramfs")
                    return
                cur = nxt
            start = i + 1
        i += 1
    if isinstance(cur, RegInode):
        load_ramdisk(cur)
    else:
        kwarn("ramdisk: image is not a regular file")
        return
    dev = root.lookup(name_from(b"dev"))
    if isinstance(dev, DirInode) and dev.lookup(name_from(b"ram0")) is None:
        dev.add(name_from(b"ram0"), DevInode(S_IFBLK | u32(0o660), u32(1), u32(0)))


def load_ramdisk(img: RegInode) -> None:
    """Register RAM disk ram0 holding a copy of img."""
    sectors = (img.size + SECTOR - 1) // SECTOR
    try:
        disk = RamDisk(b"ram0", u64(0), sectors)
    except SysError:
        kwarn("ramdisk: not enough memory for the image")
        return
    img.read_at(disk.base, u64(0), img.size)
    register_block_device(disk)


def mount_boot_filesystems(root: DirInode) -> None:
    """Mount procfs on /proc when the initramfs has that directory, and devpts on /dev/pts (as an
    init script would)."""
    d = root.lookup(name_from(b"proc"))
    if isinstance(d, DirInode) and not is_mountpoint(d):
        try:
            mount_proc(d)
        except SysError:
            kwarn("procfs: cannot mount /proc")
    dev = root.lookup(name_from(b"dev"))
    if isinstance(dev, DirInode):
        pts = dev.lookup(name_from(b"pts"))
        if isinstance(pts, DirInode) and not is_mountpoint(pts):
            try:
                mount_at(pts, pts_root(), name_from(b"devpts"), ST_NOSUID | ST_NOEXEC)
            except SysError:
                kwarn("devpts: cannot mount /dev/pts")


def open_console_fds(files: FdTable) -> None:
    """Make descriptors 0, 1 and 2 one open /dev/console (read-write), as Linux does for init."""
    node = DevInode(S_IFCHR | u32(0o600), TTY_MAJOR, CONSOLE_MINOR)
    dev = root_dir().lookup(name_from(b"dev"))
    if isinstance(dev, DirInode):
        c = dev.lookup(name_from(b"console"))
        if isinstance(c, DevInode):
            node = c
    f = open_device(node, O_RDWR)
    files.place(u64(0), f, False)
    files.place(u64(1), f, False)
    files.place(u64(2), f, False)
