"""Harness for the ext2 tests: host images made by mke2fs, a BlockDevice over them, e2fsck/debugfs."""

import subprocess
from pathlib import Path
from typing import Dict, Optional

from asterpy.drivers import block
from asterpy.drivers.block import BlockDevice
from asterpy.lang import SysError, memory, u64
from asterpy.lang.errno import EIO, EROFS


class ImageDisk(BlockDevice):
    """A block device over the bytes of an image file (written back to the file on flush)."""

    def __init__(self, path: Path, name: bytes = b"vdt", ro: bool = False) -> None:
        """The disk holding path's bytes."""
        BlockDevice.__init__(self, name, u64(254), u64(0))
        self.path = path
        self.data = bytearray(path.read_bytes())
        self.ro = ro
        self.flushes = 0

    def sector_count(self) -> u64:
        """Its size in sectors."""
        return u64(len(self.data) // 512)

    def read_only(self) -> bool:
        """As made."""
        return self.ro

    def read_sectors(self, sector: u64, count: u64, addr: u64) -> None:
        """Copy sectors into simulated memory."""
        s, c = int(sector), int(count)
        if (s + c) * 512 > len(self.data):
            raise SysError(EIO)
        memory.sim.write(int(addr), bytes(self.data[s * 512:(s + c) * 512]))

    def write_sectors(self, sector: u64, count: u64, addr: u64) -> None:
        """Copy sectors out of simulated memory."""
        if self.ro:
            raise SysError(EROFS)
        s, c = int(sector), int(count)
        if (s + c) * 512 > len(self.data):
            raise SysError(EIO)
        self.data[s * 512:(s + c) * 512] = memory.sim.read(int(addr), c * 512)

    def flush(self) -> None:
        """Write the bytes to the file."""
        self.flushes += 1
        self.path.write_bytes(bytes(self.data))


def make_image(tmp: Path, bs: int, files: Optional[Dict[str, bytes]] = None, size_k: int = 4096,
               extra: Optional[list] = None) -> Path:
    """An ext2 image of size_k KiB with block size bs holding files (path -> bytes; a value
    starting with b'->' is a symlink to the rest) made by mke2fs -d."""
    src = tmp / f"src{bs}"
    src.mkdir(exist_ok=True)
    for name, data in (files or {}).items():
        p = src / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if data.startswith(b"->"):
            p.symlink_to(data[2:].decode())
        else:
            p.write_bytes(data)
    img = tmp / f"img{bs}.ext2"
    cmd = ["mke2fs", "-q", "-F", "-t", "ext2", "-b", str(bs), "-d", str(src)] + (extra or []) + [str(img), f"{size_k}k"]
    subprocess.run(cmd, check=True, capture_output=True)
    return img


def register(disk: ImageDisk) -> None:
    """Make disk the only registered block device."""
    block.block_devices = None
    block.register_block_device(disk)


def fsck(img: Path) -> str:
    """e2fsck -fn's output; asserts it found nothing."""
    r = subprocess.run(["e2fsck", "-fn", str(img)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def debugfs(img: Path, req: str) -> bytes:
    """debugfs -R req on img: its standard output."""
    r = subprocess.run(["debugfs", "-R", req, str(img)], capture_output=True)
    return r.stdout
