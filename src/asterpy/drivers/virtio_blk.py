"""virtio-blk (virtio 1.2 section 5.2): a `BlockDevice` over any virtio transport, registered as vda, vdb...

A request is a chain of descriptors: a 16-byte header (type, sector) the device reads, the data
split where its kernel pages are not physically contiguous, and a status byte the device writes.
A long transfer is cut into requests of at most REQ_SECTORS, up to IN_FLIGHT of them queued before
the driver waits for any. A task waiting for a request sleeps until the queue's MSI-X interrupt
(virtio_blk_interrupt, from the trap dispatcher) wakes it; without MSI-X, or before any task runs
(the boot probe), the driver polls the used ring instead. After a time limit the device is reset
and marked failed. A device error is EIO, a write to a read-only disk EROFS; nothing here panics.
"""

from typing import Final

from asterpy.lang import List, Ptr, SysError, kinfo, kwarn, memset, u8, u16, u32, u64
from asterpy.lang.errno import EIO, EROFS
from asterpy.drivers.block import SECTOR, SECTOR_SHIFT, BlockDevice, register_block_device
from asterpy.drivers.pci import PciDevice
from asterpy.drivers.virtio import (
    MMIO_SIZE, VIRTIO_ID_BLOCK, Virtqueue, VirtioMmioTransport, VirtioPciTransport, VirtioTransport, device_failed, driver_ok, is_virtio_block, negotiate,
)
from asterpy.kernel.time import monotonic_ns
from asterpy.kernel.upcalls import upcalls
from asterpy.kernel.wait import TIMED_OUT, WOKEN, new_wait_channel, sleep_until, wake_up
from asterpy.mm.heap import kfree, kmalloc
from asterpy.mm.ioremap import ioremap, virt_to_phys
from kernel_arch import ARCH_DISK_VECTOR, arch_cpu_relax, arch_msi_address, arch_msi_data

# Feature bits (section 5.2.3).
F_SEG_MAX: Final = u64(1) << 2
F_RO: Final = u64(1) << 5
F_BLK_SIZE: Final = u64(1) << 6
F_FLUSH: Final = u64(1) << 9

# Device configuration fields.
CFG_CAPACITY: Final = u64(0)
CFG_SEG_MAX: Final = u64(12)

# Request types and status values.
T_IN: Final = u32(0)
T_OUT: Final = u32(1)
T_FLUSH: Final = u32(4)
S_OK: Final = u8(0)
# What the status byte holds until the device writes it.
S_PENDING: Final = u8(0xFF)

# The block major Linux's virtio_blk usually gets, and minors per disk (partitions 1..15).
VIRTBLK_MAJOR: Final = u64(254)
MINORS_PER_DISK: Final = u64(16)

PAGE: Final = u64(4096)
PAGE_MASK: Final = u64(4095)
# Sectors per request (64 KiB: 17 data descriptors at most) and requests queued at once.
REQ_SECTORS: Final = u64(128)
IN_FLIGHT: Final = u64(4)
# Bytes per request slot: the 16-byte header, then the status byte.
SLOT_BYTES: Final = u64(32)
# How long a request may take before the device is declared dead.
TIMEOUT_NS: Final = u64(30000000000)
# Without a clock (0 ns forever) the same limit counted in polls.
TIMEOUT_SPINS: Final = u64(2000000000)

# Disks found so far (names vda, vdb...).
_disks: u64 = u64(0)
# The wait channels of the disks whose queue interrupts (None until the first); and how many
# disk interrupts came (the boot test reads it from the log).
_irq_channels: List[u64] | None = None
disk_interrupts: u64 = u64(0)


def disk_name(i: u64) -> bytes:
    """vda for the first virtio disk, vdb for the second... (up to vdh)."""
    if i == 0:
        return b"vda"
    if i == 1:
        return b"vdb"
    if i == 2:
        return b"vdc"
    if i == 3:
        return b"vdd"
    if i == 4:
        return b"vde"
    if i == 5:
        return b"vdf"
    if i == 6:
        return b"vdg"
    return b"vdh"


