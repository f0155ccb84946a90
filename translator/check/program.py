"""Stage 3a, check declarations: type annotations, constants, globals, struct layouts, classes and signatures."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Optional

from translator.check import types as T
from translator.resolve import (BuiltinSym, ClassSym, ConstSym, FuncSym, GlobalSym, ModuleInfo, ModuleSym,
                                Program, Symbol)

PY_BUILTINS = {"int", "bool", "str", "bytes", "bytearray", "len", "range", "isinstance", "min", "max", "abs",
               "list", "dict", "tuple", "object", "print", "Exception", "super"}


def errno_values() -> dict[str, int]:
    """Errno names and numbers, from the runtime library (the single source of truth)."""
    try:
        from asterpy.lang import errno as kerrno  # type: ignore
        return {k: v for k, v in vars(kerrno).items() if k.startswith("E") and isinstance(v, int)}
    except Exception:  # the runtime library is not importable yet
        import errno as pyerrno
        return {k: v for k, v in vars(pyerrno).items() if k.startswith("E") and isinstance(v, int)}


ERRNO = errno_values()


@dataclass
class Param:
    """One function parameter."""

    name: str
    type: T.KType
    default: Optional[ast.expr] = None
    node: Optional[ast.arg] = None


@dataclass
class FuncSig:
    """A checked function signature."""

    params: list[Param]
    ret: T.KType
    is_method: bool = False

    def param_index(self, name: str) -> int:
        """Index of the parameter called `name`, or -1."""
        for i, p in enumerate(self.params):
            if p.name == name:
                return i
        return -1


@dataclass
class ProgramInfo:
    """Everything the declaration checker learned, used by the body checker and the lowering."""

    program: Program
    structs: list[T.StructType] = field(default_factory=list)
    classes: list[T.ClassType] = field(default_factory=list)
    functions: list[FuncSym] = field(default_factory=list)
    consts: list[ConstSym] = field(default_factory=list)
    globals: list[GlobalSym] = field(default_factory=list)
    class_ids_end: dict[int, int] = field(default_factory=dict)


def lookup(mod: ModuleInfo, name: str) -> Optional[Symbol]:
    """Find a top-level name of `mod`, falling back to the Python builtins the subset knows."""
    sym = mod.symbols.get(name)
    if sym is not None:
        return sym
    if name in PY_BUILTINS or name in ("True", "False", "None"):
        return BuiltinSym(name, "builtins")
    return None


class DeclChecker:
    """Checks every module-level declaration of a program."""

    def __init__(self, program: Program):
        self.info = ProgramInfo(program)
        self.program = program
        # Functions used as values: they all get the raising ABI of calls through a Callable.
        self.func_values: dict[int, FuncSym] = {}

    # ---- type annotations ------------------------------------------------------------------
    def ann_type(self, mod: ModuleInfo, node: Optional[ast.expr], what: str = "annotation") -> T.KType:
        """Evaluate a type annotation to a KType."""
        src = mod.src
        if node is None:
            raise src.error(None, f"missing {what}")
        if isinstance(node, ast.Constant):
            if node.value is None:
                return T.NONE
            if isinstance(node.value, str):
                try:
                    inner = ast.parse(node.value, mode="eval").body
                except SyntaxError:
                    raise src.error(node, f"cannot parse the type in the string '{node.value}'", "write a type expression") from None
                ast.copy_location(inner, node)
                for n in ast.walk(inner):
                    ast.copy_location(n, node)
                return self.ann_type(mod, inner, what)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            left, right = node.left, node.right
            if isinstance(right, ast.Constant) and right.value is None:
                return self._optional(mod, self.ann_type(mod, left), node)
            if isinstance(left, ast.Constant) and left.value is None:
                return self._optional(mod, self.ann_type(mod, right), node)
            raise src.error(node, "union types are not part of Kernel Python", "use Optional[T] (T | None) only")
        sym = self.type_symbol(mod, node)
        if isinstance(sym, ClassSym):
            return self.class_type(sym)
        if isinstance(sym, BuiltinSym):
            n = sym.name
            if n in T.INT_TYPES:
                return T.INT_TYPES[n]
            simple = {"bool": T.BOOL, "str": T.STR, "bytes": T.BYTES, "bytearray": T.BYTEARRAY, "None": T.NONE,
                      "SpinLock": T.SPINLOCK, "NoReturn": T.NORETURN, "Never": T.NORETURN}
            if n in simple:
                return simple[n]
            if n in T.ATOMIC_TYPES:
                return T.ATOMIC_TYPES[n]
            if n in ("Final",):
                raise src.error(node, "Final is only allowed on module constants", "write NAME: Final = value at module level")
        if isinstance(node, ast.Subscript):
            base = self.type_symbol(mod, node.value)
            args = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
            bn = base.name if isinstance(base, BuiltinSym) else ""
            if bn == "Ptr" and len(args) == 1:
                return T.PtrType(self.ann_type(mod, args[0]))
            if bn in ("List", "list") and len(args) == 1:
                return T.ListType(self.ann_type(mod, args[0]))
            if bn in ("Dict", "dict") and len(args) == 2:
                k = self.ann_type(mod, args[0])
                if not (isinstance(k, T.IntType) or k in (T.BOOL, T.STR, T.BYTES)):
                    raise src.error(args[0], f"dictionary keys of type {k!r} are not supported", "use an integer, str or bytes key")
                return T.DictType(k, self.ann_type(mod, args[1]))
            if bn == "Optional" and len(args) == 1:
                return self._optional(mod, self.ann_type(mod, args[0]), node)
            if bn == "Weak" and len(args) == 1:
                inner = self.ann_type(mod, args[0])
                if not isinstance(inner, T.ClassType):
                    raise src.error(args[0], "Weak[T] needs a class type", "write Weak[SomeClass]")
                return T.WeakType(inner)
            if bn in ("Tuple", "tuple"):
                return T.TupleType(tuple(self.ann_type(mod, a) for a in args))
            if bn == "Callable" and len(args) == 2 and isinstance(args[0], ast.List):
                params = tuple(self._func_value_part(mod, a) for a in args[0].elts)
                ret = self.ann_type(mod, args[1])
                if ret != T.NONE:
                    ret = self._func_value_part(mod, args[1])
                return T.FuncType(params, ret)
            if bn == "Array" and len(args) == 2:
                elem = self.ann_type(mod, args[0])
                n = self.const_int(mod, args[1])
                if n <= 0:
                    raise src.error(args[1], "an Array needs a positive length", "write Array[T, N] with N > 0")
                return T.ArrayType(elem, n)
            if bn == "Final":
                raise src.error(node, "Final is only allowed on module constants", "write NAME: Final[T] = value at module level")
        raise src.error(node, f"'{ast.unparse(node)}' is not a Kernel Python type",
                        "use u8..u64, i8..i64, usize, int, bool, str, Ptr[T], Optional[C], List[T], Dict[K, V], a @struct or a class")

    def _func_value_part(self, mod: ModuleInfo, node: ast.expr) -> T.KType:
        """A parameter or result type of a Callable: an integer, bool or Ptr (no objects or structs)."""
        t = self.ann_type(mod, node)
        if not (isinstance(t, (T.IntType, T.PtrType)) or t == T.BOOL):
            raise mod.src.error(node, f"a Callable cannot take or return {t!r}", "use integers, bool or Ptr[T] in a Callable")
        return t

    def func_value(self, mod: ModuleInfo, fs: FuncSym, node: ast.AST) -> T.FuncType:
        """The Callable type of function fs used as a value (recorded: it gets the raising ABI)."""
        if fs.owner is not None:
            raise mod.src.error(node, f"method '{fs.name}' cannot be used as a value", "use a module-level function")
        if fs.export or fs.extern:
            raise mod.src.error(node, f"exported or external function '{fs.name}' cannot be used as a value",
                                "wrap it in a plain module-level function")
        sig = self.signature(fs)
        for p in sig.params:
            if not (isinstance(p.type, (T.IntType, T.PtrType)) or p.type == T.BOOL):
                raise mod.src.error(node, f"function '{fs.name}' takes {p.type!r}: it cannot be used as a value",
                                    "only functions of integers, bool and Ptr[T] can be used as values")
        if not (isinstance(sig.ret, (T.IntType, T.PtrType)) or sig.ret in (T.BOOL, T.NONE)):
            raise mod.src.error(node, f"function '{fs.name}' returns {sig.ret!r}: it cannot be used as a value",
                                "only functions returning an integer, bool, Ptr[T] or None can be used as values")
        self.func_values[id(fs)] = fs
        return T.FuncType(tuple(p.type for p in sig.params), sig.ret)

    def _optional(self, mod: ModuleInfo, inner: T.KType, node: ast.AST) -> T.KType:
        if not inner.is_object:
            raise mod.src.error(node, f"Optional[{inner!r}] is not supported: only objects can be None",
                                "use a sentinel value (e.g. 0 or -1) for plain integers, or an object type")
        return inner if isinstance(inner, T.OptionalType) else T.OptionalType(inner)

    def type_symbol(self, mod: ModuleInfo, node: ast.expr) -> Optional[Symbol]:
        """Resolve a Name or module.Name to its symbol (None if it is not a plain reference)."""
        if isinstance(node, ast.Name):
            return lookup(mod, node.id)
        if isinstance(node, ast.Attribute):
            base = self.type_symbol(mod, node.value)
            if isinstance(base, ModuleSym):
                return base.module.symbols.get(node.attr)
            if isinstance(base, BuiltinSym) and base.name == "<module>":
                return BuiltinSym(node.attr, base.module)
        return None

    # ---- constants ---------------------------------------------------------------------------
    def const_int(self, mod: ModuleInfo, node: ast.expr) -> int:
        """Evaluate a constant integer expression (array lengths and the like)."""
        t, v = self.const_eval(mod, node)
        if not isinstance(v, int) or isinstance(v, bool):
            raise mod.src.error(node, "expected a constant integer", "write an integer literal or a Final constant")
        return v

    def const_eval(self, mod: ModuleInfo, node: ast.expr) -> tuple[T.KType, object]:
        """Evaluate a constant expression to (type, Python value); raises if it is not constant."""
        src = mod.src
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool):
                return T.BOOL, v
            if isinstance(v, int):
                return T.LITERAL, v
            if isinstance(v, str):
                return T.STR, v
            if isinstance(v, bytes):
                return T.BYTES, v
            if v is None:
                return T.NONE, None
            if isinstance(v, (float, complex)):
                raise src.error(node, "floating-point numbers are not part of Kernel Python",
                                "use integers (for example fixed point)")
        elif isinstance(node, (ast.Name, ast.Attribute)):
            sym = self.type_symbol(mod, node)
            if isinstance(sym, ConstSym):
                self.check_const(sym)
                return sym.type, sym.value  # type: ignore[return-value]
            if isinstance(sym, FuncSym):
                return self.func_value(mod, sym, node), T.FuncRef(sym)
            if isinstance(sym, BuiltinSym):
                if sym.name in ERRNO:
                    return T.LITERAL, ERRNO[sym.name]
                if sym.name in ("True", "False"):
                    return T.BOOL, sym.name == "True"
        elif isinstance(node, ast.UnaryOp):
            t, v = self.const_eval(mod, node.operand)
            if isinstance(node.op, ast.Not):
                return T.BOOL, not v
            if isinstance(v, int) and not isinstance(v, bool):
                r = {ast.USub: lambda x: -x, ast.UAdd: lambda x: x, ast.Invert: lambda x: ~x}[type(node.op)](v)
                return t, t.wrap(r) if isinstance(t, T.IntType) else r
        elif isinstance(node, ast.BinOp):
            lt, lv = self.const_eval(mod, node.left)
            rt, rv = self.const_eval(mod, node.right)
            if isinstance(lv, int) and isinstance(rv, int):
                t = lt if isinstance(lt, T.IntType) else rt
                if isinstance(lt, T.IntType) and isinstance(rt, T.IntType) and lt != rt:
                    raise src.error(node, f"cannot mix {lt!r} and {rt!r}", f"convert one explicitly, e.g. {lt!r}(x)")
                r = _const_binop(node.op, lv, rv, t, src, node)
                if t is T.LITERAL and not (-(1 << 63) <= r < (1 << 64)):
                    raise src.error(node, "this constant does not fit in 64 bits (there are no big integers)",
                                    "give an operand a type so the result wraps, e.g. u64(1) << 70")
                return t, r
            if isinstance(lv, str) and isinstance(rv, str) and isinstance(node.op, ast.Add):
                return T.STR, lv + rv
        elif isinstance(node, ast.Call) and not node.keywords and len(node.args) == 1:
            sym = self.type_symbol(mod, node.func)
            if isinstance(sym, BuiltinSym) and sym.name in T.INT_TYPES:
                t = T.INT_TYPES[sym.name]
                _, v = self.const_eval(mod, node.args[0])
                if isinstance(v, int):
                    return t, t.wrap(int(v))
        raise src.error(node, "this value is not a compile-time constant",
                        "module constants and globals start from literals, other constants and u64(...)-style conversions")

    def check_const(self, c: ConstSym) -> None:
        """Evaluate one module constant (detecting cycles)."""
        if c.state == 2:
            return
        src = c.module.src
        if c.state == 1:
            raise src.error(c.node, f"constant '{c.name}' depends on itself", "break the cycle")
        c.state = 1
        ann = c.node.annotation
        if isinstance(ann, ast.Subscript) and isinstance(c.node.value, ast.Tuple):
            t, v = T.NONE, None  # a constant table: coerce_const evaluates each element
        else:
            t, v = self.const_eval(c.module, c.node.value)  # type: ignore[arg-type]
        if isinstance(ann, ast.Subscript):
            want = self.ann_type(c.module, ann.slice)
            t, v = self.coerce_const(c.module, c.node.value, t, v, want)  # type: ignore[arg-type]
        c.type, c.value, c.state = t, v, 2
        self.info.consts.append(c)

    def coerce_const(self, mod: ModuleInfo, node: ast.expr, t: T.KType, v: object, want: T.KType) -> tuple[T.KType, object]:
        """Give a constant value the declared type, checking that it fits."""
        if t == want:
            return t, v
        if t is T.LITERAL and isinstance(want, T.IntType):
            assert isinstance(v, int)
            if not (want.min <= v <= want.max):
                raise mod.src.error(node, f"{v} does not fit in {want!r}", f"write {want!r}({v}) to wrap it explicitly")
            return want, v
        if t is T.NONE and want.is_object:
            return want, None
        if isinstance(want, T.ArrayType) and isinstance(node, ast.Tuple):
            # A constant table: a tuple of constants, one per element (natively a read-only global).
            if len(node.elts) != want.count:
                raise mod.src.error(node, f"{len(node.elts)} values for a {want!r}", f"give exactly {want.count} values")
            vals = []
            for e in node.elts:
                et, ev = self.const_eval(mod, e)
                vals.append(self.coerce_const(mod, e, et, ev, want.elem)[1])
            return want, tuple(vals)
        raise mod.src.error(node, f"a {t!r} value cannot initialise a {want!r}", f"write a {want!r} value")

    # ---- structs and classes -----------------------------------------------------------------
    def class_type(self, cs: ClassSym) -> T.KType:
        """The StructType or ClassType of a class symbol, declared on first use."""
        if cs.type is not None:
            return cs.type  # type: ignore[return-value]
        qual = f"{cs.module.name}.{cs.name}"
        if cs.is_struct:
            st = T.StructType(cs.name, qual, cs.packed)
            cs.type = st
            self._struct_fields(cs, st)
            self.info.structs.append(st)
            return st
        ct = T.ClassType(cs.name, qual)
        cs.type = ct
        self.info.classes.append(ct)
        return ct

    def _struct_fields(self, cs: ClassSym, st: T.StructType) -> None:
        src = cs.module.src
        if cs.node.bases:
            raise src.error(cs.node.bases[0], "a @struct cannot have a base class", "embed the other struct as a field")
        for i, stmt in enumerate(cs.node.body):
            if _is_docstring(stmt, i) or isinstance(stmt, ast.Pass):
                continue
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                if stmt.value is not None:
                    raise src.error(stmt.value, "struct fields cannot have default values here",
                                    "fields start as zero; set them after construction")
                ft = self.ann_type(cs.module, stmt.annotation)
                inner = ft
                while isinstance(inner, T.ArrayType):  # Array[S, N] inside S contains S too
                    inner = inner.elem
                if isinstance(inner, T.StructType) and not inner.complete:
                    raise src.error(stmt, f"struct {inner.name} contains itself", "use a Ptr to it instead")
                if ft.is_object or ft in (T.STR, T.NONE) or isinstance(ft, (T.TupleType, T.AtomicType)):
                    raise src.error(stmt.annotation, f"a @struct field cannot hold {ft!r}",
                                    "struct fields are integers, bool, Ptr[T], Array[T, N] or other structs")
                if st.field(stmt.target.id) is not None:
                    raise src.error(stmt, f"field '{stmt.target.id}' is already declared", "give it another name")
                st.fields.append(T.FieldInfo(stmt.target.id, ft, index=len(st.fields)))
            elif isinstance(stmt, ast.FunctionDef):
                continue  # struct methods are declared in declare_methods
            else:
                raise src.error(stmt, "a @struct body may only declare fields (name: type) and methods",
                                "move other code into a function")
        st.layout()

    def _class_body(self, cs: ClassSym, ct: T.ClassType) -> None:
        src = cs.module.src
        if cs.node.bases:
            b = cs.node.bases[0]
            bsym = self.type_symbol(cs.module, b)
            if isinstance(bsym, BuiltinSym) and bsym.name == "object":
                pass
            elif isinstance(bsym, ClassSym) and not bsym.is_struct:
                ct.base = self.class_type(bsym)  # type: ignore[assignment]
                if ct.base.is_subclass_of(ct):  # type: ignore[union-attr]
                    raise src.error(b, "a class cannot derive from itself", "fix the class hierarchy")
            else:
                raise src.error(b, f"'{ast.unparse(b)}' cannot be a base class",
                                "derive from another Kernel Python class (exceptions: raise SysError(errno) instead)")
        for i, stmt in enumerate(cs.node.body):
            if _is_docstring(stmt, i) or isinstance(stmt, ast.Pass):
                continue
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                if stmt.value is not None:
                    raise src.error(stmt.value, "class fields are declared without a value",
                                    "declare `name: T` in the class body and assign it in __init__")
                ft = self.ann_type(cs.module, stmt.annotation)
                if ct.field(stmt.target.id) is not None:
                    raise src.error(stmt, f"field '{stmt.target.id}' is already declared", "give it another name")
                ct.fields.append(T.FieldInfo(stmt.target.id, ft))
            elif isinstance(stmt, ast.FunctionDef):
                continue
            else:
                raise src.error(stmt, "a class body may only declare fields (name: T) and methods",
                                "class attributes and other statements are not part of Kernel Python; use a module constant")

    def declare_methods(self, cs: ClassSym) -> None:
        """Create FuncSyms for the methods of a class or struct."""
        owner = cs.type
        seen: set[str] = set()
        for stmt in cs.node.body:
            if not isinstance(stmt, ast.FunctionDef):
                continue
            # CPython silently keeps the last of two defs with one name, and an instance field
            # would shadow a method of its name; natively both would exist, so refuse either.
            if stmt.name in seen:
                raise cs.module.src.error(stmt, f"method '{stmt.name}' is defined twice in class {cs.name}",
                                          "give each method its own name (the later def would replace the earlier one)")
            seen.add(stmt.name)
            if owner.field(stmt.name) is not None:  # type: ignore[union-attr]
                raise cs.module.src.error(stmt, f"'{stmt.name}' is both a field and a method of {cs.name}",
                                          "give the field and the method different names")
            for d in stmt.decorator_list:
                raise cs.module.src.error(d, f"method decorator '@{ast.unparse(d)}' is not part of Kernel Python",
                                          "write a plain method, or a module-level function instead of a static method")
            fs = FuncSym(cs.module, stmt.name, stmt, owner)
            if stmt.name.startswith("__") and stmt.name.endswith("__") and stmt.name not in ("__init__", "__del__"):
                raise cs.module.src.error(stmt, f"special method '{stmt.name}' is not supported",
                                          "only __init__ and __del__ (the drop hook) are special in Kernel Python")
            if isinstance(owner, T.StructType):
                if stmt.name in ("__init__", "__del__"):
                    raise cs.module.src.error(stmt, f"a @struct cannot define {stmt.name}",
                                              "structs are plain values: construct them with field values")
                owner_methods = getattr(owner, "methods", None)
                if owner_methods is None:
                    owner.methods = {}  # type: ignore[attr-defined]
                owner.methods[stmt.name] = fs  # type: ignore[attr-defined]
            else:
                assert isinstance(owner, T.ClassType)
                owner.methods[stmt.name] = T.MethodInfo(stmt.name, fs, owner)
                if stmt.name == "__del__":
                    owner.has_drop = True
            cs.module.functions.append(fs)

    def build_vtables(self) -> None:
        """Assign class ids (preorder, so isinstance is a range check) and vtable slots."""
        classes = self.info.classes
        for c in classes:
            if c.base is not None and c not in c.base.subclasses:
                c.base.subclasses.append(c)
        next_id = [1]

        def visit(c: T.ClassType) -> None:
            c.class_id = next_id[0]
            next_id[0] += 1
            c.vtable = list(c.base.vtable) if c.base else []
            if c.base is not None and c.base.has_drop:
                c.has_drop = True
            for name, m in c.methods.items():
                if name == "__init__":
                    continue
                inherited = c.base.method(name) if c.base else None
                if inherited is not None:
                    m.slot = inherited.slot
                    c.vtable[m.slot] = m
                else:
                    m.slot = len(c.vtable)
                    c.vtable.append(m)
            for s in c.subclasses:
                visit(s)
            self.info.class_ids_end[id(c)] = next_id[0]

        for c in classes:
            if c.base is None:
                visit(c)

    # ---- signatures ----------------------------------------------------------------------------
    def signature(self, fs: FuncSym) -> FuncSig:
        """Check a function's annotations and build its signature."""
        if fs.sig is not None:
            return fs.sig  # type: ignore[return-value]
        mod, node = fs.module, fs.node
        src = mod.src
        a = node.args
        if a.vararg or a.kwarg:
            raise src.error(a.vararg or a.kwarg, "*args and **kwargs are not part of Kernel Python",
                            "declare each parameter with its type")
        if a.posonlyargs or a.kwonlyargs:
            raise src.error(node, "positional-only and keyword-only parameters are not supported",
                            "declare plain parameters")
        params: list[Param] = []
        defaults = [None] * (len(a.args) - len(a.defaults)) + list(a.defaults)
        for i, (arg, dflt) in enumerate(zip(a.args, defaults)):
            if i == 0 and fs.owner is not None:
                if arg.annotation is not None and not (isinstance(arg.annotation, ast.Constant) or isinstance(arg.annotation, ast.Name)):
                    pass
                params.append(Param(arg.arg, fs.owner, None, arg))  # type: ignore[arg-type]
                continue
            if arg.annotation is None:
                raise src.error(arg, f"parameter '{arg.arg}' needs a type annotation",
                                f"write {arg.arg}: u64 (or the type it holds)")
            pt = self.ann_type(mod, arg.annotation)
            if pt in (T.NONE, T.NORETURN):
                raise src.error(arg.annotation, f"a parameter cannot have type {pt!r}", "choose a value type")
            params.append(Param(arg.arg, pt, dflt, arg))
        if fs.owner is not None and not params:
            raise src.error(node, "a method needs `self` as its first parameter", "write def name(self, ...)")
        if node.returns is None:
            if node.name in ("__init__", "__del__"):
                ret: T.KType = T.NONE
            else:
                raise src.error(node, f"function '{node.name}' needs a return annotation",
                                "write -> None if it returns nothing")
        else:
            ret = self.ann_type(mod, node.returns)
        if node.name == "__init__" and ret != T.NONE:
            raise src.error(node.returns, "__init__ must return None", "write -> None")
        if fs.export or fs.extern:
            for p in params:
                if not (isinstance(p.type, (T.IntType, T.PtrType)) or p.type == T.BOOL):
                    raise src.error(p.node, f"@export/@extern functions take integers, bool and Ptr only, not {p.type!r}",
                                    "pass raw values (u64 addresses, sizes) across the C boundary")
            if not (isinstance(ret, (T.IntType, T.PtrType)) or ret in (T.BOOL, T.NONE, T.NORETURN)):
                raise src.error(node.returns, f"@export/@extern functions return integers, bool, Ptr or None, not {ret!r}",
                                "return a raw value")
        fs.sig = FuncSig(params, ret, fs.owner is not None)
        return fs.sig  # type: ignore[return-value]

    # ---- the whole program ----------------------------------------------------------------------
    def run(self) -> ProgramInfo:
        """Check every declaration of the program."""
        mods = list(self.program.modules.values())
        for m in mods:
            for cs in m.classes:
                self.class_type(cs)
        for m in mods:
            for cs in m.classes:
                if not cs.is_struct:
                    self._class_body(cs, cs.type)  # type: ignore[arg-type]
                self.declare_methods(cs)
        self.build_vtables()
        for m in mods:
            for c in m.consts:
                self.check_const(c)
            for g in m.globals:
                g.type = self.ann_type(m, g.node.annotation)
                if isinstance(g.type, (T.StructType, T.AtomicType)) or g.type == T.SPINLOCK:
                    g.init = g.node.value  # constructed in place at start-up
                else:
                    t, v = self.const_eval(m, g.node.value)  # type: ignore[arg-type]
                    _, g.init = self.coerce_const(m, g.node.value, t, v, g.type)  # type: ignore[arg-type]
                self.info.globals.append(g)
            for fs in m.functions:
                self.signature(fs)
                self.info.functions.append(fs)
        return self.info


