"""Bitmap page-frame allocator: one bit per 4 KiB physical frame, the bitmap kept in raw memory.

Frames may be shared (copy-on-write after fork, file pages mapped into processes): a side table
`refs` (frame address -> extra references) holds the count of every frame with more than one
owner, so the common unshared frame costs nothing. `share` adds an owner; `free` drops one and
really frees the frame with the last. The table is a Dict made on first use (the allocator
exists before the kernel heap does).
"""

from typing import Final

from asterpy.lang import Dict, Ptr, SysError, panic, u64
from asterpy.lang.errno import ENOMEM

FRAME_SIZE: Final = u64(4096)
FRAME_SHIFT: Final = u64(12)
# A bitmap word whose 64 frames are all used: the searches skip such words with one compare.
FULL_WORD: Final = u64(0xFFFFFFFFFFFFFFFF)


def bitmap_words(frame_count: u64) -> u64:
    """Number of 64-bit bitmap words needed to track frame_count frames."""
    return (frame_count + 63) >> 6


def bit_index(b: u64) -> u64:
    """Index of the single set bit of b (b must be a power of two)."""
    # Binary search over halves: six compare-and-shift steps, no table, no loop, no intrinsic.
    x = b
    n = u64(0)
    if (x & 0xFFFFFFFF) == 0:
        n += 32
        x >>= 32
    if (x & 0xFFFF) == 0:
        n += 16
        x >>= 16
    if (x & 0xFF) == 0:
        n += 8
        x >>= 8
    if (x & 0xF) == 0:
        n += 4
        x >>= 4
    if (x & 0x3) == 0:
        n += 2
        x >>= 2
    if (x & 0x1) == 0:
        n += 1
    return n


def lowest_set_bit(w: u64) -> u64:
    """Index of the lowest set bit of w (w must not be 0)."""
    # w & -w isolates the lowest one; in unsigned arithmetic -w is ~w + 1.
    return bit_index(w & (~w + 1))


def popcount(w: u64) -> u64:
    """Number of set bits in w."""
    # Sum bits pairwise, then in nibbles, then bytes; the multiply adds all bytes into the top one.
    x = w - ((w >> 1) & 0x5555555555555555)
    x = (x & 0x3333333333333333) + ((x >> 2) & 0x3333333333333333)
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0F
    return (x * 0x0101010101010101) >> 56


def bits_mask(lo: u64, hi: u64) -> u64:
    """Mask with bits lo..hi-1 set (0 <= lo < hi <= 64)."""
    width = hi - lo
    # A u64 shift by 64 is undefined in native code, so the whole-word case is separate.
    if width == 64:
        return FULL_WORD
    return ((u64(1) << width) - 1) << lo


