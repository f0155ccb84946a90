"""timerfd: a file that counts the expirations of a timer on CLOCK_REALTIME, CLOCK_MONOTONIC or
CLOCK_BOOTTIME; a read takes the count (8 bytes), waiting for the first expiration.

Expirations are counted lazily (from the clock, when the file is read, polled or asked for its
setting); the timer tick (timerfd_tick) only wakes readers and pollers of timers that are due, so
poll and epoll see a timerfd become readable.
"""

from typing import Final

from asterpy.lang import List, SysError, Weak, u64
from asterpy.lang.errno import EAGAIN, EINTR, EINVAL
from asterpy.fs.file import POLLIN, POLLRDNORM, File
from asterpy.fs.inode import Inode
from asterpy.fs.context import FsCaller
import asterpy.kernel.time as ktime
from asterpy.kernel.time import monotonic_ns
from asterpy.kernel.wait import INTERRUPTED, new_wait_channel, sleep_on, sleep_until, wake_up

CLOCK_REALTIME: Final = u64(0)
CLOCK_MONOTONIC: Final = u64(1)
CLOCK_BOOTTIME: Final = u64(7)


def clock_now(clock: u64) -> u64:
    """The time on clock in ns (CLOCK_BOOTTIME is the monotonic clock: nothing suspends)."""
    if clock == CLOCK_REALTIME:
        return ktime.realtime_base_ns + monotonic_ns()
    return monotonic_ns()


class TimerFile(File):
    """The timer's next expiration (on its clock; 0: disarmed), period and uncollected count."""

    clock: u64
    deadline: u64
    interval: u64
    ticks: u64
    chan: u64

    def __init__(self, inode: Inode, flags: u64, clock: u64) -> None:
        """A disarmed timerfd on clock."""
        File.__init__(self, inode, flags)
        self.clock = clock
        self.deadline = u64(0)
        self.interval = u64(0)
        self.ticks = u64(0)
        self.chan = new_wait_channel()

    def update(self) -> None:
        """Count the expirations up to now into ticks (and move a periodic timer on)."""
        if self.deadline == 0:
            return
        now = clock_now(self.clock)
        if now < self.deadline:
            return
        if self.interval == 0:
            self.ticks += 1
            self.deadline = u64(0)
            return
        n = (now - self.deadline) // self.interval + 1
        self.ticks += n
        self.deadline += n * self.interval

    def arm(self, value: u64, interval: u64, absolute: bool) -> None:
        """Start the timer: first at value (absolute on its clock, or from now; 0 disarms), then
        every interval; uncollected expirations are dropped."""
        self.ticks = u64(0)
        self.interval = interval
        self.deadline = u64(0)
        if value == 0:
            return
        if absolute:
            self.deadline = value
        else:
            self.deadline = clock_now(self.clock) + value
        for w in armed_timers():
            if w.get() is self:
                return
        armed_timers().append(Weak(self))

    def left(self) -> u64:
        """ns until the next expiration (0: disarmed)."""
        self.update()
        if self.deadline == 0:
            return u64(0)
        now = clock_now(self.clock)
        if self.deadline <= now:
            return u64(1)
        return self.deadline - now

    def read(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """Take the expiration count as 8 bytes; wait for an expiration while it is 0."""
        if n < 8:
            raise SysError(EINVAL)
        p.check_user(buf, u64(8), True)
        self.update()
        while self.ticks == 0:
            if self.nonblocking():
                raise SysError(EAGAIN)
            if self.deadline == 0:
                if not sleep_on(self.chan):
                    raise SysError(EINTR)
            else:
                # The deadline on the monotonic clock the scheduler's timed sleeps use.
                now = clock_now(self.clock)
                mono = monotonic_ns()
                if self.deadline > now:
                    mono += self.deadline - now
                if sleep_until(self.chan, mono) == INTERRUPTED:
                    raise SysError(EINTR)
            self.update()
        v = self.ticks
        self.ticks = u64(0)
        p.put_u64(buf, v)
        return u64(8)

    def write(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """A timerfd cannot be written."""
        raise SysError(EINVAL)

    def poll_mask(self) -> u64:
        """Readable once the timer has expired since the last read."""
        self.update()
        if self.ticks != 0:
            return POLLIN | POLLRDNORM
        return u64(0)

    def readable_bytes(self) -> u64:
        """FIONREAD: 8 when a read would not block."""
        return u64(8) if self.poll_mask() != 0 else u64(0)


# The timers armed since the tick last looked (weakly: a closed timerfd just drops out).
_armed: List[Weak[TimerFile]] | None = None


def armed_timers() -> List[Weak[TimerFile]]:
    """The list of armed timerfds the tick watches."""
    global _armed
    a = _armed
    if a is None:
        fresh: List[Weak[TimerFile]] = []
        _armed = fresh
        return fresh
    return a


def timerfd_tick() -> None:
    """From the timer interrupt: wake the readers and pollers of timerfds that are due; forget
    timers that are closed or disarmed."""
    global _armed
    armed = _armed
    if armed is None:
        return
    if len(armed) == 0:
        return
    kept: List[Weak[TimerFile]] = []
    for w in armed:
        f = w.get()
        if f is None or f.deadline == 0:
            continue
        if clock_now(f.clock) >= f.deadline:
            wake_up(f.chan)
            if f.interval == 0:
                continue
        kept.append(w)
    _armed = kept
