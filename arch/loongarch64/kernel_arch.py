"""loongarch64 side of the arch interface (docs/arch.md): what kernel_main asks of the machine.

Imported as `kernel_arch` (the build puts arch/loongarch64 among the module roots): the same names
and signatures as arch/x86_64/kernel_arch.py.
"""

from typing import Final

from asterpy.lang import List, i64, kinfo, kwarn, u32, u64, u8
from asterpy.lang.intrinsics import asm, cpu_relax, memory_barrier
from asterpy.lang.linkage import export
# The page-table format and TLB maintenance (docs/arch.md, "Page tables"): kernel_pte's names,
# which asterpy.mm.paging imports from there.
from kernel_pte import (  # noqa: F401 - re-exported
    ARCH_PT_LEVELS, ARCH_USER_ROOT_ENTRIES, arch_tlb_flush_all, arch_tlb_flush_page, pte_flags, pte_is_huge, pte_make, pte_phys,
    pte_present, pte_table,
)
from asterpy.mm.paging import AddressSpace

from arch.loongarch64.console import UNCACHED, qemu_exit
from arch.loongarch64.paging import (
    bss_end, data_start, load_root, probe_exec, probe_write, rodata_end, rodata_start, text_end, text_start,
)
from arch.loongarch64.rtc import LS7A_RTC_PHYS, ls7a_rtc_read_unix
from arch.loongarch64.traps import (
    counter_hz, interrupts_enable, tick_count, timer_start, vector_installed,
)
from asterpy.kernel.time import clock_init, monotonic_ns

# Periodic timer rate (ticks per second).
ARCH_TIMER_HZ: Final = u64(100)
# Virtual minus physical address of the kernel image (kernel.ld: the paged higher half).
ARCH_KERNEL_VMA: Final = u64(0xFFFFFFFF80000000)
# kernel_main replaces boot.S's 1 GiB tables by its own (W^X image, sized direct map).
ARCH_HAS_PAGING: Final = True



def arch_paging_cpu_init() -> bool:
    """Nothing to enable: TLB entries always have NX (boot.S set up the refill handler)."""
    return True


def arch_text_start() -> u64:
    """Virtual start of .text."""
    return text_start()


def arch_text_end() -> u64:
    """Virtual end of .text."""
    return text_end()


def arch_rodata_start() -> u64:
    """Virtual start of .rodata."""
    return rodata_start()


def arch_rodata_end() -> u64:
    """Virtual end of .rodata."""
    return rodata_end()


def arch_data_start() -> u64:
    """Virtual start of .data (the writable part runs to arch_bss_end)."""
    return data_start()


def arch_bss_end() -> u64:
    """Virtual end of .bss."""
    return bss_end()


def arch_map_devices(space: AddressSpace, direct_map: u64) -> None:
    """Nothing to map: devices are reached through the uncached window DMW0 (PLV0 only)."""


def arch_load_root(phys: u64) -> None:
    """Switch the higher half to the tables at phys (PGDH, TLB flushed) and close the DMW1 window."""
    load_root(phys)


def arch_probe_write(va: u64) -> None:
    """Store to va (a W^X probe that must fault)."""
    probe_write(va)


def arch_boot_stack_guard() -> u64:
    """The page below the boot stack to leave unmapped: none here yet (0)."""
    return u64(0)


def arch_stack_guard_pages() -> List[u64]:
    """The pages of the kernel image to leave unmapped below a stack: none here yet."""
    pages: List[u64] = []
    return pages


def arch_probe_stack_overflow(top: u64) -> None:
    """Move the stack pointer to top (a fresh kernel stack) and run off its end (`asterpy.fault=so`)."""
    # Store downwards until the guard page below the stack stops it (a page fault).
    asm("move $$sp, $0\n1: addi.d $$sp, $$sp, -16\n st.d $$zero, $$sp, 0\n b 1b", "r,~{memory}", top)


def arch_probe_exec(va: u64) -> None:
    """Execute at va (a W^X probe that must fault: PNX)."""
    # QEMU 7.2 never delivers PNX: filling BADI re-fetches the non-executable instruction and
    # faults again, forever (docs/arch.md). Real hardware reports it.
    kwarn("paging: QEMU 7.2 hangs on a page-not-executable fault instead of reporting it")
    probe_exec(va)


