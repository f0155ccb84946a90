"""ELF parsing and syscall lookups translated for the host and JIT-run: the same results as
CPython on real and mutated binaries, and no read outside the file (a PROT_NONE guard page
follows it, so a stray read kills the child)."""

import subprocess
import sys
from pathlib import Path
from typing import Any, Tuple

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from asterpy.lang import memory, u64
from asterpy.syscall import table_gen

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tests" / "translator"))
from jit import Jit  # noqa: E402
from native_guard import cpython, guarded, load_worlds  # noqa: E402
from native_guard import native as guarded_native  # noqa: E402

WRAPPER = '''"""Scalar digests of the ELF parser and the syscall tables, for the host JIT."""

from asterpy.exec.elf import elf_load_segment, elf_parse
from asterpy.lang import u16, u32, u64
from asterpy.syscall.numbers import loongarch64_sys_id, riscv64_number, x86_64_sys_id


def elf_digest(base: u64, size: u64, machine: u16) -> u64:
    """A hash of everything elf_parse reports (offsets relative to base)."""
    img = elf_parse(base, size, machine)
    h = img.entry * 3 + img.phdr_vaddr * 5 + img.min_vaddr * 7 + img.max_vaddr * 11
    h = h * 31 + u64(img.load_count) + u64(img.type) + img.max_align + u64(img.stack_flags)
    if img.has_interp:
        h = h * 31 + img.interp_offset * 13 + img.interp_len
    if img.has_tls:
        h = h * 31 + img.tls.memsz * 17 + img.tls.vaddr + img.tls.filesz + img.tls.align
    i = u32(0)
    while i < img.load_count:
        s = elf_load_segment(img, i)
        h = h * 31 + s.vaddr + s.memsz + s.filesz * 3 + s.offset * 5 + u64(s.flags) + s.align
        i += 1
    return h


def syscall_digest(nr: u64) -> u64:
    """The ids of nr on x86_64 and loongarch64, and the riscv64 number of nr as an id."""
    return (u64(x86_64_sys_id(nr)) << 40) ^ (u64(loongarch64_sys_id(nr)) << 20) ^ \\
        u64(riscv64_number(u32(nr)))
'''

@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> Tuple[Jit, Any]:
    """The wrapper translated and JIT-loaded, and the same file imported under CPython."""
    return load_worlds(tmp_path_factory.mktemp("execnative"), "exec_wrap", WRAPPER)


def native(jit: Jit, name: str, *args: int) -> Tuple[str, int]:
    """Run a wrapper function natively in a forked child (see native_guard.native)."""
    return guarded_native(jit, "exec_wrap", name, *args)


def sim_place(data: bytes) -> int:
    """Put data in simulated memory, 8-aligned, ending at the end of a mapped page."""
    data = data + bytes(-len(data) % 8)
    base = 0x3000_0000_0000 - len(data)
    memory.sim.map(base, max(len(data), 1))
    memory.sim.write(base, data)
    return base


@pytest.fixture(scope="module")
def dynamic_binary(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A gcc-built dynamically linked PIE (PT_INTERP, PT_PHDR, PT_TLS)."""
    d = tmp_path_factory.mktemp("elfbin")
    (d / "t.c").write_text("__thread int t = 1; int main(void) { return t; }\n")
    subprocess.run(["gcc", "-O1", str(d / "t.c"), "-o", str(d / "t")], check=True)
    return (d / "t").read_bytes()


def both(worlds: Tuple[Jit, Any], blob: bytes, machine: int) -> None:
    """elf_digest agrees between CPython and native code on blob (8-byte multiple lengths)."""
    jit, py = worlds
    blob = blob + bytes(-len(blob) % 8)
    memory.reset_sim()
    want = cpython(py.elf_digest, sim_place(blob), len(blob), machine)
    got = native(jit, "elf_digest", guarded(blob), len(blob), machine)
    assert got == want
    return None


def test_real_binaries_native(worlds: Tuple[Jit, Any], dynamic_binary: bytes) -> None:
    both(worlds, Path("/bin/busybox").read_bytes(), 62)
    both(worlds, dynamic_binary, 62)
    both(worlds, dynamic_binary, 243)        # wrong machine: ENOEXEC in both


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow,
                                                  HealthCheck.function_scoped_fixture],
          deadline=None)
@given(st.data())
def test_mutated_headers_native(worlds: Tuple[Jit, Any], dynamic_binary: bytes,
                                data: st.DataObject) -> None:
    blob = bytearray(dynamic_binary)
    for _ in range(data.draw(st.integers(1, 5))):
        at = data.draw(st.integers(0, 64 + 56 * 14 - 1))
        blob[at] = data.draw(st.sampled_from([0, 1, 0x10, 0x40, 0x7F, 0x80, 0xFF]))
    cut = data.draw(st.sampled_from([len(blob), 0x400, 0x40, 0x1000]))
    both(worlds, bytes(blob[:cut]), 62)


def test_syscall_lookups_native(worlds: Tuple[Jit, Any]) -> None:
    """All numbers 0..1023 and a few huge ones map the same natively."""
    jit, py = worlds
    f = jit.func("exec_wrap", "syscall_digest")
    for nr in list(range(1024)) + [2**32 + 1, 2**63, 2**64 - 1]:
        assert f(nr) == py.syscall_digest(u64(nr)), nr
    assert len(table_gen.table()) > 380
