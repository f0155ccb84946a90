"""copy_in / copy_out / check_user and the word helpers against a model of the user mappings:
EFAULT for unmapped, kernel-only, read-only (for writes), kernel-half, wrapping and null
addresses and partial overlaps; exact bytes inside mappings. Hypothesis drives addresses and
lengths around every mapping edge."""

import random
from typing import Dict, Tuple

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from asterpy.lang import SysError, memory, u8, u64
from asterpy.lang.errno import EFAULT
from asterpy.mm.paging import READ, WRITE
from asterpy.task.process import USER_TOP, Process

from task_sim import kbuf, make_process, uread, uwrite

TOP = int(USER_TOP)
M64 = (1 << 64) - 1
# The model: user page -> writable. 0x13000 is read-only; 0x14000 is a hole; 0x20000 is mapped
# for the kernel only (no USER bit) and must be as inaccessible as a hole.
RW_PAGES = [0x10000, 0x11000, 0x12000, 0x15000, TOP - 0x1000]
RO_PAGES = [0x13000]
KERNEL_ONLY = 0x20000
EDGES = [0, 0x10000, 0x13000, 0x14000, 0x15000, 0x16000, KERNEL_ONLY, TOP - 0x1000, TOP,
         0xFFFF_8000_0000_0000, (1 << 64) - 0x1000]


def build() -> Tuple[Process, Dict[int, bool]]:
    """A process with the model's mappings, each page filled with a recognisable pattern."""
    fa, _, p = make_process(64)
    model: Dict[int, bool] = {}
    for va in RW_PAGES:
        p.map_zeroed(u64(va), WRITE)
        model[va] = True
    for va in RO_PAGES:
        p.map_zeroed(u64(va), READ)
        model[va] = False
    p.space.map(u64(KERNEL_ONLY), fa.alloc(), READ | WRITE)
    for va in model:
        uwrite(p, va, bytes((va >> 12) + i & 0xFF for i in range(4096)))
    return p, model


def allowed(model: Dict[int, bool], va: int, n: int, write: bool) -> bool:
    """Whether an access of n bytes at va may succeed under the model."""
    if n == 0:
        return True
    if va + n > M64 + 1:
        return False
    for page in range(va & ~0xFFF, va + n, 4096):
        if page >= TOP or page not in model or (write and not model[page]):
            return False
    return True


def snapshot(p: Process, model: Dict[int, bool]) -> Dict[int, bytes]:
    """The contents of every user page."""
    return {va: uread(p, va, 4096) for va in model}


def efault(fn, *args) -> None:  # type: ignore[no-untyped-def]
    """Assert that fn(*args) raises SysError(EFAULT)."""
    with pytest.raises(SysError) as ei:
        fn(*args)
    assert ei.value.errno == EFAULT


