"""Tests of the kernel page tables (asterpy.mm.paging over the x86_64 format) on simulated memory."""

from typing import Dict, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asterpy.lang import SysError, memory, u64
from asterpy.lang.errno import EEXIST, EINVAL, ENOMEM
from asterpy.mm.frames import FrameAllocator, bitmap_words
from asterpy.mm.paging import (
    EXEC, GLOBAL, HUGE_SIZE, NO_PHYS, NOCACHE, PAGE_SIZE, READ, USER, WRITE,
    AddressSpace, new_address_space,
)
from arch.x86_64.paging import PTE_HUGE, PTE_NX, PTE_PCD, PTE_PRESENT, PTE_USER, PTE_WRITABLE

# Simulated physical memory: FRAMES frames from PHYS_BASE, visible at PHYS_OFFSET + phys.
PHYS_BASE = 0x100000
FRAMES = 96
PHYS_OFFSET = 0x2000_0000_0000
KERNEL_BASE = 0xFFFF_FFFF_8000_0000

canonical_va = st.one_of(
    st.integers(0, (1 << 47) - 1),
    st.integers(0xFFFF_8000_0000_0000, 0xFFFF_FFFF_FFFF_FFFF),
).map(lambda v: v & ~0xFFF)
phys_page = st.integers(0, (1 << 40) - 1).map(lambda p: p & ~0xFFF)
flag_sets = st.sampled_from([READ, READ | WRITE, READ | EXEC, READ | GLOBAL, READ | WRITE | NOCACHE,
                             READ | USER, READ | WRITE | USER, READ | EXEC | USER | GLOBAL,
                             READ | WRITE | EXEC | USER])


def make_frames(count: int = FRAMES) -> FrameAllocator:
    """A frame allocator over simulated physical frames, all free, reachable at PHYS_OFFSET + phys."""
    bitmap = memory.sim.alloc(max(8, int(bitmap_words(u64(count))) * 8), 8)
    fa = FrameAllocator(u64(bitmap), u64(PHYS_BASE), u64(count))
    memory.sim.map(PHYS_OFFSET + PHYS_BASE, count * PAGE_SIZE)
    fa.add_free_range(u64(PHYS_BASE), u64(PHYS_BASE + count * PAGE_SIZE))
    return fa


def make_space(count: int = FRAMES) -> Tuple[FrameAllocator, AddressSpace]:
    """A fresh frame allocator and an empty address space on it (no TLB hooks: simulated)."""
    fa = make_frames(count)
    return fa, new_address_space(fa, u64(PHYS_OFFSET), False)


def raw_leaf(space: AddressSpace, va: int) -> int:
    """The raw x86_64 leaf entry for va, walking the simulated tables by hand."""
    pa = int(space.root)
    for level in (3, 2, 1, 0):
        e = int(memory.Ptr[u64](PHYS_OFFSET + pa + 8 * ((va >> (12 + 9 * level)) & 511)).load())
        if not e & 1:
            return 0
        if level == 0 or (level > 0 and e & PTE_HUGE):
            return e
        pa = e & 0x000F_FFFF_FFFF_F000
    return 0


def test_map_translate_and_unmap_one_page() -> None:
    """A 4 KiB mapping translates with the page offset kept, then unmaps and frees its 3 tables."""
    fa, space = make_space()
    free0 = int(fa.free_count())
    space.map(u64(0xFFFF_8000_1234_5000), u64(0xABC000), READ | WRITE)
    assert int(space.table_pages) == 4
    assert int(fa.free_count()) == free0 - 3
    assert space.translate(u64(0xFFFF_8000_1234_5ABC)) == 0xABCABC
    assert space.translate(u64(0xFFFF_8000_1234_6000)) == NO_PHYS
    assert space.unmap(u64(0xFFFF_8000_1234_5000)) == 0xABC000
    assert space.translate(u64(0xFFFF_8000_1234_5000)) == NO_PHYS
    assert int(space.table_pages) == 1
    assert int(fa.free_count()) == free0


