"""Demand paging and copy-on-write: user page faults resolved from a process's VM areas.

A page of an area gets a frame on first touch: a zeroed one for anonymous memory, the file's
own page (shared mappings, and private ones until they write) or a private copy of it. A
private page whose frame has other owners (fork shared it, or it is a file page) is mapped
read-only; the write fault that follows copies it (or just adds WRITE when this process turns
out to be the last owner). The kernel's own accesses to user memory (asterpy.mm.usermem) come
here too, so syscalls see the same memory the program would.

Out of memory (no frame for the page or for a page table), the OOM killer (asterpy.task.oom,
reached through an upcall) frees some, as Linux does: it picks the process with the largest footprint (resident pages plus page tables; never
init, pid 1), logs it the way Linux does and sends it SIGKILL. A fault the program took itself
then lets the victim run to its end and tries again; a process that is itself the one picked
gets SIGKILL instead of the page. A kernel access to user memory (inside a syscall) never lets
other tasks run, so it fails (EFAULT) while the victim's memory is on its way back.
"""

from typing import Final

from asterpy.lang import SysError, memcpy, memset, u64
from asterpy.lang.errno import ENOMEM
from asterpy.kernel.upcalls import OOM_RETRY, OOM_SELF_KILLED, upcalls
from asterpy.mm.paging import EXEC, NO_PHYS, READ, USER, WRITE, AddressSpace, leaf_entry
from asterpy.mm.vma import PROT_EXEC, PROT_WRITE, PROT_ALL, Vma
import asterpy.mm.paging as paging
import asterpy.mm.filepages as filepages
from asterpy.mm.uspace import PAGE, PAGE_MASK, USER_TOP, UserSpace

SIGBUS: Final = u64(7)
SIGKILL: Final = u64(9)
SI_KERNEL: Final = u64(0x80)
SIGSEGV: Final = u64(11)
SEGV_MAPERR: Final = u64(1)
SEGV_ACCERR: Final = u64(2)
BUS_ADRERR: Final = u64(2)

# user_fault's answers: 0, or (signal << 8) | si_code.
FAULT_OK: Final = u64(0)
FAULT_MAPERR: Final = (SIGSEGV << 8) | SEGV_MAPERR
FAULT_ACCERR: Final = (SIGSEGV << 8) | SEGV_ACCERR
FAULT_SIGBUS: Final = (SIGBUS << 8) | BUS_ADRERR
# The faulting process was the OOM killer's pick: it gets SIGKILL (it is already pending).
FAULT_OOM_KILLED: Final = (SIGKILL << 8) | SI_KERNEL
# How many victims one fault may ask for before it gives up (SIGBUS).
OOM_MAX_VICTIMS: Final = u64(16)


def prot_pte_flags(prot: u64, writable: bool) -> u64:
    """Page-table flags for an area's protection; WRITE only if writable (not a shared frame).

    PROT_NONE pages stay mapped (their contents live on) but without USER, so any user access
    faults and the fault handler answers SEGV_ACCERR.
    """
    if (prot & PROT_ALL) == 0:
        return READ
    fl = READ | USER
    if (prot & PROT_EXEC) != 0:
        fl |= EXEC
    if writable and (prot & PROT_WRITE) != 0:
        fl |= WRITE
    return fl


def set_pte(space: AddressSpace, va: u64, pa: u64, flags: u64) -> None:
    """Point the present 4 KiB entry of va at pa with flags, in place (no table is freed)."""
    slot = space.leaf_slot(va, u64(0))
    slot.store(leaf_entry(pa, flags, False))
    if space.hw:
        paging.tlb_flush_page(va)


def next_mapped(space: AddressSpace, va: u64, end: u64) -> u64:
    """The first page address in [va, end) with a present entry, or end; skips missing tables whole."""
    while va < end:
        lv = u64(0)
        while lv < 3 and space.table_on_path(va, lv) == NO_PHYS:
            lv += 1
        if lv == 0:
            if space.flags_of(va) != 0:
                return va
            va += PAGE
        else:
            step = u64(1) << (u64(12) + u64(9) * lv)
            va = (va + step) & ~(step - 1)
    return end


def zap_range(p: UserSpace, start: u64, end: u64) -> None:
    """Unmap every page of [start, end) and drop this space's reference to each frame."""
    va = next_mapped(p.space, start, end)
    while va < end:
        pa = p.space.unmap(va)
        if pa != NO_PHYS:
            p.frames.free(pa)
        va = next_mapped(p.space, va + PAGE, end)


