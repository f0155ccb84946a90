"""The kernel's layers (docs/architecture.md): no upward import, no import cycle between folders.

Parses the imports of every kernel module (src/asterpy/ and arch/*/) without importing them. A
module's layer comes from LAYER_OF below; an import of a module in a higher layer fails, and so
does a cycle between two folders (a folder split across layers, like mm/ or arch/x86_64/, counts
as one folder per layer). A cycle inside one folder fails unless the folder is listed in
CYCLES_ALLOWED_IN with the reason.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

REPO = Path(__file__).resolve().parents[2]
ARCHES = ("x86_64", "riscv64", "loongarch64")
# Modules arch-neutral code imports by bare name; the build binds them to arch/<arch>/ (docs/arch.md).
# vdso_arch: the instructions the vDSO (asterpy.vdso, translated on its own) needs.
ARCH_SEAMS = ("kernel_arch", "kernel_pte", "kernel_counter", "kernel_glue", "vdso_arch")

LANG, CORE, SUBSYSTEMS, TASKS, SYSCALLS, ROOT = range(6)
LAYER_NAMES = ("L0 lang", "L1 core services", "L2 subsystems", "L3 tasks", "L4 syscalls", "L5 composition root")

# First match wins: (module name or dotted prefix, layer). docs/architecture.md explains each.
LAYER_OF: List[Tuple[str, int]] = [
    ("asterpy.lang", LANG),
    ("asterpy.kernel.main", ROOT),
    ("asterpy.kernel", CORE),
    ("asterpy.boot", CORE),
    ("asterpy.exec", CORE),
    ("asterpy.mm.frames", CORE),
    ("asterpy.mm.heap", CORE),
    ("asterpy.mm.paging", CORE),
    ("asterpy.mm.pageflags", CORE),
    ("asterpy.mm.kstack", CORE),
    ("asterpy.mm.meminfo", CORE),
    ("asterpy.mm.ioremap", CORE),
    ("asterpy.mm", SUBSYSTEMS),
    ("asterpy.drivers.uart16550", CORE),
    ("asterpy.drivers", SUBSYSTEMS),
    ("asterpy.fs", SUBSYSTEMS),
    ("asterpy.task", TASKS),
    ("asterpy.syscall", SYSCALLS),
    ("asterpy", CORE),
] + [(f"arch.{a}.{m}", ROOT) for a in ARCHES for m in ("entry", "kernel_glue")] + [
    ("arch.x86_64.traps", ROOT),
    ("arch", CORE),
]

# Folders whose modules may import each other in a cycle, and why.
CYCLES_ALLOWED_IN: Dict[str, str] = {
    "asterpy.task": "processes, threads, the scheduler and signals call each other (exit wakes the parent "
                    "and signals it, signal delivery stops and switches tasks); one subsystem, one folder",
    "asterpy.syscall": "the dispatcher imports every family and the families share its helpers (proc(), "
                       "the trace flag); replaced by the generated table (issue 10, item 4)",
}


def kernel_modules() -> Dict[str, Path]:
    """Every kernel module by dotted name: asterpy.* from src/, arch.<arch>.* from arch/."""
    mods: Dict[str, Path] = {}
    for p in (REPO / "src" / "asterpy").rglob("*.py"):
        parts = p.relative_to(REPO / "src").with_suffix("").parts
        mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    for a in ARCHES:
        for p in (REPO / "arch" / a).glob("*.py"):
            mods[f"arch.{a}.{p.stem}"] = p
    return mods


def folder_of(mod: str) -> str:
    """asterpy.<folder> or arch.<arch>."""
    return ".".join(mod.split(".")[:2])


def layer_of(mod: str) -> int:
    """The layer of a kernel module (LAYER_OF)."""
    for prefix, layer in LAYER_OF:
        if mod == prefix or mod.startswith(prefix + "."):
            return layer
    raise AssertionError(f"{mod}: no layer in LAYER_OF")


def unit_of(mod: str) -> str:
    """The folder, split by layer where a folder spans two (mm/, drivers/); the core services (L1)
    and the composition root (L5) are one unit each: their arch-neutral and arch halves implement
    each other's interfaces through the arch seams (mm.paging uses kernel_pte, whose paging code uses
    mm.pageflags; the boot entry calls kernel_main, which calls kernel_glue). A *module* cycle
    there still fails test_cycles_inside_a_folder_only_where_allowed."""
    layer = layer_of(mod)
    if layer in (CORE, ROOT):
        return LAYER_NAMES[layer]
    return f"{folder_of(mod)}[{LAYER_NAMES[layer]}]"


def targets(name: str, importer: str, mods: Dict[str, Path]) -> List[str]:
    """The kernel modules an imported name means: itself, or an arch seam in every arch that has it."""
    if name in mods:
        return [name]
    if name in ARCH_SEAMS:
        if importer.startswith("arch."):
            return [f"{folder_of(importer)}.{name}"]
        return [f"arch.{a}.{name}" for a in ARCHES if f"arch.{a}.{name}" in mods]
    return []


def imports_of(mod: str, path: Path, mods: Dict[str, Path]) -> Iterator[Tuple[str, int]]:
    """(imported kernel module, line) for every import statement in the module, lazy ones included."""
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                for t in targets(alias.name, mod, mods):
                    yield t, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")
                up = up[:len(up) - (node.level - 1)]
                base = ".".join(up + ([base] if base else []))
            names_a_module = False              # `from pkg import name`: pkg itself, unless name is a submodule
            for alias in node.names:
                sub = f"{base}.{alias.name}" if base else alias.name
                if sub in mods:
                    yield sub, node.lineno
                else:
                    names_a_module = True
            if names_a_module and base:
                for t in targets(base, mod, mods):
                    yield t, node.lineno


def import_graph() -> Tuple[Dict[str, Path], Dict[str, Dict[str, int]]]:
    """The modules and, for each, the kernel modules it imports (with the first line)."""
    mods = kernel_modules()
    graph: Dict[str, Dict[str, int]] = {m: {} for m in mods}
    for m, p in mods.items():
        for t, line in imports_of(m, p, mods):
            if t != m:
                graph[m].setdefault(t, line)
    return mods, graph


def strongly_connected(nodes: List[str], edges: Dict[str, Set[str]]) -> List[List[str]]:
    """Tarjan's strongly connected components of more than one node."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    out: List[List[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for n in sorted(nodes):
        if n not in index:
            visit(n)
    return out


