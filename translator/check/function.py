"""Stage 3b, check function bodies: locals and their inferred types, statements, control flow, exceptions."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Optional

from translator.check import types as T
from translator.check.builtins_check import BuiltinCalls
from translator.check.exprs import ExprChecks
from translator.check.program import DeclChecker, FuncSig, lookup
from translator.diagnostics import SourceFile
from translator.resolve import BuiltinSym, FuncSym, GlobalSym, ModuleInfo


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
    indirect: bool = False            # calls through a Callable value
    indirect_uncaught: bool = False   # ... outside try/except: they may raise


LVALUE_NODES = (ast.Name, ast.Attribute, ast.Subscript)


class FunctionChecker(ExprChecks, BuiltinCalls):
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
        if self.fs.naked:
            self.check_naked(node)
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

    def check_naked(self, node: ast.FunctionDef) -> None:
        """A @naked function has no prologue: its body may only be asm("...", "") statements (no operands)."""
        body = node.body[1:] if node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant) \
            and isinstance(node.body[0].value.value, str) else node.body
        if not body:
            raise self.err(node, "a @naked function needs a body of asm(...) statements", 'write asm("...", "")')
        for s in body:
            call = s.value if isinstance(s, ast.Expr) else None
            if not (isinstance(call, ast.Call) and self.is_builtin(call.func, "asm") and len(call.args) == 2 and not call.keywords
                    and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in call.args)):
                raise self.err(s, "a @naked function's body may only be asm(\"...\", \"\") statements",
                               "naked code has no stack frame: reach parameters through their registers in the asm text")
            self.expr(call)

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
        if isinstance(s.op, (ast.LShift, ast.RShift)) and vt is T.LITERAL:
            self.shift_count(s.value, tt)  # the count is not converted (language.md 6.1)
        else:
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

def _stores_by_copy(container: ast.expr) -> bool:
    """True if storing a struct into a field/element of `container` copies it in CPython too.

    A @struct field, an Array element and raw memory behind a Ptr hold bytes, so the runtime library
    stores a copy there: no `.copy()` is needed. Class fields, List elements and names share the object.
    """
    t = T.strip_optional(getattr(container, "kt", None))  # type: ignore[arg-type]
    return isinstance(t, (T.StructType, T.ArrayType, T.PtrType))


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


_STMT_HINTS = {
    "AsyncFunctionDef": "write a plain def", "FunctionDef": "define functions at module level (no closures)",
    "ClassDef": "define classes at module level", "AsyncFor": "write a plain for loop", "AsyncWith": "use with lock:",
    "Match": "write if/elif/else", "TryStar": "write try/except SysError", "Import": "import at module level",
    "ImportFrom": "import at module level", "TypeAlias": "use the type directly",
}