def arch_boot_protocol_name() -> str:
    """How the kernel was entered, for the banner: QEMU's own ELF loader, no firmware."""
    return "qemu"


def arch_clock_name() -> str:
    """Name of the counter behind the monotonic clock, for the boot log."""
    return "stable counter"


def arch_clock_calibrate() -> u64:
    """The stable counter's rate in Hz, from CPUCFG (nothing to measure)."""
    return counter_hz()


def arch_clock_start(hz: u64) -> None:
    """Start the monotonic clock (asterpy.kernel.time, on kernel_counter: the stable counter) running at hz."""
    clock_init(hz)


@export("kpy_monotonic_ns")  # the kernel log's timestamps (asterpy.kernel.log)
def arch_monotonic_ns() -> u64:
    """Nanoseconds since arch_clock_start."""
    return monotonic_ns()


def arch_rtc_seconds() -> i64:
    """Wall-clock time from the LS7A RTC's time-of-year counter, seconds since 1970 UTC."""
    return ls7a_rtc_read_unix(UNCACHED | LS7A_RTC_PHYS)


def arch_timer_init(direct_map: u64, clock_hz: u64) -> None:
    """Nothing to set up before the timer runs (no interrupt controller on the timer's line)."""
    kinfo(f"timer: constant timer, {ARCH_TIMER_HZ} Hz on the {clock_hz // 1000} kHz stable counter")


def arch_timer_start(hz: u64) -> None:
    """Run the constant timer periodically, hz interrupts a second."""
    period = counter_hz() // hz
    if period < 4:
        period = u64(4)
    timer_start(period)


def arch_enable_interrupts() -> bool:
    """Enable interrupts if the exception entry is installed; otherwise say why not and return False."""
    if vector_installed():
        interrupts_enable()
        return True
    kwarn("timer: no exception entry installed: interrupts stay off")
    return False


def arch_tick_count() -> u64:
    """Timer interrupts taken so far."""
    return tick_count()


def arch_exit(status: u8) -> None:
    """Print PASS/FAIL and power off (GED): the board has no exit device with a status."""
    qemu_exit(status)


# The console terminal's byte I/O (asterpy.drivers.tty). Imported here, apart from the rest, so
# that this block stays one separate edit: the module has no import-order needs.
from asterpy.drivers.uart16550 import uart_getc, uart_putc  # noqa: E402


def arch_console_getc() -> i64:
    """The next byte received on the console UART, the console 16550 (MMIO); -1 when none is waiting."""
    # Polled (tty_poll_input from the timer tick and the idle loop); no receive interrupt yet.
    return uart_getc()


def arch_console_putc_raw(c: u8) -> None:
    """Send one byte to the console UART exactly as given (no LF to CR LF: the tty's OPOST does it)."""
    uart_putc(c)


# ---- device access for drivers (asterpy.drivers) ---------------------------------------------------

def arch_pci_present() -> bool:
    """No PCI configuration access on this board yet (ECAM is not written): virtio-mmio is the way."""
    return False


def arch_pci_read32(bus: u64, dev: u64, fn: u64, off: u64) -> u32:
    """No PCI: every dword reads as all ones (no device)."""
    return u32(0xFFFFFFFF)


def arch_pci_write32(bus: u64, dev: u64, fn: u64, off: u64, v: u32) -> None:
    """No PCI: writes go nowhere."""
    return None


# No MSI on this board yet: disks (when virtio-mmio comes) are polled.
ARCH_DISK_VECTOR: Final = u64(0)


def arch_msi_address() -> u64:
    """No MSI: 0."""
    return u64(0)


def arch_msi_data(vector: u64) -> u32:
    """No MSI: 0."""
    return u32(0)


def arch_dma_barrier() -> None:
    """Order memory accesses a device sees (a full fence)."""
    memory_barrier()


def arch_cpu_relax() -> None:
    """The spin-loop hint while polling a device."""
    cpu_relax()
