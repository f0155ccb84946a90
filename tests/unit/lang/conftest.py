"""Shared fixtures for the runtime-library tests: every test starts with fresh simulated memory."""

from typing import Iterator

import pytest

from asterpy.lang import memory


@pytest.fixture(autouse=True)
def fresh_sim() -> Iterator[memory.SimMemory]:
    """A fresh SimMemory (no mappings, MMIO or port devices) for each test."""
    yield memory.reset_sim()
    memory.reset_sim()
