"""Stage 4h, containers (List, Dict, bytes, bytearray), str equality and weak references lowered to native code.

Every container is a heap object with the standard header, so the generic incref/decref work on it, and a vtable
per concrete type whose release frees its storage and releases object elements in CPython's order (lists last
element first, dicts in insertion order). Layouts are in containers_rt.py; Dict's table is in containers_dict.py.
Ownership follows the rest of the lowering: element reads are borrowed (owned when the container was a temporary),
stored objects are owned by the container, pop() moves the container's reference to the caller. Where CPython
raises (IndexError, KeyError, ValueError) the native code panics with the message and the source position.
"""
from __future__ import annotations

import ast
from typing import Any

from llvmlite import ir

from translator.check import types as T
from translator.lower.containers_dict import DictHelpers, dict_helpers, key_supported
from translator.lower.containers_rt import (CELL_SIZE, D_INDEX, DICT_SIZE, L_CAP, L_DATA, L_LEN, LIST_SIZE, W_CELL, WEAK_SIZE, by_address,
                                            bytes_literal_global, c64, elem_size, entry_alloca, ld, list_clear_fn,
                                            list_contains_fn, list_reserve_fn, list_vtable, memmove, new_object, st,
                                            str_eq_fn, weak_vtable)
from translator.lower.module import I8, I32, I64, PTR
from translator.lower.objects import alloc_bytes


def _not_yet(fl: Any, node: ast.AST, what: str) -> Any:
    raise fl.src.error(node, f"{what} is checked but not yet translated to native code",
                       "keep it in CPython-only code for now (tracked in docs/language.md, 'Not yet native')")


# ---- shared pieces ------------------------------------------------------------------------------------
def _guard(fl: Any, ok: ir.Value, msg: str, node: ast.AST) -> None:
    """Panic with msg and this source position unless ok holds (where CPython would raise)."""
    from translator.lower.rtlib import console_write, panic_halt
    b = fl.b
    bad, good = fl.new_block("guard.fail"), fl.new_block("guard.ok")
    b.cbranch(ok, good, bad)
    b.position_at_end(bad)
    s = fl.ml.string(f"{msg}\n  at {fl.src.path}:{getattr(node, 'lineno', 0)} in {fl.fs.name}\n")
    b.call(console_write(fl.ml), [b.extract_value(s, 0), b.extract_value(s, 1)])
    b.call(panic_halt(fl.ml), [])
    b.unreachable()
    b.position_at_end(good)


def _elem_type(node: ast.expr) -> T.KType:
    """The element type of a List or bytes expression."""
    ct = T.strip_optional(node.kt)  # type: ignore[attr-defined]
    return ct.elem if isinstance(ct, T.ListType) else T.U8


def _check_elem(fl: Any, t: T.KType, node: ast.AST) -> None:
    """Refuse element types whose native handling is not written yet."""
    if isinstance(t, T.TupleType) and any(e.is_object or isinstance(e, T.TupleType) for e in t.elems):
        _not_yet(fl, node, "a container of tuples holding objects")
    if isinstance(t, T.AtomicType) or t in (T.SPINLOCK, T.SYSERROR, T.NONE):
        _not_yet(fl, node, f"a container of {t!r}")


def _recv(fl: Any, node: ast.expr) -> ir.Value:
    """A borrowed container (owned results become temporaries), None-checked when Optional."""
    v = fl.borrow(node)
    if isinstance(node.kt, T.OptionalType):  # type: ignore[attr-defined]
        _guard(fl, fl.b.icmp_unsigned("!=", v, ir.Constant(PTR, None)), "'NoneType' object is not subscriptable", node)
    return v


def _index(fl: Any, idx_node: ast.expr, n: ir.Value, node: ast.AST, msg: str = "list index out of range") -> ir.Value:
    """Python indexing: negative counts from the end; out of range panics (IndexError under CPython)."""
    return _check_index(fl, fl.expr(idx_node), idx_node.kt, n, node, msg)  # type: ignore[attr-defined]


