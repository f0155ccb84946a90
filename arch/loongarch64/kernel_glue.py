"""loongarch64 composition root (docs/architecture.md, L5): what kernel_main wires at boot.

The build resolves `kernel_glue` like `kernel_arch`. loongarch64 has no user mode yet, hence no tasks,
files or syscalls: there are no upcalls to register and init= only gets a note.
"""

from asterpy.lang import Ptr, kwarn, u64, u8
from asterpy.kernel.bootinfo import boot_info
from asterpy.mm.frames import FrameAllocator
from asterpy.mm.paging import AddressSpace


def register_upcalls() -> None:
    """No task layer on loongarch64 yet: the layers below keep the task-less answers (asterpy.kernel.upcalls)."""


def run_init_if_requested(fa: FrameAllocator | None, kspace: AddressSpace | None) -> None:
    """kernel_main's last step: user mode is not ported to loongarch64 yet, so init= only gets a note."""
    if cmdline_names_init():
        kwarn("init: user mode is not available on loongarch64 yet")


def probe_devices() -> None:
    """kernel_main's device probe: virtio-mmio is not written yet, so no disks on loongarch64 (docs/drivers.md)."""


def fs_use_frames(fa: FrameAllocator, dm: u64) -> None:
    """kernel_main's hand-over of frames to the page cache: no files on loongarch64 yet (user mode is not ported)."""


def cmdline_names_init() -> bool:
    """Whether a command-line word starts with `init=`."""
    if boot_info.cmdline == 0:
        return False
    p = Ptr[u8](boot_info.direct_map + boot_info.cmdline)
    n = boot_info.cmdline_len
    i = u64(0)
    while i + 5 <= n:
        if ((i == 0 or p[i - 1] == 0x20) and p[i] == 0x69 and p[i + 1] == 0x6E and p[i + 2] == 0x69
                and p[i + 3] == 0x74 and p[i + 4] == 0x3D):
            return True
        i += 1
    return False
