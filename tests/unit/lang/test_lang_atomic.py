"""Atomic integers and bools, atomic operations on raw memory, SpinLock and its misuse."""

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asterpy.lang import (AtomicBool, AtomicI32, AtomicI64, AtomicU32, AtomicU64, Deadlock, Ptr, SpinLock,
                          atomic_cmpxchg, atomic_fetch_add, atomic_load, atomic_store,
                          atomic_swap, i32, i64, memory, struct, u8, u16, u32, u64)

ATOMICS = [(AtomicU32, u32), (AtomicU64, u64), (AtomicI32, i32), (AtomicI64, i64)]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(ATOMICS), st.integers(-(2 ** 65), 2 ** 65), st.integers(-(2 ** 65), 2 ** 65))
def test_atomic_int_operations_wrap(pair: Any, a: int, b: int) -> None:
    cls, t = pair
    x = cls(a)
    assert x.load() == t(a) and type(x.load()) is t
    assert x.fetch_add(b) == t(a) and x.load() == t(a) + t(b)
    x.store(a)
    assert x.fetch_sub(b) == t(a) and x.load() == t(a) - t(b)
    x.store(a)
    assert x.fetch_and(b) == t(a) and x.load() == t(a) & t(b)
    x.store(a)
    assert x.fetch_or(b) == t(a) and x.load() == t(a) | t(b)
    assert x.swap(b) == t(a) | t(b) and x.load() == t(b)
    assert x.compare_exchange(a, 0) == (t(a) == t(b))
    x.store(b)
    assert x.compare_exchange(b, a) and x.load() == t(a)


def test_atomic_int_type_checks() -> None:
    x = AtomicU32(5)
    with pytest.raises(TypeError, match="cannot mix u32 and u64"):
        x.fetch_add(u64(1))
    with pytest.raises(TypeError):
        AtomicI64(i32(1))
    assert AtomicU32().load() == 0 and repr(AtomicI32(-3)) == "AtomicI32(-3)"
    assert AtomicU32(0).fetch_sub(1) == 0 and AtomicU32(0).swap(-1) == 0


def test_atomic_bool() -> None:
    f = AtomicBool(False)
    assert f.load() is False and f.swap(True) is False and f.load() is True
    assert not f.compare_exchange(False, False) and f.compare_exchange(True, False) and f.load() is False
    f.store(True)
    assert f.load() is True and repr(f) == "AtomicBool(True)"
    for name in ("fetch_add", "fetch_sub", "fetch_and", "fetch_or"):
        assert not hasattr(f, name)
    with pytest.raises(TypeError):
        f.store(u8(1))  # type: ignore[arg-type]


def test_atomics_on_raw_memory() -> None:
    a = memory.sim.alloc(64, align=8)
    p = Ptr[u32](a)
    atomic_store(p, 10)
    assert atomic_load(p) == 10 and atomic_fetch_add(p, -1) == 10 and p.load() == 9
    assert atomic_swap(p, 0xFFFFFFFF) == 9 and p.load() == 0xFFFFFFFF
    assert atomic_fetch_add(p, 1) == 0xFFFFFFFF and p.load() == 0  # wraps
    assert not atomic_cmpxchg(p, 1, 5) and p.load() == 0
    assert atomic_cmpxchg(p, 0, 5) and p.load() == 5
    q = Ptr[u64](a + 8)
    assert atomic_fetch_add(q, 2 ** 64 - 1) == 0 and q.load() == 2 ** 64 - 1
    pp = Ptr[Ptr[u16]](a + 16)
    assert atomic_swap(pp, Ptr[u16](0x1000)).is_null() and atomic_load(pp).addr == 0x1000
    assert atomic_cmpxchg(Ptr[bool](a + 24), False, True) and Ptr[bool](a + 24).load() is True


def test_atomic_raw_memory_refusals() -> None:
    a = memory.sim.alloc(64, align=8)

    @struct
    class Pair:
        a: u32
        b: u32

    with pytest.raises(ValueError, match="aligned"):
        atomic_load(Ptr[u32](a + 2))
    with pytest.raises(TypeError, match="int type"):
        atomic_load(Ptr[Pair](a))
    with pytest.raises(TypeError, match="int type"):
        atomic_fetch_add(Ptr[bool](a), 1)
    with pytest.raises(TypeError, match="cannot mix"):
        atomic_fetch_add(Ptr[u32](a), u16(1))


def test_spinlock() -> None:
    lock = SpinLock()
    assert not lock.locked()
    lock.acquire()
    assert lock.locked() and not lock.try_acquire()
    with pytest.raises(Deadlock, match="already held"):
        lock.acquire()
    lock.release()
    with pytest.raises(RuntimeError, match="not held"):
        lock.release()
    with lock as held:
        assert held is lock and lock.locked()
        with pytest.raises(Deadlock):
            with lock:
                pass
    assert not lock.locked()
    with pytest.raises(KeyError):
        with lock:
            raise KeyError("boom")
    assert not lock.locked() and lock.try_acquire() and lock.locked()
    assert issubclass(Deadlock, Exception)
