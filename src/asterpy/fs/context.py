"""A process's file-system context (its root, its working directory and its umask), and the caller as fs/ sees it."""

from asterpy.lang import u32
from asterpy.fs.inode import DirInode, root_dir
from asterpy.mm.usermem import UserMemory


class FsContext:
    """cwd, root and umask (022 at boot); fork copies it, threads would share it."""

    root: DirInode
    cwd: DirInode
    umask: u32

    def __init__(self) -> None:
        """The root directory as both root and cwd, umask 022."""
        r = root_dir()
        self.root = r
        self.cwd = r
        self.umask = u32(0o022)

    def clone(self) -> "FsContext":
        """A copy for a forked child (later chdir/umask in either do not affect the other)."""
        c = FsContext()
        c.root = self.root
        c.cwd = self.cwd
        c.umask = self.umask
        return c


class FsCaller(UserMemory):
    """The process a file operation runs for: ids and user memory (asterpy.kernel.caller.Caller,
    implemented by asterpy.mm.usermem.UserMemory), address space, and the fs context that path
    lookup starts from. asterpy.task.process.Process derives from it, so fs/ never imports the task
    layer."""

    fs: FsContext        # cwd, root, umask
