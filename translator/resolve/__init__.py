"""Stage 2, resolve: load every module the program imports and bind each top-level name to a symbol."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

from translator.diagnostics import Diagnostic, SourceFile, TranslateError
from translator.parse import DEFAULT_ROOTS, ParsedModule, find_module, module_name_for, parse_file

# Modules whose names the translator knows natively (their CPython code is the simulation).
BUILTIN_MODULES = ("asterpy.lang", "typing", "__future__", "typing_extensions")
INTRINSIC_MODULE = "asterpy.lang.intrinsics"


@dataclass(eq=False)
class BuiltinSym:
    """A name from the runtime library or typing that the translator implements itself."""

    name: str
    module: str


@dataclass(eq=False)
class ModuleSym:
    """An imported Kernel Python module."""

    module: "ModuleInfo"


@dataclass(eq=False)
class ConstSym:
    """A module constant (`NAME: Final = value`)."""

    module: "ModuleInfo"
    name: str
    node: ast.AnnAssign
    type: object = None
    value: object = None
    state: int = 0  # 0 unchecked, 1 in progress, 2 done


@dataclass(eq=False)
class GlobalSym:
    """A mutable module global (`name: T = value`)."""

    module: "ModuleInfo"
    name: str
    node: ast.AnnAssign
    type: object = None
    init: object = None

    @property
    def symbol(self) -> str:
        """The native symbol name."""
        return f"{self.module.name}.{self.name}"


@dataclass(eq=False)
class FuncSym:
    """A function or method definition."""

    module: "ModuleInfo"
    name: str
    node: ast.FunctionDef
    owner: object = None  # ClassType for methods
    export: Optional[str] = None
    extern: Optional[str] = None
    naked: bool = False
    sig: object = None  # check.FuncSig
    may_raise: bool = False
    checked: bool = False

    @property
    def symbol(self) -> str:
        """The native symbol name."""
        if self.export:
            return self.export
        if self.extern:
            return self.extern
        owner = f"{self.owner.name}." if self.owner is not None else ""
        return f"{self.module.name}.{owner}{self.name}"


@dataclass(eq=False)
class ClassSym:
    """A class definition: an ordinary class or a @struct."""

    module: "ModuleInfo"
    name: str
    node: ast.ClassDef
    is_struct: bool
    packed: bool = False
    type: object = None


Symbol = Union[BuiltinSym, ModuleSym, ConstSym, GlobalSym, FuncSym, ClassSym]


@dataclass(eq=False)
class ModuleInfo:
    """A loaded module: its parse tree and the symbols its top level defines or imports."""

    name: str
    parsed: ParsedModule
    symbols: dict[str, Symbol] = field(default_factory=dict)
    functions: list[FuncSym] = field(default_factory=list)
    classes: list[ClassSym] = field(default_factory=list)
    consts: list[ConstSym] = field(default_factory=list)
    globals: list[GlobalSym] = field(default_factory=list)
    allow_intrinsics: bool = False

    @property
    def src(self) -> SourceFile:
        """The module's source file."""
        return self.parsed.source


@dataclass
class Program:
    """The whole program: every module reachable from the entry files."""

    modules: dict[str, ModuleInfo] = field(default_factory=dict)
    entries: list[ModuleInfo] = field(default_factory=list)
    roots: tuple[Path, ...] = DEFAULT_ROOTS


def _is_builtin_module(name: str) -> bool:
    return any(name == b or name.startswith(b + ".") for b in BUILTIN_MODULES)


def _decorator_name(d: ast.expr) -> str:
    target = d.func if isinstance(d, ast.Call) else d
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    return ""


def _str_arg(src: SourceFile, d: ast.expr, what: str) -> str:
    if (isinstance(d, ast.Call) and len(d.args) == 1 and not d.keywords
            and isinstance(d.args[0], ast.Constant) and isinstance(d.args[0].value, str)):
        return d.args[0].value
    raise src.error(d, f"@{what} takes one string literal, the symbol name", f'write @{what}("symbol_name")')