def disk_label(i: u64) -> str:
    """disk_name(i) as text, for the log."""
    if i == 0:
        return "vda"
    if i == 1:
        return "vdb"
    if i == 2:
        return "vdc"
    if i == 3:
        return "vdd"
    if i == 4:
        return "vde"
    if i == 5:
        return "vdf"
    if i == 6:
        return "vdg"
    return "vdh"


class VirtioBlk(BlockDevice):
    """One virtio disk: capacity, read-only flag and the request queue (queue 0)."""

    transport: VirtioTransport
    queue: Virtqueue
    capacity: u64
    ro: bool
    can_flush: bool
    broken: bool
    irq: bool                  # the queue interrupts (MSI-X): waiters sleep on chan
    chan: u64
    in_flight: u64             # requests queued at once (IN_FLIGHT, fewer on a small queue)
    req_sectors: u64           # sectors per request (REQ_SECTORS, fewer when descriptors are scarce)
    slots: u64                 # IN_FLIGHT request slots (header + status), kernel heap
    slot_head: List[u16]       # the descriptor head each slot's request uses
    slot_busy: List[bool]      # the device has the slot's request
    slot_owned: List[bool]     # a caller has not yet read the slot's status

    def __init__(self, name: bytes, minor: u64, transport: VirtioTransport) -> None:
        """Bring the device up: features, queue 0, DRIVER_OK (EIO, ENODEV, ENOMEM; the device is reset then)."""
        BlockDevice.__init__(self, name, VIRTBLK_MAJOR, minor)
        self.transport = transport
        self.broken = False
        self.irq = False
        self.chan = new_wait_channel()
        feats = negotiate(transport, F_RO | F_FLUSH | F_BLK_SIZE | F_SEG_MAX)
        self.ro = (feats & F_RO) != 0
        self.can_flush = (feats & F_FLUSH) != 0
        self.capacity = transport.config_read64(CFG_CAPACITY)
        self.slots = kmalloc(IN_FLIGHT * SLOT_BYTES)
        if self.slots == 0:
            device_failed(transport)
            raise SysError(EIO)
        memset(self.slots, 0, IN_FLIGHT * SLOT_BYTES)
        self.slot_head = []
        self.slot_busy = []
        self.slot_owned = []
        for _ in range(u64(0), IN_FLIGHT):
            self.slot_head.append(u16(0))
            self.slot_busy.append(False)
            self.slot_owned.append(False)
        if ARCH_DISK_VECTOR != 0:
            transport.setup_interrupt(arch_msi_address(), arch_msi_data(ARCH_DISK_VECTOR))
        try:
            self.queue = Virtqueue(transport, u16(0))
        except SysError as e:
            device_failed(transport)
            kfree(self.slots)
            raise SysError(e.errno)
        self.irq = transport.interrupts_on()
        self.size_requests(feats)
        driver_ok(transport)

    def size_requests(self, feats: u64) -> None:
        """Fit the requests to the queue: every request queued at once must find its descriptors
        (header, data pieces, status), and no more data pieces than the device's seg_max."""
        size = u64(self.queue.size)
        n = IN_FLIGHT
        while n > 1 and size // n < u64(3) + (REQ_SECTORS >> 3):
            n -= 1
        pieces = size // n - 2
        if (feats & F_SEG_MAX) != 0:
            seg_max = u64(self.transport.config_read32(CFG_SEG_MAX))
            if seg_max != 0 and seg_max < pieces:
                pieces = seg_max
        # A buffer of k pages not aligned to a page spans k + 1 of them.
        sectors = REQ_SECTORS
        if pieces < u64(1) + (REQ_SECTORS >> 3):
            sectors = (pieces - 1) << 3 if pieces > 1 else u64(1)
        self.in_flight = n
        self.req_sectors = sectors

    def sector_count(self) -> u64:
        """The capacity the device reported, in 512-byte sectors."""
        return self.capacity

    def read_only(self) -> bool:
        """Whether the device offered VIRTIO_BLK_F_RO."""
        return self.ro

    def check(self, sector: u64, count: u64) -> None:
        """EIO for a request past the end or to a failed device."""
        if self.broken or sector > self.capacity or count > self.capacity - sector:
            raise SysError(EIO)

    def read_sectors(self, sector: u64, count: u64, addr: u64) -> None:
        """Read count sectors from sector on into kernel memory at addr (EIO)."""
        self.check(sector, count)
        self.transfer(T_IN, sector, count, addr)

    def write_sectors(self, sector: u64, count: u64, addr: u64) -> None:
        """Write count sectors from kernel memory at addr (EIO; EROFS on a read-only disk)."""
        if self.ro:
            raise SysError(EROFS)
        self.check(sector, count)
        self.transfer(T_OUT, sector, count, addr)

    def flush(self) -> None:
        """VIRTIO_BLK_T_FLUSH when the device has a write cache to flush (F_FLUSH); EIO."""
        if self.broken:
            raise SysError(EIO)
        if not self.can_flush:
            return
        slot = self.submit(T_FLUSH, u64(0), u64(0), u64(0))
        try:
            self.wait_slot(slot)
            self.finish(slot)
        finally:
            self.release(slot)

    def transfer(self, kind: u32, sector: u64, count: u64, addr: u64) -> None:
        """Move count sectors in requests of REQ_SECTORS, IN_FLIGHT queued at a time; EIO if any failed."""
        failed = False
        done = u64(0)
        while done < count:
            batch = u64(0)
            mine = u64(0)      # bit i: slot i holds a request of this batch
            while batch < self.in_flight and done < count:
                n = count - done
                if n > self.req_sectors:
                    n = self.req_sectors
                try:
                    slot = self.submit(kind, sector + done, n, addr + (done << SECTOR_SHIFT))
                except SysError:
                    # (A buffer the kernel does not map.) Still wait for what was queued.
                    failed = True
                    break
                mine |= u64(1) << slot
                done += n
                batch += 1
            # Every queued request is waited for, even after one failed: its buffer stays in use
            # by the device until then.
            for slot in range(u64(0), IN_FLIGHT):
                if (mine & (u64(1) << slot)) != 0:
                    try:
                        self.wait_slot(slot)
                        self.finish(slot)
                    except SysError:
                        failed = True
                    self.release(slot)
            if failed:
                raise SysError(EIO)

    def submit(self, kind: u32, sector: u64, count: u64, addr: u64) -> u64:
        """Queue one request in a free slot and notify the device; the slot, owned by the caller
        until release() (EIO). Waits while other tasks' requests hold every slot or descriptor."""
        addrs: List[u64] = []
        lens: List[u32] = []
        wr: List[bool] = []
        # Placeholder for the header, filled once the slot is known.
        addrs.append(u64(0))
        lens.append(u32(16))
        wr.append(False)
        try:
            add_segments(addr, count << SECTOR_SHIFT, kind == T_IN, addrs, lens, wr)
        except SysError:
            raise SysError(EIO)
        addrs.append(u64(0))
        lens.append(u32(1))
        wr.append(True)
        slot = self.wait_free(u64(len(addrs)))
        hdr = self.slots + slot * SLOT_BYTES
        Ptr[u32](hdr).store(kind)
        Ptr[u32](hdr + 4).store(u32(0))
        Ptr[u64](hdr + 8).store(sector)
        Ptr[u8](hdr + 16).store(S_PENDING)
        addrs[0] = virt_to_phys(hdr)
        addrs[u64(len(addrs)) - 1] = virt_to_phys(hdr + 16)
        self.slot_head[slot] = self.queue.add(addrs, lens, wr)
        self.slot_busy[slot] = True
        self.slot_owned[slot] = True
        self.queue.kick()
        return slot

    def release(self, slot: u64) -> None:
        """The caller is done with the slot (its status was read): another request may use it."""
        self.slot_owned[slot] = False

    def free_slot(self) -> u64:
        """A slot no request holds, IN_FLIGHT if none."""
        for i in range(u64(0), IN_FLIGHT):
            if not self.slot_owned[i] and not self.slot_busy[i]:
                return i
        return IN_FLIGHT

    def wait_free(self, need: u64) -> u64:
        """A free slot, once one is free and `need` descriptors are (another task's requests may
        hold them: they finish first); EIO on a failed device or a timeout."""
        start = monotonic_ns()
        spins = u64(0)
        sleep = self.irq and not self.no_sleep and start != 0 and upcalls().current_caller() is not None
        while True:
            if self.broken:
                raise SysError(EIO)
            self.reap()
            slot = self.free_slot()
            if slot != IN_FLIGHT and u64(self.queue.free_count) >= need:
                return slot
            if sleep:
                r = sleep_until(self.chan, start + TIMEOUT_NS)
                if r == TIMED_OUT:
                    self.fail_all()
                if r != WOKEN:
                    sleep = False
                continue
            spins += 1
            now = monotonic_ns()
            if (now != 0 and now - start > TIMEOUT_NS) or spins > TIMEOUT_SPINS:
                self.fail_all()
            arch_cpu_relax()

    def reap(self) -> None:
        """Take every completed request off the used ring and mark its slot done."""
        while self.queue.has_used():
            head = self.queue.take_used()
            for i in range(u64(0), IN_FLIGHT):
                if self.slot_busy[i] and self.slot_head[i] == head:
                    self.slot_busy[i] = False

    def wait_slot(self, slot: u64) -> None:
        """Wait until the slot's request completes: asleep until the queue's interrupt when a task
        is running and the queue has one, else polling (EIO and the device failed on timeout)."""
        status = Ptr[u8](self.slots + slot * SLOT_BYTES + 16)
        start = monotonic_ns()
        spins = u64(0)
        sleep = self.irq and not self.no_sleep and start != 0 and upcalls().current_caller() is not None
        while True:
            self.reap()
            if not self.slot_busy[slot]:
                break
            if sleep:
                # The kernel runs with interrupts off until the scheduler switches away, so the
                # interrupt cannot slip in between the check above and the sleep.
                r = sleep_until(self.chan, start + TIMEOUT_NS)
                if r == TIMED_OUT:
                    self.fail_all()
                if r != WOKEN:
                    # A pending signal ends every sleep at once: the request still owns its
                    # buffer, so wait for it the other way (Linux's uninterruptible sleep).
                    sleep = False
                continue
            spins += 1
            now = monotonic_ns()
            if (now != 0 and now - start > TIMEOUT_NS) or spins > TIMEOUT_SPINS:
                self.fail_all()
            arch_cpu_relax()
        if status.load() == S_PENDING:
            # Completed without a status: a broken device.
            status.store(u8(1))

    def fail_all(self) -> None:
        """A request timed out: reset the device, mark it failed, forget every request (EIO)."""
        kwarn("virtio-blk: request timed out: device reset and marked failed")
        self.broken = True
        device_failed(self.transport)
        for i in range(u64(0), IN_FLIGHT):
            self.slot_busy[i] = False
        raise SysError(EIO)

    def finish(self, slot: u64) -> None:
        """EIO unless the completed request in slot reported success."""
        if Ptr[u8](self.slots + slot * SLOT_BYTES + 16).load() != S_OK:
            raise SysError(EIO)


