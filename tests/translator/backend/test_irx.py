"""IR extensions: volatile/atomic ops, module asm, inline asm, attributes and dso_local."""
from __future__ import annotations

import re
from pathlib import Path

import llvmlite.binding as llvm
import pytest
from elftools.elf.elffile import ELFFile
from elftools.elf.relocation import RelocationSection
from llvmlite import ir

from translator.emit import emit_asm, emit_object
from translator.lower import irx
from translator.optimize import parse_ir, verify
from translator.targets import get_target

from .sample import build_sample

I32, I64, PTR, VOID = ir.IntType(32), ir.IntType(64), ir.PointerType(), ir.VoidType()
X86 = get_target("x86_64")
# x86_64 relocations that go through the GOT (ELF x86-64 psABI): GOTPCREL, GOTPCRELX, REX_GOTPCRELX.
GOT_RELOCS = {9, 41, 42}


def _fn(m: ir.Module, name: str, ret: ir.Type = VOID, args: tuple[ir.Type, ...] = ()) -> tuple[ir.Function, ir.IRBuilder]:
    fn = ir.Function(m, ir.FunctionType(ret, list(args)), name)
    return fn, ir.IRBuilder(fn.append_basic_block("entry"))


def _parses(m: ir.Module) -> str:
    text = str(m)
    verify(parse_ir(text))
    return text


def test_volatile_load_and_store_print() -> None:
    m = irx.Module("v", X86)
    fn, b = _fn(m, "f", I32, (PTR,))
    irx.volatile_store(b, ir.Constant(I32, 7), fn.args[0], align=4)
    b.ret(irx.volatile_load(b, fn.args[0], I32, align=4))
    text = _parses(m)
    assert 'store volatile i32 7, ptr %".1", align 4' in text
    assert 'load volatile i32, ptr %".1", align 4' in text


def _poll_module(volatile: bool) -> str:
    m = irx.Module("poll", X86)
    fn, b = _fn(m, "poll", VOID, (PTR,))
    loop, done = fn.append_basic_block("loop"), fn.append_basic_block("done")
    b.branch(loop)
    b.position_at_end(loop)
    v = irx.volatile_load(b, fn.args[0], I32, 4) if volatile else b.load(fn.args[0], typ=I32, align=4)
    b.cbranch(b.icmp_unsigned("==", v, ir.Constant(I32, 0)), loop, done)
    b.position_at_end(done)
    b.ret_void()
    irx.apply_target_defaults(m, X86)
    return str(m)


def test_volatile_poll_loop_is_not_folded() -> None:
    # The status register must be re-read on every iteration: a labelled compare that jumps to itself.
    spin = re.compile(r"^(\.LBB\d+_\d+):\n\s+cmpl\s+\$0, \(%rdi\)\n\s+je\s+\1$", re.MULTILINE)
    assert spin.search(emit_asm(_poll_module(volatile=True), X86))
    # A plain load is hoisted out of the loop: the same pattern disappears (why irx exists).
    assert not spin.search(emit_asm(_poll_module(volatile=False), X86))


def test_atomics_print_and_lower() -> None:
    m = irx.Module("a", X86)
    g = ir.GlobalVariable(m, I64, "word")
    g.initializer = ir.Constant(I64, 0)
    fn, b = _fn(m, "f", I64, (I64,))
    old = irx.atomic_load(b, g, I64, 8)
    irx.atomic_store(b, fn.args[0], g, 8)
    irx.atomic_store(b, fn.args[0], g, 8, ordering="release")
    added = irx.atomic_rmw(b, "add", g, fn.args[0])
    pair = irx.cmpxchg(b, g, old, added, ordering="acq_rel")
    irx.fence(b, "seq_cst")
    b.ret(b.add(b.extract_value(pair, 0), added))
    text = _parses(m)
    assert re.search(r'load atomic i64, i64\* @"word" seq_cst, align 8', text)
    assert re.search(r'store atomic i64 %"\.1", i64\* @"word" seq_cst, align 8', text)
    assert "cmpxchg" in text and "acq_rel acquire" in text
    asm = emit_asm(text, X86)
    assert "xchgq" in asm and re.search(r"lock\s+xaddq", asm) and re.search(r"lock\s+cmpxchgq", asm)