class Resolver:
    """Loads modules and builds their top-level symbol tables."""

    def __init__(self, roots: tuple[Path, ...], intrinsics_anywhere: bool = False):
        self.program = Program(roots=roots)
        self.intrinsics_anywhere = intrinsics_anywhere

    def load_path(self, path: Path) -> ModuleInfo:
        """Load the module stored at `path` and everything it imports."""
        path = Path(path).resolve()
        name = module_name_for(path, self.program.roots)
        if name in self.program.modules:
            return self.program.modules[name]
        parsed = parse_file(path, name)
        return self._add(parsed)

    def load_name(self, name: str, node: ast.AST, src: SourceFile) -> ModuleInfo:
        """Load the module called `name` (imported at `node` of `src`)."""
        if name in self.program.modules:
            return self.program.modules[name]
        path = find_module(name, self.program.roots)
        if path is None:
            raise src.error(node, f"cannot find module '{name}'",
                            "Kernel Python imports only kernel modules (under src/ or arch/) and asterpy.lang")
        return self._add(parse_file(path, name))

    def _add(self, parsed: ParsedModule) -> ModuleInfo:
        root = Path(__file__).resolve().parents[2]
        try:
            rel = parsed.source.path.resolve().relative_to(root)
            in_arch = rel.parts[:1] == ("arch",)
        except ValueError:
            in_arch = False
        mod = ModuleInfo(parsed.name, parsed, allow_intrinsics=in_arch or self.intrinsics_anywhere)
        self.program.modules[parsed.name] = mod
        self._bind(mod)
        _screen(mod)
        _cpython_compiles(mod)
        return mod

    def _define(self, mod: ModuleInfo, name: str, sym: Symbol, node: ast.AST) -> None:
        if name in mod.symbols and not isinstance(mod.symbols[name], BuiltinSym):
            raise mod.src.error(node, f"'{name}' is defined twice at module level",
                                "give each module-level definition its own name")
        mod.symbols[name] = sym

    def _bind(self, mod: ModuleInfo) -> None:
        # Two passes: the module's own definitions first, then its imports. A module that is
        # still binding its imports (an import cycle: a imports b, b imports a) then already
        # has every name it defines itself, so the other side of the cycle can import them.
        src = mod.src
        body = mod.parsed.tree.body
        imports = [s for s in body if isinstance(s, (ast.Import, ast.ImportFrom))]
        for i, stmt in enumerate(body):
            if (i == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
                    and isinstance(stmt.value.value, str)):
                continue  # module docstring
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                continue
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if isinstance(stmt, ast.AsyncFunctionDef):
                    raise src.error(stmt, "async functions are not part of Kernel Python", "write a plain def")
                fs = self._function(mod, stmt, None)
                mod.functions.append(fs)
                self._define(mod, stmt.name, fs, stmt)
            elif isinstance(stmt, ast.ClassDef):
                cs = self._class(mod, stmt)
                mod.classes.append(cs)
                self._define(mod, stmt.name, cs, stmt)
            elif isinstance(stmt, ast.AnnAssign):
                self._ann_assign(mod, stmt)
            elif isinstance(stmt, ast.If) and _is_type_checking(stmt.test):
                continue
            elif isinstance(stmt, ast.Assign):
                raise src.error(stmt, "module-level names need a type annotation",
                                "write NAME: Final = value for a constant or NAME: T = value for a global")
            elif isinstance(stmt, ast.Pass):
                continue
            else:
                raise src.error(stmt, "a module's top level may only define constants, globals, functions and classes",
                                "move this statement into a function (for example an init function the kernel calls)")
        for stmt in imports:
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    self._import_module(mod, alias.name, alias.asname, stmt)
            else:
                self._import_from(mod, stmt)

    def _import_module(self, mod: ModuleInfo, name: str, asname: Optional[str], node: ast.AST) -> None:
        if name == INTRINSIC_MODULE and not mod.allow_intrinsics:
            raise mod.src.error(node, "asterpy.lang.intrinsics may only be used under arch/",
                                "put the unsafe code in an arch module and call it through the arch interface")
        if _is_builtin_module(name):
            _check_builtin_module(mod, name, node, self.program.roots)
            bind = asname or name.split(".")[0]
            self._define(mod, bind, BuiltinSym("<module>", name), node)
            return
        target = self.load_name(name, node, mod.src)
        if asname is None and "." in name:
            raise mod.src.error(node, "import a.b binds only 'a', which Kernel Python cannot use",
                                f"write: import {name} as {name.split('.')[-1]}  or  from {name.rsplit('.', 1)[0]} import {name.split('.')[-1]}")
        self._define(mod, asname or name, ModuleSym(target), node)

    def _import_from(self, mod: ModuleInfo, stmt: ast.ImportFrom) -> None:
        src = mod.src
        if stmt.level:
            base = mod.name.split(".")
            is_pkg = mod.parsed.source.path.name == "__init__.py"
            keep = len(base) - stmt.level + (1 if is_pkg else 0)
            if keep < 0:
                raise src.error(stmt, "relative import goes above the top-level package", "use an absolute import")
            modname = ".".join(base[:keep] + ([stmt.module] if stmt.module else []))
        else:
            modname = stmt.module or ""
        if not modname:
            raise src.error(stmt, "relative import goes above the top-level package", "use an absolute import")
        intrinsics_by_name = modname == "asterpy.lang" and any(a.name == "intrinsics" for a in stmt.names)
        if (modname == INTRINSIC_MODULE or intrinsics_by_name) and not mod.allow_intrinsics:
            raise src.error(stmt, "asterpy.lang.intrinsics may only be used under arch/",
                            "put the unsafe code in an arch module and call it through the arch interface")
        for alias in stmt.names:
            if alias.name == "*":
                raise src.error(stmt, "'import *' is not part of Kernel Python", "import the names you use explicitly")
            bind = alias.asname or alias.name
            if modname == "asterpy.lang" and alias.name == "intrinsics":
                self._define(mod, bind, BuiltinSym("<module>", INTRINSIC_MODULE), stmt)
                continue
            if _is_builtin_module(modname):
                _check_builtin_module(mod, modname, stmt, self.program.roots)
                _check_builtin_name(mod, modname, alias.name, stmt)
                self._define(mod, bind, BuiltinSym(alias.name, modname), stmt)
                continue
            sub = f"{modname}.{alias.name}"
            if find_module(sub, self.program.roots) is not None:
                self._define(mod, bind, ModuleSym(self.load_name(sub, stmt, src)), stmt)
                continue
            target = self.load_name(modname, stmt, src)
            sym = target.symbols.get(alias.name)
            if sym is None:
                raise src.error(stmt, f"module '{modname}' has no top-level name '{alias.name}'",
                                "check the spelling, or define it there first")
            self._define(mod, bind, sym, stmt)

    def _function(self, mod: ModuleInfo, node: ast.FunctionDef, owner: object) -> FuncSym:
        fs = FuncSym(mod, node.name, node, owner)
        for d in node.decorator_list:
            dn = _decorator_name(d)
            if dn == "export":
                fs.export = _str_arg(mod.src, d, "export")
            elif dn == "extern":
                fs.extern = _str_arg(mod.src, d, "extern")
            elif dn == "naked":
                if not mod.allow_intrinsics:
                    raise mod.src.error(d, "@naked functions are allowed only under arch/",
                                        "move the function into an arch module")
                fs.naked = True
            else:
                raise mod.src.error(d, f"decorator '@{dn or ast.unparse(d)}' is not part of Kernel Python",
                                    "only @export(\"sym\"), @extern(\"sym\") and @naked (under arch/) decorate functions")
        return fs

    def _class(self, mod: ModuleInfo, node: ast.ClassDef) -> ClassSym:
        src = mod.src
        is_struct, packed = False, False
        for d in node.decorator_list:
            if _decorator_name(d) != "struct":
                raise src.error(d, f"class decorator '@{ast.unparse(d)}' is not part of Kernel Python",
                                "only @struct and @struct(packed=True) decorate classes")
            is_struct = True
            if isinstance(d, ast.Call):
                for kw in d.keywords:
                    if kw.arg != "packed" or not isinstance(kw.value, ast.Constant) or not isinstance(kw.value.value, bool):
                        raise src.error(d, "@struct takes only packed=True or packed=False", "write @struct(packed=True)")
                    packed = kw.value.value
                if d.args:
                    raise src.error(d, "@struct takes only packed=True or packed=False", "write @struct(packed=True)")
        if node.keywords:
            raise src.error(node, "metaclasses and class keywords are not part of Kernel Python",
                            "write a plain class, optionally with one base class")
        if len(node.bases) > 1:
            raise src.error(node.bases[1], "multiple inheritance is not part of Kernel Python",
                            "derive from one base class and hold the other as a field")
        return ClassSym(mod, node.name, node, is_struct, packed)

    def _ann_assign(self, mod: ModuleInfo, stmt: ast.AnnAssign) -> None:
        src = mod.src
        if not isinstance(stmt.target, ast.Name):
            raise src.error(stmt, "module-level annotated assignment must bind a plain name", "write NAME: T = value")
        if stmt.value is None:
            raise src.error(stmt, "a module-level name needs an initial value", "write NAME: T = value")
        name = stmt.target.id
        ann = stmt.annotation
        is_final = (isinstance(ann, ast.Name) and ann.id == "Final") or (
            isinstance(ann, ast.Subscript) and isinstance(ann.value, ast.Name) and ann.value.id == "Final")
        if is_final:
            c = ConstSym(mod, name, stmt)
            mod.consts.append(c)
            self._define(mod, name, c, stmt)
        else:
            g = GlobalSym(mod, name, stmt)
            mod.globals.append(g)
            self._define(mod, name, g, stmt)


