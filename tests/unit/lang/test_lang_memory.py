"""Simulated memory, Ptr[T], address types, memcpy & co, volatile access and MMIO devices."""

from typing import Any, Dict, List, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import asterpy.lang
from asterpy.lang import (ARENA_BASE, PAGE_SIZE, Array, MemoryFault, PhysAddr, Ptr, SimMemory, VirtAddr,
                          i8, i32, i64, memcmp, memcpy, memmove, memory, memset, mmio_read8, mmio_read16,
                          mmio_read32, mmio_read64, mmio_write8, mmio_write16, mmio_write32, mmio_write64,
                          register_mmio, reset_sim, sizeof, struct, u8, u16, u32, u64, usize,
                          volatile_load, volatile_store)


@struct
class Stat:
    dev: u64
    mode: u32
    nlink: u16
    name: Array[u8, 5]
    parent: Ptr["Stat"]


class Regs:
    """A fake MMIO/port device: a dict of registers that logs every access."""

    def __init__(self) -> None:
        """All registers zero."""
        self.regs: Dict[int, int] = {}
        self.log: List[Tuple[str, int, int, int]] = []

    def read(self, offset: int, width: int) -> int:
        """Log and return the register at offset."""
        v = self.regs.get(offset, 0)
        self.log.append(("r", offset, width, v))
        return v

    def write(self, offset: int, width: int, value: int) -> None:
        """Log and set the register at offset."""
        self.log.append(("w", offset, width, value))
        self.regs[offset] = value


def test_map_read_write_and_faults() -> None:
    sim = memory.sim
    sim.map(0x5000, 16)
    assert sim.read(0x5000, 16) == bytes(16)
    sim.write(0x5004, b"abc")
    assert sim.read(0x5003, 5) == b"\x00abc\x00"
    with pytest.raises(MemoryFault) as e:
        sim.read(0x9000, 1)
    assert e.value.addr == 0x9000 and isinstance(e.value, Exception) and "0x9000" in str(e.value)
    with pytest.raises(MemoryFault) as e:
        sim.write(0x5FFE, b"wxyz")  # runs off the end of the mapped page
    assert e.value.addr == 0x6000
    assert sim.read(0x5FFE, 2) == b"\x00\x00"  # a faulting store changes nothing
    sim.map(0x5004, 2)  # mapping again zeroes exactly the range
    assert sim.read(0x5003, 5) == b"\x00\x00\x00c\x00"
    with pytest.raises(ValueError):
        sim.map(-1, 4)


def test_cross_page_access_and_unmap() -> None:
    sim = memory.sim
    sim.map(0x10000, 3 * PAGE_SIZE)
    data = bytes(range(256)) * 20
    sim.write(0x10FF0, data)
    assert sim.read(0x10FF0, len(data)) == data
    assert sim.is_mapped(0x11000) and not sim.is_mapped(0x13000)
    sim.unmap(0x11000, PAGE_SIZE)
    with pytest.raises(MemoryFault) as e:
        sim.read(0x10FF0, 32)
    assert e.value.addr == 0x11000
    with pytest.raises(ValueError):
        sim.unmap(0x10001, PAGE_SIZE)


def test_alloc() -> None:
    sim = memory.sim
    a = sim.alloc(10)
    b = sim.alloc(100, align=4096)
    c = sim.alloc(0)
    assert a == ARENA_BASE and b % 4096 == 0 and b >= a + 10 and c >= b + 100
    assert sim.read(b, 100) == bytes(100)
    with pytest.raises(ValueError):
        sim.alloc(8, align=3)


def test_reset_sim_replaces_memory() -> None:
    old = memory.sim
    a = old.alloc(8)
    new = reset_sim()
    assert memory.sim is new and new is not old and isinstance(new, SimMemory)
    assert asterpy.lang.sim is new  # the package attribute follows the current sim
    with pytest.raises(MemoryFault):
        Ptr[u8](a).load()  # helpers look the current sim up at call time
    assert new.alloc(8) == ARENA_BASE


