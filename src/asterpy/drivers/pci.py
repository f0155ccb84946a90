"""PCI: bus enumeration, BARs and capabilities, over the arch's configuration access (x86: ports 0xCF8/0xCFC).

The kernel enumerates what the firmware set up (SeaBIOS on QEMU's pc machine assigns every BAR):
it reads BARs, never moves them. Configuration dwords come from kernel_arch (arch_pci_read32:
mechanism #1 on x86_64; riscv64 and loongarch64 report no PCI until ECAM is written).
"""

from typing import Final

from asterpy.lang import List, u8, u16, u32, u64
from kernel_arch import arch_pci_present, arch_pci_read32, arch_pci_write32

# Configuration-space offsets (PCI Local Bus spec, type 0 header).
PCI_VENDOR_ID: Final = u64(0x00)
PCI_DEVICE_ID: Final = u64(0x02)
PCI_COMMAND: Final = u64(0x04)
PCI_STATUS: Final = u64(0x06)
PCI_HEADER_TYPE: Final = u64(0x0E)
PCI_BAR0: Final = u64(0x10)
PCI_SUBSYSTEM_ID: Final = u64(0x2E)
PCI_CAP_PTR: Final = u64(0x34)

COMMAND_MEMORY: Final = u16(1 << 1)
COMMAND_BUS_MASTER: Final = u16(1 << 2)
COMMAND_INTX_DISABLE: Final = u16(1 << 10)
STATUS_CAP_LIST: Final = u16(1 << 4)
HEADER_MULTI_FUNCTION: Final = u8(0x80)
HEADER_KIND_MASK: Final = u8(0x7F)
HEADER_BRIDGE: Final = u8(1)
# A bridge's primary, secondary and subordinate bus numbers (bytes 0, 1, 2).
PCI_BRIDGE_BUSES: Final = u64(0x18)

BAR_IO: Final = u32(1)
BAR_TYPE_MASK: Final = u32(0x6)
BAR_TYPE_64: Final = u32(0x4)
BAR_MEM_MASK: Final = u64(0xFFFFFFFFFFFFFFF0)

NO_VENDOR: Final = u16(0xFFFF)


class PciDevice:
    """One function found on the bus: its address and identity."""

    bus: u64
    dev: u64
    fn: u64
    vendor: u16
    device: u16

    def __init__(self, bus: u64, dev: u64, fn: u64, vendor: u16, device: u16) -> None:
        """The function bus:dev.fn with those ids."""
        self.bus = bus
        self.dev = dev
        self.fn = fn
        self.vendor = vendor
        self.device = device

    def read32(self, off: u64) -> u32:
        """The aligned 32-bit register at off of its configuration space."""
        return pci_read32(self.bus, self.dev, self.fn, off)

    def read16(self, off: u64) -> u16:
        """The 16-bit register at off."""
        return u16(self.read32(off & ~u64(3)) >> u32((off & 2) * 8))

    def read8(self, off: u64) -> u8:
        """The byte at off."""
        return u8(self.read32(off & ~u64(3)) >> u32((off & 3) * 8))

    def write16(self, off: u64, v: u16) -> None:
        """Write the 16-bit register at off (the other half of its dword is written back unchanged)."""
        old = self.read32(off & ~u64(3))
        shift = u32((off & 2) * 8)
        new = (old & ~(u32(0xFFFF) << shift)) | (u32(v) << shift)
        pci_write32(self.bus, self.dev, self.fn, off & ~u64(3), new)

    def bar_address(self, i: u64) -> u64:
        """The physical address memory BAR i decodes (64-bit BARs span two slots); 0 for an I/O or unset BAR."""
        if i > 5:
            return u64(0)
        lo = self.read32(PCI_BAR0 + i * 4)
        if (lo & BAR_IO) != 0:
            return u64(0)
        addr = u64(lo) & BAR_MEM_MASK & u64(0xFFFFFFFF)
        if (lo & BAR_TYPE_MASK) == BAR_TYPE_64 and i < 5:
            addr |= u64(self.read32(PCI_BAR0 + (i + 1) * 4)) << 32
        return addr

    def enable_mmio_dma(self) -> None:
        """Let the function decode its memory BARs and master the bus (DMA); INTx off (MSI-X or polling instead)."""
        cmd = self.read16(PCI_COMMAND)
        self.write16(PCI_COMMAND, cmd | COMMAND_MEMORY | COMMAND_BUS_MASTER | COMMAND_INTX_DISABLE)

    def first_capability(self) -> u64:
        """Offset of the first capability in configuration space, 0 if it has none."""
        if (self.read16(PCI_STATUS) & STATUS_CAP_LIST) == 0:
            return u64(0)
        return u64(self.read8(PCI_CAP_PTR) & 0xFC)

    def next_capability(self, off: u64) -> u64:
        """Offset of the capability after the one at off, 0 at the end."""
        return u64(self.read8(off + 1) & 0xFC)


def pci_read32(bus: u64, dev: u64, fn: u64, off: u64) -> u32:
    """A 32-bit configuration register."""
    return arch_pci_read32(bus, dev, fn, off)


def pci_write32(bus: u64, dev: u64, fn: u64, off: u64, v: u32) -> None:
    """Write a 32-bit configuration register."""
    arch_pci_write32(bus, dev, fn, off, v)


def scan_bus(bus: u64, found: List[PciDevice], depth: u64) -> None:
    """Append every function on bus, and on the buses behind its PCI-to-PCI bridges."""
    for dev in range(u64(0), u64(32)):
        id0 = pci_read32(bus, dev, u64(0), PCI_VENDOR_ID)
        if u16(id0) == NO_VENDOR:
            continue
        fns = u64(1)
        if (header_type(bus, dev, u64(0)) & HEADER_MULTI_FUNCTION) != 0:
            fns = u64(8)
        for fn in range(u64(0), fns):
            ids = pci_read32(bus, dev, fn, PCI_VENDOR_ID)
            if u16(ids) == NO_VENDOR:
                continue
            found.append(PciDevice(bus, dev, fn, u16(ids), u16(ids >> 16)))
            if (header_type(bus, dev, fn) & HEADER_KIND_MASK) == HEADER_BRIDGE and depth < 8:
                secondary = u64(u8(pci_read32(bus, dev, fn, PCI_BRIDGE_BUSES) >> 8))
                if secondary > bus:
                    scan_bus(secondary, found, depth + 1)


def header_type(bus: u64, dev: u64, fn: u64) -> u8:
    """The header type byte of bus:dev.fn (bit 7: multi-function)."""
    return u8(pci_read32(bus, dev, fn, PCI_HEADER_TYPE & ~u64(3)) >> 16)


def pci_scan() -> List[PciDevice]:
    """Every function reachable from bus 0 (none when the arch has no configuration access)."""
    found: List[PciDevice] = []
    if arch_pci_present():
        scan_bus(u64(0), found, u64(0))
    return found
