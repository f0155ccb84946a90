"""x86_64 composition root (docs/architecture.md, L5): what kernel_main wires at boot, and the syscall handler.

The build resolves `kernel_glue` like `kernel_arch` (arch/<arch>/ is a module root). Only this
module, kernel_main, the boot entry and the trap dispatcher may import every layer: here the
syscall entry stub (syscall.py) reaches the syscall table and the scheduler, the task layer's
upcalls are registered for the layers below it, and file pages start coming from frames.
"""

from asterpy.lang import Ptr, kinfo, u64
from asterpy.drivers.pci import pci_scan
import asterpy.drivers.virtio_blk as virtio_blk
from asterpy.lang.linkage import export
from asterpy.mm.frames import FrameAllocator
from asterpy.mm.paging import AddressSpace
import asterpy.mm.filepages as filepages
from asterpy.mm.vdso import vdso_install
from arch.x86_64.vdso_image import vdso_image_length, vdso_image_start
from asterpy.fs.superblock import set_default_size
from arch.x86_64.syscall import SyscallFrame
from asterpy.syscall.numbers import x86_64_sys_id
from asterpy.syscall.dispatch import syscall_dispatch
from asterpy.task.sched import sched_return_to_user
from asterpy.task.upcalls import register_task_upcalls
import asterpy.task.init as task_init
import asterpy.task.procinfo as task_procinfo


def register_upcalls() -> None:
    """Let files, drivers and wait channels reach the scheduler and signals (asterpy.kernel.upcalls)."""
    register_task_upcalls()
    # /proc learns about processes from the task layer (fs/ cannot import it).
    task_procinfo.register_proc_provider()


def fs_use_frames(fa: FrameAllocator, dm: u64) -> None:
    """Let the page cache (asterpy.mm.filepages) take file-data pages from the frame allocator,
    size the root file system and tmpfs mounts at half of memory (Linux's tmpfs default), then
    put the vDSO and vvar pages in frames of it (every exec maps them, asterpy.mm.vdso)."""
    filepages.fs_use_frames(fa, dm)
    set_default_size(fa.frame_count // 2)
    vdso_install(fa, dm, vdso_image_start(), vdso_image_length())


def probe_devices() -> None:
    """Find the devices drivers exist for: PCI, then the virtio disks on it (registered as vda, vdb...)."""
    devs = pci_scan()
    kinfo(f"pci: {len(devs)} functions")
    virtio_blk.probe_pci(devs)


def run_init_if_requested(fa: FrameAllocator | None, kspace: AddressSpace | None) -> None:
    """Run init= from the initramfs when the command line asks (kernel_main's last step)."""
    task_init.run_init_if_requested(fa, kspace)


@export("x86_syscall")
def x86_syscall(frame: u64) -> None:
    """Called by the entry stub with interrupts off: dispatch the call, store the result in rax."""
    p = Ptr[SyscallFrame](frame)
    f = p.load()
    sys_id = x86_64_sys_id(f.nr)
    r = syscall_dispatch(sys_id, f.nr, f.rdi, f.rsi, f.rdx, f.r10, f.r8, f.r9)
    # (rt_sigreturn answers the restored rax, so storing the result is right for it too.)
    Ptr[u64](frame + 14 * 8).store(u64(r))
    # Preemption and signal delivery happen here, on the way out.
    sched_return_to_user(frame, True)
