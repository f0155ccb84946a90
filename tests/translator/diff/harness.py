"""Differential harness: run one Kernel Python function under CPython and JIT-compiled, compare what each did."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

_HERE = Path(__file__).resolve().parent
if str(_HERE.parent) not in sys.path:
    sys.path.insert(0, str(_HERE.parent))  # for tests/translator/jit.py

from jit import Jit, load_cpython  # noqa: E402

from asterpy.lang import ints, memory  # noqa: E402
from asterpy.lang.console import captured_console  # noqa: E402
from asterpy.lang.errors import SysError  # noqa: E402

CASES = _HERE / "cases"
PANIC_STATUS = 77


@dataclass(frozen=True)
class Outcome:
    """What one call did: returned a value, raised SysError(errno), or failed (a bug: CPython raised, native panicked)."""

    kind: str  # "value", "syserror" or "fault"
    value: Any = None
    output: tuple = ()
    detail: str = ""

    def same_as(self, other: "Outcome") -> bool:
        """Equal outcome kind, value (including its runtime-library class) and console lines."""
        if self.kind != other.kind or self.output != other.output:
            return False
        if self.kind == "value":
            # CPython runs the checked tree (translator/cpython_view.py), so a literal result has its type;
            # only a local first bound to a bare literal (`n = 0`, language.md 6.2) is a plain int there,
            # and natively it is an i64.
            plain = {type(self.value), type(other.value)} in ({int, ints.i64}, {int})
            return (plain or type(self.value) is type(other.value)) and self.value == other.value
        if self.kind == "syserror":
            return self.value == other.value
        return True  # a fault's message differs between the worlds (traceback vs panic text)


class Case:
    """One case module, imported under CPython and JIT-compiled once."""

    def __init__(self, filename: str, opt: int = 2):
        self.path = CASES / filename
        self.jit = Jit([self.path], opt=opt)
        self.modname = next(name for name, m in self.jit.tr.program.modules.items()
                            if Path(m.src.path).resolve() == self.path.resolve())
        self.py = load_cpython(self.path, "diffcase_" + self.path.stem)
        self._native: dict[str, Callable[..., Any]] = {}
        # With classes in the program the heap is linked in: every in-process call must give back
        # all it allocated, except functions that park objects in globals (listed by the test).
        self.heap_used = self.jit.func("asterpy.mm.heap", "heap_used") if self.jit.heap is not None else None
        self.keeps_objects: set[str] = set()

    def native(self, name: str) -> Callable[..., Any]:
        """The JIT-compiled function `name`."""
        if name not in self._native:
            self._native[name] = self.jit.func(self.modname, name)
        return self._native[name]

    def run_py(self, name: str, *args: Any) -> Outcome:
        """Call the CPython function, capturing its console lines."""
        fn = getattr(self.py, name)
        errno, fault = None, None
        with captured_console() as lines:
            try:
                v = fn(*args)
            except SysError as e:
                errno = e.errno
            except Exception as e:  # noqa: BLE001 - any other exception is a bug that panics natively
                fault = f"{type(e).__name__}: {e}"
            # Leaving the handler freed the exception and its traceback, so the frames it kept alive
            # (and their locals' drop hooks) are gone before the captured lines are read.
        if errno is not None:
            return Outcome("syserror", errno, tuple(lines))
        if fault is not None:
            return Outcome("fault", None, tuple(lines), fault)
        return Outcome("value", v, tuple(lines))

    def run_native(self, name: str, *args: Any, child: bool = False) -> Outcome:
        """Call the native function; in a forked child when it is expected to panic."""
        fn = self.native(name)
        if child:
            code, text, tail = self.jit.in_child(fn, *args)
            lines = tuple(text.splitlines())
            if code == PANIC_STATUS:
                # A panic ends with its message and an "  at file:line in function" line.
                n = 2 if len(lines) >= 2 and lines[-1].startswith("  at ") else 1
                return Outcome("fault", None, lines[:-n], "\n".join(lines[-n:]))
            return Outcome("unexpected", code, lines, tail)
        self.jit.output.clear()
        before = self.heap_used() if self.heap_used is not None else 0
        try:
            v = fn(*args)
            out = Outcome("value", v, _lines(self.jit.output))
        except SysError as e:
            out = Outcome("syserror", e.errno, _lines(self.jit.output))
        if self.heap_used is not None and name not in self.keeps_objects:
            leaked = int(self.heap_used()) - int(before)
            assert leaked == 0, f"{name}{args}: the heap grew by {leaked} bytes (an object was not released)"
        return out

    def check(self, name: str, *args: Any, fork: bool = True) -> Outcome:
        """Run both worlds and assert they agree; returns the CPython outcome.

        When CPython fails with a non-SysError exception the native call must panic, which needs a
        forked child (a few ms each); bulk sweeps pass fork=False and leave that to dedicated tests.
        """
        want = self.run_py(name, *args)
        if want.kind == "fault" and not fork:
            return want
        got = self.run_native(name, *args, child=want.kind == "fault")
        assert got.same_as(want), f"{name}{args}: CPython {want}, native {got}"
        return want


    def check_in_child(self, name: str, *args: Any) -> Outcome:
        """Like check(), but the native call always runs in a forked child: for code that might loop forever."""
        want = self.run_py(name, *args)
        code, text, tail = self.jit.in_child(self.native(name), *args, timeout=5.0)
        lines = tuple(text.splitlines())
        where = f"{name}{args}: CPython {want}, native exit {code} ({'timeout' if code == -9 else tail})"
        if want.kind == "fault":
            assert code == PANIC_STATUS, where
            return want
        if want.kind == "syserror":
            assert code == 1 and tail == f"EXC:{SysError(want.value)!r}", where
            return want
        assert code == 0 and tail.startswith("RESULT:"), where
        got = Outcome("value", _eval_result(tail), lines)
        assert got.same_as(want), f"{name}{args}: CPython {want}, native {got}"
        return want


    def check_many_in_child(self, name: str, inputs: list) -> None:
        """check() for many argument tuples, the native calls all in one forked child (no console output expected)."""
        fn = self.native(name)
        code, text, tail = self.jit.in_child(lambda: [fn(*a) for a in inputs], timeout=10.0)
        assert code == 0 and tail.startswith("RESULT:"), f"{name}: native exit {code} ({'timeout' if code == -9 else tail})"
        results = _eval_result(tail)
        for args, got in zip(inputs, results):
            want = self.run_py(name, *args)
            assert want.kind == "value" and Outcome("value", got, want.output).same_as(want), \
                f"{name}{args}: CPython {want}, native {got!r}"


def _eval_result(tail: str) -> Any:
    """Turn the child's 'RESULT:u64(5)' text back into a value."""
    from asterpy.lang import ints
    text = tail[len("RESULT:"):]
    return eval(text, {n: getattr(ints, n) for n in ("u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64")})  # noqa: S307


def _lines(buf: bytearray) -> tuple:
    text = buf.decode(errors="replace")
    return tuple(text.splitlines())


class SimBuffer:
    """The same bytes in CPython's simulated memory and in a real ctypes buffer, for Ptr tests."""

    def __init__(self, data: bytes, align: int = 16):
        import ctypes
        self.size = len(data)
        self.sim_addr = memory.sim.alloc(max(self.size, 1), align)
        memory.sim.write(self.sim_addr, data)
        self._raw = ctypes.create_string_buffer(self.size + align)
        self.native_addr = (ctypes.addressof(self._raw) + align - 1) & ~(align - 1)
        ctypes.memmove(self.native_addr, data, self.size)

    def sim_bytes(self) -> bytes:
        """Current contents on the CPython side."""
        return memory.sim.read(self.sim_addr, self.size)

    def native_bytes(self) -> bytes:
        """Current contents on the native side."""
        import ctypes
        return ctypes.string_at(self.native_addr, self.size)


def fresh_sim() -> Optional[memory.SimMemory]:
    """Install a fresh simulated memory for CPython."""
    return memory.reset_sim()
