"""Syscall table tests: generated file up to date, numbers equal to the kernel headers' facts."""

import re
from pathlib import Path
from typing import Dict, Set

import pytest
import ziglang
from hypothesis import given, strategies as st

from asterpy.lang import u32, u64
from asterpy.syscall import numbers, table_gen

REPO = Path(__file__).resolve().parents[3]
HOST_X86 = Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h")
HOST_GENERIC = Path("/usr/include/asm-generic/unistd.h")
SPEC = Path("/work/shared/spec/linux-compatibility.md")
ZIG_INC = Path(ziglang.__file__).parent / "lib/libc/include"

CALLS = table_gen.table()
BY_NAME = {s.name: s for s in CALLS}

# Which __ARCH_WANT_* macros each generic arch defines before including asm-generic/unistd.h
# (arch/*/include/uapi/asm/unistd.h), as of the newer headers the test below also reads:
# loongarch64 gained the stat pair and memfd_secret after the host's 6.1 headers.
WANTS = {
    "riscv64": {"__ARCH_WANT_NEW_STAT", "__ARCH_WANT_SET_GET_RLIMIT", "__ARCH_WANT_SYS_CLONE3",
                "__ARCH_WANT_MEMFD_SECRET"},
    "loongarch64": {"__ARCH_WANT_NEW_STAT", "__ARCH_WANT_SYS_CLONE", "__ARCH_WANT_SYS_CLONE3",
                    "__ARCH_WANT_MEMFD_SECRET"},
}


def flat_header(path: Path) -> Dict[str, int]:
    """name -> number from a flat '#define __NR_name number' header."""
    out: Dict[str, int] = {}
    for m in re.finditer(r"^#define __NR_(\w+)\s+(\d+)\s*$", path.read_text(), re.M):
        out[m.group(1)] = int(m.group(2))
    return out


def generic_header(path: Path, wants: Set[str]) -> Dict[str, int]:
    """asm-generic/unistd.h read as a 64-bit native arch with the given wants defined.

    A small preprocessor: #if/#ifdef/#ifndef/#else/#endif over the few condition forms the
    header uses, __NR3264_* numbers, and the 64-bit '#define __NR_x __NR3264_y' aliases.
    """
    defined = set(wants)
    stack = [True]
    raw: Dict[str, str] = {}
    for line in path.read_text().splitlines():
        s = line.strip()
        if s.startswith("#ifdef") or s.startswith("#ifndef"):
            name = s.split()[1]
            val = (name in defined) == s.startswith("#ifdef")
            stack.append(stack[-1] and val)
        elif s.startswith("#if"):
            expr = s[3:].split("/*")[0]
            expr = re.sub(r"defined\s*\((\w+)\)", lambda m: str(m.group(1) in defined), expr)
            expr = expr.replace("__BITS_PER_LONG", "64").replace("||", " or ").replace(
                "&&", " and ").replace("!", " not ").replace(" not =", "!=")
            stack.append(stack[-1] and bool(eval(expr)))  # noqa: S307 - our own header text
        elif s.startswith("#else"):
            outer = stack[-2]
            stack[-1] = outer and not stack[-1]
        elif s.startswith("#endif"):
            stack.pop()
        elif stack[-1]:
            m = re.match(r"#define (__NR(?:3264)?_\w+)\s+(\S+)", s)
            if m:
                raw[m.group(1)] = m.group(2)

    def value(v: str) -> int:
        while not v.isdigit():
            v = raw[v]
        return int(v)

    return {k[len("__NR_"):]: value(v) for k, v in raw.items()
            if k.startswith("__NR_") and k not in ("__NR_syscalls", "__NR_arch_specific_syscall")
            and (v.isdigit() or v.startswith("__NR3264_"))}


def test_generated_file_is_up_to_date(tmp_path: Path) -> None:
    out = tmp_path / "numbers.py"
    tab = tmp_path / "table.py"
    assert table_gen.main(["-o", str(out), "--table", str(tab)]) == 0
    assert out.read_text() == (REPO / "src/asterpy/syscall/numbers.py").read_text()
    assert tab.read_text() == (REPO / "src/asterpy/syscall/table.py").read_text()
    assert table_gen.main(["--check"]) == 0


def test_check_mode_detects_stale_output(tmp_path: Path) -> None:
    out = tmp_path / "numbers.py"
    out.write_text("stale\n")
    assert table_gen.main(["--check", "-o", str(out)]) == 1


def test_docs_table(tmp_path: Path) -> None:
    md = tmp_path / "syscalls.md"
    assert table_gen.main(["-o", str(tmp_path / "n.py"), "--table", str(tmp_path / "t.py"), "--docs", str(md)]) == 0
    text = md.read_text()
    assert "| 0 | read | 0 | 63 | 63 |" in text
    assert "| getrlimit | 97 | 163 | — |" in text


