"""brk, mmap, munmap and mprotect through the syscall dispatcher on a booted hello process:
growth and shrinking, limits, argument errors, zeroed pages usable through copy_in/copy_out."""

from typing import List

import pytest

from asterpy.lang import SysError, memory, u64
from asterpy.lang.errno import EBADF, EFAULT, EINVAL, ENOMEM, EPERM
from asterpy.mm.paging import EXEC, READ, USER, WRITE
from asterpy.syscall.numbers import X86_64_NR_BRK, X86_64_NR_MMAP, X86_64_NR_MPROTECT, X86_64_NR_MUNMAP
from asterpy.task import process as P

from task_sim import Running, DIRECT_MAP, FRAMES, PHYS_BASE, kbuf, uread, uwrite

BRK = int(X86_64_NR_BRK)
MMAP = int(X86_64_NR_MMAP)
MUNMAP = int(X86_64_NR_MUNMAP)
MPROTECT = int(X86_64_NR_MPROTECT)
PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4
MAP_SHARED, MAP_PRIVATE, MAP_FIXED, MAP_ANONYMOUS = 0x01, 0x02, 0x10, 0x20
ANON = MAP_PRIVATE | MAP_ANONYMOUS
RW = PROT_READ | PROT_WRITE
M64 = (1 << 64) - 1


def dirty_free_frames(r: Running) -> None:
    """Fill every free frame with 0xA5 so unzeroed pages show."""
    for pa in range(PHYS_BASE, PHYS_BASE + FRAMES * 4096, 4096):
        if r.fa.is_free(u64(pa)):
            memory.sim.write(DIRECT_MAP + pa, b"\xa5" * 4096)


def mapped(r: Running, start: int, end: int) -> List[bool]:
    """For each page of [start, end), whether it is mapped."""
    return [r.p.space.flags_of(u64(va)) != 0 for va in range(start, end, 4096)]


# ------------------------------------------------------------------ brk


def test_brk_query_grow_and_shrink(running: Running, tlb_flushes: List[int]) -> None:
    """brk(0) reports the break; growing adds heap that reads as zero (pages come on first touch);
    shrinking unmaps (and flushes) the touched pages past the new break and frees their frames."""
    r = running
    start = int(r.p.brk_start)
    assert start % 4096 == 0
    assert r.call(BRK, 0) == start
    dirty_free_frames(r)
    free0 = int(r.fa.free_count())
    assert r.call(BRK, start + 3 * 4096 + 5) == start + 3 * 4096 + 5
    assert mapped(r, start, start + 5 * 4096) == [False] * 5          # nothing touched yet
    assert uread(r.p, start, 4 * 4096) == bytes(4 * 4096)
    for va in range(start, start + 4 * 4096, 4096):
        assert r.p.space.flags_of(u64(va)) == READ | WRITE | USER
    with pytest.raises(AssertionError):
        uread(r.p, start + 4 * 4096, 1)                                # past the heap
    src = kbuf(16, b"0123456789abcdef")
    r.p.copy_out(u64(start + 4 * 4096 - 16), u64(src), u64(16))
    # Shrink into the second page: pages 2 and 3 go away.
    assert r.call(BRK, start + 4096 + 1) == start + 4096 + 1
    assert mapped(r, start, start + 4 * 4096) == [True, True, False, False]
    assert start + 2 * 4096 in tlb_flushes and start + 3 * 4096 in tlb_flushes
    with pytest.raises(SysError) as ei:
        r.p.copy_in(u64(kbuf(16)), u64(start + 4 * 4096 - 16), u64(16))
    assert ei.value.errno == EFAULT
    # Growing again gives fresh zero pages, not the old contents.
    assert r.call(BRK, start + 4 * 4096) == start + 4 * 4096
    assert uread(r.p, start + 2 * 4096, 2 * 4096) == bytes(2 * 4096)
    # Back to the start: everything is released.
    assert r.call(BRK, start) == start
    assert mapped(r, start, start + 4 * 4096) == [False] * 4
    assert int(r.fa.free_count()) == free0


@pytest.mark.parametrize("delta", [-1, -4096, int(P.BRK_MAX) + 1, M64 - 0x1000000])
def test_brk_outside_limits_keeps_the_break(running: Running, delta: int) -> None:
    """Below the start or beyond BRK_MAX: the old break comes back and nothing is mapped."""
    r = running
    start = int(r.p.brk_start)
    r.call(BRK, start + 100)
    free0 = int(r.fa.free_count())
    assert r.call(BRK, (start + delta) & M64) == start + 100
    assert int(r.p.brk) == start + 100
    assert int(r.fa.free_count()) == free0


