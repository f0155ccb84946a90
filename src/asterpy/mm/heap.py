"""Kernel heap: size-class slots carved from 64 KiB chunks, boundary-tagged first fit for the rest."""

# Layout of the arena handed to heap_init:
#
#   [ meta: class heads | class strides | size->class table ][ block ][ block ] ... [ block ]
#
# After the meta area the arena is tiled by "large" blocks, each 16-byte aligned:
#   +0  tag word (TAG_LARGE_USED, TAG_LARGE_FREE or TAG_CHUNK)
#   +8  block size in bytes (header, payload and footer)
#   +16 payload; a free block keeps its free-list next/prev links here
#   last word: footer = size | FREE_BIT, so a block can find (and merge with) its left neighbour.
#
# A chunk is a large block of CHUNK_SIZE bytes serving one size class. Its payload starts with a
# chunk header (CH_* offsets) followed by slots of `stride` = class size + 16 bytes. A slot is
#   +0  tag word (TAG_SMALL_USED or TAG_SMALL_FREE, low byte = class)
#   +8  address of its chunk header, so kfree finds the chunk without alignment tricks
#   +16 payload; a free slot keeps the chunk's free-list link here.
# Every pointer kmalloc returns is therefore block + 16 with a tag word 16 bytes below it, which
# is how kfree tells small from large blocks and catches double and wild frees.
#
# The blocks live in regions: the arena given to heap_init and regions the heap later takes from
# its HeapSource (the frame allocator) when nothing fits. A region starts with a fence block
#   +0  TAG_FENCE, +8 FENCE_SIZE, +16 next region, +24 region bytes, +32 1 if it came from the
#   source (and may go back), footer = FENCE_SIZE (used, so no block merges into it)
# and ends with a 16-byte end mark (TAG_FENCE, 16), so merging never crosses a region's edge.
# A grown region whose blocks are all free again is given back to the source.
#
# Each class keeps a doubly linked list of its chunks that have a free slot, so the list head
# always has one: the fast path is a table lookup, a list-head load and a pop. Chunks that
# become empty go back to the large pool (one empty chunk per class is kept as a cache).

from typing import Final

from asterpy.lang import Ptr, memcpy, panic, u8, u64

ALIGN: Final = u64(16)
ALIGN_DOWN_MASK: Final = u64(0xFFFFFFFFFFFFFFF0)
HEADER: Final = u64(16)
FOOTER: Final = u64(8)
FREE_BIT: Final = u64(1)
# Smallest large block: header, two free-list links and footer, rounded up with room to spare;
# a free block is split only when the rest is at least this big.
MIN_LARGE: Final = u64(64)

SMALL_MAX: Final = u64(2048)
NUM_CLASSES: Final = u64(11)
CHUNK_SIZE: Final = u64(65536)

# Chunk header, at the chunk block's payload.
CH_NEXT: Final = u64(0)
CH_PREV: Final = u64(8)
CH_FREE: Final = u64(16)  # first free slot (a slot address), 0 if none
CH_USED: Final = u64(24)  # live slots
CH_CAP: Final = u64(32)  # slots in the chunk
CH_CLASS: Final = u64(40)
CH_BUMP: Final = u64(48)  # first never-used slot: slots are carved lazily, not threaded up front
CH_STRIDE: Final = u64(56)
CHUNK_HDR: Final = u64(64)

# Free large block links, at the block's payload.
FB_NEXT: Final = u64(16)
FB_PREV: Final = u64(24)

# Tag words. Small tags carry the class in their low byte, hence the mask.
TAG_KIND_MASK: Final = u64(0xFFFFFFFFFFFFFF00)
TAG_SMALL_USED: Final = u64(0x511A110C00000000)
TAG_SMALL_FREE: Final = u64(0x511AF4EE00000000)
TAG_LARGE_USED: Final = u64(0x1A46E10C00000000)
TAG_LARGE_FREE: Final = u64(0x1A46EF4E00000000)
TAG_CHUNK: Final = u64(0xC4C4C4C4C4C4C400)
TAG_FENCE: Final = u64(0xFE4CEFE4CEFE4C00)

