"""Stage 4g, lower the runtime library's built-in operations: memory, MMIO, port I/O, atomics, console, panic."""
from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Callable, Optional

from llvmlite import ir

from translator.check import types as T
from translator.lower import irx
from translator.lower.module import I1, I8, I16, I32, I64, PTR, VOID
from translator.lower.rtlib import FMT_ALT, FMT_UPPER, FMT_ZERO, console_write, fmt_int, log_begin, panic_halt

if TYPE_CHECKING:  # pragma: no cover
    from translator.lower.function import FunctionLowering

# The levelled log built-ins and their syslog-style levels (asterpy.lang.console).
LOG_LEVELS = {"kerror": 3, "kwarn": 4, "kinfo": 6, "kdebug": 7}
WIDTHS = {"8": I8, "16": I16, "32": I32, "64": I64}


def lower_builtin(fl: "FunctionLowering", node: ast.Call, name: str) -> ir.Value:
    """Lower a call to a built-in named `name`."""
    b = fl.b
    args = node.args
    if name == "len":
        t = args[0].kt  # type: ignore[attr-defined]
        if isinstance(t, T.ArrayType):
            return ir.Constant(I64, t.count)
        if t == T.STR:
            return b.extract_value(fl.expr(args[0]), 1)
        from translator.lower.containers import container_len
        return container_len(fl, args[0])
    if name in ("min", "max"):
        t = node.kt  # type: ignore[attr-defined]
        x, y = fl.expr(args[0]), fl.expr(args[1])
        op = "<" if name == "min" else ">"
        c = b.icmp_signed(op, x, y) if t.signed else b.icmp_unsigned(op, x, y)
        return b.select(c, x, y)
    if name == "abs":
        x = fl.expr(args[0])
        t = node.kt  # type: ignore[attr-defined]
        if isinstance(t, T.IntType) and not t.signed:
            return x
        return b.select(b.icmp_signed("<", x, ir.Constant(x.type, 0)), b.neg(x), x)
    if name in LOG_LEVELS:
        level = ir.Constant(I64, LOG_LEVELS[name])
        done = write_str(fl, args[0], gate=lambda: b.call(log_begin(fl.ml), [level]))
        emit_literal(fl, "\n")
        b.branch(done)
        b.position_at_end(done)
        return ir.Constant(I64, 0)
    if name == "kwrite":
        write_str(fl, args[0])
        return ir.Constant(I64, 0)
    if name in ("kprint", "panic"):
        write_str(fl, args[0])
        if name == "kprint":
            emit_literal(fl, "\n")
            return ir.Constant(I64, 0)
        pos = f"\n  at {fl.src.path}:{node.lineno} in {fl.fs.name}\n"
        emit_literal(fl, pos)
        b.call(panic_halt(fl.ml), [])
        b.unreachable()
        return ir.Constant(I64, 0)
    if name in ("memcpy", "memset"):
        a = [fl.expr(x) for x in args]
        if name == "memcpy":
            f = fl.ml.runtime_fn("llvm.memmove.p0.p0.i64", VOID, [PTR, PTR, I64, I1])
            b.call(f, [b.inttoptr(a[0], PTR), b.inttoptr(a[1], PTR), a[2], ir.Constant(I1, 0)])
        else:
            f = fl.ml.runtime_fn("llvm.memset.p0.i64", VOID, [PTR, I8, I64, I1])
            b.call(f, [b.inttoptr(a[0], PTR), b.trunc(a[1], I8), a[2], ir.Constant(I1, 0)])
        return ir.Constant(I64, 0)
    if name == "memcmp":
        from translator.lower.rtlib import ensure_memcmp
        a = [fl.expr(x) for x in args]
        r = b.call(ensure_memcmp(fl.ml), [b.inttoptr(a[0], PTR), b.inttoptr(a[1], PTR), a[2]])
        return b.sext(r, I64)
    if name == "volatile_load":
        pt = args[0].kt  # type: ignore[attr-defined]
        v = irx.volatile_load(b, fl.expr(args[0]), fl.ml.mem(pt.elem), pt.elem.size)
        return b.trunc(v, I1) if pt.elem == T.BOOL else v
    if name == "volatile_store":
        pt = args[0].kt  # type: ignore[attr-defined]
        p = fl.expr(args[0])
        v = fl.expr(args[1])
        irx.volatile_store(b, b.zext(v, I8) if pt.elem == T.BOOL else v, p, pt.elem.size)
        return ir.Constant(I64, 0)
    m = re.fullmatch(r"mmio_(read|write)(8|16|32|64)", name)
    if m:
        ty = WIDTHS[m.group(2)]
        p = b.inttoptr(fl.expr(args[0]), PTR)
        if m.group(1) == "read":
            return irx.volatile_load(b, p, ty, ty.width // 8)
        irx.volatile_store(b, fl.expr(args[1]), p, ty.width // 8)
        return ir.Constant(I64, 0)
    if name in ("atomic_load", "atomic_store", "atomic_fetch_add", "atomic_swap", "atomic_cmpxchg"):
        pt = args[0].kt  # type: ignore[attr-defined]
        p = fl.expr(args[0])
        size = pt.elem.size
        if name == "atomic_load":
            return irx.atomic_load(b, p, fl.ml.mem(pt.elem), size)
        if name == "atomic_store":
            irx.atomic_store(b, fl.expr(args[1]), p, size)
            return ir.Constant(I64, 0)
        if name == "atomic_cmpxchg":
            pair = irx.cmpxchg(b, p, fl.expr(args[1]), fl.expr(args[2]))
            return b.extract_value(pair, 1)
        return irx.atomic_rmw(b, "add" if name == "atomic_fetch_add" else "xchg", p, fl.expr(args[1]))
    if name in ("inb", "inw", "inl"):
        ty = {"inb": I8, "inw": I16, "inl": I32}[name]
        reg = {"inb": "{al}", "inw": "{ax}", "inl": "{eax}"}[name]
        suffix = name[-1]
        return irx.inline_asm(b, ir.FunctionType(ty, [I16]), f"in{suffix} %dx, %{reg[1:-1]}", f"={reg},{{dx}},~{{memory}}", [fl.expr(args[0])])
    if name in ("outb", "outw", "outl"):
        ty = {"outb": I8, "outw": I16, "outl": I32}[name]
        reg = {"outb": "al", "outw": "ax", "outl": "eax"}[name]
        suffix = name[-1]
        irx.inline_asm(b, ir.FunctionType(VOID, [ty, I16]), f"out{suffix} %{reg}, %dx", f"{{{reg}}},{{dx}},~{{memory}}",
                       [fl.expr(args[1]), fl.expr(args[0])])
        return ir.Constant(I64, 0)
    if name == "compiler_barrier":
        irx.inline_asm(b, ir.FunctionType(VOID, []), "", "~{memory}")
        return ir.Constant(I64, 0)
    if name == "memory_barrier":
        irx.fence(b, "seq_cst")
        return ir.Constant(I64, 0)
    if name == "cpu_relax":
        fl.cpu_relax()
        return ir.Constant(I64, 0)
    if name == "halt":
        insn = {"x86_64": "hlt", "riscv64": "wfi", "loongarch64": "idle 0"}.get(fl.ml.target.arch, "")
        irx.inline_asm(b, ir.FunctionType(VOID, []), insn, "~{memory}")
        return ir.Constant(I64, 0)
    if name in ("asm", "asm_u64"):
        template = args[0].value  # type: ignore[attr-defined]
        constraints = args[1].value  # type: ignore[attr-defined]
        ops = [fl.to_i64(fl.expr(a), a.kt) if a.kt != T.U64 and not isinstance(a.kt, T.PtrType) else fl.expr(a) for a in args[2:]]  # type: ignore[attr-defined]
        ret = I64 if name == "asm_u64" else VOID
        return irx.inline_asm(b, ir.FunctionType(ret, [o.type for o in ops]), template, constraints, ops)
    if name in ("new_bytes",):
        from translator.lower.containers import new_bytes
        return new_bytes(fl, node)
    raise NotImplementedError(f"built-in {name}")


def emit_literal(fl: "FunctionLowering", text: str) -> None:
    """Write a constant string to the console."""
    s = fl.ml.string(text)
    fl.b.call(console_write(fl.ml), [fl.b.extract_value(s, 0), fl.b.extract_value(s, 1)])


def write_str(fl: "FunctionLowering", node: ast.expr, gate: Optional[Callable[[], ir.Value]] = None) -> Optional[ir.Block]:
    """Write a str expression (a literal, a constant, or an f-string piece by piece) to the console.

    CPython builds the whole string before printing anything, so every field is evaluated first
    (output from a call inside a field comes before the line, not in the middle of it). `gate`, if
    given, runs after that and before anything is written; its i1 result decides whether to write
    (the log level filter). With a gate, the caller gets the block where both paths meet, to branch
    to once it has finished its own writing."""
    b = fl.b
    if isinstance(node, ast.JoinedStr):
        vals = [fl.expr(v.value) if isinstance(v, ast.FormattedValue) and not isinstance(v.value, ast.JoinedStr) else None
                for v in node.values]
        whole = None
    else:
        vals, whole = [], fl.expr(node)
    done = None
    if gate is not None:
        go = gate()
        write, done = fl.new_block("log.write"), fl.new_block("log.end")
        b.cbranch(go, write, done)
        b.position_at_end(write)
    if whole is not None:
        b.call(console_write(fl.ml), [b.extract_value(whole, 0), b.extract_value(whole, 1)])
        return done
    _write_pieces(fl, node, vals)  # type: ignore[arg-type]
    return done


def _write_pieces(fl: "FunctionLowering", node: ast.JoinedStr, vals: list) -> None:
    """Write the pieces of an f-string whose fields have been evaluated into `vals`."""
    b = fl.b
    for v, val in zip(node.values, vals):
        if isinstance(v, ast.Constant):
            emit_literal(fl, v.value)
            continue
        assert isinstance(v, ast.FormattedValue)
        t = v.value.kt  # type: ignore[attr-defined]
        spec = getattr(v, "spec", "")
        if t == T.STR and val is None:
            write_str(fl, v.value)  # a nested f-string
        elif t == T.STR:
            b.call(console_write(fl.ml), [b.extract_value(val, 0), b.extract_value(val, 1)])
        elif t == T.BOOL and not spec:
            # Python prints True/False only for an empty spec; with one, a bool formats as the int 0/1.
            yes, no = fl.ml.string("True"), fl.ml.string("False")
            s = b.select(val, yes, no)
            b.call(console_write(fl.ml), [b.extract_value(s, 0), b.extract_value(s, 1)])
        else:
            if val.type == PTR:
                val = b.ptrtoint(val, I64)
            signed = isinstance(t, T.IntType) and t.signed or t is T.LITERAL
            wide = fl.to_i64(val, t)
            base, width, flags = parse_spec(spec)
            b.call(fmt_int(fl.ml), [wide, ir.Constant(I1, int(signed)), ir.Constant(I64, base),
                                    ir.Constant(I64, width), ir.Constant(I64, flags)])


def parse_spec(spec: str) -> tuple[int, int, int]:
    """Format spec `[#][0][width][dxXbo]` to (base, width, flags)."""
    m = re.fullmatch(r"(#?)(0?)(\d*)([dxXbo]?)", spec)
    assert m is not None
    flags = (FMT_ALT if m.group(1) else 0) | (FMT_ZERO if m.group(2) else 0) | (FMT_UPPER if m.group(4) == "X" else 0)
    base = {"": 10, "d": 10, "x": 16, "X": 16, "b": 2, "o": 8}[m.group(4)]
    width = int(m.group(3) or 0)
    return base, width, flags
