"""Fixtures for the driver unit tests: a console terminal wired to recorders instead of hardware.

`term` gives a fresh Tty whose output bytes, signals and sleeps are simulated: sleeping runs the
next scripted event (input arriving, a signal, the clock moving), so blocking reads can be
tested without a scheduler. A user process with simulated memory (tests/unit/task/task_sim.py)
does the reads, writes and ioctls.
"""

import sys
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

# kernel_arch first: it loads the kernel modules in the order their import cycles need.
import kernel_arch  # noqa: F401
from asterpy.lang import memory, u64
from asterpy.mm import paging
from asterpy.mm.paging import WRITE
from asterpy.task.process import PAGE, set_current

_TASK = Path(__file__).resolve().parents[1] / "task"
if str(_TASK) not in sys.path:
    sys.path.insert(0, str(_TASK))

from task_sim import make_process, uread, uwrite  # noqa: E402

from asterpy.drivers import tty  # noqa: E402

# A user buffer of two pages (reads and writes), and one for ioctl arguments.
BUF = 0x40_0000
ARG = 0x50_0000


class Term:
    """A Tty, a process using it, and everything the tty did to the outside world."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Patch the tty module's outside world (console, signals, sleeping, the clock) with recorders."""
        self.out = bytearray()
        self.signals: List[Tuple[int, int]] = []
        self.events: List[Tuple] = []
        self.now = 1_000_000_000
        self.sleeps = 0
        monkeypatch.setattr(tty, "console_out", lambda c: self.out.append(int(c)))
        monkeypatch.setattr(tty, "signal_pgrp", lambda pg, sig: self.signals.append((int(pg), int(sig))))
        monkeypatch.setattr(tty, "sleep_on", self.sleep_on)
        monkeypatch.setattr(tty, "sleep_until", self.sleep_until)
        monkeypatch.setattr(tty, "now_ns", lambda: u64(self.now))
        monkeypatch.setattr(tty, "_console", None)
        # The scheduler's views: the signals the calling thread blocks are `blocked`, and the
        # live groups are `groups` (group id -> session).
        self.blocked: set = set()
        self.groups = {1: 1}
        monkeypatch.setattr(tty, "signal_blocked_by_current", lambda sig: int(sig) in self.blocked)
        monkeypatch.setattr(tty, "process_group_session", lambda pg: u64(self.groups.get(int(pg), 0)))
        self.t = tty.console_tty()
        _, _, self.p = make_process()
        self.p.map_range_zeroed(u64(BUF), u64(BUF + 2 * PAGE), WRITE)
        self.p.map_range_zeroed(u64(ARG), u64(ARG + PAGE), WRITE)
        set_current(self.p)

    # -------------------------------------------------------------- scripted world

    def type(self, data: bytes) -> None:
        """Keystrokes arriving now."""
        for b in data:
            self.t.receive(tty.u8(b))

    def later(self, data: bytes, at_ns: int = 0) -> None:
        """Input that arrives while the reader sleeps (at at_ns on the clock, 0: at the next sleep)."""
        self.events.append(("input", data, at_ns))

    def signal_later(self) -> None:
        """A signal arrives during the next sleep."""
        self.events.append(("signal", b"", 0))

    def sleep_on(self, chan: u64) -> bool:
        """Run the next event; False if it is a signal. Sleeping with nothing scripted is a test bug."""
        assert int(chan) == int(self.t.chan)
        self.sleeps += 1
        if not self.events:
            raise AssertionError("read would block forever")
        kind, data, at_ns = self.events.pop(0)
        if kind == "signal":
            return False
        self.now = max(self.now, at_ns)
        self.type(data)
        return True

    def sleep_until(self, chan: u64, deadline: u64) -> u64:
        """Run the next event if it comes before deadline; else move the clock there and time out."""
        assert int(chan) == int(self.t.chan)
        self.sleeps += 1
        if self.events:
            kind, data, at_ns = self.events[0]
            if kind == "signal":
                self.events.pop(0)
                return tty.INTERRUPTED
            if at_ns <= int(deadline):
                self.events.pop(0)
                self.now = max(self.now, at_ns)
                self.type(data)
                return u64(0)
        self.now = int(deadline)
        return tty.TIMED_OUT

    # -------------------------------------------------------------- the process's calls

    def read(self, n: int = 256, nonblock: bool = False) -> bytes:
        """read(2) of n bytes into the user buffer; the bytes read."""
        got = int(self.t.read(self.p, u64(BUF), u64(n), nonblock))
        return uread(self.p, BUF, got)

    def write(self, data: bytes) -> int:
        """write(2) of data from the user buffer."""
        uwrite(self.p, BUF, data)
        return int(self.t.write(self.p, u64(BUF), u64(len(data))))

    def ioctl(self, cmd: int, arg: int = ARG) -> int:
        """ioctl(2) on the terminal."""
        return int(self.t.ioctl(self.p, u64(cmd), u64(arg)))

    def take_out(self) -> bytes:
        """The console output so far, cleared."""
        b = bytes(self.out)
        self.out.clear()
        return b


@pytest.fixture(autouse=True)
def fresh_sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[memory.SimMemory]:
    """Fresh simulated memory and no TLB instructions (a process's unmaps would run invlpg)."""
    set_current(None)
    monkeypatch.setattr(paging, "tlb_flush_page", lambda va: None, raising=False)
    yield memory.reset_sim()
    set_current(None)
    memory.reset_sim()


@pytest.fixture
def term(monkeypatch: pytest.MonkeyPatch) -> Term:
    """A fresh console terminal with a process (pid 1, session 1, group 1) using it."""
    return Term(monkeypatch)

