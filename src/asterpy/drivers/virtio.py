"""virtio 1.x: the transport interface, the modern PCI transport and the split virtqueue.

A device driver (virtio_blk) talks to a `VirtioTransport` only: status, features, queue set-up,
notification, device configuration. `VirtioPciTransport` implements it over the modern PCI
capabilities (common, notify, ISR, device configuration; virtio 1.2 section 4.1); a virtio-mmio
transport (section 4.2, for microvm and the riscv64 virt board) implements the same methods over its register block (`VirtioMmioTransport`, version 2 only). `Virtqueue` is the split ring of section 2.7: descriptor
table, available and used rings, in kernel heap memory whose physical addresses the device uses.

Queue interrupts are MSI-X messages where the transport and the arch have them (setup_interrupt);
a driver polls the used ring otherwise (docs/drivers.md).
"""

from typing import Final

from asterpy.lang import (
    List, Ptr, SysError, memset, mmio_read8, mmio_read16, mmio_read32, mmio_write8,
    mmio_write16, mmio_write32, u8, u16, u32, u64, volatile_load,
)
from asterpy.lang.errno import EIO, ENODEV, ENOMEM, ENOSPC
from asterpy.drivers.pci import PciDevice
from asterpy.mm.heap import kfree, kmalloc
from asterpy.mm.ioremap import ioremap, virt_to_phys
from kernel_arch import arch_dma_barrier

VIRTIO_VENDOR: Final = u16(0x1AF4)
# PCI device ids: 0x1040 + the virtio device id (modern), 0x1000..0x103F (transitional).
PCI_MODERN_BASE: Final = u16(0x1040)
PCI_TRANSITIONAL_BLK: Final = u16(0x1001)
VIRTIO_ID_BLOCK: Final = u16(2)

# Device status bits (section 2.1).
STATUS_ACKNOWLEDGE: Final = u8(1)
STATUS_DRIVER: Final = u8(2)
STATUS_DRIVER_OK: Final = u8(4)
STATUS_FEATURES_OK: Final = u8(8)
STATUS_NEEDS_RESET: Final = u8(64)
STATUS_FAILED: Final = u8(128)

# Feature bits every driver negotiates (section 6).
F_VERSION_1: Final = u64(1) << 32

# PCI capability (cfg_type values, section 4.1.4).
PCI_CAP_VENDOR: Final = u8(0x09)
PCI_CAP_MSIX: Final = u8(0x11)
# MSI-X capability: message control (table size - 1 in bits 0..10, function mask, enable), and the
# table's BAR and offset; 16-byte table entries (address low, high, data, vector control).
MSIX_CONTROL: Final = u64(2)
MSIX_TABLE: Final = u64(4)
MSIX_ENABLE: Final = u16(1 << 15)
MSIX_FUNCTION_MASK: Final = u16(1 << 14)
MSIX_ENTRY_BYTES: Final = u64(16)
CAP_COMMON: Final = u8(1)
CAP_NOTIFY: Final = u8(2)
CAP_ISR: Final = u8(3)
CAP_DEVICE: Final = u8(4)

# Common configuration registers (struct virtio_pci_common_cfg).
CC_DEVICE_FEATURE_SELECT: Final = u64(0)
CC_DEVICE_FEATURE: Final = u64(4)
CC_DRIVER_FEATURE_SELECT: Final = u64(8)
CC_DRIVER_FEATURE: Final = u64(12)
CC_MSIX_CONFIG: Final = u64(16)
CC_NUM_QUEUES: Final = u64(18)
CC_DEVICE_STATUS: Final = u64(20)
CC_CONFIG_GENERATION: Final = u64(21)
CC_QUEUE_SELECT: Final = u64(22)
CC_QUEUE_SIZE: Final = u64(24)
CC_QUEUE_MSIX_VECTOR: Final = u64(26)
CC_QUEUE_ENABLE: Final = u64(28)
CC_QUEUE_NOTIFY_OFF: Final = u64(30)
CC_QUEUE_DESC: Final = u64(32)
CC_QUEUE_DRIVER: Final = u64(40)
CC_QUEUE_DEVICE: Final = u64(48)
NO_VECTOR: Final = u16(0xFFFF)

