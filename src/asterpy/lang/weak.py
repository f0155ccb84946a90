"""Weak[T]: a reference that does not keep its object alive (breaks reference cycles)."""

import weakref
from typing import Generic, Optional, TypeVar

__all__ = ["Weak"]

T = TypeVar("T")


class Weak(Generic[T]):
    """Weak reference to a heap object: Weak(obj) or Weak[Node](obj); .get() is None once it died."""

    __slots__ = ("_ref",)

    def __init__(self, obj: T) -> None:
        """Refer to obj without owning it."""
        self._ref = weakref.ref(obj)

    def get(self) -> Optional[T]:
        """The object, or None if it has been freed."""
        return self._ref()

    def __repr__(self) -> str:
        """Like Weak(<Node ...>) or Weak(dead)."""
        obj = self._ref()
        return "Weak(dead)" if obj is None else f"Weak({obj!r})"
