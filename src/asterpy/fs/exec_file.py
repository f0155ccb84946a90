"""What execve needs from the file system: the executable's inode and its bytes in kernel memory."""

from asterpy.lang import SysError, u64
from asterpy.lang.errno import EACCES
from asterpy.fs.inode import Inode, RegInode
from asterpy.fs.path import cred_of, path_from_kernel
from asterpy.fs.vfs import exec_check, lookup
from asterpy.fs.context import FsCaller


def exec_open(p: FsCaller, path: u64, path_len: u64) -> RegInode:
    """The regular file at the path_len-byte kernel string path (relative to p's cwd): ENOENT,
    ENOTDIR, ELOOP, ENAMETOOLONG, or EACCES when it is not a regular file with an x bit for p."""
    ino = lookup(p, p.fs.cwd, path_from_kernel(path, path_len), True)
    return exec_check(cred_of(p), ino)


def read_inode_at(inode: Inode, kaddr: u64, off: u64, n: u64) -> u64:
    """Copy up to n bytes of inode's data at off to kernel address kaddr; the count (short at the end).
    EACCES for an inode that has no data (not a regular file)."""
    if isinstance(inode, RegInode):
        return inode.read_at(kaddr, off, n)
    raise SysError(EACCES)
