"""riscv64 side of the arch interface (docs/arch.md): what kernel_main asks of the machine.

Imported as `kernel_arch` (the build puts arch/riscv64 among the module roots): the same names
and signatures as arch/x86_64/kernel_arch.py.
"""

from typing import Final

from asterpy.lang import List, i64, kinfo, kwarn, mmio_read32, u32, u64, u8
from asterpy.lang.intrinsics import asm, cpu_relax, memory_barrier
from asterpy.lang.linkage import export
# The page-table format and TLB maintenance (docs/arch.md, "Page tables"): kernel_pte's names,
# which asterpy.mm.paging imports from there.
from kernel_pte import (  # noqa: F401 - re-exported
    ARCH_PT_LEVELS, ARCH_USER_ROOT_ENTRIES, arch_tlb_flush_all, arch_tlb_flush_page, pte_flags, pte_is_huge, pte_make, pte_phys,
    pte_present, pte_table,
)
from asterpy.mm.pageflags import GLOBAL, NOCACHE, READ, WRITE
from asterpy.mm.paging import AddressSpace

from arch.riscv64.console import DIRECT_MAP, SIFIVE_TEST, console_uart_phys, qemu_exit
from arch.riscv64.paging import (
    bss_end, data_start, load_root, probe_exec, probe_write, rodata_end, rodata_start, text_end, text_start,
)
from arch.riscv64.console import uart_tx_irq
from arch.riscv64.plic import UART_IRQ, external_irqs, plic_init, plic_page, plic_pages
from arch.riscv64.traps import interrupts_enable, read_time, tick_count, timer_start, vector_installed
from asterpy.kernel.time import clock_init, monotonic_ns

# Periodic timer rate (ticks per second).
ARCH_TIMER_HZ: Final = u64(100)
# Virtual minus physical address of the kernel image (boot.S KERNEL_VMA_OFFSET).
ARCH_KERNEL_VMA: Final = u64(0xFFFFFFFF00000000)
# kernel_main replaces the boot shim's 1 GiB Sv39 tables by its own (W^X image, sized direct map).
ARCH_HAS_PAGING: Final = True
# The time CSR's rate when the FDT does not say (QEMU virt's timebase-frequency).
DEFAULT_TIMEBASE_HZ: Final = u64(10000000)
# QEMU virt's Goldfish RTC: nanoseconds since 1970 in TIME_LOW (read first: latches) / TIME_HIGH.
GOLDFISH_RTC: Final = u64(0x101000)
NS_PER_SEC: Final = u64(1000000000)

_timebase_hz: u64 = u64(0)
_boot_hart: u64 = u64(0)


def riscv_set_timebase(hz: u64) -> None:
    """Record the time CSR's rate (the FDT's /cpus timebase-frequency; 0: use the default)."""
    global _timebase_hz
    _timebase_hz = hz if hz != 0 else DEFAULT_TIMEBASE_HZ


def riscv_set_boot_hart(hartid: u64) -> None:
    """Record the hart kmain runs on (its PLIC context takes the device interrupts)."""
    global _boot_hart
    _boot_hart = hartid


def arch_paging_cpu_init() -> bool:
    """Nothing to enable: Sv39 always has an execute bit."""
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


def map_device_page(space: AddressSpace, direct_map: u64, phys: u64) -> None:
    """Map the 4 KiB register page at phys into the direct map (RW, not executable), once."""
    if space.page_size_of(direct_map + phys) == 0:
        space.map(direct_map + phys, phys, READ | WRITE | NOCACHE | GLOBAL)


def arch_map_devices(space: AddressSpace, direct_map: u64) -> None:
    """Map the devices the kernel touches: console UART, sifive_test, Goldfish RTC, the PLIC's pages."""
    map_device_page(space, direct_map, console_uart_phys() & ~u64(0xFFF))
    map_device_page(space, direct_map, SIFIVE_TEST)
    map_device_page(space, direct_map, GOLDFISH_RTC)
    for i in range(u64(0), plic_pages(_boot_hart)):
        map_device_page(space, direct_map, plic_page(_boot_hart, i))


