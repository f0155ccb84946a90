"""Run a Kernel Python function under CPython and JIT-compiled; compare results, console lines and heap balance."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

_HERE = Path(__file__).resolve().parent
if str(_HERE.parent) not in sys.path:
    sys.path.insert(0, str(_HERE.parent))  # for tests/translator/jit.py

from jit import Jit, load_cpython  # noqa: E402

from asterpy.lang import u64  # noqa: E402
from asterpy.lang.console import captured_console  # noqa: E402
from asterpy.lang.errors import SysError  # noqa: E402

CASES = _HERE / "cases"
HEAP = _HERE.parents[2] / "src" / "asterpy" / "mm" / "heap.py"
PANIC_STATUS = 77


@dataclass(frozen=True)
class Outcome:
    """A call's value, SysError errno ("syserror"), or "fault" (CPython raised / native panicked), and its console lines."""

    kind: str
    value: Any
    lines: tuple


class Case:
    """One case module, imported under CPython and JIT-compiled once (with the kernel heap linked in)."""

    def __init__(self, filename: str, opt: int = 2):
        self.path = CASES / filename
        self.jit = Jit([self.path, HEAP], opt=opt)
        self.modname = next(name for name, m in self.jit.tr.program.modules.items()
                            if Path(m.src.path).resolve() == self.path.resolve())
        self.py = load_cpython(self.path, f"containers_case_{self.path.stem}_{opt}")
        self._native: dict[str, Callable[..., Any]] = {}
        self.heap_used = self.jit.func("asterpy.mm.heap", "heap_used")
        self.heap_check = self.jit.func("asterpy.mm.heap", "heap_check")

    def native(self, name: str) -> Callable[..., Any]:
        """The JIT-compiled function `name`."""
        if name not in self._native:
            self._native[name] = self.jit.func(self.modname, name)
        return self._native[name]

    def run_py(self, name: str, *args: Any) -> Outcome:
        """Call the CPython function, capturing its console lines.

        The exception is dropped inside the capture: its traceback keeps the failed frame (and so the locals
        whose drop hooks print) alive until then, where native code releases them on the way out.
        """
        kind, v = "value", None
        with captured_console() as lines:
            try:
                v = getattr(self.py, name)(*args)
            except SysError as e:
                kind, v = "syserror", e.errno
            except Exception:  # noqa: BLE001 - IndexError/KeyError/...: the native code must panic
                kind = "fault"
        return Outcome(kind, v, tuple(lines))

    def run_native(self, name: str, *args: Any) -> Outcome:
        """Call the native function; every block it allocated must be freed when it returns."""
        before = self.heap_used()
        self.jit.output.clear()
        kind = "value"
        try:
            v = self.native(name)(*args)
        except SysError as e:
            kind, v = "syserror", e.errno
        lines = tuple(self.jit.output.decode(errors="replace").splitlines())
        leaked = int(self.heap_used()) - int(before)
        assert leaked == 0, f"{name}{args}: {leaked} heap bytes not freed"
        return Outcome(kind, v, lines)

    def run_panicking(self, name: str, *args: Any) -> tuple[int, tuple]:
        """Call the native function in a forked child; return (exit status, console lines)."""
        code, text, _ = self.jit.in_child(self.native(name), *args)
        return code, tuple(text.splitlines())

    def check(self, name: str, *args: Any) -> Outcome:
        """Both worlds agree on the value and on every console line (drop hooks included)."""
        want = self.run_py(name, *args)
        if want.kind == "fault":
            code, lines = self.run_panicking(name, *args)
            assert code == PANIC_STATUS, f"{name}{args}: CPython raised, native exited with {code}: {lines}"
            assert lines[:len(want.lines)] == want.lines, f"{name}{args}: output before the panic differs"
            return want
        got = self.run_native(name, *args)
        assert got.kind == want.kind, f"{name}{args}: CPython {want}, native {got}"
        assert got.lines == want.lines, f"{name}{args}: console differs\n CPython {want.lines}\n native  {got.lines}"
        assert int(got.value) == int(want.value), f"{name}{args}: CPython {want.value!r}, native {got.value!r}"
        return want


def pack_ops(ops: list) -> tuple:
    """Up to 32 operation bytes packed into the four u64 words the case functions decode."""
    data = bytes(ops) + bytes(32 - len(ops))
    return tuple(u64(int.from_bytes(data[i:i + 8], "little")) for i in range(0, 32, 8))
