"""Kernel page tables behind an arch-neutral interface: map/unmap/translate 4 KiB and large pages."""

from typing import Final

from asterpy.lang import Ptr, SysError, memset, u64
from asterpy.lang.errno import EEXIST, EINVAL
from asterpy.mm.frames import FrameAllocator

# The mapping flags and the shared geometry (READ..NOCACHE are re-exported from here).
from asterpy.mm.pageflags import (  # noqa: F401 - flags re-exported
    ALL_FLAGS, EXEC, GLOBAL, HUGE_LEVEL, INDEX_BITS, INDEX_MASK, NOCACHE, PAGE_SHIFT, READ, USER, WRITE,
)

# The entry format and TLB maintenance of the arch being built (docs/arch.md, "Page tables"): the
# build resolves `kernel_pte` to arch/<arch>/kernel_pte.py, as it does kernel_arch (which
# re-exports these names); under CPython it is x86_64's.
from kernel_pte import ARCH_PT_LEVELS, ARCH_USER_ROOT_ENTRIES, pte_flags, pte_is_huge, pte_make, pte_phys, pte_present, pte_table
# Under its old name, which tests replace to record flushes (natively invlpg / sfence.vma / invtlb).
from kernel_pte import arch_tlb_flush_page as tlb_flush_page

PAGE_SIZE: Final = u64(4096)
PAGE_MASK: Final = u64(4095)
HUGE_SIZE: Final = u64(1) << (PAGE_SHIFT + INDEX_BITS * HUGE_LEVEL)
HUGE_MASK: Final = HUGE_SIZE - 1
ENTRIES: Final = INDEX_MASK + 1
# translate() of an unmapped address.
NO_PHYS: Final = u64(0xFFFFFFFFFFFFFFFF)
# The geometry a walk over a process's user half needs (asterpy.task.process's fork copy and
# teardown): the root's level, and how many root entries (from index 0) map user addresses; the
# root's other entries are the kernel's.
TOP_LEVEL: Final = ARCH_PT_LEVELS - 1
USER_ROOT_ENTRIES: Final = ARCH_USER_ROOT_ENTRIES


def level_shift(level: u64) -> u64:
    """Address bit where the index into a table of `level` starts (level 0 = last level)."""
    return PAGE_SHIFT + INDEX_BITS * level


def index_of(va: u64, level: u64) -> u64:
    """Index of va's entry in its table at `level`."""
    return (va >> level_shift(level)) & INDEX_MASK


def pte_is_table(e: u64, level: u64) -> bool:
    """Whether e, an entry of a table at `level`, points to a lower-level table (present, above
    level 0, and not a large-page leaf)."""
    return level > 0 and pte_present(e) and not pte_is_huge(e, level)


def leaf_entry(pa: u64, flags: u64, huge: bool) -> u64:
    """The arch entry for a leaf mapping pa with `flags`."""
    return pte_make(pa, flags, huge)


def entry_flags(e: u64) -> u64:
    """The arch-neutral flags of a present leaf entry."""
    return pte_flags(e)


def check_flags(flags: u64) -> None:
    """Refuse flags that no mapping may have: unknown bits, no READ, kernel W+X (EINVAL)."""
    if (flags & ~ALL_FLAGS) != 0 or (flags & READ) == 0:
        raise SysError(EINVAL)
    # W^X for the kernel: a page the kernel can both write and execute turns any write bug
    # into code injection. User mappings are the process's own business (JITs).
    if (flags & WRITE) != 0 and (flags & EXEC) != 0 and (flags & USER) == 0:
        raise SysError(EINVAL)


