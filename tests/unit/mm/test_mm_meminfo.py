"""The memory figures' text (/dev/kmeminfo now, /proc/meminfo later): format and values."""

from asterpy.lang import memory, u64
from asterpy.mm.frames import FrameAllocator, bitmap_words
from asterpy.mm.heap import heap_free_bytes, heap_init, heap_used, kmalloc
from asterpy.mm.meminfo import append_decimal, meminfo_text

FRAMES = 64
BASE = 0x10_0000


def make_frames() -> FrameAllocator:
    """A frame allocator over FRAMES free frames (its bitmap in simulated memory)."""
    bitmap = memory.sim.alloc(max(8, int(bitmap_words(u64(FRAMES))) * 8), 8)
    fa = FrameAllocator(u64(bitmap), u64(BASE), u64(FRAMES))
    fa.add_free_range(u64(BASE), u64(BASE + FRAMES * 4096))
    return fa


def test_decimal() -> None:
    """Numbers in decimal, 0 and the largest u64 included."""
    for v in (0, 7, 10, 4096, 262144, (1 << 64) - 1):
        out = bytearray(0)
        append_decimal(out, u64(v))
        assert bytes(out) == str(v).encode()


def test_meminfo_lines_and_figures() -> None:
    """MemTotal/MemFree in kB from the frame allocator, then the heap's live and free bytes."""
    base = memory.sim.alloc(256 * 1024, 16)
    heap_init(u64(base), u64(256 * 1024))
    kmalloc(u64(100))
    fa = make_frames()
    fa.alloc()
    text = bytes(meminfo_text(fa)).decode()
    lines = text.splitlines()
    assert [line.split(":")[0] for line in lines] == ["MemTotal", "MemFree", "KernelHeap", "KernelHeapFree",
                                                     "HeapGrownBytes", "HeapGrowths", "HeapShrinks", "FaultsInjected"]
    assert all(line[:16].rstrip().endswith(":") and line[16].isdigit() for line in lines)
    fields = {line.split(":")[0]: line.split(":")[1].split() for line in lines}
    assert fields["MemTotal"] == [str(int(fa.frame_count) * 4), "kB"]
    assert fields["MemFree"] == [str(int(fa.free_count()) * 4), "kB"]
    assert int(heap_used()) > 0 and fields["KernelHeap"] == [str(int(heap_used()))]
    assert fields["KernelHeapFree"] == [str(int(heap_free_bytes()))]
    assert text.endswith("\n")
