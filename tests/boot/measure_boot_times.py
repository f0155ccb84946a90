"""Measure start-to-banner time of the stub kernel per QEMU configuration (for docs/boot-x86_64.md).

Run: .venv/bin/python tests/boot/measure_boot_times.py [--runs N]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bootbuild import build_stub_kernel  # noqa: E402
from images import QemuConfig, QemuSession, make_grub_iso  # noqa: E402

BANNER = "asterpy stub kmain:"
QBOOT = "/usr/share/qemu/qboot.rom"


def measure(cfg: QemuConfig, runs: int) -> tuple[Optional[float], Optional[float], str]:
    """Median seconds to the banner and to QEMU's exit over runs, and the protocol magic seen."""
    banners, exits, magic = [], [], "-"
    for _ in range(runs):
        with QemuSession(cfg) as session:
            banner = session.wait_for(BANNER, cfg.timeout)
            session.wait(cfg.timeout)
            if banner is None:
                tail = (session.stderr or session.output)[-200:]
                return None, None, f"no banner: {tail.strip()!r}"
            banners.append(banner)
            exits.append(session.elapsed())
            line = next(ln for ln in session.output.splitlines() if BANNER in ln)
            magic = line.split("magic=")[1].split()[0]
    return statistics.median(banners), statistics.median(exits), magic


def main() -> None:
    """Print a Markdown table of boot times for the stub kernel under TCG."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        full = build_stub_kernel(out, "kernel.elf")
        pvh = build_stub_kernel(out, "kernel-pvh.elf", defines=["ASTERPY_NO_MULTIBOOT1"])
        iso = make_grub_iso(full, out / "kernel.iso")
        rows: list[tuple[str, dict[str, Any], Path]] = [
            ("microvm (bios-microvm)", dict(machine="microvm"), full),
            ("microvm (bios-microvm)", dict(machine="microvm"), pvh),
            ("pc + qboot.rom", dict(machine="pc", bios=QBOOT), full),
            ("pc + qboot.rom", dict(machine="pc", bios=QBOOT), pvh),
            ("pc (SeaBIOS)", dict(machine="pc"), full),
            ("pc (SeaBIOS)", dict(machine="pc"), pvh),
            ("q35 (SeaBIOS)", dict(machine="q35"), full),
            ("q35 (SeaBIOS)", dict(machine="q35"), pvh),
        ]
        print("| machine | image | protocol seen | to banner (s) | to exit (s) |")
        print("|---|---|---|---|---|")
        for label, kw, kernel in rows:
            cfg = QemuConfig(kernel=kernel, accel="tcg", timeout=20, **kw)
            banner, total, magic = measure(cfg, opts.runs)
            fmt = (lambda v: f"{v:.3f}" if v is not None else "fails")
            print(f"| {label} | {kernel.name} | {magic} | {fmt(banner)} | {fmt(total)} |")
        cfg = QemuConfig(cdrom=iso, accel="tcg", timeout=30)
        banner, total, magic = measure(cfg, opts.runs)
        fmt = (lambda v: f"{v:.3f}" if v is not None else "fails")
        print(f"| pc (SeaBIOS) + GRUB ISO | {iso.name} | {magic} | {fmt(banner)} | {fmt(total)} |")


if __name__ == "__main__":
    main()
