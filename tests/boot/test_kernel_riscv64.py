"""Build the real kernel for riscv64 and boot it under QEMU virt with OpenSBI: banner, memory, time, traps."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from translator.build import BuildResult
from bootbuild import SharedKernels
from images import KERNEL_EXIT_FAIL, KERNEL_EXIT_PASS, QemuConfig, QemuResult, run_qemu

pytestmark = pytest.mark.boot

REPO = Path(__file__).resolve().parents[2]
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]

BANNER = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?asterpy (?P<version>\S+) \((?P<arch>\w+), booted via (?P<proto>\w+)\)$", re.M)
MEMORY = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?memory: (?P<mib>\d+) MiB usable$", re.M)
CMDLINE = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?cmdline: (?P<text>.*)$", re.M)
FRAMES = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?frames: (?P<free>\d+) free$", re.M)
HEAP = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?heap: (?P<mib>\d+) MiB$", re.M)
CLOCK_RATE = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?time: (?P<mhz>\d+) MHz$", re.M)
RTC = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?rtc: (?P<date>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC$", re.M)
TICKS = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?timer: (?P<ticks>\d+) ticks in (?P<ms>\d+) ms$", re.M)
CLOCK = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?clock: monotonic advanced (?P<ns>\d+) ns$", re.M)


@pytest.fixture(scope="module")
def kernel(shared_kernels: SharedKernels) -> BuildResult:
    """The riscv64 kernel from arch/riscv64/entry.py, built once per test session (conftest.py)."""
    return shared_kernels.get("riscv64")


def _boot(kernel: BuildResult, cmdline: str, timeout: float = 30.0, **kw: Any) -> QemuResult:
    """Boot the kernel on QEMU virt (OpenSBI) under TCG and return the captured result."""
    return run_qemu(QemuConfig(arch="riscv64", kernel=kernel.kernel, cmdline=cmdline, accel="tcg",
                               timeout=timeout, **kw))


def _field(rx: "re.Pattern[str]", result: QemuResult) -> dict[str, str]:
    """rx's named groups in the serial output; fails with the output if it is missing."""
    m = rx.search(result.output.replace("\r", ""))
    assert m, (f"{rx.pattern!r} not in the output (rc={result.returncode}, timed_out={result.timed_out})\n"
               f"serial:\n{result.output[-3000:]}\nstderr:\n{result.stderr[-2000:]}")
    return m.groupdict()


