"""x86_64 side of the arch interface (docs/arch.md): what kernel_main asks of the machine.

The build resolves `import kernel_arch` to `arch/<arch>/kernel_arch.py` (the arch folder is a module
root, after src/ and the repository root), so every arch's file defines the same names with the
same signatures. Each function here only forwards to the x86_64 modules that implement it.
"""

from typing import Final

from asterpy.lang import List, i64, kinfo, kwarn, u32, u64, u8
from asterpy.lang.intrinsics import asm, asm_u64, cpu_relax, memory_barrier
from asterpy.lang.linkage import export
# The page-table format and TLB maintenance (docs/arch.md, "Page tables"): kernel_pte's names,
# which asterpy.mm.paging imports from there.
from kernel_pte import (  # noqa: F401 - re-exported
    ARCH_PT_LEVELS, ARCH_USER_ROOT_ENTRIES, arch_tlb_flush_all, arch_tlb_flush_page, pte_flags, pte_is_huge, pte_make, pte_phys,
    pte_present, pte_table,
)
from asterpy.mm.paging import NOCACHE, GLOBAL, READ, WRITE, AddressSpace

# The task interface (docs/arch.md, "Tasks"): contexts, kernel stacks and the user frame. These
# come first: task modules import them back from here while this module is still binding.
from arch.x86_64.context import (  # noqa: F401 - re-exported
    Context, F_RAX, F_RDI, F_RDX, F_RIP, F_RSI, F_RSP, F_VECTOR, context_free, frame_get, frame_reset_user,
    frame_set, idle_wait, prepare_user_context, set_user_gs_base, switch_task, user_frame_of,
)
from asterpy.exec.elf import EM_X86_64
from asterpy.kernel.caller import Caller
from asterpy.kernel.siginfo import SigInfo
from arch.x86_64.apic import (
    TIMER_HZ, idt_loaded, interrupts_enable, lapic_id, lapic_init, lapic_phys_base, lapic_timer_calibrate,
    lapic_timer_start, pic_disable, tick_count,
)
from arch.x86_64.console import fatal_halt, qemu_exit
from arch.x86_64.gdt import IST_STACKS, ist_guard_page
from arch.x86_64.paging import (
    KERNEL_VMA, bss_end, data_start, load_root, paging_cpu_init, probe_exec, probe_write, rodata_end,
    rodata_start, text_end, text_start,
)
from arch.x86_64.rtc import rtc_read_unix
from arch.x86_64.tsc import tsc_calibrate
from asterpy.kernel.bootinfo import boot_info, protocol_name
from asterpy.kernel.time import clock_init, monotonic_ns

# Periodic timer rate (ticks per second).
ARCH_TIMER_HZ: Final = TIMER_HZ
# Virtual minus physical address of the kernel image.
ARCH_KERNEL_VMA: Final = KERNEL_VMA
# IDT gates the timer needs (vectors 0..47: the exceptions and the timer's 32).
IDT_MIN_VECTORS: Final = u64(48)
# Whether kernel_main builds its own page tables with asterpy.mm.paging on this arch.
ARCH_HAS_PAGING: Final = True
# The e_machine of the user programs this arch runs.
ARCH_ELF_MACHINE: Final = EM_X86_64


def arch_boot_protocol_name() -> str:
    """How the kernel was entered, for the banner (the boot loader's protocol)."""
    return protocol_name(boot_info.protocol)


def arch_paging_cpu_init() -> bool:
    """Prepare the CPU for the kernel's tables; False if it cannot enforce no-execute."""
    return paging_cpu_init()


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
    """Map the device registers kernel_main's later steps use (the local APIC), uncached."""
    # Device registers are never cached (the boot tables had them write-back).
    apic = lapic_phys_base()
    if space.page_size_of(direct_map + apic) == 0:
        space.map(direct_map + apic, apic, READ | WRITE | NOCACHE | GLOBAL)


def arch_load_root(phys: u64) -> None:
    """Switch to the page tables whose root is at phys (flushing the TLB)."""
    load_root(phys)


