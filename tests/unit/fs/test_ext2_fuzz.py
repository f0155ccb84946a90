"""The ext2 fuzzer in CI: a few hundred mutated images mounted, walked, read and written
(tests/unit/fs/ext2_fuzz.py; EXT2_FUZZ_CASES=N runs N instead)."""

import os
from pathlib import Path

import pytest

from ext2_fuzz import base_images, run_cases
from fs_sim import Sys, fs_world, sysc  # noqa: F401

CASES = int(os.environ.get("EXT2_FUZZ_CASES", "75"))
BATCH = 25


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> list:
    """The three unmutated images."""
    return base_images(tmp_path_factory.mktemp("ext2base"))


@pytest.mark.parametrize("batch", range((CASES + BATCH - 1) // BATCH))
def test_fuzz_batch(sysc: Sys, bases: list, tmp_path: Path, batch: int) -> None:
    """One batch of cases on a fresh kernel heap: no Python exception, no hang."""
    n = min(BATCH, CASES - batch * BATCH)
    assert run_cases(sysc, bases, tmp_path, batch, n) == n
