"""riscv64 side of the arch interface (docs/arch.md): what kernel_main asks of the machine.

Imported as `kernel_arch` (the build puts arch/riscv64 among the module roots): the same names
and signatures as arch/x86_64/kernel_arch.py.
"""

from typing import Final

from asterpy.lang import Ptr, i64, kinfo, kwarn, mmio_read32, u64, u8
from asterpy.lang.linkage import export
from asterpy.mm.frames import FrameAllocator
from asterpy.mm.paging import AddressSpace

from arch.riscv64.console import DIRECT_MAP, qemu_exit
from asterpy.kernel.bootinfo import boot_info
from asterpy.kernel.boot_mappings import (  # noqa: F401 - re-exported: this arch keeps the boot mappings
    arch_paging_cpu_init, arch_text_start, arch_text_end, arch_rodata_start, arch_rodata_end, arch_data_start,
    arch_bss_end, arch_map_devices, arch_load_root, arch_probe_write, arch_probe_exec,
)
from arch.riscv64.traps import interrupts_enable, read_time, tick_count, timer_start, vector_installed
from asterpy.kernel.time import clock_mult, cycles_to_ns

# Periodic timer rate (ticks per second).
ARCH_TIMER_HZ: Final = u64(100)
# Virtual minus physical address of the kernel image (boot.S KERNEL_VMA_OFFSET).
ARCH_KERNEL_VMA: Final = u64(0xFFFFFFFF00000000)
# kernel_main keeps the boot shim's Sv39 tables on riscv64 for now (no Sv39 entry format in
# asterpy.mm.paging yet): the W^X image map and the sized direct map are still to come.
ARCH_HAS_PAGING: Final = False
# The time CSR's rate when the FDT does not say (QEMU virt's timebase-frequency).
DEFAULT_TIMEBASE_HZ: Final = u64(10000000)
# QEMU virt's Goldfish RTC: nanoseconds since 1970 in TIME_LOW (read first: latches) / TIME_HIGH.
GOLDFISH_RTC: Final = u64(0x101000)
NS_PER_SEC: Final = u64(1000000000)

_timebase_hz: u64 = u64(0)
_clock_base: u64 = u64(0)
_clock_mult: u64 = u64(0)


def riscv_set_timebase(hz: u64) -> None:
    """Record the time CSR's rate (the FDT's /cpus timebase-frequency; 0: use the default)."""
    global _timebase_hz
    _timebase_hz = hz if hz != 0 else DEFAULT_TIMEBASE_HZ


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
    """Start the monotonic clock on the time CSR running at hz."""
    global _clock_base, _clock_mult
    _clock_mult = clock_mult(hz)
    _clock_base = read_time()


@export("kpy_monotonic_ns")  # the kernel log's timestamps (asterpy.kernel.log)
def arch_monotonic_ns() -> u64:
    """Nanoseconds since arch_clock_start."""
    return cycles_to_ns(read_time() - _clock_base, _clock_mult)


def arch_rtc_seconds() -> i64:
    """Wall-clock time from the Goldfish RTC, seconds since 1970 UTC."""
    lo = mmio_read32(DIRECT_MAP + GOLDFISH_RTC)
    hi = mmio_read32(DIRECT_MAP + GOLDFISH_RTC + 4)
    return i64(((u64(hi) << 32) | u64(lo)) // NS_PER_SEC)


def arch_timer_init(direct_map: u64, clock_hz: u64) -> None:
    """Nothing to program before the first deadline: the SBI timer has no set-up; say what runs."""
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
        return True
    kwarn("timer: no trap vector installed: interrupts stay off")
    return False


def arch_tick_count() -> u64:
    """Timer interrupts taken so far."""
    return tick_count()


def arch_exit(status: u8) -> None:
    """Power off with an exit status (sifive_test, then SBI system reset)."""
    qemu_exit(status)


def run_init_if_requested(fa: FrameAllocator | None, kspace: AddressSpace | None) -> None:
    """kernel_main's last step: user mode is not ported to riscv64 yet, so init= only gets a note."""
    if cmdline_names_init():
        kwarn("init: user mode is not available on riscv64 yet")


def cmdline_names_init() -> bool:
    """Whether a command-line word starts with `init=`."""
    if boot_info.cmdline == 0:
        return False
    p = Ptr[u8](boot_info.direct_map + boot_info.cmdline)
    n = boot_info.cmdline_len
    i = u64(0)
    while i + 5 <= n:
        if ((i == 0 or p[i - 1] == 0x20) and p[i] == 0x69 and p[i + 1] == 0x6E and p[i + 2] == 0x69
                and p[i + 3] == 0x74 and p[i + 4] == 0x3D):
            return True
        i += 1
    return False
