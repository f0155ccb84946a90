"""Inodes of the in-memory file system (ramfs): directories, page-backed files, symlinks, devices, FIFOs.

Everything lives in kernel memory and is freed by reference counting: a directory entry holds
its inode, an open file holds its inode, so an unlinked file stays readable until its last
close. A directory knows its parent through a Weak reference (the parent holds the child, so a
strong one would be a cycle that never dies).
"""

from typing import Final

from asterpy.lang import Dict, List, Ptr, SysError, Weak, memcpy, memset, u8, u32, u64
from asterpy.lang.errno import EFBIG, EINVAL, ETXTBSY
import asterpy.kernel.time as ktime
from asterpy.kernel.time import monotonic_ns
from asterpy.mm.filepages import FilePages, page_alloc, page_free
from asterpy.fs.mode import S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG
from asterpy.fs.superblock import SuperBlock, ramfs_super
from asterpy.fs.xattr import XattrSet

PAGE: Final = u64(4096)
PAGE_SHIFT: Final = u64(12)
PAGE_MASK: Final = u64(4095)
# The largest regular file (the page list stays a reasonable size; writes beyond are EFBIG).
MAX_FILE_SIZE: Final = u64(1) << 32
NAME_MAX: Final = u64(255)
# The device number every ramfs inode reports as st_dev (a made-up anonymous device 0:16).
RAMFS_DEV: Final = u64(16)

# The last inode number handed out.
last_ino: u64 = 0


def new_ino() -> u64:
    """A fresh inode number."""
    global last_ino
    last_ino += 1
    return last_ino


def check_not_running(ino: "RegInode") -> None:
    """ETXTBSY when a process runs ino as its program (before it is opened for writing or truncated)."""
    if ino.exec_users != 0:
        raise SysError(ETXTBSY)


def fs_now_ns() -> u64:
    """Wall-clock time in ns since 1970 for file times (the realtime base plus the monotonic clock)."""
    return ktime.realtime_base_ns + monotonic_ns()


class Inode(FilePages):
    """What every file has: number, type and permissions, owner, link count, size and times."""

    ino: u64
    mode: u32
    uid: u32
    gid: u32
    nlink: u32
    size: u64
    atime_ns: u64
    mtime_ns: u64
    ctime_ns: u64
    rdev_major: u32
    rdev_minor: u32
    sb: SuperBlock      # the file system it belongs to (the ramfs unless its maker says otherwise)
    xattrs: XattrSet | None   # extended attributes (made by the first setxattr)

    def __init__(self, mode: u32) -> None:
        """A new inode of mode (type and permission bits), owned by root, times now."""
        self.ino = new_ino()
        self.mode = mode
        self.uid = u32(0)
        self.gid = u32(0)
        self.nlink = u32(1)
        self.size = u64(0)
        now = fs_now_ns()
        self.atime_ns = now
        self.mtime_ns = now
        self.ctime_ns = now
        self.rdev_major = u32(0)
        self.rdev_minor = u32(0)
        self.sb = ramfs_super()
        self.xattrs = None

    def file_size(self) -> u64:
        """The size in bytes (FilePages: a mapping faults past it)."""
        return self.size

    def kind(self) -> u32:
        """The S_IF* type bits."""
        return self.mode & S_IFMT

    def touch_mtime(self) -> None:
        """The contents changed: mtime and ctime are now."""
        now = fs_now_ns()
        self.mtime_ns = now
        self.ctime_ns = now

    def touch_ctime(self) -> None:
        """The inode changed (mode, owner, links): ctime is now."""
        self.ctime_ns = fs_now_ns()


