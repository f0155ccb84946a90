"""x86 PCI configuration mechanism #1: CONFIG_ADDRESS at port 0xCF8, CONFIG_DATA at 0xCFC."""

from typing import Final

from asterpy.lang import u16, u32, u64
from asterpy.lang.intrinsics import inl, outl

CONFIG_ADDRESS: Final = u16(0xCF8)
CONFIG_DATA: Final = u16(0xCFC)
CONFIG_ENABLE: Final = u32(0x80000000)


def config_address(bus: u64, dev: u64, fn: u64, off: u64) -> u32:
    """The CONFIG_ADDRESS value selecting the dword at off of bus:dev.fn."""
    return CONFIG_ENABLE | u32((bus & 0xFF) << 16) | u32((dev & 0x1F) << 11) | u32((fn & 7) << 8) | u32(off & 0xFC)


def pci_cfg_present() -> bool:
    """Whether the mechanism answers: CONFIG_ADDRESS reads back what was written (a board without
    PCI, such as microvm, decodes neither port and reads all ones)."""
    outl(CONFIG_ADDRESS, CONFIG_ENABLE)
    return inl(CONFIG_ADDRESS) == CONFIG_ENABLE


def pci_cfg_read32(bus: u64, dev: u64, fn: u64, off: u64) -> u32:
    """The aligned configuration dword at off of bus:dev.fn."""
    outl(CONFIG_ADDRESS, config_address(bus, dev, fn, off))
    return inl(CONFIG_DATA)


def pci_cfg_write32(bus: u64, dev: u64, fn: u64, off: u64, v: u32) -> None:
    """Write the aligned configuration dword at off of bus:dev.fn."""
    outl(CONFIG_ADDRESS, config_address(bus, dev, fn, off))
    outl(CONFIG_DATA, v)
