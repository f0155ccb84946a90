"""The process a syscall runs for, as the layers below task/ see it: its ids and its user memory.

Files, drivers and the arch's signal frames get the caller as a `Caller` and never import the task
layer: `asterpy.mm.uspace.UserSpace` adds the address space, `asterpy.fs.context.FsCaller` the
file-system context, and `asterpy.task.process.Process` derives from those and implements the
user-memory methods (through its page tables: a bad user address is EFAULT, never a kernel fault).

The methods here are the interface: a Caller that is not a process has no user memory, so every
access is EFAULT.
"""

from asterpy.lang import SysError, u8, u64
from asterpy.lang.errno import EFAULT


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
