"""Refusals for classes: multiple inheritance, metaclasses, class attributes, special methods, super()."""
from __future__ import annotations

from pathlib import Path

from .conftest import Refused, front_end, write_module


def test_multiple_inheritance(refused: Refused) -> None:
    d = refused("""
        class A:
            pass

        class B:
            pass

        class C(A, B):
            pass
    """, 7, 11, "multiple inheritance is not part of Kernel Python")
    assert "field" in d.hint


def test_metaclass(refused: Refused) -> None:
    refused("""
        class M:
            pass

        class C(metaclass=M):
            pass
    """, 4, 0, "metaclasses and class keywords are not part of Kernel Python")


def test_class_keyword(refused: Refused) -> None:
    refused("""
        class C(frozen=True):
            pass
    """, 1, 0, "metaclasses and class keywords")


def test_derive_from_exception(refused: Refused) -> None:
    d = refused("""
        class MyError(Exception):
            pass
    """, 1, 14, "'Exception' cannot be a base class")
    assert "SysError" in d.hint


def test_class_attribute(refused: Refused) -> None:
    d = refused("""
        class A:
            count = 0
    """, 2, 4, "a class body may only declare fields")
    assert "module constant" in d.hint


def test_class_field_default(refused: Refused) -> None:
    refused("""
        class A:
            x: u64 = u64(1)
    """, 2, 13, "class fields are declared without a value")


def test_special_method(refused: Refused) -> None:
    d = refused("""
        class A:
            def __eq__(self, other: "A") -> bool:
                return True
    """, 2, 4, "special method '__eq__' is not supported")
    assert "__init__" in d.hint


def test_object_equality(refused: Refused) -> None:
    refused("""
        class A:
            pass

        def f(a: A, b: A) -> bool:
            return a == b
    """, 5, 11, "== on objects is not supported")


def test_super(refused: Refused) -> None:
    refused("""
        class A:
            def m(self) -> None:
                pass

        class B(A):
            def m(self) -> None:
                super().m()
    """, 7, 8, "super() is not supported")


def test_super_hint_is_accepted(tmp_path: Path) -> None:
    """What the super() refusal tells the user to write must itself translate."""
    path, _ = write_module(tmp_path, """
        class A:
            def m(self) -> None:
                pass

        class B(A):
            def m(self) -> None:
                A.m(self)
    """)
    front_end(path)


def test_nested_class(refused: Refused) -> None:
    refused("""
        def f() -> None:
            class A:
                pass
    """, 2, 4, "'ClassDef' statements are not part of Kernel Python")


def test_cyclic_inheritance(refused: Refused) -> None:
    refused("""
        class A(B):
            pass

        class B(A):
            pass
    """, 4, 8, "cannot derive from itself")


def test_method_defined_twice(refused: Refused) -> None:
    """Found by the fuzz test: two defs of one method reached the lowering and clashed on the symbol."""
    refused("""
        class A:
            def m(self) -> None:
                pass

            def m(self) -> None:
                pass
    """, 5, 4, "method 'm' is defined twice in class A")


def test_field_and_method_with_one_name(refused: Refused) -> None:
    refused("""
        class A:
            size: u64

            def size(self) -> u64:
                return u64(0)
    """, 4, 4, "'size' is both a field and a method of A")


def test_struct_field_declared_twice(refused: Refused) -> None:
    refused("""
        @struct
        class S:
            x: u8
            x: u16
    """, 4, 4, "field 'x' is already declared")
