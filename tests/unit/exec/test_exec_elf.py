"""ELF64 parsing: real binaries (zig cc musl, gcc glibc, busybox) against pyelftools, a
reference model on synthetic files, and fuzzing of mutated headers."""

import io
import struct as pystruct
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Tuple

import pytest
from elftools.elf.elffile import ELFFile
from hypothesis import HealthCheck, given, settings, strategies as st

from asterpy.exec import elf
from asterpy.exec.elf import (EM_LOONGARCH, EM_RISCV, EM_X86_64, ElfImage, elf_load_bias,
                              elf_load_segment, elf_load_span, elf_parse, elf_phdr)
from asterpy.lang import SysError, memory, sizeof, u16, u32, u64
from asterpy.lang.errno import EINVAL, ENOEXEC

REGION_END = 0x3000_0000_0000
USER_TOP = u64(1) << 47
HELLO = r"""
#include <stdio.h>
__thread int tls_counter = 5;
int main(void) { printf("hello %d\n", tls_counter); return 0; }
"""
MACHINES = {"EM_X86_64": EM_X86_64, "EM_RISCV": EM_RISCV, "EM_LOONGARCH": EM_LOONGARCH}


def place(data: bytes) -> int:
    """Put data in simulated memory, 8-byte aligned, ending at the end of a mapped page."""
    pad = -len(data) % 8
    data = data + b"\0" * pad
    base = REGION_END - len(data)
    memory.sim.map(base, max(len(data), 1))
    memory.sim.write(base, data)
    return base


def zig(target: str, out: Path, src: Path, *flags: str) -> None:
    """Build src with zig's clang for target."""
    subprocess.run([sys.executable, "-m", "ziglang", "cc", "-target", target, "-O1", "-s",
                    *flags, str(src), "-o", str(out)], check=True, capture_output=True)


@pytest.fixture(scope="module")
def binaries(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Tuple[Path, u16]]:
    """Real executables of every kind execve must accept, with their machine."""
    d = tmp_path_factory.mktemp("elf")
    src = d / "hello.c"
    src.write_text(HELLO)
    out: Dict[str, Tuple[Path, u16]] = {}
    zig("x86_64-linux-musl", d / "musl_static", src, "-static")
    out["musl_static"] = (d / "musl_static", EM_X86_64)
    zig("x86_64-linux-musl", d / "musl_static_pie", src, "-fPIE", "-static-pie")
    out["musl_static_pie"] = (d / "musl_static_pie", EM_X86_64)
    zig("riscv64-linux-musl", d / "rv64_static", src, "-static")
    out["rv64_static"] = (d / "rv64_static", EM_RISCV)
    zig("loongarch64-linux-musl", d / "la64_static", src, "-static")
    out["la64_static"] = (d / "la64_static", EM_LOONGARCH)
    for name, flags in (("gcc_static", ["-static"]), ("gcc_static_pie", ["-static-pie"]),
                        ("gcc_dynamic", [])):
        subprocess.run(["gcc", "-O1", *flags, str(src), "-o", str(d / name)], check=True)
        out[name] = (d / name, EM_X86_64)
    out["busybox"] = (Path("/bin/busybox"), EM_X86_64)
    return out


def parse_bytes(data: bytes, machine: u16) -> ElfImage:
    """elf_parse on a fresh copy of data placed at the end of mapped memory."""
    base = place(data)
    return elf_parse(u64(base), u64(len(data)), machine)


class Expect(NamedTuple):
    """What pyelftools says a loader needs."""

    type: int
    entry: int
    loads: List[Tuple[int, int, int, int, int, int]]
    interp: Optional[bytes]
    tls: Optional[Tuple[int, int, int, int, int]]
    stack_flags: Optional[int]
    phdr_vaddr: int


def expect(data: bytes) -> Expect:
    """The reference reading of an executable by pyelftools."""
    e = ELFFile(io.BytesIO(data))
    segs = list(e.iter_segments())
    loads = [(s["p_vaddr"], s["p_memsz"], s["p_filesz"], s["p_offset"], s["p_flags"],
              s["p_align"]) for s in segs if s["p_type"] == "PT_LOAD"]
    interp = next((s.get_interp_name().encode() for s in segs if s["p_type"] == "PT_INTERP"), None)
    tls = next(((s["p_vaddr"], s["p_memsz"], s["p_filesz"], s["p_offset"], s["p_align"])
                for s in segs if s["p_type"] == "PT_TLS"), None)
    stack = next((s["p_flags"] for s in segs if s["p_type"] == "PT_GNU_STACK"), None)
    phdr = next((s["p_vaddr"] for s in segs if s["p_type"] == "PT_PHDR"), None)
    if phdr is None:
        phoff, tsize = e["e_phoff"], e["e_phnum"] * e["e_phentsize"]
        phdr = next((v + phoff - o for v, _, fs, o, _, _ in loads
                     if o <= phoff and phoff + tsize <= o + fs), 0)
    return Expect({"ET_EXEC": 2, "ET_DYN": 3}[e["e_type"]], e["e_entry"], loads, interp, tls,
                  stack, phdr)


