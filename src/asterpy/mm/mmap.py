"""Address-space operations on a process's VM areas: map, unmap, protect, remap, advise.

The syscall layer (asterpy.syscall.mm) checks the user's arguments and the file; these
functions change the areas and keep the page tables in step (pages themselves come on fault).
"""

from typing import Final

from asterpy.lang import SysError, u64
from asterpy.lang.errno import EEXIST, EFAULT, EINVAL, ENOMEM
from asterpy.mm.filepages import FilePages
from asterpy.mm.vma import NO_ADDR, PROT_WRITE, Vma
from asterpy.mm.fault import move_pages, refresh_range, zap_range
from asterpy.mm.uspace import MMAP_END, MMAP_LOW, PAGE_MASK, USER_TOP, UserSpace

# How mmap_area places a mapping.
PLACE_ANY: Final = u64(0)        # anywhere free (a hint is tried first)
PLACE_FIXED: Final = u64(1)      # exactly at addr, replacing what is there
PLACE_NOREPLACE: Final = u64(2)  # exactly at addr, EEXIST if anything is there


RLIMIT_AS: Final = u64(9)


def check_as_limit(p: UserSpace, more: u64, replaced: u64) -> None:
    """ENOMEM if growing the address space by `more` bytes (of which `replaced` are already
    mapped and go away) would pass RLIMIT_AS."""
    limit = p.rlim_cur[RLIMIT_AS]
    total = p.vmas.total_size()
    if total > replaced:
        total -= replaced
    else:
        total = u64(0)
    if more > limit or total > limit - more:
        raise SysError(ENOMEM)


def mapped_bytes(p: UserSpace, start: u64, end: u64) -> u64:
    """Bytes of [start, end) that areas cover."""
    n = u64(0)
    at = start
    while at < end:
        v = p.vmas.find(at)
        if v is None:
            i = p.vmas.index_after(at)
            if i >= len(p.vmas.areas) or p.vmas.areas[i].start >= end:
                return n
            at = p.vmas.areas[i].start
            continue
        stop = v.end
        if stop > end:
            stop = end
        n += stop - at
        at = stop
    return n


def place(p: UserSpace, addr: u64, size: u64, how: u64) -> u64:
    """The address for a new mapping of size bytes (page aligned): addr when fixed, the hint when
    free, else the highest free gap of the mmap range (ENOMEM, EEXIST)."""
    if how != PLACE_ANY:
        if p.vmas.overlaps(addr, addr + size):
            if how == PLACE_NOREPLACE:
                raise SysError(EEXIST)
            unmap(p, addr, addr + size)
        return addr
    hint = addr & ~PAGE_MASK
    if hint >= MMAP_LOW and size <= USER_TOP - hint and p.vmas.is_free(hint, hint + size):
        return hint
    at = p.vmas.find_free(size, MMAP_LOW, MMAP_END, True)
    if at == NO_ADDR:
        raise SysError(ENOMEM)
    return at


def mmap_area(p: UserSpace, addr: u64, size: u64, prot: u64, flags: u64, inode: FilePages | None, off: u64,
              how: u64) -> u64:
    """Map size bytes (page aligned, nonzero) with prot and VM_* flags, backed by inode at off
    (None: anonymous; the caller passes shared anonymous memory's unnamed file); the address."""
    if size > USER_TOP:
        raise SysError(ENOMEM)
    replaced = u64(0)
    if how == PLACE_FIXED:
        replaced = mapped_bytes(p, addr, addr + size)
    check_as_limit(p, size, replaced)
    at = place(p, addr, size, how)
    p.vmas.insert(Vma(at, at + size, prot, flags, inode, off))
    return at


def unmap(p: UserSpace, start: u64, end: u64) -> None:
    """Remove [start, end) from the areas and drop its pages (unmapped parts are fine)."""
    p.vmas.remove_range(start, end)
    zap_range(p, start, end)


