"""Build the kernel: translate arch/<arch>/entry.py, emit its object, assemble the boot shim, link the ELF.

Stages (each printed with its wall time; a failure names its stage):

    translate   parse + resolve + check + lower the whole kernel to one LLVM module (module roots:
                src/, the repository, arch/<arch>/ for `kernel_arch`, see docs/arch.md)
    emit        optimise and generate the object (llvmlite; an LLVM abort becomes an error)
    vdso        (x86_64) the vDSO, translated as its own position-independent unit and linked as a
                shared object (translator/vdso.py), written to vdso.so and embedded in .rodata
    assemble    arch/<arch>/boot.S and, where there is one, arch/<arch>/trap.S with zig cc
    link        ld.lld with arch/<arch>/kernel.ld, twice: the second link embeds the symbol
                table (function names, inlined calls, DWARF line table) read from the first

A build whose inputs (every kernel module the entry imports, the shim, the linker script, the
translator's own sources and the options) hash to what the last build recorded is skipped:
that is the no-op rebuild.
"""
from __future__ import annotations

import bisect
import hashlib
import json
import os
import struct
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from translator.diagnostics import TranslateError
from translator.filelock import exclusive

REPO_ROOT = Path(__file__).resolve().parents[1]
OUT_ROOT = REPO_ROOT / "images" / "out"
BUILD_ARCHES = ("x86_64", "riscv64", "loongarch64")

# Link-time aliases for extern symbols that the same program also exports under another name.
# The translator cannot yet have an @extern and an @export of one symbol in one LLVM module
# (llvmlite DuplicatedNameError), so arch-neutral code names the alias and the linker binds it.
LINK_ALIASES = {
    "asterpy_log_putc": "kpy_console_putc",
}

MANIFEST = "build.json"
# The arches with a vDSO (translator/vdso.py); the others map none (no AT_SYSINFO_EHDR).
VDSO_ARCHES = ("x86_64",)



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


def module_roots(arch: str) -> tuple[Path, ...]:
    """Where kernel modules are found for `arch`: src/, the repository, then arch/<arch>/.

    The arch folder comes last so that every other module keeps its dotted name (`arch.x86_64.traps`);
    it is there for the one module name no other root has, `kernel_arch`: the arch interface
    (docs/arch.md) that arch-neutral code imports without naming an arch.
    """
    from translator.parse import DEFAULT_ROOTS
    return tuple(DEFAULT_ROOTS) + (REPO_ROOT / "arch" / arch,)


