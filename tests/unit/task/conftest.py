"""Shared fixtures for the task unit tests: fresh simulated memory, no current process, hello.c."""

import subprocess
import sys
from pathlib import Path
from typing import Iterator, List

import pytest

from asterpy.exec.elf import EM_X86_64
from asterpy.lang import memory, u64
from asterpy.mm import paging
from asterpy.syscall import dispatch
from asterpy.kernel import entropy
from asterpy.kernel import time as ktime
from asterpy.drivers import tty
from asterpy.fs.initramfs import open_console_fds
from asterpy.task.process import set_current
from asterpy.task import sched
from asterpy.task import task as task_mod
from asterpy.syscall import proc_calls as sysproc
from asterpy.syscall import clock as sysclock

# The test folder on the path, so test modules can import the task_sim helpers.
_HERE = Path(__file__).resolve().parent
if str(_HERE) not in sys.path:
    sys.path.insert(0, str(_HERE))

from task_sim import Running, kstrings, make_process, place_file  # noqa: E402

HELLO_C = _HERE.parents[2] / "tests" / "user" / "hello.c"


@pytest.fixture(autouse=True)
def fresh_sim() -> Iterator[memory.SimMemory]:
    """Every test starts with empty simulated memory and no running process, and leaves none."""
    set_current(None)
    yield memory.reset_sim()
    set_current(None)
    memory.reset_sim()


@pytest.fixture(autouse=True)
def tlb_flushes(monkeypatch: pytest.MonkeyPatch) -> List[int]:
    """The addresses passed to the arch TLB flush (`invlpg` natively), recorded instead of run.

    A Process's address space is a hardware one (hw=True), so every unmap calls
    arch.x86_64.paging.tlb_flush_page through asterpy.mm.paging, which is inline asm.
    """
    flushed: List[int] = []
    monkeypatch.setattr(paging, "tlb_flush_page", lambda va: flushed.append(int(va)))
    return flushed


@pytest.fixture(scope="session")
def hello_elf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """tests/user/hello.c built as a static x86_64 musl executable (zig cc): the file's bytes."""
    out = tmp_path_factory.mktemp("hello") / "hello"
    r = subprocess.run([sys.executable, "-m", "ziglang", "cc", "-target", "x86_64-linux-musl", "-static",
                        "-O2", str(HELLO_C), "-o", str(out)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.fail(f"zig cc failed:\n{r.stderr}")
    return out.read_bytes()


@pytest.fixture
def running(hello_elf: bytes, monkeypatch: pytest.MonkeyPatch) -> Running:
    """hello loaded with argv ["/init"], its stack set up, made the current process."""
    fa, _, p = make_process()
    base = place_file(hello_elf)
    img = p.load_elf(u64(base), u64(len(hello_elf)), EM_X86_64)
    addrs, lens = kstrings([b"/init"])
    p.setup_stack(img, addrs, lens, u64(1), u64(2), u64(0))
    r = Running(p, fa)
    # fds 0..2 are /dev/console (asterpy.fs): a fresh console terminal whose output is recorded.
    monkeypatch.setattr(tty, "_console", None)
    monkeypatch.setattr(tty, "console_out", lambda c: r.console.append(int(c)))
    open_console_fds(p.files)
    monkeypatch.setattr(sysproc, "set_fs_base", lambda v: r.fs_loads.append(int(v)))
    monkeypatch.setattr(sysproc, "set_user_gs_base", lambda v: r.gs_loads.append(int(v)))
    # Ending the task would switch away (context switches are assembly): record the status.
    monkeypatch.setattr(sysproc, "exit_current", lambda t, st: r.exits.append(int(st)))
    monkeypatch.setattr(sysproc, "exit_group_now", lambda t, st: r.exits.append(int(st)))
    # clock_gettime reads the clock through the name clock.py imported.
    monkeypatch.setattr(sysclock, "monotonic_ns", lambda: u64(r.now_ns))
    monkeypatch.setattr(ktime, "monotonic_ns", lambda: u64(r.now_ns))
    monkeypatch.setattr(entropy, "rdtsc64", lambda: u64(r.tsc))
    monkeypatch.setattr(entropy, "rdrand_available", lambda: False)
    monkeypatch.setattr(ktime, "realtime_base_ns", u64(0))
    monkeypatch.setattr(entropy, "random_state", u64(0))
    monkeypatch.setattr(dispatch, "enosys_seen", dispatch.SeenSet())
    # The process's one thread, alone in fresh task tables (its context is never switched).
    monkeypatch.setattr(task_mod, "Context", NoContext)
    sched.set_tables(sched.Tables())
    t = task_mod.Task(p.pid, p)
    p.threads = u64(1)
    sched.add_process(p)
    sched.add_task(t)
    sched.set_current_task(t)
    r.task = t
    return r


class NoContext:
    """Stands in for kernel_arch.Context in CPython tests: nothing is ever switched to."""

    def __init__(self) -> None:
        self.sp_slot = u64(0)
        self.fpu = u64(0)
