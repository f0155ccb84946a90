"""Static checks of the linked x86_64 kernel ELF: layout, boot headers, PVH note, symbols."""
from __future__ import annotations

import struct
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

pytestmark = pytest.mark.boot

KERNEL_VMA = 0xFFFFFFFF80000000
PHYS_BASE = 0x100000


def _symbols(elf: ELFFile) -> dict[str, int]:
    """Name -> value of every symbol in .symtab."""
    symtab = elf.get_section_by_name(".symtab")
    assert symtab is not None, "kernel ELF has no symbol table"
    return {s.name: s["st_value"] for s in symtab.iter_symbols() if s.name}


def _loads(elf: ELFFile) -> list:
    """The PT_LOAD program headers."""
    return [seg for seg in elf.iter_segments() if seg["p_type"] == "PT_LOAD"]


def _find_magic(data: bytes, magic: int, limit: int, align: int) -> int:
    """File offset of the first aligned u32 magic in data[:limit], or -1."""
    for off in range(0, min(limit, len(data)) - 3, align):
        if struct.unpack_from("<I", data, off)[0] == magic:
            return off
    return -1


def _file_offset_of_paddr(elf: ELFFile, paddr: int) -> int:
    """The file offset that a loaded physical address comes from."""
    for seg in _loads(elf):
        if seg["p_paddr"] <= paddr < seg["p_paddr"] + max(seg["p_filesz"], 1):
            return seg["p_offset"] + paddr - seg["p_paddr"]
    raise AssertionError(f"{paddr:#x} is in no loaded segment")


def test_elf_header_and_entry(stub_kernel: Path) -> None:
    """ELF64 x86_64, entry point = the 32-bit multiboot entry, below 4 GiB."""
    with stub_kernel.open("rb") as f:
        elf = ELFFile(f)
        syms = _symbols(elf)
        assert elf.elfclass == 64 and elf["e_machine"] == "EM_X86_64"
        assert elf["e_entry"] == syms["asterpy_entry32"] < 1 << 32


def test_segments_load_at_1mib_physical(stub_kernel: Path) -> None:
    """Loads start at 1 MiB physical, the rest is linked at KERNEL_VMA + physical, file linear."""
    with stub_kernel.open("rb") as f:
        elf = ELFFile(f)
        loads = _loads(elf)
        assert loads[0]["p_paddr"] == PHYS_BASE
        assert loads[0]["p_vaddr"] == PHYS_BASE          # boot code runs unpaged
        deltas = set()
        for seg in loads:
            assert seg["p_paddr"] >= PHYS_BASE
            if seg is not loads[0]:
                assert seg["p_vaddr"] == seg["p_paddr"] + KERNEL_VMA
                assert seg["p_vaddr"] % 4096 == 0
            if seg["p_filesz"]:
                deltas.add(seg["p_offset"] - seg["p_paddr"])
        # The multiboot1 a.out kludge copies the file linearly from load_addr on.
        assert len(deltas) == 1, f"file offsets do not follow physical addresses: {deltas}"


def test_layout_symbols(stub_kernel: Path) -> None:
    """The section symbols exist, are page aligned, ordered, and agree with the physical end."""
    with stub_kernel.open("rb") as f:
        syms = _symbols(ELFFile(f))
    order = ["__kernel_start", "__text_start", "__text_end", "__rodata_start", "__rodata_end",
             "__data_start", "__data_end", "__bss_start", "__bss_end", "__kernel_end"]
    values = [syms[n] for n in order]
    assert values == sorted(values)
    assert syms["__kernel_start"] == KERNEL_VMA + PHYS_BASE
    for name in order:
        assert syms[name] % 4096 == 0, name
    assert syms["__kernel_phys_end"] == syms["__kernel_end"] - KERNEL_VMA
    assert syms["__kernel_phys_start"] == PHYS_BASE
    assert syms["kmain"] >= syms["__text_start"]
    # Boot stack: 64 KiB, 16-byte aligned, in .bss.
    assert syms["asterpy_boot_stack_top"] - syms["asterpy_boot_stack_bottom"] == 0x10000
    assert syms["asterpy_boot_stack_top"] % 16 == 0
    assert syms["__bss_start"] <= syms["asterpy_boot_stack_bottom"] < syms["__bss_end"]
    for table in ("asterpy_boot_pml4", "asterpy_boot_pdpt_low", "asterpy_boot_pdpt_high",
                  "asterpy_boot_pdpt_direct", "asterpy_boot_pd"):
        assert syms[table] % 4096 == 0 and syms["__bss_start"] <= syms[table] < syms["__bss_end"]


