"""Stage 4h, containers (List, Dict, bytes, bytearray) and weak references — not lowered natively yet."""
from __future__ import annotations

import ast
from typing import Any


def _not_yet(fl: Any, node: ast.AST, what: str) -> Any:
    raise fl.src.error(node, f"{what} is checked but not yet translated to native code",
                       "keep it in CPython-only code for now (tracked in docs/language.md, 'Not yet native')")


def container_call(fl: Any, node: ast.Call) -> Any:
    """List/Dict/bytes method calls."""
    return _not_yet(fl, node, "this container operation")


def container_load(fl: Any, node: ast.expr) -> Any:
    """Indexing a List, Dict or bytes."""
    return _not_yet(fl, node, "indexing a List, Dict or bytes")


def container_store(fl: Any, node: ast.expr, value: Any) -> Any:
    """Storing into a List, Dict or bytearray element."""
    return _not_yet(fl, node, "storing into a List, Dict or bytearray")


def container_len(fl: Any, node: ast.expr) -> Any:
    """len() of a container."""
    return _not_yet(fl, node, "len() of a container")


def contains(fl: Any, left: ast.expr, right: ast.expr) -> Any:
    """`in` on a container."""
    return _not_yet(fl, right, "`in` on a container")


def lower_for_iter(fl: Any, node: ast.For) -> Any:
    """for x in container."""
    return _not_yet(fl, node, "iterating over a container")


def lower_delete(fl: Any, node: ast.expr) -> Any:
    """del d[k]."""
    return _not_yet(fl, node, "del on a container")


def list_display(fl: Any, node: ast.List) -> Any:
    """[a, b, c]."""
    return _not_yet(fl, node, "a List display")


def dict_display(fl: Any, node: ast.Dict) -> Any:
    """{k: v}."""
    return _not_yet(fl, node, "a Dict display")


def bytes_literal(fl: Any, value: bytes, node: ast.AST) -> Any:
    """b'...'."""
    return _not_yet(fl, node, "a bytes literal")


def new_bytes(fl: Any, node: ast.Call) -> Any:
    """bytes(n) / bytearray(n)."""
    return _not_yet(fl, node, "bytes(n)/bytearray(n)")


def str_equal(fl: Any, a: Any, b: Any) -> Any:
    """str == str."""
    raise NotImplementedError("str equality")


def weak_new(fl: Any, node: ast.Call) -> Any:
    """Weak(obj)."""
    return _not_yet(fl, node, "Weak(obj)")


def weak_get(fl: Any, node: ast.Call) -> Any:
    """w.get()."""
    return _not_yet(fl, node, "Weak.get()")
