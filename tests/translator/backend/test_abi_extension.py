"""Narrow parameters and results carry the C ABI's zeroext/signext (issue 25: a bool came back as the byte 0xfe)."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from translator.driver import translate
from translator.emit import emit_asm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/translator, for jit.py
from jit import DirtyBool, _kpy_value  # noqa: E402

from translator.check import types as T  # noqa: E402

SOURCE = '''
from asterpy.lang import export, i8, i16, i32, u8, u16, u32, u64


@export("abi_bool")
def abi_bool(a: u8, b: u8) -> bool:
    return u8(1) & (~a << (b & 7)) == a // 149


def narrow(a: i8, b: u16, c: i32, d: u32, e: u64, f: bool) -> i16:
    return i16(a) + i16(b) + i16(c) + i16(d) + i16(e) + i16(f)


def unsigned32(a: u32) -> u32:
    return a + 1


def caller() -> i16:
    return narrow(i8(-1), u16(2), i32(-3), u32(4), u64(5), True) + i16(unsigned32(u32(7)))
'''


@pytest.fixture(scope="module")
def module_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("abi") / "abi_ext.py"
    p.write_text(SOURCE)
    return p


def define_line(ir_text: str, symbol: str) -> str:
    """The `define` line of a function."""
    line = next((ln for ln in ir_text.splitlines() if ln.startswith("define") and f"@{symbol}(" in ln.replace('"', "")), None)
    assert line is not None, f"no definition of {symbol}"
    return line


def test_x86_64_attributes(module_path: Path) -> None:
    """As clang on x86-64: bool, 8 and 16 bits are extended by their signedness, 32 and 64 bits are not."""
    ir_text = translate([module_path], "x86_64").ir_text
    assert re.search(r"zeroext i1 @\"?abi_bool\"?\(i8 zeroext %\"?a\"?, i8 zeroext %\"?b\"?\)", define_line(ir_text, "abi_bool"))
    line = define_line(ir_text, "abi_ext.narrow")
    assert "signext i16" in line
    assert re.search(r"i8 signext %\"?a", line) and re.search(r"i16 zeroext %\"?b", line)
    assert re.search(r"i32 %\"?c", line) and re.search(r"i32 %\"?d", line) and re.search(r"i1 zeroext %\"?f", line)
    # A call site repeats the argument extensions.
    call = next(ln for ln in ir_text.splitlines() if "call" in ln and "abi_ext.narrow" in ln)
    assert "i8 signext" in call and "i16 zeroext" in call and "i1 zeroext" in call


def test_riscv64_attributes(module_path: Path) -> None:
    """RV64 also sign-extends every 32-bit value, unsigned ones included (as clang's `signext i32`)."""
    ir_text = translate([module_path], "riscv64").ir_text
    line = define_line(ir_text, "abi_ext.narrow")
    assert re.search(r"i32 signext %\"?c", line) and re.search(r"i32 signext %\"?d", line)
    assert define_line(ir_text, "abi_ext.unsigned32").startswith("define internal signext i32") or \
        "signext i32 @" in define_line(ir_text, "abi_ext.unsigned32")


def test_exported_bool_result_is_a_clean_byte(module_path: Path) -> None:
    """The -O2 x86-64 code of the issue's function ends by masking the result to 0/1 (it used to leave 0xfe)."""
    tr = translate([module_path], "x86_64")
    asm = emit_asm(tr.ir_text, tr.target, None, opt=2)
    body = asm[asm.index("abi_bool:"):]
    body = body[:body.index("ret")]
    last = [ln.strip() for ln in body.splitlines() if ln.strip() and not ln.strip().startswith((".", "#", "popq"))][-1]
    assert last.startswith(("andb\t$1, %al", "movzbl", "setne\t%al", "sete\t%al", "setb\t%al", "seta\t%al")), last


@pytest.mark.parametrize("byte", [0x02, 0x80, 0xFE, 0xFF])
def test_harness_refuses_a_dirty_bool_byte(byte: int) -> None:
    """tests/translator/jit.py reads a bool result as its whole byte: anything but 0 or 1 fails the test."""
    with pytest.raises(DirtyBool):
        _kpy_value(T.BOOL, byte)
    assert _kpy_value(T.BOOL, 1) is True and _kpy_value(T.BOOL, 0) is False
