"""The VM area list (asterpy.mm.vma): find/insert/split/merge, range removal, protection changes
and the free-gap search, by example and against a page-by-page Python model under hypothesis."""

from typing import Dict, List, Tuple

from hypothesis import given, settings, strategies as st

from asterpy.lang import u64
from asterpy.mm.vma import NO_ADDR, VM_SHARED, Vma, VmaList

P = 4096


def areas(vl: VmaList) -> List[Tuple[int, int, int, int]]:
    """(start, end, prot, flags) of every area."""
    return [(int(v.start), int(v.end), int(v.prot), int(v.flags)) for v in vl.areas]


def add(vl: VmaList, start: int, end: int, prot: int = 3, flags: int = 0) -> None:
    """Insert an anonymous area of pages [start, end)."""
    vl.insert(Vma(u64(start * P), u64(end * P), u64(prot), u64(flags), None, u64(0)))


def test_insert_merges_neighbours_and_find() -> None:
    """Adjacent compatible areas become one; different protection keeps them apart."""
    vl = VmaList()
    add(vl, 10, 12)
    add(vl, 14, 16)
    add(vl, 12, 14)
    assert areas(vl) == [(10 * P, 16 * P, 3, 0)]
    add(vl, 16, 17, prot=1)
    assert areas(vl) == [(10 * P, 16 * P, 3, 0), (16 * P, 17 * P, 1, 0)]
    assert vl.find(u64(15 * P + 5)) is vl.areas[0]
    assert vl.find(u64(17 * P)) is None
    assert vl.find(u64(9 * P)) is None


def test_remove_range_splits() -> None:
    """Removing the middle of an area leaves its two ends; the removed pieces come back."""
    vl = VmaList()
    add(vl, 0, 10)
    out = vl.remove_range(u64(3 * P), u64(5 * P))
    assert [(int(v.start), int(v.end)) for v in out] == [(3 * P, 5 * P)]
    assert areas(vl) == [(0, 3 * P, 3, 0), (5 * P, 10 * P, 3, 0)]
    assert vl.covered(u64(0), u64(3 * P)) and not vl.covered(u64(0), u64(4 * P))
    assert vl.overlaps(u64(4 * P), u64(6 * P)) and not vl.overlaps(u64(3 * P), u64(5 * P))


def test_set_prot_splits_and_merges_back() -> None:
    """mprotect of one page splits the area in three; restoring it merges them again."""
    vl = VmaList()
    add(vl, 0, 3)
    vl.set_prot(u64(P), u64(2 * P), u64(1))
    assert areas(vl) == [(0, P, 3, 0), (P, 2 * P, 1, 0), (2 * P, 3 * P, 3, 0)]
    vl.set_prot(u64(P), u64(2 * P), u64(3))
    assert areas(vl) == [(0, 3 * P, 3, 0)]


def test_file_offsets_follow_splits_and_decide_merging() -> None:
    """A split file area keeps its offsets; pieces whose offsets do not continue stay apart."""
    vl = VmaList()
    vl.insert(Vma(u64(0), u64(4 * P), u64(3), u64(VM_SHARED), None, u64(0)))
    vl.split_at(u64(2 * P))
    assert int(vl.areas[1].pgoff) == 2 * P
    a = Vma(u64(10 * P), u64(11 * P), u64(3), u64(0), None, u64(0))
    vl.insert(a)
    assert len(vl.areas) == 3


def test_find_free_top_down_and_bottom_up() -> None:
    """The highest (or lowest) gap that fits, inside [low, high); NO_ADDR when none does."""
    vl = VmaList()
    add(vl, 10, 20)
    add(vl, 22, 30)
    assert int(vl.find_free(u64(2 * P), u64(0), u64(40 * P), True)) == 38 * P
    assert int(vl.find_free(u64(2 * P), u64(0), u64(30 * P), True)) == 20 * P
    assert int(vl.find_free(u64(3 * P), u64(0), u64(30 * P), True)) == 7 * P
    assert int(vl.find_free(u64(2 * P), u64(10 * P), u64(40 * P), False)) == 20 * P
    assert int(vl.find_free(u64(3 * P), u64(10 * P), u64(40 * P), False)) == 30 * P
    assert vl.find_free(u64(11 * P), u64(10 * P), u64(30 * P), True) == NO_ADDR
    assert vl.find_free(u64(11 * P), u64(10 * P), u64(30 * P), False) == NO_ADDR


