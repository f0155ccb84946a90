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
    if errors:
        raise TranslateError(errors)
    _may_raise(cp)
    for fs in info.functions:
        if (fs.export or fs.extern) and fs.may_raise:
            raise fs.module.src.error(fs.node, f"exported function '{fs.name}' may raise SysError",
                                      "catch it inside and return an error code: C callers cannot see exceptions")
    return cp


def _may_raise(cp: CheckedProgram) -> None:
    """Fixpoint: a function may raise if it raises or calls (outside try/except) one that may."""
    for fi in cp.funcs.values():
        fi.sym.may_raise = fi.raises
    changed = True
    while changed:
        changed = False
        for fi in cp.funcs.values():
            if fi.sym.may_raise:
                continue
            if any(c.may_raise for c in fi.uncaught_calls) or (fi.calls and any(c.may_raise for c in fi.calls) and _reraises(fi)):
                fi.sym.may_raise = True
                changed = True


def _reraises(fi: FuncInfo) -> bool:
    """Conservative: a handler with a bare raise re-raises (counted through fi.raises already)."""
    return False