def virtio_blk_interrupt() -> None:
    """The disks' MSI-X vector fired (called by the trap dispatcher): wake every disk's waiters,
    which reap their own queues."""
    global disk_interrupts
    disk_interrupts += 1
    chans = _irq_channels
    if chans is None:
        return
    for c in chans:
        wake_up(c)


def add_segments(addr: u64, n: u64, writable: bool, addrs: List[u64], lens: List[u32], wr: List[bool]) -> None:
    """Append the physical pieces of kernel buffer [addr, addr + n): one per run of contiguous frames."""
    off = u64(0)
    while off < n:
        va = addr + off
        chunk = PAGE - (va & PAGE_MASK)
        if chunk > n - off:
            chunk = n - off
        pa = virt_to_phys(va)
        last = u64(len(addrs)) - 1
        if len(addrs) > 1 and wr[last] == writable and addrs[last] + u64(lens[last]) == pa:
            lens[last] = lens[last] + u32(chunk)
        else:
            addrs.append(pa)
            lens.append(u32(chunk))
            wr.append(writable)
        off += chunk


def note_irq_channel(chan: u64) -> None:
    """Let the disk interrupt wake chan."""
    global _irq_channels
    chans = _irq_channels
    if chans is None:
        fresh: List[u64] = []
        fresh.append(chan)
        _irq_channels = fresh
        return
    chans.append(chan)


