"""The scheduler: runnable tasks, sleeping on wait channels, switching between tasks.

(Being built: this first version has only the entry points the rest of the kernel calls; with
one task there is nobody to switch to, so a sleep cannot end and reports a pending signal.)
"""

from asterpy.lang import u64


def sched_sleep(chan: u64) -> bool:
    """Block the running task on chan until sched_wake(chan); False if a signal is pending."""
    return False


def sched_sleep_until(chan: u64, deadline_ns: u64) -> u64:
    """Block on chan until woken (0), deadline_ns passes (1) or a signal is pending (2)."""
    return u64(2)


def sched_wake(chan: u64) -> None:
    """Make every task sleeping on chan runnable."""
    return


def sched_signal_pending() -> bool:
    """Whether the running task has an unblocked signal pending."""
    return False
