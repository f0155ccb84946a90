"""Modules that import each other (an import cycle) resolve, check and translate."""
from __future__ import annotations

from pathlib import Path

import pytest

from translator.driver import translate
from translator.parse import DEFAULT_ROOTS
from translator.diagnostics import TranslateError


def _write(root: Path, files: dict[str, str]) -> None:
    pkg = root / "cyc"
    pkg.mkdir()
    (pkg / "__init__.py").write_text('"""cyc."""\n')
    for name, text in files.items():
        (pkg / f"{name}.py").write_text(text)


A = '''"""a: defines Task, uses b's function."""
from asterpy.lang import u64
from cyc.b import count_waiters


class Task:
    """A task that points at a queue of the other module."""

    tid: u64

    def __init__(self, tid: u64) -> None:
        self.tid = tid


def total(n: u64) -> u64:
    """Mutual recursion across the cycle."""
    if n == 0:
        return u64(0)
    return count_waiters(n - 1) + u64(1)
'''

B = '''"""b: holds a Task of module a, calls back into a."""
from asterpy.lang import u64
from cyc.a import Task, total

last: Task | None = None


def count_waiters(n: u64) -> u64:
    """Make a Task and recurse through a.total."""
    global last
    last = Task(n)
    return total(n)
'''


@pytest.mark.parametrize("entry", ["a", "b"])
def test_cycle_translates_from_either_side(tmp_path: Path, entry: str) -> None:
    _write(tmp_path, {"a": A, "b": B})
    tr = translate([tmp_path / "cyc" / f"{entry}.py"], arch="x86_64", roots=DEFAULT_ROOTS + (tmp_path,))
    assert "cyc.a.total" in tr.ir_text and "cyc.b.count_waiters" in tr.ir_text


def test_name_imported_through_a_cycle_is_still_reported(tmp_path: Path) -> None:
    """A name the other side only re-imports is not there yet: a clear error, not a crash."""
    _write(tmp_path, {
        "a": '"""a."""\nfrom asterpy.lang import u64\nfrom cyc.b import missing\n',
        "b": '"""b."""\nfrom asterpy.lang import u64\nfrom cyc.a import u64 as x\n\nok: u64 = 1\n',
    })
    with pytest.raises(TranslateError, match="has no top-level name 'missing'"):
        translate([tmp_path / "cyc" / "a.py"], arch="x86_64", roots=DEFAULT_ROOTS + (tmp_path,))
