"""The kernel entry after the arch's boot code: memory (frames, heap, page tables), clocks, the timer."""

from typing import Final

from asterpy.lang import Ptr, SysError, kinfo, kprint, kwarn, kwrite, u8, u32, u64
from asterpy.mm.frames import FrameAllocator
from asterpy.mm.heap import HeapSource, heap_init, heap_set_source
from asterpy.mm.ioremap import ioremap_init
from asterpy.mm.kstack import kstack_alloc, kstack_init, kstack_top
from asterpy.mm.paging import (
    EXEC, GLOBAL, HUGE_MASK, HUGE_SIZE, READ, WRITE, AddressSpace, new_address_space,
)

from asterpy.kernel.cmdline import (
    FAULT_BS, FAULT_IS, FAULT_NONE, FAULT_SO, KIND_ASTERPY, KIND_DASHES, KIND_MODULE, WX_NONE, WX_NX, WX_RO,
    WX_TEXT, cmdline_exit_requested, cmdline_failslab, cmdline_fault, cmdline_save, cmdline_settings, cmdline_wx_probe, fault_of, name_end,
    name_start, skip_spaces, span_is, span_starts, value_end, value_start, word_end, word_kind, wx_of,
)
from asterpy.kernel.bootinfo import MEM_USABLE, arch_name, boot_info, usable_bytes
from asterpy.kernel.log import LOG_INFO, LOG_WARN, kpy_log_begin, log_bytes, log_is_quiet, log_newline
from asterpy.kernel.time import SECS_PER_DAY, civil_day, civil_month, civil_year

# The arch interface (docs/arch.md): the build resolves `kernel_arch` to arch/<arch>/kernel_arch.py.
from kernel_arch import (
    ARCH_HAS_PAGING, ARCH_KERNEL_VMA, ARCH_TIMER_HZ, arch_boot_protocol_name, arch_boot_stack_guard, arch_stack_guard_pages, arch_bss_end, arch_clock_calibrate,
    arch_clock_name, arch_clock_start, arch_data_start, arch_enable_interrupts, arch_load_root, arch_map_devices,
    arch_monotonic_ns, arch_paging_cpu_init, arch_probe_exec, arch_probe_stack_overflow, arch_probe_write, arch_rodata_end,
    arch_rodata_start, arch_rtc_seconds, arch_text_end, arch_text_start, arch_tick_count, arch_timer_init,
    arch_timer_start,
)
# The composition root's per-arch half (docs/architecture.md): each arch's kernel_glue registers the
# task layer's upcalls, hands frames to the page cache and starts init (x86_64 only: the other
# arches have no user mode, files or tasks yet).
from kernel_glue import fs_use_frames, probe_devices, register_upcalls, run_init_if_requested

VERSION: Final = "0.1.0"

PAGE_MASK: Final = u64(0xFFF)
# Nothing below 1 MiB is handed out: real-mode IVT, BIOS data, EBDA, option ROMs, and the
# boot loader's low structures live there.
LOW_MEMORY_END: Final = u64(0x100000)
# Frames beyond the boot direct map cannot be touched before the kernel tables are loaded,
# so they are handed out only after that (add_high_memory).
DIRECT_MAP_LIMIT: Final = u64(0x100000000)
# The bootstrap heap arena, carved next to the frame bitmap: it holds the frame allocator
# object itself (a class instance needs a heap); the real heap then comes from the frames.
BOOT_HEAP_SIZE: Final = u64(128 << 10)
# The kernel heap's first region: usable memory / HEAP_FRACTION, at most HEAP_MAX, at least
# HEAP_MIN. It grows from the frames beyond that (init_heap_growth), so this is only a start.
HEAP_MAX: Final = u64(16 << 20)
HEAP_MIN: Final = u64(1 << 20)
HEAP_FRACTION: Final = u64(16)
# How long kernel_main watches the timer.
TIMER_WATCH_NS: Final = u64(50000000)

# The size of the kernel stack `asterpy.fault=so` overflows on purpose.
PROBE_STACK_PAGES: Final = u64(8)

