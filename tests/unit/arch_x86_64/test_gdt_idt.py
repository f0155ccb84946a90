"""GDT, TSS and IDT descriptor encoding (arch/x86_64/gdt.py, idt.py) against the SDM's layouts."""
from __future__ import annotations

from asterpy.lang import Ptr, memory, offsetof, sizeof, u8, u16, u32, u64

from arch.x86_64 import gdt, idt
from arch.x86_64.gdt import Tss, gdt_entry, segment_descriptor, tss_descriptor_high, tss_descriptor_low
from arch.x86_64.idt import idt_gate

KERNEL_TEXT = 0xFFFFFFFF80101030


def test_flat_segments_have_the_well_known_values() -> None:
    """The code/data descriptors every x86_64 kernel uses (base 0, limit 4 GiB, G set)."""
    assert gdt_entry(u64(0), u64(0)) == 0
    assert gdt_entry(u64(1), u64(0)) == 0x00AF9A000000FFFF     # kernel code, L
    assert gdt_entry(u64(2), u64(0)) == 0x00CF92000000FFFF     # kernel data
    assert gdt_entry(u64(4), u64(0)) == 0x00CFFA000000FFFF     # user code 32-bit, DPL 3
    assert gdt_entry(u64(5), u64(0)) == 0x00CFF2000000FFFF     # user data, DPL 3
    assert gdt_entry(u64(6), u64(0)) == 0x00AFFA000000FFFF     # user code 64-bit, DPL 3
    assert gdt_entry(u64(3), u64(0)) == 0 and gdt_entry(u64(7), u64(0)) == 0


def test_selectors_match_the_layout() -> None:
    """Selector = index * 8 + RPL; SYSRET's user CS/SS come from USER32_CS + 16 / + 8."""
    assert gdt.KERNEL_CS == 1 * 8 and gdt.KERNEL_DS == 2 * 8
    assert gdt.USER32_CS == 4 * 8 + 3 and gdt.USER_DS == 5 * 8 + 3 and gdt.USER_CS == 6 * 8 + 3
    assert gdt.USER32_CS + 16 == gdt.USER_CS and gdt.USER32_CS + 8 == gdt.USER_DS
    assert gdt.TSS_SEL == 8 * 8 and gdt.GDT_ENTRIES == 10


def test_segment_descriptor_fields() -> None:
    """Base and limit are scattered over the descriptor as the SDM draws it."""
    d = segment_descriptor(u32(0x12345678), u32(0xABCDE), u8(0x92), u8(0xC))
    assert d & 0xFFFF == 0xBCDE
    assert (d >> 16) & 0xFFFFFF == 0x345678
    assert (d >> 40) & 0xFF == 0x92
    assert (d >> 48) & 0xF == 0xA
    assert (d >> 52) & 0xF == 0xC
    assert (d >> 56) & 0xFF == 0x12


def test_tss_descriptor() -> None:
    """A 16-byte system descriptor: limit 103, type 9 (available 64-bit TSS), base in 64 bits."""
    base = u64(0xFFFFFFFF80123456)
    lo, hi = tss_descriptor_low(base), tss_descriptor_high(base)
    assert lo == (0x67 | (0x123456 << 16) | (0x89 << 40) | (0x80 << 56))
    assert hi == 0xFFFFFFFF
    assert gdt_entry(u64(8), base) == lo and gdt_entry(u64(9), base) == hi


def test_tss_layout_and_contents() -> None:
    """The TSS is 104 bytes, IST1 at offset 36; fill_tss points IST1..3 at the tops of three stacks (each above a guard page)."""
    assert sizeof(Tss) == 104
    assert offsetof(Tss, "rsp") == 4 and offsetof(Tss, "ist") == 36 and offsetof(Tss, "iopb_offset") == 102
    tss = memory.sim.alloc(128)
    gdt.fill_tss(u64(tss), u64(0x10000))
    t = Ptr[Tss](tss).load()
    # Each stack sits above its 4 KiB guard page: [guard][16 KiB] three times.
    assert [int(t.ist[i]) for i in range(4)] == [0x15000, 0x1A000, 0x1F000, 0]
    assert t.iopb_offset == 104


def test_fill_gdt() -> None:
    """fill_gdt writes all ten slots, the TSS descriptor pointing at the TSS."""
    table = memory.sim.alloc(16 * 8)
    gdt.fill_gdt(u64(table), u64(0xFFFFFFFF80200000))
    p = Ptr[u64](table)
    assert [int(p[i]) for i in range(10)] == [int(gdt_entry(u64(i), u64(0xFFFFFFFF80200000))) for i in range(10)]


def test_idt_gate_encoding() -> None:
    """A 64-bit interrupt gate: offset split 16/16/32, selector, IST, P|DPL|type."""
    lo, hi = idt_gate(u64(KERNEL_TEXT), u16(8), u8(1), u8(0), idt.GATE_INTERRUPT)
    assert lo == 0x1030 | (8 << 16) | (1 << 32) | (0x8E << 40) | (0x8010 << 48)
    assert hi == 0xFFFFFFFF
    lo, _ = idt_gate(u64(KERNEL_TEXT), u16(8), u8(0), u8(3), idt.GATE_TRAP)
    assert (lo >> 40) & 0xFF == 0xEF
    assert (lo >> 32) & 0x7 == 0


def test_fill_idt_uses_the_stub_table() -> None:
    """Gate v points at stub v; #DF, NMI and #MC have their IST stacks; int3/into are allowed from ring 3."""
    stubs = memory.sim.alloc(256 * 8)
    table = memory.sim.alloc(256 * 16)
    for v in range(256):
        Ptr[u64](stubs)[v] = u64(KERNEL_TEXT + 16 * v)
    idt.fill_idt(u64(table), u64(stubs))
    p = Ptr[u64](table)
    for v in range(256):
        lo, hi = int(p[2 * v]), int(p[2 * v + 1])
        handler = (lo & 0xFFFF) | ((lo >> 48) << 16) | (hi << 32)
        assert handler == KERNEL_TEXT + 16 * v
        assert (lo >> 16) & 0xFFFF == gdt.KERNEL_CS
        ist = (lo >> 32) & 7
        assert ist == {8: 1, 2: 2, 18: 3}.get(v, 0)
        attr = (lo >> 40) & 0xFF
        assert attr == (0xEE if v in (3, 4) else 0x8E)
