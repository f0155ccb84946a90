"""Interrupt controllers: the legacy 8259 PICs masked, the local APIC enabled, its timer at 100 Hz."""

from typing import Final

from asterpy.lang import AtomicU64, Ptr, mmio_read32, mmio_write32, u8, u16, u32, u64
from asterpy.lang.intrinsics import asm, outb

from asterpy.mm.heap import kfree, kmalloc

from arch.x86_64.paging import rdmsr, wrmsr
from arch.x86_64.tsc import rdtsc

# 8259 PIC ports.
PIC1_CMD: Final = u16(0x20)
PIC1_DATA: Final = u16(0x21)
PIC2_CMD: Final = u16(0xA0)
PIC2_DATA: Final = u16(0xA1)
# ICW1: initialise, ICW4 follows. ICW4: 8086 mode.
PIC_ICW1_INIT: Final = u8(0x11)
PIC_ICW4_8086: Final = u8(0x01)
# The PICs' vectors are moved to 0xF0..0xFF, out of the exception range and away from the
# timer's 32..47, so a spurious IRQ 7/15 cannot be mistaken for either.
PIC1_VECTOR: Final = u8(0xF0)
PIC2_VECTOR: Final = u8(0xF8)

MSR_APIC_BASE: Final = u64(0x1B)
APIC_BASE_ENABLE: Final = u64(1 << 11)
APIC_BASE_ADDR_MASK: Final = u64(0x000FFFFFFFFFF000)

# Local APIC registers (offsets in its 4 KiB MMIO page).
LAPIC_ID: Final = u64(0x20)
LAPIC_TPR: Final = u64(0x80)
LAPIC_EOI: Final = u64(0xB0)
LAPIC_SVR: Final = u64(0xF0)
LAPIC_LVT_TIMER: Final = u64(0x320)
LAPIC_LVT_LINT0: Final = u64(0x350)
LAPIC_LVT_LINT1: Final = u64(0x360)
LAPIC_LVT_ERROR: Final = u64(0x370)
LAPIC_TIMER_INIT: Final = u64(0x380)
LAPIC_TIMER_CURRENT: Final = u64(0x390)
LAPIC_TIMER_DIVIDE: Final = u64(0x3E0)

SVR_ENABLE: Final = u32(0x100)
SPURIOUS_VECTOR: Final = u32(0xFF)
LVT_MASKED: Final = u32(1 << 16)
LVT_PERIODIC: Final = u32(1 << 17)
TIMER_DIVIDE_16: Final = u32(0x3)
TIMER_VECTOR: Final = u32(32)
TIMER_HZ: Final = u64(100)
# Where the kernel's own addresses start (the direct map, then the image).
KERNEL_HALF: Final = u64(0xFFFF800000000000)

# Virtual address of the local APIC's registers (through the direct map), 0 until lapic_init.
_lapic: u64 = u64(0)
# LAPIC timer ticks (after the divider) per second, measured against the TSC.
_lapic_timer_hz: u64 = u64(0)
# Timer interrupts since the timer started; read by anyone, written by the interrupt.
ticks: AtomicU64 = AtomicU64(0)


def pic_disable() -> None:
    """Remap both 8259 PICs to vectors 0xF0..0xFF and mask every line: the local APIC takes over."""
    outb(PIC1_CMD, PIC_ICW1_INIT)
    outb(PIC2_CMD, PIC_ICW1_INIT)
    outb(PIC1_DATA, PIC1_VECTOR)
    outb(PIC2_DATA, PIC2_VECTOR)
    outb(PIC1_DATA, u8(4))      # the slave hangs off IRQ 2
    outb(PIC2_DATA, u8(2))      # its cascade identity
    outb(PIC1_DATA, PIC_ICW4_8086)
    outb(PIC2_DATA, PIC_ICW4_8086)
    outb(PIC1_DATA, u8(0xFF))
    outb(PIC2_DATA, u8(0xFF))