# Region fence block fields and sizes.
FENCE_SIZE: Final = u64(64)
END_MARK: Final = u64(16)
RG_NEXT: Final = u64(16)
RG_BYTES: Final = u64(24)
RG_GROWN: Final = u64(32)
PAGE: Final = u64(4096)
# Smallest growth step: fewer, larger regions keep merging effective and growth rare.
GROW_STEP: Final = u64(1 << 20)
# A free grown region goes back only while this much stays free elsewhere, so an alloc/free
# cycle at the edge does not take and give frames each time.
KEEP_FREE: Final = u64(512 << 10)
# No single request beyond this (it guards the size rounding against wrapping).
LARGE_MAX: Final = u64(1 << 40)
# Below this much room (free blocks, and what the source could still give) the heap is "in
# reserve" (heap_in_reserve).
RESERVE_BYTES: Final = u64(2 << 20)

# Meta area at the start of the arena: NUM_CLASSES list heads, NUM_CLASSES strides, then one
# class byte per 16-byte step of request size (0..SMALL_MAX).
META_HEADS: Final = u64(0)
META_STRIDES: Final = u64(88)
META_CLASS_OF: Final = u64(176)
META_SIZE: Final = u64(320)

_heads: u64 = u64(0)
_strides: u64 = u64(0)
_class_of: u64 = u64(0)
_lo: u64 = u64(0)  # first block
_hi: u64 = u64(0)  # end of the last block
_free_head: u64 = u64(0)  # large free list (LIFO)
_large_free: u64 = u64(0)  # bytes in free large blocks
_used: u64 = u64(0)  # bytes in live kmalloc blocks, counting headers and rounding
_min: u64 = u64(0)  # lowest address of any region (pointer sanity checks)
_max: u64 = u64(0)  # end of the highest region
_regions: u64 = u64(0)  # first region's fence block
_grown: u64 = u64(0)  # bytes of regions taken from the source and not given back
_grows: u64 = u64(0)  # regions taken from the source so far
_shrinks: u64 = u64(0)  # regions given back so far


class HeapSource:
    """Where the heap grows from: the base can give nothing (a heap fixed at heap_init)."""

    def take(self, size: u64) -> u64:
        """Return the (kernel virtual) address of size bytes, page aligned, or 0 if none."""
        return u64(0)

    def give(self, addr: u64, size: u64) -> None:
        """Take back size bytes at addr, earlier returned by take."""

    def available(self) -> u64:
        """Bytes take could still hand out (an estimate; 0 for the base)."""
        return u64(0)


_source: HeapSource | None = None


def heap_set_source(src: HeapSource) -> None:
    """Let the heap grow from src when nothing fits, and give free regions back to it."""
    global _source
    _source = src


def _ld(addr: u64) -> u64:
    """Load the word at addr."""
    return Ptr[u64](addr).load()


def _st(addr: u64, value: u64) -> None:
    """Store value to the word at addr."""
    Ptr[u64](addr).store(value)


def _class_size(cls: u64) -> u64:
    """Payload size of size class cls."""
    if cls < 4:
        return (cls + 1) << 4  # 16, 32, 48, 64
    if cls == 4:
        return u64(96)
    if cls == 5:
        return u64(128)
    if cls == 6:
        return u64(192)
    return u64(256) << (cls - 7)  # 256, 512, 1024, 2048


def heap_init(base: u64, size: u64) -> None:
    """Make [base, base + size) the kernel heap (call before any kmalloc; drops any old heap and
    its source: heap_set_source again to let it grow)."""
    global _heads, _strides, _class_of, _lo, _hi, _free_head, _large_free, _used, _min, _max, _regions
    global _source, _grown, _grows, _shrinks
    if base + size < base:
        panic("heap_init: arena wraps around the address space")
    start = (base + ALIGN - 1) & ALIGN_DOWN_MASK
    end = (base + size) & ALIGN_DOWN_MASK
    if end <= start or end - start < META_SIZE + FENCE_SIZE + MIN_LARGE + END_MARK:
        panic("heap_init: arena too small")
    _heads = start + META_HEADS
    _strides = start + META_STRIDES
    _class_of = start + META_CLASS_OF
    for c in range(u64(0), NUM_CLASSES):
        _st(_heads + (c << 3), u64(0))
        _st(_strides + (c << 3), _class_size(c) + HEADER)
    # Entry i serves requests of (i - 1) * 16 + 1 .. i * 16 bytes: the smallest class that fits.
    cls = u64(0)
    for i in range(u64(0), (SMALL_MAX >> 4) + 1):
        while _class_size(cls) < (i << 4):
            cls += 1
        Ptr[u8](_class_of + i).store(u8(cls))
    _free_head = u64(0)
    _large_free = u64(0)
    _used = u64(0)
    _regions = u64(0)
    _source = None
    _grown = u64(0)
    _grows = u64(0)
    _shrinks = u64(0)
    _min = start + META_SIZE
    _max = end
    _add_region(start + META_SIZE, end, False)
    # The first region's blocks: what the unit tests and heap_capacity call the arena.
    _lo = start + META_SIZE + FENCE_SIZE
    _hi = end - END_MARK


