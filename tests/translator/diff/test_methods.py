"""Differential tests of @struct methods, atomics and spin locks in fields and globals."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asterpy.lang import i32, u32, u64

from .harness import Case

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def case() -> Case:
    """methods.py imported and JIT-compiled once."""
    return Case("methods.py")


@SETTINGS
@given(x=st.integers(-(2**20), 2**20), y=st.integers(-(2**20), 2**20))
def test_struct_methods(case: Case, x: int, y: int) -> None:
    """Struct methods reading and mutating self (locals, nested fields, a struct field of an object), defaults, keywords."""
    case.check("vec_methods", i32(x), i32(y))
    case.check("field_struct_method", i32(x))


@pytest.mark.parametrize("n", [0, 1, 5, 40])
def test_atomics_in_fields(case: Case, n: int) -> None:
    """fetch_add/sub/and/or, swap, compare_exchange, load/store on atomics held in object fields (wrapping)."""
    case.check("atomics", u32(n))


def test_global_atomic_and_lock_methods(case: Case) -> None:
    """A global atomic keeps its value across calls; acquire/release/locked and `with` on a field lock."""
    for k in (5, 2**64 - 1, 3):
        case.check("global_atomic", u64(k))
    case.check("lock_methods")
