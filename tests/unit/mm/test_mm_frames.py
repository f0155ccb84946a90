"""Tests of the bitmap page-frame allocator (asterpy.mm.frames) against a Python set model."""

from typing import List, Optional, Set

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from asterpy.lang import Ptr, SysError, memory, u64
from asterpy.lang.errno import ENOMEM
from asterpy.lang.errors import KernelPanic
from asterpy.mm.frames import (
    FrameAllocator,
    bit_index,
    bitmap_words,
    bits_mask,
    lowest_set_bit,
    popcount,
)

PAGE = 4096
BASE = 0x10_0000


def make(frame_count: int, base: int = BASE) -> FrameAllocator:
    """A FrameAllocator for frame_count frames at base, its bitmap in fresh simulated memory."""
    words = int(bitmap_words(u64(frame_count)))
    bitmap = memory.sim.alloc(max(8, words * 8), 8)
    return FrameAllocator(u64(bitmap), u64(base), u64(frame_count))


def model_free(fa: FrameAllocator) -> Set[int]:
    """Frame indices whose bitmap bit is clear, read straight from raw memory."""
    free = set()
    for w in range(int(fa.words)):
        word = int(Ptr[u64](int(fa.bitmap.addr) + 8 * w).load())
        for b in range(64):
            if not (word >> b) & 1:
                free.add(w * 64 + b)
    return free


