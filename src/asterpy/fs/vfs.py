"""Name-space operations on the ramfs: open, mkdir, mknod, unlink, rmdir, rename, link, symlink,
readlink, chmod, chown, truncate, times; all with Linux's errnos, for the syscalls and the initramfs.

Each takes the process (credentials, root, umask) and the directory a relative path starts from
(the cwd or a dirfd's directory, chosen by the caller).
"""

from typing import Final

from asterpy.lang import SysError, Weak, u32, u64
from asterpy.lang.errno import (
    EACCES, EBUSY, EEXIST, EINVAL, EISDIR, ELOOP, ENOENT, ENOTDIR, ENOTEMPTY, ENXIO, EPERM, EROFS, EXDEV,
)
from asterpy.fs.devfs import TTY_MAJOR, open_device
from asterpy.fs.devpts import PTMX_MINOR, PTY_SLAVE_MAJOR, open_controlling_tty, open_master, open_slave
from asterpy.fs.file import DirFile, File, PathFile, RegFile
from asterpy.fs.inode import DevInode, DirInode, Inode, RegInode, SymlinkInode, check_not_running
from asterpy.fs.mode import (
    O_ACCMODE, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_PATH, O_RDONLY, O_TRUNC, PERM_MASK, R_OK,
    S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, S_ISGID, S_ISUID, W_OK, X_OK,
)
from asterpy.fs.mount import is_mountpoint
from asterpy.fs.path import MAX_SYMLINKS, Cred, Parent, as_dir, cred_of, is_dot_or_dotdot, may_access, resolve, resolve_parent
from asterpy.fs.pipe import NamedFifo, open_fifo
from asterpy.fs.superblock import ST_RDONLY
from asterpy.fs.procfs.files import open_proc
from asterpy.fs.context import FsCaller

# The flags a File keeps (the rest only matter while opening).
KEEP_FLAGS: Final = ~(O_CREAT | O_EXCL | O_TRUNC | O_NOFOLLOW) & u64(0xFFFFFFFF)


def as_reg(ino: Inode, err: int) -> RegInode:
    """ino as a regular file, or SysError(err)."""
    if isinstance(ino, RegInode):
        return ino
    raise SysError(err)


def lookup(p: FsCaller, base: DirInode, path: bytearray, follow: bool) -> Inode:
    """The inode path names from base (follow: also a symlink in the last component)."""
    return resolve(p.fs.root, base, path, follow, cred_of(p))


def parent_of(p: FsCaller, base: DirInode, path: bytearray) -> Parent:
    """The directory and last name of path."""
    return resolve_parent(p.fs.root, base, path, cred_of(p))


def may_create(c: Cred, d: DirInode) -> None:
    """EACCES unless c may add or remove names in d; ENOENT if d was removed; EROFS on a
    read-only file system (before the permission check, as on Linux: root too)."""
    if d.dead:
        raise SysError(ENOENT)
    check_writable(d)
    if not may_access(c, d, W_OK | X_OK):
        raise SysError(EACCES)


def check_writable(ino: Inode) -> None:
    """EROFS when ino's file system is read-only (checked before permissions: root too)."""
    if (ino.sb.flags & ST_RDONLY) != 0:
        raise SysError(EROFS)


def new_owned(ino: Inode, c: Cred) -> Inode:
    """ino owned by the creator."""
    ino.uid = c.uid
    ino.gid = c.gid
    return ino


def open_path(p: FsCaller, base: DirInode, path: bytearray, flags: u64, mode: u32) -> File:
    """open(2)/openat(2): the File for path (creating a regular file with O_CREAT)."""
    return open_with(p, cred_of(p), base, path, flags, mode)


