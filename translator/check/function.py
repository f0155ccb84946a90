"""Stage 3b, check function bodies: infer local types, check every expression and statement, annotate the tree."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Optional

from translator.check import types as T
from translator.check.builtins_check import BuiltinCalls
from translator.check.program import ERRNO, DeclChecker, FuncSig, ProgramInfo, lookup
from translator.diagnostics import SourceFile
from translator.resolve import BuiltinSym, ClassSym, ConstSym, FuncSym, GlobalSym, ModuleInfo, ModuleSym


@dataclass
class LocalVar:
    """A local variable (or parameter) of a function."""

    name: str
    type: T.KType
    index: int
    is_param: bool = False
    reassigned: bool = False


@dataclass
class CallInfo:
    """What a call expression means, decided by the checker for the lowering."""

    kind: str
    target: object = None
    args: list = field(default_factory=list)
    recv: Optional[ast.expr] = None
    virtual: bool = False
    extra: object = None


@dataclass
class FuncInfo:
    """The checked body of one function: its locals and whether it may raise."""

    sym: FuncSym
    sig: FuncSig
    locals: dict[str, LocalVar] = field(default_factory=dict)
    raises: bool = False
    calls: list[FuncSym] = field(default_factory=list)
    uncaught_calls: list[FuncSym] = field(default_factory=list)


LVALUE_NODES = (ast.Name, ast.Attribute, ast.Subscript)


class FunctionChecker(BuiltinCalls):
    """Type-checks one function body and annotates its AST nodes (.kt, .ref, .ck)."""

    def __init__(self, decl: DeclChecker, fs: FuncSym):
        self.decl = decl
        self.fs = fs
        self.mod: ModuleInfo = fs.module
        self.src: SourceFile = fs.module.src
        self.sig: FuncSig = decl.signature(fs)
        self.info = FuncInfo(fs, self.sig)
        self.loop_depth = 0
        self.try_depth = 0  # inside a try body with an except SysError clause
        self.in_except = 0
        self.narrow: dict[str, T.KType] = {}
        self.global_names: set[str] = set()
        # `except SysError as e` binds e only inside its handler: CPython deletes it at the end.
        self.active_exc: list[str] = []

    # ---- helpers -------------------------------------------------------------------------------
    def err(self, node: Optional[ast.AST], msg: str, hint: str = ""):  # type: ignore[no-untyped-def]
        """Build an error at `node` in this function's file."""
        return self.src.error(node, msg, hint)

    def new_local(self, name: str, t: T.KType, node: ast.AST, is_param: bool = False) -> LocalVar:
        """Declare a local variable."""
        if t in (T.NONE, T.NORETURN, T.LITERAL):
            if t is T.NONE:
                raise self.err(node, f"cannot infer a type for '{name}' from None",
                               f"annotate it: {name}: Optional[SomeClass] = None")
            t = T.I64
        lv = LocalVar(name, t, len(self.info.locals), is_param)
        self.info.locals[name] = lv
        return lv

    def coerce(self, node: ast.expr, have: T.KType, want: T.KType, what: str = "value") -> None:
        """Check that a value of type `have` may be used where `want` is expected."""
        if have == want or have is T.NORETURN:
            return
        if have is T.LITERAL and isinstance(want, T.IntType):
            v = getattr(node, "const", None)
            if isinstance(v, int) and not (want.min <= v <= want.max):
                raise self.err(node, f"{v} does not fit in {want!r}", f"write {want!r}({v}) to wrap it explicitly")
            node.kt = want  # type: ignore[attr-defined]
            return
        if have is T.NONE and isinstance(want, T.OptionalType):
            node.kt = want  # type: ignore[attr-defined]
            return
        if isinstance(want, T.OptionalType) and (have == want.inner or (
                isinstance(have, T.ClassType) and isinstance(want.inner, T.ClassType) and have.is_subclass_of(want.inner))):
            return
        if isinstance(have, T.OptionalType) and isinstance(want, T.OptionalType) and isinstance(have.inner, T.ClassType) \
                and isinstance(want.inner, T.ClassType) and have.inner.is_subclass_of(want.inner):
            return
        if isinstance(have, T.ClassType) and isinstance(want, T.ClassType) and have.is_subclass_of(want):
            return
        if isinstance(have, T.OptionalType) and have.inner == want:
            return  # checked at run time: None here panics, as CPython would fail on it
        if isinstance(want, T.ListType) and isinstance(have, T.ListType) and have.elem is T.NONE:
            node.kt = want  # type: ignore[attr-defined]
            return
        if isinstance(want, T.DictType) and isinstance(have, T.DictType) and have.key is T.NONE:
            node.kt = want  # type: ignore[attr-defined]
            return
        if isinstance(have, T.IntType) and isinstance(want, T.IntType):
            raise self.err(node, f"expected {want!r} for this {what}, got {have!r}",
                           f"convert explicitly: {want!r}(...) (conversions wrap like a C cast)")
        raise self.err(node, f"expected {want!r} for this {what}, got {have!r}", f"pass a {want!r}")

    def expr(self, node: ast.expr, expected: Optional[T.KType] = None) -> T.KType:
        """Check an expression, annotate it with .kt, and return its type."""
        t = self._expr(node, expected)
        node.kt = t  # type: ignore[attr-defined]
        if expected is not None and t is not T.NORETURN:
            self.coerce(node, t, expected)
        return node.kt  # type: ignore[attr-defined]

    def int_result(self, node: ast.AST, a: T.KType, b: T.KType, op: str) -> T.KType:
        """The type of a binary integer operation, refusing silent width mixing."""
        if a is T.LITERAL and b is T.LITERAL:
            return T.LITERAL
        if a is T.LITERAL:
            return b
        if b is T.LITERAL or a == b:
            return a
        raise self.err(node, f"cannot mix {a!r} and {b!r} in '{op}'",
                       f"convert one side explicitly, e.g. {a!r}(x) or {b!r}(x)")

    def is_fresh(self, node: ast.expr) -> bool:
        """True if a struct-valued expression makes a new value (a call or load), not a reference to storage."""
        if isinstance(node, ast.Subscript):
            return isinstance(getattr(node.value, "kt", None), T.PtrType)
        if isinstance(node, ast.Attribute):
            return False
        return not isinstance(node, ast.Name)

    # ---- the function ------------------------------------------------------------------------------
    def run(self) -> FuncInfo:
        """Check the whole function."""
        node = self.fs.node
        for i, p in enumerate(self.sig.params):
            self.new_local(p.name, p.type, p.node or node, is_param=True)
            if p.default is not None:
                self.expr(p.default, p.type)
                if not _is_const_node(p.default, self):
                    raise self.err(p.default, "default values must be constants", "use a literal or a Final constant")
        if self.fs.extern:
            if not (len(node.body) == 1 and isinstance(node.body[0], ast.Expr) or len(node.body) <= 2):
                raise self.err(node, "an @extern function's body must be `...`", "write the body as ...")
            return self.info
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            body = body[1:]
        self.block(body)
        if self.sig.ret not in (T.NONE, T.NORETURN) and not _always_exits(body):
            raise self.err(node, f"function '{node.name}' can reach its end without returning a {self.sig.ret!r}",
                           "add a return statement (or raise/panic) on every path")
        return self.info

    # ---- statements ----------------------------------------------------------------------------------
    def block(self, stmts: list[ast.stmt]) -> None:
        """Check a list of statements."""
        for s in stmts:
            self.stmt(s)

    def stmt(self, s: ast.stmt) -> None:
        """Check one statement."""
        m = getattr(self, "s_" + type(s).__name__, None)
        if m is None:
            raise self.err(s, f"'{type(s).__name__}' statements are not part of Kernel Python", _STMT_HINTS.get(type(s).__name__, ""))
        m(s)

    def s_Pass(self, s: ast.Pass) -> None:
        pass

    def s_Expr(self, s: ast.Expr) -> None:
        if isinstance(s.value, ast.Constant) and isinstance(s.value.value, str):
            return  # a docstring-like string statement
        if isinstance(s.value, ast.Constant) and s.value.value is Ellipsis:
            return
        if not isinstance(s.value, ast.Call):
            raise self.err(s, "this expression statement has no effect", "assign the value or remove the statement")
        self.expr(s.value)

    def s_Global(self, s: ast.Global) -> None:
        for n in s.names:
            sym = self.mod.symbols.get(n)
            if not isinstance(sym, GlobalSym):
                raise self.err(s, f"'{n}' is not a module global", f"declare it at module level: {n}: T = value")
            if n in self.info.locals:
                raise self.err(s, f"'{n}' is used as a local before the global statement", "put `global` first")
            self.global_names.add(n)

    def s_Nonlocal(self, s: ast.Nonlocal) -> None:
        raise self.err(s, "nonlocal is not part of Kernel Python (there are no closures)", "pass the value as a parameter")

    def s_Assert(self, s: ast.Assert) -> None:
        raise self.err(s, "assert is not part of Kernel Python (it vanishes under python -O)",
                       'write: if not cond: panic("what went wrong")')

    def s_Return(self, s: ast.Return) -> None:
        ret = self.sig.ret
        if s.value is None:
            if ret not in (T.NONE,):
                raise self.err(s, f"this function returns {ret!r}", f"write return <a {ret!r} value>")
            return
        if ret == T.NONE:
            self.expr(s.value, T.NONE) if not (isinstance(s.value, ast.Constant) and s.value.value is None) else None
            if isinstance(s.value, ast.Constant) and s.value.value is None:
                s.value.kt = T.NONE  # type: ignore[attr-defined]
            return
        t = self.expr(s.value, ret)
        if isinstance(t, T.StructType) and isinstance(s.value, ast.Name) and s.value.id in self.info.locals:
            lv = self.info.locals[s.value.id]
            if lv.is_param and not lv.reassigned:
                raise self.err(s.value, "returning a struct parameter would share the caller's struct under CPython",
                               f"return {s.value.id}.copy()")
        if isinstance(t, T.StructType) and isinstance(s.value, (ast.Attribute, ast.Subscript)) and not self.is_fresh(s.value):
            raise self.err(s.value, "returning a struct stored elsewhere would share it under CPython",
                           f"return {ast.unparse(s.value)}.copy()")

    def s_Assign(self, s: ast.Assign) -> None:
        if len(s.targets) != 1:
            raise self.err(s, "chained assignment is not supported", "assign each name separately")
        tgt = s.targets[0]
        if isinstance(tgt, (ast.Tuple, ast.List)) and any(isinstance(e, ast.Starred) for e in tgt.elts):
            star = next(e for e in tgt.elts if isinstance(e, ast.Starred))
            raise self.err(star, "starred assignment is not part of Kernel Python", "unpack a tuple into one name per element")
        if isinstance(tgt, ast.Tuple):
            vt = self.expr(s.value)
            if not isinstance(vt, T.TupleType) or len(vt.elems) != len(tgt.elts):
                raise self.err(s.value, f"cannot unpack {vt!r} into {len(tgt.elts)} names", "unpack a tuple of the same length")
            for e, et in zip(tgt.elts, vt.elems):
                if not isinstance(e, ast.Name):
                    raise self.err(e, "tuple unpacking binds plain names only", "unpack into local names")
                self.bind_name(e, et, s.value, None)
            return
        self.assign_to(tgt, s.value, None)

    def s_AnnAssign(self, s: ast.AnnAssign) -> None:
        if not isinstance(s.target, ast.Name):
            raise self.err(s, "annotated assignment binds a plain local name", "annotate the local, not a field")
        t = self.decl.ann_type(self.mod, s.annotation)
        name = s.target.id
        if name in self.info.locals and self.info.locals[name].type != t:
            raise self.err(s, f"'{name}' was already declared as {self.info.locals[name].type!r}", "use another name")
        if s.value is None:
            if name not in self.info.locals:
                self.new_local(name, t, s)
            s.target.ref = ("local", name)  # type: ignore[attr-defined]
            s.target.kt = t  # type: ignore[attr-defined]
            return
        self.assign_to(s.target, s.value, t)

    def assign_to(self, tgt: ast.expr, value: ast.expr, declared: Optional[T.KType]) -> None:
        """Check `tgt = value` (with an optional declared type for a new local)."""
        if isinstance(tgt, ast.Name):
            want = declared
            lv = self.info.locals.get(tgt.id)
            if lv is not None:
                want = lv.type
            elif tgt.id in self.global_names:
                want = self.mod.symbols[tgt.id].type  # type: ignore[union-attr]
            elif want is None:
                sym = self.mod.symbols.get(tgt.id)
                if isinstance(sym, GlobalSym):
                    raise self.err(tgt, f"assigning to global '{tgt.id}' needs a `global {tgt.id}` statement first",
                                   f"add: global {tgt.id}")
            vt = self.expr(value, want)
            self.bind_name(tgt, vt if want is None else want, value, declared)
            return
        if isinstance(tgt, ast.Attribute):
            ft = self.lvalue_attr(tgt)
            self.expr(value, ft)
            if not _stores_by_copy(tgt.value):
                self.check_struct_copy(value, ft)
            return
        if isinstance(tgt, ast.Subscript):
            et = self.lvalue_subscript(tgt)
            self.expr(value, et)
            if not _stores_by_copy(tgt.value):
                self.check_struct_copy(value, et)
            return
        raise self.err(tgt, "cannot assign to this", "assign to a name, a field or an element")

    def check_struct_copy(self, value: ast.expr, t: T.KType) -> None:
        """Refuse storing a struct that lives elsewhere without .copy() (CPython would share it)."""
        if isinstance(t, T.StructType) and not self.is_fresh(value):
            raise self.err(value, "assigning a struct stored elsewhere would share it under CPython but copy it natively",
                           f"write {ast.unparse(value)}.copy()")
        if isinstance(t, T.ArrayType) and not self.is_fresh(value):
            raise self.err(value, "assigning an Array stored elsewhere would share it under CPython",
                           f"write {ast.unparse(value)}.copy()")

    def bind_name(self, tgt: ast.Name, vt: T.KType, value: ast.expr, declared: Optional[T.KType]) -> None:
        """Bind a local or global name to a value of type vt."""
        name = tgt.id
        if name in self.global_names:
            g = self.mod.symbols[name]
            tgt.ref = ("global", g)  # type: ignore[attr-defined]
            tgt.kt = g.type  # type: ignore[attr-defined,union-attr]
            self.check_struct_copy(value, g.type)  # type: ignore[union-attr,arg-type]
            return
        lv = self.info.locals.get(name)
        if lv is None:
            if vt is T.LITERAL:
                c = getattr(value, "const", None)
                if declared is None and isinstance(c, int) and not (T.I64.min <= c <= T.I64.max):
                    raise self.err(value, f"{c} does not fit in int (i64), the type of an unannotated local",
                                   f"write u64({ast.unparse(value)}) or annotate the local")
                vt = declared or T.I64
                value.kt = vt  # type: ignore[attr-defined]
            if isinstance(vt, T.ListType) and vt.elem is T.NONE or isinstance(vt, T.DictType) and vt.key is T.NONE:
                raise self.err(value, "cannot infer the element type of an empty container",
                               f"annotate it: {name}: List[u64] = []")
            lv = self.new_local(name, vt, tgt)
        else:
            lv.reassigned = True
        self.check_struct_copy(value, lv.type)
        tgt.ref = ("local", name)  # type: ignore[attr-defined]
        tgt.kt = lv.type  # type: ignore[attr-defined]

    def lvalue_attr(self, tgt: ast.Attribute) -> T.KType:
        """Check an attribute used as an assignment target; return the field type."""
        bt = self.expr(tgt.value)
        bt = T.strip_optional(bt)
        if isinstance(bt, T.StructType):
            self.check_struct_writable(tgt, tgt.value)
        elif not isinstance(bt, T.ClassType):
            raise self.err(tgt, f"cannot assign to attribute '{tgt.attr}' of {bt!r}",
                           "assign to fields of structs and class instances")
        f = self.field_of(bt, tgt.attr, tgt)
        tgt.kt = f.type  # type: ignore[attr-defined]
        return f.type

    def check_struct_writable(self, tgt: ast.expr, base: ast.expr) -> None:
        """Refuse writing into a temporary struct or into a struct parameter (shared under CPython)."""
        root = base
        while isinstance(root, (ast.Attribute, ast.Subscript)) and isinstance(getattr(root.value, "kt", None), (T.StructType, T.ArrayType)):
            root = root.value
        if self.is_fresh(root) and not isinstance(root, ast.Name):
            what = "a field" if isinstance(tgt, ast.Attribute) else "an element"
            raise self.err(tgt, f"assigning to {what} of a temporary struct has no effect",
                           "copy it into a local, change the local, then store it back")
        if isinstance(root, ast.Name) and getattr(root, "ref", ("",))[0] == "local":
            lv = self.info.locals[root.id]
            if lv.is_param and not lv.reassigned and not (self.sig.is_method and lv.index == 0):
                raise self.err(tgt, "struct parameters are read-only (CPython shares them with the caller)",
                               f"copy first: {root.id} = {root.id}.copy()")

    def lvalue_subscript(self, tgt: ast.Subscript) -> T.KType:
        """Check a subscript used as an assignment target; return the element type."""
        bt = self.expr(tgt.value)
        if isinstance(bt, T.PtrType):
            self.expr(tgt.slice)
            self.need_ptr_offset(tgt.slice)
            tgt.kt = bt.elem  # type: ignore[attr-defined]
            return bt.elem
        if isinstance(bt, T.ArrayType):
            self.check_struct_writable(tgt, tgt.value)
            self.expr(tgt.slice)
            self.need_int(tgt.slice)
            tgt.kt = bt.elem  # type: ignore[attr-defined]
            return bt.elem
        if isinstance(bt, T.ListType):
            self.expr(tgt.slice)
            self.need_int(tgt.slice)
            tgt.kt = bt.elem  # type: ignore[attr-defined]
            return bt.elem
        if isinstance(bt, T.DictType):
            self.expr(tgt.slice, bt.key)
            tgt.kt = bt.value  # type: ignore[attr-defined]
            return bt.value
        if bt == T.BYTEARRAY:
            self.expr(tgt.slice)
            self.need_int(tgt.slice)
            tgt.kt = T.U8  # type: ignore[attr-defined]
            return T.U8
        raise self.err(tgt, f"cannot assign to an element of {bt!r}", "assign to Ptr, Array, List, Dict or bytearray elements")

    def need_ptr_offset(self, node: ast.expr) -> None:
        """A Ptr index or offset is usize, isize or a literal (the runtime library refuses narrower types)."""
        t = node.kt  # type: ignore[attr-defined]
        if t is T.LITERAL:
            node.kt = T.I64  # type: ignore[attr-defined]
            return
        if t not in (T.U64, T.I64):
            raise self.err(node, f"a Ptr index or offset must be usize or isize, not {t!r}",
                           f"convert it: usize({ast.unparse(node)})")

    def need_int(self, node: ast.expr) -> None:
        """Require an integer-typed expression (already checked)."""
        t = node.kt  # type: ignore[attr-defined]
        if not T.is_int(t):
            raise self.err(node, f"expected an integer, got {t!r}", "use an integer index")
        if t is T.LITERAL:
            node.kt = T.I64  # type: ignore[attr-defined]

    def s_AugAssign(self, s: ast.AugAssign) -> None:
        tgt = s.target
        if isinstance(tgt, ast.Name):
            tt = self.expr(tgt)
            if getattr(tgt, "ref", ("",))[0] == "global" and tgt.id not in self.global_names:
                raise self.err(tgt, f"changing global '{tgt.id}' needs a `global {tgt.id}` statement first",
                               f"add: global {tgt.id}")
            if getattr(tgt, "ref", ("",))[0] == "local":
                self.info.locals[tgt.id].reassigned = True
        elif isinstance(tgt, ast.Attribute):
            tt = self.lvalue_attr(tgt)
        elif isinstance(tgt, ast.Subscript):
            tt = self.lvalue_subscript(tgt)
        else:
            raise self.err(tgt, "cannot assign to this", "assign to a name, a field or an element")
        vt = self.expr(s.value)
        if not isinstance(tt, T.IntType):
            raise self.err(s, f"augmented assignment needs an integer target, not {tt!r}", "write x = x op y")
        r = self.binop_type(s, tt, vt, s.op)
        self.coerce(s.value, vt, tt)
        if r != tt:
            raise self.err(s, f"result {r!r} does not match {tt!r}", f"convert: {tt!r}(...)")

    def s_If(self, s: ast.If) -> None:
        self.cond(s.test)
        saved = dict(self.narrow)
        self.apply_narrowing(s.test, True)
        self.block(s.body)
        self.narrow = dict(saved)
        self.apply_narrowing(s.test, False)
        self.block(s.orelse)
        self.narrow = saved
        if not s.orelse and _always_exits(s.body):
            self.apply_narrowing(s.test, False)

    def apply_narrowing(self, test: ast.expr, truth: bool) -> None:
        """Narrow Optional/base-class locals inside a branch guarded by `is not None` or isinstance."""
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.left, ast.Name) \
                and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None:
            t = getattr(test.left, "kt", None)
            is_not = isinstance(test.ops[0], ast.IsNot)
            if isinstance(t, T.OptionalType) and is_not == truth:
                self.narrow[test.left.id] = t.inner
        elif truth and isinstance(test, ast.Call) and getattr(test, "ck", None) is not None \
                and test.ck.kind == "isinstance" and isinstance(test.args[0], ast.Name):  # type: ignore[attr-defined]
            self.narrow[test.args[0].id] = test.ck.target  # type: ignore[attr-defined]
        elif truth and isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
            for v in test.values:
                self.apply_narrowing(v, True)

    def cond(self, node: ast.expr) -> None:
        """Check a condition: bool, or an integer / object compared implicitly."""
        t = self.expr(node)
        if t not in (T.BOOL, T.NORETURN):
            raise self.err(node, f"a condition must be a bool, not {t!r}",
                           "compare explicitly, e.g. `x != 0` or `obj is not None`")

    def s_While(self, s: ast.While) -> None:
        if s.orelse:
            raise self.err(s.orelse[0], "while ... else is not part of Kernel Python", "use a flag variable")
        self.cond(s.test)
        self.loop_depth += 1
        self.block(s.body)
        self.loop_depth -= 1

    def s_For(self, s: ast.For) -> None:
        if s.orelse:
            raise self.err(s.orelse[0], "for ... else is not part of Kernel Python", "use a flag variable")
        if not isinstance(s.target, ast.Name):
            raise self.err(s.target, "a for loop binds one plain name", "write for i in range(...)")
        it = s.iter
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and isinstance(lookup(self.mod, it.func.id), BuiltinSym) \
                and it.func.id == "range":
            if not 1 <= len(it.args) <= 3 or it.keywords:
                raise self.err(it, "range() takes 1 to 3 integer arguments", "write range(stop), range(start, stop) or range(start, stop, step)")
            ts = [self.expr(a) for a in it.args]
            t: T.KType = T.LITERAL
            for a, at in zip(it.args, ts):
                if not T.is_int(at):
                    raise self.err(a, f"range() needs integers, got {at!r}", "pass integer bounds")
                t = self.int_result(it, t, at, "range")
            if t is T.LITERAL:
                t = self.info.locals[s.target.id].type if s.target.id in self.info.locals else T.I64
            for a in it.args[:2]:
                self.coerce(a, a.kt, t)  # type: ignore[attr-defined]
            if len(it.args) == 3:
                # The step is never stored in the loop variable, so it only has to be a constant whose size
                # fits the type's width: range(n, 0, -1) counts a u8 down, as under CPython.
                step = getattr(it.args[2], "const", None)
                if step is None or step == 0:
                    raise self.err(it.args[2], "range()'s step must be a non-zero constant", "write a literal step such as 1 or -1")
                if isinstance(t, T.IntType) and abs(step) >= 1 << t.bits:
                    raise self.err(it.args[2], f"a step of {step} is larger than any {t!r} range", "use a smaller step")
                if it.args[2].kt is T.LITERAL:  # type: ignore[attr-defined]
                    it.args[2].kt = t  # type: ignore[attr-defined]
            it.kt = t  # type: ignore[attr-defined]
            s.kind = "range"  # type: ignore[attr-defined]
            self.bind_loop_var(s.target, t)
        else:
            ct = self.expr(it)
            if isinstance(ct, T.ListType):
                et = ct.elem
            elif isinstance(ct, T.BytesType):
                et = T.U8
            elif isinstance(ct, T.ArrayType):
                et = ct.elem
            else:
                raise self.err(it, f"cannot iterate over {ct!r}", "iterate over range(...), a List, an Array or bytes")
            if isinstance(et, T.StructType):
                raise self.err(it, "iterating over structs would share them under CPython", "iterate over indices: for i in range(len(xs))")
            s.kind = "iter"  # type: ignore[attr-defined]
            self.bind_loop_var(s.target, et)
        self.loop_depth += 1
        self.block(s.body)
        self.loop_depth -= 1

    def bind_loop_var(self, tgt: ast.Name, t: T.KType) -> None:
        """Bind the loop variable of a for loop."""
        lv = self.info.locals.get(tgt.id)
        if lv is None:
            lv = self.new_local(tgt.id, t, tgt)
        elif lv.type != t:
            raise self.err(tgt, f"loop variable '{tgt.id}' is already a {lv.type!r}, the loop gives {t!r}", "use another name")
        else:
            lv.reassigned = True
        tgt.ref = ("local", tgt.id)  # type: ignore[attr-defined]
        tgt.kt = t  # type: ignore[attr-defined]

    def s_Break(self, s: ast.Break) -> None:
        if not self.loop_depth:
            raise self.err(s, "break outside a loop", "remove it")

    def s_Continue(self, s: ast.Continue) -> None:
        if not self.loop_depth:
            raise self.err(s, "continue outside a loop", "remove it")

    def s_Delete(self, s: ast.Delete) -> None:
        for t in s.targets:
            if isinstance(t, ast.Subscript):
                bt = self.expr(t.value)
                if isinstance(bt, T.DictType):
                    self.expr(t.slice, bt.key)
                    continue
                if isinstance(bt, T.ListType):
                    self.expr(t.slice)
                    self.need_int(t.slice)
                    continue
            raise self.err(t, "del works on dictionary and list elements only", "assign None to drop an object reference")

    def s_Raise(self, s: ast.Raise) -> None:
        if s.cause is not None:
            raise self.err(s.cause, "raise ... from ... is not supported", "raise SysError(errno)")
        if s.exc is None:
            if not self.in_except:
                raise self.err(s, "bare raise outside an except block", "raise SysError(errno)")
            self.info.raises = True
            return
        exc = s.exc
        if isinstance(exc, ast.Call) and self.is_builtin(exc.func, "SysError") and len(exc.args) == 1 and not exc.keywords:
            self.expr(exc.args[0])
            self.need_int(exc.args[0])
            exc.kt = T.SYSERROR  # type: ignore[attr-defined]
            self.info.raises = True
            return
        if isinstance(exc, ast.Name) and exc.id in self.active_exc:
            exc.kt = T.SYSERROR  # type: ignore[attr-defined]
            exc.ref = ("local", exc.id)  # type: ignore[attr-defined]
            self.info.raises = True
            return
        raise self.err(exc, "Kernel Python raises only SysError(errno)",
                       "write raise SysError(ENOENT) (or call panic() for a bug that cannot be handled)")

    def s_Try(self, s: ast.Try) -> None:
        if s.orelse:
            raise self.err(s.orelse[0], "try ... else is not supported", "move the code to the end of the try body")
        catches = False
        for h in s.handlers:
            if h.type is None or not self.is_builtin(h.type, "SysError"):
                raise self.err(h, "Kernel Python catches only SysError",
                               "write `except SysError as e:` (other errors are bugs and panic)")
            catches = True
        if catches:
            self.try_depth += 1
        self.block(s.body)
        if catches:
            self.try_depth -= 1
        for h in s.handlers:
            self.in_except += 1
            if h.name:
                if h.name in self.info.locals and self.info.locals[h.name].type != T.SYSERROR:
                    raise self.err(h, f"'{h.name}' is already a {self.info.locals[h.name].type!r}", "use another name")
                if h.name not in self.info.locals:
                    self.new_local(h.name, T.SYSERROR, h)
                self.active_exc.append(h.name)
            self.block(h.body)
            if h.name:
                self.active_exc.pop()
            self.in_except -= 1
        self.block(s.finalbody)

    def s_With(self, s: ast.With) -> None:
        for item in s.items:
            if item.optional_vars is not None:
                raise self.err(item.optional_vars, "`with ... as name` is not supported", "write `with lock:`")
            t = self.expr(item.context_expr)
            if t != T.SPINLOCK:
                raise self.err(item.context_expr, f"`with` works on a SpinLock, not {t!r}", "use try/finally for other clean-up")
            if not isinstance(item.context_expr, (ast.Name, ast.Attribute)):
                raise self.err(item.context_expr, "lock a SpinLock stored in a global or a field", "write `with self.lock:`")
        self.block(s.body)

    # ---- expressions -----------------------------------------------------------------------------------
    def _expr(self, node: ast.expr, expected: Optional[T.KType]) -> T.KType:
        m = getattr(self, "e_" + type(node).__name__, None)
        if m is None:
            raise self.err(node, f"'{type(node).__name__}' expressions are not part of Kernel Python",
                           _EXPR_HINTS.get(type(node).__name__, "rewrite it with simpler expressions"))
        return m(node, expected)

    def e_Constant(self, node: ast.Constant, expected: Optional[T.KType]) -> T.KType:
        v = node.value
        if isinstance(v, bool):
            return T.BOOL
        if isinstance(v, int):
            node.const = v  # type: ignore[attr-defined]
            if isinstance(expected, T.IntType):
                if not (expected.min <= v <= expected.max):
                    raise self.err(node, f"{v} does not fit in {expected!r}", f"write {expected!r}({v}) to wrap it explicitly")
                return expected
            return T.LITERAL
        if isinstance(v, str):
            return T.STR
        if isinstance(v, bytes):
            return T.BYTES
        if v is None:
            return expected if isinstance(expected, T.OptionalType) else T.NONE
        if isinstance(v, float):
            raise self.err(node, "floating-point numbers are not part of Kernel Python", "use integers (for example fixed point)")
        raise self.err(node, f"literal {v!r} is not supported", "use int, bool, str or bytes literals")

    def e_Name(self, node: ast.Name, expected: Optional[T.KType]) -> T.KType:
        name = node.id
        if name in self.narrow and name in self.info.locals:
            node.ref = ("local", name)  # type: ignore[attr-defined]
            return self.narrow[name]
        lv = self.info.locals.get(name)
        if lv is not None and name not in self.global_names:
            if lv.type == T.SYSERROR and name not in self.active_exc:
                raise self.err(node, f"'{name}' is only bound inside its `except SysError as {name}:` block",
                               "CPython deletes it when the handler ends: copy e.errno into a local inside the handler")
            node.ref = ("local", name)  # type: ignore[attr-defined]
            return lv.type
        sym = lookup(self.mod, name)
        return self.symbol_value(node, sym, name)

    def symbol_value(self, node: ast.expr, sym: object, name: str) -> T.KType:
        """The type of a reference to a module-level symbol used as a value."""
        if isinstance(sym, GlobalSym):
            node.ref = ("global", sym)  # type: ignore[attr-defined]
            return sym.type  # type: ignore[return-value]
        if isinstance(sym, ConstSym):
            self.decl.check_const(sym)
            node.ref = ("const", sym)  # type: ignore[attr-defined]
            if isinstance(sym.value, int) and not isinstance(sym.value, bool):
                node.const = sym.value  # type: ignore[attr-defined]
            return sym.type  # type: ignore[return-value]
        if isinstance(sym, BuiltinSym):
            if sym.name in ("True", "False"):
                node.ref = ("bool", sym.name == "True")  # type: ignore[attr-defined]
                return T.BOOL
            if sym.name == "None":
                node.ref = ("none",)  # type: ignore[attr-defined]
                return T.NONE
            if sym.name in ERRNO:
                node.ref = ("const_int", ERRNO[sym.name])  # type: ignore[attr-defined]
                node.const = ERRNO[sym.name]  # type: ignore[attr-defined]
                return T.LITERAL
            raise self.err(node, f"'{name}' cannot be used as a value here", "call it, or use it in an annotation")
        if isinstance(sym, FuncSym):
            raise self.err(node, f"function '{name}' cannot be used as a value", "call it directly (function values are not supported yet)")
        if isinstance(sym, (ClassSym, ModuleSym)):
            raise self.err(node, f"'{name}' cannot be used as a value", "call it or access one of its members")
        raise self.err(node, f"name '{name}' is not defined", "define it, import it, or check the spelling")

    def e_Attribute(self, node: ast.Attribute, expected: Optional[T.KType]) -> T.KType:
        base_sym = self.decl.type_symbol(self.mod, node.value) if not self._is_local(node.value) else None
        if isinstance(base_sym, ModuleSym):
            sym = base_sym.module.symbols.get(node.attr)
            if sym is None:
                raise self.err(node, f"module '{base_sym.module.name}' has no name '{node.attr}'", "check the spelling")
            return self.symbol_value(node, sym, node.attr)
        if isinstance(base_sym, BuiltinSym) and base_sym.name == "<module>":
            return self.symbol_value(node, BuiltinSym(node.attr, base_sym.module), node.attr)
        bt = self.expr(node.value)
        inner = T.strip_optional(bt)
        if isinstance(inner, T.PtrType) and node.attr == "addr":
            return T.U64
        if isinstance(inner, (T.StructType, T.ClassType)):
            f = self.field_of(inner, node.attr, node)
            return f.type
        if isinstance(bt, T.SysErrorType) and node.attr == "errno":
            return T.I64
        raise self.err(node, f"{bt!r} has no attribute '{node.attr}'", "check the field name")

    def _is_local(self, node: ast.expr) -> bool:
        return isinstance(node, ast.Name) and node.id in self.info.locals

    def field_of(self, t: T.KType, name: str, node: ast.AST) -> T.FieldInfo:
        """Find a field of a struct or class type, with a helpful error."""
        f = t.field(name)  # type: ignore[attr-defined]
        if f is None:
            names = ", ".join(x.name for x in (t.all_fields() if isinstance(t, T.ClassType) else t.fields))  # type: ignore[attr-defined]
            raise self.err(node, f"{t!r} has no field '{name}'", f"its fields are: {names or '(none)'}")
        return f

    def binop_type(self, node: ast.AST, a: T.KType, b: T.KType, op: ast.operator) -> T.KType:
        """The result type of `a op b`."""
        sym = _OP_SYMBOLS.get(type(op), "?")
        if isinstance(op, ast.Div):
            raise self.err(node, "'/' is float division, which Kernel Python does not have", "write // for integer division")
        if isinstance(op, ast.Pow):
            if a is T.LITERAL and b is T.LITERAL:
                return T.LITERAL
            raise self.err(node, "'**' is not supported on fixed-width integers", "write a loop or a shift (1 << n)")
        if isinstance(op, ast.MatMult):
            raise self.err(node, "'@' is not an integer operator", "use *")
        if isinstance(a, T.PtrType) and isinstance(op, (ast.Add, ast.Sub)) and T.is_int(b):
            if isinstance(node, ast.BinOp):
                self.need_ptr_offset(node.right)
            return a
        if not (T.is_int(a) and T.is_int(b)):
            if a == T.BOOL and b == T.BOOL and isinstance(op, (ast.BitAnd, ast.BitOr, ast.BitXor)):
                return T.BOOL
            raise self.err(node, f"'{sym}' is not defined for {a!r} and {b!r}", "use integers (convert bool with int(...) or u8(...))")
        return self.int_result(node, a, b, sym)

    def e_BinOp(self, node: ast.BinOp, expected: Optional[T.KType]) -> T.KType:
        want = expected if isinstance(expected, T.IntType) else None
        a = self.expr(node.left)
        b = self.expr(node.right)
        if isinstance(a, T.StrType) or isinstance(b, T.StrType):
            raise self.err(node, "string operators are not supported", "use an f-string in kprint()/panic()")
        r = self.binop_type(node, a, b, node.op)
        if r is T.LITERAL:
            lv, rv = getattr(node.left, "const", None), getattr(node.right, "const", None)
            if lv is not None and rv is not None:
                t = want or T.LITERAL
                v = _fold(node.op, lv, rv)
                if v is not None:
                    if want and not (want.min <= v <= want.max):
                        # Under CPython the folded value stays an unbounded plain int where it is bound
                        # or returned: refuse it like an out-of-range literal instead of wrapping silently.
                        raise self.err(node, f"{ast.unparse(node)} = {v} does not fit in {want!r}",
                                       f"write {want!r}({ast.unparse(node)}) to wrap it explicitly")
                    node.const = v  # type: ignore[attr-defined]
                    return t
            if isinstance(node.op, ast.Pow):
                raise self.err(node, "'**' needs constant operands whose result fits in 64 bits",
                               "write the value as a literal, or use a shift (1 << n)")
            if want:
                r = want
        if isinstance(r, T.IntType):
            for side in (node.left, node.right):
                if side.kt is T.LITERAL:  # type: ignore[attr-defined]
                    self.literal_to(side, r)
        return r

    def literal_to(self, node: ast.expr, t: T.IntType) -> None:
        """Give an integer literal (or literal-typed expression) a concrete type; literals wrap like CPython's runtime does."""
        node.kt = t  # type: ignore[attr-defined]
        if hasattr(node, "const"):
            node.const = t.wrap(node.const)  # type: ignore[attr-defined]
        for child in ast.iter_child_nodes(node):
            if getattr(child, "kt", None) is T.LITERAL:
                self.literal_to(child, t)  # type: ignore[arg-type]

    def e_UnaryOp(self, node: ast.UnaryOp, expected: Optional[T.KType]) -> T.KType:
        if isinstance(node.op, ast.Not):
            self.cond(node.operand)
            return T.BOOL
        t = self.expr(node.operand)
        if not T.is_int(t):
            raise self.err(node, f"unary operator on {t!r}", "apply -, + and ~ to integers")
        c = getattr(node.operand, "const", None)
        if c is not None:
            node.const = {ast.USub: -c, ast.UAdd: c, ast.Invert: ~c}[type(node.op)]  # type: ignore[attr-defined]
            if isinstance(t, T.IntType):
                node.const = t.wrap(node.const)  # type: ignore[attr-defined]
            elif isinstance(expected, T.IntType):
                v = node.const  # type: ignore[attr-defined]
                if not (expected.min <= v <= expected.max):
                    raise self.err(node, f"{ast.unparse(node)} = {v} does not fit in {expected!r}",
                                   f"write {expected!r}({ast.unparse(node)}) to wrap it explicitly")
                return expected
        return t

    def e_BoolOp(self, node: ast.BoolOp, expected: Optional[T.KType]) -> T.KType:
        saved = dict(self.narrow)
        for v in node.values:
            self.cond(v)
            if isinstance(node.op, ast.And):
                self.apply_narrowing(v, True)
        self.narrow = saved
        return T.BOOL

    def e_Compare(self, node: ast.Compare, expected: Optional[T.KType]) -> T.KType:
        left = node.left
        lt = self.expr(left)
        for op, right in zip(node.ops, node.comparators):
            if isinstance(op, (ast.Is, ast.IsNot)):
                rt = self.expr(right)
                if not (isinstance(right, ast.Constant) and right.value is None):
                    if lt.is_object and rt.is_object:
                        pass  # identity of objects
                    else:
                        raise self.err(node, "`is` compares with None (or two objects)", "use == for values")
                elif not (lt.is_object or lt is T.NONE):
                    raise self.err(node, f"a {lt!r} is never None", "compare with == instead, or remove the test")
            elif isinstance(op, (ast.In, ast.NotIn)):
                rt = self.expr(right)
                if isinstance(rt, T.DictType):
                    self.coerce(left, lt, rt.key)
                elif isinstance(rt, T.ListType):
                    self.coerce(left, lt, rt.elem)
                elif isinstance(rt, T.BytesType):
                    self.coerce(left, lt, T.U8)
                else:
                    raise self.err(right, f"`in` needs a Dict, List or bytes, not {rt!r}", "test membership in a container")
            else:
                rt = self.expr(right)
                if T.is_int(lt) and T.is_int(rt):
                    t = self.int_result(node, lt, rt, _CMP_SYMBOLS[type(op)])
                    if t is T.LITERAL:
                        t = T.I64
                    for side in (left, right):
                        if side.kt is T.LITERAL:  # type: ignore[attr-defined]
                            self.literal_to(side, t)  # type: ignore[arg-type]
                elif isinstance(op, (ast.Eq, ast.NotEq)):
                    if lt != rt and not (lt.is_object and rt.is_object):
                        raise self.err(node, f"cannot compare {lt!r} with {rt!r}", "compare values of the same type")
                    if isinstance(lt, T.ClassType):
                        raise self.err(node, "== on objects is not supported (no __eq__)", "use `is` to compare identity")
                elif isinstance(lt, T.PtrType) and lt == rt:
                    pass
                else:
                    raise self.err(node, f"cannot order {lt!r} and {rt!r}", "compare integers of the same type")
            left, lt = right, right.kt  # type: ignore[attr-defined]
        return T.BOOL

    def e_IfExp(self, node: ast.IfExp, expected: Optional[T.KType]) -> T.KType:
        self.cond(node.test)
        saved = dict(self.narrow)
        self.apply_narrowing(node.test, True)
        a = self.expr(node.body, expected)
        self.narrow = dict(saved)
        self.apply_narrowing(node.test, False)
        b = self.expr(node.orelse, expected)
        self.narrow = saved
        if a is T.LITERAL and b is T.LITERAL:
            return T.LITERAL
        if a is T.LITERAL:
            self.coerce(node.body, a, b)
            return b
        if b is T.LITERAL or b is T.NONE:
            self.coerce(node.orelse, b, a if not a.is_object or isinstance(a, T.OptionalType) else T.OptionalType(a))
            return node.orelse.kt if b is T.NONE else a  # type: ignore[attr-defined]
        if a is T.NONE:
            opt = b if isinstance(b, T.OptionalType) else T.OptionalType(b)
            self.coerce(node.body, a, opt)
            return opt
        if a != b:
            raise self.err(node, f"the two branches give {a!r} and {b!r}", "make both branches the same type")
        if isinstance(a, T.StructType):
            raise self.err(node, "conditional struct values are not supported", "use an if statement")
        return a

    def e_Tuple(self, node: ast.Tuple, expected: Optional[T.KType]) -> T.KType:
        exp = expected.elems if isinstance(expected, T.TupleType) and len(expected.elems) == len(node.elts) else [None] * len(node.elts)
        ts = []
        for e, x in zip(node.elts, exp):
            t = self.expr(e, x)
            if t is T.LITERAL:
                e.kt = t = T.I64  # type: ignore[attr-defined]
            if t.is_object or isinstance(t, T.StructType):
                raise self.err(e, f"tuples of {t!r} are not supported yet", "tuples hold integers, bool and Ptr values")
            ts.append(t)
        return T.TupleType(tuple(ts))

    def e_Subscript(self, node: ast.Subscript, expected: Optional[T.KType]) -> T.KType:
        if isinstance(node.slice, ast.Slice):
            raise self.err(node, "slicing is not supported", "copy with a loop or memcpy()")
        bt = self.expr(node.value)
        bt = T.strip_optional(bt) if isinstance(bt, T.OptionalType) else bt
        if isinstance(bt, T.TupleType):
            self.expr(node.slice)  # folds a constant index into .const
            idx = getattr(node.slice, "const", None)
            if idx is None or not (0 <= idx < len(bt.elems)):
                raise self.err(node.slice, "tuple index must be a constant in range", "write t[0], t[1], ...")
            node.index = idx  # type: ignore[attr-defined]
            return bt.elems[idx]
        if isinstance(bt, T.DictType):
            self.expr(node.slice, bt.key)
            return bt.value
        self.expr(node.slice)
        if isinstance(bt, T.PtrType):
            self.need_ptr_offset(node.slice)
        else:
            self.need_int(node.slice)
        if isinstance(bt, (T.PtrType, T.ArrayType, T.ListType)):
            return bt.elem
        if isinstance(bt, T.BytesType):
            return T.U8
        raise self.err(node, f"{bt!r} cannot be indexed", "index a Ptr, Array, List, Dict, bytes or tuple")

    def e_JoinedStr(self, node: ast.JoinedStr, expected: Optional[T.KType]) -> T.KType:
        for v in node.values:
            if isinstance(v, ast.FormattedValue):
                t = self.expr(v.value)
                if t is T.LITERAL:
                    v.value.kt = T.I64  # type: ignore[attr-defined]
                    t = T.I64
                if v.conversion not in (-1,):
                    raise self.err(v, "!r/!s/!a conversions are not supported in kernel f-strings", "write {x} or {x:#x}")
                spec = ""
                if v.format_spec is not None:
                    if not all(isinstance(p, ast.Constant) for p in v.format_spec.values):  # type: ignore[attr-defined]
                        raise self.err(v, "nested format specifications are not supported", "write a constant spec like {x:08x}")
                    spec = "".join(p.value for p in v.format_spec.values)  # type: ignore[attr-defined]
                if isinstance(t, T.PtrType):
                    # CPython prints a Ptr as its repr, Ptr[u32](0x1000), and refuses any format spec.
                    raise self.err(v, "a Ptr cannot be formatted in an f-string", f"format its address: {{{ast.unparse(v.value)}.addr:#x}}")
                if not (T.is_int(t) or t in (T.BOOL, T.STR)):
                    raise self.err(v, f"cannot format a {t!r} in an f-string", "format integers, bool or str values")
                if not _valid_spec(spec):
                    raise self.err(v, f"format spec '{spec}' is not supported",
                                   "use d, x, X, b, o with optional #, 0, width (e.g. {x:#018x})")
                v.spec = spec  # type: ignore[attr-defined]
        return T.STR

    def e_List(self, node: ast.List, expected: Optional[T.KType]) -> T.KType:
        et = expected.elem if isinstance(expected, T.ListType) else None
        for e in node.elts:
            t = self.expr(e, et)
            if et is None:
                et = T.I64 if t is T.LITERAL else t
                if t is T.LITERAL:
                    self.coerce(e, t, et)
            if isinstance(t, T.StructType) and not self.is_fresh(e):
                raise self.err(e, "a struct stored elsewhere would be shared under CPython", f"write {ast.unparse(e)}.copy()")
        return T.ListType(et if et is not None else T.NONE)

    def e_Dict(self, node: ast.Dict, expected: Optional[T.KType]) -> T.KType:
        kt = expected.key if isinstance(expected, T.DictType) else None
        vt = expected.value if isinstance(expected, T.DictType) else None
        for k, v in zip(node.keys, node.values):
            if k is None:
                raise self.err(v, "dict unpacking is not supported", "insert the entries one by one")
            a = self.expr(k, kt)
            b = self.expr(v, vt)
            kt = kt or (T.I64 if a is T.LITERAL else a)
            vt = vt or (T.I64 if b is T.LITERAL else b)
        if kt is None:
            return T.DictType(T.NONE, T.NONE)
        return T.DictType(kt, vt)  # type: ignore[arg-type]

    def e_Call(self, node: ast.Call, expected: Optional[T.KType]) -> T.KType:
        return self.call(node, expected)


