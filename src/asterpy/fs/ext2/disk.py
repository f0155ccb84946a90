"""ext2 on a block device: superblock, group descriptors, a block cache, bitmaps and the block map.

`Ext2Fs` reads the superblock (revision 0 or 1, 1/2/4 KiB blocks), keeps metadata blocks in a
small write-back cache (`bget`/`bdirty`, flushed by `flush`), allocates and frees blocks and
inodes in the group bitmaps (keeping the group and superblock counts true), and maps a file's
logical blocks through its 12 direct, single, double and triple indirect pointers (`bmap`, holes
are 0). File data does not pass through the cache: pages are read and written whole
(`read_data`/`write_data`). Anything that does not add up on disk is `SysError(EUCLEAN)` with one
log line, never a panic.
"""

from typing import Final

from asterpy.lang import Dict, List, Ptr, SysError, Weak, kwarn, memcpy, memset, u8, u16, u32, u64
from asterpy.lang.errno import EFBIG, EINVAL, ENOMEM, ENOSPC, EROFS, EUCLEAN
from asterpy.mm.heap import kfree, kmalloc
from asterpy.drivers.block import BlockDevice
from asterpy.fs.inode import Inode
from asterpy.fs.superblock import SuperBlock

EXT2_MAGIC: Final = u64(0xEF53)
SB_SIZE: Final = u64(1024)
GD_SIZE: Final = u64(32)
N_DIRECT: Final = u64(12)
IND: Final = 12
DIND: Final = 13
TIND: Final = 14
N_BLOCKS: Final = 15
ROOT_INO: Final = u64(2)
LINK_MAX: Final = u32(32000)
# Metadata blocks kept before the cache is written back and emptied (at an operation boundary).
CACHE_MAX: Final = 256
# Features: incompat FILETYPE is understood (others refuse the mount); ro_compat SPARSE_SUPER,
# LARGE_FILE and BTREE_DIR are kept up (others allow only a read-only mount).
INCOMPAT_FILETYPE: Final = u64(2)
RO_COMPAT_LARGE_FILE: Final = u64(2)
RO_COMPAT_KNOWN: Final = u64(7)
INDEX_FL: Final = u32(0x1000)
STATE_VALID: Final = u64(1)


def ld16(a: u64) -> u64:
    """The little-endian u16 at kernel address a."""
    return u64(Ptr[u16](a).load())


def ld32(a: u64) -> u64:
    """The little-endian u32 at kernel address a."""
    return u64(Ptr[u32](a).load())


def st16(a: u64, v: u64) -> None:
    """Store v as a u16 at a."""
    Ptr[u16](a).store(u16(v & u64(0xFFFF)))


def st32(a: u64, v: u64) -> None:
    """Store v as a u32 at a."""
    Ptr[u32](a).store(u32(v & u64(0xFFFFFFFF)))


def corrupt(what: str) -> int:
    """The errno for a structure that does not add up (EUCLEAN), after one log line."""
    kwarn(f"ext2: corrupted file system: {what}")
    return EUCLEAN


class E2Meta:
    """The on-disk side of one inode: its number, block pointers, flags and 512-byte block count;
    `allocated` is False until a new inode gets its number (when it is first linked)."""

    ino: u64
    blocks: List[u32]
    flags: u32
    iblocks: u64
    allocated: bool

    def __init__(self, ino: u64) -> None:
        """Inode ino (0: not on disk yet), no blocks."""
        self.ino = ino
        self.blocks = []
        for i in range(0, N_BLOCKS):
            self.blocks.append(u32(0))
        self.flags = u32(0)
        self.iblocks = u64(0)
        self.allocated = ino != 0


