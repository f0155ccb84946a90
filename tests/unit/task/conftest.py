"""Shared fixtures for the task unit tests: fresh simulated memory, no current process, hello.c."""

import subprocess
import sys
from pathlib import Path
from typing import Iterator, List

import pytest

from asterpy.lang import memory
from asterpy.mm import paging
from asterpy.task.process import set_current

# The test folder on the path, so test modules can import the task_sim helpers.
_HERE = Path(__file__).resolve().parent
if str(_HERE) not in sys.path:
    sys.path.insert(0, str(_HERE))

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
