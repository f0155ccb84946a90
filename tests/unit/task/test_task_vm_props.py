"""Property test of a process's address space: random mmap (MAP_FIXED), munmap, mprotect, madvise,
writes and forks through the syscalls, compared with a Python model of every page's protection
and bytes (what the fault handler answers, what copy_in reads, which frames stay owned)."""

from typing import Dict, List, Optional, Tuple

from hypothesis import HealthCheck, given, settings, strategies as st

from asterpy.lang import SysError, memory, u64
from asterpy.mm import fault as F
from asterpy.syscall.numbers import X86_64_NR_MADVISE, X86_64_NR_MMAP, X86_64_NR_MPROTECT, X86_64_NR_MUNMAP
from asterpy.task.process import Process

from task_sim import DIRECT_MAP, Running, kbuf

MMAP = int(X86_64_NR_MMAP)
MUNMAP = int(X86_64_NR_MUNMAP)
MPROTECT = int(X86_64_NR_MPROTECT)
MADVISE = int(X86_64_NR_MADVISE)
PG = 4096
BASE = 0x4000_0000
PAGES = 24
M64 = (1 << 64) - 1
ANON_FIXED = 0x02 | 0x20 | 0x10

op = st.one_of(
    st.tuples(st.just("map"), st.integers(0, PAGES - 1), st.integers(1, 6), st.integers(0, 3)),
    st.tuples(st.just("unmap"), st.integers(0, PAGES - 1), st.integers(1, 6), st.just(0)),
    st.tuples(st.just("protect"), st.integers(0, PAGES - 1), st.integers(1, 6), st.integers(0, 3)),
    st.tuples(st.just("dontneed"), st.integers(0, PAGES - 1), st.integers(1, 4), st.just(0)),
    st.tuples(st.just("write"), st.integers(0, PAGES - 1), st.integers(1, 255), st.just(0)),
    st.tuples(st.just("fork"), st.just(0), st.just(0), st.just(0)),
    st.tuples(st.just("childwrite"), st.integers(0, PAGES - 1), st.integers(1, 255), st.just(0)),
)


def read_byte(p: Process, va: int) -> Optional[int]:
    """The byte a kernel read of user va gives, None for EFAULT."""
    k = kbuf(1)
    try:
        p.copy_in(u64(k), u64(va), u64(1))
    except SysError:
        return None
    return memory.sim.read(k, 1)[0]


def write_byte(p: Process, va: int, b: int) -> bool:
    """A kernel write of b at user va; False for EFAULT."""
    try:
        p.copy_out(u64(va), u64(kbuf(1, bytes([b]))), u64(1))
    except SysError:
        return False
    return True


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(op, max_size=30))
def test_address_space_matches_model(running: Running, seq: List[Tuple[str, int, int, int]]) -> None:
    """Every page's protection and byte 0 agree with the model after each step, in the parent and
    in a forked child (copy-on-write keeps their private pages apart); freeing the child leaves
    the parent's memory intact."""
    r = running
    p = r.p
    assert r.call(MUNMAP, BASE, PAGES * PG) == 0
    model: Dict[int, Tuple[int, int]] = {}          # page -> (prot, byte 0)
    child: Optional[Process] = None
    child_model: Dict[int, Tuple[int, int]] = {}
    for kind, first, n, arg in seq:
        last = min(first + n, PAGES)
        addr, length = BASE + first * PG, (last - first) * PG
        if kind == "map":
            assert r.call(MMAP, addr, length, arg, ANON_FIXED, M64, 0) == addr
            for pg in range(first, last):
                model[pg] = (arg, 0)
        elif kind == "unmap":
            assert r.call(MUNMAP, addr, length) == 0
            for pg in range(first, last):
                model.pop(pg, None)
        elif kind == "protect":
            ok = all(pg in model for pg in range(first, last))
            assert r.call(MPROTECT, addr, length, arg) == (0 if ok else -12)
            if ok:
                for pg in range(first, last):
                    model[pg] = (arg, model[pg][1])
        elif kind == "dontneed":
            ok = all(pg in model for pg in range(first, last))
            assert r.call(MADVISE, addr, length, 4) == (0 if ok else -12)
            if ok:
                for pg in range(first, last):
                    model[pg] = (model[pg][0], 0)
        elif kind == "write":
            allowed = first in model and (model[first][0] & 2) != 0
            assert write_byte(p, BASE + first * PG, n) == allowed
            if allowed:
                model[first] = (model[first][0], n)
        elif kind == "fork" and child is None:
            child = Process(r.fa, u64(DIRECT_MAP), p.kroot)
            child.copy_memory_from(p)
            child_model = dict(model)
        elif kind == "childwrite" and child is not None:
            allowed = first in child_model and (child_model[first][0] & 2) != 0
            assert write_byte(child, BASE + first * PG, n) == allowed
            if allowed:
                child_model[first] = (child_model[first][0], n)
        check(p, model)
        if child is not None:
            check(child, child_model)
    if child is not None:
        before = int(r.fa.free_count())
        child.free_user_memory()
        check(p, model)
        assert int(r.fa.free_count()) > before            # at least its page-table root


def check(p: Process, model: Dict[int, Tuple[int, int]]) -> None:
    """Each page of the region answers as the model says: unmapped SEGV_MAPERR, PROT_NONE
    SEGV_ACCERR, readable pages their byte (through the kernel's copy), write faults by prot."""
    for pg in range(PAGES):
        va = BASE + pg * PG
        if pg not in model:
            assert int(F.user_fault(p, u64(va), False, False)) == int(F.FAULT_MAPERR)
            assert read_byte(p, va) is None
            continue
        prot, b = model[pg]
        if prot == 0:
            assert int(F.user_fault(p, u64(va), False, False)) == int(F.FAULT_ACCERR)
            assert read_byte(p, va) is None
            continue
        assert read_byte(p, va) == b
        want = int(F.FAULT_OK) if (prot & 2) else int(F.FAULT_ACCERR)
        assert int(F.user_fault(p, u64(va), True, False)) == want