def _check_builtin_module(mod: ModuleInfo, name: str, node: ast.AST, roots: tuple[Path, ...]) -> None:
    """Refuse an import of a runtime-library submodule that does not exist (asterpy.lang.nosuch)."""
    if name.startswith("asterpy.lang.") and find_module(name, roots) is None:
        raise mod.src.error(node, f"cannot find module '{name}'",
                            "the runtime library is asterpy.lang and its submodules (ints, struct, memory, atomic, "
                            "errno, errors, linkage, weak, console, intrinsics)")


def _check_builtin_name(mod: ModuleInfo, modname: str, name: str, node: ast.AST) -> None:
    """Refuse `from asterpy.lang import nosuch` at the import rather than at the first use."""
    import importlib
    try:
        pymod = importlib.import_module(modname)
    except Exception:  # typing_extensions may be missing; the checker judges each use anyway
        return
    if not hasattr(pymod, name):
        raise mod.src.error(node, f"module '{modname}' has no name '{name}'",
                            "check the spelling; docs/language.md lists the runtime library's names")


# Python built-ins that look names up at run time: never part of the subset.
DYNAMIC_BUILTINS = {
    "eval": "write the code itself: Kernel Python is translated ahead of time, there is no interpreter",
    "exec": "write the code itself: Kernel Python is translated ahead of time, there is no interpreter",
    "compile": "write the code itself: Kernel Python is translated ahead of time, there is no interpreter",
    "__import__": "import the module at the top of the file",
    "getattr": "read the field directly: obj.field (fields are declared in the class body)",
    "setattr": "assign the field directly: obj.field = value (fields are declared in the class body)",
    "delattr": "fields cannot be removed; assign None to an Optional field instead",
    "hasattr": "every object of a class has all its declared fields; use isinstance(obj, C) to test the class",
    "globals": "name the global directly",
    "locals": "name the local directly",
    "vars": "read the fields directly: obj.field",
    "dir": "read the fields directly: obj.field",
    "type": "use isinstance(obj, C) to test the class",
    "id": "compare objects with `is`",
    "hash": "hash the integer fields yourself",
    "iter": "loop with for x in ...",
    "next": "loop with for x in ...",
    "float": "use integers (for example fixed point)",
    "complex": "use integers",
    "open": "there are no files in the kernel's own code; use the VFS interfaces",
    "input": "there is no standard input in the kernel",
}

