"""A user address space as mm/ sees it: the caller's page tables, VM areas and frames, and its layout.

`UserSpace` is what the address-space code (asterpy.mm.mmap, asterpy.mm.fault) works on, so it
never imports the task layer; `asterpy.task.process.Process` derives from it (through
`asterpy.fs.context.FsCaller`).
"""

from typing import Final

from asterpy.lang import List, u64
from asterpy.kernel.caller import Caller
from asterpy.mm.frames import FrameAllocator
from asterpy.mm.paging import AddressSpace
from asterpy.mm.vma import VmaList

PAGE: Final = u64(4096)
PAGE_MASK: Final = u64(4095)

# The user half of the address space: [0, USER_TOP). The kernel half's top-level entries
# (256..511 on x86_64) are copied from the kernel's tables, so kernel code, data and the direct
# map stay reachable while a process's tables are loaded.
USER_TOP: Final = u64(0x0000800000000000)

# The stack: its top just below the last user page (Linux puts it near 0x7ffffffff000 too),
# STACK_LIMIT reserved (RLIMIT_STACK, one VM area: the rest is paged in on fault).
STACK_TOP: Final = u64(0x00007FFFFFFFF000)
STACK_LIMIT: Final = u64(8 << 20)
# mmap places areas top-down from MMAP_END, down to MMAP_LOW (mm/mmap.py); ELF images stay below
# MMAP_BASE.
MMAP_LOW: Final = u64(0x10000)
MMAP_BASE: Final = u64(0x00007F0000000000)
MMAP_END: Final = STACK_TOP - STACK_LIMIT - (u64(1) << 30)


class UserSpace(Caller):
    """The caller's address space: page tables, VM areas, the frames behind them, and RLIMIT_AS."""

    frames: FrameAllocator
    space: AddressSpace
    dm: u64              # the kernel's direct map base (physical 0)
    vmas: VmaList        # the VM areas (shared by CLONE_VM threads, like `space`)
    rlim_cur: List[u64]  # resource limits (soft) by RLIMIT_* number: mmap checks RLIMIT_AS
