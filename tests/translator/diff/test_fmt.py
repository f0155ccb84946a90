"""Differential tests of f-strings in kprint: the console text must be byte-for-byte CPython's."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asterpy.lang import i8, i16, i32, i64, u8, u16, u32, u64

from .harness import Case

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def case() -> Case:
    """fmt.py imported and JIT-compiled once."""
    return Case("fmt.py")


def test_edges(case: Case) -> None:
    """{x}, {x:#x}, {x:08x}, {x:b}, X, o, widths and zero padding on 0, ±1, min and max."""
    for x in (0, 1, -1, 255, -255, 2**63 - 1, -(2**63)):
        case.check("fmt_i64", i64(x))
    for x in (0, 1, 2**63, 2**64 - 1):
        case.check("fmt_u64", u64(x))


@SETTINGS
@given(x=st.integers(-(2**63), 2**63 - 1), y=st.integers(0, 2**64 - 1))
def test_random_64(case: Case, x: int, y: int) -> None:
    """Every supported spec on random signed and unsigned 64-bit values."""
    case.check("fmt_i64", i64(x))
    case.check("fmt_u64", u64(y))


@SETTINGS
@given(a=st.integers(0, 255), b=st.integers(-128, 127), c=st.integers(0, 0xFFFF), d=st.integers(-(2**15), 2**15 - 1),
       e=st.integers(0, 2**32 - 1), f=st.integers(-(2**31), 2**31 - 1))
def test_narrow_widths(case: Case, a: int, b: int, c: int, d: int, e: int, f: int) -> None:
    """Narrow signed values are sign-extended before formatting; unsigned ones are not."""
    case.check("fmt_small", u8(a), i8(b), u16(c), i16(d), u32(e), i32(f))


def test_bools_and_text(case: Case) -> None:
    """bool prints True/False (and 0/1 under a format spec); str constants, locals, escaped braces, empty f-strings."""
    for t, u in itertools.product((False, True), repeat=2):
        case.check("fmt_bool", t, u)
    for t in (False, True):
        case.check("fmt_bool_spec", t)
        for x in (-3, 0, 3):
            case.check("fmt_mixed", i32(x), t)


@pytest.mark.parametrize("c", [False, True])
def test_fields_are_evaluated_before_printing(case: Case, c: bool) -> None:
    """A call inside an f-string field that prints comes before the whole line, as CPython builds the string first."""
    case.check("field_calls_print", i64(-5), c)
