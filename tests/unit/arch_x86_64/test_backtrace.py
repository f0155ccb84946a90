"""The embedded symbol table: translator/build.py packs it, asterpy.kernel.ksyms looks things up in it."""
from __future__ import annotations

import bisect

from hypothesis import given, settings
from hypothesis import strategies as st

from asterpy.lang import memory, u64

from asterpy.kernel import ksyms as bt
from translator.build import KSYMS_MAGIC, Ksyms, pack_ksyms

BASE = 0xFFFFFFFF80101000


def _load(ks: Ksyms) -> int:
    """Pack ks into simulated memory; its address."""
    data = pack_ksyms(ks)
    addr = memory.sim.alloc(len(data), 8)
    memory.sim.write(addr, data)
    return addr


def _sample() -> Ksyms:
    """Two functions, the second with a call inlined two levels deep."""
    ks = Ksyms(base=BASE, files=["src/asterpy/kernel/main.py", "arch/x86_64/traps.py"])
    ks.lines = [(BASE + 0x00, 0, 10), (BASE + 0x10, 0, 11), (BASE + 0x40, 1, 200),
                (BASE + 0x48, 1, 30), (BASE + 0x50, 1, 201), (BASE + 0x60, 0, 0)]
    ks.scopes = [(BASE + 0x00, BASE + 0x40, "asterpy.kernel.main.kernel_main", 0, 0, 0),
                 (BASE + 0x40, BASE + 0x60, "arch.x86_64.traps.outer", 0, 0, 0),
                 (BASE + 0x44, BASE + 0x50, "arch.x86_64.traps.middle", 1, 1, 199),
                 (BASE + 0x46, BASE + 0x4C, "arch.x86_64.traps.inner", 2, 1, 25)]
    return ks


def _name(table: int, index: int) -> str:
    """The name of scope `index`, read back from the table's strings."""
    s = bt.scope_entry(u64(table), u64(index))
    return memory.sim.read(int(bt.strings_base(u64(table))) + int(s.name_off), int(s.name_len)).decode()


def test_header() -> None:
    """The header the kernel reads is the one the build wrote."""
    table = _load(_sample())
    assert bt.ksyms_valid(u64(table))
    h = bt.ksyms_header(u64(table))
    assert h.magic == KSYMS_MAGIC == bt.KSYMS_MAGIC
    assert h.base == BASE and h.n_lines == 6 and h.n_scopes == 4 and h.n_files == 2
    assert not bt.ksyms_valid(u64(0))


def test_empty_table_finds_nothing() -> None:
    """The first link's placeholder table: valid, and every lookup comes back empty."""
    table = u64(_load(Ksyms(base=0)))
    assert bt.ksyms_valid(table)
    assert bt.line_of(table, u64(BASE)) == (0, 0)
    assert bt.innermost_depth(table, u64(BASE)) == -1


def test_line_lookup() -> None:
    """The last entry at or below pc wins; below the first entry and after an end marker there is no line."""
    table = u64(_load(_sample()))
    assert bt.line_of(table, u64(BASE - 1)) == (0, 0)
    assert bt.line_of(table, u64(BASE)) == (0, 10)
    assert bt.line_of(table, u64(BASE + 0x0F)) == (0, 10)
    assert bt.line_of(table, u64(BASE + 0x10)) == (0, 11)
    assert bt.line_of(table, u64(BASE + 0x47)) == (1, 200)
    assert bt.line_of(table, u64(BASE + 0x49)) == (1, 30)
    assert bt.line_of(table, u64(BASE + 0x60))[1] == 0
    assert bt.line_of(table, u64(BASE + 0x1000))[1] == 0


def test_scopes_and_inlining() -> None:
    """The deepest scope is the inlined callee; each outer level is found by its depth."""
    table = u64(_load(_sample()))
    pc = u64(BASE + 0x47)
    assert bt.innermost_depth(table, pc) == 2
    assert _name(int(table), int(bt.scope_at(table, pc, u64(2)))) == "arch.x86_64.traps.inner"
    assert _name(int(table), int(bt.scope_at(table, pc, u64(1)))) == "arch.x86_64.traps.middle"
    assert _name(int(table), int(bt.scope_at(table, pc, u64(0)))) == "arch.x86_64.traps.outer"
    inner = bt.scope_entry(table, u64(bt.scope_at(table, pc, u64(2))))
    assert (inner.call_file, inner.call_line) == (1, 25)
    assert bt.innermost_depth(table, u64(BASE + 0x4C)) == 1
    assert bt.innermost_depth(table, u64(BASE + 0x05)) == 0
    assert bt.scope_at(table, u64(BASE + 0x05), u64(1)) == -1
    assert bt.innermost_depth(table, u64(BASE + 0x60)) == -1


def test_file_names() -> None:
    """File entries point at the paths in the string area."""
    table = u64(_load(_sample()))
    fe = bt.file_entry(table, u64(1))
    assert memory.sim.read(int(bt.strings_base(table)) + int(fe.name_off), int(fe.name_len)) == b"arch/x86_64/traps.py"


@settings(max_examples=60, deadline=None)
@given(offsets=st.lists(st.integers(0, 0xFFFF), min_size=1, max_size=60, unique=True),
       probes=st.lists(st.integers(-16, 0x10010), min_size=1, max_size=20))
def test_binary_search_matches_bisect(offsets: list[int], probes: list[int]) -> None:
    """line_index agrees with Python's bisect on random sorted tables."""
    memory.reset_sim()
    offsets.sort()
    ks = Ksyms(base=BASE, files=["f.py"], lines=[(BASE + o, 0, i + 1) for i, o in enumerate(offsets)])
    table = u64(_load(ks))
    for p in probes:
        expected = bisect.bisect_right(offsets, p) - 1
        assert bt.line_index(table, u64(BASE + p)) == expected
