"""The vDSO as its own translation unit (translator/vdso.py): the shared object's structure, read
back with pyelftools, and the refusals that keep kernel code and runtime out of it."""
from __future__ import annotations

from pathlib import Path

import pytest
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerDefSection, GNUVerSymSection
from elftools.elf.relocation import RelocationSection

from translator.diagnostics import TranslateError
from translator.vdso import ALIASES, EXPORTS, VDSO_VERSION, build_vdso, check_vdso_module, check_vdso_program

WANTED = set(EXPORTS["x86_64"]) | set(ALIASES["x86_64"])


@pytest.fixture(scope="module")
def vdso(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The x86_64 vDSO, built once for this module."""
    return build_vdso("x86_64", tmp_path_factory.mktemp("vdso")).so_path


def test_is_a_dynamic_shared_object(vdso: Path) -> None:
    """ET_DYN for x86_64, one PT_LOAD that is not writable, a PT_DYNAMIC with both hash tables."""
    with vdso.open("rb") as f:
        elf = ELFFile(f)
        assert elf["e_type"] == "ET_DYN" and elf["e_machine"] == "EM_X86_64"
        types = [s["p_type"] for s in elf.iter_segments()]
        assert "PT_DYNAMIC" in types and "PT_INTERP" not in types
        loads = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
        assert len(loads) == 1 and loads[0]["p_vaddr"] == 0 and not loads[0]["p_flags"] & 2  # no PF_W
        dyn = next(s for s in elf.iter_sections() if isinstance(s, DynamicSection))
        tags = {t.entry.d_tag for t in dyn.iter_tags()}
        assert {"DT_HASH", "DT_GNU_HASH", "DT_SYMTAB", "DT_STRTAB", "DT_VERSYM", "DT_VERDEF"} <= tags
        assert not tags & {"DT_RELA", "DT_REL", "DT_TEXTREL", "DT_JMPREL", "DT_NEEDED"}, tags
        assert "DT_SONAME" in tags


def test_no_relocations_and_no_writable_data(vdso: Path) -> None:
    """Position independent without the loader's help: no relocation section, no .data/.bss/.got."""
    with vdso.open("rb") as f:
        elf = ELFFile(f)
        assert not [s.name for s in elf.iter_sections() if isinstance(s, RelocationSection)]
        names = {s.name for s in elf.iter_sections()}
        assert not names & {".data", ".bss", ".got", ".got.plt", ".plt", ".tdata", ".tbss"}, names
        for s in elf.iter_sections():
            # .dynamic carries SHF_WRITE by convention; the segment holding it is read-only (above).
            if s["sh_type"] not in ("SHT_NULL", "SHT_DYNAMIC"):
                assert not s["sh_flags"] & 1, f"{s.name} is writable"  # SHF_WRITE


def test_exports_at_linux_2_6_and_nothing_else(vdso: Path) -> None:
    """The dynamic symbols are exactly the five __vdso_* functions and their aliases, all defined
    functions at version LINUX_2.6 (what glibc and musl look up)."""
    with vdso.open("rb") as f:
        elf = ELFFile(f)
        dynsym = elf.get_section_by_name(".dynsym")
        versym = next(s for s in elf.iter_sections() if isinstance(s, GNUVerSymSection))
        verdef = next(s for s in elf.iter_sections() if isinstance(s, GNUVerDefSection))
        names_by_index = {v.entry["vd_ndx"]: next(iter(aux)).name for v, aux in verdef.iter_versions()}
        found = {}
        for i, sym in enumerate(dynsym.iter_symbols()):
            if i == 0:
                continue
            assert sym["st_shndx"] != "SHN_UNDEF", f"undefined dynamic symbol {sym.name}"
            assert (sym["st_info"]["type"], sym["st_info"]["bind"]) == ("STT_FUNC", "STB_GLOBAL"), sym.name
            found[sym.name] = names_by_index[versym.get_symbol(i)["ndx"] & 0x7FFF]
        assert set(found) == WANTED
        assert set(found.values()) == {VDSO_VERSION}
        symtab = elf.get_section_by_name(".symtab")
        kernel = [s.name for s in symtab.iter_symbols() if s.name.startswith(("asterpy.kernel", "asterpy.mm",
                                                                           "asterpy.task", "kpy_"))]
        assert not kernel, kernel


def test_aliases_point_at_the_same_code(vdso: Path) -> None:
    """clock_gettime and friends are the __vdso_ functions under a second name."""
    with vdso.open("rb") as f:
        syms = {s.name: s["st_value"] for s in ELFFile(f).get_section_by_name(".dynsym").iter_symbols()}
    for alias, real in ALIASES["x86_64"].items():
        assert syms[alias] == syms[real]


@pytest.mark.parametrize("code,message", [
    ("def f() -> None:\n    raise ValueError()\n", "exceptions"),
    ("from asterpy.kernel.time import monotonic_ns\n", "module asterpy.kernel.time"),
    ("from asterpy.lang import u64\ncount: u64 = u64(0)\n", "a global variable"),
    ("from asterpy.lang import List, u64\ndef f() -> None:\n    x: List[u64] = []\n", "List"),
    ("def f() -> None:\n    print('hi')\n", "print"),
])
def test_refusals_point_at_file_line_col(tmp_path: Path, code: str, message: str) -> None:
    """Each thing the vDSO cannot have is refused with file:line:col."""
    path = tmp_path / "bad.py"
    path.write_text(code)
    errors = check_vdso_module(code, path)
    assert errors, code
    text = errors[0].diagnostics[0].format()
    assert message in text and text.startswith(f"{path}:"), text
    d = errors[0].diagnostics[0]
    assert d.line >= 1 and d.col >= 0


def test_the_real_vdso_passes_the_check() -> None:
    """src/asterpy/vdso/ follows its own rules (the build would refuse it otherwise)."""
    from translator.build import module_roots
    from translator.resolve import resolve
    from translator.vdso import VDSO_ENTRY
    check_vdso_program(resolve([VDSO_ENTRY], module_roots("x86_64")))


def test_kernel_import_is_refused_by_the_program_check(tmp_path: Path) -> None:
    """A vDSO entry importing the kernel fails the program check (TranslateError with a location)."""
    from translator.build import module_roots
    from translator.resolve import resolve
    entry = tmp_path / "entry.py"
    entry.write_text('"""x"""\nfrom asterpy.kernel.time import monotonic_ns\n')
    with pytest.raises(TranslateError) as exc:
        check_vdso_program(resolve([entry], module_roots("x86_64")))
    assert "asterpy.kernel.time" in str(exc.value)
