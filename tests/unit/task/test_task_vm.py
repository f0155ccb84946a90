"""Demand paging, copy-on-write fork, file mappings, mprotect, mremap, madvise, msync and mincore
on a booted hello process, through the syscall dispatcher and the fault handler (mm/fault.py)."""

import gc
from typing import Iterator, List

import pytest

from asterpy.mm import filepages
from asterpy.fs.file import RegFile
from asterpy.fs.inode import DevInode, DirInode, RegInode
from asterpy.mm.filepages import PageSource
from asterpy.fs.file import DirFile, File
from asterpy.fs.mode import O_RDONLY, O_RDWR, O_WRONLY
from asterpy.lang import SysError, memory, u32, u64
from asterpy.lang.errno import EACCES, EBADF, EEXIST, EFAULT, EINVAL, ENODEV, ENOMEM, EOPNOTSUPP
from asterpy.mm import fault as F
from asterpy.mm.paging import EXEC, READ, USER, WRITE
from asterpy.syscall.numbers import (
    X86_64_NR_BRK, X86_64_NR_MADVISE, X86_64_NR_MINCORE, X86_64_NR_MMAP, X86_64_NR_MPROTECT, X86_64_NR_MREMAP,
    X86_64_NR_MSYNC, X86_64_NR_MUNMAP,
)
from asterpy.task import process as P
from asterpy.task.process import Process

from task_sim import DIRECT_MAP, Running, kbuf, uread, uwrite

MMAP = int(X86_64_NR_MMAP)
MUNMAP = int(X86_64_NR_MUNMAP)
MPROTECT = int(X86_64_NR_MPROTECT)
MREMAP = int(X86_64_NR_MREMAP)
MADVISE = int(X86_64_NR_MADVISE)
MSYNC = int(X86_64_NR_MSYNC)
MINCORE = int(X86_64_NR_MINCORE)
BRK = int(X86_64_NR_BRK)
PROT_NONE, PROT_READ, PROT_WRITE, PROT_EXEC = 0, 1, 2, 4
RW = PROT_READ | PROT_WRITE
MAP_SHARED, MAP_PRIVATE, MAP_FIXED, MAP_ANONYMOUS = 0x01, 0x02, 0x10, 0x20
MAP_FIXED_NOREPLACE = 0x100000
ANON = MAP_PRIVATE | MAP_ANONYMOUS
M64 = (1 << 64) - 1
PG = 4096


_framed: List[Running] = []


@pytest.fixture(autouse=True)
def file_pages_from_frames() -> Iterator[None]:
    """File pages come from the frame allocator once a test asks (use_frames); at the end the
    files and areas holding such pages go first, while that allocator is still in place."""
    saved = filepages.page_source
    filepages.page_source = None
    yield
    for r in _framed:
        r.p.files.close_all()
        r.p.vmas.clear()
    _framed.clear()
    gc.collect()
    filepages.page_source = saved


