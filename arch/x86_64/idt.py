"""x86_64 IDT: 256 interrupt gates pointing at the trap.S stubs, loaded with lidt."""

from typing import Final, Tuple

from asterpy.lang import Ptr, u8, u16, u64
from asterpy.lang.intrinsics import asm, asm_u64

from arch.x86_64.gdt import IST_DOUBLE_FAULT, IST_MACHINE_CHECK, IST_NMI, KERNEL_CS

VECTORS: Final = u64(256)
GATE_INTERRUPT: Final = u8(0xE)   # IF cleared on entry
GATE_TRAP: Final = u8(0xF)        # IF left as it was
GATE_PRESENT: Final = u8(0x80)

VEC_NMI: Final = u64(2)
VEC_BREAKPOINT: Final = u64(3)
VEC_OVERFLOW: Final = u64(4)
VEC_DOUBLE_FAULT: Final = u64(8)
VEC_MACHINE_CHECK: Final = u64(18)


def idt_gate(handler: u64, selector: u16, ist: u8, dpl: u8, kind: u8) -> Tuple[u64, u64]:
    """The two quadwords of a 64-bit gate descriptor (Intel SDM vol. 3, 6.14.1)."""
    lo = handler & 0xFFFF
    lo |= u64(selector) << 16
    lo |= u64(ist & 0x7) << 32
    lo |= u64(GATE_PRESENT | ((dpl & 0x3) << 5) | (kind & 0xF)) << 40
    lo |= ((handler >> 16) & 0xFFFF) << 48
    hi = handler >> 32
    return lo, hi


def vector_ist(vector: u64) -> u8:
    """The IST slot a vector runs on (0: the current stack)."""
    if vector == VEC_DOUBLE_FAULT:
        return IST_DOUBLE_FAULT
    if vector == VEC_NMI:
        return IST_NMI
    if vector == VEC_MACHINE_CHECK:
        return IST_MACHINE_CHECK
    return u8(0)


def vector_dpl(vector: u64) -> u8:
    """The privilege level allowed to raise a vector with `int n`: 3 for int3 and into, else 0."""
    if vector == VEC_BREAKPOINT or vector == VEC_OVERFLOW:
        return u8(3)
    return u8(0)


def fill_idt(idt_addr: u64, stub_table: u64) -> None:
    """Write all 256 gates at idt_addr from the stub addresses in the table at stub_table."""
    stubs = Ptr[u64](stub_table)
    p = Ptr[u64](idt_addr)
    for v in range(u64(0), VECTORS):
        lo, hi = idt_gate(stubs[v], KERNEL_CS, vector_ist(v), vector_dpl(v), GATE_INTERRUPT)
        p[2 * v] = lo
        p[2 * v + 1] = hi


def idt_addr() -> u64:
    """Address of the IDT storage in trap.S."""
    return asm_u64("movabsq $$asterpy_idt, $0", "=r")


def stub_table() -> u64:
    """Address of trap.S's table of the 256 stub addresses."""
    return asm_u64("movabsq $$asterpy_trap_stub_table, $0", "=r")


def idt_init() -> None:
    """Fill the IDT and load it with lidt."""
    idt = idt_addr()
    fill_idt(idt, stub_table())
    idtr = asm_u64("movabsq $$asterpy_idtr, $0", "=r")
    Ptr[u16](idtr).store(u16(VECTORS * 16 - 1))
    Ptr[u64](idtr + 2).store(idt)
    asm("lidt ($0)", "r,~{memory}", idtr)