@pytest.mark.parametrize("call,message", [
    (lambda b, p: irx.atomic_load(b, p, I64, 8, ordering="release"), "cannot have ordering"),
    (lambda b, p: irx.atomic_store(b, ir.Constant(I64, 0), p, 8, ordering="acquire"), "cannot have ordering"),
    (lambda b, p: irx.atomic_load(b, p, I64, 8, ordering="sequential"), "unknown atomic ordering"),
    (lambda b, p: irx.atomic_rmw(b, "mul", p, ir.Constant(I64, 1)), "unknown atomicrmw operation"),
    (lambda b, p: irx.volatile_load(b, ir.Constant(I64, 0), I64), "expected a pointer"),
])
def test_memory_op_misuse_is_refused(call, message: str) -> None:  # type: ignore[no-untyped-def]
    m = irx.Module("bad")
    fn, b = _fn(m, "f", VOID, (PTR,))
    with pytest.raises((ValueError, TypeError), match=message):
        call(b, fn.args[0])


def test_module_asm_is_printed_escaped_and_assembled(tmp_path: Path) -> None:
    m = irx.Module("masm", X86)
    m.add_asm('.globl banner\nbanner:\n  .asciz "a \\"quoted\\" line\\n"')
    text = _parses(m)
    assert 'module asm ".globl banner"' in text
    assert 'module asm "  .asciz \\22a \\5c\\22quoted\\5c\\22 line\\5cn\\22"' in text
    obj = emit_object(text, X86, tmp_path / "m.o")
    with open(obj, "rb") as f:
        elf = ELFFile(f)
        names = {s.name for s in elf.get_section_by_name(".symtab").iter_symbols()}
        data = elf.get_section_by_name(".text").data()
    assert "banner" in names and b'a "quoted" line\n\0' in data


def test_inline_asm_multiline_is_escaped() -> None:
    m = irx.Module("ia", X86)
    fn, b = _fn(m, "f", I64, (I64,))
    b.ret(irx.inline_asm(b, ir.FunctionType(I64, [I64]), 'mov $1, $0\n\tadd $$2, $0 # "two"', "=r,r", [fn.args[0]]))
    irx.apply_target_defaults(m, X86)
    text = _parses(m)
    assert 'asm sideeffect "mov $1, $0\\0a\\09add $$2, $0 # \\22two\\22", "=r,r"' in text
    asm = emit_asm(text, X86)
    assert re.search(r"movq\s+%rdi, %rax\n\s+addq\s+\$2, %rax", asm)


def test_dso_local_placement() -> None:
    m = irx.Module("d", X86)
    g = ir.GlobalVariable(m, I64, "defined")
    g.initializer = ir.Constant(I64, 1)
    hidden = ir.GlobalVariable(m, I64, "internal_one")
    hidden.linkage = "internal"
    hidden.initializer = ir.Constant(I64, 2)
    ir.GlobalVariable(m, I64, "declared")
    weak = ir.GlobalVariable(m, I64, "maybe")
    weak.linkage = "extern_weak"
    fn, b = _fn(m, "fn_def")
    fn.calling_convention = "fastcc"
    b.ret_void()
    ir.Function(m, ir.FunctionType(VOID, []), "fn_decl")
    m.declare_intrinsic("llvm.memset", [PTR, I64])
    text = _parses(m)
    assert '@"defined" = dso_local global i64 1' in text
    assert '@"internal_one" = internal dso_local global i64 2' in text
    assert '@"declared" = external dso_local global i64' in text
    assert '@"maybe" = extern_weak global i64' in text
    assert 'define dso_local fastcc void @"fn_def"()' in text
    assert 'declare dso_local void @"fn_decl"()' in text
    assert 'declare void @"llvm.memset.p0.i64"' in text
    assert fn.linkage == "" and g.storage_class == ""  # printing leaves the objects untouched


def test_host_module_keeps_declarations_preemptible() -> None:
    m = irx.Module("h", get_target("host"))
    ir.Function(m, ir.FunctionType(VOID, []), "from_libc")
    _, b = _fn(m, "mine")
    b.ret_void()
    text = _parses(m)
    assert 'declare void @"from_libc"()' in text and 'define dso_local void @"mine"()' in text


