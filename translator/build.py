"""Build the kernel: translate arch/<arch>/entry.py, emit its object, assemble the boot shim, link the ELF.

Stages (each printed with its wall time; a failure names its stage):

    translate   parse + resolve + check + lower the whole kernel to one LLVM module
    emit        optimise and generate the object (llvmlite; an LLVM abort becomes an error)
    assemble    arch/<arch>/boot.S with zig cc
    link        ld.lld with arch/<arch>/kernel.ld

A build whose inputs (every kernel module the entry imports, the shim, the linker script, the
translator's own sources and the options) hash to what the last build recorded is skipped:
that is the no-op rebuild.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from translator.diagnostics import TranslateError

REPO_ROOT = Path(__file__).resolve().parents[1]
OUT_ROOT = REPO_ROOT / "images" / "out"
BUILD_ARCHES = ("x86_64",)

# Link-time aliases for extern symbols that the same program also exports under another name.
# The translator cannot yet have an @extern and an @export of one symbol in one LLVM module
# (llvmlite DuplicatedNameError), so arch-neutral code names the alias and the linker binds it.
LINK_ALIASES = {
    "asterpy_log_putc": "kpy_console_putc",
}

MANIFEST = "build.json"

Reporter = Callable[[str], None]


class BuildError(Exception):
    """A build stage failed; `stage` names it and `error` is the underlying exception."""

    def __init__(self, stage: str, error: BaseException) -> None:
        self.stage = stage
        self.error = error
        if isinstance(error, TranslateError):
            detail = "\n".join(d.format() for d in error.diagnostics)
        else:
            detail = f"{type(error).__name__}: {error}"
        super().__init__(f"build failed in stage '{stage}':\n{detail}")


@dataclass
class BuildResult:
    """What a build produced and how long each stage took."""

    arch: str
    kernel: Path                       # the kernel ELF (all boot headers)
    kernel_pvh: Optional[Path]         # the PVH-only variant (no multiboot1 header), if built
    timings: dict[str, float] = field(default_factory=dict)
    up_to_date: bool = False           # nothing had changed: the previous output was kept
    total: float = 0.0


def out_dir(arch: str = "x86_64") -> Path:
    """The directory a build for `arch` writes to (images/out/<arch>)."""
    return OUT_ROOT / arch


def kernel_path(arch: str = "x86_64") -> Path:
    """The kernel ELF a build for `arch` produces."""
    return out_dir(arch) / "kernel.elf"


def entry_path(arch: str) -> Path:
    """The Kernel Python entry module of an arch."""
    return REPO_ROOT / "arch" / arch / "entry.py"


def _hash_file(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _translator_sources() -> list[Path]:
    """The translator's own sources: a change to any of them may change the output."""
    return sorted(p for p in (REPO_ROOT / "translator").rglob("*.py") if "__pycache__" not in p.parts)


def _manifest_matches(out: Path, options: dict[str, object], outputs: list[Path]) -> bool:
    """Whether the recorded build had these options and its input files are all unchanged."""
    manifest = out / MANIFEST
    if not manifest.is_file() or not all(p.is_file() for p in outputs):
        return False
    try:
        old = json.loads(manifest.read_text())
        if old.get("options") != options:
            return False
        for name, digest in old["files"].items():
            path = Path(name)
            if not path.is_file() or _hash_file(path) != digest:
                return False
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    return True


