"""The riscv64 kernel console: the runtime's console and panic hooks on the 16550 UART; exit and halt."""

from typing import Final

from asterpy.lang import kprint, mmio_read8, mmio_write8, mmio_write32, u8, u32, u64
from asterpy.lang.intrinsics import asm, asm_u64
from asterpy.lang.linkage import export

from arch.riscv64.backtrace import print_backtrace
from asterpy.drivers.uart16550 import uart_init, uart_put_text, uart_write
from arch.riscv64.sbi import sbi_shutdown

# Physical 0 in the boot shim's direct map (Sv39 root slots 256..319: 0 .. 64 GiB).
DIRECT_MAP: Final = u64(0xFFFFFFC000000000)
# QEMU virt's console UART, used when the FDT names none.
DEFAULT_UART: Final = u64(0x10000000)
# QEMU virt's sifive_test device: 0x5555 pass, 0x3333 | code << 16 exits with status `code`.
SIFIVE_TEST: Final = u64(0x100000)
SIFIVE_FAIL: Final = u32(0x3333)
EXIT_PASS: Final = u8(0x10)
EXIT_FAIL: Final = u8(0x11)
# 16550 registers the PLIC self-test uses: interrupt enable (bit 1: transmitter empty) and identification.
UART_IER: Final = u64(1)
UART_IIR: Final = u64(2)
UART_IER_THRI: Final = u8(0x02)

_reporting: bool = False
# Physical address of the console UART (kernel_arch maps its page into the kernel tables).
_uart_phys: u64 = u64(0)


def console_init(uart_phys: u64) -> None:
    """Use the 16550 at uart_phys (through the direct map)."""
    global _uart_phys
    _uart_phys = uart_phys if uart_phys != 0 else DEFAULT_UART
    uart_init(DIRECT_MAP + _uart_phys)


def console_uart_phys() -> u64:
    """Physical address of the console UART's registers."""
    return _uart_phys


def uart_tx_irq(on: bool) -> None:
    """Turn the console UART's transmitter-empty interrupt (IER bit 1) on or off (the PLIC self-test)."""
    mmio_write8(DIRECT_MAP + _uart_phys + UART_IER, UART_IER_THRI if on else u8(0))


def uart_irq_ack() -> None:
    """Acknowledge the console UART's interrupt: reading IIR clears a transmitter-empty one."""
    mmio_read8(DIRECT_MAP + _uart_phys + UART_IIR)


@export("kpy_console_write")
def kpy_console_write(ptr: u64, n: u64) -> None:
    """Write n bytes at address ptr to the console, LF as CR LF."""
    uart_write(ptr, n)


@export("kpy_console_putc")
def kpy_console_putc(c: u8) -> None:
    """Write one byte to the console (LF as CR LF)."""
    uart_put_text(c)


def qemu_exit(status: u8) -> None:
    """End the VM with exit status `status` through sifive_test (QEMU virt); then SBI shutdown."""
    mmio_write32(DIRECT_MAP + SIFIVE_TEST, SIFIVE_FAIL | (u32(status) << 16))
    sbi_shutdown(status != EXIT_PASS)


def halt_forever() -> None:
    """Stop this hart for good: interrupts off, wfi in a loop."""
    while True:
        asm("csrci sstatus, 2\n wfi", "~{memory}")


def begin_fatal_report() -> bool:
    """Claim the fatal report: True the first time, False if one is already being printed."""
    global _reporting
    if _reporting:
        return False
    _reporting = True
    return True


def fatal_halt() -> None:
    """The end of every fatal error: say so, report failure to QEMU, and halt."""
    kprint("kernel halted")
    qemu_exit(EXIT_FAIL)
    halt_forever()


@export("kpy_panic_halt")
def kpy_panic_halt() -> None:
    """The end of a panic (after its message): a backtrace from here, then halt."""
    pc = asm_u64("auipc $0, 0", "=r")
    fp = asm_u64("mv $0, s0", "=r")
    if begin_fatal_report():
        print_backtrace(pc, fp, True)
    else:
        kprint("panic while printing a fatal error report")
    fatal_halt()
