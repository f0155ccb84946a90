"""Boot the kernel with deliberate failures on the command line: panic and exception reports with
symbolized backtraces (arch/x86_64/traps.py, backtrace.py, trap.S, the table from translator/build.py)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

import pytest
from elftools.elf.elffile import ELFFile

from translator.build import BuildResult, extract_ksyms, pack_ksyms
from bootbuild import SharedKernels
from images import KERNEL_EXIT_FAIL, KERNEL_EXIT_PASS, QemuConfig, QemuResult, run_qemu
from translator.link import read_symbols

pytestmark = pytest.mark.boot

REPO = Path(__file__).resolve().parents[2]
TRAPS = REPO / "arch" / "x86_64" / "traps.py"
ENTRY = REPO / "arch" / "x86_64" / "entry.py"
CONSOLE = REPO / "arch" / "x86_64" / "console.py"
FRAME = re.compile(r"^(?:\[ *\d+\.\d{6}\] \w+: )?  #(?P<n>\d+) 0x(?P<pc>[0-9a-f]{16}) in (?P<name>\S+)(?: at (?P<file>\S+):(?P<line>\d+))?$",
                   re.M)


def line_of(path: Path, needle: str, after: Optional[str] = None) -> int:
    """1-based number of the first line of `path` containing `needle` (after the line containing `after`)."""
    lines = path.read_text().splitlines()
    start = 0
    if after is not None:
        start = next(i for i, text in enumerate(lines) if after in text)
    for i in range(start, len(lines)):
        if needle in lines[i]:
            return i + 1
    raise AssertionError(f"{needle!r} not in {path}")


@pytest.fixture(scope="module")
def kernel(shared_kernels: SharedKernels) -> BuildResult:
    """The x86_64 kernel from arch/x86_64/entry.py, built once per test session (conftest.py)."""
    return shared_kernels.get("x86_64")


@pytest.fixture(scope="module")
def text_range(kernel: BuildResult) -> tuple[int, int]:
    """[__text_start, __text_end) of the built kernel."""
    syms = read_symbols(kernel.kernel)
    return syms["__text_start"], syms["__text_end"]


def boot(kernel: BuildResult, cmdline: str) -> QemuResult:
    """Boot under TCG with this command line and asterpy.exit=1 (a panic then reports FAIL to QEMU)."""
    return run_qemu(QemuConfig(kernel=kernel.kernel, accel="tcg", timeout=20.0, cmdline=f"asterpy.exit=1 {cmdline}"))


def frames(result: QemuResult) -> list[dict[str, str]]:
    """The backtrace lines of the output, in order, as named fields."""
    text = result.output.replace("\r", "")
    assert "backtrace:" in text, result.output
    found = [m.groupdict() for m in FRAME.finditer(text[text.index("backtrace:"):])]
    assert found, result.output
    assert [int(f["n"]) for f in found] == list(range(len(found))), result.output
    return found


def find_frame(found: list[dict[str, str]], name: str) -> dict[str, str]:
    """The first frame naming function `name`."""
    for f in found:
        if f["name"] == name:
            return f
    raise AssertionError(f"no frame in {name}: {found}")


def check_callers(found: list[dict[str, str]], frame: dict[str, str]) -> None:
    """Above the failing function: run_deliberate_failures, then kmain at its call in entry.py."""
    i = found.index(frame)
    caller = found[i + 1]
    assert caller["name"] == "arch.x86_64.traps.run_deliberate_failures"
    assert caller["file"] == "arch/x86_64/traps.py"
    kmain = find_frame(found[i + 1:], "kmain")
    assert kmain["file"] == "arch/x86_64/entry.py"
    assert int(kmain["line"]) == line_of(ENTRY, "run_deliberate_failures()", after="def kmain")


def check_exception(result: QemuResult, mnemonic: str, vector: int, text_range: tuple[int, int]) -> int:
    """The report names the exception and its vector, RIP lies in kernel text; returns RIP."""
    out = result.output.replace("\r", "")
    m = re.search(rf"^panic: CPU exception {re.escape(mnemonic)} .*\(vector {vector}, error code 0x[0-9a-f]+\)$",
                  out, re.M)
    assert m, out
    rip = int(re.search(r"RIP 0x([0-9a-f]{16})", out).group(1), 16)  # type: ignore[union-attr]
    assert text_range[0] <= rip < text_range[1], f"RIP {rip:#x} outside kernel text {text_range}"
    for reg in ("RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "R8 ", "R9 ", "R10", "R11", "R12", "R13",
                "R14", "R15", "RSP", "RFLAGS", "CS", "SS"):
        assert re.search(rf"\b{reg} 0x[0-9a-f]+", out), f"{reg} missing\n{out}"
    assert "kernel halted" in out
    assert result.exit_status == KERNEL_EXIT_FAIL, out
    return rip


def test_symbol_table_is_embedded(kernel: BuildResult) -> None:
    """The bytes at asterpy_ksyms are exactly the table extracted from the final ELF."""
    syms = read_symbols(kernel.kernel)
    addr = syms["asterpy_ksyms"]
    expected = pack_ksyms(extract_ksyms(kernel.kernel))
    with open(kernel.kernel, "rb") as f:
        elf = ELFFile(f)
        for seg in elf.iter_segments():
            if seg["p_type"] == "PT_LOAD" and seg["p_vaddr"] <= addr < seg["p_vaddr"] + seg["p_filesz"]:
                data = seg.data()[addr - seg["p_vaddr"]:addr - seg["p_vaddr"] + len(expected)]
                break
        else:
            raise AssertionError("asterpy_ksyms is not in a loaded segment")
    assert data == expected


def test_normal_boot_is_unaffected(kernel: BuildResult) -> None:
    """Without a failure word the kernel boots to the end and exits PASS."""
    result = boot(kernel, "asterpy.exit=1")
    assert result.exit_status == KERNEL_EXIT_PASS, result.output
    assert "panic" not in result.output and "backtrace" not in result.output


def test_panic_backtrace(kernel: BuildResult, text_range: tuple[int, int]) -> None:
    """asterpy.fault=panic: the message, then a backtrace from kpy_panic_halt naming the panicking line."""
    result = boot(kernel, "asterpy.fault=panic")
    out = result.output.replace("\r", "")
    assert "deliberate panic (asterpy.fault=panic on the command line)" in out, out
    found = frames(result)
    assert found[0]["name"] == "kpy_panic_halt" and found[0]["file"] == "arch/x86_64/console.py"
    f = find_frame(found, "arch.x86_64.traps.deliberate_panic")
    assert f["file"] == "arch/x86_64/traps.py"
    assert int(f["line"]) == line_of(TRAPS, 'panic("deliberate panic', after="def deliberate_panic")
    assert text_range[0] <= int(f["pc"], 16) < text_range[1]
    check_callers(found, f)
    assert "kernel halted" in out
    assert result.exit_status == KERNEL_EXIT_FAIL


def test_invalid_opcode(kernel: BuildResult, text_range: tuple[int, int]) -> None:
    """asterpy.fault=ud: #UD, frame #0 is the ud2 line itself."""
    result = boot(kernel, "asterpy.fault=ud")
    rip = check_exception(result, "#UD", 6, text_range)
    found = frames(result)
    assert int(found[0]["pc"], 16) == rip
    assert found[0]["name"] == "arch.x86_64.traps.deliberate_invalid_opcode"
    assert found[0]["file"] == "arch/x86_64/traps.py"
    assert int(found[0]["line"]) == line_of(TRAPS, 'asm("ud2"', after="def deliberate_invalid_opcode")
    check_callers(found, found[0])


