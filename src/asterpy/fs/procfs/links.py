"""The magic links of /proc/PID: exe, cwd, root and fd/N, with the names Linux shows for them.

A file does not remember the path it was opened by (the ramfs has no dentries), so a regular
file's name is found by searching the tree for its inode (only done when /proc is read); a file
no directory lists any more shows as "(deleted)". Pipes, sockets and anonymous files get Linux's
"pipe:[ino]", "socket:[ino]" and "anon_inode:[...]" names.
"""

from asterpy.lang import List, SysError, u32, u64
from asterpy.lang.errno import ENOENT
from asterpy.fs.epoll import EpollFile
from asterpy.fs.eventfd import EventFile
from asterpy.fs.file import File
from asterpy.fs.inode import DirInode, FifoInode, Inode, root_dir
from asterpy.fs.mount import dir_names_up, dir_path, join_names, mounted_on
from asterpy.fs.pipe import NamedFifo
from asterpy.fs.procfs.nodes import L_CWD, L_EXE, L_FD, L_ROOT, ProcLink, bytes_name, decimal_name
from asterpy.fs.procfs.provider import the_provider
from asterpy.fs.socketpair import StreamEnd


def find_in_tree(target: Inode, top: DirInode) -> bytearray | None:
    """The absolute path of a name for target somewhere below top (a breadth-first search over the
    directories, mounted file systems included through their roots), None if none names it."""
    if target is top:
        return dir_path(top, root_dir())
    todo: List[DirInode] = [top]
    i = 0
    while i < len(todo):
        d = todo[i]
        i += 1
        for e in d.entries:
            if e.inode is target:
                names: List[bytearray] = []
                if not dir_names_up(d, root_dir(), names):
                    return None
                return join_names(names, e.name)
            sub = e.inode
            if isinstance(sub, DirInode):
                todo.append(mounted_on(sub))
    return None


def inode_path(ino: Inode) -> bytearray:
    """The path a link to ino shows: its absolute name, or "(deleted)" when no directory lists it."""
    if isinstance(ino, DirInode):
        try:
            return dir_path(ino, root_dir())
        except SysError:
            return bytes_name(b"(deleted)")
    p = find_in_tree(ino, root_dir())
    if p is None:
        return bytes_name(b"(deleted)")
    return p


def bracketed(prefix: bytes, num: u64) -> bytearray:
    """prefix + "[" + num + "]", as in pipe:[1234]."""
    out = bytes_name(prefix)
    out.append(0x5B)
    for c in decimal_name(num):
        out.append(c)
    out.append(0x5D)
    return out


def file_link_name(f: File) -> bytearray:
    """What /proc/PID/fd/N shows for the open file f."""
    if isinstance(f, StreamEnd):
        return bracketed(b"socket:", f.inode.ino)
    if isinstance(f, EventFile):
        return bytes_name(b"anon_inode:[eventfd]")
    if isinstance(f, EpollFile):
        return bytes_name(b"anon_inode:[eventpoll]")
    ino = f.inode
    if isinstance(ino, FifoInode) and not isinstance(ino, NamedFifo):
        return bracketed(b"pipe:", ino.ino)
    return inode_path(ino)


def magic_link(kind: u32, pid: u64, num: u64) -> ProcLink:
    """The exe, cwd, root or fd/N link of process pid (ENOENT when there is nothing to point at)."""
    pp = the_provider()
    if kind == L_EXE:
        exe = pp.exe(pid)
        return ProcLink(inode_path(exe), exe)
    if kind == L_CWD:
        cwd = pp.fs_context(pid).cwd
        return ProcLink(inode_path(cwd), cwd)
    if kind == L_ROOT:
        r = pp.fs_context(pid).root
        return ProcLink(inode_path(r), r)
    if kind == L_FD:
        files = pp.files(pid)
        if num >= u64(len(files.fds)):
            raise SysError(ENOENT)
        f = files.fds[num]
        if f is None:
            raise SysError(ENOENT)
        return ProcLink(file_link_name(f), f.inode)
    raise SysError(ENOENT)


