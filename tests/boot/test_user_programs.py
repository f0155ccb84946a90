"""Every user test program (tests/user/t_*.c, musl and glibc builds) run as init inside the kernel.

Each case boots the kernel under TCG with the default image's contents (one uncompressed copy,
built once per session; the selected programs boot side by side, ASTERPY_BOOT_JOBS at a time) and
`init=/tests/<libc>/t_xxx asterpy.exit=1 quiet` (or under busybox sh, for the few in UNDER_SHELL), then
asserts what the program printed last is `N passed, 0 failed` and that it exited 0 (the kernel
passes init's status to QEMU). Programs that cannot pass yet are listed in KNOWN_FAILING with what they wait
for: they are strict xfails, so the moment one passes the suite says so, and its entry goes.
"""
from __future__ import annotations

import os
import re
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import pytest

from bootbuild import SharedKernels
from translator.build import BuildResult
from images import QemuConfig, QemuResult, run_qemu
from images.cmdline import shell_command_cmdline

pytestmark = pytest.mark.boot

REPO = Path(__file__).resolve().parents[2]
USER_SRC = REPO / "tests" / "user"
LIBCS = ("musl", "glibc")
# Seconds one program may take under TCG before QEMU is stopped.
BOOT_TIMEOUT = float(os.environ.get("ASTERPY_USER_TEST_TIMEOUT", "30"))
# QEMUs at once (ASTERPY_BOOT_JOBS): TCG runs one guest CPU per host thread.
BOOT_JOBS = max(1, int(os.environ.get("ASTERPY_BOOT_JOBS", "0")) or min(4, os.cpu_count() or 1))
SUMMARY_RE = re.compile(r"^(\d+) passed, (\d+) failed$")

# "<libc>/<program>" -> why it cannot pass yet. Delete an entry once its program passes.
# (Empty today: every program passes. Add one, with its reason, when a program is added ahead of
# the kernel feature it tests.)
KNOWN_FAILING: dict[str, str] = {}
# Programs that need a parent: they run as `sh -c 'PROGRAM; exit $?'` instead of as init (pid 1
# has no parent: getppid() is 0, on Linux too). Program name -> why.
UNDER_SHELL: dict[str, str] = {
    "t_proc": "checks getppid() > 0",
}


def programs() -> list[str]:
    """The test programs' names (tests/user/t_*.c without .c), sorted."""
    return sorted(p.stem for p in USER_SRC.glob("t_*.c"))


def cases() -> list[object]:
    """One pytest param per (libc, program), a strict xfail where KNOWN_FAILING says so."""
    out: list[object] = []
    for libc in LIBCS:
        for prog in programs():
            key = f"{libc}/{prog}"
            marks = [pytest.mark.xfail(strict=True, reason=KNOWN_FAILING[key])] if key in KNOWN_FAILING else []
            out.append(pytest.param(libc, prog, id=key, marks=marks))
    return out


@pytest.fixture(scope="module")
def kernel(shared_kernels: SharedKernels) -> BuildResult:
    """The x86_64 kernel, built once per test session (conftest.py)."""
    return shared_kernels.get("x86_64")


@pytest.fixture(scope="module")
def image(default_initramfs: Path) -> Path:
    """The default image's members as an uncompressed archive: the kernel skips the gunzip."""
    from images.initramfs import build_initramfs
    return build_initramfs("x86_64", out=default_initramfs.with_name("initramfs.cpio"), compress=False)


@pytest.fixture(scope="module")
def image_names(image: Path) -> set[str]:
    """The paths in the image (without the leading '/')."""
    from images.initramfs import parse_newc
    return {m.name for m in parse_newc(image.read_bytes())}


def run_program(kernel: BuildResult, image: Path, path: str) -> QemuResult:
    """Boot with `path` as init, or under busybox sh for UNDER_SHELL (quietly, powering off with its status)."""
    if Path(path).name in UNDER_SHELL:
        cmdline = shell_command_cmdline(f"{path}; exit $?")  # not the last command: sh cannot exec it
    else:
        cmdline = f"asterpy.exit=1 quiet init={path}"
    return run_qemu(QemuConfig(kernel=kernel.kernel, accel="tcg", timeout=BOOT_TIMEOUT, initrd=image,
                               cmdline=cmdline))


