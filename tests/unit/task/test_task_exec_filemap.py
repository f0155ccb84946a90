"""exec through the page cache on simulated memory: the mapping plan of each PT_LOAD (which pages
map the file, which are zero-filled, which .bss tail is cleared), and a real static binary
(hello.c) mapped from file pages that are frames of the process's allocator, as in the kernel:
text and read-only pages are the file's own frames, writes copy, the .bss tail page is a private
copy and the file itself never changes. Only the headers are read into a kernel buffer."""

import io
import struct as pystruct
from typing import List

import pytest
from elftools.elf.elffile import ELFFile

from asterpy.exec.elf import EM_X86_64, ElfSegment, elf_head_need, elf_map_plan, elf_parse_head
from asterpy.lang import SysError, memory, u32, u64
from asterpy.lang.errno import EINVAL
from asterpy.mm import filepages
from asterpy.mm.fault import fault_in
from asterpy.mm.filepages import FilePages, PageSource
from asterpy.mm.frames import FrameAllocator
from asterpy.mm.paging import NO_PHYS
from asterpy.mm.vma import PROT_EXEC, PROT_READ, PROT_WRITE

from task_sim import DIRECT_MAP, kbuf, make_process, uread
from test_task_exec import make_elf

PAGE = 4096


def seg(vaddr: int, offset: int, filesz: int, memsz: int) -> ElfSegment:
    """A PT_LOAD as the loader sees it."""
    s = ElfSegment()
    s.vaddr = u64(vaddr)
    s.offset = u64(offset)
    s.filesz = u64(filesz)
    s.memsz = u64(memsz)
    s.flags = u32(4)
    s.align = u64(PAGE)
    return s


def plan_of(s: ElfSegment, bias: int = 0):
    """(start, file_end, zero_from, end, pgoff) of elf_map_plan as ints."""
    p = elf_map_plan(s, u64(bias))
    return int(p.start), int(p.file_end), int(p.zero_from), int(p.end), int(p.pgoff)


def test_plan_text_segment_maps_whole_file_pages() -> None:
    """A text segment (filesz == memsz, starting mid-page at its offset): its pages all map the
    file from the page holding its first byte; nothing is zeroed, even past filesz in the last page."""
    assert plan_of(seg(0x401120, 0x1120, 0x2345, 0x2345)) == (0x401000, 0x404000, 0x404000, 0x404000, 0x1000)


def test_plan_data_with_bss_in_its_last_page() -> None:
    """Data with a small .bss: the last file page is cleared from the end of the file bytes on;
    no anonymous pages when the .bss fits in that page."""
    assert plan_of(seg(0x405e10, 0x4e10, 0x100, 0x180)) == (0x405000, 0x406000, 0x405f10, 0x406000, 0x4000)


def test_plan_bss_spanning_pages_is_anonymous_after_the_file_page() -> None:
    """A .bss of several pages: the tail of the file page is cleared, the pages after are anonymous."""
    assert plan_of(seg(0x601100, 0x1100, 3, 3 + 5 * PAGE)) == (0x601000, 0x602000, 0x601103, 0x607000, 0x1000)


def test_plan_file_bytes_ending_on_a_page_boundary_clear_nothing() -> None:
    """File bytes that end exactly at a page end: no page to clear, the .bss is all anonymous."""
    assert plan_of(seg(0x600000, 0x2000, 0x1000, 0x3000)) == (0x600000, 0x601000, 0x601000, 0x603000, 0x2000)


def test_plan_segment_without_file_bytes_is_all_anonymous() -> None:
    """filesz 0: no file mapping at all."""
    assert plan_of(seg(0x700800, 0x3800, 0, 0x1000)) == (0x700000, 0x700000, 0x700000, 0x702000, 0x3000)


