"""No dead code in the kernel: vulture finds none in src/asterpy/ and arch/ (whitelist: dead_code_whitelist.py).

The kernel's sources, the unit tests (a function only they call is still reachable: it is under test)
and the whitelist are scanned together; reported are unused functions, methods, classes, imports,
unreachable code and certainly-unused variables in kernel files. Constants and struct fields are
not: many name ABI values and layouts that document the format even where unread.
"""
from __future__ import annotations

from pathlib import Path

import vulture

REPO = Path(__file__).resolve().parents[2]
KERNEL_DIRS = (REPO / "src" / "asterpy", REPO / "arch")
WHITELIST = Path(__file__).with_name("dead_code_whitelist.py")
REPORTED = {"function", "method", "class", "import", "property", "unreachable_code"}


def dead_code() -> list[str]:
    """vulture's findings in kernel files, as `path:line: message`."""
    v = vulture.Vulture(ignore_decorators=["@export"])
    v.scavenge([str(d) for d in KERNEL_DIRS] + [str(REPO / "tests" / "unit"), str(WHITELIST)])
    out = []
    for item in v.get_unused_code(min_confidence=60):
        path = Path(item.filename).resolve()
        if not any(path.is_relative_to(d) for d in KERNEL_DIRS):
            continue
        if item.typ in REPORTED or item.confidence == 100:
            out.append(f"{path.relative_to(REPO)}:{item.first_lineno}: {item.message}")
    return sorted(out)


def test_no_dead_code_in_the_kernel() -> None:
    found = dead_code()
    assert not found, ("dead code (remove it, or add the name to tests/unit/dead_code_whitelist.py "
                       "with the reason it is used):\n" + "\n".join(found))
