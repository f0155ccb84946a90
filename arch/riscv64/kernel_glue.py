"""riscv64 composition root (docs/architecture.md, L5): what kernel_main wires at boot.

The build resolves `kernel_glue` like `kernel_arch`. riscv64 has no user mode yet, hence no tasks,
files or syscalls: there are no upcalls to register and init= only gets a note.
"""

from typing import Final

from asterpy.lang import List, Ptr, kwarn, u64, u8
import asterpy.drivers.virtio_blk as virtio_blk
from asterpy.kernel.bootinfo import boot_info
from asterpy.mm.frames import FrameAllocator
from asterpy.mm.paging import AddressSpace


VIRTIO_MMIO_BASE: Final = u64(0x10001000)
VIRTIO_MMIO_STRIDE: Final = u64(0x1000)
VIRTIO_SLOTS: Final = u64(8)


def register_upcalls() -> None:
    """No task layer on riscv64 yet: the layers below keep the task-less answers (asterpy.kernel.upcalls)."""


def run_init_if_requested(fa: FrameAllocator | None, kspace: AddressSpace | None) -> None:
    """kernel_main's last step: user mode is not ported to riscv64 yet, so init= only gets a note."""
    if cmdline_names_init():
        kwarn("init: user mode is not available on riscv64 yet")


def probe_devices() -> None:
    """kernel_main's device probe: the virtio-mmio block devices in QEMU virt's eight slots (polled)."""
    slots: List[u64] = []
    # QEMU's virt board: 0x10001000 + 0x1000 * i, i < 8 (a fixed layout; the FDT lists the same).
    # QEMU fills them from the top down: the highest slot holds the first -device, which is vda.
    for i in range(u64(0), VIRTIO_SLOTS):
        slots.append(VIRTIO_MMIO_BASE + (VIRTIO_SLOTS - 1 - i) * VIRTIO_MMIO_STRIDE)
    virtio_blk.probe_mmio(slots)


def fs_use_frames(fa: FrameAllocator, dm: u64) -> None:
    """kernel_main's hand-over of frames to the page cache: no files on riscv64 yet (user mode is not ported)."""


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
