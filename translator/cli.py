"""The `asterpy` command line: compile, check, build, run and image."""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Callable, NoReturn, Optional, TypeVar

import click

from translator.diagnostics import TranslateError

ARCH_CHOICES = ("x86_64", "riscv64", "loongarch64", "host")
RUN_ARCHES = ("x86_64", "riscv64", "loongarch64")
# Exit status of `asterpy run` when QEMU was stopped at the timeout (as coreutils' timeout).
EXIT_TIMEOUT = 124
# Failures of the back end and the external tools, reported as messages (see _guard).
EXPECTED_ERRORS = ("ToolError", "IRError", "CodegenCrash", "NotImplementedError")

T = TypeVar("T")


def _fail(message: str, code: int = 1) -> NoReturn:
    """Print an error message to stderr and exit with `code`."""
    click.echo(message, err=True)
    sys.exit(code)


def _guard(fn: Callable[[], T]) -> T:
    """Run fn, turning translator and tool failures into messages and exit status 1 (no traceback)."""
    from translator.build import BuildError
    try:
        return fn()
    except TranslateError as exc:
        _fail("\n".join(d.format() for d in exc.diagnostics))
    except BuildError as exc:
        _fail(f"asterpy: {exc}")
    except Exception as exc:  # noqa: BLE001 - sorted below
        # Matched by name so that a no-op command never imports llvmlite just to name its errors.
        if type(exc).__name__ in EXPECTED_ERRORS or isinstance(exc, (OSError, ValueError)):
            _fail(f"asterpy: error: {type(exc).__name__}: {exc}")
        raise  # anything else is a bug in asterpy itself: keep its traceback


@click.group()
def main() -> None:
    """asterpy: build, run and test the Kernel Python kernel."""


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--arch", type=click.Choice(ARCH_CHOICES), default="host", show_default=True,
              help="Target: a kernel arch (freestanding kernel settings) or the host.")
@click.option("--emit", "emit", type=click.Choice(("ll", "asm", "obj")), default="obj", show_default=True,
              help="LLVM IR, assembly or an ELF object.")
@click.option("-O", "opt", type=click.IntRange(0, 3), default=2, show_default=True, help="Optimisation level.")
@click.option("-o", "output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output file (default: FILE with .ll/.s/.o).")
@click.option("--timings", is_flag=True, help="Print the time each stage took.")
def compile(file: Path, arch: str, emit: str, opt: int, output: Optional[Path], timings: bool) -> None:
    """Translate FILE (and every module it imports) to LLVM IR, assembly or an object."""
    from translator.driver import compile_file
    stage_times: dict[str, float] = {}
    out = _guard(lambda: compile_file(file, arch=arch, emit=emit, out=output, opt=opt, timings=stage_times))
    click.echo(f"wrote {out}")
    if timings:
        for name, seconds in stage_times.items():
            click.echo(f"  {name:<14} {seconds:6.3f} s")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check(files: tuple[Path, ...]) -> None:
    """Type-check Kernel Python FILES (and their imports) without generating code."""
    from translator.check import check_program
    from translator.resolve import resolve

    def run() -> int:
        """Resolve and check; the number of modules."""
        program = resolve(list(files))
        check_program(program)
        return len(program.modules)

    modules = _guard(run)
    click.echo(f"ok: {len(files)} file(s), {modules} module(s) checked")


def _build(arch: str, opt: int = 2, force: bool = False, quiet: bool = False) -> "object":
    """Build the kernel for arch, printing the stages; exit 1 with the failing stage on error."""
    from translator.build import build_kernel
    if not quiet:
        click.echo(f"asterpy build --arch {arch}")
    return _guard(lambda: build_kernel(arch, opt=opt, force=force,
                                       report=None if quiet else click.echo))


@main.command()
@click.option("--arch", type=click.Choice(ARCH_CHOICES[:3]), default="x86_64", show_default=True)
@click.option("-O", "opt", type=click.IntRange(0, 3), default=2, show_default=True, help="Optimisation level.")
@click.option("--force", is_flag=True, help="Rebuild even if nothing changed.")
@click.option("--no-initramfs", is_flag=True, help="Build only the kernel, not the default initramfs.")
def build(arch: str, opt: int, force: bool, no_initramfs: bool) -> None:
    """Build the kernel ELF under images/out/<arch>/ (kernel.elf, kernel-pvh.elf) and the default
    initramfs beside it (initramfs.cpio.gz: busybox, /etc, the user test programs)."""
    _build(arch, opt, force)
    if not no_initramfs:
        from images.initramfs import build_initramfs
        _guard(lambda: build_initramfs(arch, force=force, report=click.echo))


