"""Init (pid 1) receives only the signals it handles (Linux's SIGNAL_UNKILLABLE): sending, and
what delivery does with a blocked signal that is still unhandled when unblocked."""

from typing import Tuple

import pytest

from asterpy.lang import u64
from asterpy.task import signal as S
from asterpy.task.process import Process
from asterpy.kernel.siginfo import SIGKILL, SIGSTOP, SIGTERM, SIGUSR1, sig_bit
from asterpy.task.task import Task

from task_sim import Running


@pytest.fixture
def init(running: Running) -> Tuple[Process, Task]:
    """The running process made pid 1 (its one thread in fresh scheduler tables)."""
    running.p.pid = u64(1)
    t = running.task
    assert isinstance(t, Task)
    return running.p, t


def pending(p: Process, t: Task, sig: int) -> bool:
    """Whether sig waits for the process or its thread."""
    return ((p.sig_pending | t.pending) & sig_bit(u64(sig))) != 0


def test_kill_stop_and_unhandled_dropped(init: Tuple[Process, Task]) -> None:
    """SIGKILL, SIGSTOP and a default-action signal sent to init leave nothing pending."""
    p, t = init
    for sig in (SIGKILL, SIGSTOP, SIGTERM):
        S.send_to_process(p, sig, u64(0), u64(5))
        S.send_to_task(t, sig, u64(0), u64(5))
        assert not pending(p, t, int(sig)), sig
    # SIGKILL and SIGSTOP go even when "blocked" (they cannot be) and for a thread.
    t.sigmask = ~u64(0)
    S.send_to_process(p, SIGKILL, u64(0), u64(5))
    S.send_to_process(p, SIGSTOP, u64(0), u64(5))
    assert not pending(p, t, int(SIGKILL)) and not pending(p, t, int(SIGSTOP))


def test_handled_and_blocked_signals_pend(init: Tuple[Process, Task]) -> None:
    """A signal init handles is pending as usual; a blocked unhandled one waits (sigtimedwait)."""
    p, t = init
    p.sigactions[SIGUSR1 * 4] = u64(0x401000)
    S.send_to_process(p, SIGUSR1, u64(0), u64(5))
    assert pending(p, t, int(SIGUSR1))
    t.sigmask = sig_bit(SIGTERM)
    S.send_to_process(p, SIGTERM, u64(0), u64(5))
    assert pending(p, t, int(SIGTERM))


def test_other_processes_unchanged(init: Tuple[Process, Task]) -> None:
    """Any other pid still gets SIGKILL and default-action signals."""
    p, t = init
    p.pid = u64(2)
    S.send_to_process(p, SIGTERM, u64(0), u64(5))
    S.send_to_process(p, SIGKILL, u64(0), u64(5))
    assert pending(p, t, int(SIGTERM)) and pending(p, t, int(SIGKILL))


def test_forced_fault_still_marked(init: Tuple[Process, Task]) -> None:
    """A CPU fault's signal is forced on init's thread (and marked so delivery acts on it)."""
    p, t = init
    S.force_fault_signal(t, u64(11), u64(1), u64(0))
    assert pending(p, t, 11) and (t.forced & sig_bit(u64(11))) != 0