def _got_relocations(obj: Path) -> list[int]:
    with open(obj, "rb") as f:
        return [r["r_info_type"] for s in ELFFile(f).iter_sections() if isinstance(s, RelocationSection)
                for r in s.iter_relocations() if r["r_info_type"] in GOT_RELOCS]


def _extern_user(module: ir.Module) -> str:
    ext = ir.GlobalVariable(module, I64, "ticks")
    callee = ir.Function(module, ir.FunctionType(I64, []), "elsewhere")
    _, b = _fn(module, "use", I64)
    b.ret(b.add(b.load(ext, typ=I64), b.call(callee, [])))
    module.triple, module.data_layout = X86.triple, X86.data_layout
    return str(module)


def test_no_got_relocations_with_dso_local(tmp_path: Path) -> None:
    assert _got_relocations(emit_object(_extern_user(irx.Module("k", X86)), X86, tmp_path / "k.o")) == []
    # Control: llvmlite's own printing (no dso_local) makes LLVM 22 go through the GOT.
    assert _got_relocations(emit_object(_extern_user(ir.Module("plain")), X86, tmp_path / "p.o"))


def test_function_attributes() -> None:
    m = irx.Module("attrs", X86)
    fn, b = _fn(m, "f")
    b.ret_void()
    fn.attributes.add("cold")                       # llvmlite's own set is carried over
    irx.set_fn_attr(fn, "frame-pointer", "none")
    irx.set_fn_attr(fn, "target-features", "+sse")
    irx.set_fn_attr(fn, "target-features", "-sse")   # the last value wins
    irx.set_fn_attr(fn, "no-trapping-math", "true")
    irx.set_fn_attr(fn, "nocf_check")                # not in llvmlite's closed list
    irx.set_fn_attr(fn, "memory(none)")
    irx.apply_target_defaults(m, X86)                # adds noredzone/nounwind, keeps frame-pointer
    head = next(line for line in _parses(m).splitlines() if line.startswith("define"))
    for attr in ('"frame-pointer"="none"', '"target-features"="-sse"', '"no-trapping-math"="true"',
                 "cold", "nocf_check", "memory(none)", "noredzone", "nounwind"):
        assert attr in head
    assert "+sse" not in head
    with pytest.raises(ValueError, match="enum attributes"):
        irx.set_fn_attr(fn, "Bad Attr")
    irx.set_fn_attr(fn, "noinline")
    with pytest.raises(ValueError, match="alwaysinline and noinline"):
        irx.set_fn_attr(fn, "alwaysinline")


def test_naked_function_has_no_prologue() -> None:
    m = irx.Module("naked", X86)
    fn, b = _fn(m, "trap_entry")
    for attr in ("naked", "noreturn", "nounwind"):
        irx.set_fn_attr(fn, attr)
    irx.inline_asm(b, ir.FunctionType(VOID, []), "cli\n1: hlt\njmp 1b", "")
    b.unreachable()
    irx.apply_target_defaults(m, X86)                # frame-pointer=all must not add a prologue
    asm = emit_asm(_parses(m), X86)
    body = asm.split("trap_entry:", 1)[1].split(".Lfunc_end", 1)[0]
    assert "push" not in body and "%rsp" not in body
    assert re.search(r"#APP\n\s*cli", body)


@pytest.mark.parametrize("arch", ["x86_64", "riscv64", "loongarch64"])
def test_sample_module_parses_for_every_arch(arch: str) -> None:
    target = get_target(arch)
    text = str(build_sample(target))
    mod = parse_ir(text)
    verify(mod)
    assert mod.triple == target.triple
    assert isinstance(llvm.parse_assembly(text), llvm.ModuleRef)


def test_printing_twice_sees_later_changes() -> None:
    # llvmlite caches str() of a global; irx.Module renders afresh, so a mid-build print is harmless.
    m = irx.Module("late", X86)
    g = ir.GlobalVariable(m, I64, "late_init")
    g.linkage = "internal"
    str(m)
    g.initializer = ir.Constant(I64, 5)
    assert '@"late_init" = internal dso_local global i64 5' in _parses(m)
