"""Stage 4h (support), the native helpers behind containers: layouts, vtables, release functions, str and list helpers."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Optional

from llvmlite import ir

from translator.check import types as T
from translator.lower import irx
from translator.lower.module import I1, I8, I32, I64, PTR, RT_FREE, STR_T, VOID, Builder
from translator.lower.objects import alloc_bytes, rc_helpers

if TYPE_CHECKING:  # pragma: no cover
    from translator.lower.module import ModuleLowering

# List[T], bytes and bytearray share one layout, in i64 slots after the object header:
#   0 refcount, 1 vtable, 2 weak cell (always null), 3 len, 4 cap, 5 data (separate block, or null).
L_LEN, L_CAP, L_DATA = 3, 4, 5
LIST_SIZE = 48
# Dict[K, V] keeps CPython's compact layout so values are released in insertion order, as CPython does:
#   3 len (live entries), 4 nent (entries used, dead ones included), 5 ecap (entries capacity),
#   6 mask (index slots - 1), 7 entries ({key, value, live} each), 8 index (i32 each: -1 empty, -2 dummy).
D_LEN, D_NENT, D_ECAP, D_MASK, D_ENTRIES, D_INDEX = 3, 4, 5, 6, 7, 8
DICT_SIZE = 72
# A Weak value is a small object {refcount, vtable, null, cell}; the cell {refcount, target} hangs off the
# target's header (slot 2) and is shared by every Weak of that target (see objects.build_release).
W_CELL = 3
WEAK_SIZE = 32
CELL_SIZE = 16
# bytes literals are static objects whose count never reaches zero.
IMMORTAL = 1 << 60
EMPTY, DUMMY = -1, -2


def cache(ml: "ModuleLowering") -> dict:
    """Per-module memo of the helpers built so far (kept on the ModuleLowering)."""
    c = getattr(ml, "_containers_cache", None)
    if c is None:
        c = {}
        ml._containers_cache = c  # type: ignore[attr-defined]
    return c


def type_name(t: T.KType) -> str:
    """A unique, readable name of a type for symbols (classes and structs by qualified name)."""
    if isinstance(t, (T.ClassType, T.StructType)):
        return t.qualname
    if isinstance(t, T.ListType):
        return f"List[{type_name(t.elem)}]"
    if isinstance(t, T.DictType):
        return f"Dict[{type_name(t.key)}, {type_name(t.value)}]"
    if isinstance(t, T.OptionalType):
        return f"Optional[{type_name(t.inner)}]"
    if isinstance(t, T.WeakType):
        return f"Weak[{type_name(t.inner)}]"
    if isinstance(t, T.PtrType):
        return f"Ptr[{type_name(t.elem)}]"
    if isinstance(t, T.ArrayType):
        return f"Array[{type_name(t.elem)}, {t.count}]"
    if isinstance(t, T.TupleType):
        return "Tuple[" + ", ".join(type_name(e) for e in t.elems) + "]"
    return repr(t)


def by_address(t: T.KType) -> bool:
    """Values handled through their address (structs and arrays are stored inline, copied by value)."""
    return isinstance(t, (T.StructType, T.ArrayType))


def sizeof(ml: "ModuleLowering", ty: ir.Type) -> int:
    """ABI size of an LLVM type (memoised: building target data is not free)."""
    c = cache(ml)
    key = ("size", str(ty))
    if key not in c:
        c[key] = ml.sizeof_ll(ty)
    return c[key]


def elem_size(ml: "ModuleLowering", t: T.KType) -> int:
    """Bytes per element of a List[t]."""
    return sizeof(ml, ml.mem(t))


# ---- small IR helpers -----------------------------------------------------------------------------
def c64(v: int) -> ir.Constant:
    """An i64 constant."""
    return ir.Constant(I64, v)


def slot(b: ir.IRBuilder, p: ir.Value, i: int) -> ir.Value:
    """Address of the i64 slot i of an object."""
    return b.gep(p, [c64(i)], source_etype=I64)


def ld(b: ir.IRBuilder, p: ir.Value, i: int, ty: ir.Type = I64) -> ir.Value:
    """Load slot i of an object."""
    return b.load(slot(b, p, i), typ=ty)


def st(b: ir.IRBuilder, p: ir.Value, i: int, v: ir.Value) -> None:
    """Store into slot i of an object."""
    b.store(v, slot(b, p, i))


def new_fn(ml: "ModuleLowering", name: str, ret: ir.Type, params: list) -> ir.Function:
    """Declare an internal helper function of the module."""
    fn = ir.Function(ml.m, ir.FunctionType(ret, params), name)
    fn.linkage = "internal"
    irx.set_fn_attr(fn, "nounwind")
    return fn


def kfree(ml: "ModuleLowering", b: ir.IRBuilder, p: ir.Value) -> None:
    """Give a block back to the kernel heap (null is ignored here, not by kfree)."""
    fn = ml.runtime_fn(RT_FREE, VOID, [I64])
    live, done = b.function.append_basic_block("free.live"), b.function.append_basic_block("free.done")
    b.cbranch(b.icmp_unsigned("!=", p, ir.Constant(PTR, None)), live, done)
    b.position_at_end(live)
    b.call(fn, [b.ptrtoint(p, I64)])
    b.branch(done)
    b.position_at_end(done)


def memmove(ml: "ModuleLowering", b: ir.IRBuilder, dst: ir.Value, src: ir.Value, n: ir.Value) -> None:
    """llvm.memmove."""
    fn = ml.runtime_fn("llvm.memmove.p0.p0.i64", VOID, [PTR, PTR, I64, I1])
    b.call(fn, [dst, src, n, ir.Constant(I1, 0)])


def counted_loop(b: ir.IRBuilder, start: ir.Value, stop: ir.Value, body: Callable[[ir.Value], None],
                 reverse: bool = False, tag: str = "loop") -> None:
    """for i in range(start, stop) (or reversed): body(i) emits the loop body at the builder."""
    fn = b.function
    ctr = entry_alloca(b, I64, f"{tag}.i")
    head, blk, done = fn.append_basic_block(f"{tag}.head"), fn.append_basic_block(f"{tag}.body"), fn.append_basic_block(f"{tag}.end")
    b.store(b.sub(stop, c64(1)) if reverse else start, ctr)
    b.branch(head)
    b.position_at_end(head)
    i = b.load(ctr, typ=I64)
    b.cbranch(b.icmp_signed(">=", i, start) if reverse else b.icmp_signed("<", i, stop), blk, done)
    b.position_at_end(blk)
    body(i)
    b.store(b.add(i, c64(-1 if reverse else 1)), ctr)
    b.branch(head)
    b.position_at_end(done)


def entry_alloca(b: ir.IRBuilder, ty: ir.Type, name: str = "") -> ir.Value:
    """A stack slot allocated in the function's entry block (so it is allocated once and promotable)."""
    entry = b.function.blocks[0]
    with b.goto_block(entry):
        b.position_at_start(entry)
        return b.alloca(ty, name=name)


