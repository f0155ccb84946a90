"""16550 UART driver for the PC's COM1 (I/O port 0x3f8): polled output, 115200 baud, 8N1."""

from typing import Final

from asterpy.lang import i64, u8, u16, u32
from asterpy.lang.intrinsics import inb, outb

COM1: Final = u16(0x3F8)
# Register offsets from the base port (with LCR.DLAB = 0 unless noted).
REG_DATA: Final = u16(0)      # THR on write, RBR on read; divisor low byte when DLAB = 1
REG_IER: Final = u16(1)       # interrupt enable; divisor high byte when DLAB = 1
REG_FCR: Final = u16(2)       # FIFO control (write)
REG_LCR: Final = u16(3)       # line control
REG_MCR: Final = u16(4)       # modem control
REG_LSR: Final = u16(5)       # line status
REG_SCR: Final = u16(7)       # scratch

LCR_DLAB: Final = u8(0x80)
LCR_8N1: Final = u8(0x03)
FCR_ENABLE_CLEAR_14: Final = u8(0xC7)  # enable FIFOs, clear both, interrupt at 14 bytes
MCR_DTR_RTS_OUT2: Final = u8(0x0B)
LSR_THR_EMPTY: Final = u8(0x20)
LSR_DATA_READY: Final = u8(0x01)
# 115200 baud is the 1.8432 MHz UART clock / 16 / 1.
DIVISOR_115200: Final = u16(1)
# A missing or wedged UART must not hang the kernel: give up on a byte after this many polls.
TX_SPIN_LIMIT: Final = u32(100000)

_present: bool = False


def serial_init() -> bool:
    """Program COM1 for 115200 8N1 with FIFOs; return whether a UART answered the scratch test."""
    global _present
    # The scratch register keeps what is written to it on a real 16550; a floating bus reads 0xff.
    outb(COM1 + REG_SCR, u8(0x5A))
    if inb(COM1 + REG_SCR) != 0x5A:
        _present = False
        return False
    outb(COM1 + REG_IER, u8(0))
    outb(COM1 + REG_LCR, LCR_DLAB)
    outb(COM1 + REG_DATA, u8(DIVISOR_115200 & 0xFF))
    outb(COM1 + REG_IER, u8(DIVISOR_115200 >> 8))
    outb(COM1 + REG_LCR, LCR_8N1)
    outb(COM1 + REG_FCR, FCR_ENABLE_CLEAR_14)
    outb(COM1 + REG_MCR, MCR_DTR_RTS_OUT2)
    _present = True
    return True


def serial_present() -> bool:
    """Whether serial_init found a UART."""
    return _present


def serial_putc(c: u8) -> None:
    """Send one byte once the transmit holding register is empty."""
    spins = u32(0)
    while (inb(COM1 + REG_LSR) & LSR_THR_EMPTY) == 0:
        spins += 1
        if spins >= TX_SPIN_LIMIT:
            return
    outb(COM1 + REG_DATA, c)


def serial_getc() -> i64:
    """The next received byte (0..255), or -1 when none is waiting (or there is no UART)."""
    # Polled: the tty driver drains this from the timer tick. An IRQ 4 handler would give lower
    # latency and no lost bytes when more than a FIFO's worth (16) arrives between two ticks.
    if not _present:
        return i64(-1)
    if (inb(COM1 + REG_LSR) & LSR_DATA_READY) == 0:
        return i64(-1)
    return i64(inb(COM1 + REG_DATA))