NAMES = ["musl_static", "musl_static_pie", "rv64_static", "la64_static", "gcc_static",
         "gcc_static_pie", "gcc_dynamic", "busybox"]


@pytest.mark.parametrize("name", NAMES)
def test_real_binary_matches_pyelftools(binaries: Dict[str, Tuple[Path, u16]], name: str) -> None:
    path, machine = binaries[name]
    data = path.read_bytes()
    img = parse_bytes(data, machine)
    want = expect(data)
    assert (img.type, img.entry, img.machine) == (want.type, want.entry, machine)
    got_loads = []
    for i in range(int(img.load_count)):
        s = elf_load_segment(img, u32(i))
        got_loads.append((s.vaddr, s.memsz, s.filesz, s.offset, s.flags, s.align))
    assert got_loads == want.loads
    with pytest.raises(SysError):
        elf_load_segment(img, img.load_count)
    assert img.min_vaddr == want.loads[0][0] & ~0xFFF
    assert img.max_vaddr == (want.loads[-1][0] + want.loads[-1][1] + 0xFFF) & ~0xFFF
    assert img.max_align == max(4096, *(ld[5] for ld in want.loads))
    assert img.has_interp == (want.interp is not None)
    if want.interp is not None:
        got = memory.sim.read(elf.elf_interp_addr(img), img.interp_len)
        assert got == want.interp
    assert img.has_tls == (want.tls is not None)
    if want.tls is not None:
        t = img.tls
        assert (t.vaddr, t.memsz, t.filesz, t.offset, t.align) == want.tls
    assert img.has_gnu_stack == (want.stack_flags is not None)
    if want.stack_flags is not None:
        assert img.stack_flags == want.stack_flags
        assert not elf.elf_wants_exec_stack(img)
    assert img.phdr_vaddr == want.phdr_vaddr != 0
    # The kinds we expect from each build.
    assert img.has_interp == (name == "gcc_dynamic")
    assert (img.type == elf.ET_DYN) == (name in ("musl_static_pie", "gcc_static_pie",
                                                   "gcc_dynamic"))


@pytest.mark.parametrize("name", NAMES)
def test_wrong_machine_is_enoexec(binaries: Dict[str, Tuple[Path, u16]], name: str) -> None:
    path, machine = binaries[name]
    data = path.read_bytes()[:65536]    # the check fails before the segments are read
    for other in MACHINES.values():
        if other != machine:
            with pytest.raises(SysError) as ei:
                parse_bytes(data, other)
            assert ei.value.errno == ENOEXEC
            memory.reset_sim()


@pytest.mark.parametrize("name", ["musl_static_pie", "gcc_static_pie", "gcc_dynamic"])
def test_load_bias_for_pie(binaries: Dict[str, Tuple[Path, u16]], name: str) -> None:
    path, machine = binaries[name]
    img = parse_bytes(path.read_bytes(), machine)
    hint = u64(0x5555_5555_4123)
    bias = elf_load_bias(img, hint, USER_TOP)
    lowest = img.min_vaddr + bias
    assert lowest >= hint and lowest % img.max_align == 0 and lowest - hint < img.max_align
    assert img.max_vaddr + bias <= USER_TOP
    assert img.entry + bias < img.max_vaddr + bias
    with pytest.raises(SysError):
        elf_load_bias(img, USER_TOP - 4096, USER_TOP)
    assert elf_load_span(img) == img.max_vaddr - img.min_vaddr


def test_load_bias_for_exec_is_zero(binaries: Dict[str, Tuple[Path, u16]]) -> None:
    path, machine = binaries["musl_static"]
    img = parse_bytes(path.read_bytes(), machine)
    assert elf_load_bias(img, u64(0x1234000), USER_TOP) == 0
    with pytest.raises(SysError):
        elf_load_bias(img, u64(0), img.max_vaddr - 1)


def test_struct_sizes() -> None:
    assert sizeof(elf.Elf64Ehdr) == 64 and sizeof(elf.Elf64Phdr) == 56