# Attributes that reach into Python's object model at run time.
DYNAMIC_ATTRS = {"__dict__", "__class__", "__slots__", "__getattr__", "__getattribute__", "__setattr__",
                 "__delattr__", "__globals__", "__code__", "__closure__", "__module__", "__name__", "__qualname__",
                 "__bases__", "__mro__", "__subclasses__", "__annotations__", "__builtins__", "__self__",
                 "__func__", "__defaults__", "__kwdefaults__", "__wrapped__", "__weakref__"}

_INT64_RANGE = (-(1 << 63), 1 << 64)


def _screen(mod: ModuleInfo) -> None:
    """Refuse constructs that are outside the subset wherever they appear, before any type checking."""
    # These never have a meaning in Kernel Python whatever their context (module level, class body,
    # default value or function body), so one walk catches them with one message each.
    src = mod.src
    for node in ast.walk(mod.parsed.tree):
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            kw = "yield from" if isinstance(node, ast.YieldFrom) else "yield"
            raise src.error(node, f"generators ({kw}) are not part of Kernel Python",
                            "return a List[T] of the results, or pass an object whose method is called for each item")
        if isinstance(node, ast.Nonlocal):
            raise src.error(node, "nonlocal is not part of Kernel Python (there are no closures)",
                            "pass the value as a parameter and return the new value")
        if isinstance(node, ast.Await):
            raise src.error(node, "await is not part of Kernel Python (there is no async)",
                            "call the function directly; kernel threads block by sleeping on a wait queue")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in DYNAMIC_BUILTINS \
                and node.func.id not in mod.symbols:
            name = node.func.id
            why = "floats are not part of Kernel Python" if name in ("float", "complex") else \
                "it needs Python's run-time object model, which Kernel Python does not have"
            raise src.error(node, f"{name}() is not part of Kernel Python: {why}", DYNAMIC_BUILTINS[name])
        if isinstance(node, ast.Attribute) and node.attr in DYNAMIC_ATTRS:
            raise src.error(node, f"dynamic attribute '{node.attr}' is not part of Kernel Python",
                            "objects have only the fields declared in their class body: read them as obj.field")
        if isinstance(node, ast.Constant) and type(node.value) is int \
                and not (_INT64_RANGE[0] <= node.value < _INT64_RANGE[1]):
            raise src.error(node, f"integer literal {node.value:#x} does not fit in 64 bits (there are no big integers)",
                            "use values that fit in u64 or i64; split wider numbers into several u64 words")


