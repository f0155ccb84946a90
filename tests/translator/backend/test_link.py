"""Link: the whole back end per arch into a static ELF, read back with pyelftools."""
from __future__ import annotations

from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from translator.emit import assemble, emit_object
from translator.link import link, read_machine, read_sections, read_symbols
from translator.targets import get_target
from translator.toolchain import ToolError

from .sample import LOAD_BASE, SHIM_S, build_sample, linker_script

ARCHES = ["x86_64", "riscv64", "loongarch64"]


@pytest.fixture(scope="module")
def kernels(build_dir: Path) -> dict[str, Path]:
    """Per arch: the sample module emitted at O2 and linked with its .S shim and linker script."""
    out: dict[str, Path] = {}
    for arch in ARCHES:
        target, d = get_target(arch), build_dir / arch
        obj = emit_object(str(build_sample(target)), target, d / "sample.o")
        (d / "shim.S").write_text(SHIM_S[arch])
        shim = assemble(d / "shim.S", target, d / "shim.o")
        (d / "kernel.ld").write_text(linker_script(arch))
        out[arch] = link([obj, shim], d / "kernel.elf", d / "kernel.ld", map_file=d / "kernel.map")
    return out


@pytest.mark.parametrize("arch", ARCHES)
def test_linked_kernel(kernels: dict[str, Path], arch: str) -> None:
    elf = kernels[arch]
    base = LOAD_BASE[arch]
    assert read_machine(elf) == get_target(arch).e_machine
    syms = read_symbols(elf)
    assert {"kmain", "sum_to", "counter", "fake_mmio", "boot_marker", "shim_entry"} <= set(syms)
    assert not any(name.startswith((".L", "$")) for name in syms)
    assert syms["boot_marker"] == base                    # .text.boot first, module asm first
    sections = read_sections(elf)
    text, bss = sections[".text"], sections[".bss"]
    assert text.addr == base and text.type == "SHT_PROGBITS"
    assert text.addr <= syms["kmain"] < text.addr + text.size
    assert bss.addr <= syms["counter"] < bss.addr + bss.size
    with open(elf, "rb") as f:
        header = ELFFile(f).header
        assert header["e_type"] == "ET_EXEC" and header["e_entry"] == syms["kmain"]
        segments = [s["p_type"] for s in ELFFile(f).iter_segments()]
    assert "PT_INTERP" not in segments and "PT_DYNAMIC" not in segments
    assert "kmain" in (elf.parent / "kernel.map").read_text()


def test_entry_and_gc_sections(build_dir: Path, tmp_path: Path) -> None:
    target = get_target("x86_64")
    obj = emit_object(str(build_sample(target)), target, tmp_path / "s.o")
    elf = link([obj], tmp_path / "gc.elf", build_dir / "x86_64" / "kernel.ld", entry="sum_to",
               gc_sections=True, extra_args=["-z", "max-page-size=4096"])
    with open(elf, "rb") as f:
        assert ELFFile(f).header["e_entry"] == read_symbols(elf)["sum_to"]


def test_undefined_symbol_is_a_tool_error(tmp_path: Path) -> None:
    target = get_target("riscv64")
    obj = emit_object("declare void @missing()\ndefine void @f() {\n  call void @missing()\n  ret void\n}\n",
                      target, tmp_path / "u.o")
    with pytest.raises(ToolError, match=r"ld\.lld failed[\s\S]*undefined symbol: missing"):
        link([obj], tmp_path / "u.elf", entry="f")


def test_no_objects() -> None:
    with pytest.raises(ValueError, match="no input objects"):
        link([], "never.elf")
