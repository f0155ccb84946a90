"""@struct value types with C layout, and fixed arrays Array[T, N]."""

import sys
from typing import (Any, Callable, ClassVar, Dict, Final, Iterable, Iterator, List, Optional, Tuple,
                    TypeVar, Union, get_origin, overload)

from . import _layout
from ._layout import Buffer, Field, Layout, alignof, sizeof, type_name
from .memory import Ptr

__all__ = ["struct", "Array", "sizeof", "alignof", "offsetof", "Field", "Layout"]

C = TypeVar("C", bound=type)

# Names the decorator generates; a class body may not define them, nor use them as field names.
_GENERATED = ("__init__", "__setattr__", "__eq__", "__hash__", "copy", "to_bytes", "from_bytes")


def _round_up(n: int, align: int) -> int:
    """n rounded up to a multiple of align."""
    return (n + align - 1) // align * align


def _is_aggregate(t: Any) -> bool:
    """True for types whose values are mutable objects copied on store (structs, arrays)."""
    return isinstance(t, type) and (issubclass(t, Array) or "_kpy_types" in vars(t))


def offsetof(t: Any, field: str) -> int:
    """Byte offset of a field in a @struct class; a dotted path ("hdr.len") reaches nested fields."""
    off = 0
    for name in field.split("."):
        lay = _layout.layout_of(t)
        for f in lay.fields:
            if f.name == name:
                off += f.offset
                t = f.type
                break
        else:
            raise AttributeError(f"{type_name(t)} has no field {name!r}")
    return off


# ---------------------------------------------------------------------------------------------
# Array[T, N]


class Array:
    """Fixed-size array of N elements of a fixed-layout type T: use Array[T, N]."""

    __slots__ = ("_items",)
    ELEM: Any = None  # element type of a concrete Array[T, N] class
    LEN: int = 0
    _cache: Dict[Tuple[Any, int], type] = {}

    def __class_getitem__(cls, params: Tuple[Any, int]) -> Any:
        """Array[T, N]: the concrete array class (cached: Array[u8, 4] is Array[u8, 4])."""
        if cls is not Array:
            raise TypeError(f"{cls.__name__} is already concrete")
        if not isinstance(params, tuple) or len(params) != 2:
            raise TypeError("use Array[T, N] with an element type and a length")
        elem, n = params
        if not _layout.is_layout_type(elem):
            _layout.layout_of(elem)  # raises the descriptive TypeError
        if type(n) is not int or n < 0:
            raise TypeError(f"Array length must be a non-negative int literal, not {n!r}")
        key = (elem, n)
        arr = Array._cache.get(key)
        if arr is None:
            name = f"Array[{type_name(elem)}, {n}]"
            arr = type(name, (Array,), {
                "__slots__": (), "ELEM": elem, "LEN": n, "__qualname__": name,
                "__kpy_layout__": Layout(sizeof(elem) * n, alignof(elem)),
            })
            Array._cache[key] = arr
        return arr

    def __init__(self, items: Iterable[Any] = ()) -> None:
        """Array[T, N](items): converts each item; missing trailing elements are zero."""
        cls = type(self)
        if cls.ELEM is None:
            raise TypeError("use Array[T, N](...) to make an array")
        t = cls.ELEM
        vals = [_layout.convert(t, v) for v in items]
        if len(vals) > cls.LEN:
            raise ValueError(f"{cls.__name__} got {len(vals)} items")
        vals.extend(_layout.zero_value(t) for _ in range(cls.LEN - len(vals)))
        self._items: List[Any] = vals

    def _index(self, i: object) -> int:
        """Bounds-check an index (any int, no negative indexing)."""
        if not isinstance(i, int):
            raise TypeError(f"array index must be an int, not {type(i).__name__}")
        if not 0 <= i < len(self._items):
            raise IndexError(f"index {int(i)} out of range for {type(self).__name__}")
        return int(i)

    def __getitem__(self, i: int) -> Any:
        """Element i (struct/array elements are returned by reference, like a C lvalue)."""
        return self._items[self._index(i)]

    def __setitem__(self, i: int, v: Any) -> None:
        """Store v (converted like a struct field; aggregates are copied) at index i."""
        self._items[self._index(i)] = _layout.convert(type(self).ELEM, v)

    def __len__(self) -> int:
        """N."""
        return len(self._items)

    def __iter__(self) -> Iterator[Any]:
        """Iterate over the elements."""
        return iter(self._items)

    def __eq__(self, other: object) -> bool:
        """Element-wise equality between arrays of the same class."""
        if type(other) is not type(self):
            return NotImplemented
        return self._items == other._items

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        """Like Array[u8, 2]([u8(1), u8(2)])."""
        return f"{type(self).__name__}({self._items!r})"

    def copy(self) -> Any:
        """Deep copy (by-value semantics)."""
        new = object.__new__(type(self))
        t = type(self).ELEM
        new._items = [v.copy() for v in self._items] if _is_aggregate(t) else list(self._items)
        return new

    def to_bytes(self) -> bytes:
        """The array's bytes, little-endian."""
        buf = bytearray(sizeof(type(self)))
        type(self)._kpy_encode(self, buf, 0)
        return bytes(buf)

    @classmethod
    def from_bytes(cls, b: Buffer, offset: int = 0) -> Any:
        """Decode an array from b at offset (b may be longer)."""
        _check_len(cls, b, offset)
        return cls._kpy_decode(b, offset)

    @classmethod
    def _kpy_zero(cls) -> Any:
        """A zeroed array."""
        return cls()

    @classmethod
    def _kpy_convert(cls, v: object) -> Any:
        """A copy of v if it is an array of this exact class."""
        if type(v) is not cls:
            raise TypeError(f"expected {cls.__name__}, got {type_name(type(v))}")
        return v.copy()

    @classmethod
    def _kpy_decode(cls, buf: Buffer, off: int) -> Any:
        """Read an array from buf at off."""
        t, step = cls.ELEM, sizeof(cls.ELEM)
        new = object.__new__(cls)
        new._items = [_layout.decode(t, buf, off + i * step) for i in range(cls.LEN)]
        return new

    @classmethod
    def _kpy_encode(cls, v: Any, buf: bytearray, off: int) -> None:
        """Write the array v into buf at off."""
        t, step = cls.ELEM, sizeof(cls.ELEM)
        for i, item in enumerate(v._items):
            _layout.encode(t, item, buf, off + i * step)


