"""A thin layer over llvmlite.ir for what it lacks: volatile and atomic memory ops, module asm,
escaped inline asm, open function attributes, and dso_local on every global and function."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterable, Optional

from llvmlite import ir
from llvmlite.ir import context as _ir_context
from llvmlite.ir import instructions as _ins
from llvmlite.ir.values import _escape_string

if TYPE_CHECKING:
    from translator.targets import Target

ORDERINGS = frozenset({"unordered", "monotonic", "acquire", "release", "acq_rel", "seq_cst"})
RMW_OPS = frozenset({"xchg", "add", "sub", "and", "nand", "or", "xor", "max", "min", "umax", "umin"})
_ENUM_ATTR = re.compile(r"[a-z_]+(\([a-z0-9_, :]*\))?$")


class Module(ir.Module):
    """An ir.Module that also prints `module asm` lines and `dso_local` on globals and functions."""

    def __init__(self, name: str = "", target: Optional["Target"] = None,
                 context: ir.Context = _ir_context.global_context) -> None:
        super().__init__(name, context)
        self.asm_lines: list[str] = []
        # Definitions are always dso_local (they are in this link unit). Declarations are too
        # for a statically linked kernel; a host/JIT module may resolve them from far away.
        self.dso_local_declarations = True
        if target is not None:
            self.triple = target.triple
            self.data_layout = target.data_layout
            self.dso_local_declarations = target.kernel

    def add_asm(self, text: str) -> None:
        """Append module-level assembly (one or more lines) printed as `module asm "..."`."""
        self.asm_lines.extend(text.splitlines() or [""])

    def _get_body_lines(self) -> list[str]:
        lines = [it.get_declaration() for it in self.get_identified_types().values()]
        lines += [_render_global(v, self.dso_local_declarations) for v in self.globals.values()]
        return lines

    def __repr__(self) -> str:
        lines = [f'; ModuleID = "{self.name}"',
                 f'target triple = "{self.triple}"',
                 f'target datalayout = "{self.data_layout}"']
        lines += [f'module asm "{_escape_string(line)}"' for line in self.asm_lines]
        lines.append("")
        lines += self._get_body_lines()
        lines += self._get_metadata_lines()
        return "\n".join(lines)


def _wants_dso_local(gv: ir.GlobalValue, declarations: bool) -> bool:
    """Whether `gv` should be printed dso_local."""
    if gv.name.startswith("llvm."):
        return False                     # intrinsics are not symbols
    if gv.linkage == "extern_weak":
        return False                     # may resolve to 0: PC-relative access would overflow
    is_decl = gv.is_declaration if isinstance(gv, ir.Function) else gv.initializer is None
    return declarations or not is_decl


def _render_global(gv: ir.GlobalValue, declarations: bool) -> str:
    """Print one global value, inserting `dso_local` right after its linkage."""
    if isinstance(gv, ir.Function):
        if not _wants_dso_local(gv, declarations):
            return str(gv)
        # llvmlite prints [define|declare] linkage cconv ret: dso_local belongs after linkage.
        saved = gv.linkage
        gv.linkage = f"{saved} dso_local".strip()
        try:
            return str(gv)               # Function.__str__ does not cache
        finally:
            gv.linkage = saved
    if not isinstance(gv, ir.GlobalVariable):
        return str(gv)
    # ir.Module prints str(gv), which _StrCaching freezes at the first print: a global printed
    # while still being built would keep its old text. Always render afresh with _to_string.
    if not _wants_dso_local(gv, declarations):
        return gv._to_string()
    # GlobalVariable prints `linkage storage_class ...`; the preemption specifier goes first.
    saved_storage = gv.storage_class
    gv.storage_class = f"dso_local {saved_storage}".strip()
    try:
        return gv._to_string()
    finally:
        gv.storage_class = saved_storage


# ---------------------------------------------------------------- function attributes

class FunctionAttributes(ir.FunctionAttributes):
    """Function attributes that accept any enum attribute and `"key"="value"` string attributes."""

    def add(self, name: str) -> None:
        """Add an attribute token, printed verbatim in the function's attribute list."""
        if (name == "alwaysinline" and "noinline" in self) or (name == "noinline" and "alwaysinline" in self):
            raise ValueError("Can't have alwaysinline and noinline")
        set.add(self, name)  # skip llvmlite's closed list of known attributes