def vtable_global(ml: "ModuleLowering", name: str, release: ir.Function) -> ir.GlobalVariable:
    """A container vtable {class id 0, id end 0, release, no methods}."""
    ty = ir.LiteralStructType([I64, I64, PTR, ir.ArrayType(PTR, 0)])
    gv = ir.GlobalVariable(ml.m, ty, name)
    gv.type = PTR
    gv.global_constant = True
    gv.linkage = "internal"
    gv.initializer = ir.Constant(ty, [c64(0), c64(0), release, ir.Constant(ir.ArrayType(PTR, 0), [])])
    return gv


def new_object(ml: "ModuleLowering", b: ir.IRBuilder, size: int, vtable: ir.Value) -> ir.Value:
    """A zeroed heap object with refcount 1 and its vtable."""
    p = alloc_bytes(ml, b, c64(size))
    b.store(c64(1), p)
    st(b, p, 1, vtable)
    return p


# ---- str -------------------------------------------------------------------------------------------
def str_eq_fn(ml: "ModuleLowering") -> ir.Function:
    """kpy.str_eq(p1, n1, p2, n2) -> i1: same length and same bytes."""
    c = cache(ml)
    if "str_eq" in c:
        return c["str_eq"]
    fn = new_fn(ml, "kpy.str_eq", I1, [PTR, I64, PTR, I64])
    c["str_eq"] = fn
    p1, n1, p2, n2 = fn.args
    b = Builder(fn.append_basic_block("entry"))
    same_len, loop, body, no, yes = (fn.append_basic_block(x) for x in ("same_len", "loop", "body", "no", "yes"))
    b.cbranch(b.icmp_unsigned("==", n1, n2), same_len, no)
    b.position_at_end(same_len)
    b.branch(loop)
    b.position_at_end(loop)
    i = b.phi(I64)
    i.add_incoming(c64(0), same_len)
    b.cbranch(b.icmp_unsigned("<", i, n1), body, yes)
    b.position_at_end(body)
    x = b.load(b.gep(p1, [i], source_etype=I8), typ=I8)
    y = b.load(b.gep(p2, [i], source_etype=I8), typ=I8)
    i.add_incoming(b.add(i, c64(1)), body)
    b.cbranch(b.icmp_unsigned("==", x, y), loop, no)
    b.position_at_end(no)
    b.ret(ir.Constant(I1, 0))
    b.position_at_end(yes)
    b.ret(ir.Constant(I1, 1))
    return fn