def arch_load_root(phys: u64) -> None:
    """Switch satp to the Sv39 tables at phys (sfence.vma before and after)."""
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
    # Store downwards until the guard page below the stack stops it (a store page fault).
    asm("mv sp, $0\n1: addi sp, sp, -16\n sd zero, 0(sp)\n j 1b", "r,~{memory}", top)


def arch_probe_exec(va: u64) -> None:
    """Execute at va (a W^X probe that must fault)."""
    probe_exec(va)


def arch_boot_protocol_name() -> str:
    """How the kernel was entered, for the banner."""
    return "opensbi"


def arch_clock_name() -> str:
    """Name of the counter behind the monotonic clock, for the boot log."""
    return "time"


def arch_clock_calibrate() -> u64:
    """The time CSR's rate in Hz: the FDT says it, nothing to measure."""
    if _timebase_hz == 0:
        return DEFAULT_TIMEBASE_HZ
    return _timebase_hz


def arch_clock_start(hz: u64) -> None:
    """Start the monotonic clock (asterpy.kernel.time, on kernel_counter: the time CSR) running at hz."""
    clock_init(hz)


@export("kpy_monotonic_ns")  # the kernel log's timestamps (asterpy.kernel.log)
def arch_monotonic_ns() -> u64:
    """Nanoseconds since arch_clock_start."""
    return monotonic_ns()


def arch_rtc_seconds() -> i64:
    """Wall-clock time from the Goldfish RTC, seconds since 1970 UTC."""
    lo = mmio_read32(DIRECT_MAP + GOLDFISH_RTC)
    hi = mmio_read32(DIRECT_MAP + GOLDFISH_RTC + 4)
    return i64(((u64(hi) << 32) | u64(lo)) // NS_PER_SEC)


def arch_timer_init(direct_map: u64, clock_hz: u64) -> None:
    """Ready the PLIC for devices (the SBI timer itself needs no set-up); say what runs."""
    plic_init(direct_map, _boot_hart)
    kinfo(f"plic: uart irq {UART_IRQ} enabled for hart {_boot_hart}'s S-mode context")
    kinfo(f"sbi: timer via set_timer, {ARCH_TIMER_HZ} Hz on the {clock_hz // 1000} kHz time CSR")


def arch_timer_start(hz: u64) -> None:
    """Take a timer interrupt hz times a second (SBI set_timer, re-armed by each tick)."""
    period = arch_clock_calibrate() // hz
    if period == 0:
        period = u64(1)
    timer_start(period)


def arch_enable_interrupts() -> bool:
    """Enable interrupts if the trap vector is installed; otherwise say why not and return False."""
    if vector_installed():
        interrupts_enable()
        plic_self_test()
        return True
    kwarn("timer: no trap vector installed: interrupts stay off")
    return False


def plic_self_test() -> None:
    """Prove the external-interrupt path once: the UART's transmitter-empty interrupt, claimed and completed."""
    before = external_irqs.load()
    uart_tx_irq(True)
    t0 = read_time()
    # At most 10 ms: QEMU raises it at once (the transmitter is empty), the PLIC passes it on.
    while external_irqs.load() == before and read_time() - t0 < arch_clock_calibrate() // 100:
        pass
    uart_tx_irq(False)
    if external_irqs.load() != before:
        kinfo(f"plic: uart irq {UART_IRQ} taken, claimed and completed")
    else:
        kwarn(f"plic: no interrupt from the uart (irq {UART_IRQ}) in 10 ms")


def arch_tick_count() -> u64:
    """Timer interrupts taken so far."""
    return tick_count()


def arch_exit(status: u8) -> None:
    """Power off with an exit status (sifive_test, then SBI system reset)."""
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
