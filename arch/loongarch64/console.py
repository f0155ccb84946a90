"""The loongarch64 kernel console: the runtime's console and panic hooks on the 16550 UART; power-off."""

from typing import Final

from asterpy.lang import kprint, mmio_write8, u8, u64
from asterpy.lang.intrinsics import asm, asm_u64
from asterpy.lang.linkage import export

from arch.loongarch64.backtrace import print_backtrace
from asterpy.drivers.uart16550 import uart_init, uart_put_text, uart_write

# Physical 0 in the direct map (boot.S's tables, then the kernel's: root slots 256..), and the
# boot shim's window DMW0 (strongly-ordered uncached, PLV0 only), which reaches the MMIO devices.
DIRECT_MAP: Final = u64(0xFFFFFFC000000000)
UNCACHED: Final = u64(0x8000000000000000)
# QEMU virt's console UART (the Loongson 7A one) and ACPI GED sleep control.
DEFAULT_UART: Final = u64(0x1FE001E0)
GED_SLEEP_CTL: Final = u64(0x100E001C)
GED_POWER_OFF: Final = u8(0x34)          # SLP_EN | SLP_TYP 5
EXIT_PASS: Final = u8(0x10)
EXIT_FAIL: Final = u8(0x11)

_reporting: bool = False


def console_init(uart_phys: u64) -> None:
    """Use the 16550 at uart_phys (through the uncached window)."""
    uart_init(UNCACHED | (uart_phys if uart_phys != 0 else DEFAULT_UART))


@export("kpy_console_write")
def kpy_console_write(ptr: u64, n: u64) -> None:
    """Write n bytes at address ptr to the console, LF as CR LF."""
    uart_write(ptr, n)


@export("kpy_console_putc")
def kpy_console_putc(c: u8) -> None:
    """Write one byte to the console (LF as CR LF)."""
    uart_put_text(c)


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