def test_misaligned_base_is_einval(binaries: Dict[str, Tuple[Path, u16]]) -> None:
    data = binaries["gcc_dynamic"][0].read_bytes()
    base = place(data + b"\0" * 8)
    memory.sim.write(base + 4, data)
    with pytest.raises(SysError) as ei:
        elf_parse(u64(base + 4), u64(len(data)), EM_X86_64)
    assert ei.value.errno == EINVAL


def test_phdr_index_is_checked(binaries: Dict[str, Tuple[Path, u16]]) -> None:
    img = parse_bytes(binaries["gcc_dynamic"][0].read_bytes(), EM_X86_64)
    assert elf_phdr(img, img.phnum - 1).p_type != 0
    with pytest.raises(SysError):
        elf_phdr(img, img.phnum)


# ---- synthetic files: a reference model of the rules ----------------------------------------

EHDR = "<16sHHIQQQIHHHHHH"
PHDR = "<IIQQQQQQ"
PT_LOAD, PT_INTERP, PT_TLS, PT_PHDR, PT_GNU_STACK = 1, 3, 7, 6, 0x6474E551


def build(etype: int, machine: int, entry: int, phdrs: List[Tuple[int, ...]], size: int,
          phoff: int = 64, ident: bytes = b"\x7fELF\x02\x01\x01", phentsize: int = 56,
          version: int = 1, fill: int = 0) -> bytes:
    """An ELF file of size bytes (at least the headers) with the given program headers; the
    rest of the file is fill bytes."""
    hdr = pystruct.pack(EHDR, ident.ljust(16, b"\0"), etype, machine, version, entry, phoff, 0,
                        0, 64, phentsize, len(phdrs), 64, 0, 0)
    table = b"".join(pystruct.pack(PHDR, *p) for p in phdrs)
    body = bytearray([fill]) * max(size, phoff + len(table), 64)
    body[0:64] = hdr
    body[phoff:phoff + len(table)] = table
    return bytes(body)


def model_accepts(data: bytes, machine: int) -> bool:
    """The rules of elf.py restated over bytes, independently of its code."""
    if len(data) < 64:
        return False
    ident, etype, mach, ver, entry, phoff, _, _, _, phentsize, phnum, *_ = \
        pystruct.unpack_from(EHDR, data)
    if ident[:4] != b"\x7fELF" or ident[4:7] != b"\x02\x01\x01" or ver != 1 or mach != machine:
        return False
    if etype not in (2, 3) or phentsize != 56 or not 1 <= phnum <= 4096 // 56:
        return False
    if phoff % 8 or phoff + phnum * 56 > len(data):
        return False
    loads = []
    interp = tls = False
    for i in range(phnum):
        ptype, flags, off, vaddr, _, filesz, memsz, align = \
            pystruct.unpack_from(PHDR, data, phoff + 56 * i)
        if ptype == PT_LOAD:
            if filesz > memsz or off + filesz > len(data) or vaddr >= 2**63 or \
                    vaddr + memsz > 2**63:
                return False
            if loads and vaddr < loads[-1][0] + loads[-1][1]:
                return False
            if vaddr % 4096 != off % 4096:
                return False
            if align > 1 and (align & (align - 1) or align >= 2**63):
                return False
            loads.append((vaddr, memsz))
        elif ptype == PT_INTERP:
            if interp or not 2 <= filesz <= 4096 or off + filesz > len(data):
                return False
            if data[off + filesz - 1] != 0:
                return False
            interp = True
        elif ptype == PT_TLS:
            if tls or filesz > memsz or off + filesz > len(data) or memsz >= 2**63:
                return False
            if align > 1 and align & (align - 1):
                return False
            tls = True
    if not loads:
        return False
    lo = loads[0][0] & ~0xFFF
    hi = (loads[-1][0] + loads[-1][1] + 0xFFF) & ~0xFFF
    return lo <= entry < hi


def kernel_accepts(data: bytes, machine: int) -> bool:
    """elf_parse's verdict (True, or False for ENOEXEC)."""
    memory.reset_sim()
    try:
        parse_bytes(data, u16(machine))
    except SysError as e:
        assert e.errno == ENOEXEC
        return False
    return True


def test_synthetic_minimal_exec() -> None:
    data = build(2, 62, 0x401000, [(PT_LOAD, 5, 0, 0x400000, 0, 0x2000, 0x3000, 0x1000)], 0x2000)
    img = parse_bytes(data, EM_X86_64)
    assert img.phdr_vaddr == 0x400040 and img.load_count == 1
    assert elf.elf_wants_exec_stack(img)        # no PT_GNU_STACK: the old default