# Split virtqueue layout (section 2.7).
DESC_SIZE: Final = u64(16)
DESC_F_NEXT: Final = u16(1)
DESC_F_WRITE: Final = u16(2)
# Descriptor chain end / empty free list.
NO_DESC: Final = u16(0xFFFF)
# The most descriptors a queue of ours has (a device may offer more; fewer is always allowed).
MAX_QUEUE: Final = u16(128)


class VirtioTransport:
    """How a virtio driver reaches its device, whatever the bus (PCI here, MMIO later)."""

    def get_status(self) -> u8:
        """The device status byte."""
        return u8(0)

    def set_status(self, s: u8) -> None:
        """Write the device status byte (0 resets the device)."""
        return None

    def device_features(self) -> u64:
        """The 64 feature bits the device offers."""
        return u64(0)

    def set_driver_features(self, f: u64) -> None:
        """Tell the device which features the driver accepts."""
        return None

    def queue_max(self, q: u16) -> u16:
        """Largest size of queue q (0: no such queue)."""
        return u16(0)

    def queue_setup(self, q: u16, size: u16, desc: u64, driver: u64, device: u64) -> None:
        """Give queue q its size and the physical addresses of its three parts, and enable it."""
        return None

    def notify(self, q: u16) -> None:
        """Tell the device that queue q has new available buffers."""
        return None

    def setup_interrupt(self, address: u64, data: u32) -> None:
        """Ask for an interrupt (a message of data written to address) when a queue set up from
        now on has used buffers; nothing if the transport cannot (then interrupts_on() is False)."""
        return None

    def interrupts_on(self) -> bool:
        """Whether the queues set up will interrupt (else the driver polls the used ring)."""
        return False

    def config_read8(self, off: u64) -> u8:
        """A byte of the device-specific configuration."""
        return u8(0)

    def config_read32(self, off: u64) -> u32:
        """A 32-bit field of the device-specific configuration."""
        return u32(0)

    def config_read64(self, off: u64) -> u64:
        """A 64-bit field of the device-specific configuration, read consistently (generation counter)."""
        return u64(0)

    def reset(self) -> None:
        """Reset the device and wait until it says it is done (status reads 0)."""
        self.set_status(u8(0))
        spins = u64(0)
        while self.get_status() != 0 and spins < u64(1000000):
            spins += 1


