"""The vDSO keeps clock_gettime out of the kernel: with asterpy.strace=1 (every system call logged),
a loop of 1,000 clock_gettime calls (tests/user/t_vdso.c --loop, musl and glibc) logs no system call
between the two getppid calls that mark it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from bootbuild import SharedKernels
from images import QemuConfig, run_qemu

pytestmark = pytest.mark.boot

GETPPID = 110
CALL_RE = re.compile(r"\[pid \d+\] -> (\d+)\(")


@pytest.fixture(scope="module")
def image(default_initramfs: Path) -> Path:
    """The default image uncompressed (it holds /tests/<libc>/t_vdso)."""
    from images.initramfs import build_initramfs
    return build_initramfs("x86_64", out=default_initramfs.with_name("initramfs.cpio"), compress=False)


def calls_in_loop(output: str) -> list[int]:
    """The system calls logged between the first two getppid calls (ValueError without both)."""
    calls = [int(m.group(1)) for m in CALL_RE.finditer(output)]
    first = calls.index(GETPPID)
    second = calls.index(GETPPID, first + 1)
    return calls[first + 1:second]


def test_calls_in_loop_reads_the_trace() -> None:
    """The trace reader finds what lies between the markers (so an empty answer means something)."""
    text = ("[pid 1] -> 110()\n[pid 1] <- 110 = 0\n[pid 1] -> 228(0x1, 0x7ff0)\n"
            "[pid 1] <- 228 = 0\n[pid 1] -> 110()\n")
    assert calls_in_loop(text) == [228]
    with pytest.raises(ValueError):
        calls_in_loop("[pid 1] -> 110()\n")


@pytest.mark.parametrize("libc", ["musl", "glibc"])
def test_clock_gettime_loop_makes_no_system_call(shared_kernels: SharedKernels, image: Path, libc: str) -> None:
    """1,000 clock_gettime(CLOCK_MONOTONIC) through libc: no system call in the trace between the markers."""
    kernel = shared_kernels.get("x86_64")
    res = run_qemu(QemuConfig(kernel=kernel.kernel, accel="tcg", timeout=60.0, initrd=image,
                              cmdline=f"asterpy.exit=1 asterpy.strace=1 init=/tests/{libc}/t_vdso -- --loop 1000"))
    out = res.output.replace("\r", "")
    assert "loop of 1000 clock_gettime calls: monotonic" in out, out[-3000:]
    assert calls_in_loop(out) == [], out[-3000:]