@pytest.mark.parametrize("mutate", [
    dict(ident=b"\x7fELG\x02\x01\x01"), dict(ident=b"\x7fELF\x01\x01\x01"),
    dict(ident=b"\x7fELF\x02\x02\x01"), dict(ident=b"\x7fELF\x02\x01\x00"), dict(version=2),
    dict(etype=1), dict(etype=4), dict(machine=3), dict(phentsize=32), dict(phoff=4),
    dict(phoff=0x1000, cut=0x1000), dict(entry=0x300000), dict(cut=63),
    dict(phdrs=[]),
    dict(phdrs=[(PT_LOAD, 5, 0, 0x400000, 0, 0x3000, 0x2000, 0x1000)]),      # filesz > memsz
    dict(phdrs=[(PT_LOAD, 5, 0x1000, 0x400000, 0, 0x2000, 0x2000, 0x1000)]),  # past the file
    dict(phdrs=[(PT_LOAD, 5, 0, 0x400000, 0, 0x1000, 0x1000, 0x1000),
                (PT_LOAD, 5, 0, 0x400000, 0, 0x1000, 0x1000, 0x1000)]),       # overlap
    dict(phdrs=[(PT_LOAD, 5, 0, 0x400000, 0, 0x1000, 0x1000, 0x1000),
                (PT_LOAD, 5, 0, 0x3ff000, 0, 0x1000, 0x1000, 0x1000)]),       # not sorted
    dict(phdrs=[(PT_LOAD, 5, 0, 0x7FFF_FFFF_FFFF_F000, 0, 0x1000, 0x2000, 0x1000)]),  # wraps
    dict(phdrs=[(PT_LOAD, 5, 0, 0x400010, 0, 0x1000, 0x1000, 0x1000)]),      # page offset
    dict(phdrs=[(PT_LOAD, 5, 0, 0x400000, 0, 0x1000, 0x1000, 0x1800)]),      # align not 2**n
    dict(phdrs=[(PT_LOAD, 5, 0, 0x400000, 0, 0x1000, 0x2000, 0x1000),
                (PT_INTERP, 4, 0x100, 0, 0, 0x10, 0x10, 1)]),                # no NUL
    dict(phdrs=[(PT_LOAD, 5, 0, 0x400000, 0, 0x1000, 0x2000, 0x1000),
                (PT_TLS, 4, 0x100, 0x400100, 0, 0x20, 0x10, 8)]),            # TLS filesz > memsz
])
def test_synthetic_rejections(mutate: Dict[str, object]) -> None:
    args: Dict[str, object] = dict(etype=2, machine=62, entry=0x400800,
                                   phdrs=[(PT_LOAD, 5, 0, 0x400000, 0, 0x1000, 0x2000, 0x1000)])
    args.update(mutate)
    cut = int(args.pop("cut", 0x1000))  # type: ignore[call-overload]
    data = build(args.pop("etype"), args.pop("machine"), args.pop("entry"),  # type: ignore
                 args.pop("phdrs"), 0x1000, fill=0x41, **args)  # type: ignore
    data = data[:cut]
    assert not model_accepts(data, 62)
    with pytest.raises(SysError) as ei:
        parse_bytes(data, EM_X86_64)
    assert ei.value.errno == ENOEXEC


def test_truncated_files(binaries: Dict[str, Tuple[Path, u16]]) -> None:
    data = binaries["gcc_dynamic"][0].read_bytes()
    for n in (0, 8, 56, 64, 120, 64 + 56 * 3):
        assert not kernel_accepts(data[:n], 62)


small = st.integers(0, 0x3000)
addr = st.one_of(st.integers(0, 0x10000), st.integers(0x3ff000, 0x410000),
                 st.integers(2**63 - 0x10000, 2**64 - 1))
phdr = st.tuples(st.sampled_from([PT_LOAD, PT_LOAD, PT_LOAD, PT_INTERP, PT_TLS, PT_PHDR,
                                  PT_GNU_STACK, 0, 4]),
                 st.integers(0, 7), small, addr, st.just(0), small, small,
                 st.sampled_from([0, 1, 8, 0x1000, 0x1800, 0x10000]))


