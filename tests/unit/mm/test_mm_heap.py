"""Tests of the kernel heap (asterpy.mm.heap): alignment, no overlap, reuse, coalescing, misuse."""

import random
from typing import Dict, List, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from asterpy.lang import Ptr, memory, u8, u64
from asterpy.lang.errors import KernelPanic
from asterpy.mm import heap
from asterpy.mm.heap import (
    heap_check,
    heap_free_bytes,
    heap_init,
    heap_used,
    kfree,
    kmalloc,
    krealloc,
    ksize,
)

KIB = 1024
CLASSES = [16, 32, 48, 64, 96, 128, 192, 256, 512, 1024, 2048]


def arena(size: int) -> int:
    """Initialise the heap over a fresh simulated arena of size bytes; return its base."""
    base = memory.sim.alloc(size, 16)
    heap_init(u64(base), u64(size))
    return base


def region_size() -> int:
    """Bytes the heap tiles with blocks (the arena minus the meta area)."""
    return int(heap._hi - heap._lo)


def is_small(addr: int) -> bool:
    """Whether the live block at addr is a slot of a chunk (and not a large block)."""
    tag = int(Ptr[u64](addr - 16).load())
    return (tag & int(heap.TAG_KIND_MASK)) == int(heap.TAG_SMALL_USED)


def footprint(addr: int) -> int:
    """Bytes the live block at addr counts in heap_used(): header, payload and, if large, footer."""
    return int(ksize(u64(addr))) + (16 if is_small(addr) else 24)


