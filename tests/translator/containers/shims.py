"""Test-only stand-ins for the two lowering hooks that containers need outside translator/lower/containers*.py.

`FunctionLowering.assign`/`s_AugAssign` call `self.container_store(...)`, `ExprLowering.address_of` must hand
List/Dict/bytearray subscripts to `containers.container_address` (object and struct element stores, `xs[i].f`), and
`ExprLowering.compare_values` must compare bytes by content through `containers.bytes_equal`. Until those land in
function.py/exprs.py, `install()` adds them for the duration of the tests; once they are there it changes nothing.
"""
from __future__ import annotations

import ast
import inspect
from typing import Any, Callable

from translator.check import types as T
from translator.lower import containers
from translator.lower.exprs import ExprLowering
from translator.lower.function import FunctionLowering

_CONTAINERS = (T.ListType, T.DictType, T.BytesType)


def missing() -> list[str]:
    """Which hooks the lowering still lacks."""
    out = []
    if not hasattr(FunctionLowering, "container_store"):
        out.append("FunctionLowering.container_store")
    if "container_address" not in inspect.getsource(ExprLowering.address_of):
        out.append("ExprLowering.address_of -> containers.container_address")
    if "bytes_equal" not in inspect.getsource(ExprLowering.compare_values):
        out.append("ExprLowering.compare_values -> containers.bytes_equal")
    return out


def install() -> Callable[[], None]:
    """Add the missing hooks; return a function that removes them again."""
    undo: list[Callable[[], None]] = []
    gaps = missing()
    if "FunctionLowering.container_store" in gaps:
        def container_store(self: Any, tgt: ast.Subscript, v: Any) -> None:
            containers.container_store(self, tgt, v)
        FunctionLowering.container_store = container_store  # type: ignore[attr-defined]
        undo.append(lambda: delattr(FunctionLowering, "container_store"))
    if "ExprLowering.address_of -> containers.container_address" in gaps:
        orig = ExprLowering.address_of

        def address_of(self: Any, node: ast.expr) -> Any:
            if isinstance(node, ast.Subscript) and isinstance(T.strip_optional(getattr(node.value, "kt", None)), _CONTAINERS):
                return containers.container_address(self, node)
            return orig(self, node)
        ExprLowering.address_of = address_of  # type: ignore[method-assign]
        undo.append(lambda: setattr(ExprLowering, "address_of", orig))
    if "ExprLowering.compare_values -> containers.bytes_equal" in gaps:
        orig_cmp = ExprLowering.compare_values

        def compare_values(self: Any, op: ast.cmpop, a: Any, b: Any, at: T.KType, bt: T.KType) -> Any:
            if isinstance(at, T.BytesType) and isinstance(bt, T.BytesType) and isinstance(op, (ast.Eq, ast.NotEq)):
                r = containers.bytes_equal(self, a, b)
                return r if isinstance(op, ast.Eq) else self.b.not_(r)
            return orig_cmp(self, op, a, b, at, bt)
        ExprLowering.compare_values = compare_values  # type: ignore[method-assign]
        undo.append(lambda: setattr(ExprLowering, "compare_values", orig_cmp))

    def remove() -> None:
        for u in reversed(undo):
            u()
    return remove