def is_file_page(p: UserSpace, v: Vma, va: u64, pa: u64) -> bool:
    """Whether frame pa is the backing file's own page for va (never written by a private area)."""
    ino = v.inode
    if ino is None:
        return False
    return ino.page_or_zero(v.file_offset(va) >> 12) == p.dm + pa


def exclusive(p: UserSpace, v: Vma, va: u64, pa: u64) -> bool:
    """Whether this private area may write frame pa in place: it is its only owner."""
    return p.frames.refcount(pa) == 1 and not is_file_page(p, v, va, pa)


def page_flags_for(p: UserSpace, v: Vma, va: u64, pa: u64) -> u64:
    """The flags the present page va (frame pa) of area v should have now."""
    return prot_pte_flags(v.prot, v.shared() or exclusive(p, v, va, pa))


def file_frames_usable(p: UserSpace) -> bool:
    """Whether file pages are frames of p's allocator (fs_use_frames), so they can be mapped."""
    src = filepages.page_source
    return src is not None and src.frames is p.frames and src.dm == p.dm


def populate(p: UserSpace, v: Vma, va: u64, write: bool) -> u64:
    """Back the absent page va of area v (ENOMEM raised); FAULT_OK or FAULT_SIGBUS past the file's end."""
    ino = v.inode
    if ino is not None:
        off = v.file_offset(va)
        if off >= ino.file_size():
            return FAULT_SIGBUS
        idx = off >> 12
        if v.shared():
            if not file_frames_usable(p):
                return FAULT_SIGBUS
            a = ino.page_for_write(idx)
            pa = a - p.dm
            p.space.map(va, pa, prot_pte_flags(v.prot, True))
            p.frames.share(pa)
            return FAULT_OK
        a = ino.page_or_zero(idx)
        if a != 0 and not write and file_frames_usable(p):
            pa = a - p.dm
            p.space.map(va, pa, prot_pte_flags(v.prot, False))
            p.frames.share(pa)
            return FAULT_OK
        frame = p.frames.alloc()
        if a != 0:
            memcpy(p.dm + frame, a, PAGE)
        else:
            memset(p.dm + frame, 0, PAGE)
        try:
            p.space.map(va, frame, prot_pte_flags(v.prot, True))
        except SysError as e:
            p.frames.free(frame)
            raise SysError(e.errno)
        return FAULT_OK
    frame = p.frames.alloc()
    memset(p.dm + frame, 0, PAGE)
    try:
        p.space.map(va, frame, prot_pte_flags(v.prot, True))
    except SysError as e:
        p.frames.free(frame)
        raise SysError(e.errno)
    return FAULT_OK


def break_cow(p: UserSpace, v: Vma, va: u64, pa: u64) -> None:
    """Give the private page va (frame pa, shared) a copy of its own, writable (ENOMEM)."""
    frame = p.frames.alloc()
    memcpy(p.dm + frame, p.dm + pa, PAGE)
    set_pte(p.space, va, frame, prot_pte_flags(v.prot, True))
    p.frames.free(pa)


def resolve(p: UserSpace, v: Vma, addr: u64, write: bool) -> u64:
    """Back or fix the page of addr in area v (access already checked); ENOMEM raised."""
    va = addr & ~PAGE_MASK
    if p.space.flags_of(va) == 0:
        return populate(p, v, va, write)
    if p.space.find_leaf(va) != 0:
        return FAULT_ACCERR
    pa = p.space.translate(va)
    if write and not v.shared() and not exclusive(p, v, va, pa):
        break_cow(p, v, va, pa)
        return FAULT_OK
    set_pte(p.space, va, pa, page_flags_for(p, v, va, pa))
    return FAULT_OK


def user_fault(p: UserSpace, addr: u64, write: bool, exec: bool) -> u64:
    """Resolve an access to user address addr made by the kernel for p (a syscall's copy, or
    MAP_POPULATE): FAULT_OK when the page is now there, else the signal and si_code a user access
    would get ((sig << 8) | code: SEGV_MAPERR, SEGV_ACCERR, SIGBUS). Never lets another task run
    (syscall code relies on that between its checks and its copies), so out of memory it only
    starts the OOM kill and answers SIGBUS (EFAULT for the syscall), as Linux's uaccess does."""
    return resolve_fault(p, addr, write, exec, False)