def test_raw_entry_bits() -> None:
    """Flags become the x86_64 bits: present, writable, user, PCD, NX unless EXEC."""
    _, space = make_space()
    space.map(u64(0x1000), u64(0x5000), READ | WRITE | NOCACHE)
    e = raw_leaf(space, 0x1000)
    assert e & PTE_PRESENT and e & PTE_WRITABLE and e & PTE_PCD and e & PTE_NX
    assert not e & PTE_USER
    space.map(u64(0x2000), u64(0x6000), READ | EXEC | USER)
    e = raw_leaf(space, 0x2000)
    assert e & PTE_USER and not e & PTE_NX and not e & PTE_WRITABLE
    assert e & 0x000F_FFFF_FFFF_F000 == 0x6000


def test_wx_refused_for_kernel() -> None:
    """A kernel mapping both writable and executable is refused (W^X); a user one is allowed."""
    fa, space = make_space()
    free0 = int(fa.free_count())
    with pytest.raises(SysError) as ei:
        space.map(u64(KERNEL_BASE + 0x100000), u64(0x100000), READ | WRITE | EXEC)
    assert ei.value.errno == EINVAL
    with pytest.raises(SysError):
        space.map_huge(u64(KERNEL_BASE), u64(0), READ | WRITE | EXEC | GLOBAL)
    with pytest.raises(SysError):
        space.map_range(u64(KERNEL_BASE), u64(0), u64(0x3000), READ | WRITE | EXEC, True)
    assert int(fa.free_count()) == free0 and int(space.table_pages) == 1
    space.map(u64(0x400000), u64(0x100000), READ | WRITE | EXEC | USER)
    assert space.flags_of(u64(0x400000)) == READ | WRITE | EXEC | USER


def test_bad_arguments() -> None:
    """Misaligned addresses, missing READ and unknown flag bits are EINVAL; a double map is EEXIST."""
    _, space = make_space()
    for va, pa, fl in ((0x1001, 0x2000, READ), (0x1000, 0x2001, READ), (0x1000, 0x2000, WRITE),
                       (0x1000, 0x2000, READ | 0x40)):
        with pytest.raises(SysError) as ei:
            space.map(u64(va), u64(pa), u64(fl))
        assert ei.value.errno == EINVAL
    space.map(u64(0x1000), u64(0x2000), READ)
    with pytest.raises(SysError) as ei:
        space.map(u64(0x1000), u64(0x3000), READ)
    assert ei.value.errno == EEXIST
    with pytest.raises(SysError) as ei:
        space.map_huge(u64(0), u64(0), READ)
    assert ei.value.errno == EEXIST


def test_huge_pages() -> None:
    """A 2 MiB page translates anywhere inside it, blocks 4 KiB maps in it, and unmaps whole."""
    fa, space = make_space()
    free0 = int(fa.free_count())
    space.map_huge(u64(0xFFFF_8000_0020_0000), u64(0x4020_0000), READ | WRITE | GLOBAL)
    assert raw_leaf(space, 0xFFFF_8000_0020_0000) & PTE_HUGE
    assert space.translate(u64(0xFFFF_8000_0031_2345)) == 0x4031_2345
    assert space.page_size_of(u64(0xFFFF_8000_0031_2000)) == HUGE_SIZE
    assert space.flags_of(u64(0xFFFF_8000_003F_F000)) == READ | WRITE | GLOBAL
    with pytest.raises(SysError) as ei:
        space.map(u64(0xFFFF_8000_0030_0000), u64(0x1000), READ)
    assert ei.value.errno == EEXIST
    with pytest.raises(SysError) as ei:
        space.unmap(u64(0xFFFF_8000_0030_0000))
    assert ei.value.errno == EINVAL
    with pytest.raises(SysError):
        space.map_huge(u64(0xFFFF_8000_0030_0000), u64(0), READ)
    assert space.unmap(u64(0xFFFF_8000_0020_0000)) == 0x4020_0000
    assert int(fa.free_count()) == free0 and int(space.table_pages) == 1


