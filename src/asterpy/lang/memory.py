"""Raw memory: Ptr[T], address types, memcpy & co, volatile/MMIO access; simulated under CPython."""

from typing import Any, ClassVar, Dict, Generic, List, Optional, Tuple, Type, TypeVar, cast

from . import _layout
from ._layout import Layout, sizeof, type_name
from .ints import FixedInt, i64, u8, u16, u32, u64

__all__ = [
    "PAGE_SIZE", "ARENA_BASE", "MemoryFault", "SimMemory", "reset_sim", "Ptr", "PhysAddr", "VirtAddr",
    "memcpy", "memmove", "memset", "memcmp", "volatile_load", "volatile_store", "register_mmio",
    "mmio_read8", "mmio_read16", "mmio_read32", "mmio_read64",
    "mmio_write8", "mmio_write16", "mmio_write32", "mmio_write64",
]
# `sim` is deliberately not in __all__: `from ... import sim` would keep a stale object after
# reset_sim(). Use `memory.sim` (or asterpy.lang.sim, which is looked up at access time).

T = TypeVar("T")
U = TypeVar("U")
PAGE_SIZE = 4096
ARENA_BASE = 0x1000_0000_0000  # where SimMemory.alloc starts handing out memory
_ADDR_LIMIT = 1 << 64


class PhysAddr(FixedInt):
    """A physical address: 64-bit unsigned, distinct from u64 and VirtAddr."""

    __slots__ = ()
    BITS = 64
    REPR_HEX = True


class VirtAddr(FixedInt):
    """A virtual address: 64-bit unsigned, distinct from u64 and PhysAddr."""

    __slots__ = ()
    BITS = 64
    REPR_HEX = True


class MemoryFault(Exception):
    """Access to an address that simulated memory does not map; .addr is the faulting byte."""

    def __init__(self, addr: int, reason: str = "address not mapped in simulated memory") -> None:
        """Record the faulting address."""
        super().__init__(f"memory fault at {int(addr):#x}: {reason}")
        self.addr = int(addr)


def _addr(x: object, what: str = "address") -> int:
    """An address or length argument as a plain int (any int type; Ptr is refused)."""
    if isinstance(x, int):
        return int(x)
    hint = ": use p.addr" if isinstance(x, Ptr) else ""
    raise TypeError(f"{what} must be an int, not {type(x).__name__}{hint}")


