"""Stage 4a, lower the program: LLVM types, globals, functions, class vtables and the runtime hooks."""
from __future__ import annotations

import ast
import re
from typing import Optional

from llvmlite import ir

from translator.check import CheckedProgram
from translator.check import types as T
from translator.lower import irx
from translator.lower.debuginfo import DebugInfo
from translator.resolve import FuncSym, GlobalSym

I1, I8, I16, I32, I64 = ir.IntType(1), ir.IntType(8), ir.IntType(16), ir.IntType(32), ir.IntType(64)
PTR = ir.PointerType()
VOID = ir.VoidType()
STR_T = ir.LiteralStructType([PTR, I64])
# Object header: reference count, vtable, weak-reference cell (null until a Weak points here).
HEADER = [I64, PTR, PTR]
HEADER_SIZE = 24



class Builder(ir.IRBuilder):
    """An IRBuilder whose allocas are opaque `ptr` values (llvmlite would type them, then refuse GEPs and stores)."""

    def alloca(self, typ, size=None, name=""):  # type: ignore[no-untyped-def]
        al = super().alloca(typ, size, name)
        al.type = PTR
        return al


# Runtime entry points that native code calls; defined by the Kernel Python runtime (src/asterpy/rt)
# or, for console output, by the arch code / the test harness.
RT_ALLOC = "asterpy.mm.heap.kmalloc"
RT_FREE = "asterpy.mm.heap.kfree"


