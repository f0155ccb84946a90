"""What containers do not lower yet is refused with a clear TranslateError; layout facts of what they do lower."""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from translator.diagnostics import TranslateError
from translator.driver import translate

from .harness import HEAP

HEADER = """\
from typing import Dict, List, Optional, Tuple
from asterpy.lang import Ptr, i64, u8, u64
"""


def _translate(tmp_path: Path, body: str, heap: bool = True) -> str:
    path = tmp_path / "refused.py"
    path.write_text(HEADER + textwrap.dedent(body))
    return translate([path, HEAP] if heap else [path], "host", 0).ir_text


@pytest.mark.parametrize("body,what", [
    ("""
     def f(a: i64) -> bool:
         xs: List[Tuple[i64, i64]] = [(a, a)]
         return (a, 1) in xs
     """, "`in` on a List of tuples"),
    ("""
     def f(a: i64) -> bool:
         xs: List[List[i64]] = [[a]]
         return [a] in xs
     """, "`in` on a List[List[i64]]"),
])
def test_not_yet_translated(tmp_path: Path, body: str, what: str) -> None:
    """The message names the construct and says it is checked but not yet native."""
    with pytest.raises(TranslateError) as ei:
        _translate(tmp_path, body)
    text = str(ei.value)
    assert what in text and "not yet translated to native code" in text, text


def test_vtables_per_concrete_type(tmp_path: Path) -> None:
    """One vtable and release function per concrete container type, named after it."""
    ir_text = _translate(tmp_path, """
        class N:
            v: i64
        def f(a: i64) -> i64:
            xs: List[N] = [N()]
            d: Dict[str, List[N]] = {"k": xs}
            b = bytearray(a)
            return len(xs) + len(d) + len(b)
        """)
    for name in ("List[refused.N]:vtable", "Dict[str, List[refused.N]]:vtable", "bytes:vtable",
                 "List[refused.N]:release", "Dict[str, List[refused.N]]:release"):
        assert f'@"{name}"' in ir_text, name


def test_program_without_classes_needs_the_heap(tmp_path: Path) -> None:
    """Containers allocate: without classes the driver does not add the heap yet, so kmalloc stays undefined."""
    body = """
        def f(a: i64) -> i64:
            xs = [a, a]
            return len(xs)
        """
    with_heap = _translate(tmp_path, body, heap=True)
    assert re.search(r'^define .*@"asterpy\.mm\.heap\.kmalloc"', with_heap, re.M)
    # translator/driver.py's needs_heap() only looks for classes: until it also looks for containers,
    # kmalloc is left undefined for such a program (the report asks for that one-line change).
    without = _translate(tmp_path, body, heap=False)
    assert re.search(r'^(declare|define) .*@"asterpy\.mm\.heap\.kmalloc"', without, re.M)
