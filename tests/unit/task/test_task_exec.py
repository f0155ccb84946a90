"""Process creation from a real static binary (tests/user/hello.c, zig cc musl) on simulated
memory: PT_LOAD mapping and permissions, bss zeroing, the x86_64 initial stack (argc, argv,
envp, auxv) and its alignment; plus synthetic ELF files for the loader's edge cases."""

import io
import struct as pystruct
from typing import Dict, List, Tuple

import pytest
from elftools.elf.elffile import ELFFile

from asterpy.exec.elf import EM_RISCV, EM_X86_64, ElfImage
from asterpy.lang import SysError, memory, u16, u64
from asterpy.lang.errno import E2BIG, ENOEXEC
from asterpy.mm.frames import FrameAllocator
from asterpy.mm.paging import EXEC, NO_PHYS, READ, USER, WRITE
from asterpy.task import process as P
from asterpy.task.process import Process

from task_sim import (DIRECT_MAP, FRAMES, KERNEL_VA, PHYS_BASE, kstrings, make_process, place_file, uread,
                      ucstr, uword)

RND0 = 0x0123_4567_89AB_CDEF
RND1 = 0xFEDC_BA98_7654_3210
HWCAP = 0x178BFBFF


def dirty_free_frames(fa: FrameAllocator) -> None:
    """Fill every free frame with 0xA5, so a page the kernel forgets to zero shows."""
    for pa in range(PHYS_BASE, PHYS_BASE + FRAMES * 4096, 4096):
        if fa.is_free(u64(pa)):
            memory.sim.write(DIRECT_MAP + pa, b"\xa5" * 4096)


def load(data: bytes, machine: int = int(EM_X86_64)) -> Tuple[Process, ElfImage]:
    """A fresh process with the file data loaded (frames dirtied first)."""
    fa, _, p = make_process()
    dirty_free_frames(fa)
    base = place_file(data)
    img = p.load_elf(u64(base), u64(len(data)), u16(machine))
    return p, img


def boot(data: bytes, args: List[bytes]) -> Tuple[Process, ElfImage]:
    """load() plus setup_stack with args."""
    p, img = load(data)
    addrs, lens = kstrings(args)
    p.setup_stack(img, addrs, lens, u64(RND0), u64(RND1), u64(HWCAP))
    return p, img


def pt_loads(data: bytes) -> List[Dict[str, int]]:
    """The PT_LOAD headers of an ELF file, by pyelftools."""
    elf = ELFFile(io.BytesIO(data))
    return [dict(seg.header) for seg in elf.iter_segments() if seg["p_type"] == "PT_LOAD"]


def parse_stack(p: Process) -> Tuple[List[int], List[int], List[Tuple[int, int]], int]:
    """(argv pointers, envp pointers, auxv pairs, address after AT_NULL) read from p.sp."""
    sp = int(p.sp)
    argc = uword(p, sp)
    argv = [uword(p, sp + 8 * (1 + i)) for i in range(argc)]
    assert uword(p, sp + 8 * (1 + argc)) == 0, "argv is not NULL-terminated"
    q = sp + 8 * (2 + argc)
    envp = []
    while (w := uword(p, q)) != 0:
        envp.append(w)
        q += 8
    q += 8
    auxv = []
    while True:
        k, v = uword(p, q), uword(p, q + 8)
        q += 16
        auxv.append((k, v))
        if k == 0:
            return argv, envp, auxv, q


# ------------------------------------------------------------------ the real binary


def test_segments_mapped_with_their_permissions(hello_elf: bytes) -> None:
    """Each PT_LOAD page is a USER mapping with exactly the segment's R/W/X; no page is W+X."""
    p, img = load(hello_elf)
    loads = pt_loads(hello_elf)
    assert int(img.load_count) == len(loads) >= 2
    pages: Dict[int, int] = {}
    for ph in loads:
        want = READ | USER
        if ph["p_flags"] & 2:
            want |= WRITE
        if ph["p_flags"] & 1:
            want |= EXEC
        first = ph["p_vaddr"] & ~0xFFF
        end = (ph["p_vaddr"] + ph["p_memsz"] + 0xFFF) & ~0xFFF
        for va in range(first, end, 4096):
            assert va not in pages, "this binary is expected to keep its segments on separate pages"
            pages[va] = int(want)
    for va, want in pages.items():
        got = int(p.space.flags_of(u64(va)))
        assert got == want, f"page {va:#x}: flags {got:#x}, want {want:#x}"
        assert not (got & WRITE and got & EXEC), f"page {va:#x} is writable and executable"
    # Nothing else of the image's span is mapped (the page below and above, and any gap).
    lo, hi = min(pages), max(pages) + 4096
    for va in range(lo - 4096, hi + 4096, 4096):
        if va not in pages:
            assert p.space.flags_of(u64(va)) == 0, f"stray mapping at {va:#x}"
    elf = ELFFile(io.BytesIO(hello_elf))
    assert int(p.entry) == elf.header["e_entry"] == int(img.entry)
    assert int(p.brk_start) == int(p.brk) == hi


