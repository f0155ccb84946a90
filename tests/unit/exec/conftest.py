"""Shared fixtures for the exec (ELF) unit tests: fresh simulated memory per test."""

from typing import Iterator

import pytest

from asterpy.lang import memory


@pytest.fixture(autouse=True)
def fresh_sim() -> Iterator[memory.SimMemory]:
    """Every test starts with empty simulated memory (ELF files are placed there)."""
    yield memory.reset_sim()
