"""The translator's type model: integer, pointer, struct, class and container types with their C layout."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


class KType:
    """Base of all Kernel Python types seen by the checker."""

    def __repr__(self) -> str:
        return getattr(self, "name", type(self).__name__)

    @property
    def size(self) -> int:
        """Size in bytes when stored in memory."""
        raise TypeError(f"{self.name} has no size")

    @property
    def align(self) -> int:
        """Alignment in bytes when stored in memory."""
        return self.size

    @property
    def is_object(self) -> bool:
        """True for reference-counted heap values (class instances, containers)."""
        return False


@dataclass(frozen=True, eq=True)
class IntType(KType):
    """A fixed-width integer: u8..u64, i8..i64 (usize/isize/int are aliases of u64/i64)."""

    bits: int
    signed: bool
    name: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", ("i" if self.signed else "u") + str(self.bits))

    @property
    def size(self) -> int:
        return self.bits // 8

    @property
    def min(self) -> int:
        """Smallest value."""
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def max(self) -> int:
        """Largest value."""
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    def wrap(self, v: int) -> int:
        """Wrap a Python int into this type's range (two's complement)."""
        v &= (1 << self.bits) - 1
        if self.signed and v >> (self.bits - 1):
            v -= 1 << self.bits
        return v

    def __repr__(self) -> str:
        return self.name


class _Singleton(KType):
    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))


class BoolType(_Singleton):
    """bool: i1 in registers, one byte in memory."""

    name = "bool"

    @property
    def size(self) -> int:
        return 1


class NoneType(_Singleton):
    """The type of None / functions returning nothing."""

    name = "None"


class LiteralIntType(_Singleton):
    """An integer literal whose width is decided by its context (defaults to int = i64)."""

    name = "int literal"


class StrType(_Singleton):
    """An immutable string (literal or f-string result): pointer and length."""

    name = "str"

    @property
    def size(self) -> int:
        return 16

    @property
    def align(self) -> int:
        return 8


class NoReturnType(_Singleton):
    """The result of panic() and other calls that never return."""

    name = "NoReturn"


@dataclass(frozen=True, eq=True)
class PtrType(KType):
    """Ptr[T]: a raw typed address."""

    elem: KType

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"Ptr[{self.elem!r}]"

    @property
    def size(self) -> int:
        return 8

    def __repr__(self) -> str:
        return self.name


@dataclass(frozen=True, eq=True)
class FuncType(KType):
    """Callable[[A, B], R]: the address of a module-level function with these parameter and result types.

    Every call through one may raise SysError (one ABI for all functions of the type)."""

    params: tuple
    ret: KType

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"Callable[[{', '.join(repr(p) for p in self.params)}], {self.ret!r}]"

    @property
    def size(self) -> int:
        return 8

    def __repr__(self) -> str:
        return self.name


@dataclass(frozen=True)
class FuncRef:
    """The compile-time value of a function name used as a value (a constant table's element)."""

    func: object


@dataclass(frozen=True, eq=True)
class ArrayType(KType):
    """Array[T, N]: a fixed array inside a struct."""

    elem: KType
    count: int

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"Array[{self.elem!r}, {self.count}]"

    @property
    def size(self) -> int:
        return self.elem.size * self.count

    @property
    def align(self) -> int:
        return self.elem.align

    def __repr__(self) -> str:
        return self.name


@dataclass(eq=False)
class FieldInfo:
    """A struct or class field: name, type and (for structs) byte offset."""

    name: str
    type: KType
    offset: int = 0
    index: int = 0


@dataclass(eq=False)
class StructType(KType):
    """A @struct value type with C layout."""

    name: str
    qualname: str
    packed: bool = False
    fields: list[FieldInfo] = field(default_factory=list)
    _size: int = 0
    _align: int = 1
    complete: bool = False

    def layout(self) -> None:
        """Compute field offsets, size and alignment like a C compiler does."""
        off, align = 0, 1
        for f in self.fields:
            a = 1 if self.packed else f.type.align
            off = (off + a - 1) // a * a
            f.offset = off
            off += f.type.size
            align = max(align, a)
        self._size = (off + align - 1) // align * align
        self._align = align
        self.complete = True

    def field(self, name: str) -> Optional[FieldInfo]:
        """Look up a field by name."""
        for f in self.fields:
            if f.name == name:
                return f
        return None

    @property
    def size(self) -> int:
        return self._size

    @property
    def align(self) -> int:
        return self._align

    def __repr__(self) -> str:
        return self.name

    def __hash__(self) -> int:
        return id(self)


@dataclass(eq=False)
class MethodInfo:
    """A method of a class: its function symbol, and its slot in the vtable."""

    name: str
    func: object  # resolve.FuncSym
    owner: "ClassType"
    slot: int = -1


@dataclass(eq=False)
class ClassType(KType):
    """An ordinary class: a reference-counted heap object with single inheritance."""

    name: str
    qualname: str
    base: Optional["ClassType"] = None
    fields: list[FieldInfo] = field(default_factory=list)
    methods: dict[str, MethodInfo] = field(default_factory=dict)
    vtable: list[MethodInfo] = field(default_factory=list)
    class_id: int = 0
    subclasses: list["ClassType"] = field(default_factory=list)
    has_drop: bool = False
    complete: bool = False

    @property
    def is_object(self) -> bool:
        return True

    @property
    def size(self) -> int:
        return 8

    def all_fields(self) -> list[FieldInfo]:
        """Fields including inherited ones, base first."""
        return (self.base.all_fields() if self.base else []) + self.fields

    def field(self, name: str) -> Optional[FieldInfo]:
        """Look up a field, inherited ones included."""
        for f in self.all_fields():
            if f.name == name:
                return f
        return None

    def method(self, name: str) -> Optional[MethodInfo]:
        """Look up a method, inherited ones included."""
        c: Optional[ClassType] = self
        while c is not None:
            if name in c.methods:
                return c.methods[name]
            c = c.base
        return None

    def is_subclass_of(self, other: "ClassType") -> bool:
        """True if self is other or derives from it."""
        c: Optional[ClassType] = self
        while c is not None:
            if c is other:
                return True
            c = c.base
        return False

    def __repr__(self) -> str:
        return self.name

    def __hash__(self) -> int:
        return id(self)


@dataclass(frozen=True, eq=True)
class OptionalType(KType):
    """Optional[C] for an object type: a nullable reference."""

    inner: KType

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"Optional[{self.inner!r}]"

    @property
    def is_object(self) -> bool:
        return True

    @property
    def size(self) -> int:
        return 8

    def __repr__(self) -> str:
        return self.name


@dataclass(frozen=True, eq=True)
class WeakType(KType):
    """Weak[C]: a weak reference that does not keep its target alive."""

    inner: KType

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"Weak[{self.inner!r}]"

    @property
    def is_object(self) -> bool:
        return True

    @property
    def size(self) -> int:
        return 8

    def __repr__(self) -> str:
        return self.name


@dataclass(frozen=True, eq=True)
class ListType(KType):
    """List[T] on the kernel heap."""

    elem: KType

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"List[{self.elem!r}]"

    @property
    def is_object(self) -> bool:
        return True

    @property
    def size(self) -> int:
        return 8

    def __repr__(self) -> str:
        return self.name


@dataclass(frozen=True, eq=True)
class DictType(KType):
    """Dict[K, V] on the kernel heap."""

    key: KType
    value: KType

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"Dict[{self.key!r}, {self.value!r}]"

    @property
    def is_object(self) -> bool:
        return True

    @property
    def size(self) -> int:
        return 8

    def __repr__(self) -> str:
        return self.name


@dataclass(frozen=True, eq=True)
class BytesType(KType):
    """bytes (immutable) or bytearray (mutable) on the kernel heap."""

    mutable: bool

    @property
    def name(self) -> str:  # type: ignore[override]
        return "bytearray" if self.mutable else "bytes"

    @property
    def is_object(self) -> bool:
        return True

    @property
    def size(self) -> int:
        return 8

    def __repr__(self) -> str:
        return self.name


@dataclass(frozen=True, eq=True)
class TupleType(KType):
    """A tuple: an immutable value of fixed element types."""

    elems: tuple[KType, ...]

    @property
    def name(self) -> str:  # type: ignore[override]
        return "Tuple[" + ", ".join(repr(e) for e in self.elems) + "]"

    @property
    def size(self) -> int:
        off, al = 0, 1
        for e in self.elems:
            off = (off + e.align - 1) // e.align * e.align + e.size
            al = max(al, e.align)
        return (off + al - 1) // al * al

    @property
    def align(self) -> int:
        return max([e.align for e in self.elems] + [1])

    def __repr__(self) -> str:
        return self.name


@dataclass(frozen=True, eq=True)
class AtomicType(KType):
    """AtomicU32/AtomicU64/...: an atomic cell holding an integer or bool."""

    inner: KType
    name: str = ""

    @property
    def size(self) -> int:
        return self.inner.size

    def __repr__(self) -> str:
        return self.name


class SpinLockType(_Singleton):
    """SpinLock: a u32 word used with `with lock:`."""

    name = "SpinLock"

    @property
    def size(self) -> int:
        return 4


class SysErrorType(_Singleton):
    """The SysError exception value (carries an errno)."""

    name = "SysError"


U8 = IntType(8, False)
U16 = IntType(16, False)
U32 = IntType(32, False)
U64 = IntType(64, False)
I8 = IntType(8, True)
I16 = IntType(16, True)
I32 = IntType(32, True)
I64 = IntType(64, True)
BOOL = BoolType()
NONE = NoneType()
LITERAL = LiteralIntType()
STR = StrType()
NORETURN = NoReturnType()
SYSERROR = SysErrorType()
SPINLOCK = SpinLockType()
BYTES = BytesType(False)
BYTEARRAY = BytesType(True)

INT_TYPES = {"u8": U8, "u16": U16, "u32": U32, "u64": U64, "i8": I8, "i16": I16, "i32": I32,
             "i64": I64, "usize": U64, "isize": I64, "int": I64,
             "PhysAddr": IntType(64, False, "PhysAddr"), "VirtAddr": IntType(64, False, "VirtAddr")}
ATOMIC_TYPES = {"AtomicU32": AtomicType(U32, "AtomicU32"), "AtomicU64": AtomicType(U64, "AtomicU64"),
                "AtomicI32": AtomicType(I32, "AtomicI32"), "AtomicI64": AtomicType(I64, "AtomicI64"),
                "AtomicBool": AtomicType(BOOL, "AtomicBool")}


def is_int(t: KType) -> bool:
    """True for fixed-width integer types and integer literals."""
    return isinstance(t, (IntType, LiteralIntType))


def nullable(t: KType) -> bool:
    """True for types that may hold None."""
    return isinstance(t, OptionalType)


def strip_optional(t: KType) -> KType:
    """Optional[C] -> C; other types unchanged."""
    return t.inner if isinstance(t, OptionalType) else t