def test_segment_bytes_copied_and_bss_zeroed(hello_elf: bytes) -> None:
    """File bytes land at p_vaddr; p_memsz past p_filesz and the rest of each page read as zero
    even though every frame held 0xA5 before the load."""
    p, _ = load(hello_elf)
    loads = pt_loads(hello_elf)
    assert any(ph["p_memsz"] > ph["p_filesz"] for ph in loads), "hello has a .bss"
    for ph in loads:
        va, off, fs, ms = ph["p_vaddr"], ph["p_offset"], ph["p_filesz"], ph["p_memsz"]
        assert uread(p, va, fs) == hello_elf[off:off + fs]
        page0 = va & ~0xFFF
        assert uread(p, page0, va - page0) == bytes(va - page0)
        end = (va + ms + 0xFFF) & ~0xFFF
        assert uread(p, va + fs, end - (va + fs)) == bytes(end - (va + fs))


def test_initial_stack_layout(hello_elf: bytes) -> None:
    """argc/argv/envp/auxv as Linux lays them out on x86_64, every auxv value checked."""
    args = [b"/init", b"first", b"with space", b""]
    p, img = boot(hello_elf, args)
    sp = int(p.sp)
    assert sp % 16 == 0, "the ABI wants rsp 16-byte aligned at process entry"
    top = int(P.STACK_TOP)
    assert top - int(P.STACK_EAGER) <= sp < top
    assert uword(p, sp) == len(args)
    argv, envp, auxv, aux_end = parse_stack(p)
    assert [ucstr(p, a) for a in argv] == args
    assert [ucstr(p, e) for e in envp] == [b"HOME=/", b"TERM=linux"]
    # Strings sit above the vectors, inside the stack, and do not overlap one another.
    spans = sorted((a, a + len(ucstr(p, a)) + 1) for a in argv + envp)
    assert spans[0][0] >= aux_end
    assert all(x[1] <= y[0] for x, y in zip(spans, spans[1:]))
    assert spans[-1][1] <= top

    keys = [k for k, _ in auxv]
    assert keys[-1] == int(P.AT_NULL) and keys.count(0) == 1
    assert len(set(keys)) == len(keys), "an auxv type appears twice"
    aux = dict(auxv)
    elf = ELFFile(io.BytesIO(hello_elf))
    eh = elf.header
    assert aux[int(P.AT_PHENT)] == 56 == eh["e_phentsize"]
    assert aux[int(P.AT_PHNUM)] == eh["e_phnum"]
    assert aux[int(P.AT_PAGESZ)] == 4096
    assert aux[int(P.AT_ENTRY)] == eh["e_entry"] == int(p.entry)
    assert aux[int(P.AT_BASE)] == 0 and aux[int(P.AT_FLAGS)] == 0
    for k in (P.AT_UID, P.AT_EUID, P.AT_GID, P.AT_EGID, P.AT_SECURE, P.AT_HWCAP2):
        assert aux[int(k)] == 0
    assert aux[int(P.AT_CLKTCK)] == 100
    assert aux[int(P.AT_HWCAP)] == HWCAP
    # AT_PHDR: the program headers as mapped in user memory are the file's.
    phdr_seg = [s for s in elf.iter_segments() if s["p_type"] == "PT_PHDR"]
    assert phdr_seg and aux[int(P.AT_PHDR)] == phdr_seg[0]["p_vaddr"]
    n = eh["e_phnum"] * 56
    assert uread(p, aux[int(P.AT_PHDR)], n) == hello_elf[eh["e_phoff"]:eh["e_phoff"] + n]
    # AT_RANDOM: 16 bytes inside the stack mapping, holding the two words given.
    r = aux[int(P.AT_RANDOM)]
    assert aux_end <= r and r + 16 <= top
    assert uread(p, r, 16) == RND0.to_bytes(8, "little") + RND1.to_bytes(8, "little")
    assert ucstr(p, aux[int(P.AT_PLATFORM)]) == b"x86_64"
    assert ucstr(p, aux[int(P.AT_EXECFN)]) == b"/init"
    # The stack is a private writable, non-executable user mapping.
    for va in range(sp & ~0xFFF, top, 4096):
        assert p.space.flags_of(u64(va)) == READ | WRITE | USER
    assert p.space.flags_of(u64(top)) == 0


