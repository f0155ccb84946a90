"""riscv64 platform-level interrupt controller (PLIC, QEMU virt at 0x0c000000): set-up, claim and complete."""

from typing import Final

from asterpy.lang import AtomicU64, mmio_read32, mmio_write32, u32, u64
from asterpy.lang.intrinsics import asm

from arch.riscv64.console import uart_irq_ack

# QEMU virt (hw/riscv/virt.c): the PLIC's registers, and the console UART's interrupt source.
PLIC_PHYS: Final = u64(0x0C000000)
UART_IRQ: Final = u32(10)
# Register blocks (the PLIC specification): source priorities at 4 * source, each context's
# enable bits at 0x2000 + 0x80 * context, its threshold and claim/complete at 0x200000 + 0x1000 * context.
PRIORITY_OFF: Final = u64(0)
ENABLE_OFF: Final = u64(0x2000)
ENABLE_STRIDE: Final = u64(0x80)
CONTEXT_OFF: Final = u64(0x200000)
CONTEXT_STRIDE: Final = u64(0x1000)
CLAIM_OFF: Final = u64(4)
SIE_SEIE: Final = u64(1) << 9

# The PLIC through the direct map, and this hart's S-mode context (0 until plic_init).
_base: u64 = u64(0)
_context: u64 = u64(0)
# External interrupts claimed so far.
external_irqs: AtomicU64 = AtomicU64(0)


def s_context_of(hartid: u64) -> u64:
    """The PLIC context of hart `hartid`'s S-mode on QEMU virt (M-mode is 2 * hartid)."""
    return 2 * hartid + 1


def plic_pages(hartid: u64) -> u64:
    """How many 4 KiB register pages plic_page(hartid, i) names (priorities, enables, context)."""
    return u64(3)


def plic_page(hartid: u64, i: u64) -> u64:
    """Physical address of the i-th register page the kernel touches for hart `hartid`."""
    ctx = s_context_of(hartid)
    if i == 0:
        return PLIC_PHYS + PRIORITY_OFF
    if i == 1:
        return (PLIC_PHYS + ENABLE_OFF + ENABLE_STRIDE * ctx) & ~u64(0xFFF)
    return PLIC_PHYS + CONTEXT_OFF + CONTEXT_STRIDE * ctx


def plic_enable(irq: u32, priority: u32) -> None:
    """Give source irq a priority and enable it for this hart's S-mode context."""
    mmio_write32(_base + PRIORITY_OFF + 4 * u64(irq), priority)
    word = _base + ENABLE_OFF + ENABLE_STRIDE * _context + 4 * u64(irq >> 5)
    mmio_write32(word, mmio_read32(word) | (u32(1) << (irq & 31)))


def plic_init(direct_map: u64, hartid: u64) -> None:
    """Ready the PLIC for devices: the UART's source at priority 1, threshold 0, sie.SEIE on."""
    global _base, _context
    _base = direct_map + PLIC_PHYS
    _context = s_context_of(hartid)
    plic_enable(UART_IRQ, u32(1))
    mmio_write32(_base + CONTEXT_OFF + CONTEXT_STRIDE * _context, u32(0))
    asm("csrs sie, $0", "r,~{memory}", SIE_SEIE)


def plic_claim() -> u32:
    """The highest-priority pending source for this context (0: none), now in service."""
    return mmio_read32(_base + CONTEXT_OFF + CONTEXT_STRIDE * _context + CLAIM_OFF)


def plic_complete(irq: u32) -> None:
    """Tell the PLIC that source irq has been serviced."""
    mmio_write32(_base + CONTEXT_OFF + CONTEXT_STRIDE * _context + CLAIM_OFF, irq)


def plic_handle() -> None:
    """A supervisor external interrupt: claim, count, acknowledge (the UART) and complete every pending source."""
    if _base == 0:
        return
    while True:
        irq = plic_claim()
        if irq == 0:
            return
        external_irqs.fetch_add(1)
        if irq == UART_IRQ:
            uart_irq_ack()
        plic_complete(irq)
