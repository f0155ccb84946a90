"""What the arch's boot code learnt from the boot loader, in one arch-neutral struct."""

from typing import Final

from asterpy.lang import Array, struct, u32, u64

# How the kernel was entered (BootInfo.protocol).
PROTO_UNKNOWN: Final = u32(0)
PROTO_MULTIBOOT1: Final = u32(1)
PROTO_MULTIBOOT2: Final = u32(2)
PROTO_PVH: Final = u32(3)

# Which architecture filled it in (BootInfo.arch).
ARCH_X86_64: Final = u32(1)
ARCH_RISCV64: Final = u32(2)
ARCH_LOONGARCH64: Final = u32(3)

# Memory region kinds, numbered as in the E820 / multiboot / PVH memory maps (all three agree).
MEM_USABLE: Final = u32(1)
MEM_RESERVED: Final = u32(2)
MEM_ACPI_RECLAIMABLE: Final = u32(3)
MEM_ACPI_NVS: Final = u32(4)
MEM_BAD: Final = u32(5)

MAX_REGIONS: Final = 64
MAX_MODULES: Final = 8
# Ranges of physical memory the boot loader's data occupies (info structures, command line,
# memory map, modules, module strings): the frame allocator must not hand them out.
MAX_RESERVED: Final = 24


@struct
class MemRegion:
    """One entry of the physical memory map: [base, base + length) of a MEM_* kind."""

    base: u64
    length: u64
    kind: u32
    flags: u32


@struct
class BootModule:
    """A file the boot loader loaded (initrd): physical [start, end) and its command line."""

    start: u64
    end: u64
    cmdline: u64       # physical address of a NUL-terminated string, 0 if none
    cmdline_len: u64


@struct
class PhysRange:
    """A physical address range [start, end)."""

    start: u64
    end: u64


@struct
class BootInfo:
    """The boot loader's facts in arch-neutral form; filled by arch code before kernel_main."""

    arch: u32
    protocol: u32
    region_count: u32
    module_count: u32
    reserved_count: u32
    # Entries beyond MAX_REGIONS / MAX_MODULES / MAX_RESERVED that did not fit and were dropped.
    dropped: u32
    regions: Array[MemRegion, 64]
    modules: Array[BootModule, 8]
    reserved: Array[PhysRange, 24]
    cmdline: u64       # physical address of the command line (not NUL-terminated here), 0 if none
    cmdline_len: u64
    kernel_start: u64  # physical bounds of the loaded kernel image (text to end of .bss)
    kernel_end: u64
    direct_map: u64    # virtual address of physical 0 in the kernel's direct map


# The one instance: arch boot code fills it through the functions below, then calls kernel_main.
boot_info: BootInfo = BootInfo()


def bootinfo_reset(arch: u32, protocol: u32, direct_map: u64) -> None:
    """Start a fresh boot_info for a boot through `protocol` on `arch`."""
    # Reset in place, never rebind: other modules imported the object itself under CPython,
    # while natively every reference is the one global.
    boot_info.arch = arch
    boot_info.protocol = protocol
    boot_info.region_count = u32(0)
    boot_info.module_count = u32(0)
    boot_info.reserved_count = u32(0)
    boot_info.dropped = u32(0)
    boot_info.cmdline = u64(0)
    boot_info.cmdline_len = u64(0)
    boot_info.kernel_start = u64(0)
    boot_info.kernel_end = u64(0)
    boot_info.direct_map = direct_map


def set_kernel_range(start: u64, end: u64) -> None:
    """Record the physical bounds of the kernel image."""
    boot_info.kernel_start = start
    boot_info.kernel_end = end


def set_cmdline(addr: u64, length: u64) -> None:
    """Record the command line: physical address and length in bytes (no NUL)."""
    boot_info.cmdline = addr
    boot_info.cmdline_len = length


def protocol_name(p: u32) -> str:
    """Human name of a PROTO_* value."""
    if p == PROTO_MULTIBOOT1:
        return "multiboot1"
    if p == PROTO_MULTIBOOT2:
        return "multiboot2"
    if p == PROTO_PVH:
        return "pvh"
    return "unknown"


def arch_name(a: u32) -> str:
    """Human name of an ARCH_* value."""
    if a == ARCH_X86_64:
        return "x86_64"
    if a == ARCH_RISCV64:
        return "riscv64"
    if a == ARCH_LOONGARCH64:
        return "loongarch64"
    return "unknown"


def add_region(base: u64, length: u64, kind: u32) -> None:
    """Append a memory-map entry (dropping it, and counting the drop, when the table is full)."""
    if length == 0:
        return
    if base + length < base:
        length = ~base  # clamp an entry that wraps at the top of the address space
    n = boot_info.region_count
    if n >= MAX_REGIONS:
        boot_info.dropped += 1
        return
    boot_info.regions[n].base = base
    boot_info.regions[n].length = length
    boot_info.regions[n].kind = kind
    boot_info.regions[n].flags = u32(0)
    boot_info.region_count = n + 1


def add_module(start: u64, end: u64, cmdline: u64, cmdline_len: u64) -> None:
    """Append a boot module (dropping it, and counting the drop, when the table is full)."""
    n = boot_info.module_count
    if n >= MAX_MODULES:
        boot_info.dropped += 1
        return
    boot_info.modules[n].start = start
    boot_info.modules[n].end = end
    boot_info.modules[n].cmdline = cmdline
    boot_info.modules[n].cmdline_len = cmdline_len
    boot_info.module_count = n + 1


def add_reserved(start: u64, end: u64) -> None:
    """Record a physical range the boot loader's data occupies (widening the last when full)."""
    if end <= start:
        return
    n = boot_info.reserved_count
    if n >= MAX_RESERVED:
        # Never lose a reservation: widen the last one instead (a few wasted frames are safe).
        if start < boot_info.reserved[MAX_RESERVED - 1].start:
            boot_info.reserved[MAX_RESERVED - 1].start = start
        if end > boot_info.reserved[MAX_RESERVED - 1].end:
            boot_info.reserved[MAX_RESERVED - 1].end = end
        return
    boot_info.reserved[n].start = start
    boot_info.reserved[n].end = end
    boot_info.reserved_count = n + 1


def usable_bytes() -> u64:
    """Total length of the MEM_USABLE regions."""
    total = u64(0)
    for i in range(u32(0), boot_info.region_count):
        if boot_info.regions[i].kind == MEM_USABLE:
            total += boot_info.regions[i].length
    return total
