"""POSIX per-process timers (timer_create and friends) on CLOCK_REALTIME, CLOCK_MONOTONIC,
CLOCK_BOOTTIME and the CPU-time clocks (these run as the monotonic clock, as clock_gettime
answers them until there is per-task CPU accounting): on expiry a signal to the process (SIGEV_SIGNAL) or to one of its threads
(SIGEV_THREAD_ID), or nothing (SIGEV_NONE).

The timer tick (posix_timer_tick) fires the due timers. An expiry while the timer's previous
signal is still pending is counted as an overrun instead of a second signal, as on Linux; the
count goes with the next signal (si_overrun) and to timer_getoverrun. A process's timers go at
exec and exit.
"""

from typing import Final

from asterpy.lang import List, SysError, u64
from asterpy.lang.errno import EAGAIN
import asterpy.kernel.time as ktime
from asterpy.kernel.time import monotonic_ns
from asterpy.kernel.siginfo import sig_bit
from asterpy.task.process import Process
from asterpy.task.sched import find_task

CLOCK_REALTIME: Final = u64(0)
SIGEV_SIGNAL: Final = u64(0)
SIGEV_NONE: Final = u64(1)
SIGEV_THREAD: Final = u64(2)
SIGEV_THREAD_ID: Final = u64(4)
SI_TIMER: Final = u64(0xFFFFFFFE)      # -2 as a 32-bit int
DELAYTIMER_MAX: Final = u64(0x7FFFFFFF)
# Timers one process may have (Linux bounds them by RLIMIT_SIGPENDING; EAGAIN past it).
TIMERS_MAX: Final = u64(1024)


def timer_clock_now(clock: u64) -> u64:
    """The time on clock in ns (CLOCK_BOOTTIME is the monotonic clock: nothing suspends; so are
    the CPU-time clocks for now)."""
    if clock == CLOCK_REALTIME:
        return ktime.realtime_base_ns + monotonic_ns()
    return monotonic_ns()


class PosixTimer:
    """One timer: its owner and id, clock, notification, and setting."""

    owner: Process
    id: u64
    clock: u64
    notify: u64          # SIGEV_SIGNAL, SIGEV_NONE or SIGEV_THREAD_ID
    signo: u64
    value: u64           # sigev_value, the signal's si_value
    tid: u64             # SIGEV_THREAD_ID's thread
    deadline: u64        # next expiration on clock (0: disarmed)
    interval: u64
    overrun: u64         # the overrun of the signal queued last (expirations while it waited)
    last_overrun: u64    # the overrun of the signal delivered last (timer_getoverrun)

    def __init__(self, owner: Process, id: u64, clock: u64) -> None:
        """A disarmed timer."""
        self.owner = owner
        self.id = id
        self.clock = clock
        self.notify = SIGEV_SIGNAL
        self.signo = u64(14)
        self.value = id
        self.tid = u64(0)
        self.deadline = u64(0)
        self.interval = u64(0)
        self.overrun = u64(0)
        self.last_overrun = u64(0)

    def left(self) -> u64:
        """ns until the next expiration (0: disarmed; a due timer reads 1)."""
        if self.deadline == 0:
            return u64(0)
        now = timer_clock_now(self.clock)
        if self.deadline <= now:
            return u64(1)
        return self.deadline - now

    def arm(self, value: u64, interval: u64, absolute: bool) -> None:
        """Start at value (absolute on the clock, or from now; 0 disarms), then every interval."""
        self.interval = interval
        self.deadline = u64(0)
        self.overrun = u64(0)
        if value == 0:
            return
        if absolute:
            self.deadline = value
        else:
            self.deadline = timer_clock_now(self.clock) + value


_timers: List[PosixTimer] | None = None


def all_timers() -> List[PosixTimer]:
    """Every process's timers."""
    global _timers
    a = _timers
    if a is None:
        fresh: List[PosixTimer] = []
        _timers = fresh
        return fresh
    return a


