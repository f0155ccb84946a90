"""A process's file descriptor table: fd numbers to open Files, each with its close-on-exec flag."""

from typing import Final

from asterpy.lang import List, SysError, u64
from asterpy.lang.errno import EBADF, EMFILE
from asterpy.fs.file import File
from asterpy.fs.locks import new_owner_id, posix_close, posix_exit

# The default RLIMIT_NOFILE soft limit (descriptors 0 .. limit - 1), and the most setrlimit allows.
NOFILE_MAX: Final = u64(1024)
NOFILE_HARD_MAX: Final = u64(4096)


class FdTable:
    """fds[i] is the File of descriptor i (None when closed); cloexec[i] its FD_CLOEXEC flag."""

    fds: List[File | None]
    cloexec: List[bool]
    limit: u64           # the process's RLIMIT_NOFILE soft limit
    lock_id: u64         # the owner number of the table's POSIX record locks (0: none taken yet)

    def __init__(self) -> None:
        """An empty table."""
        self.fds = []
        self.cloexec = []
        self.limit = NOFILE_MAX
        self.lock_id = u64(0)

    def posix_owner(self) -> u64:
        """The owner number of this table's POSIX record locks (asterpy.fs.locks)."""
        if self.lock_id == 0:
            self.lock_id = new_owner_id()
        return self.lock_id

    def dropped(self, f: File | None) -> None:
        """A descriptor of f was closed: the table's POSIX locks on its inode go (as on Linux, whatever
        descriptor took them)."""
        if f is not None and self.lock_id != 0:
            posix_close(self.lock_id, f.inode)

    def get(self, fd: u64) -> File:
        """The File of fd (EBADF if it is not open)."""
        if fd >= u64(len(self.fds)):
            raise SysError(EBADF)
        f = self.fds[fd]
        if f is None:
            raise SysError(EBADF)
        return f

    def is_open(self, fd: u64) -> bool:
        """Whether fd is an open descriptor."""
        return fd < u64(len(self.fds)) and self.fds[fd] is not None

    def alloc(self, f: File, lowest: u64, cloexec: bool) -> u64:
        """Install f at the lowest free descriptor >= lowest (EMFILE when none is left, EINVAL-free:
        the caller checks lowest against the limit)."""
        fd = lowest
        while fd < u64(len(self.fds)) and self.fds[fd] is not None:
            fd += 1
        if fd >= self.limit:
            raise SysError(EMFILE)
        self.place(fd, f, cloexec)
        return fd

    def place(self, fd: u64, f: File, cloexec: bool) -> None:
        """Make fd refer to f (closing what it referred to before); fd < limit (the caller checks)."""
        while u64(len(self.fds)) <= fd:
            self.fds.append(None)
            self.cloexec.append(False)
        old = self.fds[fd]
        self.fds[fd] = f
        self.cloexec[fd] = cloexec
        if old is not f:
            self.dropped(old)

    def close(self, fd: u64) -> None:
        """Close fd (EBADF if it is not open). The File goes with its last descriptor."""
        f = self.get(fd)
        self.fds[fd] = None
        self.cloexec[fd] = False
        self.dropped(f)
        # Keep the list short so lowest-free scans and clone stay cheap.
        while len(self.fds) > 0 and self.fds[len(self.fds) - 1] is None:
            self.fds.pop()
            self.cloexec.pop()

    def get_cloexec(self, fd: u64) -> bool:
        """FD_CLOEXEC of fd (EBADF)."""
        self.get(fd)
        return self.cloexec[fd]

    def set_cloexec(self, fd: u64, on: bool) -> None:
        """Set or clear FD_CLOEXEC of fd (EBADF)."""
        self.get(fd)
        self.cloexec[fd] = on

    def count(self) -> u64:
        """How many descriptors are open."""
        n = u64(0)
        for f in self.fds:
            if f is not None:
                n += 1
        return n

    def clone(self) -> "FdTable":
        """fork: a new table with the same Files at the same numbers (so offsets are shared)."""
        t = FdTable()
        t.limit = self.limit
        for i in range(0, len(self.fds)):
            t.fds.append(self.fds[i])
            t.cloexec.append(self.cloexec[i])
        return t

    def close_on_exec(self) -> None:
        """execve: close every descriptor marked FD_CLOEXEC."""
        for i in range(0, len(self.fds)):
            if self.cloexec[i]:
                f = self.fds[i]
                self.fds[i] = None
                self.cloexec[i] = False
                self.dropped(f)
        while len(self.fds) > 0 and self.fds[len(self.fds) - 1] is None:
            self.fds.pop()
            self.cloexec.pop()

    def close_all(self) -> None:
        """exit: close every descriptor (and the table's POSIX locks go)."""
        self.fds.clear()
        self.cloexec.clear()
        if self.lock_id != 0:
            posix_exit(self.lock_id)