def test_add_union_widens_overlaps() -> None:
    """ELF segments sharing a page: the shared page gets both permissions."""
    vl = VmaList()
    vl.add_union(u64(0), u64(2 * P), u64(5))
    vl.add_union(u64(P), u64(4 * P), u64(3))
    assert areas(vl) == [(0, P, 5, 0), (P, 2 * P, 7, 0), (2 * P, 4 * P, 3, 0)]


def test_clone_is_deep() -> None:
    """fork's copy does not share area objects."""
    vl = VmaList()
    add(vl, 0, 4)
    c = vl.clone()
    c.set_prot(u64(0), u64(P), u64(1))
    assert areas(vl) == [(0, 4 * P, 3, 0)]


# ------------------------------------------------------------------ the model

PAGES = 64
ops = st.lists(st.tuples(st.sampled_from(["map", "unmap", "protect"]), st.integers(0, PAGES - 1),
                         st.integers(1, 12), st.integers(0, 7)), max_size=40)


def model_areas(model: Dict[int, Tuple[int, int]]) -> List[Tuple[int, int, int]]:
    """The model's pages (page -> (prot, id)) as maximal runs of equal protection (start, end, prot);
    runs of different mappings with equal prot merge, as anonymous areas do."""
    out: List[Tuple[int, int, int]] = []
    for pg in sorted(model):
        prot = model[pg][0]
        if out and out[-1][1] == pg * P and out[-1][2] == prot:
            out[-1] = (out[-1][0], (pg + 1) * P, prot)
        else:
            out.append((pg * P, (pg + 1) * P, prot))
    return out


@settings(max_examples=300, deadline=None)
@given(ops)
def test_vma_list_matches_a_page_model(seq: List[Tuple[str, int, int, int]]) -> None:
    """Random MAP_FIXED-style maps, unmaps and protection changes keep the list sorted, disjoint,
    fully merged and equal to a page-by-page model."""
    vl = VmaList()
    model: Dict[int, Tuple[int, int]] = {}
    for i, (op, first, n, prot) in enumerate(seq):
        last = min(first + n, PAGES)
        s, e = u64(first * P), u64(last * P)
        if op == "map":
            vl.remove_range(s, e)
            vl.insert(Vma(s, e, u64(prot), u64(0), None, u64(0)))
            for pg in range(first, last):
                model[pg] = (prot, i)
        elif op == "unmap":
            vl.remove_range(s, e)
            for pg in range(first, last):
                model.pop(pg, None)
        else:
            covered = all(pg in model for pg in range(first, last))
            assert vl.covered(s, e) == covered
            if covered:
                vl.set_prot(s, e, u64(prot))
                for pg in range(first, last):
                    model[pg] = (prot, model[pg][1])
        got = areas(vl)
        for a, b in zip(got, got[1:]):
            assert a[1] <= b[0]                                  # sorted, disjoint
            assert not (a[1] == b[0] and a[2] == b[2])           # merged
        assert [(a, b, c) for a, b, c, _ in got] == model_areas(model)
        for pg in range(PAGES):
            v = vl.find(u64(pg * P + 7))
            assert (v is not None) == (pg in model)
            if v is not None:
                assert int(v.prot) == model[pg][0]
        free = vl.find_free(u64(2 * P), u64(0), u64(PAGES * P), True)
        if free != NO_ADDR:
            f = int(free) // P
            assert f + 2 <= PAGES and f not in model and f + 1 not in model
            # Top-down: no higher pair of free pages.
            assert not any(g not in model and g + 1 not in model for g in range(f + 1, PAGES - 1))
        else:
            assert not any(g not in model and g + 1 not in model for g in range(PAGES - 1))
