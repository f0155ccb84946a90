"""Path syscalls: the stat family, access, cwd, mkdir/rmdir/unlink/rename/link/symlink/readlink,
chmod/chown, umask, truncate, utimensat, mknod, statfs."""

from typing import Final

from asterpy.lang import SysError, i32, i64, u8, u16, u32, u64
from asterpy.lang.errno import EACCES, EFAULT, EINVAL, ENOENT, ENOTDIR, EOPNOTSUPP, EPERM, ERANGE
from asterpy.fs.abi import StatX86, Statx, put_stat, put_statfs, put_statx
from asterpy.fs.file import RegFile
from asterpy.fs.inode import DirInode, Inode, RegInode, SymlinkInode, fs_now_ns
from asterpy.fs.mode import W_OK, X_OK
from asterpy.fs.mount import dir_path, mount_of
from asterpy.fs.path import access_mask_ok, copy_path_in, cred_of, may_access
from asterpy.fs.ext2.nodes import meta_of
from asterpy.fs.vfs import (
    change_mode, change_owner, check_writable, hard_link, lookup, make_dir, make_node, make_symlink, remove_dir,
    rename, truncate_inode, unlink,
)
from asterpy.syscall.fs_common import (
    AT_EACCESS, AT_EMPTY_PATH, AT_FDCWD, AT_NO_AUTOMOUNT, AT_REMOVEDIR, AT_STATX_SYNC_TYPE, AT_SYMLINK_FOLLOW,
    AT_SYMLINK_NOFOLLOW, base_for, check_flags, get_file, id_arg, inode_at, inode_of_fd, proc,
)
from asterpy.task.process import Process

NS: Final = u64(1000000000)
STATX_BASIC_STATS: Final = u32(0x7FF)
STATX_RESERVED: Final = u64(0x80000000)
RENAME_NOREPLACE: Final = u64(1)
RENAME_EXCHANGE: Final = u64(2)
UTIME_NOW: Final = u64(0x3FFFFFFF)
UTIME_OMIT: Final = u64(0x3FFFFFFE)
KEEP_ID: Final = u32(0xFFFFFFFF)


def encode_dev(major: u32, minor: u32) -> u64:
    """A dev_t as Linux encodes it for user space (new_encode_dev)."""
    return u64((minor & u32(0xFF)) | (major << u32(8)) | ((minor & ~u32(0xFF)) << u32(12)))


def blocks_of(ino: Inode) -> u64:
    """st_blocks: 512-byte units the file's data occupies (in memory, or on disk for ext2)."""
    m = meta_of(ino)
    if m is not None:
        return m.iblocks
    if isinstance(ino, RegInode):
        n = u64(0)
        for a in ino.pages:
            if a != 0:
                n += 8
        return n
    return u64(0)


