"""Kernel modules under CPython through the checked tree: the integer types the checker inferred made explicit.

A bare literal in a typed context (`y: u8 = 200`, `f(200)`, `return 200`, a default, a `Final[u8]`
constant, `min(x, 200)`) is a `u8` natively but would stay a plain, unbounded int under CPython, and
so would `int(x)`, the loop variable of `for i in range(n)` and an element of a bytes value. Then
arithmetic that wraps natively does not wrap under CPython. Instead of making kernel code write
`u8(200)` everywhere, the CPython world imports kernel modules through this loader: it resolves and
checks them as the translator does, and compiles a tree in which each such value is wrapped in the
conversion the checker gave it (`_kpy_lang.u8(200)`). Line numbers are the source's, so tracebacks
and coverage still point at the real lines. See docs/language.md 6.2 and docs/decisions.md.
"""
from __future__ import annotations

import ast
import hashlib
import importlib.abc
import importlib.util
import marshal
import os
import sys
from pathlib import Path
from types import CodeType, ModuleType
from typing import Optional, Sequence

from translator.check import types as T

RUNTIME = "_kpy_lang"  # the name the rewritten module binds asterpy.lang to (not mangled in class bodies)
_CLASS_OF = {(8, False): "u8", (16, False): "u16", (32, False): "u32", (64, False): "u64",
             (8, True): "i8", (16, True): "i16", (32, True): "i32", (64, True): "i64"}


def runtime_class(t: T.IntType) -> str:
    """The asterpy.lang class that holds values of t under CPython (PhysAddr/VirtAddr keep their own)."""
    if t.name in ("PhysAddr", "VirtAddr"):
        return t.name
    return _CLASS_OF[(t.bits, t.signed)]


# Calls whose arguments are bound to Kernel Python parameters, fields or elements (binding contexts).
_TYPED_CALLS = ("func", "indirect", "method", "struct_method", "new", "new_struct")


def _is_int(t: object) -> bool:
    """t is a fixed-width integer type (a literal's own type is not)."""
    return isinstance(t, T.IntType)


def _plain_constant(node: ast.expr) -> bool:
    """True for a literal-valued expression (literal, errno name, constant, literal arithmetic) that the checker typed."""
    if not hasattr(node, "const") or not _is_int(getattr(node, "kt", None)):
        return False
    ck = getattr(node, "ck", None)
    return not (isinstance(node, ast.Call) and ck is not None and ck.kind == "convert")


def _typed_operand(node: ast.expr) -> bool:
    """An operand whose CPython value is already a fixed-width object, so a literal next to it adopts its type."""
    return _is_int(getattr(node, "kt", None)) and not hasattr(node, "const") and not _may_be_plain(node)


def _may_be_plain(node: ast.expr) -> bool:
    """Expressions whose CPython value is a plain int although the checker gave them a fixed-width type."""
    if not isinstance(getattr(node, "ctx", ast.Load()), ast.Load):
        return False  # a store target
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("int", "len"):
        return True
    if isinstance(node, ast.Subscript) and isinstance(getattr(node.value, "kt", None), T.BytesType):
        return True
    if isinstance(node, ast.Attribute) and isinstance(getattr(node.value, "kt", None), T.SysErrorType):
        return True
    return False