def _open_attrs(fn: ir.Function) -> FunctionAttributes:
    """Replace fn.attributes by an open set (keeping its contents) and return it."""
    attrs = fn.attributes
    if not isinstance(attrs, FunctionAttributes):
        new = FunctionAttributes()
        for name in attrs:
            new.add(name)
        new.alignstack = attrs.alignstack
        new.personality = attrs.personality
        fn.attributes = attrs = new
    return attrs


def _quote(text: str) -> str:
    """An LLVM string literal for attribute keys and values."""
    return '"' + _escape_string(text) + '"'


def set_fn_attr(fn: ir.Function, name: str, value: Optional[str] = None) -> None:
    """Add enum attribute `name` (value None) or string attribute `"name"="value"` to `fn`."""
    attrs = _open_attrs(fn)
    if value is None:
        if not (_ENUM_ATTR.match(name) or name.startswith('"')):
            raise ValueError(f"bad function attribute {name!r}: enum attributes are lower-case words")
        attrs.add(name)
        return
    key = _quote(name)
    for old in [a for a in attrs if a == key or a.startswith(key + "=")]:
        attrs.discard(old)               # a string attribute has one value: the last one wins
    attrs.add(f"{key}={_quote(value)}")


def apply_attrs(fn: ir.Function, attrs: Iterable[str], override: bool = True) -> None:
    """Add tokens such as `noredzone` or `"frame-pointer"="all"` to `fn` (string ones replace
    an earlier value of the same key only if `override`)."""
    for token in attrs:
        m = re.fullmatch(r'"([^"]*)"="([^"]*)"', token)
        if not m:
            set_fn_attr(fn, token)
        elif override or not any(a.startswith(f'"{m.group(1)}"=') for a in _open_attrs(fn)):
            set_fn_attr(fn, m.group(1), m.group(2))


def apply_target_defaults(module: ir.Module, target: "Target") -> None:
    """Set triple and data layout, and add target.fn_attrs to every function definition
    (a string attribute the function already has keeps its value)."""
    module.triple = target.triple
    module.data_layout = target.data_layout
    for fn in module.functions:
        if not fn.is_declaration:
            apply_attrs(fn, target.fn_attrs, override=False)


# ---------------------------------------------------------------- memory operations

class VolatileLoad(_ins.LoadInstr):
    """`load volatile`: never folded, merged or removed (MMIO reads, polling loops)."""

    def descr(self, buf: list[str]) -> None:
        """Append the instruction text (without the `%name = ` part) to buf."""
        [ptr] = self.operands
        align = f", align {self.align}" if self.align is not None else ""
        buf.append(f"load volatile {self.type}, {ptr.type} {ptr.get_reference()}{align}"
                   f"{self._stringify_metadata(leading_comma=True)}\n")


class VolatileStore(_ins.StoreInstr):
    """`store volatile`: always performed, in program order with other volatile accesses."""

    def descr(self, buf: list[str]) -> None:
        """Append the instruction text to buf."""
        val, ptr = self.operands
        align = f", align {self.align}" if self.align is not None else ""
        buf.append(f"store volatile {val.type} {val.get_reference()}, {ptr.type} {ptr.get_reference()}"
                   f"{align}{self._stringify_metadata(leading_comma=True)}\n")


def _check_ptr(ptr: ir.Value) -> None:
    """Raise TypeError unless `ptr` is a pointer value."""
    if not isinstance(ptr.type, ir.PointerType):
        raise TypeError(f"expected a pointer, got {ptr.type} ({ptr!r})")


def _check_ordering(ordering: str) -> None:
    """Raise ValueError for an unknown atomic ordering."""
    if ordering not in ORDERINGS:
        raise ValueError(f"unknown atomic ordering {ordering!r}; expected one of {sorted(ORDERINGS)}")


def volatile_load(builder: ir.IRBuilder, ptr: ir.Value, typ: ir.Type, align: Optional[int] = None,
                  name: str = "") -> ir.Instruction:
    """Insert `load volatile typ, ptr ptr, align N` and return the loaded value."""
    _check_ptr(ptr)
    inst = VolatileLoad(builder.block, ptr, name, typ=typ)
    inst.align = align
    builder._insert(inst)
    return inst


