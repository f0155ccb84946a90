"""Shared frames (asterpy.mm.frames: share/refcount/free): the side table of extra owners, by
example and against a counting model under hypothesis."""

from typing import Dict, List, Tuple

import pytest
from hypothesis import given, settings, strategies as st

from asterpy.lang import memory, u64
from asterpy.lang.errors import KernelPanic
from asterpy.mm.frames import FrameAllocator, bitmap_words

PAGE = 4096
BASE = 0x10_0000


def make(count: int) -> FrameAllocator:
    """An allocator of count free frames."""
    bitmap = memory.sim.alloc(max(8, int(bitmap_words(u64(count))) * 8), 8)
    fa = FrameAllocator(u64(bitmap), u64(BASE), u64(count))
    fa.add_free_range(u64(BASE), u64(BASE + count * PAGE))
    return fa


def test_each_owner_frees_once_and_the_last_frees_the_frame() -> None:
    """share adds owners; free drops one; the frame is free only after the last; then a further
    free is a double free."""
    fa = make(8)
    a = fa.alloc()
    assert int(fa.refcount(a)) == 1
    fa.share(a)
    fa.share(a)
    assert int(fa.refcount(a)) == 3
    fa.free(a)
    fa.free(a)
    assert not fa.is_free(a) and int(fa.refcount(a)) == 1
    fa.free(a)
    assert fa.is_free(a)
    with pytest.raises(KernelPanic):
        fa.free(a)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["alloc", "share", "free"]), st.integers(0, 15)), max_size=60))
def test_refcounts_match_a_model(ops: List[Tuple[str, int]]) -> None:
    """Random allocs, shares and frees: owners per frame and the free count follow the model."""
    fa = make(16)
    owners: Dict[int, int] = {}
    for op, k in ops:
        live = sorted(owners)
        if op == "alloc":
            if len(owners) < 16:
                owners[int(fa.alloc())] = 1
        elif live:
            a = live[k % len(live)]
            if op == "share":
                fa.share(u64(a))
                owners[a] += 1
            else:
                fa.free(u64(a))
                owners[a] -= 1
                if owners[a] == 0:
                    del owners[a]
        for a, n in owners.items():
            assert int(fa.refcount(u64(a))) == n and not fa.is_free(u64(a))
        assert int(fa.free_count()) == 16 - len(owners)