def test_split_huge_page_then_punch_a_hole() -> None:
    """split_huge turns a 2 MiB page into 512 4 KiB pages with the same frames and flags, so one
    of them can be unmapped and mapped back (the kernel stacks' guard pages, mm/kstack.py)."""
    fa, space = make_space()
    base = 0xFFFF_8000_0020_0000
    space.map_huge(u64(base), u64(0x4020_0000), READ | WRITE | GLOBAL)
    tables = int(space.table_pages)
    space.split_huge(u64(base))
    assert int(space.table_pages) == tables + 1
    assert not raw_leaf(space, base) & PTE_HUGE
    for off in (0, 0x1000, 0x12_3000, 0x1F_F000):
        assert space.page_size_of(u64(base + off)) == PAGE_SIZE
        assert space.translate(u64(base + off + 0x45)) == 0x4020_0000 + off + 0x45
        assert space.flags_of(u64(base + off)) == READ | WRITE | GLOBAL
    assert space.unmap(u64(base + 0x5000)) == 0x4020_5000
    assert space.translate(u64(base + 0x5000)) == NO_PHYS
    assert space.translate(u64(base + 0x6000)) == 0x4020_6000
    free = int(fa.free_count())
    space.map(u64(base + 0x5000), u64(0x4020_5000), READ | WRITE | GLOBAL)
    assert int(fa.free_count()) == free            # the table was still there
    space.split_huge(u64(base))                     # already 4 KiB pages: nothing to do
    assert int(space.table_pages) == tables + 1
    space.map_huge(u64(base + HUGE_SIZE), u64(0), READ)
    with pytest.raises(SysError) as ei:
        space.split_huge(u64(base + HUGE_SIZE + 0x1000))     # not the large page's start
    assert ei.value.errno == EINVAL


def test_map_range_uses_huge_pages_where_aligned() -> None:
    """map_range takes 2 MiB pages on aligned stretches and 4 KiB pages elsewhere."""
    _, space = make_space()
    n = space.map_range(u64(0x1FF000), u64(0x1FF000), u64(0x402000), READ | WRITE, True)
    # 0x1ff000: one small page; 0x200000..0x600000: two huge; 0x600000: one small.
    assert n == 4
    assert space.page_size_of(u64(0x1FF000)) == PAGE_SIZE
    assert space.page_size_of(u64(0x200000)) == HUGE_SIZE
    assert space.page_size_of(u64(0x600000)) == PAGE_SIZE
    assert space.translate(u64(0x5FFFFF)) == 0x5FFFFF


def test_out_of_frames_leaks_no_table() -> None:
    """ENOMEM part-way down a walk releases the tables it had made."""
    fa, space = make_space(3)   # the root plus two tables: one short of a 4 KiB mapping
    free0 = int(fa.free_count())
    with pytest.raises(SysError) as ei:
        space.map(u64(0x1000), u64(0x1000), READ)
    assert ei.value.errno == ENOMEM
    assert int(fa.free_count()) == free0 and int(space.table_pages) == 1
    space.map_huge(u64(0x200000), u64(0x200000), READ)  # two tables suffice for a huge page
    assert space.translate(u64(0x200000)) == 0x200000


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(canonical_va, phys_page, flag_sets), min_size=1, max_size=12),
       st.randoms(use_true_random=False))
def test_round_trips_against_a_model(ops: list, rnd) -> None:
    """Random maps then unmaps in random order agree with a dict model, and free every table."""
    memory.reset_sim()
    fa, space = make_space(160)
    free0 = int(fa.free_count())
    model: Dict[int, Tuple[int, int]] = {}
    for va, pa, fl in ops:
        if va in model:
            with pytest.raises(SysError):
                space.map(u64(va), u64(pa), u64(fl))
            continue
        space.map(u64(va), u64(pa), u64(fl))
        model[va] = (pa, fl)
    for va, (pa, fl) in model.items():
        assert space.translate(u64(va + 0x123)) == pa + 0x123
        assert space.flags_of(u64(va)) == fl
    order = list(model)
    rnd.shuffle(order)
    for k, va in enumerate(order):
        assert space.unmap(u64(va)) == model[va][0]
        assert space.translate(u64(va)) == NO_PHYS
        for other in order[k + 1:]:
            assert space.translate(u64(other)) == model[other][0]
    assert space.unmap(u64(order[0])) == NO_PHYS
    assert int(space.table_pages) == 1
    assert int(fa.free_count()) == free0
