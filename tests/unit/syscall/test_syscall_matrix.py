"""docs/syscalls.md is generated from the code: it must match what the generator makes now, and its
rule for "supported" (a test checks the call's result inside asterpy) must not be fooled by text."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[3]
GEN = REPO / "src" / "asterpy" / "syscall" / "matrix_gen.py"


def _gen() -> ModuleType:
    """The generator, loaded from its file (it is host-side code, not a kernel module)."""
    spec = importlib.util.spec_from_file_location("matrix_gen_under_test", GEN)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_matrix_is_up_to_date() -> None:
    """Regenerate in check mode: a stale matrix fails with the command to run."""
    r = subprocess.run([sys.executable, str(GEN), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_supported_needs_a_handler_and_a_check() -> None:
    """Every row marked supported names one of our test programs or an LTP case."""
    for line in (REPO / "docs" / "syscalls.md").read_text().splitlines():
        if "| supported |" in line:
            cells = [c.strip() for c in line.strip("|").split("|")]
            # name, 3 numbers, status, coverage, flags, our tests, LTP cases
            assert cells[7] != "—" or cells[8] != "—", line


def check(text: str, name: str) -> list[str]:
    """The checked calls of name in C text, as the generator sees them."""
    g = _gen()
    return g.checked_calls(g.blank_comments_and_strings(text), name)


def test_a_comment_or_a_string_credits_nothing() -> None:
    """A call named in a comment or in a case's name is no check."""
    text = '/* shutdown(fd) */\nCHECK("shutdown works", 1);\nCHECK_EQ("close", close(3), 0);\n'
    assert check(text, "shutdown") == []
    assert check(text, "close") == ["3"]


def test_an_unchecked_call_does_not_count() -> None:
    """A call whose result nobody reads is not a check; one stored and then checked is."""
    assert check("void f(void) { sync(); CHECK(\"x\", 1); }", "sync") == []
    text = "int fd = openat(AT_FDCWD, p, O_RDONLY);\nCHECK(\"openat\", fd >= 0);\n"
    assert check(text, "openat") == ["AT_FDCWD, p, O_RDONLY"]


def test_raw_syscall_and_local_check_macros() -> None:
    """syscall(SYS_x, ...) through a local wrapper, inside a program's own checking macro."""
    text = ("#define S(...) syscall(__VA_ARGS__)\n#define BAD(n, e, err) CHECK_ERR(n, e, err)\n"
            "BAD(\"fsync -1\", S(SYS_fsync, -1), EBADF);\n")
    assert check(text, "fsync") == ["SYS_fsync, -1"]


def test_nested_call_flags_are_not_the_outer_calls() -> None:
    """shutdown(open(p, O_RDONLY), SHUT_RD) passes SHUT_RD to shutdown, not O_RDONLY."""
    g = _gen()
    prog = REPO / "tests" / "user" / "t_socketpair.c"
    _, flags = g.checked_by_programs(["shutdown"], [prog])
    assert "O_RDONLY" not in flags["shutdown"]


def test_enosys_only_is_not_a_handler() -> None:
    """rseq's branch only raises ENOSYS: listed as such, not counted among the handlers."""
    g = _gen()
    assert "rseq" in g.enosys_only()
    assert "rseq" not in g.handled()
    assert "read" in g.handled()


def test_ltp_case_to_syscall() -> None:
    """LTP cases map to the syscall of their runtest directory or name."""
    g = _gen()
    names = {"clone", "clone3", "pread64", "timerfd_settime", "timerfd_create", "lstat"}
    assert g.ltp_syscall("clone301", "clone3", names) == "clone3"
    assert g.ltp_syscall("pread01_64", "pread", names) == "pread64"
    assert g.ltp_syscall("timerfd_settime01", "timerfd", names) == "timerfd_settime"
    assert g.ltp_syscall("lstat01_64", "lstat", names) == "lstat"
    assert g.ltp_syscall("memcmp01", "memcmp", names) == ""
