"""Refusals at module level: side effects, unannotated names, imports, intrinsics outside arch/, decorators."""
from __future__ import annotations

from pathlib import Path

import pytest

from translator.check import check_program
from translator.diagnostics import TranslateError
from translator.driver import translate
from translator.resolve import resolve

from .conftest import Refused, check_refusal, write_module


def test_top_level_call(refused: Refused) -> None:
    d = refused("""
        kprint("hello")
    """, 1, 0, "top level may only define constants, globals, functions and classes")
    assert "function" in d.hint


def test_top_level_print(refused: Refused) -> None:
    refused("""
        print("hello")
    """, 1, 0, "top level may only define")


def test_top_level_loop(refused: Refused) -> None:
    refused("""
        for i in range(3):
            pass
    """, 1, 0, "top level may only define")


def test_top_level_if(refused: Refused) -> None:
    refused("""
        if True:
            X: Final = 1
    """, 1, 0, "top level may only define")


def test_unannotated_module_name(refused: Refused) -> None:
    d = refused("""
        X = 1
    """, 1, 0, "module-level names need a type annotation")
    assert "Final" in d.hint


def test_module_global_from_call(refused: Refused) -> None:
    refused("""
        def g() -> u64:
            return u64(1)

        x: u64 = g()
    """, 4, 9, "not a compile-time constant")


def test_import_star(refused: Refused) -> None:
    refused("""
        from asterpy.lang import *
    """, 1, 0, "'import *' is not part of Kernel Python", header=False)


def test_unknown_module(refused: Refused) -> None:
    refused("""
        import nosuchmodule as m
    """, 1, 0, "cannot find module 'nosuchmodule'", header=False)


def test_unknown_module_from(refused: Refused) -> None:
    refused("""
        from os import path
    """, 1, 0, "cannot find module 'os'", header=False)


def test_unknown_runtime_submodule(refused: Refused) -> None:
    refused("""
        from asterpy.lang.nosuch import thing
    """, 1, 0, "cannot find module 'asterpy.lang.nosuch'", header=False)


def test_unknown_runtime_name(refused: Refused) -> None:
    refused("""
        from asterpy.lang import u128
    """, 1, 0, "module 'asterpy.lang' has no name 'u128'", header=False)


def test_unknown_name_from_kernel_module(refused: Refused, tmp_path: Path) -> None:
    (tmp_path / "other.py").write_text("from asterpy.lang import u64\n\nX: u64 = u64(1)\n")
    refused("""
        from other import Y
    """, 1, 0, "module 'other' has no top-level name 'Y'", header=False)


def test_relative_import_above_top(refused: Refused) -> None:
    refused("""
        from . import sibling
    """, 1, 0, "relative import goes above the top-level package", header=False)


def test_intrinsics_import_outside_arch(refused: Refused) -> None:
    d = refused("""
        from asterpy.lang.intrinsics import outb
    """, 1, 0, "asterpy.lang.intrinsics may only be used under arch/", header=False)
    assert "arch" in d.hint


def test_intrinsics_module_import_outside_arch(refused: Refused) -> None:
    refused("""
        import asterpy.lang.intrinsics as intr
    """, 1, 0, "may only be used under arch/", header=False)


def test_intrinsics_from_package_outside_arch(refused: Refused) -> None:
    refused("""
        from asterpy.lang import intrinsics
    """, 1, 0, "may only be used under arch/", header=False)


def test_intrinsics_allowed_under_arch(tmp_path: Path) -> None:
    """The same import is accepted when intrinsics are allowed (arch/ modules)."""
    path, _ = write_module(tmp_path, """
        from asterpy.lang.intrinsics import cpu_relax

        def f() -> None:
            cpu_relax()
    """)
    translate([path], "host", debug=False, intrinsics_anywhere=True)


def test_naked_outside_arch(refused: Refused) -> None:
    refused("""
        @naked
        def f() -> None:
            pass
    """, 1, 1, "@naked functions are allowed only under arch/")


def test_unknown_function_decorator(refused: Refused) -> None:
    d = refused("""
        @staticmethod
        def f() -> None:
            pass
    """, 1, 1, "decorator '@staticmethod' is not part of Kernel Python")
    assert "@export" in d.hint


def test_unknown_class_decorator(refused: Refused) -> None:
    d = refused("""
        @dataclass
        class A:
            x: u64
    """, 1, 1, "class decorator '@dataclass' is not part of Kernel Python")
    assert "@struct" in d.hint


def test_method_decorator(refused: Refused) -> None:
    refused("""
        class A:
            @staticmethod
            def m() -> None:
                pass
    """, 2, 5, "method decorator '@staticmethod' is not part of Kernel Python")


def test_export_without_name(refused: Refused) -> None:
    refused("""
        @export
        def f() -> None:
            pass
    """, 1, 1, "@export takes one string literal")


def test_defined_twice(refused: Refused) -> None:
    refused("""
        def f() -> None:
            pass

        def f() -> None:
            pass
    """, 4, 0, "'f' is defined twice at module level")


def test_unreadable_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.py"
    with pytest.raises(TranslateError) as ei:
        resolve([missing])
    d = ei.value.first
    assert Path(d.path) == missing and d.line == 1 and d.col == 0
    assert "cannot read source file" in d.message and d.hint


def test_directory_instead_of_file(tmp_path: Path) -> None:
    (tmp_path / "pkg.py").mkdir()
    with pytest.raises(TranslateError) as ei:
        resolve([tmp_path / "pkg.py"])
    assert "cannot read source file" in ei.value.first.message and ei.value.first.hint


def test_file_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.py"
    path.write_bytes(b"from asterpy.lang import u64\n# caf\xe9\n")
    with pytest.raises(TranslateError) as ei:
        resolve([path])
    d = ei.value.first
    assert d.line == 2 and "not valid UTF-8" in d.message and "UTF-8" in d.hint


def test_syntax_error(refused: Refused) -> None:
    d = refused("""
        def f(:
            pass
    """, 1, 6, "syntax error")
    assert "3.11" in d.hint


def test_null_byte(tmp_path: Path) -> None:
    path = tmp_path / "nul.py"
    path.write_text("X: int = 1\x00\n")
    with pytest.raises(TranslateError) as ei:
        resolve([path])
    assert ei.value.first.hint


def test_deeply_nested_expression(tmp_path: Path) -> None:
    path = tmp_path / "deep.py"
    path.write_text("X: int = " + "-" * 100000 + "1\n")
    with pytest.raises(TranslateError) as ei:
        resolve([path])
    assert "nested too deeply" in ei.value.first.message


def test_cpython_compile_error(refused: Refused) -> None:
    d = refused("""
        g: u64 = u64(0)

        def f() -> None:
            x = g
            global g
    """, 5, 4, "used prior to global declaration")
    assert "global" in d.hint


def test_duplicate_parameter(refused: Refused) -> None:
    d = refused("""
        def f(a: u64, a: u64) -> None:
            pass
    """, 1, 14, "duplicate argument 'a'")
    assert "own name" in d.hint


def test_error_in_imported_module_points_at_that_file(tmp_path: Path) -> None:
    """A refusal inside an imported kernel module names that module's file, not the importer."""
    other = tmp_path / "other.py"
    other.write_text("from asterpy.lang import u64\n\n\ndef g() -> u64:\n    return u64(1) / u64(2)\n")
    path, off = write_module(tmp_path, """
        from other import g
    """)
    with pytest.raises(TranslateError) as ei:
        check_program(resolve([path]))
    check_refusal(ei.value, other, 5, 11, "'/' is float division")
