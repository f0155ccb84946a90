"""The kernel's memory figures as text in /proc/meminfo's format (served as /dev/kmeminfo until procfs exists).

    MemTotal:       <frames managed, kB>
    MemFree:        <free frames, kB>
    KernelHeap:     <kernel heap bytes in live allocations>
    KernelHeapFree: <kernel heap bytes free for allocation>
    HeapGrownBytes: <bytes of heap regions taken from the frames beyond the first, now>
    HeapGrowths:    <regions taken from the frames since boot>
    HeapShrinks:    <regions given back to the frames since boot>
    FaultsInjected: <frame allocations failed on purpose (asterpy.failslab=N)>

MemTotal and MemFree are Linux's lines. The heap lines are asterpy's: exact byte counts (Linux's
nearest figure, Slab, is in kB) so that a test can tell a kernel-heap leak from noise. Every line
is `Name:` then the number; the kB lines end in ` kB`, as in /proc/meminfo.
"""

from typing import Final

from asterpy.lang import u8, u64
from asterpy.mm.frames import FrameAllocator
from asterpy.mm.heap import heap_free_bytes, heap_grow_count, heap_grown_bytes, heap_shrink_count, heap_used

PAGE_KB: Final = u64(4)


def append_text(out: bytearray, text: bytes) -> None:
    """Append the bytes of text to out."""
    for b in text:
        out.append(b)


def append_decimal(out: bytearray, v: u64) -> None:
    """Append v in decimal to out."""
    digits = bytearray(0)
    while True:
        digits.append(u8(48) + u8(v % 10))
        v = v // 10
        if v == 0:
            break
    i = len(digits) - 1
    while i >= 0:
        out.append(digits[i])
        i -= 1


def append_line(out: bytearray, name: bytes, v: u64, kb: bool) -> None:
    """Append `name` (with its colon, padded to 16 columns), v, and ` kB` if kb, and a newline."""
    append_text(out, name)
    for _ in range(u64(len(name)), u64(16)):
        out.append(u8(32))
    append_decimal(out, v)
    if kb:
        append_text(out, b" kB")
    out.append(u8(10))


def meminfo_text(frames: FrameAllocator) -> bytearray:
    """The figures now, as meminfo text (the heap figures are read before the text is allocated)."""
    heap = heap_used()
    heap_free = heap_free_bytes()
    total = frames.frame_count * PAGE_KB
    free = frames.free_count() * PAGE_KB
    out = bytearray(0)
    append_line(out, b"MemTotal:", total, True)
    append_line(out, b"MemFree:", free, True)
    append_line(out, b"KernelHeap:", heap, False)
    append_line(out, b"KernelHeapFree:", heap_free, False)
    append_line(out, b"HeapGrownBytes:", heap_grown_bytes(), False)
    append_line(out, b"HeapGrowths:", heap_grow_count(), False)
    append_line(out, b"HeapShrinks:", heap_shrink_count(), False)
    append_line(out, b"FaultsInjected:", frames.injected, False)
    return out
