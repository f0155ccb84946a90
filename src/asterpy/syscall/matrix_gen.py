"""Host-side generator of docs/syscalls.md: the syscall support matrix, read from the code and the tests.

For each syscall of the single list in `table_gen.py` it reports:
* handler: whether `src/asterpy/syscall/dispatch.py` or a syscall family it calls (files.py, proc_calls.py...)
  dispatches it (a `sys_id == SYS_X` test);
* in-kernel tests: the C programs under tests/user/ that call it and that a boot test runs inside
  asterpy in QEMU (found as `USER_SRC / "prog.c"` in tests/boot/*.py);
* flags tested: the flag constants (O_CLOEXEC, MAP_FIXED, CLONE_VM...) the in-kernel tests pass to it;
* host-verified tests: the tests/user/t_*.c programs that call it (they pass on the host's Linux).
"Supported" means both: a handler and an in-kernel test — the project's rule for calling a syscall
supported. Run `python src/asterpy/syscall/matrix_gen.py` to rewrite the file; a test checks it is
up to date.
"""
from __future__ import annotations

import ast
import re
import sys
from pathlib import Path
from typing import Dict, List, Set

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE))
from table_gen import table  # noqa: E402

DISPATCH = HERE / "dispatch.py"
USER = REPO / "tests" / "user"
BOOT = REPO / "tests" / "boot"
OUT = REPO / "docs" / "syscalls.md"


def handled() -> Set[str]:
    """Syscall names the dispatcher or one of the syscall families it calls (files.py, proc_calls.py...)
    tests for (`sys_id == SYS_NAME`)."""
    names: Set[str] = set()
    for src in sorted(HERE.glob("*.py")):
        if src.name not in ("numbers.py", "table_gen.py", "matrix_gen.py"):
            names |= handled_in(src)
    return names


def handled_in(src: Path) -> Set[str]:
    """Syscall names one module tests for (`sys_id == SYS_NAME`)."""
    tree = ast.parse(src.read_text())
    names: Set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) and node.left.id == "sys_id":
            for c in node.comparators:
                if isinstance(c, ast.Name) and c.id.startswith("SYS_") and c.id != "SYS_NONE":
                    names.add(c.id[4:].lower())
    return names


def in_kernel_programs() -> List[str]:
    """The tests/user C programs that boot tests run inside the kernel: named ones
    (`USER_SRC / "prog.c"`), and every t_*.c when a boot test runs them all
    (`USER_SRC.glob("t_*.c")`, as tests/boot/test_user_programs.py does), less the programs its
    KNOWN_FAILING list says cannot pass yet."""
    progs: Set[str] = set()
    for test in BOOT.glob("test_*.py"):
        text = test.read_text()
        progs.update(re.findall(r'USER_SRC\s*/\s*"([\w.]+\.c)"', text))
        if re.search(r'USER_SRC\.glob\("t_\*\.c"\)', text):
            failing = known_failing(text)
            progs.update(p.name for p in USER.glob("t_*.c") if p.stem not in failing)
    return sorted(progs)


def known_failing(text: str) -> Set[str]:
    """Program names in a boot test's KNOWN_FAILING dict ("libc/prog" keys; either libc counts)."""
    tree = ast.parse(text)
    names: Set[str] = set()
    for node in ast.walk(tree):
        target = None
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            target = node.target.id
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target = node.targets[0].id
        if target == "KNOWN_FAILING" and isinstance(node.value, ast.Dict):
            for k in node.value.keys:
                if isinstance(k, ast.Constant) and isinstance(k.value, str):
                    names.add(k.value.split("/")[-1])
    return names


def callers(names: List[str], programs: List[Path]) -> Dict[str, List[str]]:
    """For each syscall name, the programs whose source calls it (libc wrapper or SYS_ number)."""
    out: Dict[str, List[str]] = {n: [] for n in names}
    for prog in programs:
        text = prog.read_text()
        for n in names:
            if re.search(rf"\b{n}\s*\(|\bSYS_{n}\b|__NR_{n}\b", text):
                out[n].append(prog.stem)
    return out


