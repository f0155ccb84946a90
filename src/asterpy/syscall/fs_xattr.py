"""Extended-attribute syscalls: setxattr, getxattr, listxattr, removexattr and their l* (the link
itself) and f* (an open file) forms; the attributes are asterpy.fs.xattr's. Table entries:
`syscall_<name>`.

As in Linux's tmpfs: "user." names on regular files and directories only (EPERM to set on anything
else, ENODATA to read), with the file's write permission to change and read permission to read;
"trusted." names for the privileged only (EPERM to change, ENODATA to read, hidden from the list);
"security." names left to the (absent) security module: anyone may; any other namespace is
EOPNOTSUPP."""

from typing import Final

from asterpy.lang import SysError, i32, u8, u64
from asterpy.lang.errno import E2BIG, EACCES, EBADF, EEXIST, EINVAL, ENODATA, EOPNOTSUPP, EPERM, ERANGE
from asterpy.fs.inode import DirInode, Inode, RegInode
from asterpy.fs.mode import O_PATH, R_OK, W_OK
from asterpy.fs.path import cred_of, may_access
from asterpy.fs.xattr import XATTR_LIST_MAX, XATTR_NAME_MAX, XATTR_SIZE_MAX, XattrSet
from asterpy.syscall.fs_common import AT_FDCWD, get_file, inode_at, proc
from asterpy.task.process import Process

XATTR_CREATE: Final = u64(1)
XATTR_REPLACE: Final = u64(2)
NS_OTHER: Final = u64(0)
NS_USER: Final = u64(1)
NS_TRUSTED: Final = u64(2)
NS_SECURITY: Final = u64(3)


def read_xattr_name(p: Process, uname: u64) -> bytearray:
    """The attribute name at uname: ERANGE when empty or longer than 255 bytes, EFAULT."""
    out = bytearray(0)
    while True:
        c = p.get_u8(uname + u64(len(out)))
        if c == 0:
            break
        if u64(len(out)) >= XATTR_NAME_MAX:
            raise SysError(ERANGE)
        out.append(c)
    if len(out) == 0:
        raise SysError(ERANGE)
    return out


def has_prefix(name: bytearray, prefix: bytes) -> bool:
    """Whether name starts with prefix."""
    if len(name) < len(prefix):
        return False
    for i in range(0, len(prefix)):
        if name[i] != prefix[i]:
            return False
    return True


def namespace_of(name: bytearray) -> u64:
    """The namespace of name (EINVAL for a bare prefix such as "user.")."""
    ns = NS_OTHER
    plen = 0
    if has_prefix(name, b"user."):
        ns = NS_USER
        plen = 5
    elif has_prefix(name, b"trusted."):
        ns = NS_TRUSTED
        plen = 8
    elif has_prefix(name, b"security."):
        ns = NS_SECURITY
        plen = 9
    if ns != NS_OTHER and len(name) == plen:
        raise SysError(EINVAL)
    return ns


def check_access(p: Process, ino: Inode, name: bytearray, write: bool) -> None:
    """May p change (write) or read the attribute name of ino? EOPNOTSUPP, EPERM, ENODATA, EACCES."""
    ns = namespace_of(name)
    if ns == NS_OTHER:
        raise SysError(EOPNOTSUPP)
    if ns == NS_SECURITY:
        return
    if ns == NS_TRUSTED:
        if p.uid != 0:
            raise SysError(EPERM if write else ENODATA)
        return
    if not isinstance(ino, RegInode) and not isinstance(ino, DirInode):
        raise SysError(EPERM if write else ENODATA)
    if not may_access(cred_of(p), ino, W_OK if write else R_OK):
        raise SysError(EACCES)


def path_inode(p: Process, upath: u64, follow: bool) -> Inode:
    """The inode a path names (the link itself when not follow)."""
    return inode_at(p, u64(i32(AT_FDCWD)), upath, u64(0), follow)


def fd_inode(p: Process, fd: u64) -> Inode:
    """The inode of an open file (EBADF, also for an O_PATH descriptor)."""
    f = get_file(p, fd)
    if (f.flags & O_PATH) != 0:
        raise SysError(EBADF)
    return f.inode


