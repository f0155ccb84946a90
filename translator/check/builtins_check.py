"""Stage 3c, check calls: functions, methods, constructors and the runtime library's built-in operations."""
from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Optional

from translator.check import types as T
from translator.check.program import lookup
from translator.resolve import BuiltinSym, ClassSym, FuncSym, ModuleSym

if TYPE_CHECKING:  # pragma: no cover
    from translator.check.function import FunctionChecker

U64_ARGS = ("memcpy", "memset", "memcmp")
MMIO_READ = {"mmio_read8": T.U8, "mmio_read16": T.U16, "mmio_read32": T.U32, "mmio_read64": T.U64}
MMIO_WRITE = {"mmio_write8": T.U8, "mmio_write16": T.U16, "mmio_write32": T.U32, "mmio_write64": T.U64}
PORT_IN = {"inb": T.U8, "inw": T.U16, "inl": T.U32}
PORT_OUT = {"outb": T.U8, "outw": T.U16, "outl": T.U32}
INTRINSICS = set(PORT_IN) | set(PORT_OUT) | {"asm", "asm_u64", "compiler_barrier", "memory_barrier", "cpu_relax", "halt"}


class BuiltinCalls:
    """Mixin of FunctionChecker: everything about call expressions."""

    def is_builtin(self: "FunctionChecker", node: ast.expr, name: str) -> bool:
        """True if `node` names the built-in `name` (directly or through a module alias)."""
        if isinstance(node, ast.Name) and node.id in self.info.locals:
            return False
        sym = self.decl.type_symbol(self.mod, node)
        return isinstance(sym, BuiltinSym) and sym.name == name

    def call(self: "FunctionChecker", node: ast.Call, expected: Optional[T.KType]) -> T.KType:
        """Check a call expression and record its meaning in node.ck."""
        from translator.check.function import CallInfo
        for a in node.args:
            if isinstance(a, ast.Starred):
                raise self.err(a, "*args in calls is not part of Kernel Python", "pass each argument explicitly")
        for k in node.keywords:
            if k.arg is None:
                raise self.err(k, "**kwargs in calls is not part of Kernel Python", "pass each keyword explicitly")
        f = node.func
        if (isinstance(f, ast.Name) and f.id in self.info.locals) or (
                isinstance(f, ast.Subscript) and not isinstance(self.decl.type_symbol(self.mod, f.value), BuiltinSym)):
            return self.indirect_call(node, f)
        if isinstance(f, ast.Subscript):
            base = self.decl.type_symbol(self.mod, f.value)
            if isinstance(base, BuiltinSym) and base.name == "Ptr":
                pt = self.decl.ann_type(self.mod, f)
                self.nargs(node, 1)
                at = self.expr(node.args[0])
                if not (T.is_int(at) or isinstance(at, T.PtrType)):
                    raise self.err(node.args[0], f"Ptr[...] takes an address (an integer), not {at!r}", "pass a u64 address")
                if at is T.LITERAL:
                    self.coerce(node.args[0], at, T.U64)
                node.ck = CallInfo("ptr_new", pt, [node.args[0]])  # type: ignore[attr-defined]
                return pt
            if isinstance(base, BuiltinSym) and base.name == "Weak":
                wt = self.decl.ann_type(self.mod, f)
                self.nargs(node, 1)
                self.expr(node.args[0], wt.inner)  # type: ignore[attr-defined]
                node.ck = CallInfo("weak_new", wt, [node.args[0]])  # type: ignore[attr-defined]
                return wt
            raise self.err(f, f"'{ast.unparse(f)}' cannot be called", "call a function, a class, or Ptr[T](address)")
        if isinstance(f, ast.Attribute):
            if isinstance(f.value, ast.Subscript) and f.attr == "null":
                base = self.decl.type_symbol(self.mod, f.value.value)
                if isinstance(base, BuiltinSym) and base.name == "Ptr":
                    pt = self.decl.ann_type(self.mod, f.value)
                    self.nargs(node, 0)
                    node.ck = CallInfo("ptr_null", pt)  # type: ignore[attr-defined]
                    return pt
            is_local = isinstance(f.value, ast.Name) and f.value.id in self.info.locals
            sym = None if is_local else self.decl.type_symbol(self.mod, f.value)
            if isinstance(sym, ModuleSym):
                target = sym.module.symbols.get(f.attr)
                if target is None:
                    raise self.err(f, f"module '{sym.module.name}' has no name '{f.attr}'", "check the spelling")
                return self.call_symbol(node, target, f.attr, expected)
            if isinstance(sym, BuiltinSym) and sym.name == "<module>":
                return self.call_symbol(node, BuiltinSym(f.attr, sym.module), f.attr, expected)
            if isinstance(sym, ClassSym):
                return self.explicit_method_call(node, sym, f)
            return self.method_call(node, f, expected)
        if isinstance(f, ast.Name):
            if f.id in self.info.locals:
                raise self.err(f, f"'{f.id}' is a local variable, not a function", "call a module-level function")
            sym = lookup(self.mod, f.id)
            if sym is None:
                raise self.err(f, f"name '{f.id}' is not defined", "define or import it")
            return self.call_symbol(node, sym, f.id, expected)
        raise self.err(f, "only named functions and methods can be called", "call a function by its name")

    def indirect_call(self: "FunctionChecker", node: ast.Call, f: ast.expr) -> T.KType:
        """A call through a Callable value (a local or a table element): positional arguments only."""
        from translator.check.function import CallInfo
        ft = self.expr(f)
        if not isinstance(ft, T.FuncType):
            what = f"'{f.id}' is a local variable, not a function" if isinstance(f, ast.Name) else f"'{ast.unparse(f)}' cannot be called"
            raise self.err(f, what, "call a module-level function, or a Callable value")
        self.nargs(node, len(ft.params), ast.unparse(f))
        for a, pt in zip(node.args, ft.params):
            t = self.expr(a, pt)
            if t is T.LITERAL:
                self.coerce(a, t, pt)
        node.ck = CallInfo("indirect", ft, list(node.args), recv=f)  # type: ignore[attr-defined]
        # Every function of a Callable type has the raising ABI.
        self.info.indirect = True
        if not self.try_depth:
            self.info.indirect_uncaught = True
        return ft.ret

    def explicit_method_call(self: "FunctionChecker", node: ast.Call, sym: ClassSym, f: ast.Attribute) -> T.KType:
        """`Base.method(self, ...)`: a direct (never virtual) call of the method Base has or inherits."""
        from translator.check.function import CallInfo
        ct = self.decl.class_type(sym)
        if not isinstance(ct, T.ClassType):
            raise self.err(f, "class-level functions are not supported", "call the method on an instance, or use a module function")
        m = ct.method(f.attr)
        if m is None:
            raise self.err(f, f"{ct.name} has no method '{f.attr}'", "check the method name")
        if not node.args:
            raise self.err(node, f"{ct.name}.{f.attr}() needs the instance as its first argument", f"write {ct.name}.{f.attr}(self, ...)")
        args = self.bind_args(node, m.func, skip_self=False)  # type: ignore[arg-type]
        node.ck = CallInfo("func", m.func, args)  # type: ignore[attr-defined]
        self.note_call(m.func)  # type: ignore[arg-type]
        return self.decl.signature(m.func).ret  # type: ignore[arg-type]

    def nargs(self: "FunctionChecker", node: ast.Call, n: int, name: str = "") -> None:
        """Require exactly n positional arguments and no keywords."""
        if len(node.args) != n or node.keywords:
            what = name or ast.unparse(node.func)
            raise self.err(node, f"{what}() takes {n} argument{'s' if n != 1 else ''}", f"pass {n} positional argument(s)")

    def bind_args(self: "FunctionChecker", node: ast.Call, fs: FuncSym, skip_self: bool) -> list:
        """Match positional and keyword arguments to parameters; fill defaults; check types."""
        sig = self.decl.signature(fs)
        params = sig.params[1:] if skip_self else sig.params
        out: list = [None] * len(params)
        if len(node.args) > len(params):
            raise self.err(node, f"{fs.name}() takes {len(params)} argument(s), {len(node.args)} given", "remove the extra arguments")
        for i, a in enumerate(node.args):
            out[i] = a
        for k in node.keywords:
            idx = next((i for i, p in enumerate(params) if p.name == k.arg), -1)
            if idx < 0:
                raise self.err(k, f"{fs.name}() has no parameter '{k.arg}'", "check the parameter names: " + ", ".join(p.name for p in params))
            if out[idx] is not None:
                raise self.err(k, f"parameter '{k.arg}' given twice", "pass it once")
            out[idx] = k.value
        for i, p in enumerate(params):
            if out[i] is None:
                if p.default is None:
                    raise self.err(node, f"{fs.name}() is missing argument '{p.name}'", f"pass {p.name}=...")
                out[i] = p.default
                continue
            t = self.expr(out[i], p.type)
            if t is T.LITERAL:
                self.coerce(out[i], t, p.type)
        return out

    def call_symbol(self: "FunctionChecker", node: ast.Call, sym: object, name: str, expected: Optional[T.KType]) -> T.KType:
        """A call of a module-level symbol: function, class, or built-in."""
        from translator.check.function import CallInfo
        if isinstance(sym, FuncSym):
            args = self.bind_args(node, sym, skip_self=False)
            node.ck = CallInfo("func", sym, args)  # type: ignore[attr-defined]
            self.note_call(sym)
            return self.decl.signature(sym).ret
        if isinstance(sym, ClassSym):
            ct = self.decl.class_type(sym)
            if isinstance(ct, T.StructType):
                return self.struct_ctor(node, ct)
            assert isinstance(ct, T.ClassType)
            init = ct.method("__init__")
            if init is None:
                if node.args or node.keywords:
                    raise self.err(node, f"{ct.name} has no __init__ and takes no arguments", "define __init__ or call it without arguments")
                node.ck = CallInfo("new", ct, [], extra=None)  # type: ignore[attr-defined]
                return ct
            args = self.bind_args(node, init.func, skip_self=True)  # type: ignore[arg-type]
            node.ck = CallInfo("new", ct, args, extra=init.func)  # type: ignore[attr-defined]
            self.note_call(init.func)  # type: ignore[arg-type]
            return ct
        if isinstance(sym, BuiltinSym):
            return self.builtin_call(node, sym, expected)
        raise self.err(node.func, f"'{name}' cannot be called", "call a function or a class")

    def note_call(self: "FunctionChecker", fs: FuncSym) -> None:
        """Record a call for the may-raise analysis."""
        self.info.calls.append(fs)
        if not self.try_depth:
            self.info.uncaught_calls.append(fs)

    def struct_ctor(self: "FunctionChecker", node: ast.Call, st: T.StructType) -> T.KType:
        """S(a, b, field=c): each given field converted to its type, others zero."""
        from translator.check.function import CallInfo
        vals: list = [None] * len(st.fields)
        if len(node.args) > len(st.fields):
            raise self.err(node, f"{st.name} has {len(st.fields)} fields, {len(node.args)} values given", "remove the extra values")
        for i, a in enumerate(node.args):
            vals[i] = a
        for k in node.keywords:
            f = st.field(k.arg)  # type: ignore[arg-type]
            if f is None:
                raise self.err(k, f"{st.name} has no field '{k.arg}'", "fields: " + ", ".join(x.name for x in st.fields))
            if vals[f.index] is not None:
                raise self.err(k, f"field '{k.arg}' given twice", "give it once")
            vals[f.index] = k.value
        for f, v in zip(st.fields, vals):
            if v is not None:
                self.expr(v, f.type)  # a struct argument is stored by copy, in CPython too
        node.ck = CallInfo("new_struct", st, vals)  # type: ignore[attr-defined]
        return st

    def builtin_call(self: "FunctionChecker", node: ast.Call, sym: BuiltinSym, expected: Optional[T.KType]) -> T.KType:
        """A call of a runtime-library or Python built-in name."""
        from translator.check.function import CallInfo
        n = sym.name
        if n in INTRINSICS and not self.mod.allow_intrinsics:
            raise self.err(node, f"{n}() is an intrinsic, allowed only under arch/", "call it from arch code")
        ck = CallInfo("builtin", n, list(node.args))
        node.ck = ck  # type: ignore[attr-defined]
        if n in T.INT_TYPES:
            self.nargs(node, 1, n)
            at = self.expr(node.args[0])
            if not (T.is_int(at) or at == T.BOOL):
                raise self.err(node.args[0], f"cannot convert {at!r} to {n}", "convert integers or bool")
            if at is T.LITERAL:
                t = T.INT_TYPES[n]
                node.args[0].kt = T.I64 if not isinstance(t, T.IntType) else t  # type: ignore[attr-defined]
                if hasattr(node.args[0], "const"):
                    node.const = t.wrap(node.args[0].const)  # type: ignore[attr-defined]
                    node.args[0].kt = T.I64 if -(1 << 63) <= node.args[0].const < (1 << 63) else T.U64  # type: ignore[attr-defined]
                    node.args[0].const = node.args[0].kt.wrap(node.args[0].const)  # type: ignore[attr-defined]
            ck.kind, ck.target = "convert", T.INT_TYPES[n]
            return T.INT_TYPES[n]
        if n == "len":
            self.nargs(node, 1, n)
            t = self.expr(node.args[0])
            if isinstance(t, T.ArrayType):
                node.const = t.count  # type: ignore[attr-defined]
            elif not isinstance(t, (T.ListType, T.DictType, T.BytesType, T.StrType)):
                raise self.err(node.args[0], f"len() of {t!r} is not supported", "use len() on List, Dict, bytes, str or Array")
            return T.I64
        if n == "isinstance":
            self.nargs(node, 2, n)
            t = T.strip_optional(self.expr(node.args[0]))
            csym = self.decl.type_symbol(self.mod, node.args[1])
            if not isinstance(t, T.ClassType) or not isinstance(csym, ClassSym) or csym.is_struct:
                raise self.err(node, "isinstance() takes an object and a class", "write isinstance(obj, SomeClass)")
            ck.kind, ck.target = "isinstance", csym.type
            return T.BOOL
        if n in ("min", "max"):
            if len(node.args) != 2 or node.keywords:
                raise self.err(node, f"{n}() takes two integers", f"write {n}(a, b)")
            a, b = self.expr(node.args[0]), self.expr(node.args[1])
            if not (T.is_int(a) and T.is_int(b)):
                raise self.err(node, f"{n}() takes integers", f"write {n}(a, b) with integers")
            t = self.int_result(node, a, b, n)
            if t is T.LITERAL:
                t = expected if isinstance(expected, T.IntType) else T.I64
            for x in node.args:
                self.coerce(x, x.kt, t)  # type: ignore[attr-defined]
            return t
        if n == "abs":
            self.nargs(node, 1, n)
            t = self.expr(node.args[0])
            if not T.is_int(t):
                raise self.err(node, "abs() takes an integer", "pass an integer")
            return T.I64 if t is T.LITERAL else t
        if n in ("sizeof", "alignof"):
            self.nargs(node, 1, n)
            t = self.decl.ann_type(self.mod, node.args[0])
            node.args[0].kt = t  # type: ignore[attr-defined]
            node.const = t.size if n == "sizeof" else t.align  # type: ignore[attr-defined]
            ck.kind = "const"
            return T.LITERAL
        if n == "offsetof":
            self.nargs(node, 2, n)
            t = self.decl.ann_type(self.mod, node.args[0])
            fld = node.args[1]
            if not isinstance(t, T.StructType) or not (isinstance(fld, ast.Constant) and isinstance(fld.value, str)):
                raise self.err(node, "offsetof() takes a @struct and a field name string", 'write offsetof(Stat, "st_size")')
            fi = self.field_of(t, fld.value, fld)
            node.const = fi.offset  # type: ignore[attr-defined]
            ck.kind = "const"
            return T.LITERAL
        if n in ("panic", "kprint", "kwrite", "kerror", "kwarn", "kinfo", "kdebug"):
            self.nargs(node, 1, n)
            self.expr(node.args[0], T.STR)
            return T.NORETURN if n == "panic" else T.NONE
        if n in U64_ARGS:
            self.nargs(node, 3, n)
            for a in node.args:
                self.expr(a, T.U64)
            return T.I64 if n == "memcmp" else T.NONE
        if n in ("volatile_load", "atomic_load"):
            self.nargs(node, 1, n)
            pt = self.expr(node.args[0])
            if not isinstance(pt, T.PtrType) or not (isinstance(pt.elem, T.IntType) or pt.elem == T.BOOL):
                raise self.err(node.args[0], f"{n}() takes a Ptr to an integer", f"write {n}(Ptr[u32](addr))")
            return pt.elem
        if n in ("volatile_store", "atomic_store", "atomic_fetch_add", "atomic_swap"):
            self.nargs(node, 2, n)
            pt = self.expr(node.args[0])
            if not isinstance(pt, T.PtrType) or not (isinstance(pt.elem, T.IntType) or pt.elem == T.BOOL):
                raise self.err(node.args[0], f"{n}() takes a Ptr to an integer", f"write {n}(Ptr[u32](addr), value)")
            self.expr(node.args[1], pt.elem)
            return T.NONE if n.endswith("store") else pt.elem
        if n == "atomic_cmpxchg":
            self.nargs(node, 3, n)
            pt = self.expr(node.args[0])
            if not isinstance(pt, T.PtrType) or not isinstance(pt.elem, T.IntType):
                raise self.err(node.args[0], "atomic_cmpxchg() takes a Ptr to an integer", "write atomic_cmpxchg(p, expected, new)")
            self.expr(node.args[1], pt.elem)
            self.expr(node.args[2], pt.elem)
            return T.BOOL
        if n in MMIO_READ:
            self.nargs(node, 1, n)
            self.expr(node.args[0], T.U64)
            return MMIO_READ[n]
        if n in MMIO_WRITE:
            self.nargs(node, 2, n)
            self.expr(node.args[0], T.U64)
            self.expr(node.args[1], MMIO_WRITE[n])
            return T.NONE
        if n in PORT_IN:
            self.nargs(node, 1, n)
            self.expr(node.args[0], T.U16)
            return PORT_IN[n]
        if n in PORT_OUT:
            self.nargs(node, 2, n)
            self.expr(node.args[0], T.U16)
            self.expr(node.args[1], PORT_OUT[n])
            return T.NONE
        if n in ("compiler_barrier", "memory_barrier", "cpu_relax", "halt"):
            self.nargs(node, 0, n)
            return T.NONE
        if n in ("asm", "asm_u64"):
            if len(node.args) < 2 or node.keywords or not all(
                    isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args[:2]):
                raise self.err(node, f"{n}() takes a template string literal, a constraint string literal and operands",
                               f'write {n}("mov %cr3, $0", "=r")')
            for a in node.args[2:]:
                t = self.expr(a)
                if not (T.is_int(t) or isinstance(t, T.PtrType)):
                    raise self.err(a, "asm operands are integers or Ptr values", "pass u64 values")
                if t is T.LITERAL:
                    self.coerce(a, t, T.U64)
            return T.U64 if n == "asm_u64" else T.NONE
        if n == "Weak":
            self.nargs(node, 1, n)
            t = T.strip_optional(self.expr(node.args[0]))
            if not isinstance(t, T.ClassType):
                raise self.err(node.args[0], "Weak() takes an object", "write Weak(obj)")
            ck.kind, ck.target = "weak_new", T.WeakType(t)
            return ck.target  # type: ignore[return-value]
        if n == "SpinLock":
            self.nargs(node, 0, n)
            ck.kind = "new_lock"
            return T.SPINLOCK
        if n in T.ATOMIC_TYPES:
            at = T.ATOMIC_TYPES[n]
            self.nargs(node, 1, n)
            self.expr(node.args[0], at.inner)
            ck.kind, ck.target = "new_atomic", at
            return at
        if n in ("bytes", "bytearray"):
            self.nargs(node, 1, n)
            t = self.expr(node.args[0])
            if not T.is_int(t):
                raise self.err(node.args[0], f"{n}(n) takes a length", f"write {n}(16) for 16 zero bytes")
            if t is T.LITERAL:
                self.coerce(node.args[0], t, T.I64)
            ck.kind = "new_bytes"
            return T.BYTES if n == "bytes" else T.BYTEARRAY
        if n == "SysError":
            raise self.err(node, "SysError(...) can only be raised", "write raise SysError(errno)")
        if n == "print":
            raise self.err(node, "print() is not available in the kernel", "use kprint(f\"...\")")
        if n == "range":
            raise self.err(node, "range() is only allowed as the iterable of a for loop", "write for i in range(n):")
        if n in ("list", "dict"):
            raise self.err(node, f"{n}() is not supported", "write [] or {} with an annotation")
        if n == "super":
            raise self.err(node, "super() is not supported yet", "call the base class method explicitly: Base.method(self, ...)")
        raise self.err(node.func, f"'{n}' cannot be called in Kernel Python", "see docs/language.md for the built-ins")

    def method_call(self: "FunctionChecker", node: ast.Call, f: ast.Attribute, expected: Optional[T.KType]) -> T.KType:
        """obj.method(...) for classes, structs, Ptr, atomics, locks, containers and Weak."""
        from translator.check.function import CallInfo
        rt = self.expr(f.value)
        name = f.attr
        inner = T.strip_optional(rt)
        if isinstance(inner, T.ClassType):
            m = inner.method(name)
            if m is None:
                raise self.err(f, f"{inner.name} has no method '{name}'", "check the method name")
            args = self.bind_args(node, m.func, skip_self=True)  # type: ignore[arg-type]
            virtual = m.slot >= 0 and _overridden(inner, m)
            node.ck = CallInfo("method", m.func, args, recv=f.value, virtual=virtual, extra=m)  # type: ignore[attr-defined]
            if virtual:
                for c in _subtree(inner):
                    self.note_call(c.vtable[m.slot].func)  # type: ignore[arg-type]
            else:
                self.note_call(m.func)  # type: ignore[arg-type]
            return self.decl.signature(m.func).ret  # type: ignore[arg-type]
        if isinstance(inner, (T.StructType, T.ArrayType)) and name == "copy":
            self.nargs(node, 0, "copy")
            node.ck = CallInfo("copy", inner, [], recv=f.value)  # type: ignore[attr-defined]
            return inner
        if isinstance(inner, T.StructType):
            fs = getattr(inner, "methods", {}).get(name)
            if fs is None:
                raise self.err(f, f"{inner.name} has no method '{name}'", "check the method name")
            if self.is_fresh(f.value):
                raise self.err(f.value, "calling a struct method on a temporary is not supported", "store the value in a local first")
            args = self.bind_args(node, fs, skip_self=True)
            node.ck = CallInfo("struct_method", fs, args, recv=f.value)  # type: ignore[attr-defined]
            self.note_call(fs)
            return self.decl.signature(fs).ret
        if isinstance(inner, T.PtrType):
            node.ck = CallInfo("ptr_" + name, inner, list(node.args), recv=f.value)  # type: ignore[attr-defined]
            if name == "load":
                self.nargs(node, 0, "load")
                return inner.elem
            if name == "store":
                self.nargs(node, 1, "store")
                self.expr(node.args[0], inner.elem)  # raw memory receives a copy of the bytes
                return T.NONE
            if name == "cast":
                self.nargs(node, 1, "cast")
                et = self.decl.ann_type(self.mod, node.args[0])
                node.ck.target = T.PtrType(et)  # type: ignore[attr-defined]
                return node.ck.target  # type: ignore[attr-defined]
            if name == "is_null":
                self.nargs(node, 0, "is_null")
                return T.BOOL
            raise self.err(f, f"Ptr has no method '{name}'", "use load(), store(v), cast(T), is_null(), p[i], p + n, p.addr")
        if isinstance(inner, T.AtomicType):
            node.ck = CallInfo("atomic_" + name, inner, list(node.args), recv=f.value)  # type: ignore[attr-defined]
            self.need_storage(f.value)
            if name == "load":
                self.nargs(node, 0, name)
                return inner.inner
            if name in ("store", "swap", "fetch_add", "fetch_sub", "fetch_and", "fetch_or"):
                self.nargs(node, 1, name)
                self.expr(node.args[0], inner.inner)
                return T.NONE if name == "store" else inner.inner
            if name == "compare_exchange":
                self.nargs(node, 2, name)
                self.expr(node.args[0], inner.inner)
                self.expr(node.args[1], inner.inner)
                return T.BOOL
            raise self.err(f, f"{inner.name} has no method '{name}'", "use load, store, swap, fetch_add, fetch_sub, fetch_and, fetch_or, compare_exchange")
        if inner == T.SPINLOCK:
            self.need_storage(f.value)
            node.ck = CallInfo("lock_" + name, inner, [], recv=f.value)  # type: ignore[attr-defined]
            self.nargs(node, 0, name)
            if name in ("acquire", "release"):
                return T.NONE
            if name == "locked":
                return T.BOOL
            raise self.err(f, f"SpinLock has no method '{name}'", "use acquire(), release(), locked() or `with lock:`")
        if isinstance(inner, T.WeakType):
            if name != "get":
                raise self.err(f, f"Weak has no method '{name}'", "use .get()")
            self.nargs(node, 0, name)
            node.ck = CallInfo("weak_get", inner, [], recv=f.value)  # type: ignore[attr-defined]
            return T.OptionalType(inner.inner)
        if isinstance(inner, (T.ListType, T.DictType, T.BytesType)):
            return self.container_method(node, f, inner, name)
        raise self.err(f, f"{rt!r} has no method '{name}'", "check the type of the value")

    def need_storage(self: "FunctionChecker", node: ast.expr) -> None:
        """Atomics and locks must be used in place (a global or a field), never copied."""
        if not isinstance(node, (ast.Name, ast.Attribute)) or (
                isinstance(node, ast.Name) and getattr(node, "ref", ("",))[0] == "local"):
            raise self.err(node, "atomics and locks work in place: keep them in a global or a field", "store it in a field or a global")

    def container_method(self: "FunctionChecker", node: ast.Call, f: ast.Attribute, t: T.KType, name: str) -> T.KType:
        """Methods of List, Dict, bytes and bytearray."""
        from translator.check.function import CallInfo
        node.ck = CallInfo(f"{type(t).__name__}_{name}", t, list(node.args), recv=f.value)  # type: ignore[attr-defined]
        if isinstance(t, T.ListType):
            if name == "append":
                self.nargs(node, 1, name)
                self.expr(node.args[0], t.elem)
                self.check_struct_copy(node.args[0], t.elem)
                return T.NONE
            if name == "pop":
                if node.args:
                    self.nargs(node, 1, name)
                    self.expr(node.args[0])
                    self.need_int(node.args[0])
                return t.elem
            if name == "clear":
                self.nargs(node, 0, name)
                return T.NONE
            if name == "insert":
                self.nargs(node, 2, name)
                self.expr(node.args[0])
                self.need_int(node.args[0])
                self.expr(node.args[1], t.elem)
                return T.NONE
        if isinstance(t, T.DictType):
            if name == "get":
                if len(node.args) != 2:
                    raise self.err(node, "Dict.get() takes a key and a default", "write d.get(key, default)")
                self.expr(node.args[0], t.key)
                self.expr(node.args[1], t.value)
                return t.value
            if name == "pop":
                if len(node.args) != 2:
                    raise self.err(node, "Dict.pop() takes a key and a default", "write d.pop(key, default)")
                self.expr(node.args[0], t.key)
                self.expr(node.args[1], t.value)
                return t.value
            if name == "clear":
                self.nargs(node, 0, name)
                return T.NONE
        if isinstance(t, T.BytesType) and t.mutable and name == "append":
            self.nargs(node, 1, name)
            self.expr(node.args[0], T.U8)
            return T.NONE
        raise self.err(f, f"{t!r} has no method '{name}' in Kernel Python",
                       "List: append, pop, insert, clear; Dict: get, pop, clear; bytearray: append")


def _subtree(c: T.ClassType) -> list[T.ClassType]:
    out = [c]
    for s in c.subclasses:
        out.extend(_subtree(s))
    return out


def _overridden(c: T.ClassType, m: T.MethodInfo) -> bool:
    """True if some subclass of c replaces method m (so the call must go through the vtable)."""
    return any(s.vtable[m.slot] is not m for s in _subtree(c))
