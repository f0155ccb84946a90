"""Stage 4f, the small native runtime the lowering emits into every module: console output, integer formatting."""
from __future__ import annotations

from typing import TYPE_CHECKING

from llvmlite import ir

from translator.lower import irx
from translator.lower.module import I1, I8, I32, I64, PTR, VOID, Builder

if TYPE_CHECKING:  # pragma: no cover
    from translator.lower.module import ModuleLowering

# Provided outside the translated program: by arch code in the kernel, by the harness in tests.
CONSOLE_WRITE = "kpy_console_write"   # void (ptr bytes, i64 len)
PANIC_HALT = "kpy_panic_halt"         # noreturn void (): backtrace and stop
LOG_BEGIN = "kpy_log_begin"           # bool (u64 level): write a log line's prefix, or say the level is filtered

FMT_ALT, FMT_ZERO, FMT_UPPER = 1, 2, 4


def console_write(ml: "ModuleLowering") -> ir.Function:
    """A `void (ptr, i64)` console writer: the external symbol, or an adapter when the program itself
    defines `kpy_console_write` in Kernel Python (which takes the address as a u64)."""
    existing = ml.m.globals.get(CONSOLE_WRITE)
    if existing is None or existing.function_type.args[0] == PTR:  # type: ignore[union-attr]
        return ml.runtime_fn(CONSOLE_WRITE, VOID, [PTR, I64])
    adapter = ml.m.globals.get("kpy.console_write")
    if adapter is None:
        adapter = ir.Function(ml.m, ir.FunctionType(VOID, [PTR, I64]), "kpy.console_write")
        adapter.linkage = "internal"
        b = Builder(adapter.append_basic_block("entry"))
        b.call(existing, [b.ptrtoint(adapter.args[0], I64), adapter.args[1]])
        b.ret_void()
    return adapter  # type: ignore[return-value]


def log_begin(ml: "ModuleLowering") -> ir.Function:
    """The log-line prefix writer `i1 (i64 level)`: the kernel's (Kernel Python, @export) or the harness's."""
    return ml.runtime_fn(LOG_BEGIN, I1, [I64])


def panic_halt(ml: "ModuleLowering") -> ir.Function:
    """The external noreturn panic stop."""
    fn = ml.runtime_fn(PANIC_HALT, VOID, [])
    if "noreturn" not in str(fn.attributes):
        irx.set_fn_attr(fn, "noreturn")
    return fn


def panic_fn(ml: "ModuleLowering") -> ir.Function:
    """kpy.panic(msg, len): write the message and a newline to the console, then stop in kpy_panic_halt().

    Defined here (internal, noreturn) rather than left external: the only hooks a translated program
    needs from outside are the console writer and the halt, as docs/translator.md promises.
    """
    fn = ml.runtime_fn("kpy.panic", VOID, [PTR, I64])
    if fn.blocks:
        return fn
    fn.linkage = "internal"
    irx.set_fn_attr(fn, "noreturn")
    irx.set_fn_attr(fn, "cold")
    b = Builder(fn.append_basic_block("entry"))
    write = console_write(ml)
    b.call(write, list(fn.args))
    nl = ml.string("\n")
    b.call(write, [b.extract_value(nl, 0), b.extract_value(nl, 1)])
    b.call(panic_halt(ml), [])
    b.unreachable()
    return fn


def ensure_memcmp(ml: "ModuleLowering") -> ir.Function:
    """kpy.memcmp(a, b, n) -> i32: a byte-wise compare for struct equality."""
    fn = ml.runtime_fn("kpy.memcmp", I32, [PTR, PTR, I64])
    if fn.blocks:
        return fn
    fn.linkage = "internal"
    a, b_, n = fn.args
    entry, head, body, diff, same = (fn.append_basic_block(x) for x in ("entry", "head", "body", "diff", "same"))
    b = Builder(entry)
    b.branch(head)
    b.position_at_end(head)
    i = b.phi(I64)
    i.add_incoming(ir.Constant(I64, 0), entry)
    b.cbranch(b.icmp_unsigned("<", i, n), body, same)
    b.position_at_end(body)
    x = b.load(b.gep(a, [i], source_etype=I8), typ=I8)
    y = b.load(b.gep(b_, [i], source_etype=I8), typ=I8)
    nxt = b.add(i, ir.Constant(I64, 1))
    i.add_incoming(nxt, body)
    b.cbranch(b.icmp_unsigned("==", x, y), head, diff)
    b.position_at_end(diff)
    b.ret(b.select(b.icmp_unsigned("<", x, y), ir.Constant(I32, -1), ir.Constant(I32, 1)))
    b.position_at_end(same)
    b.ret(ir.Constant(I32, 0))
    return fn