def arch_probe_write(va: u64) -> None:
    """Store to va (a W^X probe that must fault)."""
    probe_write(va)


def arch_boot_stack_guard() -> u64:
    """The page below the boot stack that the kernel's tables leave unmapped (boot.S)."""
    return asm_u64("movabsq $$asterpy_boot_stack_guard, $0", "=r")


def arch_stack_guard_pages() -> List[u64]:
    """Every page of the kernel image to leave unmapped below a stack: the boot stack's and the
    IST stacks' (#DF, NMI, #MC)."""
    pages: List[u64] = [arch_boot_stack_guard()]
    for i in range(u64(0), IST_STACKS):
        pages.append(ist_guard_page(i))
    return pages


def arch_probe_stack_overflow(top: u64) -> None:
    """Move the stack pointer to top (a fresh kernel stack) and run off its end (`asterpy.fault=so`)."""
    # Push until the guard page below the stack stops it: the CPU cannot push the page fault's
    # frame either, so this ends in a double fault (on its own IST stack) with CR2 in the guard.
    asm("movq $0, %rsp\n1: pushq %rbp\n jmp 1b", "r,~{memory}", top)


def arch_probe_exec(va: u64) -> None:
    """Execute at va (a W^X probe that must fault)."""
    probe_exec(va)


def arch_clock_name() -> str:
    """Name of the counter behind the monotonic clock, for the boot log."""
    return "tsc"


def arch_clock_calibrate() -> u64:
    """Measure the monotonic counter's rate in Hz (0: nothing to measure against)."""
    return tsc_calibrate()


def arch_clock_start(hz: u64) -> None:
    """Start the monotonic clock on the counter running at hz."""
    clock_init(hz)


@export("kpy_monotonic_ns")  # the kernel log's timestamps (asterpy.kernel.log)
def arch_monotonic_ns() -> u64:
    """Nanoseconds since arch_clock_start."""
    return monotonic_ns()


def arch_rtc_seconds() -> i64:
    """Wall-clock time from the real-time clock, seconds since 1970 UTC (0: no RTC)."""
    return rtc_read_unix()


def arch_timer_init(direct_map: u64, clock_hz: u64) -> None:
    """Set up the interrupt controller and the timer (not yet ticking); print what was found."""
    pic_disable()
    lapic_init(direct_map)
    rate = lapic_timer_calibrate(clock_hz)
    kinfo(f"apic: timer {rate // 1000} kHz, {TIMER_HZ} Hz on vector 32")


def arch_timer_start(hz: u64) -> None:
    """Make the timer interrupt hz times a second."""
    lapic_timer_start(hz)


def arch_enable_interrupts() -> bool:
    """Enable interrupts if trap entry can take them; otherwise say why not and return False."""
    # sti only with an IDT whose gates cover the timer: without one, the first tick would
    # triple-fault. The arch's trap code loads it before kernel_main when it is there.
    if idt_loaded(IDT_MIN_VECTORS):
        interrupts_enable()
        return True
    kwarn("timer: no IDT loaded: interrupts stay off")
    return False


def arch_tick_count() -> u64:
    """Timer interrupts taken so far."""
    return tick_count()


def arch_exit(status: u8) -> None:
    """Power off with an exit status (QEMU isa-debug-exit); returns if there is no such device."""
    qemu_exit(status)


def arch_panic_end() -> None:
    """The end of a kernel panic after its message: `asterpy.exit=1` reports FAIL, else `panic=N` decides."""
    fatal_halt()


# Device access for drivers (asterpy.drivers): PCI configuration space, DMA ordering, spin hints.
from arch.x86_64.pci_cfg import pci_cfg_present, pci_cfg_read32, pci_cfg_write32  # noqa: E402


def arch_pci_present() -> bool:
    """Whether PCI configuration space can be reached (mechanism #1 answers)."""
    return pci_cfg_present()


def arch_pci_read32(bus: u64, dev: u64, fn: u64, off: u64) -> u32:
    """The configuration dword at off of bus:dev.fn."""
    return pci_cfg_read32(bus, dev, fn, off)


