"""Stage 4h (support), Dict[K, V] helpers: a compact hash table (insertion-ordered entries, open-addressed index)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from llvmlite import ir

from translator.check import types as T
from translator.lower.containers_rt import (D_ECAP, D_ENTRIES, D_INDEX, D_LEN, D_MASK, D_NENT, DUMMY, EMPTY, L_DATA,
                                            L_LEN, c64, cache, counted_loop, entry_alloca, kfree, ld, memmove, new_fn, sizeof, st,
                                            str_eq_fn, str_hash_fn, type_name, vtable_global)
from translator.lower.module import I1, I8, I32, I64, PTR, STR_T, VOID, Builder
from translator.lower.objects import alloc_bytes, rc_helpers

if TYPE_CHECKING:  # pragma: no cover
    from translator.lower.module import ModuleLowering

MIN_SLOTS = 8
GOLDEN = 0x9E3779B97F4A7C15 - (1 << 64)


def key_supported(t: T.KType) -> bool:
    """Dict keys the native table handles: integers, bool, str and bytes (the checker allows no others)."""
    return isinstance(t, T.IntType) or t in (T.BOOL, T.STR, T.BYTES)


class DictHelpers:
    """The helper functions of one concrete Dict[K, V] (built once per module)."""

    def __init__(self, ml: "ModuleLowering", dt: T.DictType):
        self.ml, self.dt = ml, dt
        self.name = f"Dict[{type_name(dt.key)}, {type_name(dt.value)}]"
        # bytes keys are objects: the table holds a reference to each key it stores.
        self.obj_key = dt.key == T.BYTES
        self.kty = STR_T if dt.key == T.STR else ml.mem(dt.key)
        self.vty = ml.mem(dt.value)
        self.ety = ir.LiteralStructType([self.kty, self.vty, I8])
        self.stride = sizeof(ml, self.ety)
        self.place = self._place()
        self.find = self._find()
        self.resize = self._resize()
        self.insert = self._insert()
        self.remove = self._remove()
        self.clear = self._clear()
        self.vtable = vtable_global(ml, f"{self.name}:vtable", self._release())

    # ---- addressing -------------------------------------------------------------------------
    def entry_field(self, b: ir.IRBuilder, entries: ir.Value, e: ir.Value, f: int) -> ir.Value:
        """Address of field f (0 key, 1 value, 2 live) of entry e."""
        return b.gep(entries, [e, ir.Constant(I32, f)], source_etype=self.ety)

    def value_addr(self, b: ir.IRBuilder, d: ir.Value, e: ir.Value) -> ir.Value:
        """Address of the value of entry e of dict d."""
        return self.entry_field(b, ld(b, d, D_ENTRIES, PTR), e, 1)

    def index_slot(self, b: ir.IRBuilder, index: ir.Value, i: ir.Value) -> ir.Value:
        """Address of index slot i."""
        return b.gep(index, [i], source_etype=I32)

    def hash(self, b: ir.IRBuilder, key: ir.Value) -> ir.Value:
        """Hash of a key value (multiplicative mixing for integers, FNV-1a for str)."""
        if self.dt.key == T.STR:
            h = b.call(str_hash_fn(self.ml), [b.extract_value(key, 0), b.extract_value(key, 1)])
        elif self.obj_key:
            h = b.call(str_hash_fn(self.ml), [ld(b, key, L_DATA, PTR), ld(b, key, L_LEN)])
        else:
            h = b.zext(key, I64) if key.type.width < 64 else key  # type: ignore[attr-defined]
        h = b.mul(h, c64(GOLDEN))
        return b.xor(h, b.lshr(h, c64(32)))

    def key_eq(self, b: ir.IRBuilder, addr: ir.Value, key: ir.Value) -> ir.Value:
        """The key stored at addr equals key."""
        if self.dt.key == T.STR:
            s = b.load(addr, typ=STR_T)
            return b.call(str_eq_fn(self.ml), [b.extract_value(s, 0), b.extract_value(s, 1),
                                               b.extract_value(key, 0), b.extract_value(key, 1)])
        if self.obj_key:
            k = b.load(addr, typ=PTR)
            return b.call(str_eq_fn(self.ml), [ld(b, k, L_DATA, PTR), ld(b, k, L_LEN), ld(b, key, L_DATA, PTR), ld(b, key, L_LEN)])
        return b.icmp_unsigned("==", b.load(addr, typ=self.kty), key)

    # ---- the helper functions ---------------------------------------------------------------------
    def _place(self) -> ir.Function:
        """place(d, hash, e): put entry e into the first free (empty or dummy) index slot of its probe chain."""
        fn = new_fn(self.ml, f"{self.name}.place", VOID, [PTR, I64, I64])
        d, h, e = fn.args
        entry = fn.append_basic_block("entry")
        b = Builder(entry)
        loop, take, nxt = fn.append_basic_block("loop"), fn.append_basic_block("take"), fn.append_basic_block("next")
        mask = ld(b, d, D_MASK)
        index = ld(b, d, D_INDEX, PTR)
        start = b.and_(h, mask)
        b.branch(loop)
        b.position_at_end(loop)
        i = b.phi(I64)
        i.add_incoming(start, entry)
        s = b.load(self.index_slot(b, index, i), typ=I32)
        b.cbranch(b.icmp_signed("<", s, ir.Constant(I32, 0)), take, nxt)
        b.position_at_end(nxt)
        i.add_incoming(b.and_(b.add(i, c64(1)), mask), nxt)
        b.branch(loop)
        b.position_at_end(take)
        b.store(b.trunc(e, I32), self.index_slot(b, index, i))
        b.ret_void()
        return fn

    def _find(self) -> ir.Function:
        """find(d, key) -> index slot holding key, or -1."""
        fn = new_fn(self.ml, f"{self.name}.find", I64, [PTR, self.kty])
        d, key = fn.args
        entry = fn.append_basic_block("entry")
        b = Builder(entry)
        start_b, loop, check, nxt, found, missing = (fn.append_basic_block(x) for x in
                                                     ("start", "loop", "check", "next", "found", "missing"))
        index = ld(b, d, D_INDEX, PTR)
        b.cbranch(b.icmp_unsigned("==", index, ir.Constant(PTR, None)), missing, start_b)
        b.position_at_end(start_b)
        mask = ld(b, d, D_MASK)
        entries = ld(b, d, D_ENTRIES, PTR)
        start = b.and_(self.hash(b, key), mask)
        b.branch(loop)
        b.position_at_end(loop)
        i = b.phi(I64)
        i.add_incoming(start, start_b)
        s = b.sext(b.load(self.index_slot(b, index, i), typ=I32), I64)
        is_empty = b.icmp_signed("==", s, c64(EMPTY))
        live = fn.append_basic_block("live")
        b.cbranch(is_empty, missing, live)
        b.position_at_end(live)
        b.cbranch(b.icmp_signed("<", s, c64(0)), nxt, check)
        b.position_at_end(check)
        b.cbranch(self.key_eq(b, self.entry_field(b, entries, s, 0), key), found, nxt)
        b.position_at_end(nxt)
        i.add_incoming(b.and_(b.add(i, c64(1)), mask), nxt)
        b.branch(loop)
        b.position_at_end(found)
        b.ret(i)
        b.position_at_end(missing)
        b.ret(c64(-1))
        return fn

    def _resize(self) -> ir.Function:
        """resize(d): new arrays sized for len*3 index slots; live entries compacted in order."""
        ml = self.ml
        fn = new_fn(ml, f"{self.name}.resize", VOID, [PTR])
        d = fn.args[0]
        entry = fn.append_basic_block("entry")
        b = Builder(entry)
        j = entry_alloca(b, I64, "j")
        size = entry_alloca(b, I64, "slots")
        n = ld(b, d, D_LEN)
        want = b.mul(n, c64(3))
        b.store(c64(MIN_SLOTS), size)
        grow, grown = fn.append_basic_block("grow"), fn.append_basic_block("grown")
        head = fn.append_basic_block("size")
        b.branch(head)
        b.position_at_end(head)
        cur = b.load(size, typ=I64)
        b.cbranch(b.icmp_signed("<", cur, want), grow, grown)
        b.position_at_end(grow)
        b.store(b.shl(cur, c64(1)), size)
        b.branch(head)
        b.position_at_end(grown)
        slots = b.load(size, typ=I64)
        ecap = b.udiv(b.mul(slots, c64(2)), c64(3))
        old_entries = ld(b, d, D_ENTRIES, PTR)
        old_index = ld(b, d, D_INDEX, PTR)
        old_nent = ld(b, d, D_NENT)
        entries = alloc_bytes(ml, b, b.mul(ecap, c64(self.stride)))
        index = alloc_bytes(ml, b, b.mul(slots, c64(4)))
        memset = ml.runtime_fn("llvm.memset.p0.i64", VOID, [PTR, I8, I64, I1])
        b.call(memset, [index, ir.Constant(I8, 0xFF), b.mul(slots, c64(4)), ir.Constant(I1, 0)])
        st(b, d, D_ENTRIES, entries)
        st(b, d, D_INDEX, index)
        st(b, d, D_MASK, b.sub(slots, c64(1)))
        st(b, d, D_ECAP, ecap)
        b.store(c64(0), j)

        def move(e: ir.Value) -> None:
            live = b.load(self.entry_field(b, old_entries, e, 2), typ=I8)
            yes, no = fn.append_basic_block("move"), fn.append_basic_block("skip")
            b.cbranch(b.icmp_unsigned("!=", live, ir.Constant(I8, 0)), yes, no)
            b.position_at_end(yes)
            k = b.load(j, typ=I64)
            memmove(ml, b, self.entry_field(b, entries, k, 0), self.entry_field(b, old_entries, e, 0), c64(self.stride))
            key = b.load(self.entry_field(b, old_entries, e, 0), typ=self.kty)
            b.call(self.place, [d, self.hash(b, key), k])
            b.store(b.add(k, c64(1)), j)
            b.branch(no)
            b.position_at_end(no)
        counted_loop(b, c64(0), old_nent, move, tag="rehash")
        st(b, d, D_NENT, b.load(j, typ=I64))
        kfree(ml, b, old_entries)
        kfree(ml, b, old_index)
        b.ret_void()
        return fn

    def _insert(self) -> ir.Function:
        """insert(d, key) -> entry of key, appending a new entry (zero value) when it is missing."""
        fn = new_fn(self.ml, f"{self.name}.insert", I64, [PTR, self.kty])
        d, key = fn.args
        b = Builder(fn.append_basic_block("entry"))
        have, new, grow, add = (fn.append_basic_block(x) for x in ("have", "new", "grow", "add"))
        pos = b.call(self.find, [d, key])
        b.cbranch(b.icmp_signed(">=", pos, c64(0)), have, new)
        b.position_at_end(have)
        b.ret(b.sext(b.load(self.index_slot(b, ld(b, d, D_INDEX, PTR), pos), typ=I32), I64))
        b.position_at_end(new)
        b.cbranch(b.icmp_signed(">=", ld(b, d, D_NENT), ld(b, d, D_ECAP)), grow, add)
        b.position_at_end(grow)
        b.call(self.resize, [d])
        b.branch(add)
        b.position_at_end(add)
        e = ld(b, d, D_NENT)
        st(b, d, D_NENT, b.add(e, c64(1)))
        st(b, d, D_LEN, b.add(ld(b, d, D_LEN), c64(1)))
        entries = ld(b, d, D_ENTRIES, PTR)
        b.store(key, self.entry_field(b, entries, e, 0))
        if self.obj_key:
            b.call(rc_helpers(self.ml)[0], [key])
        b.store(ir.Constant(self.vty, None), self.entry_field(b, entries, e, 1))
        b.store(ir.Constant(I8, 1), self.entry_field(b, entries, e, 2))
        b.call(self.place, [d, self.hash(b, key), e])
        b.ret(e)
        return fn

    def _remove(self) -> ir.Function:
        """remove(d, pos) -> entry: unlink the entry at index slot pos, drop its key (its value is left for the caller)."""
        fn = new_fn(self.ml, f"{self.name}.remove", I64, [PTR, I64])
        d, pos = fn.args
        b = Builder(fn.append_basic_block("entry"))
        slot_addr = self.index_slot(b, ld(b, d, D_INDEX, PTR), pos)
        e = b.sext(b.load(slot_addr, typ=I32), I64)
        b.store(ir.Constant(I32, DUMMY), slot_addr)
        b.store(ir.Constant(I8, 0), self.entry_field(b, ld(b, d, D_ENTRIES, PTR), e, 2))
        st(b, d, D_LEN, b.sub(ld(b, d, D_LEN), c64(1)))
        if self.obj_key:
            b.call(rc_helpers(self.ml)[1], [b.load(self.entry_field(b, ld(b, d, D_ENTRIES, PTR), e, 0), typ=PTR)])
        b.ret(e)
        return fn

    def _drop_values(self, b: ir.IRBuilder, entries: ir.Value, n: ir.Value) -> None:
        """Release the keys and values of live entries, first inserted first (CPython's dict order)."""
        if not (self.dt.value.is_object or self.obj_key):
            return
        _, dec = rc_helpers(self.ml)
        fn = b.function

        def drop(e: ir.Value) -> None:
            live = b.load(self.entry_field(b, entries, e, 2), typ=I8)
            yes, no = fn.append_basic_block("drop"), fn.append_basic_block("skip")
            b.cbranch(b.icmp_unsigned("!=", live, ir.Constant(I8, 0)), yes, no)
            b.position_at_end(yes)
            if self.obj_key:
                b.call(dec, [b.load(self.entry_field(b, entries, e, 0), typ=PTR)])
            if self.dt.value.is_object:
                b.call(dec, [b.load(self.entry_field(b, entries, e, 1), typ=PTR)])
            b.branch(no)
            b.position_at_end(no)
        counted_loop(b, c64(0), n, drop, tag="drop")

    def _clear(self) -> ir.Function:
        """clear(d): empty the dict first, then release the old values (as CPython's dict.clear does)."""
        fn = new_fn(self.ml, f"{self.name}.clear", VOID, [PTR])
        d = fn.args[0]
        b = Builder(fn.append_basic_block("entry"))
        entries, index, n = ld(b, d, D_ENTRIES, PTR), ld(b, d, D_INDEX, PTR), ld(b, d, D_NENT)
        for i in (D_LEN, D_NENT, D_ECAP, D_MASK):
            st(b, d, i, c64(0))
        st(b, d, D_ENTRIES, ir.Constant(PTR, None))
        st(b, d, D_INDEX, ir.Constant(PTR, None))
        self._drop_values(b, entries, n)
        kfree(self.ml, b, entries)
        kfree(self.ml, b, index)
        b.ret_void()
        return fn

    def _release(self) -> ir.Function:
        """release(d): release the values in insertion order, free the arrays and the object."""
        fn = new_fn(self.ml, f"{self.name}:release", VOID, [PTR])
        d = fn.args[0]
        b = Builder(fn.append_basic_block("entry"))
        entries = ld(b, d, D_ENTRIES, PTR)
        self._drop_values(b, entries, ld(b, d, D_NENT))
        kfree(self.ml, b, entries)
        kfree(self.ml, b, ld(b, d, D_INDEX, PTR))
        kfree(self.ml, b, d)
        b.ret_void()
        return fn


def dict_helpers(ml: "ModuleLowering", dt: T.DictType) -> DictHelpers:
    """The (memoised) helpers of Dict[K, V]."""
    c = cache(ml)
    key = ("dict", dt)
    if key not in c:
        c[key] = DictHelpers(ml, dt)
    return c[key]
