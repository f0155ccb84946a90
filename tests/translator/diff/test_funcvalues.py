"""Differential tests of function values: Callable locals, constant tables of functions, indirect calls."""
from __future__ import annotations

import pytest

from asterpy.lang import u64

from .harness import Case


@pytest.fixture(scope="module")
def case() -> Case:
    """funcvalues.py imported and JIT-compiled once."""
    return Case("funcvalues.py")


def test_table_of_functions(case: Case) -> None:
    """OPS[i](a, b) reaches each function; a raising one raises through the call; out of range panics."""
    case.check("via_table", u64(0), u64(5), u64(7))
    case.check("via_table", u64(1), u64(5), u64(7))
    case.check("via_table", u64(2), u64(5), u64(7))
    case.check("caught", u64(0))
    case.check("caught", u64(1))
    case.check("caught", u64(2))
    case.check("via_table", u64(3), u64(1), u64(1))  # past the end: IndexError / panic


def test_callable_local(case: Case) -> None:
    """A Callable local chosen at run time, and a constant table of integers."""
    case.check("via_local", u64(2), u64(9))
    case.check("via_local", u64(9), u64(2))