def _check_index(fl: Any, v: ir.Value, t: T.KType, n: ir.Value, node: ast.AST, msg: str) -> ir.Value:
    """Normalise an already evaluated index against length n, panicking when it is out of range."""
    i = fl.to_i64(v, t)
    if isinstance(t, T.IntType) and t.signed or t is T.LITERAL:
        i = fl.b.select(fl.b.icmp_signed("<", i, c64(0)), fl.b.add(i, n), i)
    _guard(fl, fl.b.icmp_unsigned("<", i, n), msg, node)
    return i


def _elem_addr(fl: Any, lst: ir.Value, i: ir.Value, et: T.KType) -> ir.Value:
    """Address of element i of a list (or bytes)."""
    return fl.b.gep(ld(fl.b, lst, L_DATA, PTR), [i], source_etype=fl.ml.mem(et))


def _load(fl: Any, addr: ir.Value, t: T.KType) -> ir.Value:
    """The value stored at addr (structs and arrays stay in memory: their address)."""
    if by_address(t):
        return addr
    if t.is_object:
        return fl.b.load(addr, typ=PTR)
    return fl.load_mem(addr, t)


def _store(fl: Any, addr: ir.Value, v: ir.Value, t: T.KType) -> None:
    """Store a value (objects: an owned reference; structs: copied from their address)."""
    if by_address(t):
        fl.copy_struct(addr, v, t)
    else:
        fl.store_mem(addr, v, t)


def _value(fl: Any, node: ast.expr, t: T.KType) -> ir.Value:
    """Evaluate a value about to be stored in a container: objects owned (+1), structs copied to a temporary.

    The copy matters when the struct lives in the same container: growing it would move the source.
    """
    if t.is_object:
        return fl.take(node)
    if by_address(t):
        tmp = fl.temp_struct(t)
        fl.copy_struct(tmp, fl.expr(node), t)
        return tmp
    return fl.expr(node)


def _dict(fl: Any, dt: T.DictType, node: ast.AST) -> DictHelpers:
    """The helpers of a Dict type, refusing key types the native table does not handle."""
    if not key_supported(dt.key):
        _not_yet(fl, node, f"a Dict with {dt.key!r} keys")
    _check_elem(fl, dt.value, node)
    return dict_helpers(fl.ml, dt)


def _key(fl: Any, node: ast.expr, kt: T.KType) -> ir.Value:
    """A key value in its stored form (bool as a byte)."""
    if kt == T.BYTES:
        return fl.borrow(node)  # the table takes its own reference when it stores a new key
    v = fl.expr(node)
    if kt == T.STR:
        return v
    want = fl.ml.mem(kt)
    if v.type == want:
        return v
    if v.type.width > want.width:  # type: ignore[attr-defined]
        return fl.b.trunc(v, want)
    return fl.b.zext(v, want)


def _find_entry(fl: Any, h: DictHelpers, d: ir.Value, key: ir.Value) -> tuple[ir.Value, ir.Value]:
    """(index slot, found?) of a key."""
    pos = fl.b.call(h.find, [d, key])
    return pos, fl.b.icmp_signed(">=", pos, c64(0))


def _entry_of(fl: Any, h: DictHelpers, d: ir.Value, pos: ir.Value) -> ir.Value:
    """The entry number stored in index slot pos."""
    b = fl.b
    return b.sext(b.load(h.index_slot(b, ld(b, d, D_INDEX, PTR), pos), typ=I32), I64)


def _finish(fl: Any, node: ast.expr, mark: int, v: ir.Value, t: T.KType, borrowed_from_temp: bool) -> ir.Value:
    """End an element read: keep the value alive past the temporaries released now."""
    if borrowed_from_temp:
        if by_address(t):
            tmp = fl.temp_struct(t)
            fl.copy_struct(tmp, v, t)
            v = tmp
        elif t.is_object:
            fl.b.call(fl.inc, [v])
            node.owned = True  # type: ignore[attr-defined]
    fl.release_temps(mark)
    return v