def test_multiboot1_header(stub_kernel: Path) -> None:
    """Multiboot1 header in the first 8 KiB with a.out-kludge fields that match the layout."""
    data = stub_kernel.read_bytes()
    off = _find_magic(data, 0x1BADB002, 8192, 4)
    assert off >= 0, "no multiboot1 header in the first 8 KiB"
    magic, flags, checksum, header_addr, load_addr, load_end, bss_end, entry = struct.unpack_from(
        "<8I", data, off)
    assert (magic + flags + checksum) & 0xFFFFFFFF == 0
    assert flags & (1 << 16), "a.out kludge bit missing: QEMU refuses an ELF64 without it"
    assert flags & 0b11 == 0b11          # page-aligned modules, memory info
    with stub_kernel.open("rb") as f:
        elf = ELFFile(f)
        syms = _symbols(elf)
        assert load_addr == PHYS_BASE
        assert header_addr == syms["asterpy_mb1_header"]
        assert off - (header_addr - load_addr) == _file_offset_of_paddr(elf, load_addr)
        assert load_end == syms["__data_end"] - KERNEL_VMA
        assert bss_end == syms["__kernel_phys_end"]
        assert entry == syms["asterpy_entry32"]
        # Everything up to load_end_addr really is in the file.
        assert _file_offset_of_paddr(elf, load_addr) + (load_end - load_addr) <= len(data)


def test_multiboot2_header(stub_kernel: Path) -> None:
    """Multiboot2 header in the first 32 KiB, 8-aligned, with an entry tag and an end tag."""
    data = stub_kernel.read_bytes()
    off = _find_magic(data, 0xE85250D6, 32768, 8)
    assert off >= 0, "no multiboot2 header in the first 32 KiB"
    magic, arch, length, checksum = struct.unpack_from("<4I", data, off)
    assert arch == 0
    assert (magic + arch + length + checksum) & 0xFFFFFFFF == 0
    tags = {}
    pos = off + 16
    while pos < off + length:
        ttype, tflags, tsize = struct.unpack_from("<HHI", data, pos)
        tags[ttype] = data[pos:pos + tsize]
        if ttype == 0:
            assert tsize == 8
            break
        pos += (tsize + 7) & ~7
    assert 0 in tags, "no end tag"
    with stub_kernel.open("rb") as f:
        syms = _symbols(ELFFile(f))
    assert struct.unpack_from("<I", tags[3], 8)[0] == syms["asterpy_entry32"]


def test_pvh_note(stub_kernel: Path) -> None:
    """A Xen PHYS32_ENTRY note in a 4-aligned PT_NOTE, pointing at the PVH entry."""
    with stub_kernel.open("rb") as f:
        elf = ELFFile(f)
        syms = _symbols(elf)
        found = []
        for seg in elf.iter_segments():
            if seg["p_type"] != "PT_NOTE":
                continue
            # QEMU aligns the note name to p_align before reading the descriptor.
            assert seg["p_align"] == 4
            for note in seg.iter_notes():
                if note["n_name"] == "Xen" and note["n_type"] == 18:
                    found.append(note)
        assert len(found) == 1
        desc = found[0]["n_desc"]
        raw = desc if isinstance(desc, bytes) else bytes.fromhex(desc)
        assert struct.unpack("<Q", raw[:8])[0] == syms["asterpy_entry_pvh"] < 1 << 32


def test_pvh_variant_has_no_multiboot1(stub_kernel_pvh: Path) -> None:
    """The ASTERPY_NO_MULTIBOOT1 build keeps multiboot2 and PVH and drops only multiboot1."""
    data = stub_kernel_pvh.read_bytes()
    assert _find_magic(data, 0x1BADB002, 8192, 4) < 0
    assert _find_magic(data, 0xE85250D6, 32768, 8) >= 0