def str_hash_fn(ml: "ModuleLowering") -> ir.Function:
    """kpy.str_hash(p, n) -> i64: FNV-1a over the bytes."""
    c = cache(ml)
    if "str_hash" in c:
        return c["str_hash"]
    fn = new_fn(ml, "kpy.str_hash", I64, [PTR, I64])
    c["str_hash"] = fn
    p, n = fn.args
    entry = fn.append_basic_block("entry")
    loop, body, done = fn.append_basic_block("loop"), fn.append_basic_block("body"), fn.append_basic_block("done")
    b = Builder(entry)
    b.branch(loop)
    b.position_at_end(loop)
    i = b.phi(I64)
    h = b.phi(I64)
    i.add_incoming(c64(0), entry)
    h.add_incoming(c64(0xCBF29CE484222325 - (1 << 64)), entry)
    b.cbranch(b.icmp_unsigned("<", i, n), body, done)
    b.position_at_end(body)
    byte = b.zext(b.load(b.gep(p, [i], source_etype=I8), typ=I8), I64)
    h2 = b.mul(b.xor(h, byte), c64(0x100000001B3))
    i.add_incoming(b.add(i, c64(1)), body)
    h.add_incoming(h2, body)
    b.branch(loop)
    b.position_at_end(done)
    b.ret(h)
    return fn


# ---- List[T], bytes, bytearray ---------------------------------------------------------------------
def list_reserve_fn(ml: "ModuleLowering") -> ir.Function:
    """kpy.list_reserve(list, need, esize): make room for `need` elements, doubling the capacity."""
    c = cache(ml)
    if "list_reserve" in c:
        return c["list_reserve"]
    fn = new_fn(ml, "kpy.list_reserve", VOID, [PTR, I64, I64])
    c["list_reserve"] = fn
    lst, need, esize = fn.args
    b = Builder(fn.append_basic_block("entry"))
    grow, done = fn.append_basic_block("grow"), fn.append_basic_block("done")
    cap = ld(b, lst, L_CAP)
    b.cbranch(b.icmp_signed(">", need, cap), grow, done)
    b.position_at_end(grow)
    doubled = b.select(b.icmp_signed("<", cap, c64(4)), c64(4), b.shl(cap, c64(1)))
    new_cap = b.select(b.icmp_signed(">", need, doubled), need, doubled)
    data = alloc_bytes(ml, b, b.mul(new_cap, esize))
    old = ld(b, lst, L_DATA, PTR)
    memmove(ml, b, data, old, b.mul(ld(b, lst, L_LEN), esize))
    kfree(ml, b, old)
    st(b, lst, L_DATA, data)
    st(b, lst, L_CAP, new_cap)
    b.branch(done)
    b.position_at_end(done)
    b.ret_void()
    return fn


