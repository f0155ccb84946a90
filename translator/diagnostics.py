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
            raw = self.source_line.rstrip("\n")
            text = raw.expandtabs(4)
            # Columns count characters of the raw line; tabs widen when shown, so measure the
            # expanded prefix to keep the caret under the right character.
            start = len(raw[:self.col].expandtabs(4))
            width = 1
            if self.end_col is not None and self.end_col > self.col:
                end = len(raw[:self.end_col].expandtabs(4))
                width = min(end - start, max(1, len(text) - start))
            out.append("    " + text)
            out.append("    " + " " * start + "^" + "~" * (width - 1))
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
        # `ast` offsets count UTF-8 bytes; diagnostics count characters (they differ after é or ü).
        col = _char_col(src, col)
        end_col = _char_col(src, end_col) if end_col is not None else None
        if isinstance(node, ast.FormattedValue):
            col, end_col = _replacement_field(src, node, line, col, end_col)
        return Diagnostic(str(self.path), line, col, message, hint, src, end_col)

    def error(self, node: Optional[ast.AST], message: str, hint: str = "") -> TranslateError:
        """Build a TranslateError for `node`, ready to raise."""
        return TranslateError([self.diag(node, message, hint)])


def _char_col(line: str, byte_col: int) -> int:
    """The character column of UTF-8 byte offset `byte_col` in `line`."""
    if line.isascii():
        return byte_col
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def _replacement_field(line_text: str, node: ast.FormattedValue, line: int, col: int,
                       end_col: Optional[int]) -> tuple[int, Optional[int]]:
    """The span of `{...}` for an f-string part (Python 3.11 gives every part the whole string's span)."""
    value = node.value
    if getattr(value, "lineno", None) != line or getattr(value, "col_offset", None) is None:
        return col, end_col
    start = line_text.rfind("{", 0, _char_col(line_text, value.col_offset))
    if start < col:
        return col, end_col
    depth = 0
    for i in range(start, len(line_text)):
        if line_text[i] == "{":
            depth += 1
        elif line_text[i] == "}":
            depth -= 1
            if depth == 0:
                return start, i + 1
    return start, end_col