GDB_ARCH = {"x86_64": "i386:x86-64", "riscv64": "riscv:rv64", "loongarch64": "Loongarch64"}
# `asterpy run` without --cmdline or -c: the default image's busybox as an interactive login shell.
DEFAULT_INIT_CMDLINE = "init=/bin/sh -- -l"
# Seconds before a captured run is stopped: plain boots, and `run -c` (TCG is slow).
RUN_TIMEOUT = 10.0
RUN_COMMAND_TIMEOUT = 120.0


def _runs_init(cmdline: str) -> bool:
    """Whether the kernel command line names an init (an init= or rdinit= word before `--`)."""
    from images.cmdline import split_cmdline
    for word in split_cmdline(cmdline):
        if word == "--":
            return False
        if word.startswith("init=") or word.startswith("rdinit="):
            return True
    return False


def _default_image(arch: str, quiet: bool = False) -> Path:
    """Build (or reuse, when nothing changed) the default initramfs next to the kernel; its path."""
    from images.initramfs import build_initramfs
    return _guard(lambda: build_initramfs(arch, report=None if quiet else click.echo))


def cmdline_fw_cfg_args(arch: str, cmdline: str) -> list[str]:
    """QEMU arguments that also pass the command line as fw_cfg file opt/asterpy/cmdline (loongarch64).

    QEMU 7.2's loongarch virt board puts -append neither in the FDT nor in fw_cfg's cmdline
    items; the kernel reads this file instead (arch/loongarch64/entry.py).
    """
    if arch != "loongarch64" or not cmdline:
        return []
    return ["-fw_cfg", "name=opt/asterpy/cmdline,string=" + cmdline.replace(",", ",,")]


def _gdb_command(elf: Path, arch: str = "x86_64") -> str:
    """The gdb command line that loads the kernel's symbols and attaches to QEMU's gdbstub."""
    return (f"gdb -q {elf} -ex 'set architecture {GDB_ARCH[arch]}' -ex 'target remote localhost:1234' "
            f"-ex 'hbreak kmain' -ex 'continue'")


@main.command()
@click.option("--arch", type=click.Choice(ARCH_CHOICES[:3]), default="x86_64", show_default=True)
@click.option("--cmdline", "-a", "cmdline", default="", help="Kernel command line (asterpy.exit=1 powers off at the end).")
@click.option("--gdb", is_flag=True, help="Start halted with a gdbstub on tcp::1234; prints the gdb command.")
@click.option("--timeout", type=float, default=None,
              help=f"Seconds before a non-interactive run is stopped [default: {RUN_TIMEOUT:g}, "
                   f"with -c {RUN_COMMAND_TIMEOUT:g}].")
@click.option("--pvh", is_flag=True, help="Boot the PVH image (no multiboot1 header) instead of multiboot1.")
@click.option("--iso", is_flag=True, help="Boot a GRUB ISO (multiboot2) instead of -kernel.")
@click.option("--memory", "memory_mb", type=int, default=256, show_default=True,
              help="Guest RAM in MiB (loongarch64 virt takes at least 1024).")
@click.option("--machine", default=None, help="QEMU machine (default: microvm for -kernel, pc for the ISO).")
@click.option("--no-build", is_flag=True, help="Boot the existing ELF without (re)building.")
@click.option("--initrd", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="An initramfs (cpio newc, gzip or not) given to the kernel as its first boot module; "
                   "with init=/PATH on the command line the kernel runs that program. "
                   "Default: the default image (busybox, /etc, /tests) when the command line has init=.")
@click.option("--no-initrd", is_flag=True, help="Boot without an initramfs (and without the default init=).")
@click.option("--disk", "disks", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A raw disk image attached as a virtio-blk device: /dev/vda, then /dev/vdb for a second "
                   "--disk... (x86_64: PCI, the machine becomes pc; riscv64: virtio-mmio).")
@click.option("-c", "command", default=None, metavar="CMD",
              help="Run CMD with busybox sh -c from the default image, quietly; print its output and exit "
                   "with its status (kernel command line: init=/bin/sh asterpy.exit=1 quiet -- -c \"CMD\").")