def _drop_elems(ml: "ModuleLowering", b: ir.IRBuilder, data: ir.Value, n: ir.Value, t: T.KType) -> None:
    """Release the object elements of a list's storage, last first (CPython's list_dealloc/clear order)."""
    if not t.is_object:
        return
    _, dec = rc_helpers(ml)
    counted_loop(b, c64(0), n, lambda i: b.call(dec, [b.load(b.gep(data, [i], source_etype=PTR), typ=PTR)]),
                 reverse=True, tag="drop")


def list_release_fn(ml: "ModuleLowering", t: T.KType, name: str) -> ir.Function:
    """`release(list)`: release elements (last first), free the storage and the object."""
    fn = new_fn(ml, f"{name}:release", VOID, [PTR])
    lst = fn.args[0]
    b = Builder(fn.append_basic_block("entry"))
    data = ld(b, lst, L_DATA, PTR)
    _drop_elems(ml, b, data, ld(b, lst, L_LEN), t)
    kfree(ml, b, data)
    kfree(ml, b, lst)
    b.ret_void()
    return fn


def list_vtable(ml: "ModuleLowering", t: T.KType) -> ir.GlobalVariable:
    """The vtable of List[t] (bytes and bytearray share List[u8]'s shape under the name `bytes`)."""
    c = cache(ml)
    key = ("list_vt", t)
    if key not in c:
        name = "bytes" if t is None else f"List[{type_name(t)}]"
        rel = list_release_fn(ml, t if t is not None else T.U8, name)
        c[key] = vtable_global(ml, f"{name}:vtable", rel)
    return c[key]


def list_clear_fn(ml: "ModuleLowering", t: T.KType) -> ir.Function:
    """`List[t].clear(list)`: empty the list first, then release the old elements (CPython's order)."""
    c = cache(ml)
    key = ("list_clear", t)
    if key in c:
        return c[key]
    fn = new_fn(ml, f"List[{type_name(t)}].clear", VOID, [PTR])
    c[key] = fn
    lst = fn.args[0]
    b = Builder(fn.append_basic_block("entry"))
    data = ld(b, lst, L_DATA, PTR)
    n = ld(b, lst, L_LEN)
    st(b, lst, L_LEN, c64(0))
    st(b, lst, L_CAP, c64(0))
    st(b, lst, L_DATA, ir.Constant(PTR, None))
    _drop_elems(ml, b, data, n, t)
    kfree(ml, b, data)
    b.ret_void()
    return fn


def values_equal(ml: "ModuleLowering", b: ir.IRBuilder, t: T.KType, a_addr: ir.Value, v: ir.Value) -> ir.Value:
    """Compare the element stored at a_addr with the value v (struct values given by address)."""
    if t == T.STR:
        s = b.load(a_addr, typ=STR_T)
        return b.call(str_eq_fn(ml), [b.extract_value(s, 0), b.extract_value(s, 1), b.extract_value(v, 0), b.extract_value(v, 1)])
    if by_address(t):
        from translator.lower.rtlib import ensure_memcmp
        r = b.call(ensure_memcmp(ml), [a_addr, v, c64(t.size)])
        return b.icmp_signed("==", r, ir.Constant(I32, 0))
    return b.icmp_unsigned("==", b.load(a_addr, typ=ml.mem(t)), v)


