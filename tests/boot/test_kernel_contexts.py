"""Kernel contexts on x86_64: switching stacks keeps each context's FPU/SSE state (fxsave64/fxrstor64)."""
from __future__ import annotations

import re

import pytest

from translator.build import BuildResult
from bootbuild import SharedKernels
from images import KERNEL_EXIT_PASS, QemuConfig, run_qemu

pytestmark = pytest.mark.boot

KEPT = re.compile(r"^\[ *\d+\.\d{6}\] info: fpu: per-context FPU/SSE state kept across 6 switches between 3 contexts$", re.M)


@pytest.fixture(scope="module")
def kernel(shared_kernels: SharedKernels) -> BuildResult:
    """The x86_64 kernel from arch/x86_64/entry.py, built once per test session (conftest.py)."""
    return shared_kernels.get("x86_64")


def test_each_context_keeps_its_own_xmm0(kernel: BuildResult) -> None:
    """Three contexts each load their own value into xmm0 and find it again after the others ran."""
    result = run_qemu(QemuConfig(kernel=kernel.kernel, accel="tcg", timeout=30.0, cmdline="asterpy.exit=1 asterpy.selftest=fpu"))
    out = result.output.replace("\r", "")
    assert result.exit_status == KERNEL_EXIT_PASS, out
    assert KEPT.search(out), out
    assert "lost their FPU state" not in out and "found xmm0" not in out