@st.composite
def plausible_elf(draw: st.DrawFn) -> bytes:
    """Mostly valid files (sorted, page-congruent loads inside the file, entry inside), with
    sometimes one field of one program header replaced by an arbitrary value."""
    size = draw(st.integers(0x400, 0x6000))
    vaddr = draw(st.sampled_from([0, 0x400000, 0x7FFF_FFFF_0000]))
    phdrs: List[Tuple[int, ...]] = []
    for _ in range(draw(st.integers(1, 4))):
        off = draw(st.integers(0, size - 1))
        vaddr = (vaddr + 0xFFF & ~0xFFF) + draw(st.integers(0, 3)) * 0x1000 + off % 0x1000
        filesz = draw(st.integers(0, size - off))
        memsz = filesz + draw(st.integers(0, 0x3000))
        phdrs.append((PT_LOAD, draw(st.integers(0, 7)), off, vaddr, 0, filesz, memsz,
                      draw(st.sampled_from([0, 1, 0x1000, 0x10000]))))
        vaddr += memsz
    kinds = st.sampled_from([PT_INTERP, PT_TLS, PT_PHDR, PT_GNU_STACK, 0x70000003])
    for extra in draw(st.lists(kinds, max_size=3)):
        off = draw(st.integers(0, size - 2))
        filesz = draw(st.integers(2, min(size - off, 64)))
        phdrs.insert(draw(st.integers(0, len(phdrs))),
                     (extra, 6, off, 0x400000 + off, 0, filesz, filesz + draw(st.integers(0, 16)),
                      draw(st.sampled_from([1, 8, 64]))))
    if draw(st.integers(0, 3)) == 0:
        i = draw(st.integers(0, len(phdrs) - 1))
        field = draw(st.integers(1, 7))
        row = list(phdrs[i])
        row[field] = draw(st.one_of(addr, small)) & ((1 << (32 if field == 1 else 64)) - 1)
        phdrs[i] = tuple(row)
    lo = phdrs[0][3] if phdrs[0][0] == PT_LOAD else 0x400000
    entry = draw(st.one_of(st.integers(lo, lo + 0x2000), addr))
    data = bytearray(build(draw(st.sampled_from([2, 3])), 62, entry, phdrs, size))
    # Interpreter paths end with a NUL unless the draw says otherwise.
    for p in phdrs:
        if p[0] == PT_INTERP and p[2] + p[5] <= len(data) and p[5] >= 1 and draw(st.booleans()):
            data[p[2] + p[5] - 1] = 0
    return bytes(data)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(plausible_elf())
def test_property_agrees_with_model(data: bytes) -> None:
    """On random, mostly plausible files the kernel and the reference model agree."""
    assert kernel_accepts(data, 62) == model_accepts(data, 62)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([2, 3]), addr, st.lists(phdr, min_size=1, max_size=6),
       st.integers(0x100, 0x4000), st.sampled_from([64, 64, 64, 72, 68]))
def test_property_random_tables(etype: int, entry: int, phdrs: List[Tuple[int, ...]],
                                size: int, phoff: int) -> None:
    """On arbitrary program-header tables too (nearly all refused), they agree."""
    data = build(etype, 62, entry, phdrs, size, phoff=phoff)
    assert kernel_accepts(data, 62) == model_accepts(data, 62)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzz_mutated_headers(binaries: Dict[str, Tuple[Path, u16]], data: st.DataObject) -> None:
    """Bit flips and field overwrites in the headers: ENOEXEC or a consistent image, and never
    a read outside the file (it ends at the end of mapped memory)."""
    name = data.draw(st.sampled_from(["gcc_dynamic", "musl_static_pie"]))
    path, machine = binaries[name]
    blob = bytearray(path.read_bytes())
    header_len = 64 + 56 * 16
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, header_len - 8))
        if data.draw(st.booleans()):
            blob[at] ^= 1 << data.draw(st.integers(0, 7))
        else:
            val = data.draw(st.sampled_from([0, 1, 2, 3, 56, 0xFFFF, 0x1000, 2**63, 2**64 - 1,
                                             len(blob), len(blob) - 1]))
            width = data.draw(st.sampled_from([1, 2, 4, 8]))
            blob[at:at + width] = (val & ((1 << 8 * width) - 1)).to_bytes(width, "little")
    cut = data.draw(st.sampled_from([len(blob), len(blob) // 2, 0x800, 64]))
    blob = blob[:cut & ~7]          # a multiple of 8: no padding between the file and the end
    memory.reset_sim()
    try:
        img = parse_bytes(bytes(blob), machine)
    except SysError as e:
        assert e.errno == ENOEXEC
        return
    assert model_accepts(bytes(blob), int(machine))
    prev_end = 0
    for i in range(int(img.load_count)):
        s = elf_load_segment(img, u32(i))
        assert s.filesz <= s.memsz and s.offset + s.filesz <= len(blob)
        assert s.vaddr >= prev_end
        prev_end = s.vaddr + s.memsz
    if img.has_interp:
        assert img.interp_offset + img.interp_len < len(blob)
