"""List[T]: random operation sequences, struct and object elements, iteration, displays, failures."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asterpy.lang import i64, u64

from .harness import Case, pack_ops

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
OPS = st.lists(st.integers(0, 255), max_size=32)


@SETTINGS
@given(ops=OPS)
def test_object_list_ops(case: Case, ops: list) -> None:
    """append/pop/pop(i)/insert/store/del/clear/read on List[Node]: same results, same drop order, no leak."""
    case.check("list_ops", *pack_ops(ops), i64(len(ops)))


@SETTINGS
@given(ops=OPS)
def test_int_list_ops(case: Case, ops: list) -> None:
    """The same on List[i64], with `in`, `+=` on elements and negative indices."""
    case.check("int_list_ops", *pack_ops(ops), i64(len(ops)))


@pytest.mark.parametrize("ops", [[], [0] * 32, list(range(32)), list(range(255, 223, -1)), [6, 0, 8, 1, 2, 3, 4, 5] * 4])
def test_list_ops_unoptimised(case_o0: Case, ops: list) -> None:
    """The lowered IR is right before LLVM's optimisations too."""
    case_o0.check("list_ops", *pack_ops(ops), i64(len(ops)))
    case_o0.check("int_list_ops", *pack_ops(ops), i64(len(ops)))


@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_struct_elements(case: Case, n: int) -> None:
    """Structs are stored inline by value: append, field store in place, insert, pop, element assignment."""
    case.check("struct_list", i64(n))


@pytest.mark.parametrize("name,args", [
    ("grow_while_iterating", (i64(20),)), ("grow_while_iterating", (i64(0),)),
    ("iterate_temporary", (i64(3),)), ("iterate_temporary", (i64(0),)),
    ("rebind_while_iterating", (i64(3),)),
    ("return_from_loop", (i64(2),)), ("return_from_loop", (i64(9),)),
    ("break_loop", (i64(3),)), ("break_loop", (i64(0),)), ("break_loop", (i64(7),)),
    ("nested", (i64(1),)), ("nested", (i64(6),)),
    ("array_iter", (u64(3),)),
])
def test_iteration(case: Case, name: str, args: tuple) -> None:
    """for x in xs sees the list as it is at each step and keeps it alive (its drop comes when CPython's does)."""
    case.check(name, *args)


@pytest.mark.parametrize("a", [0, 4])
def test_displays_and_element_refcounts(case: Case, a: int) -> None:
    """[a, b] and {k: v} displays, replaced elements dropped at once, an element read from a temporary list."""
    case.check("displays", i64(a))
    case.check("first_of", i64(a + 1))


@pytest.mark.parametrize("name,arg", [("bad_index", 3), ("bad_index", -4), ("bad_index", -3), ("bad_index", 2),
                                      ("bad_pop", 0), ("bad_pop", 2)])
def test_failures(case: Case, name: str, arg: int) -> None:
    """IndexError under CPython is a panic natively (with the source position); valid cases still work."""
    case.check(name, i64(arg))


def test_panic_message(case: Case) -> None:
    """The panic names the error and where it happened."""
    code, lines = case.run_panicking("bad_index", i64(5))
    assert code == 77
    assert lines[0] == "list index out of range"
    assert lines[1].startswith("  at ") and "conts.py" in lines[1] and lines[1].endswith("in bad_index")
