"""Memory syscalls: brk, mmap, munmap, mprotect, mremap, madvise, msync, mincore.

Each checks its arguments in Linux's order (its errno for each bad case) and hands the work to
asterpy.mm.mmap, which changes the process's VM areas; pages come on first touch (mm/fault.py).
"""

from typing import Final

from asterpy.lang import SysError, u8, u32, u64
from asterpy.lang.errno import EACCES, EBADF, EFAULT, EINVAL, ENODEV, ENOMEM, EOPNOTSUPP, EPERM, ESRCH
from asterpy.fs.inode import DevInode, RegInode
from asterpy.fs.mode import O_PATH
from asterpy.mm.mmap import (
    PLACE_ANY, PLACE_FIXED, PLACE_NOREPLACE, area_writable_ok, check_mapped, drop_pages, mmap_area, protect, remap,
    unmap,
)
from asterpy.mm.vma import VM_NOWRITE, VM_SHARED
import asterpy.mm.fault as mmfault
from asterpy.task.process import MMAP_LOW, PAGE, PAGE_MASK, USER_TOP, Process, current_process, page_up


PROT_MASK: Final = u64(7)
PROT_GROWS: Final = u64(0x03000000)      # PROT_GROWSDOWN | PROT_GROWSUP
PROT_WRITE: Final = u64(2)
MAP_SHARED: Final = u64(0x01)
MAP_PRIVATE: Final = u64(0x02)
MAP_SHARED_VALIDATE: Final = u64(0x03)
MAP_TYPE: Final = u64(0x0F)
MAP_FIXED: Final = u64(0x10)
MAP_ANONYMOUS: Final = u64(0x20)
MAP_FIXED_NOREPLACE: Final = u64(0x100000)
MAP_POPULATE: Final = u64(0x8000)
# The flags MAP_SHARED_VALIDATE accepts on a file (Linux's LEGACY_MAP_MASK, and NOREPLACE); any
# other bit is EOPNOTSUPP there (MAP_SYNC needs DAX, which no file here has).
MAP_VALIDATE_OK: Final = u64(0x3 | 0x10 | 0x20 | 0x100 | 0x800 | 0x1000 | 0x2000 | 0x4000 | 0x8000 | 0x10000
                             | 0x20000 | 0x40000 | 0x100000 | 0x4000000)
# /dev/zero (mem major 1, minor 5): a private mapping of it is anonymous memory.
MEM_MAJOR: Final = u32(1)
ZERO_MINOR: Final = u32(5)

MREMAP_MAYMOVE: Final = u64(1)
MREMAP_FIXED: Final = u64(2)
MREMAP_DONTUNMAP: Final = u64(4)

MS_ASYNC: Final = u64(1)
MS_INVALIDATE: Final = u64(2)
MS_SYNC: Final = u64(4)

MADV_DONTNEED: Final = u64(4)
MADV_FREE: Final = u64(8)
MADV_REMOVE: Final = u64(9)
MADV_HWPOISON: Final = u64(100)


def proc() -> Process:
    """The running process (every syscall has one)."""
    p = current_process()
    if p is None:
        raise SysError(ESRCH)
    return p


def user_range_end(addr: u64, length: u64) -> u64:
    """page_up(addr + length), or EINVAL unless [addr, addr + length) lies in user space.

    Checked before adding: a length near 2^64 would wrap the sum, even back onto addr itself.
    """
    if length > USER_TOP or addr > USER_TOP - length:
        raise SysError(EINVAL)
    return page_up(addr + length)


def is_dev_zero(p: Process, fd: u64) -> bool:
    """Whether fd is /dev/zero (its mappings are anonymous memory)."""
    ino = p.files.get(fd & 0xFFFFFFFF).inode
    return isinstance(ino, DevInode) and ino.rdev_major == MEM_MAJOR and ino.rdev_minor == ZERO_MINOR


def mapping_file(p: Process, fd: u64, prot: u64, kind: u64) -> RegInode:
    """The regular file behind fd for a mapping of that kind (EBADF, EACCES, ENODEV)."""
    f = p.files.get(fd & 0xFFFFFFFF)
    if (f.flags & O_PATH) != 0:
        raise SysError(EBADF)
    if kind != MAP_PRIVATE and (prot & PROT_WRITE) != 0 and not f.can_write():
        raise SysError(EACCES)
    if not f.can_read():
        raise SysError(EACCES)
    ino = f.inode
    if isinstance(ino, RegInode):
        return ino
    raise SysError(ENODEV)