def test_brk_growth_is_lazy(running: Running) -> None:
    """A growth larger than free memory succeeds (nothing is backed until touched)."""
    r = running
    start = int(r.p.brk_start)
    r.call(BRK, start + 10)
    free0 = int(r.fa.free_count())
    want = start + (free0 + 100) * 4096
    assert r.call(BRK, want) == want
    assert int(r.fa.free_count()) == free0
    assert r.call(BRK, start + 10) == start + 10


def test_brk_does_not_grow_over_another_mapping(running: Running) -> None:
    """A MAP_FIXED mapping above the break stops brk growth (the old break comes back), so a later
    shrink cannot unmap it."""
    r = running
    start = int(r.p.brk_start)
    assert r.call(MMAP, start + 2 * 4096, 4096, RW, ANON | MAP_FIXED, M64, 0) == start + 2 * 4096
    uwrite(r.p, start + 2 * 4096, b"mine")
    assert r.call(BRK, start + 4096) == start + 4096
    assert r.call(BRK, start + 4 * 4096) == start + 4096
    assert r.call(BRK, start) == start
    assert uread(r.p, start + 2 * 4096, 4) == b"mine"


# ------------------------------------------------------------------ mmap / munmap / mprotect


@pytest.mark.parametrize("args, errno", [
    ((0, 0, RW, ANON, M64, 0), EINVAL),                         # length 0
    ((0, 4096, RW, ANON, M64, 100), EINVAL),                    # unaligned offset
    ((0, 4096, RW, MAP_ANONYMOUS, M64, 0), EINVAL),             # neither shared nor private
    ((0, 4096, RW, 0x0F | MAP_ANONYMOUS, M64, 0), EINVAL),      # bad map type
    ((0, 4096, RW, MAP_PRIVATE, 99, 0), EBADF),                 # a file mapping of no file
    ((0, 4096, RW, MAP_SHARED, 99, 0), EBADF),
    ((0x10001000 + 1, 4096, RW, ANON | MAP_FIXED, M64, 0), EINVAL),   # unaligned fixed address
    ((0, 4096, RW, ANON | MAP_FIXED, M64, 0), EPERM),           # fixed at null (below mmap_min_addr)
    ((int(P.USER_TOP) - 4096, 8192, RW, ANON | MAP_FIXED, M64, 0), ENOMEM),  # leaves user space
    ((0x10000000, M64 - 0x1000, RW, ANON | MAP_FIXED, M64, 0), ENOMEM),     # wraps
    ((0x10000000, M64 - 0xFF, RW, ANON | MAP_FIXED, M64, 0), ENOMEM),       # wraps back onto addr
    ((0, M64 - 10, RW, ANON, M64, 0), ENOMEM),                  # page_up wraps
    ((0, 1 << 48, RW, ANON, M64, 0), ENOMEM),                   # larger than user space
    ((0, 1 << 62, RW, ANON, M64, 0), ENOMEM),
])
def test_mmap_argument_errors(running: Running, args: tuple, errno: int) -> None:
    """Bad mmap arguments give -errno and map nothing."""
    r = running
    free0 = int(r.fa.free_count())
    areas0 = int(r.p.vmas.count())
    assert r.call(MMAP, *args) == -errno
    assert int(r.fa.free_count()) == free0
    assert int(r.p.vmas.count()) == areas0


def test_mmap_anonymous_pages_are_zero_and_usable(running: Running) -> None:
    """An anonymous mapping is page aligned, zeroed on first touch, writable through copy_out and
    readable through copy_in; its length rounds up to pages."""
    r = running
    dirty_free_frames(r)
    a = r.call(MMAP, 0, 5000, RW, ANON, M64, 0)
    assert a > 0 and a % 4096 == 0 and a + 8192 <= int(P.MMAP_END)
    assert mapped(r, a, a + 3 * 4096) == [False, False, False]
    assert uread(r.p, a, 8192) == bytes(8192)
    assert mapped(r, a, a + 3 * 4096) == [True, True, False]
    assert r.p.space.flags_of(u64(a)) == READ | WRITE | USER
    data = bytes(range(256)) * 20
    r.p.copy_out(u64(a + 100), u64(kbuf(len(data), data)), u64(len(data)))
    back = kbuf(len(data))
    r.p.copy_in(u64(back), u64(a + 100), u64(len(data)))
    assert memory.sim.read(back, len(data)) == data
    b = r.call(MMAP, 0, 4096, PROT_READ | PROT_EXEC, ANON, M64, 0)
    assert b == a - 4096 or b >= a + 8192                      # top-down: just below
    uread(r.p, b, 1)
    assert r.p.space.flags_of(u64(b)) & EXEC
    # A file descriptor is ignored for an anonymous mapping.
    assert r.call(MMAP, 0, 1, RW, ANON, 7, 0) > 0