def _check_len(cls: type, b: Buffer, offset: int) -> None:
    """ValueError unless b holds sizeof(cls) bytes from offset."""
    if offset < 0 or len(b) - offset < sizeof(cls):
        raise ValueError(f"{cls.__name__}.from_bytes needs {sizeof(cls)} bytes at offset {offset}, "
                         f"buffer has {len(b)}")


# ---------------------------------------------------------------------------------------------
# @struct


@overload
def struct(cls: C) -> C: ...
@overload
def struct(*, packed: bool = False) -> Callable[[C], C]: ...


def struct(cls: Optional[C] = None, *, packed: bool = False) -> Union[C, Callable[[C], C]]:
    """Class decorator: annotated fields in declaration order get a C layout (@struct(packed=True))."""
    if cls is None:
        return lambda c: _make_struct(c, packed)
    return _make_struct(cls, packed)


def _resolve(t: Any, ns: Dict[str, Any]) -> Any:
    """Evaluate a string annotation, and Ptr["Name"] forward references inside Ptr/Array types."""
    if isinstance(t, str):  # a quoted annotation, or any under `from __future__ import annotations`
        try:
            t = eval(t, ns)
        except NameError as e:
            raise TypeError(f"{e}: a field type must be defined before the struct that uses it "
                            "(only the struct itself may be named early, as Ptr['Self']); for structs "
                            "that point at each other, store Ptr[u8] and .cast()") from None
    if isinstance(t, type) and issubclass(t, Ptr) and isinstance(t.TARGET, str):
        return Ptr.__class_getitem__(_resolve(t.TARGET, ns))  # Ptr["Node"]: self-reference, earlier name
    if isinstance(t, type) and issubclass(t, Array) and t.ELEM is not None:
        elem = _resolve(t.ELEM, ns)
        return t if elem is t.ELEM else Array.__class_getitem__((elem, t.LEN))
    return t


def _make_struct(cls: C, packed: bool) -> C:
    """Compute the layout of cls and install the generated methods."""
    name = cls.__name__
    if cls.__bases__ != (object,):
        raise TypeError(f"@struct {name} must not inherit from another class")
    for attr in _GENERATED:
        if attr in vars(cls) and not (attr == "__hash__" and vars(cls)[attr] is None):
            raise TypeError(f"@struct {name} defines {attr}: @struct generates it")
    ns = dict(vars(sys.modules[cls.__module__])) if cls.__module__ in sys.modules else {}
    ns.update(vars(cls))
    ns[name] = cls
    # Provisional marker: Ptr[cls] may be formed while the fields are read; sizeof(cls) still fails.
    cls.__kpy_layout__ = None  # type: ignore[attr-defined]
    try:
        cls.__kpy_layout__ = _compute_layout(cls, ns, packed)  # type: ignore[attr-defined]
    except BaseException:
        del cls.__kpy_layout__  # type: ignore[attr-defined]
        raise
    fields = cls.__kpy_layout__.fields  # type: ignore[attr-defined]
    cls._kpy_types = {f.name: f.type for f in fields}  # type: ignore[attr-defined]
    cls._kpy_aggregates = tuple(f.name for f in fields if _is_aggregate(f.type))  # type: ignore[attr-defined]
    methods: Tuple[Callable[..., Any], ...] = (_init, _setattr, _eq, _copy, _to_bytes)
    for fn in methods:
        setattr(cls, fn.__name__, fn)
    cls.__hash__ = None  # type: ignore[assignment]  # mutable values are unhashable
    if "__repr__" not in vars(cls):
        cls.__repr__ = _repr  # type: ignore[assignment]
    class_methods: Tuple[Callable[..., Any], ...] = (_from_bytes, _kpy_zero, _kpy_convert, _kpy_decode,
                                                     _kpy_encode)
    for fn in class_methods:
        setattr(cls, fn.__name__, classmethod(fn))
    return cls


