"""asterpy.mm.paging over the riscv64 (Sv39) and loongarch64 entry formats, and a model of loongarch64's refill walk."""

from types import ModuleType
from typing import Dict, Iterator, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import arch.loongarch64.paging as la
import arch.riscv64.paging as rv
from asterpy.lang import SysError, memory, u64
from asterpy.lang.errno import EEXIST
from asterpy.mm import paging
from asterpy.mm.frames import FrameAllocator, bitmap_words
from asterpy.mm.paging import (
    EXEC, GLOBAL, HUGE_SIZE, NO_PHYS, NOCACHE, PAGE_SIZE, READ, USER, WRITE, AddressSpace, new_address_space,
)

PHYS_BASE = 0x100000
FRAMES = 160
PHYS_OFFSET = 0x2000_0000_0000
# Sv39 and loongarch64's three levels: 39-bit halves, sign-extended from bit 38.
va39 = st.one_of(
    st.integers(0, (1 << 38) - 1),
    st.integers(0xFFFF_FFC0_0000_0000, 0xFFFF_FFFF_FFFF_FFFF),
).map(lambda v: v & ~0xFFF)
phys_page = st.integers(0, (1 << 40) - 1).map(lambda p: p & ~0xFFF)
BASE_FLAGS = [READ, READ | WRITE, READ | EXEC, READ | GLOBAL, READ | USER, READ | WRITE | USER,
              READ | EXEC | USER | GLOBAL, READ | WRITE | EXEC | USER]
# riscv64 has no cacheability bit (the platform's PMAs decide): NOCACHE does not round-trip there.
FLAGS = {"riscv64": BASE_FLAGS, "loongarch64": BASE_FLAGS + [READ | WRITE | NOCACHE, READ | NOCACHE | GLOBAL]}
FORMATS = {"riscv64": rv, "loongarch64": la}


@pytest.fixture(params=["riscv64", "loongarch64"])
def fmt(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Tuple[str, ModuleType]]:
    """asterpy.mm.paging with one arch's entry format in place of x86_64's (what kernel_arch gives it natively)."""
    arch = str(request.param)
    mod = FORMATS[arch]
    monkeypatch.setattr(paging, "ARCH_PT_LEVELS", mod.LEVELS)
    for name in ("pte_make", "pte_flags", "pte_present", "pte_is_huge", "pte_phys", "pte_table"):
        monkeypatch.setattr(paging, name, getattr(mod, name))
    memory.reset_sim()
    yield arch, mod
    memory.reset_sim()


def make_space(count: int = FRAMES) -> Tuple[FrameAllocator, AddressSpace]:
    """A frame allocator over simulated frames and an empty (simulated, hw=False) address space."""
    bitmap = memory.sim.alloc(max(8, int(bitmap_words(u64(count))) * 8), 8)
    fa = FrameAllocator(u64(bitmap), u64(PHYS_BASE), u64(count))
    memory.sim.map(PHYS_OFFSET + PHYS_BASE, count * PAGE_SIZE)
    fa.add_free_range(u64(PHYS_BASE), u64(PHYS_BASE + count * PAGE_SIZE))
    return fa, new_address_space(fa, u64(PHYS_OFFSET), False)


def entry_at(pa: int, index: int) -> int:
    """The raw entry `index` of the simulated table at physical pa."""
    return int(memory.Ptr[u64](PHYS_OFFSET + pa + 8 * index).load())


def la_refill(space: AddressSpace, va: int) -> Tuple[int, int]:
    """(TLBRELO0, TLBRELO1) as boot.S's asterpy_tlb_refill fills them for va: a model of the asm walk."""
    top = va >> 38
    if top not in (0, (1 << 26) - 1):
        return 0, 0
    pa = int(space.root)
    for level in (2, 1):
        e = entry_at(pa, (va >> (12 + 9 * level)) & 511)
        if not e & la.PTE_V:
            return 0, 0
        if e & la.PTE_HUGE:
            size = 1 << (12 + 9 * level)
            even = (e ^ la.PTE_HUGE) + ((va & (size - 1)) & ~0x1FFF)
            return even, even + 0x1000
        pa = e & ~0xFFF
    i = (va >> 12) & 510
    return entry_at(pa, i), entry_at(pa, i + 1)


