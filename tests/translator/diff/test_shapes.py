"""Differential tests of generated functions in the shapes of issue 25 (cases/gen_shapes.py), at -O0 and -O2.

Literals in annotated locals, Final constants, defaults, arguments and return values, min/max, conditional
branches, int(x), range() loop variables, literal shift counts and literal-only comparisons: both worlds agree.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asterpy.lang import ints, u8

from .cases.gen_shapes import PER_TYPE, TYPES, source
from .harness import CASES, Case

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module", params=[0, 2], ids=["O0", "O2"])
def case(request: pytest.FixtureRequest) -> Case:
    """shapes.py, checked to be what gen_shapes.py generates, imported and JIT-compiled."""
    assert (CASES / "shapes.py").read_text() == source(), "shapes.py is stale: run tests/translator/diff/cases/gen_shapes.py"
    return Case("shapes.py", opt=request.param)


def values(t: str) -> st.SearchStrategy:
    """Values of type t, biased towards the edges."""
    c = getattr(ints, t)
    edges = sorted({0, 1, 2, 7, c.MAX, c.MIN, c.MAX - 1, c.BITS} | ({c(-1), -2} if c.SIGNED else set()))
    return st.one_of(st.sampled_from(edges), st.integers(c.MIN, c.MAX)).map(c)


@pytest.mark.parametrize("t", TYPES)
def test_generated_shapes(case: Case, t: str) -> None:
    """Every generated function agrees with CPython (inputs where CPython fails are checked to fail there only)."""
    @SETTINGS
    @given(a=values(t), b=values(t), n=st.integers(0, 255).map(u8))
    def run(a: int, b: int, n: int) -> None:
        for k in range(PER_TYPE):
            case.check(f"s{k}_{t}", a, b, n, fork=False)
            case.check(f"h{k}_{t}", a, b, fork=False)
    run()


def test_every_function_returns_a_typed_value(case: Case) -> None:
    """Under CPython the results are the runtime library's fixed-width values, never plain ints (which would not wrap)."""
    for t in TYPES:
        cls = getattr(ints, t)
        for k in range(PER_TYPE):
            r = case.run_py(f"lit{k}_{t}")
            assert type(r.value) is cls, f"lit{k}_{t}() gave {r.value!r}"
            r = case.run_py(f"s{k}_{t}", cls(1), cls(2), u8(3))
            assert r.kind != "value" or type(r.value) is cls, f"s{k}_{t} gave {r.value!r}"