# The frame allocator (None until kernel_main has set it up). It lives in the bootstrap arena,
# which the move to the real heap forgets: this global keeps it alive for good, so it is never
# handed to kfree (which would refuse an address outside the current heap).
frames: FrameAllocator | None = None
# The frames only the heap may take: free frames / RESERVE_FRACTION, within [RESERVE_MIN, RESERVE_MAX].
RESERVE_FRACTION: Final = u64(32)
RESERVE_MIN: Final = u64(256)
RESERVE_MAX: Final = u64(8192)


class FrameHeapSource(HeapSource):
    """The kernel heap's source of new regions: contiguous runs of frames, through the direct map."""

    fa: FrameAllocator
    dm: u64

    def __init__(self, fa: FrameAllocator, dm: u64) -> None:
        """Grow from fa's frames, seen at dm + physical address."""
        self.fa = fa
        self.dm = dm

    def take(self, size: u64) -> u64:
        """size bytes (a page multiple) of contiguous frames, the reserve included; 0 if none."""
        try:
            return self.dm + self.fa.alloc_run_reserved(size >> 12)
        except SysError:
            return u64(0)

    def give(self, addr: u64, size: u64) -> None:
        """Free the frames of a region the heap no longer needs."""
        self.fa.free_contiguous(addr - self.dm, size >> 12)

    def available(self) -> u64:
        """Bytes of frames the rest of the kernel may still take (the reserve excluded)."""
        return self.fa.available_frames() << 12


# The kernel's address space (None until init_paging has loaded it).
kernel_space: AddressSpace | None = None


def align_up(x: u64) -> u64:
    """x rounded up to a page boundary."""
    return (x + PAGE_MASK) & ~PAGE_MASK


def managed_top() -> u64:
    """End of the highest usable region: the frame allocator covers [0, this)."""
    top = u64(0)
    for i in range(u32(0), boot_info.region_count):
        if boot_info.regions[i].kind == MEM_USABLE:
            end = boot_info.regions[i].base + boot_info.regions[i].length
            if end > top:
                top = end
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


def clip_reserve(fa: FrameAllocator, start: u64, end: u64, lo: u64, hi: u64) -> None:
    """Reserve the part of [start, end) that lies inside [lo, hi)."""
    s = start if start > lo else lo
    e = end if end < hi else hi
    if s < e:
        fa.reserve_range(s, e)


def release_memory(fa: FrameAllocator, lo: u64, hi: u64) -> None:
    """Free the usable frames in [lo, hi), then take back everything in it that is not free to use."""
    for i in range(u32(0), boot_info.region_count):
        if boot_info.regions[i].kind == MEM_USABLE:
            base = boot_info.regions[i].base
            end = base + boot_info.regions[i].length
            fa.add_free_range(base if base > lo else lo, end if end < hi else hi)
    # Usable regions may overlap reserved ones in a sloppy map: reserve after freeing.
    for i in range(u32(0), boot_info.region_count):
        if boot_info.regions[i].kind != MEM_USABLE:
            base = boot_info.regions[i].base
            clip_reserve(fa, base, base + boot_info.regions[i].length, lo, hi)
    clip_reserve(fa, u64(0), LOW_MEMORY_END, lo, hi)
    clip_reserve(fa, boot_info.kernel_start, boot_info.kernel_end, lo, hi)
    for i in range(u32(0), boot_info.reserved_count):
        clip_reserve(fa, boot_info.reserved[i].start, boot_info.reserved[i].end, lo, hi)
    for i in range(u32(0), boot_info.module_count):
        clip_reserve(fa, boot_info.modules[i].start, boot_info.modules[i].end, lo, hi)


def init_frames() -> u64:
    """Set up the bootstrap heap and the frame allocator (frames below 4 GiB free); return the free frames."""
    global frames
    top = managed_top()
    frame_count = top >> 12
    bitmap_bytes = align_up(((frame_count + 63) >> 6) << 3)
    area = find_free_area(bitmap_bytes + BOOT_HEAP_SIZE, boot_info.kernel_end)
    if area == 0:
        kwarn("frames: no room for the frame bitmap and heap: not initialised")
        return u64(0)
    dm = boot_info.direct_map
    heap_init(dm + area + bitmap_bytes, BOOT_HEAP_SIZE)
    fa = FrameAllocator(dm + area, u64(0), frame_count)
    # Frames above the boot direct map are released by add_high_memory once the kernel's
    # tables map them (a page table or the heap placed there could not be reached before).
    release_memory(fa, u64(0), DIRECT_MAP_LIMIT)
    fa.reserve_range(area, area + bitmap_bytes + BOOT_HEAP_SIZE)
    frames = fa
    return fa.free_count()


