"""Shared fixtures: one zig cache for the whole session, and per-arch artifacts built once."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

from translator.toolchain import DEFAULT_ZIG_CACHE

ARCHES = ("x86_64", "riscv64", "loongarch64")


@pytest.fixture(scope="session", autouse=True)
def zig_cache() -> Iterator[Path]:
    """Point every zig run of the session at one cache (the repo's .cache/zig unless set)."""
    # zig's first run per target fills its cache (~30 s); sharing one directory pays that once.
    cache = Path(os.environ.get("ZIG_GLOBAL_CACHE_DIR") or DEFAULT_ZIG_CACHE)
    cache.mkdir(parents=True, exist_ok=True)
    mp = pytest.MonkeyPatch()
    mp.setenv("ZIG_GLOBAL_CACHE_DIR", str(cache))
    mp.setenv("ZIG_LOCAL_CACHE_DIR", os.environ.get("ZIG_LOCAL_CACHE_DIR") or str(cache))
    yield cache
    mp.undo()


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory shared by session-scoped builds."""
    return tmp_path_factory.mktemp("backend")