def probe_pci(devs: List[PciDevice]) -> u64:
    """Bring up every virtio block device among devs and register it as vda, vdb...; how many."""
    found = u64(0)
    for d in devs:
        if not is_virtio_block(d):
            continue
        if _disks >= 8:
            kwarn("virtio-blk: more than 8 disks: the rest are ignored")
            break
        name = disk_name(_disks)
        try:
            t = VirtioPciTransport(d)
            blk = VirtioBlk(name, _disks * MINORS_PER_DISK, t)
        except SysError as e:
            kwarn(f"virtio-blk: pci {d.bus:02x}:{d.dev:02x}.{d.fn}: cannot use it (errno {e.errno})")
            continue
        register_disk(blk)
        kinfo(f"virtio-blk: {disk_label(_disks - 1)}: {blk.capacity} sectors ({disk_mib(blk)} MiB) "
              f"pci {d.bus:02x}:{d.dev:02x}.{d.fn}{ro_text(blk)}")
        found += 1
    return found


def register_disk(blk: VirtioBlk) -> None:
    """Register a disk that came up as the next vdX (its interrupt channel too)."""
    global _disks
    register_block_device(blk)
    if blk.irq:
        note_irq_channel(blk.chan)
    _disks += 1


def disk_mib(blk: VirtioBlk) -> u64:
    """The disk's size in MiB, for the log."""
    return (blk.capacity * SECTOR) >> 20