def test_ptr_basics() -> None:
    assert Ptr[u32] is Ptr[u32] and Ptr[Stat] is Ptr[Stat] and Ptr[u32] is not Ptr[i32]
    a = memory.sim.alloc(64)
    p = Ptr[u32](a)
    assert type(p.addr) is usize and p.addr == a and repr(p) == f"Ptr[u32]({a:#x})"
    p.store(0x1_0000_0005)  # plain ints wrap to the target type
    assert p.load() == 5 and type(p.load()) is u32
    p[3] = 7
    assert p[3] == 7 and (p + 3).load() == 7 and (p + u64(3)).addr == a + 12 and (p + i64(3)) == p + 3
    q = p + 4
    assert q - 1 == p + 3 and q - p == 4 and type(q - p) is i64 and p - q == -4
    assert p.cast(u8)[12] == 7 and p.cast(u8) == Ptr[u8](a)
    assert Ptr[u32].null().is_null() and not p.is_null() and Ptr[u8](-1).addr == 2 ** 64 - 1
    assert p == Ptr[u32](a) and p != q and p < q and hash(p) == hash(Ptr[u32](a))
    assert {p: 1}[Ptr[u32](a)] == 1 and p != None  # noqa: E711


def test_ptr_refusals() -> None:
    a = memory.sim.alloc(16)
    p = Ptr[u32](a)
    with pytest.raises(TypeError, match="cannot mix u32 and i32"):
        p.store(i32(1))
    with pytest.raises(TypeError, match="pointer offset"):
        p + u32(1)
    with pytest.raises(TypeError, match="cast"):
        p == Ptr[u8](a)
    with pytest.raises(TypeError, match="is_null"):
        bool(p)
    with pytest.raises(AttributeError):
        p.addr = u64(0)  # type: ignore[misc]
    with pytest.raises(TypeError):
        Ptr(a)
    with pytest.raises(TypeError):
        Ptr[int]
    with pytest.raises(TypeError, match="p.addr"):
        memset(p, 0, 4)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unresolved"):
        Ptr["Nowhere"](a).load()
    with pytest.raises(MemoryFault):
        Ptr[u64](0x10).load()


def test_ptr_targets_bool_struct_ptr() -> None:
    base = memory.sim.alloc(256)
    pb = Ptr[bool](base)
    pb.store(True)
    assert pb.load() is True and Ptr[u8](base).load() == 1
    ps = Ptr[Stat](base + 8)
    s = Stat(dev=1, mode=0o644, nlink=2, name=Array[u8, 5](b"ab"), parent=ps)
    ps.store(s)
    got = ps.load()
    assert got == s and got is not s and got.parent.load() == s  # follow the self pointer
    got.mode = 0
    assert ps.load().mode == 0o644  # load gives a fresh copy
    assert memory.sim.read(base + 8, sizeof(Stat)) == s.to_bytes()
    assert ps[1] == Stat()  # next element, zero memory
    pp = Ptr[Ptr[Stat]](base + 128)
    pp.store(ps)
    assert pp.load() == ps and pp.load().load().nlink == 2


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([u8, u16, u32, u64, i8, i32, i64]), st.integers(-(2 ** 70), 2 ** 70),
       st.integers(0, 2 * PAGE_SIZE - 8))
def test_ptr_round_trip_property(cls: Any, v: int, off: int) -> None:
    base = memory.sim.alloc(3 * PAGE_SIZE, align=PAGE_SIZE)
    p = Ptr[cls](base + off)
    p.store(v)
    assert p.load() == cls(v) and type(p.load()) is cls
    assert memory.sim.read(base + off, sizeof(cls)) == int(cls(v)).to_bytes(sizeof(cls), "little",
                                                                           signed=cls.SIGNED)


