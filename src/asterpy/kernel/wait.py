"""Sleeping and waking: wait channels, the one blocking primitive every subsystem uses.

A wait channel is a number (`new_wait_channel()`); a task sleeps on it until another task or an
interrupt calls `wake_up` on the same number, or until a signal arrives for it. The kernel runs
with interrupts off and is not preempted inside a syscall, so "check the condition, then
sleep_on" cannot lose a wake-up: nothing can run between the check and the sleep.

The usual loop (a pipe read, for example):

    while pipe_is_empty:
        if nonblocking: raise SysError(EAGAIN)
        if not sleep_on(self.readers_chan): raise SysError(EINTR)

The scheduler (asterpy.task.sched) does the switching, reached through the task layer's
registered upcalls (asterpy.kernel.upcalls): this module is the small interface the rest of the
kernel imports, below the task layer so that files and drivers can sleep.
"""

from typing import Final

from asterpy.lang import u64
from asterpy.kernel.upcalls import upcalls

# Every wake_up also wakes the sleepers on this channel: poll/select sleep here while they wait
# for any of several files (each file wakes its own channel; the poller then re-checks all).
POLL_CHANNEL: Final = u64(1)
# sleep_until's answers.
WOKEN: Final = u64(0)
TIMED_OUT: Final = u64(1)
INTERRUPTED: Final = u64(2)

# The last channel handed out (0 is never one, 1 is POLL_CHANNEL).
last_channel: u64 = 1


def new_wait_channel() -> u64:
    """A fresh wait-channel number, never 0 and never handed out twice."""
    global last_channel
    last_channel += 1
    return last_channel


def sleep_on(chan: u64) -> bool:
    """Block the running task until wake_up(chan); False (at once, or on waking) if a signal is
    pending for it, so the caller returns EINTR."""
    return upcalls().sleep_on(chan)


def sleep_until(chan: u64, deadline_ns: u64) -> u64:
    """Like sleep_on, but also wakes when the monotonic clock reaches deadline_ns: WOKEN,
    TIMED_OUT or INTERRUPTED (a signal is pending). chan 0 sleeps for the time alone."""
    return upcalls().sleep_until(chan, deadline_ns)


def wake_up(chan: u64) -> None:
    """Make every task sleeping on chan runnable (safe from interrupt handlers)."""
    upcalls().wake_up(chan)


def signal_pending() -> bool:
    """Whether the running task has an unblocked signal waiting (a long operation should stop)."""
    return upcalls().signal_pending()