def _add_region(r: u64, end: u64, grown: bool) -> None:
    """Tile [r, end) (16-byte aligned) as a region: fence, one free block, end mark; list it."""
    global _regions, _large_free, _min, _max
    _st(r, TAG_FENCE)
    _st(r + 8, FENCE_SIZE)
    _st(r + RG_NEXT, _regions)
    _st(r + RG_BYTES, end - r)
    _st(r + RG_GROWN, u64(1) if grown else u64(0))
    _st(r + FENCE_SIZE - FOOTER, FENCE_SIZE)
    _st(end - END_MARK, TAG_FENCE)
    _st(end - END_MARK + 8, END_MARK)
    _regions = r
    if r < _min:
        _min = r
    if end > _max:
        _max = end
    body = end - END_MARK - r - FENCE_SIZE
    _push_free(r + FENCE_SIZE, body)
    _large_free += body


def _grow(total: u64) -> bool:
    """Take a new region able to hold a block of total bytes from the source; whether one came."""
    global _grown, _grows
    src = _source
    if src is None:
        return False
    need = (total + FENCE_SIZE + END_MARK + PAGE - 1) & ~(PAGE - 1)
    want = need if need > GROW_STEP else GROW_STEP
    while True:
        r = src.take(want)
        if r != 0:
            _add_region(r, r + want, True)
            _grown += want
            _grows += 1
            return True
        if want == need:
            return False
        # Fragmented frames: settle for a smaller run.
        want = want >> 1
        if want < need:
            want = need


def _maybe_give_back(blk: u64, size: u64) -> None:
    """If the free block blk fills a whole grown region, return that region to the source."""
    global _large_free, _regions, _grown, _shrinks
    if _ld(blk - FOOTER) != FENCE_SIZE:
        return
    r = blk - FENCE_SIZE
    if _ld(r) != TAG_FENCE or _ld(r + RG_GROWN) == 0:
        return
    rbytes = _ld(r + RG_BYTES)
    if blk + size != r + rbytes - END_MARK or _large_free - size < KEEP_FREE:
        return
    src = _source
    if src is None:
        return
    _unlink_free(blk)
    _large_free -= size
    if _regions == r:
        _regions = _ld(r + RG_NEXT)
    else:
        q = _regions
        while q != 0 and _ld(q + RG_NEXT) != r:
            q = _ld(q + RG_NEXT)
        if q != 0:
            _st(q + RG_NEXT, _ld(r + RG_NEXT))
    _st(r, u64(0))
    _grown -= rbytes
    _shrinks += 1
    src.give(r, rbytes)


# ---- Large blocks ----


def _unlink_free(blk: u64) -> None:
    """Remove blk from the large free list."""
    global _free_head
    nxt = _ld(blk + FB_NEXT)
    prv = _ld(blk + FB_PREV)
    if prv != 0:
        _st(prv + FB_NEXT, nxt)
    else:
        _free_head = nxt
    if nxt != 0:
        _st(nxt + FB_PREV, prv)


def _push_free(blk: u64, size: u64) -> None:
    """Make blk a free block of size bytes at the head of the large free list."""
    global _free_head
    _st(blk, TAG_LARGE_FREE)
    _st(blk + 8, size)
    _st(blk + size - FOOTER, size | FREE_BIT)
    _st(blk + FB_NEXT, _free_head)
    _st(blk + FB_PREV, u64(0))
    if _free_head != 0:
        _st(_free_head + FB_PREV, blk)
    _free_head = blk


def _first_fit(total: u64) -> u64:
    """Take a block of at least total bytes from the free list; return its address or 0."""
    global _large_free
    b = _free_head
    while b != 0:
        bsize = _ld(b + 8)
        if bsize >= total:
            blk = b
            take = bsize
            rest = bsize - total
            if rest >= MIN_LARGE:
                # Hand out the tail and leave the front free in place: only its size and footer
                # change, the list links stay where they are.
                _st(b + 8, rest)
                _st(b + rest - FOOTER, rest | FREE_BIT)
                blk = b + rest
                take = total
            else:
                _unlink_free(b)
            _st(blk, TAG_LARGE_USED)
            _st(blk + 8, take)
            _st(blk + take - FOOTER, take)
            _large_free -= take
            return blk
        b = _ld(b + FB_NEXT)
    return u64(0)


