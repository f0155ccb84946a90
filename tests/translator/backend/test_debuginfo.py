"""Debug info: DWARF 4 line tables that map kernel addresses back to Python file:line."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from llvmlite import ir

from translator.emit import emit_object
from translator.link import link, read_symbols
from translator.lower import irx
from translator.lower.debuginfo import DW_LANG_PYTHON, DebugInfo
from translator.optimize import parse_ir, verify
from translator.targets import get_target

I64, VOID = ir.IntType(64), ir.VoidType()
FIRST_LINE, SECOND_LINE = 10, 20


def _module(arch: str = "x86_64") -> irx.Module:
    """Two functions from a fake kernel/foo.py, each with two statements on lines L+1 and L+2."""
    target = get_target(arch)
    m = irx.Module("dbg", target)
    di = DebugInfo(m, ["kernel/foo.py", "kernel/bar.py"], directory="/src/asterpy")
    sink = ir.GlobalVariable(m, I64, "sink")
    sink.initializer = ir.Constant(I64, 0)
    for name, line in (("first", FIRST_LINE), ("second", SECOND_LINE)):
        fn = ir.Function(m, ir.FunctionType(VOID, [I64]), name)
        irx.set_fn_attr(fn, "noinline")
        sp = di.subprogram(fn, "kernel/foo.py", line)
        b = ir.IRBuilder(fn.append_basic_block())
        b.debug_metadata = di.location(line + 1, 5, sp)
        irx.volatile_store(b, b.mul(fn.args[0], ir.Constant(I64, 3)), sink, 8)
        b.debug_metadata = di.location(line + 2, 5, sp)
        irx.volatile_store(b, fn.args[0], sink, 8)
        b.ret_void()
    irx.apply_target_defaults(m, target)
    return m


def test_metadata_text() -> None:
    text = str(_module())
    verify(parse_ir(text))
    assert '!{ i32 7, !"Dwarf Version", i32 4 }' in text
    assert '!{ i32 2, !"Debug Info Version", i32 3 }' in text
    assert "distinct !DICompileUnit(" in text and "language: DW_LANG_Python" in text
    assert text.count("!DIFile(") == 2
    assert text.count("distinct !DISubprogram(") == 2
    assert 'define dso_local void @"first"(i64 %".1")' in text and "!dbg !" in text


def test_same_name_and_line_stay_distinct() -> None:
    # Monomorphized copies share name and line; their symbols differ, so must their subprograms.
    m = irx.Module("mono", get_target("x86_64"))
    di = DebugInfo(m, ["kernel/list.py"])
    sps = []
    for symbol in ("List_u8_append", "List_u64_append"):
        fn = ir.Function(m, ir.FunctionType(VOID, []), symbol)
        sps.append(di.subprogram(fn, "kernel/list.py", 42, name="append"))
        b = ir.IRBuilder(fn.append_basic_block())
        b.debug_metadata = di.location(43, 1, sps[-1])
        b.ret_void()
    assert sps[0] is not sps[1]
    verify(parse_ir(str(m)))


def test_needs_a_file() -> None:
    with pytest.raises(ValueError, match="at least one source file"):
        DebugInfo(irx.Module("x"), [])


@pytest.fixture(scope="module")
def debug_elf(build_dir: Path) -> Path:
    obj = emit_object(str(_module()), get_target("x86_64"), build_dir / "dbg.o")
    script = build_dir / "dbg.ld"
    script.write_text("SECTIONS { . = 0xffffffff80100000; .text : { *(.text*) } .bss : { *(.bss*) } }\n")
    return link([obj], build_dir / "dbg.elf", script, entry="first")


def test_dwarf_4_python_compile_unit(debug_elf: Path) -> None:
    with open(debug_elf, "rb") as f:
        dwarf = ELFFile(f).get_dwarf_info()
        cu = next(dwarf.iter_CUs())
        assert cu["version"] == 4
        assert cu.get_top_DIE().attributes["DW_AT_language"].value == DW_LANG_PYTHON == 0x14


@pytest.mark.skipif(shutil.which("addr2line") is None, reason="binutils addr2line not installed")
@pytest.mark.parametrize("name,line", [("first", FIRST_LINE), ("second", SECOND_LINE)])
def test_addr2line_maps_function_to_python_line(debug_elf: Path, name: str, line: int) -> None:
    addr = read_symbols(debug_elf)[name]
    out = subprocess.run(["addr2line", "-f", "-e", str(debug_elf), hex(addr)],
                         capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == name
    # The entry (prologue) maps to the def line; the statement that follows to the next line.
    assert out[1] == f"/src/asterpy/kernel/foo.py:{line}"
    body = subprocess.run(["addr2line", "-e", str(debug_elf), hex(addr + 4)],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert body == f"/src/asterpy/kernel/foo.py:{line + 1}"


@pytest.mark.parametrize("arch", ["riscv64", "loongarch64"])
def test_cross_objects_carry_line_tables(arch: str, tmp_path: Path) -> None:
    obj = emit_object(str(_module(arch)), get_target(arch), tmp_path / "dbg.o")
    with open(obj, "rb") as f:
        elf = ELFFile(f)
        assert elf.get_section_by_name(".debug_line") is not None
        # pyelftools cannot apply RISC-V debug relocations; the CU header needs none.
        assert next(elf.get_dwarf_info(relocate_dwarf_sections=False).iter_CUs())["version"] == 4
