"""The trap frame layout against trap.S, the dispatcher's names, and the command-line words."""
from __future__ import annotations

import re
from pathlib import Path

from asterpy.lang import offsetof, sizeof, u64

from arch.x86_64 import traps
from asterpy.kernel import ksyms as backtrace
from arch.x86_64.traps import TrapFrame

TRAP_S = Path(__file__).resolve().parents[3] / "arch" / "x86_64" / "trap.S"


def test_trap_frame_matches_the_push_order() -> None:
    """TrapFrame's fields are trap.S's pushes in reverse, then vector, error code and the CPU frame."""
    text = TRAP_S.read_text()
    common = text[text.index("asterpy_trap_common:"):text.index("movq %rsp, %rdi")]
    pushed = re.findall(r"pushq %(\w+)", common)
    assert len(pushed) == 15
    fields = [f.name for f in TrapFrame.__kpy_layout__.fields]
    assert fields[:15] == list(reversed(pushed))
    assert fields[15:] == ["vector", "error_code", "rip", "cs", "rflags", "rsp", "ss"]
    assert sizeof(TrapFrame) == 22 * 8
    # trap.S builds the fake stack frame from these two slots.
    assert offsetof(TrapFrame, "rip") == 17 * 8 and "pushq 17*8(%rdi)" in text
    assert offsetof(TrapFrame, "rbp") == 8 * 8 and "pushq 8*8(%rdi)" in text


def test_error_code_vectors() -> None:
    """The stubs push a dummy error code exactly where the CPU pushes none."""
    text = TRAP_S.read_text()
    bits = {int(b) for b in re.findall(r"\(1 << (\d+)\)", text[text.index("#define ERRCODE_MASK"):])}
    assert bits == {8, 10, 11, 12, 13, 14, 17, 21, 29, 30}


def test_exception_names() -> None:
    """Each exception vector has its mnemonic."""
    assert traps.exception_name(u64(0)).startswith("#DE")
    assert traps.exception_name(u64(6)).startswith("#UD")
    assert traps.exception_name(u64(8)).startswith("#DF")
    assert traps.exception_name(u64(13)).startswith("#GP")
    assert traps.exception_name(u64(14)).startswith("#PF")
    assert traps.exception_name(u64(19)).startswith("#XM")
    assert traps.exception_name(u64(31)) == "reserved exception"


def test_packed_words() -> None:
    """The packed-ASCII constants spell what their comments say."""
    def word(s: bytes) -> int:
        return int.from_bytes(s, "little")
    assert backtrace.TXT_FRAME == word(b"  #")
    assert backtrace.TXT_IN == word(b" in ") and backtrace.TXT_AT == word(b" at ")
    assert backtrace.KSYMS_MAGIC == word(b"KSYMTAB1")
