"""The translator pipeline end to end: parse → resolve → check → lower → optimize → emit (→ link)."""
from __future__ import annotations

import ast
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from translator.check import CheckedProgram, check_program
from translator.resolve import Program, resolve
from translator.targets import Target, get_target

STAGES = ("parse+resolve", "check", "lower", "optimize", "emit")


@dataclass
class Translation:
    """The result of translating a program: its checked form and its LLVM IR."""

    program: Program
    checked: CheckedProgram
    ir_text: str
    target: Target
    timings: dict[str, float] = field(default_factory=dict)


def needs_heap(program: Program) -> bool:
    """True if translated code allocates (class instances, containers), so the kernel heap must be linked in."""
    if any(not c.is_struct for m in program.modules.values() for c in m.classes):
        return True
    return any(isinstance(n, (ast.List, ast.Dict)) or (isinstance(n, ast.Constant) and isinstance(n.value, bytes))
               or (isinstance(n, ast.Name) and n.id in ("List", "Dict", "bytes", "bytearray", "Weak"))
               for m in program.modules.values() for n in ast.walk(m.parsed.tree))


def translate(paths: list, arch: str = "host", opt: int = 2, timings: Optional[dict] = None,
              debug: bool = True, roots: Optional[tuple] = None, intrinsics_anywhere: bool = False,
              kernel: bool = True) -> Translation:
    """Translate Kernel Python files to LLVM IR for `arch`, recording per-stage seconds in `timings`."""
    from translator.lower.module import ModuleLowering
    timings = timings if timings is not None else {}
    t0 = time.perf_counter()
    paths = [Path(p) for p in paths]
    program = resolve(paths, roots, intrinsics_anywhere)
    if needs_heap(program) and "asterpy.mm.heap" not in program.modules:
        heap = Path(__file__).resolve().parents[1] / "src" / "asterpy" / "mm" / "heap.py"
        program = resolve(paths + [heap], roots, intrinsics_anywhere)
    t1 = time.perf_counter()
    timings["parse+resolve"] = t1 - t0
    checked = check_program(program)
    t2 = time.perf_counter()
    timings["check"] = t2 - t1
    target = get_target(arch, kernel=kernel) if arch != "host" else get_target("host")
    module = ModuleLowering(checked, target, debug=debug).run()
    # Every definition gets the target's attributes: no red zone and frame pointers in the kernel.
    from translator.lower.irx import apply_target_defaults
    apply_target_defaults(module, target)
    text = str(module)
    t3 = time.perf_counter()
    timings["lower"] = t3 - t2
    return Translation(program, checked, text, target, timings)


def optimize_ir(tr: Translation, opt: int = 2) -> str:
    """Run LLVM's O`opt` pipeline over the IR and return the optimised IR text."""
    from translator.optimize import optimize, parse_ir
    from translator.targets import create_target_machine
    t0 = time.perf_counter()
    mod = parse_ir(tr.ir_text)
    optimize(mod, create_target_machine(tr.target, opt), opt)
    tr.timings["optimize"] = time.perf_counter() - t0
    return str(mod)


def compile_file(path, arch: str = "host", emit: str = "obj", out=None, opt: int = 2,  # type: ignore[no-untyped-def]
                 timings: Optional[dict] = None, debug: bool = True) -> Path:
    """Translate one file (and its imports) and write LLVM IR (ll), assembly (asm) or an object (obj)."""
    from translator.emit import emit_asm, emit_object
    paths = [Path(p) for p in (path if isinstance(path, (list, tuple)) else [path])]
    tr = translate(paths, arch, opt, timings, debug)
    suffix = {"ll": ".ll", "asm": ".s", "obj": ".o"}[emit]
    out = Path(out) if out else paths[0].with_suffix(suffix)
    t0 = time.perf_counter()
    if emit == "ll":
        out.write_text(optimize_ir(tr, opt) if opt else tr.ir_text)
    elif emit == "asm":
        out.write_text(emit_asm(tr.ir_text, tr.target, None, opt=opt))
    else:
        emit_object(tr.ir_text, tr.target, out, opt=opt)
    tr.timings["emit"] = time.perf_counter() - t0
    if timings is not None:
        timings.update(tr.timings)
    return out
