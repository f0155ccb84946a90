"""The mount table: file systems grafted onto directories of the one name space.

A mount covers a directory (the mount point, in the parent file system) with the root directory
of another file system. Path lookup crosses into the mounted root when a component lands on a
mount point (`mounted_on`) and back out when `..` leaves a mounted root (`parent_across`);
getcwd and /proc's links build names the same way (`dir_path`). Mounts stack: the last one made
on a directory is the one seen, as on Linux. procfs is mounted at /proc at boot
(initramfs.mount_boot_filesystems); mount(2)/umount2(2) will add and remove entries here.
"""

from typing import Final

from asterpy.lang import List, SysError, Weak, u8, u64
from asterpy.lang.errno import EBUSY, EINVAL, ENOENT
from asterpy.fs.inode import DirInode, Inode, root_dir
from asterpy.fs.superblock import SuperBlock

SLASH: Final = u8(0x2F)


class Mount:
    """One mounted file system: the directory it covers, its root, where it came from (the
    source /proc/mounts shows, e.g. "proc") and its ST_* flags."""

    mountpoint: DirInode
    root: DirInode
    source: bytearray
    flags: u64

    def __init__(self, mountpoint: DirInode, root: DirInode, source: bytearray, flags: u64) -> None:
        """A mount of root over mountpoint."""
        self.mountpoint = mountpoint
        self.root = root
        self.source = source
        self.flags = flags

    def sb(self) -> SuperBlock:
        """The mounted file system's superblock."""
        return self.root.sb


class MountTable:
    """The mounts of the name space whose root is `root`, oldest first (the root is held weakly:
    the table must not keep a replaced tree alive)."""

    root: Weak[DirInode]
    mounts: List[Mount]

    def __init__(self, root: DirInode) -> None:
        """No mounts over root yet."""
        self.root = Weak(root)
        self.mounts = []


table: MountTable | None = None


def mount_table() -> MountTable:
    """The mount table of the current root (a fresh one when the root was replaced: tests)."""
    global table
    r = root_dir()
    t = table
    if t is None or t.root.get() is not r:
        t = MountTable(r)
        table = t
    return t


def mount_at(mountpoint: DirInode, root: DirInode, source: bytearray, flags: u64) -> Mount:
    """Mount the file system whose root is `root` over directory mountpoint (ENOENT for a
    removed directory, EBUSY if that root is already mounted somewhere)."""
    if mountpoint.dead:
        raise SysError(ENOENT)
    t = mount_table()
    for m in t.mounts:
        if m.root is root:
            raise SysError(EBUSY)
    m = Mount(mountpoint, root, source, flags)
    t.mounts.append(m)
    return m


def umount_root(root: DirInode, detach: bool) -> None:
    """Take the mount whose root is `root` away (EINVAL if it is not a mount's root). While other
    mounts sit on it or on directories of its file system: EBUSY, or with `detach` (MNT_DETACH,
    Linux's lazy unmount of the whole tree) those go first, innermost first, so that no mount is
    left whose mount point is in a file system nobody can reach (it kept that tree alive)."""
    t = mount_table()
    for i in range(0, len(t.mounts)):
        if t.mounts[i].root is root:
            if has_mounts_inside(t, root):
                if not detach:
                    raise SysError(EBUSY)
                detach_inside(t, root)
            for j in range(0, len(t.mounts)):
                if t.mounts[j].root is root:
                    del t.mounts[j]
                    return
    raise SysError(EINVAL)


def mounted_inside(m: Mount, root: DirInode) -> bool:
    """Whether mount m sits on `root` or on a directory of root's file system (its own instance)."""
    return m.root is not root and (m.mountpoint is root or m.mountpoint.sb is root.sb)


def has_mounts_inside(t: MountTable, root: DirInode) -> bool:
    """Whether some mount sits on root or inside its file system."""
    for m in t.mounts:
        if mounted_inside(m, root):
            return True
    return False


def sb_mounted(sb: SuperBlock) -> bool:
    """Whether some mount still shows file system sb."""
    t = table
    if t is None:
        return False
    for m in t.mounts:
        if m.root.sb is sb:
            return True
    return False


def detach_inside(t: MountTable, root: DirInode) -> None:
    """Remove every mount inside root's file system, and the mounts inside those."""
    again = True
    while again:
        again = False
        for i in range(0, len(t.mounts)):
            m = t.mounts[i]
            if mounted_inside(m, root):
                inner = m.root
                detach_inside(t, inner)
                for j in range(0, len(t.mounts)):
                    if t.mounts[j].root is inner:
                        del t.mounts[j]
                        break
                again = True
                break


def mounted_on(d: DirInode) -> DirInode:
    """What a lookup that reaches directory d sees: the root of the newest mount on d (and on that
    root, and so on), or d itself when nothing is mounted there."""
    t = table
    if t is None or len(t.mounts) == 0:
        return d
    cur = d
    again = True
    while again:
        again = False
        i = len(t.mounts) - 1
        while i >= 0:
            m = t.mounts[i]
            if m.mountpoint is cur:
                cur = m.root
                again = True
                break
            i -= 1
    return cur


def is_mountpoint(d: Inode) -> bool:
    """Whether a file system is mounted on d (rmdir and rename refuse it with EBUSY)."""
    t = table
    if t is None:
        return False
    for m in t.mounts:
        if m.mountpoint is d:
            return True
    return False


def mount_of_root(d: DirInode) -> Mount | None:
    """The mount whose root is d, or None."""
    t = table
    if t is None:
        return None
    for m in t.mounts:
        if m.root is d:
            return m
    return None


def parent_across(d: DirInode, root: DirInode) -> DirInode:
    """Where `..` from d leads: out of mounted roots to the directory they cover, then up one
    (never above root, the caller's root directory)."""
    cur = d
    while cur is not root:
        m = mount_of_root(cur)
        if m is None:
            break
        cur = m.mountpoint
    if cur is root:
        return cur
    return mounted_on(cur.parent_dir())


def mount_of(ino: Inode) -> Mount | None:
    """The mount whose file system ino belongs to, None for the root file system."""
    t = table
    if t is None:
        return None
    i = len(t.mounts) - 1
    while i >= 0:
        m = t.mounts[i]
        if m.root.sb is ino.sb:
            return m
        i -= 1
    return None


def dir_names_up(d: DirInode, root: DirInode, names: List[bytearray]) -> bool:
    """Collect the names from d up to root (innermost first) into names; False when a directory on
    the way is no longer linked into the tree (removed) or root is not above d."""
    cur = d
    while cur is not root:
        m = mount_of_root(cur)
        if m is not None:
            cur = m.mountpoint
            continue
        up = cur.parent_dir()
        if up is cur:
            return False
        nm = up.child_name(cur)
        if nm is None:
            return False
        names.append(nm)
        cur = up
    return True


def join_names(names: List[bytearray], last: bytearray | None) -> bytearray:
    """"/" + the names outermost first (names is innermost first), then last if given."""
    out = bytearray(0)
    i = len(names) - 1
    while i >= 0:
        out.append(SLASH)
        for c in names[i]:
            out.append(c)
        i -= 1
    if last is not None:
        out.append(SLASH)
        for c in last:
            out.append(c)
    if len(out) == 0:
        out.append(SLASH)
    return out


def dir_path(d: DirInode, root: DirInode) -> bytearray:
    """The absolute path of directory d as seen from root (ENOENT if d was removed or is outside root)."""
    names: List[bytearray] = []
    if d.dead or not dir_names_up(d, root, names):
        raise SysError(ENOENT)
    return join_names(names, None)