def user_mode_fault(p: UserSpace, addr: u64, write: bool, exec: bool) -> u64:
    """Resolve a page fault the program itself took at addr: as user_fault, but out of memory the
    OOM killer's victim is waited for and the fault retried; SIGKILL if p itself was the pick."""
    return resolve_fault(p, addr, write, exec, True)


def resolve_fault(p: UserSpace, addr: u64, write: bool, exec: bool, may_wait: bool) -> u64:
    """user_fault and user_mode_fault: may_wait says whether other tasks may run meanwhile."""
    if addr >= USER_TOP:
        return FAULT_MAPERR
    v = p.vmas.find(addr)
    if v is None:
        return FAULT_MAPERR
    if (v.prot & PROT_ALL) == 0 or (write and (v.prot & PROT_WRITE) == 0) or (exec and (v.prot & PROT_EXEC) == 0):
        return FAULT_ACCERR
    victims = u64(0)
    retried = False
    while True:
        try:
            return resolve(p, v, addr, write)
        except SysError as e:
            if e.errno != ENOMEM:
                # A shared file mapping on a full file system (ENOSPC): SIGBUS, as on Linux.
                return FAULT_SIGBUS
        # Out of memory: free some by ending the largest process, then try again. A failure
        # injected on purpose (asterpy.failslab) is passing: one retry first spares a victim.
        if not retried:
            retried = True
            continue
        if victims >= OOM_MAX_VICTIMS:
            return FAULT_SIGBUS
        victims += 1
        res = upcalls().out_of_memory(p, may_wait)
        if res == OOM_SELF_KILLED:
            return FAULT_OOM_KILLED
        if res != OOM_RETRY:
            return FAULT_SIGBUS
        # The area may have gone while others ran (an munmap by another thread).
        found = p.vmas.find(addr)
        if found is None:
            return FAULT_MAPERR
        v = found


def resident_pages(q: UserSpace) -> u64:
    """Pages present in q's user areas (shared ones counted in each owner, as Linux's rss; a
    process sharing its address space (CLONE_VM) counts all of it, as each sharer does on Linux)."""
    n = u64(0)
    for v in q.vmas.areas:
        va = next_mapped(q.space, v.start, v.end)
        while va < v.end:
            n += 1
            va = next_mapped(q.space, va + PAGE, v.end)
    return n


def anon_resident_pages(q: UserSpace) -> u64:
    """The resident pages of q's anonymous areas."""
    n = u64(0)
    for v in q.vmas.areas:
        if v.inode is None:
            va = next_mapped(q.space, v.start, v.end)
            while va < v.end:
                n += 1
                va = next_mapped(q.space, va + PAGE, v.end)
    return n


def handle_user_fault(p: UserSpace, addr: u64, write: bool, exec: bool) -> bool:
    """A user-mode page fault at addr: True if fixed (return to the program), False if the caller
    must send a signal (user_mode_fault says which, and its si_code)."""
    return user_mode_fault(p, addr, write, exec) == FAULT_OK


def fault_in(p: UserSpace, va: u64, write: bool) -> bool:
    """Make user address va present (and writable if asked) for a kernel access; False: EFAULT."""
    return user_fault(p, va, write, False) == FAULT_OK


def refresh_range(p: UserSpace, v: Vma, start: u64, end: u64) -> None:
    """Re-derive the flags of the present pages of [start, end) inside area v (after mprotect)."""
    va = next_mapped(p.space, start, end)
    while va < end:
        pa = p.space.translate(va)
        set_pte(p.space, va, pa, page_flags_for(p, v, va, pa))
        va = next_mapped(p.space, va + PAGE, end)


def move_pages(p: UserSpace, old: u64, new: u64, length: u64) -> None:
    """Move the present pages of [old, old + length) to new.. (frames and flags kept; mremap)."""
    end = old + length
    va = next_mapped(p.space, old, end)
    while va < end:
        fl = p.space.flags_of(va)
        pa = p.space.unmap(va)
        try:
            p.space.map(new + (va - old), pa, fl)
        except SysError:
            # No frame for a page table: the page is lost (it reads as zero again), not leaked.
            p.frames.free(pa)
        va = next_mapped(p.space, va + PAGE, end)