class FrameAllocator:
    """Allocator of 4 KiB frames in [base, base + frame_count * 4096); bitmap bit 1 = used."""

    bitmap: Ptr[u64]
    base: u64
    limit: u64
    frame_count: u64
    words: u64
    free_frames: u64
    # Every bitmap word below next_hint is full, so searches start there instead of at word 0.
    next_hint: u64
    # Extra owners of shared frames (absent: one owner); None until the first share.
    refs: Dict[u64, u64] | None
    # Frames only the kernel heap may take (alloc_run_reserved): ordinary allocations fail with
    # ENOMEM once free_frames is down to this, so the heap can still grow when user memory,
    # page tables and kernel stacks have taken the rest (set by kernel_main; 0 = no reserve).
    reserve: u64
    # Fault injection (asterpy.failslab=N): every fail_every-th ordinary allocation fails with
    # ENOMEM (0 = off); fail_tick counts them, injected counts the failures made. The task layer
    # sets fail_paused while init runs (Linux's fault injection has a per-task filter too): init
    # drives the run and must be able to report it.
    fail_every: u64
    fail_paused: bool
    fail_tick: u64
    injected: u64

    def __init__(self, bitmap_addr: u64, base: u64, frame_count: u64) -> None:
        """Manage frame_count frames from base with the bitmap at bitmap_addr; all start used."""
        if (base & (FRAME_SIZE - 1)) != 0:
            panic("FrameAllocator: base is not page-aligned")
        if (bitmap_addr & 7) != 0:
            panic("FrameAllocator: bitmap address is not 8-byte aligned")
        if frame_count > ((FULL_WORD - base) >> FRAME_SHIFT):
            panic("FrameAllocator: frame range wraps around the address space")
        self.bitmap = Ptr[u64](bitmap_addr)
        self.base = base
        self.limit = base + (frame_count << FRAME_SHIFT)
        self.frame_count = frame_count
        self.words = bitmap_words(frame_count)
        self.free_frames = u64(0)
        self.next_hint = u64(0)
        self.refs = None
        self.reserve = u64(0)
        self.fail_every = u64(0)
        self.fail_paused = False
        self.fail_tick = u64(0)
        self.injected = u64(0)
        # All bits 1, including the padding bits past frame_count in the last word: those are
        # never cleared, so the searches need no bounds check inside a word.
        for w in range(u64(0), self.words):
            self.bitmap[w] = FULL_WORD

    def _mark(self, first: u64, end: u64, used: bool) -> u64:
        """Set (used) or clear the bits of frames first..end-1; return how many bits changed."""
        changed = u64(0)
        f = first
        while f < end:
            w = f >> 6
            hi = end - (w << 6)
            if hi > 64:
                hi = u64(64)
            mask = bits_mask(f & 63, hi)
            old = self.bitmap[w]
            if used:
                changed += popcount(mask & ~old)
                self.bitmap[w] = old | mask
            else:
                changed += popcount(mask & old)
                self.bitmap[w] = old & ~mask
            f = (w + 1) << 6
        return changed

    def _first_with(self, start: u64, end: u64, used: bool) -> u64:
        """First frame index in [start, end) whose bit equals used, or end if there is none."""
        f = start
        while f < end:
            w = f >> 6
            hi = end - (w << 6)
            if hi > 64:
                hi = u64(64)
            word = self.bitmap[w]
            bits = word if used else ~word
            bits = bits & bits_mask(f & 63, hi)
            if bits != 0:
                return (w << 6) + lowest_set_bit(bits)
            f = (w + 1) << 6
        return end

    def _align_index(self, index: u64, align_frames: u64) -> u64:
        """Smallest frame index >= index whose physical frame number is a multiple of align_frames."""
        # Alignment is of the physical address (DMA, huge pages), not of the index from base.
        rem = ((self.base >> FRAME_SHIFT) + index) % align_frames
        if rem == 0:
            return index
        step = align_frames - rem
        # Past the end means "no candidate"; clamping also keeps index + count from wrapping.
        if step > self.frame_count - index:
            return self.frame_count
        return index + step

    def add_free_range(self, start: u64, end: u64) -> None:
        """Mark every frame lying wholly inside [start, end) as free."""
        s = start if start > self.base else self.base
        e = end if end < self.limit else self.limit
        if s >= e:
            return
        # Round inwards: a partial frame at either end may hold something else (firmware data).
        first = (s - self.base + FRAME_SIZE - 1) >> FRAME_SHIFT
        last = (e - self.base) >> FRAME_SHIFT
        if first >= last:
            return
        self.free_frames += self._mark(first, last, False)
        if (first >> 6) < self.next_hint:
            self.next_hint = first >> 6

    def reserve_range(self, start: u64, end: u64) -> None:
        """Mark every frame touching [start, end) as used."""
        s = start if start > self.base else self.base
        e = end if end < self.limit else self.limit
        if s >= e:
            return
        # Round outwards: a frame that is only partly reserved (kernel image tail) is still taken.
        first = (s - self.base) >> FRAME_SHIFT
        last = (e - self.base + FRAME_SIZE - 1) >> FRAME_SHIFT
        self.free_frames -= self._mark(first, last, True)

    def _inject(self) -> bool:
        """Whether fault injection makes this ordinary allocation fail."""
        if self.fail_every == 0 or self.fail_paused:
            return False
        self.fail_tick += 1
        if self.fail_tick < self.fail_every:
            return False
        self.fail_tick = u64(0)
        self.injected += 1
        return True

    def alloc(self) -> u64:
        """Allocate the lowest free frame and return its address; raise SysError(ENOMEM) if none
        is free beyond the heap's reserve."""
        if self.free_frames <= self.reserve or self._inject():
            raise SysError(ENOMEM)
        w = self.next_hint
        while w < self.words:
            word = self.bitmap[w]
            if word != FULL_WORD:
                # ~word & (word + 1) isolates the lowest zero bit of word as a one.
                lowest = ~word & (word + 1)
                self.bitmap[w] = word | lowest
                self.free_frames -= 1
                self.next_hint = w
                return self.base + (((w << 6) + bit_index(lowest)) << FRAME_SHIFT)
            w += 1
        panic("FrameAllocator.alloc: free count says free frames exist but the bitmap has none")
        return u64(0)

    def alloc_contiguous(self, count: u64, align_frames: u64) -> u64:
        """Allocate count contiguous frames whose first frame number is a multiple of align_frames
        (ENOMEM when they would dip into the heap's reserve)."""
        if count + self.reserve > self.free_frames or self._inject():
            raise SysError(ENOMEM)
        return self._alloc_run(count, align_frames)

    def alloc_run_reserved(self, count: u64) -> u64:
        """Allocate count contiguous frames for the kernel heap, which may use the reserve (ENOMEM)."""
        return self._alloc_run(count, u64(1))

    def available_frames(self) -> u64:
        """Free frames beyond the reserve (what ordinary allocations can still get)."""
        if self.free_frames <= self.reserve:
            return u64(0)
        return self.free_frames - self.reserve

    def _alloc_run(self, count: u64, align_frames: u64) -> u64:
        """Allocate count contiguous frames aligned to align_frames, ignoring the reserve (ENOMEM)."""
        if count == 0 or align_frames == 0:
            panic("FrameAllocator.alloc_contiguous: count and align_frames must be at least 1")
        if count > self.free_frames:
            raise SysError(ENOMEM)
        s = self._first_with(self.next_hint << 6, self.frame_count, False)
        s = self._align_index(s, align_frames)
        # count <= free_frames <= frame_count, so the subtraction cannot wrap.
        while s <= self.frame_count - count:
            used = self._first_with(s, s + count, True)
            if used == s + count:
                self._mark(s, s + count, True)
                self.free_frames -= count
                return self.base + (s << FRAME_SHIFT)
            # No run starting in [s, used] can avoid frame `used`: restart at the next free frame.
            s = self._first_with(used + 1, self.frame_count, False)
            s = self._align_index(s, align_frames)
        raise SysError(ENOMEM)

    def share(self, addr: u64) -> None:
        """Add an owner to the allocated frame at addr (each owner later calls free once)."""
        r = self.refs
        if r is None:
            fresh: Dict[u64, u64] = {}
            self.refs = fresh
            fresh[addr] = u64(1)
            return
        r[addr] = r.get(addr, u64(0)) + 1

    def refcount(self, addr: u64) -> u64:
        """How many owners the frame at addr has (1 for a frame never shared)."""
        r = self.refs
        if r is None:
            return u64(1)
        return r.get(addr, u64(0)) + 1

    def free(self, addr: u64) -> None:
        """Drop one owner of the frame at addr, freeing it with the last; panic on a double free
        or a foreign or misaligned address."""
        r = self.refs
        if r is not None and addr in r:
            n = r[addr]
            if n <= 1:
                del r[addr]
            else:
                r[addr] = n - 1
            return
        if addr < self.base or addr >= self.limit:
            panic("FrameAllocator.free: address outside the managed range")
        off = addr - self.base
        if (off & (FRAME_SIZE - 1)) != 0:
            panic("FrameAllocator.free: address is not page-aligned")
        f = off >> FRAME_SHIFT
        w = f >> 6
        bit = u64(1) << (f & 63)
        word = self.bitmap[w]
        if (word & bit) == 0:
            panic("FrameAllocator.free: double free")
        self.bitmap[w] = word & ~bit
        self.free_frames += 1
        if w < self.next_hint:
            self.next_hint = w

    def free_contiguous(self, addr: u64, count: u64) -> None:
        """Free count frames starting at addr (the inverse of alloc_contiguous)."""
        for i in range(u64(0), count):
            self.free(addr + (i << FRAME_SHIFT))

    def free_count(self) -> u64:
        """Number of free frames."""
        return self.free_frames

    def is_free(self, addr: u64) -> bool:
        """Whether the frame containing addr is managed here and free."""
        if addr < self.base or addr >= self.limit:
            return False
        f = (addr - self.base) >> FRAME_SHIFT
        return (self.bitmap[f >> 6] & (u64(1) << (f & 63))) == 0
