"""Block special files (/dev/vda): byte-addressed read, write and seek over a sector device.

Any offset and length work: whole sectors go through a kernel bounce buffer, and a write that
covers part of a sector reads that sector first (read-modify-write). As on Linux, a read at or
past the end returns 0 bytes, a write there is ENOSPC, and one crossing the end is cut short.
fsync flushes the device's write cache. There is no block cache yet: every call reaches the disk.
"""

from typing import Final

from asterpy.lang import SysError, u32, u64
from asterpy.lang.errno import ENOMEM, ENOSPC, EROFS
from asterpy.drivers.block import SECTOR, SECTOR_SHIFT, BlockDevice
from asterpy.fs.abi import put_u32
from asterpy.fs.context import FsCaller
from asterpy.fs.file import File, seek_to
from asterpy.fs.inode import Inode
from asterpy.mm.heap import kfree, kmalloc

SECTOR_MASK: Final = u64(511)
# Bounce-buffer size: the most one step of a read or write moves (a multiple of SECTOR).
BOUNCE: Final = u64(65536)

# ioctl numbers (linux/fs.h).
BLKROGET: Final = u64(0x125E)
BLKGETSIZE: Final = u64(0x1260)
BLKFLSBUF: Final = u64(0x1261)
BLKSSZGET: Final = u64(0x1268)
BLKBSZGET: Final = u64(0x80081270)
BLKGETSIZE64: Final = u64(0x80081272)


class BlockDevFile(File):
    """An open block device: the offset is a byte offset into the disk."""

    dev: BlockDevice

    def __init__(self, inode: Inode, flags: u64, dev: BlockDevice) -> None:
        """Open dev through its node inode with flags."""
        File.__init__(self, inode, flags)
        self.dev = dev

    def size(self) -> u64:
        """The disk's size in bytes."""
        return self.dev.sector_count() << SECTOR_SHIFT

    def read(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """read(2) at the file offset, which moves past what was read."""
        got = self.pread(p, buf, n, self.pos)
        self.pos += got
        return got

    def write(self, p: FsCaller, buf: u64, n: u64) -> u64:
        """write(2) at the file offset, which moves past what was written."""
        put = self.pwrite(p, buf, n, self.pos)
        self.pos += put
        return put

    def pread(self, p: FsCaller, buf: u64, n: u64, off: u64) -> u64:
        """Up to n bytes from byte offset off into user buf (0 at or past the end; EIO, EFAULT)."""
        size = self.size()
        if off >= size or n == 0:
            return u64(0)
        if n > size - off:
            n = size - off
        p.check_user(buf, n, True)
        bounce = kmalloc(BOUNCE)
        if bounce == 0:
            raise SysError(ENOMEM)
        done = u64(0)
        try:
            while done < n:
                pos = off + done
                first = pos >> SECTOR_SHIFT
                skip = pos & SECTOR_MASK
                chunk = BOUNCE - skip
                if chunk > n - done:
                    chunk = n - done
                sectors = (skip + chunk + SECTOR_MASK) >> SECTOR_SHIFT
                self.dev.read_sectors(first, sectors, bounce)
                p.copy_out(buf + done, bounce + skip, chunk)
                done += chunk
        finally:
            kfree(bounce)
        return done

    def pwrite(self, p: FsCaller, buf: u64, n: u64, off: u64) -> u64:
        """Up to n bytes from user buf to byte offset off (ENOSPC at or past the end; EROFS, EIO, EFAULT)."""
        if self.dev.read_only():
            raise SysError(EROFS)
        if n == 0:
            return u64(0)
        size = self.size()
        if off >= size:
            raise SysError(ENOSPC)
        if n > size - off:
            n = size - off
        p.check_user(buf, n, False)
        bounce = kmalloc(BOUNCE)
        if bounce == 0:
            raise SysError(ENOMEM)
        done = u64(0)
        try:
            while done < n:
                pos = off + done
                first = pos >> SECTOR_SHIFT
                skip = pos & SECTOR_MASK
                chunk = BOUNCE - skip
                if chunk > n - done:
                    chunk = n - done
                sectors = (skip + chunk + SECTOR_MASK) >> SECTOR_SHIFT
                # Partial sectors at either end keep their other bytes: read them first.
                if skip != 0:
                    self.dev.read_sectors(first, u64(1), bounce)
                end = skip + chunk
                if (end & SECTOR_MASK) != 0 and (sectors > 1 or skip == 0):
                    self.dev.read_sectors(first + sectors - 1, u64(1), bounce + ((sectors - 1) << SECTOR_SHIFT))
                p.copy_in(bounce + skip, buf + done, chunk)
                self.dev.write_sectors(first, sectors, bounce)
                done += chunk
        finally:
            kfree(bounce)
        return done

    def lseek(self, off: u64, whence: u64) -> u64:
        """Any offset (SEEK_END counts from the disk's size)."""
        self.pos = seek_to(self.pos, off, whence, self.size())
        return self.pos

    def sync(self) -> None:
        """fsync(2): flush the device's write cache."""
        self.dev.flush()

    def ioctl(self, p: FsCaller, cmd: u64, arg: u64) -> u64:
        """BLKGETSIZE64 (bytes), BLKGETSIZE (sectors), BLKSSZGET/BLKBSZGET, BLKROGET, BLKFLSBUF; else ENOTTY."""
        if cmd == BLKGETSIZE64:
            p.put_u64(arg, self.size())
            return u64(0)
        if cmd == BLKGETSIZE:
            p.put_u64(arg, self.dev.sector_count())
            return u64(0)
        if cmd == BLKSSZGET:
            put_u32(p, arg, u32(SECTOR))
            return u64(0)
        if cmd == BLKBSZGET:
            put_u32(p, arg, u32(4096))
            return u64(0)
        if cmd == BLKROGET:
            put_u32(p, arg, u32(1) if self.dev.read_only() else u32(0))
            return u64(0)
        if cmd == BLKFLSBUF:
            self.dev.flush()
            return u64(0)
        return File.ioctl(self, p, cmd, arg)