def run(arch: str, cmdline: str, gdb: bool, timeout: Optional[float], pvh: bool, iso: bool, memory_mb: int,
        machine: Optional[str], no_build: bool, initrd: Optional[Path], no_initrd: bool,
        disks: tuple[Path, ...], command: Optional[str]) -> None:
    """Boot the kernel in QEMU on the serial console (captured when stdin is not a terminal).

    Without --cmdline and -c it boots the default image into an interactive busybox shell
    (init=/bin/sh -- -l). Keys on the console: Ctrl-A X quits QEMU, Ctrl-A C switches to QEMU's
    monitor and back, Ctrl-A H lists the others; Ctrl-C and Ctrl-Z go to the guest.
    """
    from translator.build import kernel_path, out_dir
    from images import (KERNEL_EXIT_FAIL, KERNEL_EXIT_PASS, QemuConfig, exit_status, run_interactive,
                                 run_qemu)
    if arch not in RUN_ARCHES:
        _fail(f"asterpy: booting {arch} is not supported yet (supported: {', '.join(RUN_ARCHES)})")
    if pvh and iso:
        _fail("asterpy: --pvh and --iso exclude each other")
    if (pvh or iso) and arch != "x86_64":
        _fail("asterpy: --pvh and --iso are x86_64 boot paths")
    if initrd is not None and no_initrd:
        _fail("asterpy: --initrd and --no-initrd exclude each other")
    if command is not None and no_initrd:
        _fail("asterpy: -c runs a command from an initramfs: drop --no-initrd")
    if command is not None:
        from images.cmdline import shell_command_cmdline
        cmdline = shell_command_cmdline(command, cmdline)
    elif not cmdline and not no_initrd:
        from images.initramfs import image_has_busybox
        if initrd is not None or image_has_busybox(arch):  # the default image has a shell on x86_64
            cmdline = DEFAULT_INIT_CMDLINE
    if timeout is None:
        timeout = RUN_COMMAND_TIMEOUT if command is not None else RUN_TIMEOUT
    if not no_build:
        _build(arch, quiet=command is not None)
    elf = out_dir(arch) / "kernel-pvh.elf" if pvh else kernel_path(arch)
    if not elf.is_file():
        _fail(f"asterpy: {elf} does not exist: run `asterpy build --arch {arch}` first")
    if initrd is None and not no_initrd and _runs_init(cmdline):
        initrd = _default_image(arch, quiet=command is not None)
    if disks and arch == "loongarch64":
        _fail("asterpy: --disk is virtio-blk on x86_64 (PCI) and riscv64 (MMIO) only so far")
    cfg = QemuConfig(arch=arch, memory_mb=memory_mb, gdb=gdb, machine=machine, initrd=initrd,
                     timeout=timeout if not gdb else 24 * 3600.0, disks=tuple(disks))
    if iso:
        from images import make_grub_iso
        iso_path = _guard(lambda: make_grub_iso(elf, out_dir(arch) / "asterpy.iso", cmdline=cmdline,
                                                modules=(initrd,) if initrd else ()))
        cfg.cdrom = iso_path
    else:
        cfg.kernel = elf
        cfg.cmdline = cmdline
        cfg.extra_args = tuple(cmdline_fw_cfg_args(arch, cmdline))
    if gdb:
        click.echo("QEMU starts halted with its gdbstub on tcp::1234; in another terminal:")
        click.echo(f"  {_gdb_command(elf, arch)}")
    if command is not None and not gdb:
        from images import run_streaming
        result = _guard(lambda: run_streaming(cfg))
        if result.timed_out:
            _fail(f"asterpy: QEMU stopped after {result.elapsed:.1f} s (--timeout {timeout:g})", EXIT_TIMEOUT)
        if result.exit_status is None:
            _fail(f"asterpy: QEMU ended with exit code {result.returncode} without a status from the kernel")
        sys.exit(result.exit_status)  # the command's status, passed on by the kernel (asterpy.exit=1)
    if sys.stdin.isatty():
        rc = _guard(lambda: run_interactive(cfg))
        status = exit_status(rc, arch)
        sys.exit(0 if status == KERNEL_EXIT_PASS else 1 if status == KERNEL_EXIT_FAIL else rc)
    started = time.monotonic()
    result = _guard(lambda: run_qemu(cfg))
    click.echo(result.output, nl=not result.output.endswith("\n"))
    # QEMU's own "terminating on signal 15" is just the timeout's kill: not worth showing.
    stderr = "\n".join(line for line in result.stderr.splitlines() if "terminating on signal" not in line)
    if stderr.strip():
        click.echo(stderr.rstrip(), err=True)
    status = result.exit_status
    if arch == "loongarch64" and result.returncode == 0 and not result.timed_out:
        # No exit device with a status on this board: the kernel says PASS or FAIL, then powers off.
        if "asterpy: exit PASS" in result.output:
            status = KERNEL_EXIT_PASS
        elif "asterpy: exit FAIL" in result.output:
            status = KERNEL_EXIT_FAIL
    if status == KERNEL_EXIT_PASS:
        sys.exit(0)
    if status == KERNEL_EXIT_FAIL:
        _fail(f"asterpy: the kernel reported failure (exit status {KERNEL_EXIT_FAIL:#x})")
    if status is not None and not result.timed_out:
        sys.exit(status)  # init's exit status, passed on by the kernel (asterpy.exit=1 init=...)
    if result.timed_out:
        _fail(f"asterpy: QEMU stopped after {time.monotonic() - started:.1f} s (--timeout {timeout:g}); "
              "add asterpy.exit=1 to --cmdline to power off at the end", EXIT_TIMEOUT)
    _fail(f"asterpy: QEMU ended with exit code {result.returncode} "
          "(an even code without output usually means a triple fault)")