def _hash_file(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _translator_sources() -> list[Path]:
    """The translator's own sources: a change to any of them may change the output."""
    return sorted(p for p in (REPO_ROOT / "translator").rglob("*.py") if "__pycache__" not in p.parts)


def _vdso_sources(arch: str) -> list[Path]:
    """The vDSO's inputs (its modules, the arch's instructions and linker script): not all of them
    are kernel imports, so they are fingerprinted here."""
    vdso_dir = REPO_ROOT / "src" / "asterpy" / "vdso"
    arch_dir = REPO_ROOT / "arch" / arch
    return sorted(vdso_dir.glob("*.py")) + [arch_dir / "vdso_arch.py", arch_dir / "vdso.ld"]


def vdso_blob_asm(so_path: Path) -> str:
    """Assembly that carries the vDSO image in .rodata, page aligned, between two symbols."""
    return ('    .section .rodata.asterpy_vdso, "a"\n    .balign 4096\n    .globl asterpy_vdso_start\n'
            f'asterpy_vdso_start:\n    .incbin "{so_path}"\n    .globl asterpy_vdso_end\nasterpy_vdso_end:\n'
            '    .balign 8\n')


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
    Builds into one output directory take turns (parallel test workers): the second finds the
    first one's kernel current instead of building it again.
    """
    out = Path(out) if out is not None else out_dir(arch)
    with exclusive(out.parent / f".{out.name}.lock"):
        return _build_kernel(arch, opt, pvh, force, out, report, entry)


def _build_kernel(arch: str, opt: int, pvh: bool, force: bool, out: Path,
                  report: Optional[Reporter], entry: Optional[Path]) -> BuildResult:
    """build_kernel's work, with the output directory's lock held."""
    if arch not in BUILD_ARCHES:
        raise BuildError("configure", ValueError(
            f"building a kernel for {arch!r} is not supported yet (supported: {', '.join(BUILD_ARCHES)})"))
    say: Reporter = report or (lambda _msg: None)
    arch_dir = REPO_ROOT / "arch" / arch
    boot_s, trap_s, kernel_ld = arch_dir / "boot.S", arch_dir / "trap.S", arch_dir / "kernel.ld"
    has_trap_s = trap_s.is_file()
    # Only x86_64 has a second boot-header variant (PVH without the multiboot1 header).
    pvh = pvh and arch == "x86_64"
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
    from translator.targets import get_target

    out.mkdir(parents=True, exist_ok=True)
    manifest = out / MANIFEST
    if manifest.exists():
        manifest.unlink()  # a failed build must not leave a manifest that calls it current
    # The inputs the translator does not read itself are fingerprinted before the build, so an
    # edit made while it runs makes the next build run again instead of being recorded as built.
    fixed_inputs = {str(p): _hash_file(p) for p in [boot_s, kernel_ld] + ([trap_s] if has_trap_s else [])
                    + _translator_sources() + (_vdso_sources(arch) if arch in VDSO_ARCHES else [])}

    # Everything is made in a private staging directory and moved into place at the end, so a
    # concurrent build or a QEMU reading the previous kernel never sees a half-written file.
    with tempfile.TemporaryDirectory(prefix=".build-", dir=out) as tmp:
        stage_dir = Path(tmp)
        tr = stage("translate", lambda: translate([entry], arch, opt, roots=module_roots(arch)))
        target = get_target(arch, kernel=True)
        kernel_o = stage_dir / "kernel.o"
        ir_text = tr.ir_text
        stage("emit", lambda: emit_object(ir_text, target, kernel_o, opt=opt, isolate=True))
        boot_o = stage_dir / "boot.o"
        boot_pvh_o = stage_dir / "boot-pvh.o"
        trap_o = stage_dir / "trap.o"

        def do_assemble() -> None:
            """The shim with all headers, (pvh) without the multiboot1 one, and the trap stubs."""
            assemble(boot_s, target, boot_o)
            if has_trap_s:
                assemble(trap_s, target, trap_o)
            if pvh:
                assemble(boot_s, target, boot_pvh_o, ["-DASTERPY_NO_MULTIBOOT1"])

        stage("assemble", do_assemble)
        vdso_objs: list[Path] = []
        if arch in VDSO_ARCHES:
            vdso_o = stage_dir / "vdso_blob.o"

            def do_vdso() -> None:
                """Build vdso.so and an object carrying it between asterpy_vdso_start and _end."""
                from translator.vdso import build_vdso
                img = build_vdso(arch, stage_dir, opt=opt)
                blob_s = stage_dir / "vdso_blob.S"
                blob_s.write_text(vdso_blob_asm(img.so_path))
                assemble(blob_s, target, vdso_o)

            stage("vdso", do_vdso)
            vdso_objs.append(vdso_o)
        link_args = ["-z", "max-page-size=4096", "--build-id=none"]
        link_args += [f"--defsym={alias}={real}" for alias, real in sorted(LINK_ALIASES.items())]

        traps = [trap_o] if has_trap_s else []

        def do_link() -> None:
            """One ELF per shim variant, from the same kernel object, each with its symbol table."""
            main = link_with_ksyms([boot_o] + traps + vdso_objs + [kernel_o], stage_dir / elf.name, kernel_ld,
                                   link_args, target, stage_dir)
            if pvh:
                link_with_ksyms([boot_pvh_o] + traps + vdso_objs + [kernel_o], stage_dir / elf_pvh.name, kernel_ld,
                                link_args, target, stage_dir, reuse=main)

        stage("link", do_link)
        for name in (["kernel.o", "boot.o"] + (["trap.o"] if has_trap_s else []) + [elf.name]
                     + (["vdso.so"] if vdso_objs else [])
                     + (["boot-pvh.o", elf_pvh.name] if pvh else [])):
            os.replace(stage_dir / name, out / name)

    # The kernel's modules are fingerprinted from the text that was actually translated.
    files: dict[str, str] = dict(fixed_inputs)
    for m in tr.program.modules.values():  # type: ignore[attr-defined]
        files[str(m.src.path.resolve())] = hashlib.sha256(m.src.text.encode("utf-8")).hexdigest()
    manifest.write_text(json.dumps({"options": options, "files": files}, indent=1, sort_keys=True))
    result.total = time.perf_counter() - t_start
    say(f"  {'total':<12} {result.total:6.3f} s  -> {elf}")
    return result


# ------------------------------------------------------------------ kernel symbol table (ksyms)
#
# The kernel symbolizes its own backtraces from a table embedded in the image (section
# .asterpy.ksyms at the end of .rodata, symbol `asterpy_ksyms`; src/asterpy/kernel/ksyms.py reads
# it). The link runs twice: first with an empty table, then the table extracted from that ELF's
# symbols and DWARF is assembled and the kernel linked again. Only .rodata grows, and it comes
# after .text, so every code address of the first link stays what it was (checked).

KSYMS_MAGIC = int.from_bytes(b"KSYMTAB1", "little")
KSYMS_SECTION = ".asterpy.ksyms"
KSYMS_SYMBOL = "asterpy_ksyms"
KSYMS_HEADER = struct.Struct("<QQIIIIIIII")      # magic base n_lines n_scopes n_files size, 4 offsets
KSYMS_LINE = struct.Struct("<IHH")                # addr - base, file index, line (0: no line)
KSYMS_SCOPE = struct.Struct("<IIIHHHHI")          # lo, hi (- base), name off, name len, depth,
#                                                   call file, pad, call line
KSYMS_FILE = struct.Struct("<II")                 # name off, name len
MAX_LINE = 0xFFFF


@dataclass
class Ksyms:
    """The symbol table of a linked kernel before it is packed: addresses are absolute."""

    base: int
    lines: list[tuple[int, int, int]] = field(default_factory=list)      # (addr, file, line)
    scopes: list[tuple[int, int, str, int, int, int]] = field(default_factory=list)
    #        (lo, hi, name, depth, call_file, call_line): depth 0 = a function symbol,
    #        depth n > 0 = code inlined n levels deep, called from call_file:call_line
    files: list[str] = field(default_factory=list)


def pack_ksyms(ks: Ksyms) -> bytes:
    """The binary table: header, sorted line entries, scopes, files, then the string bytes."""
    strings = bytearray()
    offsets: dict[str, int] = {}

    def intern(s: str) -> tuple[int, int]:
        """Offset and length of s in the string area (each distinct string stored once)."""
        if s not in offsets:
            offsets[s] = len(strings)
            strings.extend(s.encode("utf-8"))
        return offsets[s], len(s.encode("utf-8"))

    lines = b"".join(KSYMS_LINE.pack(a - ks.base, f, min(ln, MAX_LINE)) for a, f, ln in ks.lines)
    scope_parts = []
    for lo, hi, name, depth, cfile, cline in ks.scopes:
        off, n = intern(name)
        scope_parts.append(KSYMS_SCOPE.pack(lo - ks.base, hi - ks.base, off, min(n, 0xFFFF), depth,
                                            cfile, 0, cline))
    scopes = b"".join(scope_parts)
    files = b"".join(KSYMS_FILE.pack(*intern(name)) for name in ks.files)
    lines_off = KSYMS_HEADER.size
    scopes_off = lines_off + len(lines)
    files_off = scopes_off + len(scopes)
    strings_off = files_off + len(files)
    size = strings_off + len(strings)
    header = KSYMS_HEADER.pack(KSYMS_MAGIC, ks.base, len(ks.lines), len(ks.scopes), len(ks.files), size,
                               lines_off, scopes_off, files_off, strings_off)
    return header + lines + scopes + files + bytes(strings)


def _display_path(path: str) -> str:
    """A source path as backtraces show it: relative to the repository when inside it."""
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return path


def _module_of(path: str) -> str:
    """The dotted module name of a kernel source file (src/asterpy/x.py -> asterpy.x, arch/... -> arch...)."""
    p = Path(path)
    parts = list(p.with_suffix("").parts)
    if parts and parts[0] == "src":
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) if not p.is_absolute() else p.stem


def extract_ksyms(elf_path: Path) -> Ksyms:
    """Read a linked kernel's function symbols, DWARF line table and inlined-call tree into a Ksyms.

    Only addresses in [__text_start, __text_end) are kept: that is where code runs.
    """
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection

    with open(elf_path, "rb") as f:
        elf = ELFFile(f)
        syms: dict[str, int] = {}
        funcs: list[tuple[int, int, str]] = []
        for section in elf.iter_sections():
            if not isinstance(section, SymbolTableSection) or section.name != ".symtab":
                continue
            for sym in section.iter_symbols():
                if sym.name:
                    syms[sym.name] = int(sym["st_value"])
                if sym.name and sym["st_info"]["type"] == "STT_FUNC" and sym["st_size"] > 0:
                    funcs.append((int(sym["st_value"]), int(sym["st_value"]) + int(sym["st_size"]), sym.name))
        text_lo, text_hi = syms["__text_start"], syms["__text_end"]
        ks = Ksyms(base=text_lo)
        file_index: dict[str, int] = {}

        def file_id(path: str) -> int:
            """Index of a source path in the table's file list."""
            shown = _display_path(path)
            if shown not in file_index:
                file_index[shown] = len(ks.files)
                ks.files.append(shown)
            return file_index[shown]

        for lo, hi, name in sorted(set(funcs)):
            if text_lo <= lo < text_hi:
                ks.scopes.append((lo, hi, name, 0, 0, 0))
        if not elf.has_dwarf_info():
            return ks
        dwarf = elf.get_dwarf_info()
        rows: dict[int, tuple[int, int]] = {}
        ends: set[int] = set()
        inlined: list[list] = []
        for cu in dwarf.iter_CUs():
            lp = dwarf.line_program_for_CU(cu)
            if lp is None:
                continue
            top = cu.get_top_DIE()
            comp_dir = top.attributes["DW_AT_comp_dir"].value.decode() if "DW_AT_comp_dir" in top.attributes else ""
            dirs = [comp_dir] + [d.decode() for d in lp["include_directory"]]
            cu_files: dict[int, int] = {}
            for i, fe in enumerate(lp["file_entry"], start=1):
                d = dirs[fe.dir_index] if fe.dir_index < len(dirs) else comp_dir
                cu_files[i] = file_id(os.path.join(d, fe.name.decode()))
            for entry in lp.get_entries():
                st = entry.state
                if st is None:
                    continue
                if st.end_sequence:
                    ends.add(st.address)
                elif text_lo <= st.address < text_hi and st.file in cu_files:
                    rows[st.address] = (cu_files[st.file], st.line)
            base = top.attributes["DW_AT_low_pc"].value if "DW_AT_low_pc" in top.attributes else 0
            _collect_inlined(dwarf, cu, top, 0, base, cu_files, inlined)
        for a in ends:
            if text_lo <= a < text_hi and a not in rows:
                rows[a] = (0, 0)
        ks.lines = sorted((a, fl[0], fl[1]) for a, fl in rows.items())
        # An inlined function is named after the module of the file its code is in: the call
        # file of a scope nested in it, or else the file of the line rows in its range.
        for lo, hi, short, depth, cfile, cline, file in inlined:
            if file is None:
                # No call inlined into it: its code is the line rows in its range.
                i = bisect.bisect_right(ks.lines, (lo, 1 << 30, 0)) - 1
                if i >= 0 and ks.lines[i][0] < hi and ks.lines[i][2] != 0:
                    file = ks.lines[i][1]
            name = short
            if short not in syms and file is not None:
                name = f"{_module_of(ks.files[file])}.{short}"
            if text_lo <= lo < text_hi:
                ks.scopes.append((lo, hi, name, depth, cfile, cline))
        ks.scopes.sort(key=lambda s: (s[0], s[3]))
    return ks


def _collect_inlined(dwarf: object, cu: object, die: object, depth: int, base: int,
                     cu_files: dict[int, int], out: list) -> Optional[int]:
    """Append every DW_TAG_inlined_subroutine range under `die` as [lo, hi, name, depth, call
    file, call line, own file]; return the call file of the first inlined call directly in `die`
    (that is the file `die`'s own code is in)."""
    first_call_file: Optional[int] = None
    for child in die.iter_children():  # type: ignore[attr-defined]
        if child.tag != "DW_TAG_inlined_subroutine":
            own = _collect_inlined(dwarf, cu, child, depth, base, cu_files, out)  # lexical blocks
            if first_call_file is None:
                first_call_file = own
            continue
        origin = child.get_DIE_from_attribute("DW_AT_abstract_origin")
        name_attr = origin.attributes.get("DW_AT_name")
        name = name_attr.value.decode() if name_attr is not None else "??"
        cfile = cu_files.get(child.attributes["DW_AT_call_file"].value, 0) \
            if "DW_AT_call_file" in child.attributes else 0
        cline = child.attributes["DW_AT_call_line"].value if "DW_AT_call_line" in child.attributes else 0
        if first_call_file is None:
            first_call_file = cfile
        mine = [[lo, hi, name, depth + 1, cfile, cline, None] for lo, hi in _die_ranges(dwarf, cu, child, base)]
        out.extend(mine)
        own = _collect_inlined(dwarf, cu, child, depth + 1, base, cu_files, out)
        for entry in mine:
            entry[6] = own
    return first_call_file


def _die_ranges(dwarf: object, cu: object, die: object, base: int) -> list[tuple[int, int]]:
    """The address ranges of a DIE: low_pc/high_pc, or its DWARF 4 range list."""
    attrs = die.attributes  # type: ignore[attr-defined]
    if "DW_AT_low_pc" in attrs and "DW_AT_high_pc" in attrs:
        lo = attrs["DW_AT_low_pc"].value
        hi = attrs["DW_AT_high_pc"]
        return [(lo, hi.value if hi.form == "DW_FORM_addr" else lo + hi.value)]
    if "DW_AT_ranges" not in attrs:
        return []
    rl = dwarf.range_lists().get_range_list_at_offset(attrs["DW_AT_ranges"].value, cu=cu)  # type: ignore[attr-defined]
    result = []
    for r in rl:
        if hasattr(r, "base_address"):
            base = r.base_address
            continue
        if getattr(r, "is_absolute", False):
            result.append((r.begin_offset, r.end_offset))
        else:
            result.append((base + r.begin_offset, base + r.end_offset))
    return result


def ksyms_asm(table_bin: Path, size: int) -> str:
    """Assembly for the table object: the bytes of table_bin in their own section, named asterpy_ksyms."""
    return (f'    .section {KSYMS_SECTION}, "a"\n    .balign 8\n    .globl {KSYMS_SYMBOL}\n'
            f'{KSYMS_SYMBOL}:\n    .incbin "{table_bin}"\n    .size {KSYMS_SYMBOL}, {size}\n'
            '    .section .note.GNU-stack, "", @progbits\n')


def _text_symbols(elf_path: Path) -> dict[str, int]:
    """Symbols whose value lies in [__text_start, __text_end): what the table's addresses depend on."""
    from translator.link import read_symbols
    syms = read_symbols(elf_path)
    lo, hi = syms["__text_start"], syms["__text_end"]
    return {k: v for k, v in syms.items() if lo <= v < hi}


def link_with_ksyms(objects: list[Path], out_elf: Path, kernel_ld: Path, link_args: list[str],
                    target: object, work: Path,
                    reuse: Optional[tuple[dict[str, int], Ksyms]] = None) -> tuple[dict[str, int], Ksyms]:
    """Link twice: with an empty symbol table, then with the one extracted from the first link.

    `reuse` is what an earlier call returned for another variant of the same kernel (the PVH
    image differs only in its boot headers): when the first link puts every code symbol at the
    same address, that table is used again instead of reading the DWARF once more.
    Returns the code symbols of the first link and the table; raises RuntimeError if the second
    link moved any code symbol of the first.
    """
    from translator.emit import assemble
    from translator.link import link
    stem = out_elf.stem
    empty_bin, table_bin = work / f"{stem}.ksyms0.bin", work / f"{stem}.ksyms.bin"
    empty_s, table_s = work / f"{stem}.ksyms0.s", work / f"{stem}.ksyms.s"
    empty_o, table_o = work / f"{stem}.ksyms0.o", work / f"{stem}.ksyms.o"
    empty_bin.write_bytes(pack_ksyms(Ksyms(base=0)))
    empty_s.write_text(ksyms_asm(empty_bin, empty_bin.stat().st_size))
    assemble(empty_s, target, empty_o)  # type: ignore[arg-type]
    first = work / f"{stem}.pass1.elf"
    link(objects + [empty_o], first, linker_script=kernel_ld, extra_args=link_args)
    before = _text_symbols(first)
    ks = reuse[1] if reuse is not None and reuse[0] == before else extract_ksyms(first)
    table_bin.write_bytes(pack_ksyms(ks))
    table_s.write_text(ksyms_asm(table_bin, table_bin.stat().st_size))
    assemble(table_s, target, table_o)  # type: ignore[arg-type]
    link(objects + [table_o], out_elf, linker_script=kernel_ld, extra_args=link_args)
    after = _text_symbols(out_elf)
    if before != after:
        moved = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        raise RuntimeError(f"embedding the symbol table moved code symbols: {', '.join(moved[:10])}")
    return before, ks
