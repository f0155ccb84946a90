"""Helpers for tests that run a Kernel Python wrapper both under CPython and natively, with the input
ending right before a PROT_NONE guard page (so any read past the input kills the forked child)."""
from __future__ import annotations

import ctypes
import mmap
from pathlib import Path
from typing import Any, Callable, Tuple

from asterpy.lang import SysError
from jit import Jit, load_cpython

PAGE = mmap.PAGESIZE
_libc = ctypes.CDLL(None, use_errno=True)
_keep: list = []


def guarded(data: bytes, room: int = 0) -> int:
    """Native memory holding data (or room zero bytes) that ends right before a PROT_NONE page."""
    n = max(len(data), room, 1)
    pages = (n + PAGE - 1) // PAGE
    m = mmap.mmap(-1, (pages + 1) * PAGE)
    start = ctypes.addressof(ctypes.c_char.from_buffer(m))
    _keep.append(m)
    assert _libc.mprotect(ctypes.c_void_p(start + pages * PAGE), PAGE, 0) == 0
    base = start + pages * PAGE - n
    ctypes.memmove(base, data, len(data))
    return base


def load_worlds(directory: Path, module: str, source: str) -> Tuple[Jit, Any]:
    """Write the wrapper as `module`.py in directory: (its JIT-loaded translation, its CPython import)."""
    path = directory / f"{module}.py"
    path.write_text(source)
    return Jit([path]), load_cpython(path, module)


def native(jit: Jit, module: str, name: str, *args: int) -> Tuple[str, int]:
    """Run a wrapper natively in a forked child: ("ok", v), ("err", errno) or ("crash", status)."""
    f = jit.func(module, name)

    def call() -> Tuple[str, int]:
        try:
            return ("ok", int(f(*args)))
        except SysError as e:
            return ("err", e.errno)

    status, _, tail = jit.in_child(call)
    if status != 0:
        return ("crash", status)
    return eval(tail[len("RESULT:"):])  # noqa: S307 - our own repr of a tuple of str and int


def cpython(fn: Callable[..., Any], *args: int) -> Tuple[str, int]:
    """The same call under CPython on simulated memory: ("ok", v) or ("err", errno)."""
    try:
        return ("ok", int(fn(*args)))
    except SysError as e:
        return ("err", e.errno)