def open_with(p: FsCaller, c: Cred, base: DirInode, path: bytearray, flags: u64, mode: u32) -> File:
    """open_path with the lookup's credentials and symlink count (O_CREAT through a dangling
    symlink creates its target, which may be another symlink)."""
    root = p.fs.root
    created = False
    ino: Inode | None = None
    if (flags & O_CREAT) != 0 and (flags & O_PATH) == 0:
        par = resolve_parent(root, base, path, c)
        if len(par.name) == 0 or is_dot_or_dotdot(par.name):
            raise SysError(EISDIR)
        d = par.dir
        old = d.lookup(par.name)
        if old is None:
            if par.trailing:
                raise SysError(EISDIR)
            may_create(c, d)
            nino = new_reg(d, mode & PERM_MASK & ~p.fs.umask)
            new_owned(nino, c)
            d.add(par.name, nino)
            ino = nino
            created = True
        else:
            if (flags & O_EXCL) != 0:
                raise SysError(EEXIST)
            if isinstance(old, SymlinkInode):
                if (flags & O_NOFOLLOW) != 0:
                    raise SysError(ELOOP)
                c.links += 1
                if c.links > MAX_SYMLINKS:
                    raise SysError(ELOOP)
                return open_with(p, c, d, old.target, flags, mode)
            if isinstance(old, DirInode):
                raise SysError(EISDIR)
            if par.trailing:
                raise SysError(ENOTDIR)
            ino = old
    else:
        ino = resolve(root, base, path, (flags & O_NOFOLLOW) == 0, c)
        # /dev/tty is the caller's controlling terminal, a pseudo-terminal's slave included.
        ctty = open_controlling_tty(p.sid, ino, flags & KEEP_FLAGS)
        if ctty is not None:
            return ctty
    return open_inode(c, ino, flags, created)


def new_reg(d: DirInode, perm: u32) -> RegInode:
    """A new regular file of d's file system (not linked yet)."""
    x = d.make_child(S_IFREG | perm, u32(0), u32(0), bytearray(0))
    if isinstance(x, RegInode):
        return x
    return RegInode(perm)


def new_dir(d: DirInode, perm: u32) -> DirInode:
    """A new directory of d's file system (not linked yet)."""
    x = d.make_child(S_IFDIR | perm, u32(0), u32(0), bytearray(0))
    if isinstance(x, DirInode):
        return x
    return DirInode(perm, d)


def new_symlink(d: DirInode, target: bytearray) -> SymlinkInode:
    """A new symlink to target of d's file system (not linked yet)."""
    x = d.make_child(S_IFLNK | u32(0o777), u32(0), u32(0), target)
    if isinstance(x, SymlinkInode):
        return x
    return SymlinkInode(target)


def open_inode(c: Cred, ino: Inode, flags: u64, created: bool) -> File:
    """The File for an inode found by open: type, O_DIRECTORY, permission and O_TRUNC rules."""
    kept = flags & KEEP_FLAGS
    if (flags & O_DIRECTORY) != 0 and not isinstance(ino, DirInode):
        raise SysError(ENOTDIR)
    if (flags & O_PATH) != 0:
        return PathFile(ino, kept & (O_PATH | O_DIRECTORY | u64(0o2000000)))
    if isinstance(ino, SymlinkInode):
        # Only reached with O_NOFOLLOW.
        raise SysError(ELOOP)
    acc = flags & O_ACCMODE
    if acc == O_ACCMODE:
        raise SysError(EINVAL)
    if isinstance(ino, DirInode):
        if acc != O_RDONLY or (flags & O_CREAT) != 0:
            raise SysError(EISDIR)
    if (acc != O_RDONLY or (flags & O_TRUNC) != 0) and (isinstance(ino, RegInode) or isinstance(ino, DirInode)):
        check_writable(ino)
    if not created:
        want = u32(0)
        if acc != 1:
            want |= R_OK
        if acc != O_RDONLY:
            want |= W_OK
        if not may_access(c, ino, want):
            raise SysError(EACCES)
    if isinstance(ino, RegInode) and (acc != O_RDONLY or (flags & O_TRUNC) != 0):
        check_not_running(ino)
    special = open_proc(ino, kept)
    if special is not None:
        return special
    if isinstance(ino, DirInode):
        return DirFile(ino, kept)
    if isinstance(ino, RegInode):
        if (flags & O_TRUNC) != 0 and acc != O_RDONLY and ino.size != 0:
            ino.set_size(u64(0))
            ino.touch_mtime()
        return RegFile(ino, kept)
    if isinstance(ino, DevInode):
        if ino.rdev_major == TTY_MAJOR and ino.rdev_minor == PTMX_MINOR and (ino.mode & S_IFMT) == S_IFCHR:
            return open_master(ino, kept, c.uid, c.gid)
        if ino.rdev_major == PTY_SLAVE_MAJOR and (ino.mode & S_IFMT) == S_IFCHR:
            return open_slave(ino, kept)
        return open_device(ino, kept)
    if isinstance(ino, NamedFifo):
        return open_fifo(ino, kept)
    raise SysError(ENXIO)


