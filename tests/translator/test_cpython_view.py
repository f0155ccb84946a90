"""translator/cpython_view.py: kernel modules imported under CPython with the checker's conversions made explicit."""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from asterpy.lang import i64, u8, u32
from translator.cpython_view import KernelModuleFinder

KERNEL = '''
"""A kernel module whose literals meet types in binding contexts."""
from __future__ import annotations

from typing import Final

from asterpy.lang import u8, u32

LIMIT: Final[u8] = 200
count: u32 = 7


def two_hundred() -> u8:
    return 200


def halve_double(a: u8 = 200) -> u8:
    return a * 2 // 4


def from_loop(n: u8) -> u8:
    r = u8(0)
    for i in range(n):
        r = i + 100
    return r


def as_int(x: u32) -> int:
    return int(x) - 5


class Box:
    v: u8

    def __init__(self) -> None:
        self.v = 250
'''

HOST_TOOL = '''
"""Not Kernel Python: a host-side generator living next to kernel code."""
NAMES = ("a", "b")
'''


@pytest.fixture()
def finder(tmp_path: Path):  # type: ignore[no-untyped-def]
    pkg = tmp_path / "viewpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "kmod.py").write_text(textwrap.dedent(KERNEL))
    (pkg / "tool.py").write_text(textwrap.dedent(HOST_TOOL))
    f = KernelModuleFinder([tmp_path], [pkg], cache_dir=tmp_path / "cache")
    sys.path.insert(0, str(tmp_path))
    sys.meta_path.insert(0, f)
    yield f
    sys.meta_path.remove(f)
    sys.path.remove(str(tmp_path))
    for name in [n for n in sys.modules if n == "viewpkg" or n.startswith("viewpkg.")]:
        del sys.modules[name]


def test_binding_contexts_are_typed(finder: KernelModuleFinder) -> None:
    """Constants, globals, results, defaults, loop variables, int() and fields hold fixed-width values."""
    from viewpkg import kmod
    assert type(kmod.LIMIT) is u8 and type(kmod.count) is u32
    assert type(kmod.two_hundred()) is u8
    assert kmod.halve_double() == u8(36)  # u8(200) * 2 wraps to 144; a plain 200 would give 100
    assert kmod.from_loop(u8(200)) == u8(43)
    assert kmod.as_int(u32(3)) == i64(-2) and type(kmod.as_int(u32(3))) is i64
    assert type(kmod.Box().v) is u8
    # Line numbers are the source's: the function's code starts where the source says.
    assert kmod.two_hundred.__code__.co_firstlineno == textwrap.dedent(KERNEL).splitlines().index("def two_hundred() -> u8:") + 1


def test_host_tools_run_unchanged(finder: KernelModuleFinder) -> None:
    """A module the translator refuses is imported as plain Python, and remembered as such."""
    from viewpkg import tool
    assert tool.NAMES == ("a", "b")
    assert "viewpkg.tool" in finder.plain and "module-level names need a type annotation" in finder.plain["viewpkg.tool"]


def test_compiled_modules_are_cached(finder: KernelModuleFinder, tmp_path: Path) -> None:
    """A second finder over the same sources loads the compiled code from the cache, without checking again."""
    import viewpkg.kmod  # noqa: F401
    cached = list((tmp_path / "cache").glob("*.marshal"))
    assert len(cached) == 1
    again = KernelModuleFinder([tmp_path], [tmp_path / "viewpkg"], cache_dir=tmp_path / "cache")
    again._translate("viewpkg.kmod", tmp_path / "viewpkg" / "kmod.py")
    assert "viewpkg.kmod" in again.code and again._cache_file() == cached[0]
    # Changing a source changes the key.
    (tmp_path / "viewpkg" / "kmod.py").write_text(textwrap.dedent(KERNEL) + "\n\nX: Final[u8] = 1\n")
    third = KernelModuleFinder([tmp_path], [tmp_path / "viewpkg"], cache_dir=tmp_path / "cache")
    assert third._cache_file() != cached[0]