def _is_docstring(stmt: ast.stmt, i: int) -> bool:
    return i == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def _const_binop(op: ast.operator, a: int, b: int, t: T.KType, src, node) -> int:  # type: ignore[no-untyped-def]
    if isinstance(op, (ast.FloorDiv, ast.Mod)) and b == 0:
        raise src.error(node, "division by zero in a constant", "fix the divisor")
    if isinstance(op, (ast.LShift, ast.RShift)) and b < 0:
        raise src.error(node, "negative shift count", "shift by a non-negative amount")
    if isinstance(op, ast.Div):
        raise src.error(node, "'/' is float division, which Kernel Python does not have", "write // for integer division")
    if isinstance(op, ast.Pow):
        if isinstance(t, T.IntType):
            raise src.error(node, "'**' is not supported on fixed-width integers", "write the value, or a shift (1 << n)")
        if b < 0:
            raise src.error(node, "negative exponent", "use a non-negative exponent")
        if b > 64 and a not in (-1, 0, 1):  # the result could not fit in 64 bits: do not build it
            raise src.error(node, "this constant does not fit in 64 bits (there are no big integers)", "use a smaller exponent")
        r = a ** b
    elif isinstance(op, (ast.LShift, ast.RShift)) and b >= 64:
        # Do not build a huge number: typed values give 0 (or -1 for >> of a negative), as at run time.
        if isinstance(op, ast.RShift):
            r = -1 if a < 0 else 0
        elif a == 0 or isinstance(t, T.IntType):
            r = 0
        else:
            raise src.error(node, "this constant does not fit in 64 bits (there are no big integers)",
                            "shift a typed value, e.g. u64(1) << n, which gives 0 past the width")
    else:
        ops = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b, ast.FloorDiv: lambda: a // b,
               ast.Mod: lambda: a % b, ast.BitAnd: lambda: a & b, ast.BitOr: lambda: a | b, ast.BitXor: lambda: a ^ b,
               ast.LShift: lambda: a << b, ast.RShift: lambda: a >> b}
        if type(op) not in ops:
            raise src.error(node, "this operator is not supported on constants", "use + - * // % & | ^ << >>")
        r = ops[type(op)]()
    return t.wrap(r) if isinstance(t, T.IntType) else r
