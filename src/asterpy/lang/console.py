"""Kernel console output: kprint() to a replaceable sink (stdout under CPython, serial natively)."""

import contextlib
import sys
from typing import Callable, Iterator, List

__all__ = ["kprint", "set_console_sink", "captured_console"]

Sink = Callable[[str], None]


def _stdout_sink(text: str) -> None:
    """Write to the current sys.stdout (looked up per call, so pytest capture works)."""
    sys.stdout.write(text)


_sink: Sink = _stdout_sink


def kprint(s: str) -> None:
    """Write s and a newline to the console."""
    _sink(s + "\n")


def set_console_sink(fn: Sink) -> Sink:
    """Send console text (each kprint: its string plus "\\n") to fn; returns the previous sink."""
    global _sink
    old, _sink = _sink, fn
    return old


@contextlib.contextmanager
def captured_console() -> Iterator[List[str]]:
    """Collect the lines printed inside the `with` block into the yielded list."""
    lines: List[str] = []
    old = set_console_sink(lambda text: lines.extend(text[:-1].split("\n")))
    try:
        yield lines
    finally:
        set_console_sink(old)
