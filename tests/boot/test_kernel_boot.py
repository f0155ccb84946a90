"""Build the real Kernel Python kernel and boot it under QEMU/TCG: multiboot1, PVH and GRUB multiboot2."""
from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path
from typing import Any, Optional

import pytest

from translator.build import BuildResult, build_kernel
from bootbuild import SharedKernels
from images import KERNEL_EXIT_PASS, QemuConfig, QemuResult, make_grub_iso, run_qemu

pytestmark = pytest.mark.boot

REPO = Path(__file__).resolve().parents[2]
QBOOT = "/usr/share/qemu/qboot.rom"
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]

BANNER = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?asterpy (?P<version>\S+) \((?P<arch>\w+), booted via (?P<proto>\w+)\)$", re.M)
MEMORY = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?memory: (?P<mib>\d+) MiB usable$", re.M)
CMDLINE = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?cmdline: (?P<text>.*)$", re.M)
FRAMES = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?frames: (?P<free>\d+) free$", re.M)


@pytest.fixture(scope="module")
def kernel(shared_kernels: SharedKernels) -> BuildResult:
    """The x86_64 kernel from arch/x86_64/entry.py, built once per test session (conftest.py)."""
    return shared_kernels.get("x86_64")


def _boot(timeout: float = 15.0, until: Optional["re.Pattern[str]"] = None, **kw: Any) -> QemuResult:
    """Boot under TCG and return the captured result."""
    return run_qemu(QemuConfig(accel="tcg", timeout=timeout, **kw), until=until)


def _report(result: QemuResult) -> dict[str, str]:
    """The kernel's four start-up lines as named fields; fails with QEMU's output if one is missing."""
    found: dict[str, str] = {}
    # GRUB's serial terminal ends its lines with LF CR, so a stray CR may start our first line.
    text = result.output.replace("\r", "")
    for rx in (BANNER, MEMORY, CMDLINE, FRAMES):
        m = rx.search(text)
        assert m, (f"{rx.pattern!r} not in the output (rc={result.returncode}, "
                   f"timed_out={result.timed_out})\nserial:\n{result.output[-2000:]}\n"
                   f"stderr:\n{result.stderr[-2000:]}")
        found.update(m.groupdict())
    return found


def _check(result: QemuResult, proto: str, memory_mb: int, cmdline: str) -> dict[str, str]:
    """The run printed the banner for proto, about memory_mb MiB, the command line, and exited PASS."""
    rep = _report(result)
    assert rep["version"] == VERSION
    assert rep["arch"] == "x86_64"
    assert rep["proto"] == proto
    mib = int(rep["mib"])
    # Firmware keeps a little: the EBDA, the 640K-1M hole, ACPI tables or the top page.
    assert memory_mb - 4 <= mib <= memory_mb, f"memory: {mib} MiB usable with -m {memory_mb}"
    assert rep["text"] == cmdline
    free = int(rep["free"])
    # Everything usable above 1 MiB, minus the kernel, the bitmap and the heap arena (< 2 MiB).
    assert (mib - 3) * 256 <= free <= mib * 256, f"frames: {free} free of {mib} MiB"
    assert result.exit_status == KERNEL_EXIT_PASS, (
        f"no isa-debug-exit PASS (rc={result.returncode})\n{result.output}\n{result.stderr}")
    assert "panic" not in result.output
    return rep


def test_build_outputs(kernel: BuildResult) -> None:
    """The build produced both ELFs and timed every stage."""
    assert kernel.kernel.is_file() and kernel.kernel_pvh is not None and kernel.kernel_pvh.is_file()
    # The session's build is skipped when nothing changed since the last one (ASTERPY_TEST_REBUILD=1
    # forces it): then no stage ran.
    assert kernel.up_to_date or set(kernel.timings) == {"translate", "emit", "assemble", "link"}


def test_multiboot1_microvm(kernel: BuildResult) -> None:
    """QEMU -kernel takes the multiboot1 header; the first word (the file name) is not in cmdline."""
    cmdline = "console=ttyS0 root=/dev/ram0 asterpy.exit=1"
    result = _boot(kernel=kernel.kernel, cmdline=cmdline, memory_mb=256)
    _check(result, "multiboot1", 256, cmdline)


