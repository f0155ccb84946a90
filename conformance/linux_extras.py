"""What Debian's Linux needs beside its vmlinux to run LTP's device cases: the loop driver (a module
in Debian's kernel) and the kernel's .config (tst_kconfig reads /boot/config-<release>).

Both come from the same linux-image package benchmarks/bench.py fetched the vmlinux from (apt-get
download again, dpkg-deb -x, kept next to that vmlinux in extras/). They go into the image as
/lib/modules/loop.ko and /boot/config-<release>: the runner loads loop.ko where insmod works (Linux),
and asterpy, whose release differs, never reads that config.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path
from typing import Callable

Reporter = Callable[[str], None]


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a Debian tool quietly; never raises for a non-zero status."""
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False,
                          env={**os.environ, "DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"})


def linux_extras(vmlinux: Path, package: str, version: str, report: Reporter) -> dict[str, bytes]:
    """Image path -> bytes of loop.ko and the .config of the kernel package (empty when unavailable)."""
    extras = vmlinux.parent / "extras"
    loop = extras / "loop.ko"
    configs = sorted(extras.glob("config-*"))
    if not (loop.is_file() and configs):
        extras.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="asterpy-linux-extras-", dir=extras) as tmp:
            tmpdir = Path(tmp)
            os.chmod(tmpdir, 0o755)  # apt's _apt user writes the download when it can
            report(f"  linux: apt-get download {package} ({version}) for loop.ko and the .config")
            dl = _run(["apt-get", "download", f"{package}={version}"], tmpdir)
            debs = list(tmpdir.glob("*.deb"))
            if dl.returncode != 0 or not debs:
                report(f"  linux: no loop.ko / .config ({dl.stderr.strip()[:200]}): device cases will not run")
                return {}
            unpacked = tmpdir / "x"
            if _run(["dpkg-deb", "-x", str(debs[0]), str(unpacked)], tmpdir).returncode != 0:
                return {}
            for found in unpacked.glob("lib/modules/*/kernel/drivers/block/loop.ko"):
                loop.write_bytes(found.read_bytes())
            for cfg in unpacked.glob("boot/config-*"):
                (extras / cfg.name).write_bytes(cfg.read_bytes())
        configs = sorted(extras.glob("config-*"))
    out: dict[str, bytes] = {}
    if loop.is_file():
        out["lib/modules/loop.ko"] = loop.read_bytes()
    for cfg in configs:
        out[f"boot/{cfg.name}"] = cfg.read_bytes()
    return out