def fill(addr: int, size: int, seed: int) -> None:
    """Write a seed-dependent marker into the first, middle and last bytes of a block."""
    for off in {0, size // 2, size - 1} if size else set():
        Ptr[u8](addr + off).store(u8((seed * 31 + off) & 0xFF))


def check_fill(addr: int, size: int, seed: int) -> None:
    """The markers written by fill are intact."""
    for off in {0, size // 2, size - 1} if size else set():
        assert Ptr[u8](addr + off).load() == (seed * 31 + off) & 0xFF, (hex(addr), size, off)


def largest_free_block() -> int:
    """Size of the biggest block on the large free list."""
    best = 0
    b = int(heap._free_head)
    while b != 0:
        best = max(best, int(Ptr[u64](b + 8).load()))
        b = int(Ptr[u64](b + 16).load())
    return best


def assert_disjoint(blocks: Dict[int, int]) -> None:
    """Blocks [addr - 16, addr + ksize) of live allocations do not overlap."""
    spans = sorted((a - 16, a + int(ksize(u64(a)))) for a in blocks)
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert end <= start


# ---- unit tests ----


def test_fresh_heap_accounting() -> None:
    arena(256 * KIB)
    assert heap_used() == 0
    assert heap_free_bytes() == region_size()
    assert heap_check() == 1


def test_alignment_and_usable_size() -> None:
    arena(1024 * KIB)
    sizes = [0, 1, 8, 15, 16, 17, 31, 33, 47, 48, 49, 64, 65, 96, 100, 128, 129, 192, 200, 256, 257,
             511, 512, 513, 1000, 1024, 1025, 2047, 2048, 2049, 3000, 4096, 10000, 65536]
    live = {}
    for n in sizes:
        a = int(kmalloc(u64(n)))
        assert a != 0 and a % 16 == 0
        assert ksize(u64(a)) >= n
        live[a] = n
    assert_disjoint(live)
    assert heap_used() == sum(footprint(a) for a in live)
    heap_check()


def test_size_classes_are_tight() -> None:
    arena(1024 * KIB)
    for c in CLASSES:
        assert ksize(kmalloc(u64(c))) == c
        assert ksize(kmalloc(u64(c - 1))) == c
    assert ksize(kmalloc(u64(0))) == 16


def test_small_reuse_after_free() -> None:
    arena(256 * KIB)
    a = kmalloc(u64(24))
    b = kmalloc(u64(24))
    assert b != a
    kfree(a)
    assert kmalloc(u64(24)) == a  # LIFO slot reuse
    used = heap_used()
    kfree(b)
    assert heap_used() == used - 48  # class 32 + 16-byte header


def test_slots_of_a_full_chunk_are_reused() -> None:
    arena(256 * KIB)
    cap = (64 * KIB - 16 - 64 - 8) // (512 + 16)
    slots = [kmalloc(u64(512)) for _ in range(cap)]  # exactly one full chunk: it leaves the list
    used = heap_used()
    kfree(slots[5])
    assert kmalloc(u64(500)) == slots[5]  # back on the list: no second chunk is made
    assert heap_used() == used


def test_large_reuse_after_free() -> None:
    arena(256 * KIB)
    a = kmalloc(u64(10_000))
    kfree(a)
    assert heap_check() == 1
    assert kmalloc(u64(10_000)) == a


def test_no_overlap_many_random() -> None:
    arena(2048 * KIB)
    rng = random.Random(7)
    live: Dict[int, int] = {}
    for i in range(600):
        if live and rng.random() < 0.3:
            a = rng.choice(sorted(live))
            check_fill(a, live[a], a)
            kfree(u64(a))
            del live[a]
            continue
        n = rng.choice([rng.randrange(0, 300), rng.randrange(0, 2100), rng.randrange(2049, 20000)])
        a = int(kmalloc(u64(n)))
        assert a != 0 and a % 16 == 0
        fill(a, n, a)
        live[a] = n
    assert_disjoint(live)
    for a, n in live.items():
        check_fill(a, n, a)
    assert heap_used() == sum(footprint(a) for a in live)
    heap_check()
    for a in live:
        kfree(u64(a))
    assert heap_used() == 0
    heap_check()


def test_krealloc_preserves_contents() -> None:
    arena(1024 * KIB)
    a = kmalloc(u64(40))
    for i in range(40):
        Ptr[u8](a + i).store(u8(i + 1))
    for new in (100, 1500, 5000, 40_000, 3000, 60):  # grow through classes and to large, then shrink
        old = min(40, new)
        b = krealloc(a, u64(old), u64(new))
        assert b != 0 and ksize(b) >= new
        for i in range(old):
            assert Ptr[u8](b + i).load() == i + 1
        a = b
    assert heap_check() >= 1


def test_krealloc_edge_cases() -> None:
    arena(256 * KIB)
    a = krealloc(u64(0), u64(0), u64(100))  # like kmalloc
    assert a != 0 and ksize(a) >= 100
    assert krealloc(a, u64(100), u64(120)) == a  # still fits its 128-byte class: stays
    assert krealloc(a, u64(100), u64(0)) == 0  # like kfree
    assert heap_used() == 0
    big = kmalloc(u64(100_000))
    Ptr[u64](big).store(u64(0x1122334455667788))
    small = krealloc(big, u64(100_000), u64(8))  # shrinking a lot moves to a small class
    assert small != big and Ptr[u64](small).load() == 0x1122334455667788
    with pytest.raises(KernelPanic, match="double free"):
        kfree(big)


def test_krealloc_failure_keeps_old_block() -> None:
    arena(256 * KIB)
    a = kmalloc(u64(3000))
    Ptr[u64](a).store(u64(42))
    assert krealloc(a, u64(3000), u64(10 * 1024 * KIB)) == 0
    assert Ptr[u64](a).load() == 42 and ksize(a) >= 3000
    kfree(a)
    assert heap_used() == 0


def test_coalescing_makes_room_for_large_allocation() -> None:
    arena(256 * KIB)
    blocks = []
    while True:
        a = kmalloc(u64(8 * KIB))
        if a == 0:
            break
        blocks.append(a)
    assert len(blocks) >= 25
    assert kmalloc(u64(20 * KIB)) == 0
    for a in blocks[::2]:  # free every other block: the holes are 8 KiB each
        kfree(a)
    assert kmalloc(u64(20 * KIB)) == 0
    for a in blocks[1::2]:  # now every freed block has free neighbours to merge with
        kfree(a)
    assert heap_check() == 1
    assert heap_used() == 0
    assert heap_free_bytes() == region_size()
    big = kmalloc(u64(region_size() - 32))
    assert big != 0
    kfree(big)


def test_exhaustion_returns_zero() -> None:
    arena(256 * KIB)
    assert kmalloc(u64(512 * KIB)) == 0
    assert kmalloc(u64(2**64 - 1)) == 0
    assert kmalloc(u64(2**64 - 16)) == 0
    live = []
    for _ in range(20_000):
        a = kmalloc(u64(1000))
        if a == 0:
            break
        live.append(a)
    else:
        pytest.fail("a 256 KiB heap never ran out")
    assert 150 < len(live) < 256
    heap_check()
    for a in live:
        kfree(a)
    assert heap_used() == 0
    assert kmalloc(u64(200 * KIB)) != 0  # the cached empty chunk is reclaimed for this


def test_empty_chunks_return_to_the_large_pool() -> None:
    arena(512 * KIB)
    live = [kmalloc(u64(64)) for _ in range(3 * 800)]  # about three 64 KiB chunks of 80-byte slots
    assert all(a != 0 for a in live)
    assert kmalloc(u64(region_size() - 100 * KIB)) == 0
    for a in live:
        kfree(a)
    assert heap_check() <= 2  # one cached chunk may remain, splitting the free space
    assert kmalloc(u64(region_size() - 32)) != 0  # ...and is reclaimed when space runs out


def test_small_blocks_fall_back_to_large_blocks() -> None:
    arena(40 * KIB)  # too small for a 64 KiB chunk
    a = kmalloc(u64(16))
    b = kmalloc(u64(2000))
    assert a != 0 and b != 0 and not is_small(a) and ksize(a) >= 16
    kfree(a)
    kfree(b)
    assert heap_check() == 1 and heap_used() == 0


def test_kfree_null_is_ignored() -> None:
    arena(64 * KIB)
    kfree(u64(0))
    assert heap_used() == 0


def test_double_free_panics() -> None:
    arena(256 * KIB)
    a = kmalloc(u64(32))
    b = kmalloc(u64(5000))
    keep = kmalloc(u64(32))  # keeps a's chunk alive so its slot tag stays readable
    kfree(a)
    with pytest.raises(KernelPanic, match="double free"):
        kfree(a)
    kfree(b)
    with pytest.raises(KernelPanic, match="double free"):
        kfree(b)
    kfree(keep)
    heap_check()


def test_wild_frees_panic() -> None:
    base = arena(256 * KIB)
    a = kmalloc(u64(5000))
    s = kmalloc(u64(100))
    with pytest.raises(KernelPanic, match="outside the heap or misaligned"):
        kfree(a + 8)
    with pytest.raises(KernelPanic, match="outside the heap or misaligned"):
        kfree(u64(base + 512 * KIB))
    with pytest.raises(KernelPanic, match="outside the heap or misaligned"):
        kfree(u64(base))  # the meta area is not a block
    with pytest.raises(KernelPanic, match="wild pointer"):
        kfree(a + 32)  # inside a block: zeroed payload, no tag
    chunk = int(Ptr[u64](s - 8).load())
    with pytest.raises(KernelPanic, match="wild pointer"):
        kfree(u64(chunk))  # the chunk header is not something kmalloc returned
    Ptr[u64](a + 32 - 16).store(heap.TAG_LARGE_USED)  # a forged large tag with a bogus size
    with pytest.raises(KernelPanic, match="corrupted"):
        kfree(a + 32)
    # Nothing above changed the heap.
    kfree(a)
    kfree(s)
    heap_check()
    assert heap_used() == 0


def test_overflow_past_block_end_is_caught() -> None:
    arena(256 * KIB)
    a = kmalloc(u64(4000))
    n = int(ksize(a))
    Ptr[u64](a + n).store(u64(0xDEAD))  # clobber the footer
    with pytest.raises(KernelPanic, match="footer"):
        kfree(a)


def test_heap_init_too_small_panics() -> None:
    base = memory.sim.alloc(4096, 16)
    with pytest.raises(KernelPanic, match="too small"):
        heap_init(u64(base), u64(300))


# ---- property tests ----


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 70_000), st.booleans()), min_size=1, max_size=60))
def test_free_all_restores_a_single_block(ops: List[Tuple[int, bool]]) -> None:
    memory.reset_sim()
    arena(1024 * KIB)
    live = []
    for size, free_now in ops:
        a = int(kmalloc(u64(size)))
        if a == 0:
            continue
        if free_now and live:
            kfree(u64(live.pop(0)))
        live.append(a)
    for a in live:
        kfree(u64(a))
    assert heap_used() == 0
    heap.heap_check()
    # Every chunk is empty now: after reclaiming them the whole region is one block again.
    heap._reclaim_empty_chunks()
    assert heap_check() == 1
    assert heap_free_bytes() == region_size()


