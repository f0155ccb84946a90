"""DWARF 4 line information through llvmlite.ir debug metadata (Python file:line for kernel code)."""
from __future__ import annotations

from pathlib import PurePath
from typing import Iterable, Optional, Union

from llvmlite import ir

DW_LANG_PYTHON = 0x0014          # DWARF 4 spec, table 7.17 (language names)
DWARF_VERSION = 4                # gdb 13 misreads some DWARF 5 line tables (DESIGN.md section 3)
DEBUG_INFO_VERSION = 3           # LLVM's metadata format version (llvm::DEBUG_METADATA_VERSION)
_FLAG_WARNING, _FLAG_MAX = 2, 7  # llvm.module.flags merge behaviours


class DebugInfo:
    """Per-module debug info: module flags, one DICompileUnit, a DIFile per source file."""

    def __init__(self, module: ir.Module, files: Iterable[Union[str, PurePath]],
                 directory: str = "", producer: str = "asterpy translator",
                 optimized: bool = True, full: bool = False) -> None:
        self.module = module
        self.directory = directory
        self._files: dict[str, ir.DIValue] = {}
        self._locations: dict[tuple[int, int, int], ir.DIValue] = {}
        paths = [str(f) for f in files]
        if not paths:
            raise ValueError("DebugInfo needs at least one source file")
        for path in paths:
            self.file(path)
        i32 = ir.IntType(32)
        module.add_named_metadata("llvm.module.flags",
                                  [ir.Constant(i32, _FLAG_MAX), "Dwarf Version", ir.Constant(i32, DWARF_VERSION)])
        module.add_named_metadata("llvm.module.flags",
                                  [ir.Constant(i32, _FLAG_WARNING), "Debug Info Version",
                                   ir.Constant(i32, DEBUG_INFO_VERSION)])
        # LineTablesOnly still emits DW_TAG_subprogram names (addr2line -f, gdb backtraces);
        # FullDebug would also want types and variables, which lowering does not describe yet.
        self.cu = module.add_debug_info("DICompileUnit", {
            "language": ir.DIToken("DW_LANG_Python"),
            "file": self._files[paths[0]],
            "producer": producer,
            "isOptimized": optimized,
            "runtimeVersion": 0,
            "emissionKind": ir.DIToken("FullDebug" if full else "LineTablesOnly"),
        }, is_distinct=True)
        module.add_named_metadata("llvm.dbg.cu", self.cu)
        self._subroutine_type = module.add_debug_info("DISubroutineType", {"types": module.add_metadata([])})
        self.optimized = optimized

    def file(self, path: Union[str, PurePath]) -> ir.DIValue:
        """The DIFile for `path` (relative to `directory`), created on first use."""
        key = str(path)
        if key not in self._files:
            self._files[key] = self.module.add_debug_info(
                "DIFile", {"filename": key, "directory": self.directory})
        return self._files[key]

    def subprogram(self, fn: ir.Function, file: Union[str, PurePath], line: int,
                   name: Optional[str] = None) -> ir.DIValue:
        """Create a DISubprogram for function `fn` defined at `file:line` and attach it as !dbg."""
        difile = self.file(file)
        flags = "DISPFlagDefinition | DISPFlagOptimized" if self.optimized else "DISPFlagDefinition"
        sp = self.module.add_debug_info("DISubprogram", {
            "name": name or fn.name,
            "linkageName": fn.name,      # the symbol: unique, so monomorphized copies stay distinct
            "scope": difile,
            "file": difile,
            "line": line,
            "scopeLine": line,
            "type": self._subroutine_type,
            "spFlags": ir.DIToken(flags),
            "unit": self.cu,
        }, is_distinct=True)
        fn.set_metadata("dbg", sp)
        return sp

    def location(self, line: int, col: int, scope: ir.DIValue) -> ir.DIValue:
        """A DILocation for `builder.debug_metadata` (col is 1-based; 0 means unknown)."""
        # llvmlite deduplicates metadata by hashing its operands, which is slow; keep our own cache.
        key = (line, col, id(scope))
        loc = self._locations.get(key)
        if loc is None:
            loc = self.module.add_debug_info("DILocation", {"line": line, "column": col, "scope": scope})
            self._locations[key] = loc
        return loc
