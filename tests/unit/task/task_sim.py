"""Helpers for the task unit tests: simulated physical memory, kernel tables and user processes.

Physical memory is FRAMES frames from PHYS_BASE, reached through a simulated direct map at
DIRECT_MAP + phys (the same scheme as tests/unit/mm/test_mm_paging.py). A Process gets that
offset as its `dm`, so its page tables and user pages live in simulated memory and every
user access goes through the tables, exactly as in the kernel.
"""

from typing import List, Optional, Tuple

from asterpy.lang import memory, u64
from asterpy.mm.frames import FrameAllocator, bitmap_words
from asterpy.mm.paging import GLOBAL, NO_PHYS, READ, WRITE, AddressSpace, new_address_space
from asterpy.syscall.dispatch import syscall_dispatch
from asterpy.syscall.numbers import x86_64_sys_id
from asterpy.task.process import Process

PHYS_BASE = 0x100000
FRAMES = 512
DIRECT_MAP = 0x2000_0000_0000
# Where test files (ELF images) are placed: kernel memory outside the direct map.
FILE_AREA_END = 0x3000_0000_0000
# A kernel mapping in the upper half, so the process's copied top-level entries can be checked.
KERNEL_VA = 0xFFFF_FFFF_8000_0000


def make_frames(count: int = FRAMES) -> FrameAllocator:
    """A frame allocator over `count` simulated frames, all free, reachable at DIRECT_MAP + phys."""
    bitmap = memory.sim.alloc(max(8, int(bitmap_words(u64(count))) * 8), 8)
    fa = FrameAllocator(u64(bitmap), u64(PHYS_BASE), u64(count))
    memory.sim.map(DIRECT_MAP + PHYS_BASE, count * 4096)
    fa.add_free_range(u64(PHYS_BASE), u64(PHYS_BASE + count * 4096))
    return fa


def make_kernel_space(fa: FrameAllocator) -> AddressSpace:
    """Kernel page tables with one upper-half page mapped (top-level entry 511 present)."""
    ks = new_address_space(fa, u64(DIRECT_MAP), False)
    ks.map(u64(KERNEL_VA), fa.alloc(), READ | WRITE | GLOBAL)
    return ks


def make_process(count: int = FRAMES) -> Tuple[FrameAllocator, AddressSpace, Process]:
    """A fresh frame allocator, kernel tables and an empty process on them."""
    fa = make_frames(count)
    ks = make_kernel_space(fa)
    return fa, ks, Process(fa, u64(DIRECT_MAP), ks.root)


def place_file(data: bytes) -> int:
    """Copy data into simulated kernel memory, page aligned; its address."""
    size = max(len(data), 1)
    base = (FILE_AREA_END - size) & ~0xFFF
    memory.sim.map(base, size)
    memory.sim.write(base, data)
    return base


def kstrings(words: List[bytes]) -> Tuple[List[u64], List[u64]]:
    """Put each word in kernel memory (no NUL): the address and length lists setup_stack takes."""
    addrs: List[u64] = []
    lens: List[u64] = []
    for w in words:
        a = memory.sim.alloc(max(len(w), 1), 1)
        memory.sim.write(a, w)
        addrs.append(u64(a))
        lens.append(u64(len(w)))
    return addrs, lens


def touch(p: Process, va: int) -> int:
    """The physical address of user va, paging it in first as a user read would (demand paging:
    mm/fault.py); NO_PHYS if it is not part of any mapping."""
    pa = p.space.translate(u64(va))
    if pa == NO_PHYS:
        from asterpy.mm.fault import fault_in
        fault_in(p, u64(va), False)
        pa = p.space.translate(u64(va))
    return int(pa)


def uread(p: Process, va: int, n: int) -> bytes:
    """n user bytes at va read through the page tables by the test (no permission checks);
    raises AssertionError if a page is not mapped."""
    out = bytearray()
    while n > 0:
        chunk = min(n, 4096 - (va & 0xFFF))
        pa = touch(p, va)
        assert pa != NO_PHYS, f"user address {va:#x} is not mapped"
        out += memory.sim.read(DIRECT_MAP + int(pa), chunk)
        va += chunk
        n -= chunk
    return bytes(out)


def uwrite(p: Process, va: int, data: bytes) -> None:
    """Store data at user va through the page tables (the test's own access, ignoring permissions)."""
    off = 0
    while off < len(data):
        chunk = min(len(data) - off, 4096 - ((va + off) & 0xFFF))
        pa = touch(p, va + off)
        assert pa != NO_PHYS, f"user address {va + off:#x} is not mapped"
        memory.sim.write(DIRECT_MAP + int(pa), data[off:off + chunk])
        off += chunk


def uword(p: Process, va: int) -> int:
    """The little-endian u64 at user va."""
    return int.from_bytes(uread(p, va, 8), "little")


def ucstr(p: Process, va: int, limit: int = 4096) -> bytes:
    """The NUL-terminated string at user va (without the NUL)."""
    out = bytearray()
    while len(out) < limit:
        b = uread(p, va + len(out), 1)
        if b == b"\0":
            return bytes(out)
        out += b
    raise AssertionError(f"no NUL within {limit} bytes at {va:#x}")


def kbuf(size: int, fill: Optional[bytes] = None) -> int:
    """A kernel buffer of size bytes (zeroed, or holding fill)."""
    a = memory.sim.alloc(max(size, 1), 16)
    if fill is not None:
        memory.sim.write(a, fill)
    return a


class Running:
    """A booted hello process made current, with the arch hooks of the syscall handlers replaced:
    console bytes, FS-base loads and user exits are recorded; the clock and the entropy sources
    are fixed values the test may change."""

    def __init__(self, p: Process, fa: FrameAllocator) -> None:
        """Record state for p (allocated from fa)."""
        self.p = p
        self.fa = fa
        self.console = bytearray()
        self.fs_loads: List[int] = []
        self.gs_loads: List[int] = []
        self.exits: List[int] = []
        self.now_ns = 5_123_456_789
        self.tsc = 1000
        self.task: object = None

    def call(self, nr: int, *args: int) -> int:
        """Run x86_64 syscall nr through the arch-neutral dispatcher; the raw result as a signed int."""
        a = [u64(x) for x in args] + [u64(0)] * (6 - len(args))
        return int(syscall_dispatch(x86_64_sys_id(u64(nr)), u64(nr), *a))