def test_address_types() -> None:
    pa, va = PhysAddr(0x1000), VirtAddr(0xFFFF_8000_0000_0000)
    assert pa + 0x10 == 0x1010 and type(pa + 0x10) is PhysAddr and type(va >> 12) is VirtAddr
    assert repr(pa) == "PhysAddr(0x1000)" and sizeof(PhysAddr) == 8 and PhysAddr(-1) == 2 ** 64 - 1
    for a, b in ((pa, u64(1)), (pa, VirtAddr(1)), (u64(1), va)):
        with pytest.raises(TypeError, match="cannot mix"):
            a + b  # type: ignore[operator]
        with pytest.raises(TypeError, match="cannot mix"):
            a == b
    assert u64(pa) == 0x1000 and Ptr[u8](va).addr == int(va)


def test_memcpy_memmove_memset_memcmp() -> None:
    a = memory.sim.alloc(64)
    memset(a, 0xAB, 8)
    memset(a + 8, 300, 2)  # an int literal wraps to 8 bits, like C's (unsigned char) cast
    assert memory.sim.read(a, 11) == b"\xab" * 8 + b"\x2c\x2c\x00"
    memcpy(a + 32, a, 10)
    assert memcmp(a, a + 32, 10) == 0
    memory.sim.write(a + 40, b"\x80")
    assert memcmp(a + 40, a + 41, 1) == 1 and memcmp(a + 41, a + 40, 1) == -1  # unsigned bytes
    assert memcmp(a, a + 1, 0) == 0
    with pytest.raises(ValueError, match="memmove"):
        memcpy(a + 1, a, 8)
    memory.sim.write(a, b"abcdefgh")
    memmove(a + 2, a, 6)
    assert memory.sim.read(a, 8) == b"ababcdef"
    with pytest.raises(TypeError):
        memset(a, u32(1), 4)
    with pytest.raises(ValueError):
        memset(a, 0, -1)
    with pytest.raises(MemoryFault):
        memcpy(a, 0x42, 4)


def test_volatile_without_device_is_plain_access() -> None:
    a = memory.sim.alloc(16)
    volatile_store(Ptr[u32](a), 0xDEADBEEF)
    assert volatile_load(Ptr[u32](a)) == 0xDEADBEEF and Ptr[u32](a).load() == 0xDEADBEEF
    mmio_write16(a + 4, 0x1234)
    assert mmio_read8(a + 4) == 0x34 and type(mmio_read8(a + 4)) is u8
    mmio_write64(a + 8, -1)
    assert mmio_read64(a + 8) == 2 ** 64 - 1


def test_mmio_device() -> None:
    dev = Regs()
    register_mmio(0xFEE0_0000, 0x100, dev)
    mmio_write32(0xFEE0_0010, 0x1_2345_6789)  # wraps to u32 before reaching the device
    assert dev.log[-1] == ("w", 0x10, 4, 0x2345_6789)
    dev.regs[0x20] = 0x1FF  # wider than the access: the result wraps
    assert mmio_read8(0xFEE0_0020) == 0xFF and dev.log[-1] == ("r", 0x20, 1, 0x1FF)
    assert type(mmio_read16(0xFEE0_0020)) is u16 and type(mmio_read32(0xFEE0_0000)) is u32
    mmio_write8(0xFEE0_0001, 1)
    mmio_write16(0xFEE0_0002, 2)
    mmio_write64(0xFEE0_0008, 3)
    assert [e[2] for e in dev.log if e[0] == "w"] == [4, 1, 2, 8]
    volatile_store(Ptr[u16](0xFEE0_0030), 0xBEEF)
    assert volatile_load(Ptr[u16](0xFEE0_0030)) == 0xBEEF
    with pytest.raises(MemoryFault, match="volatile"):
        Ptr[u32](0xFEE0_0000).load()  # plain access to device registers is a bug
    with pytest.raises(MemoryFault, match="straddles"):
        mmio_read32(0xFEE0_00FE)
    with pytest.raises(ValueError):
        register_mmio(0xFEE0_0080, 0x100, Regs())
    with pytest.raises(TypeError):
        mmio_write32(0xFEE0_0000, u64(1))
    reset_sim()  # registrations belong to the sim
    with pytest.raises(MemoryFault):
        mmio_read32(0xFEE0_0000)
