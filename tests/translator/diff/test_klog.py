"""The kernel log built-ins print the same text natively as under CPython (prefix, levels, kwrite pieces)."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asterpy.lang import u32

from .harness import Case


@pytest.fixture(scope="module")
def case() -> Case:
    """klog.py imported and JIT-compiled once."""
    return Case("klog.py")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(x=st.integers(0, 2**32 - 1))
def test_log_lines_match_cpython(case: Case, x: int) -> None:
    """Same console text, line for line, in both worlds; the field's own output comes before the prefix."""
    case.check("log_all", u32(x))
    lines = case.run_py("log_all", u32(x)).output
    assert lines[0] == f"noisy {x}" and lines[1].startswith("[    0.000000] info: info ")
    assert lines[-1] == f"part {x} end"