def sys_mmap(addr: u64, length: u64, prot: u64, flags: u64, fd: u64, off: u64) -> u64:
    """mmap(2): anonymous or file, private or shared, at a hint, MAP_FIXED or MAP_FIXED_NOREPLACE
    (EINVAL, EBADF, EACCES, ENODEV, ENOMEM, EEXIST, EPERM below 64 KiB)."""
    if (off & PAGE_MASK) != 0:
        raise SysError(EINVAL)
    p = proc()
    anon = (flags & MAP_ANONYMOUS) != 0
    if not anon:
        p.files.get(fd & 0xFFFFFFFF)
    if length == 0:
        raise SysError(EINVAL)
    size = page_up(length)
    if size == 0 or size > USER_TOP:
        raise SysError(ENOMEM)
    how = PLACE_ANY
    if (flags & MAP_FIXED_NOREPLACE) != 0:
        how = PLACE_NOREPLACE
    elif (flags & MAP_FIXED) != 0:
        how = PLACE_FIXED
    if how != PLACE_ANY:
        if (addr & PAGE_MASK) != 0:
            raise SysError(EINVAL)
        if addr > USER_TOP - size:
            raise SysError(ENOMEM)
        if addr < MMAP_LOW:
            raise SysError(EPERM)
    kind = flags & MAP_TYPE
    if kind != MAP_PRIVATE and kind != MAP_SHARED and kind != MAP_SHARED_VALIDATE:
        raise SysError(EINVAL)
    vmflags = u64(0)
    if kind != MAP_PRIVATE:
        vmflags |= VM_SHARED
    if not anon and is_dev_zero(p, fd):
        anon = True
    at = u64(0)
    if anon:
        shared_anon: RegInode | None = None
        if (vmflags & VM_SHARED) != 0:
            # Shared anonymous memory is an unnamed file (0600), so fork and every mapper share its pages.
            shared_anon = RegInode(u32(0o600))
            shared_anon.uncounted = True    # memory, not file data: outside the root's size limit
            shared_anon.set_size(size)
        at = mmap_area(p, addr, size, prot & PROT_MASK, vmflags, shared_anon, u64(0), how)
    else:
        ino = mapping_file(p, fd, prot, kind)
        if kind == MAP_SHARED_VALIDATE and (flags & ~MAP_VALIDATE_OK) != 0:
            raise SysError(EOPNOTSUPP)
        if off + size < off:
            raise SysError(EINVAL)
        if (vmflags & VM_SHARED) != 0 and not p.files.get(fd & 0xFFFFFFFF).can_write():
            vmflags |= VM_NOWRITE
        at = mmap_area(p, addr, size, prot & PROT_MASK, vmflags, ino, off, how)
    if (flags & MAP_POPULATE) != 0:
        populate_range(p, at, at + size, (prot & PROT_WRITE) != 0 and kind == MAP_PRIVATE)
    return at


def populate_range(p: Process, start: u64, end: u64, write: bool) -> None:
    """MAP_POPULATE: fault the pages of [start, end) in now (stopping quietly at the first that
    cannot be, as Linux does: past a file's end, out of memory)."""
    va = start
    while va < end:
        if mmfault.user_fault(p, va, write, False) != mmfault.FAULT_OK:
            return
        va += PAGE


def sys_munmap(addr: u64, length: u64) -> u64:
    """munmap(2): EINVAL for an unaligned address, length 0 or a range leaving user space."""
    if (addr & PAGE_MASK) != 0 or length == 0:
        raise SysError(EINVAL)
    unmap(proc(), addr, user_range_end(addr, length))
    return u64(0)


def checked_end(addr: u64, length: u64) -> u64:
    """page_up(addr + length), ENOMEM if that wraps or leaves user space."""
    end = page_up(addr + length)
    if end < addr or addr + length < addr or end > USER_TOP:
        raise SysError(ENOMEM)
    return end


def sys_mprotect(addr: u64, length: u64, prot: u64) -> u64:
    """mprotect(2): new page permissions for a mapped range (EINVAL, ENOMEM for unmapped parts,
    EACCES for PROT_WRITE on a shared mapping of a file not open for writing)."""
    if (addr & PAGE_MASK) != 0 or (prot & ~(PROT_MASK | PROT_GROWS)) != 0:
        raise SysError(EINVAL)
    if length == 0:
        return u64(0)
    end = checked_end(addr, length)
    p = proc()
    check_mapped(p, addr, end)
    if not area_writable_ok(p, addr, end, prot, VM_NOWRITE):
        raise SysError(EACCES)
    protect(p, addr, end, prot & PROT_MASK)
    return u64(0)


