"""signalfd: a file that reads the reader's pending signals of a mask as struct signalfd_siginfo
(128 bytes each), taking them as delivery would; readable (poll, epoll) while one is pending.

The file belongs to the task layer: it reads the signal state of the task that reads or polls it,
as on Linux. A signal sent to anyone wakes signalfd readers and pollers (signals.send_*).
"""

from typing import Final

from asterpy.lang import SysError, u32, u64
from asterpy.lang.errno import EAGAIN, EINTR, EINVAL
from asterpy.fs.file import POLLIN, POLLRDNORM, File
from asterpy.fs.inode import Inode
from asterpy.fs.context import FsCaller
from asterpy.kernel.siginfo import sig_bit
from asterpy.kernel.wait import sleep_on
from asterpy.task.posix_timer import SI_TIMER
from asterpy.task.sched import current_task_or_none
from asterpy.task.task import Task
import asterpy.task.signal as signals

SIGNALFD_SIGINFO_BYTES: Final = u64(128)
# SIGKILL and SIGSTOP are never read through a signalfd.
UNREADABLE: Final = u64((1 << 8) | (1 << 18))


def first_pending(t: Task, mask: u64) -> u64:
    """The lowest signal of mask pending for t (its own, then its process's); 0 if none."""
    pend = (t.pending | t.proc.sig_pending) & mask
    if pend == 0:
        return u64(0)
    for sig in range(u64(1), u64(65)):
        if (pend & sig_bit(sig)) != 0:
            return sig
    return u64(0)


class SignalFile(File):
    """The mask of signals the file reads."""

    mask: u64

    def __init__(self, inode: Inode, flags: u64, mask: u64) -> None:
        """A signalfd for mask (SIGKILL and SIGSTOP dropped)."""
        File.__init__(self, inode, flags)
        self.mask = mask & ~UNREADABLE

    def set_mask(self, mask: u64) -> None:
        """signalfd on an existing descriptor: read mask from now on."""
        self.mask = mask & ~UNREADABLE

    def read(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """Take as many pending signals of the mask as fit (128 bytes each); wait for one."""
        if n < SIGNALFD_SIGINFO_BYTES:
            raise SysError(EINVAL)
        t = current_task_or_none()
        if t is None:
            raise SysError(EAGAIN)
        p.check_user(buf, SIGNALFD_SIGINFO_BYTES, True)
        while first_pending(t, self.mask) == 0:
            if self.nonblocking():
                raise SysError(EAGAIN)
            if not sleep_on(signals.signalfd_channel()):
                raise SysError(EINTR)
        done = u64(0)
        while done + SIGNALFD_SIGINFO_BYTES <= n:
            sig = first_pending(t, self.mask)
            if sig == 0:
                break
            at = buf + done
            p.check_user(at, SIGNALFD_SIGINFO_BYTES, True)
            signals.take_signal(t, sig)
            p.zero_user(at, SIGNALFD_SIGINFO_BYTES)
            p.put_u32(at, u32(sig))
            p.put_u32(at + 8, u32(signals.taken_code & 0xFFFFFFFF))
            if signals.taken_code == SI_TIMER:
                # A POSIX timer's: ssi_tid is the timer id, ssi_overrun its overrun.
                p.put_u32(at + 24, u32(signals.taken_from & 0xFFFFFFFF))
                p.put_u32(at + 32, u32(signals.taken_uid & 0xFFFFFFFF))
            else:
                p.put_u32(at + 12, u32(signals.taken_from & 0xFFFFFFFF))
                p.put_u32(at + 16, u32(signals.taken_uid & 0xFFFFFFFF))
            p.put_u32(at + 44, u32(signals.taken_value & 0xFFFFFFFF))
            p.put_u64(at + 48, signals.taken_value)
            done += SIGNALFD_SIGINFO_BYTES
        return done

    def write(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """A signalfd cannot be written."""
        raise SysError(EINVAL)

    def poll_mask(self) -> u64:
        """Readable while the polling task has a signal of the mask pending."""
        t = current_task_or_none()
        if t is not None and first_pending(t, self.mask) != 0:
            return POLLIN | POLLRDNORM
        return u64(0)

    def readable_bytes(self) -> u64:
        """FIONREAD: one record when a read would not block."""
        return SIGNALFD_SIGINFO_BYTES if self.poll_mask() != 0 else u64(0)
