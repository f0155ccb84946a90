"""Path lookup: user path strings in, inodes out; `..`, symlinks (ELOOP after 40), Linux's errnos.

A path is a bytearray of its bytes (no NUL). `resolve` walks every component from a start
directory (the root for an absolute path); `resolve_parent` walks all but the last and hands
back the directory and the last name, for the calls that create or remove a name.
"""

from typing import Final

from asterpy.lang import Ptr, SysError, u8, u32, u64
from asterpy.lang.errno import EACCES, ELOOP, ENAMETOOLONG, ENOENT, ENOTDIR
from asterpy.fs.inode import NAME_MAX, DirInode, Inode, SymlinkInode, name_is
from asterpy.fs.mode import R_OK, S_IFDIR, S_IFMT, W_OK, X_OK
from asterpy.fs.mount import mounted_on, parent_across
from asterpy.fs.context import FsCaller

PATH_MAX: Final = u64(4096)
MAX_SYMLINKS: Final = u64(40)
PAGE: Final = u64(4096)
PAGE_MASK: Final = u64(4095)
SLASH: Final = u8(0x2F)


def copy_path_in(p: FsCaller, uaddr: u64) -> bytearray:
    """The NUL-terminated path at user address uaddr, without the NUL (EFAULT; ENAMETOOLONG
    when no NUL comes within PATH_MAX bytes). An empty path comes back empty."""
    out = bytearray(0)
    c = p.user_chunks(uaddr, PATH_MAX, False)
    while c.next():
        for j in range(u64(0), c.size):
            b = Ptr[u8](c.kaddr + j).load()
            if b == 0:
                return out
            if c.off + j + 1 >= PATH_MAX:
                raise SysError(ENAMETOOLONG)
            out.append(b)
    raise SysError(ENAMETOOLONG)


def path_from_kernel(addr: u64, n: u64) -> bytearray:
    """A path from n bytes at kernel address addr (ENAMETOOLONG from PATH_MAX bytes on)."""
    if n >= PATH_MAX:
        raise SysError(ENAMETOOLONG)
    out = bytearray(int(n))
    for i in range(u64(0), n):
        out[i] = Ptr[u8](addr + i).load()
    return out


class Cred:
    """Who is looking (permission checks) and how many symlinks the lookup has followed."""

    uid: u32
    gid: u32
    links: u64

    def __init__(self, uid: u32, gid: u32) -> None:
        """Credentials uid/gid, no symlinks followed yet."""
        self.uid = uid
        self.gid = gid
        self.links = u64(0)


def cred_of(p: FsCaller) -> Cred:
    """The credentials of process p for one lookup: its file-system ids."""
    return Cred(u32(p.fsuid), u32(p.fsgid))


def may_access(c: Cred, ino: Inode, mask: u32) -> bool:
    """Whether c may read/write/execute (R_OK/W_OK/X_OK bits of mask) ino. Root may do anything
    except execute a non-directory without any x bit, as on Linux."""
    if c.uid == 0:
        if (mask & X_OK) != 0 and (ino.mode & S_IFMT) != S_IFDIR and (ino.mode & u32(0o111)) == 0:
            return False
        return True
    perm = ino.mode & u32(0o7)
    if c.uid == ino.uid:
        perm = (ino.mode >> u32(6)) & u32(7)
    elif c.gid == ino.gid:
        perm = (ino.mode >> u32(3)) & u32(7)
    return (perm & mask) == mask


def check_search(c: Cred, d: DirInode) -> None:
    """EACCES unless c may search (x) directory d."""
    if not may_access(c, d, X_OK):
        raise SysError(EACCES)


def as_dir(ino: Inode) -> DirInode:
    """ino as a directory, ENOTDIR if it is not one."""
    if isinstance(ino, DirInode):
        return ino
    raise SysError(ENOTDIR)