def ro_text(blk: VirtioBlk) -> str:
    """What the log says about the disk's features and completions."""
    if blk.ro:
        return " read-only, msi-x" if blk.irq else " read-only, polled"
    if blk.can_flush:
        return " flush, msi-x" if blk.irq else " flush, polled"
    return ", msi-x" if blk.irq else ", polled"


def probe_mmio(bases: List[u64]) -> u64:
    """Bring up the virtio-mmio block devices among the register pages at the physical addresses
    bases (empty slots and legacy devices are skipped); how many."""
    found = u64(0)
    for pa in bases:
        if _disks >= 8:
            break
        try:
            t = VirtioMmioTransport(ioremap(pa, MMIO_SIZE))
            if t.device_id() != u32(VIRTIO_ID_BLOCK):
                continue
            blk = VirtioBlk(disk_name(_disks), _disks * MINORS_PER_DISK, t)
        except SysError as e:
            kwarn(f"virtio-blk: mmio {pa:#x}: cannot use it (errno {e.errno})")
            continue
        register_disk(blk)
        kinfo(f"virtio-blk: {disk_label(_disks - 1)}: {blk.capacity} sectors ({disk_mib(blk)} MiB) "
              f"virtio-mmio {pa:#x}{ro_text(blk)}")
        found += 1
    return found
