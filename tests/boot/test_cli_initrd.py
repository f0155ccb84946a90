"""`asterpy run --initrd` hands an initramfs to the kernel and passes init's exit status on."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bootbuild import SharedKernels

REPO = Path(__file__).resolve().parents[2]
BUSYBOX = Path("/bin/busybox")

pytestmark = pytest.mark.boot


def test_run_busybox_from_an_initrd(tmp_path: Path, shared_kernels: SharedKernels) -> None:
    """Debian's static busybox runs `echo` as init; `asterpy run` exits with its status (0)."""
    shared_kernels.get("x86_64")  # built once per session: the run's own build is then a no-op
    if not BUSYBOX.is_file() or shutil.which("cpio") is None:
        pytest.fail("busybox-static and cpio are part of ./dev setup")
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    shutil.copy(BUSYBOX, root / "bin" / "busybox")
    files = subprocess.run(["find", "."], cwd=root, capture_output=True, text=True, check=True).stdout
    initrd = tmp_path / "initrd.cpio"
    with initrd.open("wb") as out:
        subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=root, input=files.encode(), stdout=out, check=True)
    r = subprocess.run([sys.executable, "-m", "translator.cli", "run", "--initrd", str(initrd), "--timeout", "60",
                        "-a", "asterpy.exit=1 init=/bin/busybox -- echo hello from busybox"],
                       cwd=REPO, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert "hello from busybox" in r.stdout.splitlines(), r.stdout + r.stderr
    assert "init exited with status 0" in r.stdout
    assert r.returncode == 0, r.stdout + r.stderr