@pytest.fixture(scope="module")
def boots(request: pytest.FixtureRequest, kernel: BuildResult, image: Path,
          image_names: set[str]) -> Iterator[dict[str, "Future[QemuResult]"]]:
    """Every selected program's boot, started at once on BOOT_JOBS workers (a hung program then
    costs its timeout alongside the others instead of after them); path -> its future."""
    paths = []
    for item in request.session.items:
        spec = getattr(item, "callspec", None)
        if item.module is request.module and spec is not None and "prog" in spec.params:
            path = f"/tests/{spec.params['libc']}/{spec.params['prog']}"
            if path[1:] in image_names:
                paths.append(path)
    with ThreadPoolExecutor(max_workers=BOOT_JOBS) as pool:
        futures = {path: pool.submit(run_program, kernel, image, path) for path in paths}
        yield futures
        for f in futures.values():
            f.cancel()


def last_line(text: str) -> str:
    """The last non-empty line of the serial output."""
    lines = [line for line in text.replace("\r", "").splitlines() if line.strip()]
    return lines[-1] if lines else ""


def test_known_failing_names_real_programs() -> None:
    """Every KNOWN_FAILING entry names a program that exists (no stale entries)."""
    real = {f"{libc}/{prog}" for libc in LIBCS for prog in programs()}
    assert set(KNOWN_FAILING) <= real, sorted(set(KNOWN_FAILING) - real)
    assert set(UNDER_SHELL) <= set(programs()), sorted(set(UNDER_SHELL) - set(programs()))


@pytest.mark.parametrize("libc,prog", cases())
def test_user_program(boots: dict[str, "Future[QemuResult]"], libc: str, prog: str) -> None:
    """The program runs to its summary with no failure and exits 0."""
    path = f"/tests/{libc}/{prog}"
    if path not in boots:
        pytest.skip(f"{path} is not in the image (no compiler for {libc}?)")
    r = boots[path].result()
    out = r.output.replace("\r", "")
    assert not r.timed_out, f"{path}: no exit within {BOOT_TIMEOUT:g} s\n{out[-3000:]}"
    m = SUMMARY_RE.match(last_line(out))
    assert m, f"{path}: the last line is not a summary\n{out[-3000:]}"
    assert m.group(2) == "0", f"{path}: {m.group(2)} failed\n{out[-3000:]}"
    assert r.exit_status == 0, f"{path}: exit status {r.exit_status} (QEMU {r.returncode})\n{out[-3000:]}"


OOM_KILL_RE = re.compile(r"^Out of memory: Killed process (\d+) \(t_oom\) total-vm:(\d+)kB, anon-rss:(\d+)kB, "
                         r"file-rss:(\d+)kB, shmem-rss:0kB, UID:0 pgtables:(\d+)kB oom_score_adj:0$", re.M)


@pytest.mark.parametrize("libc,prog", [(libc, "t_oom") for libc in LIBCS])
def test_oom_kills_are_logged_like_linux(boots: dict[str, "Future[QemuResult]"], libc: str, prog: str) -> None:
    """t_oom's boot (shared with test_user_program): the OOM killer ended one hog per scenario
    (A, B, C), never init, each with Linux's log line naming it and its footprint."""
    path = f"/tests/{libc}/{prog}"
    if path not in boots:
        pytest.skip(f"{path} is not in the image (no compiler for {libc}?)")
    out = boots[path].result().output.replace("\r", "")
    kills = OOM_KILL_RE.findall(out)
    assert len(kills) == 3, out[-3000:]
    pids = [int(k[0]) for k in kills]
    assert 1 not in pids and len(set(pids)) == 3, kills
    for _, total_vm, anon_rss, _, _ in kills:
        # Each hog held most of the 256 MiB guest when it was picked.
        assert int(anon_rss) > 128 * 1024 and int(total_vm) >= int(anon_rss), kills