# ---- the hooks ----------------------------------------------------------------------------------------
def container_call(fl: Any, node: ast.Call) -> Any:
    """List/Dict/bytes method calls, and bytes(n)/bytearray(n)."""
    ck = node.ck  # type: ignore[attr-defined]
    kind = ck.kind
    if kind == "new_bytes":
        return new_bytes(fl, node)
    fn = _METHODS.get(kind)
    if fn is None:
        return _not_yet(fl, node, "this container operation")
    return fn(fl, node, ck)


def _list_append(fl: Any, node: ast.Call, ck: Any) -> ir.Value:
    b = fl.b
    mark = len(fl.temps)
    et = _elem_type(ck.recv)
    _check_elem(fl, et, node)
    lst = _recv(fl, ck.recv)
    v = _value(fl, ck.args[0], et)
    n = ld(b, lst, L_LEN)
    b.call(list_reserve_fn(fl.ml), [lst, b.add(n, c64(1)), c64(elem_size(fl.ml, et))])
    _store(fl, _elem_addr(fl, lst, n, et), v, et)
    st(b, lst, L_LEN, b.add(n, c64(1)))
    fl.release_temps(mark)
    return c64(0)


def _list_pop(fl: Any, node: ast.Call, ck: Any) -> ir.Value:
    b = fl.b
    mark = len(fl.temps)
    et = _elem_type(ck.recv)
    _check_elem(fl, et, node)
    lst = _recv(fl, ck.recv)
    if ck.args:
        raw = fl.expr(ck.args[0])  # the argument is evaluated before pop looks at the list
        n = ld(b, lst, L_LEN)
        _guard(fl, b.icmp_signed(">", n, c64(0)), "pop from empty list", node)
        i = _check_index(fl, raw, ck.args[0].kt, n, node, "pop index out of range")
    else:
        n = ld(b, lst, L_LEN)
        _guard(fl, b.icmp_signed(">", n, c64(0)), "pop from empty list", node)
        i = b.sub(n, c64(1))
    addr = _elem_addr(fl, lst, i, et)
    if by_address(et):
        v = fl.temp_struct(et)
        fl.copy_struct(v, addr, et)
    else:
        v = _load(fl, addr, et)  # an object's reference moves from the list to the caller
    esize = c64(elem_size(fl.ml, et))
    nxt = b.add(i, c64(1))
    memmove(fl.ml, b, addr, _elem_addr(fl, lst, nxt, et), b.mul(b.sub(n, nxt), esize))
    st(b, lst, L_LEN, b.sub(n, c64(1)))
    fl.release_temps(mark)
    if et.is_object:
        node.owned = True  # type: ignore[attr-defined]
    return v


def _list_insert(fl: Any, node: ast.Call, ck: Any) -> ir.Value:
    b = fl.b
    mark = len(fl.temps)
    et = _elem_type(ck.recv)
    _check_elem(fl, et, node)
    lst = _recv(fl, ck.recv)
    it = ck.args[0].kt
    i = fl.to_i64(fl.expr(ck.args[0]), it)
    v = _value(fl, ck.args[1], et)
    n = ld(b, lst, L_LEN)
    # list.insert clamps: i < -n goes to the front, i > n to the end; it never fails.
    if isinstance(it, T.IntType) and it.signed or it is T.LITERAL:
        i = b.select(b.icmp_signed("<", i, c64(0)), b.add(i, n), i)
        i = b.select(b.icmp_signed("<", i, c64(0)), c64(0), i)
        i = b.select(b.icmp_signed(">", i, n), n, i)
    else:
        i = b.select(b.icmp_unsigned(">", i, n), n, i)
    esize = elem_size(fl.ml, et)
    b.call(list_reserve_fn(fl.ml), [lst, b.add(n, c64(1)), c64(esize)])
    addr = _elem_addr(fl, lst, i, et)
    memmove(fl.ml, b, _elem_addr(fl, lst, b.add(i, c64(1)), et), addr, b.mul(b.sub(n, i), c64(esize)))
    _store(fl, addr, v, et)
    st(b, lst, L_LEN, b.add(n, c64(1)))
    fl.release_temps(mark)
    return c64(0)