def _compute_layout(cls: type, ns: Dict[str, Any], packed: bool) -> Layout:
    """The C layout of the annotated fields of cls, in declaration order."""
    name = cls.__name__
    fields: List[Field] = []
    offset, align = 0, 1
    for fname, ann in vars(cls).get("__annotations__", {}).items():
        try:
            t = _resolve(ann, ns)
        except TypeError as e:
            raise TypeError(f"@struct {name}.{fname}: {e}") from None
        if t in (ClassVar, Final) or get_origin(t) in (ClassVar, Final):
            continue  # class constants are not fields
        if fname in vars(cls):
            raise TypeError(f"@struct {name}.{fname} has a default value: struct fields start at zero")
        if fname in _GENERATED or fname.startswith("_kpy"):
            raise TypeError(f"@struct {name}: field name {fname!r} is reserved")
        try:
            size, falign = sizeof(t), (1 if packed else alignof(t))
        except TypeError as e:
            raise TypeError(f"@struct {name}.{fname}: {e}") from None
        offset = _round_up(offset, falign)
        fields.append(Field(fname, t, offset, size))
        offset += size
        align = max(align, falign)
    if not fields:
        raise TypeError(f"@struct {name} has no annotated fields")
    return Layout(_round_up(offset, align), align, tuple(fields), packed)


def _fields(cls: type) -> Tuple[Field, ...]:
    """The fields of a @struct class."""
    return cls.__kpy_layout__.fields  # type: ignore[attr-defined, no-any-return]


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    """Build a struct from positional or keyword field values; missing fields are zero."""
    cls = type(self)
    fields = _fields(cls)
    if len(args) > len(fields):
        raise TypeError(f"{cls.__name__} has {len(fields)} fields, got {len(args)} positional values")
    for i, f in enumerate(fields):
        if i < len(args):
            if f.name in kwargs:
                raise TypeError(f"{cls.__name__}() got field {f.name!r} twice")
            v = _layout.convert(f.type, args[i])
        elif f.name in kwargs:
            v = _layout.convert(f.type, kwargs.pop(f.name))
        else:
            v = _layout.zero_value(f.type)
        object.__setattr__(self, f.name, v)
    if kwargs:
        raise TypeError(f"{cls.__name__} has no field {next(iter(kwargs))!r}")


_init.__name__ = "__init__"


def _setattr(self: Any, name: str, value: Any) -> None:
    """Assign a field, converting plain ints and copying structs/arrays; other names are refused."""
    t = type(self)._kpy_types.get(name)
    if t is None:
        raise AttributeError(f"{type(self).__name__} has no field {name!r}")
    object.__setattr__(self, name, _layout.convert(t, value))


_setattr.__name__ = "__setattr__"


def _eq(self: Any, other: object) -> Any:
    """Field-wise equality between structs of the same class."""
    if type(other) is not type(self):
        return NotImplemented
    return all(getattr(self, f.name) == getattr(other, f.name) for f in _fields(type(self)))


_eq.__name__ = "__eq__"


def _repr(self: Any) -> str:
    """Like Point(x=i32(1), y=i32(2))."""
    body = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in _fields(type(self)))
    return f"{type(self).__name__}({body})"


def _copy(self: Any) -> Any:
    """Deep copy (by-value semantics)."""
    new = object.__new__(type(self))
    d = new.__dict__
    d.update(self.__dict__)
    for name in type(self)._kpy_aggregates:
        d[name] = d[name].copy()
    return new


_copy.__name__ = "copy"


def _to_bytes(self: Any) -> bytes:
    """The struct's bytes in its C layout (padding is zero)."""
    buf = bytearray(sizeof(type(self)))
    type(self)._kpy_encode(self, buf, 0)
    return bytes(buf)


_to_bytes.__name__ = "to_bytes"


def _from_bytes(cls: Any, b: Buffer, offset: int = 0) -> Any:
    """Decode a struct from b at offset (b may be longer)."""
    _check_len(cls, b, offset)
    return cls._kpy_decode(b, offset)


_from_bytes.__name__ = "from_bytes"


def _kpy_zero(cls: Any) -> Any:
    """A zeroed struct."""
    return cls()


def _kpy_convert(cls: Any, v: object) -> Any:
    """A copy of v if it is a struct of this exact class."""
    if type(v) is not cls:
        raise TypeError(f"expected {cls.__name__}, got {type_name(type(v))}")
    return v.copy()  # type: ignore[attr-defined]


def _kpy_decode(cls: Any, buf: Buffer, off: int) -> Any:
    """Read a struct from buf at off."""
    new = object.__new__(cls)
    d = new.__dict__
    for f in _fields(cls):
        d[f.name] = _layout.decode(f.type, buf, off + f.offset)
    return new


def _kpy_encode(cls: Any, v: Any, buf: bytearray, off: int) -> None:
    """Write the struct v into buf at off."""
    d = v.__dict__
    for f in _fields(cls):
        _layout.encode(f.type, d[f.name], buf, off + f.offset)
