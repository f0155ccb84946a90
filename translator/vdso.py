"""The vDSO as its own translation unit: Kernel Python → a position-independent ELF shared object.

The vDSO (src/asterpy/vdso/) is user code the kernel maps into every process. It is translated
apart from the kernel, for the arch's *user* target (position-independent, small code model), and
linked by ld.lld as a shared object with a version script:

    check      only asterpy.vdso.*, asterpy.lang and the arch's `vdso_arch` module; no heap, no
               exceptions, no globals (errors point at file:line:col)
    translate  the entry module and its imports, as one LLVM module (@export names the entry symbols)
    emit       an object; any undefined symbol but the vvar page's, or any writable data, is refused
    link       ld.lld -shared with arch/<arch>/vdso.ld and a version script (LINUX_2.6): ET_DYN,
               PT_DYNAMIC, DT_HASH and DT_GNU_HASH, no relocations left

`build_vdso` returns the image's bytes; translator/build.py embeds them in the kernel (vdso_blob).
"""
from __future__ import annotations

import ast
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from translator.diagnostics import TranslateError

REPO_ROOT = Path(__file__).resolve().parents[1]
VDSO_ENTRY = REPO_ROOT / "src" / "asterpy" / "vdso" / "clock.py"
VDSO_VERSION = "LINUX_2.6"
SONAME = "linux-vdso.so.1"
# The one symbol the vDSO may leave to the linker script: the vvar page, a page before the image.
VVAR_SYMBOL = "asterpy_vvar"
# What user space looks up (glibc 2.36 and musl on x86_64: the __vdso_ names, version LINUX_2.6),
# and the unprefixed aliases Linux's vDSO also exports.
EXPORTS = {"x86_64": ("__vdso_clock_gettime", "__vdso_gettimeofday", "__vdso_time", "__vdso_clock_getres",
                      "__vdso_getcpu")}
ALIASES = {"x86_64": {"clock_gettime": "__vdso_clock_gettime", "gettimeofday": "__vdso_gettimeofday",
                      "time": "__vdso_time", "clock_getres": "__vdso_clock_getres", "getcpu": "__vdso_getcpu"}}

# Modules a vDSO module may import: its own package, the language's types and decorators, the arch's
# instructions. Anything else (the kernel) would pull kernel code or data into user space.
ALLOWED_PREFIXES = ("asterpy.vdso", "asterpy.lang", "typing", "vdso_arch")
# Names whose use needs the kernel's runtime (heap, exceptions, the log).
RUNTIME_NAMES = {"List": "a heap list", "Dict": "a heap dict", "bytes": "a heap bytes object",
                 "bytearray": "a heap bytearray", "Weak": "a weak reference", "SysError": "an exception",
                 "panic": "the kernel's panic", "print": "the kernel log", "kmalloc": "the kernel heap",
                 "len": "a heap container"}
ASM_CALLS = ("asm", "asm_u64")


@dataclass
class VdsoImage:
    """A linked vDSO: the shared object's bytes and where its object and image were written."""

    data: bytes
    so_path: Path


def _module_allowed(name: str) -> bool:
    """Whether a vDSO module may import module `name`."""
    return any(name == p or name.startswith(p + ".") for p in ALLOWED_PREFIXES)


def _string_ok(node: ast.Constant, parents: dict[ast.AST, ast.AST]) -> bool:
    """A str constant is allowed as a docstring, an asm template/constraint or a decorator argument."""
    parent = parents.get(node)
    if isinstance(parent, ast.Expr):
        return True                                   # a docstring (or a bare string statement)
    if isinstance(parent, ast.Call):
        fn = parent.func
        name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else ""
        return name in ASM_CALLS or name in ("export", "struct")
    return False


def check_vdso_module(src_text: str, path: Path) -> list[TranslateError]:
    """The vDSO rules broken by one module, each pointing at its file:line:col."""
    from translator.diagnostics import SourceFile
    sf = SourceFile(path, src_text)
    tree = ast.parse(src_text, str(path))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    errors: list[TranslateError] = []

    def err(node: ast.AST, what: str, hint: str) -> None:
        """Record one broken rule."""
        errors.append(sf.error(node, f"the vDSO cannot use {what}", hint))

    for node in tree.body:
        if isinstance(node, ast.AnnAssign):
            ann = ast.unparse(node.annotation)
            if not ann.startswith("Final"):
                err(node, "a global variable (the vDSO has no writable data)",
                    "make it a `Final` constant, or keep the state in the vvar page (asterpy.vdso.layout)")
        elif isinstance(node, ast.Assign):
            err(node, "a global variable (the vDSO has no writable data)", "annotate it `Final`")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if not _module_allowed(a.name):
                    err(node, f"module {a.name} (kernel code)", "import only asterpy.vdso.*, asterpy.lang, vdso_arch")
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level == 0 and not _module_allowed(mod):
                err(node, f"module {mod} (kernel code)", "import only asterpy.vdso.*, asterpy.lang, vdso_arch")
        elif isinstance(node, (ast.Raise, ast.Try)):
            err(node, "exceptions (there is no unwinder or handler in user space)",
                "return an error value (the system call's -errno)")
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            err(node, "global state (the vDSO has no writable data)", "read the vvar page instead")
        elif isinstance(node, ast.ClassDef):
            if not any(isinstance(d, ast.Name) and d.id == "struct" for d in node.decorator_list):
                err(node, "a class (its objects live on the kernel heap)", "use a @struct over a Ptr")
        elif isinstance(node, (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp,
                               ast.GeneratorExp, ast.JoinedStr, ast.Lambda, ast.Yield, ast.With)):
            err(node, f"{type(node).__name__} (needs the kernel's heap or runtime)", "use Ptr and fixed-width integers")
        elif isinstance(node, ast.Constant) and isinstance(node.value, bytes):
            err(node, "a bytes constant (a heap object)", "use integer constants")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and not _string_ok(node, parents):
            err(node, "a string (a heap object)", "use integer constants")
        elif isinstance(node, ast.Name) and node.id in RUNTIME_NAMES and isinstance(node.ctx, ast.Load):
            err(node, f"{node.id} ({RUNTIME_NAMES[node.id]})", "use Ptr and fixed-width integers")
    return errors