def _list_clear(fl: Any, node: ast.Call, ck: Any) -> ir.Value:
    mark = len(fl.temps)
    et = _elem_type(ck.recv)
    lst = _recv(fl, ck.recv)
    fl.b.call(list_clear_fn(fl.ml, et), [lst])
    fl.release_temps(mark)
    return c64(0)


def _dict_get(fl: Any, node: ast.Call, ck: Any) -> ir.Value:
    b = fl.b
    dt = T.strip_optional(ck.recv.kt)
    h = _dict(fl, dt, node)
    vt = dt.value
    mark = len(fl.temps)
    d = _recv(fl, ck.recv)
    key = _key(fl, ck.args[0], dt.key)
    dv = fl.borrow(ck.args[1]) if vt.is_object else fl.expr(ck.args[1])
    pos, found = _find_entry(fl, h, d, key)
    yes, done = fl.new_block("get.found"), fl.new_block("get.end")
    start = b.block
    b.cbranch(found, yes, done)
    b.position_at_end(yes)
    addr = h.value_addr(b, d, _entry_of(fl, h, d, pos))
    got = addr if by_address(vt) else _load(fl, addr, vt)
    yes_end = b.block
    b.branch(done)
    b.position_at_end(done)
    phi = b.phi(got.type)
    phi.add_incoming(got, yes_end)
    phi.add_incoming(dv, start)
    if vt.is_object:
        b.call(fl.inc, [phi])
        node.owned = True  # type: ignore[attr-defined]
        fl.release_temps(mark)
        return phi
    return _finish(fl, node, mark, phi, vt, by_address(vt) and len(fl.temps) > mark)


def _dict_pop(fl: Any, node: ast.Call, ck: Any) -> ir.Value:
    b = fl.b
    dt = T.strip_optional(ck.recv.kt)
    h = _dict(fl, dt, node)
    vt = dt.value
    mark = len(fl.temps)
    d = _recv(fl, ck.recv)
    key = _key(fl, ck.args[0], dt.key)
    dv = _value(fl, ck.args[1], vt)
    result = fl.temp_struct(vt) if by_address(vt) else None
    pos, found = _find_entry(fl, h, d, key)
    yes, no, done = fl.new_block("pop.found"), fl.new_block("pop.missing"), fl.new_block("pop.end")
    b.cbranch(found, yes, no)
    b.position_at_end(yes)
    e = b.call(h.remove, [d, pos])
    addr = h.value_addr(b, d, e)
    if result is not None:
        fl.copy_struct(result, addr, vt)
        got = result
    else:
        got = _load(fl, addr, vt)  # the dict's reference moves to the caller
        if vt.is_object:
            b.call(fl.dec, [dv])  # the unused default goes, as CPython drops the argument
    yes_end = b.block
    b.branch(done)
    b.position_at_end(no)
    if result is not None:
        fl.copy_struct(result, dv, vt)
    b.branch(done)
    b.position_at_end(done)
    if result is not None:
        fl.release_temps(mark)
        return result
    phi = b.phi(got.type)
    phi.add_incoming(got, yes_end)
    phi.add_incoming(dv, no)
    fl.release_temps(mark)
    if vt.is_object:
        node.owned = True  # type: ignore[attr-defined]
    return phi


def _dict_clear(fl: Any, node: ast.Call, ck: Any) -> ir.Value:
    dt = T.strip_optional(ck.recv.kt)
    h = _dict(fl, dt, node)
    mark = len(fl.temps)
    d = _recv(fl, ck.recv)
    fl.b.call(h.clear, [d])
    fl.release_temps(mark)
    return c64(0)


_METHODS = {
    "ListType_append": _list_append, "ListType_pop": _list_pop, "ListType_insert": _list_insert,
    "ListType_clear": _list_clear, "DictType_get": _dict_get, "DictType_pop": _dict_pop,
    "DictType_clear": _dict_clear, "BytesType_append": _list_append,
}