def timer_find(p: Process, id: u64) -> PosixTimer | None:
    """p's timer id, None if it has none by that id."""
    for tm in all_timers():
        if tm.owner is p and tm.id == id:
            return tm
    return None


def timer_new(p: Process, clock: u64) -> PosixTimer:
    """A new timer of p with the lowest free id (EAGAIN past TIMERS_MAX)."""
    n = u64(0)
    for tm in all_timers():
        if tm.owner is p:
            n += 1
    if n >= TIMERS_MAX:
        raise SysError(EAGAIN)
    id = u64(0)
    while timer_find(p, id) is not None:
        id += 1
    tm = PosixTimer(p, id, clock)
    all_timers().append(tm)
    return tm


def timer_remove(tm: PosixTimer) -> None:
    """Delete one timer (a pending signal of it stays pending, as on Linux)."""
    a = all_timers()
    for i in range(u64(0), u64(len(a))):
        if a[i] is tm:
            del a[i]
            return


def posix_timers_release(p: Process) -> None:
    """exec or exit: delete every timer of p."""
    a = all_timers()
    i = u64(0)
    while i < u64(len(a)):
        if a[i].owner is p:
            del a[i]
        else:
            i += 1


def clamp_overrun(n: u64) -> u64:
    """An overrun as the int of si_overrun and timer_getoverrun (at most DELAYTIMER_MAX)."""
    return DELAYTIMER_MAX if n > DELAYTIMER_MAX else n


def signal_still_pending(tm: PosixTimer) -> bool:
    """Whether the timer's last signal is still pending (not yet delivered); if so its
    si_overrun becomes the timer's overrun."""
    p = tm.owner
    sig = tm.signo
    if (p.sig_pending & sig_bit(sig)) != 0 and p.sig_code[sig] == SI_TIMER and p.sig_from[sig] == tm.id:
        p.sig_uid[sig] = clamp_overrun(tm.overrun)
        return True
    if tm.notify == SIGEV_THREAD_ID:
        t = find_task(tm.tid)
        if t is not None and (t.pending & sig_bit(sig)) != 0 and t.sig_code[sig] == SI_TIMER \
                and t.sig_from[sig] == tm.id:
            t.sig_uid[sig] = clamp_overrun(tm.overrun)
            return True
    return False


def timer_signal_taken(p: Process, id: u64, overrun: u64) -> None:
    """A signal of p's timer id was delivered (or read) with overrun: timer_getoverrun's answer."""
    tm = timer_find(p, id)
    if tm is not None:
        tm.last_overrun = overrun


def fire(tm: PosixTimer, missed: u64) -> None:
    """The timer expired (missed more times since): queue its signal, or count an overrun."""
    if tm.notify == SIGEV_NONE:
        return
    tm.overrun += 1 + missed
    if signal_still_pending(tm):
        return
    tm.overrun = missed
    over = clamp_overrun(missed)
    if tm.notify == SIGEV_THREAD_ID:
        t = find_task(tm.tid)
        if t is not None and t.proc is tm.owner:
            signals.send_to_task(t, tm.signo, SI_TIMER, tm.id, over, tm.value)
            return
    signals.send_to_process(tm.owner, tm.signo, SI_TIMER, tm.id, over, tm.value)


def posix_timer_tick() -> None:
    """From the timer interrupt: fire the due timers and move periodic ones on."""
    a = _timers
    if a is None:
        return
    for tm in a:
        if tm.deadline == 0 or tm.owner.zombie:
            continue
        now = timer_clock_now(tm.clock)
        if now < tm.deadline:
            continue
        missed = u64(0)
        if tm.interval == 0:
            tm.deadline = u64(0)
        else:
            n = (now - tm.deadline) // tm.interval + 1
            missed = n - 1
            tm.deadline += n * tm.interval
        fire(tm, missed)


# Imports of modules that import this one's importers back come last (see asterpy.task.sched).
import asterpy.task.signal as signals  # noqa: E402
