"""Atomic integers, atomic operations on raw memory, and SpinLock (all sequentially consistent)."""

from typing import Any, ClassVar, Optional, TypeVar

from . import _layout
from .ints import FixedInt, i32, i64, u32, u64
from .memory import Ptr

__all__ = [
    "AtomicU32", "AtomicU64", "AtomicI32", "AtomicI64", "AtomicBool",
    "atomic_load", "atomic_store", "atomic_fetch_add", "atomic_swap", "atomic_cmpxchg",
    "SpinLock", "Deadlock",
]

T = TypeVar("T")

# Under CPython the simulation is single-threaded, so every operation is trivially atomic and
# sequentially consistent; natively these become seq_cst atomic instructions.


class _AtomicInt:
    """Shared implementation of the atomic integer classes."""

    __slots__ = ("_value",)
    T: ClassVar[Any] = None

    def __init__(self, value: int = 0) -> None:
        """An atomic holding value (a plain int wraps; another width is a TypeError)."""
        self._value = self.T._kpy_convert(value)

    def load(self) -> Any:
        """The current value."""
        return self._value

    def store(self, v: int) -> None:
        """Replace the value."""
        self._value = self.T._kpy_convert(v)

    def swap(self, v: int) -> Any:
        """Replace the value and return the old one."""
        old, self._value = self._value, self.T._kpy_convert(v)
        return old

    def fetch_add(self, v: int) -> Any:
        """Add v (wrapping) and return the old value."""
        old = self._value
        self._value = old + self.T._kpy_convert(v)
        return old

    def fetch_sub(self, v: int) -> Any:
        """Subtract v (wrapping) and return the old value."""
        old = self._value
        self._value = old - self.T._kpy_convert(v)
        return old

    def fetch_and(self, v: int) -> Any:
        """Bitwise-and v in and return the old value."""
        old = self._value
        self._value = old & self.T._kpy_convert(v)
        return old

    def fetch_or(self, v: int) -> Any:
        """Bitwise-or v in and return the old value."""
        old = self._value
        self._value = old | self.T._kpy_convert(v)
        return old

    def compare_exchange(self, expected: int, new: int) -> bool:
        """If the value equals expected, replace it with new and return True; else False."""
        e, n = self.T._kpy_convert(expected), self.T._kpy_convert(new)
        if self._value == e:
            self._value = n
            return True
        return False

    def __repr__(self) -> str:
        """Like AtomicU32(5)."""
        return f"{type(self).__name__}({int(self._value)})"


class AtomicU32(_AtomicInt):
    """Atomic u32."""

    __slots__ = ()
    T = u32


class AtomicU64(_AtomicInt):
    """Atomic u64."""

    __slots__ = ()
    T = u64


class AtomicI32(_AtomicInt):
    """Atomic i32."""

    __slots__ = ()
    T = i32


class AtomicI64(_AtomicInt):
    """Atomic i64."""

    __slots__ = ()
    T = i64


class AtomicBool:
    """Atomic bool: load, store, swap, compare_exchange."""

    __slots__ = ("_value",)

    def __init__(self, value: bool = False) -> None:
        """An atomic holding value."""
        self._value: bool = _layout.convert(bool, value)

    def load(self) -> bool:
        """The current value."""
        return self._value

    def store(self, v: bool) -> None:
        """Replace the value."""
        self._value = _layout.convert(bool, v)

    def swap(self, v: bool) -> bool:
        """Replace the value and return the old one."""
        old, self._value = self._value, _layout.convert(bool, v)
        return old

    def compare_exchange(self, expected: bool, new: bool) -> bool:
        """If the value equals expected, replace it with new and return True; else False."""
        if self._value == _layout.convert(bool, expected):
            self._value = _layout.convert(bool, new)
            return True
        return False

    def __repr__(self) -> str:
        """Like AtomicBool(True)."""
        return f"AtomicBool({self._value})"


def _atomic_target(p: Ptr[Any], arithmetic: bool = False) -> Any:
    """The target type of p, checked: int class (or bool/Ptr unless arithmetic), naturally aligned."""
    t = type(p)._target()
    is_int = isinstance(t, type) and issubclass(t, FixedInt)
    if not (is_int or (not arithmetic and (t is bool or (isinstance(t, type) and issubclass(t, Ptr))))):
        kinds = "an int type" if arithmetic else "an int type, bool or a Ptr"
        raise TypeError(f"atomic operation on {type(p).__name__}: the target must be {kinds}")
    size = _layout.sizeof(t)
    if int(p.addr) % size:
        raise ValueError(f"atomic access at {int(p.addr):#x} is not {size}-byte aligned")
    return t


def atomic_load(p: Ptr[T]) -> T:
    """Atomically read *p."""
    _atomic_target(p)
    return p.load()


def atomic_store(p: Ptr[T], v: T) -> None:
    """Atomically write v to *p."""
    _atomic_target(p)
    p.store(v)


def atomic_fetch_add(p: Ptr[T], v: T) -> T:
    """Atomically add v to *p (wrapping) and return the old value."""
    t = _atomic_target(p, arithmetic=True)
    old = p.load()
    p.store(old + t._kpy_convert(v))
    return old


def atomic_swap(p: Ptr[T], v: T) -> T:
    """Atomically replace *p with v and return the old value."""
    _atomic_target(p)
    old = p.load()
    p.store(v)
    return old


def atomic_cmpxchg(p: Ptr[T], expected: T, new: T) -> bool:
    """Atomically: if *p == expected, store new and return True; else return False."""
    t = _atomic_target(p)
    e = _layout.convert(t, expected)
    n = _layout.convert(t, new)
    if p.load() == e:
        p.store(n)
        return True
    return False


class Deadlock(RuntimeError):
    """Acquiring a SpinLock that is already held (always a bug in the single-threaded simulation)."""


class SpinLock:
    """Busy-waiting mutual exclusion lock; use `with lock:`."""

    __slots__ = ("_held",)

    def __init__(self) -> None:
        """An unlocked lock."""
        self._held = False

    def acquire(self) -> None:
        """Take the lock (under CPython: Deadlock if it is already held)."""
        if self._held:
            raise Deadlock("SpinLock.acquire(): the lock is already held, so this would spin forever "
                           "(the CPython simulation is single-threaded: nothing else can release it)")
        self._held = True

    def try_acquire(self) -> bool:
        """Take the lock if it is free and return True; return False if it is held."""
        if self._held:
            return False
        self._held = True
        return True

    def release(self) -> None:
        """Release the lock (RuntimeError if it is not held)."""
        if not self._held:
            raise RuntimeError("SpinLock.release(): the lock is not held")
        self._held = False

    def locked(self) -> bool:
        """True if the lock is held."""
        return self._held

    def __enter__(self) -> "SpinLock":
        """acquire()."""
        self.acquire()
        return self

    def __exit__(self, *exc: Optional[object]) -> None:
        """release()."""
        self.release()

    def __repr__(self) -> str:
        """Like SpinLock(locked=False)."""
        return f"SpinLock(locked={self._held})"