def test_pvh_microvm(kernel: BuildResult) -> None:
    """The image without the multiboot1 header boots through the PVH note."""
    cmdline = "asterpy.exit=1 pvh-test"  # any word but `quiet`, which hides the lines checked
    result = _boot(kernel=kernel.kernel_pvh, cmdline=cmdline, memory_mb=128)
    _check(result, "pvh", 128, cmdline)


@pytest.mark.skipif(not Path(QBOOT).is_file(), reason="qboot.rom not installed")
def test_multiboot1_pc_qboot_more_memory(kernel: BuildResult) -> None:
    """On the pc board (640K-1M hole, ACPI) with 512 MiB the memory map is still read right."""
    cmdline = "asterpy.exit=1"
    result = _boot(kernel=kernel.kernel, cmdline=cmdline, memory_mb=512, machine="pc", bios=QBOOT)
    _check(result, "multiboot1", 512, cmdline)


def test_multiboot1_with_module(kernel: BuildResult, tmp_path: Path) -> None:
    """A module (initrd) placed after the kernel is kept out of the free frames."""
    initrd = tmp_path / "initrd.bin"
    initrd.write_bytes(b"\xa5" * (3 * 1024 * 1024))
    without = _report(_boot(kernel=kernel.kernel, cmdline="asterpy.exit=1", memory_mb=256))
    with_mod = _report(_boot(kernel=kernel.kernel, cmdline="asterpy.exit=1", memory_mb=256, initrd=initrd))
    # 3 MiB = 768 frames, plus the module's page-rounded end and its string.
    assert int(without["free"]) - int(with_mod["free"]) >= 768


def test_no_exit_word_keeps_running(kernel: BuildResult) -> None:
    """Without asterpy.exit=1 the kernel halts instead of powering off: QEMU is still there at the timeout."""
    result = _boot(kernel=kernel.kernel, cmdline="console=ttyS0", timeout=10.0,
                   until=re.compile(r"frames: \d+ free\n"))
    assert result.matched, result.output
    rep = _report(result)
    assert rep["text"] == "console=ttyS0"
    assert result.exit_status is None


def test_grub_iso_multiboot2(kernel: BuildResult, tmp_path: Path) -> None:
    """GRUB's multiboot2 hands over a tag list: same banner, memory and command line."""
    if shutil.which("grub-mkrescue") is None:
        pytest.skip("grub-mkrescue not installed")
    cmdline = "console=ttyS0 asterpy.exit=1"
    iso = make_grub_iso(kernel.kernel, tmp_path / "asterpy.iso", cmdline=cmdline)
    result = _boot(cdrom=iso, memory_mb=256, timeout=30.0)
    _check(result, "multiboot2", 256, cmdline)


PANIC_ENTRY = '''\
"""A kmain that panics at once: the console and panic hooks of arch/x86_64/console.py at work."""
from asterpy.lang import panic, u64
from asterpy.lang.linkage import export

import arch.x86_64.console as console
import arch.x86_64.memfuncs as memfuncs
import kernel_arch  # the arch interface: among others, the clock the kernel log stamps lines with
import kernel_glue  # the composition root: the SYSCALL stub in kernel_arch's closure calls its x86_syscall
from arch.x86_64.serial import serial_init


@export("kmain")
def kmain(magic: u64, info: u64) -> None:
    """Say hello, then panic."""
    serial_init()
    panic(f"test panic, magic {magic:#x}")
'''


def test_panic_prints_and_reports_failure(tmp_path: Path) -> None:
    """panic() prints its message and position through kpy_console_write, then kpy_panic_halt halts:
    with no command line (no asterpy.exit=1, Linux's default panic=0) it waits for good, no exit status."""
    entry = tmp_path / "panic_entry.py"
    entry.write_text(PANIC_ENTRY)
    built = build_kernel("x86_64", out=tmp_path / "out", entry=entry, pvh=False)
    result = _boot(kernel=built.kernel, until=re.compile("kernel halted"))
    assert "test panic, magic 0x2badb002" in result.output, result.output
    assert f"{entry}:" in result.output
    assert "kernel halted" in result.output
    assert result.exit_status is None, result.output