def container_load(fl: Any, node: ast.Subscript) -> Any:
    """Indexing a List, Dict or bytes: the element (borrowed unless the container was a temporary)."""
    ct = T.strip_optional(node.value.kt)  # type: ignore[attr-defined]
    t = node.kt  # type: ignore[attr-defined]
    mark = len(fl.temps)
    addr = _element(fl, node, ct, insert=False)
    v = _load(fl, addr, t)
    return _finish(fl, node, mark, v, t, len(fl.temps) > mark)


def _element(fl: Any, node: ast.Subscript, ct: T.KType, insert: bool) -> ir.Value:
    """Address of the element a subscript names (a Dict entry is created when `insert`)."""
    b = fl.b
    if isinstance(ct, T.DictType):
        h = _dict(fl, ct, node)
        d = _recv(fl, node.value)
        key = _key(fl, node.slice, ct.key)
        if insert:
            return h.value_addr(b, d, b.call(h.insert, [d, key]))
        pos, found = _find_entry(fl, h, d, key)
        _guard(fl, found, "KeyError: key not in dict", node)
        return h.value_addr(b, d, _entry_of(fl, h, d, pos))
    et = _elem_type(node.value)
    _check_elem(fl, et, node)
    lst = _recv(fl, node.value)
    what = "list" if isinstance(ct, T.ListType) else repr(ct)
    i = _index(fl, node.slice, ld(b, lst, L_LEN), node, f"{what} index out of range")
    return _elem_addr(fl, lst, i, et)


def container_address(fl: Any, node: ast.Subscript) -> Any:
    """Address of a List/Dict/bytearray element for object and struct stores and field access (`d[k] = obj`).

    An assignment target (Store context) creates a missing Dict entry; a read (`d[k].field`) panics on it.
    """
    ct = T.strip_optional(node.value.kt)  # type: ignore[attr-defined]
    return _element(fl, node, ct, insert=isinstance(getattr(node, "ctx", None), ast.Store))


def container_store(fl: Any, node: ast.expr, value: Any) -> Any:
    """Storing a scalar or str into a List, Dict or bytearray element."""
    assert isinstance(node, ast.Subscript)
    ct = T.strip_optional(node.value.kt)  # type: ignore[attr-defined]
    mark = len(fl.temps)
    addr = _element(fl, node, ct, insert=True)
    _store(fl, addr, value, node.kt)  # type: ignore[attr-defined]
    fl.release_temps(mark)
    return c64(0)


def container_len(fl: Any, node: ast.expr) -> Any:
    """len() of a container."""
    mark = len(fl.temps)
    c = _recv(fl, node)
    n = ld(fl.b, c, L_LEN)  # List, bytes and Dict all keep their length in slot 3
    fl.release_temps(mark)
    return n


def contains(fl: Any, left: ast.expr, right: ast.expr) -> Any:
    """`x in container`: a key lookup for Dict, a scan with == for List and bytes."""
    b = fl.b
    ct = T.strip_optional(right.kt)  # type: ignore[attr-defined]
    mark = len(fl.temps)
    if isinstance(ct, T.DictType):
        h = _dict(fl, ct, right)
        key = _key(fl, left, ct.key)
        d = _recv(fl, right)
        _, found = _find_entry(fl, h, d, key)
        fl.release_temps(mark)
        return found
    et = _elem_type(right)
    _check_elem(fl, et, right)
    inner = T.strip_optional(et)
    if et.is_object and not (isinstance(inner, T.ClassType) and inner.method("__eq__") is None):
        _not_yet(fl, left, f"`in` on a List[{et!r}] (it needs that type's ==)")
    if isinstance(et, T.TupleType):
        _not_yet(fl, left, "`in` on a List of tuples")
    v = fl.borrow(left) if et.is_object else fl.expr(left)
    if et == T.BOOL:
        v = b.zext(v, I8)
    elif isinstance(et, T.IntType) and v.type != fl.ml.mem(et):
        v = b.trunc(v, fl.ml.mem(et)) if v.type.width > et.bits else b.zext(v, fl.ml.mem(et))
    c = _recv(fl, right)
    r = b.call(list_contains_fn(fl.ml, et if isinstance(ct, T.ListType) else None), [c, v])
    fl.release_temps(mark)
    return r


