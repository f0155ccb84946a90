"""What a file mapping is backed by: the page-source interface files implement for mm/.

A VM area of a file mapping (asterpy.mm.vma) holds a `FilePages`; the fault handler asks it for the
page of a file offset, so mm/ never imports fs/. `asterpy.fs.inode.RegInode` implements it (shared
anonymous memory is an unnamed RegInode too).

File data pages come from the kernel heap until `fs_use_frames` (called by the composition root
at boot) makes them whole frames, which is what lets the fault handler map them into user space.
"""

from typing import Final

from asterpy.lang import SysError, memset, u64
from asterpy.lang.errno import ENOMEM
from asterpy.mm.frames import FrameAllocator
from asterpy.mm.heap import kfree, kmalloc

PAGE: Final = u64(4096)


class FilePages:
    """The pages of a file's data, by page index; kernel (direct-map) addresses, 0 for a hole."""

    def file_size(self) -> u64:
        """The file's size in bytes (a fault past it is SIGBUS)."""
        return u64(0)

    def page_or_zero(self, index: u64) -> u64:
        """The page holding [index*4096, (index+1)*4096), or 0 for a hole or past the end."""
        return u64(0)

    def page_for_write(self, index: u64) -> u64:
        """The page at index, made (zeroed) if absent: a shared mapping writes to it (ENOMEM)."""
        raise SysError(ENOMEM)


class PageSource:
    """Where file pages come from once the kernel says so: whole frames, reached through the
    direct map (the kernel heap is a fraction of memory; a ramfs may use all of it)."""

    frames: FrameAllocator
    dm: u64

    def __init__(self, frames: FrameAllocator, dm: u64) -> None:
        """Frames from `frames`, at kernel address dm + physical."""
        self.frames = frames
        self.dm = dm


# None until fs_use_frames: file pages then come from the kernel heap (unit tests, early boot).
page_source: PageSource | None = None


def fs_use_frames(frames: FrameAllocator, dm: u64) -> None:
    """Take file data pages from the frame allocator from now on (call before any file exists:
    pages are given back to where they came from by the same rule)."""
    global page_source
    page_source = PageSource(frames, dm)


def page_alloc() -> u64:
    """A zeroed page of kernel memory for file data (ENOMEM)."""
    src = page_source
    a = u64(0)
    if src is not None:
        a = src.dm + src.frames.alloc()
    else:
        a = kmalloc(PAGE)
        if a == 0:
            raise SysError(ENOMEM)
    memset(a, 0, PAGE)
    return a


def page_free(a: u64) -> None:
    """Give back a page from page_alloc."""
    src = page_source
    if src is not None:
        src.frames.free(a - src.dm)
    else:
        kfree(a)
