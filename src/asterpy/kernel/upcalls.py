"""Upcalls: what the layers below task/ ask of the task layer (sleeping, waking, signals).

Files, drivers and wait channels cannot import the scheduler (it sits above them), so the task
layer registers a `TaskUpcalls` at boot (`asterpy.task.upcalls.register_task_upcalls`, called by
each arch's kernel_glue; under CPython by tests/conftest.py) and this module forwards to it.

Before that, or in a kernel without tasks (riscv64 and loongarch64 have no user mode yet), the
answers are those of a machine where no task exists: nobody sleeps or is woken, no signal is
pending, a signal has nobody to go to, and no process group exists.
"""

from typing import Final

from asterpy.lang import u64
from asterpy.kernel.caller import Caller

# sleep_until's answer when no task can sleep (asterpy.kernel.wait.INTERRUPTED).
NO_TASK_INTERRUPTED: Final = u64(2)
# out_of_memory's answers: try the allocation again, the asking process was itself the victim
# (SIGKILL is pending for it), or nothing could be freed.
OOM_RETRY: Final = u64(0)
OOM_SELF_KILLED: Final = u64(1)
OOM_NONE_FREED: Final = u64(2)


class TaskUpcalls:
    """One method per upcall; the base is the task-less machine described in the module docstring."""

    def sleep_on(self, chan: u64) -> bool:
        """Block the running task until wake_up(chan); False if a signal is pending for it."""
        return False

    def sleep_until(self, chan: u64, deadline_ns: u64) -> u64:
        """Like sleep_on with a monotonic deadline: WOKEN, TIMED_OUT or INTERRUPTED (kernel.wait)."""
        return NO_TASK_INTERRUPTED

    def wake_up(self, chan: u64) -> None:
        """Make every task sleeping on chan runnable (safe from interrupt handlers)."""

    def signal_pending(self) -> bool:
        """Whether the running task has an unblocked signal waiting."""
        return False

    def raise_signal_self(self, sig: u64) -> None:
        """Send sig to the running thread (SIGPIPE)."""

    def signal_pgrp(self, pgrp: u64, sig: u64) -> None:
        """Send sig to every process of process group pgrp (the tty's ^C, ^Z, SIGHUP)."""

    def process_group_session(self, pgrp: u64) -> u64:
        """The session of process group pgrp, 0 if no process is in it."""
        return u64(0)

    def signal_blocked_by_current(self, sig: u64) -> bool:
        """Whether the running thread blocks sig."""
        return False

    def signal_ignored_by(self, p: Caller, sig: u64) -> bool:
        """Whether process p has set sig's action to SIG_IGN."""
        return False

    def current_caller(self) -> Caller | None:
        """The process of the running task (None in the idle loop or before the first task)."""
        return None

    def out_of_memory(self, p: Caller, may_wait: bool) -> u64:
        """No frame for p's page fault: end a process to free some (the OOM killer); OOM_RETRY,
        OOM_SELF_KILLED or OOM_NONE_FREED. may_wait says whether other tasks may run meanwhile."""
        return OOM_NONE_FREED


# The task layer's implementation, once registered.
registered: TaskUpcalls | None = None


def register_upcalls(u: TaskUpcalls) -> None:
    """Install the task layer's upcalls (at boot, before the first task runs)."""
    global registered
    registered = u


def upcalls() -> TaskUpcalls:
    """The registered upcalls, or the task-less base."""
    u = registered
    if u is None:
        return TaskUpcalls()
    return u


def raise_signal_self(sig: u64) -> None:
    """Send sig to the running thread (SIGPIPE from a write to a pipe without readers)."""
    upcalls().raise_signal_self(sig)


def signal_pgrp(pgrp: u64, sig: u64) -> None:
    """Send sig to every process of process group pgrp (the TTY's ^C, ^Z, ^\\)."""
    upcalls().signal_pgrp(pgrp, sig)


def process_group_session(pgrp: u64) -> u64:
    """The session of process group pgrp, 0 if no process is in it."""
    return upcalls().process_group_session(pgrp)


def signal_blocked_by_current(sig: u64) -> bool:
    """Whether the running thread blocks sig (False in the idle loop)."""
    return upcalls().signal_blocked_by_current(sig)


def signal_ignored_by(p: Caller, sig: u64) -> bool:
    """Whether p has set sig's action to SIG_IGN."""
    return upcalls().signal_ignored_by(p, sig)
