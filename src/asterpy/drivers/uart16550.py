"""The 16550 UART through memory-mapped registers (the riscv64 and loongarch64 virt boards' console)."""

from typing import Final

from asterpy.lang import Ptr, i64, mmio_read8, mmio_write8, u8, u32, u64

REG_DATA: Final = u64(0)
REG_IER: Final = u64(1)
REG_FCR: Final = u64(2)
REG_LCR: Final = u64(3)
REG_LSR: Final = u64(5)
LSR_THR_EMPTY: Final = u8(0x20)
LSR_DATA_READY: Final = u8(0x01)
# How long to wait for room in the transmitter before dropping a byte (a wedged UART must not hang us).
TX_SPIN_LIMIT: Final = u32(100000)

# Virtual address of the UART's registers, 0 until uart_init.
_uart: u64 = u64(0)


def uart_init(regs: u64) -> None:
    """Use the 16550 whose registers are at virtual address regs: 8N1, FIFOs on, interrupts off."""
    global _uart
    _uart = regs
    # The firmware (or QEMU) already set the baud rate; only the frame format and FIFOs are ours.
    mmio_write8(_uart + REG_IER, u8(0))
    mmio_write8(_uart + REG_LCR, u8(0x03))
    mmio_write8(_uart + REG_FCR, u8(0x07))


def uart_putc(c: u8) -> None:
    """Send one byte once the transmit holding register is empty (give up on a wedged UART)."""
    if _uart == 0:
        return
    spins = u32(0)
    while (mmio_read8(_uart + REG_LSR) & LSR_THR_EMPTY) == 0:
        spins += 1
        if spins >= TX_SPIN_LIMIT:
            return
    mmio_write8(_uart + REG_DATA, c)


def uart_put_text(c: u8) -> None:
    """Send one byte of text: LF goes out as CR LF, as a serial terminal wants."""
    if c == 10:
        uart_putc(u8(13))
    uart_putc(c)


def uart_write(ptr: u64, n: u64) -> None:
    """Send the n bytes of text at address ptr."""
    p = Ptr[u8](ptr)
    for i in range(u64(0), n):
        uart_put_text(p[i])


def uart_getc() -> i64:
    """The next received byte (0..255), or -1 when none is waiting (or before uart_init)."""
    # Polled from the timer tick by the tty driver; the receive interrupt (IER bit 0) would
    # lower the latency but needs the board's interrupt controller (PLIC / EIOINTC) wired first.
    if _uart == 0:
        return i64(-1)
    if (mmio_read8(_uart + REG_LSR) & LSR_DATA_READY) == 0:
        return i64(-1)
    return i64(mmio_read8(_uart + REG_DATA))
