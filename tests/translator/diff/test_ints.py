"""Differential tests of fixed-width integers: every operator, comparison and conversion, for every width."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asterpy.lang import ints

from .cases.gen_int_ops import BINOPS, CMPS, TYPES, UNARY, source
from .harness import Case

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def case() -> Case:
    """int_ops.py, checked to be what gen_int_ops.py generates, imported and JIT-compiled once."""
    path = Case.__init__.__globals__["CASES"] / "int_ops.py"
    assert path.read_text() == source(), "int_ops.py is stale: run tests/translator/diff/cases/gen_int_ops.py"
    return Case("int_ops.py")


def cls(t: str) -> type:
    """The runtime-library class of a type name."""
    return getattr(ints, t)


def edges(t: str) -> list[int]:
    """The values where wrapping and signedness show: 0, 1, 2, max, min, -1 (wrapped), width-1, width, width+1."""
    c = cls(t)
    vals = {0, 1, 2, c.MAX, c.MIN, c.MAX - 1, c.MIN + 1, c.BITS - 1, c.BITS, c.BITS + 1, 7}
    if c.SIGNED:
        vals |= {-1, -2, -7}
    return sorted(c(v) for v in vals)


def values(t: str) -> st.SearchStrategy:
    """Hypothesis values of type t, biased towards the edges."""
    c = cls(t)
    return st.one_of(st.sampled_from(edges(t)), st.integers(c.MIN, c.MAX)).map(c)


BINARY_FUNCS = [f"{n}_" for n in BINOPS] + [f"i{n}_" for n in BINOPS] + [f"{n}_" for n in CMPS]


@pytest.mark.parametrize("t", TYPES)
def test_binary_edges(case: Case, t: str) -> None:
    """Every binary operator and comparison on every pair of edge values (÷0 and negative shifts included)."""
    for a in edges(t):
        for b in edges(t):
            for f in BINARY_FUNCS:
                case.check(f + t, a, b, fork=False)


@pytest.mark.parametrize("t", TYPES)
def test_binary_random(case: Case, t: str) -> None:
    """Every binary operator and comparison on hypothesis-drawn operands."""
    @SETTINGS
    @given(a=values(t), b=values(t))
    def run(a: int, b: int) -> None:
        for f in BINARY_FUNCS:
            case.check(f + t, a, b, fork=False)
    run()


@pytest.mark.parametrize("t", TYPES)
def test_unary_and_literals(case: Case, t: str) -> None:
    """Unary -, ~, + and an expression mixing literals, on edges and random values."""
    for a in edges(t):
        for n in UNARY:
            case.check(f"{n}_{t}", a)
        case.check(f"lit_{t}", a)

    @SETTINGS
    @given(a=values(t))
    def run(a: int) -> None:
        for n in UNARY:
            case.check(f"{n}_{t}", a)
        case.check(f"lit_{t}", a)
    run()


@pytest.mark.parametrize("t", TYPES)
def test_conversions(case: Case, t: str) -> None:
    """Explicit conversions from t to every width wrap like a C cast (edges: 0, 1, max, min, -1)."""
    for a in edges(t):
        for d in TYPES:
            case.check(f"conv_{t}_{d}", a)

    @SETTINGS
    @given(a=values(t))
    def run(a: int) -> None:
        for d in TYPES:
            case.check(f"conv_{t}_{d}", a)
    run()


@pytest.mark.parametrize("t", ["u8", "i8", "u64", "i64"])
def test_division_by_zero_fails_in_both_worlds(case: Case, t: str) -> None:
    """x // 0 and x % 0: ZeroDivisionError under CPython, a panic (exit 77) natively."""
    for f in ("floordiv", "mod", "ifloordiv", "imod"):
        out = case.check(f"{f}_{t}", cls(t)(5), cls(t)(0))
        assert out.kind == "fault" and "ZeroDivisionError" in out.detail
        native = case.run_native(f"{f}_{t}", 5, 0, child=True)
        assert native.kind == "fault" and "division" in native.detail
        assert "int_ops.py:" in native.detail and f"in {f}_{t}" in native.detail  # the panic names its source line


@pytest.mark.parametrize("t", ["i8", "i16", "i32", "i64"])
def test_signed_floor_division_signs(case: Case, t: str) -> None:
    """Floor division and modulo follow the divisor's sign, and MIN // -1 wraps to MIN."""
    c = cls(t)
    for a, b in [(7, 2), (-7, 2), (7, -2), (-7, -2), (c.MIN, -1), (c.MIN, 1), (c.MAX, -1), (-1, c.MIN), (c.MIN, c.MIN)]:
        q = case.check(f"floordiv_{t}", c(a), c(b))
        r = case.check(f"mod_{t}", c(a), c(b))
        assert q.value == c(a // b) and r.value == c(a % b)


@pytest.mark.parametrize("t", TYPES)
def test_shifts_at_and_beyond_width(case: Case, t: str) -> None:
    """Shift counts >= width give 0 (or -1 for a negative signed >>); a negative count fails in both worlds."""
    c = cls(t)
    top = c.MAX if c.BITS < 64 else 255
    for n in range(0, min(top, c.BITS + 3) + 1):
        for a in (c(1), c(c.MAX), c(c.MIN), c(-1), c(5)):
            for f in ("shl", "shr", "ishl", "ishr"):
                case.check(f"{f}_{t}", a, c(n), fork=False)
    if c.SIGNED:
        for f in ("shl", "shr"):
            out = case.check(f"{f}_{t}", c(1), c(-1))
            assert out.kind == "fault" and "negative shift" in out.detail
