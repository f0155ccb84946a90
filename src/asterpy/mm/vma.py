"""Virtual memory areas: a process's mappings as a sorted list of ranges with protection, sharing and backing file.

The list is the truth about what user addresses mean; the page tables only cache it (pages are
made on first touch by asterpy.mm.fault). Areas never overlap, are page aligned and are kept
sorted by start; neighbours that could be one area (same protection, flags and backing, file
offsets continuing) are merged, so a split followed by the reverse change leaves one area again.
"""

from typing import Final

from asterpy.lang import List, u64
from asterpy.mm.filepages import FilePages

PAGE: Final = u64(4096)
PAGE_MASK: Final = u64(4095)

# Protection bits (mmap's PROT_*).
PROT_READ: Final = u64(1)
PROT_WRITE: Final = u64(2)
PROT_EXEC: Final = u64(4)
PROT_ALL: Final = u64(7)

# Area flags.
VM_SHARED: Final = u64(1)      # MAP_SHARED: writes go to the backing pages, fork shares them
VM_BRK: Final = u64(2)         # the heap that brk moves
VM_STACK: Final = u64(4)       # the main stack's RLIMIT_STACK reservation
VM_NOWRITE: Final = u64(8)     # a shared file mapping whose file is not open for writing: no PROT_WRITE ever

# find_free's answer when no gap fits.
NO_ADDR: Final = u64(0xFFFFFFFFFFFFFFFF)


class Vma:
    """One area [start, end): prot (PROT_*), flags (VM_*), and for a file mapping its inode and
    the file offset of start (shared anonymous memory is an unnamed RegInode too)."""

    start: u64
    end: u64
    prot: u64
    flags: u64
    inode: FilePages | None
    pgoff: u64

    def __init__(self, start: u64, end: u64, prot: u64, flags: u64, inode: FilePages | None, pgoff: u64) -> None:
        """An area of [start, end) with the given attributes."""
        self.start = start
        self.end = end
        self.prot = prot
        self.flags = flags
        self.inode = inode
        self.pgoff = pgoff

    def shared(self) -> bool:
        """Whether the area is MAP_SHARED."""
        return (self.flags & VM_SHARED) != 0

    def file_offset(self, va: u64) -> u64:
        """The backing file offset of address va inside the area."""
        return self.pgoff + (va - self.start)


def vma_piece(v: Vma, start: u64, end: u64) -> Vma:
    """A copy of v limited to [start, end) (inside v), its file offset moved along."""
    return Vma(start, end, v.prot, v.flags, v.inode, v.file_offset(start))


def vma_joinable(a: Vma, b: Vma) -> bool:
    """Whether b starts where a ends and the two could be one area."""
    if a.end != b.start or a.prot != b.prot or a.flags != b.flags or a.inode is not b.inode:
        return False
    return a.inode is None or b.pgoff == a.pgoff + (a.end - a.start)


