"""Stage 3d, check expressions: literals, names, operators, comparisons, subscripts, f-strings, displays."""
from __future__ import annotations

import ast
from typing import Optional

from translator.check import types as T
from translator.check.program import ERRNO, lookup
from translator.resolve import BuiltinSym, ClassSym, ConstSym, FuncSym, GlobalSym, ModuleSym


class ExprChecks:
    """Mixin of FunctionChecker: everything about expressions except calls."""

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
            ft = self.decl.func_value(self.mod, sym, node)
            node.ref = ("func", sym)  # type: ignore[attr-defined]
            return ft
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
            shift = isinstance(node.op, (ast.LShift, ast.RShift))
            for side in (node.left, node.right):
                if side.kt is T.LITERAL:  # type: ignore[attr-defined]
                    if shift and side is node.right:
                        self.shift_count(side, r)
                    else:
                        self.literal_to(side, r)
        return r

    def shift_count(self, node: ast.expr, t: T.IntType) -> None:
        """A literal shift count is not converted to the left operand's type (language.md 6.1).

        Natively the count has that type, so one that does not fit becomes its largest value, which
        is still >= the width and gives the same 0 (or -1) as CPython's unconverted count; a negative
        constant count is refused (CPython raises ValueError, an unsigned native count would wrap).
        """
        c = getattr(node, "const", None)
        if c is None:
            self.literal_to(node, t)
            return
        if c < 0:
            raise self.err(node, f"negative shift count {c}", "a shift count must be 0 or more: shift the other way")
        self.literal_to(node, t)
        node.const = min(c, t.max)  # type: ignore[attr-defined]

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
                        # Two literals compare as i64 natively, exactly under CPython: both must fit.
                        for side in (left, right):
                            c = getattr(side, "const", None)
                            if c is not None and not (T.I64.min <= c <= T.I64.max):
                                raise self.err(side, f"{ast.unparse(side)} does not fit in int (i64), the type of a comparison between literals",
                                               f"give it a type: write u64({ast.unparse(side)})")
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


_OP_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Mod: "%", ast.BitAnd: "&",
               ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>", ast.Div: "/", ast.Pow: "**"}
_CMP_SYMBOLS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_EXPR_HINTS = {
    "Lambda": "define a module-level function and call it", "ListComp": "build the list with a for loop and append()",
    "SetComp": "use a Dict or a loop", "DictComp": "build the dict with a for loop", "GeneratorExp": "write a for loop",
    "Await": "Kernel Python has no async", "Yield": "generators are not part of Kernel Python: return a List or use a loop",
    "YieldFrom": "generators are not part of Kernel Python", "Set": "use a Dict[K, bool]", "Starred": "pass each argument explicitly",
    "NamedExpr": "assign on its own line first", "Slice": "copy with a loop or memcpy()",
}
