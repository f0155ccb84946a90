"""Shared fixtures for the kernel unit tests: fresh simulated memory and ports per test."""

from typing import Iterator

import pytest

from asterpy.lang import memory


@pytest.fixture(autouse=True)
def fresh_sim() -> Iterator[memory.SimMemory]:
    """Every test starts with empty simulated memory and no port devices."""
    yield memory.reset_sim()
    memory.reset_sim()
