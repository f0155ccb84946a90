"""Refusals of statements: assert, exceptions other than SysError, global misuse, loop else, with, del, starred targets."""
from __future__ import annotations

from .conftest import Refused

import pytest


def test_assert(refused: Refused) -> None:
    d = refused("""
        def f(a: u64) -> None:
            assert a > 0
    """, 2, 4, "assert is not part of Kernel Python")
    assert "panic(" in d.hint


def test_except_other_than_syserror(refused: Refused) -> None:
    d = refused("""
        def f() -> None:
            try:
                pass
            except ValueError:
                pass
    """, 4, 4, "Kernel Python catches only SysError")
    assert "except SysError" in d.hint


def test_bare_except(refused: Refused) -> None:
    refused("""
        def f() -> None:
            try:
                pass
            except:
                pass
    """, 4, 4, "catches only SysError")


def test_except_star(refused: Refused) -> None:
    refused("""
        def f() -> None:
            try:
                pass
            except* SysError:
                pass
    """, 2, 4, "'TryStar' statements are not part of Kernel Python")


def test_try_else(refused: Refused) -> None:
    refused("""
        def f() -> None:
            try:
                pass
            except SysError:
                pass
            else:
                pass
    """, 7, 8, "try ... else is not supported")


def test_raise_other_than_syserror(refused: Refused) -> None:
    d = refused("""
        def f() -> None:
            raise ValueError("bad")
    """, 2, 10, "Kernel Python raises only SysError(errno)")
    assert "panic()" in d.hint


def test_raise_from(refused: Refused) -> None:
    refused("""
        def f() -> None:
            raise SysError(EINVAL) from None
    """, 2, 32, "raise ... from ... is not supported")


def test_bare_raise_outside_except(refused: Refused) -> None:
    refused("""
        def f() -> None:
            raise
    """, 2, 4, "bare raise outside an except block")


def test_syserror_as_value(refused: Refused) -> None:
    refused("""
        def f() -> None:
            e = SysError(EINVAL)
    """, 2, 8, "SysError(...) can only be raised")


def test_global_of_non_global(refused: Refused) -> None:
    d = refused("""
        def f() -> None:
            global counter
    """, 2, 4, "'counter' is not a module global")
    assert "counter: T = value" in d.hint


def test_global_of_constant(refused: Refused) -> None:
    refused("""
        LIMIT: Final = 10

        def f() -> None:
            global LIMIT
    """, 4, 4, "'LIMIT' is not a module global")


def test_assign_global_without_global(refused: Refused) -> None:
    d = refused("""
        counter: u64 = u64(0)

        def f() -> None:
            counter = u64(1)
    """, 4, 4, "assigning to global 'counter' needs a `global counter` statement")
    assert d.hint == "add: global counter"


def test_augmented_global_without_global(refused: Refused) -> None:
    refused("""
        counter: u64 = u64(0)

        def f() -> None:
            counter += 1
    """, 4, 4, "changing global 'counter' needs a `global counter` statement")


def test_while_else(refused: Refused) -> None:
    d = refused("""
        def f() -> None:
            while False:
                pass
            else:
                pass
    """, 5, 8, "while ... else is not part of Kernel Python")
    assert "flag" in d.hint


def test_for_else(refused: Refused) -> None:
    refused("""
        def f() -> None:
            for i in range(3):
                pass
            else:
                pass
    """, 5, 8, "for ... else is not part of Kernel Python")


def test_with_as(refused: Refused) -> None:
    refused("""
        lock: SpinLock = SpinLock()

        def f() -> None:
            with lock as held:
                pass
    """, 4, 17, "`with ... as name` is not supported")


def test_with_non_lock(refused: Refused) -> None:
    d = refused("""
        def f(a: u64) -> None:
            with a:
                pass
    """, 2, 9, "`with` works on a SpinLock")
    assert "try/finally" in d.hint


def test_del_name(refused: Refused) -> None:
    refused("""
        def f() -> None:
            x = 1
            del x
    """, 3, 8, "del works on dictionary and list elements only")


def test_chained_assignment(refused: Refused) -> None:
    refused("""
        def f() -> None:
            a = b = u64(1)
    """, 2, 4, "chained assignment is not supported")


def test_starred_assignment(refused: Refused) -> None:
    refused("""
        def f(t: List[u64]) -> None:
            a, *b = t
    """, 2, 7, "starred")


def test_expression_statement_without_effect(refused: Refused) -> None:
    refused("""
        def f(a: u64) -> None:
            a + 1
    """, 2, 4, "this expression statement has no effect")


def test_break_outside_loop(refused: Refused) -> None:
    refused("""
        def f() -> None:
            break
    """, 2, 4, "'break' outside loop")


def test_fstring_repr_conversion(refused: Refused) -> None:
    d = refused("""
        def f(a: u64) -> None:
            kprint(f"{a!r}")
    """, 2, 13, "!r/!s/!a conversions are not supported")
    assert "{x:#x}" in d.hint


def test_fstring_nested_spec(refused: Refused) -> None:
    refused("""
        def f(a: u64, w: u64) -> None:
            kprint(f"{a:{w}}")
    """, 2, 13, "nested format specifications are not supported")


def test_fstring_bad_spec(refused: Refused) -> None:
    refused("""
        def f(a: u64) -> None:
            kprint(f"{a:.3f}")
    """, 2, 13, "format spec '.3f' is not supported")
