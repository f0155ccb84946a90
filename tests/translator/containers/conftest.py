"""Fixtures: the case modules compiled once for the folder."""
from __future__ import annotations

from typing import Iterator

import pytest

from .harness import Case


@pytest.fixture(scope="package")
def hooks() -> Iterator[list]:
    """Nothing to install any more: the lowering has every hook containers need."""
    yield []


@pytest.fixture(scope="package")
def case(hooks: list) -> Case:
    """conts.py imported and JIT-compiled at O2."""
    return Case("conts.py")


@pytest.fixture(scope="package")
def case_o0(hooks: list) -> Case:
    """conts.py JIT-compiled without optimisation (the IR as lowered must be right on its own)."""
    return Case("conts.py", opt=0)


@pytest.fixture(scope="package")
def more(hooks: list) -> Case:
    """more.py imported and JIT-compiled at O2."""
    return Case("more.py")


@pytest.fixture(scope="package")
def more_o0(hooks: list) -> Case:
    """more.py JIT-compiled without optimisation."""
    return Case("more.py", opt=0)