size_strategy = st.one_of(st.integers(0, 256), st.integers(0, 2048), st.integers(2049, 40_000))


class HeapMachine(RuleBasedStateMachine):
    """Random kmalloc/kfree/krealloc sequences checked against a model of live intervals."""

    live: Dict[int, Tuple[int, int]]  # addr -> (requested size, fill seed)

    @initialize(size=st.sampled_from([160 * KIB, 512 * KIB]))
    def setup(self, size: int) -> None:
        memory.reset_sim()
        arena(size)
        self.live = {}
        self.seed = 0

    @rule(size=size_strategy)
    def alloc(self, size: int) -> None:
        a = int(kmalloc(u64(size)))
        if a == 0:
            # Out of memory only when no free block (after reclaiming empty chunks) is big enough.
            assert largest_free_block() < max(64, (size + 24 + 15) // 16 * 16)
            return
        assert a % 16 == 0 and a not in self.live
        assert ksize(u64(a)) >= size
        self.seed += 1
        fill(a, size, self.seed)
        self.live[a] = (size, self.seed)

    @precondition(lambda self: self.live)
    @rule(data=st.data())
    def free(self, data: st.DataObject) -> None:
        a = data.draw(st.sampled_from(sorted(self.live)))
        size, seed = self.live.pop(a)
        check_fill(a, size, seed)
        kfree(u64(a))

    @precondition(lambda self: self.live)
    @rule(data=st.data(), new=size_strategy)
    def realloc(self, data: st.DataObject, new: int) -> None:
        a = data.draw(st.sampled_from(sorted(self.live)))
        size, seed = self.live[a]
        # Make the whole kept prefix checkable: fill it densely (bounded, to stay quick).
        keep = min(size, new, 64)
        for i in range(keep):
            Ptr[u8](a + i).store(u8((seed + i) & 0xFF))
        b = int(krealloc(u64(a), u64(size), u64(new)))
        if new == 0:
            assert b == 0
            del self.live[a]
            return
        if b == 0:  # failed: the old block is untouched
            check_fill_prefix(a, keep, seed)
            fill(a, size, seed)  # restore the markers the dense prefix overwrote
            return
        del self.live[a]
        assert b % 16 == 0 and ksize(u64(b)) >= new
        check_fill_prefix(b, keep, seed)
        self.seed += 1
        fill(b, new, self.seed)
        self.live[b] = (new, self.seed)

    @precondition(lambda self: self.live)
    @rule(data=st.data())
    def double_free_panics(self, data: st.DataObject) -> None:
        a = data.draw(st.sampled_from(sorted(self.live)))
        size, seed = self.live.pop(a)
        kfree(u64(a))
        # Even if the free released the slot's chunk or merged the block, its tag reads as free.
        with pytest.raises(KernelPanic, match="double free"):
            kfree(u64(a))

    @invariant()
    def consistent(self) -> None:
        assert_disjoint({a: s for a, (s, _) in self.live.items()})
        assert heap_used() == sum(footprint(a) for a in self.live)
        heap_check()

    def teardown(self) -> None:
        if not hasattr(self, "live"):
            return
        for a, (size, seed) in list(self.live.items()):
            check_fill(a, size, seed)
            kfree(u64(a))
        assert heap_used() == 0
        heap_check()


def check_fill_prefix(addr: int, n: int, seed: int) -> None:
    """The dense prefix written before krealloc survived."""
    for i in range(n):
        assert Ptr[u8](addr + i).load() == (seed + i) & 0xFF


HeapMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
test_heap_machine = HeapMachine.TestCase


# ---- growth from a source, and giving regions back ----


class SimSource(heap.HeapSource):
    """A HeapSource over simulated memory, at most `budget` bytes out at once; records its calls."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.out: Dict[int, int] = {}
        self.taken = 0
        self.given = 0

    def take(self, size: u64) -> u64:
        assert int(size) % 4096 == 0
        if sum(self.out.values()) + int(size) > self.budget:
            return u64(0)
        a = memory.sim.alloc(int(size), 4096)
        self.out[a] = int(size)
        self.taken += 1
        return u64(a)

    def give(self, addr: u64, size: u64) -> None:
        assert self.out.pop(int(addr)) == int(size)
        self.given += 1

    def available(self) -> u64:
        return u64(self.budget - sum(self.out.values()))


def test_heap_grows_past_its_first_arena_and_gives_regions_back() -> None:
    arena(256 * KIB)
    src = SimSource(64 << 20)
    heap.heap_set_source(src)
    live = []
    for i in range(3000):  # ~6 MiB of small and large blocks: far more than the arena
        n = (i * 37) % 4000 + 1
        a = int(kmalloc(u64(n)))
        assert a != 0
        fill(a, n, i)
        live.append((a, n, i))
    heap_check()
    assert src.taken >= 2 and int(heap.heap_grown_bytes()) == sum(src.out.values())
    assert int(heap.heap_grow_count()) == src.taken
    assert_disjoint({a: n for a, n, _ in live})
    for a, n, i in live:
        check_fill(a, n, i)
        kfree(u64(a))
    heap._reclaim_empty_chunks()
    heap_check()
    assert heap_used() == 0
    # Every grown region is free again: all but what KEEP_FREE keeps went back to the source.
    assert src.given >= 1 and int(heap.heap_shrink_count()) == src.given
    assert sum(src.out.values()) <= int(heap.KEEP_FREE) + int(heap.GROW_STEP)


def test_heap_growth_serves_a_block_larger_than_any_region() -> None:
    arena(128 * KIB)
    src = SimSource(64 << 20)
    heap.heap_set_source(src)
    big = int(kmalloc(u64(5 << 20)))
    assert big != 0 and int(ksize(u64(big))) >= 5 << 20
    fill(big, 5 << 20, 7)
    heap_check()
    check_fill(big, 5 << 20, 7)
    kfree(u64(big))
    heap_check()


def test_heap_fails_cleanly_when_the_source_runs_dry() -> None:
    arena(128 * KIB)
    src = SimSource(2 << 20)
    heap.heap_set_source(src)
    live = []
    while True:
        a = int(kmalloc(u64(1000)))
        if a == 0:
            break
        live.append(a)
        assert len(live) < 10_000
    heap_check()
    assert src.taken >= 1 and sum(src.out.values()) <= 2 << 20
    assert heap.heap_in_reserve()
    for a in live:
        kfree(u64(a))
    heap_check()
    assert kmalloc(u64(1000)) != 0


def test_heap_init_forgets_the_source() -> None:
    arena(64 * KIB)
    heap.heap_set_source(SimSource(64 << 20))
    arena(64 * KIB)
    assert kmalloc(u64(200 * KIB)) == 0