@pytest.mark.parametrize("memory_mb", [256, 512])
def test_boots_to_banner_memory_and_time(kernel: BuildResult, memory_mb: int) -> None:
    """Banner, memory from the FDT, bootargs, frames and heap, time CSR clock, RTC, SBI timer ticks, PASS."""
    result = _boot(kernel, "asterpy.exit=1 hello riscv", memory_mb=memory_mb)
    banner = _field(BANNER, result)
    assert banner == {"version": VERSION, "arch": "riscv64", "proto": "opensbi"}
    # The FDT's /memory node is all of -m (OpenSBI's 2 MiB and the kernel are reserved, not removed).
    assert int(_field(MEMORY, result)["mib"]) == memory_mb
    assert _field(CMDLINE, result)["text"] == "asterpy.exit=1 hello riscv"
    free = int(_field(FRAMES, result)["free"])
    assert (memory_mb - 8) * 256 <= free <= memory_mb * 256
    heap = int(_field(HEAP, result)["mib"])
    assert heap == min(16, memory_mb // 16)
    assert int(_field(CLOCK_RATE, result)["mhz"]) == 10  # QEMU virt's timebase-frequency
    _field(RTC, result)
    ticks = _field(TICKS, result)
    assert int(ticks["ticks"]) > 0
    ns = int(_field(CLOCK, result)["ns"])
    assert 50_000_000 <= ns < 1_000_000_000
    assert result.exit_status == KERNEL_EXIT_PASS, result.output[-2000:]


def test_panic_prints_a_symbolized_backtrace(kernel: BuildResult) -> None:
    """asterpy.fault=panic: the message, a backtrace through kpy_panic_halt and kmain with file:line, FAIL status."""
    result = _boot(kernel, "asterpy.fault=panic")
    out = result.output.replace("\r", "")
    assert "deliberate panic (asterpy.fault=panic on the command line)" in out, out[-3000:]
    assert "\nbacktrace:\n" in out
    assert re.search(r"#0 0xffffffff[0-9a-f]{8} in kpy_panic_halt at arch/riscv64/console\.py:\d+", out), out
    assert re.search(r"#\d 0xffffffff[0-9a-f]{8} in kmain at arch/riscv64/entry\.py:\d+", out), out
    assert "kernel halted" in out
    assert result.exit_status == KERNEL_EXIT_FAIL


def test_page_fault_prints_the_trap_report(kernel: BuildResult) -> None:
    """asterpy.fault=trap: the S-mode vector reports scause/sepc/stval and a symbolized backtrace, FAIL status."""
    result = _boot(kernel, "asterpy.fault=trap")
    out = result.output.replace("\r", "")
    assert "panic: CPU exception load page fault (scause 0xd)" in out, out[-3000:]
    assert re.search(r"sepc 0xffffffff[0-9a-f]{8}  stval 0x0000000000001000", out), out
    assert re.search(r"#0 0xffffffff[0-9a-f]{8} in arch\.riscv64\.traps\.deliberate_fault at "
                     r"arch/riscv64/traps\.py:\d+", out), out
    assert re.search(r"in kmain at arch/riscv64/entry\.py:\d+", out), out
    assert result.exit_status == KERNEL_EXIT_FAIL


PAGING = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?paging: kernel W\^X, direct map (?P<mib>\d+) MiB$", re.M)
PLIC = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?plic: uart irq 10 enabled for hart 0's S-mode context$", re.M)
PLIC_TAKEN = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?plic: uart irq 10 taken, claimed and completed$", re.M)


def test_kernel_tables_and_plic(kernel: BuildResult) -> None:
    """kernel_main's own Sv39 tables replace the shim's (direct map = the FDT's RAM); the PLIC delivers the UART's interrupt."""
    result = _boot(kernel, "asterpy.exit=1", memory_mb=256)
    assert int(_field(PAGING, result)["mib"]) == 256
    _field(PLIC, result)
    _field(PLIC_TAKEN, result)  # the self-test: transmitter-empty interrupt, claimed and completed
    assert int(_field(TICKS, result)["ticks"]) > 0  # the timer still ticks on the kernel's tables
    assert result.exit_status == KERNEL_EXIT_PASS, result.output[-2000:]


@pytest.mark.parametrize("word, cause, what", [
    ("asterpy.wx=text", "store page fault (scause 0xf)", "__text_start"),    # .text is read-only
    ("asterpy.wx=ro", "store page fault (scause 0xf)", "__rodata_start"),    # .rodata is read-only
    ("asterpy.wx=nx", "instruction page fault (scause 0xc)", None),         # the direct map is not executable
])
def test_wx_probes_fault(kernel: BuildResult, word: str, cause: str, what: str | None) -> None:
    """asterpy.wx=text|ro|nx break W^X on purpose after the kernel tables are loaded: each ends in a page fault report."""
    result = _boot(kernel, word)
    out = result.output.replace("\r", "")
    assert f"panic: CPU exception {cause}" in out, out[-3000:]
    m = re.search(r"sepc (0x[0-9a-f]{16})  stval (0x[0-9a-f]{16})", out)
    assert m, out[-3000:]
    stval = int(m.group(2), 16)
    if what is None:
        assert stval == int(m.group(1), 16)          # the fetch faulted at the probe's own address
        assert stval >> 38 == (1 << 26) - 1 and stval < 0xFFFFFFFF80000000  # in the direct map
    else:
        assert stval >= 0xFFFFFFFF80200000           # the image's own (higher-half) address
    # Frame #0 of the nx probe is the direct-map page itself: its caller (run_wx_probes, maybe
    # inlined into kernel_main) is next.
    assert re.search(r"in asterpy\.kernel\.main\.(run_wx_probes|kernel_main) at src/asterpy/kernel/main\.py:\d+",
                     out), out
    assert "W^X probe did not fault" not in out
    assert result.exit_status == KERNEL_EXIT_FAIL