class RegInode(Inode):
    """A regular file: its bytes in kernel pages, pages[i] holding [i*4096, (i+1)*4096); 0 is a hole."""

    pages: List[u64]
    # The file system its pages are counted in (the first page's sb: an inode gets its
    # directory's sb when added, which may be after it was made); None while it has none, and
    # for shared anonymous memory, which no file system holds.
    charged: SuperBlock | None
    uncounted: bool
    # Processes running this file as their program: while any does, opening it for writing and
    # truncating it are ETXTBSY (as on Linux; exec maps its pages, so a write would change or, by
    # truncation, take away the running program's code).
    exec_users: u64

    def __init__(self, perm: u32) -> None:
        """An empty regular file with permission bits perm."""
        Inode.__init__(self, S_IFREG | perm)
        self.exec_users = u64(0)
        self.pages = []
        self.charged = None
        self.uncounted = False

    def __del__(self) -> None:
        """Free the data pages with the last reference."""
        for a in self.pages:
            if a != 0:
                self.free_page(a)

    def free_page(self, a: u64) -> None:
        """Free data page a and uncount it from its file system."""
        page_free(a)
        c = self.charged
        if c is not None:
            c.uncharge_page()

    def page_for_write(self, index: u64) -> u64:
        """The page at index, allocated (and the list grown) if needed (ENOSPC, ENOMEM)."""
        while u64(len(self.pages)) <= index:
            self.pages.append(u64(0))
        a = self.pages[index]
        if a == 0:
            if not self.uncounted and self.charged is None:
                self.charged = self.sb
            c = self.charged
            if c is not None:
                c.charge_page()
            try:
                a = page_alloc()
            except SysError as e:
                if c is not None:
                    c.uncharge_page()
                raise SysError(e.errno)
            self.pages[index] = a
        return a

    def page_or_zero(self, index: u64) -> u64:
        """The page at index, 0 for a hole."""
        if index >= u64(len(self.pages)):
            return u64(0)
        return self.pages[index]

    def set_size(self, length: u64) -> None:
        """Truncate or extend to length bytes (EFBIG); new bytes read as zero."""
        if length > MAX_FILE_SIZE:
            raise SysError(EFBIG)
        if length < self.size:
            keep = (length + PAGE_MASK) >> PAGE_SHIFT
            while u64(len(self.pages)) > keep:
                a = self.pages.pop()
                if a != 0:
                    self.free_page(a)
            # The tail of the last kept page must read as zero if the file grows again.
            if (length & PAGE_MASK) != 0:
                a = self.page_or_zero(length >> PAGE_SHIFT)
                if a != 0:
                    memset(a + (length & PAGE_MASK), 0, PAGE - (length & PAGE_MASK))
        self.size = length

    def read_at(self, kaddr: u64, off: u64, n: u64) -> u64:
        """Copy up to n bytes at offset off to kernel address kaddr; the count (0 at or past the end)."""
        if off >= self.size:
            return u64(0)
        if n > self.size - off:
            n = self.size - off
        done = u64(0)
        while done < n:
            pos = off + done
            chunk = PAGE - (pos & PAGE_MASK)
            if chunk > n - done:
                chunk = n - done
            a = self.page_or_zero(pos >> PAGE_SHIFT)
            if a == 0:
                memset(kaddr + done, 0, chunk)
            else:
                memcpy(kaddr + done, a + (pos & PAGE_MASK), chunk)
            done += chunk
        return n

    def write_at(self, kaddr: u64, off: u64, n: u64) -> u64:
        """Copy n bytes from kernel address kaddr to offset off, growing the file; a short count
        when the file system fills up part way (EFBIG; ENOSPC, ENOMEM if nothing was written)."""
        if off > MAX_FILE_SIZE or n > MAX_FILE_SIZE - off:
            raise SysError(EFBIG)
        done = u64(0)
        while done < n:
            pos = off + done
            chunk = PAGE - (pos & PAGE_MASK)
            if chunk > n - done:
                chunk = n - done
            a = u64(0)
            try:
                a = self.page_for_write(pos >> PAGE_SHIFT)
            except SysError as e:
                if done == 0:
                    raise SysError(e.errno)
                return done
            memcpy(a + (pos & PAGE_MASK), kaddr + done, chunk)
            done += chunk
            if pos + chunk > self.size:
                self.size = pos + chunk
        return n


class Dentry:
    """One name in a directory: the name's bytes, its inode, its getdents position (cookie), and
    its places in the directory's hash index (chain) and creation-order list (slot)."""

    name: bytearray
    inode: Inode
    cookie: u64
    hash: u64
    chain: "Dentry | None"    # the next entry whose name has the same hash
    slot: int                 # index in the directory's slots list

    def __init__(self, name: bytearray, inode: Inode, cookie: u64) -> None:
        """An entry `name` for inode at directory position cookie."""
        self.name = name
        self.inode = inode
        self.cookie = cookie
        self.hash = name_hash(name)
        self.chain = None
        self.slot = 0


def names_equal(a: bytearray, b: bytearray) -> bool:
    """Whether two names have the same bytes."""
    if len(a) != len(b):
        return False
    for i in range(0, len(a)):
        if a[i] != b[i]:
            return False
    return True


def name_is(a: bytearray, s: bytes) -> bool:
    """Whether name a has the bytes of s."""
    if len(a) != len(s):
        return False
    for i in range(0, len(a)):
        if a[i] != s[i]:
            return False
    return True


def name_from(s: bytes) -> bytearray:
    """A name (bytearray) with the bytes of s."""
    out = bytearray(len(s))
    for i in range(0, len(s)):
        out[i] = s[i]
    return out


def name_from_mem(addr: u64, n: u64) -> bytearray:
    """A name with the n bytes at kernel address addr."""
    out = bytearray(int(n))
    for i in range(u64(0), n):
        out[i] = Ptr[u8](addr + i).load()
    return out


