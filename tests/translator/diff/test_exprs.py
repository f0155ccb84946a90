"""Differential tests of random integer expression trees (generated once by cases/gen_exprs.py)."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asterpy.lang import ints

from .cases.gen_exprs import PER_TYPE, TYPES, source
from .harness import CASES, Case

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def case() -> Case:
    """exprs.py, checked to be what gen_exprs.py generates, imported and JIT-compiled once."""
    assert (CASES / "exprs.py").read_text() == source(), "exprs.py is stale: run tests/translator/diff/cases/gen_exprs.py"
    return Case("exprs.py")


def values(t: str) -> st.SearchStrategy:
    """Values of type t, biased towards the edges."""
    c = getattr(ints, t)
    edges = sorted({0, 1, 2, 7, c.MAX, c.MIN, c.MAX - 1, c.BITS} | ({c(-1), -2} if c.SIGNED else set()))
    return st.one_of(st.sampled_from(edges), st.integers(c.MIN, c.MAX)).map(c)


@pytest.mark.parametrize("t", TYPES)
def test_expression_trees(case: Case, t: str) -> None:
    """Nested operators, conversions through other widths, conditional expressions and literals agree with CPython
    (inputs where CPython fails, e.g. a zero divisor, are checked to fail there only; test_ints covers the panics)."""
    @SETTINGS
    @given(a=values(t), b=values(t), c=values(t))
    def run(a: int, b: int, c: int) -> None:
        for k in range(PER_TYPE):
            case.check(f"e{k}_{t}", a, b, c, fork=False)
    run()