def make_dir(p: FsCaller, base: DirInode, path: bytearray, mode: u32) -> DirInode:
    """mkdir(2): EEXIST if the name exists (also "/", "." and "..")."""
    c = cred_of(p)
    par = parent_of(p, base, path)
    if len(par.name) == 0 or is_dot_or_dotdot(par.name):
        raise SysError(EEXIST)
    d = par.dir
    if d.lookup(par.name) is not None:
        raise SysError(EEXIST)
    may_create(c, d)
    nd = new_dir(d, (mode & u32(0o1777)) & ~p.fs.umask)
    new_owned(nd, c)
    d.add(par.name, nd)
    return nd


def make_node(p: FsCaller, base: DirInode, path: bytearray, mode: u32, major: u32, minor: u32) -> Inode:
    """mknod(2): a regular file, device node (root only), FIFO or socket node."""
    c = cred_of(p)
    kind = mode & S_IFMT
    perm = mode & PERM_MASK & ~p.fs.umask
    if kind == S_IFDIR:
        raise SysError(EPERM)
    if kind != 0 and kind != S_IFREG and kind != S_IFCHR and kind != S_IFBLK and kind != S_IFIFO and kind != S_IFSOCK:
        raise SysError(EINVAL)
    if (kind == S_IFCHR or kind == S_IFBLK) and c.uid != 0:
        raise SysError(EPERM)
    par = parent_of(p, base, path)
    if len(par.name) == 0 or is_dot_or_dotdot(par.name):
        raise SysError(EEXIST)
    d = par.dir
    if d.lookup(par.name) is not None:
        raise SysError(EEXIST)
    if par.trailing:
        raise SysError(ENOENT)
    may_create(c, d)
    ino: Inode | None = None
    if kind == 0:
        kind = S_IFREG
    ino = d.make_child(kind | perm, major, minor, bytearray(0))
    if ino is None:
        if kind == S_IFREG:
            ino = RegInode(perm)
        elif kind == S_IFIFO:
            ino = NamedFifo(perm)
        elif kind == S_IFSOCK:
            ino = Inode(S_IFSOCK | perm)
        else:
            ino = DevInode(kind | perm, major, minor)
    new_owned(ino, c)
    d.add(par.name, ino)
    return ino


def unlink(p: FsCaller, base: DirInode, path: bytearray) -> None:
    """unlink(2): EISDIR for a directory, ENOENT, ENOTDIR (a trailing slash on a non-directory)."""
    c = cred_of(p)
    par = parent_of(p, base, path)
    if len(par.name) == 0 or is_dot_or_dotdot(par.name):
        raise SysError(EISDIR)
    d = par.dir
    old = d.lookup(par.name)
    if old is None:
        raise SysError(ENOENT)
    if isinstance(old, DirInode):
        raise SysError(EISDIR)
    if par.trailing:
        raise SysError(ENOTDIR)
    may_create(c, d)
    sticky_check(c, d, old)
    d.remove(par.name)


def sticky_check(c: Cred, d: DirInode, victim: Inode) -> None:
    """In a sticky directory (/tmp) only the owner of a name or of the directory may remove it."""
    if (d.mode & u32(0o1000)) != 0 and c.uid != 0 and c.uid != victim.uid and c.uid != d.uid:
        raise SysError(EPERM)


