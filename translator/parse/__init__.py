"""Stage 1, parse: find Kernel Python modules on disk and turn their text into `ast` trees."""
from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from translator.diagnostics import Diagnostic, SourceFile, TranslateError

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ROOTS = (REPO_ROOT / "src", REPO_ROOT)


@dataclass
class ParsedModule:
    """A parsed module: its dotted name, source and syntax tree."""

    name: str
    source: SourceFile
    tree: ast.Module


def parse_source(text: str, path: Path, name: str) -> ParsedModule:
    """Parse `text` as the module `name`; a syntax error becomes a positioned diagnostic."""
    src = SourceFile(path, text)
    try:
        with warnings.catch_warnings():
            # SyntaxWarnings (odd escapes, `0x1for`) would go to stderr on every translation; the
            # checker refuses whatever the construct turns out to mean.
            warnings.simplefilter("ignore")
            tree = ast.parse(text, filename=str(path), type_comments=False)
    except SyntaxError as e:
        line = e.lineno or 1
        col = max((e.offset or 1) - 1, 0)
        src_line = src.lines[line - 1] if 0 < line <= len(src.lines) else ""
        raise TranslateError([Diagnostic(str(path), line, col, f"syntax error: {e.msg}",
                                         "Kernel Python is Python 3.11 syntax", src_line)]) from None
    except (ValueError, RecursionError, MemoryError) as e:
        # CPython's parser gives up on some inputs without a SyntaxError (null bytes in older
        # versions, expressions nested thousands deep); they are still the user's error.
        msg = "the code is nested too deeply to parse" if not isinstance(e, ValueError) else f"cannot parse: {e}"
        raise TranslateError([Diagnostic(str(path), 1, 0, msg, "split deeply nested expressions into statements",
                                         src.lines[0] if src.lines else "")]) from None
    return ParsedModule(name, src, tree)


def parse_file(path: Path, name: Optional[str] = None) -> ParsedModule:
    """Read and parse one file; the module name defaults to the file's stem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise TranslateError([Diagnostic(str(path), 1, 0, f"cannot read source file: {e.strerror or e}",
                                         "check that the path names a readable .py file")]) from None
    except UnicodeDecodeError as e:
        line = path.read_bytes()[:e.start].count(b"\n") + 1
        raise TranslateError([Diagnostic(str(path), line, 0, f"source file is not valid UTF-8 ({e.reason} at byte {e.start})",
                                         "save the file as UTF-8 (Python 3's source encoding)")]) from None
    return parse_source(text, path, name or path.stem)


def module_name_for(path: Path, roots: tuple[Path, ...]) -> str:
    """The dotted module name of `path` relative to the first root that contains it."""
    path = Path(path).resolve()
    for root in roots:
        try:
            rel = path.relative_to(Path(root).resolve())
        except ValueError:
            continue
        parts = list(rel.with_suffix("").parts)
        if parts and parts[-1] == "__init__":
            parts.pop()
        if parts and all(p.isidentifier() for p in parts):
            return ".".join(parts)
    return path.stem


def find_module(name: str, roots: tuple[Path, ...]) -> Optional[Path]:
    """Locate the file of dotted module `name` under the roots (module.py or package/__init__.py)."""
    rel = Path(*name.split("."))
    for root in roots:
        for cand in (Path(root) / rel.with_suffix(".py"), Path(root) / rel / "__init__.py"):
            if cand.is_file():
                return cand
    return None
