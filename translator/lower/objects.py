"""Stage 4b, objects: reference counting, allocation and release of class instances."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Optional

from llvmlite import ir

from translator.check import types as T
from translator.lower import irx

if TYPE_CHECKING:  # pragma: no cover
    from translator.lower.module import ModuleLowering

from translator.lower.module import HEADER, I1, I64, PTR, RT_ALLOC, RT_FREE, VOID, Builder


def rc_helpers(ml: "ModuleLowering") -> tuple[ir.Function, ir.Function]:
    """The module's incref/decref helpers (null-safe, always inlined)."""
    inc = ml.m.globals.get("kpy.incref")
    if inc is not None:
        return inc, ml.m.globals["kpy.decref"]  # type: ignore[return-value]
    inc = ir.Function(ml.m, ir.FunctionType(VOID, [PTR]), "kpy.incref")
    dec = ir.Function(ml.m, ir.FunctionType(VOID, [PTR]), "kpy.decref")
    for fn in (inc, dec):
        fn.linkage = "internal"
        irx.set_fn_attr(fn, "alwaysinline")
        irx.set_fn_attr(fn, "nounwind")
    # incref: if (p) p->rc += 1
    b = Builder(inc.append_basic_block("entry"))
    p = inc.args[0]
    live, done = inc.append_basic_block("live"), inc.append_basic_block("done")
    b.cbranch(b.icmp_unsigned("!=", p, ir.Constant(PTR, None)), live, done)
    b.position_at_end(live)
    rc = b.load(p, typ=I64)
    b.store(b.add(rc, ir.Constant(I64, 1)), p)
    b.branch(done)
    b.position_at_end(done)
    b.ret_void()
    # decref: if (p && --p->rc == 0) p->vtable->release(p)
    b = Builder(dec.append_basic_block("entry"))
    p = dec.args[0]
    live, dead, done = dec.append_basic_block("live"), dec.append_basic_block("dead"), dec.append_basic_block("done")
    b.cbranch(b.icmp_unsigned("!=", p, ir.Constant(PTR, None)), live, done)
    b.position_at_end(live)
    rc = b.sub(b.load(p, typ=I64), ir.Constant(I64, 1))
    b.store(rc, p)
    b.cbranch(b.icmp_unsigned("==", rc, ir.Constant(I64, 0)), dead, done)
    b.position_at_end(dead)
    vt_slot = b.gep(p, [ir.Constant(I64, 1)], source_etype=I64)
    vt = b.load(vt_slot, typ=PTR)
    rel_slot = b.gep(vt, [ir.Constant(I64, 2)], source_etype=I64)
    rel = b.load(rel_slot, typ=PTR)
    b.call(ir.FunctionType(VOID, [PTR]), [p]) if False else b.call(_fnptr(b, rel, ir.FunctionType(VOID, [PTR])), [p])
    b.branch(done)
    b.position_at_end(done)
    b.ret_void()
    return inc, dec


class _FnPtr(ir.values.Value):
    """A function pointer value usable as a call target (opaque pointers need the callee type)."""

    def __init__(self, ptr: ir.Value, fnty: ir.FunctionType):
        self.ptr, self.function_type = ptr, fnty
        self.type = PTR

    def get_reference(self) -> str:
        return self.ptr.get_reference()

    def __str__(self) -> str:
        return f"{self.type} {self.get_reference()}"


def _fnptr(b: ir.IRBuilder, ptr: ir.Value, fnty: ir.FunctionType) -> ir.Value:
    return _FnPtr(ptr, fnty)


def call_ptr(b: ir.IRBuilder, ptr: ir.Value, fnty: ir.FunctionType, args: list,
             arg_attrs: Optional[dict] = None) -> ir.Instruction:
    """Call through a function pointer of the given type (arg_attrs: {index: attributes})."""
    return b.call(_FnPtr(ptr, fnty), args, arg_attrs=arg_attrs)


def alloc_object(ml: "ModuleLowering", b: ir.IRBuilder, ct: T.ClassType,
                 on_fail: Optional[Callable[[], None]] = None) -> ir.Value:
    """Allocate and zero a new instance of ct with reference count 1 and its vtable set
    (on_fail: as for alloc_bytes)."""
    ty = ml.class_ll(ct)
    size = ml.sizeof_ll(ty)
    raw = alloc_bytes(ml, b, ir.Constant(I64, size), on_fail)
    b.store(ir.Constant(I64, 1), raw)
    vt_slot = b.gep(raw, [ir.Constant(I64, 1)], source_etype=I64)
    b.store(ml.vtable(ct), vt_slot)
    return raw


def alloc_bytes(ml: "ModuleLowering", b: ir.IRBuilder, size: ir.Value,
                on_fail: Optional[Callable[[], None]] = None) -> ir.Value:
    """kmalloc + zero fill. When the heap is exhausted: on_fail() emits the failure path at the
    builder's position (raising SysError(ENOMEM) where the code can raise), else a panic."""
    kmalloc = ml.runtime_fn(RT_ALLOC, I64, [I64])
    addr = b.call(kmalloc, [size])
    ok = b.icmp_unsigned("!=", addr, ir.Constant(I64, 0))
    fn = b.function
    oom, cont = fn.append_basic_block("oom"), fn.append_basic_block("alloc.ok")
    b.cbranch(ok, cont, oom)
    b.position_at_end(oom)
    if on_fail is not None:
        on_fail()
        if not b.block.is_terminated:
            b.unreachable()
    else:
        panic_str(ml, b, "out of kernel heap memory")
    b.position_at_end(cont)
    p = b.inttoptr(addr, PTR)
    memset = ml.runtime_fn("llvm.memset.p0.i64", VOID, [PTR, ir.IntType(8), I64, I1])
    b.call(memset, [p, ir.Constant(ir.IntType(8), 0), size, ir.Constant(I1, 0)])
    return p