def lower_for_iter(fl: Any, node: ast.For) -> Any:
    """for x in List/bytes/Array: an index loop that reads the container as it is at each step (like CPython)."""
    b = fl.b
    it = node.iter
    ct = it.kt  # type: ignore[attr-defined]
    tgt = node.target
    if not isinstance(tgt, ast.Name):
        return _not_yet(fl, tgt, "a for loop target other than a name")
    hidden = None
    if isinstance(ct, T.ArrayType):
        base = fl.expr(it)
        et = ct.elem

        def length() -> ir.Value:
            return c64(ct.count)

        def addr_of(i: ir.Value) -> ir.Value:
            return b.gep(base, [c64(0), i], source_etype=fl.ml.ll(ct))
    elif isinstance(ct, (T.ListType, T.BytesType)):
        et = _elem_type(it)
        _check_elem(fl, et, node)
        if _stable_local(fl, it):
            base = fl.expr(it)
        else:
            # The loop holds its own reference, as CPython's iterator does, so rebinding the name or
            # dropping the last other reference inside the body cannot free the list under it.
            base = fl.take(it)
            hidden = _hidden_local(fl, node, ct)
            old = b.load(hidden, typ=PTR)
            b.store(base, hidden)
            b.call(fl.dec, [old])

        def length() -> ir.Value:
            return ld(b, base, L_LEN)

        def addr_of(i: ir.Value) -> ir.Value:
            return _elem_addr(fl, base, i, et)
    else:
        return _not_yet(fl, it, f"iterating over {ct!r}")
    ctr = entry_alloca(b, I64, "iter.i")
    b.store(c64(0), ctr)
    head, body, exhausted, brk, done = (fl.new_block(x) for x in ("iter.head", "iter.body", "iter.exhausted", "iter.break", "iter.end"))
    b.branch(head)
    b.position_at_end(head)
    i = b.load(ctr, typ=I64)
    b.cbranch(b.icmp_signed("<", i, length()), body, exhausted)
    b.position_at_end(body)
    b.store(b.add(i, c64(1)), ctr)
    v = _load(fl, addr_of(i), et)
    if et.is_object:
        b.call(fl.inc, [v])
    fl.store_name(tgt, v, owned=et.is_object)
    fl.loops.append((head, brk, len(fl.unwinds)))
    fl.block(node.body)
    fl.loops.pop()
    if not b.block.is_terminated:
        b.branch(head)

    def drop_iter() -> None:
        if hidden is not None:
            b.call(fl.dec, [b.load(hidden, typ=PTR)])
            b.store(ir.Constant(PTR, None), hidden)
    b.position_at_end(exhausted)
    drop_iter()
    fl.block(node.orelse)
    if not b.block.is_terminated:
        b.branch(done)
    b.position_at_end(brk)
    drop_iter()
    b.branch(done)
    b.position_at_end(done)
    return None


def _stable_local(fl: Any, node: ast.expr) -> bool:
    """A local that is never rebound keeps its container alive for the whole loop."""
    if not isinstance(node, ast.Name) or getattr(node, "ref", ("",))[0] != "local":
        return False
    lv = fl.fi.locals.get(node.id)
    return lv is not None and not lv.reassigned and not isinstance(node.kt, T.OptionalType)  # type: ignore[attr-defined]


def _hidden_local(fl: Any, node: ast.For, ct: T.KType) -> ir.Value:
    """A frame slot for the loop's own reference, released on break/exhaustion and at any function exit.

    It is registered first among the frame's locals so that a return or error from inside the loop drops
    it before the other locals, as CPython pops the iterator before clearing the frame.
    """
    from translator.check.function import LocalVar
    name = f".iter.{node.lineno}.{node.col_offset}"
    slot = fl.locals.get(name)
    if slot is not None:
        return slot
    b = fl.b
    entry = fl.entry
    with b.goto_block(entry):
        b.position_at_start(entry)
        slot = b.alloca(PTR, name=name)
        b.store(ir.Constant(PTR, None), slot)
    fl.locals[name] = slot
    lv = LocalVar(name, ct, -1)
    fl.fi.locals = {name: lv, **fl.fi.locals}
    return slot


