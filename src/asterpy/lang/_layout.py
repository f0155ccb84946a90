"""Layout metadata and the value protocol shared by every fixed-layout type (private)."""

from typing import Any, NamedTuple, Optional, Tuple, Union

# Every fixed-layout type except `bool` (which cannot carry attributes) has a class attribute
# `__kpy_layout__` (a Layout) and four class methods:
#   _kpy_zero()                -> the zero value (a fresh object for aggregates)
#   _kpy_convert(v)            -> v as a value of the type, or TypeError (aggregates: a copy)
#   _kpy_decode(buf, off)      -> a value read little-endian from buf[off:off+size]
#   _kpy_encode(v, buf, off)   -> writes v into the bytearray buf at off
# The module-level functions below dispatch on the type and handle bool themselves.

Buffer = Union[bytes, bytearray, memoryview]


class Field(NamedTuple):
    """One field of a struct layout: name, type, byte offset and byte size."""

    name: str
    type: Any
    offset: int
    size: int


class Layout(NamedTuple):
    """Size, alignment and (for @struct classes) the fields of a fixed-layout type."""

    size: int
    align: int
    fields: Tuple[Field, ...] = ()
    packed: bool = False


def layout_of(t: Any) -> Layout:
    """The Layout of a fixed-layout type, or TypeError naming what is accepted."""
    if t is bool:
        return _BOOL_LAYOUT
    lay: Optional[Layout] = vars(t).get("__kpy_layout__") if isinstance(t, type) else None
    if lay is None:
        name = getattr(t, "__name__", repr(t))
        raise TypeError(
            f"{name} has no fixed layout: expected an int class (u8..i64, usize, ...), bool, "
            "Ptr[T], Array[T, N] or a @struct class"
        )
    return lay


def is_layout_type(t: Any) -> bool:
    """True if t is a fixed-layout type (int class, bool, Ptr[T], Array[T, N], @struct)."""
    return t is bool or (isinstance(t, type) and "__kpy_layout__" in vars(t))


def sizeof(t: Any) -> int:
    """Size in bytes of a fixed-layout type (int class, bool, Ptr[T], Array[T, N], @struct)."""
    return layout_of(t).size


def alignof(t: Any) -> int:
    """Alignment in bytes of a fixed-layout type (1 for packed structs)."""
    return layout_of(t).align


_BOOL_LAYOUT = Layout(1, 1)


def zero_value(t: Any) -> Any:
    """The zero value of a fixed-layout type (0, False, null pointer, zeroed aggregate)."""
    if t is bool:
        return False
    return t._kpy_zero()


def convert(t: Any, v: Any) -> Any:
    """Convert v for storage in a slot of type t (wrapping plain ints; TypeError on mismatch)."""
    if t is bool:
        if type(v) is bool:
            return v
        if isinstance(v, int) and not hasattr(type(v), "BITS"):
            return v != 0  # like C's _Bool: any non-zero plain int is true
        raise TypeError(f"expected bool, got {type(v).__name__}: compare explicitly, e.g. x != 0")
    return t._kpy_convert(v)


def decode(t: Any, buf: Buffer, off: int) -> Any:
    """Read a value of type t from buf at byte offset off (little-endian)."""
    if t is bool:
        return buf[off] != 0
    return t._kpy_decode(buf, off)


def encode(t: Any, v: Any, buf: bytearray, off: int) -> None:
    """Write the value v of type t into buf at byte offset off (little-endian)."""
    if t is bool:
        buf[off] = 1 if v else 0
    else:
        t._kpy_encode(v, buf, off)


def type_name(t: Any) -> str:
    """A short readable name for a type, for error messages and reprs."""
    return t if isinstance(t, str) else getattr(t, "__name__", repr(t))