def test_plan_moves_with_the_bias_but_not_the_file_offset() -> None:
    """An ET_DYN image: addresses move by the bias, the file offset stays."""
    bias = 0x5555_5555_4000
    assert plan_of(seg(0x1e10, 0xe10, 0x300, 0x400), bias) == \
        (bias + 0x1000, bias + 0x3000, bias + 0x2110, bias + 0x3000, 0)


def test_head_need_covers_program_headers_and_interp_path() -> None:
    """elf_head_need asks for the program header table, then for a PT_INTERP path placed far into
    the file; with less, elf_parse_head refuses to read past what it was given (EINVAL)."""
    data = bytearray(make_elf([(0x400000, 0x3000, 5, 0, b"")], first_filesz=0x100))
    # Add a PT_INTERP header after the PT_LOAD one and its path at offset 0x2000.
    data[56:58] = pystruct.pack("<H", 2)
    path = b"/lib/ld.so\0"
    data[64 + 56:64 + 112] = pystruct.pack("<IIQQQQQQ", 3, 4, 0x2000, 0, 0, len(path), len(path), 1)
    data += bytes(0x2000 + len(path) - len(data))
    data[0x2000:0x2000 + len(path)] = path
    full = bytes(data)
    short = kbuf(60, full[:60])
    assert int(elf_head_need(u64(short), u64(60))) == 60            # not even a header: parse refuses
    head = kbuf(PAGE, full[:PAGE])
    assert int(elf_head_need(u64(head), u64(64))) == 64 + 2 * 56
    assert int(elf_head_need(u64(head), u64(PAGE))) == 0x2000 + len(path)
    with pytest.raises(SysError) as ei:
        elf_parse_head(u64(head), u64(PAGE), u64(len(full)), EM_X86_64)
    assert ei.value.errno == EINVAL
    whole = kbuf(len(full), full)
    img = elf_parse_head(u64(whole), u64(len(full)), u64(len(full)), EM_X86_64)
    assert img.has_interp and int(img.interp_len) == len(path) - 1


class FrameFile(FilePages):
    """A read-only file whose pages are frames of the process's allocator (as fs_use_frames makes them)."""

    def __init__(self, fa: FrameAllocator, data: bytes) -> None:
        self.size = u64(len(data))
        self.pages: List[int] = []
        for off in range(0, len(data), PAGE):
            pa = int(fa.alloc())
            chunk = data[off:off + PAGE]
            memory.sim.write(DIRECT_MAP + pa, chunk + bytes(PAGE - len(chunk)))
            self.pages.append(DIRECT_MAP + pa)

    def file_size(self) -> u64:
        return self.size

    def page_or_zero(self, index: u64) -> u64:
        return u64(self.pages[int(index)]) if int(index) < len(self.pages) else u64(0)


@pytest.fixture
def mapped_hello(hello_elf: bytes, monkeypatch: pytest.MonkeyPatch):
    """hello's headers (one page) in a kernel buffer and its segments mapped from a FrameFile;
    (process, file, PT_LOAD headers)."""
    fa, _, p = make_process(2048)
    monkeypatch.setattr(filepages, "page_source", PageSource(fa, u64(DIRECT_MAP)))
    f = FrameFile(fa, hello_elf)
    n = int(elf_head_need(u64(kbuf(PAGE, hello_elf[:PAGE])), u64(PAGE)))
    assert n < PAGE
    head = kbuf(n, hello_elf[:n])
    p.load_elf_file(u64(head), u64(n), u64(len(hello_elf)), f, EM_X86_64, u64(0))
    loads = [dict(s.header) for s in ELFFile(io.BytesIO(hello_elf)).iter_segments() if s["p_type"] == "PT_LOAD"]
    return p, f, loads