def check_vdso_program(program: object) -> None:
    """Raise TranslateError (every broken rule, file:line:col) unless the program is vDSO-clean."""
    errors: list[TranslateError] = []
    for name, mod in program.modules.items():  # type: ignore[attr-defined]
        if name.startswith("asterpy.lang") or name == "typing":
            continue
        if not _module_allowed(name):
            errors.append(mod.src.error(None, f"the vDSO imports kernel module {name}",
                                        "the vDSO may import only asterpy.vdso.*, asterpy.lang and vdso_arch"))
            continue
        errors += check_vdso_module(mod.src.text, mod.src.path)
    if errors:
        raise TranslateError([d for e in errors for d in e.diagnostics])


def check_object(obj: Path) -> None:
    """Refuse an object that needs anything from outside (kernel symbols) or has writable data."""
    from elftools.elf.elffile import ELFFile
    problems = []
    with obj.open("rb") as f:
        elf = ELFFile(f)
        for sec in elf.iter_sections():
            name = sec.name
            if (name.startswith((".data", ".bss", ".tdata", ".tbss")) and sec["sh_size"] > 0):
                problems.append(f"writable data in section {name} ({sec['sh_size']} bytes): the vDSO has none")
        symtab = elf.get_section_by_name(".symtab")
        for sym in symtab.iter_symbols() if symtab is not None else ():
            if sym["st_shndx"] == "SHN_UNDEF" and sym.name and sym.name != VVAR_SYMBOL:
                problems.append(f"undefined symbol {sym.name}: the vDSO links nothing (no kernel, no runtime)")
    if problems:
        raise ValueError("vDSO object " + str(obj) + ":\n  " + "\n  ".join(problems))


def version_script(arch: str) -> str:
    """The version script: every export and alias at LINUX_2.6, everything else local."""
    names = list(EXPORTS[arch]) + sorted(ALIASES[arch])
    return f"{VDSO_VERSION} {{\n  global:\n" + "".join(f"    {n};\n" for n in names) + "  local: *;\n};\n"


def build_vdso(arch: str, out: Path, opt: int = 2, entry: Optional[Path] = None) -> VdsoImage:
    """Translate, check and link the vDSO for arch into out/vdso.so; its bytes."""
    from translator.build import module_roots
    from translator.driver import translate
    from translator.emit import emit_object
    from translator.toolchain import ld_lld
    if arch not in EXPORTS:
        raise ValueError(f"no vDSO for {arch!r} yet (x86_64 only)")
    from translator.resolve import resolve
    entry = Path(entry) if entry is not None else VDSO_ENTRY
    roots = module_roots(arch)
    check_vdso_program(resolve([entry], roots))
    tr = translate([entry], arch, opt, roots=roots, debug=False, kernel=False)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".vdso-", dir=out) as tmp:
        t = Path(tmp)
        obj = t / "vdso.o"
        emit_object(tr.ir_text, tr.target, obj, opt=opt)
        check_object(obj)
        ver = t / "vdso.ver"
        ver.write_text(version_script(arch))
        so = t / "vdso.so"
        args = ["-shared", "-nostdlib", "--no-undefined", "-soname", SONAME, "--hash-style=both",
                "--version-script", str(ver), "-T", str(REPO_ROOT / "arch" / arch / "vdso.ld"),
                "-z", "max-page-size=4096", "-z", "noexecstack", "-z", "norelro", "--build-id=none",
                "-O1", "-Bsymbolic", "-o", str(so)]
        args += [f"--defsym={a}={real}" for a, real in sorted(ALIASES[arch].items())]
        ld_lld(args + [str(obj)])
        final = out / "vdso.so"
        so.replace(final)
    return VdsoImage(final.read_bytes(), final)
