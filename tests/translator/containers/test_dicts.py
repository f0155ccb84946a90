"""Dict[K, V]: random operation sequences, table growth with deletions, str/bool keys, struct values, failures."""
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
def test_object_dict_ops(case: Case, ops: list) -> None:
    """d[k] = v, del, pop, get, in, clear, d[k].f += on Dict[i64, Node]: results, drop order (insertion order)."""
    case.check("dict_ops", *pack_ops(ops), i64(len(ops)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(0, 400), mod=st.integers(1, 300), step=st.integers(1, 97))
def test_churn(case: Case, n: int, mod: int, step: int) -> None:
    """Many inserts and deletes on Dict[u64, i64]: resizes, dead entries, dummies in the index."""
    case.check("int_dict_churn", i64(n), i64(mod), i64(step))


@SETTINGS
@given(ops=st.lists(st.integers(0, 255), max_size=16))
def test_str_keys(case: Case, ops: list) -> None:
    """Dict[str, i64]: keys compared by content (including the empty string and a shared prefix)."""
    w = pack_ops(ops)
    case.check("str_dict", w[0], w[1], i64(len(ops)))


@pytest.mark.parametrize("a", [False, True])
@pytest.mark.parametrize("b", [False, True])
def test_bool_keys(case: Case, a: bool, b: bool) -> None:
    """Dict[bool, u8]."""
    case.check("bool_dict", a, b)


@pytest.mark.parametrize("n", [3, 4, 9])
def test_struct_values(case: Case, n: int) -> None:
    """Struct values stored inline: d[k] = S(...), d[k].f += ..., get and pop with struct defaults."""
    case.check("struct_dict", i64(n))


@pytest.mark.parametrize("name,arg", [("bad_key", 3), ("bad_key", 2), ("bad_del", 2), ("bad_del", 1)])
def test_failures(case: Case, name: str, arg: int) -> None:
    """A missing key (KeyError under CPython) panics natively."""
    case.check(name, i64(arg))


def test_churn_unoptimised(case_o0: Case) -> None:
    """Table growth before LLVM's optimisations."""
    case_o0.check("int_dict_churn", i64(300), i64(37), i64(5))
    case_o0.check("dict_ops", *pack_ops(list(range(0, 256, 8))), i64(32))
    case_o0.check("str_dict", u64(0x0706050403020100), u64(0x0F0E0D0C0B0A0908), i64(16))