def remove_dir(p: FsCaller, base: DirInode, path: bytearray) -> None:
    """rmdir(2): EBUSY for "/", EINVAL for ".", ENOTEMPTY for ".." or a non-empty directory."""
    c = cred_of(p)
    par = parent_of(p, base, path)
    if len(par.name) == 0:
        raise SysError(EBUSY)
    if is_dot_or_dotdot(par.name):
        if len(par.name) == 1:
            raise SysError(EINVAL)
        raise SysError(ENOTEMPTY)
    d = par.dir
    old = d.lookup(par.name)
    if old is None:
        raise SysError(ENOENT)
    od = as_dir(old)
    if is_mountpoint(od):
        raise SysError(EBUSY)
    if not od.is_empty():
        raise SysError(ENOTEMPTY)
    if od is p.fs.root:
        raise SysError(EBUSY)
    may_create(c, d)
    sticky_check(c, d, od)
    od.dead = True
    d.remove(par.name)


def is_under(d: DirInode, top: DirInode) -> bool:
    """Whether directory d is top or lies somewhere below it."""
    cur = d
    while True:
        if cur is top:
            return True
        up = cur.parent_dir()
        if up is cur:
            return False
        cur = up


def rename(p: FsCaller, obase: DirInode, opath: bytearray, nbase: DirInode, npath: bytearray,
           noreplace: bool, exchange: bool) -> None:
    """rename(2)/renameat2(2) with RENAME_NOREPLACE and RENAME_EXCHANGE."""
    c = cred_of(p)
    op = parent_of(p, obase, opath)
    np = parent_of(p, nbase, npath)
    if len(op.name) == 0 or is_dot_or_dotdot(op.name) or len(np.name) == 0 or is_dot_or_dotdot(np.name):
        raise SysError(EBUSY)
    src = op.dir.lookup(op.name)
    if src is None:
        raise SysError(ENOENT)
    dst = np.dir.lookup(np.name)
    if (op.trailing or np.trailing) and not isinstance(src, DirInode):
        raise SysError(ENOTDIR)
    if op.dir.sb is not np.dir.sb:
        raise SysError(EXDEV)
    if is_mountpoint(src) or (dst is not None and is_mountpoint(dst)):
        raise SysError(EBUSY)
    may_create(c, op.dir)
    may_create(c, np.dir)
    if exchange:
        if dst is None:
            raise SysError(ENOENT)
        if not op.dir.can_exchange():
            raise SysError(EINVAL)
        exchange_entries(op.dir, op.name, src, np.dir, np.name, dst)
        return
    if dst is not None and noreplace:
        raise SysError(EEXIST)
    if isinstance(src, DirInode) and is_under(np.dir, src):
        raise SysError(EINVAL)
    if dst is not None:
        if dst is src:
            return
        if isinstance(src, DirInode):
            dd = as_dir(dst)
            if not dd.is_empty():
                raise SysError(ENOTEMPTY)
            dd.dead = True
        elif isinstance(dst, DirInode):
            raise SysError(EISDIR)
        np.dir.remove(np.name)
    e = op.dir.detach(op.name)
    if e is None:
        raise SysError(ENOENT)
    try:
        np.dir.add(np.name, src)
    except SysError as err:
        # A disk file system may fail to add (ENOSPC, EMLINK): the name goes back where it was.
        op.dir.add(op.name, src)
        raise err


def exchange_entries(d1: DirInode, n1: bytearray, i1: Inode, d2: DirInode, n2: bytearray, i2: Inode) -> None:
    """RENAME_EXCHANGE: the two names swap inodes (directories get their new parents)."""
    if isinstance(i1, DirInode) and is_under(d2, i1):
        raise SysError(EINVAL)
    if isinstance(i2, DirInode) and is_under(d1, i2):
        raise SysError(EINVAL)
    e1 = d1.find(n1)
    e2 = d2.find(n2)
    if e1 is None or e2 is None:
        raise SysError(ENOENT)
    e1.inode = i2
    e2.inode = i1
    if isinstance(i1, DirInode):
        i1.parent = Weak(d2)
        d1.nlink -= 1
        d2.nlink += 1
    if isinstance(i2, DirInode):
        i2.parent = Weak(d1)
        d2.nlink -= 1
        d1.nlink += 1
    d1.touch_mtime()
    d2.touch_mtime()
    i1.touch_ctime()
    i2.touch_ctime()


