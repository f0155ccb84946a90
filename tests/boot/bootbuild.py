"""Build the x86_64 boot shim with a test kmain into a kernel ELF (zig cc + ld.lld); share the real
kernel's build between the boot test modules of a session."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from translator.build import BuildResult

REPO = Path(__file__).resolve().parents[2]
ARCH_X86 = REPO / "arch" / "x86_64"
BOOT_S = ARCH_X86 / "boot.S"
KERNEL_LD = ARCH_X86 / "kernel.ld"
STUB_S = Path(__file__).resolve().parent / "fixtures" / "kmain_stub.S"

# The translator will drive the same two tools; these are the flags the shim needs.
ZIG = [sys.executable, "-m", "ziglang"]
CC_FLAGS = ["-target", "x86_64-freestanding-none", "-c"]
LD_FLAGS = ["-z", "max-page-size=4096", "--build-id=none", "-nostdlib", "-static"]


def _run(command: Sequence[str]) -> None:
    """Run a build command; raise with its output on failure."""
    proc = subprocess.run(list(command), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({proc.returncode}):\n{proc.stdout}")


def assemble(source: Path, out: Path, defines: Sequence[str] = ()) -> Path:
    """Assemble one .S file for x86_64 freestanding with zig cc."""
    _run([*ZIG, "cc", *CC_FLAGS, *[f"-D{d}" for d in defines], str(source), "-o", str(out)])
    return out


def link(objects: Sequence[Path], out: Path) -> Path:
    """Link objects with arch/x86_64/kernel.ld into a kernel ELF with ld.lld."""
    _run([*ZIG, "ld.lld", "-T", str(KERNEL_LD), *LD_FLAGS, *map(str, objects), "-o", str(out)])
    return out


def build_stub_kernel(out_dir: Path, name: str = "kernel.elf",
                      defines: Sequence[str] = ()) -> Path:
    """Boot shim + stub kmain -> out_dir/name; defines go to boot.S (e.g. ASTERPY_NO_MULTIBOOT1)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = Path(name).stem
    boot_o = assemble(BOOT_S, out_dir / f"{stem}-boot.o", defines)
    stub_o = assemble(STUB_S, out_dir / f"{stem}-stub.o")
    return link([boot_o, stub_o], out_dir / name)


class SharedKernels:
    """The real kernel of each arch, built at most once per test session.

    The build goes where `asterpy build` puts it (images/out/<arch>/, both x86_64 variants), so
    it is skipped when nothing changed since the last one (translator/build.py's manifest hashes
    every translated module, the shim, the linker script and the translator), and `asterpy run`
    in the CLI tests finds it current too. ASTERPY_TEST_REBUILD=1 forces one real build per arch.
    """

    def __init__(self) -> None:
        """No kernel built yet."""
        self._built: dict[str, "BuildResult"] = {}
        self._failed: dict[str, Exception] = {}
        self._lock = threading.Lock()

    def get(self, arch: str) -> "BuildResult":
        """The BuildResult for arch, building it the first time it is asked for; a failed build
        is not tried again in the session (every test that needs it gets the same error)."""
        from translator.build import build_kernel
        with self._lock:
            if arch in self._failed:
                raise self._failed[arch]
            if arch not in self._built:
                force = os.environ.get("ASTERPY_TEST_REBUILD", "") not in ("", "0")
                try:
                    self._built[arch] = build_kernel(arch, force=force)
                except Exception as exc:
                    self._failed[arch] = exc
                    raise
            return self._built[arch]