class VmaList:
    """The sorted, non-overlapping areas of one address space (shared by its threads)."""

    areas: List[Vma]

    def __init__(self) -> None:
        """No areas."""
        self.areas = []

    def count(self) -> u64:
        """How many areas there are."""
        return u64(len(self.areas))

    def index_after(self, addr: u64) -> int:
        """Index of the first area whose end is above addr (len if none): binary search."""
        lo = 0
        hi = len(self.areas)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.areas[mid].end > addr:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def find(self, addr: u64) -> Vma | None:
        """The area holding addr, or None."""
        i = self.index_after(addr)
        if i < len(self.areas) and self.areas[i].start <= addr:
            return self.areas[i]
        return None

    def overlaps(self, start: u64, end: u64) -> bool:
        """Whether any area meets [start, end)."""
        i = self.index_after(start)
        return i < len(self.areas) and self.areas[i].start < end

    def covered(self, start: u64, end: u64) -> bool:
        """Whether areas cover all of [start, end) without a gap."""
        i = self.index_after(start)
        at = start
        while at < end:
            if i >= len(self.areas) or self.areas[i].start > at:
                return False
            at = self.areas[i].end
            i += 1
        return True

    def split_at(self, addr: u64) -> None:
        """Cut the area strictly containing addr (if any) into two at addr."""
        i = self.index_after(addr)
        if i >= len(self.areas):
            return
        v = self.areas[i]
        if v.start < addr and addr < v.end:
            right = vma_piece(v, addr, v.end)
            v.end = addr
            self.areas.insert(i + 1, right)

    def remove_range(self, start: u64, end: u64) -> List[Vma]:
        """Take [start, end) out of the areas (splitting those that stick out); the pieces removed."""
        out: List[Vma] = []
        self.split_at(start)
        self.split_at(end)
        i = self.index_after(start)
        while i < len(self.areas) and self.areas[i].start < end:
            out.append(self.areas[i])
            del self.areas[i]
        return out

    def merge_at(self, i: int) -> None:
        """Merge the area at index i with its neighbours where they can be one."""
        if i + 1 < len(self.areas) and vma_joinable(self.areas[i], self.areas[i + 1]):
            self.areas[i].end = self.areas[i + 1].end
            del self.areas[i + 1]
        if i > 0 and i < len(self.areas) and vma_joinable(self.areas[i - 1], self.areas[i]):
            self.areas[i - 1].end = self.areas[i].end
            del self.areas[i]

    def insert(self, v: Vma) -> None:
        """Add v (it must not overlap an area) at its place, merged with its neighbours."""
        i = self.index_after(v.start)
        self.areas.insert(i, v)
        self.merge_at(i)

    def set_prot(self, start: u64, end: u64, prot: u64) -> None:
        """Give [start, end) protection prot (the parts of it that are mapped)."""
        self.split_at(start)
        self.split_at(end)
        i = self.index_after(start)
        first = i
        while i < len(self.areas) and self.areas[i].start < end:
            self.areas[i].prot = prot
            i += 1
        self.merge_range(first, i)

    def merge_range(self, first: int, last: int) -> None:
        """Merge what can be merged among areas first-1 .. last (indices before the change)."""
        j = last
        if j >= len(self.areas):
            j = len(self.areas) - 1
        lo = first - 1
        if lo < 0:
            lo = 0
        while j > lo:
            if vma_joinable(self.areas[j - 1], self.areas[j]):
                self.areas[j - 1].end = self.areas[j].end
                del self.areas[j]
            j -= 1

    def add_union(self, start: u64, end: u64, prot: u64) -> None:
        """Make [start, end) mapped private anonymous memory, adding prot to the parts already
        mapped (ELF segments that share a page get the union of their permissions)."""
        self.split_at(start)
        self.split_at(end)
        at = start
        i = self.index_after(start)
        while at < end:
            if i < len(self.areas) and self.areas[i].start <= at:
                self.areas[i].prot |= prot
                at = self.areas[i].end
                i += 1
                continue
            stop = end
            if i < len(self.areas) and self.areas[i].start < end:
                stop = self.areas[i].start
            self.areas.insert(i, Vma(at, stop, prot, u64(0), None, u64(0)))
            at = stop
            i += 1
        self.merge_range(self.index_after(start), i)

    def is_free(self, start: u64, end: u64) -> bool:
        """Whether no area meets [start, end)."""
        return not self.overlaps(start, end)

    def find_free(self, length: u64, low: u64, high: u64, topdown: bool) -> u64:
        """The highest (topdown) or lowest address of a free gap of length bytes in [low, high), or NO_ADDR."""
        n = len(self.areas)
        if topdown:
            i = n
            while i >= 0:
                gap_hi = high
                if i < n and self.areas[i].start < high:
                    gap_hi = self.areas[i].start
                gap_lo = low
                if i > 0 and self.areas[i - 1].end > low:
                    gap_lo = self.areas[i - 1].end
                if gap_hi > gap_lo and gap_hi - gap_lo >= length:
                    return gap_hi - length
                if i > 0 and self.areas[i - 1].end <= low:
                    return NO_ADDR
                i -= 1
            return NO_ADDR
        i = 0
        while i <= n:
            gap_lo = low
            if i > 0 and self.areas[i - 1].end > low:
                gap_lo = self.areas[i - 1].end
            gap_hi = high
            if i < n and self.areas[i].start < high:
                gap_hi = self.areas[i].start
            if gap_hi > gap_lo and gap_hi - gap_lo >= length:
                return gap_lo
            if i < n and self.areas[i].start >= high:
                return NO_ADDR
            i += 1
        return NO_ADDR

    def total_size(self) -> u64:
        """Bytes of address space the areas take (RLIMIT_AS counts this)."""
        n = u64(0)
        for v in self.areas:
            n += v.end - v.start
        return n

    def clone(self) -> "VmaList":
        """A copy with copies of every area (fork)."""
        c = VmaList()
        for v in self.areas:
            c.areas.append(vma_piece(v, v.start, v.end))
        return c

    def clear(self) -> None:
        """Forget every area (the address space died)."""
        self.areas.clear()
