"""The bounded syscall-fuzz run of CI: tests/fuzz/sysfuzz as init for 30,000 calls (two seeds).

The run must end (the fuzzer's final line printed within its timeout), with no panic in the kernel
log, no task that outlived SIGKILL, and the kernel heap and free memory back near their figures
after the first batch (images/fuzz.py judges; `asterpy fuzz` is the long run).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from bootbuild import SharedKernels
from images.fuzz import FUZZER, run_fuzz
from images.initramfs import parse_newc

pytestmark = pytest.mark.boot

CALLS = 30_000


@pytest.fixture(scope="module")
def image(default_initramfs: Path) -> Path:
    """The default image, uncompressed; it must hold the fuzzer."""
    from images.initramfs import build_initramfs
    out = build_initramfs("x86_64", out=default_initramfs.with_name("initramfs.cpio"), compress=False)
    names = {m.name for m in parse_newc(out.read_bytes())}
    if FUZZER[1:] not in names:
        pytest.skip("the fuzzer is not in the image (no zig cc?)")
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_fuzz_bounded(shared_kernels: SharedKernels, image: Path, seed: int) -> None:
    """CALLS random and structured syscalls: 0 panics, 0 hangs, no leak, and the calls were made."""
    kernel = shared_kernels.get("x86_64").kernel
    run = run_fuzz(kernel, image, CALLS, seed, accel="tcg", timeout=240)
    problems = run.problems()
    assert not problems, f"{run.summary()}\n" + "\n".join(problems) + "\n--- tail ---\n" + run.output[-3000:]
    assert int(run.final["calls"]) >= CALLS, run.summary()
