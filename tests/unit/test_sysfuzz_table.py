"""The fuzzer's syscall list (tests/fuzz/sysfuzz.c) is the kernel's table, generated, and current."""
from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _gen():
    """tests/fuzz/gen_calls.py as a module."""
    spec = importlib.util.spec_from_file_location("asterpy_fuzz_gen", REPO / "tests" / "fuzz" / "gen_calls.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_generated_list_is_current() -> None:
    """`python tests/fuzz/gen_calls.py --check` passes: sysfuzz.c lists exactly the table's x86_64 rows."""
    assert _gen().main(["--check"]) == 0


def test_every_x86_64_syscall_is_listed() -> None:
    """Every row of SYSCALLS with an x86_64 number is an entry of CALLS[], with its number."""
    from asterpy.syscall.table_gen import SYSCALLS
    text = (REPO / "tests" / "fuzz" / "sysfuzz.c").read_text()
    listed = {m.group(1): int(m.group(2)) for m in re.finditer(r'^    \{"(\w+)", (\d+), "', text, re.M)}
    expected = {str(r[0]): int(r[1]) for r in SYSCALLS if r[1] is not None}
    assert listed == expected


def test_skips_are_few_and_explained() -> None:
    """Only calls that would end or disturb the run are skipped, each with its reason."""
    gen = _gen()
    assert set(gen.SKIPPED) <= {"reboot", "kexec_load", "kexec_file_load", "init_module", "finit_module",
                                "delete_module", "swapon", "swapoff", "vhangup", "pivot_root", "settimeofday",
                                "clock_settime", "adjtimex", "clock_adjtime"}
    assert all(reason for reason in gen.SKIPPED.values())


def test_signatures_use_known_kinds() -> None:
    """Every argument kind in SIGNATURES is one sysfuzz.c's arg() handles, at most six per call."""
    gen = _gen()
    kinds = set("fpbliadsuotcvzmyrkwn")
    for name, sig in gen.SIGNATURES.items():
        assert len(sig) <= 6 and set(sig) <= kinds, name
