"""Differential tests of evaluation order and of arguments kept alive while a call runs."""
from __future__ import annotations

import pytest

from .harness import Case


@pytest.fixture(scope="module")
def case() -> Case:
    """order.py imported and JIT-compiled once."""
    return Case("order.py")


@pytest.mark.parametrize("name", ["kw_order", "ctor_order", "aug_global_order"])
def test_evaluation_order(case: Case, name: str) -> None:
    """Keyword arguments (of calls and struct constructors) run in the order written; `g += f()` loads g first."""
    case.check(name)


@pytest.mark.parametrize("name", ["global_arg_rebound", "global_arg_rebound_in_callee", "field_receiver_freed"])
def test_arguments_survive_rebinding(case: Case, name: str) -> None:
    """An object passed from a global or a field stays alive while the call runs, even if the storage is rebound
    meanwhile (by a later argument or by the callee): drop lines come after the use, as in CPython."""
    case.check(name)