class VirtioPciTransport(VirtioTransport):
    """The modern (virtio 1.x) PCI transport: registers found through vendor capabilities."""

    pci: PciDevice
    common: u64       # kernel addresses of the mapped structures (0: absent)
    notify_base: u64
    notify_mult: u32
    isr: u64
    device_cfg: u64
    msix_cap: u64     # configuration-space offset of the MSI-X capability (0: none)
    msix: bool        # MSI-X table entry 0 programmed and enabled: queues use vector 0

    def __init__(self, pci: PciDevice) -> None:
        """Map the capabilities' structures of pci (ENODEV if one the driver needs is missing)."""
        self.pci = pci
        self.common = u64(0)
        self.notify_base = u64(0)
        self.notify_mult = u32(0)
        self.isr = u64(0)
        self.device_cfg = u64(0)
        self.msix_cap = u64(0)
        self.msix = False
        pci.enable_mmio_dma()
        off = pci.first_capability()
        hops = u64(0)
        while off != 0 and hops < u64(48):
            hops += 1
            if pci.read8(off) == PCI_CAP_VENDOR:
                self.map_capability(off)
            elif pci.read8(off) == PCI_CAP_MSIX and self.msix_cap == 0:
                self.msix_cap = off
            off = pci.next_capability(off)
        if self.common == 0 or self.notify_base == 0 or self.device_cfg == 0:
            raise SysError(ENODEV)

    def map_capability(self, off: u64) -> None:
        """Map the structure a virtio_pci_cap at off describes (the first of each kind counts)."""
        kind = self.pci.read8(off + 3)
        bar = u64(self.pci.read8(off + 4))
        where = u64(self.pci.read32(off + 8))
        length = u64(self.pci.read32(off + 12))
        if kind < CAP_COMMON or kind > CAP_DEVICE or length == 0:
            return
        base = self.pci.bar_address(bar)
        if base == 0:
            return
        va = ioremap(base + where, length)
        if kind == CAP_COMMON and self.common == 0:
            self.common = va
        elif kind == CAP_NOTIFY and self.notify_base == 0:
            self.notify_base = va
            self.notify_mult = self.pci.read32(off + 16)
        elif kind == CAP_ISR and self.isr == 0:
            self.isr = va
        elif kind == CAP_DEVICE and self.device_cfg == 0:
            self.device_cfg = va

    def setup_interrupt(self, address: u64, data: u32) -> None:
        """Program MSI-X table entry 0 with the message and enable MSI-X (the configuration change
        vector stays off); nothing without an MSI-X capability or a message address."""
        cap = self.msix_cap
        if cap == 0 or address == 0:
            return
        where = self.pci.read32(cap + MSIX_TABLE)
        base = self.pci.bar_address(u64(where & 7))
        if base == 0:
            return
        table = ioremap(base + u64(where & ~u32(7)), MSIX_ENTRY_BYTES)
        mmio_write32(table + 12, u32(1))                     # masked while it is written
        mmio_write32(table, u32(address & 0xFFFFFFFF))
        mmio_write32(table + 4, u32(address >> 32))
        mmio_write32(table + 8, data)
        mmio_write32(table + 12, u32(0))
        ctl = self.pci.read16(cap + MSIX_CONTROL)
        self.pci.write16(cap + MSIX_CONTROL, (ctl | MSIX_ENABLE) & ~MSIX_FUNCTION_MASK)
        mmio_write16(self.common + CC_MSIX_CONFIG, NO_VECTOR)
        self.msix = True

    def interrupts_on(self) -> bool:
        """Whether MSI-X is on and the device took vector 0 for the queues set up so far."""
        return self.msix

    def get_status(self) -> u8:
        """device_status."""
        return mmio_read8(self.common + CC_DEVICE_STATUS)

    def set_status(self, s: u8) -> None:
        """Write device_status."""
        mmio_write8(self.common + CC_DEVICE_STATUS, s)

    def device_features(self) -> u64:
        """Both 32-bit halves of device_feature."""
        mmio_write32(self.common + CC_DEVICE_FEATURE_SELECT, u32(0))
        lo = u64(mmio_read32(self.common + CC_DEVICE_FEATURE))
        mmio_write32(self.common + CC_DEVICE_FEATURE_SELECT, u32(1))
        hi = u64(mmio_read32(self.common + CC_DEVICE_FEATURE))
        return lo | (hi << 32)

    def set_driver_features(self, f: u64) -> None:
        """Both halves of driver_feature."""
        mmio_write32(self.common + CC_DRIVER_FEATURE_SELECT, u32(0))
        mmio_write32(self.common + CC_DRIVER_FEATURE, u32(f & 0xFFFFFFFF))
        mmio_write32(self.common + CC_DRIVER_FEATURE_SELECT, u32(1))
        mmio_write32(self.common + CC_DRIVER_FEATURE, u32(f >> 32))

    def queue_max(self, q: u16) -> u16:
        """queue_size of queue q as the device offers it."""
        if q >= mmio_read16(self.common + CC_NUM_QUEUES):
            return u16(0)
        mmio_write16(self.common + CC_QUEUE_SELECT, q)
        return mmio_read16(self.common + CC_QUEUE_SIZE)

    def queue_setup(self, q: u16, size: u16, desc: u64, driver: u64, device: u64) -> None:
        """Program queue q (MSI-X vector 0 when setup_interrupt succeeded) and enable it."""
        c = self.common
        mmio_write16(c + CC_QUEUE_SELECT, q)
        mmio_write16(c + CC_QUEUE_SIZE, size)
        if self.msix:
            mmio_write16(c + CC_QUEUE_MSIX_VECTOR, u16(0))
            # A device that cannot map the vector answers NO_VECTOR (section 4.1.5.1.2): poll.
            if mmio_read16(c + CC_QUEUE_MSIX_VECTOR) != 0:
                self.msix = False
        if not self.msix:
            mmio_write16(c + CC_QUEUE_MSIX_VECTOR, NO_VECTOR)
        write64(c + CC_QUEUE_DESC, desc)
        write64(c + CC_QUEUE_DRIVER, driver)
        write64(c + CC_QUEUE_DEVICE, device)
        mmio_write16(c + CC_QUEUE_ENABLE, u16(1))

    def notify(self, q: u16) -> None:
        """Write the queue's index at its notification address."""
        mmio_write16(self.common + CC_QUEUE_SELECT, q)
        off = u64(mmio_read16(self.common + CC_QUEUE_NOTIFY_OFF)) * u64(self.notify_mult)
        mmio_write16(self.notify_base + off, q)

    def config_read8(self, off: u64) -> u8:
        """A byte of the device configuration structure."""
        return mmio_read8(self.device_cfg + off)

    def config_read32(self, off: u64) -> u32:
        """A 32-bit field of the device configuration structure."""
        return mmio_read32(self.device_cfg + off)

    def config_read64(self, off: u64) -> u64:
        """A 64-bit field, read as two halves until config_generation stays the same (section 4.1.4.3)."""
        while True:
            gen = mmio_read8(self.common + CC_CONFIG_GENERATION)
            lo = u64(mmio_read32(self.device_cfg + off))
            hi = u64(mmio_read32(self.device_cfg + off + 4))
            if mmio_read8(self.common + CC_CONFIG_GENERATION) == gen:
                return lo | (hi << 32)


