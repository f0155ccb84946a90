"""The loongarch64 kernel console: the runtime's console and panic hooks on the 16550 UART; power-off."""

from typing import Final

from asterpy.lang import Ptr, kprint, mmio_read8, mmio_write8, u8, u32, u64
from asterpy.lang.intrinsics import asm, asm_u64
from asterpy.lang.linkage import export

from arch.loongarch64.backtrace import print_backtrace

# The boot shim's windows: DMW1 (cached, RAM) and DMW0 (strongly-ordered uncached, MMIO).
DIRECT_MAP: Final = u64(0x9000000000000000)
UNCACHED: Final = u64(0x8000000000000000)
# QEMU virt's console UART (the Loongson 7A one) and ACPI GED sleep control.
DEFAULT_UART: Final = u64(0x1FE001E0)
GED_SLEEP_CTL: Final = u64(0x100E001C)
GED_POWER_OFF: Final = u8(0x34)          # SLP_EN | SLP_TYP 5
EXIT_PASS: Final = u8(0x10)
EXIT_FAIL: Final = u8(0x11)

REG_DATA: Final = u64(0)
REG_IER: Final = u64(1)
REG_FCR: Final = u64(2)
REG_LCR: Final = u64(3)
REG_LSR: Final = u64(5)
LSR_THR_EMPTY: Final = u8(0x20)
TX_SPIN_LIMIT: Final = u32(100000)

_uart: u64 = u64(0)
_reporting: bool = False


def console_init(uart_phys: u64) -> None:
    """Use the 16550 at uart_phys (uncached window): 8N1, FIFOs on, interrupts off."""
    global _uart
    if uart_phys == 0:
        uart_phys = DEFAULT_UART
    _uart = UNCACHED | uart_phys
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


@export("kpy_console_write")
def kpy_console_write(ptr: u64, n: u64) -> None:
    """Write n bytes at address ptr to the console, LF as CR LF."""
    p = Ptr[u8](ptr)
    for i in range(u64(0), n):
        c = p[i]
        if c == 10:
            uart_putc(u8(13))
        uart_putc(c)


@export("kpy_console_putc")
def kpy_console_putc(c: u8) -> None:
    """Write one byte to the console (LF as CR LF)."""
    if c == 10:
        uart_putc(u8(13))
    uart_putc(c)


def qemu_exit(status: u8) -> None:
    """Say PASS or FAIL (the board has no exit device with a status), then power off through GED."""
    if status == EXIT_PASS:
        kprint("asterpy: exit PASS")
    else:
        kprint(f"asterpy: exit FAIL (status {status:#x})")
    mmio_write8(UNCACHED | GED_SLEEP_CTL, GED_POWER_OFF)


def halt_forever() -> None:
    """Stop this CPU for good: idle in a loop (interrupts off)."""
    while True:
        asm("ori $$t0, $$zero, 4\n csrxchg $$zero, $$t0, 0x0\n idle 0", "~{$r12},~{memory}")


def begin_fatal_report() -> bool:
    """Claim the fatal report: True the first time, False if one is already being printed."""
    global _reporting
    if _reporting:
        return False
    _reporting = True
    return True


def fatal_halt() -> None:
    """The end of every fatal error: say so, report failure, and halt."""
    kprint("kernel halted")
    qemu_exit(EXIT_FAIL)
    halt_forever()


@export("kpy_panic_halt")
def kpy_panic_halt() -> None:
    """The end of a panic (after its message): a backtrace from here, then halt."""
    pc = asm_u64("pcaddi $0, 0", "=r")
    fp = asm_u64("move $0, $$fp", "=r")
    if begin_fatal_report():
        print_backtrace(pc, fp, True)
    else:
        kprint("panic while printing a fatal error report")
    fatal_halt()