def protect(p: UserSpace, start: u64, end: u64, prot: u64) -> None:
    """Give [start, end) protection prot (ENOMEM unless it is all mapped; EACCES for write on a
    read-only shared file mapping, checked by the caller)."""
    if not p.vmas.covered(start, end):
        raise SysError(ENOMEM)
    p.vmas.set_prot(start, end, prot)
    at = start
    while at < end:
        v = p.vmas.find(at)
        if v is None:
            return
        stop = v.end
        if stop > end:
            stop = end
        refresh_range(p, v, at, stop)
        at = stop


def remap(p: UserSpace, old: u64, old_size: u64, new_size: u64, may_move: bool, fixed: bool, new_addr: u64) -> u64:
    """mremap: resize [old, old + old_size) to new_size (page aligned sizes), in place if it can,
    else moved (may_move), or to new_addr (fixed); the new address (EFAULT, ENOMEM, EINVAL)."""
    v = p.vmas.find(old)
    if v is None or old_size > v.end - old:
        raise SysError(EFAULT)
    if fixed:
        if (new_addr & PAGE_MASK) != 0 or new_size > USER_TOP or new_addr > USER_TOP - new_size:
            raise SysError(EINVAL)
        if new_addr < old + old_size and old < new_addr + new_size:
            raise SysError(EINVAL)
        if new_size > old_size:
            check_as_limit(p, new_size - old_size, mapped_bytes(p, new_addr, new_addr + new_size))
        unmap(p, new_addr, new_addr + new_size)
        return move(p, v, old, old_size, new_size, new_addr)
    if new_size <= old_size:
        unmap(p, old + new_size, old + old_size)
        return old
    check_as_limit(p, new_size - old_size, u64(0))
    grow_end = old + new_size
    if old + old_size == v.end and grow_end <= USER_TOP and grow_end > old and p.vmas.is_free(v.end, grow_end):
        p.vmas.insert(vma_piece_beyond(v, v.end, grow_end))
        return old
    if not may_move:
        raise SysError(ENOMEM)
    at = p.vmas.find_free(new_size, MMAP_LOW, MMAP_END, True)
    if at == NO_ADDR:
        raise SysError(ENOMEM)
    return move(p, v, old, old_size, new_size, at)


def vma_piece_beyond(v: Vma, start: u64, end: u64) -> Vma:
    """An area like v covering [start, end) past its end (the file offset continues)."""
    return Vma(start, end, v.prot, v.flags, v.inode, v.file_offset(start))


def move(p: UserSpace, v: Vma, old: u64, old_size: u64, new_size: u64, at: u64) -> u64:
    """Move [old, old + old_size) of area v to at, sized new_size; at."""
    keep = old_size
    if new_size < keep:
        keep = new_size
    moved = Vma(at, at + new_size, v.prot, v.flags, v.inode, v.file_offset(old))
    move_pages(p, old, at, keep)
    unmap(p, old, old + old_size)
    p.vmas.insert(moved)
    return at


def drop_pages(p: UserSpace, start: u64, end: u64) -> None:
    """MADV_DONTNEED: forget the pages of [start, end) (ENOMEM unless all mapped); private ones
    read as zero (or the file) again, shared ones refault from their backing file."""
    if not p.vmas.covered(start, end):
        raise SysError(ENOMEM)
    zap_range(p, start, end)


def check_mapped(p: UserSpace, start: u64, end: u64) -> None:
    """ENOMEM unless [start, end) is all mapped."""
    if not p.vmas.covered(start, end):
        raise SysError(ENOMEM)


def area_writable_ok(p: UserSpace, start: u64, end: u64, prot: u64, nowrite_flag: u64) -> bool:
    """Whether no area of [start, end) forbids prot's PROT_WRITE (shared file mappings of files
    not opened for writing carry nowrite_flag)."""
    if (prot & PROT_WRITE) == 0:
        return True
    at = start
    while at < end:
        v = p.vmas.find(at)
        if v is None:
            return True
        if (v.flags & nowrite_flag) != 0:
            return False
        at = v.end
    return True

