"""Stage 4c, lower one function: locals, statements, control flow, exceptions as checked error returns."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Optional

from llvmlite import ir

from translator.check import types as T
from translator.check.function import FuncInfo
from translator.lower.exprs import ExprLowering
from translator.lower.module import I1, I8, I32, I64, PTR, Builder, ModuleLowering
from translator.lower.objects import rc_helpers
from translator.resolve import FuncSym


@dataclass
class Unwind:
    """Where control goes on an exit through a try/finally or with-block: the code to run first."""

    kind: str  # "finally" or "lock" or "handler"
    body: list = field(default_factory=list)
    lock_ptr: Optional[ir.Value] = None
    slot: Optional[ir.Value] = None
    handler: Optional[ir.Block] = None


class FunctionLowering(ExprLowering):
    """Lowers the checked body of one function into its ir.Function."""

    def __init__(self, ml: ModuleLowering, fs: FuncSym, fi: FuncInfo):
        self.ml = ml
        self.fs = fs
        self.fi = fi
        self.fn = ml.function(fs)
        self.sig = fs.sig
        self.src = fs.module.src
        self.locals: dict[str, ir.Value] = {}
        self.temps: list[ir.Value] = []
        self.loops: list[tuple[ir.Block, ir.Block, int]] = []  # (continue, break, unwind depth)
        self.unwinds: list[Unwind] = []
        self.inc, self.dec = rc_helpers(ml)
        self.scope = None
        self.handling: list = []
        self.cur_line = fs.node.lineno

    # ---- set-up and exit -----------------------------------------------------------------------
    def run(self) -> None:
        """Emit the whole function."""
        fn = self.fn
        if self.fs.naked:
            self.run_naked()
            return
        _, out = self.ml.abi(self.fs)
        self.entry = fn.append_basic_block("entry")
        self.b = Builder(self.entry)
        if self.ml.di is not None:
            self.scope = self.ml.di.subprogram(fn, str(self.src.path), self.fs.node.lineno, self.fs.name)
            self.set_loc(self.fs.node)
        self.exit_block = fn.append_basic_block("exit")
        args = list(fn.args)
        self.out_ptr = args.pop(0) if out else None
        self.err_slot = self.b.alloca(I64, name="err") if self.fs.may_raise else None
        if self.err_slot is not None:
            self.b.store(ir.Constant(I64, 0), self.err_slot)
        ret = self.sig.ret
        self.ret_slot = None
        if ret not in (T.NONE, T.NORETURN) and not isinstance(ret, T.StructType):
            self.ret_slot = self.b.alloca(self.ml.ll(ret), name="ret")
            if ret.is_object:
                self.b.store(ir.Constant(PTR, None), self.ret_slot)  # owned; see s_Return and emit_exit
        params = {p.name: (p, a) for p, a in zip(self.sig.params, args)}
        for name, lv in self.fi.locals.items():
            t = lv.type
            if lv.is_param:
                p, a = params[name]
                a.name = name
                if isinstance(t, T.StructType):
                    if lv.reassigned:
                        slot = self.b.alloca(self.ml.ll(t), name=name)
                        self.copy_struct(slot, a, t)
                        self.locals[name] = slot
                    else:
                        self.locals[name] = a  # borrowed, read-only
                    continue
                slot = self.b.alloca(self.ml.ll(t), name=name)
                self.b.store(a, slot)
                if t.is_object and lv.reassigned:
                    self.b.call(self.inc, [a])  # the frame owns its own reference once it may rebind
                self.locals[name] = slot
            else:
                slot = self.b.alloca(self.ml.ll(t), name=name)
                if t.is_object:
                    self.b.store(ir.Constant(PTR, None), slot)
                elif isinstance(t, T.StructType):
                    self.b.store(ir.Constant(self.ml.ll(t), None), slot)
                self.locals[name] = slot
        body = self.fs.node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]
        self.block(body)
        if not self.b.block.is_terminated:
            if ret == T.NORETURN:
                self.b.unreachable()
            else:
                self.b.branch(self.exit_block)
        self.emit_exit()

    def run_naked(self) -> None:
        """A @naked function: its asm statements and nothing else (no prologue, no epilogue, never inlined)."""
        from translator.lower import irx
        irx.set_fn_attr(self.fn, "naked")
        irx.set_fn_attr(self.fn, "noinline")
        self.entry = self.fn.append_basic_block("entry")
        self.b = Builder(self.entry)
        for s in self.fs.node.body:
            call = s.value if isinstance(s, ast.Expr) else None
            if isinstance(call, ast.Call):
                irx.inline_asm(self.b, ir.FunctionType(ir.VoidType(), []), call.args[0].value, call.args[1].value)  # type: ignore[attr-defined]
        self.b.unreachable()

    def emit_exit(self) -> None:
        """The single exit block: release owned locals (in CPython's order), then return."""
        self.b.position_at_end(self.exit_block)
        ret = self.sig.ret
        if self.fs.may_raise and self.ret_slot is not None and ret.is_object:
            # An error after `return obj` (raised in a finally) discards the pending result first.
            failed = self.b.icmp_unsigned("!=", self.b.load(self.err_slot, typ=I64), ir.Constant(I64, 0))
            with self.b.if_then(failed):
                self.b.call(self.dec, [self.b.load(self.ret_slot, typ=PTR)])
                self.b.store(ir.Constant(PTR, None), self.ret_slot)
        for name, lv in self.fi.locals.items():
            if lv.type.is_object and (not lv.is_param or lv.reassigned):
                self.b.call(self.dec, [self.b.load(self.locals[name], typ=PTR)])
        ret = self.sig.ret
        if self.fs.may_raise:
            if self.ret_slot is not None:
                self.b.store(self.b.load(self.ret_slot, typ=self.ml.ll(ret)), self.out_ptr)
            self.b.ret(self.b.load(self.err_slot, typ=I64))
        elif self.ret_slot is not None:
            self.b.ret(self.b.load(self.ret_slot, typ=self.ml.ll(ret)))
        elif ret == T.NORETURN:
            self.b.unreachable()
        else:
            self.b.ret_void()

    def set_loc(self, node: ast.AST) -> None:
        """Attach the source line of `node` to the instructions that follow (debug info and panic messages)."""
        if hasattr(node, "lineno"):
            self.cur_line = node.lineno
        if self.scope is not None and hasattr(node, "lineno"):
            self.b.debug_metadata = self.ml.di.location(node.lineno, node.col_offset + 1, self.scope)  # type: ignore[union-attr]

    def new_block(self, name: str) -> ir.Block:
        """Append a basic block."""
        return self.fn.append_basic_block(name)

    # ---- statements ---------------------------------------------------------------------------------
    def block(self, stmts: list[ast.stmt]) -> None:
        """Lower statements until control leaves the block."""
        for s in stmts:
            if self.b.block.is_terminated:
                # Unreachable code after return/break: give it a block so lowering stays simple.
                self.b.position_at_end(self.new_block("dead"))
            self.set_loc(s)
            getattr(self, "s_" + type(s).__name__)(s)
            self.release_temps(0)

    def s_Pass(self, s: ast.Pass) -> None:
        pass

    def s_Global(self, s: ast.Global) -> None:
        pass

    def s_Expr(self, s: ast.Expr) -> None:
        if isinstance(s.value, ast.Constant):
            return
        v = self.expr(s.value)
        if getattr(s.value, "kt", None) is not None and s.value.kt.is_object and getattr(s.value, "owned", False):  # type: ignore[attr-defined]
            self.b.call(self.dec, [v])
        if getattr(s.value, "kt", None) is T.NORETURN and not self.b.block.is_terminated:
            self.b.unreachable()

    def s_Return(self, s: ast.Return) -> None:
        ret = self.sig.ret
        if s.value is not None and ret not in (T.NONE, T.NORETURN):
            if isinstance(ret, T.StructType):
                p = self.expr(s.value)
                self.copy_struct(self.out_ptr, p, ret)
            elif ret.is_object:
                # A return inside finally replaces a pending result, which dies (as in CPython).
                v = self.take(s.value)
                old = self.b.load(self.ret_slot, typ=PTR)
                self.b.store(v, self.ret_slot)
                self.b.call(self.dec, [old])
            else:
                self.b.store(self.expr(s.value), self.ret_slot)
        elif s.value is not None:
            self.expr(s.value)
        self.release_temps(0)
        self.run_unwinds(0)
        if not self.b.block.is_terminated:
            self.b.branch(self.exit_block)

    def s_Assign(self, s: ast.Assign) -> None:
        tgt = s.targets[0]
        if isinstance(tgt, ast.Tuple):
            v = self.expr(s.value)
            for i, e in enumerate(tgt.elts):
                self.store_name(e, self.b.extract_value(v, i), owned=False)  # type: ignore[arg-type]
            return
        self.assign(tgt, s.value)

    def s_AnnAssign(self, s: ast.AnnAssign) -> None:
        if s.value is not None:
            self.assign(s.target, s.value)

    def assign(self, tgt: ast.expr, value: ast.expr) -> None:
        """Store the value of `value` into the target."""
        t = tgt.kt  # type: ignore[attr-defined]
        if isinstance(t, (T.StructType, T.ArrayType)):
            src = self.expr(value)
            dst = self.address_of(tgt)
            self.copy_struct(dst, src, t)
            return
        if t.is_object:
            v = self.take(value)
            if isinstance(tgt, ast.Name):
                self.store_name(tgt, v, owned=True)
            else:
                dst = self.address_of(tgt)
                old = self.b.load(dst, typ=PTR)
                self.b.store(v, dst)
                self.b.call(self.dec, [old])
            return
        v = self.expr(value)
        if isinstance(tgt, ast.Name):
            self.store_name(tgt, v, owned=False)
        elif isinstance(tgt, ast.Subscript) and isinstance(tgt.value.kt, (T.ListType, T.DictType, T.BytesType)):  # type: ignore[attr-defined]
            self.container_store(tgt, v)
        else:
            self.store_mem(self.address_of(tgt), v, t, self.lvalue_align(tgt))

    def container_store(self, tgt: ast.Subscript, v: ir.Value) -> None:
        """Store a scalar or str into a List, Dict or bytearray element."""
        from translator.lower.containers import container_store
        container_store(self, tgt, v)

    def store_name(self, tgt: ast.Name, v: ir.Value, owned: bool) -> None:
        """Store into a local or global; object values must be owned references."""
        ref = tgt.ref  # type: ignore[attr-defined]
        t = tgt.kt  # type: ignore[attr-defined]
        slot = self.locals[tgt.id] if ref[0] == "local" else self.ml.global_var(ref[1])
        if t.is_object:
            old = self.b.load(slot, typ=PTR)
            self.b.store(v, slot)
            self.b.call(self.dec, [old])
        else:
            self.store_mem(slot, v, t)

    def store_mem(self, ptr: ir.Value, v: ir.Value, t: T.KType, align: Optional[int] = None) -> None:
        """Store a register value to memory (bool widened to a byte); align=1 inside packed structs."""
        if t == T.BOOL:
            v = self.b.zext(v, I8)
        self.b.store(v, ptr, align=align)

    def load_mem(self, ptr: ir.Value, t: T.KType, align: Optional[int] = None) -> ir.Value:
        """Load a register value from memory (bool narrowed from a byte); align=1 inside packed structs."""
        if t == T.BOOL:
            return self.b.trunc(self.b.load(ptr, typ=I8, align=align), I1)
        return self.b.load(ptr, typ=self.ml.ll(t), align=align)

    def lvalue_align(self, node: ast.expr) -> Optional[int]:
        """1 if `node` reaches its storage through a packed struct (a field may sit at any offset), else None.

        Without it LLVM assumes the type's natural alignment, which a packed field need not have:
        undefined behaviour, and a trap on arches without misaligned access.
        """
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            bt = getattr(node.value, "kt", None)
            if isinstance(bt, T.StructType):
                if bt.packed:
                    return 1
            elif not isinstance(bt, T.ArrayType):
                return None
            node = node.value
        return None

    def s_AugAssign(self, s: ast.AugAssign) -> None:
        tgt = s.target
        t = tgt.kt  # type: ignore[attr-defined]
        if isinstance(tgt, ast.Name):
            ref = tgt.ref  # type: ignore[attr-defined]
            slot = self.locals[tgt.id] if ref[0] == "local" else self.ml.global_var(ref[1])
        elif isinstance(tgt, ast.Subscript) and isinstance(tgt.value.kt, (T.ListType, T.DictType, T.BytesType)):  # type: ignore[attr-defined]
            cur = self.expr(tgt)
            rhs = self.expr(s.value)
            self.container_store(tgt, self.arith(s.op, cur, rhs, t, s))
            return
        else:
            slot = self.address_of(tgt)
        align = self.lvalue_align(tgt)
        cur = self.load_mem(slot, t, align)
        rhs = self.expr(s.value)
        self.store_mem(slot, self.arith(s.op, cur, rhs, t, s), t, align)

    def s_If(self, s: ast.If) -> None:
        then, other, done = self.new_block("if.then"), self.new_block("if.else"), self.new_block("if.end")
        self.cond_branch(s.test, then, other)
        self.b.position_at_end(then)
        self.block(s.body)
        if not self.b.block.is_terminated:
            self.b.branch(done)
        self.b.position_at_end(other)
        self.block(s.orelse)
        if not self.b.block.is_terminated:
            self.b.branch(done)
        self.b.position_at_end(done)

    def s_While(self, s: ast.While) -> None:
        head, body, done = self.new_block("while.head"), self.new_block("while.body"), self.new_block("while.end")
        self.b.branch(head)
        self.b.position_at_end(head)
        self.set_loc(s)
        self.cond_branch(s.test, body, done)
        self.b.position_at_end(body)
        self.loops.append((head, done, len(self.unwinds)))
        self.block(s.body)
        self.loops.pop()
        if not self.b.block.is_terminated:
            self.b.branch(head)
        self.b.position_at_end(done)

    def s_For(self, s: ast.For) -> None:
        if getattr(s, "kind", "") != "range":
            self.for_iter(s)
            return
        it = s.iter
        t = it.kt  # type: ignore[attr-defined]
        lt = self.ml.ll(t)
        args = [self.expr(a) for a in it.args]  # type: ignore[attr-defined]
        if len(args) == 1:
            start, stop, step = ir.Constant(lt, 0), args[0], 1
        else:
            start, stop = args[0], args[1]
            step = it.args[2].const if len(args) == 3 else 1  # type: ignore[attr-defined]
        # Python evaluates the bounds once; the loop variable is a fresh counter each round.
        counter = self.b.alloca(lt, name="range.i")
        with self.b.goto_block(self.entry):
            pass
        self.b.store(start, counter)
        head, body, step_b, done = (self.new_block("for.head"), self.new_block("for.body"),
                                    self.new_block("for.step"), self.new_block("for.end"))
        self.b.branch(head)
        self.b.position_at_end(head)
        i = self.b.load(counter, typ=lt)
        signed = t.signed if isinstance(t, T.IntType) else True
        if step > 0:
            c = self.b.icmp_signed("<", i, stop) if signed else self.b.icmp_unsigned("<", i, stop)
        else:
            c = self.b.icmp_signed(">", i, stop) if signed else self.b.icmp_unsigned(">", i, stop)
        self.b.cbranch(c, body, done)
        self.b.position_at_end(body)
        self.store_name(s.target, i, owned=False)  # type: ignore[arg-type]
        self.loops.append((step_b, done, len(self.unwinds)))
        self.block(s.body)
        self.loops.pop()
        if not self.b.block.is_terminated:
            self.b.branch(step_b)
        self.b.position_at_end(step_b)
        # Stepping past the end could wrap around the type (range(250, 255, 3) over u8 would reach
        # 253 + 3 = 0 < 255): leave when the distance still to go, exact as an unsigned number because
        # the counter has not passed stop yet, is at most the step.
        i = self.b.load(counter, typ=lt)
        mask = (1 << lt.width) - 1
        left = self.b.sub(stop, i) if step > 0 else self.b.sub(i, stop)
        more = self.b.icmp_unsigned(">", left, ir.Constant(lt, abs(step) & mask))
        self.b.store(self.b.add(i, ir.Constant(lt, step & mask)), counter)  # wraps to the right value: it fits
        self.b.cbranch(more, head, done)
        self.b.position_at_end(done)

    def for_iter(self, s: ast.For) -> None:
        """for x in List/Array/bytes: index loop over the container as it is at each step."""
        from translator.lower.containers import lower_for_iter
        lower_for_iter(self, s)

    def s_Break(self, s: ast.Break) -> None:
        cont, brk, depth = self.loops[-1]
        self.run_unwinds(depth)
        if not self.b.block.is_terminated:
            self.b.branch(brk)

    def s_Continue(self, s: ast.Continue) -> None:
        cont, brk, depth = self.loops[-1]
        self.run_unwinds(depth)
        if not self.b.block.is_terminated:
            self.b.branch(cont)

    def s_Delete(self, s: ast.Delete) -> None:
        from translator.lower.containers import lower_delete
        for t in s.targets:
            lower_delete(self, t)  # type: ignore[arg-type]

    # ---- exceptions -----------------------------------------------------------------------------------
    def s_Raise(self, s: ast.Raise) -> None:
        if s.exc is None or isinstance(s.exc, ast.Name):
            errno = self.b.load(self.current_exc(s), typ=I64)
        else:
            errno = self.expr(s.exc.args[0])  # type: ignore[attr-defined]
            errno = self.to_i64(errno, s.exc.args[0].kt)  # type: ignore[attr-defined]
        self.raise_errno(errno)

    def current_exc(self, s: ast.Raise) -> ir.Value:
        """The slot holding the exception being handled (named or not)."""
        if isinstance(s.exc, ast.Name):
            return self.locals[s.exc.id]
        return self.handling[-1]


    def raise_errno(self, errno: ir.Value) -> None:
        """Transfer an error to the innermost handler, or out of the function."""
        for depth in range(len(self.unwinds) - 1, -1, -1):
            u = self.unwinds[depth]
            if u.kind == "handler":
                self.run_unwinds(depth + 1)
                if self.b.block.is_terminated:
                    return  # a finally body in between left by itself
                self.b.store(errno, u.slot)  # type: ignore[arg-type]
                self.b.branch(u.handler)  # type: ignore[arg-type]
                return
        self.run_unwinds(0)
        if self.b.block.is_terminated:
            return
        if self.err_slot is None:
            # Only reachable if the may-raise analysis was bypassed: never lose an error silently.
            from translator.lower.objects import panic_str
            panic_str(self.ml, self.b, f"uncaught SysError in {self.fs.name}")
            return
        self.b.store(errno, self.err_slot)
        self.b.branch(self.exit_block)

    def check_error(self, err: ir.Value) -> None:
        """After a call that may raise: on a non-zero error, release temporaries and propagate."""
        bad, ok = self.new_block("call.err"), self.new_block("call.ok")
        self.b.cbranch(self.b.icmp_unsigned("!=", err, ir.Constant(I64, 0)), bad, ok)
        self.b.position_at_end(bad)
        for t in self.temps:
            self.b.call(self.dec, [t])
        self.raise_errno(err)
        self.b.position_at_end(ok)

    def run_unwinds(self, depth: int) -> None:
        """Run finally bodies and lock releases between the current point and unwind depth `depth`."""
        saved = self.unwinds
        for i in range(len(saved) - 1, depth - 1, -1):
            u = saved[i]
            self.unwinds = saved[:i]
            if u.kind == "finally":
                # The finally body is statements of its own: its statement ends must not release
                # (again) the temporaries of the expression being left, which the error path has
                # already released and a normal exit still owns.
                outer_temps = self.temps
                self.temps = []
                self.block(u.body)
                self.temps = outer_temps
            elif u.kind == "lock":
                self.lock_release(u.lock_ptr)  # type: ignore[arg-type]
            if self.b.block.is_terminated:
                # The finally body left by itself (return, break, continue, raise): that exit ran the
                # outer clean-ups and replaces the pending one, as in CPython (a return in finally
                # discards the exception in flight).
                break
        self.unwinds = saved

    def s_Try(self, s: ast.Try) -> None:
        done = self.new_block("try.end")
        if s.finalbody:
            self.unwinds.append(Unwind("finally", s.finalbody))
        if s.handlers:
            handler = self.new_block("try.except")
            slot = self.b.alloca(I64, name="exc")
            self.unwinds.append(Unwind("handler", handler=handler, slot=slot))
            self.block(s.body)
            self.unwinds.pop()
            if not self.b.block.is_terminated:
                self.b.branch(done)
            self.b.position_at_end(handler)
            h = s.handlers[0]  # only SysError is catchable, so the first handler takes it
            if h.name:
                self.b.store(self.b.load(slot, typ=I64), self.locals[h.name])
            self.handling = self.handling + [slot]
            self.block(h.body)
            self.handling = self.handling[:-1]
            if not self.b.block.is_terminated:
                self.b.branch(done)
        else:
            self.block(s.body)
            if not self.b.block.is_terminated:
                self.b.branch(done)
        self.b.position_at_end(done)
        if s.finalbody:
            self.unwinds.pop()
            self.block(s.finalbody)

    def s_With(self, s: ast.With) -> None:
        ptrs = []
        for item in s.items:
            p = self.address_of(item.context_expr)
            self.lock_acquire(p)
            ptrs.append(p)
            self.unwinds.append(Unwind("lock", lock_ptr=p))
        self.block(s.body)
        for p in reversed(ptrs):
            self.unwinds.pop()
            if not self.b.block.is_terminated:
                self.lock_release(p)

    def lock_acquire(self, p: ir.Value) -> None:
        """Spin until the lock word goes 0 -> 1."""
        from translator.lower import irx
        head, spin, got = self.new_block("lock.try"), self.new_block("lock.spin"), self.new_block("lock.held")
        self.b.branch(head)
        self.b.position_at_end(head)
        pair = irx.cmpxchg(self.b, p, ir.Constant(I32, 0), ir.Constant(I32, 1), "acquire")
        self.b.cbranch(self.b.extract_value(pair, 1), got, spin)
        self.b.position_at_end(spin)
        self.cpu_relax()
        self.b.branch(head)
        self.b.position_at_end(got)

    def lock_release(self, p: ir.Value) -> None:
        """Store 0 with release ordering."""
        from translator.lower import irx
        irx.atomic_store(self.b, ir.Constant(I32, 0), p, 4, "release")
