"""Differential tests of classes and of reference counting: the `drop` lines of __del__ hooks must match CPython's."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asterpy.lang import i64

from .harness import Case

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def case() -> Case:
    """classes.py imported and JIT-compiled once; the heap must balance after every call but the global ones."""
    c = Case("classes.py")
    c.keeps_objects |= {"store_global", "clear_global"}
    return c


@SETTINGS
@given(kind=st.integers(-1, 3), v=st.integers(-1000, 1000))
def test_methods_and_virtual_dispatch(case: Case, kind: int, v: int) -> None:
    """Fields, methods with defaults/keywords, overrides called through a base-typed variable, Base.method(self)."""
    if kind >= 0:
        case.check("dispatch", i64(kind), i64(v))
        case.check("kinds", i64(kind))
        case.check("narrowed", i64(kind))
    case.check("optional_area", i64(kind))
    case.check("optional_else", i64(kind))
    case.check("method_on_temporary")


DROP_CASES = ["scope_exit", "rebind", "temporaries", "discard_result", "holder_chain", "field_reassign",
              "call_param_rebind", "returns_and_fields", "temp_in_constructor",
              "field_release_order", "identity_checks"]


@pytest.mark.parametrize("name", DROP_CASES)
def test_drop_order(case: Case, name: str) -> None:
    """Objects die at the same point as in CPython: scope exit, rebinding, temporaries, fields, parameters."""
    out = case.check(name)
    assert any(line.startswith("drop") for line in out.output)


@pytest.mark.parametrize("flag", [False, True])
def test_drop_order_on_branches(case: Case, flag: bool) -> None:
    """Conditional rebinding, early return, conditional expressions over objects."""
    case.check("conditional_drop", flag)
    case.check("early_return", flag)
    case.check("pick", flag)


@pytest.mark.parametrize("n", [0, 1, 2, 5])
def test_drop_order_in_loops_and_chains(case: Case, n: int) -> None:
    """A loop rebinding a local each round; a linked chain released from its head; Optional fields walked."""
    case.check("loop_drop", i64(n))
    case.check("chain", i64(n))
    case.check("optional_field", i64(n))


def test_global_object(case: Case) -> None:
    """An object held by a module global lives until the global is rebound or cleared."""
    case.check("store_global", i64(5))
    case.check("store_global", i64(6))
    case.check("clear_global")


@pytest.fixture(scope="module")
def hier() -> Case:
    """hierarchy.py imported and JIT-compiled once."""
    return Case("hierarchy.py")


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_three_level_hierarchy(hier: Case, k: int) -> None:
    """Overrides at the middle level, Base.method(self) calls, a subclass __del__ calling the base one,
    isinstance on an Optional that may be None."""
    hier.check("via_optional", i64(k))
    hier.check("isinstance_none", i64(k))


def test_struct_fields_of_objects_and_default_init(hier: Case) -> None:
    """A struct held in an object field: copies are independent; a class without __init__ starts zeroed."""
    hier.check("struct_field_copy")
    hier.check("no_init")


@pytest.fixture(scope="module")
def temps() -> Case:
    """temps.py imported and JIT-compiled once."""
    return Case("temps.py")


@pytest.mark.parametrize("a", [-1, 1])
@pytest.mark.parametrize("b", [-1, 1, 5])
def test_temporaries_in_conditional_code(temps: Case, a: int, b: int) -> None:
    """Temporaries made on one side of and/or/if-else die right after their use, only on the path that made them."""
    temps.check("temps_in_boolops", i64(a), i64(b))
    temps.check("temps_in_ifexp", i64(a * b * 3))
    temps.check("temps_in_while", i64(b))
    temps.check("temps_in_compare", i64(a * b))
