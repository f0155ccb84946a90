"""Object and assembly emission through llvmlite or zig cc (see the package docstring)."""
from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Iterable, Union

from translator.optimize import optimize, parse_ir, run_isolated, verify
from translator.targets import Target, create_target_machine
from translator.toolchain import zig_cc

PathLike = Union[str, Path]

# `module asm "..."` at top level, or an inline asm callee: `asm [sideeffect] [alignstack]
# [inteldialect] [unwind] "template"`. A false positive only costs a trip through zig cc.
_ASM_RE = re.compile(r'^module asm "|\basm\s+(?:(?:sideeffect|alignstack|inteldialect|unwind)\s+)*"',
                     re.MULTILINE)


def has_asm(ir_text: str) -> bool:
    """Whether the IR contains module asm or inline asm."""
    return _ASM_RE.search(ir_text) is not None


def needs_clang(ir_text: str, target: Target) -> bool:
    """Whether this IR must be compiled by zig cc (asm that llvmlite cannot assemble for target)."""
    return not target.llvmlite_asm and has_asm(ir_text)


def _llvmlite_codegen(ir_text: str, target: Target, opt: int, as_object: bool) -> Union[bytes, str]:
    """Parse, verify, optimize and emit in process; returns object bytes or assembly text."""
    mod = parse_ir(ir_text)
    # The target decides triple and layout, so lowering need not get them exactly right.
    mod.triple = target.triple
    mod.data_layout = target.data_layout
    tm = create_target_machine(target, opt)
    optimize(mod, tm, opt)
    return tm.emit_object(mod) if as_object else tm.emit_assembly(mod)


def _clang_codegen(ir_text: str, target: Target, out: Path, opt: int, mode: str) -> None:
    """Verify in process, then compile with `zig cc mode file.ll -o out` for target."""
    mod = parse_ir(ir_text)
    verify(mod)
    mod.triple = target.triple              # as on the llvmlite path: the target decides
    mod.data_layout = target.data_layout
    with tempfile.TemporaryDirectory(prefix="asterpy-emit-") as tmp:
        src = Path(tmp) / (out.stem + ".ll")
        src.write_text(str(mod))            # LLVM's own printing of what it just verified
        zig_cc([mode, str(src), "-o", str(out), f"-O{opt}", *target.zig_cc_flags,
                "-Wno-override-module"])  # our triple spells the OS `none`; clang's `unknown`


def _codegen(ir_text: str, target: Target, out: Path, opt: int, isolate: bool, as_object: bool) -> None:
    """Write an object (as_object) or assembly for ir_text to out, choosing the compiler."""
    if not 0 <= opt <= 3:
        raise ValueError(f"optimisation level must be 0..3, got {opt}")
    out.parent.mkdir(parents=True, exist_ok=True)
    if needs_clang(ir_text, target):
        _clang_codegen(ir_text, target, out, opt, "-c" if as_object else "-S")
        return
    if isolate:
        result = run_isolated(_llvmlite_codegen, ir_text, target, opt, as_object)
    else:
        result = _llvmlite_codegen(ir_text, target, opt, as_object)
    if isinstance(result, bytes):
        out.write_bytes(result)
    else:
        out.write_text(result)


def emit_object(ir_text: str, target: Target, out_path: PathLike, opt: int = 2,
                isolate: bool = False) -> Path:
    """Optimize `ir_text` at -O`opt` and write an ELF object for `target` to `out_path`
    (isolate=True runs llvmlite codegen in a child: an LLVM fatal error becomes CodegenCrash)."""
    out = Path(out_path)
    _codegen(ir_text, target, out, opt, isolate, as_object=True)
    return out


def emit_asm(ir_text: str, target: Target, out_path: PathLike | None = None, opt: int = 2,
             isolate: bool = False) -> str:
    """Optimize `ir_text` and return its assembly for `target`, also writing it to `out_path`."""
    if out_path is not None:
        out = Path(out_path)
        _codegen(ir_text, target, out, opt, isolate, as_object=False)
        return out.read_text()
    with tempfile.TemporaryDirectory(prefix="asterpy-asm-") as tmp:
        out = Path(tmp) / "module.s"
        _codegen(ir_text, target, out, opt, isolate, as_object=False)
        return out.read_text()


def assemble(source_S: PathLike, target: Target, out_path: PathLike,
             extra_args: Iterable[str] = ()) -> Path:
    """Assemble a `.S` shim (C preprocessor + assembler) for `target` with zig cc."""
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    zig_cc(["-c", str(source_S), "-o", str(out), *target.zig_cc_flags, *extra_args])
    return out