def sys_mremap(old: u64, old_len: u64, new_len: u64, flags: u64, new_addr: u64) -> u64:
    """mremap(2): shrink, grow in place, move (MREMAP_MAYMOVE) or move to new_addr (MREMAP_FIXED)
    (EINVAL, EFAULT for an unmapped old range, ENOMEM when it cannot grow)."""
    if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) != 0:
        raise SysError(EINVAL)
    if (flags & MREMAP_FIXED) != 0 and (flags & MREMAP_MAYMOVE) == 0:
        raise SysError(EINVAL)
    if (flags & MREMAP_DONTUNMAP) != 0:
        raise SysError(EINVAL)
    if (old & PAGE_MASK) != 0:
        raise SysError(EINVAL)
    old_size = page_up(old_len)
    new_size = page_up(new_len)
    if new_size == 0 or old_size == 0 or new_size < new_len or old_size < old_len:
        raise SysError(EINVAL)
    if old_size > USER_TOP or old > USER_TOP - old_size:
        raise SysError(EFAULT)
    return remap(proc(), old, old_size, new_size, (flags & MREMAP_MAYMOVE) != 0, (flags & MREMAP_FIXED) != 0,
                 new_addr)


def advice_known(advice: u64) -> bool:
    """Whether advice is one of Linux's MADV_* values."""
    return advice <= 4 or (advice >= 8 and advice <= 25) or advice == MADV_HWPOISON


def sys_madvise(addr: u64, length: u64, advice: u64) -> u64:
    """madvise(2): MADV_DONTNEED (and FREE, REMOVE) drop pages, so private anonymous ones read as
    zero again; other advice is accepted (EINVAL, ENOMEM for unmapped parts)."""
    if (addr & PAGE_MASK) != 0 or not advice_known(advice):
        raise SysError(EINVAL)
    if length == 0:
        return u64(0)
    end = page_up(addr + length)
    if end < addr or addr + length < addr:
        raise SysError(EINVAL)
    if end > USER_TOP:
        raise SysError(ENOMEM)
    p = proc()
    if advice == MADV_DONTNEED or advice == MADV_FREE or advice == MADV_REMOVE:
        drop_pages(p, addr, end)
    else:
        check_mapped(p, addr, end)
    return u64(0)


def sys_msync(addr: u64, length: u64, flags: u64) -> u64:
    """msync(2): checks only (file pages are the page cache itself: nothing to write back)."""
    if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) != 0 or (addr & PAGE_MASK) != 0:
        raise SysError(EINVAL)
    if (flags & MS_ASYNC) != 0 and (flags & MS_SYNC) != 0:
        raise SysError(EINVAL)
    if length == 0:
        return u64(0)
    end = checked_end(addr, length)
    check_mapped(proc(), addr, end)
    return u64(0)


def sys_mincore(addr: u64, length: u64, vec: u64) -> u64:
    """mincore(2): one byte per page of a mapped range, 1 if the page is present (EINVAL, ENOMEM, EFAULT)."""
    if (addr & PAGE_MASK) != 0:
        raise SysError(EINVAL)
    end = checked_end(addr, length)
    p = proc()
    check_mapped(p, addr, end)
    n = (end - addr) // PAGE
    p.check_user(vec, n, True)
    for i in range(u64(0), n):
        present = u8(0)
        if p.space.flags_of(addr + i * PAGE) != 0:
            present = u8(1)
        p.put_byte(vec + i, present)
    return u64(0)


def syscall_brk(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of brk(2)."""
    return proc().set_brk(a0)


def syscall_mmap(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of mmap(2)."""
    return sys_mmap(a0, a1, a2, a3, a4, a5)


def syscall_munmap(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of munmap(2)."""
    return sys_munmap(a0, a1)


def syscall_mprotect(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of mprotect(2)."""
    return sys_mprotect(a0, a1, a2)


def syscall_mremap(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of mremap(2)."""
    return sys_mremap(a0, a1, a2, a3, a4)


def syscall_madvise(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of madvise(2)."""
    return sys_madvise(a0, a1, a2)


def syscall_msync(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of msync(2)."""
    return sys_msync(a0, a1, a2)


def syscall_mincore(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of mincore(2)."""
    return sys_mincore(a0, a1, a2)