class AddressSpace:
    """One tree of page tables; table pages come from `frames` and are reached at phys + phys_offset."""

    frames: FrameAllocator
    root: u64          # physical address of the top-level table
    phys_offset: u64   # virtual address of physical 0 (the direct map; a simulated base in tests)
    hw: bool           # whether this tree may be live on the CPU: then changes flush the TLB
    table_pages: u64   # page-table pages owned, root included
    users: u64         # processes running on this tree (CLONE_VM shares it); the last one frees it

    def __init__(self, frames: FrameAllocator, root: u64, phys_offset: u64, hw: bool) -> None:
        """Wrap an empty top-level table at physical `root` (see new_address_space)."""
        self.frames = frames
        self.root = root
        self.phys_offset = phys_offset
        self.hw = hw
        self.table_pages = u64(1)
        self.users = u64(1)

    def table(self, pa: u64) -> Ptr[u64]:
        """The table at physical address pa, as entries."""
        return Ptr[u64](self.phys_offset + pa)

    def new_table(self) -> u64:
        """A zeroed page-table page from the frame allocator (raises ENOMEM)."""
        pa = self.frames.alloc()
        memset(self.phys_offset + pa, 0, PAGE_SIZE)
        self.table_pages += 1
        return pa

    def table_is_empty(self, pa: u64) -> bool:
        """Whether no entry of the table at pa is present."""
        t = self.table(pa)
        for i in range(u64(0), ENTRIES):
            if pte_present(t[i]):
                return False
        return True

    def walk_create(self, va: u64, leaf_level: u64) -> u64:
        """Physical address of the table at leaf_level holding va's entry, creating tables above it.

        Raises EEXIST when a large page already covers va, ENOMEM when out of frames (tables
        made on the way are then released again).
        """
        pa = self.root
        level = ARCH_PT_LEVELS - 1
        while level > leaf_level:
            t = self.table(pa)
            i = index_of(va, level)
            e = t[i]
            if not pte_present(e):
                try:
                    child = self.new_table()
                except SysError:
                    self.prune(va, level)
                    raise
                t[i] = pte_table(child)
                pa = child
            elif pte_is_huge(e, level):
                raise SysError(EEXIST)
            else:
                pa = pte_phys(e, level)
            level -= 1
        return pa

    def map_at(self, va: u64, pa: u64, flags: u64, level: u64) -> None:
        """Map the page of `level`'s size at va to pa (both aligned to it)."""
        check_flags(flags)
        size = u64(1) << level_shift(level)
        if (va & (size - 1)) != 0 or (pa & (size - 1)) != 0:
            raise SysError(EINVAL)
        tpa = self.walk_create(va, level)
        t = self.table(tpa)
        i = index_of(va, level)
        if pte_present(t[i]):
            raise SysError(EEXIST)
        t[i] = leaf_entry(pa, flags, level > 0)
        if self.hw:
            # x86_64 never caches a non-present entry, but riscv64 may, and loongarch64's refill
            # handler loads invalid entries into the TLB on purpose (the retry then faults).
            tlb_flush_page(va)

    def map(self, va: u64, pa: u64, flags: u64) -> None:
        """Map the 4 KiB page at va to physical pa (EINVAL: misaligned or bad flags; EEXIST; ENOMEM)."""
        self.map_at(va, pa, flags, u64(0))

    def map_huge(self, va: u64, pa: u64, flags: u64) -> None:
        """Map a large page (2 MiB on x86_64) at va to pa, both aligned to its size."""
        self.map_at(va, pa, flags, HUGE_LEVEL)

    def map_range(self, va: u64, pa: u64, size: u64, flags: u64, allow_huge: bool) -> u64:
        """Map [va, va + size) to pa onwards (page aligned), with large pages where aligned; return pages mapped."""
        if ((va | pa | size) & PAGE_MASK) != 0:
            raise SysError(EINVAL)
        off = u64(0)
        n = u64(0)
        while off < size:
            v = va + off
            p = pa + off
            if allow_huge and ((v | p) & HUGE_MASK) == 0 and size - off >= HUGE_SIZE:
                self.map_huge(v, p, flags)
                off += HUGE_SIZE
            else:
                self.map(v, p, flags)
                off += PAGE_SIZE
            n += 1
        return n

    def split_huge(self, va: u64) -> None:
        """Turn the large page mapping va (aligned to it) into a table of 4 KiB pages with the same
        frames and flags, so single pages of it can be unmapped (ENOMEM; nothing if va is
        already mapped by 4 KiB pages or not at all)."""
        level = self.find_leaf(va)
        if level == 0 or level == ARCH_PT_LEVELS:
            return
        if level != HUGE_LEVEL or (va & HUGE_MASK) != 0:
            raise SysError(EINVAL)
        slot = self.leaf_slot(va, level)
        e = slot.load()
        base = pte_phys(e, level)
        flags = pte_flags(e)
        child = self.new_table()
        t = self.table(child)
        for i in range(u64(0), ENTRIES):
            t[i] = leaf_entry(base + i * PAGE_SIZE, flags, False)
        slot.store(pte_table(child))
        if self.hw:
            # One invalidation drops the large page's TLB entry (same frames either way).
            tlb_flush_page(va)

    def find_leaf(self, va: u64) -> u64:
        """The level of va's present leaf entry, or ARCH_PT_LEVELS if va is not mapped."""
        pa = self.root
        level = ARCH_PT_LEVELS - 1
        while True:
            e = self.table(pa)[index_of(va, level)]
            if not pte_present(e):
                return ARCH_PT_LEVELS
            if level == 0 or pte_is_huge(e, level):
                return level
            pa = pte_phys(e, level)
            level -= 1

    def leaf_slot(self, va: u64, level: u64) -> Ptr[u64]:
        """Address of va's entry in its table at `level` (the tables above must exist)."""
        pa = self.root
        lv = ARCH_PT_LEVELS - 1
        while lv > level:
            pa = pte_phys(self.table(pa)[index_of(va, lv)], lv)
            lv -= 1
        return self.table(pa) + index_of(va, level)

    def translate(self, va: u64) -> u64:
        """Physical address that va maps to, or NO_PHYS."""
        level = self.find_leaf(va)
        if level == ARCH_PT_LEVELS:
            return NO_PHYS
        e = self.leaf_slot(va, level).load()
        return pte_phys(e, level) + (va & ((u64(1) << level_shift(level)) - 1))

    def flags_of(self, va: u64) -> u64:
        """The flags of va's mapping, 0 if it is not mapped."""
        level = self.find_leaf(va)
        if level == ARCH_PT_LEVELS:
            return u64(0)
        return entry_flags(self.leaf_slot(va, level).load())

    def page_size_of(self, va: u64) -> u64:
        """Size of the page mapping va (4 KiB or large), 0 if not mapped."""
        level = self.find_leaf(va)
        if level == ARCH_PT_LEVELS:
            return u64(0)
        return u64(1) << level_shift(level)

    def unmap(self, va: u64) -> u64:
        """Remove the page mapped at va (its start); return its physical address, or NO_PHYS if none.

        Page-table pages left empty are returned to the frame allocator. Unmapping part of a
        large page raises EINVAL (split it first).
        """
        level = self.find_leaf(va)
        if level == ARCH_PT_LEVELS:
            return NO_PHYS
        size = u64(1) << level_shift(level)
        if (va & (size - 1)) != 0:
            raise SysError(EINVAL)
        slot = self.leaf_slot(va, level)
        pa = pte_phys(slot.load(), level)
        slot.store(u64(0))
        if self.hw:
            tlb_flush_page(va)
        self.prune(va, level)
        return pa

    def table_on_path(self, va: u64, level: u64) -> u64:
        """Physical address of the table at `level` on va's path, or NO_PHYS if the walk ends above it."""
        pa = self.root
        lv = ARCH_PT_LEVELS - 1
        while lv > level:
            e = self.table(pa)[index_of(va, lv)]
            if not pte_present(e) or pte_is_huge(e, lv):
                return NO_PHYS
            pa = pte_phys(e, lv)
            lv -= 1
        return pa

    def prune(self, va: u64, level: u64) -> None:
        """Free the tables on va's path, from `level` up (root excluded), while they are empty."""
        # Each level walks again from the root (at most levels^2 steps): a local Array for the
        # path would do, but local Array values are not translated yet.
        lv = level
        while lv < ARCH_PT_LEVELS - 1:
            pa = self.table_on_path(va, lv)
            if pa == NO_PHYS or not self.table_is_empty(pa):
                return
            self.table(self.table_on_path(va, lv + 1))[index_of(va, lv + 1)] = u64(0)
            if self.hw:
                # Paging-structure caches may still hold the freed table: drop them before reuse.
                tlb_flush_page(va)
            self.frames.free(pa)
            self.table_pages -= 1
            lv += 1


def new_address_space(frames: FrameAllocator, phys_offset: u64, hw: bool) -> AddressSpace:
    """An empty address space whose tables come from frames (raises ENOMEM)."""
    root = frames.alloc()
    memset(phys_offset + root, 0, PAGE_SIZE)
    return AddressSpace(frames, root, phys_offset, hw)