def _large_alloc(total: u64) -> u64:
    """Allocate a large block of at least total bytes, reclaiming cached empty chunks if needed."""
    blk = _first_fit(total)
    if blk == 0 and _reclaim_empty_chunks():
        blk = _first_fit(total)
    if blk == 0 and _grow(total):
        blk = _first_fit(total)
    return blk


def _large_release(blk: u64) -> None:
    """Return the used large block blk to the free list, merging it with free neighbours."""
    global _large_free
    size = _ld(blk + 8)
    _large_free += size
    # A region ends with its end mark and starts with its fence, so both neighbours exist.
    nxt = blk + size
    if _ld(nxt) == TAG_LARGE_FREE:
        _unlink_free(nxt)
        size += _ld(nxt + 8)
    foot = _ld(blk - FOOTER)
    if (foot & FREE_BIT) != 0:
        # The left neighbour is free and already listed: grow it over blk, no relinking.
        prev = blk - (foot & ALIGN_DOWN_MASK)
        merged = (foot & ALIGN_DOWN_MASK) + size
        _st(prev + 8, merged)
        _st(prev + merged - FOOTER, merged | FREE_BIT)
        # blk's old tag now lies inside a free block: make a stale kfree say "double free".
        _st(blk, TAG_LARGE_FREE)
        _maybe_give_back(prev, merged)
        return
    _push_free(blk, size)
    _maybe_give_back(blk, size)


# ---- Chunks of small slots ----


def _unlink_chunk(chunk: u64, cls: u64) -> None:
    """Remove chunk from the list of chunks with free slots of class cls."""
    nxt = _ld(chunk + CH_NEXT)
    prv = _ld(chunk + CH_PREV)
    if prv != 0:
        _st(prv + CH_NEXT, nxt)
    else:
        _st(_heads + (cls << 3), nxt)
    if nxt != 0:
        _st(nxt + CH_PREV, prv)
    _st(chunk + CH_NEXT, u64(0))
    _st(chunk + CH_PREV, u64(0))


def _push_chunk(chunk: u64, cls: u64) -> None:
    """Put chunk at the head of the list of chunks with free slots of class cls."""
    head = _ld(_heads + (cls << 3))
    _st(chunk + CH_NEXT, head)
    _st(chunk + CH_PREV, u64(0))
    if head != 0:
        _st(head + CH_PREV, chunk)
    _st(_heads + (cls << 3), chunk)