def hard_link(p: FsCaller, target: Inode, nbase: DirInode, npath: bytearray) -> None:
    """link(2): a second name for target (EPERM for a directory, EEXIST if the name is taken)."""
    c = cred_of(p)
    if isinstance(target, DirInode):
        raise SysError(EPERM)
    np = parent_of(p, nbase, npath)
    if len(np.name) == 0 or is_dot_or_dotdot(np.name):
        raise SysError(EEXIST)
    if np.dir.lookup(np.name) is not None:
        raise SysError(EEXIST)
    if np.trailing:
        raise SysError(ENOENT)
    if target.sb is not np.dir.sb:
        raise SysError(EXDEV)
    may_create(c, np.dir)
    if target.nlink == 0:
        raise SysError(ENOENT)
    target.nlink += 1
    try:
        np.dir.add(np.name, target)
    except SysError as err:
        if target.nlink > 0:
            target.nlink -= 1
        raise err


def make_symlink(p: FsCaller, target: bytearray, base: DirInode, path: bytearray) -> SymlinkInode:
    """symlink(2): ENOENT for an empty target, EEXIST if the name is taken."""
    c = cred_of(p)
    if len(target) == 0:
        raise SysError(ENOENT)
    par = parent_of(p, base, path)
    if len(par.name) == 0 or is_dot_or_dotdot(par.name):
        raise SysError(EEXIST)
    d = par.dir
    if d.lookup(par.name) is not None:
        raise SysError(EEXIST)
    if par.trailing:
        raise SysError(ENOENT)
    may_create(c, d)
    link = new_symlink(d, target)
    new_owned(link, c)
    d.add(par.name, link)
    return link


def change_mode(p: FsCaller, ino: Inode, mode: u32) -> None:
    """chmod: EROFS on a read-only file system; EPERM unless root or the owner."""
    check_writable(ino)
    if p.uid != 0 and u64(ino.uid) != p.uid:
        raise SysError(EPERM)
    ino.mode = (ino.mode & S_IFMT) | (mode & PERM_MASK)
    ino.touch_ctime()


def change_owner(p: FsCaller, ino: Inode, uid: u32, gid: u32) -> None:
    """chown: -1 keeps a field; only root may give a file away; the set-id bits of a file go."""
    keep = u32(0xFFFFFFFF)
    check_writable(ino)
    if p.uid != 0:
        if (uid != keep and uid != ino.uid) or u64(ino.uid) != p.uid:
            raise SysError(EPERM)
        if gid != keep and u64(gid) != p.gid:
            raise SysError(EPERM)
    if uid != keep:
        ino.uid = uid
    if gid != keep:
        ino.gid = gid
    if (ino.mode & S_IFMT) != S_IFDIR and (uid != keep or gid != keep):
        ino.mode = ino.mode & ~S_ISUID
        if (ino.mode & u32(0o010)) != 0:
            ino.mode = ino.mode & ~S_ISGID
    ino.touch_ctime()


def truncate_inode(p: FsCaller, ino: Inode, length: u64) -> None:
    """truncate(2) on an inode: EISDIR, EINVAL (not a regular file), EACCES."""
    if isinstance(ino, DirInode):
        raise SysError(EISDIR)
    if not may_access(cred_of(p), ino, W_OK):
        raise SysError(EACCES)
    r = as_reg(ino, EINVAL)
    check_writable(r)
    check_not_running(r)
    r.set_size(length)
    r.touch_mtime()


def exec_check(c: Cred, ino: Inode) -> RegInode:
    """The regular file execve may run: EACCES for anything else or without an x bit for c."""
    r = as_reg(ino, EACCES)
    if not may_access(c, r, X_OK):
        raise SysError(EACCES)
    return r


