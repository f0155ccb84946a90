"""Fixtures: the lowering hooks containers need (see shims.py) and the case module compiled once per session."""
from __future__ import annotations

from typing import Iterator

import pytest

from . import shims
from .harness import Case


@pytest.fixture(scope="session")
def hooks() -> Iterator[list]:
    """Install missing hooks for the session; yields what was missing."""
    gaps = shims.missing()
    remove = shims.install()
    yield gaps
    remove()


@pytest.fixture(scope="session")
def case(hooks: list) -> Case:
    """conts.py imported and JIT-compiled at O2."""
    return Case("conts.py")


@pytest.fixture(scope="session")
def case_o0(hooks: list) -> Case:
    """conts.py JIT-compiled without optimisation (the IR as lowered must be right on its own)."""
    return Case("conts.py", opt=0)


@pytest.fixture(scope="session")
def more(hooks: list) -> Case:
    """more.py imported and JIT-compiled at O2."""
    return Case("more.py")