def _new_chunk(cls: u64) -> u64:
    """Carve a new chunk for class cls from the large pool and list it; return it or 0."""
    blk = _large_alloc(CHUNK_SIZE)
    if blk == 0:
        return u64(0)
    # A distinct tag, so kfree of the chunk header address is caught as a wild pointer.
    _st(blk, TAG_CHUNK)
    chunk = blk + HEADER
    stride = _ld(_strides + (cls << 3))
    _st(chunk + CH_FREE, u64(0))
    _st(chunk + CH_USED, u64(0))
    _st(chunk + CH_CAP, (CHUNK_SIZE - HEADER - CHUNK_HDR - FOOTER) // stride)
    _st(chunk + CH_CLASS, cls)
    _st(chunk + CH_BUMP, chunk + CHUNK_HDR)
    _st(chunk + CH_STRIDE, stride)
    _push_chunk(chunk, cls)
    return chunk


def _release_chunk(chunk: u64, cls: u64) -> None:
    """Unlist the empty chunk and give its block back to the large pool."""
    _unlink_chunk(chunk, cls)
    _large_release(chunk - HEADER)


def _reclaim_empty_chunks() -> bool:
    """Release every empty chunk (the per-class caches); return whether any was released."""
    released = False
    for cls in range(u64(0), NUM_CLASSES):
        c = _ld(_heads + (cls << 3))
        while c != 0:
            nxt = _ld(c + CH_NEXT)
            if _ld(c + CH_USED) == 0:
                _release_chunk(c, cls)
                released = True
            c = nxt
    return released


# ---- Public interface ----


def _large_kmalloc(size: u64) -> u64:
    """Allocate size bytes as a large block; return the payload address or 0."""
    global _used
    # Absurd requests would wrap the rounding below.
    if size > LARGE_MAX:
        return u64(0)
    total = (size + HEADER + FOOTER + ALIGN - 1) & ALIGN_DOWN_MASK
    if total < MIN_LARGE:
        total = MIN_LARGE
    blk = _large_alloc(total)
    if blk == 0:
        return u64(0)
    _used += _ld(blk + 8)
    return blk + HEADER


def kmalloc(size: u64) -> u64:
    """Allocate size bytes; return a 16-byte aligned address, or 0 when the heap is exhausted."""
    global _used
    if size > SMALL_MAX:
        return _large_kmalloc(size)
    cls = u64(Ptr[u8](_class_of + ((size + 15) >> 4)).load())
    chunk = _ld(_heads + (cls << 3))
    if chunk == 0:
        chunk = _new_chunk(cls)
        if chunk == 0:
            # No room for a whole chunk: a small block can still live in a smaller large hole.
            return _large_kmalloc(size)
    stride = _ld(chunk + CH_STRIDE)
    slot = _ld(chunk + CH_FREE)
    if slot != 0:
        _st(chunk + CH_FREE, _ld(slot + HEADER))
    else:
        # Listed chunks have a free slot, so with an empty free list the bump slot is in bounds.
        slot = _ld(chunk + CH_BUMP)
        _st(chunk + CH_BUMP, slot + stride)
        # Freed slots keep this back link, so only fresh slots need it written.
        _st(slot + 8, chunk)
    used = _ld(chunk + CH_USED) + 1
    _st(chunk + CH_USED, used)
    if used == _ld(chunk + CH_CAP):
        # Full chunks leave the list, so the list head always has a free slot.
        _unlink_chunk(chunk, cls)
    _st(slot, TAG_SMALL_USED | cls)
    _used += stride
    return slot + HEADER


def _checked_tag(addr: u64) -> u64:
    """Tag of the live block whose payload is at addr; panic if addr is not one."""
    if (addr & (ALIGN - 1)) != 0 or addr < _min + FENCE_SIZE + HEADER or addr >= _max:
        panic("heap: pointer outside the heap or misaligned")
    blk = addr - HEADER
    tag = _ld(blk)
    if (tag & TAG_KIND_MASK) == TAG_SMALL_USED:
        cls = tag & 0xFF
        chunk = _ld(blk + 8)
        if cls >= NUM_CLASSES or chunk < _min or chunk > _max - CHUNK_HDR or (chunk & (ALIGN - 1)) != 0:
            panic("heap: corrupted small block header")
        if _ld(chunk + CH_CLASS) != cls:
            panic("heap: corrupted small block header")
        return tag
    if tag == TAG_LARGE_USED:
        size = _ld(blk + 8)
        if size < MIN_LARGE or (size & (ALIGN - 1)) != 0 or size > _max - blk:
            panic("heap: corrupted large block header")
        if _ld(blk + size - FOOTER) != size:
            panic("heap: corrupted large block footer (a write past the end of the block?)")
        return tag
    if (tag & TAG_KIND_MASK) == TAG_SMALL_FREE or tag == TAG_LARGE_FREE:
        panic("heap: double free (or use of a freed block)")
    panic("heap: not a heap block (wild pointer)")
    return u64(0)


def kfree(addr: u64) -> None:
    """Free a block from kmalloc; 0 is ignored; panic on a double free or a wild pointer."""
    global _used
    if addr == 0:
        return
    tag = _checked_tag(addr)
    blk = addr - HEADER
    if tag == TAG_LARGE_USED:
        _used -= _ld(blk + 8)
        _large_release(blk)
        return
    cls = tag & 0xFF
    chunk = _ld(blk + 8)
    _st(blk, TAG_SMALL_FREE | cls)
    _st(addr, _ld(chunk + CH_FREE))
    _st(chunk + CH_FREE, blk)
    used = _ld(chunk + CH_USED)
    _st(chunk + CH_USED, used - 1)
    _used -= _ld(chunk + CH_STRIDE)
    if used == _ld(chunk + CH_CAP):
        # It was full and off the list; now it has a free slot again.
        _push_chunk(chunk, cls)
    if used == 1:
        # Empty: keep it only if it is the class's sole chunk, so a kmalloc/kfree ping-pong
        # does not split and merge 64 KiB each time.
        if _ld(_heads + (cls << 3)) != chunk or _ld(chunk + CH_NEXT) != 0:
            _release_chunk(chunk, cls)


def ksize(addr: u64) -> u64:
    """Usable bytes of the live block at addr (at least what was asked of kmalloc)."""
    tag = _checked_tag(addr)
    if tag == TAG_LARGE_USED:
        return _ld(addr - 8) - HEADER - FOOTER
    return _ld(_ld(addr - 8) + CH_STRIDE) - HEADER


def krealloc(addr: u64, old_size: u64, new_size: u64) -> u64:
    """Resize a block to new_size keeping its first min(old, new) bytes; 0 on failure (addr stays)."""
    if addr == 0:
        return kmalloc(new_size)
    if new_size == 0:
        kfree(addr)
        return u64(0)
    cap = ksize(addr)
    # Stay in place when it fits without wasting more than three quarters of the block.
    if new_size <= cap and new_size >= (cap >> 2):
        return addr
    new = kmalloc(new_size)
    if new == 0:
        # Shrinking can always stay in place; growing has failed and the old block is untouched.
        return addr if new_size <= cap else u64(0)
    n = old_size if old_size < cap else cap
    if new_size < n:
        n = new_size
    memcpy(new, addr, n)
    kfree(addr)
    return new


def heap_used() -> u64:
    """Bytes held by live kmalloc blocks, counting their headers and rounding."""
    return _used


def heap_in_reserve() -> bool:
    """Whether the heap is nearly out of room, counting what it could still grow by (free_frames
    frames of the source, below): past that point, objects a program can make without bound
    (pipes) are refused with ENOMEM, so the small objects every syscall needs still find room."""
    return _large_free < RESERVE_BYTES and _source_free_bytes() < RESERVE_BYTES


def _source_free_bytes() -> u64:
    """Bytes the source could still give (asked of it; 0 without a source)."""
    src = _source
    if src is None:
        return u64(0)
    return src.available()


def heap_grown_bytes() -> u64:
    """Bytes of regions taken from the source and not yet given back."""
    return _grown


def heap_grow_count() -> u64:
    """Regions taken from the source since boot."""
    return _grows


def heap_shrink_count() -> u64:
    """Regions given back to the source since boot."""
    return _shrinks


def heap_free_bytes() -> u64:
    """Bytes free for allocation: free large blocks plus free slots in chunks."""
    total = _large_free
    for cls in range(u64(0), NUM_CLASSES):
        c = _ld(_heads + (cls << 3))
        while c != 0:
            total += (_ld(c + CH_CAP) - _ld(c + CH_USED)) * _ld(c + CH_STRIDE)
            c = _ld(c + CH_NEXT)
    return total


def heap_check() -> u64:
    """Walk and verify every region, block and the free list (panic on damage); return the free block count."""
    free_blocks = u64(0)
    free_bytes = u64(0)
    r = _regions
    while r != 0:
        if _ld(r) != TAG_FENCE or _ld(r + 8) != FENCE_SIZE or _ld(r + FENCE_SIZE - FOOTER) != FENCE_SIZE:
            panic("heap_check: damaged region fence")
        end = r + _ld(r + RG_BYTES) - END_MARK
        if _ld(end) != TAG_FENCE or _ld(end + 8) != END_MARK:
            panic("heap_check: damaged region end mark")
        prev_free = False
        b = r + FENCE_SIZE
        while b < end:
            tag = _ld(b)
            size = _ld(b + 8)
            if size < MIN_LARGE or (size & (ALIGN - 1)) != 0 or size > end - b:
                panic("heap_check: bad block size")
            foot = _ld(b + size - FOOTER)
            if tag == TAG_LARGE_FREE:
                if foot != (size | FREE_BIT):
                    panic("heap_check: free block footer does not match its header")
                if prev_free:
                    panic("heap_check: two adjacent free blocks were not merged")
                free_blocks += 1
                free_bytes += size
                prev_free = True
            elif tag == TAG_LARGE_USED or tag == TAG_CHUNK:
                if foot != size:
                    panic("heap_check: used block footer does not match its header")
                prev_free = False
            else:
                panic("heap_check: bad block tag")
            b += size
        if b != end:
            panic("heap_check: blocks do not end at the region end")
        r = _ld(r + RG_NEXT)
    if free_bytes != _large_free:
        panic("heap_check: free byte count out of sync")
    listed = u64(0)
    prv = u64(0)
    f = _free_head
    while f != 0:
        if _ld(f) != TAG_LARGE_FREE or _ld(f + FB_PREV) != prv:
            panic("heap_check: free list is damaged")
        listed += 1
        if listed > free_blocks:
            panic("heap_check: free list is longer than the free blocks")
        prv = f
        f = _ld(f + FB_NEXT)
    if listed != free_blocks:
        panic("heap_check: a free block is missing from the free list")
    return free_blocks