def panic_str(ml: "ModuleLowering", b: ir.IRBuilder, msg: str) -> None:
    """Emit a call to the runtime panic with a constant message, then unreachable."""
    from translator.lower.rtlib import panic_fn
    s = ml.string(msg)
    fn = panic_fn(ml)
    b.call(fn, [b.extract_value(s, 0), b.extract_value(s, 1)])
    b.unreachable()


def release_order(ct: T.ClassType) -> list[T.FieldInfo]:
    """The order in which a dying instance releases its fields: the order CPython's instance dict has.

    CPython keeps attributes in first-assignment order and releases them in that order, so the
    fields are ordered as __init__ first assigns them (`self.f = ...` in source order, following
    explicit `Base.__init__(self, ...)` calls where they occur); fields that __init__ never assigns
    come last, in declaration order. A field first assigned only on some path of __init__ can still
    differ from CPython's run-time order.
    """
    fields = ct.all_fields()
    order: list[str] = []
    _init_assignments(ct, order, set())
    by_name = {f.name: f for f in fields}
    out = [by_name[n] for n in order if n in by_name]
    return out + [f for f in fields if f.name not in order]


def _init_assignments(ct: T.ClassType, order: list[str], seen: set) -> None:
    """Append the fields that ct's __init__ (or the inherited one) assigns to `self`, in source order."""
    import ast
    m = ct.method("__init__")
    if m is None or id(m.func) in seen:
        return
    seen.add(id(m.func))
    node = m.func.node  # type: ignore[attr-defined]
    if not node.args.args:
        return
    me = node.args.args[0].arg

    def visit(n: ast.AST) -> None:
        if isinstance(n, ast.Call) and n.args and isinstance(n.args[0], ast.Name) and n.args[0].id == me:
            for a in n.args:
                visit(a)
            ck = getattr(n, "ck", None)
            target = getattr(ck, "target", None)
            owner = getattr(target, "owner", None)
            if ck is not None and ck.kind == "func" and getattr(target, "name", "") == "__init__" \
                    and isinstance(owner, T.ClassType):
                _init_assignments(owner, order, seen)
            return
        if isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            visit(n.value) if n.value is not None else None  # the value is evaluated before the store
            targets = n.targets if isinstance(n, ast.Assign) else [n.target]
            for t in targets:
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == me \
                        and t.attr not in order:
                    order.append(t.attr)
            return
        for c in ast.iter_child_nodes(n):
            visit(c)

    for stmt in node.body:
        visit(stmt)


def build_release(ml: "ModuleLowering", ct: T.ClassType, fn: ir.Function) -> None:
    """Body of ct's release function: drop hook, field releases, weak cell, free."""
    _, dec = rc_helpers(ml)
    b = Builder(fn.append_basic_block("entry"))
    obj = fn.args[0]
    drop = ct.method("__del__")
    if drop is not None:
        dfn = ml.function(drop.func)  # type: ignore[arg-type]
        b.call(dfn, [obj])
    ty = ml.class_ll(ct)
    fields = ct.all_fields()
    for f in release_order(ct):
        if f.type.is_object:
            i = fields.index(f)
            slot = b.gep(obj, [ir.Constant(ir.IntType(32), 0), ir.Constant(ir.IntType(32), len(HEADER) + i)], source_etype=ty)
            b.call(dec, [b.load(slot, typ=PTR)])
    cell_slot = b.gep(obj, [ir.Constant(I64, 2)], source_etype=I64)
    cell = b.load(cell_slot, typ=PTR)
    has_cell, freeit = fn.append_basic_block("weak"), fn.append_basic_block("free")
    b.cbranch(b.icmp_unsigned("!=", cell, ir.Constant(PTR, None)), has_cell, freeit)
    b.position_at_end(has_cell)
    # A weak cell is {rc, target}: clear the target, drop the object's own reference to the cell.
    tgt = b.gep(cell, [ir.Constant(I64, 1)], source_etype=I64)
    b.store(ir.Constant(PTR, None), tgt)
    rc = b.sub(b.load(cell, typ=I64), ir.Constant(I64, 1))
    b.store(rc, cell)
    dead, keep = fn.append_basic_block("cell.dead"), fn.append_basic_block("cell.keep")
    b.cbranch(b.icmp_unsigned("==", rc, ir.Constant(I64, 0)), dead, keep)
    b.position_at_end(dead)
    kfree = ml.runtime_fn(RT_FREE, VOID, [I64])
    b.call(kfree, [b.ptrtoint(cell, I64)])
    b.branch(keep)
    b.position_at_end(keep)
    b.branch(freeit)
    b.position_at_end(freeit)
    b.call(kfree, [b.ptrtoint(obj, I64)])
    b.ret_void()