def list_contains_fn(ml: "ModuleLowering", t: Optional[T.KType]) -> ir.Function:
    """`List[t].contains(list, x) -> i1` (t None: bytes): linear scan with ==, identity for objects."""
    c = cache(ml)
    key = ("list_contains", t)
    if key in c:
        return c[key]
    et = T.U8 if t is None else t
    vty = PTR if by_address(et) else ml.mem(et)
    name = "bytes" if t is None else f"List[{type_name(et)}]"
    fn = new_fn(ml, f"{name}.contains", I1, [PTR, vty])
    c[key] = fn
    lst, v = fn.args
    entry = fn.append_basic_block("entry")
    b = Builder(entry)
    loop, body, step, yes, no = (fn.append_basic_block(x) for x in ("loop", "body", "step", "yes", "no"))
    b.branch(loop)
    b.position_at_end(loop)
    i = b.phi(I64)
    i.add_incoming(c64(0), entry)
    # The length is read each round: CPython's scan sees the list as it is at each step.
    b.cbranch(b.icmp_signed("<", i, ld(b, lst, L_LEN)), body, no)
    b.position_at_end(body)
    addr = b.gep(ld(b, lst, L_DATA, PTR), [i], source_etype=ml.mem(et))
    eq = values_equal(ml, b, et, addr, v)
    b.cbranch(eq, yes, step)
    b.position_at_end(step)
    i.add_incoming(b.add(i, c64(1)), step)
    b.branch(loop)
    b.position_at_end(yes)
    b.ret(ir.Constant(I1, 1))
    b.position_at_end(no)
    b.ret(ir.Constant(I1, 0))
    return fn


def bytes_literal_global(ml: "ModuleLowering", value: bytes) -> ir.GlobalVariable:
    """A static, immortal bytes object for a literal (shared by every evaluation, as CPython's constant is)."""
    c = cache(ml)
    key = ("bytes_lit", value)
    if key in c:
        return c[key]
    n = len(value)
    arr = ir.ArrayType(I8, max(n, 1))
    data = ir.GlobalVariable(ml.m, arr, f".bytes.data.{len(c)}")
    data.type = PTR
    data.global_constant = True
    data.linkage = "private"
    data.initializer = ir.Constant(arr, bytearray(value or b"\0"))
    ty = ir.LiteralStructType([I64, PTR, PTR, I64, I64, PTR])
    gv = ir.GlobalVariable(ml.m, ty, f".bytes.{len(c)}")
    gv.type = PTR
    gv.linkage = "internal"
    gv.initializer = ir.Constant(ty, [c64(IMMORTAL), list_vtable(ml, None), ir.Constant(PTR, None), c64(n), c64(n), data])
    c[key] = gv
    return gv


# ---- Weak -------------------------------------------------------------------------------------------
def weak_vtable(ml: "ModuleLowering") -> ir.GlobalVariable:
    """The vtable of Weak values: release drops the Weak's reference to the shared cell."""
    c = cache(ml)
    if "weak_vt" in c:
        return c["weak_vt"]
    fn = new_fn(ml, "Weak:release", VOID, [PTR])
    w = fn.args[0]
    b = Builder(fn.append_basic_block("entry"))
    cell = ld(b, w, W_CELL, PTR)
    rc = b.sub(b.load(cell, typ=I64), c64(1))
    b.store(rc, cell)
    dead, done = fn.append_basic_block("cell.dead"), fn.append_basic_block("done")
    b.cbranch(b.icmp_unsigned("==", rc, c64(0)), dead, done)
    b.position_at_end(dead)
    kfree(ml, b, cell)
    b.branch(done)
    b.position_at_end(done)
    kfree(ml, b, w)
    b.ret_void()
    c["weak_vt"] = vtable_global(ml, "Weak:vtable", fn)
    return c["weak_vt"]
