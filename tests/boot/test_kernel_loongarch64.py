"""Build the real kernel for loongarch64 and boot it under QEMU virt (no firmware): banner, memory, time, traps."""
from __future__ import annotations

import re
import tomllib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from translator.build import BuildResult
from bootbuild import SharedKernels
from translator.cli import cmdline_fw_cfg_args
from images import QemuConfig, QemuResult, run_qemu

pytestmark = pytest.mark.boot

REPO = Path(__file__).resolve().parents[2]
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]

BANNER = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?asterpy (?P<version>\S+) \((?P<arch>\w+), booted via (?P<proto>\w+)\)$", re.M)
MEMORY = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?memory: (?P<mib>\d+) MiB usable$", re.M)
CMDLINE = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?cmdline: (?P<text>.*)$", re.M)
FRAMES = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?frames: (?P<free>\d+) free$", re.M)
HEAP = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?heap: (?P<mib>\d+) MiB$", re.M)
CLOCK_RATE = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?stable counter: (?P<mhz>\d+) MHz$", re.M)
TICKS = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?timer: (?P<ticks>\d+) ticks in (?P<ms>\d+) ms$", re.M)
CLOCK = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?clock: monotonic advanced (?P<ns>\d+) ns$", re.M)
RTC = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?rtc: (?P<date>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC$", re.M)
PAGING = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?paging: kernel W\^X, direct map (?P<mib>\d+) MiB$", re.M)
DONE = re.compile(r"asterpy: exit (PASS|FAIL \(status 0x[0-9a-f]+\))\r?\n")


@pytest.fixture(scope="module")
def kernel(shared_kernels: SharedKernels) -> BuildResult:
    """The loongarch64 kernel from arch/loongarch64/entry.py, built once per test session (conftest.py)."""
    return shared_kernels.get("loongarch64")


def _boot(kernel: BuildResult, cmdline: str, memory_mb: int = 1024, timeout: float = 30.0, **kw: Any) -> QemuResult:
    """Boot on QEMU virt under TCG, the command line also as fw_cfg opt/asterpy/cmdline (as `asterpy run`)."""
    return run_qemu(QemuConfig(arch="loongarch64", kernel=kernel.kernel, cmdline=cmdline, accel="tcg",
                               memory_mb=memory_mb, timeout=timeout,
                               extra_args=tuple(cmdline_fw_cfg_args("loongarch64", cmdline)), **kw),
                    until=DONE)


def _field(rx: "re.Pattern[str]", result: QemuResult) -> dict[str, str]:
    """rx's named groups in the serial output; fails with the output if it is missing."""
    m = rx.search(result.output.replace("\r", ""))
    assert m, (f"{rx.pattern!r} not in the output (rc={result.returncode}, timed_out={result.timed_out})\n"
               f"serial:\n{result.output[-3000:]}\nstderr:\n{result.stderr[-2000:]}")
    return m.groupdict()


@pytest.mark.parametrize("memory_mb", [1024, 2048])
def test_boots_to_banner_memory_and_time(kernel: BuildResult, memory_mb: int) -> None:
    """Banner, memory (low 256 MiB + fw_cfg RAM size), command line, frames, heap, stable counter, ticks, PASS."""
    result = _boot(kernel, "asterpy.exit=1 hello loongarch", memory_mb=memory_mb)
    assert _field(BANNER, result) == {"version": VERSION, "arch": "loongarch64", "proto": "qemu"}
    assert int(_field(MEMORY, result)["mib"]) == memory_mb
    assert _field(CMDLINE, result)["text"] == "asterpy.exit=1 hello loongarch"
    free = int(_field(FRAMES, result)["free"])
    assert (memory_mb - 8) * 256 <= free <= memory_mb * 256
    assert int(_field(HEAP, result)["mib"]) == 16
    assert int(_field(CLOCK_RATE, result)["mhz"]) == 100  # QEMU's constant counter
    assert int(_field(PAGING, result)["mib"]) == memory_mb  # the kernel's tables: direct map of all RAM
    # The LS7A RTC gives the host's date (QEMU's default -rtc base=utc).
    rtc = datetime.strptime(_field(RTC, result)["date"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    assert abs((rtc - datetime.now(timezone.utc)).total_seconds()) < 600
    assert int(_field(TICKS, result)["ticks"]) > 0
    ns = int(_field(CLOCK, result)["ns"])
    assert 50_000_000 <= ns < 1_000_000_000
    assert "asterpy: exit PASS" in result.output
    assert result.returncode == 0  # powered off through GED


def test_panic_prints_a_symbolized_backtrace(kernel: BuildResult) -> None:
    """asterpy.fault=panic: the message, a backtrace through kpy_panic_halt and kmain with file:line, FAIL."""
    result = _boot(kernel, "asterpy.fault=panic")
    out = result.output.replace("\r", "")
    assert "deliberate panic (asterpy.fault=panic on the command line)" in out, out[-3000:]
    assert re.search(r"#0 0xffffffff80[0-9a-f]{6} in kpy_panic_halt at arch/loongarch64/console\.py:\d+", out), out
    assert re.search(r"#\d 0xffffffff80[0-9a-f]{6} in kmain at arch/loongarch64/entry\.py:\d+", out), out
    assert "kernel halted" in out
    assert "asterpy: exit FAIL (status 0x11)" in out


def test_breakpoint_prints_the_trap_report(kernel: BuildResult) -> None:
    """asterpy.fault=trap: the exception entry reports ESTAT/ERA/BADV and a symbolized backtrace, FAIL."""
    result = _boot(kernel, "asterpy.fault=trap")
    out = result.output.replace("\r", "")
    assert "panic: CPU exception BRK breakpoint (ecode 0xc" in out, out[-3000:]
    assert re.search(r"era 0xffffffff80[0-9a-f]{6}", out), out
    assert re.search(r"#0 0xffffffff80[0-9a-f]{6} in arch\.loongarch64\.traps\.deliberate_fault at "
                     r"arch/loongarch64/traps\.py:\d+", out), out
    assert re.search(r"in kmain at arch/loongarch64/entry\.py:\d+", out), out
    assert "asterpy: exit FAIL (status 0x11)" in out


@pytest.mark.parametrize("word", ["asterpy.wx=text", "asterpy.wx=ro"])
def test_wx_probes_fault(kernel: BuildResult, word: str) -> None:
    """asterpy.wx=text|ro write to the image through the kernel's tables: a PME (page modified) report, FAIL.

    asterpy.wx=nx is not tested here: QEMU 7.2 never delivers the page-not-executable exception (it
    re-reads the faulting instruction for BADI, which faults again), so the probe would hang.
    """
    result = _boot(kernel, word)
    out = result.output.replace("\r", "")
    assert "panic: CPU exception PME page modified (ecode 0x4" in out, out[-3000:]
    m = re.search(r"badv (0x[0-9a-f]{16})", out)
    assert m and int(m.group(1), 16) >= 0xFFFFFFFF80200000, out[-3000:]
    assert re.search(r"in asterpy\.kernel\.main\.run_wx_probes at src/asterpy/kernel/main\.py:\d+", out), out
    assert "asterpy: exit FAIL (status 0x11)" in out