def _stores_by_copy(container: ast.expr) -> bool:
    """True if storing a struct into a field/element of `container` copies it in CPython too.

    A @struct field, an Array element and raw memory behind a Ptr hold bytes, so the runtime library
    stores a copy there: no `.copy()` is needed. Class fields, List elements and names share the object.
    """
    t = T.strip_optional(getattr(container, "kt", None))  # type: ignore[arg-type]
    return isinstance(t, (T.StructType, T.ArrayType, T.PtrType))


def _valid_spec(spec: str) -> bool:
    import re
    return re.fullmatch(r"#?0?\d*[dxXbo]?", spec) is not None


def _fold(op: ast.operator, a: int, b: int) -> Optional[int]:
    try:
        return {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b, ast.FloorDiv: lambda: a // b,
                ast.Mod: lambda: a % b, ast.BitAnd: lambda: a & b, ast.BitOr: lambda: a | b, ast.BitXor: lambda: a ^ b,
                ast.LShift: lambda: a << b if 0 <= b < 256 else None, ast.RShift: lambda: a >> b if b >= 0 else None,
                ast.Pow: lambda: a ** b if 0 <= b < 64 else None}[type(op)]()
    except (ZeroDivisionError, KeyError):
        return None


def _is_const_node(node: ast.expr, fc: FunctionChecker) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if hasattr(node, "const"):
        return True
    return isinstance(node, (ast.Name, ast.Attribute)) and getattr(node, "ref", ("",))[0] in ("const", "bool", "none", "const_int")