def stat_of(ino: Inode) -> StatX86:
    """The struct stat of an inode."""
    st = StatX86()
    st.st_dev = ino.sb.st_dev()
    st.st_ino = ino.ino
    st.st_nlink = u64(ino.nlink)
    st.st_mode = ino.mode
    st.st_uid = ino.uid
    st.st_gid = ino.gid
    st.st_rdev = encode_dev(ino.rdev_major, ino.rdev_minor)
    st.st_size = i64(ino.size)
    st.st_blksize = i64(4096)
    st.st_blocks = i64(blocks_of(ino))
    st.st_atime = i64(ino.atime_ns // NS)
    st.st_atime_nsec = i64(ino.atime_ns % NS)
    st.st_mtime = i64(ino.mtime_ns // NS)
    st.st_mtime_nsec = i64(ino.mtime_ns % NS)
    st.st_ctime = i64(ino.ctime_ns // NS)
    st.st_ctime_nsec = i64(ino.ctime_ns % NS)
    return st


def sys_fstat(fd: u64, buf: u64) -> u64:
    """fstat(2)."""
    p = proc()
    put_stat(p, buf, stat_of(get_file(p, fd).inode))
    return u64(0)


def sys_newfstatat(dirfd: u64, upath: u64, buf: u64, flags: u64) -> u64:
    """newfstatat(2) (stat/lstat are it with AT_FDCWD): AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH."""
    check_flags(flags, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT)
    p = proc()
    ino = inode_at(p, dirfd, upath, flags, (flags & AT_SYMLINK_NOFOLLOW) == 0)
    put_stat(p, buf, stat_of(ino))
    return u64(0)


def sys_statx(dirfd: u64, upath: u64, flags: u64, mask: u64, buf: u64) -> u64:
    """statx(2): every basic field is always filled (the mask says so)."""
    check_flags(flags, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE)
    if (flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE or (mask & STATX_RESERVED) != 0:
        raise SysError(EINVAL)
    p = proc()
    ino = inode_at(p, dirfd, upath, flags, (flags & AT_SYMLINK_NOFOLLOW) == 0)
    sx = Statx()
    sx.stx_mask = STATX_BASIC_STATS
    sx.stx_blksize = u32(4096)
    sx.stx_nlink = ino.nlink
    sx.stx_uid = ino.uid
    sx.stx_gid = ino.gid
    sx.stx_mode = u16(ino.mode)
    sx.stx_ino = ino.ino
    sx.stx_size = ino.size
    sx.stx_blocks = blocks_of(ino)
    sx.stx_atime.tv_sec = i64(ino.atime_ns // NS)
    sx.stx_atime.tv_nsec = u32(ino.atime_ns % NS)
    sx.stx_mtime.tv_sec = i64(ino.mtime_ns // NS)
    sx.stx_mtime.tv_nsec = u32(ino.mtime_ns % NS)
    sx.stx_ctime.tv_sec = i64(ino.ctime_ns // NS)
    sx.stx_ctime.tv_nsec = u32(ino.ctime_ns % NS)
    sx.stx_rdev_major = ino.rdev_major
    sx.stx_rdev_minor = ino.rdev_minor
    sx.stx_dev_major = u32(0)
    sx.stx_dev_minor = u32(ino.sb.st_dev())
    put_statx(p, buf, sx)
    return u64(0)


def sys_faccessat(dirfd: u64, upath: u64, mode: u64, flags: u64) -> u64:
    """faccessat2(2) (access/faccessat pass no flags): EINVAL for unknown bits, EACCES."""
    check_flags(flags, AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)
    m = u32(mode)
    if not access_mask_ok(m) or (mode >> 32) != 0:
        raise SysError(EINVAL)
    p = proc()
    ino = inode_at(p, dirfd, upath, flags, (flags & AT_SYMLINK_NOFOLLOW) == 0)
    if m != 0 and not may_access(cred_of(p), ino, m):
        raise SysError(EACCES)
    return u64(0)


def sys_getcwd(buf: u64, size: u64) -> u64:
    """getcwd(2): the length including the NUL; ERANGE if size is too small, ENOENT if the cwd was removed."""
    p = proc()
    d = p.fs.cwd
    if d.dead:
        raise SysError(ENOENT)
    # The names from the cwd up to the root (crossing mount points), then NUL.
    path = dir_path(d, p.fs.root)
    total = u64(len(path)) + 1
    if size < total:
        raise SysError(ERANGE)
    p.check_user(buf, total, True)
    for k in range(0, len(path)):
        p.put_byte(buf + u64(k), path[k])
    p.put_byte(buf + u64(len(path)), u8(0))
    return total


def as_dir_inode(ino: Inode) -> DirInode:
    """ino as a directory (ENOTDIR)."""
    if isinstance(ino, DirInode):
        return ino
    raise SysError(ENOTDIR)


def sys_chdir(upath: u64) -> u64:
    """chdir(2): ENOTDIR, EACCES without search permission."""
    p = proc()
    d = as_dir_inode(inode_at(p, u64(i32(AT_FDCWD)), upath, u64(0), True))
    if not may_access(cred_of(p), d, X_OK):
        raise SysError(EACCES)
    p.fs.cwd = d
    return u64(0)


def sys_fchdir(fd: u64) -> u64:
    """fchdir(2): EBADF, ENOTDIR."""
    p = proc()
    d = as_dir_inode(get_file(p, fd).inode)
    if not may_access(cred_of(p), d, X_OK):
        raise SysError(EACCES)
    p.fs.cwd = d
    return u64(0)


def sys_chroot(upath: u64) -> u64:
    """chroot(2) (root only): the directory becomes the root of later lookups."""
    p = proc()
    d = as_dir_inode(inode_at(p, u64(i32(AT_FDCWD)), upath, u64(0), True))
    if p.uid != 0:
        raise SysError(EPERM)
    p.fs.root = d
    return u64(0)


def sys_mkdirat(dirfd: u64, upath: u64, mode: u64) -> u64:
    """mkdirat(2)."""
    p = proc()
    path = copy_path_in(p, upath)
    make_dir(p, base_for(p, dirfd, path), path, u32(mode))
    return u64(0)


def sys_mknodat(dirfd: u64, upath: u64, mode: u64, dev: u64) -> u64:
    """mknodat(2): regular files, FIFOs, sockets, and device nodes for root."""
    p = proc()
    path = copy_path_in(p, upath)
    d = u32(dev)
    major = (d >> u32(8)) & u32(0xFFF)
    minor = (d & u32(0xFF)) | ((d >> u32(12)) & u32(0xFFF00))
    make_node(p, base_for(p, dirfd, path), path, u32(mode), major, minor)
    return u64(0)


def sys_unlinkat(dirfd: u64, upath: u64, flags: u64) -> u64:
    """unlinkat(2): AT_REMOVEDIR makes it rmdir."""
    check_flags(flags, AT_REMOVEDIR)
    p = proc()
    path = copy_path_in(p, upath)
    base = base_for(p, dirfd, path)
    if (flags & AT_REMOVEDIR) != 0:
        remove_dir(p, base, path)
    else:
        unlink(p, base, path)
    return u64(0)


def sys_renameat2(odfd: u64, opath: u64, ndfd: u64, npath: u64, flags: u64) -> u64:
    """renameat2(2): RENAME_NOREPLACE, RENAME_EXCHANGE (not both); RENAME_WHITEOUT is EINVAL."""
    check_flags(flags, RENAME_NOREPLACE | RENAME_EXCHANGE)
    if (flags & RENAME_NOREPLACE) != 0 and (flags & RENAME_EXCHANGE) != 0:
        raise SysError(EINVAL)
    p = proc()
    op = copy_path_in(p, opath)
    np = copy_path_in(p, npath)
    rename(p, base_for(p, odfd, op), op, base_for(p, ndfd, np), np,
           (flags & RENAME_NOREPLACE) != 0, (flags & RENAME_EXCHANGE) != 0)
    return u64(0)


def sys_linkat(odfd: u64, opath: u64, ndfd: u64, npath: u64, flags: u64) -> u64:
    """linkat(2): AT_SYMLINK_FOLLOW, AT_EMPTY_PATH."""
    check_flags(flags, AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)
    p = proc()
    target = inode_at(p, odfd, opath, flags, (flags & AT_SYMLINK_FOLLOW) != 0)
    np = copy_path_in(p, npath)
    hard_link(p, target, base_for(p, ndfd, np), np)
    return u64(0)


def sys_symlinkat(utarget: u64, ndfd: u64, npath: u64) -> u64:
    """symlinkat(2)."""
    p = proc()
    target = copy_path_in(p, utarget)
    np = copy_path_in(p, npath)
    make_symlink(p, target, base_for(p, ndfd, np), np)
    return u64(0)


def link_target(ino: Inode) -> bytearray:
    """The target of a symlink (EINVAL for anything else)."""
    if isinstance(ino, SymlinkInode):
        return ino.target
    raise SysError(EINVAL)


def sys_readlinkat(dirfd: u64, upath: u64, buf: u64, size: u64) -> u64:
    """readlinkat(2): EINVAL for size <= 0 or a non-link; the bytes copied (no NUL)."""
    if i32(size) <= 0:
        raise SysError(EINVAL)
    p = proc()
    path = copy_path_in(p, upath)
    ino: Inode | None = None
    if len(path) == 0:
        ino = inode_of_fd(p, dirfd)
        if not isinstance(ino, SymlinkInode):
            raise SysError(ENOENT)
    else:
        ino = lookup(p, base_for(p, dirfd, path), path, False)
    t = link_target(ino)
    n = u64(len(t))
    if n > u64(u32(size)):
        n = u64(u32(size))
    p.check_user(buf, n, True)
    for i in range(u64(0), n):
        p.put_byte(buf + i, t[i])
    return n


def sys_fchmodat(dirfd: u64, upath: u64, mode: u64, flags: u64) -> u64:
    """fchmodat(2)/fchmodat2: EOPNOTSUPP-free: AT_SYMLINK_NOFOLLOW changes nothing on a link."""
    check_flags(flags, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)
    p = proc()
    ino = inode_at(p, dirfd, upath, flags, (flags & AT_SYMLINK_NOFOLLOW) == 0)
    if isinstance(ino, SymlinkInode):
        raise SysError(EOPNOTSUPP)
    change_mode(p, ino, u32(mode))
    return u64(0)


def sys_fchmod(fd: u64, mode: u64) -> u64:
    """fchmod(2)."""
    p = proc()
    change_mode(p, get_file(p, fd).inode, u32(mode))
    return u64(0)


def sys_fchownat(dirfd: u64, upath: u64, uid: u64, gid: u64, flags: u64) -> u64:
    """fchownat(2) (chown and lchown are it with AT_FDCWD)."""
    check_flags(flags, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)
    p = proc()
    ino = inode_at(p, dirfd, upath, flags, (flags & AT_SYMLINK_NOFOLLOW) == 0)
    change_owner(p, ino, id_arg(uid), id_arg(gid))
    return u64(0)


def sys_fchown(fd: u64, uid: u64, gid: u64) -> u64:
    """fchown(2)."""
    p = proc()
    change_owner(p, get_file(p, fd).inode, id_arg(uid), id_arg(gid))
    return u64(0)


def sys_umask(mask: u64) -> u64:
    """umask(2): the previous mask."""
    p = proc()
    old = p.fs.umask
    p.fs.umask = u32(mask) & u32(0o777)
    return u64(old)


def sys_truncate(upath: u64, length: u64) -> u64:
    """truncate(2): EINVAL for a negative length, EISDIR, EACCES."""
    if i64(length) < 0:
        raise SysError(EINVAL)
    p = proc()
    truncate_inode(p, inode_at(p, u64(i32(AT_FDCWD)), upath, u64(0), True), length)
    return u64(0)


def sys_ftruncate(fd: u64, length: u64) -> u64:
    """ftruncate(2): EINVAL for a negative length or a file not open for writing or not regular."""
    if i64(length) < 0:
        raise SysError(EINVAL)
    p = proc()
    f = get_file(p, fd)
    if not isinstance(f, RegFile) or not f.can_write():
        raise SysError(EINVAL)
    f.truncate(length)
    return u64(0)


def time_arg(p: Process, ts: u64) -> u64:
    """One utimensat timespec: the time in ns, or UTIME_NOW/UTIME_OMIT as they are (EINVAL)."""
    sec = p.get_u64(ts)
    nsec = p.get_u64(ts + 8)
    if nsec == UTIME_NOW or nsec == UTIME_OMIT:
        return nsec
    if nsec >= NS or i64(sec) < 0:
        raise SysError(EINVAL)
    return sec * NS + nsec


def sys_utimensat(dirfd: u64, upath: u64, times: u64, flags: u64) -> u64:
    """utimensat(2): NULL times or UTIME_NOW mean now, UTIME_OMIT keeps; a NULL path means dirfd's file."""
    check_flags(flags, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)
    p = proc()
    now = fs_now_ns()
    at = UTIME_NOW
    mt = UTIME_NOW
    if times != 0:
        at = time_arg(p, times)
        mt = time_arg(p, times + 16)
    ino: Inode | None = None
    if upath == 0:
        if i32(dirfd) == AT_FDCWD:
            raise SysError(EFAULT)
        ino = get_file(p, dirfd).inode
    else:
        ino = inode_at(p, dirfd, upath, flags, (flags & AT_SYMLINK_NOFOLLOW) == 0)
    c = cred_of(p)
    explicit = (at != UTIME_NOW and at != UTIME_OMIT) or (mt != UTIME_NOW and mt != UTIME_OMIT)
    if c.uid != 0 and c.uid != ino.uid:
        if explicit:
            raise SysError(EPERM)
        if not may_access(c, ino, W_OK):
            raise SysError(EACCES)
    check_writable(ino)
    if at == UTIME_NOW:
        at = now
    if mt == UTIME_NOW:
        mt = now
    if at != UTIME_OMIT:
        ino.atime_ns = at
    if mt != UTIME_OMIT:
        ino.mtime_ns = mt
    if at != UTIME_OMIT or mt != UTIME_OMIT:
        ino.ctime_ns = now
    return u64(0)


def sys_statfs(upath: u64, buf: u64) -> u64:
    """statfs(2) of the file system path is on."""
    p = proc()
    ino = inode_at(p, u64(i32(AT_FDCWD)), upath, u64(0), True)
    put_statfs(p, buf, ino.sb, mount_flags_of(ino))
    return u64(0)


def sys_fstatfs(fd: u64, buf: u64) -> u64:
    """fstatfs(2)."""
    p = proc()
    ino = get_file(p, fd).inode
    put_statfs(p, buf, ino.sb, mount_flags_of(ino))
    return u64(0)


def mount_flags_of(ino: Inode) -> u64:
    """The ST_* flags of the mount ino's file system is mounted with (none for the root's)."""
    m = mount_of(ino)
    if m is None:
        return u64(0)
    return m.flags



def sys_futimesat(dirfd: u64, upath: u64, tv: u64) -> u64:
    """futimesat(2) and utimes(2): two timevals (NULL: now); EINVAL for microseconds out of range."""
    p = proc()
    at = UTIME_NOW
    mt = UTIME_NOW
    if tv != 0:
        for i in range(u64(0), u64(2)):
            usec = p.get_u64(tv + 16 * i + 8)
            if usec >= 1000000:
                raise SysError(EINVAL)
        at = p.get_u64(tv) * NS + p.get_u64(tv + 8) * 1000
        mt = p.get_u64(tv + 16) * NS + p.get_u64(tv + 24) * 1000
    return set_path_times(p, dirfd, upath, at, mt)


def sys_utime(upath: u64, buf: u64) -> u64:
    """utime(2): struct utimbuf {actime, modtime} in seconds (NULL: now)."""
    p = proc()
    at = UTIME_NOW
    mt = UTIME_NOW
    if buf != 0:
        at = p.get_u64(buf) * NS
        mt = p.get_u64(buf + 8) * NS
    return set_path_times(p, u64(i32(AT_FDCWD)), upath, at, mt)


def set_path_times(p: Process, dirfd: u64, upath: u64, at: u64, mt: u64) -> u64:
    """The legacy time setters: explicit times need the owner (or root), "now" write permission."""
    ino = inode_at(p, dirfd, upath, u64(0), True)
    c = cred_of(p)
    if c.uid != 0 and c.uid != ino.uid:
        if at != UTIME_NOW:
            raise SysError(EPERM)
        if not may_access(c, ino, W_OK):
            raise SysError(EACCES)
    check_writable(ino)
    now = fs_now_ns()
    if at == UTIME_NOW:
        at = now
    if mt == UTIME_NOW:
        mt = now
    ino.atime_ns = at
    ino.mtime_ns = mt
    ino.ctime_ns = now
    return u64(0)
