"""Parse, verify and optimize LLVM IR with llvmlite 0.50's new pass manager."""
from __future__ import annotations

import llvmlite.binding as llvm

from translator.targets import init_llvm


class IRError(ValueError):
    """The IR handed to the back end is malformed (parse or verifier error), with LLVM's message."""


def parse_ir(ir_text: str) -> llvm.ModuleRef:
    """Parse IR text into a ModuleRef; raise IRError (not a crash) if it does not parse."""
    init_llvm()
    try:
        return llvm.parse_assembly(ir_text)
    except RuntimeError as exc:
        # LLVM's text is `<string>:LINE:COL: error: ...` followed by the line and a caret.
        raise IRError(f"invalid LLVM IR: {str(exc).strip()}") from None


def verify(module_ref: llvm.ModuleRef) -> None:
    """Run LLVM's verifier on `module_ref`; raise IRError with its report if the IR is invalid."""
    try:
        module_ref.verify()
    except RuntimeError as exc:
        raise IRError(f"LLVM IR failed verification: {str(exc).strip()}") from None


def optimize(module_ref: llvm.ModuleRef, target_machine: llvm.TargetMachine, level: int = 2) -> None:
    """Verify, then run the default O`level` module pipeline (0-3) on `module_ref` in place."""
    if not 0 <= level <= 3:
        raise ValueError(f"optimisation level must be 0..3, got {level}")
    verify(module_ref)               # an invalid module can crash a pass instead of failing
    pto = llvm.create_pipeline_tuning_options(speed_level=level)
    pb = llvm.create_pass_builder(target_machine, pto)
    pb.getModulePassManager().run(module_ref, pb)