_COMPILE_HINTS = {
    "prior to global declaration": "put the `global` statement first in the function",
    "assigned to before global declaration": "put the `global` statement first in the function",
    "is parameter and global": "give the parameter another name",
    "outside function": "move the statement into a function",
    "outside loop": "use it only inside a for or while loop",
    "duplicate argument": "give each parameter its own name",
    "must be last": "put the catch-all handler last",
}


def _cpython_compiles(mod: ModuleInfo) -> None:
    """Refuse what CPython's compiler refuses although its parser accepts it (a kernel module must import)."""
    # ast.parse accepts e.g. `return` outside a function, a name used before its `global`
    # statement or duplicate parameter names; compile() does the symbol-table checks.
    import warnings
    src = mod.src
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(mod.parsed.tree, str(src.path), "exec", dont_inherit=True)
    except SyntaxError as e:
        line = e.lineno or 1
        col = max((e.offset or 1) - 1, 0)
        src_line = src.lines[line - 1] if 0 < line <= len(src.lines) else ""
        hint = next((h for key, h in _COMPILE_HINTS.items() if key in e.msg),
                    "Kernel Python modules are valid Python 3.11: fix what CPython reports")
        raise TranslateError([Diagnostic(str(src.path), line, col, f"CPython refuses this module: {e.msg}",
                                         hint, src_line)]) from None
    except (ValueError, RecursionError, MemoryError):
        raise src.error(None, "CPython cannot compile this module (it is nested too deeply)",
                        "split deeply nested expressions into statements") from None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def resolve(paths: list[Path], roots: Optional[tuple[Path, ...]] = None,
            intrinsics_anywhere: bool = False) -> Program:
    """Load the entry files and everything they import into one Program."""
    extra = tuple(Path(p).resolve().parent for p in paths)
    r = Resolver(tuple(roots or DEFAULT_ROOTS) + extra, intrinsics_anywhere)
    for p in paths:
        r.program.entries.append(r.load_path(Path(p)))
    return r.program