def add_high_memory(fa: FrameAllocator) -> u64:
    """Free the usable frames above the boot direct map (call once the kernel tables map them); return how many."""
    before = fa.free_count()
    release_memory(fa, DIRECT_MAP_LIMIT, u64(0xFFFFFFFFFFFFF000))
    return fa.free_count() - before


def log_cmdline() -> None:
    """Log `cmdline: <text>` (an info line) from the boot command line, which is raw bytes in memory."""
    if not kpy_log_begin(LOG_INFO):
        return
    kwrite("cmdline: ")
    if boot_info.cmdline != 0:
        log_bytes(boot_info.direct_map + boot_info.cmdline, boot_info.cmdline_len)
    log_newline()


def log_word(prefix: str, p: Ptr[u8], s: u64, e: u64, suffix: str, warn: bool) -> None:
    """One log line (a warning if warn, else info): prefix, the bytes [s, e) of the line, suffix."""
    if not kpy_log_begin(LOG_WARN if warn else LOG_INFO):
        return
    kwrite(prefix)
    log_bytes(p.addr + s, e - s)
    kwrite(suffix)
    log_newline()


def report_cmdline_word(p: Ptr[u8], s: u64, e: u64) -> None:
    """Log what the kernel does with one word, when that is not plain: ignored consoles, root=, unknown asterpy words."""
    ns = name_start(p, s, e)
    ne = name_end(p, ns, e)
    v = value_start(p, ne, e)
    ve = value_end(p, v, e)
    kind = word_kind(p, s, e)
    if kind == KIND_ASTERPY:
        known = ((span_is(p, ns, ne, b"asterpy.fault") and fault_of(p, v, ve) != FAULT_NONE)
                 or (span_is(p, ns, ne, b"asterpy.wx") and wx_of(p, v, ve) != WX_NONE)
                 or (span_is(p, ns, ne, b"asterpy.selftest") and span_is(p, v, ve, b"fpu"))
                 or (span_is(p, ns, ne, b"asterpy.failslab") and cmdline_failslab() != 0)
                 or span_is(p, ns, ne, b"asterpy.exit") or span_is(p, ns, ne, b"asterpy.strace")
                 or span_is(p, ns, ne, b"asterpy.ramdisk"))
        if not known:
            log_word("cmdline: ", p, s, e, ": not an asterpy switch (docs/cmdline.md): ignored", True)
    elif span_is(p, ns, ne, b"console") and ne < e:
        if not (span_is(p, v, ve, b"ttyS0") or span_starts(p, v, ve, b"ttyS0,")):
            log_word("cmdline: console=", p, v, ve, ": asterpy has only the serial console ttyS0: ignored", True)
    elif span_is(p, ns, ne, b"root") and ne < e:
        log_word("cmdline: root=", p, v, ve, ": no block device support yet: the initramfs stays the root", True)
    elif kind == KIND_MODULE and not span_is(p, ns, ne, b"printk.time"):
        log_word("cmdline: ", p, s, e, ": module parameter: no modules, ignored", False)


def report_cmdline() -> None:
    """Log the words the kernel ignores or cannot honour (the rest is in docs/cmdline.md)."""
    cmdline_settings()
    if boot_info.cmdline == 0:
        return
    p = Ptr[u8](boot_info.direct_map + boot_info.cmdline)
    n = boot_info.cmdline_len
    i = skip_spaces(p, n, u64(0))
    while i < n:
        e = word_end(p, n, i)
        if word_kind(p, i, e) == KIND_DASHES:
            return
        report_cmdline_word(p, i, e)
        i = skip_spaces(p, n, e)