def test_segments_are_file_areas_and_bss_is_anonymous(mapped_hello, hello_elf: bytes) -> None:
    """Each PT_LOAD's file pages are a private area of the file at the page's offset, with the
    segment's protection; the .bss past the last file page is anonymous; bytes and zeros as in
    the file and the ELF rules."""
    p, f, loads = mapped_hello
    for ph in loads:
        va, off, fs, ms = ph["p_vaddr"], ph["p_offset"], ph["p_filesz"], ph["p_memsz"]
        prot = PROT_READ | (PROT_WRITE if ph["p_flags"] & 2 else 0) | (PROT_EXEC if ph["p_flags"] & 1 else 0)
        if fs:
            v = p.vmas.find(u64(va))
            assert v is not None and v.inode is f and not v.shared()
            assert int(v.prot) == prot and int(v.file_offset(u64(va & ~0xFFF))) == off & ~0xFFF
        file_end = (va + fs + 0xFFF) & ~0xFFF
        end = (va + ms + 0xFFF) & ~0xFFF
        if end > file_end:
            w = p.vmas.find(u64(file_end))
            assert w is not None and w.inode is None and int(w.end) >= end and int(w.prot) == prot
        assert uread(p, va, fs) == hello_elf[off:off + fs]
        if ms > fs:
            assert uread(p, va + fs, end - (va + fs)) == bytes(end - (va + fs))


def test_text_is_shared_with_the_file_and_writes_copy(mapped_hello, hello_elf: bytes) -> None:
    """Read-only pages map the file's own frames; a write to a private writable file page gets a
    copy; the .bss tail page was a private copy from the start; the file never changes."""
    p, f, loads = mapped_hello
    text = [ph for ph in loads if ph["p_flags"] & 1][0]
    va = text["p_vaddr"] & ~0xFFF
    fault_in(p, u64(va), False)
    assert int(p.space.translate(u64(va))) + DIRECT_MAP == f.pages[(text["p_offset"] & ~0xFFF) // PAGE]
    data = [ph for ph in loads if ph["p_flags"] & 2 and ph["p_memsz"] > ph["p_filesz"] and ph["p_filesz"]][0]
    tail = (data["p_vaddr"] + data["p_filesz"]) & ~0xFFF
    tail_page = f.pages[(data["p_offset"] + data["p_filesz"]) // PAGE]
    assert int(p.space.translate(u64(tail))) not in (int(NO_PHYS), tail_page - DIRECT_MAP)
    for i, a in enumerate(f.pages):
        chunk = hello_elf[i * PAGE:(i + 1) * PAGE]
        assert memory.sim.read(a, len(chunk)) == chunk


def test_writable_file_page_is_copied_on_first_write(monkeypatch: pytest.MonkeyPatch) -> None:
    """A data segment over two file pages: its first page is the file's frame until written, then
    a copy (the file keeps its bytes); the tail page holds the file bytes then zeros."""
    data = make_elf([(0x400000, 0x1000, 5, 0, b""), (0x402000, 0x3000, 6, 0x2000, b"D" * 0x1800)],
                    first_filesz=0x200)
    data += b"Z" * (0x4000 - len(data))         # file bytes past filesz that must not show
    fa, _, p = make_process()
    monkeypatch.setattr(filepages, "page_source", PageSource(fa, u64(DIRECT_MAP)))
    f = FrameFile(fa, data)
    head = kbuf(PAGE, data[:PAGE])
    p.load_elf_file(u64(head), u64(PAGE), u64(len(data)), f, EM_X86_64, u64(0))
    fault_in(p, u64(0x402000), False)
    assert int(p.space.translate(u64(0x402000))) + DIRECT_MAP == f.pages[2]
    fault_in(p, u64(0x402000), True)
    assert int(p.space.translate(u64(0x402000))) + DIRECT_MAP != f.pages[2]
    assert uread(p, 0x402000, 0x1800) == b"D" * 0x1800
    assert uread(p, 0x403800, 0x1800) == bytes(0x1800)
    assert memory.sim.read(f.pages[3], PAGE) == data[0x3000:0x4000]
    assert int(p.brk_start) == 0x405000
