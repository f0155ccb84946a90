"""Kernel stacks with a guard page: an overflow faults at once instead of corrupting memory.

A task's kernel stack is KSTACK_PAGES frames of the direct map, with one more frame below them
whose direct-map page is unmapped (the 2 MiB direct-map page around it is split into 4 KiB pages
first). Running off the end of the stack then touches the guard: a page fault in kernel mode (on
x86_64 a double fault, since the CPU cannot push the page fault's frame on the full stack), which
the trap handler recognises with `is_guard_page` and reports as a kernel stack overflow. Freeing
the stack maps the guard's page back, so the direct map is whole for the next owner of the frame.

The kernel image's own stacks (the boot stack, which the idle context runs on, and x86_64's IST
stacks for #DF, NMI and #MC) have guards too where the arch reserves them: pages of the image
that kstack_init unmaps.

Where the kernel has no page tables of its own for the direct map (before paging is set up, or an
arch that maps it through a fixed window) the stacks have no guard.
"""

from typing import Final

from asterpy.lang import List, SysError, kwarn, u64
from asterpy.mm.frames import FrameAllocator
from asterpy.mm.paging import GLOBAL, HUGE_MASK, READ, WRITE, AddressSpace

PAGE: Final = u64(4096)
# A task's kernel stack: 32 KiB, and the guard below it.
KSTACK_PAGES: Final = u64(8)
GUARD_PAGES: Final = u64(1)

# The kernel's own tables (their kernel half is shared by every process), once kstack_init ran,
# and the frame allocator the stacks come from.
kernel_tables: AddressSpace | None = None
stack_frames: FrameAllocator | None = None
# Where physical 0 is in the kernel's address space, and the end of the RAM the direct map covers.
direct_map: u64 = 0
direct_map_end: u64 = 0
# The guard pages of the kernel image's own stacks (boot, exception stacks), unmapped by
# kstack_init; None before.
image_guards: List[u64] | None = None


def kstack_init(space: AddressSpace, frames: FrameAllocator, dm: u64, phys_end: u64, guards: List[u64]) -> None:
    """Guard the kernel stacks allocated from now on, unmapping guards in `space` (the kernel's
    tables), whose direct map starts at dm and covers physical memory below phys_end; and guard
    the image's own stacks by unmapping the image pages `guards` below them."""
    global kernel_tables, stack_frames, direct_map, direct_map_end, image_guards
    kernel_tables = space
    stack_frames = frames
    unmapped: List[u64] = []
    for g in guards:
        if g != 0 and space.page_size_of(g) == PAGE:
            space.unmap(g)
            unmapped.append(g)
    image_guards = unmapped
    direct_map = dm
    direct_map_end = phys_end


def split_large_page(space: AddressSpace, va: u64) -> None:
    """Make the direct-map page at va a 4 KiB one (same frames and flags; ENOMEM for the table)."""
    space.split_huge(va & ~HUGE_MASK)


def kstack_alloc(frames: FrameAllocator, pages: u64) -> u64:
    """Frames for a kernel stack of `pages` pages plus its guard below them; return the physical
    address of the guard (the stack is the pages above it). ENOMEM."""
    pa = frames.alloc_contiguous(pages + GUARD_PAGES, u64(1))
    space = kernel_tables
    if space is None:
        return pa
    va = direct_map + pa
    if space.page_size_of(va) == 0:
        # Not mapped through the kernel's tables: nothing to unmap.
        return pa
    try:
        if space.page_size_of(va) != PAGE:
            split_large_page(space, va)
        space.unmap(va)
    except SysError as e:
        frames.free_contiguous(pa, pages + GUARD_PAGES)
        raise SysError(e.errno)
    return pa


def kstack_free(frames: FrameAllocator, pa: u64, pages: u64) -> None:
    """Give back a stack from kstack_alloc (pa: its guard's frame), mapping the guard back first."""
    space = kernel_tables
    if space is not None:
        va = direct_map + pa
        if space.page_size_of(va) == 0:
            try:
                # The page table holding the guard's entry is still there (its neighbours are
                # mapped), so this takes no frame and cannot fail in practice.
                space.map(va, pa, READ | WRITE | GLOBAL)
            except SysError:
                # Never hand out a frame the kernel cannot reach: keep the guard's frame.
                kwarn(f"kstack: cannot map the guard page {va:#x} back: its frame is kept")
                frames.free_contiguous(pa + GUARD_PAGES * PAGE, pages)
                return
    frames.free_contiguous(pa, pages + GUARD_PAGES)


def kstack_top(pa: u64, pages: u64) -> u64:
    """The kernel address just above the stack whose guard frame is at pa."""
    return direct_map_of(pa) + (pages + GUARD_PAGES) * PAGE


def direct_map_of(pa: u64) -> u64:
    """The direct-map address of physical pa."""
    return direct_map + pa


def is_guard_page(addr: u64) -> bool:
    """Whether a kernel access to addr hit a kernel stack's guard: an allocated frame of RAM whose
    direct-map page is missing (the guards are the only pages unmapped there)."""
    gs = image_guards
    if gs is not None:
        for g in gs:
            if addr >= g and addr - g < PAGE:
                return True
    space = kernel_tables
    fa = stack_frames
    if space is None or fa is None or addr < direct_map or addr - direct_map >= direct_map_end:
        return False
    pa = addr - direct_map
    if pa < fa.base or pa >= fa.limit or fa.is_free(pa):
        return False
    return space.page_size_of(addr) == 0