class ModuleLowering:
    """Turns a CheckedProgram into one llvmlite module."""

    def __init__(self, cp: CheckedProgram, target, debug: bool = True):  # type: ignore[no-untyped-def]
        self.cp = cp
        self.target = target
        self.m = irx.Module("asterpy", target)
        self.funcs: dict[int, ir.Function] = {}
        self.globals: dict[int, ir.GlobalVariable] = {}
        self.vtables: dict[int, ir.GlobalVariable] = {}
        self.release_fns: dict[int, ir.Function] = {}
        self.strings: dict[str, ir.GlobalVariable] = {}
        self._struct_ll: dict[int, ir.Type] = {}
        self._class_ll: dict[int, ir.LiteralStructType] = {}
        self._rt: dict[str, ir.Function] = {}
        files = sorted({str(m.src.path) for m in cp.info.program.modules.values()})
        self.di: Optional[DebugInfo] = DebugInfo(self.m, files) if debug and files else None

    # ---- types ------------------------------------------------------------------------------
    def ll(self, t: T.KType) -> ir.Type:
        """The LLVM type of a value of type t held in a register."""
        if isinstance(t, T.IntType):
            return ir.IntType(t.bits)
        if t is T.LITERAL:
            return I64
        if t == T.BOOL:
            return I1
        if t == T.STR:
            return STR_T
        if t == T.SYSERROR:
            return I64
        if isinstance(t, (T.PtrType, T.FuncType, T.ClassType, T.OptionalType, T.WeakType, T.ListType, T.DictType, T.BytesType)):
            return PTR
        if isinstance(t, T.StructType):
            return self.struct_ll(t)
        if isinstance(t, T.ArrayType):
            return ir.ArrayType(self.mem(t.elem), t.count)
        if isinstance(t, T.TupleType):
            return ir.LiteralStructType([self.ll(e) for e in t.elems])
        if isinstance(t, T.AtomicType):
            return self.mem(t.inner)
        if t == T.SPINLOCK:
            return I32
        if t in (T.NONE, T.NORETURN):
            return VOID
        raise NotImplementedError(f"no LLVM type for {t!r}")

    def mem(self, t: T.KType) -> ir.Type:
        """The LLVM type of a value of type t stored in memory (bool is a byte)."""
        if t == T.BOOL:
            return I8
        if isinstance(t, T.AtomicType) and t.inner == T.BOOL:
            return I8
        return self.ll(t)

    def struct_ll(self, st: T.StructType) -> ir.Type:
        """A packed LLVM struct with explicit padding bytes, so the layout is exactly the C one."""
        key = id(st)
        if key not in self._struct_ll:
            elems: list[ir.Type] = []
            idx: list[int] = []
            off = 0
            for f in st.fields:
                if f.offset > off:
                    elems.append(ir.ArrayType(I8, f.offset - off))
                idx.append(len(elems))
                elems.append(self.mem(f.type))
                off = f.offset + f.type.size
            if st.size > off:
                elems.append(ir.ArrayType(I8, st.size - off))
            ty = ir.LiteralStructType(elems, packed=True)
            st.ll_index = idx  # type: ignore[attr-defined]
            self._struct_ll[key] = ty
        return self._struct_ll[key]

    def field_index(self, st: T.StructType, f: T.FieldInfo) -> int:
        """LLVM element index of a struct field."""
        self.struct_ll(st)
        return st.ll_index[f.index]  # type: ignore[attr-defined]

    def class_ll(self, ct: T.ClassType) -> ir.LiteralStructType:
        """The heap layout of a class instance: header, then all fields (inherited first)."""
        key = id(ct)
        if key not in self._class_ll:
            self._class_ll[key] = ir.LiteralStructType(HEADER + [self.mem(f.type) for f in ct.all_fields()])
        return self._class_ll[key]

    def class_field_index(self, ct: T.ClassType, name: str) -> int:
        """LLVM element index of a class field."""
        for i, f in enumerate(ct.all_fields()):
            if f.name == name:
                return len(HEADER) + i
        raise KeyError(name)

    def sizeof_ll(self, ty: ir.Type) -> int:
        """Byte size of an LLVM type under the target's data layout."""
        from llvmlite import binding as llvm
        td = llvm.create_target_data(self.target.data_layout)
        return ty.get_abi_size(td)

    # ---- functions ---------------------------------------------------------------------------
    def abi(self, fs: FuncSym) -> tuple[ir.FunctionType, bool]:
        """The LLVM signature of a function and whether its result goes through an out pointer."""
        sig = fs.sig
        ret = sig.ret  # type: ignore[union-attr]
        out = isinstance(ret, T.StructType) or (fs.may_raise and ret not in (T.NONE, T.NORETURN))
        params = [PTR] if out else []
        for p in sig.params:  # type: ignore[union-attr]
            params.append(PTR if isinstance(p.type, T.StructType) else self.ll(p.type))
        if fs.may_raise:
            rt: ir.Type = I64
        elif out or ret in (T.NONE, T.NORETURN):
            rt = VOID
        else:
            rt = self.ll(ret)
        return ir.FunctionType(rt, params), out

    def function(self, fs: FuncSym) -> ir.Function:
        """The ir.Function of a function symbol (declared on first use)."""
        key = id(fs)
        if key not in self.funcs:
            fty, _ = self.abi(fs)
            existing = self.m.globals.get(fs.symbol)
            if existing is not None:
                # An @extern declaration and the @export that defines the same symbol (or two
                # declarations of one extern) are one function; two definitions are an error.
                other = next((o for o in self.cp.info.functions if id(o) in self.funcs and self.funcs[id(o)] is existing), None)
                both_define = other is not None and not other.extern and not fs.extern
                if both_define or not isinstance(existing, ir.Function) or existing.function_type != fty:
                    what = "defined twice" if both_define else "declared with two different signatures"
                    raise fs.module.src.error(fs.node, f"symbol '{fs.symbol}' is {what}",
                                              "give each exported function its own symbol name, and make @extern match it")
                self.extend_narrow(existing, fs)
                self.funcs[key] = existing
                return existing
            fn = ir.Function(self.m, fty, fs.symbol)
            self.extend_narrow(fn, fs)
            if not (fs.export or fs.extern):
                fn.linkage = "internal" if not self.keep_all else ""
            if fs.sig.ret is T.NORETURN:  # type: ignore[union-attr]
                irx.set_fn_attr(fn, "noreturn")
            irx.set_fn_attr(fn, "nounwind")
            if _defines_asm_symbols(fs):
                # Inlining would emit the asm (and its labels or section contents) twice.
                irx.set_fn_attr(fn, "noinline")
            self.funcs[key] = fn
        return self.funcs[key]

    def extend_narrow(self, fn: ir.Function, fs: FuncSym) -> None:
        """Mark narrow integer and bool parameters and results zeroext/signext, as clang does for C.

        The C ABI passes a _Bool or char in a whole register; clang promises the other bits are an
        extension (x86-64: bool, 8 and 16 bits; riscv64 and loongarch64 also sign-extend 32-bit values,
        even unsigned ones). Without the attribute LLVM may leave garbage there from -O1 up, which a C
        caller, an asm shim or ctypes reads as part of the value (a False seen as True).
        """
        for i, ext in self.param_extensions(fs).items():
            fn.args[i].add_attribute(ext)
        _, out = self.abi(fs)
        if not out and not fs.may_raise:
            ext = narrow_extension(fs.sig.ret, self.target.arch)  # type: ignore[union-attr]
            if ext:
                fn.return_value.add_attribute(ext)

    def param_extensions(self, fs: FuncSym) -> dict[int, str]:
        """{LLVM argument index: "zeroext"/"signext"} for the narrow parameters of fs (call sites repeat them)."""
        _, out = self.abi(fs)
        first = 1 if out else 0
        exts = {}
        for i, p in enumerate(fs.sig.params):  # type: ignore[union-attr]
            ext = narrow_extension(p.type, self.target.arch)
            if ext:
                exts[first + i] = ext
        return exts

    keep_all = True

    def runtime_fn(self, name: str, ret: ir.Type, params: list[ir.Type]) -> ir.Function:
        """Declare (once) a runtime function implemented outside this module or by the lowering."""
        if name not in self._rt:
            existing = self.m.globals.get(name)
            self._rt[name] = existing if existing is not None else ir.Function(self.m, ir.FunctionType(ret, params), name)  # type: ignore[assignment]
        return self._rt[name]

    def string(self, s: str) -> ir.Constant:
        """A constant str value {ptr, len} for a literal."""
        data = s.encode("utf-8")
        if s not in self.strings:
            arr = ir.ArrayType(I8, max(len(data), 1))
            g = ir.GlobalVariable(self.m, arr, f".str.{len(self.strings)}")
            g.type = PTR
            g.global_constant = True
            g.linkage = "private"
            g.unnamed_addr = True
            g.initializer = ir.Constant(arr, bytearray(data or b"\0"))
            self.strings[s] = g
        return ir.Constant(STR_T, [self.strings[s], ir.Constant(I64, len(data))])

    # ---- globals -------------------------------------------------------------------------------
    def global_var(self, g: GlobalSym) -> ir.GlobalVariable:
        """The ir.GlobalVariable of a module global (defined on first use)."""
        key = id(g)
        if key not in self.globals:
            ty = self.mem(g.type)  # type: ignore[arg-type]
            gv = ir.GlobalVariable(self.m, ty, g.symbol)
            gv.type = PTR
            init = g.init
            if isinstance(g.type, T.StructType) or isinstance(g.type, T.AtomicType) or g.type == T.SPINLOCK:
                gv.initializer = self.static_init(g)
            elif g.type.is_object:  # type: ignore[union-attr]
                gv.initializer = ir.Constant(PTR, None)
            elif g.type == T.BOOL:
                gv.initializer = ir.Constant(I8, int(bool(init)))
            elif isinstance(g.type, T.PtrType):
                gv.initializer = ir.Constant(I64, int(init or 0)).inttoptr(PTR) if init else ir.Constant(PTR, None)  # type: ignore[arg-type]
            else:
                gv.initializer = ir.Constant(ty, int(init))  # type: ignore[arg-type]
            self.globals[key] = gv
        return self.globals[key]

    def const_table(self, c: object) -> ir.GlobalVariable:
        """The read-only global of a constant table (`NAME: Final[Array[T, N]] = (a, b, ...)`)."""
        key = id(c)
        if key not in self.globals:
            t = c.type  # type: ignore[attr-defined]
            ty = self.mem(t)
            elems = []
            for v in c.value:  # type: ignore[attr-defined]
                if isinstance(v, T.FuncRef):
                    elems.append(self.function(v.func))  # type: ignore[arg-type]
                else:
                    elems.append(ir.Constant(self.mem(t.elem), int(v)))
            gv = ir.GlobalVariable(self.m, ty, f"{c.module.name}.{c.name}")  # type: ignore[attr-defined]
            gv.type = PTR
            gv.initializer = ir.Constant(ty, elems)
            gv.global_constant = True
            gv.linkage = "internal"
            self.globals[key] = gv
        return self.globals[key]

    def static_init(self, g: GlobalSym) -> ir.Constant:
        """Initialiser of a struct/atomic/lock global from its constant constructor call."""
        import ast
        node = g.node.value
        t = g.type
        src = g.module.src
        if t == T.SPINLOCK:
            return ir.Constant(I32, 0)
        if isinstance(t, T.AtomicType):
            if not (isinstance(node, ast.Call) and len(node.args) == 1):
                raise src.error(node, "an atomic global starts from AtomicU64(constant)", "write AtomicU64(0)")
            _, v = self.cp.decl.const_eval(g.module, node.args[0])
            return ir.Constant(self.mem(t), int(v))  # type: ignore[arg-type]
        assert isinstance(t, T.StructType)
        if not (isinstance(node, ast.Call) and not node.args and not node.keywords):
            raise src.error(node, "a struct global starts zeroed", f"write {t.name}() and set fields at start-up")
        return ir.Constant(self.struct_ll(t), None)

    # ---- the whole program ---------------------------------------------------------------------
    def run(self) -> irx.Module:
        """Lower every function of the program; return the module."""
        from translator.lower.function import FunctionLowering
        for fs in self.cp.info.functions:
            self.function(fs)
        for fs in self.cp.info.functions:
            fi = self.cp.func(fs)
            if fs.extern:
                continue
            FunctionLowering(self, fs, fi).run()
        for ct in self.cp.info.classes:
            self.vtable(ct)
        return self.m

    # ---- classes -----------------------------------------------------------------------------------
    def vtable(self, ct: T.ClassType) -> ir.GlobalVariable:
        """The constant vtable of a class: {class id, id end, release fn, methods...}."""
        key = id(ct)
        if key not in self.vtables:
            n = len(ct.vtable)
            ty = ir.LiteralStructType([I64, I64, PTR, ir.ArrayType(PTR, n)])
            gv = ir.GlobalVariable(self.m, ty, f"{ct.qualname}:vtable")
            gv.type = PTR
            gv.global_constant = True
            gv.linkage = "internal"
            self.vtables[key] = gv
            end = self.cp.info.class_ids_end[id(ct)]
            methods = [self.function(m.func) for m in ct.vtable]  # type: ignore[arg-type]
            gv.initializer = ir.Constant(ty, [ir.Constant(I64, ct.class_id), ir.Constant(I64, end), self.release_fn(ct),
                                              ir.Constant(ir.ArrayType(PTR, n), methods)])
        return self.vtables[key]

    def release_fn(self, ct: T.ClassType) -> ir.Function:
        """`release(obj)`: run the drop hook, release the fields, clear weak refs, free the memory."""
        from translator.lower.objects import build_release
        key = id(ct)
        if key not in self.release_fns:
            fn = ir.Function(self.m, ir.FunctionType(VOID, [PTR]), f"{ct.qualname}:release")
            fn.linkage = "internal"
            self.release_fns[key] = fn
            build_release(self, ct, fn)
        return self.release_fns[key]


_ASM_DEFINES = re.compile(r"(^|[\n;])\s*([A-Za-z_.$][\w.$]*:|\.(push)?section\b|\.globl\b)")


def _defines_asm_symbols(fs: FuncSym) -> bool:
    """True if the function's inline asm defines labels, symbols or section contents (so it must exist once)."""
    for node in ast.walk(fs.node):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("asm", "asm_u64") \
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str) \
                and _ASM_DEFINES.search(node.args[0].value):
            return True
    return False


def narrow_extension(t: T.KType, arch: str) -> str:
    """The C ABI's extension attribute of a parameter or result of type t on arch ("" when none)."""
    if t == T.BOOL:
        return "zeroext"
    if not isinstance(t, T.IntType) or t.bits == 64 or isinstance(t, T.PtrType):
        return ""
    if t.bits == 32:
        # RV64 and LA64 keep 32-bit values sign-extended in 64-bit registers whatever their signedness.
        return "signext" if arch in ("riscv64", "loongarch64") else ""
    return "signext" if t.signed else "zeroext"
