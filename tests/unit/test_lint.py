"""ruff's pyflakes checks (pyproject.toml [tool.ruff]) hold over the whole tree: no unused imports or
variables, no undefined names, in the kernel, the translator, the tools and the tests."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TREES = ["src", "arch", "translator", "images", "benchmarks", "conformance", "tests"]


def test_ruff_check_is_clean() -> None:
    try:
        import ruff  # noqa: F401
    except ImportError:
        pytest.fail("ruff is not installed: run ./dev setup (it is a dependency in pyproject.toml)")
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "concise", *TREES],
                          cwd=REPO, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"ruff check found problems (fix them, or `ruff check --fix`):\n{proc.stdout}{proc.stderr}"