def test_x86_64_matches_host_header() -> None:
    host = flat_header(HOST_X86)
    assert len(host) > 300
    for name, nr in host.items():
        assert BY_NAME[name].x86_64 == nr, name
    # Calls newer than these headers (uretprobe took a free slot) must not collide with theirs.
    taken = set(host.values())
    for s in CALLS:
        if s.x86_64 is not None and s.name not in host:
            assert s.x86_64 not in taken, s.name


@pytest.mark.parametrize("arch", ["riscv64", "loongarch64"])
def test_generic_matches_host_header(arch: str) -> None:
    host = generic_header(HOST_GENERIC, WANTS[arch])
    assert host["read"] == 63 and host["fcntl"] == 25 and host["mmap"] == 222
    assert "renameat" not in host          # __ARCH_WANT_RENAMEAT: neither arch
    for name, nr in host.items():
        assert BY_NAME[name].number(arch) == nr, name
    taken = set(host.values())
    for s in CALLS:
        n = s.number(arch)
        if n is not None and s.name not in host:
            assert n not in taken, s.name


@pytest.mark.parametrize("arch,hdr", [("x86_64", "x86-linux-any"), ("riscv64", "riscv-linux-any"),
                                      ("loongarch64", "loongarch-linux-any")])
def test_matches_newer_kernel_headers(arch: str, hdr: str) -> None:
    """The generated per-arch tables of a recent kernel (shipped by ziglang), both directions."""
    path = ZIG_INC / hdr / "asm/unistd_64.h"
    if not path.exists():
        pytest.skip(f"{path} not found")
    theirs = flat_header(path)
    ours = {s.name: s.number(arch) for s in CALLS if s.number(arch) is not None}
    assert ours == theirs


def test_covers_the_compatibility_spec() -> None:
    """Every syscall the compatibility list names (234 supported ones and the rest) is here."""
    rows = re.findall(r"^\|\s*(\d+)\s*\|\s*(\w+)\s*\|\s*(\S+)", SPEC.read_text(), re.M)
    supported = [r for r in rows if r[2] == "✅"]
    assert len(supported) == 234
    for nr, name, _ in rows:
        assert BY_NAME[name].x86_64 == int(nr), name


def test_table_sanity() -> None:
    assert len({s.name for s in CALLS}) == len(CALLS) == int(numbers.SYS_COUNT)
    assert [s.sys_id for s in CALLS] == list(range(len(CALLS)))
    assert numbers.SYS_READ == 0 and numbers.X86_64_NR_EXECVE == 59
    assert numbers.GENERIC_NR_EXECVE == 221


@pytest.mark.parametrize("arch", table_gen.ARCHES)
def test_lookup_functions_exhaustive(arch: str) -> None:
    """Every number maps to its id and back; every other number up to 1024 maps to SYS_NONE."""
    to_id = getattr(numbers, f"{arch}_sys_id")
    to_nr = getattr(numbers, f"{arch}_number")
    by_nr = {s.number(arch): s for s in CALLS if s.number(arch) is not None}
    for nr in range(1024):
        got = to_id(u64(nr))
        assert isinstance(got, u32)
        if nr in by_nr:
            assert got == by_nr[nr].sys_id
            assert getattr(numbers, f"SYS_{nr_name(by_nr[nr].name)}") == got
        else:
            assert got == numbers.SYS_NONE
    for s in CALLS:
        want = s.number(arch)
        assert to_nr(u32(s.sys_id)) == (-1 if want is None else want), s.name


def nr_name(name: str) -> str:
    """The constant suffix for a syscall name."""
    return name.upper()


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_unknown_numbers_property(nr: int) -> None:
    """Any u64 register value gives a valid id or SYS_NONE, on every arch (user input)."""
    for arch in table_gen.ARCHES:
        got = getattr(numbers, f"{arch}_sys_id")(u64(nr))
        if got != numbers.SYS_NONE:
            assert got < numbers.SYS_COUNT
            assert CALLS[int(got)].number(arch) == nr
    assert numbers.x86_64_number(u32(nr & 0xFFFFFFFF)) >= -1


def test_generator_rejects_duplicates() -> None:
    saved = table_gen.SYSCALLS
    try:
        table_gen.SYSCALLS = (("a", 1, 2), ("b", 1, 3))
        with pytest.raises(ValueError, match="share number"):
            table_gen.table()
        table_gen.SYSCALLS = (("a", 1, 2), ("a", 2, 3))
        with pytest.raises(ValueError, match="duplicate"):
            table_gen.table()
    finally:
        table_gen.SYSCALLS = saved