def lapic_phys_base() -> u64:
    """Physical address of the local APIC registers (IA32_APIC_BASE)."""
    return rdmsr(MSR_APIC_BASE) & APIC_BASE_ADDR_MASK


def lapic_read(reg: u64) -> u32:
    """A local APIC register."""
    return mmio_read32(_lapic + reg)


def lapic_write(reg: u64, value: u32) -> None:
    """Write a local APIC register."""
    mmio_write32(_lapic + reg, value)


def lapic_init(direct_map: u64) -> u64:
    """Enable the local APIC (its page must be mapped uncached in the direct map); return its physical base."""
    global _lapic
    msr = rdmsr(MSR_APIC_BASE)
    base = msr & APIC_BASE_ADDR_MASK
    if (msr & APIC_BASE_ENABLE) == 0:
        wrmsr(MSR_APIC_BASE, msr | APIC_BASE_ENABLE)
    _lapic = direct_map + base
    lapic_write(LAPIC_TPR, u32(0))
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | TIMER_VECTOR)
    lapic_write(LAPIC_LVT_LINT0, LVT_MASKED)
    lapic_write(LAPIC_LVT_LINT1, LVT_MASKED)
    lapic_write(LAPIC_LVT_ERROR, LVT_MASKED | SPURIOUS_VECTOR)
    lapic_write(LAPIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR)
    return base


def lapic_timer_calibrate(tsc_hz: u64) -> u64:
    """Count the timer (divide by 16, masked one-shot) over ~10 ms of TSC; return its rate in Hz."""
    global _lapic_timer_hz
    lapic_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_16)
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | TIMER_VECTOR)
    window = tsc_hz // 100
    lapic_write(LAPIC_TIMER_INIT, u32(0xFFFFFFFF))
    start = rdtsc()
    while rdtsc() - start < window:
        pass
    left = lapic_read(LAPIC_TIMER_CURRENT)
    elapsed = rdtsc() - start
    lapic_write(LAPIC_TIMER_INIT, u32(0))
    counted = u64(u32(0xFFFFFFFF) - left)
    _lapic_timer_hz = counted * tsc_hz // elapsed
    return _lapic_timer_hz


def lapic_timer_start(hz: u64) -> None:
    """Run the timer periodically at hz on TIMER_VECTOR (after lapic_timer_calibrate)."""
    count = _lapic_timer_hz // hz
    if count == 0:
        count = u64(1)
    lapic_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_16)
    lapic_write(LAPIC_LVT_TIMER, LVT_PERIODIC | TIMER_VECTOR)
    lapic_write(LAPIC_TIMER_INIT, u32(count))


def timer_interrupt() -> None:
    """The timer's interrupt work (vectors 32..47, called by the trap dispatcher): count a tick."""
    ticks.fetch_add(1)


def lapic_id() -> u32:
    """This CPU's local APIC id (bits 24..31 of the ID register); 0 before lapic_init."""
    if _lapic == 0:
        return u32(0)
    return lapic_read(LAPIC_ID) >> 24


def lapic_eoi() -> None:
    """Signal the end of the interrupt being serviced to the local APIC."""
    if _lapic != 0:
        lapic_write(LAPIC_EOI, u32(0))


def tick_count() -> u64:
    """Timer interrupts so far."""
    return ticks.load()


def interrupts_enable() -> None:
    """sti: only once an IDT with handlers for every vector that can fire is loaded."""
    asm("sti", "~{memory}")


def idt_loaded(min_vectors: u64) -> bool:
    """Whether an IDT of at least min_vectors gates in the kernel half is loaded (sidt)."""
    # The boot shim loads none: IDTR then still holds the firmware's real-mode table (base 0).
    buf = kmalloc(u64(16))
    if buf == 0:
        return False
    asm("sidt ($0)", "r,~{memory}", buf)
    limit = u64(Ptr[u16](buf).load())
    base = Ptr[u64](buf + 2).load()
    kfree(buf)
    return base >= KERNEL_HALF and limit + 1 >= min_vectors * 16
