"""Block devices: the seam between disk drivers (virtio-blk, a RAM disk) and disk file systems.

A driver subclasses `BlockDevice` and registers it by name (`vda`, `vdb`, `ram0`); a file system
(ext2) reads and writes whole 512-byte sectors through it by kernel address and never knows which
driver is behind. Errors are `SysError(EIO)` (never a panic); a device that refuses writes raises
`SysError(EROFS)`.
"""

from typing import Final

from asterpy.lang import List, SysError, memcpy, memset, u64
from asterpy.lang.errno import EIO, ENOMEM, EROFS
from asterpy.mm.heap import kmalloc

SECTOR: Final = u64(512)
SECTOR_SHIFT: Final = u64(9)


class BlockDevice:
    """A disk: sector_count() sectors of 512 bytes, read and written by kernel address."""

    name: bytes
    major: u64
    minor: u64
    # Requests must complete without the caller sleeping (the driver polls): set while a file
    # system that keeps state across a request without a lock of its own (ext2) is mounted on it,
    # so no other task can run in the middle of one of its operations.
    no_sleep: bool

    def __init__(self, name: bytes, major: u64, minor: u64) -> None:
        """A device called name (as /dev and /proc/partitions spell it), number major:minor."""
        self.name = name
        self.major = major
        self.minor = minor
        self.no_sleep = False

    def sector_count(self) -> u64:
        """The device's size in 512-byte sectors."""
        return u64(0)

    def read_only(self) -> bool:
        """True when writes are refused (EROFS)."""
        return True

    def read_sectors(self, sector: u64, count: u64, addr: u64) -> None:
        """Read count sectors from sector on into kernel memory at addr (EIO on failure)."""
        raise SysError(EIO)

    def write_sectors(self, sector: u64, count: u64, addr: u64) -> None:
        """Write count sectors from kernel memory at addr to sector on (EIO, EROFS)."""
        raise SysError(EROFS)

    def flush(self) -> None:
        """Make every completed write durable (the device's write cache flushed)."""
        return None


class RamDisk(BlockDevice):
    """A block device held in kernel memory (tests, and a disk given as an initramfs file)."""

    base: u64
    sectors: u64

    def __init__(self, name: bytes, minor: u64, sectors: u64) -> None:
        """A zeroed RAM disk of `sectors` sectors (ENOMEM when the heap cannot hold it)."""
        BlockDevice.__init__(self, name, u64(1), minor)
        self.sectors = sectors
        self.base = kmalloc(sectors << SECTOR_SHIFT)
        if self.base == 0:
            raise SysError(ENOMEM)
        memset(self.base, 0, sectors << SECTOR_SHIFT)

    def sector_count(self) -> u64:
        """The disk's size in sectors."""
        return self.sectors

    def read_only(self) -> bool:
        """RAM disks are writable."""
        return False

    def _check(self, sector: u64, count: u64) -> None:
        """EIO for a request past the end."""
        if sector > self.sectors or count > self.sectors - sector:
            raise SysError(EIO)

    def read_sectors(self, sector: u64, count: u64, addr: u64) -> None:
        """Copy count sectors out of the disk."""
        self._check(sector, count)
        memcpy(addr, self.base + (sector << SECTOR_SHIFT), count << SECTOR_SHIFT)

    def write_sectors(self, sector: u64, count: u64, addr: u64) -> None:
        """Copy count sectors into the disk."""
        self._check(sector, count)
        memcpy(self.base + (sector << SECTOR_SHIFT), addr, count << SECTOR_SHIFT)


# Every registered device, in registration order (None until the first registers).
block_devices: List[BlockDevice] | None = None


def register_block_device(dev: BlockDevice) -> None:
    """Make dev findable by name (a driver calls this once the device answers)."""
    global block_devices
    devs = block_devices
    if devs is None:
        fresh: List[BlockDevice] = []
        fresh.append(dev)
        block_devices = fresh
        return
    devs.append(dev)


def same_bytes(a: bytes, b: bytes) -> bool:
    """Whether a and b hold the same bytes."""
    if len(a) != len(b):
        return False
    for i in range(0, len(a)):
        if a[i] != b[i]:
            return False
    return True


def find_block_device(name: bytes) -> BlockDevice | None:
    """The registered device called name (b"vda"), or None."""
    devs = block_devices
    if devs is None:
        return None
    for dev in devs:
        if same_bytes(dev.name, name):
            return dev
    return None


def find_block_device_by_number(major: u64, minor: u64) -> BlockDevice | None:
    """The registered device numbered major:minor (what a block special file names), or None."""
    devs = block_devices
    if devs is None:
        return None
    for dev in devs:
        if dev.major == major and dev.minor == minor:
            return dev
    return None


def all_block_devices() -> List[BlockDevice]:
    """Every registered device, in registration order (a new list)."""
    out: List[BlockDevice] = []
    devs = block_devices
    if devs is not None:
        for dev in devs:
            out.append(dev)
    return out


def flush_all_block_devices() -> None:
    """sync(2)'s last step: flush every disk's write cache (a disk that fails is skipped: sync
    reports nothing)."""
    devs = block_devices
    if devs is None:
        return
    for dev in devs:
        try:
            dev.flush()
        except SysError:
            pass
