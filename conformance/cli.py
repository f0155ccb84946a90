"""`asterpy conformance`: the click commands (the work is in conformance/ltp.py)."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click

from conformance.ltp import CASE_TIMEOUT, DEFAULT_BATCH


@click.group()
def conformance() -> None:
    """Conformance runs against test suites the project did not write."""


@conformance.command()
@click.option("--cases", default=None, metavar="LIST",
              help="A file of case names (one a line), names separated by commas, or `all` (LTP's whole "
                   "runtest/syscalls) (default: the anchor's 546, conformance/ltp-anchor-cases.txt).")
@click.option("--kernels", default="asterpy,linux", show_default=True, help="Which kernels to boot.")
@click.option("--linux", "linux_only", is_flag=True, help="Only Debian's Linux (same as --kernels linux).")
@click.option("--accel", type=click.Choice(("tcg", "kvm")), default=None, help="QEMU accelerator.")
@click.option("--no-build", is_flag=True, help="Use the asterpy kernel already built.")
@click.option("--asterpy-elf", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="An asterpy kernel ELF (PVH) to boot instead of building one (e.g. another commit's).")
@click.option("--vmlinux", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A Linux vmlinux (PVH ELF) instead of Debian's current one.")
@click.option("--batch", type=click.IntRange(1), default=DEFAULT_BATCH, show_default=True,
              help="Cases per boot (the image holds their programs in RAM).")
@click.option("--timeout", "case_timeout", type=click.IntRange(5), default=CASE_TIMEOUT, show_default=True,
              help="Seconds one case may run.")
@click.option("--doc/--no-doc", default=None,
              help="Write docs/conformance.md, docs/conformance/ltp-results.json and the passing list "
                   "(default: only for the default list on both kernels).")
@click.option("--results", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the raw results JSON.")
@click.option("--linux-from", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="With --kernels asterpy (or --from-results): the Linux column from an earlier run's results JSON (same "
                   "cases and LTP build), so the doc is written without booting Linux again.")
@click.option("--from-results", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Run nothing: write the doc and the case lists again from a run's raw results JSON.")
def ltp(cases: Optional[str], kernels: str, linux_only: bool, accel: Optional[str], no_build: bool,
        asterpy_elf: Optional[Path], vmlinux: Optional[Path], batch: int, case_timeout: int, doc: Optional[bool],
        results: Optional[Path], linux_from: Optional[Path], from_results: Optional[Path]) -> None:
    """Linux Test Project cases in asterpy and in Debian's Linux, in the same QEMU."""
    from conformance.ltp import ltp_main
    sys.exit(ltp_main(cases, "linux" if linux_only else kernels, accel, no_build, vmlinux, batch, case_timeout,
                      doc, results, from_results, asterpy_elf, linux_from))
