"""The dynamic-program path of exec on simulated memory, with the host's real Debian files: a PIE
program (/bin/true) at a randomised ELF_ET_DYN_BASE, its PT_INTERP (glibc's ld.so) at the top of
the mmap range, and the auxiliary vector ld.so reads (AT_BASE, AT_ENTRY, AT_PHDR, AT_EXECFN...)."""

import io
import os
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from asterpy.exec.elf import EM_X86_64
from asterpy.lang import SysError, memory, u64
from asterpy.lang.errno import ENOEXEC
from asterpy.task import process as P

from task_sim import kstrings, make_process, uread, ucstr, uword
from test_task_exec import parse_stack

TRUE = Path(os.path.realpath("/bin/true"))
LDSO = Path(os.path.realpath("/lib64/ld-linux-x86-64.so.2"))
INTERP_AREA = 0x3100_0000_0000

pytestmark = pytest.mark.skipif(not TRUE.is_file() or not LDSO.is_file(), reason="needs a glibc host")


def place_at(addr: int, data: bytes) -> int:
    """data in simulated kernel memory at addr (page aligned); addr."""
    memory.sim.map(addr, len(data))
    memory.sim.write(addr, data)
    return addr


def boot_dynamic(rnd: int):
    """A process with /bin/true loaded (rnd: its randomisation bits), ld.so as its interpreter,
    and the stack set up for argv ["/bin/true"]; (process, image, interp entry)."""
    prog, ldso = TRUE.read_bytes(), LDSO.read_bytes()
    _, _, p = make_process(2048)
    img = p.load_elf_at(u64(place_at(0x3000_0000_0000, prog)), u64(len(prog)), EM_X86_64, u64(rnd))
    assert img.has_interp
    entry = p.load_interp(u64(place_at(INTERP_AREA, ldso)), u64(len(ldso)), EM_X86_64)
    addrs, lens = kstrings([b"/bin/true"])
    name, nlen = kstrings([b"/usr/bin/true"])
    p.setup_stack_env(img, addrs, lens, [], [], False, name[0], nlen[0], u64(1), u64(2), u64(0x178BFBFF))
    return p, img, int(entry)


def test_pie_and_interpreter_placement_and_auxv() -> None:
    """The program at ET_DYN_BASE + rnd pages, ld.so page-aligned in the mmap range; AT_BASE is
    ld.so's bias, its entry ld.so's e_entry + bias, AT_ENTRY and AT_PHDR the program's."""
    p, img, entry = boot_dynamic(5)
    prog = ELFFile(io.BytesIO(TRUE.read_bytes()))
    ld = ELFFile(io.BytesIO(LDSO.read_bytes()))
    bias = int(P.ET_DYN_BASE) + 5 * 4096
    _, _, auxv, _ = parse_stack(p)
    aux = dict(auxv)
    assert aux[int(P.AT_ENTRY)] == prog.header["e_entry"] + bias
    phdr = [s for s in prog.iter_segments() if s["p_type"] == "PT_PHDR"][0]
    assert aux[int(P.AT_PHDR)] == phdr["p_vaddr"] + bias
    assert aux[int(P.AT_PHNUM)] == prog.header["e_phnum"]
    base = aux[int(P.AT_BASE)]
    assert base % 4096 == 0 and int(P.MMAP_LOW) <= base < int(P.MMAP_END)
    assert entry == ld.header["e_entry"] + base
    # ld.so's own first page is mapped at AT_BASE: its ELF header is there.
    assert uread(p, base, 4) == b"\x7fELF"
    assert ucstr(p, aux[int(P.AT_EXECFN)]) == b"/usr/bin/true"
    assert aux[int(P.AT_MINSIGSTKSZ)] >= 2048
    # AUXV_PAIRS counts AT_SYSINFO_EHDR, which only a process with a vDSO gets (none here: no boot).
    assert len(auxv) == int(P.AUXV_PAIRS) - (0 if p.vdso_base else 1)
    # The break starts after the program, not after ld.so.
    assert int(p.brk_start) == (max(s["p_vaddr"] + s["p_memsz"] for s in prog.iter_segments()
                                    if s["p_type"] == "PT_LOAD") + bias + 4095) & ~4095
    assert uword(p, int(p.sp)) == 1


def test_randomisation_moves_the_program() -> None:
    """Different random bits put the program at different addresses (ADDR_NO_RANDOMIZE: 0)."""
    entries = {dict(parse_stack(boot_dynamic(r)[0])[2])[int(P.AT_ENTRY)] for r in (0, 1, 0x0FFFFFFF)}
    assert len(entries) == 3


def test_interpreter_refused_when_not_elf_for_this_machine() -> None:
    """An interpreter that is not a loadable x86_64 ELF is ENOEXEC here (exec turns it into ELIBBAD)."""
    _, _, p = make_process(2048)
    data = b"#!/bin/sh\n" + bytes(200)
    with pytest.raises(SysError) as ei:
        p.load_interp(u64(place_at(INTERP_AREA, data)), u64(len(data)), EM_X86_64)
    assert ei.value.errno == ENOEXEC