def lower_delete(fl: Any, node: ast.expr) -> Any:
    """del d[k] (missing key panics, as KeyError would) and del xs[i]."""
    if not isinstance(node, ast.Subscript):
        return _not_yet(fl, node, "del of a name")
    b = fl.b
    ct = T.strip_optional(node.value.kt)  # type: ignore[attr-defined]
    mark = len(fl.temps)
    if isinstance(ct, T.DictType):
        h = _dict(fl, ct, node)
        d = _recv(fl, node.value)
        key = _key(fl, node.slice, ct.key)
        pos, found = _find_entry(fl, h, d, key)
        _guard(fl, found, "KeyError: key not in dict", node)
        e = b.call(h.remove, [d, pos])
        if ct.value.is_object:
            b.call(fl.dec, [b.load(h.value_addr(b, d, e), typ=PTR)])
    elif isinstance(ct, T.ListType):
        et = ct.elem
        _check_elem(fl, et, node)
        lst = _recv(fl, node.value)
        n = ld(b, lst, L_LEN)
        i = _index(fl, node.slice, n, node, "list assignment index out of range")
        addr = _elem_addr(fl, lst, i, et)
        old = b.load(addr, typ=PTR) if et.is_object else None
        nxt = b.add(i, c64(1))
        memmove(fl.ml, b, addr, _elem_addr(fl, lst, nxt, et), b.mul(b.sub(n, nxt), c64(elem_size(fl.ml, et))))
        st(b, lst, L_LEN, b.sub(n, c64(1)))
        if old is not None:
            b.call(fl.dec, [old])  # after the list is consistent: a drop hook may look at it
    else:
        return _not_yet(fl, node, f"del on {ct!r}")
    fl.release_temps(mark)
    return None


def list_display(fl: Any, node: ast.List) -> Any:
    """[a, b, c]: a new list with room for exactly its elements."""
    b = fl.b
    lt = node.kt  # type: ignore[attr-defined]
    et = lt.elem
    _check_elem(fl, et, node)
    lst = new_object(fl.ml, b, LIST_SIZE, list_vtable(fl.ml, et))
    n = len(node.elts)
    if n:
        st(b, lst, L_DATA, alloc_bytes(fl.ml, b, c64(n * elem_size(fl.ml, et))))
        st(b, lst, L_CAP, c64(n))
    at = len(fl.temps)
    fl.temps.append(lst)  # released if an element raises
    for i, e in enumerate(node.elts):
        v = _value(fl, e, et)
        _store(fl, _elem_addr(fl, lst, c64(i), et), v, et)
        st(b, lst, L_LEN, c64(i + 1))
    del fl.temps[at]
    node.owned = True  # type: ignore[attr-defined]
    return lst


def dict_display(fl: Any, node: ast.Dict) -> Any:
    """{k: v, ...}: a new dict, entries inserted left to right (a repeated key keeps the last value)."""
    b = fl.b
    dt = node.kt  # type: ignore[attr-defined]
    h = _dict(fl, dt, node)
    vt = dt.value
    d = new_object(fl.ml, b, DICT_SIZE, h.vtable)
    at = len(fl.temps)
    fl.temps.append(d)
    for k, v in zip(node.keys, node.values):
        key = _key(fl, k, dt.key)  # type: ignore[arg-type]
        val = _value(fl, v, vt)
        addr = h.value_addr(b, d, b.call(h.insert, [d, key]))
        old = b.load(addr, typ=PTR) if vt.is_object else None
        _store(fl, addr, val, vt)
        if old is not None:
            b.call(fl.dec, [old])
    del fl.temps[at]
    node.owned = True  # type: ignore[attr-defined]
    return d


def bytes_literal(fl: Any, value: bytes, node: ast.AST) -> Any:
    """b'...': a static bytes object (borrowed; its count never reaches zero)."""
    return bytes_literal_global(fl.ml, value)