def fmt_int(ml: "ModuleLowering") -> ir.Function:
    """kpy.fmt_int(v, signed, base, width, flags): write an integer like Python's format() would."""
    fn = ml.runtime_fn("kpy.fmt_int", VOID, [I64, I1, I64, I64, I64])
    if fn.blocks:
        return fn
    fn.linkage = "internal"
    v, signed, base, width, flags = fn.args
    write = console_write(ml)
    entry = fn.append_basic_block("entry")
    b = Builder(entry)
    buf = b.alloca(ir.ArrayType(I8, 72), name="digits")
    one = b.alloca(I8, name="ch")
    zero64 = ir.Constant(I64, 0)
    neg = b.and_(signed, b.icmp_signed("<", v, zero64))
    u = b.select(neg, b.sub(zero64, v), v)
    upper = b.icmp_unsigned("!=", b.and_(flags, ir.Constant(I64, FMT_UPPER)), zero64)
    letter = b.select(upper, ir.Constant(I64, ord("A") - 10), ir.Constant(I64, ord("a") - 10))
    loop, done = fn.append_basic_block("digit"), fn.append_basic_block("digits.done")
    b.branch(loop)
    b.position_at_end(loop)
    cur = b.phi(I64)
    pos = b.phi(I64)
    cur.add_incoming(u, entry)
    pos.add_incoming(ir.Constant(I64, 72), entry)
    d = b.urem(cur, base)
    ch = b.select(b.icmp_unsigned("<", d, ir.Constant(I64, 10)), b.add(d, ir.Constant(I64, ord("0"))), b.add(d, letter))
    npos = b.sub(pos, ir.Constant(I64, 1))
    b.store(b.trunc(ch, I8), b.gep(buf, [zero64, npos], source_etype=ir.ArrayType(I8, 72)))
    ncur = b.udiv(cur, base)
    cur.add_incoming(ncur, loop)
    pos.add_incoming(npos, loop)
    b.cbranch(b.icmp_unsigned("!=", ncur, zero64), loop, done)
    b.position_at_end(done)
    ndig = b.sub(ir.Constant(I64, 72), npos)
    alt = b.and_(b.icmp_unsigned("!=", b.and_(flags, ir.Constant(I64, FMT_ALT)), zero64),
                 b.icmp_unsigned("!=", base, ir.Constant(I64, 10)))
    plen = b.select(alt, ir.Constant(I64, 2), zero64)
    total = b.add(b.add(ndig, plen), b.zext(neg, I64))
    pad = b.select(b.icmp_signed(">", width, total), b.sub(width, total), zero64)
    zpad = b.icmp_unsigned("!=", b.and_(flags, ir.Constant(I64, FMT_ZERO)), zero64)

    def repeat(char: int, count: ir.Value, tag: str) -> None:
        head, body, out = fn.append_basic_block(tag + ".head"), fn.append_basic_block(tag + ".body"), fn.append_basic_block(tag + ".out")
        start = b.block
        b.branch(head)
        b.position_at_end(head)
        k = b.phi(I64)
        k.add_incoming(zero64, start)
        b.cbranch(b.icmp_unsigned("<", k, count), body, out)
        b.position_at_end(body)
        b.store(ir.Constant(I8, char), one)
        b.call(write, [one, ir.Constant(I64, 1)])
        k.add_incoming(b.add(k, ir.Constant(I64, 1)), b.block)
        b.branch(head)
        b.position_at_end(out)

    def put(char: ir.Value) -> None:
        b.store(char, one)
        b.call(write, [one, ir.Constant(I64, 1)])

    repeat(ord(" "), b.select(zpad, zero64, pad), "space")
    with b.if_then(neg):
        put(ir.Constant(I8, ord("-")))
    with b.if_then(alt):
        put(ir.Constant(I8, ord("0")))
        kind = b.select(b.icmp_unsigned("==", base, ir.Constant(I64, 16)), b.select(upper, ir.Constant(I8, ord("X")), ir.Constant(I8, ord("x"))),
                        b.select(b.icmp_unsigned("==", base, ir.Constant(I64, 2)), ir.Constant(I8, ord("b")), ir.Constant(I8, ord("o"))))
        put(kind)
    repeat(ord("0"), b.select(zpad, pad, zero64), "zero")
    b.call(write, [b.gep(buf, [zero64, npos], source_etype=ir.ArrayType(I8, 72)), ndig])
    b.ret_void()
    return fn
