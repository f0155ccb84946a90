"""Fixtures for the benchmark tests: the Kernel Python routines module and fresh simulated memory."""
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from asterpy.lang import memory

BENCH_DIR = Path(__file__).resolve().parents[3] / "benchmarks"


def load_module(name: str, path: Path) -> ModuleType:
    """Import the file at path as module `name` (benchmarks/ is not a package)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def routines() -> ModuleType:
    """benchmarks/routines/kpy_routines.py, imported under CPython."""
    return load_module("kpy_routines", BENCH_DIR / "routines" / "kpy_routines.py")


@pytest.fixture(scope="session")
def gen_program() -> ModuleType:
    """benchmarks/gen_program.py, the program generator."""
    return load_module("gen_program", BENCH_DIR / "gen_program.py")


@pytest.fixture(scope="session")
def translator_bench() -> ModuleType:
    """benchmarks/translator_bench.py, for its pure helpers (parsing and reporting)."""
    return load_module("translator_bench", BENCH_DIR / "translator_bench.py")


@pytest.fixture
def sim() -> memory.SimMemory:
    """A fresh simulated memory for one test (hypothesis examples in it allocate fresh regions)."""
    return memory.reset_sim()
