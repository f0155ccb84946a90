"""docs/syscalls.md is generated from the code: it must match what the generator makes now."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
GEN = REPO / "src" / "asterpy" / "syscall" / "matrix_gen.py"


def test_matrix_is_up_to_date() -> None:
    """Regenerate in check mode: a stale matrix fails with the command to run."""
    r = subprocess.run([sys.executable, str(GEN), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_supported_needs_a_handler_and_an_in_kernel_test() -> None:
    """Every row marked supported names an in-kernel test program."""
    for line in (REPO / "docs" / "syscalls.md").read_text().splitlines():
        if "| supported |" in line:
            cells = [c.strip() for c in line.strip("|").split("|")]
            assert cells[6] != "—", line   # name, 3 numbers, status, flags, in-kernel tests
