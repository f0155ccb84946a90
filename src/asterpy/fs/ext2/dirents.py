"""ext2 directory blocks: entries found, inserted and removed in place (in the block cache).

An entry is inode (u32), record length (u16), name length (u8), file type (u8, 0 without the
FILETYPE feature) and the name, records 4-byte aligned and never crossing a block. Every record
is checked before it is used (`check_entry`: EUCLEAN for one that does not fit).
"""

from typing import Final

from asterpy.lang import Ptr, SysError, u8, u32, u64
from asterpy.fs.ext2.disk import E2Meta, Ext2Fs, INDEX_FL, corrupt, ld16, ld32, st16, st32
from asterpy.fs.inode import DirInode
from asterpy.fs.mode import S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK

# Directory entry file types.
FT_REG: Final = u64(1)
FT_DIR: Final = u64(2)
FT_CHR: Final = u64(3)
FT_BLK: Final = u64(4)
FT_FIFO: Final = u64(5)
FT_SOCK: Final = u64(6)
FT_LNK: Final = u64(7)


def rec_size(name_len: u64) -> u64:
    """The smallest record for a name of name_len bytes (8-byte header, 4-byte aligned)."""
    return (u64(8) + name_len + u64(3)) & ~u64(3)


def file_type(mode: u32, with_types: bool) -> u64:
    """The directory entry type byte for mode (0 when the file system has no FILETYPE feature)."""
    if not with_types:
        return u64(0)
    k = mode & S_IFMT
    if k == S_IFREG:
        return FT_REG
    if k == S_IFDIR:
        return FT_DIR
    if k == S_IFCHR:
        return FT_CHR
    if k == S_IFBLK:
        return FT_BLK
    if k == S_IFIFO:
        return FT_FIFO
    if k == S_IFSOCK:
        return FT_SOCK
    return FT_LNK


def check_entry(fs: Ext2Fs, e: u64, pos: u64) -> u64:
    """The record length of the entry at e (offset pos in its block), checked (EUCLEAN)."""
    rl = ld16(e + 4)
    nl = u64(Ptr[u8](e + 6).load())
    if rl < 12 or (rl & u64(3)) != 0 or pos + rl > fs.bs or (ld32(e) != 0 and rec_size(nl) > rl):
        raise SysError(corrupt("directory entry"))
    return rl


def dir_block(fs: Ext2Fs, m: E2Meta, lb: u64) -> u64:
    """The physical block of a directory's logical block lb (m its block map; a hole is corruption)."""
    pb = fs.bmap(m, lb, False)
    if pb == 0:
        raise SysError(corrupt("hole in a directory"))
    return pb


def dir_insert(d: DirInode, m: E2Meta, fs: Ext2Fs, name: bytearray, num: u64, ftype: u64) -> u64:
    """Write entry name -> num into directory d with block map m (in a free gap, or a new block);
    its byte offset."""
    need = rec_size(u64(len(name)))
    nblk = d.size // fs.bs
    m.flags = m.flags & ~INDEX_FL
    off = u64(0)
    found = False
    e = u64(0)
    pb = u64(0)
    for lb in range(u64(0), nblk):
        pb = dir_block(fs, m, lb)
        pos = u64(0)
        while pos < fs.bs:
            ent = fs.bget(pb) + pos
            rl = check_entry(fs, ent, pos)
            used = u64(0)
            if ld32(ent) != 0:
                used = rec_size(u64(Ptr[u8](ent + 6).load()))
            if rl - used >= need:
                if used != 0:
                    st16(ent + 4, used)
                    e = ent + used
                    st16(e + 4, rl - used)
                    off = lb * fs.bs + pos + used
                else:
                    e = ent
                    off = lb * fs.bs + pos
                found = True
                break
            pos += rl
        if found:
            break
    if not found:
        pb = fs.bmap(m, nblk, True)
        e = fs.bnew(pb)
        st16(e + 4, fs.bs)
        off = nblk * fs.bs
        d.size += fs.bs
    st32(e, num)
    Ptr[u8](e + 6).store(u8(len(name)))
    Ptr[u8](e + 7).store(u8(ftype))
    for i in range(0, len(name)):
        Ptr[u8](e + 8 + u64(i)).store(name[i])
    fs.bdirty(pb)
    return off


def dir_erase(m: E2Meta, fs: Ext2Fs, off: u64, name: bytearray) -> None:
    """Remove the on-disk entry at byte offset off (it must be called name): the previous
    record absorbs it, or the first of a block is marked unused."""
    lb = off // fs.bs
    want = off % fs.bs
    pb = dir_block(fs, m, lb)
    m.flags = m.flags & ~INDEX_FL
    pos = u64(0)
    prev = u64(0)
    has_prev = False
    while pos < fs.bs:
        e = fs.bget(pb) + pos
        rl = check_entry(fs, e, pos)
        if pos == want:
            nl = u64(Ptr[u8](e + 6).load())
            same = nl == u64(len(name))
            if same:
                for i in range(u64(0), nl):
                    if Ptr[u8](e + 8 + i).load() != name[i]:
                        same = False
            if not same or ld32(e) == 0:
                raise SysError(corrupt("directory changed under its cache"))
            if has_prev:
                pe = fs.bget(pb) + prev
                st16(pe + 4, ld16(pe + 4) + rl)
            else:
                st32(e, u64(0))
            fs.bdirty(pb)
            return
        prev = pos
        has_prev = True
        pos += rl
    raise SysError(corrupt("directory entry not found"))


def set_dotdot(m: E2Meta, fs: Ext2Fs, parent_ino: u64) -> None:
    """Point the ".." entry of the directory with block map m (second in its first block) at parent_ino."""
    pb = dir_block(fs, m, u64(0))
    a = fs.bget(pb)
    rl = check_entry(fs, a, u64(0))
    if rl >= fs.bs:
        raise SysError(corrupt("directory without .."))
    e = a + rl
    check_entry(fs, e, rl)
    st32(e, parent_ino)
    fs.bdirty(pb)


def init_dir_block(d: DirInode, m: E2Meta, fs: Ext2Fs, parent_ino: u64) -> None:
    """The first block of a new directory: "." and ".."."""
    pb = fs.bmap(m, u64(0), True)
    a = fs.bnew(pb)
    st32(a, m.ino)
    st16(a + 4, u64(12))
    ft = FT_DIR if fs.filetype else u64(0)
    Ptr[u8](a + 6).store(u8(1))
    Ptr[u8](a + 7).store(u8(ft))
    Ptr[u8](a + 8).store(u8(0x2E))
    e = a + 12
    st32(e, parent_ino)
    st16(e + 4, fs.bs - 12)
    Ptr[u8](e + 6).store(u8(2))
    Ptr[u8](e + 7).store(u8(ft))
    Ptr[u8](e + 8).store(u8(0x2E))
    Ptr[u8](e + 9).store(u8(0x2E))
    fs.bdirty(pb)
    d.size = fs.bs