addresses = st.one_of(
    st.builds(lambda e, d: (e + d) & M64, st.sampled_from(EDGES), st.integers(-80, 80)),
    st.integers(0, M64),
)
lengths = st.one_of(st.integers(0, 3 * 4096 + 32), st.sampled_from([1, 8, 4096, TOP, 1 << 63, M64]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(va=addresses, n=lengths, seed=st.integers(0, 2**32))
def test_copies_match_the_model(va: int, n: int, seed: int) -> None:
    """check_user, copy_in and copy_out succeed exactly when the model says so; successful copies
    move the right bytes; failed ones change nothing outside the target range."""
    memory.reset_sim()
    p, model = build()
    small = n <= 4 * 4096
    for write in (False, True):
        ok = allowed(model, va, n, write)
        if ok:
            p.check_user(u64(va), u64(n), write)
        else:
            efault(p.check_user, u64(va), u64(n), write)
    if not small:
        # Huge lengths: a copy needs a kernel buffer that large, so only run the copies that must
        # fail before the first byte moves (wrapping range, or the first page refused).
        head = min(n, 4096 - (va & 0xFFF))
        for write, fn, args in ((False, p.copy_in, (u64(kbuf(16)), u64(va), u64(n))),
                                (True, p.copy_out, (u64(va), u64(kbuf(16)), u64(n)))):
            if va + n > M64 + 1 or not allowed(model, va, head, write):
                efault(fn, *args)
        return
    before = snapshot(p, model)
    # copy_in
    dst = kbuf(n + 32)
    if allowed(model, va, n, False):
        p.copy_in(u64(dst + 16), u64(va), u64(n))
        assert memory.sim.read(dst + 16, n) == (uread(p, va, n) if n else b"")
        assert memory.sim.read(dst, 16) == bytes(16) and memory.sim.read(dst + 16 + n, 16) == bytes(16)
    else:
        efault(p.copy_in, u64(dst + 16), u64(va), u64(n))
    assert snapshot(p, model) == before
    # copy_out
    data = random.Random(seed).randbytes(n)
    src = kbuf(n, data)
    if allowed(model, va, n, True):
        p.copy_out(u64(va), u64(src), u64(n))
        if n:
            assert uread(p, va, n) == data
    else:
        efault(p.copy_out, u64(va), u64(src), u64(n))
    after = snapshot(p, model)
    for page, content in before.items():
        for off in range(0, 4096, 256):
            a = page + off
            if not (va <= a and a + 256 <= va + n) and not (a < va + n and va < a + 256):
                assert after[page][off:off + 256] == content[off:off + 256], f"{a:#x} changed"


@pytest.mark.parametrize("va, n", [
    (0, 1),                                  # null
    (8, 8),                                  # near null
    (0x14000, 1),                            # a hole
    (0x12FF8, 0x1010),                       # runs from a mapping into a read-only page (ok to read)
    (0x15FF0, 0x20),                         # runs off the end of a mapping into a hole
    (0x13FFF, 2),                            # read-only page into a hole
    (KERNEL_ONLY, 4),                        # mapped, but not for the user
    (TOP - 8, 16),                           # crosses the top of user space
    (TOP, 1),                                # first kernel-half byte (non-canonical)
    (0xFFFF_8000_0000_0000, 8),              # canonical kernel half
    (0xFFFF_FFFF_FFFF_FFF8, 16),             # wraps around 2^64
    (0x10000, (1 << 64) - 0x10000),          # length makes it reach exactly 2^64 (wraps to 0)
    (0x10000, M64),                          # length wraps
])
def test_fixed_cases(va: int, n: int) -> None:
    """Named corner cases behave as the model says, for all three functions."""
    p, model = build()
    for write in (False, True):
        if allowed(model, va, n, write):
            p.check_user(u64(va), u64(n), write)
        else:
            efault(p.check_user, u64(va), u64(n), write)
    k = kbuf(max(min(n, 8192), 1))
    if allowed(model, va, n, False):
        p.copy_in(u64(k), u64(va), u64(n))
    else:
        efault(p.copy_in, u64(k), u64(va), u64(n))
    if allowed(model, va, n, True):
        p.copy_out(u64(va), u64(k), u64(n))
    else:
        efault(p.copy_out, u64(va), u64(k), u64(n))


def test_read_only_page_is_readable_not_writable() -> None:
    """A read-only user page: copy_in works, copy_out and put_* fault and leave it unchanged."""
    p, _ = build()
    before = uread(p, 0x13000, 4096)
    k = kbuf(64)
    p.copy_in(u64(k), u64(0x13010), u64(64))
    assert memory.sim.read(k, 64) == before[16:80]
    efault(p.copy_out, u64(0x13010), u64(k), u64(1))
    efault(p.put_u64, u64(0x13000), u64(1))
    efault(p.put_byte, u64(0x13FFF), u8(1))
    assert uread(p, 0x13000, 4096) == before


def test_zero_length_never_faults() -> None:
    """n = 0 touches nothing, so even null or kernel addresses succeed (as Linux's copies do)."""
    p, _ = build()
    for va in (0, TOP, M64):
        p.check_user(u64(va), u64(0), True)
        p.copy_in(u64(kbuf(1)), u64(va), u64(0))
        p.copy_out(u64(va), u64(kbuf(1)), u64(0))


def test_unaligned_words_across_a_page_boundary() -> None:
    """get_u64/put_u64 at an address straddling two pages go byte by byte, little-endian."""
    p, _ = build()
    p.put_u64(u64(0x10FFD), u64(0x1122334455667788))
    assert uread(p, 0x10FFD, 8) == (0x1122334455667788).to_bytes(8, "little")
    assert p.get_u64(u64(0x10FFD)) == 0x1122334455667788
    assert p.get_u64(u64(0x12FFC)) == int.from_bytes(uread(p, 0x12FFC, 8), "little")
    efault(p.get_u64, u64(0x13FFC))          # read-only page then a hole
    efault(p.put_u64, u64(0x12FFC), u64(0))  # writable page then a read-only one
    efault(p.get_u64, u64(TOP - 4))


@pytest.mark.parametrize("va, n, write", [
    (0x10000, 0, False), (0x10FF0, 0x20, True), (0x10010, 3 * 4096, False), (0x12FF8, 0x10, True),
    (0x13FF0, 0x20, False), (0x15FF0, 0x20, False), (KERNEL_ONLY, 4, False), (TOP - 8, 16, False),
    (0xFFFF_FFFF_FFFF_FFF8, 16, False),
])
def test_user_chunks_walk_pages_and_fault_at_the_first_bad_one(va: int, n: int, write: bool) -> None:
    """user_chunks gives page-bounded pieces covering the range in order, each the kernel address of
    those user bytes; the first piece on a bad page (or a wrapping range) is EFAULT."""
    p, model = build()
    if va + n > M64:
        efault(p.user_chunks, u64(va), u64(n), write)
        return
    c = p.user_chunks(u64(va), u64(n), write)
    expect_off = 0
    while expect_off < n:
        a = va + expect_off
        size = min(n - expect_off, 4096 - (a & 0xFFF))
        if not allowed(model, a, size, write):
            efault(c.next)
            return
        assert c.next()
        assert (int(c.off), int(c.size)) == (expect_off, size)
        assert memory.sim.read(int(c.kaddr), size) == uread(p, a, size)
        expect_off += size
    assert not c.next()
    assert allowed(model, va, n, write)


def test_strncpy_from_user_lengths_caps_and_faults() -> None:
    """The string with its NUL lands in the kernel buffer and its length comes back; cap when no
    NUL comes within cap bytes (nothing read past them); EFAULT when the string runs into a hole."""
    p, _ = build()
    uwrite(p, 0x10FFC, b"abcdef\0")                 # crosses into the next page
    k = kbuf(64)
    assert p.strncpy_from_user(u64(k), u64(0x10FFC), u64(64)) == 6
    assert memory.sim.read(k, 7) == b"abcdef\0"
    assert p.strncpy_from_user(u64(k), u64(0x10FFC), u64(7)) == 6     # the NUL is the last byte allowed
    assert p.strncpy_from_user(u64(k), u64(0x10FFC), u64(6)) == 6     # no NUL within 6 bytes: cap
    assert p.strncpy_from_user(u64(k), u64(0x10FFC), u64(0)) == 0
    uwrite(p, 0x15FFE, b"xy")                       # no NUL before the hole at 0x16000
    efault(p.strncpy_from_user, u64(k), u64(0x15FFE), u64(64))
    assert p.strncpy_from_user(u64(k), u64(0x15FFE), u64(2)) == 2     # the cap stops before the hole
    efault(p.strncpy_from_user, u64(k), u64(0x14000), u64(8))
    efault(p.strncpy_from_user, u64(k), u64(KERNEL_ONLY), u64(8))


def test_zero_user_and_small_reads() -> None:
    """zero_user clears exactly the range, or nothing when any page is not writable; get_u8 and
    get_u32 read little-endian, across a page boundary too."""
    p, _ = build()
    before = uread(p, 0x12F00, 0x100)
    efault(p.zero_user, u64(0x12F00), u64(0x200))     # runs into the read-only page
    assert uread(p, 0x12F00, 0x100) == before
    p.zero_user(u64(0x10FF0), u64(0x20))
    assert uread(p, 0x10FF0, 0x20) == bytes(0x20)
    assert uread(p, 0x10FEF, 1) == bytes([(0x10 + 0xFEF) & 0xFF])    # the build() pattern around it
    assert uread(p, 0x11010, 1) == bytes([(0x11 + 0x10) & 0xFF])
    uwrite(p, 0x11FFE, bytes([1, 2, 3, 4]))
    assert p.get_u32(u64(0x11FFE)) == 0x04030201
    assert p.get_u8(u64(0x11FFF)) == 2
    efault(p.get_u32, u64(0x13FFE))
    efault(p.get_u8, u64(0x14000))
