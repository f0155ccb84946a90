"""ext2 inodes as VFS inodes: directories, regular files, symlinks, FIFOs, devices and sockets.

Each class subclasses its ramfs counterpart (so every path syscall works unchanged) and carries
an `E2Meta` (its on-disk block map). A directory reads its entries from disk on first use and
keeps them as its Dentry list (the dentry cache); adding, removing and renaming names edit the
on-disk entries at once (in the block cache). A regular file's data lives in a page cache keyed
by page index: read/write and file mappings share the same pages, written back by sync/fsync/
umount and when the file dies. An inode's fields are written back to its on-disk record at sync,
umount and when its object dies; an inode whose last link is gone is freed when its last
reference (an open file, a mapping) goes.
"""

from typing import Final

from asterpy.lang import Dict, List, Ptr, SysError, Weak, kwarn, memcmp, memcpy, memset, u8, u32, u64
from asterpy.lang.errno import EFBIG, EMLINK, ENAMETOOLONG, ENOMEM, EROFS, EXDEV
from asterpy.fs.ext2.disk import E2Meta, Ext2Fs, LINK_MAX, N_BLOCKS, ROOT_INO, corrupt, ld16, ld32, st16, st32
from asterpy.fs.ext2.dirents import check_entry, dir_block, dir_erase, dir_insert, file_type, init_dir_block, set_dotdot
from asterpy.fs.inode import DevInode, Dentry, DirInode, Inode, NAME_MAX, RegInode, SymlinkInode, fs_now_ns
from asterpy.fs.mode import S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK
from asterpy.fs.pipe import NamedFifo
from asterpy.fs.superblock import ST_RDONLY, SuperBlock
from asterpy.mm.filepages import page_alloc, page_free
from asterpy.mm.heap import kfree, kmalloc

EXT2_SUPER_MAGIC: Final = u64(0xEF53)
PAGE: Final = u64(4096)
PAGE_SHIFT: Final = u64(12)
PAGE_MASK: Final = u64(4095)
NS: Final = u64(1000000000)
# A file's page cache is written back and trimmed (pages not handed to a mapping) past this.
PCACHE_MAX: Final = 1024
# Fast symlinks keep targets shorter than the 60 bytes of i_block in the inode.
FAST_LINK_MAX: Final = u64(60)


class Ext2Super(SuperBlock):
    """The superblock of a mounted ext2: statfs counts and write-back reach its Ext2Fs."""

    fs: Ext2Fs
    root: Weak[DirInode] | None

    def __init__(self, fs: Ext2Fs, minor: u32, flags: u64) -> None:
        """The VFS side of fs, as anonymous device 0:minor."""
        SuperBlock.__init__(self, b"ext2", EXT2_SUPER_MAGIC, minor, flags)
        self.fs = fs
        self.root = None

    def sync_fs(self) -> None:
        """Write every dirty inode, page and block back to the device."""
        sync_all(self.fs)

    def fill_statfs(self, w: Ptr[u64]) -> None:
        """Block size, block and inode counts from the superblock."""
        fs = self.fs
        w[1] = fs.bs
        w[2] = fs.blocks_count
        free = fs.free_blocks()
        w[3] = free
        res = fs.reserved_blocks()
        w[4] = free - res if free > res else u64(0)
        w[5] = fs.inodes_count
        w[6] = fs.free_inodes()
        w[7] = u64(fs.dev.minor) | (u64(fs.dev.major) << u64(32))
        w[8] = NAME_MAX
        w[9] = fs.bs

    def unmounted(self) -> None:
        """The mount went away: write everything back, drop the cached tree, mark it clean."""
        fs = self.fs
        sync_all(fs)
        w = self.root
        if w is not None:
            root = w.get()
            if isinstance(root, Ext2Dir):
                drop_tree(root)
        if not fs.ro:
            fs.set_state(True)
        sync_all(fs)
        fs.dev.no_sleep = False


