"""Translator errors that point at the user's file, line and column with a caret and say what to write instead."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional


@dataclass
class Diagnostic:
    """One message about one place in a Kernel Python source file."""

    path: str
    line: int
    col: int
    message: str
    hint: str = ""
    source_line: str = ""
    end_col: Optional[int] = None

    def format(self) -> str:
        """Render as `file:line:col: error: message`, the source line, a caret, and the hint."""
        out = [f"{self.path}:{self.line}:{self.col + 1}: error: {self.message}"]
        if self.source_line:
            text = self.source_line.rstrip("\n").expandtabs(4)
            out.append("    " + text)
            width = 1
            if self.end_col is not None and self.end_col > self.col:
                width = min(self.end_col - self.col, max(1, len(text) - self.col))
            out.append("    " + " " * self.col + "^" + "~" * (width - 1))
        if self.hint:
            out.append(f"    help: {self.hint}")
        return "\n".join(out)


class TranslateError(Exception):
    """Raised when translation cannot go on; carries one or more diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic]):
        super().__init__("\n".join(d.format() for d in diagnostics))
        self.diagnostics = diagnostics

    @property
    def first(self) -> Diagnostic:
        """The first diagnostic (the one tests usually look at)."""
        return self.diagnostics[0]


@dataclass
class SourceFile:
    """A source file's path, text and lines, for positioning diagnostics."""

    path: Path
    text: str
    lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.lines:
            self.lines = self.text.splitlines()

    def diag(self, node: Optional[ast.AST], message: str, hint: str = "") -> Diagnostic:
        """Build a diagnostic for `node` (or the top of the file when node is None)."""
        line = getattr(node, "lineno", 1) or 1
        col = getattr(node, "col_offset", 0) or 0
        end_line = getattr(node, "end_lineno", line)
        end_col = getattr(node, "end_col_offset", None) if end_line == line else None
        src = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return Diagnostic(str(self.path), line, col, message, hint, src, end_col)

    def error(self, node: Optional[ast.AST], message: str, hint: str = "") -> TranslateError:
        """Build a TranslateError for `node`, ready to raise."""
        return TranslateError([self.diag(node, message, hint)])
