"""bytes and bytearray, str ==, and Weak references (parent pointers that do not keep the parent alive)."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asterpy.lang import i64, u8

from .harness import Case


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(0, 40), v=st.integers(0, 255))
def test_bytes(case: Case, n: int, v: int) -> None:
    """bytearray(n), element store/load, append, iteration, len, `in`; bytes literals and bytes(n)."""
    case.check("bytes_ops", i64(n), u8(v))


@pytest.mark.parametrize("name,arg", [("bad_bytes", -1), ("bad_bytes", 0), ("bad_store", 2), ("bad_store", -3),
                                      ("bad_store", -2)])
def test_bytes_failures(case: Case, name: str, arg: int) -> None:
    """Negative lengths (ValueError) and out-of-range stores (IndexError) panic natively."""
    case.check(name, i64(arg))


def test_str_equality(case: Case) -> None:
    """str == and != compare length and bytes (empty strings and prefixes included)."""
    for a in range(6):
        case.check("str_ne", i64(a))
        for b in range(6):
            case.check("str_eq", i64(a), i64(b))


@pytest.mark.parametrize("keep", [False, True])
def test_weak_basic(case: Case, keep: bool) -> None:
    """Weak(obj).get() gives the object while it lives and None after its last reference goes."""
    case.check("weak_basic", keep)


@pytest.mark.parametrize("n", [0, 1, 5])
def test_weak_outlives_target(case: Case, n: int) -> None:
    """Weak values kept in a list outlive their targets; the shared cell is freed after both are gone."""
    case.check("weak_outlives", i64(n))


@pytest.mark.parametrize("n", [0, 1, 3])
def test_tree_with_parent_pointers(case: Case, n: int) -> None:
    """A tree whose children point to their parent weakly is freed, top-down, when the root goes."""
    case.check("tree", i64(n))