class SimMemory:
    """Sparse simulated memory: 4 KiB pages mapped on demand, plus MMIO and port devices."""

    def __init__(self) -> None:
        """An empty memory: nothing mapped, no devices."""
        self.pages: Dict[int, bytearray] = {}  # page number -> its bytes
        self.mmio: List[Tuple[int, int, Any]] = []  # (base, end, device), see register_mmio
        self.ports: List[Tuple[int, int, Any]] = []  # (base, end, device), see intrinsics.register_port
        self.next_alloc = ARENA_BASE

    def map(self, base: int, size: int) -> None:
        """Make [base, base+size) accessible and zero it (pages are the mapping granularity)."""
        base, size = _addr(base), _addr(size, "size")
        if base < 0 or size < 0 or base + size > _ADDR_LIMIT:
            raise ValueError(f"cannot map {size:#x} bytes at {base:#x}")
        for pn in range(base // PAGE_SIZE, (base + size + PAGE_SIZE - 1) // PAGE_SIZE):
            if pn not in self.pages:
                self.pages[pn] = bytearray(PAGE_SIZE)
        self._copy_in(base, bytes(size))

    def unmap(self, base: int, size: int) -> None:
        """Remove the pages of a page-aligned range; touching them afterwards faults."""
        base, size = _addr(base), _addr(size, "size")
        if base % PAGE_SIZE or size % PAGE_SIZE:
            raise ValueError("unmap needs a page-aligned base and size")
        for pn in range(base // PAGE_SIZE, (base + size) // PAGE_SIZE):
            self.pages.pop(pn, None)

    def is_mapped(self, addr: int) -> bool:
        """True if the byte at addr is accessible."""
        return _addr(addr) // PAGE_SIZE in self.pages

    def alloc(self, size: int, align: int = 16) -> int:
        """Address of a fresh zeroed region of size bytes from the arena (bump allocation)."""
        size, align = _addr(size, "size"), _addr(align, "align")
        if size < 0 or align <= 0 or align & (align - 1):
            raise ValueError(f"alloc({size}, align={align}): align must be a power of two")
        addr = (self.next_alloc + align - 1) // align * align
        self.map(addr, size)
        self.next_alloc = addr + max(size, 1)  # distinct addresses even for size 0
        return addr

    def read(self, addr: int, n: int) -> bytes:
        """The n bytes at addr (MemoryFault if one is unmapped or in an MMIO region)."""
        addr, n = _addr(addr), _addr(n, "length")
        if self.mmio:
            self._refuse_mmio(addr, n)
        off = addr % PAGE_SIZE
        if off + n <= PAGE_SIZE:  # fast path: one page
            page = self.pages.get(addr // PAGE_SIZE)
            if page is None:
                if n == 0:
                    return b""
                raise MemoryFault(addr)
            return bytes(page[off:off + n])
        out = bytearray()
        end = addr + n
        while addr < end:
            page = self.pages.get(addr // PAGE_SIZE)
            if page is None:
                raise MemoryFault(addr)
            off = addr % PAGE_SIZE
            chunk = min(PAGE_SIZE - off, end - addr)
            out += page[off:off + chunk]
            addr += chunk
        return bytes(out)

    def write(self, addr: int, data: _layout.Buffer) -> None:
        """Store data at addr (MemoryFault if a byte is unmapped or in an MMIO region)."""
        addr = _addr(addr)
        if self.mmio:
            self._refuse_mmio(addr, len(data))
        self._copy_in(addr, data)

    def _copy_in(self, addr: int, data: _layout.Buffer) -> None:
        """Store data at addr, checking the whole range before changing anything."""
        n = len(data)
        first, last = addr // PAGE_SIZE, (addr + n - 1) // PAGE_SIZE
        for pn in range(first, last + 1):  # all-or-nothing, like a faulting store
            if pn not in self.pages:
                raise MemoryFault(max(addr, pn * PAGE_SIZE))
        pos = 0
        while pos < n:
            off = (addr + pos) % PAGE_SIZE
            chunk = min(PAGE_SIZE - off, n - pos)
            self.pages[(addr + pos) // PAGE_SIZE][off:off + chunk] = data[pos:pos + chunk]
            pos += chunk

    def find_mmio(self, addr: int, n: int) -> Optional[Tuple[int, Any]]:
        """(offset, device) if [addr, addr+n) is in an MMIO region, None if it touches none."""
        for base, end, dev in self.mmio:
            if addr < end and base < addr + n:
                if base <= addr and addr + n <= end:
                    return addr - base, dev
                raise MemoryFault(addr, f"access of {n} bytes straddles the MMIO region at {base:#x}")
        return None

    def _refuse_mmio(self, addr: int, n: int) -> None:
        """MemoryFault if a plain (non-volatile) access touches an MMIO region."""
        if n and self.find_mmio(addr, n) is not None:
            raise MemoryFault(addr, "plain access to an MMIO region: use volatile_load/volatile_store "
                                    "or mmio_read*/mmio_write*")


sim = SimMemory()


def reset_sim() -> SimMemory:
    """Replace the current simulated memory (and its MMIO and port devices) with a fresh one."""
    global sim
    sim = SimMemory()
    return sim


def register_mmio(base: int, size: int, device: Any) -> None:
    """Route volatile accesses to [base, base+size) to device.read(offset, width)/.write(offset, width, value)."""
    base, size = _addr(base), _addr(size, "size")
    if size <= 0 or any(base < e and b < base + size for b, e, _ in sim.mmio):
        raise ValueError(f"MMIO region {base:#x}+{size:#x} is empty or overlaps another")
    sim.mmio.append((base, base + size, device))


# ---------------------------------------------------------------------------------------------
# Ptr[T]


def _offset(n: object) -> int:
    """A pointer offset: a plain int, usize or isize."""
    if not isinstance(n, int) or (isinstance(n, FixedInt) and type(n) is not u64 and type(n) is not i64):
        raise TypeError(f"pointer offset must be usize, isize or an int literal, not {type(n).__name__}")
    return int(n)


class Ptr(Generic[T]):
    """Typed pointer to a T in (simulated) memory: Ptr[T](addr)."""

    __slots__ = ("_addr",)
    TARGET: ClassVar[Any] = None  # T of a concrete Ptr[T] class (a str for a forward reference)
    _cache: ClassVar[Dict[Any, type]] = {}

    def __class_getitem__(cls, t: Any) -> Any:
        """Ptr[T]: the concrete pointer class, one per T (Ptr[u32] is Ptr[u32])."""
        if cls is not Ptr:
            raise TypeError(f"{cls.__name__} is already concrete")
        if isinstance(t, TypeVar) or t is Any:  # Ptr[T] in a generic signature: a typing alias
            return super().__class_getitem__(t)  # type: ignore[misc]
        p = Ptr._cache.get(t)
        if p is None:
            if not isinstance(t, str) and not _layout.is_layout_type(t):
                raise TypeError(f"Ptr target must be an int class, bool, Ptr[U], Array[U, N] or a @struct "
                                f"class, not {type_name(t)}")
            name = f"Ptr[{t!r}]" if isinstance(t, str) else f"Ptr[{type_name(t)}]"
            p = type(name, (Ptr,), {"__slots__": (), "TARGET": t, "__qualname__": name,
                                    "__kpy_layout__": Layout(8, 8)})
            Ptr._cache[t] = p
        return p

    def __init__(self, addr: int) -> None:
        """A pointer to addr (any int, stored as usize with wrapping)."""
        if type(self).TARGET is None:
            raise TypeError("use Ptr[T](addr) to make a pointer")
        self._addr = u64(_addr(addr))

    @classmethod
    def null(cls) -> "Ptr[T]":
        """The null pointer of this type."""
        return cls(0)

    @property
    def addr(self) -> u64:
        """The address, as usize."""
        return self._addr

    def is_null(self) -> bool:
        """True if the address is 0."""
        return int(self._addr) == 0

    @classmethod
    def _target(cls) -> Any:
        """T, or TypeError for an unresolved forward reference."""
        t = cls.TARGET
        if isinstance(t, str):
            raise TypeError(f"{cls.__name__}: forward reference {t!r} is unresolved (resolve it by using "
                            "the pointer type in a @struct field, or write Ptr[Name] once Name exists)")
        return t

    def load(self) -> T:
        """Read the T at this address (structs come back as a fresh copy)."""
        t = self._target()
        return cast(T, _layout.decode(t, sim.read(self._addr, sizeof(t)), 0))

    def store(self, v: T) -> None:
        """Write v (converted like a struct field assignment) at this address."""
        t = self._target()
        buf = bytearray(sizeof(t))
        _layout.encode(t, _layout.convert(t, v), buf, 0)
        sim.write(self._addr, buf)

    def __getitem__(self, i: int) -> T:
        """Element i (stride sizeof(T)), like *(p + i)."""
        return (self + i).load()

    def __setitem__(self, i: int, v: T) -> None:
        """Store v into element i."""
        (self + i).store(v)

    def __add__(self, n: int) -> "Ptr[T]":
        """The pointer n elements further (n: int literal, usize or isize); wraps at 2**64."""
        cls = type(self)
        return cls(int(self._addr) + _offset(n) * sizeof(cls._target()))

    def __sub__(self, other: Any) -> Any:
        """p - n: the pointer n elements back; p - q (same type): the element distance as isize."""
        cls = type(self)
        size = sizeof(cls._target())
        if isinstance(other, Ptr):
            self._same_type(other)
            diff = int(self._addr) - int(other._addr)
            if diff % size:
                raise ValueError(f"pointers {self!r} and {other!r} are not a whole number of elements apart")
            return i64(diff // size)
        return cls(int(self._addr) - _offset(other) * size)

    def cast(self, u: Type[U]) -> "Ptr[U]":
        """The same address as a Ptr[U]."""
        return Ptr.__class_getitem__(u)(self._addr)  # type: ignore[no-any-return]

    def _same_type(self, other: "Ptr[Any]") -> None:
        """TypeError unless other has exactly this pointer type."""
        if type(other) is not type(self):
            raise TypeError(f"cannot mix {type(self).__name__} and {type(other).__name__}: use .cast()")

    def _cmp_addr(self, other: object) -> Optional[int]:
        """other's address if it is a pointer of the same type, None if it is not a pointer."""
        if not isinstance(other, Ptr):
            return None
        self._same_type(other)
        return int(other._addr)

    def __eq__(self, other: object) -> bool:
        """Same address (pointers of different types must be cast first)."""
        a = self._cmp_addr(other)
        return NotImplemented if a is None else int(self._addr) == a

    def __ne__(self, other: object) -> bool:
        """Different address."""
        a = self._cmp_addr(other)
        return NotImplemented if a is None else int(self._addr) != a

    def __lt__(self, other: "Ptr[T]") -> bool:
        """Address order."""
        a = self._cmp_addr(other)
        return NotImplemented if a is None else int(self._addr) < a

    def __le__(self, other: "Ptr[T]") -> bool:
        """Address order."""
        a = self._cmp_addr(other)
        return NotImplemented if a is None else int(self._addr) <= a

    def __gt__(self, other: "Ptr[T]") -> bool:
        """Address order."""
        a = self._cmp_addr(other)
        return NotImplemented if a is None else int(self._addr) > a

    def __ge__(self, other: "Ptr[T]") -> bool:
        """Address order."""
        a = self._cmp_addr(other)
        return NotImplemented if a is None else int(self._addr) >= a

    def __hash__(self) -> int:
        """Hash of the address."""
        return hash(int(self._addr))

    def __bool__(self) -> bool:
        """Refused: write p.is_null() (truthiness of pointers differs between the two worlds)."""
        raise TypeError("a Ptr has no truth value: use p.is_null()")

    def __repr__(self) -> str:
        """Like Ptr[u32](0x1000)."""
        return f"{type(self).__name__}({int(self._addr):#x})"

    # Value protocol (Ptr[T] as a struct field, array element or pointer target).
    @classmethod
    def _kpy_zero(cls) -> Any:
        """The null pointer."""
        return cls(0)

    @classmethod
    def _kpy_convert(cls, v: object) -> Any:
        """v if it is a pointer of exactly this type."""
        if type(v) is cls:
            return v
        hint = ": use .cast()" if isinstance(v, Ptr) else f": use {cls.__name__}(addr)"
        raise TypeError(f"expected {cls.__name__}, got {type_name(type(v))}{hint}")

    @classmethod
    def _kpy_decode(cls, buf: _layout.Buffer, off: int) -> Any:
        """Read a pointer (8 bytes, little-endian)."""
        return cls(int.from_bytes(buf[off:off + 8], "little"))

    @classmethod
    def _kpy_encode(cls, v: Any, buf: bytearray, off: int) -> None:
        """Write a pointer (8 bytes, little-endian)."""
        buf[off:off + 8] = int(v._addr).to_bytes(8, "little")


# ---------------------------------------------------------------------------------------------
# Bulk operations and volatile / MMIO access


def _length(n: object) -> int:
    """A byte count: a non-negative int."""
    c = _addr(n, "length")
    if c < 0:
        raise ValueError(f"negative length {c}")
    return c


def memcpy(dst: int, src: int, n: int) -> None:
    """Copy n bytes from src to dst; the regions must not overlap (use memmove)."""
    dst, src, n = _addr(dst), _addr(src), _length(n)
    if n and dst < src + n and src < dst + n:
        raise ValueError(f"memcpy regions {dst:#x} and {src:#x} overlap: use memmove")
    sim.write(dst, sim.read(src, n))


def memmove(dst: int, src: int, n: int) -> None:
    """Copy n bytes from src to dst; the regions may overlap."""
    sim.write(_addr(dst), sim.read(_addr(src), _length(n)))


def memset(dst: int, byte: int, n: int) -> None:
    """Fill n bytes at dst with byte (a u8 or an int literal, wrapped to 8 bits)."""
    sim.write(_addr(dst), bytes([int(u8._kpy_convert(byte))]) * _length(n))


def memcmp(a: int, b: int, n: int) -> int:
    """Compare n bytes at a and b as unsigned bytes: -1, 0 or 1."""
    x, y = sim.read(_addr(a), _length(n)), sim.read(_addr(b), _length(n))
    return (x > y) - (x < y)


def _volatile_read(t: Any, addr: int) -> Any:
    """Read a t at addr from its MMIO device if addr is in a registered region, else from memory."""
    size = sizeof(t)
    hit = sim.find_mmio(addr, size)
    if hit is None:
        return _layout.decode(t, sim.read(addr, size), 0)
    offset, dev = hit
    if t is bool:
        return dev.read(offset, 1) & 0xFF != 0
    if not (isinstance(t, type) and issubclass(t, FixedInt)):
        raise TypeError(f"MMIO access needs an int type, not {type_name(t)}")
    return t(dev.read(offset, size))  # the device's value is truncated to the access width


def _volatile_write(t: Any, addr: int, v: Any) -> None:
    """Write v as a t at addr to its MMIO device if addr is in a registered region, else to memory."""
    val = _layout.convert(t, v)
    size = sizeof(t)
    hit = sim.find_mmio(addr, size)
    if hit is None:
        buf = bytearray(size)
        _layout.encode(t, val, buf, 0)
        sim.write(addr, buf)
        return
    offset, dev = hit
    if not (t is bool or (isinstance(t, type) and issubclass(t, FixedInt))):
        raise TypeError(f"MMIO access needs an int type, not {type_name(t)}")
    dev.write(offset, size, int(val))


def volatile_load(p: Ptr[T]) -> T:
    """Load through p, never cached or elided; goes to the MMIO device if p is in its region."""
    return cast(T, _volatile_read(type(p)._target(), int(p.addr)))


def volatile_store(p: Ptr[T], v: T) -> None:
    """Store through p, never elided; goes to the MMIO device if p is in its region."""
    _volatile_write(type(p)._target(), int(p.addr), v)


def mmio_read8(addr: int) -> u8:
    """Volatile 8-bit read at addr (an MMIO device, or simulated memory outside MMIO regions)."""
    return cast(u8, _volatile_read(u8, _addr(addr)))


def mmio_read16(addr: int) -> u16:
    """Volatile 16-bit read at addr (an MMIO device, or simulated memory outside MMIO regions)."""
    return cast(u16, _volatile_read(u16, _addr(addr)))


def mmio_read32(addr: int) -> u32:
    """Volatile 32-bit read at addr (an MMIO device, or simulated memory outside MMIO regions)."""
    return cast(u32, _volatile_read(u32, _addr(addr)))


def mmio_read64(addr: int) -> u64:
    """Volatile 64-bit read at addr (an MMIO device, or simulated memory outside MMIO regions)."""
    return cast(u64, _volatile_read(u64, _addr(addr)))


def mmio_write8(addr: int, value: int) -> None:
    """Volatile 8-bit write at addr (value: u8 or an int literal, which wraps)."""
    _volatile_write(u8, _addr(addr), value)


def mmio_write16(addr: int, value: int) -> None:
    """Volatile 16-bit write at addr (value: u16 or an int literal, which wraps)."""
    _volatile_write(u16, _addr(addr), value)


def mmio_write32(addr: int, value: int) -> None:
    """Volatile 32-bit write at addr (value: u32 or an int literal, which wraps)."""
    _volatile_write(u32, _addr(addr), value)


def mmio_write64(addr: int, value: int) -> None:
    """Volatile 64-bit write at addr (value: u64 or an int literal, which wraps)."""
    _volatile_write(u64, _addr(addr), value)