def _always_exits(stmts: list[ast.stmt]) -> bool:
    """True if control never falls off the end of these statements."""
    for s in stmts:
        if isinstance(s, (ast.Return, ast.Raise)):
            return True
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and getattr(s.value, "kt", None) is T.NORETURN:
            return True
        if isinstance(s, ast.If) and s.orelse and _always_exits(s.body) and _always_exits(s.orelse):
            return True
        if isinstance(s, ast.While) and isinstance(s.test, ast.Constant) and s.test.value is True \
                and not any(isinstance(n, ast.Break) for n in _walk_loop_body(s.body)):
            return True
        if isinstance(s, ast.Try) and (_always_exits(s.finalbody) or (
                _always_exits(s.body) and all(_always_exits(h.body) for h in s.handlers))):
            return True
        if isinstance(s, ast.With) and _always_exits(s.body):
            return True
    return False


def _walk_loop_body(stmts: list[ast.stmt]):  # type: ignore[no-untyped-def]
    """Statements of a loop body, not descending into nested loops (their breaks are their own)."""
    for s in stmts:
        yield s
        if isinstance(s, (ast.While, ast.For)):
            continue
        for field_name in ("body", "orelse", "finalbody", "handlers"):
            sub = getattr(s, field_name, None)
            if sub:
                if field_name == "handlers":
                    for h in sub:
                        yield from _walk_loop_body(h.body)
                else:
                    yield from _walk_loop_body(sub)


_OP_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Mod: "%", ast.BitAnd: "&",
               ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>", ast.Div: "/", ast.Pow: "**"}
_CMP_SYMBOLS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_STMT_HINTS = {
    "AsyncFunctionDef": "write a plain def", "FunctionDef": "define functions at module level (no closures)",
    "ClassDef": "define classes at module level", "AsyncFor": "write a plain for loop", "AsyncWith": "use with lock:",
    "Match": "write if/elif/else", "TryStar": "write try/except SysError", "Import": "import at module level",
    "ImportFrom": "import at module level", "TypeAlias": "use the type directly",
}
_EXPR_HINTS = {
    "Lambda": "define a module-level function and call it", "ListComp": "build the list with a for loop and append()",
    "SetComp": "use a Dict or a loop", "DictComp": "build the dict with a for loop", "GeneratorExp": "write a for loop",
    "Await": "Kernel Python has no async", "Yield": "generators are not part of Kernel Python: return a List or use a loop",
    "YieldFrom": "generators are not part of Kernel Python", "Set": "use a Dict[K, bool]", "Starred": "pass each argument explicitly",
    "NamedExpr": "assign on its own line first", "Slice": "copy with a loop or memcpy()",
}