def test_mmap_fixed_replaces_pages(running: Running) -> None:
    """MAP_FIXED maps exactly at addr, discarding what was there (fresh zero pages)."""
    r = running
    start = int(r.p.brk_start)
    r.call(BRK, start + 2 * 4096)
    uwrite(r.p, start, b"old")
    assert r.call(MMAP, start, 4096, RW, ANON | MAP_FIXED, M64, 0) == start
    assert uread(r.p, start, 3) == bytes(3)


def test_mmap_never_hands_out_an_existing_mapping(running: Running) -> None:
    """A MAP_FIXED mapping placed where mmap(NULL) would go next must not come back from it."""
    r = running
    nxt = int(P.MMAP_END) - 4096
    assert r.call(MMAP, nxt, 4096, RW, ANON | MAP_FIXED, M64, 0) == nxt
    uwrite(r.p, nxt, b"in use")
    a = r.call(MMAP, 0, 4096, RW, ANON, M64, 0)
    assert a != nxt
    assert uread(r.p, a, 6) == bytes(6)
    assert uread(r.p, nxt, 6) == b"in use"


def test_mmap_area_end_is_a_hard_limit(running: Running) -> None:
    """mmap(NULL) never places a mapping above MMAP_END (the stack's reserve)."""
    r = running
    a = r.call(MMAP, 0, 4096, RW, ANON, M64, 0)
    assert a == int(P.MMAP_END) - 4096
    # A hint in the stack's reserve is not free: the search answers instead.
    b = r.call(MMAP, int(P.STACK_TOP) - 4096, 4096, RW, ANON, M64, 0)
    assert b == a - 4096


def test_munmap(running: Running, tlb_flushes: List[int]) -> None:
    """munmap removes the pages (copy_in then faults), flushes them and frees the frames; a range
    with holes is fine; bad arguments are EINVAL."""
    r = running
    free0 = int(r.fa.free_count())
    a = r.call(MMAP, 0, 4 * 4096, RW, ANON, M64, 0)
    uwrite(r.p, a, bytes(4 * 4096))
    assert r.call(MUNMAP, a + 4096, 4096 + 1) == 0          # length rounds up: pages 1 and 2
    assert mapped(r, a, a + 4 * 4096) == [True, False, False, True]
    assert a + 4096 in tlb_flushes and a + 2 * 4096 in tlb_flushes
    with pytest.raises(SysError) as ei:
        r.p.copy_in(u64(kbuf(8)), u64(a + 4096), u64(8))
    assert ei.value.errno == EFAULT
    assert r.call(MUNMAP, a, 4 * 4096) == 0                  # over the hole too
    assert int(r.fa.free_count()) == free0
    for addr, ln in ((a + 1, 4096), (a, 0), (a, M64 - 0x100), (int(P.USER_TOP) - 4096, 8192),
                     (0xFFFF_8000_0000_0000, 4096)):
        assert r.call(MUNMAP, addr, ln) == -EINVAL


def test_mprotect_checks_arguments(running: Running) -> None:
    """mprotect validates address, protection bits and range: EINVAL, ENOMEM past user space or
    over unmapped pages."""
    r = running
    a = r.call(MMAP, 0, 4096, RW, ANON, M64, 0)
    assert r.call(MPROTECT, a, 4096, PROT_READ) == 0
    assert r.call(MPROTECT, a + 1, 4096, PROT_READ) == -EINVAL
    assert r.call(MPROTECT, a, 4096, 8) == -EINVAL
    assert r.call(MPROTECT, a, M64, PROT_READ) == -ENOMEM
    assert r.call(MPROTECT, int(P.USER_TOP) - 4096, 8192, PROT_READ) == -ENOMEM
    assert r.call(MPROTECT, a + 4096, 4096, PROT_READ) == -ENOMEM
    assert r.call(MPROTECT, a, 0, PROT_READ) == 0
