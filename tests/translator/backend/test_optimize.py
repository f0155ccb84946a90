"""Optimize: the O2 pipeline, verification, readable IR errors, and crash isolation."""
from __future__ import annotations

import os

import pytest
from llvmlite import ir

from translator.emit.emitter import _llvmlite_codegen
from translator.lower import irx
from translator.optimize import CodegenCrash, IRError, optimize, parse_ir, run_isolated, verify
from translator.targets import create_target_machine, get_target

from .sample import build_sample

LOOP_IR = """
define i64 @sum10() {
entry:
  br label %head
head:
  %i = phi i64 [0, %entry], [%i2, %body]
  %acc = phi i64 [0, %entry], [%acc2, %body]
  %c = icmp ult i64 %i, 10
  br i1 %c, label %body, label %done
body:
  %acc2 = add i64 %acc, %i
  %i2 = add i64 %i, 1
  br label %head
done:
  ret i64 %acc
}
"""


@pytest.mark.parametrize("arch", ["x86_64", "riscv64", "loongarch64", "host"])
def test_o2_folds_a_constant_loop(arch: str) -> None:
    target = get_target(arch)
    mod = parse_ir(LOOP_IR)
    optimize(mod, create_target_machine(target), level=2)
    assert "ret i64 45" in str(mod) and "phi" not in str(mod)


def test_o0_keeps_the_loop() -> None:
    mod = parse_ir(LOOP_IR)
    optimize(mod, create_target_machine(get_target("x86_64"), opt=0), level=0)
    assert "phi" in str(mod)


def test_bad_level() -> None:
    with pytest.raises(ValueError, match="0..3"):
        optimize(parse_ir(LOOP_IR), create_target_machine(get_target("x86_64")), level=4)


def test_sample_module_optimizes_for_every_arch() -> None:
    for arch in ("x86_64", "riscv64", "loongarch64"):
        target = get_target(arch)
        mod = parse_ir(str(build_sample(target)))
        optimize(mod, create_target_machine(target))
        text = str(mod)
        assert "store volatile i32 1" in text and "module asm" in text


def test_parse_error_is_readable() -> None:
    with pytest.raises(IRError) as info:
        parse_ir("define i64 @f() {\nentry:\n  ret i32 0\n}\n")
    msg = str(info.value)
    assert msg.startswith("invalid LLVM IR") and ":3:" in msg and "ret i32 0" in msg


def test_verifier_error_is_readable() -> None:
    # Built with llvmlite: a block without a terminator prints, but LLVM rejects it.
    m = irx.Module("broken", get_target("x86_64"))
    fn = ir.Function(m, ir.FunctionType(ir.VoidType(), []), "no_terminator")
    ir.IRBuilder(fn.append_basic_block("entry")).add(ir.Constant(ir.IntType(8), 1), ir.Constant(ir.IntType(8), 2))
    with pytest.raises(IRError, match="expected instruction opcode"):
        verify(parse_ir(str(m)))
    # The use-before-definition error from the verifier, not from the parser:
    with pytest.raises(IRError, match="dominate"):
        verify(parse_ir("define i64 @f(i1 %c) {\nentry:\n  br i1 %c, label %a, label %b\na:\n"
                        "  %x = add i64 1, 2\n  br label %b\nb:\n  ret i64 %x\n}\n"))


def _answer(x: int) -> int:
    return x * 2


def _fail() -> None:
    raise IRError("bad IR from the child")


def test_run_isolated_returns_and_reraises() -> None:
    assert run_isolated(_answer, 21) == 42
    with pytest.raises(IRError, match="bad IR from the child"):
        run_isolated(_fail)


def test_run_isolated_turns_abort_into_exception() -> None:
    with pytest.raises(CodegenCrash, match="SIGABRT"):
        run_isolated(os.abort)


def test_real_llvm_fatal_error_is_caught() -> None:
    # llvmlite has no RISC-V asm parser: emitting this module in process would kill pytest.
    target = get_target("riscv64")
    with pytest.raises(CodegenCrash, match="LLVM ERROR: Inline asm not supported"):
        run_isolated(_llvmlite_codegen, str(build_sample(target)), target, 2, True)
    assert run_isolated(_answer, 1) == 2  # and this process is still fine
