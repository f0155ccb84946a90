"""The x86_64 kernel console: the runtime's console and panic hooks, on COM1."""

from typing import Final

from asterpy.lang import Ptr, kprint, u8, u16, u64
from asterpy.lang.intrinsics import asm, asm_u64, outb
from asterpy.lang.linkage import export

from arch.x86_64.backtrace import print_backtrace
from arch.x86_64.serial import serial_present, serial_putc
from asterpy.kernel.cmdline import cmdline_exit_requested, cmdline_panic_timeout
from asterpy.kernel.time import monotonic_ns

# isa-debug-exit (QEMU): writing v makes QEMU exit with status (v << 1) | 1.
DEBUG_EXIT_PORT: Final = u16(0xF4)
EXIT_PASS: Final = u8(0x10)
EXIT_FAIL: Final = u8(0x11)
# The 8042 keyboard controller: command 0xFE pulses the CPU reset line.
KBD_CONTROLLER_PORT: Final = u16(0x64)
KBD_PULSE_RESET: Final = u8(0xFE)


@export("kpy_console_write")
def kpy_console_write(ptr: u64, n: u64) -> None:
    """Write n bytes at address ptr to the serial console, LF as CR LF (what a terminal expects)."""
    if not serial_present():
        return
    p = Ptr[u8](ptr)
    for i in range(u64(0), n):
        c = p[i]
        if c == 10:
            serial_putc(u8(13))
        serial_putc(c)


def qemu_exit(status: u8) -> None:
    """Ask QEMU's isa-debug-exit device to end the VM (a no-op without the device)."""
    outb(DEBUG_EXIT_PORT, status)


def halt_forever() -> None:
    """Stop this CPU for good: interrupts off, halt, and halt again after an NMI."""
    while True:
        asm("cli; hlt", "~{memory}")


# Set by the first fatal report (panic or CPU exception): a second one while it prints (a fault
# in the backtrace code, say) must not recurse but stop at once.
_reporting: bool = False


def begin_fatal_report() -> bool:
    """Claim the fatal report: True the first time, False if one is already being printed."""
    global _reporting
    if _reporting:
        return False
    _reporting = True
    return True


def reset_machine() -> None:
    """Reset the machine (Linux's emergency restart): the keyboard controller's reset line, else a
    triple fault. QEMU resets, or exits under -no-reboot (how asterpy's runner starts it)."""
    outb(KBD_CONTROLLER_PORT, KBD_PULSE_RESET)
    for i in range(u64(0), u64(100000)):
        asm("pause", "~{memory}")
    # No keyboard controller (microvm): an empty IDT makes the breakpoint a triple fault.
    asm("pushq $$0\n pushq $$0\n lidt 6(%rsp)\n int3", "~{memory}")


def wait_seconds(seconds: u64) -> None:
    """Spin for about `seconds` on the monotonic clock (at once when the clock is not running yet)."""
    start = monotonic_ns()
    if start == 0:
        return
    while monotonic_ns() - start < seconds * u64(1000000000):
        asm("pause", "~{memory}")


def fatal_halt() -> None:
    """The end of every fatal error, as the command line says: `asterpy.exit=1` reports failure to
    QEMU at once; else `panic=N` reboots after N seconds (negative: at once), and 0 halts for good."""
    if cmdline_exit_requested():
        kprint("kernel halted")
        qemu_exit(EXIT_FAIL)
    timeout = cmdline_panic_timeout()
    if timeout > 0:
        kprint(f"Rebooting in {timeout} seconds..")
        wait_seconds(u64(timeout))
    if timeout != 0:
        kprint("kernel rebooting")
        reset_machine()
    kprint("kernel halted")
    halt_forever()


@export("kpy_panic_halt")
def kpy_panic_halt() -> None:
    """The end of a panic (after its message): a backtrace from here, then halt."""
    # Where we are and our frame pointer, read here: if this function is inlined into the one
    # that panicked, they are that function's, and the inline-aware symbolizer names both.
    pc = asm_u64("leaq 0(%rip), $0", "=r")
    rbp = asm_u64("movq %rbp, $0", "=r")
    if begin_fatal_report():
        print_backtrace(pc, rbp, True)
    else:
        kprint("panic while printing a fatal error report")
    fatal_halt()


@export("kpy_console_putc")
def kpy_console_putc(c: u8) -> None:
    """Write one byte to the serial console (LF as CR LF)."""
    if not serial_present():
        return
    if c == 10:
        serial_putc(u8(13))
    serial_putc(c)