@main.command()
@click.option("--iso", is_flag=True, required=True, help="Make a GRUB ISO (the only image kind so far).")
@click.option("--arch", type=click.Choice(("x86_64",)), default="x86_64", show_default=True)
@click.option("--cmdline", "-a", "cmdline", default="", help="Kernel command line written into grub.cfg.")
@click.option("-o", "output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="ISO path (default: images/out/<arch>/asterpy.iso).")
def image(iso: bool, arch: str, cmdline: str, output: Optional[Path]) -> None:
    """Make a boot image: a BIOS GRUB ISO that loads the kernel through multiboot2."""
    from translator.build import kernel_path, out_dir
    from images import make_grub_iso
    _build(arch)
    out = output or out_dir(arch) / "asterpy.iso"
    t0 = time.perf_counter()
    path = _guard(lambda: make_grub_iso(kernel_path(arch), out, cmdline=cmdline))
    click.echo(f"  {'iso':<12} {time.perf_counter() - t0:6.3f} s  -> {path}")


@main.command()
@click.option("--calls", type=click.IntRange(1), default=10_000_000, show_default=True,
              help="Syscalls to make in all (the last batch may add a few).")
@click.option("--seed", type=click.IntRange(0), default=1, show_default=True,
              help="The run's seed: the same seed makes the same calls.")
@click.option("--per-batch", type=click.IntRange(1), default=200, show_default=True,
              help="Calls per forked child.")
@click.option("--timeout", type=float, default=None,
              help="Seconds before the run counts as hung (default: 60 + calls/250).")
@click.option("--memory", "memory_mb", type=int, default=256, show_default=True, help="Guest RAM in MiB.")
@click.option("--no-build", is_flag=True, help="Use the existing kernel ELF without (re)building.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the verdict, not the guest's output.")
def fuzz(calls: int, seed: int, per_batch: int, timeout: Optional[float], memory_mb: int, no_build: bool,
         quiet: bool) -> None:
    """Fuzz the kernel's syscalls: boot with tests/fuzz/sysfuzz as init, then report the calls made and
    any panic, hang or leak (exit status 1 if there was one). docs/reliability.md has the figures."""
    from translator.build import kernel_path
    from images.fuzz import run_fuzz
    if not no_build:
        _build("x86_64", quiet=True)
    elf = kernel_path("x86_64")
    if not elf.is_file():
        _fail(f"asterpy: {elf} does not exist: run `asterpy build` first")
    initrd = _default_image("x86_64", quiet=True)
    result = _guard(lambda: run_fuzz(elf, initrd, calls, seed, per_batch, timeout=timeout, memory_mb=memory_mb,
                                     stream=None if quiet else sys.stdout.buffer))
    problems = result.problems()
    click.echo(f"asterpy fuzz: {result.summary()}")
    for problem in problems:
        click.echo(f"asterpy fuzz: {problem}")
    click.echo(f"asterpy fuzz: {'FAIL' if problems else 'OK'}: {len(result.panics)} panics, "
               f"{'hang' if any(p.startswith('hang') for p in problems) else 'no hang'}, "
               f"{'leak' if any(p.startswith('leak') for p in problems) else 'no leak'}")
    sys.exit(1 if problems else 0)


def _add_bench() -> None:
    """`asterpy bench` lives in benchmarks/bench.py (asterpy and Linux in the same QEMU)."""
    from benchmarks.bench import bench_command
    main.add_command(bench_command)


_add_bench()


def _add_conformance() -> None:
    """`asterpy conformance ltp` lives in conformance/ (the Linux Test Project, asterpy against Linux)."""
    from conformance.cli import conformance
    main.add_command(conformance)


_add_conformance()


if __name__ == "__main__":
    main()