class Ext2Fs:
    """One mounted ext2 file system: its geometry, the cached metadata blocks and live inodes."""

    dev: BlockDevice
    ro: bool
    sbuf: u64                   # the 1024-byte superblock
    bs: u64
    spb: u64                    # sectors per block
    ptrs: u64                   # block pointers per block
    blocks_count: u64
    inodes_count: u64
    first_data_block: u64
    bpg: u64
    ipg: u64
    isz: u64
    first_ino: u64
    ngroups: u64
    gdt_block: u64
    large_file: bool
    filetype: bool              # directory entries carry a file type byte (else it must be 0)
    cache: Dict[u64, u64]       # block number -> kernel buffer
    cached: List[u64]
    dirty: Dict[u64, bool]
    dirty_list: List[u64]
    sb_dirty: bool
    inodes: Dict[u64, Weak[Inode]]   # live inodes by number (held weakly: a dead one reads None)
    inode_list: List[u64]
    sup: Weak[SuperBlock] | None  # the VFS superblock (set by the mount; weak: it holds this)
    budget: u64                 # blocks a tree walk may still visit (a corrupt tree cannot hang)

    def __init__(self, dev: BlockDevice, ro: bool) -> None:
        """Read and check the superblock of dev (EINVAL if it is not a usable ext2)."""
        self.sbuf = u64(0)
        self.dev = dev
        self.ro = ro
        self.cache = {}
        self.cached = []
        self.dirty = {}
        self.dirty_list = []
        self.inodes = {}
        self.inode_list = []
        self.sb_dirty = False
        self.budget = u64(0)
        self.sup = None
        self.sbuf = kmalloc(SB_SIZE)
        if self.sbuf == 0:
            raise SysError(ENOMEM)
        if dev.sector_count() < u64(4):
            raise SysError(EINVAL)
        dev.read_sectors(u64(2), u64(2), self.sbuf)
        s = self.sbuf
        if ld16(s + 56) != EXT2_MAGIC:
            raise SysError(EINVAL)
        log = ld32(s + 24)
        if log > 2:
            raise SysError(EINVAL)
        self.bs = u64(1024) << log
        self.spb = self.bs >> u64(9)
        self.ptrs = self.bs >> u64(2)
        self.blocks_count = ld32(s + 4)
        self.inodes_count = ld32(s + 0)
        self.first_data_block = ld32(s + 20)
        self.bpg = ld32(s + 32)
        self.ipg = ld32(s + 40)
        rev = ld32(s + 76)
        self.isz = u64(128)
        self.first_ino = u64(11)
        feat_in = u64(0)
        feat_ro = u64(0)
        if rev >= 1:
            self.isz = ld16(s + 88)
            self.first_ino = ld32(s + 84)
            feat_in = ld32(s + 96)
            feat_ro = ld32(s + 100)
        if (feat_in & ~INCOMPAT_FILETYPE) != 0:
            kwarn("ext2: unsupported incompatible features; not mounted")
            raise SysError(EINVAL)
        if (feat_ro & ~RO_COMPAT_KNOWN) != 0 and not ro:
            kwarn("ext2: unsupported read-only-compatible features; mount read-only")
            raise SysError(EINVAL)
        self.large_file = (feat_ro & RO_COMPAT_LARGE_FILE) != 0
        self.filetype = (feat_in & INCOMPAT_FILETYPE) != 0
        first = u64(0)
        if self.bs == 1024:
            first = u64(1)
        bad = self.first_data_block != first or self.bpg == 0 or self.ipg == 0 or self.bpg > self.bs * 8
        bad = bad or self.ipg > self.bs * 8 or self.isz < 128 or self.isz > self.bs or (self.isz & (self.isz - 1)) != 0
        bad = bad or self.blocks_count <= self.first_data_block + 1 or self.first_ino < 11 or self.inodes_count < self.first_ino
        if bad:
            kwarn("ext2: bad geometry in the superblock; not mounted")
            raise SysError(EINVAL)
        self.ngroups = (self.blocks_count - self.first_data_block + self.bpg - 1) // self.bpg
        if self.inodes_count > self.ngroups * self.ipg or self.blocks_count * self.spb > dev.sector_count():
            kwarn("ext2: superblock counts do not fit the device; not mounted")
            raise SysError(EINVAL)
        self.gdt_block = self.first_data_block + 1
        if self.gdt_block + (self.ngroups * GD_SIZE + self.bs - 1) // self.bs > self.blocks_count:
            raise SysError(EINVAL)

    # ----------------------------------------------------------------- block cache

    def check_block(self, blk: u64) -> None:
        """EUCLEAN unless blk can be a block of the file system."""
        if blk <= self.first_data_block or blk >= self.blocks_count:
            raise SysError(corrupt("block number out of range"))

    def bget(self, blk: u64) -> u64:
        """The cached buffer of metadata block blk, read if needed (EUCLEAN, EIO, ENOMEM)."""
        self.check_block(blk)
        a = self.cache.get(blk, u64(0))
        if a != 0:
            return a
        a = kmalloc(self.bs)
        if a == 0:
            raise SysError(ENOMEM)
        try:
            self.dev.read_sectors(blk * self.spb, self.spb, a)
        except SysError as e:
            kfree(a)
            raise e
        self.cache[blk] = a
        self.cached.append(blk)
        return a

    def bdirty(self, blk: u64) -> None:
        """Block blk (cached) was changed: write it back at the next flush (EROFS read-only)."""
        if self.ro:
            raise SysError(EROFS)
        if not self.dirty.get(blk, False):
            self.dirty[blk] = True
            self.dirty_list.append(blk)

    def bnew(self, blk: u64) -> u64:
        """The buffer of freshly allocated block blk, zeroed and dirty (not read)."""
        self.check_block(blk)
        a = self.cache.get(blk, u64(0))
        if a == 0:
            a = kmalloc(self.bs)
            if a == 0:
                raise SysError(ENOMEM)
            self.cache[blk] = a
            self.cached.append(blk)
        memset(a, 0, self.bs)
        self.bdirty(blk)
        return a

    def bforget(self, blk: u64) -> None:
        """Drop block blk from the cache without writing it (it was freed)."""
        a = self.cache.get(blk, u64(0))
        if a == 0:
            return
        del self.cache[blk]
        if self.dirty.get(blk, False):
            del self.dirty[blk]
        for i in range(0, len(self.cached)):
            if self.cached[i] == blk:
                del self.cached[i]
                break
        kfree(a)

    def write_dirty(self) -> None:
        """Write every dirty cached block and the superblock to the device."""
        for blk in self.dirty_list:
            if self.dirty.get(blk, False):
                a = self.cache.get(blk, u64(0))
                if a != 0:
                    self.dev.write_sectors(blk * self.spb, self.spb, a)
                del self.dirty[blk]
        self.dirty_list.clear()
        if self.sb_dirty:
            self.dev.write_sectors(u64(2), u64(2), self.sbuf)
            self.sb_dirty = False

    def flush(self) -> None:
        """Write back everything dirty and make it durable (the device's cache flushed)."""
        if self.ro:
            return
        self.write_dirty()
        self.dev.flush()

    def shrink(self) -> None:
        """At an operation boundary (no buffer address is held): write back and empty the cache
        when it holds more than CACHE_MAX blocks."""
        if len(self.cached) <= CACHE_MAX:
            return
        if not self.ro:
            self.write_dirty()
        for blk in self.cached:
            a = self.cache.get(blk, u64(0))
            if a != 0:
                kfree(a)
        self.cache.clear()
        self.cached.clear()

    def release(self) -> None:
        """Free every cached buffer (after the last flush: the file system is gone)."""
        for blk in self.cached:
            a = self.cache.get(blk, u64(0))
            if a != 0:
                kfree(a)
        self.cache.clear()
        self.cached.clear()
        self.dirty.clear()
        self.dirty_list.clear()

    def __del__(self) -> None:
        """Free the cached buffers and the superblock copy with the last reference."""
        self.release()
        if self.sbuf != 0:
            kfree(self.sbuf)

    def read_data(self, blk: u64, addr: u64) -> None:
        """Read file data block blk into kernel memory at addr (a dirty cached copy wins)."""
        self.check_block(blk)
        a = self.cache.get(blk, u64(0))
        if a != 0:
            memcpy(addr, a, self.bs)
            return
        self.dev.read_sectors(blk * self.spb, self.spb, addr)

    def write_data(self, blk: u64, addr: u64) -> None:
        """Write file data block blk from kernel memory at addr."""
        self.check_block(blk)
        if self.ro:
            raise SysError(EROFS)
        self.bforget(blk)
        self.dev.write_sectors(blk * self.spb, self.spb, addr)

    # ----------------------------------------------------------------- superblock and groups

    def sb_add(self, off: u64, delta: u64, sub: bool) -> None:
        """Add (or subtract) delta to the superblock's u32 counter at off."""
        v = ld32(self.sbuf + off)
        if sub:
            v = v - delta if v >= delta else u64(0)
        else:
            v = v + delta
        st32(self.sbuf + off, v)
        self.sb_dirty = True

    def free_blocks(self) -> u64:
        """The superblock's free block count."""
        return ld32(self.sbuf + 12)

    def free_inodes(self) -> u64:
        """The superblock's free inode count."""
        return ld32(self.sbuf + 16)

    def reserved_blocks(self) -> u64:
        """Blocks kept for root."""
        return ld32(self.sbuf + 8)

    def set_state(self, valid: bool) -> None:
        """Mark the file system cleanly unmounted (valid) or in use."""
        st = ld16(self.sbuf + 58)
        if valid:
            st |= STATE_VALID
        else:
            st &= ~STATE_VALID
        st16(self.sbuf + 58, st)
        self.sb_dirty = True

    def note_large_file(self) -> None:
        """A file grew past 2 GiB: the LARGE_FILE feature must be on."""
        if not self.large_file:
            self.large_file = True
            st32(self.sbuf + 100, ld32(self.sbuf + 100) | RO_COMPAT_LARGE_FILE)
            if ld32(self.sbuf + 76) == 0:
                # A revision 0 superblock has no feature fields: become revision 1.
                st32(self.sbuf + 76, u64(1))
                st32(self.sbuf + 84, u64(11))
                st16(self.sbuf + 88, u64(128))
            self.sb_dirty = True

    def gd(self, g: u64) -> u64:
        """The address of group g's descriptor (its block cached); mark with gd_dirty."""
        off = g * GD_SIZE
        return self.bget(self.gdt_block + off // self.bs) + (off % self.bs)

    def gd_dirty(self, g: u64) -> None:
        """Group g's descriptor changed."""
        self.bdirty(self.gdt_block + (g * GD_SIZE) // self.bs)

    def blocks_in_group(self, g: u64) -> u64:
        """How many blocks group g has (the last may be short)."""
        start = self.first_data_block + g * self.bpg
        n = self.blocks_count - start
        if n > self.bpg:
            n = self.bpg
        return n

    # ----------------------------------------------------------------- allocation

    def find_zero_bit(self, bm: u64, n: u64) -> u64:
        """The first clear bit among the first n of bitmap bm, or n if none."""
        i = u64(0)
        while i < n:
            byte = u64(Ptr[u8](bm + (i >> u64(3))).load())
            if (i & u64(7)) == 0 and byte == 0xFF:
                i += 8
                continue
            if (byte & (u64(1) << (i & u64(7)))) == 0:
                return i
            i += 1
        return n

    def alloc_block(self, goal: u64, m: E2Meta) -> u64:
        """A free block, preferably in group goal, charged to m's block count (ENOSPC, EROFS)."""
        if self.ro:
            raise SysError(EROFS)
        if self.free_blocks() == 0:
            raise SysError(ENOSPC)
        for k in range(u64(0), self.ngroups):
            g = (goal + k) % self.ngroups
            d = self.gd(g)
            if ld16(d + 12) == 0:
                continue
            bmb = ld32(d)
            bm = self.bget(bmb)
            n = self.blocks_in_group(g)
            bit = self.find_zero_bit(bm, n)
            if bit >= n:
                continue
            blk = self.first_data_block + g * self.bpg + bit
            if blk <= self.first_data_block or blk >= self.blocks_count:
                raise SysError(corrupt("block bitmap"))
            p = Ptr[u8](bm + (bit >> u64(3)))
            p.store(p.load() | u8(u64(1) << (bit & u64(7))))
            self.bdirty(bmb)
            d = self.gd(g)
            st16(d + 12, ld16(d + 12) - 1)
            self.gd_dirty(g)
            self.sb_add(u64(12), u64(1), True)
            m.iblocks += self.spb
            return blk
        raise SysError(ENOSPC)

    def free_block(self, blk: u64, m: E2Meta) -> None:
        """Give block blk back (a block already free is logged and left alone)."""
        self.check_block(blk)
        g = (blk - self.first_data_block) // self.bpg
        bit = (blk - self.first_data_block) % self.bpg
        d = self.gd(g)
        bmb = ld32(d)
        bm = self.bget(bmb)
        p = Ptr[u8](bm + (bit >> u64(3)))
        mask = u8(u64(1) << (bit & u64(7)))
        if (p.load() & mask) == 0:
            kwarn("ext2: freeing a free block")
            return
        p.store(p.load() & ~mask)
        self.bdirty(bmb)
        d = self.gd(g)
        st16(d + 12, ld16(d + 12) + 1)
        self.gd_dirty(g)
        self.sb_add(u64(12), u64(1), False)
        m.iblocks = m.iblocks - self.spb if m.iblocks >= self.spb else u64(0)
        self.bforget(blk)

    def alloc_inode(self, goal: u64, is_dir: bool) -> u64:
        """A free inode number, preferably in group goal, its record zeroed (ENOSPC, EROFS)."""
        if self.ro:
            raise SysError(EROFS)
        if self.free_inodes() == 0:
            raise SysError(ENOSPC)
        for k in range(u64(0), self.ngroups):
            g = (goal + k) % self.ngroups
            d = self.gd(g)
            if ld16(d + 14) == 0:
                continue
            bmb = ld32(d + 4)
            bm = self.bget(bmb)
            n = self.ipg
            bit = u64(0)
            while True:
                bit = self.find_zero_bit(bm, n)
                if bit >= n or g * self.ipg + bit + 1 >= self.first_ino:
                    break
                # A reserved inode's bit is clear: skip it (mark it, as e2fsck would).
                p0 = Ptr[u8](bm + (bit >> u64(3)))
                p0.store(p0.load() | u8(u64(1) << (bit & u64(7))))
            if bit >= n:
                continue
            ino = g * self.ipg + bit + 1
            if ino > self.inodes_count:
                continue
            p = Ptr[u8](bm + (bit >> u64(3)))
            p.store(p.load() | u8(u64(1) << (bit & u64(7))))
            self.bdirty(bmb)
            d = self.gd(g)
            st16(d + 14, ld16(d + 14) - 1)
            if is_dir:
                st16(d + 16, ld16(d + 16) + 1)
            self.gd_dirty(g)
            self.sb_add(u64(16), u64(1), True)
            a = self.inode_addr(ino)
            memset(a, 0, self.isz)
            self.inode_dirty(ino)
            return ino
        raise SysError(ENOSPC)

    def free_inode(self, ino: u64, is_dir: bool) -> None:
        """Give inode number ino back."""
        g = (ino - 1) // self.ipg
        bit = (ino - 1) % self.ipg
        d = self.gd(g)
        bmb = ld32(d + 4)
        bm = self.bget(bmb)
        p = Ptr[u8](bm + (bit >> u64(3)))
        mask = u8(u64(1) << (bit & u64(7)))
        if (p.load() & mask) == 0:
            kwarn("ext2: freeing a free inode")
            return
        p.store(p.load() & ~mask)
        self.bdirty(bmb)
        d = self.gd(g)
        st16(d + 14, ld16(d + 14) + 1)
        if is_dir and ld16(d + 16) > 0:
            st16(d + 16, ld16(d + 16) - 1)
        self.gd_dirty(g)
        self.sb_add(u64(16), u64(1), False)

    # ----------------------------------------------------------------- inode table

    def inode_block(self, ino: u64) -> u64:
        """The inode-table block holding inode ino (EUCLEAN for a bad number)."""
        if ino == 0 or ino > self.inodes_count:
            raise SysError(corrupt("inode number out of range"))
        g = (ino - 1) // self.ipg
        idx = (ino - 1) % self.ipg
        table = ld32(self.gd(g) + 8)
        return table + (idx * self.isz) // self.bs

    def inode_addr(self, ino: u64) -> u64:
        """The address of inode ino's record in the cache."""
        idx = (ino - 1) % self.ipg
        return self.bget(self.inode_block(ino)) + (idx * self.isz) % self.bs

    def inode_dirty(self, ino: u64) -> None:
        """Inode ino's record changed."""
        self.bdirty(self.inode_block(ino))

    def group_of(self, ino: u64) -> u64:
        """The group inode ino lives in (allocation goal for its blocks and children)."""
        if ino == 0:
            return u64(0)
        return ((ino - 1) // self.ipg) % self.ngroups

    # ----------------------------------------------------------------- block map

    def max_blocks(self) -> u64:
        """How many logical blocks a file can map."""
        p = self.ptrs
        return N_DIRECT + p + p * p + p * p * p

    def bmap(self, m: E2Meta, lblk: u64, alloc: bool) -> u64:
        """The physical block of m's logical block lblk; 0 for a hole unless alloc (then one is
        allocated, with any indirect block on the way) (EFBIG, ENOSPC, EUCLEAN)."""
        goal = self.group_of(m.ino)
        if lblk < N_DIRECT:
            b = u64(m.blocks[lblk])
            if b == 0 and alloc:
                b = self.alloc_block(goal, m)
                m.blocks[lblk] = u32(b)
            return b
        p = self.ptrs
        rest = lblk - N_DIRECT
        depth = u64(1)
        slot = IND
        span = u64(1)
        if rest >= p:
            rest -= p
            depth = u64(2)
            slot = DIND
            span = p
            if rest >= p * p:
                rest -= p * p
                depth = u64(3)
                slot = TIND
                span = p * p
                if rest >= p * p * p:
                    raise SysError(EFBIG)
        b = u64(m.blocks[slot])
        if b == 0:
            if not alloc:
                return u64(0)
            b = self.alloc_block(goal, m)
            self.bnew(b)
            m.blocks[slot] = u32(b)
        while depth > 0:
            idx = rest // span
            rest = rest % span
            a = self.bget(b)
            nb = ld32(a + idx * 4)
            if nb == 0:
                if not alloc:
                    return u64(0)
                nb = self.alloc_block(goal, m)
                if depth > 1:
                    self.bnew(nb)
                a = self.bget(b)
                st32(a + idx * 4, nb)
                self.bdirty(b)
            else:
                self.check_block(nb)
            b = nb
            depth -= 1
            span = span // p if span >= p else u64(1)
        return b

    def ptrs_of(self, blk: u64) -> List[u64]:
        """The pointers of indirect block blk, copied out (freeing may drop the buffer)."""
        if self.budget == 0:
            raise SysError(corrupt("block tree too large"))
        self.budget -= 1
        a = self.bget(blk)
        out: List[u64] = []
        for i in range(u64(0), self.ptrs):
            out.append(ld32(a + i * 4))
        return out

    def free_tree(self, blk: u64, depth: u64, m: E2Meta) -> None:
        """Free block blk and, when it is an indirect block (depth > 0), everything below it."""
        if depth > 0:
            ps = self.ptrs_of(blk)
            for nb in ps:
                if nb != 0:
                    self.free_tree(nb, depth - 1, m)
        self.free_block(blk, m)

    def trunc_tree(self, blk: u64, depth: u64, first: u64, keep: u64, m: E2Meta) -> bool:
        """Free what indirect block blk (covering logical blocks from first on) maps at or past
        logical block keep; True when nothing is left in it."""
        span = u64(1)
        for i in range(u64(1), depth):
            span *= self.ptrs
        ps = self.ptrs_of(blk)
        empty = True
        for j in range(0, len(ps)):
            nb = ps[j]
            if nb == 0:
                continue
            start = first + u64(j) * span
            gone = False
            if start >= keep:
                self.free_tree(nb, depth - 1, m)
                gone = True
            elif depth > 1 and start + span > keep:
                if self.trunc_tree(nb, depth - 1, start, keep, m):
                    self.free_block(nb, m)
                    gone = True
            if gone:
                st32(self.bget(blk) + u64(j) * 4, u64(0))
                self.bdirty(blk)
            else:
                empty = False
        return empty

    def free_from(self, m: E2Meta, keep: u64) -> None:
        """Free m's blocks at logical block keep and beyond (truncate, delete)."""
        self.budget = self.blocks_count * 2 + 16
        for i in range(keep, N_DIRECT):
            b = u64(m.blocks[i])
            if b != 0:
                self.free_block(b, m)
                m.blocks[i] = u32(0)
        p = self.ptrs
        first = N_DIRECT
        span = p
        for k in range(0, 3):
            slot = IND + k
            b = u64(m.blocks[slot])
            if b != 0:
                if keep <= first:
                    self.free_tree(b, u64(k + 1), m)
                    m.blocks[slot] = u32(0)
                elif keep < first + span:
                    if self.trunc_tree(b, u64(k + 1), first, keep, m):
                        self.free_block(b, m)
                        m.blocks[slot] = u32(0)
            first += span
            span *= p
