"""Differential tests of assorted expressions: tuples, min/max/abs, literal adoption, stores into memory, struct globals."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asterpy.lang import i8, i32, i64, u8, u16, u32, u64

from .harness import Case, SimBuffer, fresh_sim

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
I32S = st.integers(-(2**31), 2**31 - 1)


@pytest.fixture(scope="module")
def case() -> Case:
    """misc.py imported and JIT-compiled once."""
    return Case("misc.py")


@SETTINGS
@given(a=st.integers(-1000, 1000), b=st.integers(-1000, 1000).filter(lambda v: v != 0))
def test_tuples(case: Case, a: int, b: int) -> None:
    """Tuple results, unpacking, swapping and constant indexing (a zero divisor fails in both worlds)."""
    case.check("use_tuple", i64(a), i64(b))


@SETTINGS
@given(a=st.integers(-128, 127), b=st.integers(-128, 127), x=st.integers(0, 2**64 - 1), y=st.integers(0, 2**64 - 1))
def test_min_max_abs(case: Case, a: int, b: int, x: int, y: int) -> None:
    """min/max/abs, signed and unsigned, with literal operands; abs(MIN) wraps."""
    case.check("builtins_minmax", i8(a), i8(b))
    case.check("builtins_unsigned", u64(x), u64(y))


@SETTINGS
@given(x=st.sampled_from([0, 1, 7, 8, 2**32 - 1]) | st.integers(0, 2**32 - 1), y=st.integers(-128, 127))
def test_literal_adoption(case: Case, x: int, y: int) -> None:
    """Literals take the other operand's type, in comparisons too (-1 == y, x == 0xFFFFFFFF, 3 - x wraps)."""
    case.check("literal_adoption", u32(x), i8(y))


@SETTINGS
@given(v=I32S, a=st.integers(-(2**63), 2**63 - 1), c=st.booleans(), w=st.integers(0, 0xFFFF))
def test_aug_assign_and_conversions(case: Case, v: int, a: int, c: bool, w: int) -> None:
    """+= and friends on nested struct fields and Array elements; conversions inside expressions; conditional literals."""
    case.check("aug_fields", i32(v))
    case.check("conversions_in_exprs", i64(a))
    case.check("ifexp_literals", c, u16(w))


@SETTINGS
@given(a=st.integers(0, 255), n=st.integers(0, 255))
def test_narrow_shifts(case: Case, a: int, n: int) -> None:
    """u8 shifts mixing literals and counts beyond the width."""
    case.check("narrow_shift", u8(a), u8(n))


def test_struct_globals(case: Case) -> None:
    """Struct globals: field updates in place and whole-value rebinding, state kept across calls."""
    for v in (1, 2, 3, -7):
        case.check("struct_globals", i32(v))


@SETTINGS
@given(a=st.integers(-1000, 1000), b=st.integers(-1000, 1000), n=st.integers(0, 40))
def test_calls_and_loops(case: Case, a: int, b: int, n: int) -> None:
    """Struct results used directly, struct parameters rebound in the callee, while with not/or."""
    case.check("call_results", i32(a))
    case.check("call_reassign", i32(a), i32(b))
    case.check("while_not", i64(n))
    case.check("optional_calls", i64(a))


@SETTINGS
@given(data=st.binary(min_size=32, max_size=32), v=st.integers(0, 2**32 - 1))
def test_aug_assign_through_ptr(case: Case, data: bytes, v: int) -> None:
    """p[i] += v on raw memory; a struct loaded through a Ptr is a copy."""
    fresh_sim()
    buf = SimBuffer(data)
    want = case.run_py("aug_ptr", u64(buf.sim_addr), u32(v))
    got = case.run_native("aug_ptr", u64(buf.native_addr), u32(v))
    assert got.same_as(want), f"CPython {want}, native {got}"
    assert buf.sim_bytes() == buf.native_bytes()