@pytest.mark.parametrize("args", [
    [b"/i"], [b"/init", b"a"], [b"/init", b"ab", b"abc"], [b"x" * 7] * 5, [b"y" * 20] * 32,
    [b"/init"] + [b"z" * k for k in range(1, 12)],
])
def test_stack_alignment_for_any_argument_shape(hello_elf: bytes, args: List[bytes]) -> None:
    """rsp stays 16-byte aligned whatever the parity of argc and the string lengths."""
    p, _ = boot(hello_elf, args)
    assert int(p.sp) % 16 == 0
    argv, _, auxv, _ = parse_stack(p)
    assert [ucstr(p, a) for a in argv] == args
    # AUXV_PAIRS counts AT_SYSINFO_EHDR, which only a process with a vDSO gets (none here: no boot).
    assert auxv[-1] == (0, 0) and len(auxv) == int(P.AUXV_PAIRS) - (0 if p.vdso_base else 1)


@pytest.mark.parametrize("count", [0, 8193])
def test_setup_stack_refuses_bad_argument_counts(hello_elf: bytes, count: int) -> None:
    """No argv[0], or more than MAX_ARGS arguments: E2BIG."""
    p, img = load(hello_elf)
    addrs, lens = kstrings([b"a"] * count)
    with pytest.raises(SysError) as ei:
        p.setup_stack(img, addrs, lens, u64(0), u64(0), u64(0))
    assert ei.value.errno == E2BIG


def test_setup_stack_refuses_mismatched_lists(hello_elf: bytes) -> None:
    """Address and length lists of different lengths: E2BIG."""
    p, img = load(hello_elf)
    addrs, lens = kstrings([b"a", b"b"])
    with pytest.raises(SysError) as ei:
        p.setup_stack(img, addrs, lens[:1], u64(0), u64(0), u64(0))
    assert ei.value.errno == E2BIG


def test_kernel_half_shared_and_everything_freed(hello_elf: bytes) -> None:
    """The process's top-level table copies the kernel half; free_user_memory returns every frame
    (segments, stack, brk, mmap and page tables) and leaves the kernel's tables alone."""
    fa, ks, p = make_process()
    free0 = int(fa.free_count()) + 1          # the process's root is already allocated
    root_k = DIRECT_MAP + int(ks.root)
    root_p = DIRECT_MAP + int(p.space.root)
    assert memory.sim.read(root_p + 256 * 8, 256 * 8) == memory.sim.read(root_k + 256 * 8, 256 * 8)
    assert memory.sim.read(root_k + 511 * 8, 8) != bytes(8)
    assert memory.sim.read(root_p, 256 * 8) == bytes(256 * 8)
    base = place_file(hello_elf)
    img = p.load_elf(u64(base), u64(len(hello_elf)), EM_X86_64)
    addrs, lens = kstrings([b"/init"])
    p.setup_stack(img, addrs, lens, u64(1), u64(2), u64(0))
    p.set_brk(p.brk + 3 * 4096 + 5)
    p.mmap_anon(u64(5 * 4096), WRITE)
    assert int(fa.free_count()) < free0 - 70
    kernel_half = memory.sim.read(root_k, 4096)
    p.free_user_memory()
    assert int(fa.free_count()) == free0
    assert memory.sim.read(root_k, 4096) == kernel_half
    assert ks.translate(u64(KERNEL_VA)) != NO_PHYS


def test_load_refuses_garbage_and_wrong_machine(hello_elf: bytes) -> None:
    """A non-ELF file and an x86_64 file loaded for riscv64 are ENOEXEC, and nothing is mapped."""
    for data, machine in ((b"\x7fELF" + bytes(200), EM_X86_64), (hello_elf, EM_RISCV)):
        memory.reset_sim()
        fa, _, p = make_process()
        free0 = int(fa.free_count())
        base = place_file(data)
        with pytest.raises(SysError) as ei:
            p.load_elf(u64(base), u64(len(data)), machine)
        assert ei.value.errno == ENOEXEC
        assert int(fa.free_count()) == free0


# ------------------------------------------------------------------ synthetic files


