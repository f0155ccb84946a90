"""Kernel build time (cold and no-op) and QEMU start-to-banner time, median of several runs (for docs/benchmarks.md)."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import click

REPO = Path(__file__).resolve().parents[1]
ASTERPY = [sys.executable, "-m", "translator.cli"]


def _timed(cmd: list[str]) -> float:
    """Run a command to completion, failing loudly; return its wall time in seconds."""
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
    return time.perf_counter() - t0


def _boot_to_banner(elf: Path) -> float:
    """Seconds from QEMU's start until the kernel's banner line appears on the serial console."""
    from images.qemu import QemuConfig, run_qemu
    res = run_qemu(QemuConfig(kernel=elf, cmdline="asterpy.exit=1", timeout=30), until="asterpy ")
    if res.match_time is None:
        raise RuntimeError(f"no banner:\n{res.output}")
    return res.match_time


@click.command()
@click.option("--arch", default="x86_64", show_default=True)
@click.option("--runs", default=5, show_default=True, help="Runs per measurement (the median is reported).")
def main(arch: str, runs: int) -> None:
    """Print build and boot timings as Markdown."""
    cold = [_timed(ASTERPY + ["build", "--arch", arch, "--force"]) for _ in range(runs)]
    noop = [_timed(ASTERPY + ["build", "--arch", arch]) for _ in range(runs)]
    boot = [_boot_to_banner(REPO / "images" / "out" / arch / "kernel.elf") for _ in range(runs)]
    load = os.getloadavg()[0]
    print(f"load average at the end: {load:.2f} on {os.cpu_count()} cores; median of {runs} runs (min-max)\n")
    print("| measurement | median | range |\n| --- | ---: | ---: |")
    for name, xs in (("cold build (`asterpy build --force`)", cold), ("no-op build", noop),
                     ("QEMU start to banner (TCG)", boot)):
        print(f"| {name} | {statistics.median(xs):.3f} s | {min(xs):.3f}-{max(xs):.3f} s |")


if __name__ == "__main__":
    main()
