"""Refusals of built-ins: print(), range() outside for, unsupported Python built-ins, intrinsic calls, f-strings as values."""
from __future__ import annotations

from .conftest import Refused, full


def test_print(refused: Refused) -> None:
    d = refused("""
        def f() -> None:
            print("x")
    """, 2, 4, "print() is not available in the kernel")
    assert "kprint" in d.hint


def test_range_outside_for(refused: Refused) -> None:
    d = refused("""
        def f() -> None:
            r = range(3)
    """, 2, 8, "range() is only allowed as the iterable of a for loop")
    assert "for i in range(n)" in d.hint


def test_range_with_zero_step(refused: Refused) -> None:
    refused("""
        def f(n: u64) -> None:
            for i in range(0, n, 0):
                pass
    """, 2, 25, "range()'s step must be a non-zero constant")


def test_list_constructor(refused: Refused) -> None:
    refused("""
        def f() -> None:
            xs = list()
    """, 2, 9, "list() is not supported")


def test_unsupported_python_builtin(refused: Refused) -> None:
    d = refused("""
        def f() -> None:
            s = str(5)
    """, 2, 8, "'str' cannot be called in Kernel Python")
    assert d.hint


def test_sum_builtin(refused: Refused) -> None:
    refused("""
        def f(xs: List[u64]) -> None:
            s = sum(xs)
    """, 2, 8, "name 'sum' is not defined")


def test_isinstance_of_struct(refused: Refused) -> None:
    refused("""
        @struct
        class S:
            x: u64

        def f(s: S) -> bool:
            return isinstance(s, S)
    """, 6, 11, "isinstance() takes an object and a class")


def test_intrinsic_call_outside_arch(refused: Refused) -> None:
    """An intrinsic reached through a module alias is still refused outside arch/."""
    refused("""
        import asterpy.lang.intrinsics as intr

        def f() -> None:
            intr.cpu_relax()
    """, 1, 0, "may only be used under arch/", header=False)


def test_fstring_as_value(refused: Refused) -> None:
    d = refused("""
        def f(a: u64) -> None:
            s = f"{a}"
            kprint(s)
    """, 2, 8, "f-strings can only be passed straight to kprint() or panic()", stage=full)
    assert "kprint" in d.hint


def test_string_concatenation(refused: Refused) -> None:
    refused("""
        def f(a: str) -> str:
            return a + "x"
    """, 2, 11, "string operators are not supported")


def test_ptr_truthiness(refused: Refused) -> None:
    d = refused("""
        def f(p: Ptr[u64]) -> bool:
            if p:
                return True
            return False
    """, 2, 7, "a condition must be a bool, not Ptr[u64]")
    assert "is not None" in d.hint or "!= 0" in d.hint


def test_is_on_integers(refused: Refused) -> None:
    refused("""
        def f(a: u64) -> bool:
            return a is None
    """, 2, 11, "a u64 is never None")


def test_atomic_in_local(refused: Refused) -> None:
    refused("""
        from asterpy.lang import AtomicU64

        def f() -> u64:
            a = AtomicU64(0)
            return a.load()
    """, 5, 11, "atomics and locks work in place")