def make_elf(loads: List[Tuple[int, int, int, int, bytes]], etype: int = 2, entry: int = 0x400000,
             phdr: bool = False, first_filesz: int = 0) -> bytes:
    """An x86_64 ELF with PT_LOADs (vaddr, memsz, flags, file offset, file bytes); the file
    bytes are placed at their offsets. With phdr, a PT_PHDR for the table at offset 64.
    first_filesz, if set, is the first segment's p_filesz (to cover the headers)."""
    nph = len(loads) + (1 if phdr else 0)
    out = bytearray(max([off + len(b) for _, _, _, off, b in loads] + [64 + 56 * nph]))
    out[0:16] = b"\x7fELF\x02\x01\x01" + bytes(9)
    out[16:64] = pystruct.pack("<HHIQQQIHHHHHH", etype, 62, 1, entry, 64, 0, 0, 64, 56, nph, 64, 0, 0)
    ph = 64
    if phdr:
        out[ph:ph + 56] = pystruct.pack("<IIQQQQQQ", 6, 4, 64, loads[0][0] + 64, loads[0][0] + 64,
                                        56 * nph, 56 * nph, 8)
        ph += 56
    for i, (vaddr, memsz, flags, off, data) in enumerate(loads):
        filesz = first_filesz if i == 0 and first_filesz else len(data)
        out[ph:ph + 56] = pystruct.pack("<IIQQQQQQ", 1, flags, off, vaddr, vaddr, filesz, memsz, 4096)
        ph += 56
        if data:
            out[off:off + len(data)] = data
    return bytes(out)


def test_large_bss_spanning_pages_is_zero() -> None:
    """A data segment with 3 bytes of file data and 5 pages of bss: all of the bss reads zero and
    is writable, and brk starts right after it."""
    data = make_elf([(0x400000, 4096, 5, 0, b""), (0x401000 + 0x100, 3 + 5 * 4096, 6, 0x100, b"abc")])
    p, _ = load(data)
    assert uread(p, 0x401100, 3) == b"abc"
    assert uread(p, 0x401103, 5 * 4096) == bytes(5 * 4096)
    end = (0x401100 + 3 + 5 * 4096 + 0xFFF) & ~0xFFF
    for va in range(0x401000, end, 4096):
        assert p.space.flags_of(u64(va)) == READ | WRITE | USER
    assert int(p.brk_start) == end


def test_et_dyn_is_moved_by_the_load_bias() -> None:
    """An ET_DYN (static-pie) image linked at 0 is placed at ET_DYN_BASE: entry and AT_PHDR move."""
    data = make_elf([(0, 0x200, 5, 0, b""), (0x1000, 0x10, 6, 0x1000, b"D" * 16)], etype=3, entry=0x180,
                    phdr=True)
    p, img = load(data)
    bias = int(P.ET_DYN_BASE)
    assert int(p.entry) == bias + 0x180 == int(img.entry)
    assert int(img.phdr_vaddr) == bias + 64
    assert p.space.flags_of(u64(bias)) == READ | EXEC | USER
    assert uread(p, bias + 0x1000, 16) == b"D" * 16
    assert p.space.flags_of(u64(0)) == 0


def test_phdr_found_in_first_segment_without_pt_phdr() -> None:
    """Without PT_PHDR, AT_PHDR is the first segment's image of the table at file offset 64."""
    data = make_elf([(0x400000, 0x200, 5, 0, b"")], first_filesz=0x100)
    data += bytes(0x100 - len(data))
    p, img = load(data)
    assert int(img.phdr_vaddr) == 0x400040
    assert uread(p, 0x400040, 56) == data[64:120]


def test_segment_reaching_the_mmap_area_is_refused() -> None:
    """A segment ending above MMAP_BASE would collide with mmap: ENOEXEC."""
    top = int(P.MMAP_BASE)
    data = make_elf([(top - 0x1000, 0x2000, 6, 0, b"")])
    with pytest.raises(SysError) as ei:
        load(data)
    assert ei.value.errno == ENOEXEC


def test_segments_sharing_a_page_get_the_union_of_permissions() -> None:
    """Characterisation: an RX and an RW segment on one page make that page RWX (the loader takes
    the union). W^X then depends on the linker keeping them apart, as it does for hello."""
    data = make_elf([(0x400000, 0x80, 5, 0, b""), (0x400800, 0x80, 6, 0x800, b"d")])
    p, _ = load(data)
    assert p.space.flags_of(u64(0x400000)) == READ | WRITE | EXEC | USER