def follow_link(root: DirInode, where: DirInode, link: SymlinkInode, c: Cred) -> Inode:
    """The inode link points to, its target read relative to the directory `where` holding it."""
    c.links += 1
    if c.links > MAX_SYMLINKS:
        raise SysError(ELOOP)
    jump = link.jump_target()
    if jump is not None:
        return jump
    return resolve(root, where, link.target, True, c)


def resolve(root: DirInode, base: DirInode, path: bytearray, follow_last: bool, c: Cred) -> Inode:
    """The inode path names, from base (root if the path is absolute): ENOENT (missing or empty),
    ENOTDIR (a non-directory in the middle, or before a trailing slash), ENAMETOOLONG (a name of
    256 bytes or more), EACCES (a directory without search permission), ELOOP."""
    n = len(path)
    if n == 0:
        raise SysError(ENOENT)
    cur: Inode = base
    if path[0] == SLASH:
        cur = root
    i = 0
    while True:
        while i < n and path[i] == SLASH:
            i += 1
        if i >= n:
            # Only slashes remained: the path names cur itself (a directory, or we failed earlier).
            return cur
        start = i
        while i < n and path[i] != SLASH:
            i += 1
        if u64(i - start) > NAME_MAX:
            raise SysError(ENAMETOOLONG)
        trailing = i < n
        j = i
        while j < n and path[j] == SLASH:
            j += 1
        last = j >= n
        d = as_dir(cur)
        check_search(c, d)
        comp = bytearray(i - start)
        for k in range(0, i - start):
            comp[k] = path[start + k]
        nxt: Inode | None = None
        if name_is(comp, b".."):
            # Out of mounted file systems' roots first; never above the caller's root.
            nxt = parent_across(d, root)
        else:
            nxt = d.lookup(comp)
            if isinstance(nxt, DirInode):
                nxt = mounted_on(nxt)
        if nxt is None:
            raise SysError(ENOENT)
        found = nxt
        if isinstance(found, SymlinkInode) and (not last or follow_last or trailing):
            found = follow_link(root, d, found, c)
        if last:
            if trailing and not isinstance(found, DirInode):
                raise SysError(ENOTDIR)
            return found
        cur = found
        i = j


class Parent:
    """The directory that holds (or will hold) a path's last name, and that name."""

    dir: DirInode
    name: bytearray
    trailing: bool          # the path ended in '/' (the name must be a directory)

    def __init__(self, d: DirInode, name: bytearray, trailing: bool) -> None:
        """Directory d, last name `name`, whether a slash followed it."""
        self.dir = d
        self.name = name
        self.trailing = trailing


def resolve_parent(root: DirInode, base: DirInode, path: bytearray, c: Cred) -> Parent:
    """The parent directory of path's last component and that name (empty for "/"): ENOENT for an
    empty path, ENOTDIR/ENOENT/ELOOP/EACCES while walking to the parent, ENAMETOOLONG."""
    n = len(path)
    if n == 0:
        raise SysError(ENOENT)
    end = n
    while end > 0 and path[end - 1] == SLASH:
        end -= 1
    trailing = end < n
    start = end
    while start > 0 and path[start - 1] != SLASH:
        start -= 1
    if u64(end - start) > NAME_MAX:
        raise SysError(ENAMETOOLONG)
    name = bytearray(end - start)
    for k in range(0, end - start):
        name[k] = path[start + k]
    d: Inode = base
    if start > 0:
        head = bytearray(start)
        for k in range(0, start):
            head[k] = path[k]
        d = resolve(root, base, head, True, c)
    elif n > 0 and path[0] == SLASH:
        d = root
    pd = as_dir(d)
    check_search(c, pd)
    return Parent(pd, name, trailing)


def is_dot_or_dotdot(name: bytearray) -> bool:
    """Whether name is "." or ".." (which cannot be created, removed or renamed)."""
    return name_is(name, b".") or name_is(name, b"..")


def access_mask_ok(mask: u32) -> bool:
    """Whether mask holds only R_OK, W_OK and X_OK (F_OK is 0)."""
    return (mask & ~(R_OK | W_OK | X_OK)) == 0
