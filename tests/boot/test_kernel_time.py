"""Boot the real kernel under QEMU/TCG and check memory set-up, the clocks and the timer it reports."""
from __future__ import annotations

import datetime
import re
from typing import Any

import pytest

from translator.build import BuildResult
from bootbuild import SharedKernels
from images import KERNEL_EXIT_FAIL, KERNEL_EXIT_PASS, QemuConfig, QemuResult, run_qemu

pytestmark = pytest.mark.boot

HEAP = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?heap: (?P<mib>\d+) MiB$", re.M)
PAGING = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?paging: kernel W\^X, direct map (?P<mib>\d+) MiB$", re.M)
HIGH = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?frames: (?P<frames>\d+) more above 4 GiB$", re.M)
TSC = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?tsc: (?P<mhz>\d+) MHz$", re.M)
RTC = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?rtc: (?P<date>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC$", re.M)
APIC = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?apic: timer (?P<khz>\d+) kHz, (?P<hz>\d+) Hz on vector 32$", re.M)
TIMER = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?timer: (?P<ticks>\d+) ticks in (?P<ms>\d+) ms$", re.M)
CLOCK = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?clock: monotonic advanced (?P<ns>\d+) ns$", re.M)
NO_IDT = "timer: no IDT loaded: interrupts stay off"


@pytest.fixture(scope="module")
def kernel(shared_kernels: SharedKernels) -> BuildResult:
    """The x86_64 kernel from arch/x86_64/entry.py, built once per test session (conftest.py)."""
    return shared_kernels.get("x86_64")


def _boot(kernel: BuildResult, memory_mb: int = 256, **kw: Any) -> QemuResult:
    """Boot under TCG with `asterpy.exit=1` and return the result, which must be a clean PASS."""
    result = run_qemu(QemuConfig(kernel=kernel.kernel, accel="tcg", timeout=30.0, memory_mb=memory_mb,
                                 cmdline="asterpy.exit=1", **kw))
    assert result.exit_status == KERNEL_EXIT_PASS, (
        f"no PASS (rc={result.returncode}, timed_out={result.timed_out})\n{result.output}\n{result.stderr}")
    assert "panic" not in result.output
    return result


def _field(rx: "re.Pattern[str]", result: QemuResult, name: str) -> str:
    """One named group of a line the kernel must have printed."""
    m = rx.search(result.output.replace("\r", ""))
    assert m, f"{rx.pattern!r} not in the output:\n{result.output}"
    return m.group(name)


def test_memory_heap_and_paging(kernel: BuildResult) -> None:
    """The heap is usable/8 (at most 64 MiB) and the direct map covers all usable RAM."""
    result = _boot(kernel, memory_mb=256)
    assert int(_field(HEAP, result, "mib")) == 15
    assert 254 <= int(_field(PAGING, result, "mib")) <= 258


def test_direct_map_beyond_4_gib(kernel: BuildResult) -> None:
    """With 6 GiB the direct map and the frame allocator reach past 4 GiB; the heap is capped at 64 MiB."""
    result = _boot(kernel, memory_mb=6144)
    assert int(_field(HEAP, result, "mib")) == 16
    assert 6140 <= int(_field(PAGING, result, "mib")) <= 6146
    # QEMU keeps 2 or 3 GiB below the 32-bit hole and puts the rest above 4 GiB: those frames
    # join the allocator once the kernel's tables map them.
    high = int(_field(HIGH, result, "frames"))
    assert (6144 - 3072) * 256 <= high <= (6144 - 2048) * 256


@pytest.mark.parametrize("machine", ["microvm", "pc"])
def test_clocks_and_timer(kernel: BuildResult, machine: str) -> None:
    """TSC calibrated, RTC near the host's UTC time, LAPIC timer consistent, ticks, monotonic clock."""
    result = _boot(kernel, machine=machine)
    mhz = int(_field(TSC, result, "mhz"))
    assert 100 <= mhz <= 20000
    rtc = datetime.datetime.strptime(_field(RTC, result, "date"), "%Y-%m-%d %H:%M:%S")
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    assert abs((rtc - now).total_seconds()) < 86400, f"RTC {rtc} vs host {now}"
    # QEMU's LAPIC timer runs at 1 GHz / 16: measured against the TSC, it checks the TSC rate.
    khz = int(_field(APIC, result, "khz"))
    assert 55_000 <= khz <= 70_000, f"LAPIC timer {khz} kHz (TSC {mhz} MHz)"
    ticks = int(_field(TIMER, result, "ticks"))
    ns = int(_field(CLOCK, result, "ns"))
    assert 50_000_000 <= ns < 5_000_000_000
    if NO_IDT in result.output:
        assert ticks == 0
    else:
        # 100 Hz for at least 50 ms: about 5 ticks (fewer only if the VM was starved).
        assert 1 <= ticks <= 1 + ns // 10_000_000 + 1, f"{ticks} ticks in {ns} ns"


@pytest.mark.parametrize("word, what, error", [
    ("asterpy.wx=text", "write=True", 0x3),       # present | write: .text is read-only
    ("asterpy.wx=ro", "write=True", 0x3),         # present | write: .rodata is read-only
    ("asterpy.wx=nx", "fetch=True", 0x11),        # present | instruction fetch: the direct map is NX
])
def test_wx_is_enforced_by_the_cpu(kernel: BuildResult, word: str, what: str, error: int) -> None:
    """Writing to .text or .rodata, or executing the direct map, page-faults under the kernel's tables."""
    result = run_qemu(QemuConfig(kernel=kernel.kernel, accel="tcg", timeout=30.0, cmdline=f"{word} asterpy.exit=1"))
    out = result.output.replace("\r", "")
    assert f"panic: CPU exception #PF page fault (vector 14, error code {error:#x})" in out, out
    assert what in out and "present=True" in out
    assert "W^X probe did not fault" not in out
    assert result.exit_status == KERNEL_EXIT_FAIL