def name_hash(name: bytearray) -> u64:
    """A 64-bit FNV-1a hash of a name's bytes (the directory index's key)."""
    h = u64(0xCBF29CE484222325)
    for i in range(0, len(name)):
        h = (h ^ u64(name[i])) * u64(0x100000001B3)
    return h


# A directory keeps its entries twice: a hash index (name hash -> chain of entries) for lookups,
# and a list in creation order (cookie order) for getdents. Removing an entry leaves a hole (None)
# in the list so that slot numbers and the cookies beside them stay put; the list is compacted
# when the holes outnumber the entries (amortised O(1) per removal). `cookies` keeps each slot's
# cookie, holes included, strictly increasing, so a listing resumes at a cookie by binary search.
COMPACT_MIN_HOLES: Final = 32


class DirInode(Inode):
    """A directory: its entries in creation order ("." and ".." are implicit, positions 0 and 1)."""

    slots: List[Dentry | None]
    cookies: List[u64]
    index: Dict[u64, Dentry]
    count: int          # live entries (slots that are not holes)
    gen: u64            # bumped when the slots are compacted (slot numbers change)
    parent: Weak["DirInode"]
    next_cookie: u64
    dead: bool          # removed by rmdir: nothing can be created in it any more

    def __init__(self, perm: u32, parent: "DirInode | None") -> None:
        """An empty directory under parent (itself when parent is None: a root)."""
        Inode.__init__(self, S_IFDIR | perm)
        self.nlink = u32(2)
        self.slots = []
        self.cookies = []
        self.index = {}
        self.count = 0
        self.gen = u64(0)
        self.next_cookie = u64(2)
        self.dead = False
        if parent is None:
            self.parent = Weak(self)
        else:
            self.parent = Weak(parent)

    def parent_dir(self) -> "DirInode":
        """The directory holding this one (itself for a root or a removed directory's lost parent)."""
        d = self.parent.get()
        if d is None:
            return self
        return d

    def load(self) -> None:
        """Make `entries` current (a disk file system reads them on first use; memory ones have them)."""
        return

    def make_child(self, mode: u32, major: u32, minor: u32, target: bytearray) -> "Inode | None":
        """A new inode of mode (S_IF* and permissions) of this directory's file system, not yet
        linked (add links it); None: the caller makes a memory (ramfs) inode."""
        return None

    def can_exchange(self) -> bool:
        """Whether rename's RENAME_EXCHANGE works in this file system."""
        return True

    def find(self, name: bytearray) -> Dentry | None:
        """The entry called name, or None."""
        h = name_hash(name)
        if h not in self.index:
            return None
        e: Dentry | None = self.index[h]
        while e is not None:
            if names_equal(e.name, name):
                return e
            e = e.chain
        return None

    def lookup(self, name: bytearray) -> Inode | None:
        """The inode called name in this directory (also "." and ".."), or None."""
        if name_is(name, b"."):
            return self
        if name_is(name, b".."):
            return self.parent_dir()
        e = self.find(name)
        if e is None:
            return None
        return e.inode

    def add(self, name: bytearray, inode: Inode) -> None:
        """Add entry name -> inode (the caller checked it is new); counts the links."""
        if u64(len(name)) > NAME_MAX or len(name) == 0:
            raise SysError(EINVAL)
        e = Dentry(name, inode, self.next_cookie)
        self.next_cookie += 1
        e.slot = len(self.slots)
        self.slots.append(e)
        self.cookies.append(e.cookie)
        if e.hash in self.index:
            e.chain = self.index[e.hash]
        self.index[e.hash] = e
        self.count += 1
        # A name joins its directory's file system (rename and link never cross one: EXDEV).
        inode.sb = self.sb
        if isinstance(inode, DirInode):
            inode.parent = Weak(self)
            self.nlink += 1
        inode.touch_ctime()
        self.touch_mtime()

    def index_entry(self, e: Dentry) -> None:
        """Put e in the name index (its slot is the caller's business)."""
        e.chain = None
        if e.hash in self.index:
            e.chain = self.index[e.hash]
        self.index[e.hash] = e
        self.count += 1

    def set_entries(self, entries: List[Dentry]) -> None:
        """Replace every entry by `entries`, given in cookie order (a disk file system reading a
        directory from disk, or forgetting what it read); open listings notice gen."""
        self.slots = []
        self.cookies = []
        self.index = {}
        self.count = 0
        for e in entries:
            e.slot = len(self.slots)
            self.slots.append(e)
            self.cookies.append(e.cookie)
            self.index_entry(e)
        self.gen += 1

    def insert_entry(self, e: Dentry) -> None:
        """Put e among the entries in cookie order, for a file system whose cookies are on-disk
        offsets rather than creation order (ext2 reuses a removed entry's space); the slots after it
        are renumbered, so open listings notice gen."""
        pos = self.slot_at(e.cookie)
        self.slots.insert(pos, e)
        self.cookies.insert(pos, e.cookie)
        for i in range(pos, len(self.slots)):
            x = self.slots[i]
            if x is not None:
                x.slot = i
        self.index_entry(e)
        self.gen += 1

    def unlink_entry(self, name: bytearray) -> Dentry | None:
        """Take the entry called name out of the index and the order list; the entry, or None."""
        h = name_hash(name)
        if h not in self.index:
            return None
        prev: Dentry | None = None
        e: Dentry | None = self.index[h]
        while e is not None:
            if names_equal(e.name, name):
                break
            prev = e
            e = e.chain
        if e is None:
            return None
        nxt = e.chain
        if prev is not None:
            prev.chain = nxt
        elif nxt is not None:
            self.index[h] = nxt
        else:
            del self.index[h]
        e.chain = None
        self.slots[e.slot] = None
        self.count -= 1
        holes = len(self.slots) - self.count
        if holes >= COMPACT_MIN_HOLES and holes > self.count:
            self.compact()
        return e

    def compact(self) -> None:
        """Drop the holes from the order list (renumbering the slots; open listings notice gen)."""
        slots: List[Dentry | None] = []
        cookies: List[u64] = []
        for x in self.slots:
            if x is not None:
                x.slot = len(slots)
                slots.append(x)
                cookies.append(x.cookie)
        self.slots = slots
        self.cookies = cookies
        self.gen += 1

    def slot_at(self, pos: u64) -> int:
        """The first slot whose cookie is at least pos (len(slots) if none): where a listing resumes."""
        lo = 0
        hi = len(self.cookies)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.cookies[mid] < pos:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def remove(self, name: bytearray) -> Inode | None:
        """Remove entry name (uncounting its link); the inode it named, None if there was none."""
        e = self.unlink_entry(name)
        if e is None:
            return None
        ino = e.inode
        if isinstance(ino, DirInode):
            self.nlink -= 1
            ino.nlink = u32(0)
        elif ino.nlink > 0:
            ino.nlink -= 1
        ino.touch_ctime()
        self.touch_mtime()
        return ino

    def detach(self, name: bytearray) -> Dentry | None:
        """Take entry name out without changing its inode's link count (rename moves it)."""
        e = self.unlink_entry(name)
        if e is None:
            return None
        if isinstance(e.inode, DirInode):
            self.nlink -= 1
        self.touch_mtime()
        return e

    def is_empty(self) -> bool:
        """True if the directory has no entries besides . and .."""
        return self.count == 0

    def child_name(self, child: Inode) -> bytearray | None:
        """The name under which child is listed here (getcwd and /proc's links walk up with it), or None."""
        for e in self.slots:
            if e is not None and e.inode is child:
                return e.name
        return None


