"""Lowering: checked Kernel Python to an llvmlite.ir module (plus the IR extensions it needs)."""