# virtio-mmio registers (section 4.2.2), offsets in the device's register page.
MMIO_MAGIC: Final = u64(0x000)
MMIO_VERSION: Final = u64(0x004)
MMIO_DEVICE_ID: Final = u64(0x008)
MMIO_DEVICE_FEATURES: Final = u64(0x010)
MMIO_DEVICE_FEATURES_SEL: Final = u64(0x014)
MMIO_DRIVER_FEATURES: Final = u64(0x020)
MMIO_DRIVER_FEATURES_SEL: Final = u64(0x024)
MMIO_QUEUE_SEL: Final = u64(0x030)
MMIO_QUEUE_NUM_MAX: Final = u64(0x034)
MMIO_QUEUE_NUM: Final = u64(0x038)
MMIO_QUEUE_READY: Final = u64(0x044)
MMIO_QUEUE_NOTIFY: Final = u64(0x050)
MMIO_STATUS: Final = u64(0x070)
MMIO_QUEUE_DESC: Final = u64(0x080)
MMIO_QUEUE_DRIVER: Final = u64(0x090)
MMIO_QUEUE_DEVICE: Final = u64(0x0A0)
MMIO_CONFIG_GENERATION: Final = u64(0x0FC)
MMIO_CONFIG: Final = u64(0x100)
MMIO_MAGIC_VALUE: Final = u32(0x74726976)    # "virt"
MMIO_SIZE: Final = u64(0x200)


class VirtioMmioTransport(VirtioTransport):
    """The virtio-mmio transport, version 2 (virtio 1.x): one register page per device; polled."""

    regs: u64          # kernel address of the register page

    def __init__(self, regs: u64) -> None:
        """A transport over the (mapped) registers at regs; check with device_id() first."""
        self.regs = regs

    def device_id(self) -> u32:
        """The virtio device id (2: block), 0 for an empty slot or a legacy (version 1) device."""
        if mmio_read32(self.regs + MMIO_MAGIC) != MMIO_MAGIC_VALUE:
            return u32(0)
        if mmio_read32(self.regs + MMIO_VERSION) != 2:
            return u32(0)
        return mmio_read32(self.regs + MMIO_DEVICE_ID)

    def get_status(self) -> u8:
        """Status."""
        return u8(mmio_read32(self.regs + MMIO_STATUS))

    def set_status(self, s: u8) -> None:
        """Write Status."""
        mmio_write32(self.regs + MMIO_STATUS, u32(s))

    def device_features(self) -> u64:
        """Both halves of DeviceFeatures."""
        mmio_write32(self.regs + MMIO_DEVICE_FEATURES_SEL, u32(0))
        lo = u64(mmio_read32(self.regs + MMIO_DEVICE_FEATURES))
        mmio_write32(self.regs + MMIO_DEVICE_FEATURES_SEL, u32(1))
        hi = u64(mmio_read32(self.regs + MMIO_DEVICE_FEATURES))
        return lo | (hi << 32)

    def set_driver_features(self, f: u64) -> None:
        """Both halves of DriverFeatures."""
        mmio_write32(self.regs + MMIO_DRIVER_FEATURES_SEL, u32(0))
        mmio_write32(self.regs + MMIO_DRIVER_FEATURES, u32(f & 0xFFFFFFFF))
        mmio_write32(self.regs + MMIO_DRIVER_FEATURES_SEL, u32(1))
        mmio_write32(self.regs + MMIO_DRIVER_FEATURES, u32(f >> 32))

    def queue_max(self, q: u16) -> u16:
        """QueueNumMax of queue q (0: no such queue)."""
        mmio_write32(self.regs + MMIO_QUEUE_SEL, u32(q))
        m = mmio_read32(self.regs + MMIO_QUEUE_NUM_MAX)
        return u16(m) if m <= 0xFFFF else u16(0xFFFF)

    def queue_setup(self, q: u16, size: u16, desc: u64, driver: u64, device: u64) -> None:
        """QueueNum, the three addresses, QueueReady."""
        r = self.regs
        mmio_write32(r + MMIO_QUEUE_SEL, u32(q))
        mmio_write32(r + MMIO_QUEUE_NUM, u32(size))
        write64(r + MMIO_QUEUE_DESC, desc)
        write64(r + MMIO_QUEUE_DRIVER, driver)
        write64(r + MMIO_QUEUE_DEVICE, device)
        mmio_write32(r + MMIO_QUEUE_READY, u32(1))

    def notify(self, q: u16) -> None:
        """QueueNotify."""
        mmio_write32(self.regs + MMIO_QUEUE_NOTIFY, u32(q))

    def config_read8(self, off: u64) -> u8:
        """A byte of the device configuration."""
        return mmio_read8(self.regs + MMIO_CONFIG + off)

    def config_read32(self, off: u64) -> u32:
        """A 32-bit field of the device configuration."""
        return mmio_read32(self.regs + MMIO_CONFIG + off)

    def config_read64(self, off: u64) -> u64:
        """A 64-bit field, two halves read until ConfigGeneration stays the same."""
        while True:
            gen = mmio_read32(self.regs + MMIO_CONFIG_GENERATION)
            lo = u64(mmio_read32(self.regs + MMIO_CONFIG + off))
            hi = u64(mmio_read32(self.regs + MMIO_CONFIG + off + 4))
            if mmio_read32(self.regs + MMIO_CONFIG_GENERATION) == gen:
                return lo | (hi << 32)