def build_kernel(arch: str = "x86_64", opt: int = 2, pvh: bool = True, force: bool = False,
                 out: Optional[Path] = None, report: Optional[Reporter] = None,
                 entry: Optional[Path] = None) -> BuildResult:
    """Build images/out/<arch>/kernel.elf (and kernel-pvh.elf when pvh); raise BuildError on failure.

    `out` replaces the output directory and `entry` the arch's entry module (tests use both).
    """
    if arch not in BUILD_ARCHES:
        raise BuildError("configure", ValueError(
            f"building a kernel for {arch!r} is not supported yet (supported: {', '.join(BUILD_ARCHES)})"))
    say: Reporter = report or (lambda _msg: None)
    out = Path(out) if out is not None else out_dir(arch)
    arch_dir = REPO_ROOT / "arch" / arch
    boot_s, kernel_ld = arch_dir / "boot.S", arch_dir / "kernel.ld"
    entry = Path(entry) if entry is not None else entry_path(arch)
    elf, elf_pvh = out / "kernel.elf", out / "kernel-pvh.elf"
    outputs = [elf] + ([elf_pvh] if pvh else [])
    options: dict[str, object] = {"arch": arch, "opt": opt, "pvh": pvh, "entry": str(entry),
                                  "aliases": LINK_ALIASES}
    t_start = time.perf_counter()
    result = BuildResult(arch, elf, elf_pvh if pvh else None)

    if not force and _manifest_matches(out, options, outputs):
        result.up_to_date = True
        result.total = time.perf_counter() - t_start
        say(f"  up to date   {elf}  ({result.total:.3f} s)")
        return result

    def stage(name: str, fn: Callable[[], object]) -> object:
        """Run one stage: time it, report it, and wrap its failure in a BuildError naming it."""
        t0 = time.perf_counter()
        try:
            value = fn()
        except BuildError:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure is reported with its stage
            raise BuildError(name, exc) from exc
        dt = time.perf_counter() - t0
        result.timings[name] = dt
        say(f"  {name:<12} {dt:6.3f} s")
        return value

    from translator.driver import translate
    from translator.emit import assemble, emit_object
    from translator.link import link
    from translator.targets import get_target

    out.mkdir(parents=True, exist_ok=True)
    manifest = out / MANIFEST
    if manifest.exists():
        manifest.unlink()  # a failed build must not leave a manifest that calls it current
    # The inputs the translator does not read itself are fingerprinted before the build, so an
    # edit made while it runs makes the next build run again instead of being recorded as built.
    fixed_inputs = {str(p): _hash_file(p) for p in [boot_s, kernel_ld] + _translator_sources()}

    # Everything is made in a private staging directory and moved into place at the end, so a
    # concurrent build or a QEMU reading the previous kernel never sees a half-written file.
    with tempfile.TemporaryDirectory(prefix=".build-", dir=out) as tmp:
        stage_dir = Path(tmp)
        tr = stage("translate", lambda: translate([entry], arch, opt))
        target = get_target(arch, kernel=True)
        kernel_o = stage_dir / "kernel.o"
        stage("emit", lambda: emit_object(tr.ir_text, target, kernel_o, opt=opt, isolate=True))  # type: ignore[attr-defined]
        boot_o = stage_dir / "boot.o"
        boot_pvh_o = stage_dir / "boot-pvh.o"

        def do_assemble() -> None:
            """The shim with all headers, and (pvh) without the multiboot1 one."""
            assemble(boot_s, target, boot_o)
            if pvh:
                assemble(boot_s, target, boot_pvh_o, ["-DASTERPY_NO_MULTIBOOT1"])

        stage("assemble", do_assemble)
        link_args = ["-z", "max-page-size=4096", "--build-id=none"]
        link_args += [f"--defsym={alias}={real}" for alias, real in sorted(LINK_ALIASES.items())]

        def do_link() -> None:
            """One ELF per shim variant, from the same kernel object."""
            link([boot_o, kernel_o], stage_dir / elf.name, linker_script=kernel_ld, extra_args=link_args)
            if pvh:
                link([boot_pvh_o, kernel_o], stage_dir / elf_pvh.name, linker_script=kernel_ld,
                     extra_args=link_args)

        stage("link", do_link)
        for name in ["kernel.o", "boot.o", elf.name] + (["boot-pvh.o", elf_pvh.name] if pvh else []):
            os.replace(stage_dir / name, out / name)

    # The kernel's modules are fingerprinted from the text that was actually translated.
    files: dict[str, str] = dict(fixed_inputs)
    for m in tr.program.modules.values():  # type: ignore[attr-defined]
        files[str(m.src.path.resolve())] = hashlib.sha256(m.src.text.encode("utf-8")).hexdigest()
    manifest.write_text(json.dumps({"options": options, "files": files}, indent=1, sort_keys=True))
    result.total = time.perf_counter() - t_start
    say(f"  {'total':<12} {result.total:6.3f} s  -> {elf}")
    return result