def set_xattr(p: Process, ino: Inode, uname: u64, value: u64, size: u64, flags: u64) -> u64:
    """setxattr: EINVAL for unknown flags, ERANGE for a bad name, E2BIG past 64 KiB, EEXIST with
    XATTR_CREATE, ENODATA with XATTR_REPLACE, and check_access's errors."""
    if (flags & ~(XATTR_CREATE | XATTR_REPLACE)) != 0:
        raise SysError(EINVAL)
    name = read_xattr_name(p, uname)
    if size > XATTR_SIZE_MAX:
        raise SysError(E2BIG)
    val = bytearray(0)
    if size > 0:
        p.check_user(value, size, False)
        for i in range(u64(0), size):
            val.append(p.get_u8(value + i))
    check_access(p, ino, name, True)
    xs = ino.xattrs
    if xs is None:
        xs = XattrSet()
        ino.xattrs = xs
    exists = xs.find(name) >= 0
    if (flags & XATTR_CREATE) != 0 and exists:
        raise SysError(EEXIST)
    if (flags & XATTR_REPLACE) != 0 and not exists:
        raise SysError(ENODATA)
    xs.put(name, val)
    return u64(0)


def get_xattr(p: Process, ino: Inode, uname: u64, value: u64, size: u64) -> u64:
    """getxattr: the value's length (size 0 asks for it), ERANGE if size is too small, ENODATA."""
    name = read_xattr_name(p, uname)
    check_access(p, ino, name, False)
    xs = ino.xattrs
    if xs is None:
        raise SysError(ENODATA)
    i = xs.find(name)
    if i < 0:
        raise SysError(ENODATA)
    v = xs.values[i]
    n = u64(len(v))
    if size == 0:
        return n
    if size > XATTR_SIZE_MAX:
        size = XATTR_SIZE_MAX
    if n > size:
        raise SysError(ERANGE)
    if n > 0:
        p.check_user(value, n, True)
        for j in range(u64(0), n):
            p.put_byte(value + j, u8(v[j]))
    return n


def listable(p: Process, name: bytearray) -> bool:
    """Whether listxattr shows name to p (trusted. names only to the privileged)."""
    return p.uid == 0 or not has_prefix(name, b"trusted.")


def list_xattr(p: Process, ino: Inode, ulist: u64, size: u64) -> u64:
    """listxattr: the names, each with its NUL; size 0 asks for the length, ERANGE if too small."""
    xs = ino.xattrs
    total = u64(0)
    if xs is not None:
        for name in xs.names:
            if listable(p, name):
                total += u64(len(name)) + 1
    if size == 0 or xs is None:
        return total
    if size > XATTR_LIST_MAX:
        size = XATTR_LIST_MAX
    if total > size:
        raise SysError(ERANGE)
    p.check_user(ulist, total, True)
    at = ulist
    for name in xs.names:
        if not listable(p, name):
            continue
        for c in name:
            p.put_byte(at, u8(c))
            at += 1
        p.put_byte(at, u8(0))
        at += 1
    return total


def remove_xattr(p: Process, ino: Inode, uname: u64) -> u64:
    """removexattr: ENODATA if there is no such attribute, and check_access's errors."""
    name = read_xattr_name(p, uname)
    check_access(p, ino, name, True)
    xs = ino.xattrs
    if xs is None or not xs.remove(name):
        raise SysError(ENODATA)
    return u64(0)


def syscall_setxattr(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of setxattr(2)."""
    p = proc()
    return set_xattr(p, path_inode(p, a0, True), a1, a2, a3, a4)


def syscall_lsetxattr(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of lsetxattr(2)."""
    p = proc()
    return set_xattr(p, path_inode(p, a0, False), a1, a2, a3, a4)


def syscall_fsetxattr(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of fsetxattr(2)."""
    p = proc()
    return set_xattr(p, fd_inode(p, a0), a1, a2, a3, a4)


def syscall_getxattr(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of getxattr(2)."""
    p = proc()
    return get_xattr(p, path_inode(p, a0, True), a1, a2, a3)


def syscall_lgetxattr(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of lgetxattr(2)."""
    p = proc()
    return get_xattr(p, path_inode(p, a0, False), a1, a2, a3)


def syscall_fgetxattr(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of fgetxattr(2)."""
    p = proc()
    return get_xattr(p, fd_inode(p, a0), a1, a2, a3)


def syscall_listxattr(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of listxattr(2)."""
    p = proc()
    return list_xattr(p, path_inode(p, a0, True), a1, a2)


def syscall_llistxattr(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of llistxattr(2)."""
    p = proc()
    return list_xattr(p, path_inode(p, a0, False), a1, a2)


def syscall_flistxattr(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of flistxattr(2)."""
    p = proc()
    return list_xattr(p, fd_inode(p, a0), a1, a2)


def syscall_removexattr(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of removexattr(2)."""
    p = proc()
    return remove_xattr(p, path_inode(p, a0, True), a1)


def syscall_lremovexattr(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of lremovexattr(2)."""
    p = proc()
    return remove_xattr(p, path_inode(p, a0, False), a1)


def syscall_fremovexattr(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of fremovexattr(2)."""
    p = proc()
    return remove_xattr(p, fd_inode(p, a0), a1)