class _Explicit(ast.NodeTransformer):
    """Wrap every value the checker typed but CPython would leave plain in its conversion."""

    def __init__(self, local_types: Optional[dict] = None):
        self.local_types = local_types or {}

    def wrap(self, node: ast.expr, t: T.IntType) -> ast.expr:
        """`_kpy_lang.T(node)` at node's position."""
        fn = ast.Attribute(ast.Name(RUNTIME, ast.Load()), runtime_class(t), ast.Load())
        call = ast.Call(fn, [node], [])
        for n in (call, fn, fn.value):
            ast.copy_location(n, node)
        return call

    def visit(self, node: ast.AST) -> ast.AST:  # type: ignore[override]
        """Wrap a typed literal-valued expression whole; wrap a may-be-plain one after fixing its parts."""
        if isinstance(node, ast.expr) and getattr(node, "kpy_keep", False) and _plain_constant(node):
            return node  # left as CPython's plain int on purpose, with all its parts
        if isinstance(node, ast.expr):
            if _plain_constant(node):
                return self.wrap(node, node.kt)  # type: ignore[attr-defined]  # its parts are literals: nothing inside to fix
            if _is_int(getattr(node, "kt", None)) and _may_be_plain(node):
                return self.wrap(self.generic_visit(node), node.kt)  # type: ignore[arg-type, attr-defined]
        return super().visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        """A shift count stays as written; a literal beside a typed operand is left to adopt its type."""
        if isinstance(node.op, (ast.LShift, ast.RShift)):
            node.right.kpy_keep = _plain_constant(node.right)  # type: ignore[attr-defined]  # the count is not converted
        self._adopting(node.left, node.right)
        return self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        """Arguments bound to Kernel Python parameters, fields and elements are typed; the runtime library's are not."""
        ck = getattr(node, "ck", None)
        kind = getattr(ck, "kind", "")
        kernel = kind in _TYPED_CALLS or kind.split("_")[0] in ("ListType", "DictType", "BytesType") or (
            kind == "builtin" and ck.target in ("min", "max", "abs"))  # type: ignore[union-attr]
        if not kernel:
            # The runtime library's own functions (memset, Ptr.store, atomics...) convert their arguments themselves.
            for a in list(node.args) + [k.value for k in node.keywords]:
                a.kpy_keep = True  # type: ignore[attr-defined]
        return self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        """A literal compared with a typed operand adopts its type in the runtime library too."""
        sides = [node.left] + list(node.comparators)
        for a, b in zip(sides, sides[1:]):
            self._adopting(a, b)
        return self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        """`x op= literal`: the typed target adopts the literal (and a shift count is not converted)."""
        node.value.kpy_keep = _plain_constant(node.value)  # type: ignore[attr-defined]  # the target is typed: it adopts
        return self.generic_visit(node)

    def _adopting(self, a: ast.expr, b: ast.expr) -> None:
        """A literal next to a typed operand adopts its type in the runtime library too: leave it (speed)."""
        if _plain_constant(a) and _typed_operand(b):
            a.kpy_keep = True  # type: ignore[attr-defined]
        if _plain_constant(b) and _typed_operand(a):
            b.kpy_keep = True  # type: ignore[attr-defined]

    def visit_For(self, node: ast.For) -> ast.AST:
        """The variable of a loop over range() or bytes gets its checked type: map(T, iterable)."""
        if isinstance(node.iter, ast.Call) and isinstance(node.iter.func, ast.Name) and node.iter.func.id == "range":
            for a in node.iter.args:
                a.kpy_keep = True  # type: ignore[attr-defined]  # range's bounds and step are values, not wrapped
        self.generic_visit(node)
        t = self.local_types.get(node.target.id) if isinstance(node.target, ast.Name) else None
        it = node.iter
        from_range = isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"
        over_bytes = isinstance(getattr(it, "kt", None), T.BytesType)
        if _is_int(t) and (from_range or over_bytes):
            # range() and bytes give plain ints under CPython; natively the variable has its type.
            conv = ast.Attribute(ast.Name(RUNTIME, ast.Load()), runtime_class(t), ast.Load())  # type: ignore[arg-type]
            node.iter = ast.Call(ast.Name("map", ast.Load()), [conv, it], [])
            for n in (node.iter, node.iter.func, conv, conv.value):
                ast.copy_location(n, it)
        return node


def explicit_tree(mod: object, checked: object) -> ast.Module:
    """The module's checked tree with the checker's integer conversions written out (in place)."""
    from translator.resolve import ConstSym, GlobalSym
    tree: ast.Module = mod.parsed.tree  # type: ignore[attr-defined]
    funcs = {id(fi.sym.node): fi for fi in checked.funcs.values() if fi.sym.module is mod}  # type: ignore[attr-defined]
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and id(node) in funcs:
            info = funcs[id(node)]
            locals_ = {name: lv.type for name, lv in info.locals.items()}
            tr = _Explicit(locals_)
            node.args = tr.visit(node.args)  # the defaults
            node.body = [tr.visit(s) for s in node.body]
    body = []
    for s in tree.body:
        if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name) and s.value is not None:
            sym = mod.symbols.get(s.target.id)  # type: ignore[attr-defined]
            t = getattr(sym, "type", None) if isinstance(sym, (ConstSym, GlobalSym)) else None
            if _is_int(t):
                s.value = _Explicit().wrap(s.value, t)  # type: ignore[arg-type]
        body.append(s)
    # `import asterpy.lang as _kpy_lang` after the docstring and __future__ imports.
    at = 0
    while at < len(body) and (isinstance(body[at], ast.ImportFrom) and body[at].module == "__future__"
                              or at == 0 and isinstance(body[at], ast.Expr) and isinstance(body[at].value, ast.Constant)):
        at += 1
    alias = ast.alias("asterpy.lang", RUNTIME)
    imp = ast.Import([alias])
    for n in (imp, alias):
        n.lineno, n.col_offset, n.end_lineno, n.end_col_offset = 1, 0, 1, 0  # type: ignore[attr-defined]
    body.insert(at, imp)
    tree.body = body
    return tree


class KernelModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports kernel modules (under `kernel_dirs`) through the checked, explicit tree."""

    def __init__(self, roots: Sequence[Path], kernel_dirs: Sequence[Path], exclude: Sequence[str] = ("asterpy.lang",),
                 cache_dir: Optional[Path] = None):
        self.cache_dir = cache_dir
        self._key: Optional[str] = None
        self.roots = [Path(r).resolve() for r in roots]
        self.kernel_dirs = [Path(d).resolve() for d in kernel_dirs]
        self.exclude = tuple(exclude)
        self.code: dict[str, CodeType] = {}
        self.plain: dict[str, str] = {}  # modules the translator refuses, run as they are: name -> the diagnostic
        self.files: dict[str, Path] = {}

    def _file(self, fullname: str) -> Optional[Path]:
        """The kernel module file of a dotted name, or None (not ours: packages, the runtime library, tests)."""
        if fullname in self.files:
            return self.files[fullname]
        if any(fullname == e or fullname.startswith(e + ".") for e in self.exclude):
            return None
        rel = Path(*fullname.split("."))
        for root in self.roots:
            f = (root / rel).with_suffix(".py")
            if f.is_file():
                f = f.resolve()
                return f if any(d in f.parents for d in self.kernel_dirs) else None
        return None

    def find_spec(self, fullname: str, path: object = None, target: object = None):  # type: ignore[no-untyped-def]
        """A spec for a kernel module file (packages' __init__ files are left to the normal import)."""
        f = self._file(fullname)
        if f is None:
            return None
        self.files[fullname] = f
        return importlib.util.spec_from_file_location(fullname, f, loader=self)

    def create_module(self, spec):  # type: ignore[no-untyped-def]
        """Default module creation."""
        return None

    def exec_module(self, module: ModuleType) -> None:
        """Run the module's explicit code (resolving and checking its import closure on first use)."""
        name = module.__name__
        if name not in self.code and name not in self.plain:
            from translator.diagnostics import TranslateError
            try:
                self._translate(name, self.files[name])
            except TranslateError as e:
                # Not Kernel Python (a host-side tool under src/, such as a table generator): it runs as
                # plain Python. A kernel module with an error fails the kernel build instead.
                self.plain[name] = str(e)
        if name in self.plain:
            path = self.files[name]
            exec(compile(path.read_bytes(), str(path), "exec"), module.__dict__)
            return
        exec(self.code[name], module.__dict__)

    def _translate(self, name: str, path: Path) -> None:
        """Compile the explicit code of `name` and of every kernel module of its import closure (cached)."""
        cached = self._cache_file()
        if cached is not None and cached.is_file():
            try:
                codes = marshal.loads(cached.read_bytes())
            except (EOFError, ValueError, TypeError):
                codes = {}
            if name in codes:
                self.code.update({k: v for k, v in codes.items() if k not in self.code})
                return
        from translator.check import check_program
        from translator.resolve import resolve
        program = resolve([path], tuple(self.roots))
        checked = check_program(program)
        for mname, mod in program.modules.items():
            mpath = Path(mod.src.path).resolve()
            if mname in self.code or not any(d in mpath.parents for d in self.kernel_dirs):
                continue
            self.code[mname] = compile(explicit_tree(mod, checked), str(mpath), "exec")
        if name not in self.code:
            # The entry itself may be known to the resolver under another name (arch/x86_64/
            # kernel_arch.py is `arch.x86_64.kernel_arch` when nothing in its closure imports it
            # by its bare seam name): compile that module under the name asked for.
            for mod in program.modules.values():
                if Path(mod.src.path).resolve() == path.resolve():
                    self.code[name] = compile(explicit_tree(mod, checked), str(path.resolve()), "exec")
                    break
        if name not in self.code:
            raise ImportError(f"{name}: the translator did not load {path}", name=name)
        if cached is not None:
            # Written whole and renamed, so that a concurrent reader never sees half a file.
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(marshal.dumps(self.code))
            os.replace(tmp, cached)

    def _cache_file(self) -> Optional[Path]:
        """Where the compiled modules are kept between runs: one file per state of the kernel and translator sources."""
        if self.cache_dir is None:
            return None
        if self._key is None:
            h = hashlib.sha256(sys.version.encode())
            for d in [*self.kernel_dirs, Path(__file__).resolve().parent]:
                for f in sorted(d.rglob("*.py")):
                    h.update(str(f).encode() + b"\0" + f.read_bytes() + b"\0")
            self._key = h.hexdigest()[:32]
        return self.cache_dir / f"{self._key}.marshal"


def install(roots: Sequence[Path], kernel_dirs: Sequence[Path], cache_dir: Optional[Path] = None) -> KernelModuleFinder:
    """Put a KernelModuleFinder first on sys.meta_path (once) and return it."""
    for f in sys.meta_path:
        if isinstance(f, KernelModuleFinder):
            return f
    finder = KernelModuleFinder(roots, kernel_dirs, cache_dir=cache_dir)
    sys.meta_path.insert(0, finder)
    return finder


def load_file(path: Path, name: str, roots: Optional[Sequence[Path]] = None) -> ModuleType:
    """Import one Kernel Python file under `name` through the explicit tree (the differential tests' CPython side)."""
    from translator.check import check_program
    from translator.resolve import resolve
    path = Path(path).resolve()
    program = resolve([path], tuple(roots) if roots else None)
    checked = check_program(program)
    mod = next(m for m in program.modules.values() if Path(m.src.path).resolve() == path)
    code = compile(explicit_tree(mod, checked), str(path), "exec")
    module = ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    try:
        exec(code, module.__dict__)
    except BaseException:
        del sys.modules[name]
        raise
    return module
