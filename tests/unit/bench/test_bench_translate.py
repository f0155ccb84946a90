"""The benchmark sources stay inside what the translator accepts (skipped until translator.driver exists)."""
from pathlib import Path
from types import ModuleType

import pytest

BENCH_DIR = Path(__file__).resolve().parents[3] / "benchmarks"
EXPORTS = {"kpy_memcpy", "kpy_memset", "kpy_crc32", "kpy_crc32_init", "kpy_crc32_table",
           "kpy_bitmap_first_zero", "kpy_hash_insert", "kpy_hash_lookup", "kpy_struct_loop"}


def test_routines_compile_to_an_object_with_the_c_names(tmp_path: Path) -> None:
    """kpy_routines.py translates for the host at O2 and defines every symbol the harness links against."""
    driver = pytest.importorskip("translator.driver")
    from elftools.elf.elffile import ELFFile
    obj = driver.compile_file(BENCH_DIR / "routines" / "kpy_routines.py", arch="host", emit="obj",
                              out=tmp_path / "kpy.o", opt=2)
    with open(obj, "rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        defined = {s.name for s in symtab.iter_symbols() if s["st_shndx"] != "SHN_UNDEF"}
    assert EXPORTS <= defined


def test_generated_program_type_checks(gen_program: ModuleType, tmp_path: Path) -> None:
    """A generated program passes the translator's resolve and check stages (the generator keeps to the subset)."""
    pytest.importorskip("translator.driver")
    from translator.check import check_program
    from translator.resolve import resolve
    path = tmp_path / "gen_check.py"
    path.write_text(gen_program.generate(lines=1500, seed=2))
    check_program(resolve([path]))