class SymlinkInode(Inode):
    """A symbolic link: its target path's bytes."""

    target: bytearray

    def __init__(self, target: bytearray) -> None:
        """A link to target (permissions are always 0777 on Linux)."""
        Inode.__init__(self, S_IFLNK | u32(0o777))
        self.target = target
        self.size = u64(len(target))

    def jump_target(self) -> Inode | None:
        """For a link that names an object rather than a path (/proc/PID/fd/N, exe, cwd), the
        inode following it reaches directly; None for an ordinary link (its target is resolved)."""
        return None


class DevInode(Inode):
    """A character or block device node: what opening it reaches is chosen by its major:minor."""

    def __init__(self, mode: u32, major: u32, minor: u32) -> None:
        """A device node of mode (S_IFCHR/S_IFBLK and permissions) for major:minor."""
        Inode.__init__(self, mode)
        self.rdev_major = major
        self.rdev_minor = minor


class FifoInode(Inode):
    """A named pipe (mkfifo) or the anonymous inode behind pipe(2)'s two ends."""

    def __init__(self, perm: u32) -> None:
        """A FIFO with permission bits perm."""
        Inode.__init__(self, S_IFIFO | perm)


# The root directory of the one file system (created on first use).
fs_root: DirInode | None = None


def root_dir() -> DirInode:
    """The root directory, an empty one (0755) if none was made yet."""
    global fs_root
    r = fs_root
    if r is None:
        r = DirInode(u32(0o755), None)
        fs_root = r
    return r


def reset_root() -> None:
    """Forget the whole tree (tests start over; the kernel never calls this)."""
    global fs_root
    fs_root = None