def drop_tree(d: "Ext2Dir") -> None:
    """Forget the cached entries below d (each inode is written back as it dies). Iterative, and
    each directory is emptied before its children are queued: a corrupted tree may be deep, or
    list a directory below itself."""
    todo: List[Ext2Dir] = [d]
    while len(todo) > 0:
        x = todo.pop()
        old: List[Dentry] = []
        for slot in x.slots:
            if slot is not None:
                old.append(slot)
        x.set_entries([])
        x.loaded = False
        for e in old:
            c = e.inode
            if isinstance(c, Ext2Dir):
                todo.append(c)


def meta_of(ino: Inode) -> E2Meta | None:
    """The on-disk side of an ext2 inode, None for any other inode."""
    if isinstance(ino, Ext2Dir):
        return ino.m
    if isinstance(ino, Ext2Reg):
        return ino.m
    if isinstance(ino, Ext2Link):
        return ino.m
    if isinstance(ino, Ext2Fifo):
        return ino.m
    if isinstance(ino, Ext2Dev):
        return ino.m
    if isinstance(ino, Ext2Sock):
        return ino.m
    return None


def fs_of(ino: Inode) -> Ext2Fs:
    """The Ext2Fs an ext2 inode belongs to (through its superblock)."""
    sb = ino.sb
    if isinstance(sb, Ext2Super):
        return sb.fs
    raise SysError(EXDEV)


def check_rw(fs: Ext2Fs) -> None:
    """EROFS on a read-only mount."""
    if fs.ro:
        raise SysError(EROFS)


def has_block_map(ino: Inode, m: E2Meta) -> bool:
    """Whether i_block holds block pointers (not a device number or a fast symlink's target)."""
    k = ino.mode & S_IFMT
    if k == S_IFREG or k == S_IFDIR:
        return True
    if k == S_IFLNK:
        return m.iblocks != 0
    return False


# ----------------------------------------------------------------- inode records

