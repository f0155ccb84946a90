"""One API for user memory (docs/architecture.md): only its modules turn a user address into a kernel one.

The API is asterpy.kernel.caller (the `Caller` interface, `UserChunks`) and asterpy.mm.usermem (its
implementation through the page tables). Everywhere else in the kernel, `user_page` (the kernel
address of a user byte) must not be called, and no address space's `translate` may be used outside
mm/ (the address-space code itself): a file, a driver, a syscall or a task walking user memory by
hand would bypass the EFAULT checks and the fault-in of untouched and copy-on-write pages.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import List

REPO = Path(__file__).resolve().parents[2]
API_MODULES = {"src/asterpy/kernel/caller.py", "src/asterpy/mm/usermem.py"}
# The address-space code may translate addresses of a space it manages (fault handling, mmap).
ADDRESS_SPACE_DIR = "src/asterpy/mm/"


def kernel_files() -> List[Path]:
    """Every kernel source file: src/asterpy/ and arch/*/."""
    return sorted((REPO / "src" / "asterpy").rglob("*.py")) + sorted((REPO / "arch").rglob("*.py"))


def violations(rel: str, source: str) -> List[str]:
    """`rel:line: what` for each raw user-memory access in the module rel with this source."""
    if rel in API_MODULES:
        return []
    out = []
    for node in ast.walk(ast.parse(source, rel)):
        if not isinstance(node, ast.Attribute):
            continue
        if node.attr == "user_page":
            out.append(f"{rel}:{node.lineno}: user_page outside the user-memory API")
        elif (node.attr == "translate" and isinstance(node.value, ast.Attribute) and node.value.attr == "space"
              and not rel.startswith(ADDRESS_SPACE_DIR)):
            out.append(f"{rel}:{node.lineno}: space.translate (a user address made a kernel one) outside mm/")
    return out


def test_only_the_api_modules_reach_user_memory() -> None:
    found = []
    for path in kernel_files():
        rel = path.relative_to(REPO).as_posix()
        found += violations(rel, path.read_text())
    assert not found, ("user memory reached around its API (use Caller's copy_in/copy_out/get_*/put_*/"
                       "strncpy_from_user/zero_user/user_chunks):\n" + "\n".join(found))


def test_the_api_modules_exist_and_define_user_page() -> None:
    for rel in API_MODULES:
        tree = ast.parse((REPO / rel).read_text())
        names = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        assert "user_page" in names, f"{rel} no longer defines user_page: update API_MODULES"


def test_the_check_catches_raw_accesses() -> None:
    src = ("def f(p, va):\n"
           "    k = p.user_page(va, False)\n"
           "    return p.space.translate(va) + k\n")
    assert len(violations("src/asterpy/fs/x.py", src)) == 2
    assert len(violations("src/asterpy/mm/x.py", src)) == 1     # mm/ may translate, not call user_page
    assert violations("src/asterpy/mm/usermem.py", src) == []
    assert violations("src/asterpy/fs/x.py", "def f(p, va):\n    return p.copy_in(0, va, 8)\n") == []