def test_raw_entry_bits(fmt: Tuple[str, ModuleType]) -> None:
    """The arch's bits: riscv64 V/R/W/X/U/G/A/D with the PPN at bit 10; loongarch64 TLBELO (V, D, PLV, MAT, G, NX)."""
    arch, mod = fmt
    _, space = make_space()
    space.map(u64(0x1000), u64(0x5000), READ | WRITE)
    space.map(u64(0x2000), u64(0x6000), READ | EXEC | USER | GLOBAL)
    root = int(space.root)
    l1 = entry_at(root, 0) & (~0x3FF if arch == "riscv64" else ~0xFFF)
    l1 = (l1 >> 10) << 12 if arch == "riscv64" else l1
    l0 = entry_at(l1, 0)
    l0 = ((l0 >> 10) << 12) & ((1 << 56) - 1) if arch == "riscv64" else l0 & ~0xFFF
    e1, e2 = entry_at(l0, 1), entry_at(l0, 2)
    if arch == "riscv64":
        assert e1 == (0x5 << 10) | rv.PTE_V | rv.PTE_R | rv.PTE_W | rv.PTE_A | rv.PTE_D
        assert e2 == (0x6 << 10) | rv.PTE_V | rv.PTE_R | rv.PTE_X | rv.PTE_U | rv.PTE_G | rv.PTE_A | rv.PTE_D
        assert entry_at(root, 0) & 0xFF == rv.PTE_V   # a pointer: no R/W/X, no A/D/U
    else:
        assert e1 == 0x5000 | la.PTE_V | la.PTE_D | la.PTE_MAT_CC | la.PTE_NX
        assert e2 == 0x6000 | la.PTE_V | la.PTE_MAT_CC | la.PTE_PLV3 | la.PTE_G
        assert entry_at(root, 0) & 0xFFF == la.PTE_V


def test_huge_pages_and_neighbours(fmt: Tuple[str, ModuleType]) -> None:
    """A 2 MiB page next to 4 KiB pages: translate, flags, page sizes, EEXIST inside it, clean unmap."""
    _, space = make_space()
    fa = space.frames
    free0 = int(fa.free_count())
    base = 0xFFFF_FFC0_0020_0000
    space.map_huge(u64(base), u64(0x4020_0000), READ | WRITE | GLOBAL)
    space.map(u64(base + HUGE_SIZE), u64(0x7000), READ)
    assert space.translate(u64(base + 0x12345)) == 0x4021_2345
    assert space.page_size_of(u64(base + 0x1000)) == HUGE_SIZE
    assert space.page_size_of(u64(base + HUGE_SIZE)) == PAGE_SIZE
    assert space.flags_of(u64(base)) == READ | WRITE | GLOBAL
    with pytest.raises(SysError) as ei:
        space.map(u64(base + 0x1000), u64(0x1000), READ)
    assert ei.value.errno == EEXIST
    assert space.unmap(u64(base)) == 0x4020_0000
    assert space.unmap(u64(base + HUGE_SIZE)) == 0x7000
    assert int(fa.free_count()) == free0 and int(space.table_pages) == 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_round_trips_against_a_model(fmt: Tuple[str, ModuleType], data: st.DataObject) -> None:
    """Random maps agree with a dict model (and, on loongarch64, with the refill walk), then unmap to nothing."""
    arch, _ = fmt
    memory.reset_sim()
    fa, space = make_space()
    free0 = int(fa.free_count())
    ops = data.draw(st.lists(st.tuples(va39, phys_page, st.sampled_from(FLAGS[arch])), min_size=1, max_size=10))
    model: Dict[int, Tuple[int, int]] = {}
    for va, pa, fl in ops:
        if va in model:
            continue
        space.map(u64(va), u64(pa), u64(fl))
        model[va] = (pa, fl)
    for va, (pa, fl) in model.items():
        assert space.translate(u64(va + 0x123)) == pa + 0x123
        assert space.flags_of(u64(va)) == fl
        if arch == "loongarch64":
            lo0, lo1 = la_refill(space, va)
            elo = lo1 if va & 0x1000 else lo0
            assert elo & la.ADDR_MASK == pa and elo & la.PTE_V
            assert la.pte_flags(u64(elo)) == fl
            other = va ^ 0x1000
            assert (lo0 if va & 0x1000 else lo1) & la.PTE_V == (1 if other in model else 0)
    for va in list(model):
        assert space.unmap(u64(va)) == model[va][0]
        assert space.translate(u64(va)) == NO_PHYS
    assert int(space.table_pages) == 1 and int(fa.free_count()) == free0


def test_refill_of_large_and_unmapped(fmt: Tuple[str, ModuleType]) -> None:
    """loongarch64's walk: a 2 MiB page becomes the 4 KiB pair holding the address; holes and non-canonical addresses are invalid pairs."""
    arch, _ = fmt
    if arch != "loongarch64":
        pytest.skip("the refill walk is loongarch64's")
    _, space = make_space()
    space.map_huge(u64(0xFFFF_FFFF_8020_0000), u64(0x20_0000), READ | EXEC | GLOBAL)
    lo0, lo1 = la_refill(space, 0xFFFF_FFFF_8031_3456)
    assert lo0 & la.ADDR_MASK == 0x31_2000 and lo1 & la.ADDR_MASK == 0x31_3000
    assert not lo0 & la.PTE_HUGE and not lo0 & la.PTE_NX and lo0 & la.PTE_G
    assert la_refill(space, 0xFFFF_FFFF_8040_0000) == (0, 0)
    assert la_refill(space, 0x8000_0000_8020_0000) == (0, 0)
