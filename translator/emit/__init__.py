"""Emit stage: LLVM IR text to an object file or assembly for a Target, and `.S` shims to objects.

Which compiler runs (decided per module, see `needs_clang`):
- llvmlite's TargetMachine, in process, whenever it can: every target for IR without asm, and
  targets whose arch is the host's (x86_64 here) even with inline or module asm.
- `zig cc -c file.ll` (clang of the same LLVM major) for IR with inline or module asm on a
  non-host arch (riscv64, loongarch64 here): llvmlite registers only the host's asm parser and
  LLVM aborts the process when it meets asm for another arch. The IR is still parsed and
  verified in process first, so malformed IR is a Python IRError on both paths.
"""
from translator.emit.emitter import assemble, emit_asm, emit_object, has_asm, needs_clang

__all__ = ["assemble", "emit_asm", "emit_object", "has_asm", "needs_clang"]
