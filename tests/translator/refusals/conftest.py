"""Helpers for the refusal tests: write a small module, translate it, and check the first diagnostic."""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Callable, Optional

import pytest

from translator.check import check_program
from translator.diagnostics import Diagnostic, TranslateError
from translator.driver import translate
from translator.resolve import resolve

# Prepended to most test modules so that snippets can use the common names. Line numbers in the
# tests count from the first line of the snippet, not of this header.
HEADER = (
    "from typing import Callable, Dict, Final, List, Optional\n"
    "from asterpy.lang import Array, Ptr, SpinLock, SysError, kprint, panic, struct, u8, u16, u32, u64, i8, i32, i64\n"
    "from asterpy.lang.errno import EINVAL, ENOENT\n"
)
HEADER_LINES = HEADER.count("\n")

# The `refused` fixture: refused(source, line, col, phrase, header=True, stage=front_end) -> Diagnostic.
Refused = Callable[..., Diagnostic]


def write_module(tmp_path: Path, source: str, name: str = "mod", header: bool = True) -> tuple[Path, int]:
    """Write `source` (dedented, optionally after HEADER) as tmp_path/name.py; return the path and line offset."""
    text = textwrap.dedent(source).lstrip("\n")
    path = tmp_path / f"{name}.py"
    path.write_text((HEADER if header else "") + text, encoding="utf-8")
    return path, (HEADER_LINES if header else 0)


def front_end(path: Path) -> None:
    """Parse, resolve and check one entry file."""
    check_program(resolve([path]))


def full(path: Path) -> None:
    """Translate one entry file to LLVM IR for the host (parse through lower)."""
    translate([path], "host", debug=False)


def check_refusal(err: TranslateError, path: Path, line: int, col: int, phrase: str) -> Diagnostic:
    """Assert the first diagnostic's file, line, column, message phrase, hint and rendered caret."""
    d = err.first
    assert Path(d.path).resolve() == path.resolve(), d.format()
    assert (d.line, d.col) == (line, col), d.format()
    assert phrase.lower() in d.message.lower(), d.format()
    assert d.hint.strip(), f"no hint saying what to write instead:\n{d.format()}"
    rendered = str(err).splitlines()
    assert rendered[0].startswith(f"{d.path}:{line}:{col + 1}: error: "), str(err)
    src_line = path.read_text(encoding="utf-8").splitlines()[line - 1].expandtabs(4)
    assert src_line.strip(), "the diagnostic should quote a non-empty source line"
    i = rendered.index("    " + src_line)
    caret = rendered[i + 1]
    assert caret.strip().startswith("^") and caret.index("^") - 4 == len(
        path.read_text(encoding="utf-8").splitlines()[line - 1][:col].expandtabs(4)), str(err)
    assert any(r.strip() == f"help: {d.hint}" for r in rendered), str(err)
    return d


@pytest.fixture
def refused(tmp_path: Path) -> Refused:
    """refused(source, line, col, phrase, header=True, stage=front_end): assert translation refuses it there."""

    def run(source: str, line: int, col: int, phrase: str, header: bool = True,
            stage: Callable[[Path], None] = front_end, name: str = "mod", path: Optional[Path] = None) -> Diagnostic:
        p, off = write_module(tmp_path, source, name, header) if path is None else (path, 0)
        with pytest.raises(TranslateError) as ei:
            stage(p)
        return check_refusal(ei.value, p, line + off, col, phrase)

    return run
