"""Fixed-width integers u8..i64 that wrap like C and refuse to mix widths."""

from typing import TYPE_CHECKING, Any, Callable, ClassVar, Tuple, TypeVar

from ._layout import Buffer, Layout, alignof, sizeof

__all__ = [
    "FixedInt", "u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "usize", "isize",
    "sizeof", "alignof",
]

F = TypeVar("F", bound="FixedInt")

_NO_FLOATS = "floats are not in Kernel Python"


def _mix_error(a: type, b: type) -> TypeError:
    """The TypeError for an operation between two different fixed-width classes."""
    wide = b if getattr(b, "BITS", 0) > getattr(a, "BITS", 0) else a
    return TypeError(
        f"cannot mix {a.__name__} and {b.__name__}: convert one explicitly, "
        f"e.g. {wide.__name__}(x)"
    )


def _operand(cls: type, other: object) -> bool:
    """Slow path of operand checking: True if other may combine with cls, False if foreign.

    Raises TypeError for another fixed-width class or a float."""
    if isinstance(other, FixedInt):
        raise _mix_error(cls, type(other))
    if isinstance(other, int):  # plain int, bool, IntEnum: a literal adopts cls
        return True
    if isinstance(other, float):
        raise TypeError(f"cannot combine {cls.__name__} with float: {_NO_FLOATS}")
    return False


def _binary(op: Callable[[int, int], int], reflected: bool) -> Callable[..., Any]:
    """Build a wrapping binary operator method from a plain-int operation."""

    def method(self: "FixedInt", other: object) -> Any:
        cls = type(self)
        ocls = type(other)
        if ocls is not cls:
            if ocls is not int and not _operand(cls, other):
                return NotImplemented
            other = cls._trunc(other)  # type: ignore[arg-type]  # the plain int adopts cls
        # op is an int slot (int.__add__ ...): it works on the int parts and returns a plain int.
        r = op(other, self) if reflected else op(self, other)  # type: ignore[arg-type]
        return cls._wrap(r)

    return method


def _compare(op: Callable[[int, int], bool]) -> Callable[..., Any]:
    """Build a comparison method that refuses mixed widths and returns bool."""

    def method(self: "FixedInt", other: object) -> Any:
        cls = type(self)
        ocls = type(other)
        if ocls is not cls:
            if ocls is not int and not _operand(cls, other):
                return NotImplemented
            other = cls._trunc(other)  # type: ignore[arg-type]  # the plain int adopts cls
        return op(self, other)  # type: ignore[arg-type]

    return method


def _shift_count(cls: type, n: object) -> int:
    """Check a shift count (same class or plain int, not negative) and return it as int."""
    if type(n) is not cls and type(n) is not int and not _operand(cls, n):
        raise TypeError(f"shift count must be {cls.__name__} or int, not {type(n).__name__}")
    c: int = int(n)  # type: ignore[call-overload]
    if c < 0:
        raise ValueError("negative shift count")
    return c


def _no_true_div(self: object, other: object) -> Any:
    """'/' is refused: it makes a float."""
    raise TypeError(f"'/' is true division and makes a float ({_NO_FLOATS}): use '//'")


def _no_pow(self: object, other: object, mod: object = None) -> Any:
    """'**' and pow() are refused."""
    raise TypeError("'**' / pow() is not in Kernel Python: multiply, or shift (1 << n) for powers of 2")


