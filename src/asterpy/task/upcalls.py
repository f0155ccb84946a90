"""The task layer's side of asterpy.kernel.upcalls: sleeping, waking, signals and the OOM killer for the layers below.

`register_task_upcalls` is called once at boot by the composition root (arch/<arch>/kernel_glue.py)
and by tests/conftest.py under CPython.
"""

from asterpy.lang import u64
from asterpy.kernel.caller import Caller
from asterpy.kernel.upcalls import OOM_NONE_FREED, TaskUpcalls, register_upcalls
from asterpy.task.oom import out_of_memory
from asterpy.task.process import Process
from asterpy.task.sched import current_task_or_none, sched_signal_pending, sched_sleep, sched_sleep_until, sched_wake
from asterpy.task.signal import (
    SIG_IGN, process_group_session, raise_signal_self, signal_blocked_by_current, signal_pgrp,
)


class SchedulerUpcalls(TaskUpcalls):
    """The upcalls answered by the scheduler (asterpy.task.sched) and signals (asterpy.task.signal)."""

    def sleep_on(self, chan: u64) -> bool:
        """Block the running task until wake_up(chan); False if a signal is pending for it."""
        return sched_sleep(chan)

    def sleep_until(self, chan: u64, deadline_ns: u64) -> u64:
        """Like sleep_on with a monotonic deadline: WOKEN, TIMED_OUT or INTERRUPTED."""
        return sched_sleep_until(chan, deadline_ns)

    def wake_up(self, chan: u64) -> None:
        """Make every task sleeping on chan runnable."""
        sched_wake(chan)

    def signal_pending(self) -> bool:
        """Whether the running task has an unblocked signal waiting."""
        return sched_signal_pending()

    def raise_signal_self(self, sig: u64) -> None:
        """Send sig to the running thread."""
        raise_signal_self(sig)

    def signal_pgrp(self, pgrp: u64, sig: u64) -> None:
        """Send sig to every process of process group pgrp."""
        signal_pgrp(pgrp, sig)

    def process_group_session(self, pgrp: u64) -> u64:
        """The session of process group pgrp, 0 if no process is in it."""
        return process_group_session(pgrp)

    def signal_blocked_by_current(self, sig: u64) -> bool:
        """Whether the running thread blocks sig."""
        return signal_blocked_by_current(sig)

    def signal_ignored_by(self, p: Caller, sig: u64) -> bool:
        """Whether process p has set sig's action to SIG_IGN."""
        if isinstance(p, Process):
            return p.sigactions[sig * 4] == SIG_IGN
        return False

    def current_caller(self) -> Caller | None:
        """The process of the running task (None in the idle loop)."""
        t = current_task_or_none()
        if t is None:
            return None
        return t.proc

    def out_of_memory(self, p: Caller, may_wait: bool) -> u64:
        """The OOM killer (asterpy.task.oom) for process p's fault."""
        if isinstance(p, Process):
            return out_of_memory(p, may_wait)
        return OOM_NONE_FREED


def register_task_upcalls() -> None:
    """Make the layers below reach the scheduler and signals through SchedulerUpcalls."""
    register_upcalls(SchedulerUpcalls())