def test_page_fault(kernel: BuildResult, text_range: tuple[int, int]) -> None:
    """asterpy.fault=pf: #PF with CR2 = the unmapped address, a not-present read in kernel mode."""
    result = boot(kernel, "asterpy.fault=pf")
    check_exception(result, "#PF", 14, text_range)
    out = result.output.replace("\r", "")
    assert re.search(r"CR2 0x0000080000000000  CR3 0x[0-9a-f]{16}  present=False write=False user=False", out), out
    found = frames(result)
    assert found[0]["name"] == "arch.x86_64.traps.deliberate_page_fault"
    assert int(found[0]["line"]) == line_of(TRAPS, "return volatile_load", after="def deliberate_page_fault")
    check_callers(found, found[0])


def test_general_protection(kernel: BuildResult, text_range: tuple[int, int]) -> None:
    """asterpy.fault=gp: a non-canonical read is a #GP."""
    result = boot(kernel, "asterpy.fault=gp")
    check_exception(result, "#GP", 13, text_range)
    found = frames(result)
    assert found[0]["name"] == "arch.x86_64.traps.deliberate_general_protection"
    assert int(found[0]["line"]) == line_of(TRAPS, "return u64(volatile_load", after="def deliberate_general_protection")


def test_double_fault_on_its_ist_stack(kernel: BuildResult, text_range: tuple[int, int]) -> None:
    """asterpy.fault=df: with rsp on unmapped memory the #UD cannot be delivered: #DF, handled on IST1."""
    result = boot(kernel, "asterpy.fault=df")
    check_exception(result, "#DF", 8, text_range)
    out = result.output.replace("\r", "")
    assert "RSP 0x0000080000000000" in out, out
    found = frames(result)
    assert found[0]["name"] == "arch.x86_64.traps.deliberate_double_fault"
    assert int(found[0]["line"]) == line_of(TRAPS, "asm(\"movq $0, %rsp; ud2\"", after="def deliberate_double_fault")
    check_callers(found, found[0])