def new_bytes(fl: Any, node: ast.Call) -> Any:
    """bytes(n) / bytearray(n): n zero bytes (a negative n panics, as CPython raises ValueError)."""
    b = fl.b
    a = node.args[0]
    n = fl.to_i64(fl.expr(a), a.kt)  # type: ignore[attr-defined]
    if isinstance(a.kt, T.IntType) and a.kt.signed or a.kt is T.LITERAL:  # type: ignore[attr-defined]
        _guard(fl, b.icmp_signed(">=", n, c64(0)), "ValueError: negative count", node)
    obj = new_object(fl.ml, b, LIST_SIZE, list_vtable(fl.ml, None))
    size = b.select(b.icmp_unsigned("==", n, c64(0)), c64(1), n)
    st(b, obj, L_DATA, alloc_bytes(fl.ml, b, size))
    st(b, obj, L_LEN, n)
    st(b, obj, L_CAP, n)
    node.owned = True  # type: ignore[attr-defined]
    return obj


def str_equal(fl: Any, a: Any, b: Any) -> Any:
    """str == str: same length and same bytes."""
    B = fl.b
    return B.call(str_eq_fn(fl.ml), [B.extract_value(a, 0), B.extract_value(a, 1), B.extract_value(b, 0), B.extract_value(b, 1)])


def bytes_equal(fl: Any, a: Any, b: Any) -> Any:
    """bytes/bytearray == bytes/bytearray: same length and same bytes (CPython compares contents, not identity).

    Needs a call from ExprLowering.compare_values for BytesType operands (see the containers report).
    """
    B = fl.b
    return B.call(str_eq_fn(fl.ml), [ld(B, a, L_DATA, PTR), ld(B, a, L_LEN), ld(B, b, L_DATA, PTR), ld(B, b, L_LEN)])


def weak_new(fl: Any, node: ast.Call) -> Any:
    """Weak(obj): a new Weak value sharing the target's weak cell (made on the first Weak of the target)."""
    b = fl.b
    arg = node.ck.args[0] if node.ck.args else node.args[0]  # type: ignore[attr-defined]
    mark = len(fl.temps)
    obj = fl.borrow(arg)
    if isinstance(arg.kt, T.OptionalType):  # type: ignore[attr-defined]
        _guard(fl, b.icmp_unsigned("!=", obj, ir.Constant(PTR, None)), "TypeError: cannot create weak reference to 'NoneType' object", node)
    cell_slot = b.gep(obj, [c64(2)], source_etype=I64)
    cell = b.load(cell_slot, typ=PTR)
    start = b.block
    make, have = fl.new_block("weak.make"), fl.new_block("weak.have")
    b.cbranch(b.icmp_unsigned("==", cell, ir.Constant(PTR, None)), make, have)
    b.position_at_end(make)
    new = alloc_bytes(fl.ml, b, c64(CELL_SIZE))
    b.store(c64(1), new)  # the target's own reference to its cell
    st(b, new, 1, obj)
    b.store(new, cell_slot)
    made = b.block
    b.branch(have)
    b.position_at_end(have)
    c = b.phi(PTR)
    c.add_incoming(cell, start)
    c.add_incoming(new, made)
    b.store(b.add(b.load(c, typ=I64), c64(1)), c)
    w = new_object(fl.ml, b, WEAK_SIZE, weak_vtable(fl.ml))
    st(b, w, W_CELL, c)
    fl.release_temps(mark)
    node.owned = True  # type: ignore[attr-defined]
    return w


def weak_get(fl: Any, node: ast.Call) -> Any:
    """w.get(): the target with a new reference, or None once it has been released."""
    b = fl.b
    recv = node.ck.recv  # type: ignore[attr-defined]
    mark = len(fl.temps)
    w = fl.borrow(recv)
    if isinstance(recv.kt, T.OptionalType):  # type: ignore[attr-defined]
        _guard(fl, b.icmp_unsigned("!=", w, ir.Constant(PTR, None)), "'NoneType' object has no attribute 'get'", node)
    cell = ld(b, w, W_CELL, PTR)
    t = ld(b, cell, 1, PTR)
    b.call(fl.inc, [t])
    fl.release_temps(mark)
    node.owned = True  # type: ignore[attr-defined]
    return t
