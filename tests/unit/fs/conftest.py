"""Shared fixtures for the file-system unit tests: fresh simulated memory per test."""

from typing import Iterator

import pytest

# kernel_arch first: it loads the kernel modules in the order their import cycles need.
import kernel_arch  # noqa: F401
from asterpy.lang import memory


@pytest.fixture(autouse=True)
def fresh_sim() -> Iterator[memory.SimMemory]:
    """Every test starts with empty simulated memory (archives are placed there)."""
    yield memory.reset_sim()
