"""Tests of kernel_main's memory sizing and of the direct map it builds, on simulated memory."""

import pytest

from asterpy.kernel import main
from asterpy.kernel.bootinfo import ARCH_X86_64, MEM_RESERVED, MEM_USABLE, PROTO_MULTIBOOT1, add_region, bootinfo_reset
from asterpy.lang import memory, u64
from asterpy.mm.frames import FrameAllocator, bitmap_words
from asterpy.mm.paging import GLOBAL, HUGE_SIZE, NO_PHYS, READ, WRITE, new_address_space

MIB = 1 << 20
PHYS_OFFSET = 0x2000_0000_0000
DIRECT_MAP = 0xFFFF_8000_0000_0000


@pytest.mark.parametrize("usable_mib, heap_mib", [(4, 1), (16, 1), (255, 15), (512, 16), (6143, 16)])
def test_heap_size(usable_mib: int, heap_mib: int) -> None:
    """usable / 16, page aligned, within [1 MiB, 16 MiB] (the heap grows from the frames later)."""
    size = int(main.heap_size_for(u64(usable_mib * MIB)))
    assert size % 4096 == 0
    assert size // MIB == heap_mib


def test_direct_map_covers_usable_regions_once() -> None:
    """Regions sharing a 2 MiB page map it once; reserved holes between 2 MiB pages stay unmapped."""
    bootinfo_reset(ARCH_X86_64, PROTO_MULTIBOOT1, u64(DIRECT_MAP))
    add_region(u64(0), u64(0x9FC00), MEM_USABLE)
    add_region(u64(0x9FC00), u64(0x60400), MEM_RESERVED)
    add_region(u64(0x100000), u64(0x7EE0000), MEM_USABLE)          # 1 MiB .. ~128 MiB
    add_region(u64(0x1_0000_0000), u64(0x4000_0000), MEM_USABLE)   # 4 GiB .. 5 GiB
    frames_n = 64
    bitmap = memory.sim.alloc(int(bitmap_words(u64(frames_n))) * 8, 8)
    fa = FrameAllocator(u64(bitmap), u64(0x100000), u64(frames_n))
    memory.sim.map(PHYS_OFFSET + 0x100000, frames_n * 4096)
    fa.add_free_range(u64(0x100000), u64(0x100000 + frames_n * 4096))
    space = new_address_space(fa, u64(PHYS_OFFSET), False)
    total = 0
    for base, length in ((0, 0x9FC00), (0x100000, 0x7EE0000), (0x1_0000_0000, 0x4000_0000)):
        total += int(main.map_direct(space, u64(base), u64(base + length)))
    assert total == 128 * MIB + 1024 * MIB
    for pa in (0, 0x9F000, 0x1FFFFF, 0x7FDFFFF, 0x1_0000_0000, 0x1_3FFF_FFFF):
        assert space.translate(u64(DIRECT_MAP + pa)) == pa
        assert space.flags_of(u64(DIRECT_MAP + pa)) == READ | WRITE | GLOBAL
        assert space.page_size_of(u64(DIRECT_MAP + pa)) == HUGE_SIZE
    for pa in (0x8000000, 0xC000_0000, 0xFEE0_0000, 0x1_4000_0000):
        assert space.translate(u64(DIRECT_MAP + pa)) == NO_PHYS


def test_high_memory_is_released_only_after_paging() -> None:
    """Frames above 4 GiB stay used until add_high_memory, which keeps reserved ranges and modules out."""
    from asterpy.kernel.bootinfo import add_module
    bootinfo_reset(ARCH_X86_64, PROTO_MULTIBOOT1, u64(DIRECT_MAP))
    add_region(u64(0x100000), u64(0x7F00000), MEM_USABLE)
    add_region(u64(0x1_0000_0000), u64(0x4000_0000), MEM_USABLE)
    add_region(u64(0x1_0010_0000), u64(0x10_0000), MEM_RESERVED)
    add_module(u64(0x1_0080_0000), u64(0x1_0090_0000), u64(0), u64(0))
    frame_count = 0x1_4000_0000 >> 12
    bitmap = memory.sim.alloc(int(bitmap_words(u64(frame_count))) * 8, 8)
    fa = FrameAllocator(u64(bitmap), u64(0), u64(frame_count))
    main.release_memory(fa, u64(0), main.DIRECT_MAP_LIMIT)
    assert int(fa.free_count()) == (0x8000000 - 0x100000) >> 12
    assert not fa.is_free(u64(0x1_0000_0000))
    added = int(main.add_high_memory(fa))
    assert added == (0x4000_0000 - 0x10_0000 - 0x10_0000) >> 12
    assert fa.is_free(u64(0x1_0000_0000)) and fa.is_free(u64(0x1_3FFF_F000))
    assert not fa.is_free(u64(0x1_0010_0000)) and not fa.is_free(u64(0x1_0080_0000))
    assert fa.is_free(u64(0x1_0020_0000)) and fa.is_free(u64(0x1_0090_0000))
