"""A kernel-style Kernel Python module (the bitmap frame allocator) translates for every arch, links, and maps back to source."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from translator.driver import translate
from translator.emit import emit_object
from translator.link import link, read_machine, read_sections, read_symbols

REPO = Path(__file__).resolve().parents[2]
FRAMES = REPO / "src" / "asterpy" / "mm" / "frames.py"
STUBS = Path(__file__).resolve().parent / "fixtures" / "link_stubs.py"
E_MACHINE = {"x86_64": 62, "riscv64": 243, "loongarch64": 258}
SCRIPT = """
ENTRY(asterpy.mm.frames.bitmap_words)
SECTIONS {
  . = 0x200000;
  .text : { *(.text .text.*) }
  .rodata : ALIGN(4096) { *(.rodata .rodata.*) }
  .data : ALIGN(4096) { *(.data .data.*) }
  .bss : ALIGN(4096) { *(.bss .bss.* COMMON) }
}
"""


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The frame allocator translated and linked for each arch."""
    out = tmp_path_factory.mktemp("frames")
    script = out / "test.ld"
    script.write_text(SCRIPT)
    elves = {}
    for arch in E_MACHINE:
        tr = translate([FRAMES, STUBS], arch)
        obj = emit_object(tr.ir_text, tr.target, out / f"frames-{arch}.o")
        elves[arch] = link([obj], out / f"frames-{arch}.elf", linker_script=script)
    return elves


@pytest.mark.parametrize("arch", list(E_MACHINE))
def test_links_with_expected_symbols_and_sections(linked: dict[str, Path], arch: str) -> None:
    """The ELF has the allocator's methods as symbols, the right machine, and the usual sections."""
    elf = linked[arch]
    assert read_machine(elf) == E_MACHINE[arch]
    syms = read_symbols(elf)
    for name in ("asterpy.mm.frames.FrameAllocator.alloc", "asterpy.mm.frames.FrameAllocator.free",
                 "asterpy.mm.frames.FrameAllocator.alloc_contiguous", "asterpy.mm.frames.bitmap_words"):
        assert name in syms, name
        assert syms[name] >= 0x200000
    sections = read_sections(elf)
    assert ".text" in sections
    assert ".debug_line" in sections


def test_addr2line_maps_native_code_to_python_lines(linked: dict[str, Path]) -> None:
    """DWARF 4 line info: a function's address resolves to frames.py and its def line."""
    addr2line = shutil.which("addr2line")
    if addr2line is None:
        pytest.fail("addr2line (binutils) is missing: ./dev setup installs it")
    elf = linked["x86_64"]
    syms = read_symbols(elf)
    src = FRAMES.read_text().splitlines()
    def_line = next(i + 1 for i, line in enumerate(src) if line.startswith("def bitmap_words("))
    out = subprocess.run([addr2line, "-e", str(elf), hex(syms["asterpy.mm.frames.bitmap_words"])],
                         capture_output=True, text=True, check=True).stdout.strip()
    path, _, line = out.rpartition(":")
    assert path.endswith("asterpy/mm/frames.py")
    assert def_line <= int(line.split()[0]) <= def_line + 12
    dwarf_version = subprocess.run(["readelf", "--debug-dump=info", str(elf)], capture_output=True, text=True).stdout
    assert "Version:       4" in dwarf_version