def use_frames(r: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    """Give file pages r's frames, reached through the simulated direct map."""
    filepages.page_source = PageSource(r.fa, u64(DIRECT_MAP))
    _framed.append(r)


def fault(r: Running, va: int, write: bool = False, exec: bool = False) -> int:
    """The fault handler's answer for a user access to va."""
    return int(F.user_fault(r.p, u64(va), write, exec))


def flags(r: Running, va: int) -> int:
    """The page-table flags of va (0: not present)."""
    return int(r.p.space.flags_of(u64(va)))


def new_file(r: Running, data: bytes, mode: int = O_RDWR) -> int:
    """A regular file holding data, open as a new fd of r's process with mode; the fd."""
    ino = RegInode(u32(0o644))
    if data:
        ino.write_at(u64(kbuf(len(data), data)), u64(0), u64(len(data)))
    return int(r.p.files.alloc(RegFile(ino, u64(mode)), u64(3), False))


def inode_of(r: Running, fd: int) -> RegInode:
    """The inode behind fd."""
    ino = r.p.files.get(u64(fd)).inode
    assert isinstance(ino, RegInode)
    return ino


# ------------------------------------------------------------------ demand paging and faults


def test_pages_come_on_first_touch(running: Running) -> None:
    """mmap backs nothing; a read fault maps a zeroed page with the area's permissions; an address
    outside every area is SEGV_MAPERR, a forbidden access SEGV_ACCERR."""
    r = running
    free0 = int(r.fa.free_count())
    a = r.call(MMAP, 0, 8 * PG, RW, ANON, M64, 0)
    assert int(r.fa.free_count()) == free0
    assert fault(r, a + 5) == 0
    assert flags(r, a) == READ | WRITE | USER
    free1 = int(r.fa.free_count())
    assert free1 < free0                                    # the page (and page tables)
    assert fault(r, a + PG) == 0
    assert int(r.fa.free_count()) == free1 - 1              # one page, same tables
    b = r.call(MMAP, 0, PG, PROT_READ, ANON, M64, 0)
    assert fault(r, b, write=True) == int(F.FAULT_ACCERR)
    assert fault(r, b, exec=True) == int(F.FAULT_ACCERR)
    assert fault(r, b) == 0 and flags(r, b) == READ | USER
    assert fault(r, 0x1000) == int(F.FAULT_MAPERR)
    assert fault(r, int(P.USER_TOP) + 5) == int(F.FAULT_MAPERR)
    assert not F.handle_user_fault(r.p, u64(0x1000), False, False)
    c = r.call(MMAP, 0, PG, PROT_NONE, ANON, M64, 0)
    assert fault(r, c) == int(F.FAULT_ACCERR)


def test_kernel_copies_fault_pages_in(running: Running) -> None:
    """copy_out/copy_in to untouched mapped memory works (pages appear); unmapped stays EFAULT,
    and so does writing to a read-only mapping."""
    r = running
    a = r.call(MMAP, 0, 3 * PG, RW, ANON, M64, 0)
    data = b"x" * 5000
    r.p.copy_out(u64(a + 100), u64(kbuf(len(data), data)), u64(len(data)))
    assert flags(r, a) != 0 and flags(r, a + PG) != 0 and flags(r, a + 2 * PG) == 0
    back = kbuf(len(data))
    r.p.copy_in(u64(back), u64(a + 100), u64(len(data)))
    assert memory.sim.read(back, len(data)) == data
    ro = r.call(MMAP, 0, PG, PROT_READ, ANON, M64, 0)
    with pytest.raises(SysError) as ei:
        r.p.copy_out(u64(ro), u64(kbuf(4)), u64(4))
    assert ei.value.errno == EFAULT
    r.p.copy_in(u64(kbuf(4)), u64(ro), u64(4))
    with pytest.raises(SysError) as ei:
        r.p.copy_in(u64(kbuf(4)), u64(0x2000), u64(4))
    assert ei.value.errno == EFAULT


def test_stack_grows_within_its_reservation(running: Running) -> None:
    """The stack's pages below the eager part come on fault, down to RLIMIT_STACK; not below."""
    r = running
    low = int(P.STACK_TOP - P.STACK_LIMIT)
    assert fault(r, int(P.STACK_TOP - P.STACK_EAGER) - 8, write=True) == 0
    assert fault(r, low, write=True) == 0
    assert fault(r, low - 8, write=True) == int(F.FAULT_MAPERR)


# ------------------------------------------------------------------ fork: copy-on-write


def forked(r: Running) -> Process:
    """A child process whose memory is a copy-on-write copy of r's."""
    c = Process(r.fa, u64(DIRECT_MAP), r.p.kroot)
    c.copy_memory_from(r.p)
    return c


def test_fork_shares_frames_copy_on_write(running: Running) -> None:
    """After fork both map the same frames read-only; a write copies the page for the writer
    only; the last owner writes in place; freeing drops references, not frames still used."""
    r = running
    a = r.call(MMAP, 0, 2 * PG, RW, ANON, M64, 0)
    uwrite(r.p, a, b"parent")
    pa = int(r.p.space.translate(u64(a)))
    free0 = int(r.fa.free_count())
    c = forked(r)
    assert int(c.space.translate(u64(a))) == pa
    assert int(r.fa.refcount(u64(pa))) == 2
    assert flags(r, a) & WRITE == 0 and int(c.space.flags_of(u64(a))) & WRITE == 0
    # The child writes: it gets its own copy, the parent keeps the original.
    assert F.user_fault(c, u64(a), True, False) == 0
    cpa = int(c.space.translate(u64(a)))
    assert cpa != pa and int(c.space.flags_of(u64(a))) & WRITE
    memory.sim.write(DIRECT_MAP + cpa, b"child!")
    assert uread(r.p, a, 6) == b"parent"
    assert int(r.fa.refcount(u64(pa))) == 1
    # The parent is now the only owner: its write fault just makes the page writable again.
    assert fault(r, a, write=True) == 0
    assert int(r.p.space.translate(u64(a))) == pa and flags(r, a) & WRITE
    c.free_user_memory()
    used_by_parent = free0 - int(r.fa.free_count())
    assert used_by_parent >= 0
    # Kernel copies break COW too.
    c2 = forked(r)
    c2.copy_out(u64(a), u64(kbuf(3, b"abc")), u64(3))
    assert uread(r.p, a, 6) == b"parent"
    c2.free_user_memory()


def test_fork_keeps_shared_mappings_shared(running: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    """MAP_SHARED anonymous memory is one set of frames for parent and child, even for pages
    first touched after the fork."""
    r = running
    use_frames(r, monkeypatch)
    s = r.call(MMAP, 0, 2 * PG, RW, MAP_SHARED | MAP_ANONYMOUS, M64, 0)
    uwrite(r.p, s, b"one")
    c = forked(r)
    assert flags(r, s) & WRITE
    c.copy_out(u64(s), u64(kbuf(3, b"two")), u64(3))
    assert uread(r.p, s, 3) == b"two"
    c.copy_out(u64(s + PG), u64(kbuf(5, b"later")), u64(5))
    assert uread(r.p, s + PG, 5) == b"later"
    c.free_user_memory()
    assert uread(r.p, s, 3) == b"two"


def test_free_user_memory_returns_every_frame(running: Running) -> None:
    """A process and its fork, both gone: the frames the pair used are all free again."""
    r = running
    a = r.call(MMAP, 0, 4 * PG, RW, ANON, M64, 0)
    uwrite(r.p, a, b"\1" * 4 * PG)
    free0 = int(r.fa.free_count())
    c = forked(r)
    c.copy_out(u64(a), u64(kbuf(4, b"abcd")), u64(4))
    c.free_user_memory()
    # The parent's pages are read-only (not yet re-faulted) but all its own again.
    assert int(r.fa.free_count()) == free0
    for va in range(a, a + 4 * PG, PG):
        assert int(r.fa.refcount(r.p.space.translate(u64(va)) & ~u64(0xFFF))) == 1


def test_clone_vm_space_lives_until_its_last_user(running: Running) -> None:
    """CLONE_VM: a child on the parent's space keeps it (pages and tables) after the parent lets
    go; the last user frees every frame, in either order."""
    r = running
    a = r.call(MMAP, 0, 4 * PG, RW, ANON, M64, 0)
    uwrite(r.p, a, b"shared")
    for parent_first in (True, False):
        # A parent of its own (a fork of r), and its CLONE_VM child.
        free0 = int(r.fa.free_count())
        parent = forked(r)
        child = Process(r.fa, u64(DIRECT_MAP), r.p.kroot)
        child.share_memory_of(parent)
        assert child.space is parent.space and int(parent.space.users) == 2
        first, last = (parent, child) if parent_first else (child, parent)
        first.free_user_memory()
        assert int(last.space.users) == 1
        # The survivor's memory is intact (its tables were not freed) and still writable.
        assert uread(last, a, 6) == b"shared"
        last.copy_out(u64(a), u64(kbuf(3, b"new")), u64(3))
        assert uread(last, a, 6) == b"newred"
        last.free_user_memory()
        assert int(last.space.users) == 0
        # Letting go twice (an error path after exit) frees nothing twice.
        last.free_user_memory()
        first.free_user_memory()
        assert int(r.fa.free_count()) == free0
        assert uread(r.p, a, 6) == b"shared"


# ------------------------------------------------------------------ file mappings


def test_private_file_mapping(running: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    """MAP_PRIVATE shows the file's pages; a write copies the page and leaves the file alone;
    offsets select pages; beyond the end of the file is SIGBUS."""
    r = running
    use_frames(r, monkeypatch)
    data = bytes((i * 7) & 0xFF for i in range(2 * PG))
    fd = new_file(r, data)
    ino = inode_of(r, fd)
    p = r.call(MMAP, 0, 2 * PG, RW, MAP_PRIVATE, fd, 0)
    assert uread(r.p, p, 2 * PG) == data
    assert int(r.p.space.translate(u64(p))) + DIRECT_MAP == int(ino.pages[0])     # the file's page
    assert flags(r, p) & WRITE == 0
    r.p.copy_out(u64(p), u64(kbuf(1, b"X")), u64(1))
    assert uread(r.p, p, 1) == b"X"
    out = kbuf(1)
    ino.read_at(u64(out), u64(0), u64(1))
    assert memory.sim.read(out, 1) == data[:1]
    q = r.call(MMAP, 0, PG, PROT_READ, MAP_PRIVATE, fd, PG)
    assert uread(r.p, q, 16) == data[PG:PG + 16]
    ino.set_size(u64(100))
    z = r.call(MMAP, 0, 2 * PG, PROT_READ, MAP_PRIVATE, fd, 0)
    assert uread(r.p, z, 101) == data[:100] + b"\0"
    assert fault(r, z + PG) == int(F.FAULT_SIGBUS)


def test_shared_file_mapping_is_the_page_cache(running: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    """MAP_SHARED maps the file's own pages: writes through the mapping are in the file and
    file writes show in the mapping; the file's pages outlive its truncation while mapped."""
    r = running
    use_frames(r, monkeypatch)
    fd = new_file(r, b"a" * (2 * PG))
    ino = inode_of(r, fd)
    s = r.call(MMAP, 0, 2 * PG, RW, MAP_SHARED, fd, 0)
    r.p.copy_out(u64(s + 1), u64(kbuf(1, b"Y")), u64(1))
    out = kbuf(2)
    ino.read_at(u64(out), u64(0), u64(2))
    assert memory.sim.read(out, 2) == b"aY"
    ino.write_at(u64(kbuf(1, b"Z")), u64(2), u64(1))
    assert uread(r.p, s, 3) == b"aYZ"
    assert r.call(MSYNC, s, 2 * PG, 4) == 0
    assert r.call(MSYNC, s, 2 * PG, 5) == -EINVAL
    assert r.call(MSYNC, s + 1, 100, 4) == -EINVAL
    assert r.call(MSYNC, s + 2 * PG, PG, 4) == -ENOMEM
    pa = int(r.p.space.translate(u64(s)))
    ino.set_size(u64(0))
    assert int(r.fa.refcount(u64(pa))) == 1 and not r.fa.is_free(u64(pa))
    assert r.call(MUNMAP, s, 2 * PG) == 0
    assert r.fa.is_free(u64(pa))


def test_file_mapping_errors(running: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    """EACCES for a shared writable mapping of a read-only fd and for a write-only fd, ENODEV for
    a directory, EBADF for a closed fd, EINVAL for an unaligned offset; mprotect cannot add
    PROT_WRITE to a shared read-only file mapping."""
    r = running
    use_frames(r, monkeypatch)
    fd = new_file(r, b"data", O_RDONLY)
    assert r.call(MMAP, 0, PG, RW, MAP_SHARED, fd, 0) == -EACCES
    ok = r.call(MMAP, 0, PG, RW, MAP_PRIVATE, fd, 0)
    assert ok > 0
    ro = r.call(MMAP, 0, PG, PROT_READ, MAP_SHARED, fd, 0)
    assert ro > 0
    assert r.call(MPROTECT, ro, PG, RW) == -EACCES
    assert r.call(MPROTECT, ok, PG, PROT_READ) == 0
    wfd = new_file(r, b"data", O_WRONLY)
    assert r.call(MMAP, 0, PG, PROT_READ, MAP_PRIVATE, wfd, 0) == -EACCES
    dfd = int(r.p.files.alloc(DirFile(DirInode(u32(0o755), None), u64(O_RDONLY)), u64(3), False))
    assert r.call(MMAP, 0, PG, PROT_READ, MAP_PRIVATE, dfd, 0) == -ENODEV
    assert r.call(MMAP, 0, PG, PROT_READ, MAP_PRIVATE, 77, 0) == -EBADF
    assert r.call(MMAP, 0, PG, PROT_READ, MAP_PRIVATE, fd, 100) == -EINVAL


# ------------------------------------------------------------------ placement


def test_fixed_noreplace_and_hints(running: Running) -> None:
    """MAP_FIXED_NOREPLACE refuses an occupied range (EEXIST) and maps into a hole; a free hint
    is honoured, an occupied one is not."""
    r = running
    base = r.call(MMAP, 0, 3 * PG, RW, ANON, M64, 0)
    assert r.call(MMAP, base + PG, PG, PROT_READ, ANON | MAP_FIXED_NOREPLACE, M64, 0) == -EEXIST
    assert r.call(MUNMAP, base + PG, PG) == 0
    assert r.call(MMAP, base + PG, PG, RW, ANON | MAP_FIXED_NOREPLACE, M64, 0) == base + PG
    assert r.call(MUNMAP, base, 3 * PG) == 0
    assert r.call(MMAP, base, PG, PROT_READ, ANON, M64, 0) == base
    other = r.call(MMAP, base, PG, PROT_READ, ANON, M64, 0)
    assert other != base and other > 0
    hint = 0x5000_0000
    assert r.call(MMAP, hint + 5, PG, PROT_READ, ANON, M64, 0) == hint


# ------------------------------------------------------------------ mprotect


def test_mprotect_changes_pages_and_areas(running: Running) -> None:
    """mprotect splits the area and rewrites present pages' flags; PROT_NONE pages keep their
    contents but fault; restoring merges the areas again."""
    r = running
    a = r.call(MMAP, 0, 2 * PG, RW, ANON, M64, 0)
    n0 = int(r.p.vmas.count())
    uwrite(r.p, a, b"keep")
    uwrite(r.p, a + PG, b"next")
    assert r.call(MPROTECT, a, PG, PROT_READ) == 0
    assert flags(r, a) == READ | USER and flags(r, a + PG) & WRITE
    assert fault(r, a, write=True) == int(F.FAULT_ACCERR)
    assert int(r.p.vmas.count()) == n0 + 1
    assert r.call(MPROTECT, a, 2 * PG, PROT_NONE) == 0
    assert flags(r, a) & USER == 0
    assert fault(r, a + PG) == int(F.FAULT_ACCERR)
    with pytest.raises(SysError):
        r.p.copy_in(u64(kbuf(4)), u64(a), u64(4))
    assert r.call(MPROTECT, a, 2 * PG, RW | PROT_EXEC) == 0
    assert flags(r, a) == READ | WRITE | USER | EXEC
    assert uread(r.p, a, 4) == b"keep"
    assert r.call(MPROTECT, a, 2 * PG, RW) == 0
    assert int(r.p.vmas.count()) == n0
    assert r.call(MUNMAP, a, 2 * PG) == 0
    assert r.call(MPROTECT, a, PG, PROT_READ) == -ENOMEM


# ------------------------------------------------------------------ mremap


def test_mremap_grow_shrink_move(running: Running) -> None:
    """Growing in place when the next pages are free, ENOMEM when blocked without MAYMOVE, moving
    with MAYMOVE (contents and frames kept, new part zero), shrinking in place, MREMAP_FIXED,
    and the EINVAL/EFAULT cases."""
    r = running
    p = r.call(MMAP, 0, 2 * PG, RW, ANON, M64, 0)
    uwrite(r.p, p, b"\3" * 2 * PG)
    guard = r.call(MMAP, p + 2 * PG, PG, PROT_NONE, ANON | MAP_FIXED_NOREPLACE, M64, 0)
    assert guard == p + 2 * PG
    assert r.call(MREMAP, p, 2 * PG, 4 * PG, 0) == -ENOMEM
    pa = int(r.p.space.translate(u64(p)))
    q = r.call(MREMAP, p, 2 * PG, 8 * PG, 1)
    assert q > 0 and q != p
    assert int(r.p.space.translate(u64(q))) == pa
    assert uread(r.p, q, 2 * PG) == b"\3" * 2 * PG
    assert uread(r.p, q + 8 * PG - 1, 1) == b"\0"
    assert fault(r, p) == int(F.FAULT_MAPERR)
    assert r.call(MREMAP, q, 8 * PG, PG, 0) == q
    assert fault(r, q + 2 * PG) == int(F.FAULT_MAPERR)
    # Grow in place: the page after q is free now.
    assert r.call(MREMAP, q, PG, 2 * PG, 0) == q
    assert r.call(MREMAP, q, PG, 2 * PG, 0x80) == -EINVAL
    assert r.call(MREMAP, q, PG, PG, 2, 0x2000_0000) == -EINVAL
    assert r.call(MREMAP, q + 1, PG, 2 * PG, 1) == -EINVAL
    assert r.call(MREMAP, q, PG, 0, 1) == -EINVAL
    dst = r.call(MMAP, 0, PG, PROT_NONE, ANON, M64, 0)
    m = r.call(MREMAP, q, PG, PG, 3, dst)
    assert m == dst and uread(r.p, m, 1) == b"\3"
    assert fault(r, q) == int(F.FAULT_MAPERR)
    assert r.call(MREMAP, q, PG, 2 * PG, 1) == -EFAULT


# ------------------------------------------------------------------ madvise, mincore


def test_madvise_dontneed_and_advice(running: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    """MADV_DONTNEED zeroes private anonymous pages and keeps shared ones' contents; other
    advice is accepted; bad advice or address is EINVAL, unmapped ENOMEM."""
    r = running
    use_frames(r, monkeypatch)
    p = r.call(MMAP, 0, 2 * PG, RW, ANON, M64, 0)
    uwrite(r.p, p, b"\x11" * 2 * PG)
    free0 = int(r.fa.free_count())
    assert r.call(MADVISE, p, PG, 4) == 0
    assert int(r.fa.free_count()) == free0 + 1
    assert uread(r.p, p, PG) == bytes(PG)
    assert uread(r.p, p + PG, 1) == b"\x11"
    assert r.call(MADVISE, p, 2 * PG, 0) == 0
    assert r.call(MADVISE, p, 2 * PG, 3) == 0
    assert r.call(MADVISE, p, PG, 12345) == -EINVAL
    assert r.call(MADVISE, p + 1, PG, 0) == -EINVAL
    sh = r.call(MMAP, 0, PG, RW, MAP_SHARED | MAP_ANONYMOUS, M64, 0)
    uwrite(r.p, sh, b"\5")
    assert r.call(MADVISE, sh, PG, 4) == 0
    assert uread(r.p, sh, 1) == b"\5"
    assert r.call(MUNMAP, p, 2 * PG) == 0
    assert r.call(MADVISE, p, PG, 0) == -ENOMEM


def test_mincore_reports_present_pages(running: Running) -> None:
    """mincore: 1 for a touched page, 0 for one not yet touched; ENOMEM for unmapped ranges."""
    r = running
    p = r.call(MMAP, 0, 3 * PG, RW, ANON, M64, 0)
    uwrite(r.p, p + PG, b"x")
    vec = r.call(MMAP, 0, PG, RW, ANON, M64, 0)
    assert r.call(MINCORE, p, 3 * PG, vec) == 0
    assert uread(r.p, vec, 3) == b"\0\1\0"
    assert r.call(MINCORE, p + 1, PG, vec) == -EINVAL
    r.call(MUNMAP, p, 3 * PG)
    assert r.call(MINCORE, p, PG, vec) == -ENOMEM


def test_brk_area_and_fixed_mapping_above(running: Running) -> None:
    """The heap is an area: brk cannot grow over a MAP_FIXED mapping, and shrinking frees only
    the heap's pages."""
    r = running
    start = int(r.p.brk_start)
    assert r.call(BRK, start + PG) == start + PG
    uwrite(r.p, start, b"heap")
    f = r.call(MMAP, start + 3 * PG, PG, RW, ANON | MAP_FIXED, M64, 0)
    assert f == start + 3 * PG
    assert r.call(BRK, start + 5 * PG) == start + PG
    assert r.call(BRK, start + 3 * PG) == start + 3 * PG
    assert r.call(BRK, start) == start
    assert fault(r, start) == int(F.FAULT_MAPERR)
    assert fault(r, f) == 0


def test_populate_dev_zero_and_shared_validate(running: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    """MAP_POPULATE backs the pages at once; a private mapping of /dev/zero is anonymous memory;
    MAP_SHARED_VALIDATE refuses unknown flags on a file with EOPNOTSUPP."""
    r = running
    use_frames(r, monkeypatch)
    a = r.call(MMAP, 0, 3 * PG, RW, ANON | 0x8000, M64, 0)
    assert all(flags(r, va) & WRITE for va in range(a, a + 3 * PG, PG))
    zfd = int(r.p.files.alloc(File(DevInode(u32(0o20666), u32(1), u32(5)), u64(O_RDWR)), u64(3), False))
    z = r.call(MMAP, 0, PG, RW, MAP_PRIVATE, zfd, 0)
    assert z > 0 and uread(r.p, z, 8) == bytes(8)
    nfd = int(r.p.files.alloc(File(DevInode(u32(0o20666), u32(1), u32(3)), u64(O_RDWR)), u64(3), False))
    assert r.call(MMAP, 0, PG, RW, MAP_PRIVATE, nfd, 0) == -ENODEV
    fd = new_file(r, b"x" * PG)
    assert r.call(MMAP, 0, PG, PROT_READ, 0x03 | 0x800000, fd, 0) == -EOPNOTSUPP
    assert r.call(MMAP, 0, PG, PROT_READ, 0x03, fd, 0) > 0


def test_rlimit_as_limits_mmap_mremap_and_brk(running: Running) -> None:
    """With RLIMIT_AS set, mmap, mremap growth and brk growth past it fail (ENOMEM, the old
    break); MAP_FIXED over existing areas counts only what it adds."""
    r = running
    used = int(r.p.vmas.total_size())
    r.p.rlim_cur[9] = u64(used + 16 * PG)
    assert r.call(MMAP, 0, 32 * PG, RW, ANON, M64, 0) == -ENOMEM
    a = r.call(MMAP, 0, 8 * PG, RW, ANON, M64, 0)
    assert a > 0
    assert r.call(MMAP, a, 8 * PG, RW, ANON | MAP_FIXED, M64, 0) == a
    assert r.call(MREMAP, a, 8 * PG, 32 * PG, 1) == -ENOMEM
    assert r.call(MREMAP, a, 8 * PG, 12 * PG, 1) > 0
    start = int(r.p.brk)
    assert r.call(BRK, start + 16 * PG) == start
