"""Emit: objects and assembly for every arch through llvmlite or zig cc, and `.S` shims."""
from __future__ import annotations

from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from translator.emit import assemble, emit_asm, emit_object, has_asm, needs_clang
from translator.link import read_machine
from translator.optimize import IRError
from translator.targets import get_target
from translator.toolchain import ToolError

from .sample import SHIM_S, build_sample

ARCHES = ["x86_64", "riscv64", "loongarch64"]
E_MACHINE = {"x86_64": 62, "riscv64": 243, "loongarch64": 258}
NO_ASM_IR = "define i64 @plain(i64 %x) nounwind {\n  %y = mul i64 %x, 3\n  ret i64 %y\n}\n"


def _flags(path: Path) -> int:
    with open(path, "rb") as f:
        return int(ELFFile(f).header["e_flags"])


@pytest.mark.parametrize("arch", ARCHES)
def test_sample_object(arch: str, tmp_path: Path) -> None:
    target = get_target(arch)
    text = str(build_sample(target))
    assert needs_clang(text, target) == (arch != "x86_64")
    obj = emit_object(text, target, tmp_path / "sample.o")
    assert read_machine(obj) == E_MACHINE[arch]
    with open(obj, "rb") as f:
        names = {s.name for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols()}
    assert {"kmain", "sum_to", "counter", "boot_marker"} <= names


@pytest.mark.parametrize("arch", ["riscv64", "loongarch64"])
def test_both_compilers_agree_on_the_abi(arch: str, tmp_path: Path) -> None:
    # IR without asm goes through llvmlite, IR with asm through zig cc; lld refuses mixed float ABIs.
    target = get_target(arch)
    assert not needs_clang(NO_ASM_IR, target)
    direct = emit_object(NO_ASM_IR, target, tmp_path / "direct.o")
    via_clang = emit_object(str(build_sample(target)), target, tmp_path / "clang.o")
    shim = tmp_path / "shim.S"
    shim.write_text(SHIM_S[arch])
    shim_obj = assemble(shim, target, tmp_path / "shim.o")
    assert read_machine(direct) == read_machine(via_clang) == read_machine(shim_obj) == E_MACHINE[arch]
    # RISC-V: float ABI bits 0x6 (soft = 0), RVC 0x1. LoongArch: ABI modifier 0x7 (soft = 1).
    abi_mask = 0x6 if arch == "riscv64" else 0x7
    assert _flags(direct) & abi_mask == _flags(via_clang) & abi_mask == _flags(shim_obj) & abi_mask
    assert _flags(direct) & abi_mask == (0 if arch == "riscv64" else 1)


def test_host_object(tmp_path: Path) -> None:
    obj = emit_object(NO_ASM_IR, get_target("host"), tmp_path / "host.o")
    assert read_machine(obj) == 62


@pytest.mark.parametrize("arch,needle", [("x86_64", "boot_marker:"), ("riscv64", "addi"),
                                         ("loongarch64", "addi.d")])
def test_emit_asm(arch: str, needle: str, tmp_path: Path) -> None:
    target = get_target(arch)
    out = tmp_path / "sample.s"
    text = emit_asm(str(build_sample(target)), target, out)
    assert needle in text and "kmain:" in text and out.read_text() == text
    assert "kmain:" in emit_asm(str(build_sample(target)), target)  # no file wanted


def test_isolated_emit_matches_in_process(tmp_path: Path) -> None:
    target = get_target("x86_64")
    text = str(build_sample(target))
    a = emit_object(text, target, tmp_path / "a.o").read_bytes()
    b = emit_object(text, target, tmp_path / "b.o", isolate=True).read_bytes()
    assert a == b


@pytest.mark.parametrize("arch", ARCHES)
def test_assemble_shim(arch: str, tmp_path: Path) -> None:
    src = tmp_path / "entry.S"
    src.write_text("#define HALT_LABEL 1\n" + SHIM_S[arch])   # .S goes through the preprocessor
    obj = assemble(src, get_target(arch), tmp_path / "out" / "entry.o")
    assert read_machine(obj) == E_MACHINE[arch]


@pytest.mark.parametrize("arch", ARCHES)
def test_malformed_ir_raises_not_crashes(arch: str, tmp_path: Path) -> None:
    with pytest.raises(IRError, match="invalid LLVM IR"):
        emit_object("define void @f() {\n  ret i32 0\n}\n", get_target(arch), tmp_path / "bad.o")


@pytest.mark.parametrize("arch,bogus", [("riscv64", "frobnicate a0"), ("loongarch64", "frobnicate $a0")])
def test_bad_cross_asm_is_a_tool_error(arch: str, bogus: str, tmp_path: Path) -> None:
    ir_text = f'define void @f() nounwind {{\n  call void asm sideeffect "{bogus}", ""()\n  ret void\n}}\n'
    with pytest.raises(ToolError, match="frobnicate"):
        emit_object(ir_text, get_target(arch), tmp_path / "bad.o")


def test_has_asm() -> None:
    assert has_asm('module asm ".globl x"\n')
    assert has_asm('  call void asm sideeffect "nop", ""()')
    assert has_asm('  %r = call i64 asm "mov $1, $0", "=r,r"(i64 %x)')
    assert not has_asm(NO_ASM_IR)
    assert not has_asm('@msg = constant [4 x i8] c"asm\\00"\n')


def test_bad_opt_level(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="0..3"):
        emit_object(NO_ASM_IR, get_target("x86_64"), tmp_path / "x.o", opt=7)
