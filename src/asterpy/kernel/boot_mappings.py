"""The kernel_arch paging entries of an arch that keeps its boot shim's mappings (no kernel page tables yet).

riscv64 and loongarch64 set `ARCH_HAS_PAGING = False` and re-export these from their kernel_arch:
kernel_main then never builds kernel tables on them, but the interface stays complete (docs/arch.md).
"""

from asterpy.lang import u64
from asterpy.mm.paging import AddressSpace


def arch_paging_cpu_init() -> bool:
    """Prepare the CPU for the kernel's tables (not used while ARCH_HAS_PAGING is False)."""
    return True


def arch_text_start() -> u64:
    """Virtual start of .text."""
    return u64(0)


def arch_text_end() -> u64:
    """Virtual end of .text."""
    return u64(0)


def arch_rodata_start() -> u64:
    """Virtual start of .rodata."""
    return u64(0)


def arch_rodata_end() -> u64:
    """Virtual end of .rodata."""
    return u64(0)


def arch_data_start() -> u64:
    """Virtual start of .data."""
    return u64(0)


def arch_bss_end() -> u64:
    """Virtual end of .bss."""
    return u64(0)


def arch_map_devices(space: AddressSpace, direct_map: u64) -> None:
    """Map device registers into the kernel tables (nothing to map: the boot mappings reach them)."""


def arch_load_root(phys: u64) -> None:
    """Switch page tables (not used while ARCH_HAS_PAGING is False)."""


def arch_probe_write(va: u64) -> None:
    """W^X write probe (not used while ARCH_HAS_PAGING is False)."""


def arch_probe_exec(va: u64) -> None:
    """W^X execute probe (not used while ARCH_HAS_PAGING is False)."""
