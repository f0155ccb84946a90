"""The vDSO and vvar pages in user address spaces: made once at boot, mapped by every exec.

The image (translator/vdso.py builds it; the kernel carries it, arch/x86_64/vdso_image.py) is
copied into frames once; the vvar page is one more frame, which kernel.time keeps current. Every
process maps both as private, read-only file-like areas (`VdsoPages`), so the fault handler shares
the same frames with all of them, fork copies the areas like any other, and mremap moves them.
"""

from typing import Final

from asterpy.lang import List, SysError, memcpy, memset, u64
from asterpy.lang.errno import ENOMEM
from asterpy.kernel.time import vvar_attach
from asterpy.mm.filepages import FilePages
from asterpy.mm.frames import FrameAllocator
from asterpy.mm.uspace import MMAP_END, MMAP_LOW, STACK_LIMIT, STACK_TOP, UserSpace
from asterpy.mm.vma import NO_ADDR, PROT_EXEC, PROT_READ, Vma
from asterpy.vdso.layout import VVAR_PAGE_BYTES

PAGE: Final = u64(4096)
# What /proc/PID/maps names an area of each kind.
KIND_VVAR: Final = u64(1)
KIND_VDSO: Final = u64(2)


class VdsoPages(FilePages):
    """The pages behind [vvar] or [vdso]: frames made at boot and never freed (kernel addresses)."""

    pages: List[u64]
    size: u64
    kind: u64

    def __init__(self, kind: u64) -> None:
        """No pages yet."""
        self.pages = []
        self.size = u64(0)
        self.kind = kind

    def file_size(self) -> u64:
        """The area's size in bytes."""
        return self.size

    def page_or_zero(self, index: u64) -> u64:
        """The page at index (0 past the end)."""
        if index >= u64(len(self.pages)):
            return u64(0)
        return self.pages[index]


_vvar: VdsoPages | None = None
_vdso: VdsoPages | None = None


def new_page(frames: FrameAllocator, dm: u64, into: VdsoPages) -> u64:
    """One zeroed frame appended to into (its kernel address; ENOMEM)."""
    pa = frames.alloc()
    memset(dm + pa, 0, PAGE)
    into.pages.append(dm + pa)
    into.size += PAGE
    return dm + pa


def vdso_install(frames: FrameAllocator, dm: u64, image: u64, length: u64) -> None:
    """Copy the vDSO image (length bytes at kernel address image) into frames, make the vvar page and
    start publishing the clock there; every exec maps both from now on."""
    global _vvar, _vdso
    if length == 0:
        return
    vv = VdsoPages(KIND_VVAR)
    vd = VdsoPages(KIND_VDSO)
    try:
        vvar_page = new_page(frames, dm, vv)
        off = u64(0)
        while off < length:
            n = length - off
            if n > PAGE:
                n = PAGE
            memcpy(new_page(frames, dm, vd), image + off, n)
            off += PAGE
    except SysError:
        return              # no frames at boot: processes run without a vDSO (libc uses syscalls)
    vvar_attach(vvar_page)
    _vvar = vv
    _vdso = vd


def vdso_kind(pages: FilePages | None) -> u64:
    """KIND_VVAR or KIND_VDSO for the backing of a [vvar] or [vdso] area, else 0 (/proc's maps)."""
    if isinstance(pages, VdsoPages):
        return pages.kind
    return u64(0)


def map_vdso(p: UserSpace) -> u64:
    """Map [vvar] and, right after it, [vdso] into p (a fresh image being built by exec): the
    vDSO's address for AT_SYSINFO_EHDR, or 0 when there is no vDSO (ENOMEM when no room)."""
    vv = _vvar
    vd = _vdso
    if vv is None or vd is None:
        return u64(0)
    total = VVAR_PAGE_BYTES + vd.size
    # Below the stack's reservation, with a guard page: in the stack's page directory, so a
    # process's vDSO costs one page table more, not two (a fork walks and an exit frees each).
    at = STACK_TOP - STACK_LIMIT - PAGE - total
    if not p.vmas.is_free(at, at + total + PAGE):
        at = p.vmas.find_free(total, MMAP_LOW, MMAP_END, True)
    if at == NO_ADDR:
        raise SysError(ENOMEM)
    p.vmas.insert(Vma(at, at + VVAR_PAGE_BYTES, PROT_READ, u64(0), vv, u64(0)))
    p.vmas.insert(Vma(at + VVAR_PAGE_BYTES, at + total, PROT_READ | PROT_EXEC, u64(0), vd, u64(0)))
    return at + VVAR_PAGE_BYTES
