"""Optimize stage: parse and verify LLVM IR, run the new-pass-manager pipeline, isolate crashes."""
from translator.optimize.isolate import CodegenCrash, run_isolated
from translator.optimize.passes import IRError, optimize, parse_ir, verify

__all__ = ["CodegenCrash", "IRError", "optimize", "parse_ir", "run_isolated", "verify"]