def heap_size_for(usable: u64) -> u64:
    """First kernel heap region for `usable` bytes of RAM: usable / 16 within [1 MiB, 16 MiB], page aligned."""
    size = (usable // HEAP_FRACTION) & ~PAGE_MASK
    if size > HEAP_MAX:
        size = HEAP_MAX
    if size < HEAP_MIN:
        size = HEAP_MIN
    return size


def init_heap(fa: FrameAllocator) -> u64:
    """Move the kernel heap onto contiguous frames sized from usable memory; return its size, 0 if it stayed."""
    size = heap_size_for(usable_bytes())
    while size >= HEAP_MIN:
        try:
            base = fa.alloc_contiguous(size >> 12, u64(1))
            heap_init(boot_info.direct_map + base, size)
            return size
        except SysError:
            size = size >> 1
    return u64(0)


def init_heap_growth(fa: FrameAllocator) -> None:
    """Let the heap grow from the frames, keeping a reserve of frames only it may take."""
    r = fa.free_count() // RESERVE_FRACTION
    if r < RESERVE_MIN:
        r = RESERVE_MIN
    if r > RESERVE_MAX:
        r = RESERVE_MAX
    fa.reserve = r
    heap_set_source(FrameHeapSource(fa, boot_info.direct_map))
    kinfo(f"heap: grows from the frames ({r} frames reserved for it)")


def map_direct(space: AddressSpace, base: u64, end: u64) -> u64:
    """Map physical base..end, rounded out to large pages, into the direct map (RW, NX); return the bytes added."""
    dm = boot_info.direct_map
    pa = base & ~HUGE_MASK
    mapped = u64(0)
    while pa < end:
        # Neighbouring regions may share a large page: map each one once.
        if space.page_size_of(dm + pa) == 0:
            space.map_huge(dm + pa, pa, READ | WRITE | GLOBAL)
            mapped += HUGE_SIZE
        pa += HUGE_SIZE
    return mapped


def map_image(space: AddressSpace, start: u64, end: u64, flags: u64) -> None:
    """Map the kernel image's virtual start..end (page aligned) onto where it was loaded."""
    space.map_range(start, start - ARCH_KERNEL_VMA, end - start, flags, False)


def init_paging(fa: FrameAllocator) -> AddressSpace:
    """Build the kernel's own tables (image W^X, direct map of usable RAM, the arch's devices uncached) and load them."""
    if not arch_paging_cpu_init():
        kwarn("paging: this CPU has no NX: data and rodata stay executable")
    space = new_address_space(fa, boot_info.direct_map, True)
    map_image(space, arch_text_start(), arch_text_end(), READ | EXEC | GLOBAL)
    map_image(space, arch_rodata_start(), arch_rodata_end(), READ | GLOBAL)
    map_image(space, arch_data_start(), arch_bss_end(), READ | WRITE | GLOBAL)
    direct = u64(0)
    for i in range(u32(0), boot_info.region_count):
        if boot_info.regions[i].kind == MEM_USABLE:
            base = boot_info.regions[i].base
            direct += map_direct(space, base, base + boot_info.regions[i].length)
    arch_map_devices(space, boot_info.direct_map)
    arch_load_root(space.root)
    kinfo(f"paging: kernel W^X, direct map {direct >> 20} MiB")
    return space


def run_wx_probes(fa: FrameAllocator) -> None:
    """Break W^X on purpose when the command line asks (`asterpy.wx=text|ro|nx`): each must page-fault."""
    probe = cmdline_wx_probe()
    if probe == WX_TEXT:
        kinfo("paging: writing to .text")
        arch_probe_write(arch_text_start())
    elif probe == WX_RO:
        kinfo("paging: writing to .rodata")
        arch_probe_write(arch_rodata_start())
    elif probe == WX_NX:
        try:
            frame = fa.alloc()
        except SysError:
            return
        kinfo("paging: executing the direct map")
        arch_probe_exec(boot_info.direct_map + frame)
    if probe != WX_NONE:
        kwarn("paging: W^X probe did not fault")


def run_stack_overflow_probe(fa: FrameAllocator) -> None:
    """Run off the end of a fresh kernel stack when the command line asks (`asterpy.fault=so`), or
    of the boot stack (`asterpy.fault=bs`), or write to an exception stack's guard
    (`asterpy.fault=is`): the guard page must stop it (a fault reported as a kernel stack overflow)."""
    guards = arch_stack_guard_pages()
    fault = cmdline_fault()
    if fault == FAULT_IS and len(guards) > 1:
        kinfo("kstack: writing to an exception stack's guard page on purpose")
        arch_probe_write(guards[len(guards) - 1])
    if fault == FAULT_BS and arch_boot_stack_guard() != 0:
        kinfo("kstack: running off the end of the boot stack on purpose")
        arch_probe_stack_overflow(arch_boot_stack_guard() + PAGE_MASK + 1)
    if fault != FAULT_SO:
        return
    pa = kstack_alloc(fa, PROBE_STACK_PAGES)
    kinfo("kstack: overflowing a kernel stack on purpose")
    arch_probe_stack_overflow(kstack_top(pa, PROBE_STACK_PAGES))
    kwarn("kstack: the overflow did not fault")


def log_rtc() -> None:
    """Print the RTC's date and time: `rtc: YYYY-MM-DD hh:mm:ss UTC`."""
    t = arch_rtc_seconds()
    days = t // SECS_PER_DAY
    secs = t - days * SECS_PER_DAY
    kinfo(f"rtc: {civil_year(days):04d}-{civil_month(days):02d}-{civil_day(days):02d} "
           f"{secs // 3600:02d}:{(secs // 60) % 60:02d}:{secs % 60:02d} UTC")


def init_time() -> u64:
    """Measure the clock counter (the TSC on x86_64), start the monotonic clock, print the RTC; return its rate (0: none)."""
    hz = arch_clock_calibrate()
    if hz == 0:
        kwarn(f"{arch_clock_name()}: nothing to calibrate against: no clock")
        return u64(0)
    kinfo(f"{arch_clock_name()}: {(hz + 500000) // 1000000} MHz")
    arch_clock_start(hz)
    log_rtc()
    return hz


def init_timer(clock_hz: u64) -> None:
    """Set up the interrupt controller and timer, run it at ARCH_TIMER_HZ, and watch it for 50 ms."""
    arch_timer_init(boot_info.direct_map, clock_hz)
    arch_timer_start(ARCH_TIMER_HZ)
    arch_enable_interrupts()
    t0 = arch_monotonic_ns()
    start_ticks = arch_tick_count()
    while arch_monotonic_ns() - t0 < TIMER_WATCH_NS:
        pass
    t1 = arch_monotonic_ns()
    kinfo(f"timer: {arch_tick_count() - start_ticks} ticks in {TIMER_WATCH_NS // 1000000} ms")
    kinfo(f"clock: monotonic advanced {t1 - t0} ns")


def kernel_main() -> bool:
    """The kernel proper, after the arch set up the console and boot_info; True asks to power off."""
    global kernel_space
    arch = arch_name(boot_info.arch)
    proto = arch_boot_protocol_name()
    if not log_is_quiet():
        kprint(f"asterpy {VERSION} ({arch}, booted via {proto})")
    kinfo(f"memory: {usable_bytes() >> 20} MiB usable")
    log_cmdline()
    free = init_frames()
    kinfo(f"frames: {free} free")
    fa = frames
    if fa is None:
        return cmdline_exit_requested()
    kinfo(f"heap: {init_heap(fa) >> 20} MiB")
    cmdline_save()
    report_cmdline()
    try:
        if ARCH_HAS_PAGING:
            kernel_space = init_paging(fa)
            # Drivers map device registers into these tables (asterpy.mm.ioremap).
            ioremap_init(kernel_space, boot_info.direct_map)
            kstack_init(kernel_space, fa, boot_info.direct_map, managed_top(), arch_stack_guard_pages())
        high = add_high_memory(fa)
        if high != 0:
            kinfo(f"frames: {high} more above 4 GiB")
        run_wx_probes(fa)
        run_stack_overflow_probe(fa)
    except SysError as e:
        kwarn(f"paging: cannot build the kernel tables (errno {e.errno}): keeping the boot tables")
    init_heap_growth(fa)
    # Files, drivers and wait channels reach the scheduler through these (asterpy.kernel.upcalls).
    register_upcalls()
    # File pages come from frames from now on, so processes can map them (mm/fault.py).
    fs_use_frames(fa, boot_info.direct_map)
    hz = init_time()
    if hz != 0:
        init_timer(hz)
    # Disks before init: its /dev lists them (asterpy.fs.devfs).
    probe_devices()
    # Fault injection starts with init's children (the task layer lifts the pause when a
    # process other than init runs): boot and init's loading must not fail.
    fa.fail_every = cmdline_failslab()
    fa.fail_paused = True
    if fa.fail_every != 0:
        kinfo(f"failslab: every {fa.fail_every}th frame allocation fails")
    run_init_if_requested(frames, kernel_space)
    return cmdline_exit_requested()
