"""Stage 4e, lower calls: functions and methods (direct or through the vtable), constructors, built-ins."""
from __future__ import annotations

import ast

from llvmlite import ir

from translator.check import types as T
from translator.lower import irx
from translator.lower.module import I1, I8, I32, I64, PTR
from translator.lower.objects import alloc_object, call_ptr

# SysError's errno for an exhausted heap (asterpy.lang.errno.ENOMEM).
ENOMEM = 12

ATOMIC_RMW = {"swap": "xchg", "fetch_add": "add", "fetch_sub": "sub", "fetch_and": "and", "fetch_or": "or"}


def source_order(args: list, call: ast.Call) -> list[int]:
    """Indices of `args` (in parameter order) in the order CPython evaluates them: positional
    arguments, then keywords as written; defaults (constants) last."""
    written = {id(a): k for k, a in enumerate(list(call.args) + [kw.value for kw in call.keywords])}
    return sorted(range(len(args)), key=lambda i: written.get(id(args[i]), len(written) + i))


class CallLowering:
    """Mixin of FunctionLowering: call expressions."""

    def call(self, node: ast.Call) -> ir.Value:
        """Lower a call according to what the checker decided it means."""
        ck = node.ck  # type: ignore[attr-defined]
        kind = ck.kind
        m = getattr(self, "c_" + kind, None)
        if m is None:
            from translator.lower.containers import container_call
            return container_call(self, node)
        return m(node, ck)

    # ---- user functions ----------------------------------------------------------------------------
    def lower_args(self, fs, args: list, call: ast.Call, recv=None, skip_self: bool = False) -> list:  # type: ignore[no-untyped-def]
        """Lower call arguments by the callee's parameter types (structs by address, objects held).

        `args` are in parameter order; they are evaluated in the order `call` writes them.
        With `recv` the receiver is prepended; with `skip_self` the caller prepends it later.
        """
        params = fs.sig.params
        out = []
        if recv is not None:
            out.append(recv)
            params = params[1:]
        elif skip_self:
            params = params[1:]
        vals: list = [None] * len(args)
        for i in source_order(args, call):
            p, a = params[i], args[i]
            if isinstance(p.type, T.StructType):
                vals[i] = self.hold_struct_arg(a)
            elif p.type.is_object:
                vals[i] = self.hold(a)
            else:
                vals[i] = self.expr(a)
        return out + vals

    def emit_call(self, fs, callee, args: list, node: ast.Call):  # type: ignore[no-untyped-def]
        """Emit the call with the callee's ABI: out pointer, error check, result."""
        fnty, out = self.ml.abi(fs)
        ret = fs.sig.ret
        out_slot = None
        if out:
            out_slot = self.temp_struct(ret) if isinstance(ret, T.StructType) else self.entry_alloca(self.ml.ll(ret))
            args = [out_slot] + args
        self.set_loc(node)
        # The narrow arguments' extension is part of the ABI: an indirect call must say it too.
        exts = {i: (ext,) for i, ext in self.ml.param_extensions(fs).items()}
        if isinstance(callee, ir.Function):
            r = self.b.call(callee, args, arg_attrs=exts or None)
        else:
            r = call_ptr(self.b, callee, fnty, args, exts or None)
        if fs.may_raise:
            self.check_error(r)
        if ret is T.NORETURN:
            return ir.Constant(I64, 0)
        if isinstance(ret, T.StructType):
            return out_slot
        if ret.is_object:
            node.owned = True  # type: ignore[attr-defined]  # results are +1, through the out pointer too
        if out:
            return self.b.load(out_slot, typ=self.ml.ll(ret))
        if ret is T.NONE:
            return ir.Constant(I64, 0)
        return r

    def entry_alloca(self, ty: ir.Type) -> ir.Value:
        """An alloca in the entry block (so mem2reg can promote it)."""
        with self.b.goto_block(self.entry):
            self.b.position_at_start(self.entry)
            slot = self.b.alloca(ty)
        return slot

    def c_indirect(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        """A call through a Callable value: the raising ABI of every function used as a value."""
        callee = self.expr(ck.recv)
        args = [self.expr(a) for a in ck.args]
        return self.emit_call(_CallableAbi(ck.target), callee, args, node)

    def c_func(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        mark = len(self.temps)
        args = self.lower_args(ck.target, ck.args, node)
        r = self.emit_call(ck.target, self.ml.function(ck.target), args, node)
        self.release_temps(mark)
        return r

    def receiver(self, node: ast.expr, what: str) -> ir.Value:
        """A None-checked method receiver, kept alive for the call (see hold())."""
        obj = self.hold(node)
        if isinstance(node.kt, T.OptionalType):  # type: ignore[attr-defined]
            self.guard(self.b.icmp_unsigned("!=", obj, ir.Constant(PTR, None)), f"'NoneType' object has no attribute '{what}'")
        return obj

    def c_method(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        mark = len(self.temps)
        fs = ck.target
        obj = self.receiver(ck.recv, fs.name)
        args = self.lower_args(fs, ck.args, node, recv=obj)
        if ck.virtual:
            vt = self.b.load(self.b.gep(obj, [ir.Constant(I64, 1)], source_etype=I64), typ=PTR)
            slot = self.b.gep(vt, [ir.Constant(I64, 3 + ck.extra.slot)], source_etype=I64)
            callee = self.b.load(slot, typ=PTR)
            r = self.emit_call(fs, callee, args, node)
        else:
            r = self.emit_call(fs, self.ml.function(fs), args, node)
        self.release_temps(mark)
        return r

    def alloc_failure(self):  # type: ignore[no-untyped-def]
        """What an exhausted heap does to an instance allocation here: raise SysError(ENOMEM) as
        a failing call would (temporaries released, to the innermost handler or out of a function
        that may raise); None (a panic) where no error can leave, so no function's ABI changes."""
        if self.err_slot is None and not any(u.kind == "handler" for u in self.unwinds):
            return None

        def fail() -> None:
            for t in self.temps:
                self.b.call(self.dec, [t])
            self.raise_errno(ir.Constant(I64, ENOMEM))
        return fail

    def c_struct_method(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        mark = len(self.temps)
        recv = self.address_of(ck.recv)
        args = self.lower_args(ck.target, ck.args, node, recv=recv)
        r = self.emit_call(ck.target, self.ml.function(ck.target), args, node)
        self.release_temps(mark)
        return r

    def c_new(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        """C(args): evaluate the arguments, then allocate, then run __init__ (CPython's order).

        Allocating first would let an argument that raises release a half-made object, running its
        __del__ although CPython never created it.
        """
        ct = ck.target
        node.owned = True  # type: ignore[attr-defined]
        if ck.extra is None:
            return alloc_object(self.ml, self.b, ct, self.alloc_failure())
        mark = len(self.temps)
        args = self.lower_args(ck.extra, ck.args, node, skip_self=True)
        obj = alloc_object(self.ml, self.b, ct, self.alloc_failure())
        self.temps.append(obj)  # released if __init__ raises
        self.emit_call(ck.extra, self.ml.function(ck.extra), [obj] + args, node)
        self.temps.pop()
        self.release_temps(mark)
        return obj

    def c_new_struct(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        st = ck.target
        tmp = self.temp_struct(st)
        sty = self.ml.struct_ll(st)
        for i in source_order(ck.args, node):
            f, v = st.fields[i], ck.args[i]
            if v is None:
                continue
            addr = self.b.gep(tmp, [ir.Constant(I32, 0), ir.Constant(I32, self.ml.field_index(st, f))], source_etype=sty)
            if isinstance(f.type, (T.StructType, T.ArrayType)):
                self.copy_struct(addr, self.expr(v), f.type)
            else:
                self.store_mem(addr, self.expr(v), f.type, 1 if st.packed else None)
        return tmp

    def c_copy(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        src = self.expr(ck.recv)
        tmp = self.temp_struct(ck.target)
        self.copy_struct(tmp, src, ck.target)
        return tmp

    def c_convert(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        a = node.args[0]
        return self.convert_int(self.expr(a), a.kt, ck.target)  # type: ignore[attr-defined]

    def c_const(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        return ir.Constant(I64, node.const)  # type: ignore[attr-defined]

    def c_isinstance(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        mark = len(self.temps)
        obj = self.borrow(node.args[0])
        ct = ck.target
        end = self.ml.cp.info.class_ids_end[id(ct)]
        live, done = self.new_block("isa.live"), self.new_block("isa.end")
        start = self.b.block
        self.b.cbranch(self.b.icmp_unsigned("!=", obj, ir.Constant(PTR, None)), live, done)
        self.b.position_at_end(live)
        vt = self.b.load(self.b.gep(obj, [ir.Constant(I64, 1)], source_etype=I64), typ=PTR)
        cid = self.b.load(vt, typ=I64)
        ok = self.b.and_(self.b.icmp_unsigned(">=", cid, ir.Constant(I64, ct.class_id)),
                         self.b.icmp_unsigned("<", cid, ir.Constant(I64, end)))
        live_end = self.b.block
        self.b.branch(done)
        self.b.position_at_end(done)
        phi = self.b.phi(I1)
        phi.add_incoming(ir.Constant(I1, 0), start)
        phi.add_incoming(ok, live_end)
        self.release_temps(mark)
        return phi

    # ---- pointers --------------------------------------------------------------------------------------
    def c_ptr_new(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        a = node.args[0]
        v = self.expr(a)
        if v.type == PTR:
            return v
        return self.b.inttoptr(self.to_i64(v, a.kt), PTR)  # type: ignore[attr-defined]

    def c_ptr_null(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        return ir.Constant(PTR, None)

    def c_ptr_load(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        p = self.expr(ck.recv)
        t = ck.target.elem
        if isinstance(t, (T.StructType, T.ArrayType)):
            tmp = self.temp_struct(t)
            self.copy_struct(tmp, p, t)
            return tmp
        return self.load_mem(p, t)

    def c_ptr_store(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        p = self.expr(ck.recv)
        t = ck.target.elem
        v = self.expr(node.args[0])
        if isinstance(t, (T.StructType, T.ArrayType)):
            self.copy_struct(p, v, t)
        else:
            self.store_mem(p, v, t)
        return ir.Constant(I64, 0)

    def c_ptr_cast(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        return self.expr(ck.recv)

    def c_ptr_is_null(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        return self.b.icmp_unsigned("==", self.expr(ck.recv), ir.Constant(PTR, None))

    # ---- atomics and locks ---------------------------------------------------------------------------
    def atomic_addr(self, recv: ast.expr) -> ir.Value:
        """Address of an atomic cell or lock held in a global or a field."""
        return self.address_of(recv)

    def c_atomic_load(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        t = ck.target
        v = irx.atomic_load(self.b, self.atomic_addr(ck.recv), self.ml.mem(t), t.size)
        return self.b.trunc(v, I1) if t.inner == T.BOOL else v

    def _atomic_val(self, node: ast.expr, t: T.KType) -> ir.Value:
        v = self.expr(node)
        return self.b.zext(v, I8) if t == T.BOOL else v

    def c_atomic_store(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        t = ck.target
        irx.atomic_store(self.b, self._atomic_val(node.args[0], t.inner), self.atomic_addr(ck.recv), t.size)
        return ir.Constant(I64, 0)

    def _rmw(self, op: str, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        t = ck.target
        old = irx.atomic_rmw(self.b, op, self.atomic_addr(ck.recv), self._atomic_val(node.args[0], t.inner))
        return self.b.trunc(old, I1) if t.inner == T.BOOL else old

    def c_atomic_swap(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        return self._rmw("xchg", node, ck)

    def c_atomic_fetch_add(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        return self._rmw("add", node, ck)

    def c_atomic_fetch_sub(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        return self._rmw("sub", node, ck)

    def c_atomic_fetch_and(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        return self._rmw("and", node, ck)

    def c_atomic_fetch_or(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        return self._rmw("or", node, ck)

    def c_atomic_compare_exchange(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        t = ck.target
        pair = irx.cmpxchg(self.b, self.atomic_addr(ck.recv), self._atomic_val(node.args[0], t.inner),
                           self._atomic_val(node.args[1], t.inner))
        return self.b.extract_value(pair, 1)

    def c_new_atomic(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        return self._atomic_val(node.args[0], ck.target.inner)

    def c_new_lock(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        return ir.Constant(I32, 0)

    def c_lock_acquire(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        self.lock_acquire(self.atomic_addr(ck.recv))
        return ir.Constant(I64, 0)

    def c_lock_release(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        self.lock_release(self.atomic_addr(ck.recv))
        return ir.Constant(I64, 0)

    def c_lock_locked(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        v = irx.atomic_load(self.b, self.atomic_addr(ck.recv), I32, 4)
        return self.b.icmp_unsigned("!=", v, ir.Constant(I32, 0))

    # ---- runtime library built-ins -------------------------------------------------------------------
    def c_builtin(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        from translator.lower import builtins_lower
        return builtins_lower.lower_builtin(self, node, ck.target)

    def c_weak_new(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        from translator.lower.containers import weak_new
        return weak_new(self, node)

    def c_weak_get(self, node: ast.Call, ck) -> ir.Value:  # type: ignore[no-untyped-def]
        from translator.lower.containers import weak_get
        return weak_get(self, node)


class _CallableSig:
    """The signature part of a Callable type, shaped like a FuncSig for the ABI helpers."""

    def __init__(self, ft: T.FuncType):
        self.params = [_CallableParam(p) for p in ft.params]
        self.ret = ft.ret


class _CallableParam:
    """One parameter of a Callable type."""

    def __init__(self, t: T.KType):
        self.type = t


class _CallableAbi:
    """A Callable type seen as a function symbol by emit_call: all such functions may raise."""

    def __init__(self, ft: T.FuncType):
        self.sig = _CallableSig(ft)
        self.may_raise = True
