"""x86_64 GDT and TSS: kernel and user segments, the TSS with IST stacks, loaded with lgdt/ltr."""

from typing import Final

from asterpy.lang import Array, Ptr, struct, u8, u16, u32, u64
from asterpy.lang.intrinsics import asm, asm_u64

# Selectors. The user ones follow Linux's layout (user programs and debuggers see 0x33/0x2b),
# which is also what SYSRET needs: STAR[63:48] = USER32_CS gives SS = +8 and CS64 = +16.
KERNEL_CS: Final = u16(0x08)
KERNEL_DS: Final = u16(0x10)
USER32_CS: Final = u16(0x23)   # index 4, RPL 3 (32-bit code: a slot for later compat mode)
USER_DS: Final = u16(0x2B)     # index 5, RPL 3
USER_CS: Final = u16(0x33)     # index 6, RPL 3
TSS_SEL: Final = u16(0x40)     # index 8 and 9: a 64-bit TSS descriptor takes two slots
GDT_ENTRIES: Final = 10        # what the GDT limit covers (trap.S reserves 16)

# Access bytes: P | DPL | S | type.
ACCESS_KERNEL_CODE: Final = u8(0x9A)   # present, DPL 0, code, execute/read
ACCESS_KERNEL_DATA: Final = u8(0x92)   # present, DPL 0, data, read/write
ACCESS_USER_CODE: Final = u8(0xFA)     # DPL 3
ACCESS_USER_DATA: Final = u8(0xF2)     # DPL 3
ACCESS_TSS: Final = u8(0x89)           # present, DPL 0, system, 64-bit TSS (available)
# Flag nibbles (descriptor bits 52..55: AVL, L, D/B, G).
FLAGS_CODE64: Final = u8(0xA)          # G, L
FLAGS_CODE32: Final = u8(0xC)          # G, D
FLAGS_DATA: Final = u8(0xC)            # G, B

# Interrupt stack table slots (1-based, as IDT gates name them).
IST_DOUBLE_FAULT: Final = u8(1)
IST_NMI: Final = u8(2)
IST_MACHINE_CHECK: Final = u8(3)
IST_STACK_SIZE: Final = u64(0x4000)    # must match trap.S
IST_STACKS: Final = u64(3)
IST_GUARD_SIZE: Final = u64(0x1000)     # the unmapped page below each IST stack (trap.S)
TSS_SIZE: Final = u64(104)


@struct(packed=True)
class Tss:
    """The 64-bit task-state segment (Intel SDM vol. 3, 8.7): stack pointers only."""

    reserved0: u32
    rsp: Array[u64, 3]       # stacks for entries from CPL 3 (rsp[0]) .. CPL 1
    reserved1: u64
    ist: Array[u64, 7]       # IST1..IST7
    reserved2: u64
    reserved3: u16
    iopb_offset: u16         # >= the limit: no I/O permission bitmap


def segment_descriptor(base: u32, limit: u32, access: u8, flags: u8) -> u64:
    """An 8-byte code/data/system descriptor from its base, 20-bit limit, access byte and flag nibble."""
    d = u64(limit & 0xFFFF)
    d |= u64(base & 0xFFFFFF) << 16
    d |= u64(access) << 40
    d |= u64((limit >> 16) & 0xF) << 48
    d |= u64(flags & 0xF) << 52
    d |= u64((base >> 24) & 0xFF) << 56
    return d


def tss_descriptor_low(base: u64) -> u64:
    """First half of the 16-byte TSS descriptor: limit 103, access 0x89, base bits 0..31."""
    return segment_descriptor(u32(base & 0xFFFFFFFF), u32(TSS_SIZE - 1), ACCESS_TSS, u8(0))


def tss_descriptor_high(base: u64) -> u64:
    """Second half of the TSS descriptor: base bits 32..63."""
    return base >> 32


def gdt_entry(index: u64, tss_base: u64) -> u64:
    """The descriptor at GDT slot `index` of the kernel's layout (0 for the unused slots)."""
    if index == 1:
        return segment_descriptor(u32(0), u32(0xFFFFF), ACCESS_KERNEL_CODE, FLAGS_CODE64)
    if index == 2:
        return segment_descriptor(u32(0), u32(0xFFFFF), ACCESS_KERNEL_DATA, FLAGS_DATA)
    if index == 4:
        return segment_descriptor(u32(0), u32(0xFFFFF), ACCESS_USER_CODE, FLAGS_CODE32)
    if index == 5:
        return segment_descriptor(u32(0), u32(0xFFFFF), ACCESS_USER_DATA, FLAGS_DATA)
    if index == 6:
        return segment_descriptor(u32(0), u32(0xFFFFF), ACCESS_USER_CODE, FLAGS_CODE64)
    if index == 8:
        return tss_descriptor_low(tss_base)
    if index == 9:
        return tss_descriptor_high(tss_base)
    return u64(0)


def fill_tss(tss_addr: u64, ist_base: u64) -> None:
    """Write the TSS at tss_addr: IST1..3 at the tops of the three stacks from ist_base (each
    above its guard page), no I/O bitmap."""
    t = Tss()
    for i in range(u64(0), IST_STACKS):
        # A stack grows down: the IST entry is the end of its area (16-byte aligned).
        t.ist[i] = ist_base + (i + 1) * (IST_GUARD_SIZE + IST_STACK_SIZE)
    t.iopb_offset = u16(TSS_SIZE)
    Ptr[Tss](tss_addr).store(t)


def fill_gdt(gdt_addr: u64, tss_addr: u64) -> None:
    """Write the kernel's GDT at gdt_addr (GDT_ENTRIES descriptors)."""
    p = Ptr[u64](gdt_addr)
    for i in range(u64(0), u64(GDT_ENTRIES)):
        p[i] = gdt_entry(i, tss_addr)


def gdt_addr() -> u64:
    """Address of the GDT storage in trap.S."""
    return asm_u64("movabsq $$asterpy_gdt, $0", "=r")


def tss_addr() -> u64:
    """Address of the TSS storage in trap.S."""
    return asm_u64("movabsq $$asterpy_tss, $0", "=r")


def ist_guard_page(i: u64) -> u64:
    """The guard page below IST stack i (0..IST_STACKS-1)."""
    return ist_stacks() + i * (IST_GUARD_SIZE + IST_STACK_SIZE)


def ist_stacks() -> u64:
    """Lowest address of the three IST stacks (trap.S)."""
    return asm_u64("movabsq $$asterpy_ist_stacks, $0", "=r")


def gdt_init() -> None:
    """Build the GDT and TSS, load them (lgdt, reload every segment register, ltr)."""
    gdt = gdt_addr()
    tss = tss_addr()
    fill_tss(tss, ist_stacks())
    fill_gdt(gdt, tss)
    gdtr = asm_u64("movabsq $$asterpy_gdtr, $0", "=r")
    Ptr[u16](gdtr).store(u16(GDT_ENTRIES * 8 - 1))
    Ptr[u64](gdtr + 2).store(gdt)
    asm("lgdt ($0)", "r,~{memory}", gdtr)
    # CS can only be reloaded by a far transfer: push the selector and the address after it, lretq.
    asm("pushq $$0x08; leaq 1f(%rip), %rax; pushq %rax; lretq; 1:", "~{rax},~{memory}")
    asm("movl $$0x10, %eax; movl %eax, %ds; movl %eax, %es; movl %eax, %ss", "~{eax},~{memory}")
    asm("ltr ${0:w}", "r,~{memory}", TSS_SEL)
