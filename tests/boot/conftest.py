"""Fixtures for boot tests: the x86_64 shim linked with the stub kmain, in three builds; the real
kernel of each arch, built once per session; the default initramfs."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bootbuild import SharedKernels, build_stub_kernel  # noqa: E402


@pytest.fixture(scope="session")
def boot_build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A per-session directory for kernels and ISOs."""
    return tmp_path_factory.mktemp("boot")


@pytest.fixture(scope="session")
def stub_kernel(boot_build_dir: Path) -> Path:
    """Shim with all three headers (multiboot1, multiboot2, PVH note) + stub kmain."""
    return build_stub_kernel(boot_build_dir, "kernel.elf")


@pytest.fixture(scope="session")
def stub_kernel_pvh(boot_build_dir: Path) -> Path:
    """Shim without the multiboot1 header, so QEMU's -kernel takes the PVH note."""
    return build_stub_kernel(boot_build_dir, "kernel-pvh.elf", defines=["ASTERPY_NO_MULTIBOOT1"])


@pytest.fixture(scope="session")
def stub_iso(boot_build_dir: Path, stub_kernel: Path) -> Path:
    """GRUB ISO that multiboot2-loads the stub kernel."""
    if shutil.which("grub-mkrescue") is None:
        pytest.skip("grub-mkrescue not installed")
    from images import make_grub_iso

    return make_grub_iso(stub_kernel, boot_build_dir / "kernel.iso", cmdline="console=ttyS0")


@pytest.fixture
def qemu_x86() -> str:
    """The qemu-system-x86_64 binary; skips the test when it is not installed."""
    path = shutil.which("qemu-system-x86_64")
    if path is None:
        pytest.skip("qemu-system-x86_64 not installed")
    return path


@pytest.fixture(scope="session")
def shared_kernels() -> SharedKernels:
    """The per-session kernel builds (ask with .get(arch))."""
    return SharedKernels()


@pytest.fixture(scope="session")
def default_initramfs(shared_kernels: SharedKernels) -> Path:
    """The default x86_64 image (busybox, /etc, /tests/{musl,glibc}/t_*), built or reused once per
    session next to the kernel (images/out/x86_64/initramfs.cpio.gz)."""
    from images.initramfs import build_initramfs
    shared_kernels.get("x86_64")
    return build_initramfs("x86_64")
