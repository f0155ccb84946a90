"""Fixtures for the FDT reader tests: fresh simulated memory, and real DTBs dumped from QEMU."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator, Sequence

import pytest

from asterpy.lang import memory

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fdt_ref import RISCV_BOOTARGS  # noqa: E402


@pytest.fixture(autouse=True)
def fresh_sim() -> Iterator[memory.SimMemory]:
    """Every test starts with empty simulated memory."""
    yield memory.reset_sim()


def dump_dtb(qemu: str, out: Path, machine_args: Sequence[str]) -> bytes:
    """Run QEMU's `-machine virt,dumpdtb=out` with extra arguments and return the blob."""
    binary = shutil.which(qemu)
    if binary is None:
        pytest.skip(f"{qemu} not installed")
    cmd = [binary, "-machine", f"virt,dumpdtb={out}", "-nodefaults", "-display", "none",
           *machine_args]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=30)
    assert out.exists(), f"{' '.join(cmd)} wrote no DTB:\n{proc.stdout}"
    return out.read_bytes()


@pytest.fixture(scope="session")
def dtb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A per-session directory for dumped DTBs."""
    return tmp_path_factory.mktemp("dtb")


@pytest.fixture(scope="session")
def riscv_dtb(dtb_dir: Path) -> bytes:
    """qemu-system-riscv64 virt, 256 MiB, 2 harts, a command line and an initrd."""
    # -append needs -kernel; any non-empty file loads as a raw image for the dump.
    dummy = dtb_dir / "dummy.bin"
    dummy.write_bytes(bytes(4096))
    return dump_dtb("qemu-system-riscv64", dtb_dir / "riscv64.dtb",
                    ["-m", "256M", "-smp", "2", "-kernel", str(dummy), "-initrd", str(dummy),
                     "-append", RISCV_BOOTARGS])


@pytest.fixture(scope="session")
def riscv_dtb_1g(dtb_dir: Path) -> bytes:
    """qemu-system-riscv64 virt with 1 GiB and no command line."""
    return dump_dtb("qemu-system-riscv64", dtb_dir / "riscv64-1g.dtb", ["-m", "1G"])


@pytest.fixture(scope="session")
def loongarch_dtb(dtb_dir: Path) -> bytes:
    """qemu-system-loongarch64 virt with 1 GiB (the least QEMU 7.2 accepts there)."""
    return dump_dtb("qemu-system-loongarch64", dtb_dir / "loongarch64.dtb", ["-m", "1G"])


@pytest.fixture(scope="session")
def dtc() -> str:
    """The dtc binary (Debian: device-tree-compiler); skips the test when it is missing."""
    path = shutil.which("dtc")
    if path is None:
        pytest.skip("dtc not installed (device-tree-compiler); the reference parser covers this")
    return path
