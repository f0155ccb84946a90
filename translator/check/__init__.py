"""Stage 3, check: declarations, then every function body, then which functions may raise."""
from __future__ import annotations

from dataclasses import dataclass, field

from translator.check.function import FuncInfo, FunctionChecker
from translator.check.program import DeclChecker, ProgramInfo
from translator.diagnostics import TranslateError
from translator.resolve import FuncSym, Program


@dataclass
class CheckedProgram:
    """A fully checked program: declarations plus one FuncInfo per function."""

    info: ProgramInfo
    decl: DeclChecker
    funcs: dict[int, FuncInfo] = field(default_factory=dict)

    def func(self, fs: FuncSym) -> FuncInfo:
        """The checked body of a function symbol."""
        return self.funcs[id(fs)]


def check_program(program: Program) -> CheckedProgram:
    """Type-check a resolved program; errors from several functions are reported together."""
    decl = DeclChecker(program)
    info = decl.run()
    cp = CheckedProgram(info, decl)
    errors = []
    for fs in info.functions:
        try:
            cp.funcs[id(fs)] = FunctionChecker(decl, fs).run()
        except TranslateError as e:
            errors.extend(e.diagnostics)
    errors.extend(_check_overrides(cp))
    if errors:
        raise TranslateError(errors)
    _may_raise(cp)
    for fs in info.functions:
        if (fs.export or fs.extern) and fs.may_raise:
            raise fs.module.src.error(fs.node, f"exported function '{fs.name}' may raise SysError",
                                      "catch it inside and return an error code: C callers cannot see exceptions")
    return cp


def _may_raise(cp: CheckedProgram) -> None:
    """Fixpoint: a function may raise if it raises or calls (outside try/except) one that may.

    All implementations of one vtable slot share one ABI, because a virtual call site does not know
    which one it reaches: if any of them may raise, all of them are treated as raising.
    """
    for fi in cp.funcs.values():
        fi.sym.may_raise = fi.raises or fi.indirect_uncaught
    # A call through a Callable does not know which function it reaches: all have the raising ABI.
    for fs in cp.decl.func_values.values():
        fs.may_raise = True
    families = _slot_families(cp)
    changed = True
    while changed:
        changed = False
        for fi in cp.funcs.values():
            if fi.sym.may_raise:
                continue
            if any(c.may_raise for c in fi.uncaught_calls) or (fi.calls and any(c.may_raise for c in fi.calls) and _reraises(fi)):
                fi.sym.may_raise = True
                changed = True
        for fam in families:
            if any(f.may_raise for f in fam) and not all(f.may_raise for f in fam):
                for f in fam:
                    f.may_raise = True
                changed = True


def _slot_families(cp: CheckedProgram) -> list[list[FuncSym]]:
    """Groups of functions that fill the same vtable slot (a method and all its overrides)."""
    families: dict[tuple[int, int], dict[int, FuncSym]] = {}
    for ct in cp.info.classes:
        for m in ct.vtable:
            root = ct  # the class that introduced the slot
            while root.base is not None and len(root.base.vtable) > m.slot:
                root = root.base
            families.setdefault((id(root), m.slot), {})[id(m.func)] = m.func  # type: ignore[assignment]
    return [list(f.values()) for f in families.values() if len(f) > 1]


def _check_overrides(cp: CheckedProgram) -> list:
    """An override must keep the overridden method's parameters (names, types, defaults) and result type.

    A call through a base-typed variable binds keywords and fills defaults from the base signature at
    translation time, while CPython uses the override's: any difference would change meaning.
    """
    errors = []
    for ct in cp.info.classes:
        if ct.base is None:
            continue
        for name, m in ct.methods.items():
            if name == "__init__" or m.slot < 0:
                continue
            base = ct.base.method(name)
            if base is None or base.func is m.func:
                continue
            fs, bs = m.func, base.func
            a, b = fs.sig, bs.sig  # type: ignore[attr-defined]
            why = ""
            if len(a.params) != len(b.params):
                why = f"takes {len(a.params) - 1} argument(s), the overridden method {len(b.params) - 1}"
            else:
                for p, q in zip(a.params[1:], b.params[1:]):
                    if p.name != q.name or p.type != q.type:
                        why = f"parameter '{p.name}: {p.type!r}' differs from '{q.name}: {q.type!r}' in the overridden method"
                        break
                    if _default_key(p.default) != _default_key(q.default):
                        why = f"the default of '{p.name}' differs from the overridden method's"
                        break
            if not why and a.ret != b.ret:
                why = f"returns {a.ret!r}, the overridden method returns {b.ret!r}"
            if why:
                owner = base.owner.name  # type: ignore[attr-defined]
                errors.extend(fs.module.src.error(  # type: ignore[attr-defined]
                    fs.node, f"'{ct.name}.{name}' overrides '{owner}.{name}' but {why}",  # type: ignore[attr-defined]
                    "keep the same parameters, defaults and result type (calls through the base class use its signature)").diagnostics)
    return errors


def _default_key(node: object) -> object:
    """Comparable form of a parameter default: its folded value, or its source text."""
    if node is None:
        return None
    c = getattr(node, "const", None)
    if c is not None:
        return ("const", c)
    import ast
    return ("text", ast.unparse(node))  # type: ignore[arg-type]


def _reraises(fi: FuncInfo) -> bool:
    """Conservative: a handler with a bare raise re-raises (counted through fi.raises already)."""
    return False
