"""Shared fixtures for the memory-management unit tests: fresh simulated memory per test."""

from typing import Iterator

import pytest

from asterpy.lang import memory


@pytest.fixture(autouse=True)
def fresh_sim() -> Iterator[memory.SimMemory]:
    """Every test starts with empty simulated memory (the heap and bitmaps live there)."""
    yield memory.reset_sim()
