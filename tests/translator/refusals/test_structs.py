"""Refusals for @struct values: object fields, copies without .copy(), temporaries and read-only parameters."""
from __future__ import annotations

from .conftest import Refused

import pytest


def test_struct_field_holding_object(refused: Refused) -> None:
    d = refused("""
        class A:
            pass

        @struct
        class S:
            a: A
    """, 6, 7, "a @struct field cannot hold A")
    assert "Ptr[T]" in d.hint


def test_struct_field_holding_list(refused: Refused) -> None:
    refused("""
        @struct
        class S:
            xs: List[u64]
    """, 3, 8, "a @struct field cannot hold List[u64]")


def test_struct_field_default(refused: Refused) -> None:
    refused("""
        @struct
        class S:
            x: u64 = u64(5)
    """, 3, 13, "struct fields cannot have default values")


def test_struct_base_class(refused: Refused) -> None:
    refused("""
        @struct
        class A:
            x: u64

        @struct
        class B(A):
            y: u64
    """, 6, 8, "a @struct cannot have a base class")


def test_struct_contains_itself(refused: Refused) -> None:
    refused("""
        @struct
        class S:
            x: u64
            inner: S
    """, 4, 4, "struct S contains itself")


def test_struct_contains_itself_through_array(refused: Refused) -> None:
    d = refused("""
        @struct
        class S:
            xs: Array[S, 2]
    """, 3, 4, "struct S contains itself")
    assert "Ptr" in d.hint


def test_struct_init(refused: Refused) -> None:
    refused("""
        @struct
        class S:
            x: u64

            def __init__(self) -> None:
                pass
    """, 5, 4, "a @struct cannot define __init__")


def test_struct_copy_without_copy(refused: Refused) -> None:
    d = refused("""
        @struct
        class S:
            x: u64

        def f() -> None:
            a = S()
            b = a
    """, 7, 8, "assigning a struct stored elsewhere would share it")
    assert d.hint == "write a.copy()"


def test_struct_copy_from_class_field(refused: Refused) -> None:
    refused("""
        @struct
        class S:
            x: u64

        class H:
            s: S

        def f(h: H) -> None:
            a = h.s
    """, 9, 8, "assigning a struct stored elsewhere")


def test_struct_stored_into_class_field(refused: Refused) -> None:
    refused("""
        @struct
        class S:
            x: u64

        class H:
            s: S

        def f(h: H, t: S) -> None:
            h.s = t
    """, 9, 10, "assigning a struct stored elsewhere")


def test_struct_returned_from_field(refused: Refused) -> None:
    d = refused("""
        @struct
        class S:
            x: u64

        class H:
            s: S

        def f(h: H) -> S:
            return h.s
    """, 9, 11, "returning a struct stored elsewhere")
    assert d.hint == "return h.s.copy()"


def test_struct_parameter_returned(refused: Refused) -> None:
    refused("""
        @struct
        class S:
            x: u64

        def f(s: S) -> S:
            return s
    """, 6, 11, "struct")


def test_field_of_temporary(refused: Refused) -> None:
    d = refused("""
        @struct
        class S:
            x: u64

        def mk() -> S:
            return S()

        def f() -> None:
            mk().x = u64(1)
    """, 9, 4, "assigning to a field of a temporary struct has no effect")
    assert "local" in d.hint


def test_method_on_temporary(refused: Refused) -> None:
    refused("""
        @struct
        class S:
            x: u64

            def get(self) -> u64:
                return self.x

        def mk() -> S:
            return S()

        def f() -> u64:
            return mk().get()
    """, 12, 11, "calling a struct method on a temporary")


def test_mutating_struct_parameter(refused: Refused) -> None:
    d = refused("""
        @struct
        class S:
            x: u64

        def f(s: S) -> None:
            s.x = u64(1)
    """, 6, 4, "struct parameters are read-only")
    assert d.hint == "copy first: s = s.copy()"


def test_mutating_nested_field_of_struct_parameter(refused: Refused) -> None:
    refused("""
        @struct
        class P:
            x: u64

        @struct
        class S:
            p: P

        def f(s: S) -> None:
            s.p.x += 1
    """, 10, 4, "struct parameters are read-only")


def test_mutating_array_of_struct_parameter(refused: Refused) -> None:
    refused("""
        @struct
        class S:
            a: Array[u8, 4]

        def f(s: S) -> None:
            s.a[0] = 1
    """, 6, 4, "struct parameters are read-only")


def test_iterating_over_structs(refused: Refused) -> None:
    refused("""
        @struct
        class S:
            x: u64

        def f(xs: List[S]) -> None:
            for s in xs:
                pass
    """, 6, 13, "iterating over structs would share them")


def test_conditional_struct(refused: Refused) -> None:
    refused("""
        @struct
        class S:
            x: u64

        def f(c: bool) -> S:
            return S(1) if c else S(2)
    """, 6, 11, "conditional struct values are not supported")
