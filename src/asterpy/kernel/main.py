"""The arch-neutral kernel entry: banner, memory summary, command line, physical frame allocator."""

from typing import Final

from asterpy.lang import Ptr, kprint, u8, u32, u64
from asterpy.mm.frames import FrameAllocator
from asterpy.mm.heap import heap_init

from asterpy.kernel.bootinfo import MEM_USABLE, arch_name, boot_info, protocol_name, usable_bytes
from asterpy.kernel.log import console_putc, log_bytes, log_newline

VERSION: Final = "0.1.0"

PAGE_MASK: Final = u64(0xFFF)
# Nothing below 1 MiB is handed out: real-mode IVT, BIOS data, EBDA, option ROMs, and the
# boot loader's low structures live there.
LOW_MEMORY_END: Final = u64(0x100000)
# Frames beyond the boot direct map cannot be touched yet, so they are not managed yet.
DIRECT_MAP_LIMIT: Final = u64(0x100000000)
# The first kernel heap arena, carved next to the frame bitmap.
HEAP_ARENA_SIZE: Final = u64(1 << 20)

# The frame allocator (None until kernel_main has set it up).
frames: FrameAllocator | None = None


def align_up(x: u64) -> u64:
    """x rounded up to a page boundary."""
    return (x + PAGE_MASK) & ~PAGE_MASK


def managed_top() -> u64:
    """End of the highest usable region, capped to what the direct map reaches."""
    top = u64(0)
    for i in range(u32(0), boot_info.region_count):
        if boot_info.regions[i].kind == MEM_USABLE:
            end = boot_info.regions[i].base + boot_info.regions[i].length
            if end > top:
                top = end
    if top > DIRECT_MAP_LIMIT:
        top = DIRECT_MAP_LIMIT
    return top & ~PAGE_MASK


def overlaps_taken(start: u64, end: u64) -> u64:
    """The end of a kernel, module or boot-data range overlapping [start, end), or 0 if none does."""
    if start < boot_info.kernel_end and boot_info.kernel_start < end:
        return boot_info.kernel_end
    for i in range(u32(0), boot_info.reserved_count):
        if start < boot_info.reserved[i].end and boot_info.reserved[i].start < end:
            return boot_info.reserved[i].end
    for i in range(u32(0), boot_info.module_count):
        if start < boot_info.modules[i].end and boot_info.modules[i].start < end:
            return boot_info.modules[i].end
    return u64(0)


def find_free_area(size: u64, above: u64) -> u64:
    """Physical address of `size` page-aligned free bytes at or above `above`, or 0 if none."""
    limit = DIRECT_MAP_LIMIT
    for i in range(u32(0), boot_info.region_count):
        if boot_info.regions[i].kind != MEM_USABLE:
            continue
        r_start = boot_info.regions[i].base
        r_end = r_start + boot_info.regions[i].length
        if r_end > limit:
            r_end = limit
        start = align_up(r_start if r_start > above else above)
        while start + size <= r_end:
            taken = overlaps_taken(start, start + size)
            if taken == 0:
                return start
            start = align_up(taken)
    return u64(0)


def init_frames() -> u64:
    """Set up the heap arena and the frame allocator from the memory map; return the free frames."""
    global frames
    top = managed_top()
    frame_count = top >> 12
    bitmap_bytes = align_up(((frame_count + 63) >> 6) << 3)
    area = find_free_area(bitmap_bytes + HEAP_ARENA_SIZE, boot_info.kernel_end)
    if area == 0:
        kprint("frames: no room for the frame bitmap and heap: not initialised")
        return u64(0)
    dm = boot_info.direct_map
    heap_init(dm + area + bitmap_bytes, HEAP_ARENA_SIZE)
    fa = FrameAllocator(dm + area, u64(0), frame_count)
    for i in range(u32(0), boot_info.region_count):
        if boot_info.regions[i].kind == MEM_USABLE:
            base = boot_info.regions[i].base
            fa.add_free_range(base, base + boot_info.regions[i].length)
    # Usable regions may overlap reserved ones in a sloppy map: reserve after freeing.
    for i in range(u32(0), boot_info.region_count):
        if boot_info.regions[i].kind != MEM_USABLE:
            base = boot_info.regions[i].base
            fa.reserve_range(base, base + boot_info.regions[i].length)
    fa.reserve_range(u64(0), LOW_MEMORY_END)
    fa.reserve_range(boot_info.kernel_start, boot_info.kernel_end)
    fa.reserve_range(area, area + bitmap_bytes + HEAP_ARENA_SIZE)
    for i in range(u32(0), boot_info.reserved_count):
        fa.reserve_range(boot_info.reserved[i].start, boot_info.reserved[i].end)
    for i in range(u32(0), boot_info.module_count):
        fa.reserve_range(boot_info.modules[i].start, boot_info.modules[i].end)
    frames = fa
    return fa.free_count()


def log_cmdline() -> None:
    """Print `cmdline: <text>` from the boot command line."""
    # kprint always ends the line, so the label goes out byte by byte: "cmdline: ".
    console_putc(u8(0x63))
    console_putc(u8(0x6D))
    console_putc(u8(0x64))
    console_putc(u8(0x6C))
    console_putc(u8(0x69))
    console_putc(u8(0x6E))
    console_putc(u8(0x65))
    console_putc(u8(0x3A))
    console_putc(u8(0x20))
    if boot_info.cmdline != 0:
        log_bytes(boot_info.direct_map + boot_info.cmdline, boot_info.cmdline_len)
    log_newline()


def is_exit_word(p: Ptr[u8], n: u64) -> bool:
    """Whether the n bytes at p spell `exit=1`."""
    return (n == 6 and p[0] == 0x65 and p[1] == 0x78 and p[2] == 0x69 and p[3] == 0x74
            and p[4] == 0x3D and p[5] == 0x31)


def cmdline_requests_exit() -> bool:
    """Whether the command line has the word `exit=1` (power off when done: tests and automation)."""
    if boot_info.cmdline == 0:
        return False
    p = Ptr[u8](boot_info.direct_map + boot_info.cmdline)
    n = boot_info.cmdline_len
    i = u64(0)
    while i < n:
        while i < n and p[i] == 0x20:
            i += 1
        start = i
        while i < n and p[i] != 0x20:
            i += 1
        if is_exit_word(p + start, i - start):
            return True
    return False


def kernel_main() -> bool:
    """The kernel proper, after the arch set up the console and boot_info; True asks to power off."""
    arch = arch_name(boot_info.arch)
    proto = protocol_name(boot_info.protocol)
    kprint(f"asterpy {VERSION} ({arch}, booted via {proto})")
    kprint(f"memory: {usable_bytes() >> 20} MiB usable")
    log_cmdline()
    free = init_frames()
    kprint(f"frames: {free} free")
    return cmdline_requests_exit()