def write64(addr: u64, v: u64) -> None:
    """A 64-bit register written as two 32-bit halves, low first (allowed by section 4.1.3.1)."""
    mmio_write32(addr, u32(v & 0xFFFFFFFF))
    mmio_write32(addr + 4, u32(v >> 32))


def is_virtio_block(d: PciDevice) -> bool:
    """Whether d is a virtio block device (modern id 0x1042 or transitional 0x1001)."""
    return d.vendor == VIRTIO_VENDOR and (d.device == PCI_MODERN_BASE + VIRTIO_ID_BLOCK
                                          or d.device == PCI_TRANSITIONAL_BLK)


class Virtqueue:
    """A split virtqueue: descriptors on a free list, the available ring we fill, the used ring the device fills."""

    transport: VirtioTransport
    index: u16
    size: u16
    desc: u64          # kernel addresses of the three parts
    avail: u64
    used: u64
    free_head: u16     # first free descriptor (NO_DESC when none)
    free_count: u16
    avail_idx: u16     # our copy of avail->idx
    last_used: u16     # used->idx up to which completions were taken

    def __init__(self, transport: VirtioTransport, index: u16) -> None:
        """Allocate and register queue `index` of transport (ENODEV: no such queue, ENOMEM)."""
        self.transport = transport
        self.index = index
        size = transport.queue_max(index)
        if size == 0:
            raise SysError(ENODEV)
        if size > MAX_QUEUE:
            size = MAX_QUEUE
        # A power of two, so that ring positions (free-running 16-bit index mod size) stay in
        # step when the index wraps at 65536 (split rings are powers of two anyway).
        p = u16(1)
        while p <= size >> 1:
            p = p << 1
        size = p
        self.size = size
        n = u64(size)
        # The heap is 16-byte aligned and physically contiguous (one run of frames in the
        # direct map): what the spec asks of the descriptor table (16) and the rings (2, 4).
        self.desc = kmalloc(n * DESC_SIZE)
        self.avail = kmalloc(u64(6) + 2 * n)
        self.used = kmalloc(u64(6) + 8 * n)
        if self.desc == 0 or self.avail == 0 or self.used == 0:
            self.release()
            raise SysError(ENOMEM)
        memset(self.desc, 0, n * DESC_SIZE)
        memset(self.avail, 0, u64(6) + 2 * n)
        memset(self.used, 0, u64(6) + 8 * n)
        for i in range(u64(0), n):
            nxt = u16(i + 1) if i + 1 < n else NO_DESC
            Ptr[u16](self.desc + i * DESC_SIZE + 14).store(nxt)
        self.free_head = u16(0)
        self.free_count = size
        self.avail_idx = u16(0)
        self.last_used = u16(0)
        transport.queue_setup(index, size, virt_to_phys(self.desc), virt_to_phys(self.avail),
                              virt_to_phys(self.used))

    def release(self) -> None:
        """Free the ring memory (the device must be reset first)."""
        if self.desc != 0:
            kfree(self.desc)
        if self.avail != 0:
            kfree(self.avail)
        if self.used != 0:
            kfree(self.used)
        self.desc = u64(0)
        self.avail = u64(0)
        self.used = u64(0)

    def add(self, addrs: List[u64], lens: List[u32], writable: List[bool]) -> u16:
        """Chain one descriptor per buffer (physical address, length, device-writable) and make the
        chain available; return its head. ENOSPC when too few descriptors are free."""
        n = u64(len(addrs))
        if n == 0 or n > u64(self.free_count):
            raise SysError(ENOSPC)
        head = self.free_head
        d = head
        for i in range(u64(0), n):
            e = self.desc + u64(d) * DESC_SIZE
            Ptr[u64](e).store(addrs[i])
            Ptr[u32](e + 8).store(lens[i])
            fl = DESC_F_WRITE if writable[i] else u16(0)
            nxt = Ptr[u16](e + 14).load()
            if i + 1 < n:
                fl |= DESC_F_NEXT
            Ptr[u16](e + 12).store(fl)
            if i + 1 < n:
                d = nxt
            else:
                self.free_head = nxt
        self.free_count -= u16(n)
        slot = u64(self.avail_idx % self.size)
        Ptr[u16](self.avail + 4 + slot * 2).store(head)
        # The descriptors and the ring slot must be visible before the index that publishes them.
        arch_dma_barrier()
        self.avail_idx += u16(1)
        Ptr[u16](self.avail + 2).store(self.avail_idx)
        arch_dma_barrier()
        return head

    def kick(self) -> None:
        """Notify the device of what add() published."""
        self.transport.notify(self.index)

    def has_used(self) -> bool:
        """Whether the device has completed a chain not yet taken."""
        return volatile_load(Ptr[u16](self.used + 2)) != self.last_used

    def take_used(self) -> u16:
        """Take the next completed chain (has_used() must be True), free its descriptors; its head."""
        arch_dma_barrier()
        slot = u64(self.last_used % self.size)
        head = u16(Ptr[u32](self.used + 4 + slot * 8).load())
        self.last_used += u16(1)
        if head >= self.size:
            # A broken device: nothing to free, the caller sees an unknown head.
            return head
        d = head
        count = u16(1)
        while (Ptr[u16](self.desc + u64(d) * DESC_SIZE + 12).load() & DESC_F_NEXT) != 0 and count <= self.size:
            d = Ptr[u16](self.desc + u64(d) * DESC_SIZE + 14).load()
            count += u16(1)
        Ptr[u16](self.desc + u64(d) * DESC_SIZE + 14).store(self.free_head)
        self.free_head = head
        self.free_count += count
        return head


def device_failed(t: VirtioTransport) -> None:
    """Give up on a device: reset it and set FAILED, so it stops touching our memory."""
    t.reset()
    t.set_status(STATUS_FAILED)


def negotiate(t: VirtioTransport, wanted: u64) -> u64:
    """Reset, ACKNOWLEDGE, DRIVER, accept wanted & offered (VERSION_1 is required), FEATURES_OK;
    return the accepted features. EIO (device reset and FAILED) if the device refuses."""
    t.reset()
    t.set_status(STATUS_ACKNOWLEDGE)
    t.set_status(STATUS_ACKNOWLEDGE | STATUS_DRIVER)
    offered = t.device_features()
    if (offered & F_VERSION_1) == 0:
        device_failed(t)
        raise SysError(EIO)
    accepted = offered & (wanted | F_VERSION_1)
    t.set_driver_features(accepted)
    t.set_status(STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK)
    if (t.get_status() & STATUS_FEATURES_OK) == 0:
        device_failed(t)
        raise SysError(EIO)
    return accepted


def driver_ok(t: VirtioTransport) -> None:
    """The driver is ready (queues set up): DRIVER_OK."""
    t.set_status(STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK)
