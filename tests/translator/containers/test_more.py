"""Element types (str, bool, u8, Optional, nested containers, Weak), containers in fields, errors inside loops."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asterpy.lang import i64

from .harness import Case, pack_ops


@pytest.mark.parametrize("name,args", [
    ("strings", (0,)), ("strings", (7,)),
    ("flags", (0,)), ("flags", (5,)),
    ("small", (1,)), ("small", (6,)),
    ("optionals", (0,)), ("optionals", (5,)),
    ("nested_objects", (0,)), ("nested_objects", (7,)),
    ("field_containers", (0,)), ("field_containers", (3,)),
    ("weak_values", (0,)), ("weak_values", (5,)),
    ("bytes_keys", (0,)), ("bytes_keys", (3,)), ("bytes_keys", (13,)), ("bytes_keys", (40,)),
])
def test_element_types(more: Case, name: str, args: tuple) -> None:
    """Same values, same drop order, nothing leaked."""
    more.check(name, *[i64(a) for a in args])


@pytest.mark.parametrize("arg", [0, 1])
def test_none_container(more: Case, arg: int) -> None:
    """Indexing an Optional[List] that is None fails in both worlds."""
    more.check("none_list", i64(arg))


@pytest.mark.parametrize("name,arg", [("raise_in_loop", 1), ("raise_in_loop", 5), ("catch_in_loop", 1),
                                      ("catch_in_loop", 2), ("raise_in_display", 3), ("raise_in_display", 2)])
def test_errors(more: Case, name: str, arg: int) -> None:
    """A SysError out of a loop over a temporary list, or out of a list display, releases everything in order."""
    more.check(name, i64(arg))


def test_bytes_equality(more: Case) -> None:
    """bytes == bytes compares contents (bytearray against bytes too), not identity."""
    for a in range(6):
        for b in range(6):
            more.check("bytes_eq", i64(a), i64(b))


@pytest.mark.parametrize("n,i", [(0, 0), (3, -1), (3, 5), (3, 1), (1, -2)])
def test_pop_evaluates_its_argument_first(more: Case, n: int, i: int) -> None:
    """xs.pop(f()) runs f() before it fails on an empty list or a bad index."""
    more.check("pop_order", i64(n), i64(i))


@pytest.mark.parametrize("keep", [False, True])
def test_weak_of_optional(more: Case, keep: bool) -> None:
    """Weak[C](obj) on an Optional[C] local; the weak reference does not keep the object alive."""
    more.check("weak_explicit", keep)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.integers(0, 255), max_size=16))
def test_struct_ops(more: Case, ops: list) -> None:
    """Padded structs stored inline in List and Dict under random append/pop/insert/field-store/copy/pop-default."""
    w = pack_ops(ops)
    more.check("struct_ops", w[0], w[1], i64(len(ops)))


def test_unoptimised(more_o0: Case) -> None:
    """The same functions before LLVM's optimisations."""
    for name, args in [("strings", (7,)), ("flags", (5,)), ("optionals", (5,)), ("nested_objects", (7,)),
                       ("field_containers", (3,)), ("weak_values", (5,)), ("bytes_keys", (13,)),
                       ("raise_in_loop", (1,)), ("catch_in_loop", (1,)), ("raise_in_display", (3,))]:
        more_o0.check(name, *[i64(a) for a in args])
    more_o0.check("small", i64(6))
    more_o0.check("struct_ops", *pack_ops(list(range(3, 256, 17)))[:2], i64(15))
    for a in range(6):
        more_o0.check("bytes_eq", i64(a), i64(5 - a))