def lowest_run(free: Set[int], frame_count: int, base: int, count: int, align: int) -> Optional[int]:
    """Brute force: lowest frame index starting count free frames with a physically aligned start."""
    for s in range(frame_count - count + 1):
        if (base // PAGE + s) % align == 0 and all(s + i in free for i in range(count)):
            return s
    return None


# ---- bit helpers ----


def test_bitmap_words() -> None:
    assert [int(bitmap_words(u64(n))) for n in (0, 1, 63, 64, 65, 128, 129)] == [0, 1, 1, 1, 2, 2, 3]


def test_bit_index_every_bit() -> None:
    for i in range(64):
        assert bit_index(u64(1) << i) == i


@given(st.integers(1, 2**64 - 1))
def test_lowest_set_bit_and_popcount(w: int) -> None:
    assert lowest_set_bit(u64(w)) == (w & -w).bit_length() - 1
    assert popcount(u64(w)) == bin(w).count("1")


@given(st.integers(0, 63), st.integers(1, 64))
def test_bits_mask(lo: int, width: int) -> None:
    hi = min(64, lo + width)
    assert bits_mask(u64(lo), u64(hi)) == sum(1 << b for b in range(lo, hi))


# ---- unit tests ----


def test_starts_all_used() -> None:
    fa = make(100)
    assert fa.free_count() == 0
    assert not fa.is_free(u64(BASE))
    with pytest.raises(SysError) as e:
        fa.alloc()
    assert e.value.errno == ENOMEM


def test_add_free_range_rounds_inwards() -> None:
    fa = make(16)
    # Partial frames at both ends stay used.
    fa.add_free_range(u64(BASE + 100), u64(BASE + 5 * PAGE - 1))
    assert model_free(fa) == {1, 2, 3}
    assert fa.free_count() == 3
    # Overlapping an already free range counts each frame once; out-of-range parts are ignored.
    fa.add_free_range(u64(0), u64(BASE + 4 * PAGE))
    assert model_free(fa) == {0, 1, 2, 3}
    assert fa.free_count() == 4
    fa.add_free_range(u64(BASE + 10 * PAGE), u64(2**64 - 1))
    assert fa.free_count() == 10
    assert model_free(fa) == {0, 1, 2, 3} | set(range(10, 16))


def test_reserve_range_rounds_outwards() -> None:
    fa = make(16)
    fa.add_free_range(u64(BASE), u64(BASE + 16 * PAGE))
    fa.reserve_range(u64(BASE + PAGE + 1), u64(BASE + 3 * PAGE + 1))
    assert model_free(fa) == set(range(16)) - {1, 2, 3}
    assert fa.free_count() == 13
    fa.reserve_range(u64(BASE + 2 * PAGE), u64(BASE + 5 * PAGE))  # partly reserved already
    assert fa.free_count() == 12
    fa.reserve_range(u64(BASE + 20 * PAGE), u64(BASE + 30 * PAGE))  # outside: no effect
    fa.reserve_range(u64(BASE + 6 * PAGE), u64(BASE + 6 * PAGE))  # empty: no effect
    assert fa.free_count() == 12


def test_alloc_lowest_first_and_reuse() -> None:
    fa = make(200)
    fa.add_free_range(u64(BASE), u64(BASE + 200 * PAGE))
    got = [int(fa.alloc()) for _ in range(130)]
    assert got == [BASE + i * PAGE for i in range(130)]
    fa.free(u64(BASE + 5 * PAGE))
    fa.free(u64(BASE + 100 * PAGE))
    assert fa.alloc() == BASE + 5 * PAGE
    assert fa.alloc() == BASE + 100 * PAGE
    assert fa.alloc() == BASE + 130 * PAGE
    assert fa.free_count() == 200 - 131


def test_padding_frames_never_handed_out() -> None:
    fa = make(70)  # last word has 6 real frames and 58 padding bits
    fa.add_free_range(u64(0), u64(2**64 - 1))
    addrs = {int(fa.alloc()) for _ in range(70)}
    assert addrs == {BASE + i * PAGE for i in range(70)}
    with pytest.raises(SysError):
        fa.alloc()
    with pytest.raises(SysError):
        fa.alloc_contiguous(u64(1), u64(1))


def test_free_panics() -> None:
    fa = make(64)
    fa.add_free_range(u64(BASE), u64(BASE + 64 * PAGE))
    a = fa.alloc()
    fa.free(a)
    with pytest.raises(KernelPanic, match="double free"):
        fa.free(a)
    with pytest.raises(KernelPanic, match="outside"):
        fa.free(u64(BASE - PAGE))
    with pytest.raises(KernelPanic, match="outside"):
        fa.free(u64(BASE + 64 * PAGE))
    b = fa.alloc()
    with pytest.raises(KernelPanic, match="aligned"):
        fa.free(b + 8)
    assert fa.free_count() == 63


def test_constructor_checks() -> None:
    with pytest.raises(KernelPanic, match="page-aligned"):
        make(10, BASE + 1)
    with pytest.raises(KernelPanic, match="wraps"):
        make(16, 2**64 - 8 * PAGE)


def test_alloc_contiguous_alignment_and_words() -> None:
    fa = make(1024)
    fa.add_free_range(u64(BASE), u64(BASE + 1024 * PAGE))
    fa.reserve_range(u64(BASE), u64(BASE + PAGE))  # frame 0 used: runs cannot start at 0
    a = fa.alloc_contiguous(u64(100), u64(1))
    assert a == BASE + PAGE
    b = fa.alloc_contiguous(u64(3), u64(64))  # crosses no word, but must be 64-frame aligned
    assert (b // PAGE) % 64 == 0 and b == BASE + 128 * PAGE
    c = fa.alloc_contiguous(u64(130), u64(1))  # spans three bitmap words
    assert c == BASE + 131 * PAGE
    for i in range(130):
        assert not fa.is_free(c + i * PAGE)
    assert fa.free_count() == 1024 - 1 - 100 - 3 - 130
    # The single frames below the aligned block are still the lowest free ones.
    assert fa.alloc() == BASE + 101 * PAGE


def test_alloc_contiguous_fragmented_fails() -> None:
    fa = make(128)
    for i in range(0, 128, 2):
        fa.add_free_range(u64(BASE + i * PAGE), u64(BASE + (i + 1) * PAGE))
    assert fa.free_count() == 64
    with pytest.raises(SysError) as e:
        fa.alloc_contiguous(u64(2), u64(1))
    assert e.value.errno == ENOMEM
    assert fa.alloc_contiguous(u64(1), u64(4)) == BASE  # frame 0 is 4-aligned (BASE is 256-frame aligned)
    assert fa.alloc_contiguous(u64(1), u64(4)) == BASE + 4 * PAGE
    with pytest.raises(KernelPanic):
        fa.alloc_contiguous(u64(0), u64(1))
    with pytest.raises(KernelPanic):
        fa.alloc_contiguous(u64(1), u64(0))


def test_alloc_contiguous_physical_alignment_with_unaligned_base() -> None:
    fa = make(64, BASE + 3 * PAGE)  # frame index 0 is physical frame 0x103
    fa.add_free_range(u64(0), u64(2**64 - 1))
    a = fa.alloc_contiguous(u64(2), u64(8))
    assert (a // PAGE) % 8 == 0 and a == BASE + 8 * PAGE
    fa.free_contiguous(a, u64(2))
    assert fa.free_count() == 64


def test_is_free_and_large_ranges() -> None:
    n = 100_000  # 400 MiB of frames: the word-level paths keep this quick
    fa = make(n)
    fa.add_free_range(u64(BASE), u64(BASE + n * PAGE))
    assert fa.free_count() == n
    fa.reserve_range(u64(BASE + 10 * PAGE), u64(BASE + 90_000 * PAGE))
    assert fa.free_count() == n - 89_990
    assert fa.is_free(u64(BASE + 9 * PAGE + 123))
    assert not fa.is_free(u64(BASE + 10 * PAGE))
    assert not fa.is_free(u64(BASE - 1))
    assert not fa.is_free(u64(BASE + n * PAGE))
    assert fa.alloc_contiguous(u64(64), u64(64)) == BASE + 90_048 * PAGE


def test_alloc_contiguous_restarts_right_after_a_used_frame() -> None:
    fa = make(64)
    fa.add_free_range(u64(BASE), u64(BASE + 64 * PAGE))
    for f in (1, 4, 6, 7):
        fa.reserve_range(u64(BASE + f * PAGE), u64(BASE + f * PAGE + 1))
    assert fa.alloc_contiguous(u64(2), u64(1)) == BASE + 2 * PAGE  # 0..1 fails at 1, 2..3 fits
    assert fa.alloc_contiguous(u64(3), u64(1)) == BASE + 8 * PAGE  # 5 and 8 are the next free
    assert fa.alloc_contiguous(u64(1), u64(1)) == BASE  # single frames fill the gaps
    assert fa.alloc_contiguous(u64(1), u64(1)) == BASE + 5 * PAGE


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.integers(1, 200),
    st.lists(st.integers(0, 199), max_size=120),
    st.one_of(st.integers(1, 6), st.integers(1, 70)),
    st.sampled_from([1, 2, 3, 4, 8, 16, 64]),
)
def test_alloc_contiguous_matches_brute_force(n: int, used: List[int], count: int, align: int) -> None:
    memory.reset_sim()
    fa = make(n)
    fa.add_free_range(u64(BASE), u64(BASE + n * PAGE))
    for f in used:
        fa.reserve_range(u64(BASE + f * PAGE), u64(BASE + f * PAGE + 1))
    free = model_free(fa)
    expect = lowest_run(free, n, BASE, count, align)
    if expect is None:
        with pytest.raises(SysError):
            fa.alloc_contiguous(u64(count), u64(align))
        assert model_free(fa) == free
    else:
        assert fa.alloc_contiguous(u64(count), u64(align)) == BASE + expect * PAGE
        assert model_free(fa) == free - set(range(expect, expect + count))


# ---- stateful property test ----


class FrameMachine(RuleBasedStateMachine):
    """Random add/reserve/alloc/free sequences checked against a set of free frame indices."""

    fa: FrameAllocator
    base: int
    n: int
    free: Set[int]
    mine: Set[int]

    @initialize(
        n=st.integers(1, 260),
        base_frame=st.integers(0, 2**20),
        ranges=st.lists(st.tuples(st.integers(-3, 265), st.integers(0, 265)), max_size=4),
    )
    def setup(self, n: int, base_frame: int, ranges: List[tuple]) -> None:
        memory.reset_sim()
        self.base = base_frame * PAGE
        self.n = n
        self.fa = make(n, self.base)
        self.free = set()
        self.mine = set()  # frames we allocated and may free
        for first, frames in ranges:
            # +7: the first frame is partial, so add_free_range must round it away.
            self.add(first * PAGE + 7, frames * PAGE)

    def addr(self, frame: int) -> int:
        return self.base + frame * PAGE

    def span(self, a: int, b: int) -> tuple:
        """Offsets from base as clamped u64 addresses."""
        return max(0, self.base + a), max(0, self.base + b)

    @rule(a=st.integers(-3 * PAGE, 265 * PAGE), length=st.integers(0, 80 * PAGE))
    def add(self, a: int, length: int) -> None:
        start, end = self.span(a, a + length)
        self.fa.add_free_range(u64(start), u64(end))
        for f in range(self.n):
            if self.addr(f) >= start and self.addr(f) + PAGE <= end:
                self.free.add(f)
                self.mine.discard(f)

    @rule(a=st.integers(-3 * PAGE, 265 * PAGE), length=st.integers(0, 20 * PAGE))
    def reserve(self, a: int, length: int) -> None:
        start, end = self.span(a, a + length)
        self.fa.reserve_range(u64(start), u64(end))
        for f in range(self.n):
            if start < end and self.addr(f) < end and start < self.addr(f) + PAGE:
                self.free.discard(f)
                self.mine.discard(f)

    @rule()
    def alloc(self) -> None:
        if not self.free:
            with pytest.raises(SysError):
                self.fa.alloc()
            return
        f = min(self.free)
        assert self.fa.alloc() == self.addr(f)
        self.free.remove(f)
        self.mine.add(f)

    @rule(count=st.integers(1, 70), align=st.sampled_from([1, 2, 4, 5, 8, 64]))
    def alloc_contiguous(self, count: int, align: int) -> None:
        s = lowest_run(self.free, self.n, self.base, count, align)
        if s is None:
            with pytest.raises(SysError):
                self.fa.alloc_contiguous(u64(count), u64(align))
            return
        a = int(self.fa.alloc_contiguous(u64(count), u64(align)))
        assert a == self.addr(s) and (a // PAGE) % align == 0
        for f in range(s, s + count):
            self.free.remove(f)
            self.mine.add(f)

    @precondition(lambda self: self.mine)
    @rule(data=st.data())
    def free_one(self, data: st.DataObject) -> None:
        f = data.draw(st.sampled_from(sorted(self.mine)))
        self.fa.free(u64(self.addr(f)))
        self.mine.remove(f)
        self.free.add(f)

    @precondition(lambda self: self.free)
    @rule(data=st.data())
    def double_free_panics(self, data: st.DataObject) -> None:
        f = data.draw(st.sampled_from(sorted(self.free)))
        with pytest.raises(KernelPanic):
            self.fa.free(u64(self.addr(f)))

    @rule(off=st.integers(1, PAGE - 1))
    def bad_free_panics(self, off: int) -> None:
        with pytest.raises(KernelPanic):
            self.fa.free(u64(self.addr(self.n)))  # one past the end
        with pytest.raises(KernelPanic):
            self.fa.free(u64(self.addr(0) + off))  # misaligned

    @invariant()
    def consistent(self) -> None:
        assert self.fa.free_count() == len(self.free)
        assert model_free(self.fa) - set(range(self.n)) == set()  # padding bits stay used
        assert model_free(self.fa) == self.free


FrameMachine.TestCase.settings = settings(max_examples=80, stateful_step_count=40, deadline=None)
test_frame_machine = FrameMachine.TestCase
