"""Native symbol names: an @extern and the @export that defines it are one function; two definitions are refused."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from translator.diagnostics import TranslateError
from translator.driver import translate


def _write(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "syms.py"
    path.write_text(textwrap.dedent(source))
    return path


def test_extern_bound_to_export_in_the_same_program(tmp_path: Path) -> None:
    """Arch-neutral code declares @extern("foo"); arch code defines @export("foo"): one symbol, defined once."""
    path = _write(tmp_path, """
        from asterpy.lang import u8
        from asterpy.lang.linkage import export, extern

        @extern("foo")
        def foo(c: u8) -> None: ...

        @export("foo")
        def foo_impl(c: u8) -> None:
            pass

        def user(x: u8) -> None:
            foo(x)
    """)
    ir_text = translate([path], "x86_64").ir_text
    assert ir_text.count('@"foo"(') >= 2  # the definition and the call
    assert sum(1 for line in ir_text.splitlines() if line.startswith("define") and '@"foo"(' in line) == 1


def test_two_exports_of_one_symbol_are_refused(tmp_path: Path) -> None:
    """Two definitions of one symbol name point at the second, with a hint."""
    path = _write(tmp_path, """
        from asterpy.lang import u8
        from asterpy.lang.linkage import export

        @export("foo")
        def a(c: u8) -> None:
            pass

        @export("foo")
        def b(c: u8) -> None:
            pass
    """)
    with pytest.raises(TranslateError) as err:
        translate([path], "x86_64")
    d = err.value.first
    assert d.line == 10 and "defined twice" in d.message and d.hint


def test_extern_with_another_signature_is_refused(tmp_path: Path) -> None:
    """An @extern whose parameters differ from the @export it names is refused, not miscompiled."""
    path = _write(tmp_path, """
        from asterpy.lang import u8, u64
        from asterpy.lang.linkage import export, extern

        @export("foo")
        def foo_impl(c: u8) -> None:
            pass

        @extern("foo")
        def foo(c: u64) -> None: ...
    """)
    with pytest.raises(TranslateError, match="two different signatures"):
        translate([path], "x86_64")


def test_generated_names_do_not_collide_with_methods(tmp_path: Path) -> None:
    """A method called `release` or `vtable` is fine: the translator's own symbols use another separator."""
    path = _write(tmp_path, """
        from asterpy.lang import u64

        class Buffer:
            size: u64

            def __init__(self, size: u64) -> None:
                self.size = size

            def release(self) -> u64:
                return self.size

            def vtable(self) -> u64:
                return u64(0)

        def use(n: u64) -> u64:
            return Buffer(n).release() + Buffer(n).vtable()
    """)
    translate([path], "x86_64")


def test_asm_that_defines_labels_is_never_inlined(tmp_path: Path) -> None:
    """A function whose asm defines a symbol keeps one copy (inlining would define the label twice)."""
    arch = tmp_path / "arch" / "x86_64"
    arch.mkdir(parents=True)
    path = arch / "labels.py"
    path.write_text(textwrap.dedent("""
        from asterpy.lang import u64
        from asterpy.lang.intrinsics import asm

        def holder() -> None:
            asm(".pushsection .text.entry; entry_label: nop; .popsection", "")

        def caller() -> None:
            holder()
    """))
    ir_text = translate([path], "x86_64", intrinsics_anywhere=True).ir_text
    line = next(x for x in ir_text.splitlines() if x.startswith("define") and "holder" in x)
    assert "noinline" in line