def arch_pci_write32(bus: u64, dev: u64, fn: u64, off: u64, v: u32) -> None:
    """Write the configuration dword at off of bus:dev.fn."""
    pci_cfg_write32(bus, dev, fn, off, v)


# The interrupt vector of the virtio disks' MSI-X messages: the first above the legacy IRQ range
# (32..47), dispatched by traps.py to asterpy.drivers.virtio_blk.
ARCH_DISK_VECTOR: Final = u64(48)
# MSI messages go to the local APIC's window (Intel SDM vol. 3, 11.11.1): physical destination.
MSI_ADDRESS_BASE: Final = u64(0xFEE00000)


def arch_msi_address() -> u64:
    """The MSI message address that interrupts this CPU (0: the arch has no MSI)."""
    return MSI_ADDRESS_BASE | (u64(lapic_id()) << 12)


def arch_msi_data(vector: u64) -> u32:
    """The MSI message data for vector: fixed delivery, edge triggered."""
    return u32(vector & 0xFF)


def arch_dma_barrier() -> None:
    """Order memory accesses a device sees (ring entries before the index publishing them): a full fence."""
    memory_barrier()


def arch_cpu_relax() -> None:
    """The spin-loop hint while polling a device."""
    cpu_relax()


# The console terminal's byte I/O (asterpy.drivers.tty). Imported here, apart from the rest, so
# that this block stays one separate edit: the module has no import-order needs.
from arch.x86_64.serial import serial_getc, serial_present, serial_putc  # noqa: E402


def arch_console_getc() -> i64:
    """The next byte received on the console UART, COM1 (port 0x3F8); -1 when none is waiting."""
    # Polled (tty_poll_input from the timer tick and the idle loop); no receive interrupt yet.
    return serial_getc()


def arch_console_putc_raw(c: u8) -> None:
    """Send one byte to the console UART exactly as given (no LF to CR LF: the tty's OPOST does it)."""
    if serial_present():
        serial_putc(c)


# ---- user mode: forwarders to the x86_64 user-mode modules -----------------------------------------

def arch_signal_frame_push(p: Caller, frame: u64, info: SigInfo, handler: u64, restorer: u64,
                           stack_top: u64, old_mask: u64, alt_sp: u64, alt_size: u64, alt_flags: u64) -> None:
    """Build a signal frame on the user stack and aim the user frame at the handler (EFAULT)."""
    signal_frame.arch_signal_frame_push(p, frame, info, handler, restorer, stack_top, old_mask, alt_sp,
                                        alt_size, alt_flags)


def arch_signal_frame_pop(p: Caller, frame: u64) -> u64:
    """rt_sigreturn: restore the registers a signal frame saved; the blocked mask saved with them."""
    return signal_frame.arch_signal_frame_pop(p, frame)


def cpu_hwcap() -> u64:
    """AT_HWCAP for user programs."""
    return usermode.cpu_hwcap()


def set_fs_base(v: u64) -> None:
    """Load the user TLS base (FS)."""
    usermode.set_fs_base(v)


def arch_user_mode_init() -> None:
    """Make user mode possible on this CPU: the SYSCALL MSRs and the per-CPU GS set-up."""
    syscall_entry.syscall_init()
    usermode.user_mode_init()


def rdrand_available() -> bool:
    """Whether the CPU has a hardware random number instruction (RDRAND)."""
    return usermode.rdrand_available()


def rdrand64() -> u64:
    """64 random bits from RDRAND (0 if it failed)."""
    return usermode.rdrand64()


def rdtsc64() -> u64:
    """The cycle counter (an entropy source too)."""
    return usermode.rdtsc64()


# User mode's CPU side (MSRs, the SYSCALL entry stub, signal frames): low-half modules that work
# on a Caller, never on the task layer (docs/architecture.md).
import arch.x86_64.syscall as syscall_entry  # noqa: E402
import arch.x86_64.signal_frame as signal_frame  # noqa: E402
import arch.x86_64.usermode as usermode  # noqa: E402