# A flag-like constant: PREFIX_NAME in capitals (O_CLOEXEC, MAP_FIXED, CLONE_VM, WNOHANG is not one).
FLAG_RE = re.compile(r"\b([A-Z][A-Z0-9]*_[A-Z0-9_]+|W(?:NOHANG|UNTRACED|CONTINUED|EXITED|STOPPED|NOWAIT))\b")
NOT_FLAGS = ("KT_", "SYS_", "__NR_", "CHECK", "SKIP", "PATH_MAX", "INT_", "UINT", "SIZE_", "LONG_")


def call_arguments(text: str, name: str) -> List[str]:
    """The argument text of every call of name(...) (or syscall(SYS_name, ...)) in C source text."""
    out: List[str] = []
    for m in re.finditer(rf"\b(?:{name}\s*\(|syscall\s*\(\s*SYS_{name}\b)", text):
        depth = 1 if text[m.end() - 1] == "(" else 0
        i = m.end()
        if depth == 0:
            j = text.find("(", m.start())
            i = j + 1
            depth = 1
        start = i
        while i < len(text) and depth > 0:
            if text[i] == "(":
                depth += 1
            elif text[i] == ")":
                depth -= 1
            i += 1
        out.append(text[start:i - 1])
    return out


def flags_used(names: List[str], programs: List[Path]) -> Dict[str, List[str]]:
    """For each syscall, the flag constants its calls in the programs pass (the flags the tests
    exercise, with their error cases)."""
    out: Dict[str, Set[str]] = {n: set() for n in names}
    texts = [p.read_text() for p in programs]
    for n in names:
        for text in texts:
            for args in call_arguments(text, n):
                for f in FLAG_RE.findall(args):
                    if not f.startswith(NOT_FLAGS):
                        out[n].add(f)
    return {n: sorted(v) for n, v in out.items()}


def render() -> str:
    """The Markdown matrix."""
    rows = table()
    names = [r.name for r in rows]
    have = handled()
    kernel_progs = in_kernel_programs()
    in_kernel = callers(names, [USER / p for p in kernel_progs])
    host = callers(names, sorted(USER.glob("t_*.c")))
    supported = [n for n in names if n in have and in_kernel[n]]
    flags = flags_used(names, [USER / p for p in kernel_progs])
    lines = ["# Syscall support matrix", "",
             "Generated by `src/asterpy/syscall/matrix_gen.py` from the syscall list, the dispatcher and the "
             "tests; do not edit.", "",
             f"**Supported** (a handler, and a test program that calls it inside asterpy in QEMU): "
             f"{len(supported)} of {len(names)}. Handlers: {len(have)}. In-kernel test programs: "
             f"{', '.join(kernel_progs) or 'none'}. Host-verified test programs (tests/user/t_*.c) pass on the "
             "host's Linux with musl and glibc (tests/user/test_user_host.py).", "",
             "The flags column lists the flag constants the in-kernel tests pass to the call (so the flags "
             "whose behaviour, and whose error cases, a test checks inside asterpy).", "",
             "| name | x86_64 | riscv64 | loongarch64 | status | flags tested | in-kernel tests | host-verified tests |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        n = r.name
        status = "supported" if n in supported else ("handler, no in-kernel test" if n in have else "—")
        nums = [r.number(a) for a in ("x86_64", "riscv64", "loongarch64")]
        cells = ["—" if x is None else str(x) for x in nums]
        lines.append(f"| {n} | {' | '.join(cells)} | {status} | {', '.join(flags[n]) or '—'} | "
                     f"{', '.join(in_kernel[n]) or '—'} | {', '.join(host[n]) or '—'} |")
    lines.append("")
    return "\n".join(lines)


def main() -> int:
    """Write docs/syscalls.md (or with --check, fail if it is stale)."""
    text = render()
    if "--check" in sys.argv[1:]:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT} is out of date: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
