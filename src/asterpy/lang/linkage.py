"""Symbol linkage: export(name) gives a function a fixed symbol, extern(name) binds to one."""

import functools
import re
from typing import Any, Callable, Dict, Optional, TypeVar

from ._unavailable import IntrinsicUnavailable

__all__ = ["export", "extern", "set_extern_impl"]

F = TypeVar("F", bound=Callable[..., Any])

_extern_impls: Dict[str, Callable[..., Any]] = {}


def _check_symbol(name: str) -> None:
    """ValueError unless name is a plausible symbol name."""
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_.$][A-Za-z0-9_.$]*", name):
        raise ValueError(f"invalid symbol name {name!r}")


def export(name: str) -> Callable[[F], F]:
    """Decorator: emit the function under the fixed symbol name (for assembly and the linker)."""
    _check_symbol(name)

    def mark(fn: F) -> F:
        fn.__kpy_export__ = name  # type: ignore[attr-defined]
        return fn

    return mark


def extern(name: str) -> Callable[[F], F]:
    """Decorator for a `...`-bodied function defined elsewhere under symbol name (e.g. in assembly)."""
    _check_symbol(name)

    def bind(fn: F) -> F:
        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            impl = _extern_impls.get(name)
            if impl is None:
                raise IntrinsicUnavailable(
                    f"extern symbol {name!r} ({fn.__qualname__}) is defined outside Kernel Python: "
                    f"register a CPython stand-in with set_extern_impl({name!r}, fn) to test its callers")
            return impl(*args, **kwargs)

        call.__kpy_extern__ = name  # type: ignore[attr-defined]
        return call  # type: ignore[return-value]

    return bind


def set_extern_impl(name: str, fn: Optional[Callable[..., Any]]) -> None:
    """Give extern symbol name a CPython implementation (None removes it)."""
    if fn is None:
        _extern_impls.pop(name, None)
    else:
        _extern_impls[name] = fn