class FixedInt(int):
    """Base of the fixed-width integer classes: an int that wraps to BITS bits."""

    __slots__ = ()
    BITS: ClassVar[int] = 0
    SIGNED: ClassVar[bool] = False
    MASK: ClassVar[int] = 0  # 2**BITS - 1
    MIN: ClassVar[int] = 0   # smallest value, as a plain int
    MAX: ClassVar[int] = 0   # largest value, as a plain int
    REPR_HEX: ClassVar[bool] = False  # repr in hex (address types)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Derive MASK/MIN/MAX and the layout from BITS and SIGNED."""
        super().__init_subclass__(**kwargs)
        if cls.BITS not in (8, 16, 32, 64):
            raise TypeError(f"{cls.__name__}.BITS must be 8, 16, 32 or 64")
        cls.MASK = (1 << cls.BITS) - 1
        cls.MIN = -(1 << (cls.BITS - 1)) if cls.SIGNED else 0
        cls.MAX = (1 << (cls.BITS - 1)) - 1 if cls.SIGNED else cls.MASK
        cls.__kpy_layout__ = Layout(cls.BITS // 8, cls.BITS // 8)  # type: ignore[attr-defined]

    def __new__(cls: type[F], x: int = 0) -> F:
        """Convert any int (plain, bool or another width) by two's-complement truncation."""
        if not cls.BITS:
            raise TypeError("FixedInt is abstract: use u8..u64, i8..i64, usize or isize")
        if not isinstance(x, int):
            hint = f": {_NO_FLOATS}" if isinstance(x, float) else ""
            raise TypeError(f"{cls.__name__}() takes an int, not {type(x).__name__}{hint}")
        return cls._wrap(int(x))

    @classmethod
    def _trunc(cls, v: int) -> int:
        """v truncated to BITS bits (two's complement), as a plain int."""
        v &= cls.MASK
        if v > cls.MAX:  # only for signed classes: the sign bit is set
            v -= cls.MASK + 1
        return v

    @classmethod
    def _wrap(cls: type[F], v: int) -> F:
        """Build a value from a plain int, truncating to BITS bits."""
        v &= cls.MASK
        if v > cls.MAX:
            v -= cls.MASK + 1
        return int.__new__(cls, v)

    # Arithmetic and bitwise operators: same class or plain int, result wraps.
    if TYPE_CHECKING:  # precise result types for mypy; the runtime methods are built below
        def __add__(self: F, other: int) -> F: ...  # noqa: E704
        def __radd__(self: F, other: int) -> F: ...  # noqa: E704
        def __sub__(self: F, other: int) -> F: ...  # noqa: E704
        def __rsub__(self: F, other: int) -> F: ...  # noqa: E704
        def __mul__(self: F, other: int) -> F: ...  # noqa: E704
        def __rmul__(self: F, other: int) -> F: ...  # noqa: E704
        def __floordiv__(self: F, other: int) -> F: ...  # noqa: E704
        def __rfloordiv__(self: F, other: int) -> F: ...  # noqa: E704
        def __mod__(self: F, other: int) -> F: ...  # noqa: E704
        def __rmod__(self: F, other: int) -> F: ...  # noqa: E704
        def __and__(self: F, other: int) -> F: ...  # noqa: E704
        def __rand__(self: F, other: int) -> F: ...  # noqa: E704
        def __or__(self: F, other: int) -> F: ...  # noqa: E704
        def __ror__(self: F, other: int) -> F: ...  # noqa: E704
        def __xor__(self: F, other: int) -> F: ...  # noqa: E704
        def __rxor__(self: F, other: int) -> F: ...  # noqa: E704
    else:
        __add__ = _binary(int.__add__, False)
        __radd__ = _binary(int.__add__, True)
        __sub__ = _binary(int.__sub__, False)
        __rsub__ = _binary(int.__sub__, True)
        __mul__ = _binary(int.__mul__, False)
        __rmul__ = _binary(int.__mul__, True)
        __floordiv__ = _binary(int.__floordiv__, False)
        __rfloordiv__ = _binary(int.__floordiv__, True)
        __mod__ = _binary(int.__mod__, False)
        __rmod__ = _binary(int.__mod__, True)
        __and__ = _binary(int.__and__, False)
        __rand__ = _binary(int.__and__, True)
        __or__ = _binary(int.__or__, False)
        __ror__ = _binary(int.__or__, True)
        __xor__ = _binary(int.__xor__, False)
        __rxor__ = _binary(int.__xor__, True)

    __eq__ = _compare(int.__eq__)
    __ne__ = _compare(int.__ne__)
    __lt__ = _compare(int.__lt__)
    __le__ = _compare(int.__le__)
    __gt__ = _compare(int.__gt__)
    __ge__ = _compare(int.__ge__)
    __hash__ = int.__hash__

    def __divmod__(self: F, other: int) -> Tuple[F, F]:
        """divmod(a, b) as (a // b, a % b), both wrapped."""
        return (self // other, self % other)

    def __rdivmod__(self: F, other: int) -> Tuple[F, F]:
        """divmod(int, a) as (int // a, int % a), both wrapped."""
        return (other // self, other % self)

    def __lshift__(self: F, n: object) -> F:
        """Left shift; bits shifted past the width are lost; a count >= BITS gives 0."""
        cls = type(self)
        c = _shift_count(cls, n)
        return cls._wrap(0 if c >= cls.BITS else int.__lshift__(self, c))

    def __rshift__(self: F, n: object) -> F:
        """Right shift, arithmetic for signed classes; a count >= BITS gives 0 or -1."""
        cls = type(self)
        return cls._wrap(int.__rshift__(self, _shift_count(cls, n)))

    def __rlshift__(self: F, value: object) -> F:
        """int << fixed: the int adopts this class, this value is the count."""
        cls = type(self)
        if not _operand(cls, value):
            return NotImplemented
        return cls(value) << self  # type: ignore[arg-type]

    def __rrshift__(self: F, value: object) -> F:
        """int >> fixed: the int adopts this class, this value is the count."""
        cls = type(self)
        if not _operand(cls, value):
            return NotImplemented
        return cls(value) >> self  # type: ignore[arg-type]

    def __neg__(self: F) -> F:
        """Two's-complement negation, wrapping (-u32(1) == 0xffffffff)."""
        return type(self)._wrap(-int(self))

    def __invert__(self: F) -> F:
        """Bitwise complement within the width."""
        return type(self)._wrap(~int(self))

    def __pos__(self: F) -> F:
        """Identity."""
        return self

    def __abs__(self: F) -> F:
        """Absolute value, wrapping (abs(i8(-128)) == -128)."""
        return type(self)._wrap(abs(int(self)))

    __truediv__ = _no_true_div
    __rtruediv__ = _no_true_div
    __pow__ = _no_pow
    __rpow__ = _no_pow

    def __float__(self) -> float:
        """Refused: Kernel Python has no floats."""
        raise TypeError(f"float({type(self).__name__}) is refused: {_NO_FLOATS}")

    def __repr__(self) -> str:
        """Like u32(5) (address types in hex)."""
        v = int(self)
        return f"{type(self).__name__}({v:#x})" if self.REPR_HEX else f"{type(self).__name__}({v})"

    __str__ = int.__repr__  # str(u32(5)) == "5"

    # Value protocol of fixed-layout types (see _layout.py).
    @classmethod
    def _kpy_zero(cls: type[F]) -> F:
        """The zero value."""
        return int.__new__(cls, 0)

    @classmethod
    def _kpy_convert(cls: type[F], v: object) -> F:
        """v as this class: same class as is, a plain int wraps, anything else is a TypeError."""
        if type(v) is cls:
            return v
        if isinstance(v, FixedInt):
            raise _mix_error(cls, type(v))
        if isinstance(v, int):
            return cls._wrap(int(v))
        raise TypeError(f"expected {cls.__name__}, got {type(v).__name__}")

    @classmethod
    def _kpy_decode(cls: type[F], buf: Buffer, off: int) -> F:
        """Read a little-endian value from buf at off."""
        n = cls.BITS // 8
        return int.__new__(cls, int.from_bytes(buf[off:off + n], "little", signed=cls.SIGNED))

    @classmethod
    def _kpy_encode(cls, v: int, buf: bytearray, off: int) -> None:
        """Write v little-endian into buf at off."""
        n = cls.BITS // 8
        buf[off:off + n] = int(v).to_bytes(n, "little", signed=cls.SIGNED)


class u8(FixedInt):
    """Unsigned 8-bit integer."""

    __slots__ = ()
    BITS = 8


class u16(FixedInt):
    """Unsigned 16-bit integer."""

    __slots__ = ()
    BITS = 16


class u32(FixedInt):
    """Unsigned 32-bit integer."""

    __slots__ = ()
    BITS = 32


class u64(FixedInt):
    """Unsigned 64-bit integer."""

    __slots__ = ()
    BITS = 64


class i8(FixedInt):
    """Signed 8-bit integer."""

    __slots__ = ()
    BITS = 8
    SIGNED = True


class i16(FixedInt):
    """Signed 16-bit integer."""

    __slots__ = ()
    BITS = 16
    SIGNED = True


class i32(FixedInt):
    """Signed 32-bit integer."""

    __slots__ = ()
    BITS = 32
    SIGNED = True


class i64(FixedInt):
    """Signed 64-bit integer."""

    __slots__ = ()
    BITS = 64
    SIGNED = True


# All targets are 64-bit: the pointer-sized types are plain aliases, so usize is u64.
usize = u64
isize = i64