def write_inode(ino: Inode, m: E2Meta, fs: Ext2Fs) -> None:
    """Store ino's fields into its on-disk record (the block is dirtied only if a byte changed)."""
    if not m.allocated or fs.ro:
        return
    a = fs.inode_addr(m.ino)
    snap = kmalloc(fs.isz)
    if snap == 0:
        raise SysError(ENOMEM)
    memcpy(snap, a, fs.isz)
    st16(a + 0, u64(ino.mode))
    st16(a + 2, u64(ino.uid) & u64(0xFFFF))
    st16(a + 120, u64(ino.uid) >> u64(16))
    st16(a + 24, u64(ino.gid) & u64(0xFFFF))
    st16(a + 122, u64(ino.gid) >> u64(16))
    st32(a + 4, ino.size)
    if (ino.mode & S_IFMT) == S_IFREG:
        st32(a + 108, ino.size >> u64(32))
        if ino.size > u64(0x7FFFFFFF):
            fs.note_large_file()
    st32(a + 8, ino.atime_ns // NS)
    st32(a + 12, ino.ctime_ns // NS)
    st32(a + 16, ino.mtime_ns // NS)
    st16(a + 26, u64(ino.nlink))
    st32(a + 28, m.iblocks)
    st32(a + 32, u64(m.flags))
    k = ino.mode & S_IFMT
    if k == S_IFCHR or k == S_IFBLK:
        major = u64(ino.rdev_major)
        minor = u64(ino.rdev_minor)
        if major < 256 and minor < 256:
            st32(a + 40, (major << u64(8)) | minor)
            st32(a + 44, u64(0))
        else:
            st32(a + 40, u64(0))
            st32(a + 44, (minor & u64(0xFF)) | (major << u64(8)) | ((minor & ~u64(0xFF)) << u64(12)))
    elif k != S_IFLNK or m.iblocks != 0:
        for i in range(0, N_BLOCKS):
            st32(a + 40 + u64(i) * 4, u64(m.blocks[i]))
    changed = memcmp(snap, a, fs.isz) != 0
    kfree(snap)
    if changed:
        fs.inode_dirty(m.ino)


def release_inode(ino: Inode, m: E2Meta) -> None:
    """The inode object dies: free it on disk if no name is left, else write its fields back."""
    if not m.allocated:
        return
    sb = ino.sb
    if isinstance(sb, Ext2Super):
        release_on(ino, m, sb.fs)


def release_on(ino: Inode, m: E2Meta, fs: Ext2Fs) -> None:
    """release_inode on file system fs."""
    if fs.ro:
        return
    try:
        if ino.nlink == 0:
            if has_block_map(ino, m):
                fs.free_from(m, u64(0))
            a = fs.inode_addr(m.ino)
            st16(a + 26, u64(0))
            # e2fsck takes a zero dtime for damage and a small one for an orphan-list link: without
            # a clock, the time the file system was last written (or just past the inode count).
            dtime = fs_now_ns() // NS
            if dtime <= fs.inodes_count:
                dtime = ld32(fs.sbuf + 48)
            if dtime <= fs.inodes_count:
                dtime = fs.inodes_count + 1
            st32(a + 20, dtime)
            st32(a + 28, m.iblocks)
            for i in range(0, N_BLOCKS):
                st32(a + 40 + u64(i) * 4, u64(m.blocks[i]))
            fs.inode_dirty(m.ino)
            fs.free_inode(m.ino, (ino.mode & S_IFMT) == S_IFDIR)
            m.allocated = False
        else:
            write_inode(ino, m, fs)
    except SysError:
        kwarn("ext2: could not write an inode back")


def load_fields(ino: Inode, a: u64, fs: Ext2Fs, m: E2Meta, num: u64) -> None:
    """Fill ino and m from the on-disk record at a (inode number num)."""
    ino.ino = num
    ino.mode = u32(ld16(a))
    ino.uid = u32(ld16(a + 2) | (ld16(a + 120) << u64(16)))
    ino.gid = u32(ld16(a + 24) | (ld16(a + 122) << u64(16)))
    ino.nlink = u32(ld16(a + 26))
    size = ld32(a + 4)
    if (ino.mode & S_IFMT) == S_IFREG:
        size |= ld32(a + 108) << u64(32)
    ino.size = size
    ino.atime_ns = ld32(a + 8) * NS
    ino.ctime_ns = ld32(a + 12) * NS
    ino.mtime_ns = ld32(a + 16) * NS
    m.iblocks = ld32(a + 28)
    m.flags = u32(ld32(a + 32))
    for i in range(0, N_BLOCKS):
        m.blocks[i] = u32(ld32(a + 40 + u64(i) * 4))
    w = fs.sup
    if w is not None:
        sup = w.get()
        if sup is not None:
            ino.sb = sup


def iget(fs: Ext2Fs, num: u64, parent: DirInode | None) -> Inode:
    """The inode numbered num: the live object if there is one, else read from disk (EUCLEAN)."""
    if num in fs.inodes:
        live = fs.inodes[num].get()
        if live is not None:
            return live
    if num == 0 or num > fs.inodes_count:
        raise SysError(corrupt("inode number out of range"))
    a = fs.inode_addr(num)
    mode = u32(ld16(a))
    kind = mode & S_IFMT
    if ld16(a + 26) == 0:
        raise SysError(corrupt("a name refers to a deleted inode"))
    m = E2Meta(num)
    ino: Inode | None = None
    if kind == S_IFDIR:
        d = Ext2Dir(m, mode & u32(0o7777), parent)
        ino = d
    elif kind == S_IFREG:
        ino = Ext2Reg(m, mode & u32(0o7777))
    elif kind == S_IFLNK:
        ino = Ext2Link(m, bytearray(0))
    elif kind == S_IFIFO:
        ino = Ext2Fifo(m, mode & u32(0o7777))
    elif kind == S_IFCHR or kind == S_IFBLK:
        ino = Ext2Dev(m, mode, u32(0), u32(0))
    elif kind == S_IFSOCK:
        ino = Ext2Sock(m, mode)
    else:
        raise SysError(corrupt("unknown inode type"))
    a = fs.inode_addr(num)
    load_fields(ino, a, fs, m, num)
    if kind == S_IFCHR or kind == S_IFBLK:
        old = ld32(a + 40)
        if old != 0:
            ino.rdev_major = u32((old >> u64(8)) & u64(0xFF))
            ino.rdev_minor = u32(old & u64(0xFF))
        else:
            new = ld32(a + 44)
            ino.rdev_major = u32((new >> u64(8)) & u64(0xFFF))
            ino.rdev_minor = u32((new & u64(0xFF)) | ((new >> u64(12)) & u64(0xFFF00)))
    if isinstance(ino, Ext2Link):
        load_link(ino, fs, a)
    if isinstance(ino, Ext2Dir):
        if (ino.size % fs.bs) != 0 or ino.size // fs.bs > fs.blocks_count:
            raise SysError(corrupt("directory size"))
    if num not in fs.inodes:
        fs.inode_list.append(num)
    fs.inodes[num] = Weak(ino)
    return ino


def load_link(ino: "Ext2Link", fs: Ext2Fs, a: u64) -> None:
    """Read a symlink's target: from i_block (fast) or its one data block (slow)."""
    n = ino.size
    if n == 0 or n >= fs.bs:
        raise SysError(corrupt("symlink length"))
    t = bytearray(int(n))
    if ino.m.iblocks == 0:
        if n >= FAST_LINK_MAX:
            raise SysError(corrupt("fast symlink length"))
        for i in range(u64(0), n):
            t[i] = Ptr[u8](a + 40 + i).load()
    else:
        b = u64(ino.m.blocks[0])
        src = fs.bget(b)
        for i in range(u64(0), n):
            t[i] = Ptr[u8](src + i).load()
    ino.target = t


def sync_all(fs: Ext2Fs) -> None:
    """Write back every live inode (and a file's dirty pages), then the dirty blocks."""
    if fs.ro:
        return
    keep: List[u64] = []
    for num in fs.inode_list:
        if num not in fs.inodes:
            continue
        ino = fs.inodes[num].get()
        if ino is None:
            del fs.inodes[num]
            continue
        keep.append(num)
        if isinstance(ino, Ext2Reg):
            ino.writeback()
        m = meta_of(ino)
        if m is not None:
            write_inode(ino, m, fs)
    fs.inode_list = keep
    fs.flush()


# ----------------------------------------------------------------- directories

def load_dir(d: "Ext2Dir") -> None:
    """Read d's entries from disk into its Dentry list (cookie = byte offset + 2)."""
    fs = fs_of(d)
    fs.shrink()
    out: List[Dentry] = []
    nblk = d.size // fs.bs
    for lb in range(u64(0), nblk):
        pb = dir_block(fs, d.m, lb)
        pos = u64(0)
        while pos < fs.bs:
            e = fs.bget(pb) + pos
            rl = check_entry(fs, e, pos)
            num = ld32(e)
            nl = u64(Ptr[u8](e + 6).load())
            if num != 0:
                name = bytearray(int(nl))
                for i in range(u64(0), nl):
                    name[i] = Ptr[u8](e + 8 + i).load()
                dot = (nl == 1 and name[0] == 0x2E) or (nl == 2 and name[0] == 0x2E and name[1] == 0x2E)
                if not dot and nl != 0:
                    child = iget(fs, num, d)
                    out.append(Dentry(name, child, lb * fs.bs + pos + 2))
            pos += rl
    d.set_entries(out)
    d.loaded = True


def give_number(d: "Ext2Dir", fs: Ext2Fs, ino: Inode, m: E2Meta) -> None:
    """Put a new inode on disk: its number, a new directory's first block, a slow symlink's block."""
    is_dir = isinstance(ino, Ext2Dir)
    num = fs.alloc_inode(fs.group_of(d.m.ino), is_dir)
    m.ino = num
    m.allocated = True
    ino.ino = num
    ino.sb = d.sb
    try:
        if isinstance(ino, Ext2Dir):
            init_dir_block(ino, m, fs, d.m.ino)
        elif isinstance(ino, Ext2Link):
            n = u64(len(ino.target))
            if n >= FAST_LINK_MAX:
                pb = fs.bmap(m, u64(0), True)
                a = fs.bnew(pb)
                for i in range(u64(0), n):
                    Ptr[u8](a + i).store(ino.target[i])
                fs.bdirty(pb)
            else:
                a = fs.inode_addr(num)
                for i in range(u64(0), n):
                    Ptr[u8](a + 40 + i).store(ino.target[i])
                fs.inode_dirty(num)
        write_inode(ino, m, fs)
    except SysError as e:
        undo_number(ino, m, fs)
        raise e
    if num not in fs.inodes:
        fs.inode_list.append(num)
    fs.inodes[num] = Weak(ino)


def undo_number(ino: Inode, m: E2Meta, fs: Ext2Fs) -> None:
    """Take a new inode off the disk again (linking it failed)."""
    if has_block_map(ino, m) or (ino.mode & S_IFMT) == S_IFLNK:
        if (ino.mode & S_IFMT) != S_IFLNK or m.iblocks != 0:
            fs.free_from(m, u64(0))
    fs.free_inode(m.ino, isinstance(ino, Ext2Dir))
    m.allocated = False


class Ext2Dir(DirInode):
    """An ext2 directory: entries read on first use, edited on disk as names come and go."""

    m: E2Meta
    loaded: bool

    def __init__(self, m: E2Meta, perm: u32, parent: DirInode | None) -> None:
        """A directory with on-disk side m (not yet read)."""
        DirInode.__init__(self, perm, parent)
        self.m = m
        self.loaded = False

    def __del__(self) -> None:
        """Write back or free the inode."""
        release_inode(self, self.m)

    def load(self) -> None:
        """Read the entries if not done yet."""
        if not self.loaded:
            load_dir(self)

    def find(self, name: bytearray) -> Dentry | None:
        """The entry called name (read from disk the first time)."""
        self.load()
        return DirInode.find(self, name)

    def is_empty(self) -> bool:
        """No entries besides . and .."""
        self.load()
        return DirInode.is_empty(self)

    def child_name(self, child: Inode) -> bytearray | None:
        """The name child is listed under."""
        self.load()
        return DirInode.child_name(self, child)

    def can_exchange(self) -> bool:
        """ext2 has no RENAME_EXCHANGE (EINVAL, as on Linux)."""
        return False

    def make_child(self, mode: u32, major: u32, minor: u32, target: bytearray) -> Inode | None:
        """A new inode of mode for this file system (numbered when it is linked: add)."""
        fs = fs_of(self)
        check_rw(fs)
        if self.dead:
            return None
        kind = mode & S_IFMT
        perm = mode & u32(0o7777)
        m = E2Meta(u64(0))
        if kind == S_IFDIR:
            nd = Ext2Dir(m, perm, self)
            nd.loaded = True
            return nd
        if kind == S_IFREG:
            return Ext2Reg(m, perm)
        if kind == S_IFLNK:
            if u64(len(target)) >= fs.bs:
                raise SysError(ENAMETOOLONG)
            return Ext2Link(m, target)
        if kind == S_IFIFO:
            return Ext2Fifo(m, perm)
        if kind == S_IFCHR or kind == S_IFBLK:
            return Ext2Dev(m, mode, major, minor)
        return Ext2Sock(m, mode)

    def add(self, name: bytearray, inode: Inode) -> None:
        """Link inode under name: a new inode gets its number first (ENOSPC, EMLINK, EXDEV)."""
        fs = fs_of(self)
        check_rw(fs)
        self.load()
        if u64(len(name)) > NAME_MAX:
            raise SysError(ENAMETOOLONG)
        m = meta_of(inode)
        if m is None:
            raise SysError(EXDEV)
        is_dir = isinstance(inode, Ext2Dir)
        if is_dir and self.nlink >= LINK_MAX:
            raise SysError(EMLINK)
        if not is_dir and m.allocated and inode.nlink > LINK_MAX:
            # link(2) counted the new link already; it takes it back on the error.
            raise SysError(EMLINK)
        created = False
        if not m.allocated:
            give_number(self, fs, inode, m)
            created = True
        try:
            off = dir_insert(self, self.m, fs, name, m.ino, file_type(inode.mode, fs.filetype))
            if is_dir and not created and isinstance(inode, Ext2Dir):
                set_dotdot(inode.m, fs, self.m.ino)
        except SysError as e:
            if created:
                undo_number(inode, m, fs)
            raise e
        self.insert_entry(Dentry(name, inode, off + 2))
        inode.sb = self.sb
        if isinstance(inode, DirInode):
            inode.parent = Weak[DirInode](self)
            self.nlink += 1
        inode.touch_ctime()
        self.touch_mtime()
        if created:
            write_inode(inode, m, fs)
        write_inode(self, self.m, fs)

    def remove(self, name: bytearray) -> Inode | None:
        """Unlink name on disk and from the cache (its inode is freed when it dies)."""
        fs = fs_of(self)
        check_rw(fs)
        e = self.find(name)
        if e is None:
            return None
        dir_erase(self.m, fs, e.cookie - 2, name)
        return DirInode.remove(self, name)

    def detach(self, name: bytearray) -> Dentry | None:
        """Take name out (rename moves it) without touching its inode's link count."""
        fs = fs_of(self)
        check_rw(fs)
        e = self.find(name)
        if e is None:
            return None
        dir_erase(self.m, fs, e.cookie - 2, name)
        return DirInode.detach(self, name)


class Ext2Reg(RegInode):
    """An ext2 regular file: its data through a page cache shared with file mappings."""

    m: E2Meta
    pc: Dict[u64, u64]          # page index -> page
    pidx: List[u64]             # the cached indices
    pdirty: Dict[u64, bool]
    pinned: Dict[u64, bool]     # handed to a mapping: never trimmed before the file dies
    graveyard: List[u64]        # pinned pages cut off by truncate (a mapping may still use them)

    def __init__(self, m: E2Meta, perm: u32) -> None:
        """A regular file with on-disk side m."""
        RegInode.__init__(self, perm)
        self.m = m
        self.pc = {}
        self.pidx = []
        self.pdirty = {}
        self.pinned = {}
        self.graveyard = []

    def __del__(self) -> None:
        """Write the data and inode back (or free them), then the pages."""
        if self.nlink != 0 and self.m.allocated:
            try:
                self.writeback()
            except SysError:
                kwarn("ext2: could not write file data back")
        release_inode(self, self.m)
        for i in self.pidx:
            a = self.pc.get(i, u64(0))
            if a != 0:
                page_free(a)
        for a in self.graveyard:
            page_free(a)

    def bpp(self) -> u64:
        """Blocks per page."""
        return PAGE // fs_of(self).bs

    def cached_page(self, index: u64) -> u64:
        """Page index from the cache or disk; 0 when all its blocks are holes."""
        a = self.pc.get(index, u64(0))
        if a != 0:
            return a
        fs = fs_of(self)
        n = self.bpp()
        for k in range(u64(0), n):
            lb = index * n + k
            if lb * fs.bs >= self.size:
                break
            pb = fs.bmap(self.m, lb, False)
            if pb != 0:
                if a == 0:
                    a = page_alloc()
                    self.pc[index] = a
                    self.pidx.append(index)
                fs.read_data(pb, a + k * fs.bs)
        if a != 0:
            start = index << PAGE_SHIFT
            if self.size < start + PAGE:
                memset(a + (self.size - start), 0, start + PAGE - self.size)
        return a

    def page_w(self, index: u64, off: u64, n: u64) -> u64:
        """Page index ready for writing bytes [off, off+n) of it: its blocks allocated (ENOSPC)."""
        a = self.cached_page(index)
        fs = fs_of(self)
        nb = self.bpp()
        first = off // fs.bs
        last = (off + n - 1) // fs.bs
        for k in range(first, last + 1):
            fs.bmap(self.m, index * nb + k, True)
        if a == 0:
            a = page_alloc()
            self.pc[index] = a
            self.pidx.append(index)
        self.pdirty[index] = True
        return a

    def writeback(self) -> None:
        """Write the dirty (and mapped) pages to their blocks."""
        fs = fs_of(self)
        if fs.ro:
            return
        n = self.bpp()
        for index in self.pidx:
            if not self.pdirty.get(index, False) and not self.pinned.get(index, False):
                continue
            a = self.pc.get(index, u64(0))
            if a == 0:
                continue
            for k in range(u64(0), n):
                lb = index * n + k
                if lb * fs.bs >= self.size:
                    break
                pb = fs.bmap(self.m, lb, False)
                if pb != 0:
                    fs.write_data(pb, a + k * fs.bs)
            self.pdirty[index] = False

    def trim(self) -> None:
        """Too many pages cached: write back and free those no mapping holds."""
        if len(self.pidx) <= PCACHE_MAX:
            return
        self.writeback()
        keep: List[u64] = []
        for index in self.pidx:
            if self.pinned.get(index, False):
                keep.append(index)
                continue
            a = self.pc.get(index, u64(0))
            if a != 0:
                page_free(a)
                del self.pc[index]
        self.pidx = keep

    def page_or_zero(self, index: u64) -> u64:
        """For a mapping: the page at index (0 for a hole or past the end)."""
        if (index << PAGE_SHIFT) >= self.size:
            return u64(0)
        a = self.cached_page(index)
        if a != 0:
            self.pinned[index] = True
        return a

    def page_for_write(self, index: u64) -> u64:
        """For a shared writable mapping: the page at index with its blocks allocated."""
        start = index << PAGE_SHIFT
        n = PAGE
        if start + n > self.size:
            n = self.size - start if self.size > start else u64(1)
        a = self.page_w(index, u64(0), n)
        self.pinned[index] = True
        return a

    def zero_tail(self, old: u64) -> None:
        """The file grows past old: bytes after old in its last page must read as zero on disk."""
        if (old & PAGE_MASK) == 0:
            return
        index = old >> PAGE_SHIFT
        a = self.cached_page(index)
        if a != 0:
            memset(a + (old & PAGE_MASK), 0, PAGE - (old & PAGE_MASK))
            self.pdirty[index] = True

    def max_size(self) -> u64:
        """The largest size the block map can hold."""
        fs = fs_of(self)
        lim = fs.max_blocks() * fs.bs
        if lim > (u64(1) << u64(40)):
            lim = u64(1) << u64(40)
        return lim

    def set_size(self, length: u64) -> None:
        """Truncate (freeing blocks) or extend (a hole) to length bytes (EFBIG, EROFS)."""
        fs = fs_of(self)
        check_rw(fs)
        fs.shrink()
        if length > self.max_size():
            raise SysError(EFBIG)
        if length < self.size:
            keep_pages = (length + PAGE_MASK) >> PAGE_SHIFT
            kept: List[u64] = []
            for index in self.pidx:
                if index < keep_pages:
                    kept.append(index)
                    continue
                a = self.pc.get(index, u64(0))
                del self.pc[index]
                if self.pinned.get(index, False):
                    self.graveyard.append(a)
                    del self.pinned[index]
                elif a != 0:
                    page_free(a)
            self.pidx = kept
            fs.free_from(self.m, (length + fs.bs - 1) // fs.bs)
            if (length & PAGE_MASK) != 0:
                index = length >> PAGE_SHIFT
                a = self.cached_page(index)
                if a != 0:
                    memset(a + (length & PAGE_MASK), 0, PAGE - (length & PAGE_MASK))
                    self.pdirty[index] = True
            self.size = length
        elif length > self.size:
            self.zero_tail(self.size)
            self.size = length
        write_inode(self, self.m, fs)

    def read_at(self, kaddr: u64, off: u64, n: u64) -> u64:
        """Copy up to n bytes at off to kernel address kaddr; the count."""
        if off >= self.size:
            return u64(0)
        fs_of(self).shrink()
        self.trim()
        if n > self.size - off:
            n = self.size - off
        done = u64(0)
        while done < n:
            pos = off + done
            chunk = PAGE - (pos & PAGE_MASK)
            if chunk > n - done:
                chunk = n - done
            a = self.cached_page(pos >> PAGE_SHIFT)
            if a == 0:
                memset(kaddr + done, 0, chunk)
            else:
                memcpy(kaddr + done, a + (pos & PAGE_MASK), chunk)
            done += chunk
        return n

    def write_at(self, kaddr: u64, off: u64, n: u64) -> u64:
        """Copy n bytes from kaddr to offset off, allocating blocks (EFBIG, ENOSPC, EROFS)."""
        fs = fs_of(self)
        check_rw(fs)
        fs.shrink()
        self.trim()
        lim = self.max_size()
        if off > lim or n > lim - off:
            raise SysError(EFBIG)
        if off > self.size:
            self.zero_tail(self.size)
        done = u64(0)
        while done < n:
            pos = off + done
            chunk = PAGE - (pos & PAGE_MASK)
            if chunk > n - done:
                chunk = n - done
            a = self.page_w(pos >> PAGE_SHIFT, pos & PAGE_MASK, chunk)
            memcpy(a + (pos & PAGE_MASK), kaddr + done, chunk)
            done += chunk
            if pos + chunk > self.size:
                self.size = pos + chunk
        return n


class Ext2Link(SymlinkInode):
    """An ext2 symbolic link (fast: target in the inode; slow: in one block)."""

    m: E2Meta

    def __init__(self, m: E2Meta, target: bytearray) -> None:
        """A link to target with on-disk side m."""
        SymlinkInode.__init__(self, target)
        self.m = m

    def __del__(self) -> None:
        """Write back or free the inode."""
        release_inode(self, self.m)


class Ext2Fifo(NamedFifo):
    """An ext2 FIFO node."""

    m: E2Meta

    def __init__(self, m: E2Meta, perm: u32) -> None:
        """A FIFO with on-disk side m."""
        NamedFifo.__init__(self, perm)
        self.m = m

    def __del__(self) -> None:
        """Write back or free the inode."""
        release_inode(self, self.m)


class Ext2Dev(DevInode):
    """An ext2 character or block device node."""

    m: E2Meta

    def __init__(self, m: E2Meta, mode: u32, major: u32, minor: u32) -> None:
        """A device node with on-disk side m."""
        DevInode.__init__(self, mode, major, minor)
        self.m = m

    def __del__(self) -> None:
        """Write back or free the inode."""
        release_inode(self, self.m)


class Ext2Sock(Inode):
    """An ext2 socket node."""

    m: E2Meta

    def __init__(self, m: E2Meta, mode: u32) -> None:
        """A socket node with on-disk side m."""
        Inode.__init__(self, mode)
        self.m = m

    def __del__(self) -> None:
        """Write back or free the inode."""
        release_inode(self, self.m)


def ext2_mount(fs: Ext2Fs, minor: u32, flags: u64) -> DirInode:
    """The root directory of fs mounted as anonymous device 0:minor with ST_* flags."""
    if fs.ro:
        flags |= ST_RDONLY
    sup = Ext2Super(fs, minor, flags)
    fs.sup = Weak[SuperBlock](sup)
    root = iget(fs, ROOT_INO, None)
    if isinstance(root, Ext2Dir):
        sup.root = Weak[DirInode](root)
        if not fs.ro:
            fs.set_state(False)
            fs.flush()
        return root
    raise SysError(corrupt("root is not a directory"))
