"""The process a syscall runs for, as the layers below task/ see it: its ids and its user memory.

Files, drivers and the arch's signal frames get the caller as a `Caller` and never import the task
layer: `asterpy.mm.uspace.UserSpace` adds the address space, `asterpy.fs.context.FsCaller` the
file-system context, and `asterpy.task.process.Process` derives from those.
`asterpy.mm.usermem.UserMemory` (between UserSpace and FsCaller) implements the user-memory methods
through the page tables: a bad user address is EFAULT, never a kernel fault.

The methods here are the one interface to user memory (docs/architecture.md): nothing else reads or
writes user addresses, and only this module and asterpy.mm.usermem call `user_page`
(tests/unit/test_user_memory_api.py). A Caller that is not a process has no user memory, so every
access is EFAULT.
"""

from typing import Final

from asterpy.lang import SysError, u8, u32, u64
from asterpy.lang.errno import EFAULT

PAGE: Final = u64(4096)
PAGE_MASK: Final = u64(4095)


class Caller:
    """A process's ids (pid, process group, session, effective uid and gid) and its user memory."""

    pid: u64
    pgid: u64            # process group (job control: the TTY signals a whole group)
    sid: u64             # session
    uid: u64             # effective user id (permission checks); asterpy.syscall.cred
    ruid: u64            # real user id (what pipe buffers are charged to)
    gid: u64             # effective group id
    fsuid: u64           # file-system user id (file permission checks; follows uid, setfsuid)
    fsgid: u64           # file-system group id (follows gid, setfsgid)

    def user_page(self, va: u64, write: bool) -> u64:
        """The kernel address of user address va, faulting the page in (EFAULT if not mapped for user
        access, or not writable when write)."""
        raise SysError(EFAULT)

    def check_user(self, va: u64, n: u64, write: bool) -> None:
        """EFAULT unless all n bytes at user address va are mapped for user access (and writable)."""
        raise SysError(EFAULT)

    def copy_in(self, dst: u64, src: u64, n: u64) -> None:
        """Copy n bytes from user address src to kernel address dst (EFAULT)."""
        raise SysError(EFAULT)

    def copy_out(self, dst: u64, src: u64, n: u64) -> None:
        """Copy n bytes from kernel address src to user address dst (EFAULT)."""
        raise SysError(EFAULT)

    def put_byte(self, va: u64, b: u8) -> None:
        """Store one byte at user address va (EFAULT)."""
        raise SysError(EFAULT)

    def get_u64(self, va: u64) -> u64:
        """The u64 at user address va (EFAULT)."""
        raise SysError(EFAULT)

    def put_u64(self, va: u64, v: u64) -> None:
        """Store v at user address va (EFAULT)."""
        raise SysError(EFAULT)

    def get_u8(self, va: u64) -> u8:
        """The byte at user address va (EFAULT)."""
        raise SysError(EFAULT)

    def get_u32(self, va: u64) -> u32:
        """The u32 at user address va (EFAULT)."""
        raise SysError(EFAULT)

    def put_u32(self, va: u64, v: u32) -> None:
        """Store v at user address va (EFAULT)."""
        raise SysError(EFAULT)

    def zero_user(self, va: u64, n: u64) -> None:
        """Zero n bytes at user address va (EFAULT, and nothing written, unless all are writable)."""
        raise SysError(EFAULT)

    def put_bytes(self, va: u64, data: bytes) -> None:
        """Store the bytes of data at user address va (EFAULT)."""
        raise SysError(EFAULT)

    def strncpy_from_user(self, dst: u64, va: u64, cap: u64) -> u64:
        """Copy the NUL-terminated string at user address va, NUL included, to kernel address dst,
        reading at most cap bytes; its length, or cap when no NUL came within cap bytes (EFAULT)."""
        raise SysError(EFAULT)

    def user_chunks(self, va: u64, n: u64, write: bool) -> "UserChunks":
        """The n bytes at user address va as kernel-addressable pieces, one page at most each, for
        code that hands user memory to a copy routine of its own (file pages, pipe rings, a TTY)."""
        if va + n < va:
            raise SysError(EFAULT)
        return UserChunks(self, va, n, write)


class UserChunks:
    """A user range walked piece by piece: after each next() that answers True, `kaddr` is the
    kernel address of the `size` bytes at offset `off` of the range. Each piece's page is checked
    (and faulted in) only when reached, so EFAULT comes at the first bad page."""

    caller: Caller
    va: u64
    n: u64
    write: bool
    off: u64
    size: u64
    kaddr: u64

    def __init__(self, caller: Caller, va: u64, n: u64, write: bool) -> None:
        """Before the first piece."""
        self.caller = caller
        self.va = va
        self.n = n
        self.write = write
        self.off = u64(0)
        self.size = u64(0)
        self.kaddr = u64(0)

    def next(self) -> bool:
        """Move to the next piece (EFAULT if its page is not accessible); False after the last."""
        self.off += self.size
        if self.off >= self.n:
            self.size = u64(0)
            return False
        a = self.va + self.off
        chunk = PAGE - (a & PAGE_MASK)
        if chunk > self.n - self.off:
            chunk = self.n - self.off
        self.kaddr = self.caller.user_page(a, self.write)
        self.size = chunk
        return True
