"""Read symbols and sections back from ELF files with pyelftools."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Union

from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

PathLike = Union[str, Path]


@dataclass(frozen=True)
class SectionInfo:
    """One ELF section header: name, address, file offset, size, type and flags."""

    name: str
    addr: int
    offset: int
    size: int
    type: str
    flags: int


def read_machine(elf_path: PathLike) -> int:
    """The ELF header's e_machine number (62 x86_64, 243 RISC-V, 258 LoongArch)."""
    with open(elf_path, "rb") as f:
        ident = f.read(20)
    if ident[:4] != b"\x7fELF":
        raise ValueError(f"{elf_path}: not an ELF file")
    # e_machine is the half-word at offset 18, in the byte order EI_DATA (ident[5]) names.
    return int.from_bytes(ident[18:20], "little" if ident[5] == 1 else "big")


def read_symbols(elf_path: PathLike) -> dict[str, int]:
    """Named symbols of .symtab mapped to their values (file and section symbols, `.L` local
    labels and RISC-V/LoongArch mapping symbols such as `$x` left out)."""
    result: dict[str, int] = {}
    with open(elf_path, "rb") as f:
        for section in ELFFile(f).iter_sections():
            if not isinstance(section, SymbolTableSection) or section.name != ".symtab":
                continue
            for sym in section.iter_symbols():
                name = sym.name
                if (not name or name.startswith((".L", "$"))
                        or sym["st_info"]["type"] in ("STT_FILE", "STT_SECTION")):
                    continue
                result[name] = int(sym["st_value"])
    return result


def read_sections(elf_path: PathLike) -> dict[str, SectionInfo]:
    """Sections of an ELF by name (the unnamed null section left out)."""
    with open(elf_path, "rb") as f:
        return {s.name: SectionInfo(s.name, int(s["sh_addr"]), int(s["sh_offset"]), int(s["sh_size"]),
                                    str(s["sh_type"]), int(s["sh_flags"]))
                for s in ELFFile(f).iter_sections() if s.name}