def volatile_store(builder: ir.IRBuilder, value: ir.Value, ptr: ir.Value,
                   align: Optional[int] = None) -> ir.Instruction:
    """Insert `store volatile value, ptr ptr, align N`."""
    _check_ptr(ptr)
    inst = VolatileStore(builder.block, value, ptr)
    inst.align = align
    builder._insert(inst)
    return inst


def atomic_load(builder: ir.IRBuilder, ptr: ir.Value, typ: ir.Type, align: int,
                ordering: str = "seq_cst", name: str = "") -> ir.Instruction:
    """Insert `load atomic typ, ptr ptr ORDERING, align N` (align is mandatory for atomics)."""
    _check_ptr(ptr)
    _check_ordering(ordering)
    if ordering in ("release", "acq_rel"):
        raise ValueError(f"an atomic load cannot have ordering {ordering!r}")
    inst = _ins.LoadAtomicInstr(builder.block, ptr, ordering, align, name, typ=typ)
    builder._insert(inst)
    return inst


def atomic_store(builder: ir.IRBuilder, value: ir.Value, ptr: ir.Value, align: int,
                 ordering: str = "seq_cst") -> ir.Instruction:
    """Insert `store atomic value, ptr ptr ORDERING, align N` (works with opaque pointers)."""
    _check_ptr(ptr)
    _check_ordering(ordering)
    if ordering in ("acquire", "acq_rel"):
        raise ValueError(f"an atomic store cannot have ordering {ordering!r}")
    # builder.store_atomic reads ptr.type.pointee, which opaque pointers do not have.
    inst = _ins.StoreAtomicInstr(builder.block, value, ptr, ordering, align)
    builder._insert(inst)
    return inst


def atomic_rmw(builder: ir.IRBuilder, op: str, ptr: ir.Value, value: ir.Value,
               ordering: str = "seq_cst", name: str = "") -> ir.Instruction:
    """Insert `atomicrmw OP ptr, value ORDERING` and return the old value."""
    _check_ptr(ptr)
    _check_ordering(ordering)
    if op not in RMW_OPS:
        raise ValueError(f"unknown atomicrmw operation {op!r}; expected one of {sorted(RMW_OPS)}")
    return builder.atomic_rmw(op, ptr, value, ordering, name=name)


def cmpxchg(builder: ir.IRBuilder, ptr: ir.Value, expected: ir.Value, new: ir.Value,
            ordering: str = "seq_cst", failordering: Optional[str] = None,
            name: str = "") -> ir.Instruction:
    """Insert `cmpxchg` and return its `{T, i1}` pair (old value, success)."""
    _check_ptr(ptr)
    _check_ordering(ordering)
    fail = failordering or {"acq_rel": "acquire", "release": "monotonic"}.get(ordering, ordering)
    _check_ordering(fail)
    return builder.cmpxchg(ptr, expected, new, ordering, fail, name=name)


def fence(builder: ir.IRBuilder, ordering: str = "seq_cst") -> ir.Instruction:
    """Insert a `fence ORDERING`."""
    return builder.fence(ordering)


# ---------------------------------------------------------------- inline assembly

class InlineAsm(_ins.InlineAsm):
    """Inline asm whose template and constraints are escaped (quotes, backslashes, newlines)."""

    def descr(self, buf: list[str]) -> None:
        """Append `asm [sideeffect] "template", "constraints"` to buf."""
        sideeffect = "sideeffect " if self.side_effect else ""
        buf.append(f'asm {sideeffect}"{_escape_string(self.asm)}", "{_escape_string(self.constraint)}"')


def inline_asm(builder: ir.IRBuilder, ftype: ir.FunctionType, asm: str, constraint: str,
               args: Iterable[ir.Value] = (), side_effect: bool = True, name: str = "") -> ir.Instruction:
    """Call inline asm `asm` (multi-line allowed) with LLVM constraint string `constraint`."""
    return builder.call(InlineAsm(ftype, asm, constraint, side_effect), list(args), name=name)