def test_kernel_stack_overflow_hits_its_guard_page(kernel: BuildResult, text_range: tuple[int, int]) -> None:
    """asterpy.fault=so: running off the end of a kernel stack (mm/kstack.py) hits the unmapped guard page
    below it; the CPU cannot push the page fault's frame there either, so it is a #DF (on IST1),
    reported first as a kernel stack overflow at the guard's address, with a backtrace."""
    result = boot(kernel, "asterpy.fault=so")
    out = result.output.replace("\r", "")
    m = re.search(r"^panic: kernel stack overflow: 0x([0-9a-f]{16}) is in the guard page below a kernel stack "
                  r"\(RSP 0x([0-9a-f]{16})\)$", out, re.M)
    assert m, out
    addr, rsp = int(m.group(1), 16), int(m.group(2), 16)
    # The first push below the stack's last page: 8 bytes under the guard's top, where RSP stopped.
    assert addr == rsp - 8 and rsp % 4096 == 0, out
    check_exception(result, "#DF", 8, text_range)
    found = frames(result)
    assert found[0]["name"] == "arch.x86_64.kernel_arch.arch_probe_stack_overflow", found
    assert any(f["name"] == "asterpy.kernel.main.run_stack_overflow_probe" for f in found), found


def test_boot_stack_overflow_hits_its_guard_page(kernel: BuildResult, text_range: tuple[int, int]) -> None:
    """asterpy.fault=bs: a push below the boot stack (the stack kernel_main runs on) lands in the image page
    the kernel's tables leave unmapped under it (asterpy_boot_stack_guard): a kernel stack overflow."""
    result = boot(kernel, "asterpy.fault=bs")
    out = result.output.replace("\r", "")
    m = re.search(r"^panic: kernel stack overflow: 0x([0-9a-f]{16}) is in the guard page", out, re.M)
    assert m, out
    guard = read_symbols(kernel.kernel)["asterpy_boot_stack_guard"]
    assert int(m.group(1), 16) == guard + 4096 - 8, out
    check_exception(result, "#DF", 8, text_range)


def test_exception_stack_guard_page_is_unmapped(kernel: BuildResult, text_range: tuple[int, int]) -> None:
    """asterpy.fault=is: the page below the #MC IST stack (trap.S: each IST stack above a guard page) is
    not mapped: a write there is a page fault reported as a hit on a stack's guard page."""
    result = boot(kernel, "asterpy.fault=is")
    out = result.output.replace("\r", "")
    syms = read_symbols(kernel.kernel)
    guard = syms["asterpy_ist_stacks"] + 2 * (0x1000 + 0x4000)
    assert syms["asterpy_ist_stacks_end"] - syms["asterpy_ist_stacks"] == 3 * (0x1000 + 0x4000)
    assert f"panic: kernel stack overflow: {guard:#018x} is in the guard page" in out, out
    check_exception(result, "#PF", 14, text_range)
