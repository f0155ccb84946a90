"""Device memory for drivers: ioremap maps a device's registers uncached, virt_to_phys gives DMA addresses.

Registers are mapped where the direct map would put them (direct map base + physical address), in
the kernel's own tables with NOCACHE: every register access then goes to the device, in order.
RAM is never handed to ioremap (it is already mapped, write-back); device ranges usually lie in
holes the direct map leaves, and a large RAM page covering one is split so only the device's pages
change. Drivers keep the returned address and use asterpy.lang's mmio_read*/mmio_write* on it.
"""

from typing import Final

from asterpy.lang import SysError, u64
from asterpy.lang.errno import ENODEV
from asterpy.mm.paging import GLOBAL, NOCACHE, NO_PHYS, READ, WRITE, AddressSpace

PAGE: Final = u64(4096)
PAGE_MASK: Final = u64(4095)

# The kernel's tables and where physical 0 is in them; None until ioremap_init (kernel_main).
_io_space: AddressSpace | None = None
_io_direct_map: u64 = u64(0)


def ioremap_init(space: AddressSpace, dm: u64) -> None:
    """Let ioremap map into space (the kernel's tables), whose direct map starts at dm."""
    global _io_space, _io_direct_map
    _io_space = space
    _io_direct_map = dm


def ioremap(pa: u64, size: u64) -> u64:
    """Map the device registers [pa, pa + size) uncached; return the kernel address of pa.

    Mapping a range twice (two capabilities in one BAR) is fine: pages already uncached are
    kept. ENODEV before ioremap_init (no kernel tables of our own), ENOMEM for a page table.
    """
    space = _io_space
    if space is None:
        raise SysError(ENODEV)
    first = pa & ~PAGE_MASK
    end = (pa + size + PAGE_MASK) & ~PAGE_MASK
    p = first
    while p < end:
        va = _io_direct_map + p
        sz = space.page_size_of(va)
        if sz > PAGE:
            # A large direct-map page covers it: make it 4 KiB pages so only this one changes.
            space.split_huge(va & ~(sz - 1))
            sz = PAGE
        if sz != 0 and (space.flags_of(va) & NOCACHE) == 0:
            space.unmap(va)
            sz = u64(0)
        if sz == 0:
            space.map(va, p, READ | WRITE | NOCACHE | GLOBAL)
        p += PAGE
    return _io_direct_map + pa


def virt_to_phys(va: u64) -> u64:
    """The physical address of kernel address va, for a device's DMA (ENODEV: not mapped)."""
    space = _io_space
    if space is None:
        # No tables of our own: the boot direct map is linear.
        return va - _io_direct_map
    pa = space.translate(va)
    if pa == NO_PHYS:
        raise SysError(ENODEV)
    return pa
