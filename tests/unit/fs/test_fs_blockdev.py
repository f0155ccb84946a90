"""Block special files (fs/blockdev.py) through the syscall layer, on a RAM disk: any offset and length,
read-modify-write of partial sectors, the end of the disk, lseek, ioctl, fsync; a failing disk is EIO."""
import random
import struct
from typing import Iterator

import pytest

from asterpy.drivers import block
from asterpy.lang import SysError, u64
from asterpy.lang.errno import EIO, ENOSPC, ENOTTY, ENXIO, EROFS
from fs_sim import Sys, fs_world, sysc  # noqa: F401

O_RDWR = 2
S_IFBLK = 0o060000
SECTORS = 64
SIZE = SECTORS * 512
BLKGETSIZE64 = 0x80081272
BLKSSZGET = 0x1268
BLKGETSIZE = 0x1260


class FlakyDisk(block.RamDisk):
    """A RAM disk that counts flushes, and fails reads of one sector when asked."""

    def __init__(self) -> None:
        block.RamDisk.__init__(self, b"ram7", u64(7), u64(SECTORS))
        self.flushes = 0
        self.bad = -1
        self.ro = False

    def read_sectors(self, sector: u64, count: u64, addr: u64) -> None:
        if int(sector) <= self.bad < int(sector) + int(count):
            raise SysError(EIO)
        block.RamDisk.read_sectors(self, sector, count, addr)

    def read_only(self) -> bool:
        return self.ro

    def flush(self) -> None:
        self.flushes += 1


@pytest.fixture
def disk(sysc: Sys, monkeypatch: pytest.MonkeyPatch) -> Iterator[FlakyDisk]:  # noqa: F811
    monkeypatch.setattr(block, "block_devices", None)
    d = FlakyDisk()
    block.register_block_device(d)
    assert sysc.s("mknod", b"/ram7", S_IFBLK | 0o600, (1 << 8) | 7) == 0
    yield d


def contents(sysc: Sys, fd: int) -> bytes:  # noqa: F811
    buf = sysc.alloc(SIZE)
    assert sysc.call("pread64", fd, buf, SIZE, 0) == SIZE
    return sysc.read(buf, SIZE)


def test_unaligned_writes_keep_the_bytes_around_them(sysc: Sys, disk: FlakyDisk) -> None:  # noqa: F811
    fd = sysc.open(b"/ram7", O_RDWR)
    assert fd >= 0
    rng = random.Random(7)
    model = bytearray(rng.randbytes(SIZE))
    assert sysc.write_at(fd, bytes(model), 0) == SIZE
    sysc.reset_scratch()
    for off, n in ((1, 1), (511, 2), (1000, 3000), (4096, 512), (7, 20000), (SIZE - 513, 513)):
        sysc.reset_scratch()
        data = rng.randbytes(n)
        assert sysc.write_at(fd, data, off) == n
        model[off:off + n] = data
        assert contents(sysc, fd) == bytes(model), (off, n)
    # Reads at odd places and lengths.
    for off, n in ((3, 5), (510, 4), (SIZE - 1, 1), (100, 30000)):
        sysc.reset_scratch()
        buf = sysc.alloc(n)
        assert sysc.call("pread64", fd, buf, n, off) == n
        assert sysc.read(buf, n) == bytes(model[off:off + n])


def test_the_end_of_the_disk(sysc: Sys, disk: FlakyDisk) -> None:  # noqa: F811
    fd = sysc.open(b"/ram7", O_RDWR)
    buf = sysc.alloc(100)
    assert sysc.call("pread64", fd, buf, 100, SIZE) == 0
    assert sysc.call("pread64", fd, buf, 100, SIZE + 12345) == 0
    assert sysc.call("pread64", fd, buf, 100, SIZE - 10) == 10
    assert sysc.write_at(fd, b"x" * 20, SIZE - 5) == 5
    assert sysc.write_at(fd, b"x", SIZE) == -ENOSPC
    assert sysc.call("lseek", fd, 0, 2) == SIZE
    assert sysc.call("read", fd, buf, 10) == 0
    assert sysc.call("lseek", fd, 100, 0) == 100
    assert sysc.write(fd, b"abc") == 3
    assert sysc.call("lseek", fd, 0, 1) == 103


def test_ioctl_fsync_and_stat(sysc: Sys, disk: FlakyDisk) -> None:  # noqa: F811
    fd = sysc.open(b"/ram7", O_RDWR)
    arg = sysc.alloc(8)
    assert sysc.call("ioctl", fd, BLKGETSIZE64, arg) == 0
    assert sysc.u64at(arg) == SIZE
    assert sysc.call("ioctl", fd, BLKGETSIZE, arg) == 0
    assert sysc.u64at(arg) == SECTORS
    assert sysc.call("ioctl", fd, BLKSSZGET, arg) == 0
    assert struct.unpack("<i", sysc.read(arg, 4))[0] == 512
    assert sysc.call("ioctl", fd, 0x5401, arg) == -ENOTTY
    assert sysc.call("fsync", fd) == 0 and disk.flushes == 1
    st = sysc.fstat(fd)
    assert st["mode"] & 0o170000 == S_IFBLK


def test_errors_from_the_disk(sysc: Sys, disk: FlakyDisk) -> None:  # noqa: F811
    fd = sysc.open(b"/ram7", O_RDWR)
    disk.bad = 3
    buf = sysc.alloc(4096)
    assert sysc.call("pread64", fd, buf, 4096, 0) == -EIO
    assert sysc.write_at(fd, b"y", 3 * 512 + 7) == -EIO       # the read half of read-modify-write
    disk.ro = True
    assert sysc.write_at(fd, b"y" * 512, 0) == -EROFS
    # A node whose number no driver has: ENXIO at open.
    assert sysc.s("mknod", b"/none", S_IFBLK | 0o600, (1 << 8) | 99) == 0
    assert sysc.open(b"/none", O_RDWR) == -ENXIO
