"""How refusals are rendered: columns in characters, carets under tabs and non-ASCII text, f-string parts."""
from __future__ import annotations

from pathlib import Path

import pytest

from translator.diagnostics import TranslateError

from .conftest import Refused, front_end, write_module


def test_column_after_non_ascii_text(refused: Refused) -> None:
    """ast gives UTF-8 byte offsets; the diagnostic counts characters so the caret lands on the float."""
    d = refused("""
        def f() -> None:
            kprint("café"); x = 1.5
    """, 2, 24, "floating-point numbers")
    assert d.source_line[d.col:d.end_col] == "1.5"


def test_caret_under_tab_indented_code(refused: Refused) -> None:
    d = refused("def f() -> None:\n\tx = 1.5\n", 2, 5, "floating-point numbers")
    assert d.source_line[d.col:d.end_col] == "1.5"


def test_caret_spans_the_construct(tmp_path: Path) -> None:
    path, off = write_module(tmp_path, """
        def f(a: u64) -> u64:
            return a / u64(2)
    """)
    with pytest.raises(TranslateError) as ei:
        front_end(path)
    lines = str(ei.value).splitlines()
    assert lines[1] == "        return a / u64(2)"
    assert lines[2] == "               ^~~~~~~~~~"


def test_fstring_part_is_located(refused: Refused) -> None:
    """Python 3.11 gives every f-string part the whole string's span; the caret goes under `{a!r}`."""
    d = refused("""
        def f(a: u64) -> None:
            kprint(f"value {a!r} done")
    """, 2, 19, "!r/!s/!a conversions")
    assert d.source_line[d.col:d.end_col] == "{a!r}"


def test_several_functions_reported_together(tmp_path: Path) -> None:
    path, off = write_module(tmp_path, """
        def f() -> None:
            x = 1.5

        def g(a: u64) -> u64:
            return a / u64(2)
    """)
    with pytest.raises(TranslateError) as ei:
        front_end(path)
    assert [(d.line - off, d.col) for d in ei.value.diagnostics] == [(2, 8), (5, 11)]
