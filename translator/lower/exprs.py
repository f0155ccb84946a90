"""Stage 4d, lower expressions: integers with defined wrap-around, structs in memory, objects with ownership."""
from __future__ import annotations

import ast


from llvmlite import ir

from translator.check import types as T
from translator.lower.calls import CallLowering
from translator.lower.module import I1, I64, PTR, VOID
from translator.lower.objects import panic_str


class ExprLowering(CallLowering):
    """Mixin of FunctionLowering: expressions."""

    # ---- ownership of object values -----------------------------------------------------------------
    def take(self, node: ast.expr) -> ir.Value:
        """Evaluate an object expression to a reference the caller owns (+1)."""
        v = self.expr(node)
        if not getattr(node, "owned", False) and node.kt.is_object:  # type: ignore[attr-defined]
            self.b.call(self.inc, [v])
        return v

    def borrow(self, node: ast.expr) -> ir.Value:
        """Evaluate an object expression for temporary use; an owned result is released later."""
        v = self.expr(node)
        if getattr(node, "owned", False):
            self.temps.append(v)
        return v

    def hold(self, node: ast.expr) -> ir.Value:
        """Evaluate an object argument or receiver so that it stays alive for the whole call.

        A caller's local cannot be rebound while the call runs (there are no closures), so it is
        passed borrowed. A global or a field can: the callee (or a later argument) may rebind it and
        free the object while it is still in use. CPython's argument holds a reference; here the
        caller takes one too and drops it after the call, like a temporary.
        """
        v = self.expr(node)
        if getattr(node, "owned", False):
            self.temps.append(v)
        elif node.kt.is_object and not (isinstance(node, ast.Name) and getattr(node, "ref", ("",))[0] == "local"):  # type: ignore[attr-defined]
            self.b.call(self.inc, [v])
            self.temps.append(v)
        return v

    def hold_struct_arg(self, node: ast.expr) -> ir.Value:
        """The address of a struct argument that may lie inside an object.

        A struct inside a temporary object is copied out and the object dies at once, as CPython drops
        the temporary right after reading the field (e_Attribute does this). A struct inside an object
        reached through a global or a field is passed in place, and that object is held for the call
        (see hold()): the callee could rebind the global or field and free the storage.
        """
        root = node
        while isinstance(root, (ast.Attribute, ast.Subscript)) and isinstance(
                getattr(root.value, "kt", None), (T.StructType, T.ArrayType)):
            root = root.value
        owner = root.value if isinstance(root, ast.Attribute) else None
        if owner is None or not isinstance(T.strip_optional(getattr(owner, "kt", None)), T.ClassType) \
                or (isinstance(owner, ast.Name) and getattr(owner, "ref", ("",))[0] == "local"):  # type: ignore[arg-type]
            return self.expr(node)
        v = self.expr(owner)
        if not getattr(owner, "owned", False):  # an owned temporary is released by e_Attribute after the copy
            self.b.call(self.inc, [v])
            self.temps.append(v)
        owner.pinned_value = v  # type: ignore[attr-defined]
        try:
            return self.expr(node)
        finally:
            del owner.pinned_value  # type: ignore[attr-defined]

    def release_temps(self, mark: int) -> None:
        """Release the temporaries created since `mark` (CPython drops them right after use)."""
        while len(self.temps) > mark:
            v = self.temps.pop()
            if not self.b.block.is_terminated:
                self.b.call(self.dec, [v])

    # ---- helpers ------------------------------------------------------------------------------------
    def panic(self, msg: str) -> None:
        """Emit a panic with a fixed message plus this source position (the statement or call being lowered)."""
        panic_str(self.ml, self.b, f"{msg}\n  at {self.src.path}:{self.cur_line} in {self.fs.name}")  # type: ignore[attr-defined]

    def guard(self, ok: ir.Value, msg: str) -> None:
        """Panic with `msg` unless `ok` holds."""
        bad, good = self.new_block("guard.fail"), self.new_block("guard.ok")
        self.b.cbranch(ok, good, bad)
        self.b.position_at_end(bad)
        self.panic(msg)
        self.b.position_at_end(good)

    def copy_struct(self, dst: ir.Value, src: ir.Value, t: T.KType) -> None:
        """Copy a struct/array value between two memory locations."""
        if dst is src:
            return
        size = t.size
        memcpy = self.ml.runtime_fn("llvm.memmove.p0.p0.i64", VOID, [PTR, PTR, I64, I1])
        self.b.call(memcpy, [dst, src, ir.Constant(I64, size), ir.Constant(I1, 0)])

    def temp_struct(self, t: T.KType) -> ir.Value:
        """A zeroed stack temporary for a struct value (allocated in the entry block)."""
        with self.b.goto_block(self.entry):
            self.b.position_at_start(self.entry)
            slot = self.b.alloca(self.ml.ll(t), name="tmp")
        self.b.store(ir.Constant(self.ml.ll(t), None), slot)
        return slot

    def to_i64(self, v: ir.Value, t: T.KType) -> ir.Value:
        """Widen an integer to i64 (sign- or zero-extending by its type)."""
        if v.type == I64:
            return v
        if t == T.BOOL:
            return self.b.zext(v, I64)
        if isinstance(t, T.IntType) and t.signed:
            return self.b.sext(v, I64)
        return self.b.zext(v, I64)

    def convert_int(self, v: ir.Value, src: T.KType, dst: T.IntType) -> ir.Value:
        """An explicit conversion: truncate or extend, like a C cast."""
        target = ir.IntType(dst.bits)
        width = v.type.width  # type: ignore[attr-defined]
        if width == dst.bits:
            return v
        if width > dst.bits:
            return self.b.trunc(v, target)
        if src == T.BOOL or (isinstance(src, T.IntType) and not src.signed):
            return self.b.zext(v, target)
        return self.b.sext(v, target)

    def cpu_relax(self) -> None:
        """A spin-loop hint for the current arch."""
        from translator.lower import irx
        arch = self.ml.target.arch
        if arch == "x86_64" and self.ml.target.llvmlite_asm:
            irx.inline_asm(self.b, ir.FunctionType(VOID, []), "pause", "~{memory}")
        else:
            irx.fence(self.b, "seq_cst") if False else irx.inline_asm(self.b, ir.FunctionType(VOID, []), "", "~{memory}")

    # ---- the dispatcher --------------------------------------------------------------------------------
    def expr(self, node: ast.expr) -> ir.Value:
        """Lower an expression to its value (struct values are addresses of storage)."""
        pinned = getattr(node, "pinned_value", None)
        if pinned is not None:
            return pinned  # evaluated (and held) already by hold_struct_arg()
        t = getattr(node, "kt", None)
        c = getattr(node, "const", None)
        if c is not None and isinstance(t, (T.IntType, T.LiteralIntType)) and not isinstance(node, ast.Call) \
                or (c is not None and isinstance(node, ast.Call) and getattr(node, "ck", None) is not None
                    and node.ck.kind in ("const", "convert")):  # type: ignore[attr-defined]
            lt = self.ml.ll(t) if isinstance(t, T.IntType) else I64
            if isinstance(t, T.IntType):
                return ir.Constant(lt, t.wrap(c) & ((1 << t.bits) - 1))
            return ir.Constant(I64, T.I64.wrap(c) & ((1 << 64) - 1))
        m = getattr(self, "e_" + type(node).__name__)
        return m(node)

    def e_Constant(self, node: ast.Constant) -> ir.Value:
        v = node.value
        if isinstance(v, bool):
            return ir.Constant(I1, int(v))
        if isinstance(v, str):
            return self.ml.string(v)
        if v is None:
            return ir.Constant(PTR, None)
        if isinstance(v, bytes):
            from translator.lower.containers import bytes_literal
            return bytes_literal(self, v, node)
        raise NotImplementedError(repr(v))

    def e_Name(self, node: ast.Name) -> ir.Value:
        ref = node.ref  # type: ignore[attr-defined]
        t = node.kt  # type: ignore[attr-defined]
        kind = ref[0]
        if kind == "local":
            slot = self.locals[node.id]
            if isinstance(t, (T.StructType, T.ArrayType)):
                return slot
            if t == T.SYSERROR:
                return self.b.load(slot, typ=I64)
            return self.load_mem(slot, t) if t.is_object is False else self.b.load(slot, typ=PTR)
        if kind == "global":
            gv = self.ml.global_var(ref[1])
            if isinstance(t, (T.StructType, T.ArrayType, T.AtomicType)) or t == T.SPINLOCK:
                return gv
            return self.load_mem(gv, t) if not t.is_object else self.b.load(gv, typ=PTR)
        if kind == "const":
            sym = ref[1]
            if t == T.STR:
                return self.ml.string(sym.value)
            if t == T.BOOL:
                return ir.Constant(I1, int(sym.value))
            if isinstance(t, T.ArrayType):
                return self.ml.const_table(sym)
            if isinstance(t, T.FuncType):
                return self.ml.function(sym.value.func)
            if isinstance(sym.value, bytes):
                # A bytes constant reads like its literal written at the use.
                from translator.lower.containers import bytes_literal
                return bytes_literal(self, sym.value, node)
            raise NotImplementedError(f"constant of type {t!r}")
        if kind == "func":
            return self.ml.function(ref[1])
        if kind == "bool":
            return ir.Constant(I1, int(ref[1]))
        if kind == "none":
            return ir.Constant(PTR, None)
        raise NotImplementedError(kind)

    def address_of(self, node: ast.expr) -> ir.Value:
        """The address of the storage an lvalue expression names."""
        ref = getattr(node, "ref", None)
        if ref is not None and ref[0] == "const" and isinstance(node.kt, T.ArrayType):  # type: ignore[attr-defined]
            return self.ml.const_table(ref[1])
        if isinstance(node, ast.Name):
            ref = node.ref  # type: ignore[attr-defined]
            return self.locals[node.id] if ref[0] == "local" else self.ml.global_var(ref[1])
        if isinstance(node, ast.Attribute):
            bt = node.value.kt  # type: ignore[attr-defined]
            inner = T.strip_optional(bt)
            if isinstance(inner, T.StructType):
                base = self.address_of(node.value) if not _is_fresh_value(node.value) else self.expr(node.value)
                f = inner.field(node.attr)
                return self.b.gep(base, [ir.Constant(ir.IntType(32), 0), ir.Constant(ir.IntType(32), self.ml.field_index(inner, f))],  # type: ignore[arg-type]
                                  source_etype=self.ml.struct_ll(inner))
            if isinstance(inner, T.ClassType):
                obj = self.borrow(node.value)
                if isinstance(bt, T.OptionalType):
                    self.guard(self.b.icmp_unsigned("!=", obj, ir.Constant(PTR, None)), f"'NoneType' object has no attribute '{node.attr}'")
                idx = self.ml.class_field_index(inner, node.attr)
                return self.b.gep(obj, [ir.Constant(ir.IntType(32), 0), ir.Constant(ir.IntType(32), idx)],
                                  source_etype=self.ml.class_ll(inner))
        if isinstance(node, ast.Subscript):
            bt = node.value.kt  # type: ignore[attr-defined]
            if isinstance(T.strip_optional(bt), (T.ListType, T.DictType, T.BytesType)):
                from translator.lower.containers import container_address
                return container_address(self, node)
            if isinstance(bt, T.PtrType):
                base = self.expr(node.value)
                idx = self.to_i64(self.expr(node.slice), node.slice.kt)  # type: ignore[attr-defined]
                return self.b.gep(base, [idx], source_etype=self.ml.mem(bt.elem))
            if isinstance(bt, T.ArrayType):
                base = self.address_of(node.value) if not _is_fresh_value(node.value) else self.expr(node.value)
                idx = self.checked_index(self.expr(node.slice), node.slice.kt, ir.Constant(I64, bt.count))  # type: ignore[attr-defined]
                return self.b.gep(base, [ir.Constant(I64, 0), idx], source_etype=self.ml.ll(bt))
        if isinstance(node, ast.Call) or getattr(node, "kt", None) is not None and isinstance(node.kt, T.StructType):  # type: ignore[attr-defined]
            return self.expr(node)
        raise NotImplementedError(f"address of {ast.dump(node)}")

    def checked_index(self, idx: ir.Value, t: T.KType, n: ir.Value) -> ir.Value:
        """Array indexing: 0 <= i < n or a panic (IndexError under CPython; Arrays have no negative indexing).

        A negative signed index sign-extends to a huge unsigned value, so one unsigned compare covers both ends.
        """
        i = self.to_i64(idx, t)
        self.guard(self.b.icmp_unsigned("<", i, n), "index out of range")
        return i

    def e_Attribute(self, node: ast.Attribute) -> ir.Value:
        ref = getattr(node, "ref", None)
        if ref is not None:
            return self.e_Name(node)  # type: ignore[arg-type]
        bt = node.value.kt  # type: ignore[attr-defined]
        t = node.kt  # type: ignore[attr-defined]
        inner = T.strip_optional(bt)
        if isinstance(inner, T.PtrType) and node.attr == "addr":
            return self.b.ptrtoint(self.expr(node.value), I64)
        if bt == T.SYSERROR:
            return self.expr(node.value)
        if isinstance(inner, T.ClassType):
            mark = len(self.temps)
            addr = self.address_of(node)
            owned_base = len(self.temps) > mark
            if isinstance(t, (T.StructType, T.ArrayType)):
                if owned_base:
                    tmp = self.temp_struct(t)
                    self.copy_struct(tmp, addr, t)
                    self.release_temps(mark)
                    return tmp
                return addr
            v = self.load_mem(addr, t) if not t.is_object else self.b.load(addr, typ=PTR)
            if owned_base and t.is_object:
                self.b.call(self.inc, [v])
                node.owned = True  # type: ignore[attr-defined]
            self.release_temps(mark)
            return v
        addr = self.address_of(node)
        if isinstance(t, (T.StructType, T.ArrayType, T.AtomicType)) or t == T.SPINLOCK:
            return addr
        return self.load_mem(addr, t, self.lvalue_align(node))

    def e_Subscript(self, node: ast.Subscript) -> ir.Value:
        bt = node.value.kt  # type: ignore[attr-defined]
        t = node.kt  # type: ignore[attr-defined]
        if isinstance(bt, T.TupleType):
            return self.b.extract_value(self.expr(node.value), node.index)  # type: ignore[attr-defined]
        if isinstance(T.strip_optional(bt), (T.ListType, T.DictType, T.BytesType)):
            from translator.lower.containers import container_load
            return container_load(self, node)
        addr = self.address_of(node)
        if isinstance(t, (T.StructType, T.ArrayType)):
            if isinstance(bt, T.PtrType):  # a load from raw memory makes a fresh value
                tmp = self.temp_struct(t)
                self.copy_struct(tmp, addr, t)
                return tmp
            return addr
        return self.load_mem(addr, t, self.lvalue_align(node))

    # ---- integers ------------------------------------------------------------------------------------
    def e_BinOp(self, node: ast.BinOp) -> ir.Value:
        t = node.kt  # type: ignore[attr-defined]
        if isinstance(t, T.PtrType):
            p = self.expr(node.left)
            n = self.to_i64(self.expr(node.right), node.right.kt)  # type: ignore[attr-defined]
            if isinstance(node.op, ast.Sub):
                n = self.b.neg(n)
            return self.b.gep(p, [n], source_etype=self.ml.mem(t.elem))
        if t == T.BOOL:
            a, b = self.expr(node.left), self.expr(node.right)
            return {ast.BitAnd: self.b.and_, ast.BitOr: self.b.or_, ast.BitXor: self.b.xor}[type(node.op)](a, b)
        a, b = self.expr(node.left), self.expr(node.right)
        return self.arith(node.op, a, b, t, node)

    def arith(self, op: ast.operator, a: ir.Value, b: ir.Value, t: T.KType, node: ast.AST) -> ir.Value:
        """Integer arithmetic with the subset's defined meaning (wrap, floor division, bounded shifts)."""
        it = t if isinstance(t, T.IntType) else T.I64
        bits, signed = it.bits, it.signed
        lt = ir.IntType(bits)
        B = self.b
        if isinstance(op, ast.Add):
            return B.add(a, b)
        if isinstance(op, ast.Sub):
            return B.sub(a, b)
        if isinstance(op, ast.Mult):
            return B.mul(a, b)
        if isinstance(op, ast.BitAnd):
            return B.and_(a, b)
        if isinstance(op, ast.BitOr):
            return B.or_(a, b)
        if isinstance(op, ast.BitXor):
            return B.xor(a, b)
        zero, one, minus1 = ir.Constant(lt, 0), ir.Constant(lt, 1), ir.Constant(lt, (1 << bits) - 1)
        if isinstance(op, (ast.FloorDiv, ast.Mod)):
            if not (isinstance(b, ir.Constant) and b.constant not in (0,)):
                self.guard(B.icmp_unsigned("!=", b, zero), "integer division or modulo by zero")
            if not signed:
                return B.udiv(a, b) if isinstance(op, ast.FloorDiv) else B.urem(a, b)
            is_m1 = B.icmp_signed("==", b, minus1)
            safe = B.select(is_m1, one, b)  # x // -1 is -x (wrapping); avoid sdiv's overflow trap
            q = B.sdiv(a, safe)
            r = B.srem(a, safe)
            adjust = B.and_(B.icmp_signed("!=", r, zero), B.icmp_signed("<", B.xor(r, b), zero))
            if isinstance(op, ast.FloorDiv):
                q = B.select(adjust, B.sub(q, one), q)
                return B.select(is_m1, B.sub(zero, a), q)
            r = B.select(adjust, B.add(r, b), r)
            return B.select(is_m1, zero, r)
        if isinstance(op, (ast.LShift, ast.RShift)):
            if signed:
                self.guard(B.icmp_signed(">=", b, zero), "negative shift count")
            width = ir.Constant(lt, bits)
            big = B.icmp_unsigned(">=", b, width)
            safe = B.select(big, zero, b)
            if isinstance(op, ast.LShift):
                return B.select(big, zero, B.shl(a, safe))
            if signed:
                return B.ashr(a, B.select(big, ir.Constant(lt, bits - 1), b))
            return B.select(big, zero, B.lshr(a, safe))
        raise NotImplementedError(type(op).__name__)

    def e_UnaryOp(self, node: ast.UnaryOp) -> ir.Value:
        if isinstance(node.op, ast.Not):
            return self.b.not_(self.expr(node.operand))
        v = self.expr(node.operand)
        if isinstance(node.op, ast.USub):
            return self.b.neg(v)
        if isinstance(node.op, ast.Invert):
            return self.b.not_(v)
        return v

    def e_BoolOp(self, node: ast.BoolOp) -> ir.Value:
        done = self.new_block("bool.end")
        phis = []
        is_and = isinstance(node.op, ast.And)
        for v in node.values[:-1]:
            val = self.expr(v)
            nxt = self.new_block("bool.next")
            phis.append((ir.Constant(I1, 0 if is_and else 1), self.b.block))
            if is_and:
                self.b.cbranch(val, nxt, done)
            else:
                self.b.cbranch(val, done, nxt)
            self.b.position_at_end(nxt)
        last = self.expr(node.values[-1])
        phis.append((last, self.b.block))
        self.b.branch(done)
        self.b.position_at_end(done)
        phi = self.b.phi(I1)
        for v, blk in phis:
            phi.add_incoming(v, blk)
        return phi

    def cond_branch(self, test: ast.expr, then: ir.Block, other: ir.Block) -> None:
        """Branch on a condition with short-circuit and/or/not."""
        if isinstance(test, ast.BoolOp):
            for v in test.values[:-1]:
                nxt = self.new_block("cond.next")
                if isinstance(test.op, ast.And):
                    self.cond_branch(v, nxt, other)
                else:
                    self.cond_branch(v, then, nxt)
                self.b.position_at_end(nxt)
            self.cond_branch(test.values[-1], then, other)
            return
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            self.cond_branch(test.operand, other, then)
            return
        mark = len(self.temps)
        v = self.expr(test)
        self.release_temps(mark)
        if getattr(test, "kt", None) is T.NORETURN:
            if not self.b.block.is_terminated:
                self.b.unreachable()
            return
        self.b.cbranch(v, then, other)

    def e_Compare(self, node: ast.Compare) -> ir.Value:
        if len(node.ops) == 1:
            return self.compare(node.ops[0], node.left, node.comparators[0])
        # a < b < c: evaluate each operand once, stop at the first false link.
        done = self.new_block("cmp.end")
        incoming = []
        left = node.left
        lv = self.expr(left)
        for i, (op, right) in enumerate(zip(node.ops, node.comparators)):
            rv = self.expr(right)
            c = self.compare_values(op, lv, rv, left.kt, right.kt)  # type: ignore[attr-defined]
            if i == len(node.ops) - 1:
                incoming.append((c, self.b.block))
                self.b.branch(done)
            else:
                nxt = self.new_block("cmp.next")
                incoming.append((ir.Constant(I1, 0), self.b.block))
                self.b.cbranch(c, nxt, done)
                self.b.position_at_end(nxt)
            left, lv = right, rv
        self.b.position_at_end(done)
        phi = self.b.phi(I1)
        for v, blk in incoming:
            phi.add_incoming(v, blk)
        return phi

    def compare(self, op: ast.cmpop, left: ast.expr, right: ast.expr) -> ir.Value:
        """One comparison."""
        if isinstance(op, (ast.In, ast.NotIn)):
            from translator.lower.containers import contains
            r = contains(self, left, right)
            return self.b.not_(r) if isinstance(op, ast.NotIn) else r
        mark = len(self.temps)
        lv = self.borrow(left) if left.kt.is_object else self.expr(left)  # type: ignore[attr-defined]
        rv = self.borrow(right) if right.kt.is_object else self.expr(right)  # type: ignore[attr-defined]
        r = self.compare_values(op, lv, rv, left.kt, right.kt)  # type: ignore[attr-defined]
        self.release_temps(mark)
        return r

    def compare_values(self, op: ast.cmpop, a: ir.Value, b: ir.Value, at: T.KType, bt: T.KType) -> ir.Value:
        """Compare two lowered values of the checked types."""
        sym = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
               ast.Is: "==", ast.IsNot: "!="}[type(op)]
        if isinstance(at, (T.StructType, T.ArrayType)):
            # Struct and Array values are addresses of storage: compare what they hold, not where.
            r = self.value_equal(a, b, at)
            return r if sym == "==" else self.b.not_(r)
        if isinstance(at, T.BytesType) and isinstance(bt, T.BytesType) and sym in ("==", "!="):
            from translator.lower.containers import bytes_equal
            r = bytes_equal(self, a, b)
            return r if sym == "==" else self.b.not_(r)
        if a.type == PTR or b.type == PTR:
            return self.b.icmp_unsigned(sym, a, b)
        if at == T.STR:
            from translator.lower.containers import str_equal
            r = str_equal(self, a, b)
            return r if sym == "==" else self.b.not_(r)
        t = at if isinstance(at, T.IntType) else bt
        if isinstance(t, T.IntType) and t.signed:
            return self.b.icmp_signed(sym, a, b)
        return self.b.icmp_unsigned(sym, a, b)

    def value_equal(self, a: ir.Value, b: ir.Value, t: T.KType, unaligned: bool = False) -> ir.Value:
        """Field-wise equality of two struct/array values at addresses a and b (padding is ignored).

        Like the runtime library's `==`: every field compares as its own type (a bool byte as a
        truth value), nested structs and arrays recursively.
        """
        B = self.b
        if isinstance(t, T.StructType):
            sty = self.ml.struct_ll(t)
            r: ir.Value = ir.Constant(I1, 1)
            for f in t.fields:
                idx = [ir.Constant(ir.IntType(32), 0), ir.Constant(ir.IntType(32), self.ml.field_index(t, f))]
                fa, fb = B.gep(a, idx, source_etype=sty), B.gep(b, idx, source_etype=sty)
                r = B.and_(r, self.value_equal(fa, fb, f.type, unaligned or t.packed))
            return r
        if isinstance(t, T.ArrayType):
            if t.count == 0:
                return ir.Constant(I1, 1)
            if isinstance(t.elem, (T.IntType, T.PtrType)):
                # No padding and no two encodings of one value: equal values are equal bytes.
                from translator.lower.rtlib import ensure_memcmp
                r = B.call(ensure_memcmp(self.ml), [a, b, ir.Constant(I64, t.size)])
                return B.icmp_signed("==", r, ir.Constant(ir.IntType(32), 0))
            # Any other element type: a loop over the elements that stops at the first difference.
            aty = self.ml.ll(t)
            start = B.block
            head, body, done = self.new_block("aeq.head"), self.new_block("aeq.body"), self.new_block("aeq.end")
            B.branch(head)
            B.position_at_end(head)
            i = B.phi(I64)
            i.add_incoming(ir.Constant(I64, 0), start)
            more = B.icmp_unsigned("<", i, ir.Constant(I64, t.count))
            B.cbranch(more, body, done)
            B.position_at_end(body)
            ea = B.gep(a, [ir.Constant(I64, 0), i], source_etype=aty)
            eb = B.gep(b, [ir.Constant(I64, 0), i], source_etype=aty)
            same = self.value_equal(ea, eb, t.elem, unaligned)
            i.add_incoming(B.add(i, ir.Constant(I64, 1)), B.block)
            B.cbranch(same, head, done)
            B.position_at_end(done)
            return B.not_(more)  # the loop ran off the end: every element matched
        align = 1 if unaligned else None
        return B.icmp_unsigned("==", self.load_mem(a, t, align), self.load_mem(b, t, align))

    def e_IfExp(self, node: ast.IfExp) -> ir.Value:
        t = node.kt  # type: ignore[attr-defined]
        then, other, done = self.new_block("ifx.then"), self.new_block("ifx.else"), self.new_block("ifx.end")
        self.cond_branch(node.test, then, other)
        self.b.position_at_end(then)
        a = self.take(node.body) if t.is_object else self.expr(node.body)
        a_blk = self.b.block
        self.b.branch(done)
        self.b.position_at_end(other)
        c = self.take(node.orelse) if t.is_object else self.expr(node.orelse)
        c_blk = self.b.block
        self.b.branch(done)
        self.b.position_at_end(done)
        phi = self.b.phi(a.type)
        phi.add_incoming(a, a_blk)
        phi.add_incoming(c, c_blk)
        if t.is_object:
            node.owned = True  # type: ignore[attr-defined]
        return phi

    def e_Tuple(self, node: ast.Tuple) -> ir.Value:
        ty = self.ml.ll(node.kt)  # type: ignore[attr-defined]
        v: ir.Value = ir.Constant(ty, None)
        for i, e in enumerate(node.elts):
            v = self.b.insert_value(v, self.expr(e), i)
        return v

    def e_JoinedStr(self, node: ast.JoinedStr) -> ir.Value:
        raise self.src.error(node, "f-strings can only be passed straight to kprint() or panic()", "write kprint(f\"...\")")

    def e_Call(self, node: ast.Call) -> ir.Value:
        return self.call(node)

    def e_List(self, node: ast.List) -> ir.Value:
        from translator.lower.containers import list_display
        return list_display(self, node)

    def e_Dict(self, node: ast.Dict) -> ir.Value:
        from translator.lower.containers import dict_display
        return dict_display(self, node)


def _is_fresh_value(node: ast.expr) -> bool:
    """Struct expressions that produce a new value (not an lvalue): calls and Ptr loads."""
    if isinstance(node, ast.Call):
        return True
    if isinstance(node, ast.Subscript) and isinstance(getattr(node.value, "kt", None), T.PtrType):
        return True
    return False