def test_every_module_has_a_layer() -> None:
    mods = kernel_modules()
    assert len(mods) > 100
    for m in mods:
        layer_of(m)


def test_no_upward_import() -> None:
    mods, graph = import_graph()
    bad = []
    for m, imported in sorted(graph.items()):
        for t, line in sorted(imported.items()):
            if layer_of(t) > layer_of(m):
                rel = mods[m].relative_to(REPO)
                bad.append(f"{rel}:{line}: {m} ({LAYER_NAMES[layer_of(m)]}) imports {t} "
                           f"({LAYER_NAMES[layer_of(t)]})")
    assert not bad, "upward imports (docs/architecture.md):\n" + "\n".join(bad)


def test_nothing_imports_the_syscall_layer() -> None:
    """The syscall layer is imported only by itself and the composition root."""
    _, graph = import_graph()
    bad = [f"{m} imports {t}" for m, imported in graph.items() for t in imported
           if layer_of(t) == SYSCALLS and layer_of(m) not in (SYSCALLS, ROOT)]
    assert not bad


def test_no_cycle_between_folders() -> None:
    _, graph = import_graph()
    units: Dict[str, Set[str]] = {}
    for m, imported in graph.items():
        units.setdefault(unit_of(m), set()).update(unit_of(t) for t in imported if unit_of(t) != unit_of(m))
    cycles = strongly_connected(list(units), units)
    assert not cycles, "import cycles between folders: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_cycles_inside_a_folder_only_where_allowed() -> None:
    _, graph = import_graph()
    edges = {m: set(imported) for m, imported in graph.items()}
    bad = []
    for comp in strongly_connected(list(graph), edges):
        folders = {folder_of(m) for m in comp}
        if len(folders) != 1 or folders.pop() not in CYCLES_ALLOWED_IN:
            bad.append(" <-> ".join(comp))
    assert not bad, "import cycles (allowed only inside CYCLES_ALLOWED_IN's folders):\n" + "\n".join(bad)


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    """The parser finds `import`, `from x import y`, relative and lazy imports (the test can fail)."""
    src = tmp_path / "m.py"
    src.write_text("import asterpy.task.sched\nfrom asterpy.fs import inode\nfrom . import time\n"
                   "def f():\n    from kernel_arch import x\n")
    mods = {"asterpy.task.sched": src, "asterpy.fs.inode": src, "asterpy.fs": src, "asterpy.kernel.time": src,
            "arch.x86_64.kernel_arch": src, "asterpy.kernel.log": src}
    found = {t for t, _ in imports_of("asterpy.kernel.log", src, mods)}
    assert found == {"asterpy.task.sched", "asterpy.fs.inode", "asterpy.kernel.time", "arch.x86_64.kernel_arch"}
    assert layer_of("asterpy.task.sched") > layer_of("asterpy.kernel.log")
